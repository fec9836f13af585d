//! Recommendation learned from sales: for the next group, the option a buyer with the same
//! choices most likely takes (naive Bayes over sold configurations), among the options complete
//! propagation still allows; plus the cross-validation that measures it, and
//! [`NamedRecommender`], the same in shop words, trained on the server and shipped as JSON.

use serde::{Deserialize, Serialize};

use crate::compile::Compiled;
use crate::configurator::Configurator;
use crate::model::Choices;
use crate::problem::{Problem, Val, Var};
use crate::rng::Rng;

/// Sold configurations over some of a problem's variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sales {
    pub vars: Vec<Var>,
    pub rows: Vec<Vec<Val>>,
}

/// Parses a sales file: a header of variable names, then one sold configuration per line
/// (value labels in header order).
pub fn parse_sales(problem: &Problem, text: &str) -> Result<Sales, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("empty sales file")?;
    let vars = header
        .split_whitespace()
        .map(|n| {
            problem
                .var_index(n)
                .ok_or_else(|| format!("sales header names unknown variable `{n}`"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let row = line
            .split_whitespace()
            .zip(&vars)
            .map(|(s, &v)| {
                problem.vars[v as usize]
                    .values
                    .iter()
                    .position(|x| x == s)
                    .map(|a| a as Val)
                    .ok_or_else(|| {
                        format!(
                            "line {}: `{s}` is not a value of {}",
                            i + 2,
                            problem.vars[v as usize].name
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if row.len() != vars.len() {
            return Err(format!(
                "line {}: {} values for {} variables",
                i + 2,
                row.len(),
                vars.len()
            ));
        }
        rows.push(row);
    }
    Ok(Sales { vars, rows })
}

/// Frequencies learned from sales.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommender {
    /// Position of each problem variable in the sales columns.
    column: Vec<Option<usize>>,
    domains: Vec<usize>,
    single: Vec<Vec<f64>>,
    /// pair[i][j][a * d_j + b]: sales with column i = a and column j = b.
    pair: Vec<Vec<Vec<f64>>>,
}

impl Recommender {
    pub fn train(problem: &Problem, sales: &Sales, rows: &[usize]) -> Recommender {
        let k = sales.vars.len();
        let domains: Vec<usize> = sales.vars.iter().map(|&v| problem.domain(v)).collect();
        let mut column = vec![None; problem.vars.len()];
        for (i, &v) in sales.vars.iter().enumerate() {
            column[v as usize] = Some(i);
        }
        let mut single: Vec<Vec<f64>> = domains.iter().map(|&d| vec![0.0; d]).collect();
        let mut pair: Vec<Vec<Vec<f64>>> = (0..k)
            .map(|i| (0..k).map(|j| vec![0.0; domains[i] * domains[j]]).collect())
            .collect();
        for &r in rows {
            let row = &sales.rows[r];
            for i in 0..k {
                single[i][row[i] as usize] += 1.0;
                for j in 0..k {
                    pair[i][j][row[i] as usize * domains[j] + row[j] as usize] += 1.0;
                }
            }
        }
        Recommender {
            column,
            domains,
            single,
            pair,
        }
    }

    /// The most likely option of `var` among `candidates` given the chosen (var, value) pairs.
    pub fn recommend(&self, var: Var, candidates: &[Val], chosen: &[(Var, Val)]) -> Option<Val> {
        let Some(i) = self.column[var as usize] else {
            return candidates.first().copied();
        };
        let mut best: Option<(f64, Val)> = None;
        for &a in candidates {
            let ca = self.single[i][a as usize];
            let mut score = (ca + 0.5).ln();
            for &(y, b) in chosen {
                if let Some(j) = self.column[y as usize] {
                    let cab = self.pair[i][j][a as usize * self.domains[j] + b as usize];
                    score += ((cab + 0.1) / (ca + 0.1 * self.domains[j] as f64)).ln();
                }
            }
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, a));
            }
        }
        best.map(|(_, a)| a)
    }

    /// Conditional frequency: the option most often sold together with the buyer's choices, among
    /// the sales that agree with them (`similar`); naive Bayes when none of those has a candidate.
    pub fn recommend_similar(
        &self,
        sales: &Sales,
        similar: &[usize],
        var: Var,
        candidates: &[Val],
        chosen: &[(Var, Val)],
    ) -> Option<Val> {
        if let Some(i) = self.column[var as usize] {
            let mut freq = vec![0usize; self.domains[i]];
            for &r in similar {
                freq[sales.rows[r][i] as usize] += 1;
            }
            let best = candidates
                .iter()
                .copied()
                .max_by_key(|&a| (freq[a as usize], std::cmp::Reverse(a)));
            if let Some(b) = best
                && freq[b as usize] > 0
            {
                return Some(b);
            }
        }
        self.recommend(var, candidates, chosen)
    }

    /// Baseline: the most sold option among the candidates, ignoring the other choices.
    pub fn most_frequent(&self, var: Var, candidates: &[Val]) -> Option<Val> {
        let i = self.column[var as usize];
        candidates.iter().copied().max_by(|&a, &b| {
            let f = |x: Val| i.map_or(0.0, |i| self.single[i][x as usize]);
            f(a).total_cmp(&f(b)).then(b.cmp(&a))
        })
    }
}

/// "Popular with your choices", learned from one rule version's past orders: the sold
/// configurations and their frequencies, with the group and option ids they were trained
/// under, so a model trained on another version of the rules answers nothing rather than
/// something wrong. Trained by [`Configurator::train_recommender`]; serde JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedRecommender {
    /// Per group (in rule-set order): its id and its option ids (`"none"` last when optional).
    vocabulary: Vec<(String, Vec<String>)>,
    sales: Sales,
    model: Recommender,
}

impl NamedRecommender {
    pub(crate) fn train(
        vocabulary: Vec<(String, Vec<String>)>,
        problem: &Problem,
        rows: Vec<Vec<Val>>,
    ) -> NamedRecommender {
        let sales = Sales {
            vars: (0..problem.vars.len() as Var).collect(),
            rows,
        };
        let all: Vec<usize> = (0..sales.rows.len()).collect();
        let model = Recommender::train(problem, &sales, &all);
        NamedRecommender {
            vocabulary,
            sales,
            model,
        }
    }

    /// Number of sold configurations it learned from.
    pub fn sales(&self) -> usize {
        self.sales.rows.len()
    }

    /// The option of `group`, among `candidates`, that most buyers took who chose as the buyer
    /// did (the sales agreeing with the choices, a choice no sale shares being passed over;
    /// naive Bayes over all sales when none of those took a candidate). `None` when no sale has
    /// any of the candidates in that group, when the group or every candidate is unknown, or
    /// when the recommender was trained on other rules than the engine's.
    pub fn popular(
        &self,
        engine: &Configurator,
        choices: &Choices,
        group: &str,
        candidates: &[String],
    ) -> Option<String> {
        if !self.fits(engine) {
            return None;
        }
        let (var, options) = self
            .vocabulary
            .iter()
            .enumerate()
            .find(|(_, (g, _))| g == group)
            .map(|(v, (_, o))| (v, o))?;
        let candidates: Vec<Val> = candidates
            .iter()
            .filter_map(|c| options.iter().position(|o| o == c))
            .map(|a| a as Val)
            .collect();
        // no history: nobody bought any of the candidates in this group
        if candidates
            .iter()
            .all(|&a| self.model.single[var][a as usize] == 0.0)
        {
            return None;
        }
        let chosen: Vec<(Var, Val)> = choices
            .iter()
            .filter(|(g, _)| g.as_str() != group)
            .filter_map(|(g, o)| {
                let v = self.vocabulary.iter().position(|(x, _)| x == g)?;
                let a = self.vocabulary[v].1.iter().position(|x| x == o)?;
                Some((v as Var, a as Val))
            })
            .collect();
        let mut similar: Vec<usize> = (0..self.sales.rows.len()).collect();
        for &(v, a) in &chosen {
            let narrowed: Vec<usize> = similar
                .iter()
                .copied()
                .filter(|&r| self.sales.rows[r][v as usize] == a)
                .collect();
            if !narrowed.is_empty() {
                similar = narrowed;
            }
        }
        let best = self.model.recommend_similar(
            &self.sales,
            &similar,
            var as Var,
            &candidates,
            &chosen,
        )?;
        Some(options[best as usize].clone())
    }

    /// Trained under the engine's groups and options, and whole (a model read from JSON could
    /// be cut or edited: every index it holds must be in range before it is used).
    fn fits(&self, engine: &Configurator) -> bool {
        let p = engine.compiled().problem();
        let k = p.vars.len();
        let domains: Vec<usize> = (0..k).map(|v| p.domain(v as Var)).collect();
        let m = &self.model;
        self.vocabulary.len() == k
            && self
                .vocabulary
                .iter()
                .zip(&p.vars)
                .all(|((g, o), var)| *g == var.name && *o == var.values)
            && self.sales.vars.iter().copied().eq(0..k as Var)
            && self
                .sales
                .rows
                .iter()
                .all(|r| r.len() == k && r.iter().zip(&domains).all(|(&a, &d)| (a as usize) < d))
            && m.domains == domains
            && m.column.len() == k
            && m.column.iter().enumerate().all(|(v, c)| *c == Some(v))
            && m.single.iter().map(Vec::len).eq(domains.iter().copied())
            && m.pair.len() == k
            && m.pair.iter().enumerate().all(|(i, row)| {
                row.len() == k
                    && row
                        .iter()
                        .enumerate()
                        .all(|(j, t)| t.len() == domains[i] * domains[j])
            })
    }
}

/// Result of a cross-validation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CrossValidation {
    pub folds: usize,
    pub sessions: usize,
    /// Steps where more than one option was still available.
    pub choice_steps: usize,
    pub forced_steps: usize,
    /// Sold configurations the rule set rejects (stopped at the first offending step).
    pub invalid_sales: usize,
    /// Conditional frequency over similar sales (the recommender).
    pub model_hits: usize,
    pub naive_bayes_hits: usize,
    pub baseline_hits: usize,
    pub model_share: f64,
    pub naive_bayes_share: f64,
    pub baseline_share: f64,
}

/// k-fold cross-validation: each held-out sale is replayed group by group in a random order;
/// a step counts when more than one option is still available.
pub fn cross_validate(c: &Compiled, sales: &Sales, folds: usize, seed: u64) -> CrossValidation {
    let p = c.problem();
    let folds = folds.max(2);
    let mut rng = Rng::new(seed);
    let mut order: Vec<usize> = (0..sales.rows.len()).collect();
    rng.shuffle(&mut order);
    let mut cv = CrossValidation {
        folds,
        sessions: sales.rows.len(),
        choice_steps: 0,
        forced_steps: 0,
        invalid_sales: 0,
        model_hits: 0,
        naive_bayes_hits: 0,
        baseline_hits: 0,
        model_share: 0.0,
        naive_bayes_share: 0.0,
        baseline_share: 0.0,
    };
    for f in 0..folds {
        let test: Vec<usize> = (0..order.len())
            .filter(|i| i % folds == f)
            .map(|i| order[i])
            .collect();
        let train: Vec<usize> = (0..order.len())
            .filter(|i| i % folds != f)
            .map(|i| order[i])
            .collect();
        let model = Recommender::train(p, sales, &train);
        for &r in &test {
            let row = &sales.rows[r];
            let mut steps: Vec<usize> = (0..sales.vars.len()).collect();
            rng.shuffle(&mut steps);
            let mut choices: Vec<Option<Val>> = vec![None; p.vars.len()];
            let mut chosen = Vec::new();
            // training sales that agree with the choices so far (a choice no sale shares is
            // ignored rather than emptying the set)
            let mut similar = train.clone();
            for s in steps {
                let v = sales.vars[s];
                let truth = row[s];
                let support = c.propagate(&choices);
                let candidates: Vec<Val> = (0..p.domain(v) as Val)
                    .filter(|&a| support.flat[c.offsets().at(v, a)])
                    .collect();
                if !candidates.contains(&truth) {
                    cv.invalid_sales += 1;
                    break;
                }
                if candidates.len() == 1 {
                    cv.forced_steps += 1;
                } else {
                    cv.choice_steps += 1;
                    if model.recommend_similar(sales, &similar, v, &candidates, &chosen)
                        == Some(truth)
                    {
                        cv.model_hits += 1;
                    }
                    if model.recommend(v, &candidates, &chosen) == Some(truth) {
                        cv.naive_bayes_hits += 1;
                    }
                    if model.most_frequent(v, &candidates) == Some(truth) {
                        cv.baseline_hits += 1;
                    }
                }
                choices[v as usize] = Some(truth);
                chosen.push((v, truth));
                let narrowed: Vec<usize> = similar
                    .iter()
                    .copied()
                    .filter(|&r| sales.rows[r][s] == truth)
                    .collect();
                if !narrowed.is_empty() {
                    similar = narrowed;
                }
            }
        }
    }
    let steps = cv.choice_steps.max(1) as f64;
    cv.model_share = cv.model_hits as f64 / steps;
    cv.naive_bayes_share = cv.naive_bayes_hits as f64 / steps;
    cv.baseline_share = cv.baseline_hits as f64 / steps;
    cv
}
