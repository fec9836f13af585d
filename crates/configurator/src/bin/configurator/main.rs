//! `configurator` command-line tool: `count`, `bench`, `validate`, `recommend`, `generate`, each
//! printing one JSON object.

mod baseline;

use std::process::ExitCode;
use std::time::Instant;

use configurator::generate::{Shape, generate, to_wcsp_prices, to_xcsp};
use configurator::recommend::{cross_validate, parse_sales};
use configurator::rng::Rng;
use configurator::{Compiled, Configurator, Problem, RuleSet, Val, import_csp, import_prices};
use serde_json::{Value, json};

const USAGE: &str = "usage:
  configurator count INSTANCE.xml|RULES.json
  configurator bench INSTANCE.xml [--prices PRICES.xml] [--sales SALES.txt] [--sessions N]
                     [--baseline-sessions N] [--baseline-steps N] [--cheapest-every K] [--seed S]
  configurator validate INSTANCE.xml|RULES.json [--no-rules]
  configurator recommend INSTANCE.xml --sales SALES.txt [--folds K] [--seed S]
  configurator generate OUT.xml [--prices OUT_PRICES.xml] [--seed S] [--groups N] [--tables N]
                        [--samples N] [--follow P]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", json!({ "error": e }));
            eprintln!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}

struct Args<'a> {
    positional: Vec<&'a str>,
    flags: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> Args<'a> {
    fn parse(args: &'a [String]) -> Args<'a> {
        let mut positional = Vec::new();
        let mut flags = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if let Some(name) = a.strip_prefix("--") {
                let value = args
                    .get(i + 1)
                    .filter(|v| !v.starts_with("--"))
                    .map(String::as_str);
                if value.is_some() {
                    i += 1;
                }
                flags.push((name, value));
            } else {
                positional.push(a);
            }
            i += 1;
        }
        Args { positional, flags }
    }
    fn get(&self, name: &str) -> Option<&'a str> {
        self.flags
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == name)
    }
    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} expects a number, got `{v}`")),
        }
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Loads an XCSP instance (optionally with prices) or a JSON rule set.
fn load(path: &str, prices: Option<&str>) -> Result<Problem, String> {
    let src = read(path)?;
    if path.ends_with(".json") {
        let rules: RuleSet = serde_json::from_str(&src).map_err(|e| format!("{path}: {e}"))?;
        let c = Configurator::compile(&rules).map_err(|e| e.to_string())?;
        return Ok(c.compiled().problem().clone());
    }
    let mut p = import_csp(&src).map_err(|e| format!("{path}: {e}"))?;
    if let Some(pp) = prices {
        import_prices(&mut p, &read(pp)?).map_err(|e| format!("{pp}: {e}"))?;
    }
    Ok(p)
}

fn run(args: &[String]) -> Result<Value, String> {
    let a = Args::parse(args);
    let (cmd, rest) = a.positional.split_first().ok_or("missing subcommand")?;
    let instance = rest.first().copied();
    match *cmd {
        "count" => {
            let p = load(instance.ok_or("missing INSTANCE")?, None)?;
            Ok(json!({ "solutions": Compiled::new(p).count().to_string() }))
        }
        "validate" => {
            let path = instance.ok_or("missing INSTANCE")?;
            let p = load(path, None)?;
            let report = configurator::validate::validate(&Compiled::new(p), !a.has("no-rules"));
            let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            v["instance"] = json!(path);
            Ok(v)
        }
        "recommend" => {
            let path = instance.ok_or("missing INSTANCE")?;
            let sales_path = a.get("sales").ok_or("recommend needs --sales")?;
            let p = load(path, None)?;
            let sales = parse_sales(&p, &read(sales_path)?)?;
            let c = Compiled::new(p);
            let t = Instant::now();
            let cv = cross_validate(&c, &sales, a.num("folds", 10)?, a.num("seed", 1)?);
            let mut v = serde_json::to_value(&cv).map_err(|e| e.to_string())?;
            v["instance"] = json!(path);
            v["sales"] = json!(sales_path);
            v["elapsed_ms"] = json!(ms(t));
            Ok(v)
        }
        "generate" => {
            let out = instance.ok_or("missing OUT.xml")?;
            let mut shape = Shape::large(a.num("seed", 1)?);
            shape.groups = a.num("groups", shape.groups)?;
            shape.tables = a.num("tables", shape.tables)?;
            shape.samples = a.num("samples", shape.samples)?;
            shape.follow = a.num("follow", shape.follow)?;
            let p = generate(&shape);
            std::fs::write(out, to_xcsp(&p, "synthetic")).map_err(|e| e.to_string())?;
            if let Some(pp) = a.get("prices") {
                std::fs::write(pp, to_wcsp_prices(&p)).map_err(|e| e.to_string())?;
            }
            let tuples: usize = p
                .constraints
                .iter()
                .map(|c| match c {
                    configurator::Constraint::Table { tuples, .. } => tuples.len(),
                    _ => 0,
                })
                .sum();
            Ok(json!({
                "instance": out,
                "groups": p.vars.len(),
                "max_domain": p.vars.iter().map(|v| v.values.len()).max(),
                "tables": p.constraints.len(),
                "max_arity": p.constraints.iter().map(|c| c.scope().len()).max(),
                "tuples": tuples,
            }))
        }
        "bench" => bench(&a, instance.ok_or("missing INSTANCE")?),
        other => Err(format!("unknown subcommand `{other}`")),
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn percentile(xs: &mut [f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * q).round() as usize;
    Some(xs[i])
}

fn round3(x: Option<f64>) -> Value {
    x.map_or(Value::Null, |x| json!((x * 1000.0).round() / 1000.0))
}

/// Peak memory: linear memory size in wasm (it never shrinks, so it is the peak).
#[cfg(target_arch = "wasm32")]
fn peak_rss_mb() -> Option<f64> {
    Some(core::arch::wasm32::memory_size(0) as f64 * 64.0 / 1024.0)
}

/// Peak resident memory (Linux `VmHWM`); `None` where the platform does not say.
#[cfg(not(target_arch = "wasm32"))]
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One simulated buyer session: the order of (group, option) clicks.
fn sessions(
    c: &Compiled,
    a: &Args<'_>,
    n: usize,
    rng: &mut Rng,
) -> Result<Vec<Vec<(u32, Val)>>, String> {
    let p = c.problem();
    if let Some(path) = a.get("sales") {
        let sales = parse_sales(p, &read(path)?)?;
        let mut rows: Vec<usize> = (0..sales.rows.len()).collect();
        rng.shuffle(&mut rows);
        return Ok(rows
            .iter()
            .take(n)
            .map(|&r| {
                let mut s: Vec<(u32, Val)> = sales
                    .vars
                    .iter()
                    .copied()
                    .zip(sales.rows[r].iter().copied())
                    .collect();
                rng.shuffle(&mut s);
                s
            })
            .collect());
    }
    // random valid sessions: groups in random order, each a random still-available option
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut order: Vec<u32> = (0..p.vars.len() as u32).collect();
        rng.shuffle(&mut order);
        let mut choices = vec![None; p.vars.len()];
        let mut session = Vec::new();
        for v in order {
            let s = c.propagate(&choices);
            if !s.consistent {
                break;
            }
            let live: Vec<Val> = (0..p.domain(v) as Val)
                .filter(|&x| s.flat[c.offsets().at(v, x)])
                .collect();
            let pick = live[rng.below(live.len())];
            choices[v as usize] = Some(pick);
            session.push((v, pick));
        }
        out.push(session);
    }
    Ok(out)
}

fn bench(a: &Args<'_>, path: &str) -> Result<Value, String> {
    let t = Instant::now();
    let p = load(path, a.get("prices"))?;
    let import_ms = ms(t);
    let t = Instant::now();
    let c = Compiled::new(p);
    let compile_ms = ms(t);
    let p = c.problem();
    let mut rng = Rng::new(a.num("seed", 1)?);
    let n = a.num("sessions", 200usize)?;
    let all = sessions(&c, a, n, &mut rng)?;
    let with_prices = a.get("prices").is_some();
    let every = a.num("cheapest-every", 1usize)?.max(1);
    // microlp's branch and bound is for storefront-sized and car-range diagrams; beyond this many
    // arcs the ILP is skipped and only the exact min-sum pass over the diagram is timed
    let ilp_max_arcs = a.num("ilp-max-arcs", 50_000usize)?;
    let run_ilp = c.stats().arcs <= ilp_max_arcs;
    let mut cheapest_dp = Vec::new();
    let mut step = Vec::new();
    let mut cheapest = Vec::new();
    let mut skipped = 0usize;
    let mut k = 0usize;
    for session in &all {
        let mut choices = vec![None; p.vars.len()];
        let mut support = c.propagate(&choices);
        for &(v, x) in session {
            let v = v as usize;
            let live = (0..p.domain(v as u32) as Val)
                .filter(|&b| support.flat[c.offsets().at(v as u32, b)])
                .count();
            if !support.flat[c.offsets().at(v as u32, x)] {
                skipped += 1;
                break; // a sold configuration the rule set rejects
            }
            if live == 1 {
                choices[v] = Some(x);
                continue; // forced: no click needed
            }
            let t = Instant::now();
            choices[v] = Some(x);
            support = c.propagate(&choices);
            step.push(ms(t));
            if with_prices {
                k += 1;
                if k.is_multiple_of(every) {
                    let allowed = c.allowed_from(&choices);
                    let t = Instant::now();
                    let exact = c.optimum(&allowed, true);
                    cheapest_dp.push(ms(t));
                    if !run_ilp {
                        continue;
                    }
                    let t = Instant::now();
                    let best = configurator::ilp::cheapest(&c, &allowed, &[], None);
                    cheapest.push(ms(t));
                    if best.map(|b| b.0) != exact.map(|e| e.0) {
                        return Err("ILP and diagram disagree on the cheapest completion".into());
                    }
                }
            }
        }
    }
    let mut baseline = Vec::new();
    let bs = a.num("baseline-sessions", 2usize)?;
    let bsteps = a.num("baseline-steps", 1_000usize)?;
    if bs > 0 {
        let mut solver = baseline::Baseline::new(p)?;
        for session in all.iter().take(bs) {
            let mut choices = vec![None; p.vars.len()];
            let mut support = c.propagate(&choices);
            for &(v, x) in session.iter() {
                if baseline.len() >= bsteps * bs {
                    break;
                }
                if !support.flat[c.offsets().at(v, x)] {
                    break;
                }
                choices[v as usize] = Some(x);
                let t = Instant::now();
                let available = solver.click(p, &choices);
                baseline.push(ms(t));
                support = c.propagate(&choices);
                let expected =
                    support.flat.iter().filter(|&&s| s).count() - choices.iter().flatten().count();
                if available != expected {
                    return Err(format!(
                        "baseline disagrees with propagation: {available} vs {expected} options"
                    ));
                }
            }
        }
    }
    let stats = c.stats();
    let step_p95 = percentile(&mut step, 0.95);
    let base_p95 = percentile(&mut baseline, 0.95);
    Ok(json!({
        "instance": path,
        "target": std::env::consts::ARCH,
        "sessions": all.len(),
        "steps": step.len(),
        "rejected_sessions": skipped,
        "import_ms": round3(Some(import_ms)),
        "compile_ms": round3(Some(compile_ms)),
        "diagram": stats,
        "solutions": c.count().to_string(),
        "step_p50_ms": round3(percentile(&mut step, 0.5)),
        "step_p95_ms": round3(step_p95),
        "step_max_ms": round3(percentile(&mut step, 1.0)),
        "cheapest_p50_ms": round3(percentile(&mut cheapest, 0.5)),
        "cheapest_p95_ms": round3(percentile(&mut cheapest, 0.95)),
        "cheapest_calls": cheapest.len(),
        "cheapest_dp_p50_ms": round3(percentile(&mut cheapest_dp, 0.5)),
        "cheapest_dp_p95_ms": round3(percentile(&mut cheapest_dp, 0.95)),
        "baseline_steps": baseline.len(),
        "baseline_step_p50_ms": round3(percentile(&mut baseline, 0.5)),
        "baseline_step_p95_ms": round3(base_p95),
        "speedup_p95": round3(step_p95.zip(base_p95).map(|(s, b)| b / s)),
        "peak_rss_mb": round3(peak_rss_mb()),
    }))
}
