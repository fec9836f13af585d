//! Behaviour of the search: natural-language questions, synonyms, prefixes, typos,
//! highlights, learning from votes and the shipped blob.

mod support;

use faq_search::{Article, Evidence, Index, Synonym};
use support::{assert_valid_highlights, shop};

fn ids(index: &Index, query: &str) -> Vec<String> {
    index
        .search(query, 10)
        .into_iter()
        .map(|h| h.article)
        .collect()
}

#[test]
fn natural_language_question_finds_its_article() {
    let index = Index::build(&shop(), &[], &[]);
    assert_eq!(
        ids(&index, "how long until my order arrives?")[0],
        "delivery"
    );
    assert_eq!(ids(&index, "Returning a bike")[0], "returns");
}

#[test]
fn a_query_of_stop_words_finds_nothing() {
    let index = Index::build(&shop(), &[], &[]);
    assert!(index.search("how do I do it?", 10).is_empty());
}

#[test]
fn synonyms_expand_multi_word_phrases_both_ways() {
    let synonyms = [Synonym::new("e-bike", ["electric bicycle"])];
    let index = Index::build(&shop(), &synonyms, &[]);
    assert_eq!(ids(&index, "e-bike care ")[0], "battery");
    let mut articles = shop();
    articles.push(Article::new(
        "ebike-range",
        "How far does an e-bike go?",
        "About 80 km on one charge.",
    ));
    let index = Index::build(&articles, &synonyms, &[]);
    assert!(ids(&index, "electric bicycle range ").contains(&"ebike-range".to_string()));
    // Without the synonym the phrase does not reach it.
    let plain = Index::build(&articles, &[], &[]);
    assert!(!ids(&plain, "electric bicycle range ").contains(&"ebike-range".to_string()));
}

#[test]
fn the_last_word_is_completed_while_typing() {
    let index = Index::build(&shop(), &[], &[]);
    let hits = index.search("deliv", 10);
    assert_eq!(hits[0].article, "delivery");
    let q = "How long does delivery take?";
    assert_eq!(&q[hits[0].question_highlights[0].clone()], "delivery");
    // A finished word (followed by a space) is not a prefix any more.
    assert!(index.search("deliv ", 10).is_empty());
}

#[test]
fn one_typo_is_forgiven_in_a_word_of_four_letters_or_more() {
    let index = Index::build(&shop(), &[], &[]);
    assert_eq!(ids(&index, "delivry ")[0], "delivery");
    assert_eq!(ids(&index, "insurence ")[0], "lock"); // 9 letters: up to two edits
}

#[test]
fn a_word_being_typed_is_corrected_when_nothing_starts_with_it() {
    let index = Index::build(&shop(), &[], &[]);
    assert_eq!(ids(&index, "how long does delivry")[0], "delivery");
}

#[test]
fn two_typos_in_a_short_word_are_not_forgiven() {
    let index = Index::build(&shop(), &[], &[]);
    assert!(
        index
            .search("sizq ", 10)
            .iter()
            .any(|h| h.article == "frame")
    );
    assert!(index.search("sxzq ", 10).is_empty());
    assert!(
        index
            .search("sixe chrt ", 10)
            .iter()
            .any(|h| h.article == "frame")
    );
}

#[test]
fn an_exact_word_outranks_its_typo_neighbour() {
    let index = Index::build(&shop(), &[], &[]);
    let hits = ids(&index, "frame ");
    assert_eq!(hits[0], "frame");
    assert!(
        !hits.contains(&"flame".to_string()),
        "a known word is not corrected: {hits:?}"
    );
    // An unknown word one edit from both prefers neither by accident: both are found.
    let hits = ids(&index, "fxame ");
    assert!(hits.contains(&"frame".to_string()) && hits.contains(&"flame".to_string()));
}

#[test]
fn highlights_are_valid_on_non_ascii_text() {
    let index = Index::build(&shop(), &[], &[]);
    let hits = index.search("cafe strassenrader grosse 自転車", 10);
    let hit = &hits[0];
    assert_eq!(hit.article, "cafe");
    let question = "Café racer conversion für Straßenräder";
    assert_valid_highlights(question, &hit.question_highlights);
    let words: Vec<&str> = hit
        .question_highlights
        .iter()
        .map(|r| &question[r.clone()])
        .collect();
    assert_eq!(words, ["Café", "Straßenräder"]);
    assert_valid_highlights(&hit.snippet, &hit.snippet_highlights);
    let words: Vec<&str> = hit
        .snippet_highlights
        .iter()
        .map(|r| &hit.snippet[r.clone()])
        .collect();
    assert_eq!(words, ["Größe", "自", "転", "車"]);
}

#[test]
fn snippets_are_plain_text_around_the_matches() {
    let mut articles = shop();
    let long = format!(
        "{} The bell is loud and the kickstand folds away. {}",
        "Filler words here. ".repeat(20),
        "More text. ".repeat(20)
    );
    articles.push(Article::new("bell", "Accessories", long));
    let index = Index::build(&articles, &[], &[]);
    let hit = &index.search("kickstand ", 1)[0];
    assert!(
        hit.snippet.starts_with('…') && hit.snippet.ends_with('…'),
        "{}",
        hit.snippet
    );
    assert!(hit.snippet.len() <= index.params().snippet_bytes + 2 * '…'.len_utf8());
    assert_valid_highlights(&hit.snippet, &hit.snippet_highlights);
    assert_eq!(&hit.snippet[hit.snippet_highlights[0].clone()], "kickstand");
    let returns = &index.search("refund ", 1)[0];
    assert!(
        !returns.snippet.contains("**") && !returns.snippet.contains("https"),
        "{}",
        returns.snippet
    );
}

#[test]
fn a_helpful_vote_teaches_a_paraphrase() {
    let base = Index::build(&shop(), &[], &[]);
    let query = "my parcel is lost, where is it";
    assert!(!ids(&base, query).contains(&"delivery".to_string()));
    let learned = Index::build(
        &shop(),
        &[],
        &[Evidence::new(
            "where is my parcel, it seems lost",
            "delivery",
            true,
        )],
    );
    // Not the same words, not the same order: still the article voted helpful.
    assert_eq!(ids(&learned, "parcel lost ")[0], "delivery");
    assert_eq!(ids(&learned, query)[0], "delivery");
}

#[test]
fn an_unhelpful_vote_lowers_the_article_and_removing_it_restores() {
    let query = "insure my bike lock ";
    let base = Index::build(&shop(), &[], &[]);
    assert_eq!(ids(&base, query)[0], "lock");
    let mut index = Index::build(
        &shop(),
        &[],
        &[Evidence::new("insure bike lock", "lock", false)],
    );
    assert_ne!(ids(&index, query)[0], "lock");
    assert_eq!(index.evidence().len(), 1);
    assert_eq!(index.remove_evidence(|e| !e.helpful), 1);
    assert_eq!(index.search(query, 10), base.search(query, 10));
}

#[test]
fn adding_evidence_incrementally_equals_building_with_it() {
    let votes = [
        Evidence::new("parcel lost", "delivery", true),
        Evidence::new("wrong size", "frame", true),
        Evidence::new("wrong size", "returns", false),
    ];
    let built = Index::build(&shop(), &[], &votes);
    let mut grown = Index::build(&shop(), &[], &[]);
    for v in votes.iter().cloned() {
        grown.add_evidence(v);
    }
    for q in ["parcel", "wrong size ", "lost parcel of the wrong size"] {
        assert_eq!(built.search(q, 10), grown.search(q, 10));
    }
}

#[test]
fn the_blob_round_trips_to_identical_results() {
    let synonyms = [Synonym::new("e-bike", ["electric bicycle"])];
    let index = Index::build(
        &shop(),
        &synonyms,
        &[Evidence::new("parcel lost", "delivery", true)],
    );
    let bytes = index.to_bytes();
    let loaded = Index::from_bytes(&bytes).unwrap();
    for q in [
        "parcel lost",
        "e-bike care",
        "deliv",
        "café",
        "insurence ",
        "",
    ] {
        assert_eq!(index.search(q, 10), loaded.search(q, 10), "{q}");
    }
    assert_eq!(loaded.to_bytes(), bytes);
}

#[test]
fn a_damaged_blob_is_an_error_not_a_panic() {
    let bytes = Index::build(&shop(), &[], &[]).to_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        assert!(Index::from_bytes(&bytes[..cut]).is_err());
    }
    let mut flipped = bytes.clone();
    for i in (0..flipped.len()).step_by(13) {
        flipped[i] ^= 0x5A;
        let _ = Index::from_bytes(&flipped);
        flipped[i] ^= 0x5A;
    }
    assert!(Index::from_bytes(b"not an index").is_err());
}

#[test]
fn a_hit_s_question_is_found_by_its_id() {
    let index = Index::build(&shop(), &[], &[]);
    let hit = &index.search("frame size ", 1)[0];
    let question = index.question(&hit.article).unwrap();
    assert_eq!(question, "Which frame size fits me?");
    assert_valid_highlights(question, &hit.question_highlights);
    assert_eq!(index.question("no-such-article"), None);
}

#[test]
fn an_empty_index_finds_nothing() {
    let index = Index::build(&[], &[], &[Evidence::new("anything", "missing", true)]);
    assert!(index.search("anything", 10).is_empty());
    assert!(Index::from_bytes(&index.to_bytes()).unwrap().is_empty());
}

#[test]
fn an_index_can_be_shared_between_server_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Index>();
}
