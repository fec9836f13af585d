//! Optimal completion as an integer linear program solved with good_lp's pure-Rust `microlp`
//! backend (so it also runs in wasm).
//!
//! Why over the diagram rather than over the rule tables: the compiled AND/OR diagram already
//! encodes every rule (tables, requires/excludes, capacity) and the additive prices, so a
//! solution is a *solution tree* — one binary per live arc, with flow conservation at every
//! node. Options the current choices rule out are never given a variable, so the program is
//! small; extra linear limits (budget, total weight …) are added on top.

// Nodes and arcs live in parallel arrays (struct of arrays), so loops run over index ranges.
#![allow(clippy::needless_range_loop)]

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

use crate::compile::Compiled;
use crate::problem::Val;

/// Cheapest valid configuration using only allowed options, with `Σ weights[v][value] ≤ max` for
/// every linear limit and the total price ≤ `price_limit`. Returns (price, values).
pub fn cheapest(
    c: &Compiled,
    allowed: &[bool],
    linear: &[(Vec<Vec<i64>>, i64)],
    price_limit: Option<i64>,
) -> Option<(i64, Vec<Val>)> {
    let mut sat = Vec::new();
    let mut arc_ok = Vec::new();
    if !c.upward(allowed, &mut sat, &mut arc_ok) {
        return None;
    }
    let n = c.node_var.len();
    let mut reach = vec![false; n];
    for &r in &c.roots {
        reach[r as usize] = true;
    }
    for nd in (0..n).rev() {
        if !reach[nd] {
            continue;
        }
        for a in c.node_arcs[nd] as usize..c.node_arcs[nd + 1] as usize {
            if arc_ok[a] {
                for &k in &c.kids[c.arc_kids[a] as usize..c.arc_kids[a + 1] as usize] {
                    reach[k as usize] = true;
                }
            }
        }
    }
    let mut vars = ProblemVariables::new();
    let mut flow: Vec<Option<Variable>> = vec![None; c.arc_val.len()];
    let mut inflow: Vec<Expression> = vec![Expression::from(0.0); n];
    for &r in &c.roots {
        inflow[r as usize] += 1.0;
    }
    let mut price = Expression::from(c.problem().constant as f64);
    let mut limit_exprs: Vec<Expression> = linear.iter().map(|_| Expression::from(0.0)).collect();
    for nd in 0..n {
        if !reach[nd] {
            continue;
        }
        let var = c.node_var[nd] as usize;
        for a in c.node_arcs[nd] as usize..c.node_arcs[nd + 1] as usize {
            if !arc_ok[a] {
                continue;
            }
            let f = vars.add(variable().binary());
            flow[a] = Some(f);
            price += c.arc_w[a] as f64 * f;
            for (e, (weights, _)) in limit_exprs.iter_mut().zip(linear) {
                let w = weights[var][c.arc_val[a] as usize];
                if w != 0 {
                    *e += w as f64 * f;
                }
            }
            for &k in &c.kids[c.arc_kids[a] as usize..c.arc_kids[a + 1] as usize] {
                inflow[k as usize] += f;
            }
        }
    }
    let mut model = vars.minimise(price.clone()).using(microlp);
    for nd in 0..n {
        if !reach[nd] {
            continue;
        }
        let mut out = Expression::from(0.0);
        for a in c.node_arcs[nd] as usize..c.node_arcs[nd + 1] as usize {
            if let Some(f) = flow[a] {
                out += f;
            }
        }
        model = model.with(out.eq(std::mem::take(&mut inflow[nd])));
    }
    for (e, (_, max)) in limit_exprs.into_iter().zip(linear) {
        model = model.with(e.leq(*max as f64));
    }
    if let Some(p) = price_limit {
        model = model.with(price.leq(p as f64));
    }
    let solution = model.solve().ok()?;
    let mut assignment = vec![0 as Val; c.problem().vars.len()];
    let mut seen = vec![false; assignment.len()];
    for nd in 0..n {
        for a in c.node_arcs[nd] as usize..c.node_arcs[nd + 1] as usize {
            if let Some(f) = flow[a]
                && solution.value(f) > 0.5
            {
                let v = c.node_var[nd] as usize;
                assignment[v] = c.arc_val[a];
                seen[v] = true;
            }
        }
    }
    if !seen.iter().all(|&s| s) || !c.problem().is_valid(&assignment) {
        return None;
    }
    Some((c.problem().cost(&assignment), assignment))
}
