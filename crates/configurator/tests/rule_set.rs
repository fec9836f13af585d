//! XCSP instances and generated problems as the shop's rule sets: the same valid configurations
//! and the same prices as the problem compiled directly.

mod support;

use std::collections::{BTreeSet, HashMap};

use configurator::generate::{Shape, generate, to_rule_set};
use configurator::{
    Choices, Compiled, Configurator, Constraint, CostFn, Literal, Problem, RuleSet, Variable,
    import_csp, import_prices, import_rule_set,
};

use support::renault as data;

/// The rule set counts as many configurations as the problem, and its cheapest price (and its
/// dearest) are the problem's optimum.
fn assert_same(rules: &RuleSet, problem: Problem) -> String {
    let engine = Configurator::compile_within(rules, u64::MAX).expect("rule set compiles");
    let direct = Compiled::new(problem);
    let count = engine.count();
    assert_eq!(count, direct.count());
    let everything = vec![true; direct.offsets().total()];
    let a = engine.assess(&Choices::new(), &BTreeSet::new()).unwrap();
    assert_eq!(a.min_price, direct.optimum(&everything, true).map(|o| o.0));
    assert_eq!(a.max_price, direct.optimum(&everything, false).map(|o| o.0));
    let cheapest = engine
        .cheapest_completion(&Choices::new(), &BTreeSet::new(), &[])
        .unwrap()
        .expect("a cheapest configuration");
    assert_eq!(
        engine.quote(&cheapest, &BTreeSet::new()).map(|q| q.total),
        Ok(a.min_price.unwrap())
    );
    count.to_string()
}

#[test]
fn renault_medium_as_a_rule_set_has_the_same_configurations_and_prices() {
    let (Some(csp), Some(prices)) = (data("medium.xml"), data("mediumPrices.xml")) else {
        return;
    };
    let rules = import_rule_set(&csp, Some(&prices)).expect("medium imports");
    // it is what the storefront stores: it goes through JSON unchanged
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(serde_json::from_str::<RuleSet>(&json).unwrap(), rules);
    let mut problem = import_csp(&csp).unwrap();
    import_prices(&mut problem, &prices).unwrap();
    assert_eq!(assert_same(&rules, problem), "278744");
    // within the storefront's own compile limit
    assert!(Configurator::compile(&rules).is_ok());
}

#[test]
fn renault_small_without_prices_as_a_rule_set_has_the_same_configurations() {
    let Some(csp) = data("small.xml") else {
        return;
    };
    let rules = import_rule_set(&csp, None).expect("small imports");
    assert!(rules.price_tables.is_empty());
    assert_eq!(assert_same(&rules, import_csp(&csp).unwrap()), "172056");
}

#[test]
fn synthetic_large_instance_as_a_rule_set_has_the_same_configurations_and_prices() {
    let problem = generate(&Shape::large(1));
    let rules = to_rule_set(&problem);
    assert_eq!(rules.groups.len(), 270);
    assert_eq!(rules.rules.len(), 330);
    assert_same(&rules, problem);
}

/// Everything a problem can hold: forbidden combinations, capacity sums, a soft table with a
/// default cost, price entries, a constant, a value labelled `none` and repeated names.
#[test]
fn every_kind_of_constraint_and_price_converts_exactly() {
    let var = |name: &str, values: &[&str]| Variable {
        name: name.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let mut p = Problem::new(vec![
        var("a", &["none", "none_", "x"]),
        var("b", &["0", "1", "2"]),
        var("c", &["lo", "hi"]),
    ]);
    p.unary[0] = vec![5, 0, 7];
    p.unary[2] = vec![0, -3];
    p.constant = 11;
    p.constraints.push(Constraint::Table {
        name: "t".into(),
        scope: vec![0, 1],
        tuples: vec![vec![0, 0], vec![0, 1], vec![1, 2], vec![2, 1], vec![2, 2]],
    });
    p.constraints.push(Constraint::Forbid {
        name: "t".into(),
        literals: vec![
            Literal {
                var: 1,
                holds: vec![false, true, false],
            },
            Literal {
                var: 2,
                holds: vec![false, true],
            },
        ],
    });
    p.constraints.push(Constraint::Capacity {
        name: "cap".into(),
        terms: vec![(0, vec![1, 2, 3]), (1, vec![0, 1, 2])],
        limit_var: 2,
        limit: vec![3, 4],
    });
    p.costs.push(CostFn::Table {
        name: "soft".into(),
        scope: vec![1, 2],
        costs: HashMap::from([(vec![0, 0], 1), (vec![2, 1], 9), (vec![1, 1], 4)]),
        default: 4,
    });
    p.costs.push(CostFn::Entries {
        name: "soft".into(),
        scope: vec![0],
        entries: vec![(
            vec![Literal {
                var: 0,
                holds: vec![false, true, true],
            }],
            -2,
        )],
    });
    let rules = to_rule_set(&p);
    assert_eq!(
        rules.groups[0]
            .options
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        ["none__", "none_", "x"]
    );
    let ids: BTreeSet<&str> = rules
        .rules
        .iter()
        .map(|r| r.id())
        .chain(rules.price_tables.iter().map(|t| t.id.as_str()))
        .collect();
    assert_eq!(ids.len(), rules.rules.len() + rules.price_tables.len());
    // every configuration: valid in one exactly when in the other, at the same price
    let engine = Configurator::compile(&rules).unwrap();
    let mut valid = 0;
    for a in 0..3u16 {
        for b in 0..3u16 {
            for c in 0..2u16 {
                let config = [a, b, c];
                let named: Choices = rules
                    .groups
                    .iter()
                    .zip(config)
                    .map(|(g, v)| (g.id.clone(), g.options[v as usize].id.clone()))
                    .collect();
                let quote = engine.quote(&named, &BTreeSet::new());
                assert_eq!(quote.is_ok(), p.is_valid(&config), "{config:?}");
                if let Ok(q) = quote {
                    assert_eq!(q.total, p.cost(&config), "{config:?}");
                    valid += 1;
                }
            }
        }
    }
    assert!(valid > 0);
    assert_same(&rules, p);
}
