//! A product's rules in the console. The merchandiser edits a draft (the rule set as JSON),
//! which the engine checks as they type, in the browser (see `check_rules`, compiled into the
//! wasm too), and again here on every save and publish. A draft shows its effect against the
//! published version and the product's test configurations; publishing makes it a new,
//! immutable version, and rolling back republishes an earlier one as a new version. Every
//! change goes into the audit log.

use std::collections::BTreeMap;

use configurator::{Configurator, RuleSet};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The largest rule set the editor's form takes: a car range's, as large as an imported file
/// (the server lets a merchandiser's rule draft past the form body limit; see `hardening`).
pub const MAX_RULES_LEN: usize = super::rule_files::MAX_RULE_FILE_BYTES;

/// One finding of the check, in the merchandiser's words, with the rules responsible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub message: String,
    pub rules: Vec<String>,
}

/// What the engine says about a rule set: whether it parses and compiles, how many valid
/// configurations it has (exact, in decimal), the options no configuration can contain or every
/// configuration must, and when nothing is possible a minimal set of conflicting rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// Why the text is not a rule set the engine can compile; nothing else is set then.
    pub error: Option<String>,
    pub satisfiable: bool,
    pub solutions: String,
    pub conflicting_rules: Vec<String>,
    pub dead: Vec<Finding>,
    pub forced: Vec<Finding>,
    pub groups: usize,
    pub options: usize,
    pub rules: usize,
}

impl RuleCheck {
    pub(crate) fn failed(error: String) -> Self {
        RuleCheck {
            error: Some(error),
            satisfiable: false,
            solutions: "0".into(),
            conflicting_rules: Vec::new(),
            dead: Vec::new(),
            forced: Vec::new(),
            groups: 0,
            options: 0,
            rules: 0,
        }
    }

    /// Whether the rule set may be published as far as the engine is concerned.
    pub fn publishable(&self) -> bool {
        self.error.is_none() && self.satisfiable
    }
}

/// Parses the rule set's JSON, or says where it is wrong.
pub fn parse_rules(json: &str) -> Result<RuleSet, String> {
    serde_json::from_str::<RuleSet>(json).map_err(|e| {
        format!(
            "This is not a rule set the shop can read (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })
}

/// Checks a rule set's JSON with the engine. Pure, so the browser runs exactly the check the
/// server repeats on save.
pub fn check_rules(json: &str) -> RuleCheck {
    match parse_rules(json) {
        Ok(rules) => check_rule_set(&rules),
        Err(message) => RuleCheck::failed(message),
    }
}

/// Checks a rule set with the engine (the forms' live check applies a form to the draft first).
pub fn check_rule_set(rules: &RuleSet) -> RuleCheck {
    match Configurator::compile(rules) {
        Ok(engine) => check_compiled(&engine),
        Err(e) => RuleCheck::failed(format!("The engine cannot use these rules: {e}")),
    }
}

/// The check of a rule set that compiled.
pub fn check_compiled(engine: &Configurator) -> RuleCheck {
    let rules = engine.rules();
    let report = engine.validate();
    let finding = |f: &configurator::OptionFinding| Finding {
        message: f.message.clone(),
        rules: f.rules.clone(),
    };
    RuleCheck {
        error: None,
        satisfiable: report.satisfiable,
        solutions: report.solutions.clone(),
        conflicting_rules: report.conflicting_rules.clone(),
        dead: report.dead.iter().map(finding).collect(),
        forced: report.forced.iter().map(finding).collect(),
        groups: rules.groups.len(),
        options: rules.groups.iter().map(|g| g.options.len()).sum(),
        rules: rules.rules.len() + rules.price_tables.len(),
    }
}

/// A configuration the product must keep allowing (`expect_valid`) or keep refusing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestConfiguration {
    pub id: String,
    pub name: String,
    pub choices: BTreeMap<String, String>,
    pub expect_valid: bool,
}

/// A test configuration checked against a rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub test: TestConfiguration,
    pub passes: bool,
    /// What happened, e.g. "valid, as it must be" or "no longer possible".
    pub outcome: String,
}

/// Whether `test` holds on `engine`: a configuration that must stay valid needs at least one
/// valid product containing its choices; one that must stay impossible needs none.
pub fn run_test(engine: &Configurator, test: &TestConfiguration) -> TestOutcome {
    let none = std::collections::BTreeSet::new();
    let (possible, detail) = match engine.cheapest_completion(&test.choices, &none, &[]) {
        Ok(found) => (found.is_some(), None),
        Err(e) => (false, Some(e.to_string())),
    };
    let passes = possible == test.expect_valid;
    let outcome = match (test.expect_valid, possible, detail) {
        (true, true, _) => "possible, as it must be".to_owned(),
        (true, false, Some(detail)) => format!("no longer possible: {detail}"),
        (true, false, None) => "no longer possible".to_owned(),
        (false, false, _) => "impossible, as it must be".to_owned(),
        (false, true, _) => "now possible, but must not be".to_owned(),
    };
    TestOutcome {
        test: test.clone(),
        passes,
        outcome,
    }
}

/// Reads a test configuration typed as one "group: option" (or "group=option") per line, by
/// ids; blank lines are skipped.
pub fn parse_choices(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut choices = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((group, option)) = line.split_once([':', '=']) else {
            return Err(format!(
                "Line {}: write each choice as \"group: option\".",
                number + 1
            ));
        };
        let (group, option) = (group.trim(), option.trim());
        if group.is_empty() || option.is_empty() {
            return Err(format!(
                "Line {}: both the group and the option are needed.",
                number + 1
            ));
        }
        if choices
            .insert(group.to_owned(), option.to_owned())
            .is_some()
        {
            return Err(format!("Line {}: {group} is chosen twice.", number + 1));
        }
    }
    if choices.is_empty() {
        return Err("Name at least one choice.".into());
    }
    Ok(choices)
}

/// How a draft differs from the published version, by rule id, and what that does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftEffect {
    pub rules_added: Vec<String>,
    pub rules_removed: Vec<String>,
    pub rules_changed: Vec<String>,
    /// Groups or options added, removed or changed (prices, names, lead times).
    pub options_changed: Vec<String>,
    pub solutions_before: String,
    pub solutions_after: String,
    /// Findings new in the draft: options that become impossible or forced.
    pub newly_dead: Vec<String>,
    pub newly_forced: Vec<String>,
}

/// Compares the published rules with the draft's (both compiled).
pub fn draft_effect(
    published: &RuleSet,
    published_check: &RuleCheck,
    draft: &RuleSet,
    draft_check: &RuleCheck,
) -> DraftEffect {
    let by_id = |rules: &RuleSet| -> BTreeMap<String, String> {
        rules
            .rules
            .iter()
            .map(|r| {
                (
                    r.id().to_owned(),
                    serde_json::to_string(r).unwrap_or_default(),
                )
            })
            .chain(
                rules
                    .price_tables
                    .iter()
                    .map(|t| (t.id.clone(), serde_json::to_string(t).unwrap_or_default())),
            )
            .collect()
    };
    let (before, after) = (by_id(published), by_id(draft));
    let rules_added = after
        .keys()
        .filter(|id| !before.contains_key(*id))
        .cloned()
        .collect();
    let rules_removed = before
        .keys()
        .filter(|id| !after.contains_key(*id))
        .cloned()
        .collect();
    let rules_changed = after
        .iter()
        .filter(|(id, json)| before.get(*id).is_some_and(|old| old != *json))
        .map(|(id, _)| id.clone())
        .collect();
    let mut options_changed = Vec::new();
    for group in &draft.groups {
        match published.groups.iter().find(|g| g.id == group.id) {
            None => options_changed.push(format!("group {} added", group.name)),
            Some(old) => {
                for option in &group.options {
                    match old.options.iter().find(|o| o.id == option.id) {
                        None => {
                            options_changed.push(format!("{}: {} added", group.name, option.name))
                        }
                        Some(was) if was != option => {
                            options_changed.push(format!("{}: {} changed", group.name, option.name))
                        }
                        Some(_) => {}
                    }
                }
                for option in &old.options {
                    if !group.options.iter().any(|o| o.id == option.id) {
                        options_changed.push(format!("{}: {} removed", group.name, option.name));
                    }
                }
            }
        }
    }
    for group in &published.groups {
        if !draft.groups.iter().any(|g| g.id == group.id) {
            options_changed.push(format!("group {} removed", group.name));
        }
    }
    let new_findings = |now: &[Finding], was: &[Finding]| -> Vec<String> {
        now.iter()
            .filter(|f| !was.iter().any(|w| w.message == f.message))
            .map(|f| f.message.clone())
            .collect()
    };
    DraftEffect {
        rules_added,
        rules_removed,
        rules_changed,
        options_changed,
        solutions_before: published_check.solutions.clone(),
        solutions_after: draft_check.solutions.clone(),
        newly_dead: new_findings(&draft_check.dead, &published_check.dead),
        newly_forced: new_findings(&draft_check.forced, &published_check.forced),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftView {
    pub rules: String,
    pub revision: i64,
    pub based_on: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    pub published_at: i64,
    pub published_by: String,
    pub note: String,
}

/// The rule editor's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RulesView {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub published: String,
    pub draft: Option<DraftView>,
    /// The check of what the editor shows: the draft, else the published rules.
    pub check: RuleCheck,
    pub effect: Option<DraftEffect>,
    /// The test configurations against the draft (else the published rules).
    pub tests: Vec<TestOutcome>,
    pub versions: Vec<VersionRow>,
    /// Why the draft cannot be published now; empty when it can.
    pub blockers: Vec<String>,
}

/// A configurable product in the console's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RulesRow {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub draft: bool,
}

#[cfg(feature = "ssr")]
pub mod ssr;

/// The configurable products, with their version and whether a draft is waiting.
#[server(endpoint = "admin_rule_products")]
pub async fn admin_rule_products() -> Result<Vec<RulesRow>, AppError> {
    crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::products(&state).await
}

#[server(endpoint = "admin_rules")]
pub async fn admin_rules(slug: String) -> Result<RulesView, AppError> {
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::rules_view(&state, &slug).await
}

/// Saves the editor's text as the product's draft. `revision` is the draft revision the form
/// was opened on (0 when there was none): if someone saved since, nothing is overwritten.
#[server(endpoint = "save_rule_draft")]
pub async fn save_rule_draft(slug: String, rules: String, revision: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("rules", &rules, MAX_RULES_LEN)?;
    let state = crate::state::app_state()?;
    ssr::save_draft(&state, &merchandiser, &slug, &rules, revision).await
}

/// Throws the draft away (the published version is untouched).
#[server(endpoint = "discard_rule_draft")]
pub async fn discard_rule_draft(slug: String, revision: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::discard_draft(&state, &merchandiser, &slug, revision).await
}

/// Publishes the draft at `revision` as the product's next rule version, if the engine
/// compiles it within its limits, it has valid configurations and every test configuration
/// holds.
#[server(endpoint = "publish_rules")]
pub async fn publish_rules(slug: String, revision: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::publish(&state, &merchandiser, &slug, revision).await
}

/// Republishes rule version `version` as a new version. `current` is the version the
/// merchandiser saw as published; if another was published since, nothing happens.
#[server(endpoint = "roll_back_rules")]
pub async fn roll_back_rules(slug: String, version: i64, current: i64) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::roll_back(&state, &merchandiser, &slug, version, current).await
}

/// Adds a test configuration: `choices` as one "group: option" per line, `expect` "valid" or
/// "invalid".
#[server(endpoint = "add_test_configuration")]
pub async fn add_test_configuration(
    slug: String,
    name: String,
    choices: String,
    expect: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("name", &name, 120)?;
    crate::limits::check_len("choices", &choices, 8 * 1024)?;
    let state = crate::state::app_state()?;
    ssr::add_test(&state, &merchandiser, &slug, &name, &choices, &expect).await
}

#[server(endpoint = "remove_test_configuration")]
pub async fn remove_test_configuration(slug: String, id: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("id", &id, 64)?;
    let state = crate::state::app_state()?;
    ssr::remove_test(&state, &merchandiser, &slug, &id).await
}
