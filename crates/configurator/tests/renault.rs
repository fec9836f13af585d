//! The Renault car-range rule sets from ../shared/bench/renault (skipped with a notice when the
//! shared data is absent, e.g. in a fresh clone; a failure on CI).

mod support;

use configurator::rng::Rng;
use configurator::{Compiled, Val, import_csp, import_prices};

use support::renault as data;

fn compiled(name: &str, prices: Option<&str>) -> Option<Compiled> {
    let mut p = import_csp(&data(name)?).expect("instance imports");
    if let Some(pr) = prices {
        import_prices(&mut p, &data(pr)?).expect("prices import");
    }
    Some(Compiled::new(p))
}

#[test]
fn small_has_172056_configurations() {
    let Some(c) = compiled("small.xml", None) else {
        return;
    };
    assert_eq!(c.count().to_string(), "172056");
}

#[test]
fn medium_has_278744_configurations_in_both_numberings() {
    let Some(c) = compiled("medium.xml", None) else {
        return;
    };
    assert_eq!(c.count().to_string(), "278744");
    let Some(c) = compiled("medium_domainsorted.xml", None) else {
        return;
    };
    assert_eq!(c.count().to_string(), "278744");
}

/// Along random sessions, every offered option has a valid configuration (checked against the
/// tables directly) and every hidden one is refuted by an independent cached search.
#[test]
fn propagation_on_medium_never_offers_dead_ends_nor_hides_options() {
    let Some(c) = compiled("medium.xml", None) else {
        return;
    };
    let p = c.problem();
    let mut rng = Rng::new(7);
    let active = vec![true; p.constraints.len()];
    for _ in 0..2 {
        let mut choices: Vec<Option<Val>> = vec![None; p.vars.len()];
        let mut order: Vec<u32> = (0..p.vars.len() as u32).collect();
        rng.shuffle(&mut order);
        for &v in order.iter().take(4) {
            let s = c.propagate(&choices);
            assert!(s.consistent);
            for (x, var) in p.vars.iter().enumerate() {
                for a in 0..var.values.len() as Val {
                    let mut with = choices.clone();
                    if with[x].is_some_and(|b| b != a) {
                        continue;
                    }
                    with[x] = Some(a);
                    let allowed = c.allowed_from(&with);
                    if s.flat[c.offsets().at(x as u32, a)] {
                        let (_, witness) = c
                            .optimum(&allowed, true)
                            .expect("offered option has a configuration");
                        assert!(p.is_valid(&witness));
                        assert_eq!(witness[x], a);
                    } else {
                        assert!(
                            !c.satisfiable_with(&active, &allowed),
                            "hidden option {x}={a} is possible"
                        );
                    }
                }
            }
            let live: Vec<Val> = (0..p.domain(v) as Val)
                .filter(|&a| s.flat[c.offsets().at(v, a)])
                .collect();
            choices[v as usize] = Some(live[rng.below(live.len())]);
        }
    }
}

/// The ILP completion reaches the diagram's exact minimum price on medium.
#[test]
fn cheapest_completion_on_medium_matches_the_exact_minimum() {
    let Some(c) = compiled("medium.xml", Some("mediumPrices.xml")) else {
        return;
    };
    let p = c.problem();
    let mut rng = Rng::new(3);
    let mut choices: Vec<Option<Val>> = vec![None; p.vars.len()];
    for step in 0..10 {
        let allowed = c.allowed_from(&choices);
        let (exact, _) = c.optimum(&allowed, true).expect("consistent");
        let (price, config) =
            configurator::ilp::cheapest(&c, &allowed, &[], None).expect("ILP finds a completion");
        assert_eq!(price, exact, "step {step}");
        assert!(p.is_valid(&config));
        assert_eq!(p.cost(&config), price);
        let s = c.propagate(&choices);
        let v = rng.below(p.vars.len());
        let live: Vec<Val> = (0..p.domain(v as u32) as Val)
            .filter(|&a| s.flat[c.offsets().at(v as u32, a)])
            .collect();
        choices[v] = Some(live[rng.below(live.len())]);
    }
}

/// Every option's best price on medium (one pass for all) equals the exact minimum with the
/// option forced (one optimisation per option), and is there exactly when propagation offers it.
#[test]
fn best_price_per_option_on_medium_matches_one_optimisation_per_option() {
    let Some(c) = compiled("medium.xml", Some("mediumPrices.xml")) else {
        return;
    };
    let p = c.problem();
    let mut rng = Rng::new(5);
    let mut choices: Vec<Option<Val>> = vec![None; p.vars.len()];
    for _ in 0..4 {
        let allowed = c.allowed_from(&choices);
        let best = c.best_cost_per_value(&allowed).expect("consistent");
        let s = c.propagate(&choices);
        for (x, var) in p.vars.iter().enumerate() {
            for a in 0..var.values.len() as Val {
                let i = c.offsets().at(x as u32, a);
                let mut only = allowed.clone();
                (0..var.values.len() as Val)
                    .filter(|&b| b != a)
                    .for_each(|b| only[c.offsets().at(x as u32, b)] = false);
                assert_eq!(best[i], c.optimum(&only, true).map(|o| o.0), "{x}={a}");
                assert_eq!(best[i].is_some(), s.flat[i], "{x}={a}");
            }
        }
        let v = rng.below(p.vars.len());
        let live: Vec<Val> = (0..p.domain(v as u32) as Val)
            .filter(|&a| s.flat[c.offsets().at(v as u32, a)])
            .collect();
        choices[v] = Some(live[rng.below(live.len())]);
    }
}
