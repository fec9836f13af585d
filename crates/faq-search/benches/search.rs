//! Criterion benches: per-keystroke search on a synthetic 10,000-article knowledge base (each
//! prefix of a typed question, and the whole sequence), building and loading that index, and a
//! StackFAQ query when ../shared is present (skipped with a notice otherwise). Per-keystroke
//! p50/p95 natively and in wasm come from `faq-bench --generate 10000 --keystrokes`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use faq_search::Index;
use faq_search::eval::{parse_articles, parse_queries};
use faq_search::generate::{keystrokes, knowledge_base};

const TYPED: &str = "how long until my bike arrives";

fn typing(c: &mut Criterion) {
    let articles = knowledge_base(10_000, 0);
    let index = Index::build(&articles, &[], &[]);
    let typed = keystrokes(TYPED);
    c.bench_function("kb10k/type_whole_query_30_keystrokes", |b| {
        b.iter(|| {
            for prefix in &typed {
                black_box(index.search(black_box(prefix), 10));
            }
        })
    });
    for prefix in [
        "h",
        "how lo",
        "how long until my b",
        "how long until my bike arr",
        TYPED,
    ] {
        c.bench_function(&format!("kb10k/keystroke/{prefix}"), |b| {
            b.iter(|| index.search(black_box(prefix), 10))
        });
    }
    c.bench_function("kb10k/typo/how long untill my bikke arives ", |b| {
        b.iter(|| index.search(black_box("how long untill my bikke arives "), 10))
    });
    let bytes = index.to_bytes();
    c.bench_function("kb10k/from_bytes", |b| {
        b.iter(|| Index::from_bytes(black_box(&bytes)).unwrap())
    });
    c.bench_function("kb10k/build", |b| {
        b.iter(|| Index::build(black_box(&articles), &[], &[]))
    });
}

fn stackfaq(c: &mut Criterion) {
    let Some(dir) = support::stackfaq_dir() else {
        return;
    };
    let articles =
        parse_articles(&std::fs::read_to_string(dir.join("stackfaq_articles.json")).unwrap())
            .unwrap();
    let queries =
        parse_queries(&std::fs::read_to_string(dir.join("stackfaq_queries_dev.jsonl")).unwrap())
            .unwrap();
    let index = Index::build(&articles, &[], &[]);
    c.bench_function("stackfaq/search_all_625_queries", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(index.search(&q.query, 10));
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = typing, stackfaq
}
criterion_main!(benches);
