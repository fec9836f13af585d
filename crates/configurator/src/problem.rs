//! The index-level problem every front end (named rule sets, XCSP files, the generator) is lowered
//! to: variables with finite domains, hard constraints and additive cost functions.

use std::collections::HashMap;

/// Index of a variable (an option group).
pub type Var = u32;
/// Index of a value inside its variable's domain (an option).
pub type Val = u16;

/// A variable: a name and the labels of its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub values: Vec<String>,
}

/// One condition of a [`Constraint::Forbid`]: the variable takes one of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub var: Var,
    /// Indexed by value: does the condition hold for it?
    pub holds: Vec<bool>,
}

/// A hard constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Extensional table: the scope's values must form one of the allowed tuples.
    Table {
        name: String,
        scope: Vec<Var>,
        tuples: Vec<Vec<Val>>,
    },
    /// The literals must not all hold together (requires / excludes rules lower to this).
    Forbid {
        name: String,
        literals: Vec<Literal>,
    },
    /// Sum of `weight[var][value]` over `terms` ≤ `limit[value of limit_var]`.
    Capacity {
        name: String,
        terms: Vec<(Var, Vec<i64>)>,
        limit_var: Var,
        limit: Vec<i64>,
    },
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::Table { name, .. }
            | Constraint::Forbid { name, .. }
            | Constraint::Capacity { name, .. } => name,
        }
    }

    /// Distinct variables of the constraint, in first-mention order.
    pub fn scope(&self) -> Vec<Var> {
        let mut out: Vec<Var> = Vec::new();
        let mut push = |v: Var| {
            if !out.contains(&v) {
                out.push(v);
            }
        };
        match self {
            Constraint::Table { scope, .. } => scope.iter().for_each(|&v| push(v)),
            Constraint::Forbid { literals, .. } => literals.iter().for_each(|l| push(l.var)),
            Constraint::Capacity {
                terms, limit_var, ..
            } => {
                terms.iter().for_each(|(v, _)| push(*v));
                push(*limit_var);
            }
        }
        out
    }

    /// Does a full assignment of the scope satisfy the constraint?
    pub fn holds(&self, value_of: &dyn Fn(Var) -> Val) -> bool {
        match self {
            Constraint::Table { scope, tuples, .. } => tuples
                .iter()
                .any(|t| scope.iter().zip(t).all(|(&v, &a)| value_of(v) == a)),
            Constraint::Forbid { literals, .. } => {
                !literals.iter().all(|l| l.holds[value_of(l.var) as usize])
            }
            Constraint::Capacity {
                terms,
                limit_var,
                limit,
                ..
            } => {
                let sum: i64 = terms.iter().map(|(v, w)| w[value_of(*v) as usize]).sum();
                sum <= limit[value_of(*limit_var) as usize]
            }
        }
    }
}

/// An additive cost function (price table) over a scope.
#[derive(Debug, Clone, PartialEq)]
pub enum CostFn {
    /// WCSP soft table: listed tuples have their cost, all others `default`.
    Table {
        name: String,
        scope: Vec<Var>,
        costs: HashMap<Vec<Val>, i64>,
        default: i64,
    },
    /// Sum of the amounts of the entries whose literals all hold (named price tables).
    Entries {
        name: String,
        scope: Vec<Var>,
        entries: Vec<(Vec<Literal>, i64)>,
    },
}

impl CostFn {
    pub fn scope(&self) -> &[Var] {
        match self {
            CostFn::Table { scope, .. } | CostFn::Entries { scope, .. } => scope,
        }
    }

    /// The largest absolute cost this function can add, or `None` beyond `u64`.
    pub fn magnitude(&self) -> Option<u64> {
        match self {
            CostFn::Table { costs, default, .. } => Some(
                costs
                    .values()
                    .map(|c| c.unsigned_abs())
                    .fold(default.unsigned_abs(), u64::max),
            ),
            CostFn::Entries { entries, .. } => entries
                .iter()
                .try_fold(0u64, |acc, (_, a)| acc.checked_add(a.unsigned_abs())),
        }
    }

    pub fn cost(&self, value_of: &dyn Fn(Var) -> Val) -> i64 {
        match self {
            CostFn::Table {
                scope,
                costs,
                default,
                ..
            } => {
                let key: Vec<Val> = scope.iter().map(|&v| value_of(v)).collect();
                costs.get(&key).copied().unwrap_or(*default)
            }
            CostFn::Entries { entries, .. } => entries
                .iter()
                .filter(|(lits, _)| lits.iter().all(|l| l.holds[value_of(l.var) as usize]))
                .map(|(_, a)| *a)
                .sum(),
        }
    }
}

/// A whole problem.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Problem {
    pub vars: Vec<Variable>,
    pub constraints: Vec<Constraint>,
    /// Per variable, per value: the option's own price (0 when none).
    pub unary: Vec<Vec<i64>>,
    pub costs: Vec<CostFn>,
    /// Cost added to every configuration (price-table entries without conditions).
    pub constant: i64,
}

impl Problem {
    pub fn new(vars: Vec<Variable>) -> Self {
        let unary = vars.iter().map(|v| vec![0; v.values.len()]).collect();
        Problem {
            vars,
            constraints: Vec::new(),
            unary,
            costs: Vec::new(),
            constant: 0,
        }
    }

    pub fn domain(&self, v: Var) -> usize {
        self.vars[v as usize].values.len()
    }

    /// Is a full assignment valid (every hard constraint holds)?
    pub fn is_valid(&self, assignment: &[Val]) -> bool {
        let f = |v: Var| assignment[v as usize];
        self.constraints.iter().all(|c| c.holds(&f))
    }

    /// Total cost of a full assignment.
    pub fn cost(&self, assignment: &[Val]) -> i64 {
        let f = |v: Var| assignment[v as usize];
        self.constant
            + assignment
                .iter()
                .enumerate()
                .map(|(v, &a)| self.unary[v][a as usize])
                .sum::<i64>()
            + self.costs.iter().map(|c| c.cost(&f)).sum::<i64>()
    }

    /// An upper bound on the absolute total cost of any assignment: `|constant|` plus, per
    /// variable and per cost function, the largest absolute cost. `None` when it does not fit in
    /// an `i64`; the importers and the rule-set lowering refuse such problems, so that no sum of
    /// costs in the engine can overflow.
    pub fn cost_magnitude(&self) -> Option<i64> {
        let mut total = self.constant.unsigned_abs();
        for prices in &self.unary {
            let largest = prices.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0);
            total = total.checked_add(largest)?;
        }
        for f in &self.costs {
            total = total.checked_add(f.magnitude()?)?;
        }
        i64::try_from(total).ok()
    }

    /// Find a variable by name.
    pub fn var_index(&self, name: &str) -> Option<Var> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .map(|i| i as Var)
    }

    /// Total number of values over all variables (length of a flat support vector).
    pub fn total_values(&self) -> usize {
        self.vars.iter().map(|v| v.values.len()).sum()
    }
}

/// Flat per-(variable, value) index: `offset[v] + value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Offsets(pub Vec<usize>);

impl Offsets {
    pub fn of(problem: &Problem) -> Self {
        let mut acc = 0;
        let mut o = Vec::with_capacity(problem.vars.len() + 1);
        for v in &problem.vars {
            o.push(acc);
            acc += v.values.len();
        }
        o.push(acc);
        Offsets(o)
    }
    #[inline]
    pub fn at(&self, v: Var, a: Val) -> usize {
        self.0[v as usize] + a as usize
    }
    pub fn total(&self) -> usize {
        *self.0.last().unwrap_or(&0)
    }
}
