//! Text analysis shared by indexing and querying: Unicode-aware tokens with byte offsets into
//! the original text, case and diacritic folding, English stop words and Snowball stemming.
//!
//! Both sides must analyse identically, so there is one [`Analyzer`] and every text — question,
//! answer, learned query, synonym phrase, search query — goes through [`Analyzer::tokens`].

use std::ops::Range;

use rust_stemmers::{Algorithm, Stemmer};

/// Longest token (in bytes of its folded form) that is indexed; longer runs are hashes, base64
/// or URLs squashed together, never words a shopper types.
pub const MAX_TOKEN_BYTES: usize = 40;

/// One word of a text: its folded form (lowercase, common diacritics removed) and where it is
/// in the original text (a byte range on char boundaries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub word: String,
    pub span: Range<usize>,
}

/// English words that say how a question is asked rather than what it is about. Negations
/// ("not", "no", "never", "without", "cannot", "dont", …) are deliberately *kept*: "bike does
/// not shift" and "bike shifts" are different problems, and they are rare enough in FAQ text
/// that their IDF keeps them cheap when they do not matter.
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "done", "each", "either", "etc", "for", "from", "get", "gets",
    "getting", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his",
    "how", "i", "if", "im", "in", "into", "is", "it", "its", "ive", "just", "let", "lets", "may",
    "me", "might", "mine", "more", "most", "much", "must", "my", "myself", "of", "on", "once",
    "one", "only", "or", "other", "our", "ours", "out", "own", "please", "s", "same", "shall",
    "she", "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "then", "there", "these", "they", "this", "those", "to", "too", "us", "very", "want", "was",
    "way", "we", "were", "what", "whats", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "you", "your", "yours", "yourself",
];

/// True for a folded word that carries no meaning of its own in a question.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Ideographs and kana have no spaces between words; each is its own token, so a CJK query
/// matches CJK text character by character instead of never (a whole sentence as one token).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0x20000..=0x2FFFF) // supplementary ideographs
}

/// Appends the folded form of `c` (lowercase, Latin diacritics removed) to `out`. A table of
/// the common letters is enough for shop text and needs no Unicode normalisation tables in the
/// wasm bundle; other letters are kept lowercased as they are.
fn fold_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for l in c.to_lowercase() {
        let folded: &str = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => {
                out.push(l);
                continue;
            }
        };
        out.push_str(folded);
    }
}

/// Splits `text` into words: runs of letters and digits (an apostrophe inside a word is
/// dropped, so "don't" is "dont" and "shop's" stems like "shops"), each CJK character alone.
/// Calls `each` with every token; never allocates more than one buffer per token.
pub fn for_each_token(text: &str, mut each: impl FnMut(Token)) {
    let mut word = String::new();
    let mut start = 0;
    let mut end = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_cjk(c) {
            if !word.is_empty() {
                each(Token {
                    word: std::mem::take(&mut word),
                    span: start..end,
                });
            }
            let mut w = String::new();
            w.push(c);
            each(Token {
                word: w,
                span: i..i + c.len_utf8(),
            });
        } else if c.is_alphanumeric() {
            if word.is_empty() {
                start = i;
            }
            fold_into(c, &mut word);
            end = i + c.len_utf8();
        } else if (c == '\'' || c == '’')
            && !word.is_empty()
            && chars
                .peek()
                .is_some_and(|&(_, n)| n.is_alphanumeric() && !is_cjk(n))
        {
            // inside a word: skip it, the word goes on
        } else if !word.is_empty() {
            each(Token {
                word: std::mem::take(&mut word),
                span: start..end,
            });
        }
    }
    if !word.is_empty() {
        each(Token {
            word,
            span: start..end,
        });
    }
}

/// All tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t));
    out
}

/// Stop words plus the Snowball English stemmer. Not serialised: it is rebuilt on load.
pub struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer(english)")
    }
}

impl Analyzer {
    /// The index term of a folded word: its Snowball English stem. Words with digits or
    /// non-Latin letters are kept as they are (the stemmer is for English words).
    pub fn stem(&self, word: &str) -> String {
        if word.bytes().all(|b| b.is_ascii_lowercase()) {
            self.stemmer.stem(word).into_owned()
        } else {
            word.to_owned()
        }
    }

    /// The index terms of a text, stop words and over-long tokens left out.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_token(text, |t| {
            if indexable(&t.word) {
                out.push(self.stem(&t.word));
            }
        });
        out
    }
}

/// True for a token that is worth indexing: not a stop word, not absurdly long.
pub fn indexable(word: &str) -> bool {
    word.len() <= MAX_TOKEN_BYTES && !is_stop_word(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tokens_are_lowercased_folded_and_keep_digits() {
        let words: Vec<String> = tokens("Crème Brûlée: 2 PIÈCES, Straße v2.1")
            .into_iter()
            .map(|t| t.word)
            .collect();
        assert_eq!(
            words,
            ["creme", "brulee", "2", "pieces", "strasse", "v2", "1"]
        );
    }

    #[test]
    fn token_spans_point_into_the_original_text() {
        let text = "¿Qué? 🚲 e-bike 自転車";
        for t in tokens(text) {
            assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
        }
        let spans: Vec<&str> = tokens(text).iter().map(|t| &text[t.span.clone()]).collect();
        assert_eq!(spans, ["Qué", "e", "bike", "自", "転", "車"]);
    }

    #[test]
    fn apostrophes_inside_words_join_them() {
        let words: Vec<String> = tokens("don't 'quoted' shop’s")
            .into_iter()
            .map(|t| t.word)
            .collect();
        assert_eq!(words, ["dont", "quoted", "shops"]);
    }

    #[test]
    fn stop_words_are_dropped_but_negations_kept() {
        let a = Analyzer::default();
        assert_eq!(
            a.terms("How do I get my bike to not squeak?"),
            ["bike", "not", "squeak"]
        );
    }

    #[test]
    fn stemming_conflates_inflections() {
        let a = Analyzer::default();
        assert_eq!(
            a.terms("arrives arriving arrived"),
            ["arriv", "arriv", "arriv"]
        );
        assert_eq!(a.stem("deliveries"), a.stem("delivery"));
        assert_eq!(a.stem("v2"), "v2");
    }
}
