//! The help centre's search in the browser. The page's script loads this module the first time
//! the search box is used, fetches the index the server built (its URL names its version, so it
//! is cached for good), and then asks [`HelpIndex::search`] on every keystroke: no request per
//! keystroke. Results come back as JSON with the matched words already split out, so the script
//! never does byte-offset arithmetic on UTF-16 strings.

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A run of text, marked when it is a matched word.
#[derive(Serialize, Debug, PartialEq)]
pub struct Run {
    pub text: String,
    pub mark: bool,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct Result {
    pub slug: String,
    pub question: Vec<Run>,
    pub snippet: Vec<Run>,
}

/// `text` split at the byte ranges of matched words (ranges off char boundaries are skipped).
pub fn runs(text: &str, marks: &[std::ops::Range<usize>]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in marks {
        if r.start < at
            || r.end <= r.start
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        if r.start > at {
            out.push(Run {
                text: text[at..r.start].to_owned(),
                mark: false,
            });
        }
        out.push(Run {
            text: text[r.clone()].to_owned(),
            mark: true,
        });
        at = r.end;
    }
    if at < text.len() {
        out.push(Run {
            text: text[at..].to_owned(),
            mark: false,
        });
    }
    out
}

/// The results of `query` as the page shows them.
pub fn results(index: &faq_search::Index, query: &str, limit: usize) -> Vec<Result> {
    index
        .search(query, limit)
        .into_iter()
        .filter_map(|hit| {
            let question = index.question(&hit.article)?.to_owned();
            Some(Result {
                question: runs(&question, &hit.question_highlights),
                snippet: runs(&hit.snippet, &hit.snippet_highlights),
                slug: hit.article,
            })
        })
        .collect()
}

#[wasm_bindgen]
pub struct HelpIndex(faq_search::Index);

#[wasm_bindgen]
impl HelpIndex {
    /// The index from the bytes the server sent.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> std::result::Result<HelpIndex, JsError> {
        faq_search::Index::from_bytes(bytes)
            .map(HelpIndex)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The best `limit` results for `query`, as JSON.
    pub fn search(&self, query: &str, limit: usize) -> String {
        serde_json::to_string(&results(&self.0, query, limit)).unwrap_or_else(|_| "[]".into())
    }

    pub fn articles(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faq_search::{Article, Index};

    #[test]
    fn results_travel_with_their_words_marked() {
        let index = Index::build(
            &[
                Article::new(
                    "bike-delivery",
                    "Wann kommt mein Fahrrad an?",
                    "Das Fahrrad kommt in zehn Arbeitstagen.",
                ),
                Article::new("returns", "Can I return a lamp?", "Yes, within 30 days."),
            ],
            &[],
            &[],
        );
        let bytes = index.to_bytes();
        let shipped = Index::from_bytes(&bytes).unwrap();
        let found = results(&shipped, "fahrrad", 5);
        assert_eq!(found[0].slug, "bike-delivery");
        assert!(
            found[0]
                .question
                .iter()
                .any(|r| r.mark && r.text == "Fahrrad"),
            "{:?}",
            found[0].question
        );
        let text: String = found[0].question.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(text, "Wann kommt mein Fahrrad an?");
    }

    #[test]
    fn runs_skip_ranges_that_would_split_a_character() {
        assert_eq!(
            runs("für", &[std::ops::Range { start: 2, end: 3 }]),
            vec![Run {
                text: "für".into(),
                mark: false
            }]
        );
        assert_eq!(runs("", &[std::ops::Range { start: 0, end: 1 }]), vec![]);
    }
}
