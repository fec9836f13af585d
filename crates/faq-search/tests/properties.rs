//! Randomised inputs (a seeded loop, no property-testing dependency): searching never panics
//! and every highlight is a valid range of whole words.

mod support;

use faq_search::generate::knowledge_base;
use faq_search::rng::Rng;
use faq_search::{Evidence, Index};
use support::{assert_valid_highlights, shop};

const PIECES: &[&str] = &[
    "bike",
    "deliv",
    "e-",
    "Straße",
    "é",
    "ß",
    "🚲",
    "😀",
    "自転車",
    "\u{0}",
    "\u{7}",
    "\n",
    "\t",
    " ",
    "?",
    "-",
    "'",
    "’",
    "\u{200B}",
    "\u{301}",
    "İ",
    "ﬁ",
    "ǅ",
    "arrive",
    "how long",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "0",
    "42",
    "\u{FEFF}",
    "\u{10FFFF}",
    "Å",
    "a",
    "aaaa",
    "ab",
    "insurence",
];

fn random_query(r: &mut Rng) -> String {
    let mut q = String::new();
    for _ in 0..r.below(12) {
        q.push_str(r.pick(PIECES));
        if r.chance(0.5) {
            q.push(' ');
        }
    }
    q
}

#[test]
fn search_never_panics_and_highlights_stay_valid() {
    let mut articles = shop();
    articles.extend(knowledge_base(200, 7));
    let index = Index::build(
        &articles,
        &[],
        &[
            Evidence::new("🚲 deliv", "delivery", true),
            Evidence::new("ß", "cafe", false),
        ],
    );
    let questions: std::collections::HashMap<&str, &str> = articles
        .iter()
        .map(|a| (a.id.as_str(), a.question.as_str()))
        .collect();
    let mut r = Rng::new(1);
    for _ in 0..400 {
        let q = random_query(&mut r);
        for hit in index.search(&q, 5) {
            assert!(hit.score.is_finite() && hit.score > 0.0);
            assert_valid_highlights(questions[hit.article.as_str()], &hit.question_highlights);
            assert_valid_highlights(&hit.snippet, &hit.snippet_highlights);
        }
    }
}

#[test]
fn huge_and_odd_queries_are_bounded() {
    let index = Index::build(&shop(), &[], &[]);
    let huge = "bike ".repeat(100_000);
    assert!(!index.search(&huge, 10).is_empty());
    let emoji = "🚲".repeat(10_000);
    assert!(index.search(&emoji, 10).is_empty());
    assert!(index.search("", 10).is_empty());
    assert!(index.search("bike", 0).is_empty());
    assert!(index.search("a", usize::MAX).len() <= index.len());
}

#[test]
fn random_articles_build_and_search_without_panics() {
    let mut r = Rng::new(2);
    let markup = [
        "<",
        ">",
        "</b>",
        "<a href='x'>",
        "](",
        ")",
        "[",
        "]",
        "**",
        "`",
        "&amp;",
        "&",
        "#",
        "\n> ",
        "~~",
    ];
    for round in 0..20 {
        let articles: Vec<faq_search::Article> = (0..15)
            .map(|i| {
                let mut answer = String::new();
                for _ in 0..r.below(80) {
                    answer.push_str(if r.chance(0.3) {
                        r.pick(&markup)
                    } else {
                        r.pick(PIECES)
                    });
                    if r.chance(0.5) {
                        answer.push(' ');
                    }
                }
                let mut a = faq_search::Article::new(format!("a{i}"), random_query(&mut r), answer);
                a.extra.push(random_query(&mut r));
                a
            })
            .collect();
        let votes: Vec<Evidence> = (0..5)
            .map(|i| Evidence::new(random_query(&mut r), format!("a{i}"), r.chance(0.6)))
            .collect();
        let index = Index::build(&articles, &[], &votes);
        let loaded = Index::from_bytes(&index.to_bytes()).unwrap();
        for _ in 0..20 {
            let q = random_query(&mut r);
            let hits = index.search(&q, 5);
            assert_eq!(hits, loaded.search(&q, 5), "round {round}: {q:?}");
            for hit in hits {
                let a = articles.iter().find(|a| a.id == hit.article).unwrap();
                assert_valid_highlights(&a.question, &hit.question_highlights);
                assert_valid_highlights(&hit.snippet, &hit.snippet_highlights);
            }
        }
    }
}
