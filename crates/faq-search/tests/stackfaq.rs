//! The StackFAQ figures are computed (read from ../shared/bench/faq; skipped with a notice
//! when absent). Figures are printed, not asserted beyond sanity: the README records them and
//! `faq-bench` reproduces them.

mod support;

use faq_search::eval::{evaluate, parse_articles, parse_queries, split};
use faq_search::{Evidence, Index};

#[test]
fn stackfaq_relevance_is_computed_from_articles_and_from_votes() {
    let Some(dir) = support::stackfaq_dir() else {
        return;
    };
    let articles =
        parse_articles(&std::fs::read_to_string(dir.join("stackfaq_articles.json")).unwrap())
            .unwrap();
    let queries =
        parse_queries(&std::fs::read_to_string(dir.join("stackfaq_queries_dev.jsonl")).unwrap())
            .unwrap();
    assert_eq!((articles.len(), queries.len()), (125, 625));
    let (tuning, held_out) = split(&queries, 0);
    assert!(
        !tuning.is_empty()
            && !held_out.is_empty()
            && tuning.len() + held_out.len() == queries.len()
    );
    let index = Index::build(&articles, &[], &[]);
    let alone = evaluate(&index, &held_out);
    let votes: Vec<Evidence> = tuning
        .iter()
        .map(|q| Evidence::new(&q.query, &q.relevant, true))
        .collect();
    let learned = Index::build(&articles, &[], &votes);
    let after = evaluate(&learned, &held_out);
    eprintln!(
        "StackFAQ held-out: articles alone {alone:?}; after learning the tuning half {after:?}"
    );
    assert!(alone.mrr_at_10 > 0.5, "{alone:?}");
    assert!(after.mrr_at_10 >= alone.mrr_at_10, "{alone:?} {after:?}");
}
