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

/// `text` split at the byte ranges of matched words.
pub fn runs(text: &str, marks: &[std::ops::Range<usize>]) -> Vec<Run> {
    faq_search::split_marked(text, marks)
        .into_iter()
        .map(|(text, mark)| Run {
            text: text.to_owned(),
            mark,
        })
        .collect()
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
}
