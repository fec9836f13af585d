//! Depth: a rule set whose structure is a 50,000-long chain compiles and is answered on a test
//! thread's default 2 MiB stack, so nothing on the way (pseudo tree, diagram search, passes over
//! the diagram, the search that finds responsible rules) recurses once per group.

use configurator::generate::chain;
use configurator::{Configurator, Val};

const GROUPS: usize = 50_000;

#[test]
fn a_chain_of_50000_groups_compiles_and_propagates_end_to_end() {
    let engine = Configurator::compile(&chain(GROUPS)).expect("the chain compiles");
    let c = engine.compiled();
    assert_eq!(c.stats().tree_depth, GROUPS);
    assert_eq!(engine.count().to_string(), (GROUPS + 1).to_string());

    // `a` at the head forces `a` all the way to the tail
    let (a, b): (Val, Val) = (0, 1);
    let last = GROUPS as u32 - 1;
    let mut choices = vec![None; GROUPS];
    choices[0] = Some(a);
    let s = c.propagate(&choices);
    assert!(s.consistent);
    assert!(s.flat[c.offsets().at(last, a)] && !s.flat[c.offsets().at(last, b)]);

    // cheapest and dearest completions run the whole chain too
    let all = vec![true; c.offsets().total()];
    assert_eq!(c.cost_bounds(&all), Some((0, GROUPS as i64)));

    // the independent cached search refutes `a` at the head with `b` at the tail
    let active = vec![true; c.problem().constraints.len()];
    choices[GROUPS - 1] = Some(b);
    assert!(!c.satisfiable_with(&active, &c.allowed_from(&choices)));
    choices[0] = Some(b);
    assert!(c.satisfiable_with(&active, &c.allowed_from(&choices)));
}

#[test]
fn validating_a_deep_chain_finds_nothing_wrong() {
    let report = Configurator::compile(&chain(GROUPS))
        .expect("the chain compiles")
        .validate();
    assert!(report.satisfiable);
    assert!(report.dead.is_empty() && report.forced.is_empty());
    assert_eq!(report.solutions, (GROUPS + 1).to_string());
}
