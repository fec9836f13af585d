//! Highlights and snippets for a hit: byte ranges of the words that matched, found by running
//! the question and the answer text through the same tokeniser and vocabulary as the index, so
//! a highlighted word is exactly a word that scored (including completions and corrections).

use std::ops::Range;

use crate::analyze::{for_each_token, indexable};
use crate::index::Index;
use crate::search::Hit;

const ELLIPSIS: &str = "…";

/// `text` cut at a hit's highlight ranges into (run, matched) pieces, for a page to mark. A
/// range that is out of order or off a char boundary is skipped, never trusted.
pub fn split_marked<'a>(text: &'a str, marks: &[Range<usize>]) -> Vec<(&'a str, bool)> {
    let mut runs = Vec::new();
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
            runs.push((&text[at..r.start], false));
        }
        runs.push((&text[r.start..r.end], true));
        at = r.end;
    }
    if at < text.len() {
        runs.push((&text[at..], false));
    }
    runs
}

/// Which words of an article to highlight: those whose term is one the query matched. Built
/// once per search. Looking a word up in the vocabulary is the costly step, so a word is looked
/// up only if it begins with the first byte of a matched term — a Snowball stem keeps the first
/// letter of its word (not always the second: "dying" → "die"), and unstemmed terms are the
/// word itself.
pub(crate) struct Matcher {
    ids: Vec<u32>,
    heads: [bool; 256],
}

impl Matcher {
    pub(crate) fn new(index: &Index, ids: Vec<u32>) -> Matcher {
        let mut heads = [false; 256];
        for &id in &ids {
            if let Some(&first) = index
                .terms
                .get(id as usize)
                .and_then(|t| t.as_bytes().first())
            {
                heads[first as usize] = true;
            }
        }
        Matcher { ids, heads }
    }

    fn may_match(&self, word: &str) -> bool {
        word.as_bytes()
            .first()
            .is_some_and(|&b| self.heads[b as usize])
    }
}

impl Index {
    fn is_match(&self, word: &str, matcher: &Matcher) -> bool {
        indexable(word)
            && matcher.may_match(word)
            && self
                .word_id(word)
                .is_some_and(|id| matcher.ids.binary_search(&id).is_ok())
    }

    /// Spans of the words of `text` whose term the query matched.
    fn matched_spans(&self, text: &str, matcher: &Matcher) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        for_each_token(text, |t| {
            if self.is_match(&t.word, matcher) {
                spans.push(t.span);
            }
        });
        spans
    }

    pub(crate) fn hit(&self, doc: u32, score: f32, matcher: &Matcher) -> Hit {
        let doc = &self.docs[doc as usize];
        let question_highlights = self.matched_spans(&doc.question, matcher);
        let (snippet, snippet_highlights) = self.snippet(&doc.text, matcher);
        Hit {
            article: doc.id.clone(),
            score,
            question_highlights,
            snippet,
            snippet_highlights,
        }
    }

    /// The window of about `snippet_bytes` of `text` with the most matched words (the first
    /// such window), starting a word or two before the first of them, cut at word ends.
    fn snippet(&self, text: &str, matcher: &Matcher) -> (String, Vec<Range<usize>>) {
        let budget = self.params.snippet_bytes.max(16);
        let mut words: Vec<Range<usize>> = Vec::new();
        let mut spans: Vec<Range<usize>> = Vec::new();
        for_each_token(text, |t| {
            if self.is_match(&t.word, matcher) {
                spans.push(t.span.clone());
            }
            words.push(t.span);
        });
        if text.len() <= budget {
            return (text.to_owned(), spans);
        }
        // Best window: the matched word to start from that has most matched words within budget.
        let mut best = (0, 0usize);
        for (i, s) in spans.iter().enumerate() {
            let count = spans[i..]
                .iter()
                .take_while(|e| e.end <= s.start + budget)
                .count();
            if count > best.1 {
                best = (i, count);
            }
        }
        let mut start = spans.get(best.0).map_or(0, |s| s.start);
        // A little context before the first matched word, from the start of a word.
        if let Some(w) = words
            .iter()
            .rev()
            .find(|w| w.start < start && start - w.start <= budget / 5)
        {
            start = w.start;
        }
        if start > 0 && start < budget / 4 {
            start = 0;
        }
        let limit = start + budget;
        let end = words
            .iter()
            .rev()
            .find(|w| w.start >= start && w.end <= limit)
            .map(|w| w.end)
            .unwrap_or_else(|| floor_boundary(text, limit.min(text.len())));
        let end = if text.len() <= limit {
            text.len()
        } else {
            end.max(start)
        };
        let mut snippet = String::new();
        // Ranges in the snippet are ranges in `text`, less `start`, plus the leading ellipsis.
        let offset = if start > 0 {
            snippet.push_str(ELLIPSIS);
            ELLIPSIS.len()
        } else {
            0
        };
        snippet.push_str(&text[start..end]);
        if end < text.len() {
            snippet.push_str(ELLIPSIS);
        }
        let highlights = spans
            .into_iter()
            .filter(|s| s.start >= start && s.end <= end)
            .map(|s| s.start - start + offset..s.end - start + offset)
            .collect();
        (snippet, highlights)
    }
}

/// The largest char boundary of `text` at or below `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod split_tests {
    use std::ops::Range;

    use super::split_marked;

    #[test]
    fn marks_split_text_on_char_boundaries_only() {
        let text = "Wie lange dauert die Lieferung für Fahrräder?";
        let start = text.find("Fahrräder").unwrap();
        let runs = split_marked(
            text,
            &[Range {
                start,
                end: start + "Fahrräder".len(),
            }],
        );
        assert_eq!(runs[1], ("Fahrräder", true));
        // A range inside "ä" is skipped, not a panic.
        let inside = text.find('ä').unwrap() + 1;
        assert_eq!(
            split_marked(
                text,
                &[Range {
                    start: inside,
                    end: inside + 2
                }]
            ),
            vec![(text, false)]
        );
        assert_eq!(split_marked("", &[Range { start: 0, end: 3 }]), vec![]);
        assert_eq!(
            split_marked("für", &[Range { start: 2, end: 3 }]),
            vec![("für", false)]
        );
    }
}

#[cfg(test)]
mod tests {
    use fst::Streamer;

    use crate::analyze::Analyzer;
    use crate::generate::knowledge_base;
    use crate::index::Index;

    /// The shortcut in [`super::Matcher`] relies on this: a word and its term share their
    /// first byte. Checked on tricky English forms and on every word of an index (of
    /// StackFAQ too when ../shared is present).
    #[test]
    fn a_term_keeps_the_first_byte_of_its_word() {
        let analyzer = Analyzer::default();
        let tricky = [
            "skies",
            "dying",
            "lying",
            "tying",
            "idly",
            "gently",
            "ugly",
            "early",
            "only",
            "singly",
            "news",
            "yelling",
            "yes",
            "eyes",
            "ties",
            "cries",
            "happy",
            "agreed",
            "generously",
            "communism",
            "ied",
        ];
        for w in tricky {
            let stem = analyzer.stem(w);
            assert_eq!(w.as_bytes()[0], stem.as_bytes()[0], "{w} → {stem}");
        }
        let mut indexes = vec![Index::build(&knowledge_base(300, 3), &[], &[])];
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/faq");
        if let Ok(json) = std::fs::read_to_string(dir.join("stackfaq_articles.json")) {
            indexes.push(Index::build(
                &crate::eval::parse_articles(&json).unwrap(),
                &[],
                &[],
            ));
        }
        for index in &indexes {
            let mut words = index.vocab.stream();
            while let Some((word, id)) = words.next() {
                let stem = index.terms[id as usize].as_bytes();
                assert_eq!(word[0], stem[0], "{word:?} → {stem:?}");
            }
        }
    }
}
