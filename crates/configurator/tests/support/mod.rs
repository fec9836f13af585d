//! The benchmark data beside the repository (`../shared`, next to the workspace root) for tests
//! and benches.
//!
//! A newcomer's clone has no `../shared`, so a missing file is a printed notice and a skip. On CI
//! (`CI=true`) the data is always laid out, so a missing file there is a failure: a data test
//! that silently skipped would pass without testing anything.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;

/// `../shared` relative to the workspace root.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Is this a CI run, where shared data must be present?
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A file of `shared/bench/renault`, or `None` with a notice when absent (a panic on CI).
pub fn renault(name: &str) -> Option<String> {
    let path = shared_dir().join("bench/renault").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if on_ci() => panic!(
            "CI=true but {} cannot be read ({e}); CI must have ../shared",
            path.display()
        ),
        Err(_) => {
            println!(
                "skipping: {} not found (shared benchmark data absent)",
                path.display()
            );
            None
        }
    }
}
