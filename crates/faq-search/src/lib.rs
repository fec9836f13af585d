//! Atelier's help-centre FAQ search: a small in-memory index over help articles that ranks
//! with BM25F (question above tags above answer above extra text), understands questions in
//! plain English (stop words, Snowball stemming, caller-supplied synonyms), completes the word
//! being typed, forgives typos, highlights what matched, and learns from "Did this help?"
//! votes. Pure Rust with no threads, clock or filesystem, so the same code runs on the server
//! and in the browser (wasm32-unknown-unknown).
//!
//! Start with [`Index::build`] and [`Index::search`]; ship an index with [`Index::to_bytes`] and
//! [`Index::from_bytes`].

pub mod analyze;
pub mod article;
pub mod eval;
pub mod generate;
mod highlight;
pub mod index;
pub mod markup;
pub mod rng;
mod search;
pub mod store;
pub mod vocab;

pub use article::{Article, Evidence, Synonym};
pub use highlight::split_marked;
pub use index::{Index, Params};
pub use search::{Hit, MAX_QUERY_BYTES, MAX_QUERY_WORDS};
pub use store::LoadError;
