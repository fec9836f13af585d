//! The per-option solver baseline: one SAT call (varisat, incremental, with assumptions) for
//! every option of every open group after each click — the straightforward way to offer only
//! options that lead to a valid configuration.

use configurator::{Constraint, Offsets, Problem, Val};
use varisat::{ExtendFormula, Lit, Solver};

pub struct Baseline<'a> {
    solver: Solver<'a>,
    option_lit: Vec<Lit>,
    offsets: Offsets,
}

impl Baseline<'_> {
    /// Direct encoding: one Boolean per option, exactly one per group, one selector per allowed
    /// tuple of every table (`selector → its options`, at least one selector per table).
    pub fn new(problem: &Problem) -> Result<Self, String> {
        let mut solver = Solver::new();
        let offsets = Offsets::of(problem);
        let option_lit: Vec<Lit> = (0..offsets.total()).map(|_| solver.new_lit()).collect();
        for (v, var) in problem.vars.iter().enumerate() {
            let lits: Vec<Lit> = (0..var.values.len())
                .map(|a| option_lit[offsets.at(v as u32, a as Val)])
                .collect();
            solver.add_clause(&lits);
            if lits.len() <= 16 {
                for i in 0..lits.len() {
                    for j in i + 1..lits.len() {
                        solver.add_clause(&[!lits[i], !lits[j]]);
                    }
                }
            } else {
                // sequential at-most-one
                let mut prev = lits[0];
                for &l in &lits[1..] {
                    let s = solver.new_lit();
                    solver.add_clause(&[!prev, s]);
                    solver.add_clause(&[!l, !prev]);
                    solver.add_clause(&[!l, s]);
                    prev = s;
                }
            }
        }
        for c in &problem.constraints {
            match c {
                Constraint::Table { scope, tuples, .. } => {
                    let mut any = Vec::with_capacity(tuples.len());
                    for t in tuples {
                        let sel = solver.new_lit();
                        for (&v, &a) in scope.iter().zip(t) {
                            solver.add_clause(&[!sel, option_lit[offsets.at(v, a)]]);
                        }
                        any.push(sel);
                    }
                    solver.add_clause(&any);
                }
                Constraint::Forbid { literals, .. } => {
                    let mut clause = Vec::new();
                    for l in literals {
                        let aux = solver.new_lit();
                        for (a, &h) in l.holds.iter().enumerate() {
                            if h {
                                solver.add_clause(&[!option_lit[offsets.at(l.var, a as Val)], aux]);
                            }
                        }
                        let mut back = vec![!aux];
                        back.extend(
                            l.holds
                                .iter()
                                .enumerate()
                                .filter(|(_, h)| **h)
                                .map(|(a, _)| option_lit[offsets.at(l.var, a as Val)]),
                        );
                        solver.add_clause(&back);
                        clause.push(!aux);
                    }
                    solver.add_clause(&clause);
                }
                Constraint::Capacity { name, .. } => {
                    return Err(format!("baseline does not encode capacity rule {name}"));
                }
            }
        }
        Ok(Baseline {
            solver,
            option_lit,
            offsets,
        })
    }

    /// One solver call per option of every open group. Returns how many options are available.
    pub fn click(&mut self, problem: &Problem, choices: &[Option<Val>]) -> usize {
        let fixed: Vec<Lit> = choices
            .iter()
            .enumerate()
            .filter_map(|(v, c)| c.map(|a| self.option_lit[self.offsets.at(v as u32, a)]))
            .collect();
        let mut available = 0;
        let mut assumptions = fixed.clone();
        for (v, c) in choices.iter().enumerate() {
            if c.is_some() {
                continue;
            }
            for a in 0..problem.domain(v as u32) as Val {
                assumptions.truncate(fixed.len());
                assumptions.push(self.option_lit[self.offsets.at(v as u32, a)]);
                self.solver.assume(&assumptions);
                if self.solver.solve().unwrap_or(false) {
                    available += 1;
                }
            }
        }
        available
    }
}
