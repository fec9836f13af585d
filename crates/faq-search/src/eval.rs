//! Reading the StackFAQ benchmark format and measuring relevance: Recall@1, Recall@5, MRR@10,
//! and a deterministic split of a query set into two disjoint halves. Text in, figures out: the
//! files are read by the caller (the bench command, the tests), not here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::article::Article;
use crate::index::Index;

/// One labelled query: `relevant` is the id of the article that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledQuery {
    pub query: String,
    pub relevant: String,
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn texts(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Articles from a JSON array of `{id, question, answer, more_answers}` (StackFAQ; ids may be
/// numbers) or of [`Article`]s (`extra`, `tags`, `category`).
pub fn parse_articles(json: &str) -> Result<Vec<Article>, String> {
    let rows: Vec<Value> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r
                .get("id")
                .and_then(id_text)
                .ok_or(format!("article {i}: no id"))?;
            let field = |k: &str| {
                r.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut extra = texts(r.get("more_answers"));
            extra.extend(texts(r.get("extra")));
            Ok(Article {
                id,
                question: field("question"),
                answer: field("answer"),
                extra,
                category: r.get("category").and_then(Value::as_str).map(str::to_owned),
                tags: texts(r.get("tags")),
            })
        })
        .collect()
}

/// Labelled queries from JSON lines `{"query", "relevant"}` (blank lines skipped).
pub fn parse_queries(jsonl: &str) -> Result<Vec<LabelledQuery>, String> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1))?;
            let query = v
                .get("query")
                .and_then(Value::as_str)
                .ok_or(format!("line {}: no query", i + 1))?;
            let relevant = v
                .get("relevant")
                .and_then(id_text)
                .ok_or(format!("line {}: no relevant", i + 1))?;
            Ok(LabelledQuery {
                query: query.to_owned(),
                relevant,
            })
        })
        .collect()
}

/// FNV-1a 64 of the text: a stable hash (Rust's `Hash` is not stable across versions).
pub fn fnv1a(text: &str, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed.wrapping_mul(0x100_0000_01b3);
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Splits queries into two disjoint parts by a hash of the query text: part A where the hash's
/// top bit is clear (the top bit, after a final mix: FNV's low bit is only the parity of the
/// bytes). Deterministic, independent of order, about half each; a different `seed` gives
/// another split (used to cut the tuning half in two again).
pub fn split(queries: &[LabelledQuery], seed: u64) -> (Vec<LabelledQuery>, Vec<LabelledQuery>) {
    queries.iter().cloned().partition(|q| {
        let mut h = fnv1a(&q.query, seed);
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h >> 63 == 0
    })
}

/// Relevance of a ranking over a query set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Relevance {
    pub queries: usize,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub mrr_at_10: f64,
}

/// Searches every query (the whole query, as if submitted) and scores the top ten.
pub fn evaluate(index: &Index, queries: &[LabelledQuery]) -> Relevance {
    let (mut r1, mut r5, mut mrr) = (0usize, 0usize, 0f64);
    for q in queries {
        let ids = index.search_ids(&q.query, 10);
        if let Some(rank) = ids.iter().position(|id| *id == q.relevant) {
            r1 += usize::from(rank == 0);
            r5 += usize::from(rank < 5);
            mrr += 1.0 / (rank + 1) as f64;
        }
    }
    let n = queries.len().max(1) as f64;
    Relevance {
        queries: queries.len(),
        recall_at_1: r1 as f64 / n,
        recall_at_5: r5 as f64 / n,
        mrr_at_10: mrr / n,
    }
}
