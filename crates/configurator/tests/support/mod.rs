//! The benchmark data beside the repository (`../shared`, next to the workspace root) for tests
//! and benches.
//!
//! A newcomer's clone has no `../shared`, so a missing file is a printed notice and a skip. On CI
//! (`CI=true`) the data is always laid out, so a missing file there is a failure: a data test
//! that silently skipped would pass without testing anything.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;

/// `../shared` relative to the workspace root. Cargo runs tests in the crate's directory; a
/// path fixed at compile time would go stale when the checkout moves but the build is reused.
pub fn shared_dir() -> PathBuf {
    PathBuf::from("../../../shared")
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

/// Explanations on demand against the full assessment: `assess_with(All)` is `assess`;
/// `assess_with(Groups(g))` and `assess_with(None)` agree with it everywhere except the
/// reason/repair of unexplained groups, where only "Out of stock" is kept; `explain_option` of
/// every option of every group is `assess`'s reason and repair (None when available). Returns
/// the number of unavailable options compared.
pub fn assert_explanations_on_demand_match_assess(
    engine: &configurator::Configurator,
    choices: &configurator::Choices,
    stock: &std::collections::BTreeSet<(String, String)>,
    explained: &std::collections::BTreeSet<String>,
) -> usize {
    use configurator::{Assessment, Explain};

    let full = engine.assess(choices, stock).expect("choices resolve");
    let all = engine.assess_with(choices, stock, &Explain::All).unwrap();
    assert_eq!(
        all, full,
        "Explain::All differs from assess for {choices:?}"
    );
    // what an assessment that explains only `explained` must be
    let lazy = |explained: &std::collections::BTreeSet<String>| -> Assessment {
        let mut a = full.clone();
        for g in a
            .groups
            .iter_mut()
            .filter(|g| !explained.contains(&g.group))
        {
            for o in &mut g.options {
                let sold_out = stock.contains(&(g.group.clone(), o.option.clone()));
                if !sold_out {
                    o.reason = None;
                }
                assert!(
                    !(sold_out && o.repair.is_some()),
                    "a sold-out option has no repair"
                );
                o.repair = None;
            }
        }
        a
    };
    let groups = engine
        .assess_with(choices, stock, &Explain::Groups(explained.clone()))
        .unwrap();
    assert_eq!(
        groups,
        lazy(explained),
        "Explain::Groups({explained:?}) for {choices:?}"
    );
    let none = engine.assess_with(choices, stock, &Explain::None).unwrap();
    assert_eq!(
        none,
        lazy(&Default::default()),
        "Explain::None for {choices:?}"
    );
    let mut compared = 0;
    for g in &full.groups {
        for o in &g.options {
            let on_demand = engine
                .explain_option(choices, stock, &g.group, &o.option)
                .unwrap();
            let expected = (!o.available).then(|| {
                (
                    o.reason
                        .clone()
                        .expect("assess explains every unavailable option"),
                    o.repair.clone(),
                )
            });
            assert_eq!(
                on_demand, expected,
                "explain_option({}, {}) for {choices:?}, stock {stock:?}",
                g.group, o.option
            );
            compared += usize::from(!o.available);
        }
    }
    compared
}
