//! Shared test helpers: a small shop help centre and the path to ../shared/bench/faq.

#![allow(dead_code)]

use std::path::PathBuf;

use faq_search::Article;

/// A few bike-shop articles, some with non-ASCII text.
pub fn shop() -> Vec<Article> {
    let mut returns = Article::new(
        "returns",
        "How do I return my bike?",
        "Send it back within **30 days** for a full refund. See [returns](https://shop.example/returns).",
    );
    returns
        .extra
        .push("Refunds reach your card in five working days.".into());
    vec![
        Article::new(
            "delivery",
            "How long does delivery take?",
            "Most orders arrive within 3 working days. The courier emails a tracking link.",
        ),
        returns,
        Article::new(
            "battery",
            "Electric bicycle battery care",
            "Charge the battery at room temperature; never store it empty over winter.",
        ),
        Article::new(
            "frame",
            "Which frame size fits me?",
            "Measure your inseam and use the size chart on each product page.",
        ),
        Article::new(
            "flame",
            "Is the paint flame retardant?",
            "Our paint is tested to EN 13501, it is not flammable once cured.",
        ),
        Article::new(
            "cafe",
            "Café racer conversion für Straßenräder",
            "Die Umrüstung dauert zwei Tage — Größe prüfen 🚲 自転車の改造も可能です。",
        ),
        Article::new(
            "lock",
            "Can I insure my lock?",
            "Locks are not covered by the bike insurance; they have their own warranty.",
        ),
    ]
}

/// `../shared/bench/faq` from the repository checkout, if present.
pub fn stackfaq_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/faq");
    if dir.join("stackfaq_articles.json").is_file()
        && dir.join("stackfaq_queries_dev.jsonl").is_file()
    {
        Some(dir)
    } else {
        eprintln!(
            "skipping: {} is absent (StackFAQ is read from ../shared, never copied into the repo)",
            dir.display()
        );
        None
    }
}

/// Every highlight is a non-empty range on char boundaries of `text` covering whole words.
pub fn assert_valid_highlights(text: &str, ranges: &[std::ops::Range<usize>]) {
    for r in ranges {
        assert!(
            r.start < r.end && r.end <= text.len(),
            "{r:?} out of {text:?}"
        );
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "{r:?} splits a char of {text:?}"
        );
        // A word is letters and digits, with apostrophes only inside ("don't").
        let word = &text[r.clone()];
        assert!(
            word.chars()
                .all(|c| c.is_alphanumeric() || c == '\'' || c == '’')
                && word.starts_with(char::is_alphanumeric)
                && word.ends_with(char::is_alphanumeric),
            "{r:?} is not one word of {text:?}"
        );
    }
}
