//! The built index: documents, static postings over four fields, the vocabulary FST, parsed
//! synonyms, and the learned part derived from shoppers' votes.
//!
//! The static part depends only on the articles and is what [`crate::store`] ships; the learned
//! part depends only on the evidence and is recomputed from it (in milliseconds) whenever the
//! evidence changes, so adding or removing a vote never needs the articles again.

use std::collections::{BTreeMap, HashMap};

use fst::{IntoStreamer, Map, Streamer};
use serde::{Deserialize, Serialize};

use crate::analyze::{Analyzer, for_each_token, indexable};
use crate::article::{Article, Evidence, Synonym};
use crate::markup::plain_text;

/// Static fields, in the order of [`Params::field_weights`].
pub const QUESTION: usize = 0;
pub const TAGS: usize = 1;
pub const ANSWER: usize = 2;
pub const EXTRA: usize = 3;
pub const STATIC_FIELDS: usize = 4;

/// Ranking knobs. The defaults were chosen on the tuning half of the StackFAQ dev queries only
/// (see the README); every field has a default so a partial JSON object overrides a few.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25F weight of each field: question, tags, answer, extra.
    pub field_weights: [f32; STATIC_FIELDS],
    /// BM25F length normalisation of each field (0 = none, 1 = full).
    pub field_b: [f32; STATIC_FIELDS],
    /// BM25F weight of the learned-queries field (queries voted helpful for the article).
    pub learned_weight: f32,
    pub learned_b: f32,
    /// Query-term weight of a completion of the word still being typed (an exact word is 1).
    pub prefix_weight: f32,
    /// Completions of the last word kept (the most frequent), and words scanned to find them.
    pub max_completions: usize,
    pub completion_scan: usize,
    /// Query-term weight of a word one and two edits away from an unknown query word.
    pub typo_weights: [f32; 2],
    /// Typo candidates kept per query word.
    pub max_typos: usize,
    /// Query-term weight of a synonym's words, and of two adjacent query words written as one
    /// ("git hub" → "github").
    pub synonym_weight: f32,
    pub compound_weight: f32,
    /// Weight of the similarity of the query to queries voted helpful for an article, added to
    /// the article's text score (which is scaled so the best text match scores 1).
    pub learned_similarity_weight: f32,
    /// Each shared term counts idf^similarity_power in that similarity.
    pub similarity_power: f32,
    /// Add up an article's similarities over its voted queries (true) or take the best (false).
    pub similarity_sum: bool,
    /// How far an unhelpful vote pushes an article down for a similar query: its score is
    /// multiplied by `1 - negative_strength × similarity` (to the most similar such query).
    pub negative_strength: f32,
    /// Snippet length in bytes (about 160 characters of Latin text).
    pub snippet_bytes: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            // A high k1: FAQ questions are short and a paraphrase repeats few words, so a
            // second occurrence of a term in the answer still says a lot.
            k1: 3.0,
            field_weights: [4.0, 2.0, 0.5, 0.5],
            field_b: [0.75, 0.5, 0.5, 0.9],
            learned_weight: 1.0,
            learned_b: 0.75,
            prefix_weight: 0.5,
            max_completions: 16,
            completion_scan: 4096,
            typo_weights: [0.6, 0.4],
            max_typos: 8,
            synonym_weight: 0.6,
            compound_weight: 0.4,
            learned_similarity_weight: 0.25,
            similarity_power: 2.0,
            similarity_sum: false,
            negative_strength: 0.9,
            snippet_bytes: 160,
        }
    }
}

/// One article as the index keeps it: the question for highlighting, the plain answer text for
/// snippets, and each field's length in terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Doc {
    pub id: String,
    pub question: String,
    pub text: String,
    pub lens: [u32; STATIC_FIELDS],
}

/// A term's occurrences in one document, per static field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    pub doc: u32,
    pub tf: [u16; STATIC_FIELDS],
}

/// What the evidence says, as postings of a fifth field plus the unhelpful associations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Learned {
    /// term → (doc, weighted occurrences in helpful queries).
    pub postings: HashMap<u32, Vec<(u32, f32)>>,
    pub lens: Vec<f32>,
    /// Per document, the learned field's weight / length normalisation.
    pub factors: Vec<f32>,
    /// Every voted (article, query) with its net votes, for similarity to new queries.
    pub queries: Vec<LearnedQuery>,
    /// term → indices into `queries` of the queries with that term.
    pub by_term: HashMap<u32, Vec<u32>>,
    /// Folded words seen only in evidence queries → term id.
    pub words: BTreeMap<String, u32>,
}

/// One voted query for one article: its distinct terms, their IDF-weighted norm, and the net
/// votes (helpful minus unhelpful; never 0).
#[derive(Debug, Clone)]
pub(crate) struct LearnedQuery {
    pub doc: u32,
    pub terms: Vec<u32>,
    pub norm: f32,
    pub votes: i32,
}

/// A synonym group as stem sequences: a query containing any phrase also searches the others.
pub(crate) type SynonymGroup = Vec<Vec<String>>;

/// The search index. Build with [`Index::build`]; search with [`Index::search`]; ship with
/// [`Index::to_bytes`] / [`Index::from_bytes`].
#[derive(Debug)]
pub struct Index {
    pub(crate) params: Params,
    pub(crate) analyzer: Analyzer,
    pub(crate) docs: Vec<Doc>,
    pub(crate) doc_by_id: HashMap<String, u32>,
    /// Stems by term id: static terms first, then terms only learned queries have.
    pub(crate) terms: Vec<String>,
    pub(crate) term_ids: HashMap<String, u32>,
    pub(crate) static_terms: usize,
    pub(crate) postings: Vec<Vec<Posting>>,
    /// Per document and field, BM25F's weight / length normalisation (what one occurrence
    /// adds to the pseudo-frequency), computed once instead of per posting and query.
    pub(crate) field_factors: Vec<[f32; STATIC_FIELDS]>,
    /// Folded surface words of the articles → term id.
    pub(crate) static_vocab: Map<Vec<u8>>,
    /// `static_vocab` plus the words of learned queries (the same map when there are none).
    pub(crate) vocab: Map<Vec<u8>>,
    pub(crate) synonyms: Vec<Synonym>,
    pub(crate) synonym_groups: Vec<SynonymGroup>,
    pub(crate) evidence: Vec<Evidence>,
    pub(crate) learned: Learned,
}

impl Index {
    /// Builds the index with the default [`Params`].
    pub fn build(articles: &[Article], synonyms: &[Synonym], evidence: &[Evidence]) -> Index {
        Index::build_with(articles, synonyms, evidence, Params::default())
    }

    /// Builds the index. Articles with a repeated id keep the first; evidence naming an unknown
    /// article is kept (and listed) but has no effect until such an article exists.
    pub fn build_with(
        articles: &[Article],
        synonyms: &[Synonym],
        evidence: &[Evidence],
        params: Params,
    ) -> Index {
        let analyzer = Analyzer::default();
        let mut docs = Vec::with_capacity(articles.len());
        let mut doc_by_id = HashMap::new();
        // Stemming is the costly part of analysis; each distinct surface word is stemmed once.
        let mut words: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<Posting>> = Vec::new();
        let mut tf: HashMap<u32, [u16; STATIC_FIELDS]> = HashMap::new();
        for article in articles {
            if doc_by_id.contains_key(&article.id) {
                continue;
            }
            let doc = docs.len() as u32;
            let text = plain_text(&article.answer);
            let tags = article
                .tags
                .iter()
                .chain(&article.category)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            let extra = article
                .extra
                .iter()
                .map(|e| plain_text(e))
                .collect::<Vec<_>>()
                .join(" ");
            let mut lens = [0u32; STATIC_FIELDS];
            tf.clear();
            for (field, body) in [
                (QUESTION, article.question.as_str()),
                (TAGS, &tags),
                (ANSWER, &text),
                (EXTRA, &extra),
            ] {
                for_each_token(body, |t| {
                    if !indexable(&t.word) {
                        return;
                    }
                    let id = match words.get(&t.word) {
                        Some(&id) => id,
                        None => {
                            let stem = analyzer.stem(&t.word);
                            let id = *term_ids.entry(stem.clone()).or_insert_with(|| {
                                terms.push(stem);
                                postings.push(Vec::new());
                                (terms.len() - 1) as u32
                            });
                            words.insert(t.word, id);
                            id
                        }
                    };
                    let counts = tf.entry(id).or_default();
                    counts[field] = counts[field].saturating_add(1);
                    lens[field] += 1;
                });
            }
            for (&id, &counts) in &tf {
                postings[id as usize].push(Posting { doc, tf: counts });
            }
            doc_by_id.insert(article.id.clone(), doc);
            docs.push(Doc {
                id: article.id.clone(),
                question: article.question.clone(),
                text,
                lens,
            });
        }
        // HashMap order scrambled the docs within a posting list; searching relies on no order,
        // but the stored form is delta-coded and the results must not depend on hashing.
        for list in &mut postings {
            list.sort_unstable_by_key(|p| p.doc);
        }
        let mut sorted: Vec<(String, u32)> = words.into_iter().collect();
        sorted.sort_unstable();
        let static_vocab = Map::from_iter(sorted.into_iter().map(|(w, id)| (w, u64::from(id))))
            .expect("sorted unique keys always build an FST");
        Index::assemble(
            params,
            analyzer,
            docs,
            terms,
            postings,
            static_vocab,
            synonyms.to_vec(),
            evidence.to_vec(),
        )
    }

    /// Everything derived from the static parts, then the learned part from the evidence.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assemble(
        params: Params,
        analyzer: Analyzer,
        docs: Vec<Doc>,
        terms: Vec<String>,
        postings: Vec<Vec<Posting>>,
        static_vocab: Map<Vec<u8>>,
        synonyms: Vec<Synonym>,
        evidence: Vec<Evidence>,
    ) -> Index {
        let doc_by_id = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i as u32))
            .collect();
        let term_ids = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut avg_lens = [0f32; STATIC_FIELDS];
        for doc in &docs {
            for (avg, &len) in avg_lens.iter_mut().zip(&doc.lens) {
                *avg += len as f32;
            }
        }
        for avg in &mut avg_lens {
            *avg = (*avg / docs.len().max(1) as f32).max(1.0);
        }
        let field_factors = docs
            .iter()
            .map(|doc| {
                std::array::from_fn(|f| {
                    let b = params.field_b[f];
                    params.field_weights[f] / (1.0 - b + b * doc.lens[f] as f32 / avg_lens[f])
                })
            })
            .collect();
        let synonym_groups = synonyms
            .iter()
            .map(|s| {
                std::iter::once(&s.term)
                    .chain(&s.alternatives)
                    .map(|p| analyzer.terms(p))
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .collect();
        let mut index = Index {
            params,
            analyzer,
            static_terms: terms.len(),
            terms,
            term_ids,
            postings,
            field_factors,
            vocab: static_vocab.clone(),
            static_vocab,
            doc_by_id,
            docs,
            synonyms,
            synonym_groups,
            evidence,
            learned: Learned::default(),
        };
        index.relearn();
        index
    }

    /// The question of the article `id`, as it was given (main's help-search-web uses it to
    /// show a hit's question with its highlights).
    pub fn question(&self, id: &str) -> Option<&str> {
        self.doc_by_id
            .get(id)
            .map(|&doc| self.docs[doc as usize].question.as_str())
    }

    /// Number of articles indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Distinct words (folded surface forms) and distinct terms (stems) the index knows.
    pub fn vocabulary_size(&self) -> (usize, usize) {
        (self.vocab.len(), self.terms.len())
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The evidence the index learned from, in the order given.
    pub fn evidence(&self) -> &[Evidence] {
        &self.evidence
    }

    /// Learns from one more vote (as if the index had been built with it).
    pub fn add_evidence(&mut self, evidence: Evidence) {
        self.evidence.push(evidence);
        self.relearn();
    }

    /// Learns from more votes at once (one recomputation).
    pub fn extend_evidence(&mut self, evidence: impl IntoIterator<Item = Evidence>) {
        self.evidence.extend(evidence);
        self.relearn();
    }

    /// Forgets every vote for which `unwanted` is true; returns how many were removed. The
    /// index is then exactly as if built without them.
    pub fn remove_evidence(&mut self, mut unwanted: impl FnMut(&Evidence) -> bool) -> usize {
        let before = self.evidence.len();
        self.evidence.retain(|e| !unwanted(e));
        let removed = before - self.evidence.len();
        if removed > 0 {
            self.relearn();
        }
        removed
    }

    /// Recomputes the learned part from `self.evidence`. Votes are netted per (article, query
    /// terms): more helpful than unhelpful votes add the query's terms to the article's
    /// learned-queries field (so a *paraphrase* sharing some of those words — often words the
    /// article itself never uses — finds the article), weighted 1 + ln(net) so a popular query
    /// does not drown the article's own text; more unhelpful votes record the query's terms as a
    /// negative association that pushes the article down for similar queries.
    pub(crate) fn relearn(&mut self) {
        self.terms.truncate(self.static_terms);
        let static_terms = self.static_terms as u32;
        self.term_ids.retain(|_, id| *id < static_terms);
        let mut learned = Learned {
            lens: vec![0.0; self.docs.len()],
            ..Learned::default()
        };
        let mut net: BTreeMap<(u32, Vec<u32>), i32> = BTreeMap::new();
        for e in &self.evidence {
            let Some(&doc) = self.doc_by_id.get(&e.article) else {
                continue;
            };
            let mut ids = Vec::new();
            for_each_token(&e.query, |t| {
                if !indexable(&t.word) {
                    return;
                }
                let id = match self.static_vocab.get(&t.word) {
                    Some(id) => id as u32,
                    None => {
                        if let Some(&id) = learned.words.get(&t.word) {
                            id
                        } else {
                            let stem = self.analyzer.stem(&t.word);
                            let id = match self.term_ids.get(&stem) {
                                Some(&id) => id,
                                None => {
                                    self.terms.push(stem.clone());
                                    let id = (self.terms.len() - 1) as u32;
                                    self.term_ids.insert(stem, id);
                                    id
                                }
                            };
                            learned.words.insert(t.word, id);
                            id
                        }
                    }
                };
                ids.push(id);
            });
            if ids.is_empty() {
                continue;
            }
            *net.entry((doc, ids)).or_default() += if e.helpful { 1 } else { -1 };
        }
        let mut tf: BTreeMap<(u32, u32), f32> = BTreeMap::new();
        let mut voted = Vec::new();
        for ((doc, ids), votes) in net {
            if votes > 0 {
                let weight = 1.0 + (votes as f32).ln();
                for &id in &ids {
                    *tf.entry((id, doc)).or_default() += weight;
                }
                learned.lens[doc as usize] += weight * ids.len() as f32;
            }
            if votes != 0 {
                let mut terms = ids;
                terms.sort_unstable();
                terms.dedup();
                voted.push(LearnedQuery {
                    doc,
                    terms,
                    norm: 0.0,
                    votes,
                });
            }
        }
        for ((id, doc), weight) in tf {
            learned.postings.entry(id).or_default().push((doc, weight));
        }
        learned.queries = voted;
        let with_queries = learned.lens.iter().filter(|&&l| l > 0.0).count();
        let avg_len = if with_queries == 0 {
            1.0
        } else {
            learned.lens.iter().sum::<f32>() / with_queries as f32
        };
        let (weight, b) = (self.params.learned_weight, self.params.learned_b);
        learned.factors = learned
            .lens
            .iter()
            .map(|&len| weight / (1.0 - b + b * len / avg_len))
            .collect();
        self.vocab = if learned.words.is_empty() {
            self.static_vocab.clone()
        } else {
            let mut all: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            let mut stream = self.static_vocab.stream();
            while let Some((word, id)) = stream.next() {
                all.insert(word.to_vec(), id);
            }
            for (word, &id) in &learned.words {
                all.entry(word.as_bytes().to_vec()).or_insert(u64::from(id));
            }
            Map::from_iter(all).expect("sorted unique keys always build an FST")
        };
        self.learned = learned;
        // Norms need the document frequencies, which include the learned field just built.
        let mut queries = std::mem::take(&mut self.learned.queries);
        for (i, q) in queries.iter_mut().enumerate() {
            q.norm = q
                .terms
                .iter()
                .map(|&t| self.idf(t).powf(self.params.similarity_power))
                .sum();
            for &t in &q.terms {
                self.learned.by_term.entry(t).or_default().push(i as u32);
            }
        }
        self.learned.queries = queries;
    }

    /// BM25's inverse document frequency of term `id` over all fields.
    pub(crate) fn idf(&self, id: u32) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.doc_freq(id) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Number of documents with term `id` in any field, learned queries included.
    pub(crate) fn doc_freq(&self, id: u32) -> usize {
        let static_df = self.postings.get(id as usize).map_or(0, Vec::len);
        let learned_df = self.learned.postings.get(&id).map_or(0, Vec::len);
        static_df + learned_df
    }

    /// The term id of a folded surface word, if any article or learned query has it.
    pub(crate) fn word_id(&self, word: &str) -> Option<u32> {
        self.vocab.get(word).map(|id| id as u32)
    }

    /// Checks the invariants that searching relies on (used on load, where bytes may be bad).
    pub(crate) fn vocab_ids_valid(vocab: &Map<Vec<u8>>, terms: usize) -> bool {
        let mut stream = vocab.into_stream();
        while let Some((_, id)) = stream.next() {
            if id as usize >= terms {
                return false;
            }
        }
        true
    }
}
