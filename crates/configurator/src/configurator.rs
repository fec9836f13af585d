//! The compiled product the shop uses: assessment of the buyer's choices with explanations and
//! repairs, server-side quotes, optimal completion and merchandiser validation, all in the
//! shop's words (group and option names, rule ids and messages).

use std::collections::{BTreeMap, BTreeSet};

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::compact::CompactError;
use crate::compile::Compiled;
use crate::explain::{quickxplain, smallest_repair_hitting};
use crate::model::{
    Assessment, ChoiceError, Choices, Explain, Explanation, GroupState, Limit, ModelError,
    NONE_OPTION, Names, OptionState, Quote, QuoteLine, Repair, Rule, RuleSet, Violation, lower,
};
use crate::problem::{CostFn, Val, Var};
use crate::recommend::NamedRecommender;

/// Consistency checks a repair search may spend per option before it settles for a greedy repair.
const REPAIR_CHECKS: usize = 2_000;

/// Search steps (value assignments) [`Configurator::compile`] allows a rule set: a few seconds
/// natively at worst. The Renault instances take 9,000 to 43,000, the 50,000-group chain
/// 200,000 and a synthetic instance of the large car-range class 1.3 million; the limit is there
/// so that a rule set whose rules connect too many groups at once is refused rather than
/// occupying a server thread for hours.
pub const COMPILE_STEPS: u64 = 10_000_000;

/// A rule set compiled for fast questions. `Send + Sync`; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Configurator {
    rules: RuleSet,
    compiled: Compiled,
    names: Names,
}

/// A merchandiser's finding about one option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionFinding {
    pub group: String,
    pub option: String,
    /// Rules responsible (a minimal set).
    pub rules: Vec<String>,
    pub message: String,
}

/// What is wrong (or suspicious) with a rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub satisfiable: bool,
    /// A minimal set of rules that together admit no configuration at all.
    pub conflicting_rules: Vec<String>,
    /// Options no valid configuration contains.
    pub dead: Vec<OptionFinding>,
    /// Options every valid configuration contains (in groups with alternatives).
    pub forced: Vec<OptionFinding>,
    /// Number of valid configurations (decimal).
    pub solutions: String,
    pub warnings: Vec<String>,
}

impl Configurator {
    /// Checks and compiles a rule set, within [`COMPILE_STEPS`].
    pub fn compile(rules: &RuleSet) -> Result<Configurator, ModelError> {
        Configurator::compile_within(rules, COMPILE_STEPS)
    }

    /// Checks and compiles a rule set, refusing it with [`ModelError::TooComplex`] when the
    /// compilation would take more than `max_steps` search steps.
    pub fn compile_within(rules: &RuleSet, max_steps: u64) -> Result<Configurator, ModelError> {
        let (problem, names) = lower(rules)?;
        let compiled = Compiled::with_step_limit(problem, max_steps)
            .map_err(|e| ModelError::TooComplex { steps: e.limit })?;
        Ok(Configurator {
            rules: rules.clone(),
            compiled,
            names,
        })
    }

    /// The compact compiled form: the rule set with its diagram (see [`crate::compact`]), which
    /// [`Configurator::from_bytes`] loads without compiling again.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::compact::encode(&self.rules, &self.compiled)
    }

    /// Loads a compact compiled form written by [`Configurator::to_bytes`]. Truncated, corrupt
    /// or foreign bytes are a [`CompactError`], never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Configurator, CompactError> {
        let (rules, diagram) = crate::compact::decode(bytes)?;
        let (problem, names) = lower(&rules).map_err(|e| CompactError::Rules(e.to_string()))?;
        let compiled = Compiled::from_diagram(problem, diagram).map_err(CompactError::Corrupt)?;
        Ok(Configurator {
            rules,
            compiled,
            names,
        })
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The index-level compiled form (for benches and bulk questions).
    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// Number of valid configurations.
    pub fn count(&self) -> BigUint {
        self.compiled.count()
    }

    fn group_name(&self, v: Var) -> &str {
        &self.rules.groups[v as usize].name
    }

    fn option_name(&self, v: Var, a: Val) -> &str {
        let g = &self.rules.groups[v as usize];
        g.options
            .get(a as usize)
            .map_or("None", |o| o.name.as_str())
    }

    fn option_id(&self, v: Var, a: Val) -> &str {
        &self.compiled.problem().vars[v as usize].values[a as usize]
    }

    fn describe(&self, pairs: &[(Var, Val)]) -> String {
        pairs
            .iter()
            .map(|&(v, a)| format!("{}: {}", self.group_name(v), self.option_name(v, a)))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Maps the buyer's choices to indices, in group order.
    fn resolve(&self, choices: &Choices) -> Result<Vec<(Var, Val)>, ChoiceError> {
        let mut out = choices
            .iter()
            .map(|(g, o)| self.resolve_one(g, o))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_unstable();
        Ok(out)
    }

    /// One (group, option) pair as indices.
    fn resolve_one(&self, group: &str, option: &str) -> Result<(Var, Val), ChoiceError> {
        let v = *self
            .names
            .group
            .get(group)
            .ok_or_else(|| ChoiceError::UnknownGroup(group.to_string()))?;
        let a = *self.names.option[v as usize].get(option).ok_or_else(|| {
            ChoiceError::UnknownOption {
                group: group.to_string(),
                option: option.to_string(),
            }
        })?;
        Ok((v, a))
    }

    /// Out-of-stock options as indices; names the rule set does not know are ignored (stock
    /// lists may lag behind catalogue edits).
    fn stock(&self, unavailable: &BTreeSet<(String, String)>) -> Vec<(Var, Val)> {
        unavailable
            .iter()
            .filter_map(|(g, o)| {
                let v = *self.names.group.get(g)?;
                let a = *self.names.option[v as usize].get(o)?;
                Some((v, a))
            })
            .collect()
    }

    fn allowed(&self, stock: &[(Var, Val)], choices: &[(Var, Val)]) -> Vec<bool> {
        let c = &self.compiled;
        let mut allowed = vec![true; c.offsets().total()];
        for &(v, a) in stock {
            allowed[c.offsets().at(v, a)] = false;
        }
        for &(v, a) in choices {
            let d = c.problem().domain(v) as Val;
            for b in 0..d {
                if b != a {
                    allowed[c.offsets().at(v, b)] = false;
                }
            }
        }
        allowed
    }

    /// Complete propagation with explanations and repairs for every unavailable option
    /// (`assess_with(…, &Explain::All)`). On rule sets of the bike's size this takes
    /// microseconds; on the Renault medium instance seconds, so the storefront uses
    /// [`Configurator::assess_with`] and [`Configurator::explain_option`] there.
    pub fn assess(
        &self,
        choices: &Choices,
        unavailable: &BTreeSet<(String, String)>,
    ) -> Result<Assessment, ChoiceError> {
        self.assess_with(choices, unavailable, &Explain::All)
    }

    /// Complete propagation, best prices, forced options, price bounds and consistency for
    /// every group, exactly as [`Configurator::assess`]; `reason` and `repair` only for the
    /// unavailable options of the groups `explain` covers. Elsewhere an unavailable option has
    /// `repair: None` and `reason: None`, except an option that is itself out of stock, whose
    /// reason is "Out of stock" (no search needed, and what `assess` says too). A group in
    /// `Explain::Groups` the rule set does not have is a [`ChoiceError::UnknownGroup`].
    pub fn assess_with(
        &self,
        choices: &Choices,
        unavailable: &BTreeSet<(String, String)>,
        explain: &Explain,
    ) -> Result<Assessment, ChoiceError> {
        if let Explain::Groups(groups) = explain
            && let Some(g) = groups.iter().find(|g| !self.names.group.contains_key(*g))
        {
            return Err(ChoiceError::UnknownGroup(g.clone()));
        }
        let chosen = self.resolve(choices)?;
        let stock = self.stock(unavailable);
        let c = &self.compiled;
        // best prices under all the choices: None when they admit no configuration
        let all = c.best_cost_per_value(&self.allowed(&stock, &chosen));
        let consistent = all.is_some();
        let mut groups = Vec::with_capacity(self.rules.groups.len());
        for (gi, g) in self.rules.groups.iter().enumerate() {
            let v = gi as Var;
            let own = chosen.iter().find(|(x, _)| *x == v).map(|&(_, a)| a);
            let others: Vec<(Var, Val)> = chosen.iter().copied().filter(|(x, _)| *x != v).collect();
            // a chosen group's own choice is released, so its options show the alternatives
            let released;
            let prices = if own.is_some() {
                released = c.best_cost_per_value(&self.allowed(&stock, &others));
                &released
            } else {
                &all
            };
            let d = c.problem().domain(v) as Val;
            let best_price: Vec<Option<i64>> = (0..d)
                .map(|a| prices.as_ref().and_then(|p| p[c.offsets().at(v, a)]))
                .collect();
            let available: Vec<bool> = best_price.iter().map(Option::is_some).collect();
            let forced = if own.is_none() && available.iter().filter(|&&x| x).count() == 1 && d > 1
            {
                available
                    .iter()
                    .position(|&x| x)
                    .map(|a| self.option_id(v, a as Val).to_string())
            } else {
                None
            };
            let explained = explain.covers(&g.id);
            let options = (0..d)
                .map(|a| {
                    let ok = available[a as usize];
                    // out of stock needs no search: explain and repair answer it at once
                    let (reason, repair) = if ok || !(explained || stock.contains(&(v, a))) {
                        (None, None)
                    } else {
                        let (reason, repair) = self.explain_and_repair(v, a, &others, &stock);
                        (Some(reason), repair)
                    };
                    OptionState {
                        option: self.option_id(v, a).to_string(),
                        available: ok,
                        best_price: best_price[a as usize],
                        reason,
                        repair,
                    }
                })
                .collect();
            groups.push(GroupState {
                group: g.id.clone(),
                chosen: own.map(|a| self.option_id(v, a).to_string()),
                forced,
                options,
            });
        }
        let bounds = if consistent {
            c.cost_bounds(&self.allowed(&stock, &chosen))
        } else {
            None
        };
        let complete = consistent && self.completed(&chosen, &stock).is_some();
        Ok(Assessment {
            groups,
            consistent,
            price_so_far: self.price_so_far(&chosen),
            min_price: bounds.map(|b| b.0),
            max_price: bounds.map(|b| b.1),
            complete,
        })
    }

    /// The full configuration the choices describe (empty optional groups may be left out), if
    /// every required group is chosen and it is valid and in stock.
    fn completed(&self, chosen: &[(Var, Val)], stock: &[(Var, Val)]) -> Option<Vec<Val>> {
        let p = self.compiled.problem();
        let mut full = vec![None; p.vars.len()];
        for &(v, a) in chosen {
            full[v as usize] = Some(a);
        }
        let full: Vec<Val> = full
            .iter()
            .enumerate()
            .map(|(v, a)| {
                a.or_else(|| {
                    self.rules.groups[v]
                        .optional
                        .then(|| self.names.option[v][NONE_OPTION])
                })
            })
            .collect::<Option<_>>()?;
        let in_stock = stock.iter().all(|&(v, a)| full[v as usize] != a);
        (in_stock && p.is_valid(&full)).then_some(full)
    }

    /// Why one option is unavailable and how to make it available: the `reason` and `repair`
    /// [`Configurator::assess`] gives that option for these choices, or `None` when the option
    /// is available (for a chosen group: when switching to it keeps the other choices valid).
    /// Costs the searches of that one option only.
    pub fn explain_option(
        &self,
        choices: &Choices,
        unavailable: &BTreeSet<(String, String)>,
        group: &str,
        option: &str,
    ) -> Result<Option<(Explanation, Option<Repair>)>, ChoiceError> {
        let chosen = self.resolve(choices)?;
        let (v, a) = self.resolve_one(group, option)?;
        let stock = self.stock(unavailable);
        let others: Vec<(Var, Val)> = chosen.iter().copied().filter(|(x, _)| *x != v).collect();
        let mut with_target = others.clone();
        with_target.push((v, a));
        if self
            .compiled
            .consistent(&self.allowed(&stock, &with_target))
        {
            return Ok(None);
        }
        Ok(Some(self.explain_and_repair(v, a, &others, &stock)))
    }

    /// Option prices of the choices plus price-table entries decided by them alone.
    fn price_so_far(&self, chosen: &[(Var, Val)]) -> i64 {
        let p = self.compiled.problem();
        let value = |v: Var| chosen.iter().find(|(x, _)| *x == v).map(|&(_, a)| a);
        let mut total: i64 = chosen
            .iter()
            .map(|&(v, a)| p.unary[v as usize][a as usize])
            .sum();
        total += p.constant;
        for f in &p.costs {
            if let CostFn::Entries { entries, .. } = f {
                for (lits, amount) in entries {
                    if lits
                        .iter()
                        .all(|l| value(l.var).is_some_and(|a| l.holds[a as usize]))
                    {
                        total += amount;
                    }
                }
            }
        }
        total
    }

    /// Why `v = a` is unavailable given `choices` (which do not include `v`) and the stock,
    /// and how to make it available.
    fn explain_and_repair(
        &self,
        v: Var,
        a: Val,
        choices: &[(Var, Val)],
        stock: &[(Var, Val)],
    ) -> (Explanation, Option<Repair>) {
        let (reason, conflict) = self.explain(v, a, choices, stock);
        (reason, self.repair(v, a, choices, stock, &conflict))
    }

    /// Why `v = a` is unavailable given `choices` (which do not include `v`) and the stock,
    /// with the minimal conflicting choices (empty when out of stock).
    fn explain(
        &self,
        v: Var,
        a: Val,
        choices: &[(Var, Val)],
        stock: &[(Var, Val)],
    ) -> (Explanation, Vec<(Var, Val)>) {
        if stock.contains(&(v, a)) {
            let out_of_stock = Explanation {
                choices: Vec::new(),
                rules: Vec::new(),
                message: "Out of stock".into(),
            };
            return (out_of_stock, Vec::new());
        }
        let c = &self.compiled;
        let mut with_target: Vec<(Var, Val)> = vec![(v, a)];
        let conflict = quickxplain(choices, &mut |sub: &[(Var, Val)]| {
            with_target.truncate(1);
            with_target.extend_from_slice(sub);
            !c.consistent(&self.allowed(stock, &with_target))
        })
        .unwrap_or_default();
        let mut fixed = conflict.clone();
        fixed.push((v, a));
        let rules = crate::validate::responsible_rules(c, &self.allowed(stock, &fixed));
        let pairs = conflict
            .iter()
            .map(|&(x, b)| {
                (
                    self.rules.groups[x as usize].id.clone(),
                    self.option_id(x, b).to_string(),
                )
            })
            .collect();
        let stock_matters = c.consistent(&self.allowed(&[], &fixed));
        let message = self.message(v, &conflict, &rules, stock_matters);
        let reason = Explanation {
            choices: pairs,
            rules,
            message,
        };
        (reason, conflict)
    }

    fn message(&self, v: Var, conflict: &[(Var, Val)], rules: &[String], stock: bool) -> String {
        if stock {
            return if conflict.is_empty() {
                "Only possible with options that are out of stock".into()
            } else {
                format!(
                    "With {} this needs options that are out of stock",
                    self.describe(conflict)
                )
            };
        }
        let rule_text = {
            let ms: Vec<String> = rules
                .iter()
                .map(|id| {
                    self.rules
                        .rules
                        .iter()
                        .find(|r| r.id() == id)
                        .and_then(|r| r.message().map(str::to_string))
                        .unwrap_or_else(|| format!("rule: {id}"))
                })
                .collect();
            if ms.is_empty() {
                String::new()
            } else {
                format!(" ({})", ms.join("; "))
            }
        };
        if conflict.is_empty() {
            return format!("Never available{rule_text}");
        }
        // a single requires rule triggered by this option reads best as "Requires …"
        if let [id] = rules
            && let Some(Rule::Requires { when, then, .. }) =
                self.rules.rules.iter().find(|r| r.id() == id)
            && when
                .iter()
                .any(|w| w.group == self.rules.groups[v as usize].id)
            && let Some(&tv) = self.names.group.get(&then.group)
        {
            let wanted: Vec<&str> = then
                .any_of
                .iter()
                .filter_map(|o| self.names.option[tv as usize].get(o))
                .map(|&b| self.option_name(tv, b))
                .collect();
            return format!(
                "Requires {}: {}, not possible with {}{rule_text}",
                self.group_name(tv),
                wanted.join(" or "),
                self.describe(conflict)
            );
        }
        format!("Not available with {}{rule_text}", self.describe(conflict))
    }

    /// The fewest of the buyer's other choices to clear so that `v = a` becomes available;
    /// `conflict` (some of `choices` that rule it out) only saves consistency checks.
    fn repair(
        &self,
        v: Var,
        a: Val,
        choices: &[(Var, Val)],
        stock: &[(Var, Val)],
        conflict: &[(Var, Val)],
    ) -> Option<Repair> {
        if stock.contains(&(v, a)) || choices.is_empty() {
            return None;
        }
        let c = &self.compiled;
        let mut kept = Vec::with_capacity(choices.len() + 1);
        // all of it or nothing: part of a conflict is no conflict
        let conflict: Vec<usize> = conflict
            .iter()
            .map(|x| choices.iter().position(|y| y == x))
            .collect::<Option<_>>()
            .unwrap_or_default();
        let drop = smallest_repair_hitting(
            choices.len(),
            &conflict,
            &mut |keep: &[bool]| {
                kept.clear();
                kept.push((v, a));
                kept.extend(
                    choices
                        .iter()
                        .zip(keep)
                        .filter(|(_, k)| **k)
                        .map(|(x, _)| *x),
                );
                c.consistent(&self.allowed(stock, &kept))
            },
            REPAIR_CHECKS,
        )?;
        if drop.is_empty() {
            return None;
        }
        let groups: Vec<Var> = drop.iter().map(|&i| choices[i].0).collect();
        let names: Vec<&str> = groups.iter().map(|&g| self.group_name(g)).collect();
        Some(Repair {
            drop: groups
                .iter()
                .map(|&g| self.rules.groups[g as usize].id.clone())
                .collect(),
            message: format!("Change {} to make this available", names.join(" and ")),
        })
    }

    /// Full check of a complete configuration and the server-side price.
    pub fn quote(
        &self,
        configuration: &Choices,
        unavailable: &BTreeSet<(String, String)>,
    ) -> Result<Quote, Vec<Violation>> {
        let mut violations = Vec::new();
        let mut full: Vec<Option<Val>> = vec![None; self.rules.groups.len()];
        for (g, o) in configuration {
            let Some(&v) = self.names.group.get(g) else {
                violations.push(Violation {
                    rule: None,
                    group: Some(g.clone()),
                    message: format!("This product has no option group `{g}`"),
                });
                continue;
            };
            match self.names.option[v as usize].get(o) {
                Some(&a) => full[v as usize] = Some(a),
                None => violations.push(Violation {
                    rule: None,
                    group: Some(g.clone()),
                    message: format!("`{o}` is not an option of {}", self.group_name(v)),
                }),
            }
        }
        for (gi, g) in self.rules.groups.iter().enumerate() {
            if full[gi].is_none() {
                if g.optional {
                    full[gi] = Some(self.names.option[gi][NONE_OPTION]);
                } else if !violations.iter().any(|x| x.group.as_deref() == Some(&g.id)) {
                    violations.push(Violation {
                        rule: None,
                        group: Some(g.id.clone()),
                        message: format!("Choose a {}", g.name),
                    });
                }
            }
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        let full: Vec<Val> = full.into_iter().map(|a| a.unwrap_or(0)).collect();
        for (v, a) in self.stock(unavailable) {
            if full[v as usize] == a {
                violations.push(Violation {
                    rule: None,
                    group: Some(self.rules.groups[v as usize].id.clone()),
                    message: format!(
                        "{}: {} is out of stock",
                        self.group_name(v),
                        self.option_name(v, a)
                    ),
                });
            }
        }
        let p = self.compiled.problem();
        for (ci, constraint) in p.constraints.iter().enumerate() {
            if !constraint.holds(&|y| full[y as usize]) {
                let rule = &self.rules.rules[ci];
                violations.push(Violation {
                    rule: Some(rule.id().to_string()),
                    group: None,
                    message: rule
                        .message()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("Breaks rule {}", rule.id())),
                });
            }
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        let mut lines = Vec::new();
        for (gi, g) in self.rules.groups.iter().enumerate() {
            let a = full[gi] as usize;
            if let Some(o) = g.options.get(a)
                && o.price != 0
            {
                lines.push(QuoteLine {
                    label: format!("{}: {}", g.name, o.name),
                    amount: o.price,
                });
            }
        }
        for t in &self.rules.price_tables {
            for e in &t.entries {
                let holds = e.when.iter().all(|c| {
                    let v = self.names.group[&c.group];
                    c.any_of
                        .iter()
                        .any(|o| self.names.option[v as usize].get(o) == Some(&full[v as usize]))
                });
                if holds && e.amount != 0 {
                    lines.push(QuoteLine {
                        label: t.name.clone(),
                        amount: e.amount,
                    });
                }
            }
        }
        Ok(Quote {
            total: lines.iter().map(|l| l.amount).sum(),
            lines,
        })
    }

    /// Choices plus each group's default, applied in group order while the default is still
    /// available (a default never overrides the buyer or leads to a dead end).
    pub fn with_defaults(
        &self,
        choices: &Choices,
        unavailable: &BTreeSet<(String, String)>,
    ) -> Result<Choices, ChoiceError> {
        let mut chosen = self.resolve(choices)?;
        let stock = self.stock(unavailable);
        let mut out = choices.clone();
        for (gi, g) in self.rules.groups.iter().enumerate() {
            let (Some(d), false) = (&g.default, choices.contains_key(&g.id)) else {
                continue;
            };
            let v = gi as Var;
            let a = self.names.option[gi][d];
            chosen.push((v, a));
            if self.compiled.consistent(&self.allowed(&stock, &chosen)) {
                out.insert(g.id.clone(), d.clone());
            } else {
                chosen.pop();
            }
        }
        Ok(out)
    }

    /// Cheapest valid completion of the choices within the limits. A price limit is answered
    /// exactly by the diagram's own minimum (the cheapest completion either fits the limit or
    /// nothing does); attribute limits need the ILP (`ilp` feature, microlp backend).
    pub fn cheapest_completion(
        &self,
        choices: &Choices,
        unavailable: &BTreeSet<(String, String)>,
        limits: &[Limit],
    ) -> Result<Option<Choices>, ChoiceError> {
        let chosen = self.resolve(choices)?;
        let stock = self.stock(unavailable);
        let allowed = self.allowed(&stock, &chosen);
        let mut price_limit = None;
        #[cfg_attr(not(feature = "ilp"), allow(unused_mut))]
        let mut linear: Vec<(Vec<Vec<i64>>, i64)> = Vec::new();
        for l in limits {
            match l {
                Limit::MaxTotalPrice(p) => {
                    price_limit = Some(price_limit.map_or(*p, |q: i64| q.min(*p)))
                }
                #[cfg(feature = "ilp")]
                Limit::MaxAttribute { attribute, max } => {
                    let weights: Vec<Vec<i64>> = self
                        .rules
                        .groups
                        .iter()
                        .map(|g| {
                            let mut w: Vec<i64> = g
                                .options
                                .iter()
                                .map(|o| o.attributes.get(attribute).copied().unwrap_or(0))
                                .collect();
                            if g.optional {
                                w.push(0);
                            }
                            w
                        })
                        .collect();
                    linear.push((weights, *max));
                }
            }
        }
        // Without attribute limits the diagram's dynamic programme is exact and cannot fail.
        // With them, if the solver gives up (numerics, iteration limit), the exact minimum
        // still answers whenever it happens to respect the limits, rather than the buyer being
        // told there is no valid product.
        let exact = || {
            self.compiled
                .optimum(&allowed, true)
                .filter(|(cost, values)| {
                    price_limit.is_none_or(|p| *cost <= p)
                        && linear.iter().all(|(weights, max)| {
                            values
                                .iter()
                                .enumerate()
                                .map(|(v, &a)| weights[v][a as usize])
                                .sum::<i64>()
                                <= *max
                        })
                })
        };
        #[cfg(feature = "ilp")]
        let best = if linear.is_empty() {
            exact()
        } else {
            crate::ilp::cheapest(&self.compiled, &allowed, &linear, price_limit).or_else(exact)
        };
        #[cfg(not(feature = "ilp"))]
        let best = exact();
        Ok(best.map(|(_, assignment)| {
            assignment
                .iter()
                .enumerate()
                .map(|(v, &a)| {
                    (
                        self.rules.groups[v].id.clone(),
                        self.option_id(v as Var, a).to_string(),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        }))
    }

    /// "Popular with your choices" learned from past orders of this rule version (each a
    /// complete configuration; orders that no longer resolve against these rules, or are no
    /// longer valid, are skipped).
    pub fn train_recommender(&self, sold: &[Choices]) -> NamedRecommender {
        let rows = sold
            .iter()
            .filter_map(|config| {
                let chosen = self.resolve(config).ok()?;
                self.completed(&chosen, &[])
            })
            .collect();
        let p = self.compiled.problem();
        let vocabulary = p
            .vars
            .iter()
            .map(|v| (v.name.clone(), v.values.clone()))
            .collect();
        NamedRecommender::train(vocabulary, p, rows)
    }

    /// Working days until the configuration can be delivered: the longest lead time of its
    /// options (0 for none; empty optional groups and names the rule set does not know add
    /// nothing).
    pub fn lead_days(&self, configuration: &Choices) -> u32 {
        configuration
            .iter()
            .filter_map(|(g, o)| {
                let v = *self.names.group.get(g)?;
                let a = *self.names.option[v as usize].get(o)?;
                self.rules.groups[v as usize].options.get(a as usize)
            })
            .map(|o| o.lead_days)
            .max()
            .unwrap_or(0)
    }

    /// Rule-set validation for merchandisers.
    pub fn validate(&self) -> ValidationReport {
        let c = &self.compiled;
        let mut report = crate::validate::validate(c, true);
        for f in report.dead.iter_mut().chain(report.forced.iter_mut()) {
            let v = self.names.group[&f.group];
            let a = self.names.option[v as usize][&f.option];
            f.message = if f.message.starts_with("dead") {
                format!(
                    "{}: {} can never be chosen",
                    self.group_name(v),
                    self.option_name(v, a)
                )
            } else {
                format!(
                    "{}: {} is always forced",
                    self.group_name(v),
                    self.option_name(v, a)
                )
            };
        }
        if report.satisfiable {
            let none = c.propagate_allowed(&vec![true; c.offsets().total()]);
            for (gi, g) in self.rules.groups.iter().enumerate() {
                if let Some(d) = &g.default {
                    let a = self.names.option[gi][d];
                    if !none.flat[c.offsets().at(gi as Var, a)] {
                        report.warnings.push(format!(
                            "default `{d}` of group `{}` can never be chosen",
                            g.id
                        ));
                    }
                }
            }
        }
        report
    }
}
