//! `configurator` command-line tool: `count`, `bench`, `validate`, `recommend`, `rule-set`,
//! `generate`, each printing one JSON object on stdout.
//!
//! clap (derive) parses the arguments: a wrong argument is reported by clap with the usage and
//! exit code 2; a failure while running is `{"error": …}` on stderr and exit code 1.

mod baseline;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use configurator::generate::{Shape, chain, generate, to_rule_set, to_wcsp_prices, to_xcsp};
use configurator::recommend::{cross_validate, parse_sales};
use configurator::rng::Rng;
use configurator::{
    Compiled, Configurator, Explain, Problem, RuleSet, Val, import_csp, import_prices,
    import_rule_set,
};
use serde_json::{Value, json};

/// Atelier's configurator engine on the command line: counts, validates, benchmarks and
/// generates rule sets (XCSP 2.1 instances or JSON rule sets); every command prints one JSON
/// object.
#[derive(Debug, Parser)]
#[command(name = "configurator", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Number of valid configurations.
    Count {
        /// XCSP 2.1 instance (.xml) or JSON rule set (.json).
        #[arg(value_name = "INSTANCE.xml|RULES.json")]
        instance: String,
    },
    /// Replays buyer sessions click by click and times propagation, the cheapest completion
    /// and the per-option SAT-solver baseline.
    Bench(BenchArgs),
    /// Dead and forced options, each with a minimal set of responsible rules.
    Validate {
        /// XCSP 2.1 instance (.xml) or JSON rule set (.json).
        #[arg(value_name = "INSTANCE.xml|RULES.json")]
        instance: String,
        /// Skip the responsible rules (faster on large instances).
        #[arg(long)]
        no_rules: bool,
    },
    /// Cross-validates the sales-learned recommendation of the next option.
    Recommend {
        /// XCSP 2.1 instance whose value numbering the sales use.
        #[arg(value_name = "INSTANCE.xml")]
        instance: String,
        /// Sold configurations: a header of variable names, then one configuration per line.
        #[arg(long, value_name = "SALES.txt")]
        sales: String,
        /// Number of cross-validation folds.
        #[arg(long, value_name = "K", default_value_t = 10)]
        folds: usize,
        /// Seed of the pseudo-random fold split and replay order.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
    },
    /// Times loading a JSON rule set as the browser would: parsing and compiling it.
    Load {
        /// JSON rule set.
        #[arg(value_name = "RULES.json")]
        rules: String,
        /// Repetitions (the median is printed).
        #[arg(long, value_name = "N", default_value_t = 5)]
        repeat: usize,
        /// Also write the compact compiled form here and time loading it.
        #[arg(long, value_name = "OUT.bin")]
        bytes: Option<String>,
    },
    /// Prints an XCSP 2.1 instance (with its WCSP prices) or the synthetic large instance as the
    /// shop's rule-set JSON, e.g. to load it into a benchmark database.
    RuleSet {
        /// XCSP 2.1 instance.
        #[arg(value_name = "INSTANCE.xml", required_unless_present = "large")]
        instance: Option<String>,
        /// Its WCSP price file.
        #[arg(long, value_name = "PRICES.xml", requires = "instance")]
        prices: Option<String>,
        /// Instead, the synthetic instance `generate --seed SEED` writes (with its prices).
        #[arg(long, value_name = "SEED", conflicts_with = "instance")]
        large: Option<u64>,
    },
    /// Writes a synthetic instance shaped like the large car range (XCSP, optionally with a WCSP
    /// price file), or with --chain a rule set whose groups form one long chain (JSON).
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// XCSP 2.1 instance (.xml) or JSON rule set (.json).
    #[arg(value_name = "INSTANCE.xml|RULES.json")]
    instance: String,
    /// WCSP price file: also time the cheapest completion.
    #[arg(long, value_name = "PRICES.xml")]
    prices: Option<String>,
    /// Replay these sold configurations instead of random valid sessions.
    #[arg(long, value_name = "SALES.txt")]
    sales: Option<String>,
    /// Number of buyer sessions.
    #[arg(long, value_name = "N", default_value_t = 200)]
    sessions: usize,
    /// Sessions also replayed with the SAT-solver baseline (0 for none).
    #[arg(long, value_name = "N", default_value_t = 2)]
    baseline_sessions: usize,
    /// Clicks per baseline session at most.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    baseline_steps: usize,
    /// Time the cheapest completion on every K-th click only.
    #[arg(long, value_name = "K", default_value_t = 1)]
    cheapest_every: usize,
    /// Skip the ILP (time only the exact min-sum pass) on diagrams with more arcs.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    ilp_max_arcs: usize,
    /// Seed of the pseudo-random choices (same seed, same run).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Also time the storefront's whole `assess` (availability, best prices, explanations and
    /// repairs of every unavailable option) on this many clicks at most (0 for none).
    #[arg(long, value_name = "N", default_value_t = 0)]
    assess_clicks: usize,
    /// Also time what the storefront does per click with explanations on demand:
    /// `assess_with(Explain::None)` and `explain_option` of one unavailable option (picked at
    /// random), on this many clicks at most (0 for none).
    #[arg(long, value_name = "N", default_value_t = 0)]
    explain_clicks: usize,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Output file: XCSP instance, or JSON rule set with --chain.
    #[arg(value_name = "OUT.xml|OUT.json")]
    out: String,
    /// Also write the option prices as a WCSP price file.
    #[arg(long, value_name = "OUT_PRICES.xml")]
    prices: Option<String>,
    /// Seed of the pseudo-random choices (same seed, same run).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Option groups.
    #[arg(long, value_name = "N", default_value_t = Shape::large(1).groups)]
    groups: usize,
    /// Compatibility tables.
    #[arg(long, value_name = "N", default_value_t = Shape::large(1).tables)]
    tables: usize,
    /// Planted configurations the tables are projected from.
    #[arg(long, value_name = "N", default_value_t = Shape::large(1).samples)]
    samples: usize,
    /// Probability that a group follows its parent's preferred option.
    #[arg(long, value_name = "P", default_value_t = Shape::large(1).follow)]
    follow: f64,
    /// Write instead a JSON rule set of N two-option groups where `a` in one group requires
    /// `a` in the next (N + 1 configurations; a pseudo tree N deep).
    #[arg(
        long,
        value_name = "N",
        conflicts_with_all = ["prices", "groups", "tables", "samples", "follow"]
    )]
    chain: Option<usize>,
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", json!({ "error": e }));
            ExitCode::FAILURE
        }
    }
}

fn read_bytes(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
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

fn run(command: Command) -> Result<Value, String> {
    match command {
        Command::Count { instance } => {
            let p = load(&instance, None)?;
            Ok(json!({ "solutions": Compiled::new(p).count().to_string() }))
        }
        Command::Validate { instance, no_rules } => {
            let p = load(&instance, None)?;
            let report = configurator::validate::validate(&Compiled::new(p), !no_rules);
            let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            v["instance"] = json!(instance);
            Ok(v)
        }
        Command::Recommend {
            instance,
            sales,
            folds,
            seed,
        } => {
            let p = load(&instance, None)?;
            let sold = parse_sales(&p, &read(&sales)?)?;
            let c = Compiled::new(p);
            let t = Instant::now();
            let cv = cross_validate(&c, &sold, folds, seed);
            let mut v = serde_json::to_value(&cv).map_err(|e| e.to_string())?;
            v["instance"] = json!(instance);
            v["sales"] = json!(sales);
            v["elapsed_ms"] = json!(ms(t));
            Ok(v)
        }
        Command::Generate(g) => match g.chain {
            Some(n) => {
                let rules = chain(n);
                let text = serde_json::to_string(&rules).map_err(|e| e.to_string())?;
                std::fs::write(&g.out, text).map_err(|e| format!("cannot write {}: {e}", g.out))?;
                Ok(json!({ "instance": g.out, "groups": n, "rules": rules.rules.len() }))
            }
            None => generate_synthetic(&g),
        },
        Command::Bench(b) => bench(&b),
        Command::Load {
            rules,
            repeat,
            bytes,
        } => load_rule_set(&rules, repeat.max(1), bytes.as_deref()),
        Command::RuleSet {
            instance,
            prices,
            large,
        } => {
            let rules = match (instance, large) {
                (_, Some(seed)) => to_rule_set(&generate(&Shape::large(seed))),
                (Some(path), None) => {
                    let prices = prices.as_deref().map(read).transpose()?;
                    import_rule_set(&read(&path)?, prices.as_deref())
                        .map_err(|e| format!("{path}: {e}"))?
                }
                (None, None) => return Err("give an instance or --large SEED".into()),
            };
            serde_json::to_value(&rules).map_err(|e| e.to_string())
        }
    }
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    percentile(&mut xs, 0.5)
}

fn load_rule_set(path: &str, repeat: usize, out: Option<&str>) -> Result<Value, String> {
    let text = read(path)?;
    let (mut parse, mut compile, mut setup) = (Vec::new(), Vec::new(), Vec::new());
    let mut engine = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let rules: RuleSet = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        parse.push(ms(t));
        let t = Instant::now();
        let e = Configurator::compile_within(&rules, u64::MAX).map_err(|e| e.to_string())?;
        compile.push(ms(t));
        // the part of compiling that is not the diagram search: ordering, tries, checks
        let problem = e.compiled().problem().clone();
        let t = Instant::now();
        let _ = Compiled::with_step_limit(problem, 0);
        setup.push(ms(t));
        engine = Some(e);
    }
    let engine = engine.ok_or("nothing loaded")?;
    let mut compact = json!(null);
    if let Some(out) = out {
        let t = Instant::now();
        let bytes = engine.to_bytes();
        let write_ms = ms(t);
        std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
        let bytes = read_bytes(out)?;
        let mut load = Vec::new();
        let mut loaded = None;
        for _ in 0..repeat {
            let t = Instant::now();
            loaded = Some(Configurator::from_bytes(&bytes).map_err(|e| e.to_string())?);
            load.push(ms(t));
        }
        let loaded = loaded.ok_or("nothing loaded")?;
        if loaded.count() != engine.count()
            || loaded.compiled().stats() != engine.compiled().stats()
        {
            return Err("the compact form loads a different diagram".into());
        }
        compact = json!({
            "file": out,
            "bytes": bytes.len(),
            "to_bytes_ms": round3(Some(write_ms)),
            "from_bytes_ms": round3(median(load)),
        });
    }
    Ok(json!({
        "compact": compact,
        "rules": path,
        "target": std::env::consts::ARCH,
        "json_bytes": text.len(),
        "parse_ms": round3(median(parse)),
        "compile_ms": round3(median(compile)),
        "compile_setup_ms": round3(median(setup)),
        "diagram": engine.compiled().stats(),
        "solutions": engine.count().to_string(),
        "peak_rss_mb": round3(peak_rss_mb()),
    }))
}

fn generate_synthetic(g: &GenerateArgs) -> Result<Value, String> {
    let shape = Shape {
        groups: g.groups,
        tables: g.tables,
        samples: g.samples,
        follow: g.follow,
        ..Shape::large(g.seed)
    };
    let p = generate(&shape);
    std::fs::write(&g.out, to_xcsp(&p, "synthetic"))
        .map_err(|e| format!("cannot write {}: {e}", g.out))?;
    if let Some(pp) = &g.prices {
        std::fs::write(pp, to_wcsp_prices(&p)).map_err(|e| format!("cannot write {pp}: {e}"))?;
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
        "instance": g.out,
        "groups": p.vars.len(),
        "max_domain": p.vars.iter().map(|v| v.values.len()).max(),
        "tables": p.constraints.len(),
        "max_arity": p.constraints.iter().map(|c| c.scope().len()).max(),
        "tuples": tuples,
    }))
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
    sales: Option<&str>,
    n: usize,
    rng: &mut Rng,
) -> Result<Vec<Vec<(u32, Val)>>, String> {
    let p = c.problem();
    if let Some(path) = sales {
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

/// Times, after each click of the sessions, the diagram passes `assess` makes for availability:
/// one under all the choices and one per chosen group with its own choice released; as complete
/// propagations (what `assess` did before it priced options) and as best-price passes (what it
/// does now, availability included).
fn time_assess_passes(c: &Compiled, all: &[Vec<(u32, Val)>]) -> (Vec<f64>, Vec<f64>) {
    let (mut propagation, mut prices) = (Vec::new(), Vec::new());
    for session in all {
        let mut choices = vec![None; c.problem().vars.len()];
        for &(v, x) in session {
            choices[v as usize] = Some(x);
            let mut restrictions = vec![c.allowed_from(&choices)];
            for &(w, _) in session
                .iter()
                .filter(|(w, _)| choices[*w as usize].is_some())
            {
                let mut others = choices.clone();
                others[w as usize] = None;
                restrictions.push(c.allowed_from(&others));
            }
            let t = Instant::now();
            let supports: Vec<_> = restrictions
                .iter()
                .map(|r| c.propagate_allowed(r))
                .collect();
            propagation.push(ms(t));
            let t = Instant::now();
            let best: Vec<_> = restrictions
                .iter()
                .map(|r| c.best_cost_per_value(r))
                .collect();
            prices.push(ms(t));
            if !supports[0].consistent || best[0].is_none() {
                break; // a sold configuration the rule set rejects
            }
        }
    }
    (propagation, prices)
}

/// Times `Configurator::assess` after each click of the sessions, on at most `clicks` clicks,
/// over the problem as a rule set (groups and options named after variables and values).
fn time_assess(c: &Compiled, all: &[Vec<(u32, Val)>], clicks: usize) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    if clicks == 0 {
        return Ok(times);
    }
    let engine = Configurator::compile_within(&to_rule_set(c.problem()), u64::MAX)
        .map_err(|e| e.to_string())?;
    let rules = engine.rules();
    let none = std::collections::BTreeSet::new();
    for session in all {
        let mut choices = configurator::Choices::new();
        for &(v, x) in session {
            if times.len() >= clicks {
                return Ok(times);
            }
            let g = &rules.groups[v as usize];
            let o = g.options.get(x as usize).map_or("none", |o| o.id.as_str());
            choices.insert(g.id.clone(), o.to_string());
            let t = Instant::now();
            let assessment = engine.assess(&choices, &none).map_err(|e| e.to_string())?;
            times.push(ms(t));
            if !assessment.consistent {
                break; // a sold configuration the rule set rejects
            }
        }
    }
    Ok(times)
}

/// Times, after each click of the sessions (at most `clicks`), `assess_with(Explain::None)`
/// and `explain_option` of one unavailable option picked at random (no time when every option
/// is available), over the problem as a rule set.
fn time_on_demand(
    c: &Compiled,
    all: &[Vec<(u32, Val)>],
    clicks: usize,
    rng: &mut Rng,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let (mut assess, mut explain) = (Vec::new(), Vec::new());
    if clicks == 0 {
        return Ok((assess, explain));
    }
    let engine = Configurator::compile_within(&to_rule_set(c.problem()), u64::MAX)
        .map_err(|e| e.to_string())?;
    let rules = engine.rules();
    let none = std::collections::BTreeSet::new();
    for session in all {
        let mut choices = configurator::Choices::new();
        for &(v, x) in session {
            if assess.len() >= clicks {
                return Ok((assess, explain));
            }
            let g = &rules.groups[v as usize];
            let o = g.options.get(x as usize).map_or("none", |o| o.id.as_str());
            choices.insert(g.id.clone(), o.to_string());
            let t = Instant::now();
            let assessment = engine
                .assess_with(&choices, &none, &Explain::None)
                .map_err(|e| e.to_string())?;
            assess.push(ms(t));
            if !assessment.consistent {
                break; // a sold configuration the rule set rejects
            }
            let unavailable: Vec<(&str, &str)> = assessment
                .groups
                .iter()
                .flat_map(|g| {
                    g.options
                        .iter()
                        .filter(|o| !o.available)
                        .map(|o| (g.group.as_str(), o.option.as_str()))
                })
                .collect();
            if unavailable.is_empty() {
                continue;
            }
            let (group, option) = unavailable[rng.below(unavailable.len())];
            let t = Instant::now();
            let why = engine
                .explain_option(&choices, &none, group, option)
                .map_err(|e| e.to_string())?;
            explain.push(ms(t));
            if why.is_none() {
                return Err(format!("{group}={option} is unavailable but not explained"));
            }
        }
    }
    Ok((assess, explain))
}

fn bench(a: &BenchArgs) -> Result<Value, String> {
    let path = a.instance.as_str();
    let t = Instant::now();
    let p = load(path, a.prices.as_deref())?;
    let import_ms = ms(t);
    let t = Instant::now();
    let c = Compiled::new(p);
    let compile_ms = ms(t);
    let p = c.problem();
    let mut rng = Rng::new(a.seed);
    let all = sessions(&c, a.sales.as_deref(), a.sessions, &mut rng)?;
    let with_prices = a.prices.is_some();
    let every = a.cheapest_every.max(1);
    // microlp's branch and bound is for storefront-sized and car-range diagrams; beyond this many
    // arcs the ILP is skipped and only the exact min-sum pass over the diagram is timed
    let run_ilp = c.stats().arcs <= a.ilp_max_arcs;
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
    let assess = time_assess(&c, &all, a.assess_clicks)?;
    let (mut on_demand, mut explain) = time_on_demand(&c, &all, a.explain_clicks, &mut rng)?;
    let (mut passes_propagation, mut passes_prices) = time_assess_passes(&c, &all);
    let mut baseline = Vec::new();
    let bs = a.baseline_sessions;
    let bsteps = a.baseline_steps;
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
        "assess_propagation_p50_ms": round3(percentile(&mut passes_propagation, 0.5)),
        "assess_propagation_p95_ms": round3(percentile(&mut passes_propagation, 0.95)),
        "assess_prices_p50_ms": round3(percentile(&mut passes_prices, 0.5)),
        "assess_prices_p95_ms": round3(percentile(&mut passes_prices, 0.95)),
        "assess_clicks": assess.len(),
        "assess_p50_ms": round3(percentile(&mut assess.clone(), 0.5)),
        "assess_p95_ms": round3(percentile(&mut assess.clone(), 0.95)),
        "assess_none_clicks": on_demand.len(),
        "assess_none_p50_ms": round3(percentile(&mut on_demand, 0.5)),
        "assess_none_p95_ms": round3(percentile(&mut on_demand, 0.95)),
        "assess_none_max_ms": round3(percentile(&mut on_demand, 1.0)),
        "explain_option_calls": explain.len(),
        "explain_option_p50_ms": round3(percentile(&mut explain, 0.5)),
        "explain_option_p95_ms": round3(percentile(&mut explain, 0.95)),
        "explain_option_max_ms": round3(percentile(&mut explain, 1.0)),
        "baseline_steps": baseline.len(),
        "baseline_step_p50_ms": round3(percentile(&mut baseline, 0.5)),
        "baseline_step_p95_ms": round3(base_p95),
        "speedup_p95": round3(step_p95.zip(base_p95).map(|(s, b)| b / s)),
        "peak_rss_mb": round3(peak_rss_mb()),
    }))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("configurator").chain(args.iter().copied()))
            .map(|c| c.command)
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bench_takes_the_same_flags_and_defaults_as_before() {
        let Ok(Command::Bench(b)) = parse(&["bench", "m.xml", "--prices", "p.xml"]) else {
            panic!("bench parses");
        };
        assert_eq!(b.prices.as_deref(), Some("p.xml"));
        assert_eq!(
            (
                b.sessions,
                b.baseline_sessions,
                b.baseline_steps,
                b.cheapest_every
            ),
            (200, 2, 1_000, 1)
        );
        assert_eq!((b.ilp_max_arcs, b.seed), (50_000, 1));
        let Ok(Command::Bench(b)) = parse(&[
            "bench",
            "m.xml",
            "--sessions",
            "30",
            "--baseline-sessions",
            "0",
            "--cheapest-every",
            "5",
            "--seed",
            "7",
        ]) else {
            panic!("bench parses");
        };
        assert_eq!(
            (b.sessions, b.baseline_sessions, b.cheapest_every, b.seed),
            (30, 0, 5, 7)
        );
    }

    #[test]
    fn generate_defaults_to_the_large_class_and_chain_excludes_its_shape_flags() {
        let Ok(Command::Generate(g)) = parse(&["generate", "out.xml"]) else {
            panic!("generate parses");
        };
        let large = Shape::large(1);
        assert_eq!(
            (g.groups, g.tables, g.samples),
            (large.groups, large.tables, large.samples)
        );
        assert!(parse(&["generate", "c.json", "--chain", "10"]).is_ok());
        let err = parse(&["generate", "c.json", "--chain", "10", "--groups", "5"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn wrong_arguments_are_clap_errors() {
        use clap::error::ErrorKind;
        let kind = |args: &[&str]| parse(args).map(|_| ()).unwrap_err().kind();
        assert_eq!(kind(&["count"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(
            kind(&["bench", "m.xml", "--sessions", "many"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["bench", "m.xml", "--session", "3"]),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            kind(&["recommend", "m.xml"]),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(kind(&["counts", "m.xml"]), ErrorKind::InvalidSubcommand);
    }
}
