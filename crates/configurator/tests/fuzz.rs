//! Mutation fuzzing of both importers. The real Renault instances (whole, and small instances
//! carved out of them with their real element text), the bike rule set and Renault pieces as
//! JSON, random bytes and random XCSP-like token soup are mutated (byte flips, truncation,
//! deleted or duplicated tags, attributes and JSON members, huge numbers, odd unicode, XML
//! constructs) and fed to the XCSP/WCSP reader and to serde_json + `Configurator::compile`;
//! what imports is also compiled and questioned.
//!
//! Asserted: no case panics; an import error's location lies inside the file; and every case
//! finishes: the importers bound their work by their limits, and a watchdog fails the test,
//! naming the case, if one makes no progress for a minute (a hang detector, not a timing
//! claim: cases take micro- to milliseconds).
//!
//! `CONFIGURATOR_FUZZ_SCALE=K` runs K times the cases (default 1: about 120,000 in all, of which
//! about 60,000 need ../shared); `CONFIGURATOR_FUZZ_SEED` changes the seed. A failing case's
//! input is written under the target's tmp dir and its path printed.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use configurator::rng::Rng;
use configurator::xcsp::Location;
use configurator::{
    Choices, Compiled, Configurator, Constraint, CostFn, Group, ImportError, OptionDef, PriceEntry,
    PriceTable, Problem, Rule, RuleSet, import_csp, import_prices,
};
use quick_xml::Reader;
use quick_xml::events::Event;

// ---------------------------------------------------------------------------------------------
// Harness

fn scale() -> usize {
    std::env::var("CONFIGURATOR_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn seed() -> u64 {
    std::env::var("CONFIGURATOR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_201)
}

/// How far cases got, printed after each run so a reader can see the mutants reach past the
/// parser: [XCSP imported, XCSP error, price file imported, price error, compiled, JSON
/// parsed, rule set compiled, rule set refused].
static OUTCOMES: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];
const OUTCOME_NAMES: [&str; 8] = [
    "xcsp ok",
    "xcsp error",
    "prices ok",
    "prices error",
    "compiled",
    "json parsed",
    "rules compiled",
    "rules refused",
];

fn count(outcome: usize) {
    OUTCOMES[outcome].fetch_add(1, Ordering::Relaxed);
}

/// A watchdog fails the run when no case finishes for this long.
const STALL: Duration = Duration::from_secs(60);

/// Runs `cases` cases on a worker thread (default test-thread stack): `make` builds a case's
/// input files from its own seeded generator, `check` feeds them to the engine. Returns the
/// number of cases run.
fn run_cases<M, C>(name: &'static str, cases: usize, make: M, check: C) -> usize
where
    M: Fn(&mut Rng) -> Vec<String> + Send + 'static,
    C: Fn(&[String]) + Send + 'static,
{
    let base = seed()
        ^ name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ b as u64);
    let done = Arc::new(AtomicUsize::new(0));
    let progress = Arc::clone(&done);
    let (tx, rx) = mpsc::channel::<Result<(), String>>();
    let started = Instant::now();
    std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .spawn(move || {
            for case in 0..cases {
                let mut rng = Rng::new(base.wrapping_add(case as u64));
                let files = make(&mut rng);
                if catch_unwind(AssertUnwindSafe(|| check(&files))).is_err() {
                    let _ = tx.send(Err(save(name, case, &files)));
                    return;
                }
                progress.store(case + 1, Ordering::Relaxed);
            }
            let _ = tx.send(Ok(()));
        })
        .expect("fuzz worker starts");
    let mut seen = 0;
    let mut last_progress = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Ok(())) => break,
            Ok(Err(report)) => panic!("{name}: {report}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: worker vanished"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = done.load(Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    last_progress = Instant::now();
                } else if last_progress.elapsed() > STALL {
                    panic!(
                        "{name}: case {now} (seed {}) has not finished in {STALL:?}",
                        base.wrapping_add(now as u64)
                    );
                }
            }
        }
    }
    let outcomes: Vec<String> = OUTCOME_NAMES
        .iter()
        .zip(&OUTCOMES)
        .map(|(n, c)| format!("{n} {}", c.load(Ordering::Relaxed)))
        .collect();
    println!(
        "{name}: {cases} cases in {:.1} s (so far in this binary: {})",
        started.elapsed().as_secs_f64(),
        outcomes.join(", ")
    );
    cases
}

/// Writes a failing case's files where a person can find them; returns the report.
fn save(name: &str, case: usize, files: &[String]) -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let paths: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.join(format!("fuzz-{name}-case{case}-file{i}.txt"));
            match std::fs::write(&path, text) {
                Ok(()) => path.display().to_string(),
                Err(e) => format!("(could not write {}: {e})", path.display()),
            }
        })
        .collect();
    format!("case {case} panicked; its input: {}", paths.join(", "))
}

// ---------------------------------------------------------------------------------------------
// What each case checks

/// Whatever the error, it says where, and that place is in the file.
fn assert_located(e: &ImportError, src: &str) {
    let at: Location = match e {
        ImportError::Malformed(m) => m.at,
        ImportError::Unknown { at, .. }
        | ImportError::BadValue { at, .. }
        | ImportError::TooLarge { at, .. } => *at,
    };
    let lines = src.split('\n').count();
    assert!(
        at.line >= 1 && at.line <= lines && at.column >= 1,
        "{e} is outside the file ({lines} lines)"
    );
    let line = src.split('\n').nth(at.line - 1).unwrap_or("");
    assert!(
        at.column <= line.chars().count() + 1,
        "{e} is past the end of its line"
    );
    let _ = e.to_string();
}

/// Compiling is worth its time only on the small problems that carved pieces import to.
fn small_enough_to_compile(p: &Problem) -> bool {
    let tuples: usize = p
        .constraints
        .iter()
        .map(|c| match c {
            Constraint::Table { tuples, .. } => tuples.len(),
            _ => 0,
        })
        .sum();
    p.vars.len() <= 40 && tuples <= 20_000
}

/// XCSP file, then WCSP price file (when given): import, and question what imports.
fn check_xcsp(files: &[String]) {
    let Some(csp) = files.first() else { return };
    let mut problem = match import_csp(csp) {
        Ok(p) => p,
        Err(e) => {
            count(1);
            return assert_located(&e, csp);
        }
    };
    count(0);
    if let Some(prices) = files.get(1) {
        let before = problem.clone();
        match import_prices(&mut problem, prices) {
            Ok(()) => count(2),
            Err(e) => {
                count(3);
                assert_located(&e, prices);
                assert_eq!(problem, before, "a failed price import changed the problem");
            }
        }
    }
    assert!(problem.cost_magnitude().is_some());
    if small_enough_to_compile(&problem) {
        count(4);
        let c = Compiled::new(problem);
        let _ = c.count();
        let all = vec![true; c.offsets().total()];
        let bounds = c.cost_bounds(&all);
        assert_eq!(bounds.is_some(), c.is_satisfiable());
    }
}

/// JSON rule set: parse, compile, and ask what the storefront asks.
fn check_json(files: &[String]) {
    let Some(json) = files.first() else { return };
    let Ok(rules) = serde_json::from_str::<RuleSet>(json) else {
        return;
    };
    count(5);
    let Ok(engine) = Configurator::compile(&rules) else {
        count(7);
        return;
    };
    count(6);
    let _ = engine.count();
    let small = rules.groups.len() <= 12;
    if small {
        let none = BTreeSet::new();
        let a = engine
            .assess(&Choices::new(), &none)
            .expect("no choices name nothing unknown");
        if a.consistent {
            let best = engine
                .cheapest_completion(&Choices::new(), &none, &[])
                .expect("no choices name nothing unknown");
            if let Some(full) = best {
                assert!(engine.quote(&full, &none).is_ok());
            }
        }
        let _ = engine.validate();
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations

const INTERESTING_BYTES: &[u8] = b"<>/\"'=|: \n\t&-09aZ;!?[]{},\x00\xff";

const HUGE_NUMBERS: &[&str] = &[
    "99999999999999999999999999",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "4294967296",
    "65536",
    "65535",
    "-1",
    "-0",
    "+7",
    "1e308",
    "0x10",
    "",
    "0000000000000000000001",
];

const ODD_TEXT: &[&str] = &[
    "\u{FEFF}",
    "\u{200B}",
    "e\u{0301}",
    "\u{1F600}",
    "\u{202E}",
    "\u{0}",
    "\u{FFFD}",
    "\u{1D7D8}",
    "\u{0661}",
    "\r\n",
    "\r",
    "\t",
    "\u{85}",
    "\u{2028}",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&#48;",
    "&bogus;",
    "&",
    "<![CDATA[1 2|3]]>",
    "<![CDATA[",
    "]]>",
    "<!-- -->",
    "<!--",
    "-->",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    "<!DOCTYPE instance [<!ENTITY v \"0 1\">]>",
    "&v;",
    "<x:domain xmlns:x=\"u\">",
    "</>",
    "<domain/>",
    "<relation name=\"r\" semantics=\"conflicts\">",
    " semantics=\"conflicts\"",
    " defaultCost=\"-9223372036854775808\"",
    "9223372036854775807:",
    "|",
    ":",
    "\\u0000",
    "\"\\ud800\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "{\"kind\": \"capacity\"}",
    "null",
];

/// Positions of `b` in `text`.
fn positions(text: &[u8], b: u8) -> Vec<usize> {
    text.iter()
        .enumerate()
        .filter(|(_, c)| **c == b)
        .map(|(i, _)| i)
        .collect()
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.below(items.len()))
    }
}

/// The span of a random `<…>` tag.
fn tag_span(rng: &mut Rng, t: &[u8]) -> Option<Range<usize>> {
    let start = *pick(rng, &positions(t, b'<'))?;
    let end = t[start..].iter().position(|&c| c == b'>')? + start + 1;
    Some(start..end)
}

/// The span of a random ` key="value"` attribute (or JSON `"key": value,` member).
fn attribute_span(rng: &mut Rng, t: &[u8]) -> Option<Range<usize>> {
    let sign = if rng.chance(0.5) { b'=' } else { b':' };
    let eq = *pick(rng, &positions(t, sign))?;
    let start = t[..eq]
        .iter()
        .rposition(|&c| c == b' ' || c == b'\n' || c == b'{' || c == b',')
        .map_or(0, |i| i + 1);
    let end = t[eq..]
        .iter()
        .position(|&c| c == b',' || c == b'}' || c == b'>' || c == b'/')
        .map_or(t.len(), |i| eq + i + usize::from(t[eq + i] == b','));
    Some(start..end)
}

/// The span of a random `{…}` or `[…]` (balanced) in JSON.
fn json_value_span(rng: &mut Rng, t: &[u8]) -> Option<Range<usize>> {
    let (open, close) = if rng.chance(0.5) {
        (b'{', b'}')
    } else {
        (b'[', b']')
    };
    let start = *pick(rng, &positions(t, open))?;
    let mut depth = 0usize;
    for (i, &c) in t[start..].iter().enumerate() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(start..start + i + 1);
            }
        }
    }
    None
}

/// A random run of digits (with its sign).
fn number_span(rng: &mut Rng, t: &[u8]) -> Option<Range<usize>> {
    let digits: Vec<usize> = (0..t.len())
        .filter(|&i| t[i].is_ascii_digit() && (i == 0 || !t[i - 1].is_ascii_digit()))
        .collect();
    let start = *pick(rng, &digits)?;
    let start = if start > 0 && t[start - 1] == b'-' {
        start - 1
    } else {
        start
    };
    let end = t[start + 1..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(t.len(), |i| start + 1 + i);
    Some(start..end)
}

fn splice(t: &mut Vec<u8>, range: Range<usize>, with: &[u8]) {
    t.splice(range, with.iter().copied());
}

/// One random mutation of `t`.
fn mutate_once(rng: &mut Rng, t: &mut Vec<u8>) {
    let len = t.len();
    let at = if len == 0 { 0 } else { rng.below(len) };
    match rng.below(16) {
        0 if len > 0 => t[at] ^= 1 << rng.below(8),
        1 if len > 0 => t[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())],
        2 => t.truncate(at),
        3 if len > 0 => {
            let end = (at + 1 + rng.below(64)).min(len);
            t.drain(at..end);
        }
        4 if len > 0 => {
            let end = (at + 1 + rng.below(256)).min(len);
            let copy = t[at..end].to_vec();
            let to = rng.below(len + 1);
            splice(t, to..to, &copy);
        }
        5 => {
            if let Some(r) = tag_span(rng, t) {
                t.drain(r);
            }
        }
        6 => {
            if let Some(r) = tag_span(rng, t) {
                let copy = t[r.clone()].to_vec();
                splice(t, r.end..r.end, &copy);
            }
        }
        7 => {
            if let Some(r) = attribute_span(rng, t) {
                t.drain(r);
            }
        }
        8 => {
            if let Some(r) = attribute_span(rng, t) {
                let mut copy = t[r.clone()].to_vec();
                copy.insert(0, b' ');
                splice(t, r.end..r.end, &copy);
            }
        }
        9 | 10 => {
            if let Some(r) = number_span(rng, t) {
                let with = HUGE_NUMBERS[rng.below(HUGE_NUMBERS.len())];
                splice(t, r, with.as_bytes());
            }
        }
        11 | 12 => {
            let with = ODD_TEXT[rng.below(ODD_TEXT.len())];
            splice(t, at..at, with.as_bytes());
        }
        13 => {
            if let Some(r) = json_value_span(rng, t) {
                if rng.chance(0.5) {
                    t.drain(r);
                } else {
                    let mut copy = t[r.clone()].to_vec();
                    copy.insert(0, b',');
                    splice(t, r.end..r.end, &copy);
                }
            }
        }
        14 => {
            // turn an allowed list into a forbidden one, so the reader lists its complement
            let text = String::from_utf8_lossy(t).replacen("supports", "conflicts", 1);
            *t = text.into_bytes();
        }
        _ => {
            // swap two scope names: connects parts of the rule set that were apart
            let text = String::from_utf8_lossy(t).into_owned();
            let names: Vec<&str> = text
                .split(|c: char| c == '"' || c.is_whitespace())
                .filter(|w| w.starts_with('v') && w.len() > 1)
                .collect();
            if let (Some(a), Some(b)) = (pick(rng, &names), pick(rng, &names)) {
                let (a, b) = (a.to_string(), b.to_string());
                *t = text.replacen(&a, &b, 1).into_bytes();
            }
        }
    }
}

/// One to four mutations; invalid UTF-8 becomes U+FFFD as a lossy reader would make it.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut t = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut t);
    }
    String::from_utf8_lossy(&t).into_owned()
}

fn random_bytes(rng: &mut Rng) -> String {
    let n = rng.below(400);
    let t: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
    String::from_utf8_lossy(&t).into_owned()
}

/// Random sequences of XCSP-shaped tokens: well-formed often enough to reach the meaning.
fn tag_soup(rng: &mut Rng) -> String {
    const TOKENS: &[&str] = &[
        "<instance>",
        "</instance>",
        "<domains>",
        "</domains>",
        "<domain name=\"D\">",
        "<domain name=\"E\" nbValues=\"2\">",
        "</domain>",
        "<variable name=\"x\" domain=\"D\"/>",
        "<variable name=\"y\" domain=\"E\"/>",
        "<variable name=\"z\" domain=\"D\"/>",
        "<relation name=\"r\" semantics=\"supports\">",
        "<relation name=\"s\" semantics=\"conflicts\">",
        "<relation name=\"p\" semantics=\"soft\" defaultCost=\"3\">",
        "</relation>",
        "<constraint name=\"c\" reference=\"r\" scope=\"x y\"/>",
        "<constraint name=\"d\" reference=\"s\" scope=\"x y z\"/>",
        "<constraint name=\"e\" reference=\"p\" scope=\"y\"/>",
        "<constraint name=\"f\" reference=\"r\" scope=\"z z\"/>",
        "0",
        "1",
        "-1",
        "2",
        " ",
        "|",
        ":",
        "5:",
        "9223372036854775807:",
        "&#49;",
        "<!-- c -->",
        "\n",
    ];
    let n = rng.below(60);
    (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect()
}

// ---------------------------------------------------------------------------------------------
// Real data: whole files and carved pieces

/// A `domain`, `variable`, `relation` or `constraint` element of a real file, with its span.
struct Raw {
    kind: String,
    name: String,
    domain: String,
    reference: String,
    scope: Vec<String>,
    span: Range<usize>,
}

fn raw_elements(text: &str) -> Vec<Raw> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut open: Option<Raw> = None;
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().expect("the real files are well-formed");
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                if let Some(mut r) = open.take() {
                    r.span.end = reader.buffer_position() as usize;
                    out.push(r);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let kind = e.name().as_ref().to_string();
        if !["domain", "variable", "relation", "constraint"].contains(&kind.as_str()) {
            continue;
        }
        let attr = |key: &str| {
            e.attributes()
                .flatten()
                .find(|a| a.key.as_ref() == key)
                .map(|a| a.value.to_string())
                .unwrap_or_default()
        };
        let raw = Raw {
            name: attr("name"),
            domain: attr("domain"),
            reference: attr("reference"),
            scope: attr("scope")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            kind,
            span: start..reader.buffer_position() as usize,
        };
        if empty {
            out.push(raw);
        } else {
            open = Some(raw);
        }
    }
    out
}

/// One real instance with its price file, indexed for carving.
struct Real {
    csp: String,
    prices: String,
    csp_elements: Vec<Raw>,
    price_elements: Vec<Raw>,
    csp_index: Index,
    price_index: Index,
}

/// Element positions by kind and name: domains, variables, relations.
type Index = [HashMap<String, usize>; 3];

fn index(els: &[Raw]) -> Index {
    let by = |k: &str| {
        (0..els.len())
            .filter(|&i| els[i].kind == k)
            .map(|i| (els[i].name.clone(), i))
            .collect()
    };
    [by("domain"), by("variable"), by("relation")]
}

impl Real {
    fn load(csp: &str, prices: &str) -> Option<Real> {
        let (csp, prices) = (support::renault(csp)?, support::renault(prices)?);
        let (csp_elements, price_elements) = (raw_elements(&csp), raw_elements(&prices));
        Some(Real {
            csp_index: index(&csp_elements),
            price_index: index(&price_elements),
            csp_elements,
            price_elements,
            csp,
            prices,
        })
    }

    /// A small instance and price file made of real elements: a constraint, maybe a price
    /// function and a neighbouring constraint, the variables they mention with their domains,
    /// and every other constraint and price function over those variables (a few at most).
    fn piece(&self, rng: &mut Rng) -> (String, String) {
        let of = |els: &[Raw], kind: &str| -> Vec<usize> {
            (0..els.len()).filter(|&i| els[i].kind == kind).collect()
        };
        let cons = of(&self.csp_elements, "constraint");
        let pcons = of(&self.price_elements, "constraint");
        let mut vars: BTreeSet<&str> = BTreeSet::new();
        let first = cons[rng.below(cons.len())];
        vars.extend(self.csp_elements[first].scope.iter().map(String::as_str));
        if rng.chance(0.7) && !pcons.is_empty() {
            let p = &self.price_elements[pcons[rng.below(pcons.len())]];
            vars.extend(p.scope.iter().map(String::as_str));
        }
        if rng.chance(0.5) {
            let touching: Vec<usize> = cons
                .iter()
                .copied()
                .filter(|&c| {
                    self.csp_elements[c]
                        .scope
                        .iter()
                        .any(|v| vars.contains(v.as_str()))
                })
                .collect();
            let c = touching[rng.below(touching.len())];
            if self.csp_elements[c].scope.len() + vars.len() <= 16 {
                vars.extend(self.csp_elements[c].scope.iter().map(String::as_str));
            }
        }
        let inside = |els: &[Raw], ids: &[usize], most: usize| -> Vec<usize> {
            ids.iter()
                .copied()
                .filter(|&c| els[c].scope.iter().all(|v| vars.contains(v.as_str())))
                .take(most)
                .collect()
        };
        let chosen = inside(&self.csp_elements, &cons, 6);
        let priced = inside(&self.price_elements, &pcons, 4);
        let csp = assemble(
            &self.csp,
            &self.csp_elements,
            &self.csp_index,
            &vars,
            &chosen,
            "CSP",
        );
        let prices = assemble(
            &self.prices,
            &self.price_elements,
            &self.price_index,
            &vars,
            &priced,
            "WCSP",
        );
        (csp, prices)
    }
}

/// An XCSP document of the real elements for `vars`, the `constraints` chosen and what they
/// reference, each element's text copied from `text`.
fn assemble(
    text: &str,
    els: &[Raw],
    index: &Index,
    vars: &BTreeSet<&str>,
    constraints: &[usize],
    kind: &str,
) -> String {
    let [domains, variables, relations] = index;
    let slice = |r: &Raw| &text[r.span.clone()];
    let mut out =
        format!("<instance>\n<presentation format=\"XCSP 2.1\" type=\"{kind}\"/>\n<domains>\n");
    let mut seen = BTreeSet::new();
    for v in vars {
        if let Some(&var) = variables.get(*v)
            && seen.insert(els[var].domain.as_str())
            && let Some(&d) = domains.get(&els[var].domain)
        {
            out += slice(&els[d]);
            out.push('\n');
        }
    }
    out += "</domains>\n<variables>\n";
    for v in vars {
        if let Some(&var) = variables.get(*v) {
            out += slice(&els[var]);
            out.push('\n');
        }
    }
    out += "</variables>\n<relations>\n";
    for &c in constraints {
        if let Some(&r) = relations.get(&els[c].reference) {
            out += slice(&els[r]);
            out.push('\n');
        }
    }
    out += "</relations>\n<constraints>\n";
    for &c in constraints {
        out += slice(&els[c]);
        out.push('\n');
    }
    out += "</constraints>\n</instance>\n";
    out
}

/// A problem as a named rule set (tables as table rules, prices as option prices and price
/// tables), for JSON mutants made of real data.
fn rule_set_of(p: &Problem) -> RuleSet {
    let label = |v: u32, a: u16| p.vars[v as usize].values[a as usize].clone();
    let condition = |v: u32, a: u16| configurator::Condition {
        group: p.vars[v as usize].name.clone(),
        any_of: vec![label(v, a)],
    };
    RuleSet {
        version: 1,
        groups: p
            .vars
            .iter()
            .enumerate()
            .map(|(v, var)| Group {
                id: var.name.clone(),
                name: var.name.clone(),
                optional: false,
                default: None,
                options: var
                    .values
                    .iter()
                    .enumerate()
                    .map(|(a, l)| OptionDef {
                        id: l.clone(),
                        name: format!("{} = {l}", var.name),
                        price: p.unary[v][a],
                        lead_days: 0,
                        attributes: [("weight".to_string(), a as i64)].into_iter().collect(),
                    })
                    .collect(),
            })
            .collect(),
        rules: p
            .constraints
            .iter()
            .filter_map(|c| match c {
                Constraint::Table {
                    name,
                    scope,
                    tuples,
                } => Some(Rule::Table {
                    id: name.clone(),
                    groups: scope
                        .iter()
                        .map(|&v| p.vars[v as usize].name.clone())
                        .collect(),
                    allowed: tuples
                        .iter()
                        .map(|t| scope.iter().zip(t).map(|(&v, &a)| label(v, a)).collect())
                        .collect(),
                    message: None,
                }),
                _ => None,
            })
            .collect(),
        price_tables: p
            .costs
            .iter()
            .filter_map(|f| match f {
                CostFn::Table {
                    name, scope, costs, ..
                } => Some(PriceTable {
                    id: name.clone(),
                    name: name.clone(),
                    entries: costs
                        .iter()
                        .map(|(t, &amount)| PriceEntry {
                            when: scope
                                .iter()
                                .zip(t)
                                .map(|(&v, &a)| condition(v, a))
                                .collect(),
                            amount,
                        })
                        .collect(),
                }),
                CostFn::Entries { .. } => None,
            })
            .collect(),
    }
}

fn reals() -> Option<Arc<Vec<Real>>> {
    let small = Real::load("small.xml", "smallPrices.xml")?;
    let medium = Real::load("medium.xml", "mediumPrices.xml")?;
    Some(Arc::new(vec![small, medium]))
}

// ---------------------------------------------------------------------------------------------
// The runs

/// Pieces carved from the real instances: an XCSP file and its price file, one or both mutated.
#[test]
fn mutated_pieces_of_the_renault_instances_never_panic() {
    let Some(reals) = reals() else { return };
    run_cases(
        "renault-pieces",
        45_000 * scale(),
        move |rng| {
            let real = &reals[rng.below(reals.len())];
            let (csp, prices) = real.piece(rng);
            match rng.below(3) {
                0 => vec![mutate(rng, &csp), prices],
                1 => vec![csp, mutate(rng, &prices)],
                _ => vec![mutate(rng, &csp), mutate(rng, &prices)],
            }
        },
        check_xcsp,
    );
}

/// Whole real files, mutated: the reader on full-size input.
#[test]
fn mutated_whole_renault_files_never_panic() {
    let Some(reals) = reals() else { return };
    run_cases(
        "renault-whole",
        1_500 * scale(),
        move |rng| {
            let real = &reals[rng.below(reals.len())];
            if rng.chance(0.6) {
                vec![mutate(rng, &real.csp)]
            } else {
                vec![real.csp.clone(), mutate(rng, &real.prices)]
            }
        },
        |files| {
            // the whole instances are too big to compile on every case: import only
            let Some(csp) = files.first() else { return };
            match import_csp(csp) {
                Ok(mut p) => {
                    if let Some(prices) = files.get(1)
                        && let Err(e) = import_prices(&mut p, prices)
                    {
                        assert_located(&e, prices);
                    }
                }
                Err(e) => assert_located(&e, csp),
            }
        },
    );
}

/// Rule sets as JSON: the bike example and Renault pieces rendered as rule sets, mutated.
#[test]
fn mutated_json_rule_sets_never_panic() {
    let bike = include_str!("../examples/bike.json").to_string();
    let mut bases = vec![bike];
    if let Some(reals) = reals() {
        let mut rng = Rng::new(seed());
        while bases.len() < 40 {
            let real = &reals[rng.below(reals.len())];
            let (csp, prices) = real.piece(&mut rng);
            let Ok(mut p) = import_csp(&csp) else {
                continue;
            };
            if import_prices(&mut p, &prices).is_ok() {
                let json = serde_json::to_string_pretty(&rule_set_of(&p)).expect("serialises");
                bases.push(json);
            }
        }
    }
    let bases = Arc::new(bases);
    run_cases(
        "json",
        35_000 * scale(),
        move |rng| {
            // half the cases on the bike, whose small size lets the storefront questions run
            let base = if rng.chance(0.5) {
                &bases[0]
            } else {
                &bases[rng.below(bases.len())]
            };
            vec![mutate(rng, base)]
        },
        check_json,
    );
}

/// Random bytes and random XCSP-shaped token soup, through every importer.
#[test]
fn random_bytes_and_token_soup_never_panic() {
    let base = import_csp(
        "<variable name=\"x\" domain=\"D\"/><variable name=\"y\" domain=\"E\"/>\
         <domain name=\"D\">0 1 2</domain><domain name=\"E\">0 -1</domain>",
    )
    .expect("the base problem imports");
    run_cases(
        "random",
        40_000 * scale(),
        |rng| {
            let text = if rng.chance(0.5) {
                random_bytes(rng)
            } else {
                tag_soup(rng)
            };
            vec![text]
        },
        move |files| {
            let Some(text) = files.first() else { return };
            check_xcsp(files);
            let mut p = base.clone();
            if let Err(e) = import_prices(&mut p, text) {
                assert_located(&e, text);
            }
            check_json(files);
        },
    );
}
