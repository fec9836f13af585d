//! The rules of a configurable product edited in forms, in the shop's words: groups (optional or
//! not, with a default), options (price, lead time, attributes), and one form per kind of rule
//! the engine knows (requires, excludes, compatibility table, capacity limit) and for price
//! tables. Groups and options are named by their names as the merchandiser reads them (or their
//! ids), so a rule reads "When Frame: Carbon, then Fork: Carbon fork". Every form edits the same
//! draft as the JSON editor, with the same revision check and audit log; the page shows the
//! engine's check of the draft after each save.

// A form's fields are a server function's arguments, one each, so that the form posts
// without JavaScript.
#![allow(clippy::too_many_arguments)]

use configurator::model::NONE_OPTION;
use configurator::{Condition, Group, Rule, RuleSet};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::rules::RuleCheck;
use crate::error::AppError;
use crate::money::format_price;

/// The kinds of rule a form exists for, as the page and the forms name them.
pub const RULE_KINDS: [(&str, &str); 4] = [
    ("requires", "Requires"),
    ("excludes", "Excludes"),
    ("table", "Compatibility table"),
    ("capacity", "Capacity limit"),
];

/// The draft (or, when there is none, the published rules) as the forms edit it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleFormsView {
    pub slug: String,
    pub name: String,
    /// The published version.
    pub version: i64,
    /// The draft's revision, 0 when there is no draft yet (the first save starts one).
    pub revision: i64,
    /// The rules, or why the draft's JSON cannot be read (fix it in the JSON editor).
    pub rules: Result<RuleSet, String>,
    pub check: RuleCheck,
}

/// Separators a name written into a condition cannot contain (such names are written as ids).
const SEPARATORS: [char; 4] = [',', ';', ':', '\n'];

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The group named `text`: by id first, then by a name no other group shares.
pub fn find_group<'a>(rules: &'a RuleSet, text: &str) -> Option<&'a Group> {
    let text = text.trim();
    rules.groups.iter().find(|g| g.id == text).or_else(|| {
        let mut named = rules.groups.iter().filter(|g| same(&g.name, text));
        match (named.next(), named.next()) {
            (Some(group), None) => Some(group),
            _ => None,
        }
    })
}

/// The id of the option of `group` named `text` (by id, then by unique name; "none" names an
/// optional group left empty).
pub fn find_option(group: &Group, text: &str) -> Option<String> {
    let text = text.trim();
    if let Some(option) = group.options.iter().find(|o| o.id == text) {
        return Some(option.id.clone());
    }
    let mut named = group.options.iter().filter(|o| same(&o.name, text));
    match (named.next(), named.next()) {
        (Some(option), None) => Some(option.id.clone()),
        _ if group.optional && (same(text, NONE_OPTION) || same(text, "left empty")) => {
            Some(NONE_OPTION.to_owned())
        }
        _ => None,
    }
}

/// How a form writes a group: its name when that reads back to it, else its id.
pub fn group_label(rules: &RuleSet, group: &Group) -> String {
    let readable = !group.name.contains(SEPARATORS) && !group.name.trim().is_empty();
    if readable && find_group(rules, &group.name).is_some_and(|g| g.id == group.id) {
        group.name.trim().to_owned()
    } else {
        group.id.clone()
    }
}

/// How a form writes an option of `group`: its name when that reads back to it, else its id.
pub fn option_label(group: &Group, id: &str) -> String {
    if id == NONE_OPTION && !group.options.iter().any(|o| o.id == id) {
        return NONE_OPTION.to_owned();
    }
    match group.options.iter().find(|o| o.id == id) {
        Some(option)
            if !option.name.contains(SEPARATORS)
                && !option.name.trim().is_empty()
                && find_option(group, &option.name).as_deref() == Some(id) =>
        {
            option.name.trim().to_owned()
        }
        _ => id.to_owned(),
    }
}

/// A condition as a form writes it: "Frame: Carbon, Steel".
pub fn condition_text(rules: &RuleSet, condition: &Condition) -> String {
    match rules.groups.iter().find(|g| g.id == condition.group) {
        Some(group) => format!(
            "{}: {}",
            group_label(rules, group),
            condition
                .any_of
                .iter()
                .map(|o| option_label(group, o))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("{}: {}", condition.group, condition.any_of.join(", ")),
    }
}

/// Conditions as a form writes them, one per line.
pub fn conditions_text(rules: &RuleSet, conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(|c| condition_text(rules, c))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads "Group: Option, Option" against the rule set's groups and options.
pub fn parse_condition(rules: &RuleSet, text: &str) -> Result<Condition, String> {
    let Some((group_text, options_text)) = text.split_once(':') else {
        return Err(format!(
            "write “{}” as “Group: Option”, such as “Frame: Carbon”",
            text.trim()
        ));
    };
    let group = find_group(rules, group_text)
        .ok_or_else(|| format!("“{}” is not a group of this product", group_text.trim()))?;
    let mut any_of: Vec<String> = Vec::new();
    for option in options_text.split(',').filter(|o| !o.trim().is_empty()) {
        let id = find_option(group, option).ok_or_else(|| {
            format!(
                "“{}” is not an option of {}{}",
                option.trim(),
                group.name,
                if group.options.len() <= 12 {
                    format!(
                        " (its options: {})",
                        group
                            .options
                            .iter()
                            .map(|o| o.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    String::new()
                }
            )
        })?;
        if !any_of.contains(&id) {
            any_of.push(id);
        }
    }
    if any_of.is_empty() {
        return Err(format!("name at least one option of {}", group.name));
    }
    Ok(Condition {
        group: group.id.clone(),
        any_of,
    })
}

/// Reads conditions, one per line (or separated by ";"); the message names the one at fault.
pub fn parse_conditions(rules: &RuleSet, text: &str) -> Result<Vec<Condition>, String> {
    text.split(['\n', ';'])
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            parse_condition(rules, line).map_err(|e| format!("Condition {}: {e}.", i + 1))
        })
        .collect()
}

fn group_name<'a>(rules: &'a RuleSet, id: &'a str) -> &'a str {
    rules
        .groups
        .iter()
        .find(|g| g.id == id)
        .map_or(id, |g| g.name.as_str())
}

fn option_name(rules: &RuleSet, group: &str, id: &str) -> String {
    if id == NONE_OPTION {
        return "left empty".into();
    }
    rules
        .groups
        .iter()
        .find(|g| g.id == group)
        .and_then(|g| g.options.iter().find(|o| o.id == id))
        .map_or_else(|| id.to_owned(), |o| o.name.clone())
}

/// "Frame is Carbon or Steel", "Child seat is left empty".
pub fn condition_words(rules: &RuleSet, condition: &Condition) -> String {
    let options: Vec<String> = condition
        .any_of
        .iter()
        .map(|o| option_name(rules, &condition.group, o))
        .collect();
    format!(
        "{} is {}",
        group_name(rules, &condition.group),
        options.join(" or ")
    )
}

fn all_words(rules: &RuleSet, conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(|c| condition_words(rules, c))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What a rule says, in a sentence a merchandiser reads.
pub fn rule_words(rules: &RuleSet, rule: &Rule) -> String {
    match rule {
        Rule::Requires { when, then, .. } => format!(
            "When {}, {} must be {}.",
            all_words(rules, when),
            group_name(rules, &then.group),
            then.any_of
                .iter()
                .map(|o| option_name(rules, &then.group, o))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Rule::Excludes { all, .. } => format!("Never together: {}.", all_words(rules, all)),
        Rule::Table {
            groups, allowed, ..
        } => format!(
            "{} only in {} allowed combination{}.",
            groups
                .iter()
                .map(|g| group_name(rules, g))
                .collect::<Vec<_>>()
                .join(" × "),
            allowed.len(),
            if allowed.len() == 1 { "" } else { "s" }
        ),
        Rule::Capacity {
            attribute,
            limit_group,
            limit_attribute,
            ..
        } => format!(
            "The chosen options' total “{attribute}” is at most the “{limit_attribute}” of the {} chosen.",
            group_name(rules, limit_group)
        ),
    }
}

/// The form's name of a rule's kind.
pub fn kind_of(rule: &Rule) -> &'static str {
    match rule {
        Rule::Requires { .. } => "requires",
        Rule::Excludes { .. } => "excludes",
        Rule::Table { .. } => "table",
        Rule::Capacity { .. } => "capacity",
    }
}

pub fn kind_name(kind: &str) -> &'static str {
    RULE_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Rule", |(_, name)| name)
}

/// A table's allowed combinations as the form writes them: one per line, options in the order
/// of its groups.
pub fn combinations_text(rules: &RuleSet, groups: &[String], allowed: &[Vec<String>]) -> String {
    allowed
        .iter()
        .map(|row| {
            row.iter()
                .zip(groups)
                .map(|(option, group)| {
                    rules
                        .groups
                        .iter()
                        .find(|g| &g.id == group)
                        .map_or_else(|| option.clone(), |g| option_label(g, option))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A price entry's amount as the form writes it: "+40.00", "-15.50".
pub fn amount_text(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "+" };
    let amount = amount.unsigned_abs();
    format!("{sign}{}.{:02}", amount / 100, amount % 100)
}

/// A price table's entries as the form writes them: "+40.00 when Frame: Carbon; Fork: Rigid".
pub fn entries_text(rules: &RuleSet, table: &configurator::model::PriceTable) -> String {
    table
        .entries
        .iter()
        .map(|entry| {
            format!(
                "{} when {}",
                amount_text(entry.amount),
                entry
                    .when
                    .iter()
                    .map(|c| condition_text(rules, c))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// "+€40.00 when Frame is Carbon and Fork is Rigid".
pub fn entry_words(rules: &RuleSet, entry: &configurator::model::PriceEntry) -> String {
    let amount = if entry.amount < 0 {
        format_price(entry.amount)
    } else {
        format!("+{}", format_price(entry.amount))
    };
    format!("{amount} when {}", all_words(rules, &entry.when))
}

pub mod edit;
#[cfg(feature = "ssr")]
pub mod ssr;

/// The product's rules as the forms edit them, with the engine's check.
#[server(endpoint = "admin_rule_forms")]
pub async fn admin_rule_forms(slug: String) -> Result<RuleFormsView, AppError> {
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::view(&state, &slug).await
}

/// Adds a group (`original` empty) or changes one. A new group may bring its first options, one
/// name per line ("Oak" or "Oak = 120.00").
#[server(endpoint = "save_rule_group")]
pub async fn save_rule_group(
    slug: String,
    revision: i64,
    #[server(default)] original: String,
    #[server(default)] id: String,
    name: String,
    #[server(default)] optional: bool,
    #[server(default)] default_option: String,
    #[server(default)] options: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let fields = [
        ("slug", &slug, 100),
        ("original", &original, 100),
        ("id", &id, 100),
        ("name", &name, 200),
        ("default_option", &default_option, 200),
        ("options", &options, 16 * 1024),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let state = crate::state::app_state()?;
    let change = edit::GroupEdit {
        original,
        id,
        name,
        optional,
        default_option,
        options,
    };
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::save_group(rules, &change)
    })
    .await
}

/// Moves a group up or down: buyers see the groups in this order.
#[server(endpoint = "move_rule_group")]
pub async fn move_rule_group(
    slug: String,
    revision: i64,
    id: String,
    direction: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("id", &id, 100)?;
    let up = super::catalogue::ssr::direction(&direction)?;
    let state = crate::state::app_state()?;
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::move_group(rules, &id, up)
    })
    .await
}

/// Removes a group no rule or price table names.
#[server(endpoint = "remove_rule_group")]
pub async fn remove_rule_group(slug: String, revision: i64, id: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("id", &id, 100)?;
    let state = crate::state::app_state()?;
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::remove_group(rules, &id)
    })
    .await
}

/// Adds an option to `group` (`original` empty) or changes one. `attributes` has one
/// "name = whole number" per line.
#[server(endpoint = "save_rule_option")]
pub async fn save_rule_option(
    slug: String,
    revision: i64,
    group: String,
    #[server(default)] original: String,
    #[server(default)] id: String,
    name: String,
    #[server(default)] price: String,
    #[server(default)] lead_days: String,
    #[server(default)] attributes: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let fields = [
        ("slug", &slug, 100),
        ("group", &group, 100),
        ("original", &original, 100),
        ("id", &id, 100),
        ("name", &name, 200),
        ("price", &price, 40),
        ("lead_days", &lead_days, 20),
        ("attributes", &attributes, 4 * 1024),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let state = crate::state::app_state()?;
    let change = edit::OptionEdit {
        group,
        original,
        id,
        name,
        price,
        lead_days,
        attributes,
    };
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::save_option(rules, &change)
    })
    .await
}

/// Removes an option no rule, price table or default names.
#[server(endpoint = "remove_rule_option")]
pub async fn remove_rule_option(
    slug: String,
    revision: i64,
    group: String,
    id: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("group", &group, 100)?;
    crate::limits::check_len("id", &id, 100)?;
    let state = crate::state::app_state()?;
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::remove_option(rules, &group, &id)
    })
    .await
}

/// Adds a rule of `kind` (`original` empty) or changes one. Which fields count depends on the
/// kind: `conditions` (requires: when all hold; excludes: never all together) and `then`
/// (requires), `groups` and `allowed` (table), `attribute`, `limit_group` and
/// `limit_attribute` (capacity).
#[server(endpoint = "save_rule")]
pub async fn save_rule(
    slug: String,
    revision: i64,
    kind: String,
    #[server(default)] original: String,
    #[server(default)] id: String,
    #[server(default)] message: String,
    #[server(default)] conditions: String,
    #[server(default)] then: String,
    #[server(default)] groups: String,
    #[server(default)] allowed: String,
    #[server(default)] attribute: String,
    #[server(default)] limit_group: String,
    #[server(default)] limit_attribute: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser().await?;
    let fields = [
        ("slug", &slug, 100),
        ("kind", &kind, 20),
        ("original", &original, 100),
        ("id", &id, 100),
        ("message", &message, 500),
        ("conditions", &conditions, 16 * 1024),
        ("then", &then, 4 * 1024),
        ("groups", &groups, 4 * 1024),
        ("allowed", &allowed, 256 * 1024),
        ("attribute", &attribute, 100),
        ("limit_group", &limit_group, 100),
        ("limit_attribute", &limit_attribute, 100),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let state = crate::state::app_state()?;
    let change = edit::RuleEdit {
        kind,
        original,
        id,
        message,
        conditions,
        then,
        groups,
        allowed,
        attribute,
        limit_group,
        limit_attribute,
    };
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::save_rule(rules, &change)
    })
    .await
}

/// Adds a price table (`original` empty) or changes one: one entry per line,
/// "+40.00 when Frame: Carbon; Fork: Rigid" (a negative amount is a discount).
#[server(endpoint = "save_price_table")]
pub async fn save_price_table(
    slug: String,
    revision: i64,
    #[server(default)] original: String,
    #[server(default)] id: String,
    name: String,
    #[server(default)] entries: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let fields = [
        ("slug", &slug, 100),
        ("original", &original, 100),
        ("id", &id, 100),
        ("name", &name, 200),
        ("entries", &entries, 64 * 1024),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let state = crate::state::app_state()?;
    let change = edit::PriceTableEdit {
        original,
        id,
        name,
        entries,
    };
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::save_price_table(rules, &change)
    })
    .await
}

/// Removes a rule or a price table.
#[server(endpoint = "remove_rule")]
pub async fn remove_rule(slug: String, revision: i64, id: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("id", &id, 100)?;
    let state = crate::state::app_state()?;
    ssr::edit(&state, &merchandiser, &slug, revision, |rules| {
        edit::remove_rule(rules, &id)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bike() -> RuleSet {
        serde_json::from_str(
            r#"{"version":1,"groups":[
                {"id":"frame","name":"Frame","options":[
                    {"id":"carbon","name":"Carbon","price":50000},
                    {"id":"steel","name":"Steel, brushed"}]},
                {"id":"fork","name":"Fork","options":[
                    {"id":"rigid","name":"Rigid"},{"id":"carbon","name":"Carbon"}]},
                {"id":"seat","name":"Child seat","optional":true,"options":[
                    {"id":"front","name":"Front"}]}],
              "rules":[{"kind":"requires","id":"r1",
                "when":[{"group":"frame","any_of":["carbon"]}],
                "then":{"group":"fork","any_of":["carbon","rigid"]}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn conditions_read_names_or_ids_in_any_case() {
        let rules = bike();
        let c = parse_condition(&rules, " frame : CARBON, steel ").unwrap();
        assert_eq!(c.group, "frame");
        assert_eq!(c.any_of, vec!["carbon", "steel"]);
        let c = parse_condition(&rules, "Child seat: none").unwrap();
        assert_eq!(c.any_of, vec![NONE_OPTION]);
        // "none" only names an empty group where the group may be left empty.
        assert!(parse_condition(&rules, "Fork: none").is_err());
    }

    #[test]
    fn conditions_say_what_is_wrong_and_where() {
        let rules = bike();
        let e = parse_conditions(&rules, "Frame: Carbon\nFrme: Steel").unwrap_err();
        assert!(e.starts_with("Condition 2:"), "{e}");
        assert!(e.contains("“Frme” is not a group"), "{e}");
        let e = parse_conditions(&rules, "Frame: Titanium").unwrap_err();
        assert!(e.contains("its options: Carbon, Steel, brushed"), "{e}");
        assert!(
            parse_conditions(&rules, "Frame Carbon")
                .unwrap_err()
                .contains("Group: Option")
        );
        assert!(
            parse_conditions(&rules, "Frame: ")
                .unwrap_err()
                .contains("at least one")
        );
    }

    #[test]
    fn written_conditions_read_back_to_the_same_rule() {
        let rules = bike();
        let condition = Condition {
            group: "frame".into(),
            any_of: vec!["steel".into(), "carbon".into()],
        };
        // "Steel, brushed" has a comma, so the form writes its id.
        let text = condition_text(&rules, &condition);
        assert_eq!(text, "Frame: steel, Carbon");
        assert_eq!(parse_condition(&rules, &text).unwrap(), condition);
    }

    #[test]
    fn rules_read_as_sentences() {
        let rules = bike();
        assert_eq!(
            rule_words(&rules, &rules.rules[0]),
            "When Frame is Carbon, Fork must be Carbon or Rigid."
        );
    }

    #[test]
    fn amounts_keep_their_sign() {
        assert_eq!(amount_text(4000), "+40.00");
        assert_eq!(amount_text(-1550), "-15.50");
    }
}
