//! The named rule-set model merchandisers and the demo catalogue write (serde JSON), the result
//! types the storefront receives, and the lowering of a rule set to the index-level [`Problem`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::problem::{Constraint, CostFn, Literal, Problem, Val, Var, Variable};

/// Rule-set format version this engine reads.
pub const CURRENT_VERSION: u32 = 1;

/// The option id that names an empty optional group.
pub const NONE_OPTION: &str = "none";

/// A product's rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    pub version: u32,
    pub groups: Vec<Group>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub price_tables: Vec<PriceTable>,
}

impl RuleSet {
    /// Whether `option` can be chosen in `group` by name: one of its options, or
    /// [`NONE_OPTION`] in an optional group. Says nothing about the rules.
    pub fn offers(&self, group: &str, option: &str) -> bool {
        self.groups.iter().any(|g| {
            g.id == group
                && (g.options.iter().any(|o| o.id == option)
                    || (g.optional && option == NONE_OPTION))
        })
    }
}

/// An option group: the buyer picks one of its options (or none when optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub default: Option<String>,
    pub options: Vec<OptionDef>,
}

/// One option of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionDef {
    pub id: String,
    pub name: String,
    /// Price in minor units.
    #[serde(default)]
    pub price: i64,
    /// Working days to make or source this option; a configuration's lead time is the longest
    /// of its options' ([`crate::Configurator::lead_days`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lead_days: u32,
    /// Numeric attributes (weight, power draw, capacity …) used by capacity rules and limits.
    #[serde(default)]
    pub attributes: BTreeMap<String, i64>,
}

fn is_zero(days: &u32) -> bool {
    *days == 0
}

/// A rule of the rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// If all `when` hold then `then` must hold.
    Requires {
        id: String,
        when: Vec<Condition>,
        then: Condition,
        #[serde(default)]
        message: Option<String>,
    },
    /// Not all of these together.
    Excludes {
        id: String,
        all: Vec<Condition>,
        #[serde(default)]
        message: Option<String>,
    },
    /// Allowed combinations of options of `groups`; `"none"` names an empty optional group.
    Table {
        id: String,
        groups: Vec<String>,
        allowed: Vec<Vec<String>>,
        #[serde(default)]
        message: Option<String>,
    },
    /// Sum of `attribute` over all chosen options ≤ `limit_attribute` of the option chosen in
    /// `limit_group` (a missing attribute counts 0; an empty limit group allows 0).
    Capacity {
        id: String,
        attribute: String,
        limit_group: String,
        limit_attribute: String,
        #[serde(default)]
        message: Option<String>,
    },
}

impl Rule {
    pub fn id(&self) -> &str {
        match self {
            Rule::Requires { id, .. }
            | Rule::Excludes { id, .. }
            | Rule::Table { id, .. }
            | Rule::Capacity { id, .. } => id,
        }
    }
    pub fn message(&self) -> Option<&str> {
        match self {
            Rule::Requires { message, .. }
            | Rule::Excludes { message, .. }
            | Rule::Table { message, .. }
            | Rule::Capacity { message, .. } => message.as_deref(),
        }
    }
}

/// The group's option is one of `any_of` (`"none"` = left empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub group: String,
    pub any_of: Vec<String>,
}

/// Surcharges and bundle discounts over combinations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    pub id: String,
    pub name: String,
    pub entries: Vec<PriceEntry>,
}

/// `amount` (negative for a discount) is added when all conditions hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub when: Vec<Condition>,
    pub amount: i64,
}

/// Group id → option id (`"none"` for an empty optional group).
pub type Choices = BTreeMap<String, String>;

/// What the engine says about every group under the buyer's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub groups: Vec<GroupState>,
    /// The choices (with stock) still extend to a valid configuration.
    pub consistent: bool,
    pub price_so_far: i64,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Every group is chosen (empty optional groups may be left out) and the result is valid.
    pub complete: bool,
}

/// Which unavailable options an assessment explains and repairs. Availability, forced options,
/// best prices, price bounds and consistency are computed for every group whatever this says;
/// explanations are the expensive part (searches per option), so the storefront asks for them
/// only where the buyer looks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Explain {
    /// Every unavailable option of every group (what [`crate::Configurator::assess`] does).
    #[default]
    All,
    /// The unavailable options of these groups (ids) only.
    Groups(BTreeSet<String>),
    /// None: unexplained options get only the exact hints that need no search.
    None,
}

impl Explain {
    /// Does this ask for explanations of the group with this id?
    pub fn covers(&self, group: &str) -> bool {
        match self {
            Explain::All => true,
            Explain::Groups(groups) => groups.contains(group),
            Explain::None => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    pub group: String,
    pub chosen: Option<String>,
    /// The only option left for a group the buyer has not chosen yet.
    pub forced: Option<String>,
    pub options: Vec<OptionState>,
}

/// For a group the buyer already chose, `available` and `best_price` are about switching to this
/// option while keeping the *other* choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionState {
    pub option: String,
    pub available: bool,
    /// The lowest total price of a valid, in-stock configuration with this option and the
    /// choices (as [`Quote::total`] counts it); `None` exactly when the option is unavailable.
    #[serde(default)]
    pub best_price: Option<i64>,
    pub reason: Option<Explanation>,
    pub repair: Option<Repair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Minimal conflicting buyer choices (group, option).
    pub choices: Vec<(String, String)>,
    /// Ids of the rules involved.
    pub rules: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repair {
    /// Groups whose choice must be cleared (the fewest possible).
    pub drop: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub total: i64,
    pub lines: Vec<QuoteLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub label: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub rule: Option<String>,
    pub group: Option<String>,
    pub message: String,
}

/// Extra limits for the optimal completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Limit {
    MaxTotalPrice(i64),
    /// Needs the `ilp` feature: a second additive limit beside the price makes the cheapest
    /// completion a constrained optimum the diagram alone cannot give.
    #[cfg(feature = "ilp")]
    MaxAttribute {
        attribute: String,
        max: i64,
    },
}

/// A choice that names something the rule set does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ChoiceError {
    #[error("there is no option group `{0}` on this product")]
    UnknownGroup(String),
    #[error("`{option}` is not an option of `{group}`")]
    UnknownOption { group: String, option: String },
}

/// A rule set that cannot be compiled; the message names the rule at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ModelError {
    #[error("rule-set version {0} is not supported (this engine reads version {CURRENT_VERSION})")]
    UnsupportedVersion(u32),
    #[error("group `{0}` is defined twice")]
    DuplicateGroup(String),
    #[error("group `{group}` defines option `{option}` twice")]
    DuplicateOption { group: String, option: String },
    #[error("group `{0}` has no options")]
    EmptyGroup(String),
    #[error("rule or price table id `{0}` is used twice")]
    DuplicateRule(String),
    #[error("{rule}: unknown group `{group}`")]
    UnknownGroup { rule: String, group: String },
    #[error("{rule}: `{option}` is not an option of group `{group}`")]
    UnknownOption {
        rule: String,
        group: String,
        option: String,
    },
    #[error("{rule}: {problem}")]
    Invalid { rule: String, problem: String },
    /// Compiling would take more than the engine allows a rule set (its rules connect too
    /// many groups at once, e.g. a capacity rule over dozens of groups with many options).
    #[error("the rules are too entangled to compile within {steps} search steps")]
    TooComplex { steps: u64 },
}

/// Name ↔ index maps of a rule set.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub group: HashMap<String, Var>,
    pub option: Vec<HashMap<String, Val>>,
}

impl Names {
    pub fn var(&self, rule: &str, group: &str) -> Result<Var, ModelError> {
        self.group
            .get(group)
            .copied()
            .ok_or_else(|| ModelError::UnknownGroup {
                rule: rule.to_string(),
                group: group.to_string(),
            })
    }
    pub fn val(&self, rule: &str, var: Var, group: &str, option: &str) -> Result<Val, ModelError> {
        self.option[var as usize]
            .get(option)
            .copied()
            .ok_or_else(|| ModelError::UnknownOption {
                rule: rule.to_string(),
                group: group.to_string(),
                option: option.to_string(),
            })
    }
}

/// A running bound on the absolute value of a sum, refused once it leaves `i64`.
#[derive(Default)]
struct Magnitude(u64);

impl Magnitude {
    fn add(&mut self, amount: u64, rule: &str, what: &str) -> Result<(), ModelError> {
        self.0 = self
            .0
            .checked_add(amount)
            .filter(|&m| m <= i64::MAX as u64)
            .ok_or_else(|| ModelError::Invalid {
                rule: rule.to_string(),
                problem: format!("{what} add up beyond what a 64-bit total can hold"),
            })?;
        Ok(())
    }
}

fn literal(
    names: &Names,
    problem: &Problem,
    rule: &str,
    c: &Condition,
    negate: bool,
) -> Result<Literal, ModelError> {
    let var = names.var(rule, &c.group)?;
    let mut holds = vec![negate; problem.domain(var)];
    for o in &c.any_of {
        holds[names.val(rule, var, &c.group, o)? as usize] = !negate;
    }
    Ok(Literal { var, holds })
}

/// Lowers a rule set: one variable per group (options in order, then `"none"` when optional), one
/// constraint per rule (same order, named by rule id), one cost function per price table.
pub(crate) fn lower(rules: &RuleSet) -> Result<(Problem, Names), ModelError> {
    if rules.version == 0 || rules.version > CURRENT_VERSION {
        return Err(ModelError::UnsupportedVersion(rules.version));
    }
    let mut vars = Vec::new();
    let mut names = Names {
        group: HashMap::new(),
        option: Vec::new(),
    };
    for (gi, g) in rules.groups.iter().enumerate() {
        if names.group.insert(g.id.clone(), gi as Var).is_some() {
            return Err(ModelError::DuplicateGroup(g.id.clone()));
        }
        if g.options.is_empty() {
            return Err(ModelError::EmptyGroup(g.id.clone()));
        }
        let mut idx = HashMap::new();
        let mut values = Vec::new();
        for o in &g.options {
            if o.id == NONE_OPTION || idx.insert(o.id.clone(), values.len() as Val).is_some() {
                return Err(ModelError::DuplicateOption {
                    group: g.id.clone(),
                    option: o.id.clone(),
                });
            }
            values.push(o.id.clone());
        }
        if g.optional {
            idx.insert(NONE_OPTION.to_string(), values.len() as Val);
            values.push(NONE_OPTION.to_string());
        }
        if values.len() > Val::MAX as usize {
            return Err(ModelError::Invalid {
                rule: g.id.clone(),
                problem: "too many options".into(),
            });
        }
        if let Some(d) = &g.default
            && !idx.contains_key(d)
        {
            return Err(ModelError::UnknownOption {
                rule: format!("default of group `{}`", g.id),
                group: g.id.clone(),
                option: d.clone(),
            });
        }
        names.option.push(idx);
        vars.push(Variable {
            name: g.id.clone(),
            values,
        });
    }
    let mut problem = Problem::new(vars);
    // Every sum of prices the engine forms (diagram weights, price bounds, quotes) is bounded by
    // the largest prices added up; refusing rule sets where that overflows keeps them all exact.
    let mut magnitude = Magnitude::default();
    for (gi, g) in rules.groups.iter().enumerate() {
        for (oi, o) in g.options.iter().enumerate() {
            problem.unary[gi][oi] = o.price;
        }
        let largest = g.options.iter().map(|o| o.price.unsigned_abs()).max();
        magnitude.add(largest.unwrap_or(0), &g.id, "prices")?;
    }
    let mut ids = std::collections::HashSet::new();
    for rule in &rules.rules {
        let id = rule.id();
        if !ids.insert(id.to_string()) {
            return Err(ModelError::DuplicateRule(id.to_string()));
        }
        let name = id.to_string();
        let constraint = match rule {
            Rule::Requires { when, then, .. } => {
                let mut literals = when
                    .iter()
                    .map(|c| literal(&names, &problem, id, c, false))
                    .collect::<Result<Vec<_>, _>>()?;
                literals.push(literal(&names, &problem, id, then, true)?);
                Constraint::Forbid { name, literals }
            }
            Rule::Excludes { all, .. } => {
                if all.is_empty() {
                    return Err(ModelError::Invalid {
                        rule: name,
                        problem: "excludes nothing".into(),
                    });
                }
                let literals = all
                    .iter()
                    .map(|c| literal(&names, &problem, id, c, false))
                    .collect::<Result<Vec<_>, _>>()?;
                Constraint::Forbid { name, literals }
            }
            Rule::Table {
                groups, allowed, ..
            } => {
                if groups.is_empty() {
                    return Err(ModelError::Invalid {
                        rule: name,
                        problem: "table over no groups".into(),
                    });
                }
                let scope = groups
                    .iter()
                    .map(|g| names.var(id, g))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut tuples = Vec::with_capacity(allowed.len());
                for (ri, row) in allowed.iter().enumerate() {
                    if row.len() != scope.len() {
                        return Err(ModelError::Invalid {
                            rule: name,
                            problem: format!(
                                "row {} has {} options for {} groups",
                                ri + 1,
                                row.len(),
                                scope.len()
                            ),
                        });
                    }
                    tuples.push(
                        row.iter()
                            .zip(&scope)
                            .zip(groups)
                            .map(|((o, &v), g)| names.val(id, v, g, o))
                            .collect::<Result<Vec<_>, _>>()?,
                    );
                }
                Constraint::Table {
                    name,
                    scope,
                    tuples,
                }
            }
            Rule::Capacity {
                attribute,
                limit_group,
                limit_attribute,
                ..
            } => {
                let limit_var = names.var(id, limit_group)?;
                let weights = |v: usize, attr: &str| -> Vec<i64> {
                    let g = &rules.groups[v];
                    let mut w: Vec<i64> = g
                        .options
                        .iter()
                        .map(|o| o.attributes.get(attr).copied().unwrap_or(0))
                        .collect();
                    if g.optional {
                        w.push(0);
                    }
                    w
                };
                let terms: Vec<(Var, Vec<i64>)> = (0..rules.groups.len())
                    .map(|v| (v as Var, weights(v, attribute)))
                    .filter(|(_, w)| w.iter().any(|&x| x != 0))
                    .collect();
                // the rule sums one weight per group; that sum must not overflow
                let mut total = Magnitude::default();
                for (_, w) in &terms {
                    let largest = w.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0);
                    total.add(largest, id, &format!("attribute `{attribute}`"))?;
                }
                Constraint::Capacity {
                    name,
                    terms,
                    limit_var,
                    limit: weights(limit_var as usize, limit_attribute),
                }
            }
        };
        problem.constraints.push(constraint);
    }
    for t in &rules.price_tables {
        if !ids.insert(t.id.clone()) {
            return Err(ModelError::DuplicateRule(t.id.clone()));
        }
        let mut scope: Vec<Var> = Vec::new();
        let mut entries = Vec::new();
        for e in &t.entries {
            let lits = e
                .when
                .iter()
                .map(|c| literal(&names, &problem, &t.id, c, false))
                .collect::<Result<Vec<_>, _>>()?;
            magnitude.add(e.amount.unsigned_abs(), &t.id, "prices")?;
            if lits.is_empty() {
                problem.constant =
                    problem
                        .constant
                        .checked_add(e.amount)
                        .ok_or_else(|| ModelError::Invalid {
                            rule: t.id.clone(),
                            problem: "prices add up beyond what a 64-bit total can hold".into(),
                        })?;
                continue;
            }
            for l in &lits {
                if !scope.contains(&l.var) {
                    scope.push(l.var);
                }
            }
            entries.push((lits, e.amount));
        }
        if !entries.is_empty() {
            problem.costs.push(CostFn::Entries {
                name: t.id.clone(),
                scope,
                entries,
            });
        }
    }
    Ok((problem, names))
}
