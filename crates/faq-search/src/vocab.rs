//! The vocabulary: every folded surface word of the index in an `fst::Map` (word → term id),
//! searched by prefix (the word still being typed) and within a Levenshtein distance (typos).
//!
//! Typo search walks the FST with a dynamic-programming row as the automaton state instead of
//! fst's own `Levenshtein` automaton: that one determinises a DFA for each query word (for
//! distance 2 that costs milliseconds, which in wasm is most of a keystroke's budget), while a
//! row costs nothing to set up and the FST walk prunes every branch already over the distance.
//! The row is over bytes; the distance reported is recomputed over chars.

use fst::automaton::{Automaton, Str};
use fst::{IntoStreamer, Map, Streamer};

/// Longest query word (bytes) that typo search considers; longer words only match exactly.
const MAX_TYPO_BYTES: usize = 32;

/// Levenshtein distance ≤ `max` to `word`, as an FST automaton.
struct WithinDistance<'a> {
    word: &'a [u8],
    max: u8,
}

#[derive(Clone)]
struct Row {
    cells: [u8; MAX_TYPO_BYTES + 1],
}

impl Automaton for WithinDistance<'_> {
    type State = Option<Row>;

    fn start(&self) -> Option<Row> {
        let mut cells = [0u8; MAX_TYPO_BYTES + 1];
        for (i, c) in cells.iter_mut().enumerate().take(self.word.len() + 1) {
            *c = i as u8;
        }
        Some(Row { cells })
    }

    fn is_match(&self, state: &Option<Row>) -> bool {
        state
            .as_ref()
            .is_some_and(|r| r.cells[self.word.len()] <= self.max)
    }

    fn can_match(&self, state: &Option<Row>) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Option<Row>, byte: u8) -> Option<Row> {
        let prev = state.as_ref()?;
        let n = self.word.len();
        let mut cells = [0u8; MAX_TYPO_BYTES + 1];
        cells[0] = prev.cells[0].saturating_add(1);
        let mut best = cells[0];
        for i in 1..=n {
            let substitute = prev.cells[i - 1] + u8::from(self.word[i - 1] != byte);
            cells[i] = substitute.min(prev.cells[i] + 1).min(cells[i - 1] + 1);
            best = best.min(cells[i]);
        }
        (best <= self.max).then_some(Row { cells })
    }
}

/// Levenshtein distance over chars, stopping early above `max` (returns `max + 1` then).
pub fn char_distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        row[0] = i + 1;
        let mut best = row[0];
        for (j, &cb) in b.iter().enumerate() {
            row[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(row[j] + 1);
            best = best.min(row[j + 1]);
        }
        if best > max {
            return max + 1;
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// The typo budget for a query word: none below 4 chars (too many short words are one edit
/// apart), 1 from 4, 2 from 8.
pub fn typo_budget(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Words within `max` edits of `word` (excluding `word` itself): `(term id, distance)`, at most
/// `limit` of them, in FST (lexicographic) order.
pub fn typos(vocab: &Map<Vec<u8>>, word: &str, max: usize, limit: usize) -> Vec<(u32, usize)> {
    if max == 0 || word.len() > MAX_TYPO_BYTES {
        return Vec::new();
    }
    let automaton = WithinDistance {
        word: word.as_bytes(),
        max: max.min(3) as u8,
    };
    let mut stream = vocab.search(automaton).into_stream();
    let mut out = Vec::new();
    while let Some((key, id)) = stream.next() {
        let Ok(key) = std::str::from_utf8(key) else {
            continue;
        };
        let d = char_distance(word, key, max);
        if d > 0 && d <= max {
            out.push((id as u32, d));
            if out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// Words that start with `prefix` (including `prefix` itself if it is a word): term ids, at
/// most `scan` words looked at (a one-letter prefix of a large vocabulary is bounded work).
pub fn completions(vocab: &Map<Vec<u8>>, prefix: &str, scan: usize) -> Vec<(u32, usize)> {
    let mut stream = vocab.search(Str::new(prefix).starts_with()).into_stream();
    let mut out = Vec::new();
    while let Some((key, id)) = stream.next() {
        out.push((id as u32, key.len()));
        if out.len() >= scan {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[&str]) -> Map<Vec<u8>> {
        let mut w: Vec<&str> = words.to_vec();
        w.sort();
        Map::from_iter(w.iter().enumerate().map(|(i, w)| (*w, i as u64))).unwrap()
    }

    #[test]
    fn distance_counts_chars_not_bytes() {
        assert_eq!(char_distance("café", "cafe", 2), 1);
        assert_eq!(char_distance("delivery", "dilevery", 2), 2);
        assert_eq!(char_distance("abc", "xyzuvw", 1), 2);
    }

    #[test]
    fn typos_within_the_budget_are_found() {
        let v = vocab(&["delivery", "deliver", "bike", "hike", "like"]);
        // sorted ids: bike 0, deliver 1, delivery 2, hike 3, like 4
        assert_eq!(typos(&v, "delivry", 1, 10), [(2, 1)]);
        assert_eq!(typos(&v, "delivry", 2, 10), [(1, 2), (2, 1)]);
        assert_eq!(typos(&v, "bkie", 1, 10), []); // a swap is two edits
        assert!(typos(&v, "bike", 0, 10).is_empty());
    }

    #[test]
    fn completions_are_bounded() {
        let v = vocab(&["arrival", "arrive", "arrives", "bike"]);
        assert_eq!(completions(&v, "arri", 10).len(), 3);
        assert_eq!(completions(&v, "a", 2).len(), 2);
        assert_eq!(completions(&v, "", 100).len(), 4);
    }
}
