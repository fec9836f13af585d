//! Rule-set validation at the index level: unsatisfiable rule sets, dead options, forced options,
//! each with a minimal set of responsible rules (QuickXplain over the constraints).

use crate::compile::Compiled;
use crate::configurator::{OptionFinding, ValidationReport};
use crate::explain::quickxplain;
use crate::problem::{Val, Var};

/// A minimal set of constraints (by name) that, with only the allowed options, admits no
/// configuration; empty when the restriction alone is already impossible.
pub fn responsible_rules(c: &Compiled, allowed: &[bool]) -> Vec<String> {
    let n = c.problem().constraints.len();
    let all: Vec<usize> = (0..n).collect();
    let mut active = vec![false; n];
    quickxplain(&all, &mut |sub: &[usize]| {
        active.iter_mut().for_each(|x| *x = false);
        sub.iter().for_each(|&i| active[i] = true);
        !c.satisfiable_with(&active, allowed)
    })
    .unwrap_or_default()
    .into_iter()
    .map(|i| c.problem().constraints[i].name().to_string())
    .collect()
}

fn only(c: &Compiled, v: Var, a: Val) -> Vec<bool> {
    let mut choices = vec![None; c.problem().vars.len()];
    choices[v as usize] = Some(a);
    c.allowed_from(&choices)
}

/// Dead and forced options (with responsible rules when `explain_rules`) and the count.
pub fn validate(c: &Compiled, explain_rules: bool) -> ValidationReport {
    let p = c.problem();
    let everything = vec![true; c.offsets().total()];
    let mut report = ValidationReport {
        satisfiable: c.is_satisfiable(),
        conflicting_rules: Vec::new(),
        dead: Vec::new(),
        forced: Vec::new(),
        solutions: c.count().to_string(),
        warnings: Vec::new(),
    };
    if !report.satisfiable {
        if explain_rules {
            report.conflicting_rules = responsible_rules(c, &everything);
        }
        return report;
    }
    let support = c.propagate_allowed(&everything);
    let mut dead_rules = std::collections::HashMap::new();
    for (vi, var) in p.vars.iter().enumerate() {
        let v = vi as Var;
        for a in 0..var.values.len() as Val {
            if support.flat[c.offsets().at(v, a)] {
                continue;
            }
            let rules = if explain_rules {
                responsible_rules(c, &only(c, v, a))
            } else {
                Vec::new()
            };
            dead_rules.insert((v, a), rules.clone());
            report.dead.push(OptionFinding {
                group: var.name.clone(),
                option: var.values[a as usize].clone(),
                rules,
                message: format!(
                    "dead: {} = {} is in no valid configuration",
                    var.name, var.values[a as usize]
                ),
            });
        }
    }
    for (vi, var) in p.vars.iter().enumerate() {
        let v = vi as Var;
        let live: Vec<Val> = (0..var.values.len() as Val)
            .filter(|&a| support.flat[c.offsets().at(v, a)])
            .collect();
        if let [a] = live[..]
            && var.values.len() > 1
        {
            let mut rules: Vec<String> = Vec::new();
            for b in 0..var.values.len() as Val {
                for r in dead_rules.get(&(v, b)).into_iter().flatten() {
                    if !rules.contains(r) {
                        rules.push(r.clone());
                    }
                }
            }
            report.forced.push(OptionFinding {
                group: var.name.clone(),
                option: var.values[a as usize].clone(),
                rules,
                message: format!(
                    "forced: {} = {} in every valid configuration",
                    var.name, var.values[a as usize]
                ),
            });
        }
    }
    report
}
