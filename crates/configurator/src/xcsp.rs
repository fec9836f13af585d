//! Import of XCSP 2.1 instances with extensional (`supports`) constraints and of WCSP price files
//! (soft relations, `C:` cost prefixes), the format of the Renault benchmark rule sets.
//!
//! A small hand-written reader: the format uses a handful of flat elements, so a full XML parser
//! would be a dependency for nothing.

use std::collections::HashMap;

use crate::problem::{Constraint, CostFn, Problem, Val, Var, Variable};

/// Why an XCSP file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("malformed XCSP: {0}")]
    Malformed(String),
    #[error("unknown {kind} `{name}`")]
    Unknown { kind: &'static str, name: String },
    #[error("value {value} is not in the domain of variable `{var}` (in `{context}`)")]
    BadValue {
        var: String,
        value: String,
        context: String,
    },
}

struct Element<'a> {
    name: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
    /// Text up to the closing tag (empty for self-closing elements).
    text: &'a str,
}

impl<'a> Element<'a> {
    fn attr(&self, key: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
    fn need(&self, key: &str) -> Result<&'a str, ImportError> {
        self.attr(key).ok_or_else(|| {
            ImportError::Malformed(format!("<{}> without attribute `{key}`", self.name))
        })
    }
}

/// All elements named `domain`, `variable`, `relation`, `constraint` in document order.
fn elements(src: &str) -> Result<Vec<Element<'_>>, ImportError> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest
            .find('>')
            .ok_or_else(|| ImportError::Malformed("unterminated tag".into()))?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('/') || tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attr_src) = match tag.find(char::is_whitespace) {
            Some(i) => (&tag[..i], &tag[i..]),
            None => (tag, ""),
        };
        if !matches!(name, "domain" | "variable" | "relation" | "constraint") {
            continue;
        }
        let mut attrs = Vec::new();
        loop {
            attr_src = attr_src.trim_start();
            let Some(eq) = attr_src.find('=') else { break };
            let key = attr_src[..eq].trim();
            let after = attr_src[eq + 1..].trim_start();
            let quote = after.chars().next().unwrap_or('"');
            if quote != '"' && quote != '\'' {
                return Err(ImportError::Malformed(format!(
                    "attribute {key} not quoted"
                )));
            }
            let close = after[1..]
                .find(quote)
                .ok_or_else(|| ImportError::Malformed(format!("attribute {key} unterminated")))?;
            attrs.push((key, &after[1..1 + close]));
            attr_src = &after[close + 2..];
        }
        let text = if self_closing {
            ""
        } else {
            let close = format!("</{name}");
            let stop = rest
                .find(&close)
                .ok_or_else(|| ImportError::Malformed(format!("<{name}> without closing tag")))?;
            let t = &rest[..stop];
            rest = &rest[stop..];
            t
        };
        out.push(Element { name, attrs, text });
    }
    Ok(out)
}

struct Parsed<'a> {
    domains: HashMap<&'a str, Vec<&'a str>>,
    variables: Vec<(&'a str, &'a str)>,
    relations: HashMap<&'a str, Element<'a>>,
    constraints: Vec<Element<'a>>,
}

fn parse(src: &str) -> Result<Parsed<'_>, ImportError> {
    let mut p = Parsed {
        domains: HashMap::new(),
        variables: Vec::new(),
        relations: HashMap::new(),
        constraints: Vec::new(),
    };
    for e in elements(src)? {
        match e.name {
            "domain" => {
                let name = e.need("name")?;
                p.domains.insert(name, e.text.split_whitespace().collect());
            }
            "variable" => p.variables.push((e.need("name")?, e.need("domain")?)),
            "relation" => {
                let name = e.need("name")?;
                p.relations.insert(name, e);
            }
            _ => p.constraints.push(e),
        }
    }
    Ok(p)
}

fn scope_of(e: &Element<'_>, index: &HashMap<&str, Var>) -> Result<Vec<Var>, ImportError> {
    e.need("scope")?
        .split_whitespace()
        .map(|n| {
            index.get(n).copied().ok_or_else(|| ImportError::Unknown {
                kind: "variable",
                name: n.to_string(),
            })
        })
        .collect()
}

fn tuple_of(
    problem: &Problem,
    scope: &[Var],
    values: &[&str],
    context: &str,
) -> Result<Vec<Val>, ImportError> {
    if values.len() != scope.len() {
        return Err(ImportError::Malformed(format!(
            "tuple of {} values for a scope of {} in `{context}`",
            values.len(),
            scope.len()
        )));
    }
    scope
        .iter()
        .zip(values)
        .map(|(&v, s)| {
            let var = &problem.vars[v as usize];
            var.values
                .iter()
                .position(|x| x == s)
                .map(|i| i as Val)
                .ok_or_else(|| ImportError::BadValue {
                    var: var.name.clone(),
                    value: s.to_string(),
                    context: context.to_string(),
                })
        })
        .collect()
}

/// Reads an XCSP 2.1 CSP instance whose constraints are extensional tables.
/// Value `-1` (the "not taken" joker of optional variables) stays a value named `-1`.
pub fn import_csp(src: &str) -> Result<Problem, ImportError> {
    let parsed = parse(src)?;
    let mut vars = Vec::new();
    for (name, dom) in &parsed.variables {
        let values = parsed
            .domains
            .get(dom)
            .ok_or_else(|| ImportError::Unknown {
                kind: "domain",
                name: dom.to_string(),
            })?;
        if values.is_empty() || values.len() > Val::MAX as usize {
            return Err(ImportError::Malformed(format!(
                "domain `{dom}` has {} values",
                values.len()
            )));
        }
        vars.push(Variable {
            name: name.to_string(),
            values: values.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut problem = Problem::new(vars);
    let index: HashMap<&str, Var> = parsed
        .variables
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i as Var))
        .collect();
    for c in &parsed.constraints {
        let name = c.attr("name").unwrap_or("constraint").to_string();
        let scope = scope_of(c, &index)?;
        let reference = c.need("reference")?;
        let rel = parsed
            .relations
            .get(reference)
            .ok_or_else(|| ImportError::Unknown {
                kind: "relation",
                name: reference.to_string(),
            })?;
        let semantics = rel.attr("semantics").unwrap_or("supports");
        let mut tuples = Vec::new();
        for t in rel.text.split('|') {
            let vals: Vec<&str> = t.split_whitespace().collect();
            if vals.is_empty() {
                continue;
            }
            tuples.push(tuple_of(&problem, &scope, &vals, &name)?);
        }
        let tuples = match semantics {
            "supports" => tuples,
            "conflicts" => complement(&problem, &scope, &tuples)?,
            other => {
                return Err(ImportError::Malformed(format!(
                    "relation semantics `{other}` in a CSP file"
                )));
            }
        };
        problem.constraints.push(Constraint::Table {
            name,
            scope,
            tuples,
        });
    }
    Ok(problem)
}

/// Allowed tuples of a `conflicts` relation (only for small scopes).
fn complement(
    problem: &Problem,
    scope: &[Var],
    conflicts: &[Vec<Val>],
) -> Result<Vec<Vec<Val>>, ImportError> {
    let size: usize = scope.iter().map(|&v| problem.domain(v)).product();
    if size > 1_000_000 {
        return Err(ImportError::Malformed(
            "conflicts relation over too large a scope".into(),
        ));
    }
    let banned: std::collections::HashSet<&Vec<Val>> = conflicts.iter().collect();
    let mut out = Vec::new();
    let mut t = vec![0 as Val; scope.len()];
    for mut i in 0..size {
        for (k, &v) in scope.iter().enumerate().rev() {
            let d = problem.domain(v);
            t[k] = (i % d) as Val;
            i /= d;
        }
        if !banned.contains(&t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Adds the soft relations of a WCSP price file to `problem` (variables matched by name).
pub fn import_prices(problem: &mut Problem, src: &str) -> Result<(), ImportError> {
    let parsed = parse(src)?;
    let index: HashMap<&str, Var> = problem
        .vars
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i as Var))
        .collect();
    let mut added = Vec::new();
    for c in &parsed.constraints {
        let name = c.attr("name").unwrap_or("price").to_string();
        let scope = scope_of(c, &index)?;
        let reference = c.need("reference")?;
        let rel = parsed
            .relations
            .get(reference)
            .ok_or_else(|| ImportError::Unknown {
                kind: "relation",
                name: reference.to_string(),
            })?;
        let default = rel
            .attr("defaultCost")
            .unwrap_or("0")
            .trim()
            .parse::<i64>()
            .map_err(|_| ImportError::Malformed(format!("defaultCost of `{reference}`")))?;
        let mut costs = HashMap::new();
        let mut current = default;
        for t in rel.text.split('|') {
            let t = match t.split_once(':') {
                Some((c, rest)) => {
                    current = c.trim().parse::<i64>().map_err(|_| {
                        ImportError::Malformed(format!("cost `{c}` in `{reference}`"))
                    })?;
                    rest
                }
                None => t,
            };
            let vals: Vec<&str> = t.split_whitespace().collect();
            if vals.is_empty() {
                continue;
            }
            costs.insert(tuple_of(problem, &scope, &vals, &name)?, current);
        }
        if scope.len() == 1 && default == 0 {
            // unary price: fold into the option price
            for (k, c) in costs {
                problem.unary[scope[0] as usize][k[0] as usize] += c;
            }
            continue;
        }
        added.push(CostFn::Table {
            name,
            scope,
            costs,
            default,
        });
    }
    problem.costs.extend(added);
    Ok(())
}
