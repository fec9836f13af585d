//! A synthetic knowledge base for speed measurements: any number of bike-shop help articles
//! from a fixed seed, with shop vocabulary (orders, delivery, frames, batteries, …) mixed with
//! a long Zipf-distributed tail of made-up product and part names, so the vocabulary grows
//! with the article count as a real catalogue's does.

use crate::article::Article;
use crate::rng::Rng;

const NOUNS: &[&str] = &[
    "bike",
    "e-bike",
    "order",
    "delivery",
    "parcel",
    "frame",
    "wheel",
    "tyre",
    "brake",
    "battery",
    "charger",
    "saddle",
    "helmet",
    "warranty",
    "refund",
    "return",
    "invoice",
    "payment",
    "card",
    "voucher",
    "account",
    "password",
    "size",
    "colour",
    "gear",
    "chain",
    "pedal",
    "light",
    "lock",
    "rack",
    "basket",
    "mudguard",
    "courier",
    "tracking",
    "store",
    "pickup",
    "assembly",
    "service",
    "repair",
    "handlebar",
    "fork",
    "suspension",
    "motor",
    "display",
    "cassette",
    "derailleur",
    "spoke",
    "tube",
    "valve",
    "kickstand",
    "bell",
    "mirror",
    "trailer",
    "seatpost",
    "grip",
    "crank",
    "bottom bracket",
    "headset",
    "insurance",
    "finance",
    "subscription",
    "newsletter",
];
const VERBS: &[&str] = &[
    "arrive",
    "return",
    "change",
    "cancel",
    "track",
    "assemble",
    "charge",
    "replace",
    "adjust",
    "clean",
    "store",
    "pay",
    "register",
    "reset",
    "update",
    "fit",
    "order",
    "deliver",
    "exchange",
    "inflate",
    "tighten",
    "lubricate",
    "service",
    "upgrade",
    "insure",
    "collect",
    "ship",
    "lock",
];
const ADJECTIVES: &[&str] = &[
    "new",
    "damaged",
    "missing",
    "wrong",
    "late",
    "loose",
    "noisy",
    "flat",
    "broken",
    "electric",
    "folding",
    "cargo",
    "gravel",
    "carbon",
    "aluminium",
    "steel",
    "tubeless",
    "hydraulic",
    "wireless",
    "waterproof",
    "second-hand",
    "custom",
    "express",
    "international",
    "free",
];
const QUESTIONS: &[&str] = &[
    "How do I {verb} my {adj} {noun}?",
    "How long until my {noun} {verb}s?",
    "Can I {verb} the {noun} after {noun2} {name}?",
    "Why is my {noun} {adj} after {noun2}?",
    "What is the {noun} policy for {name} {noun2}s?",
    "Do you {verb} {adj} {noun}s to {place}?",
    "Where can I {verb} a {name} {noun}?",
    "Is the {name} {noun} compatible with a {adj} {noun2}?",
];
const SENTENCES: &[&str] = &[
    "Most {noun}s {verb} within {n} working days of your {noun2}.",
    "If your {noun} is {adj}, contact our service team with the {noun2} number.",
    "The {name} {noun} fits every {adj} {noun2} we sell since {year}.",
    "You can {verb} the {noun} yourself with a {name} tool, or bring it to a store.",
    "We {verb} {adj} {noun}s free of charge during the first {n} months.",
    "Check the {noun2} before you {verb} the {noun}; a {adj} {noun2} voids the warranty.",
    "Our couriers deliver to {place} from Monday to Saturday, tracking included.",
    "See the {name} manual for torque values of the {noun} and the {noun2}.",
    "Refunds for a {adj} {noun} reach your {noun2} in {n} days.",
];
const PLACES: &[&str] = &[
    "France",
    "Germany",
    "the Netherlands",
    "Belgium",
    "Spain",
    "Italy",
    "Austria",
    "Zürich",
    "Malmö",
    "Łódź",
    "the islands",
    "a pickup point",
    "your office",
];
const SYLLABLES: &[&str] = &[
    "ka", "ro", "vel", "tor", "mi", "zen", "lux", "pra", "dio", "nex", "ta", "qui", "bel", "sor",
    "fin", "gra", "vo", "lin", "ces", "mar", "ul", "tri", "xo", "den", "sha", "po", "rex", "ani",
];

/// A made-up name: two to four syllables, from the rank (so names are stable per rank).
fn name(rank: usize) -> String {
    let mut r = Rng::new(rank as u64 ^ 0xFAC5);
    let n = 2 + r.below(3);
    let mut s: String = (0..n).map(|_| r.pick(SYLLABLES)).collect();
    if r.chance(0.2) {
        s.push_str(&(r.below(90) + 10).to_string());
    }
    s
}

/// Zipf-like rank in `0..tail`: a uniformly drawn level L, then uniform within
/// [2^L − 1, 2^(L+1) − 1) — log-uniform, that is P(rank) ∝ 1/rank as in Zipf's law, and
/// integer-only so the same seed gives the same articles natively and in wasm (float `powf`
/// may differ in the last bit between the two).
fn zipf(r: &mut Rng, tail: usize) -> usize {
    let levels = usize::BITS - tail.leading_zeros();
    let low = (1usize << r.below(levels as usize)) - 1;
    (low + r.below(low + 1)).min(tail - 1)
}

fn fill(template: &str, r: &mut Rng, tail: usize) -> String {
    let mut out = template.to_owned();
    for (key, words) in [
        ("{noun2}", NOUNS),
        ("{noun}", NOUNS),
        ("{verb}", VERBS),
        ("{adj}", ADJECTIVES),
        ("{place}", PLACES),
    ] {
        while let Some(at) = out.find(key) {
            out.replace_range(at..at + key.len(), r.pick(words));
        }
    }
    while let Some(at) = out.find("{name}") {
        out.replace_range(at..at + 6, &name(zipf(r, tail)));
    }
    while let Some(at) = out.find("{n}") {
        out.replace_range(at..at + 3, &(2 + r.below(28)).to_string());
    }
    while let Some(at) = out.find("{year}") {
        out.replace_range(at..at + 6, &(2015 + r.below(11)).to_string());
    }
    out
}

/// `count` articles from `seed`: a templated question, an answer of three to eight sentences
/// (some with Markdown emphasis) and up to two extra notes.
pub fn knowledge_base(count: usize, seed: u64) -> Vec<Article> {
    let mut r = Rng::new(seed);
    let tail = (count * 20).max(100);
    (0..count)
        .map(|i| {
            let question = fill(r.pick(QUESTIONS), &mut r, tail);
            let sentences = 3 + r.below(6);
            let mut answer = String::new();
            for s in 0..sentences {
                if s > 0 {
                    answer.push(' ');
                }
                let sentence = fill(r.pick(SENTENCES), &mut r, tail);
                if r.chance(0.15) {
                    answer.push_str("**");
                    answer.push_str(&sentence);
                    answer.push_str("**");
                } else {
                    answer.push_str(&sentence);
                }
            }
            let extra = (0..r.below(3))
                .map(|_| fill(r.pick(SENTENCES), &mut r, tail))
                .collect();
            Article {
                id: format!("kb{i:05}"),
                question,
                answer,
                extra,
                category: Some(r.pick(NOUNS).to_string()),
                tags: Vec::new(),
            }
        })
        .collect()
}

/// Every prefix of `query`, one per typed character (what a search box sends per keystroke).
pub fn keystrokes(query: &str) -> Vec<&str> {
    query
        .char_indices()
        .map(|(i, c)| &query[..i + c.len_utf8()])
        .collect()
}
