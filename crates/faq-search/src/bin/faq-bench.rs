//! `faq-bench`: relevance and speed of the FAQ search, printing one JSON object on stdout.
//!
//! - Relevance: `--articles FILE --eval FILE [--learn FILE] [--synonyms FILE] [--params JSON]`
//!   builds the index, feeds every `--learn` query through the feedback path as a helpful vote
//!   for its relevant article, then searches every `--eval` query: Recall@1/@5, MRR@10 and
//!   per-query latency (full search: ranking, highlights, snippets).
//! - Split: `--split FILE --out-a A --out-b B [--seed N]` writes two disjoint halves of a query
//!   file (by a hash of the query text).
//! - Speed: `--generate N --keystrokes [--query TEXT]` builds a synthetic knowledge base of N
//!   articles and times a search for every prefix of the query, as typed.
//!
//! Built for wasm32-wasip1 the same command measures the wasm timing (crates/configurator's
//! wasm/run-wasi.mjs runs it under Node). Failures are `{"error": …}` on stderr, exit code 1.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use faq_search::eval::{LabelledQuery, fnv1a, parse_articles, parse_queries, split};
use faq_search::generate::{keystrokes, knowledge_base};
use faq_search::{Article, Evidence, Index, Params, Synonym};
use serde_json::{Value, json};

/// Relevance and speed of Atelier's FAQ search; prints one JSON object.
#[derive(Debug, Parser)]
#[command(name = "faq-bench", version)]
struct Cli {
    /// Articles: JSON array of {id, question, answer, more_answers} (StackFAQ) or of Articles.
    #[arg(long, value_name = "FILE")]
    articles: Option<String>,
    /// Queries to evaluate: JSON lines {"query", "relevant"}.
    #[arg(long, value_name = "FILE")]
    eval: Option<String>,
    /// Queries learnt first, each as a helpful vote for its relevant article (repeatable).
    #[arg(long, value_name = "FILE")]
    learn: Vec<String>,
    /// Synonyms: JSON object {"term": ["alternative", …], …}.
    #[arg(long, value_name = "FILE")]
    synonyms: Option<String>,
    /// Ranking parameters as JSON (a partial object overrides the defaults).
    #[arg(long, value_name = "JSON")]
    params: Option<String>,
    /// Evaluate each query as submitted (a trailing space: the last word is complete) instead
    /// of as typed (the last word may also be a prefix).
    #[arg(long)]
    submitted: bool,
    /// Also list the queries whose relevant article is not ranked first (query, relevant, top).
    #[arg(long)]
    misses: bool,
    /// Cross-validate on --eval: split it into this many folds (by a hash of the query text),
    /// learn all folds but one as helpful votes, evaluate that one; figures pooled over folds.
    #[arg(long, value_name = "K")]
    folds: Option<u64>,
    /// Write the built index blob (Index::to_bytes) here.
    #[arg(long, value_name = "FILE")]
    write_index: Option<String>,
    /// Split this query file into two disjoint halves.
    #[arg(long, value_name = "FILE")]
    split: Option<String>,
    #[arg(long, value_name = "FILE")]
    out_a: Option<String>,
    #[arg(long, value_name = "FILE")]
    out_b: Option<String>,
    /// Seed of the split (a different seed, another split).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Generate a synthetic knowledge base of this many articles (with --keystrokes).
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Load this index blob (written by --write-index) instead of generating one, and time the
    /// keystrokes on it (what the browser does: fetch the blob, load, search).
    #[arg(long, value_name = "FILE")]
    load: Option<String>,
    /// Time a search per keystroke of --query on the generated knowledge base.
    #[arg(long)]
    keystrokes: bool,
    /// The query typed character by character.
    #[arg(long, default_value = "how long until my bike arrives")]
    query: String,
    /// Times each keystroke sequence is replayed (latencies of all rounds are pooled).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The `q`-quantile of sorted latencies (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn latencies(mut times: Vec<f64>) -> Value {
    times.sort_by(f64::total_cmp);
    json!({
        "p50_ms": round3(quantile(&times, 0.5)),
        "p95_ms": round3(quantile(&times, 0.95)),
        "max_ms": round3(times.last().copied().unwrap_or(0.0)),
    })
}

/// Build, serialise and load figures for an index, written to `out`.
fn storage(
    index: &Index,
    out: &mut serde_json::Map<String, Value>,
    write: Option<&str>,
) -> Result<(), String> {
    let bytes = index.to_bytes();
    let started = Instant::now();
    let loaded = Index::from_bytes(&bytes).map_err(|e| e.to_string())?;
    out.insert("load_ms".into(), json!(round3(ms(started))));
    drop(loaded);
    out.insert("index_bytes".into(), json!(bytes.len()));
    if let Some([header, vocab, postings]) = faq_search::store::section_sizes(&bytes) {
        out.insert(
            "index_sections".into(),
            json!({ "header_json": header, "vocabulary_fst": vocab, "postings": postings }),
        );
    }
    let (words, terms) = index.vocabulary_size();
    out.insert(
        "vocabulary".into(),
        json!({ "words": words, "terms": terms }),
    );
    if let Some(path) = write {
        std::fs::write(path, &bytes).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

/// --params over the defaults (a loaded blob keeps the parameters it was built with).
fn params(cli: &Cli) -> Result<Params, String> {
    match &cli.params {
        Some(p) => serde_json::from_str(p).map_err(|e| format!("--params: {e}")),
        None => Ok(Params::default()),
    }
}

fn relevance(cli: &Cli) -> Result<Value, String> {
    let articles: Vec<Article> = parse_articles(&read(
        cli.articles.as_deref().ok_or("--eval needs --articles")?,
    )?)?;
    let eval = parse_queries(&read(
        cli.eval.as_deref().ok_or("--articles needs --eval")?,
    )?)?;
    let mut learn: Vec<LabelledQuery> = Vec::new();
    for path in &cli.learn {
        learn.extend(parse_queries(&read(path)?)?);
    }
    let synonyms: Vec<Synonym> = match &cli.synonyms {
        Some(path) => {
            let map: std::collections::BTreeMap<String, Vec<String>> =
                serde_json::from_str(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
            map.into_iter().map(|(t, a)| Synonym::new(t, a)).collect()
        }
        None => Vec::new(),
    };
    let started = Instant::now();
    let mut index = Index::build_with(&articles, &synonyms, &[], params(cli)?);
    let build_ms = ms(started);
    let started = Instant::now();
    index.extend_evidence(
        learn
            .iter()
            .map(|q| Evidence::new(&q.query, &q.relevant, true)),
    );
    let learn_ms = ms(started);
    let (mut r1, mut r5, mut mrr) = (0usize, 0usize, 0f64);
    let mut times = Vec::with_capacity(eval.len());
    let mut misses = Vec::new();
    let folds = cli.folds.unwrap_or(1).max(1);
    let fold_of = |q: &LabelledQuery| {
        if folds == 1 {
            0
        } else {
            fnv1a(&q.query, 7) % folds
        }
    };
    let mut order: Vec<&LabelledQuery> = eval.iter().collect();
    order.sort_by_key(|q| fold_of(q));
    let mut fold = None;
    for q in order {
        if folds > 1 && fold != Some(fold_of(q)) {
            // A new fold: learn the --learn files and every other fold, as helpful votes.
            let f = fold_of(q);
            fold = Some(f);
            index.remove_evidence(|_| true);
            let others = eval.iter().filter(|e| fold_of(e) != f);
            index.extend_evidence(
                learn
                    .iter()
                    .chain(others)
                    .map(|l| Evidence::new(&l.query, &l.relevant, true)),
            );
        }
        let text = if cli.submitted {
            format!("{} ", q.query)
        } else {
            q.query.clone()
        };
        let started = Instant::now();
        let hits = index.search(&text, 10);
        times.push(ms(started));
        if let Some(rank) = hits.iter().position(|h| h.article == q.relevant) {
            r1 += usize::from(rank == 0);
            r5 += usize::from(rank < 5);
            mrr += 1.0 / (rank + 1) as f64;
        }
        if cli.misses && hits.first().is_none_or(|h| h.article != q.relevant) {
            let rank = hits
                .iter()
                .position(|h| h.article == q.relevant)
                .map(|r| r + 1);
            let top: Vec<&str> = hits.iter().take(3).map(|h| h.article.as_str()).collect();
            misses.push(
                json!({ "query": q.query, "relevant": q.relevant, "rank": rank, "top": top }),
            );
        }
    }
    let n = eval.len().max(1) as f64;
    let mut out = serde_json::Map::new();
    if cli.misses {
        out.insert("misses".into(), Value::Array(misses));
    }
    out.insert("articles".into(), json!(index.len()));
    out.insert("queries".into(), json!(eval.len()));
    out.insert("learned_queries".into(), json!(learn.len()));
    out.insert("recall_at_1".into(), json!(round3(r1 as f64 / n)));
    out.insert("recall_at_5".into(), json!(round3(r5 as f64 / n)));
    out.insert("mrr_at_10".into(), json!(round3(mrr / n)));
    if let Value::Object(l) = latencies(times) {
        out.extend(l);
    }
    out.insert("build_ms".into(), json!(round3(build_ms)));
    out.insert("learn_ms".into(), json!(round3(learn_ms)));
    storage(&index, &mut out, cli.write_index.as_deref())?;
    Ok(Value::Object(out))
}

fn write_split(cli: &Cli, path: &str) -> Result<Value, String> {
    let queries = parse_queries(&read(path)?)?;
    let (a, b) = split(&queries, cli.seed);
    let (Some(out_a), Some(out_b)) = (&cli.out_a, &cli.out_b) else {
        return Err("--split needs --out-a and --out-b".into());
    };
    for (part, file) in [(&a, out_a), (&b, out_b)] {
        let lines: String = part
            .iter()
            .map(|q| serde_json::to_string(q).expect("plain data") + "\n")
            .collect();
        std::fs::write(file, lines).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(json!({ "queries": queries.len(), "a": a.len(), "b": b.len(), "seed": cli.seed }))
}

fn typing(cli: &Cli, count: Option<usize>) -> Result<Value, String> {
    let mut out = serde_json::Map::new();
    let index = if let Some(path) = &cli.load {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let started = Instant::now();
        let index = Index::from_bytes(&bytes).map_err(|e| e.to_string())?;
        out.insert("load_ms".into(), json!(round3(ms(started))));
        out.insert("index_bytes".into(), json!(bytes.len()));
        out.insert("articles".into(), json!(index.len()));
        index
    } else {
        let started = Instant::now();
        let articles = knowledge_base(count.unwrap_or(10_000), cli.seed);
        let generate_ms = ms(started);
        let started = Instant::now();
        let index = Index::build_with(&articles, &[], &[], params(cli)?);
        let build_ms = ms(started);
        out.insert("articles".into(), json!(index.len()));
        out.insert("generate_ms".into(), json!(round3(generate_ms)));
        out.insert("build_ms".into(), json!(round3(build_ms)));
        storage(&index, &mut out, cli.write_index.as_deref())?;
        index
    };
    if cli.keystrokes {
        let typed = keystrokes(&cli.query);
        let mut times = Vec::with_capacity(typed.len() * cli.rounds);
        let mut per_keystroke = vec![Vec::new(); typed.len()];
        let mut top = Vec::new();
        for _ in 0..cli.rounds.max(1) {
            for (k, prefix) in typed.iter().enumerate() {
                let started = Instant::now();
                let hits = index.search(prefix, 10);
                let t = ms(started);
                times.push(t);
                per_keystroke[k].push(t);
                top = hits.into_iter().map(|h| h.article).collect();
            }
        }
        // The median of each keystroke over the rounds: which prefixes are the slow ones.
        let medians: Vec<Value> = typed
            .iter()
            .zip(&mut per_keystroke)
            .map(|(prefix, t)| {
                t.sort_by(f64::total_cmp);
                json!([prefix, round3(quantile(t, 0.5))])
            })
            .collect();
        out.insert("median_ms_per_keystroke".into(), Value::Array(medians));
        out.insert("query".into(), json!(cli.query));
        out.insert("keystrokes".into(), json!(typed.len()));
        out.insert("searches".into(), json!(times.len()));
        out.insert("top_for_full_query".into(), json!(top));
        if let Value::Object(l) = latencies(times) {
            out.extend(l);
        }
    }
    Ok(Value::Object(out))
}

fn run(cli: &Cli) -> Result<Value, String> {
    if let Some(path) = &cli.split {
        write_split(cli, path)
    } else if cli.generate.is_some() || cli.load.is_some() {
        typing(cli, cli.generate)
    } else if cli.articles.is_some() || cli.eval.is_some() {
        relevance(cli)
    } else {
        Err("nothing to do: give --articles and --eval, --split, or --generate (see --help)".into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", json!({ "error": e }));
            ExitCode::FAILURE
        }
    }
}
