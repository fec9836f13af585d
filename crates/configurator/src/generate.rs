//! Synthetic rule sets shaped like the large car range (≈270 groups, one of 324 options, ≈330
//! tables of arity up to 12, ≈226,000 allowed tuples), and writers for XCSP / WCSP files and
//! for the shop's own rule-set JSON.
//!
//! Tables are projections of a few thousand planted configurations onto chains of a random
//! group tree, like real product lines: a model (the 324-option group) constrains everything
//! below it, and every planted configuration is valid, so instances are never empty.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use crate::model::{
    CURRENT_VERSION, Condition, Group, NONE_OPTION, OptionDef, PriceEntry, PriceTable, Rule,
    RuleSet,
};
use crate::problem::{Constraint, CostFn, Literal, Problem, Val, Var, Variable};
use crate::rng::Rng;

/// Shape of a synthetic instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub groups: usize,
    pub big_domain: usize,
    pub tables: usize,
    pub max_arity: usize,
    /// Planted configurations the tables are projected from.
    pub samples: usize,
    /// Probability a group follows its parent's preferred option in a planted configuration.
    pub follow: f64,
    pub seed: u64,
}

impl Shape {
    /// The large car-range class of issue 4.
    pub fn large(seed: u64) -> Shape {
        Shape {
            groups: 270,
            big_domain: 324,
            tables: 330,
            max_arity: 12,
            samples: 4000,
            follow: 0.85,
            seed,
        }
    }
}

/// Generates an instance of the given shape (with unary option prices).
pub fn generate(shape: &Shape) -> Problem {
    let mut rng = Rng::new(shape.seed);
    let n = shape.groups.max(2);
    let domains: Vec<usize> = (0..n)
        .map(|i| {
            if i == 0 {
                shape.big_domain.max(2)
            } else {
                match rng.below(100) {
                    0..70 => 2,
                    70..90 => 3 + rng.below(2),
                    _ => 5 + rng.below(8),
                }
            }
        })
        .collect();
    // random tree, parents biased towards recent groups so chains get deep
    let parent: Vec<usize> = (0..n)
        .map(|i| {
            if i == 0 {
                0
            } else {
                let back = 1 + rng.below(8.min(i));
                i - back
            }
        })
        .collect();
    let preferred: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let pd = domains[parent[i]];
            (0..pd).map(|_| rng.below(domains[i])).collect()
        })
        .collect();
    let samples: Vec<Vec<Val>> = (0..shape.samples.max(1))
        .map(|_| {
            let mut s = vec![0 as Val; n];
            for i in 0..n {
                s[i] = if i == 0 {
                    rng.below(domains[0]) as Val
                } else if rng.chance(shape.follow) {
                    preferred[i][s[parent[i]] as usize] as Val
                } else {
                    rng.below(domains[i]) as Val
                };
            }
            s
        })
        .collect();
    let vars = domains
        .iter()
        .enumerate()
        .map(|(i, &d)| Variable {
            name: format!("v{i}"),
            values: (0..d).map(|a| a.to_string()).collect(),
        })
        .collect();
    let mut problem = Problem::new(vars);
    // every group but the root anchors one table (so none is unconstrained), the rest at random
    let mut anchors: Vec<usize> = (1..n).collect();
    rng.shuffle(&mut anchors);
    for t in 0..shape.tables {
        let x = anchors
            .get(t)
            .copied()
            .unwrap_or_else(|| 1 + rng.below(n - 1));
        let arity = if rng.chance(0.3) {
            2 + rng.below(shape.max_arity.max(2) - 1)
        } else {
            2 + rng.below(3.min(shape.max_arity.max(2) - 1))
        };
        let mut scope = vec![x];
        let mut y = x;
        while scope.len() < arity && y != 0 {
            y = parent[y];
            scope.push(y);
        }
        if rng.chance(0.5) && !scope.contains(&0) {
            let last = scope.len() - 1;
            if scope.len() >= 3 {
                scope[last] = 0;
            } else {
                scope.push(0);
            }
        }
        scope.reverse();
        let tuples: HashSet<Vec<Val>> = samples
            .iter()
            .map(|s| scope.iter().map(|&v| s[v]).collect())
            .collect();
        let mut tuples: Vec<Vec<Val>> = tuples.into_iter().collect();
        tuples.sort_unstable();
        problem.constraints.push(Constraint::Table {
            name: format!("c{t}"),
            scope: scope.iter().map(|&v| v as Var).collect(),
            tuples,
        });
    }
    for (v, d) in domains.iter().enumerate() {
        for a in 0..*d {
            problem.unary[v][a] = (rng.below(20) * 50) as i64;
        }
    }
    problem
}

/// A rule set of `groups` groups in a chain, for depth tests: each group offers `a` (price 1)
/// and `b` (free), and `a` in one group requires `a` in the next, so the constraint graph is a
/// path and the pseudo tree is as deep as the chain. Its valid configurations are some `b`s
/// followed by only `a`s: `groups + 1` of them.
pub fn chain(groups: usize) -> RuleSet {
    let option = |id: &str, price| OptionDef {
        id: id.into(),
        name: id.to_uppercase(),
        price,
        lead_days: 0,
        attributes: Default::default(),
    };
    let a_in = |i: usize| Condition {
        group: format!("g{i}"),
        any_of: vec!["a".into()],
    };
    RuleSet {
        version: CURRENT_VERSION,
        groups: (0..groups)
            .map(|i| Group {
                id: format!("g{i}"),
                name: format!("Group {i}"),
                optional: false,
                default: None,
                options: vec![option("a", 1), option("b", 0)],
            })
            .collect(),
        rules: (1..groups)
            .map(|i| Rule::Requires {
                id: format!("a{}-needs-a{i}", i - 1),
                when: vec![a_in(i - 1)],
                then: a_in(i),
                message: None,
            })
            .collect(),
        price_tables: Vec::new(),
    }
}

/// The problem as a product rule set with exactly the same valid configurations and prices:
/// a required group per variable (id and name the variable's name), an option per value (id and
/// name its label, price the value's own price), a `table` rule per table, an `excludes` rule
/// per forbidden combination, a `capacity` rule per capacity sum (its weights as attributes
/// named after the rule), and a price table per cost function.
///
/// A WCSP soft table becomes a price table whose unconditional entry is the table's default
/// cost and whose other entries, one per listed tuple whose cost differs from it, add the
/// difference; so an instance whose prices are mostly per option (the Renault files) stays as
/// compact as its price file. A value labelled `none` (the shop's name for an empty optional
/// group) is renamed `none_` (with more underscores if that is taken too); rule and price-table
/// ids that repeat get a `#2`, `#3` … suffix, since a rule set needs them unique.
pub fn to_rule_set(problem: &Problem) -> RuleSet {
    let labels: Vec<Vec<String>> = problem
        .vars
        .iter()
        .map(|v| {
            v.values
                .iter()
                .map(|l| {
                    if l != NONE_OPTION {
                        return l.clone();
                    }
                    let mut renamed = format!("{NONE_OPTION}_");
                    while v.values.contains(&renamed) {
                        renamed.push('_');
                    }
                    renamed
                })
                .collect()
        })
        .collect();
    let groups = problem
        .vars
        .iter()
        .enumerate()
        .map(|(v, var)| Group {
            id: var.name.clone(),
            name: var.name.clone(),
            optional: false,
            default: None,
            options: labels[v]
                .iter()
                .enumerate()
                .map(|(a, l)| OptionDef {
                    id: l.clone(),
                    name: l.clone(),
                    price: problem.unary[v][a],
                    lead_days: 0,
                    attributes: BTreeMap::new(),
                })
                .collect(),
        })
        .collect::<Vec<Group>>();
    let mut taken = HashSet::new();
    let mut unique = |name: &str| {
        let mut id = name.to_string();
        let mut k = 1;
        while !taken.insert(id.clone()) {
            k += 1;
            id = format!("{name}#{k}");
        }
        id
    };
    let group = |v: Var| problem.vars[v as usize].name.clone();
    let label = |v: Var, a: Val| labels[v as usize][a as usize].clone();
    let condition = |l: &Literal| Condition {
        group: group(l.var),
        any_of: (0..l.holds.len())
            .filter(|&a| l.holds[a])
            .map(|a| label(l.var, a as Val))
            .collect(),
    };
    let mut groups = groups;
    let mut rules = Vec::with_capacity(problem.constraints.len());
    for c in &problem.constraints {
        let id = unique(c.name());
        rules.push(match c {
            Constraint::Table { scope, tuples, .. } => Rule::Table {
                id,
                groups: scope.iter().map(|&v| group(v)).collect(),
                allowed: tuples
                    .iter()
                    .map(|t| scope.iter().zip(t).map(|(&v, &a)| label(v, a)).collect())
                    .collect(),
                message: None,
            },
            Constraint::Forbid { literals, .. } => Rule::Excludes {
                id,
                all: literals.iter().map(condition).collect(),
                message: None,
            },
            Constraint::Capacity {
                terms,
                limit_var,
                limit,
                ..
            } => {
                let limit_attribute = format!("{id} limit");
                for (v, weights) in terms {
                    for (o, &w) in groups[*v as usize].options.iter_mut().zip(weights) {
                        if w != 0 {
                            *o.attributes.entry(id.clone()).or_insert(0) += w;
                        }
                    }
                }
                for (o, &l) in groups[*limit_var as usize].options.iter_mut().zip(limit) {
                    o.attributes.insert(limit_attribute.clone(), l);
                }
                Rule::Capacity {
                    attribute: id.clone(),
                    limit_group: group(*limit_var),
                    limit_attribute,
                    id,
                    message: None,
                }
            }
        });
    }
    let mut price_tables = Vec::with_capacity(problem.costs.len() + 1);
    if problem.constant != 0 {
        price_tables.push(PriceTable {
            id: unique("base"),
            name: "Base".into(),
            entries: vec![PriceEntry {
                when: Vec::new(),
                amount: problem.constant,
            }],
        });
    }
    for f in &problem.costs {
        let (name, entries) = match f {
            CostFn::Table {
                name,
                scope,
                costs,
                default,
            } => {
                let mut rows: Vec<(&Vec<Val>, i64)> = costs
                    .iter()
                    .filter(|&(_, &c)| c != *default)
                    .map(|(t, &c)| (t, c.saturating_sub(*default)))
                    .collect();
                // a HashMap's order changes from run to run; the rule set should not
                rows.sort_unstable();
                let mut entries = Vec::with_capacity(rows.len() + 1);
                if *default != 0 {
                    entries.push(PriceEntry {
                        when: Vec::new(),
                        amount: *default,
                    });
                }
                entries.extend(rows.into_iter().map(|(t, amount)| {
                    PriceEntry {
                        when: scope
                            .iter()
                            .zip(t)
                            .map(|(&v, &a)| Condition {
                                group: group(v),
                                any_of: vec![label(v, a)],
                            })
                            .collect(),
                        amount,
                    }
                }));
                (name, entries)
            }
            CostFn::Entries { name, entries, .. } => (
                name,
                entries
                    .iter()
                    .map(|(lits, amount)| PriceEntry {
                        when: lits.iter().map(condition).collect(),
                        amount: *amount,
                    })
                    .collect(),
            ),
        };
        price_tables.push(PriceTable {
            id: unique(name),
            name: name.clone(),
            entries,
        });
    }
    RuleSet {
        version: CURRENT_VERSION,
        groups,
        rules,
        price_tables,
    }
}

/// Writes the hard part of a problem as an XCSP 2.1 instance (tables only).
pub fn to_xcsp(problem: &Problem, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<instance>\n<presentation format=\"XCSP 2.1\" type=\"CSP\" name=\"{name}\"/>"
    );
    write_vars(&mut out, problem);
    let tables: Vec<_> = problem
        .constraints
        .iter()
        .filter_map(|c| match c {
            Constraint::Table {
                name,
                scope,
                tuples,
            } => Some((name, scope, tuples)),
            _ => None,
        })
        .collect();
    let _ = writeln!(out, "<relations nbRelations=\"{}\">", tables.len());
    for (name, scope, tuples) in &tables {
        let _ = write!(
            out,
            "<relation name=\"r{name}\" arity=\"{}\" nbTuples=\"{}\" semantics=\"supports\">",
            scope.len(),
            tuples.len()
        );
        let rows: Vec<String> = tuples
            .iter()
            .map(|t| {
                t.iter()
                    .zip(scope.iter())
                    .map(|(&a, &v)| problem.vars[v as usize].values[a as usize].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let _ = writeln!(out, "{}</relation>", rows.join("|"));
    }
    let _ = writeln!(
        out,
        "</relations>\n<constraints nbConstraints=\"{}\">",
        tables.len()
    );
    for (name, scope, _) in &tables {
        let _ = writeln!(
            out,
            "<constraint name=\"{name}\" arity=\"{}\" reference=\"r{name}\" scope=\"{}\"/>",
            scope.len(),
            scope_names(problem, scope)
        );
    }
    out.push_str("</constraints>\n</instance>\n");
    out
}

/// Writes option prices and soft tables as a WCSP price file.
pub fn to_wcsp_prices(problem: &Problem) -> String {
    let mut out = String::from("<instance>\n<presentation format=\"XCSP 2.1\" type=\"WCSP\"/>\n");
    write_vars(&mut out, problem);
    let mut rels = Vec::new();
    for (v, costs) in problem.unary.iter().enumerate() {
        let rows: Vec<String> = costs
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0)
            .map(|(a, c)| format!("{c}:{}", problem.vars[v].values[a]))
            .collect();
        if !rows.is_empty() {
            rels.push((vec![v as Var], rows, 0));
        }
    }
    for f in &problem.costs {
        if let CostFn::Table {
            scope,
            costs,
            default,
            ..
        } = f
        {
            let rows = costs
                .iter()
                .map(|(t, c)| {
                    let vals: Vec<&str> = t
                        .iter()
                        .zip(scope)
                        .map(|(&a, &v)| problem.vars[v as usize].values[a as usize].as_str())
                        .collect();
                    format!("{c}:{}", vals.join(" "))
                })
                .collect();
            rels.push((scope.clone(), rows, *default));
        }
    }
    let _ = writeln!(out, "<relations nbRelations=\"{}\">", rels.len());
    for (i, (scope, rows, default)) in rels.iter().enumerate() {
        let _ = writeln!(
            out,
            "<relation name=\"p{i}\" arity=\"{}\" nbTuples=\"{}\" semantics=\"soft\" defaultCost=\"{default}\">{}</relation>",
            scope.len(),
            rows.len(),
            rows.join("|")
        );
    }
    let _ = writeln!(
        out,
        "</relations>\n<constraints nbConstraints=\"{}\">",
        rels.len()
    );
    for (i, (scope, _, _)) in rels.iter().enumerate() {
        let _ = writeln!(
            out,
            "<constraint name=\"price{i}\" arity=\"{}\" reference=\"p{i}\" scope=\"{}\"/>",
            scope.len(),
            scope_names(problem, scope)
        );
    }
    out.push_str("</constraints>\n</instance>\n");
    out
}

fn scope_names(problem: &Problem, scope: &[Var]) -> String {
    scope
        .iter()
        .map(|&v| problem.vars[v as usize].name.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_vars(out: &mut String, problem: &Problem) {
    let _ = writeln!(out, "<domains nbDomains=\"{}\">", problem.vars.len());
    for v in &problem.vars {
        let _ = writeln!(
            out,
            "<domain name=\"D{}\" nbValues=\"{}\">{}</domain>",
            v.name,
            v.values.len(),
            v.values.join(" ")
        );
    }
    let _ = writeln!(
        out,
        "</domains>\n<variables nbVariables=\"{}\">",
        problem.vars.len()
    );
    for v in &problem.vars {
        let _ = writeln!(
            out,
            "<variable name=\"{}\" domain=\"D{}\"/>",
            v.name, v.name
        );
    }
    out.push_str("</variables>\n");
}
