//! The command-line tool as a person runs it: help, clear errors for wrong arguments (exit code
//! 2), JSON results, and JSON errors for failures while running (exit code 1).

use std::process::{Command, Output};

fn configurator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_configurator"))
        .args(args)
        .output()
        .expect("the configurator binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_every_subcommand() {
    let o = configurator(&["--help"]);
    assert!(o.status.success());
    for sub in [
        "count",
        "bench",
        "validate",
        "recommend",
        "rule-set",
        "generate",
    ] {
        assert!(
            stdout(&o).contains(sub),
            "{sub} missing from:\n{}",
            stdout(&o)
        );
    }
    let o = configurator(&["bench", "--help"]);
    for flag in [
        "--prices",
        "--sales",
        "--sessions",
        "--baseline-sessions",
        "--baseline-steps",
        "--cheapest-every",
        "--ilp-max-arcs",
        "--seed",
    ] {
        assert!(
            stdout(&o).contains(flag),
            "{flag} missing from:\n{}",
            stdout(&o)
        );
    }
}

#[test]
fn count_prints_the_number_of_configurations_as_json() {
    let o = configurator(&["count", "examples/bike.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    assert!(
        v["solutions"]
            .as_str()
            .is_some_and(|n| n.parse::<u64>().is_ok())
    );
}

#[test]
fn a_missing_argument_is_named_with_the_usage() {
    let o = configurator(&["count"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("required") && e.contains("INSTANCE"), "{e}");
    assert!(e.contains("Usage: configurator count"), "{e}");
}

#[test]
fn a_bad_number_says_which_flag_and_what_it_got() {
    let o = configurator(&["bench", "examples/bike.json", "--sessions", "many"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("many") && e.contains("--sessions"), "{e}");
}

#[test]
fn a_misspelt_flag_gets_a_suggestion() {
    let o = configurator(&["validate", "examples/bike.json", "--no-rule"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-rules"), "{}", stderr(&o));
}

#[test]
fn a_failure_while_running_is_a_json_error() {
    let o = configurator(&["count", "no/such/file.xml"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stderr(&o).trim()).expect("JSON on stderr");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("no/such/file.xml"))
    );
}

#[test]
fn generate_writes_a_chain_rule_set_that_counts_back() {
    let dir = std::env::temp_dir().join(format!("configurator-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("chain.json");
    let out = out.to_str().expect("utf-8 temp path");
    let o = configurator(&["generate", out, "--chain", "1000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = configurator(&["count", out]);
    assert!(stdout(&o).contains("\"1001\""), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rule_set_prints_the_synthetic_instance_as_a_rule_set_json() {
    let o = configurator(&["rule-set", "--large", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rules: configurator::RuleSet =
        serde_json::from_str(&stdout(&o)).expect("a rule set on stdout");
    assert_eq!(rules.groups.len(), 270);
    let o = configurator(&["rule-set"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = configurator(&["rule-set", "m.xml", "--large", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = configurator(&["rule-set", "no-such.xml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no-such.xml"), "{}", stderr(&o));
}
