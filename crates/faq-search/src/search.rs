//! Query planning and BM25F scoring.
//!
//! A query becomes a list of *query terms*; each is a set of alternatives (term id, weight):
//! the word's own stem at weight 1, typo corrections of an unknown word, completions of the word
//! still being typed, synonyms, and two adjacent words written as one. An article scores, per
//! query term, its best alternative — so a word matched exactly is never also paid for its
//! typo neighbours — and the query terms' scores add up.
//!
//! BM25F: for a term, an article's pseudo-frequency is Σ_fields weight · tf / (1 − b + b ·
//! len/avg_len), learned queries being a fifth field; the score is idf · f·(k1+1)/(k1+f), with
//! the document frequency counted over all five fields.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::analyze::{Token, indexable, tokens};
use crate::highlight::Matcher;
use crate::index::Index;
use crate::vocab::{completions, typo_budget, typos};

/// Longest query (bytes) that is looked at; the rest of a pasted essay is ignored.
pub const MAX_QUERY_BYTES: usize = 512;
/// Most query words looked at.
pub const MAX_QUERY_WORDS: usize = 32;

/// One search result (serde, so a server function can return it as it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The article's id.
    pub article: String,
    pub score: f32,
    /// Byte ranges of matched words in the article's question (char boundaries).
    pub question_highlights: Vec<Range<usize>>,
    /// A short plain-text passage of the answer around the matched words ("…" where cut).
    pub snippet: String,
    /// Byte ranges of matched words in `snippet`.
    pub snippet_highlights: Vec<Range<usize>>,
}

/// The alternatives of one query term.
type QueryTerm = Vec<(u32, f32)>;

pub(crate) struct Plan {
    pub terms: Vec<QueryTerm>,
    /// Exact term ids of the query's words (for similarity to unhelpful queries).
    pub exact: Vec<u32>,
}

impl Plan {
    /// Every term id any alternative matches: what highlighting marks.
    pub fn matched(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.terms.iter().flatten().map(|&(id, _)| id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

fn push_alt(term: &mut QueryTerm, id: u32, weight: f32) {
    match term.iter_mut().find(|(t, _)| *t == id) {
        Some(alt) => alt.1 = alt.1.max(weight),
        None => term.push((id, weight)),
    }
}

/// `query` cut to [`MAX_QUERY_BYTES`] on a char boundary.
fn bounded(query: &str) -> &str {
    if query.len() <= MAX_QUERY_BYTES {
        return query;
    }
    let mut end = MAX_QUERY_BYTES;
    while !query.is_char_boundary(end) {
        end -= 1;
    }
    &query[..end]
}

impl Index {
    pub(crate) fn plan(&self, query: &str) -> Plan {
        let p = &self.params;
        let query = bounded(query);
        let mut words: Vec<Token> = tokens(query);
        // A query that ends inside a word is still being typed: its last word may be a prefix.
        let open = words.last().is_some_and(|t| t.span.end == query.len());
        let open = open && words.len() <= MAX_QUERY_WORDS;
        words.truncate(MAX_QUERY_WORDS);
        let last = words.len().saturating_sub(1);
        let mut plan = Plan {
            terms: Vec::new(),
            exact: Vec::new(),
        };
        let mut stems: Vec<String> = Vec::new();
        for (i, t) in words.iter().enumerate() {
            let mut term = QueryTerm::new();
            let typing = open && i == last;
            let mut known = false;
            if indexable(&t.word) {
                let stem = self.analyzer.stem(&t.word);
                if let Some(&id) = self.term_ids.get(&stem) {
                    push_alt(&mut term, id, 1.0);
                    plan.exact.push(id);
                    known = true;
                }
                stems.push(stem);
            }
            if typing {
                let mut found = completions(&self.vocab, &t.word, p.completion_scan);
                found.sort_by_key(|&(id, _)| std::cmp::Reverse(self.doc_freq(id)));
                let mut kept = 0;
                for (id, _) in found {
                    if term.iter().any(|&(t, _)| t == id) {
                        continue;
                    }
                    push_alt(&mut term, id, p.prefix_weight);
                    kept += 1;
                    if kept >= p.max_completions {
                        break;
                    }
                }
            }
            // Only an unknown word is corrected (a known word is what the shopper meant far
            // more often than its neighbour one edit away), and a word being typed only when
            // nothing starts with it.
            if !known && term.is_empty() && indexable(&t.word) {
                let mut found = typos(&self.vocab, &t.word, typo_budget(&t.word), 64);
                found.sort_by_key(|&(id, d)| (d, std::cmp::Reverse(self.doc_freq(id))));
                for (id, d) in found.into_iter().take(p.max_typos) {
                    push_alt(&mut term, id, p.typo_weights[(d - 1).min(1)]);
                }
            }
            if !term.is_empty() {
                plan.terms.push(term);
            }
        }
        // "git hub" for "github", "set up" for "setup", "e mail" for "email".
        for pair in words.windows(2) {
            if open && pair[1].span.end == query.len() {
                break;
            }
            let joined = format!("{}{}", pair[0].word, pair[1].word);
            if let Some(id) = self.word_id(&joined)
                && !plan.exact.contains(&id)
            {
                plan.terms.push(vec![(id, p.compound_weight)]);
            }
        }
        for group in &self.synonym_groups {
            for (i, phrase) in group.iter().enumerate() {
                if !contains_run(&stems, phrase) {
                    continue;
                }
                for other in group
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, o)| o)
                {
                    for stem in other {
                        if let Some(&id) = self.term_ids.get(stem)
                            && !plan.exact.contains(&id)
                        {
                            plan.terms.push(vec![(id, p.synonym_weight)]);
                        }
                    }
                }
            }
        }
        plan.exact.sort_unstable();
        plan.exact.dedup();
        plan
    }

    /// Scores of every article with a match, as (doc, score), unsorted.
    pub(crate) fn score(&self, plan: &Plan) -> Vec<(u32, f32)> {
        let p = &self.params;
        let n = self.docs.len();
        let mut total = vec![0f32; n];
        let mut best = vec![0f32; n];
        let mut freq = vec![0f32; n];
        let mut seen = vec![u32::MAX; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut term_docs: Vec<u32> = Vec::new();
        let mut group_docs: Vec<u32> = Vec::new();
        let mut stamp = 0u32;
        for term in &plan.terms {
            group_docs.clear();
            for &(id, weight) in term {
                stamp += 1;
                term_docs.clear();
                if let Some(list) = self.postings.get(id as usize) {
                    for posting in list {
                        let d = posting.doc as usize;
                        let factors = &self.field_factors[d];
                        freq[d] += posting
                            .tf
                            .iter()
                            .zip(factors)
                            .map(|(&tf, &factor)| f32::from(tf) * factor)
                            .sum::<f32>();
                        if seen[d] != stamp {
                            seen[d] = stamp;
                            term_docs.push(posting.doc);
                        }
                    }
                }
                for &(doc, tf) in self.learned.postings.get(&id).into_iter().flatten() {
                    let d = doc as usize;
                    freq[d] += tf * self.learned.factors[d];
                    if seen[d] != stamp {
                        seen[d] = stamp;
                        term_docs.push(doc);
                    }
                }
                let df = term_docs.len() as f32;
                let idf = (1.0 + (n as f32 - df + 0.5) / (df + 0.5)).ln();
                for &doc in &term_docs {
                    let d = doc as usize;
                    let f = freq[d];
                    freq[d] = 0.0;
                    let s = weight * idf * f * (p.k1 + 1.0) / (p.k1 + f);
                    if best[d] == 0.0 && s > 0.0 {
                        group_docs.push(doc);
                    }
                    best[d] = best[d].max(s);
                }
            }
            for &doc in &group_docs {
                let d = doc as usize;
                if total[d] == 0.0 {
                    touched.push(doc);
                }
                total[d] += best[d];
                best[d] = 0.0;
            }
        }
        let top = touched
            .iter()
            .map(|&d| total[d as usize])
            .fold(0.0, f32::max);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(touched.len());
        if self.learned.queries.is_empty() {
            out.extend(touched.iter().map(|&d| (d, total[d as usize] / top)));
        } else {
            let (helpful, unhelpful) = self.learned_similarity(plan);
            for &d in helpful.keys() {
                if total[d as usize] == 0.0 {
                    touched.push(d);
                }
            }
            for d in touched {
                let text = if top > 0.0 {
                    total[d as usize] / top
                } else {
                    0.0
                };
                let learned = helpful.get(&d).copied().unwrap_or(0.0);
                let against = unhelpful.get(&d).copied().unwrap_or(0.0);
                let s = (text + p.learned_similarity_weight * learned)
                    * (1.0 - p.negative_strength.clamp(0.0, 1.0) * against);
                out.push((d, s));
            }
        }
        out.retain(|&(_, s)| s > 0.0 && s.is_finite());
        out
    }

    /// For each article with voted queries like this one: the highest cosine similarity
    /// (IDF-weighted, binary term frequencies; a query term matches through any of its
    /// alternatives, at that alternative's weight) of the query to a helpful-voted query, and
    /// to an unhelpful-voted one. This is what makes learning generalise to paraphrases: a new
    /// wording shares some of the distinctive words of earlier wordings.
    fn learned_similarity(&self, plan: &Plan) -> (HashMap<u32, f32>, HashMap<u32, f32>) {
        let p = &self.params;
        let mut dot: HashMap<u32, f32> = HashMap::new();
        let mut norm = 0.0f32;
        let mut local: HashMap<u32, f32> = HashMap::new();
        for term in &plan.terms {
            local.clear();
            let mut best = 0.0f32;
            for &(id, weight) in term {
                let w = weight * self.idf(id).powf(p.similarity_power);
                best = best.max(w);
                for &q in self.learned.by_term.get(&id).into_iter().flatten() {
                    let e = local.entry(q).or_default();
                    *e = e.max(w);
                }
            }
            norm += best;
            for (&q, &w) in &local {
                *dot.entry(q).or_default() += w;
            }
        }
        let (mut helpful, mut unhelpful) = (HashMap::new(), HashMap::new());
        for (q, d) in dot {
            let lq = &self.learned.queries[q as usize];
            let cos = d / (norm * lq.norm).sqrt().max(f32::MIN_POSITIVE);
            let side = if lq.votes > 0 {
                &mut helpful
            } else {
                &mut unhelpful
            };
            let e: &mut f32 = side.entry(lq.doc).or_default();
            let cos = cos.min(1.0);
            *e = if p.similarity_sum {
                *e + cos
            } else {
                e.max(cos)
            };
        }
        (helpful, unhelpful)
    }

    /// The best `limit` articles for `query`, best first, with highlights and snippets. The last
    /// word counts as a prefix unless the query ends in a space or punctuation (the shopper has
    /// finished it). Never panics; an empty or meaningless query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let plan = self.plan(query);
        let ranked = self.rank(&plan, limit);
        let matcher = Matcher::new(self, plan.matched());
        ranked
            .into_iter()
            .map(|(doc, score)| self.hit(doc, score, &matcher))
            .collect()
    }

    /// Only the ids of the best `limit` articles (what evaluation needs; no highlighting).
    pub fn search_ids(&self, query: &str, limit: usize) -> Vec<&str> {
        let plan = self.plan(query);
        self.rank(&plan, limit)
            .into_iter()
            .map(|(doc, _)| self.docs[doc as usize].id.as_str())
            .collect()
    }

    fn rank(&self, plan: &Plan, limit: usize) -> Vec<(u32, f32)> {
        let mut scored = self.score(plan);
        let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if limit == 0 {
            return Vec::new();
        }
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, by_score);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(by_score);
        scored
    }
}

/// Does `needle` occur as a contiguous run in `haystack`?
fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
