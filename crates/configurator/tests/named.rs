//! The named API the storefront relies on, on a small bicycle rule set (examples/bike.json).

use std::collections::BTreeSet;
use std::sync::Arc;

use configurator::{
    Assessment, ChoiceError, Choices, Configurator, Limit, ModelError, OptionState, Rule, RuleSet,
};

fn bike() -> RuleSet {
    serde_json::from_str(include_str!("../examples/bike.json")).expect("bike.json parses")
}

fn engine() -> Configurator {
    Configurator::compile(&bike()).expect("bike compiles")
}

fn choices(pairs: &[(&str, &str)]) -> Choices {
    pairs
        .iter()
        .map(|(g, o)| (g.to_string(), o.to_string()))
        .collect()
}

fn stock(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(g, o)| (g.to_string(), o.to_string()))
        .collect()
}

fn option<'a>(a: &'a Assessment, group: &str, option: &str) -> &'a OptionState {
    a.groups
        .iter()
        .find(|g| g.group == group)
        .and_then(|g| g.options.iter().find(|o| o.option == option))
        .expect("option present")
}

#[test]
fn rule_set_round_trips_through_json_with_kind_tags() {
    let rs = bike();
    let text = serde_json::to_string(&rs).unwrap();
    assert!(text.contains("\"kind\":\"requires\""));
    assert!(text.contains("\"kind\":\"capacity\""));
    let back: RuleSet = serde_json::from_str(&text).unwrap();
    assert_eq!(back, rs);
}

#[test]
fn configurator_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Configurator>();
    let shared = Arc::new(engine());
    let other = Arc::clone(&shared);
    let handle = std::thread::spawn(move || other.count().to_string());
    assert_eq!(handle.join().unwrap(), shared.count().to_string());
}

#[test]
fn prices_that_add_up_beyond_64_bits_are_refused_naming_the_group() {
    let mut rs = bike();
    rs.groups[0].options[0].price = i64::MAX;
    rs.groups[1].options[0].price = i64::MAX;
    match Configurator::compile(&rs) {
        Err(err) => assert!(
            matches!(&err, ModelError::Invalid { rule, .. } if rule == "wheels"),
            "{err}"
        ),
        Ok(engine) => {
            let a = engine.assess(&Choices::new(), &BTreeSet::new());
            panic!("compiled, and assessed to {a:?}");
        }
    }
    let mut rs = bike();
    rs.price_tables[0].entries[0].amount = i64::MIN;
    rs.price_tables[1].entries[0].amount = i64::MIN;
    assert!(matches!(
        Configurator::compile(&rs),
        Err(ModelError::Invalid { rule, .. }) if rule == "touring-bundle"
    ));
}

#[test]
fn weights_that_add_up_beyond_64_bits_are_refused_naming_the_capacity_rule() {
    let mut rs = bike();
    for g in &mut rs.groups[1..3] {
        g.options[0]
            .attributes
            .insert("weight".into(), i64::MAX / 2 + 1);
    }
    assert!(matches!(
        Configurator::compile(&rs),
        Err(ModelError::Invalid { rule, .. }) if rule == "frame-load"
    ));
}

/// `groups` groups of four options that all weigh something, and one capacity rule over them.
fn heavy(groups: usize) -> RuleSet {
    let option = |j: i64| configurator::OptionDef {
        id: format!("o{j}"),
        name: format!("Option {j}"),
        price: j,
        lead_days: 0,
        attributes: [
            ("weight".to_string(), j + 1),
            ("max_load".to_string(), 1_000),
        ]
        .into_iter()
        .collect(),
    };
    RuleSet {
        version: 1,
        groups: (0..groups)
            .map(|i| configurator::Group {
                id: format!("g{i}"),
                name: format!("Group {i}"),
                optional: false,
                default: None,
                options: (0..4).map(option).collect(),
            })
            .collect(),
        rules: vec![Rule::Capacity {
            id: "load".into(),
            attribute: "weight".into(),
            limit_group: "g0".into(),
            limit_attribute: "max_load".into(),
            message: None,
        }],
        price_tables: Vec::new(),
    }
}

#[test]
fn a_rule_set_too_entangled_to_compile_is_refused_rather_than_compiled_for_hours() {
    // one capacity rule over 30 groups of 4 options: 4^30 combinations to enumerate
    let err = Configurator::compile_within(&heavy(30), 100_000).unwrap_err();
    assert_eq!(err, ModelError::TooComplex { steps: 100_000 });
    assert!(err.to_string().contains("100000"));
    // the same shape over 6 groups is small enough
    let engine = Configurator::compile_within(&heavy(6), 100_000).expect("compiles");
    assert_eq!(engine.count().to_string(), 4u64.pow(6).to_string());
    assert!(Configurator::compile(&heavy(6)).is_ok());
}

#[test]
fn compile_errors_name_the_rule_at_fault() {
    let mut rs = bike();
    rs.rules.push(Rule::Excludes {
        id: "typo".into(),
        all: vec![configurator::Condition {
            group: "frame".into(),
            any_of: vec!["titanium".into()],
        }],
        message: None,
    });
    let err = Configurator::compile(&rs).unwrap_err();
    assert!(
        matches!(&err, ModelError::UnknownOption { rule, option, .. } if rule == "typo" && option == "titanium")
    );
    assert!(err.to_string().contains("typo"));

    let mut rs = bike();
    rs.rules.push(Rule::Requires {
        id: "ghost".into(),
        when: vec![],
        then: configurator::Condition {
            group: "saddle".into(),
            any_of: vec!["x".into()],
        },
        message: None,
    });
    assert!(
        matches!(Configurator::compile(&rs), Err(ModelError::UnknownGroup { rule, .. }) if rule == "ghost")
    );

    let mut rs = bike();
    rs.groups.push(rs.groups[0].clone());
    assert_eq!(
        Configurator::compile(&rs).unwrap_err(),
        ModelError::DuplicateGroup("frame".into())
    );

    let mut rs = bike();
    rs.groups[1].options.clear();
    assert_eq!(
        Configurator::compile(&rs).unwrap_err(),
        ModelError::EmptyGroup("wheels".into())
    );

    let mut rs = bike();
    let dup = rs.groups[2].options[0].clone();
    rs.groups[2].options.push(dup);
    assert!(matches!(
        Configurator::compile(&rs),
        Err(ModelError::DuplicateOption { .. })
    ));

    let mut rs = bike();
    let again = rs.rules[0].clone();
    rs.rules.push(again);
    assert_eq!(
        Configurator::compile(&rs).unwrap_err(),
        ModelError::DuplicateRule("deep-needs-carbon".into())
    );

    let mut rs = bike();
    if let Rule::Table { allowed, .. } = &mut rs.rules[2] {
        allowed.push(vec!["w28".into()]);
    }
    assert!(
        matches!(Configurator::compile(&rs), Err(ModelError::Invalid { rule, .. }) if rule == "trail-brakes")
    );

    let mut rs = bike();
    rs.groups[0].default = Some("bamboo".into());
    assert!(matches!(
        Configurator::compile(&rs),
        Err(ModelError::UnknownOption { .. })
    ));

    let mut rs = bike();
    rs.version = 99;
    assert_eq!(
        Configurator::compile(&rs).unwrap_err(),
        ModelError::UnsupportedVersion(99)
    );
}

#[test]
fn requires_forces_the_required_option_and_explains_the_others() {
    let e = engine();
    let a = e
        .assess(&choices(&[("wheels", "deep")]), &BTreeSet::new())
        .unwrap();
    assert!(a.consistent);
    let frame = a.groups.iter().find(|g| g.group == "frame").unwrap();
    assert_eq!(frame.forced.as_deref(), Some("carbon"));
    let alu = option(&a, "frame", "alu");
    assert!(!alu.available);
    let reason = alu.reason.as_ref().unwrap();
    assert_eq!(
        reason.choices,
        vec![("wheels".to_string(), "deep".to_string())]
    );
    assert_eq!(reason.rules, vec!["deep-needs-carbon".to_string()]);
    assert_eq!(
        reason.message,
        "Not available with Wheels: Deep-section carbon (Deep-section wheels need the carbon frame)"
    );
    let repair = alu.repair.as_ref().unwrap();
    assert_eq!(repair.drop, vec!["wheels".to_string()]);
    assert_eq!(repair.message, "Change Wheels to make this available");
}

#[test]
fn an_option_that_needs_something_else_says_what_it_requires() {
    let e = engine();
    let a = e
        .assess(&choices(&[("frame", "alu")]), &BTreeSet::new())
        .unwrap();
    let deep = option(&a, "wheels", "deep");
    assert!(!deep.available);
    assert_eq!(
        deep.reason.as_ref().unwrap().message,
        "Requires Frame: Carbon race, not possible with Frame: Aluminium (Deep-section wheels need the carbon frame)"
    );
    assert_eq!(
        deep.repair.as_ref().unwrap().drop,
        vec!["frame".to_string()]
    );
}

#[test]
fn chosen_group_shows_which_alternatives_keep_the_other_choices() {
    let e = engine();
    let a = e
        .assess(
            &choices(&[("frame", "carbon"), ("wheels", "deep")]),
            &BTreeSet::new(),
        )
        .unwrap();
    // switching the frame away from carbon would break the deep wheels
    assert!(option(&a, "frame", "carbon").available);
    assert!(!option(&a, "frame", "steel").available);
    // switching wheels is fine
    assert!(option(&a, "wheels", "w28").available);
}

#[test]
fn excludes_and_chained_requires_are_explained_by_a_minimal_set_of_choices_and_rules() {
    let e = engine();
    let a = e
        .assess(
            &choices(&[("frame", "carbon"), ("brakes", "rim")]),
            &BTreeSet::new(),
        )
        .unwrap();
    let rack = a.groups.iter().find(|g| g.group == "rack").unwrap();
    assert_eq!(rack.forced.as_deref(), Some("none"));
    let light = option(&a, "rack", "light");
    assert!(!light.available);
    let reason = light.reason.as_ref().unwrap();
    assert_eq!(
        reason.choices,
        vec![("frame".to_string(), "carbon".to_string())]
    );
    assert_eq!(reason.rules, vec!["no-rack-on-carbon".to_string()]);
    assert_eq!(
        reason.message,
        "Not available with Frame: Carbon race (rule: no-rack-on-carbon)"
    );
    let panniers = option(&a, "bags", "panniers");
    let reason = panniers.reason.as_ref().unwrap();
    assert_eq!(
        reason.choices,
        vec![("frame".to_string(), "carbon".to_string())]
    );
    let mut rules = reason.rules.clone();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            "no-rack-on-carbon".to_string(),
            "panniers-need-rack".to_string()
        ]
    );
}

#[test]
fn compatibility_table_restricts_combinations() {
    let e = engine();
    let a = e
        .assess(&choices(&[("wheels", "w29")]), &BTreeSet::new())
        .unwrap();
    let rim = option(&a, "brakes", "rim");
    assert!(!rim.available);
    assert!(
        rim.reason
            .as_ref()
            .unwrap()
            .message
            .contains("Trail wheels only come with disc brakes")
    );
    assert_eq!(
        a.groups
            .iter()
            .find(|g| g.group == "brakes")
            .unwrap()
            .forced
            .as_deref(),
        Some("disc")
    );
}

#[test]
fn capacity_rule_limits_total_weight_by_the_frame() {
    let e = engine();
    // alu carries 12 kg: 1.8 frame + 2.0 wheels + 0.5 disc + 1.5 rack + 7.0 panniers = 12.8 kg
    let a = e
        .assess(
            &choices(&[("frame", "alu"), ("wheels", "w29"), ("rack", "heavy")]),
            &BTreeSet::new(),
        )
        .unwrap();
    let panniers = option(&a, "bags", "panniers");
    assert!(!panniers.available);
    let reason = panniers.reason.as_ref().unwrap();
    assert!(reason.rules.contains(&"frame-load".to_string()));
    assert!(reason.message.contains("Too heavy for this frame"));
    // a lighter rack makes room
    let b = e
        .assess(
            &choices(&[("frame", "alu"), ("wheels", "w28"), ("rack", "light")]),
            &BTreeSet::new(),
        )
        .unwrap();
    assert!(option(&b, "bags", "panniers").available);
}

#[test]
fn optional_groups_may_stay_empty_and_none_is_an_option() {
    let e = engine();
    let q = e
        .quote(
            &choices(&[("frame", "alu"), ("wheels", "w28"), ("brakes", "rim")]),
            &BTreeSet::new(),
        )
        .unwrap();
    assert_eq!(q.total, 40000 + 20000 + 5000);
    let q2 = e
        .quote(
            &choices(&[
                ("frame", "alu"),
                ("wheels", "w28"),
                ("brakes", "rim"),
                ("rack", "none"),
            ]),
            &BTreeSet::new(),
        )
        .unwrap();
    assert_eq!(q2, q);
    let bad = e
        .quote(
            &choices(&[
                ("frame", "alu"),
                ("wheels", "w28"),
                ("brakes", "rim"),
                ("bags", "panniers"),
                ("rack", "none"),
            ]),
            &BTreeSet::new(),
        )
        .unwrap_err();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].rule.as_deref(), Some("panniers-need-rack"));
}

#[test]
fn quote_reports_missing_groups_unknown_options_and_broken_rules() {
    let e = engine();
    let v = e
        .quote(&choices(&[("frame", "alu")]), &BTreeSet::new())
        .unwrap_err();
    let groups: Vec<_> = v.iter().filter_map(|x| x.group.clone()).collect();
    assert_eq!(groups, vec!["wheels".to_string(), "brakes".to_string()]);
    assert_eq!(v[0].message, "Choose a Wheels");
    let v = e
        .quote(
            &choices(&[
                ("frame", "bamboo"),
                ("wheels", "w28"),
                ("brakes", "rim"),
                ("horn", "loud"),
            ]),
            &BTreeSet::new(),
        )
        .unwrap_err();
    assert!(v.iter().any(|x| x.group.as_deref() == Some("frame")));
    assert!(v.iter().any(|x| x.group.as_deref() == Some("horn")));
    let v = e
        .quote(
            &choices(&[("frame", "alu"), ("wheels", "w29"), ("brakes", "rim")]),
            &BTreeSet::new(),
        )
        .unwrap_err();
    assert_eq!(v[0].rule.as_deref(), Some("trail-brakes"));
    assert_eq!(v[0].message, "Trail wheels only come with disc brakes");
}

#[test]
fn price_tables_add_surcharges_and_bundle_discounts() {
    let e = engine();
    let touring = choices(&[
        ("frame", "steel"),
        ("wheels", "w28"),
        ("brakes", "disc"),
        ("rack", "heavy"),
        ("bags", "panniers"),
    ]);
    let q = e.quote(&touring, &BTreeSet::new()).unwrap();
    assert!(
        q.lines
            .iter()
            .any(|l| l.label == "Touring bundle discount" && l.amount == -8000)
    );
    assert_eq!(q.total, 30000 + 20000 + 15000 + 9000 + 12000 - 8000);
    assert_eq!(q.total, q.lines.iter().map(|l| l.amount).sum::<i64>());
    let race = choices(&[("frame", "carbon"), ("wheels", "deep"), ("brakes", "disc")]);
    let q = e.quote(&race, &BTreeSet::new()).unwrap();
    assert!(
        q.lines
            .iter()
            .any(|l| l.label == "Disc mounts on carbon" && l.amount == 3000)
    );
    assert_eq!(q.total, 120000 + 90000 + 15000 + 3000);
}

#[test]
fn assessment_prices_choices_and_bounds_completions() {
    let e = engine();
    let a = e
        .assess(&choices(&[("frame", "carbon")]), &BTreeSet::new())
        .unwrap();
    assert_eq!(a.price_so_far, 120000);
    // cheapest: carbon + 28" + rim, no rack (excluded), no bags
    assert_eq!(a.min_price, Some(120000 + 20000 + 5000));
    // dearest: carbon + deep + disc (+ surcharge) + frame bag
    assert_eq!(a.max_price, Some(120000 + 90000 + 15000 + 3000 + 5000));
    assert!(!a.complete);
    let done = e
        .assess(
            &choices(&[("frame", "carbon"), ("wheels", "deep"), ("brakes", "disc")]),
            &BTreeSet::new(),
        )
        .unwrap();
    assert!(done.complete);
    assert_eq!(done.price_so_far, 120000 + 90000 + 15000 + 3000);
}

#[test]
fn out_of_stock_options_are_unavailable_and_block_what_needs_them() {
    let e = engine();
    let out = stock(&[("brakes", "disc")]);
    let a = e.assess(&Choices::new(), &out).unwrap();
    let disc = option(&a, "brakes", "disc");
    assert!(!disc.available);
    assert_eq!(disc.reason.as_ref().unwrap().message, "Out of stock");
    assert!(disc.repair.is_none());
    let w29 = option(&a, "wheels", "w29");
    assert!(!w29.available);
    assert_eq!(
        w29.reason.as_ref().unwrap().message,
        "Only possible with options that are out of stock"
    );
    let v = e
        .quote(
            &choices(&[("frame", "alu"), ("wheels", "w28"), ("brakes", "disc")]),
            &out,
        )
        .unwrap_err();
    assert_eq!(v[0].message, "Brakes: Disc brakes is out of stock");
    // stock entries the catalogue no longer knows are ignored
    assert!(
        e.assess(&Choices::new(), &stock(&[("horn", "loud")]))
            .is_ok()
    );
}

#[test]
fn inconsistent_choices_are_reported_not_hidden() {
    let e = engine();
    let a = e
        .assess(
            &choices(&[("frame", "alu"), ("wheels", "deep")]),
            &BTreeSet::new(),
        )
        .unwrap();
    assert!(!a.consistent);
    assert_eq!(a.min_price, None);
    // each chosen group tells which alternative would fix it
    assert!(option(&a, "frame", "carbon").available);
    assert!(option(&a, "wheels", "w28").available);
}

#[test]
fn unknown_choices_are_typed_errors_in_buyer_words() {
    let e = engine();
    let err = e
        .assess(&choices(&[("saddle", "gel")]), &BTreeSet::new())
        .unwrap_err();
    assert_eq!(err, ChoiceError::UnknownGroup("saddle".into()));
    assert_eq!(
        err.to_string(),
        "there is no option group `saddle` on this product"
    );
    let err = e
        .assess(&choices(&[("frame", "bamboo")]), &BTreeSet::new())
        .unwrap_err();
    assert!(matches!(err, ChoiceError::UnknownOption { .. }));
    assert!(
        e.cheapest_completion(&choices(&[("frame", "bamboo")]), &BTreeSet::new(), &[])
            .is_err()
    );
}

#[test]
fn defaults_fill_open_groups_only_while_still_available() {
    let e = engine();
    let d = e.with_defaults(&Choices::new(), &BTreeSet::new()).unwrap();
    assert_eq!(d, choices(&[("frame", "alu"), ("wheels", "w28")]));
    let d = e
        .with_defaults(&choices(&[("wheels", "deep")]), &BTreeSet::new())
        .unwrap();
    assert_eq!(
        d,
        choices(&[("wheels", "deep")]),
        "alu default would be a dead end with deep wheels"
    );
}

#[test]
fn cheapest_completion_respects_choices_budget_and_weight_limits() {
    let e = engine();
    let none = BTreeSet::new();
    let best = e
        .cheapest_completion(&Choices::new(), &none, &[])
        .unwrap()
        .unwrap();
    assert_eq!(e.quote(&best, &none).unwrap().total, 30000 + 20000 + 5000);
    let carbon = e
        .cheapest_completion(&choices(&[("frame", "carbon")]), &none, &[])
        .unwrap()
        .unwrap();
    assert_eq!(carbon["frame"], "carbon");
    assert_eq!(e.quote(&carbon, &none).unwrap().total, 145000);
    // steel is cheapest but heavy: a weight limit moves to another frame
    let light = e
        .cheapest_completion(
            &Choices::new(),
            &none,
            &[Limit::MaxAttribute {
                attribute: "weight".into(),
                max: 3800,
            }],
        )
        .unwrap()
        .unwrap();
    assert_ne!(light["frame"], "steel");
    let q = e.quote(&light, &none).unwrap();
    assert_eq!(q.total, 40000 + 20000 + 5000);
    assert_eq!(
        e.cheapest_completion(&Choices::new(), &none, &[Limit::MaxTotalPrice(50000)])
            .unwrap(),
        None
    );
    assert!(
        e.cheapest_completion(&Choices::new(), &none, &[Limit::MaxTotalPrice(55000)])
            .unwrap()
            .is_some()
    );
}

#[test]
fn validation_finds_dead_and_forced_options_with_their_rules() {
    let e = engine();
    let report = e.validate();
    assert!(report.satisfiable);
    assert!(report.dead.is_empty());
    assert_eq!(report.solutions, e.count().to_string());

    let mut rs = bike();
    rs.rules.push(Rule::Excludes {
        id: "no-deep-on-carbon".into(),
        all: vec![
            configurator::Condition {
                group: "frame".into(),
                any_of: vec!["carbon".into()],
            },
            configurator::Condition {
                group: "wheels".into(),
                any_of: vec!["deep".into()],
            },
        ],
        message: None,
    });
    let report = Configurator::compile(&rs).unwrap().validate();
    assert_eq!(report.dead.len(), 1);
    assert_eq!(
        (
            report.dead[0].group.as_str(),
            report.dead[0].option.as_str()
        ),
        ("wheels", "deep")
    );
    let mut rules = report.dead[0].rules.clone();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            "deep-needs-carbon".to_string(),
            "no-deep-on-carbon".to_string()
        ]
    );
    assert_eq!(
        report.dead[0].message,
        "Wheels: Deep-section carbon can never be chosen"
    );

    rs.rules.push(Rule::Requires {
        id: "always-disc".into(),
        when: vec![],
        then: configurator::Condition {
            group: "brakes".into(),
            any_of: vec!["disc".into()],
        },
        message: None,
    });
    let report = Configurator::compile(&rs).unwrap().validate();
    let forced: Vec<_> = report
        .forced
        .iter()
        .map(|f| (f.group.as_str(), f.option.as_str()))
        .collect();
    assert_eq!(forced, vec![("brakes", "disc")]);
    assert_eq!(report.forced[0].rules, vec!["always-disc".to_string()]);

    rs.rules.push(Rule::Requires {
        id: "always-rim".into(),
        when: vec![],
        then: configurator::Condition {
            group: "brakes".into(),
            any_of: vec!["rim".into()],
        },
        message: None,
    });
    let report = Configurator::compile(&rs).unwrap().validate();
    assert!(!report.satisfiable);
    let mut rules = report.conflicting_rules.clone();
    rules.sort();
    assert_eq!(
        rules,
        vec!["always-disc".to_string(), "always-rim".to_string()]
    );
    assert_eq!(report.solutions, "0");
}

#[test]
fn assessment_serialises_for_the_browser() {
    let e = engine();
    let a = e
        .assess(&choices(&[("wheels", "deep")]), &BTreeSet::new())
        .unwrap();
    let json = serde_json::to_string(&a).unwrap();
    let back: Assessment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn every_option_shows_its_best_price_with_the_other_choices() {
    let e = engine();
    let a = e
        .assess(&choices(&[("frame", "carbon")]), &BTreeSet::new())
        .unwrap();
    let best = |g: &str, o: &str| option(&a, g, o).best_price;
    // the chosen group's own choice is released: the cheapest bike with each frame
    assert_eq!(best("frame", "alu"), Some(40000 + 20000 + 5000));
    assert_eq!(best("frame", "steel"), Some(30000 + 20000 + 5000));
    assert_eq!(best("frame", "carbon"), Some(120000 + 20000 + 5000));
    // open groups keep the carbon frame: trail wheels need discs, which carry a surcharge
    assert_eq!(best("wheels", "w28"), Some(120000 + 20000 + 5000));
    assert_eq!(best("wheels", "w29"), Some(120000 + 25000 + 15000 + 3000));
    assert_eq!(best("wheels", "deep"), Some(120000 + 90000 + 5000));
    assert_eq!(best("brakes", "disc"), Some(120000 + 20000 + 15000 + 3000));
    // no rack on carbon, and panniers need a rack: unavailable, so no price
    assert_eq!(best("rack", "light"), None);
    assert_eq!(best("rack", "none"), Some(120000 + 20000 + 5000));
    assert_eq!(best("bags", "panniers"), None);
    assert_eq!(
        best("bags", "frame_bag"),
        Some(120000 + 20000 + 5000 + 5000)
    );
    for g in &a.groups {
        for o in &g.options {
            assert_eq!(
                o.best_price.is_some(),
                o.available,
                "{}={}",
                g.group,
                o.option
            );
        }
    }
    // out of stock counts as unavailable: the cheapest frame is then aluminium with discs
    let a = e
        .assess(
            &Choices::new(),
            &stock(&[("frame", "steel"), ("brakes", "rim")]),
        )
        .unwrap();
    assert_eq!(option(&a, "frame", "steel").best_price, None);
    assert_eq!(
        option(&a, "frame", "alu").best_price,
        Some(40000 + 20000 + 15000)
    );
    assert_eq!(a.min_price, Some(40000 + 20000 + 15000));
}

#[test]
fn an_option_state_without_a_best_price_still_parses() {
    let old = r#"{"option":"alu","available":true,"reason":null,"repair":null}"#;
    let state: OptionState = serde_json::from_str(old).expect("old JSON parses");
    assert_eq!(state.best_price, None);
    assert!(state.available);
}

#[test]
fn lead_time_is_the_longest_of_the_chosen_options() {
    let mut rules = bike();
    rules.groups[0].options[2].lead_days = 15; // carbon frame
    rules.groups[1].options[2].lead_days = 10; // deep-section wheels
    let e = Configurator::compile(&rules).unwrap();
    let race = choices(&[("frame", "carbon"), ("wheels", "deep"), ("brakes", "disc")]);
    assert_eq!(e.lead_days(&race), 15);
    let alu = choices(&[("frame", "alu"), ("wheels", "deep"), ("rack", "none")]);
    assert_eq!(e.lead_days(&alu), 10);
    assert_eq!(e.lead_days(&choices(&[("brakes", "rim")])), 0);
    assert_eq!(e.lead_days(&Choices::new()), 0);
    // zero days are left out of the JSON, and a rule set without them reads as zero
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(json.matches("lead_days").count(), 2);
    assert_eq!(bike().groups[0].options[0].lead_days, 0);
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

#[test]
fn recommender_trained_on_orders_suggests_what_similar_buyers_took() {
    let e = engine();
    let sold = [
        choices(&[
            ("frame", "steel"),
            ("wheels", "w28"),
            ("brakes", "disc"),
            ("rack", "heavy"),
            ("bags", "panniers"),
        ]),
        choices(&[
            ("frame", "steel"),
            ("wheels", "w29"),
            ("brakes", "disc"),
            ("rack", "heavy"),
            ("bags", "panniers"),
        ]),
        choices(&[
            ("frame", "steel"),
            ("wheels", "w28"),
            ("brakes", "disc"),
            ("rack", "light"),
            ("bags", "panniers"),
        ]),
        choices(&[("frame", "carbon"), ("wheels", "deep"), ("brakes", "rim")]),
        // no longer valid (no rack on carbon) and no longer known: both skipped
        choices(&[
            ("frame", "carbon"),
            ("wheels", "w28"),
            ("brakes", "rim"),
            ("rack", "light"),
        ]),
        choices(&[("frame", "titanium"), ("wheels", "w28"), ("brakes", "rim")]),
    ];
    let r = e.train_recommender(&sold);
    assert_eq!(r.sales(), 4);
    let all_brakes = strings(&["rim", "disc"]);
    // steel buyers all took discs and mostly the heavy rack; the carbon buyer took rim brakes
    let steel = choices(&[("frame", "steel")]);
    assert_eq!(
        r.popular(&e, &steel, "brakes", &all_brakes).as_deref(),
        Some("disc")
    );
    let racks = strings(&["light", "heavy", "none"]);
    assert_eq!(
        r.popular(&e, &steel, "rack", &racks).as_deref(),
        Some("heavy")
    );
    let carbon = choices(&[("frame", "carbon")]);
    assert_eq!(
        r.popular(&e, &carbon, "brakes", &all_brakes).as_deref(),
        Some("rim")
    );
    // only among the candidates offered
    assert_eq!(
        r.popular(&e, &steel, "brakes", &strings(&["rim"]))
            .as_deref(),
        Some("rim")
    );
    // nobody bought a frame bag: no history to go on
    assert_eq!(
        r.popular(&e, &steel, "bags", &strings(&["frame_bag"])),
        None
    );
    assert_eq!(
        r.popular(&e, &steel, "rack", &strings(&["light", "none"]))
            .as_deref(),
        Some("light")
    );
    // shipped to the browser as JSON, it answers the same
    let shipped: configurator::NamedRecommender =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(shipped, r);
    assert_eq!(
        shipped.popular(&e, &steel, "rack", &racks).as_deref(),
        Some("heavy")
    );
}

#[test]
fn recommender_without_history_recommends_nothing() {
    let e = engine();
    let r = e.train_recommender(&[]);
    assert_eq!(r.sales(), 0);
    let brakes = strings(&["rim", "disc"]);
    assert_eq!(r.popular(&e, &Choices::new(), "brakes", &brakes), None);
    // trained under other rules (another version of the product): no history for these
    let trained = e.train_recommender(&[choices(&[
        ("frame", "steel"),
        ("wheels", "w28"),
        ("brakes", "disc"),
    ])]);
    let mut rules = bike();
    rules.groups[2].options.push(configurator::OptionDef {
        id: "hydraulic".into(),
        name: "Hydraulic discs".into(),
        price: 20000,
        lead_days: 0,
        attributes: Default::default(),
    });
    let next = Configurator::compile(&rules).unwrap();
    assert_eq!(
        trained
            .popular(&e, &Choices::new(), "brakes", &brakes)
            .as_deref(),
        Some("disc")
    );
    assert_eq!(
        trained.popular(&next, &Choices::new(), "brakes", &brakes),
        None
    );
    assert_eq!(
        trained.popular(&e, &Choices::new(), "saddle", &brakes),
        None
    );
}
