//! Explanations on demand (`assess_with`, `explain_option`) against the full `assess`, on the
//! bicycle rule set and on the Renault medium instance as a rule set (skipped with a notice when
//! ../shared is absent, a failure on CI).

mod support;

use std::collections::BTreeSet;

use configurator::rng::Rng;
use configurator::{ChoiceError, Choices, Configurator, Explain, RuleSet, import_rule_set};

fn bike() -> Configurator {
    let rules: RuleSet =
        serde_json::from_str(include_str!("../examples/bike.json")).expect("bike.json parses");
    Configurator::compile(&rules).expect("bike compiles")
}

fn options(engine: &Configurator, group: usize) -> Vec<String> {
    let g = &engine.rules().groups[group];
    let mut o: Vec<String> = g.options.iter().map(|o| o.id.clone()).collect();
    if g.optional {
        o.push("none".into());
    }
    o
}

#[test]
fn explanations_on_demand_equal_the_full_assessment_on_the_bike() {
    let engine = bike();
    let groups = &engine.rules().groups;
    let mut rng = Rng::new(11);
    let mut compared = 0;
    for _ in 0..400 {
        let (mut choices, mut stock, mut explained) =
            (Choices::new(), BTreeSet::new(), BTreeSet::new());
        for (gi, g) in groups.iter().enumerate() {
            let o = options(&engine, gi);
            if rng.chance(0.45) {
                choices.insert(g.id.clone(), o[rng.below(o.len())].clone());
            }
            if rng.chance(0.15) {
                stock.insert((
                    g.id.clone(),
                    g.options[rng.below(g.options.len())].id.clone(),
                ));
            }
            if rng.chance(0.4) {
                explained.insert(g.id.clone());
            }
        }
        compared += support::assert_explanations_on_demand_match_assess(
            &engine, &choices, &stock, &explained,
        );
    }
    assert!(
        compared > 1_000,
        "too few unavailable options compared: {compared}"
    );
}

#[test]
fn explain_option_refuses_names_the_rule_set_does_not_have() {
    let engine = bike();
    let none = BTreeSet::new();
    let unknown_group = engine.explain_option(&Choices::new(), &none, "sidecar", "big");
    assert_eq!(
        unknown_group,
        Err(ChoiceError::UnknownGroup("sidecar".into()))
    );
    let unknown_option = engine.explain_option(&Choices::new(), &none, "frame", "bamboo");
    assert!(matches!(
        unknown_option,
        Err(ChoiceError::UnknownOption { .. })
    ));
    let asked = Explain::Groups(BTreeSet::from(["sidecar".to_string()]));
    assert_eq!(
        engine.assess_with(&Choices::new(), &none, &asked),
        Err(ChoiceError::UnknownGroup("sidecar".into()))
    );
}

/// On medium the full `assess` takes seconds per click, so each click is compared group by
/// group: `explain_option` of every unavailable option of a few groups against
/// `assess_with(Groups({group}))`, which the tests above tie to `assess`; and
/// `assess_with(None)` against the same assessments outside the explanations. The last click
/// is also compared with the whole `assess`.
#[test]
fn explain_option_equals_the_assessment_on_renault_medium() {
    let (Some(csp), Some(prices)) = (
        support::renault("medium.xml"),
        support::renault("mediumPrices.xml"),
    ) else {
        return;
    };
    let rules = import_rule_set(&csp, Some(&prices)).expect("medium imports");
    let engine = Configurator::compile(&rules).expect("medium compiles");
    let none = BTreeSet::new();
    let mut rng = Rng::new(5);
    let mut choices = Choices::new();
    let mut compared = 0;
    for _click in 0..4 {
        let lazy = engine.assess_with(&choices, &none, &Explain::None).unwrap();
        assert!(lazy.consistent);
        // explain a few groups with unavailable options, a chosen one among them if any
        let mut candidates: Vec<usize> = (0..lazy.groups.len())
            .filter(|&g| lazy.groups[g].options.iter().any(|o| !o.available))
            .collect();
        rng.shuffle(&mut candidates);
        for &g in candidates.iter().take(2) {
            let group = &lazy.groups[g].group;
            let asked = Explain::Groups(BTreeSet::from([group.clone()]));
            let explained = engine.assess_with(&choices, &none, &asked).unwrap();
            let mut stripped = explained.clone();
            for o in &mut stripped.groups[g].options {
                (o.reason, o.repair) = (None, None);
            }
            assert_eq!(stripped, lazy, "only {group}'s explanations differ");
            for o in explained.groups[g].options.iter() {
                let on_demand = engine
                    .explain_option(&choices, &none, group, &o.option)
                    .unwrap();
                let expected =
                    (!o.available).then(|| (o.reason.clone().unwrap(), o.repair.clone()));
                assert_eq!(on_demand, expected, "{group}={} with {choices:?}", o.option);
                compared += usize::from(!o.available);
            }
        }
        // click: a random still-available option of a random open group
        let open: Vec<&configurator::GroupState> = lazy
            .groups
            .iter()
            .filter(|g| g.chosen.is_none() && g.forced.is_none())
            .collect();
        let Some(g) = open.get(rng.below(open.len().max(1))) else {
            break;
        };
        let live: Vec<&str> = g
            .options
            .iter()
            .filter(|o| o.available)
            .map(|o| o.option.as_str())
            .collect();
        choices.insert(g.group.clone(), live[rng.below(live.len())].to_string());
    }
    assert!(compared > 0, "no unavailable option compared");
    // and once against the whole assessment (seconds on medium): explain_option of a sample of
    // unavailable options, assess_with(None) outside the explanations
    let full = engine.assess(&choices, &none).unwrap();
    let lazy = engine.assess_with(&choices, &none, &Explain::None).unwrap();
    let mut unexplained = full.clone();
    for o in unexplained
        .groups
        .iter_mut()
        .flat_map(|g| g.options.iter_mut())
    {
        (o.reason, o.repair) = (None, None);
    }
    assert_eq!(
        lazy, unexplained,
        "assess_with(None) is assess without explanations"
    );
    let mut unavailable: Vec<(String, String, configurator::OptionState)> = full
        .groups
        .iter()
        .flat_map(|g| {
            g.options
                .iter()
                .filter(|o| !o.available)
                .map(|o| (g.group.clone(), o.option.clone(), o.clone()))
        })
        .collect();
    rng.shuffle(&mut unavailable);
    for (group, option, state) in unavailable.iter().take(25) {
        let on_demand = engine
            .explain_option(&choices, &none, group, option)
            .unwrap();
        assert_eq!(
            on_demand,
            Some((state.reason.clone().unwrap(), state.repair.clone())),
            "{group}={option} with {choices:?}"
        );
    }
}
