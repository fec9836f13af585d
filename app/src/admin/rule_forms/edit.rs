//! Each form's change of a rule set, read field by field (every field at fault named at once).
//! Pure, so the browser applies a form to its copy of the draft as the merchandiser types and
//! checks the result with the engine, exactly as the server applies it on save.

use std::collections::BTreeMap;

use configurator::model::{NONE_OPTION, OptionDef, PriceEntry, PriceTable};
use configurator::{Condition, Group, Rule, RuleSet};
use serde::Deserialize;

use super::{RULE_KINDS, find_group, find_option, parse_condition, parse_conditions};
use crate::admin::catalogue::slug_of;
use crate::admin::form::Form;
use crate::error::AppError;
use crate::money::parse_price;

/// Whether `id` can name a new group, option, rule or price table.
fn valid_id(id: &str) -> bool {
    (1..=60).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The id of a new thing: as typed, or made from its name (numbered when taken).
fn new_id(
    form: &mut Form,
    typed: &str,
    name: &str,
    fallback: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    form.typed("id", typed);
    let typed = typed.trim();
    if !typed.is_empty() {
        if !valid_id(typed) {
            form.fault(
                "id",
                "Use up to 60 lowercase letters, digits, hyphens and underscores for the id, such as carbon-fork.",
            );
        } else if taken(typed) {
            form.fault(
                "id",
                format!("The id “{typed}” is already used here; choose another or leave it empty."),
            );
        }
        return typed.to_owned();
    }
    let base = match slug_of(name) {
        s if s.is_empty() => fallback.to_owned(),
        s => s,
    };
    let mut id = base.clone();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

fn rule_ids(rules: &RuleSet) -> impl Fn(&str) -> bool + '_ {
    |id: &str| {
        rules.rules.iter().any(|r| r.id() == id) || rules.price_tables.iter().any(|t| t.id == id)
    }
}

fn group_index(rules: &RuleSet, id: &str) -> Result<usize, AppError> {
    rules
        .groups
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| AppError::NotFound("That group is no longer in the draft; reload.".into()))
}

/// A price or nothing (0) as typed in the price field.
fn price(form: &mut Form, field: &str, value: &str) -> i64 {
    if value.trim().is_empty() {
        form.typed(field, value);
        0
    } else {
        form.price(field, value)
    }
}

/// "+40.00", "-15", "−€7.50": a signed amount in minor units.
fn amount(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (sign, rest) = match text.chars().next() {
        Some('-' | '−') => (-1, &text[text.chars().next().map_or(0, char::len_utf8)..]),
        Some('+') => (1, &text[1..]),
        _ => (1, text),
    };
    parse_price(rest).map(|minor| sign * minor)
}

/// Where the rules and price tables name `group` (or, with `option`, that option of it).
fn uses(rules: &RuleSet, group: &str, option: Option<&str>) -> Vec<String> {
    let named =
        |c: &Condition| c.group == group && option.is_none_or(|o| c.any_of.iter().any(|x| x == o));
    let mut found: Vec<String> = Vec::new();
    for rule in &rules.rules {
        let hit = match rule {
            Rule::Requires { when, then, .. } => when.iter().any(named) || named(then),
            Rule::Excludes { all, .. } => all.iter().any(named),
            Rule::Table {
                groups, allowed, ..
            } => match groups.iter().position(|g| g == group) {
                Some(i) => option
                    .is_none_or(|o| allowed.iter().any(|row| row.get(i).is_some_and(|x| x == o))),
                None => false,
            },
            Rule::Capacity { limit_group, .. } => option.is_none() && limit_group == group,
        };
        if hit {
            found.push(format!("rule {}", rule.id()));
        }
    }
    for table in &rules.price_tables {
        if table.entries.iter().any(|e| e.when.iter().any(named)) {
            found.push(format!("price table “{}”", table.name));
        }
    }
    found
}

fn in_use(what: &str, users: &[String]) -> AppError {
    AppError::validation(format!(
        "{what} is named by {}; change or remove {} first.",
        users.join(", "),
        if users.len() == 1 { "it" } else { "them" }
    ))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupEdit {
    pub original: String,
    pub id: String,
    pub name: String,
    pub optional: bool,
    pub default_option: String,
    pub options: String,
}

/// A new group's first options: one per line, "Oak" or "Oak = 120.00".
fn first_options(form: &mut Form, text: &str) -> Vec<OptionDef> {
    form.typed("options", text);
    let mut options: Vec<OptionDef> = Vec::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let (name, price) = match line.rsplit_once('=') {
            Some((name, price)) => (name.trim(), amount(price)),
            None => (line.trim(), Ok(0)),
        };
        let price = match price {
            Ok(price) if price >= 0 => price,
            Ok(_) => {
                form.fault(
                    "options",
                    format!("Line {}: an option's price cannot be negative.", n + 1),
                );
                0
            }
            Err(e) => {
                form.fault("options", format!("Line {}: {e}", n + 1));
                0
            }
        };
        if name.is_empty() || name.chars().count() > 120 {
            form.fault(
                "options",
                format!(
                    "Line {}: give the option a name of up to 120 characters.",
                    n + 1
                ),
            );
            continue;
        }
        let mut id = match slug_of(name) {
            s if s.is_empty() => format!("option-{}", n + 1),
            s => s,
        };
        let base = id.clone();
        let mut k = 2;
        while id == NONE_OPTION || options.iter().any(|o| o.id == id) {
            id = format!("{base}-{k}");
            k += 1;
        }
        options.push(OptionDef {
            id,
            name: name.to_owned(),
            price,
            lead_days: 0,
            attributes: BTreeMap::new(),
        });
    }
    options
}

pub fn save_group(rules: &mut RuleSet, edit: &GroupEdit) -> Result<String, AppError> {
    let mut form = Form::default();
    let name = form.text("name", "group's name", &edit.name, 120, false);
    form.typed("optional", if edit.optional { "true" } else { "" });
    form.typed("default_option", &edit.default_option);
    if edit.original.is_empty() {
        let taken = |id: &str| rules.groups.iter().any(|g| g.id == id);
        let id = new_id(&mut form, &edit.id, &name, "group", taken);
        let options = first_options(&mut form, &edit.options);
        if options.is_empty() {
            form.fault(
                "options",
                "Give the group at least one option, one name per line.",
            );
        }
        let mut group = Group {
            id: id.clone(),
            name: name.clone(),
            optional: edit.optional,
            default: None,
            options,
        };
        group.default = default_of(&mut form, &group, &edit.default_option);
        form.done()?;
        rules.groups.push(group);
        return Ok(format!("group “{name}” ({id}) added"));
    }
    let index = group_index(rules, &edit.original)?;
    if rules.groups[index].optional && !edit.optional {
        let empty_named: Vec<String> = uses(rules, &edit.original, Some(NONE_OPTION));
        if !empty_named.is_empty() {
            form.fault(
                "optional",
                format!(
                    "{} name this group left empty; change {} before making the group required.",
                    empty_named.join(", "),
                    if empty_named.len() == 1 { "it" } else { "them" }
                ),
            );
        }
    }
    let mut group = rules.groups[index].clone();
    group.name = name.clone();
    group.optional = edit.optional;
    group.default = default_of(&mut form, &group, &edit.default_option);
    form.done()?;
    rules.groups[index] = group;
    Ok(format!("group “{name}” ({}) changed", edit.original))
}

/// The default option typed (empty: none), as an id of `group`.
fn default_of(form: &mut Form, group: &Group, typed: &str) -> Option<String> {
    if typed.trim().is_empty() {
        return None;
    }
    match find_option(group, typed) {
        Some(id) if id != NONE_OPTION => Some(id),
        _ => {
            form.fault(
                "default_option",
                format!("“{}” is not an option of this group.", typed.trim()),
            );
            None
        }
    }
}

pub fn move_group(rules: &mut RuleSet, id: &str, up: bool) -> Result<String, AppError> {
    let index = group_index(rules, id)?;
    let other = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1).filter(|i| *i < rules.groups.len())
    };
    if let Some(other) = other {
        rules.groups.swap(index, other);
    }
    Ok(format!(
        "group {id} moved {}",
        if up { "up" } else { "down" }
    ))
}

pub fn remove_group(rules: &mut RuleSet, id: &str) -> Result<String, AppError> {
    let index = group_index(rules, id)?;
    let users = uses(rules, id, None);
    if !users.is_empty() {
        return Err(in_use(
            &format!("The group “{}”", rules.groups[index].name),
            &users,
        ));
    }
    let group = rules.groups.remove(index);
    Ok(format!("group “{}” ({id}) removed", group.name))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptionEdit {
    pub group: String,
    pub original: String,
    pub id: String,
    pub name: String,
    pub price: String,
    pub lead_days: String,
    pub attributes: String,
}

/// "weight = 1200" per line.
fn attributes(form: &mut Form, text: &str) -> BTreeMap<String, i64> {
    form.typed("attributes", text);
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let parsed = line.split_once('=').and_then(|(name, value)| {
            let name = name.trim();
            let value: i64 = value.trim().parse().ok()?;
            (!name.is_empty() && name.chars().count() <= 60).then(|| (name.to_owned(), value))
        });
        match parsed {
            Some((name, value)) => {
                map.insert(name, value);
            }
            None => form.fault(
                "attributes",
                format!(
                    "Line {}: write “name = whole number”, such as “weight = 1200”.",
                    n + 1
                ),
            ),
        }
    }
    map
}

pub fn save_option(rules: &mut RuleSet, edit: &OptionEdit) -> Result<String, AppError> {
    let index = group_index(rules, &edit.group)?;
    let mut form = Form::default();
    let name = form.text("name", "option's name", &edit.name, 120, false);
    let price = price(&mut form, "price", &edit.price);
    form.typed("lead_days", &edit.lead_days);
    let lead_days = match edit.lead_days.trim() {
        "" => 0,
        days => days
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= 365)
            .unwrap_or_else(|| {
                form.fault(
                    "lead_days",
                    "Enter the lead time as whole working days, from 0 to 365.",
                );
                0
            }),
    };
    let attributes = attributes(&mut form, &edit.attributes);
    let group = &rules.groups[index];
    let (id, position) = if edit.original.is_empty() {
        let taken = |id: &str| id == NONE_OPTION || group.options.iter().any(|o| o.id == id);
        (new_id(&mut form, &edit.id, &name, "option", taken), None)
    } else {
        let position = group
            .options
            .iter()
            .position(|o| o.id == edit.original)
            .ok_or_else(|| {
                AppError::NotFound("That option is no longer in the draft; reload.".into())
            })?;
        (edit.original.clone(), Some(position))
    };
    form.done()?;
    let group_name = group.name.clone();
    let option = OptionDef {
        id: id.clone(),
        name: name.clone(),
        price,
        lead_days,
        attributes,
    };
    let options = &mut rules.groups[index].options;
    match position {
        Some(position) => {
            options[position] = option;
            Ok(format!("option “{name}” ({id}) of {group_name} changed"))
        }
        None => {
            options.push(option);
            Ok(format!("option “{name}” ({id}) added to {group_name}"))
        }
    }
}

pub fn remove_option(rules: &mut RuleSet, group: &str, id: &str) -> Result<String, AppError> {
    let index = group_index(rules, group)?;
    let g = &rules.groups[index];
    let position = g.options.iter().position(|o| o.id == id).ok_or_else(|| {
        AppError::NotFound("That option is no longer in the draft; reload.".into())
    })?;
    let what = format!("{}: {}", g.name, g.options[position].name);
    if g.options.len() == 1 {
        return Err(AppError::validation(format!(
            "{what} is the group's only option; remove the group instead."
        )));
    }
    let mut users = uses(rules, group, Some(id));
    if g.default.as_deref() == Some(id) {
        users.push("the group's default".into());
    }
    if !users.is_empty() {
        return Err(in_use(&what, &users));
    }
    rules.groups[index].options.remove(position);
    Ok(format!("option {what} ({id}) removed"))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleEdit {
    pub kind: String,
    pub original: String,
    pub id: String,
    pub message: String,
    pub conditions: String,
    pub then: String,
    pub groups: String,
    pub allowed: String,
    pub attribute: String,
    pub limit_group: String,
    pub limit_attribute: String,
}

fn conditions(form: &mut Form, rules: &RuleSet, field: &str, text: &str) -> Vec<Condition> {
    form.typed(field, text);
    match parse_conditions(rules, text) {
        Ok(list) if list.is_empty() => {
            form.fault(
                field,
                "Name at least one condition, such as “Frame: Carbon”.",
            );
            list
        }
        Ok(list) => list,
        Err(e) => {
            form.fault(field, e);
            Vec::new()
        }
    }
}

/// A table's groups ("Frame, Fork") and its allowed combinations, one per line.
fn table(form: &mut Form, rules: &RuleSet, edit: &RuleEdit) -> (Vec<String>, Vec<Vec<String>>) {
    form.typed("groups", &edit.groups);
    form.typed("allowed", &edit.allowed);
    let mut groups: Vec<&Group> = Vec::new();
    for text in edit
        .groups
        .split([',', '\n'])
        .filter(|t| !t.trim().is_empty())
    {
        match find_group(rules, text) {
            Some(g) if groups.iter().any(|x| x.id == g.id) => {
                form.fault("groups", format!("{} is named twice.", g.name))
            }
            Some(g) => groups.push(g),
            None => form.fault(
                "groups",
                format!("“{}” is not a group of this product.", text.trim()),
            ),
        }
    }
    if edit.groups.trim().is_empty() {
        form.fault(
            "groups",
            "Name the groups the table relates, such as “Frame, Fork”.",
        );
    } else if groups.len() < 2 && !form.has_fault("groups") {
        form.fault(
            "groups",
            "A compatibility table relates at least two groups.",
        );
    }
    let mut allowed: Vec<Vec<String>> = Vec::new();
    if !groups.is_empty() {
        for (n, line) in edit
            .allowed
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
        {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != groups.len() {
                form.fault(
                    "allowed",
                    format!(
                        "Combination {}: name one option for each of {} (in that order).",
                        n + 1,
                        groups
                            .iter()
                            .map(|g| g.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            let mut row = Vec::new();
            for (cell, group) in cells.iter().zip(&groups) {
                match find_option(group, cell) {
                    Some(id) => row.push(id),
                    None => form.fault(
                        "allowed",
                        format!(
                            "Combination {}: “{}” is not an option of {}.",
                            n + 1,
                            cell.trim(),
                            group.name
                        ),
                    ),
                }
            }
            if row.len() == groups.len() && !allowed.contains(&row) {
                allowed.push(row);
            }
        }
        if allowed.is_empty() && !form.has_fault("allowed") {
            form.fault(
                "allowed",
                "List at least one allowed combination, one per line.",
            );
        }
    }
    (groups.into_iter().map(|g| g.id.clone()).collect(), allowed)
}

pub fn save_rule(rules: &mut RuleSet, edit: &RuleEdit) -> Result<String, AppError> {
    let Some((kind, kind_name)) = RULE_KINDS.iter().find(|(k, _)| *k == edit.kind) else {
        return Err(AppError::validation("Choose a kind of rule."));
    };
    let mut form = Form::default();
    let position = if edit.original.is_empty() {
        None
    } else {
        let position = rules
            .rules
            .iter()
            .position(|r| r.id() == edit.original)
            .ok_or_else(|| {
                AppError::NotFound("That rule is no longer in the draft; reload.".into())
            })?;
        if super::kind_of(&rules.rules[position]) != *kind {
            return Err(AppError::validation(
                "A rule keeps its kind; add a new rule of the other kind instead.",
            ));
        }
        Some(position)
    };
    let id = match position {
        Some(_) => edit.original.clone(),
        None => new_id(&mut form, &edit.id, kind, kind, rule_ids(rules)),
    };
    let message = form.text("message", "message", &edit.message, 300, true);
    let message = (!message.is_empty()).then_some(message);
    let rule = match *kind {
        "requires" => {
            let when = conditions(&mut form, rules, "conditions", &edit.conditions);
            form.typed("then", &edit.then);
            let then = parse_condition(rules, &edit.then).unwrap_or_else(|e| {
                form.fault("then", format!("Then: {e}."));
                Condition {
                    group: String::new(),
                    any_of: Vec::new(),
                }
            });
            Rule::Requires {
                id: id.clone(),
                when,
                then,
                message,
            }
        }
        "excludes" => Rule::Excludes {
            id: id.clone(),
            all: conditions(&mut form, rules, "conditions", &edit.conditions),
            message,
        },
        "table" => {
            let (groups, allowed) = table(&mut form, rules, edit);
            Rule::Table {
                id: id.clone(),
                groups,
                allowed,
                message,
            }
        }
        _ => {
            let attribute = form.text(
                "attribute",
                "attribute that is added up",
                &edit.attribute,
                60,
                false,
            );
            form.typed("limit_group", &edit.limit_group);
            let limit_group = match find_group(rules, &edit.limit_group) {
                Some(g) => g.id.clone(),
                None => {
                    form.fault(
                        "limit_group",
                        "Choose the group whose option sets the limit.",
                    );
                    String::new()
                }
            };
            let limit_attribute = form.text(
                "limit_attribute",
                "attribute that sets the limit",
                &edit.limit_attribute,
                60,
                false,
            );
            Rule::Capacity {
                id: id.clone(),
                attribute,
                limit_group,
                limit_attribute,
                message,
            }
        }
    };
    form.done()?;
    match position {
        Some(position) => {
            rules.rules[position] = rule;
            Ok(format!("rule {id} ({kind_name}) changed"))
        }
        None => {
            rules.rules.push(rule);
            Ok(format!("rule {id} ({kind_name}) added"))
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PriceTableEdit {
    pub original: String,
    pub id: String,
    pub name: String,
    pub entries: String,
}

/// "+40.00 when Frame: Carbon; Fork: Rigid" per line.
fn entries(form: &mut Form, rules: &RuleSet, text: &str) -> Vec<PriceEntry> {
    form.typed("entries", text);
    let mut entries = Vec::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let lower = line.to_lowercase();
        let Some(at) = lower.find(" when ") else {
            form.fault(
                "entries",
                format!("Entry {}: write “amount when Group: Option”, such as “-40.00 when Frame: Carbon; Fork: Carbon”.", n + 1),
            );
            continue;
        };
        // `to_lowercase` can change byte lengths; only cut where the original has " when ".
        let (amount_text, rest) = if line.is_char_boundary(at) && line.len() == lower.len() {
            (&line[..at], &line[at + 6..])
        } else {
            form.fault(
                "entries",
                format!("Entry {}: write “when” in plain letters.", n + 1),
            );
            continue;
        };
        let amount = match amount(amount_text) {
            Ok(0) => {
                form.fault(
                    "entries",
                    format!("Entry {}: an amount of 0 changes nothing.", n + 1),
                );
                continue;
            }
            Ok(amount) => amount,
            Err(e) => {
                form.fault("entries", format!("Entry {}: {e}", n + 1));
                continue;
            }
        };
        let mut when = Vec::new();
        for part in rest.split(';').filter(|p| !p.trim().is_empty()) {
            match parse_condition(rules, part) {
                Ok(c) => when.push(c),
                Err(e) => form.fault("entries", format!("Entry {}: {e}.", n + 1)),
            }
        }
        if when.is_empty() {
            form.fault(
                "entries",
                format!(
                    "Entry {}: name when it applies, such as “Frame: Carbon”.",
                    n + 1
                ),
            );
            continue;
        }
        entries.push(PriceEntry { when, amount });
    }
    if entries.is_empty() && !form.has_fault("entries") {
        form.fault("entries", "Add at least one entry, one per line.");
    }
    entries
}

pub fn save_price_table(rules: &mut RuleSet, edit: &PriceTableEdit) -> Result<String, AppError> {
    let mut form = Form::default();
    let name = form.text("name", "price table's name", &edit.name, 120, false);
    let position = if edit.original.is_empty() {
        None
    } else {
        Some(
            rules
                .price_tables
                .iter()
                .position(|t| t.id == edit.original)
                .ok_or_else(|| {
                    AppError::NotFound("That price table is no longer in the draft; reload.".into())
                })?,
        )
    };
    let id = match position {
        Some(_) => edit.original.clone(),
        None => new_id(&mut form, &edit.id, &name, "prices", rule_ids(rules)),
    };
    let entries = entries(&mut form, rules, &edit.entries);
    form.done()?;
    let table = PriceTable {
        id: id.clone(),
        name: name.clone(),
        entries,
    };
    match position {
        Some(position) => {
            rules.price_tables[position] = table;
            Ok(format!("price table “{name}” ({id}) changed"))
        }
        None => {
            rules.price_tables.push(table);
            Ok(format!("price table “{name}” ({id}) added"))
        }
    }
}

pub fn remove_rule(rules: &mut RuleSet, id: &str) -> Result<String, AppError> {
    if let Some(position) = rules.rules.iter().position(|r| r.id() == id) {
        rules.rules.remove(position);
        return Ok(format!("rule {id} removed"));
    }
    if let Some(position) = rules.price_tables.iter().position(|t| t.id == id) {
        let table = rules.price_tables.remove(position);
        return Ok(format!("price table “{}” ({id}) removed", table.name));
    }
    Err(AppError::NotFound(
        "That rule is no longer in the draft; reload.".into(),
    ))
}

/// One form's change of the rule set, read from its fields as they are posted; the browser
/// reads the open form into one as the merchandiser types.
#[derive(Clone, Debug)]
pub enum FormChange {
    Group(GroupEdit),
    Option(OptionEdit),
    Rule(RuleEdit),
    PriceTable(PriceTableEdit),
}

impl FormChange {
    /// The form posted to the server function `endpoint` (the last part of its action), read
    /// from its urlencoded fields; `None` for a form that is not one of these changes, or
    /// fields that do not read (they would not reach the change on the server either).
    pub fn read(endpoint: &str, fields: &str) -> Option<FormChange> {
        Some(match endpoint {
            "save_rule_group" => FormChange::Group(serde_qs::from_str(fields).ok()?),
            "save_rule_option" => FormChange::Option(serde_qs::from_str(fields).ok()?),
            "save_rule" => FormChange::Rule(serde_qs::from_str(fields).ok()?),
            "save_price_table" => FormChange::PriceTable(serde_qs::from_str(fields).ok()?),
            _ => return None,
        })
    }

    /// Applies the change to `rules`: what changed, for the audit log, or every field at fault.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<String, AppError> {
        match self {
            FormChange::Group(edit) => save_group(rules, edit),
            FormChange::Option(edit) => save_option(rules, edit),
            FormChange::Rule(edit) => save_rule(rules, edit),
            FormChange::PriceTable(edit) => save_price_table(rules, edit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bike() -> RuleSet {
        serde_json::from_str(
            r#"{"version":1,"groups":[
                {"id":"frame","name":"Frame","options":[
                    {"id":"carbon","name":"Carbon","price":50000},
                    {"id":"steel","name":"Steel"}]},
                {"id":"fork","name":"Fork","options":[
                    {"id":"rigid","name":"Rigid"},{"id":"suspension","name":"Suspension"}]},
                {"id":"seat","name":"Child seat","optional":true,"options":[
                    {"id":"front","name":"Front"}]}],
              "rules":[{"kind":"excludes","id":"r1",
                "all":[{"group":"frame","any_of":["carbon"]},{"group":"seat","any_of":["front"]}]}]}"#,
        )
        .unwrap()
    }

    fn rule(kind: &str) -> RuleEdit {
        RuleEdit {
            kind: kind.into(),
            ..RuleEdit::default()
        }
    }

    fn field(error: &AppError, name: &str) -> String {
        error.field_message(name).unwrap_or_default()
    }

    #[test]
    fn a_form_reads_from_its_posted_fields_as_the_server_reads_them() {
        // As the browser's URLSearchParams writes a form: spaces as +, line breaks as CRLF.
        let fields = "slug=bike&revision=3&kind=excludes&original=&id=&conditions=Frame%3A+Carbon%0D%0AFork%3A+Suspension&message=No+suspension+on+carbon";
        let change = FormChange::read("save_rule", fields).unwrap();
        let mut rules = bike();
        let what = change.apply(&mut rules).unwrap();
        assert_eq!(what, "rule excludes (Excludes) added");
        assert_eq!(
            rules.rules.last().unwrap().message(),
            Some("No suspension on carbon")
        );
        // A checkbox sends "true" when ticked and nothing when not.
        let Some(FormChange::Group(ticked)) =
            FormChange::read("save_rule_group", "name=Bell&optional=true&options=Brass")
        else {
            panic!("a group form reads as a group change");
        };
        assert!(ticked.optional);
        let Some(FormChange::Group(unticked)) = FormChange::read("save_rule_group", "name=Bell")
        else {
            panic!("a group form reads as a group change");
        };
        assert!(!unticked.optional);
        // Forms that are not a change (removals, moves) and unreadable fields read as nothing.
        assert!(FormChange::read("remove_rule", "id=r1").is_none());
        assert!(FormChange::read("save_rule_group", "optional=maybe").is_none());
    }

    /// The part of a server function's URL that the browser matches a form's action on.
    fn endpoint<T: leptos::server_fn::ServerFn>() -> &'static str {
        T::PATH.rsplit('/').next().unwrap_or_default()
    }

    #[test]
    fn every_form_reads_in_the_browser_as_its_server_function_receives_it() {
        use super::super::{SavePriceTable, SaveRule, SaveRuleGroup, SaveRuleOption};
        // Each server function's arguments, posted as a form posts them.
        let group = serde_qs::to_string(&SaveRuleGroup {
            slug: "bike".into(),
            revision: 2,
            original: "frame".into(),
            id: String::new(),
            name: "Frame".into(),
            optional: true,
            default_option: "Steel".into(),
            options: "Oak\nAsh = 12.00".into(),
        })
        .unwrap();
        let Some(FormChange::Group(read)) = FormChange::read(endpoint::<SaveRuleGroup>(), &group)
        else {
            panic!("the group form reads as a group change");
        };
        assert_eq!(
            (&*read.original, &*read.name, read.optional),
            ("frame", "Frame", true)
        );
        assert_eq!(
            (&*read.default_option, &*read.options),
            ("Steel", "Oak\nAsh = 12.00")
        );

        let option = serde_qs::to_string(&SaveRuleOption {
            slug: "bike".into(),
            revision: 2,
            group: "frame".into(),
            original: "steel".into(),
            id: "steel".into(),
            name: "Steel".into(),
            price: "12.50".into(),
            lead_days: "4".into(),
            attributes: "weight = 1200".into(),
        })
        .unwrap();
        let Some(FormChange::Option(read)) =
            FormChange::read(endpoint::<SaveRuleOption>(), &option)
        else {
            panic!("the option form reads as an option change");
        };
        assert_eq!(
            (&*read.group, &*read.original, &*read.id, &*read.name),
            ("frame", "steel", "steel", "Steel")
        );
        assert_eq!(
            (&*read.price, &*read.lead_days, &*read.attributes),
            ("12.50", "4", "weight = 1200")
        );

        let rule = serde_qs::to_string(&SaveRule {
            slug: "bike".into(),
            revision: 2,
            kind: "capacity".into(),
            original: "r9".into(),
            id: "r9".into(),
            message: "Too heavy".into(),
            conditions: "Frame: Steel".into(),
            then: "Fork: Rigid".into(),
            groups: "Frame, Fork".into(),
            allowed: "Steel, Rigid".into(),
            attribute: "weight".into(),
            limit_group: "frame".into(),
            limit_attribute: "max_load".into(),
        })
        .unwrap();
        let Some(FormChange::Rule(read)) = FormChange::read(endpoint::<SaveRule>(), &rule) else {
            panic!("the rule form reads as a rule change");
        };
        assert_eq!(
            (&*read.kind, &*read.original, &*read.id, &*read.message),
            ("capacity", "r9", "r9", "Too heavy")
        );
        assert_eq!(
            (
                &*read.conditions,
                &*read.then,
                &*read.groups,
                &*read.allowed
            ),
            ("Frame: Steel", "Fork: Rigid", "Frame, Fork", "Steel, Rigid")
        );
        assert_eq!(
            (&*read.attribute, &*read.limit_group, &*read.limit_attribute),
            ("weight", "frame", "max_load")
        );

        let table = serde_qs::to_string(&SavePriceTable {
            slug: "bike".into(),
            revision: 2,
            original: "t1".into(),
            id: "t1".into(),
            name: "Bundles".into(),
            entries: "-40.00 when Frame: Carbon".into(),
        })
        .unwrap();
        let Some(FormChange::PriceTable(read)) =
            FormChange::read(endpoint::<SavePriceTable>(), &table)
        else {
            panic!("the price table form reads as a price table change");
        };
        assert_eq!(
            (&*read.original, &*read.id, &*read.name, &*read.entries),
            ("t1", "t1", "Bundles", "-40.00 when Frame: Carbon")
        );
    }

    #[test]
    fn a_change_read_from_a_form_with_a_typo_names_the_field() {
        let change = FormChange::read(
            "save_rule",
            "kind=excludes&conditions=Frame%3A+Carbon%0D%0AChild+seat%3A+Frnt",
        )
        .unwrap();
        let mut rules = bike();
        let error = change.apply(&mut rules).unwrap_err();
        assert!(
            field(&error, "conditions").contains("“Frnt” is not an option of Child seat"),
            "{error:?}"
        );
        assert_eq!(
            rules,
            bike(),
            "a refused change leaves the rules as they were"
        );
    }

    #[test]
    fn a_requires_rule_is_written_with_names_and_gets_an_id() {
        let mut rules = bike();
        let edit = RuleEdit {
            conditions: "Frame: Carbon".into(),
            then: "fork: rigid".into(),
            message: "Carbon frames come with a rigid fork".into(),
            ..rule("requires")
        };
        let what = save_rule(&mut rules, &edit).unwrap();
        assert_eq!(what, "rule requires (Requires) added");
        let added = rules.rules.last().unwrap();
        assert_eq!(
            added,
            &Rule::Requires {
                id: "requires".into(),
                when: vec![Condition {
                    group: "frame".into(),
                    any_of: vec!["carbon".into()]
                }],
                then: Condition {
                    group: "fork".into(),
                    any_of: vec!["rigid".into()]
                },
                message: Some("Carbon frames come with a rigid fork".into()),
            }
        );
        // A second one is numbered, and the engine compiles the result.
        save_rule(&mut rules, &edit).unwrap();
        assert_eq!(rules.rules.last().unwrap().id(), "requires-2");
        configurator::Configurator::compile(&rules).unwrap();
    }

    #[test]
    fn a_bad_rule_names_every_field_at_fault_and_keeps_what_was_typed() {
        let mut rules = bike();
        let before = rules.clone();
        let edit = RuleEdit {
            id: "r1".into(),
            conditions: "Frame: Titanium".into(),
            then: "Wheels: Big".into(),
            ..rule("requires")
        };
        let error = save_rule(&mut rules, &edit).unwrap_err();
        assert!(field(&error, "id").contains("already used"));
        assert!(field(&error, "conditions").contains("“Titanium” is not an option of Frame"));
        assert!(field(&error, "then").contains("“Wheels” is not a group"));
        assert_eq!(
            error.typed_value("conditions").as_deref(),
            Some("Frame: Titanium")
        );
        assert_eq!(rules, before, "nothing changes on a refusal");
    }

    #[test]
    fn tables_need_one_option_per_group_in_order() {
        let mut rules = bike();
        let edit = RuleEdit {
            groups: "Frame, Fork".into(),
            allowed: "Carbon, Rigid\nSteel, Suspension\nSteel".into(),
            ..rule("table")
        };
        let error = save_rule(&mut rules, &edit).unwrap_err();
        assert!(
            field(&error, "allowed")
                .starts_with("Combination 3: name one option for each of Frame, Fork")
        );
        let edit = RuleEdit {
            allowed: "Carbon, Rigid\nsteel, suspension".into(),
            ..edit
        };
        save_rule(&mut rules, &edit).unwrap();
        let Rule::Table {
            groups, allowed, ..
        } = rules.rules.last().unwrap()
        else {
            panic!("not a table");
        };
        assert_eq!(groups, &["frame", "fork"]);
        assert_eq!(
            allowed,
            &[vec!["carbon", "rigid"], vec!["steel", "suspension"]]
        );
        let error = save_rule(
            &mut rules,
            &RuleEdit {
                groups: "Frame".into(),
                ..rule("table")
            },
        )
        .unwrap_err();
        assert!(field(&error, "groups").contains("at least two groups"));
    }

    #[test]
    fn capacity_rules_name_a_group_and_two_attributes() {
        let mut rules = bike();
        let error = save_rule(&mut rules, &rule("capacity")).unwrap_err();
        for name in ["attribute", "limit_group", "limit_attribute"] {
            assert!(!field(&error, name).is_empty(), "{name}");
        }
        let edit = RuleEdit {
            attribute: "weight".into(),
            limit_group: "frame".into(),
            limit_attribute: "max_load".into(),
            ..rule("capacity")
        };
        save_rule(&mut rules, &edit).unwrap();
        assert!(
            matches!(rules.rules.last(), Some(Rule::Capacity { limit_group, .. }) if limit_group == "frame")
        );
    }

    #[test]
    fn groups_and_options_in_use_are_not_removed() {
        let mut rules = bike();
        let error = remove_group(&mut rules, "seat").unwrap_err();
        assert!(error.to_string().contains("rule r1"), "{error}");
        let error = remove_option(&mut rules, "frame", "carbon").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("Frame: Carbon is named by rule r1"),
            "{error}"
        );
        let error = remove_option(&mut rules, "seat", "front").unwrap_err();
        assert!(error.to_string().contains("only option"), "{error}");
        remove_option(&mut rules, "fork", "suspension").unwrap();
        remove_rule(&mut rules, "r1").unwrap();
        remove_group(&mut rules, "seat").unwrap();
        assert_eq!(rules.groups.len(), 2);
    }

    #[test]
    fn a_new_group_comes_with_its_first_options_and_prices() {
        let mut rules = bike();
        let edit = GroupEdit {
            original: String::new(),
            id: String::new(),
            name: "Bell".into(),
            optional: true,
            default_option: String::new(),
            options: "Brass = 12.50\nChrome\n\nBrass".into(),
        };
        save_group(&mut rules, &edit).unwrap();
        let bell = rules.groups.last().unwrap();
        assert_eq!(bell.id, "bell");
        let options: Vec<(&str, i64)> = bell
            .options
            .iter()
            .map(|o| (o.id.as_str(), o.price))
            .collect();
        assert_eq!(
            options,
            vec![("brass", 1250), ("chrome", 0), ("brass-2", 0)]
        );
        let error = save_group(
            &mut rules,
            &GroupEdit {
                options: "Gold = lots".into(),
                ..edit
            },
        )
        .unwrap_err();
        assert!(field(&error, "options").starts_with("Line 1:"), "{error:?}");
    }

    #[test]
    fn a_group_named_left_empty_by_a_rule_stays_optional() {
        let mut rules = bike();
        let edit = RuleEdit {
            conditions: "Frame: Steel".into(),
            then: "Child seat: none".into(),
            ..rule("requires")
        };
        save_rule(&mut rules, &edit).unwrap();
        let error = save_group(
            &mut rules,
            &GroupEdit {
                original: "seat".into(),
                id: String::new(),
                name: "Child seat".into(),
                optional: false,
                default_option: String::new(),
                options: String::new(),
            },
        )
        .unwrap_err();
        assert!(
            field(&error, "optional").contains("rule requires"),
            "{error:?}"
        );
    }

    #[test]
    fn price_tables_read_signed_amounts_and_conditions() {
        let mut rules = bike();
        let edit = PriceTableEdit {
            original: String::new(),
            id: String::new(),
            name: "Bundles".into(),
            entries: "-40.00 when Frame: Carbon; Fork: Rigid\n+€5 WHEN Fork: Suspension".into(),
        };
        save_price_table(&mut rules, &edit).unwrap();
        let table = rules.price_tables.last().unwrap();
        assert_eq!(table.id, "bundles");
        assert_eq!(table.entries.len(), 2);
        assert_eq!(table.entries[0].amount, -4000);
        assert_eq!(table.entries[0].when.len(), 2);
        assert_eq!(table.entries[1].amount, 500);
        let error = save_price_table(
            &mut rules,
            &PriceTableEdit {
                entries: "40 if Frame: Carbon".into(),
                ..edit
            },
        )
        .unwrap_err();
        assert!(
            field(&error, "entries").starts_with("Entry 1: write “amount when"),
            "{error:?}"
        );
    }

    #[test]
    fn options_take_price_lead_time_and_attributes() {
        let mut rules = bike();
        let edit = OptionEdit {
            group: "frame".into(),
            original: String::new(),
            id: String::new(),
            name: "Titanium".into(),
            price: "1,200.00".into(),
            lead_days: "15".into(),
            attributes: "weight = 1450\nmax_load=120".into(),
        };
        save_option(&mut rules, &edit).unwrap();
        let titanium = rules.groups[0].options.last().unwrap();
        assert_eq!(
            (titanium.id.as_str(), titanium.price, titanium.lead_days),
            ("titanium", 120_000, 15)
        );
        assert_eq!(titanium.attributes.get("max_load"), Some(&120));
        let error = save_option(
            &mut rules,
            &OptionEdit {
                lead_days: "soon".into(),
                attributes: "weight: heavy".into(),
                ..edit
            },
        )
        .unwrap_err();
        assert!(!field(&error, "lead_days").is_empty());
        assert!(field(&error, "attributes").starts_with("Line 1"));
    }
}
