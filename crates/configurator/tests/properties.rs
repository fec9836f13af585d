//! Property tests: on many small random rule sets, propagation, explanations, repairs, prices,
//! optimal completion and counting agree with brute-force enumeration, evaluated here straight
//! from the rule set's meaning (independently of the engine's lowering).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use configurator::rng::Rng;
use configurator::{
    Choices, Condition, Configurator, Group, Limit, OptionDef, PriceEntry, PriceTable, Rule,
    RuleSet,
};

fn options_of(g: &Group) -> Vec<String> {
    let mut o: Vec<String> = g.options.iter().map(|o| o.id.clone()).collect();
    if g.optional {
        o.push("none".into());
    }
    o
}

fn random_condition(rng: &mut Rng, groups: &[Group]) -> Condition {
    let g = &groups[rng.below(groups.len())];
    let opts = options_of(g);
    let mut any_of: Vec<String> = opts.iter().filter(|_| rng.chance(0.4)).cloned().collect();
    if any_of.is_empty() {
        any_of.push(opts[rng.below(opts.len())].clone());
    }
    Condition {
        group: g.id.clone(),
        any_of,
    }
}

fn random_rules(seed: u64) -> RuleSet {
    let mut rng = Rng::new(seed);
    let n = 2 + rng.below(4);
    let groups: Vec<Group> = (0..n)
        .map(|i| {
            let k = 1 + rng.below(3);
            Group {
                id: format!("g{i}"),
                name: format!("Group {i}"),
                optional: rng.chance(0.3),
                default: None,
                options: (0..k)
                    .map(|j| OptionDef {
                        id: format!("o{j}"),
                        name: format!("Option {i}.{j}"),
                        price: rng.below(5) as i64 * 10,
                        lead_days: 0,
                        attributes: [
                            ("weight".to_string(), rng.below(4) as i64),
                            ("cap".to_string(), 2 + rng.below(6) as i64),
                        ]
                        .into_iter()
                        .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut rules = Vec::new();
    for r in 0..rng.below(5) {
        let id = format!("r{r}");
        let rule = match rng.below(4) {
            0 => Rule::Requires {
                id,
                when: (0..1 + rng.below(2))
                    .map(|_| random_condition(&mut rng, &groups))
                    .collect(),
                then: random_condition(&mut rng, &groups),
                message: None,
            },
            1 => Rule::Excludes {
                id,
                all: (0..1 + rng.below(2))
                    .map(|_| random_condition(&mut rng, &groups))
                    .collect(),
                message: None,
            },
            2 => {
                let a = rng.below(n);
                let b = (a + 1 + rng.below(n - 1)) % n;
                let oa = options_of(&groups[a]);
                let ob = options_of(&groups[b]);
                let mut allowed = Vec::new();
                for x in &oa {
                    for y in &ob {
                        if rng.chance(0.6) {
                            allowed.push(vec![x.clone(), y.clone()]);
                        }
                    }
                }
                Rule::Table {
                    id,
                    groups: vec![groups[a].id.clone(), groups[b].id.clone()],
                    allowed,
                    message: None,
                }
            }
            _ => Rule::Capacity {
                id,
                attribute: "weight".into(),
                limit_group: groups[rng.below(n)].id.clone(),
                limit_attribute: "cap".into(),
                message: None,
            },
        };
        rules.push(rule);
    }
    let price_tables = (0..rng.below(3))
        .map(|t| PriceTable {
            id: format!("p{t}"),
            name: format!("Bundle {t}"),
            entries: (0..1 + rng.below(2))
                .map(|_| PriceEntry {
                    when: (0..1 + rng.below(2))
                        .map(|_| random_condition(&mut rng, &groups))
                        .collect(),
                    amount: rng.below(7) as i64 * 5 - 15,
                })
                .collect(),
        })
        .collect();
    RuleSet {
        version: 1,
        groups,
        rules,
        price_tables,
    }
}

fn holds(c: &Condition, config: &Choices) -> bool {
    c.any_of.contains(&config[&c.group])
}

fn attr(rs: &RuleSet, group: &str, option: &str, name: &str) -> i64 {
    rs.groups
        .iter()
        .find(|g| g.id == group)
        .and_then(|g| g.options.iter().find(|o| o.id == option))
        .and_then(|o| o.attributes.get(name).copied())
        .unwrap_or(0)
}

/// The meaning of a rule set, written directly.
fn valid(rs: &RuleSet, config: &Choices) -> bool {
    rs.rules.iter().all(|r| match r {
        Rule::Requires { when, then, .. } => {
            !when.iter().all(|c| holds(c, config)) || holds(then, config)
        }
        Rule::Excludes { all, .. } => !all.iter().all(|c| holds(c, config)),
        Rule::Table {
            groups, allowed, ..
        } => allowed
            .iter()
            .any(|row| groups.iter().zip(row).all(|(g, o)| &config[g] == o)),
        Rule::Capacity {
            attribute,
            limit_group,
            limit_attribute,
            ..
        } => {
            let sum: i64 = config.iter().map(|(g, o)| attr(rs, g, o, attribute)).sum();
            sum <= attr(rs, limit_group, &config[limit_group], limit_attribute)
        }
    })
}

fn price(rs: &RuleSet, config: &Choices) -> i64 {
    let options: i64 = config
        .iter()
        .map(|(g, o)| {
            rs.groups
                .iter()
                .find(|x| &x.id == g)
                .and_then(|x| x.options.iter().find(|y| &y.id == o))
                .map_or(0, |y| y.price)
        })
        .sum();
    let tables: i64 = rs
        .price_tables
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| e.when.iter().all(|c| holds(c, config)))
        .map(|e| e.amount)
        .sum();
    options + tables
}

fn all_configs(rs: &RuleSet) -> Vec<Choices> {
    let mut out = vec![Choices::new()];
    for g in &rs.groups {
        let mut next = Vec::new();
        for c in &out {
            for o in options_of(g) {
                let mut c2 = c.clone();
                c2.insert(g.id.clone(), o);
                next.push(c2);
            }
        }
        out = next;
    }
    out
}

fn extends(config: &Choices, partial: &Choices) -> bool {
    partial.iter().all(|(g, o)| &config[g] == o)
}

fn in_stock(config: &Choices, stock: &BTreeSet<(String, String)>) -> bool {
    config
        .iter()
        .all(|(g, o)| !stock.contains(&(g.clone(), o.clone())))
}

fn possible(
    valid_configs: &[Choices],
    partial: &Choices,
    stock: &BTreeSet<(String, String)>,
) -> bool {
    valid_configs
        .iter()
        .any(|c| extends(c, partial) && in_stock(c, stock))
}

#[test]
fn engine_agrees_with_brute_force_on_random_rule_sets() {
    let mut checked_explanations = 0;
    let mut checked_repairs = 0;
    for seed in 0..300u64 {
        let rs = random_rules(seed);
        let cfg = Configurator::compile(&rs).expect("random rule sets are well formed");
        let configs = all_configs(&rs);
        let valid_configs: Vec<Choices> =
            configs.iter().filter(|c| valid(&rs, c)).cloned().collect();
        assert_eq!(
            cfg.count().to_string(),
            valid_configs.len().to_string(),
            "count, seed {seed}"
        );

        // quote: valid configurations are priced, invalid ones refused
        for c in &configs {
            match cfg.quote(c, &BTreeSet::new()) {
                Ok(q) => {
                    assert!(
                        valid(&rs, c),
                        "quote accepted an invalid configuration, seed {seed}"
                    );
                    assert_eq!(q.total, price(&rs, c), "quote total, seed {seed}");
                }
                Err(v) => {
                    assert!(
                        !valid(&rs, c),
                        "quote refused a valid configuration, seed {seed}: {v:?}"
                    );
                    assert!(!v.is_empty());
                }
            }
        }

        let mut rng = Rng::new(seed * 7 + 1);
        for _ in 0..4 {
            let mut choices = Choices::new();
            for g in &rs.groups {
                if rng.chance(0.4) {
                    let o = options_of(g);
                    choices.insert(g.id.clone(), o[rng.below(o.len())].clone());
                }
            }
            let mut stock = BTreeSet::new();
            if rng.chance(0.3) {
                let g = &rs.groups[rng.below(rs.groups.len())];
                stock.insert((
                    g.id.clone(),
                    g.options[rng.below(g.options.len())].id.clone(),
                ));
            }
            let a = cfg.assess(&choices, &stock).unwrap();
            assert_eq!(
                a.consistent,
                possible(&valid_configs, &choices, &stock),
                "consistent, seed {seed}"
            );
            let completions: Vec<&Choices> = valid_configs
                .iter()
                .filter(|c| extends(c, &choices) && in_stock(c, &stock))
                .collect();
            assert_eq!(
                a.min_price,
                completions.iter().map(|c| price(&rs, c)).min(),
                "min price, seed {seed}"
            );
            assert_eq!(
                a.max_price,
                completions.iter().map(|c| price(&rs, c)).max(),
                "max price, seed {seed}"
            );

            for gs in &a.groups {
                let mut others = choices.clone();
                others.remove(&gs.group);
                for os in &gs.options {
                    let mut with = others.clone();
                    with.insert(gs.group.clone(), os.option.clone());
                    let truth = possible(&valid_configs, &with, &stock);
                    assert_eq!(
                        os.available, truth,
                        "availability of {}={} seed {seed}",
                        gs.group, os.option
                    );
                    let cheapest = valid_configs
                        .iter()
                        .filter(|c| extends(c, &with) && in_stock(c, &stock))
                        .map(|c| price(&rs, c))
                        .min();
                    assert_eq!(
                        os.best_price, cheapest,
                        "best price of {}={} seed {seed}",
                        gs.group, os.option
                    );
                    if os.available {
                        continue;
                    }
                    let reason = os
                        .reason
                        .as_ref()
                        .expect("unavailable options are explained");
                    if stock.contains(&(gs.group.clone(), os.option.clone())) {
                        assert_eq!(reason.message, "Out of stock");
                        continue;
                    }
                    // the explanation's choices still rule the option out …
                    let conflict: Choices = reason.choices.iter().cloned().collect();
                    let mut test = conflict.clone();
                    test.insert(gs.group.clone(), os.option.clone());
                    assert!(
                        !possible(&valid_configs, &test, &stock),
                        "explanation not a conflict, seed {seed}"
                    );
                    // … and removing any one of them makes it available again (minimality)
                    for (g, _) in &reason.choices {
                        let mut smaller = test.clone();
                        smaller.remove(g);
                        assert!(
                            possible(&valid_configs, &smaller, &stock),
                            "explanation not minimal, seed {seed}"
                        );
                    }
                    for (g, o) in &reason.choices {
                        assert_eq!(
                            others.get(g),
                            Some(o),
                            "explanation names a choice the buyer made"
                        );
                    }
                    checked_explanations += 1;
                    if let Some(repair) = &os.repair {
                        let mut fixed = with.clone();
                        for g in &repair.drop {
                            fixed.remove(g);
                        }
                        assert!(
                            possible(&valid_configs, &fixed, &stock),
                            "repair does not repair, seed {seed}"
                        );
                        // no smaller set of dropped choices works
                        let keys: Vec<&String> = others.keys().collect();
                        for mask in 0u32..(1 << keys.len()) {
                            if (mask.count_ones() as usize) >= repair.drop.len() {
                                continue;
                            }
                            let mut t = with.clone();
                            for (i, k) in keys.iter().enumerate() {
                                if mask & (1 << i) != 0 {
                                    t.remove(*k);
                                }
                            }
                            assert!(
                                !possible(&valid_configs, &t, &stock),
                                "repair not smallest, seed {seed}"
                            );
                        }
                        checked_repairs += 1;
                    } else if !others.is_empty() {
                        let mut only = BTreeMap::new();
                        only.insert(gs.group.clone(), os.option.clone());
                        assert!(
                            !possible(&valid_configs, &only, &stock),
                            "missing repair, seed {seed}"
                        );
                    }
                }
            }

            // optimal completion (ILP) against brute force, with and without limits
            let budget = rng.below(60) as i64;
            let max_weight = rng.below(8) as i64;
            for limits in [
                vec![],
                vec![Limit::MaxTotalPrice(budget)],
                vec![Limit::MaxAttribute {
                    attribute: "weight".into(),
                    max: max_weight,
                }],
            ] {
                let fits = |c: &Choices| {
                    limits.iter().all(|l| match l {
                        Limit::MaxTotalPrice(p) => price(&rs, c) <= *p,
                        Limit::MaxAttribute { attribute, max } => {
                            c.iter()
                                .map(|(g, o)| attr(&rs, g, o, attribute))
                                .sum::<i64>()
                                <= *max
                        }
                    })
                };
                let best = completions
                    .iter()
                    .filter(|c| fits(c))
                    .map(|c| price(&rs, c))
                    .min();
                let got = cfg.cheapest_completion(&choices, &stock, &limits).unwrap();
                match (best, got) {
                    (None, None) => {}
                    (Some(b), Some(g)) => {
                        assert!(
                            valid(&rs, &g)
                                && extends(&g, &choices)
                                && in_stock(&g, &stock)
                                && fits(&g),
                            "completion invalid, seed {seed}"
                        );
                        assert_eq!(price(&rs, &g), b, "completion not cheapest, seed {seed}");
                    }
                    (b, g) => panic!("completion mismatch, seed {seed}: brute {b:?}, engine {g:?}"),
                }
            }
        }
    }
    assert!(
        checked_explanations > 100,
        "too few explanations exercised: {checked_explanations}"
    );
    assert!(
        checked_repairs > 50,
        "too few repairs exercised: {checked_repairs}"
    );
}

/// Every option's best price, from the one-pass computation, against the cheapest brute-force
/// configuration with that option, on rule sets with price tables (surcharges and discounts),
/// optional groups, several choices and several options out of stock at once.
#[test]
fn best_price_of_every_option_is_the_cheapest_valid_configuration_with_it() {
    let mut priced = 0;
    for seed in 1_000..1_600u64 {
        let mut rs = random_rules(seed);
        if seed % 2 == 1 {
            // an unconditional entry: a base price every configuration pays
            rs.price_tables.push(PriceTable {
                id: "base".into(),
                name: "Base".into(),
                entries: vec![PriceEntry {
                    when: Vec::new(),
                    amount: 7,
                }],
            });
        }
        let cfg = Configurator::compile(&rs).expect("random rule sets are well formed");
        let valid_configs: Vec<Choices> = all_configs(&rs)
            .into_iter()
            .filter(|c| valid(&rs, c))
            .collect();
        let mut rng = Rng::new(seed);
        for _ in 0..3 {
            let mut choices = Choices::new();
            let mut stock = BTreeSet::new();
            for g in &rs.groups {
                let o = options_of(g);
                if rng.chance(0.3) {
                    choices.insert(g.id.clone(), o[rng.below(o.len())].clone());
                }
                if rng.chance(0.2) {
                    let out = &g.options[rng.below(g.options.len())];
                    stock.insert((g.id.clone(), out.id.clone()));
                }
            }
            let a = cfg.assess(&choices, &stock).unwrap();
            for gs in &a.groups {
                let mut with = choices.clone();
                with.remove(&gs.group);
                for os in &gs.options {
                    with.insert(gs.group.clone(), os.option.clone());
                    let cheapest = valid_configs
                        .iter()
                        .filter(|c| extends(c, &with) && in_stock(c, &stock))
                        .map(|c| price(&rs, c))
                        .min();
                    assert_eq!(
                        os.best_price, cheapest,
                        "best price of {}={} with {choices:?}, stock {stock:?}, seed {seed}",
                        gs.group, os.option
                    );
                    assert_eq!(os.available, cheapest.is_some());
                    priced += usize::from(cheapest.is_some());
                }
            }
        }
    }
    assert!(priced > 2_000, "too few priced options exercised: {priced}");
}

/// Explanations on demand are the full assessment's, wherever they are asked for.
#[test]
fn explanations_on_demand_equal_the_full_assessment_on_random_rule_sets() {
    let mut compared = 0;
    for seed in 2_000..2_300u64 {
        let rs = random_rules(seed);
        let cfg = Configurator::compile(&rs).expect("random rule sets are well formed");
        let mut rng = Rng::new(seed);
        for _ in 0..4 {
            let mut choices = Choices::new();
            let mut stock = BTreeSet::new();
            let mut explained = BTreeSet::new();
            for g in &rs.groups {
                let o = options_of(g);
                if rng.chance(0.4) {
                    choices.insert(g.id.clone(), o[rng.below(o.len())].clone());
                }
                if rng.chance(0.2) {
                    let out = &g.options[rng.below(g.options.len())];
                    stock.insert((g.id.clone(), out.id.clone()));
                }
                if rng.chance(0.5) {
                    explained.insert(g.id.clone());
                }
            }
            compared += support::assert_explanations_on_demand_match_assess(
                &cfg, &choices, &stock, &explained,
            );
        }
    }
    assert!(
        compared > 500,
        "too few unavailable options compared: {compared}"
    );
}
