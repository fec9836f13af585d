//! The console page that edits a product's rules in forms: the engine's check of the draft, its
//! groups with their options, its rules in sentences and its price tables, each with a form to
//! add or change it. Which form is open is in the URL (`?rule=r2`, `?add=excludes`), so the page
//! is server-rendered and works without JavaScript. Once the page has hydrated, the open form is
//! checked as the merchandiser types: the browser applies it to its copy of the draft, as the
//! server will on save, and runs the engine's check on the result, with no request.

use configurator::model::{OptionDef, PriceTable};
use configurator::{Group, Rule, RuleSet};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ConsoleNav;
use super::rule_forms::edit::FormChange;
use super::rule_forms::{
    MoveRuleGroup, RULE_KINDS, RemoveRule, RemoveRuleGroup, RemoveRuleOption, RuleFormsView,
    SavePriceTable, SaveRule, SaveRuleGroup, SaveRuleOption, combinations_text, condition_text,
    conditions_text, entries_text, entry_words, group_label, kind_name, kind_of, option_label,
    rule_words,
};
use super::rules::{RuleCheck, check_rule_set};
use super::rules_page::{CheckReport, pause};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, first_error};
use crate::error::AppError;
use crate::money::{format_price, price_input};

/// Which form the page shows, read from its query.
#[derive(Clone, Debug, PartialEq)]
enum Editing {
    Nothing,
    NewGroup,
    Group(String),
    NewOption(String),
    Option(String, String),
    NewRule(String),
    Rule(String),
    NewPriceTable,
    PriceTable(String),
}

fn editing(query: &leptos_router::params::ParamsMap) -> Editing {
    let get = |key: &str| query.get(key);
    match (get("add").as_deref(), get("group"), get("option")) {
        (Some("group"), _, _) => Editing::NewGroup,
        (Some("option"), Some(group), _) => Editing::NewOption(group),
        (Some("price_table"), _, _) => Editing::NewPriceTable,
        (Some(kind), _, _) if RULE_KINDS.iter().any(|(k, _)| *k == kind) => {
            Editing::NewRule(kind.to_owned())
        }
        (_, Some(group), Some(option)) => Editing::Option(group, option),
        (_, Some(group), None) => Editing::Group(group),
        _ => match (get("rule"), get("price_table")) {
            (Some(rule), _) => Editing::Rule(rule),
            (_, Some(table)) => Editing::PriceTable(table),
            _ => Editing::Nothing,
        },
    }
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The value a field shows: what was typed before a refusal, else what is saved.
fn shown(error: Signal<Option<AppError>>, name: &str, saved: String) -> String {
    error
        .get_untracked()
        .and_then(|e| e.typed_value(name))
        .unwrap_or(saved)
}

/// The actions of the page's forms, shared by the lists and the open form.
#[derive(Clone, Copy)]
struct Actions {
    group: ServerAction<SaveRuleGroup>,
    move_group: ServerAction<MoveRuleGroup>,
    remove_group: ServerAction<RemoveRuleGroup>,
    option: ServerAction<SaveRuleOption>,
    remove_option: ServerAction<RemoveRuleOption>,
    rule: ServerAction<SaveRule>,
    price_table: ServerAction<SavePriceTable>,
    remove_rule: ServerAction<RemoveRule>,
}

#[component]
pub fn AdminRuleFormsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let actions = Actions {
        group: ServerAction::new(),
        move_group: ServerAction::new(),
        remove_group: ServerAction::new(),
        option: ServerAction::new(),
        remove_option: ServerAction::new(),
        rule: ServerAction::new(),
        price_table: ServerAction::new(),
        remove_rule: ServerAction::new(),
    };
    let list_error = first_error(vec![
        action_error(actions.move_group),
        action_error(actions.remove_group),
        action_error(actions.remove_option),
        action_error(actions.remove_rule),
    ]);
    let saved = query.read_untracked().get("saved").is_some();
    let open = editing(&query.read_untracked());
    let data = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        super::rule_forms::admin_rule_forms,
    );
    view! {
        <Title text="Rules in forms — Atelier console" />
        <section class="panel wide rules-console rule-forms">
            <ConsoleNav />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the rules…"</p> }>
                {move || {
                    let open = open.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(data) => view! { <FormsBody data open saved actions list_error /> }.into_any(),
                            Err(error) => view! { <LoadError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn FormsBody(
    data: RuleFormsView,
    open: Editing,
    saved: bool,
    actions: Actions,
    list_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let RuleFormsView {
        slug,
        name,
        version,
        revision,
        rules,
        check,
    } = data;
    let base = format!("/admin/products/{slug}/rules/edit");
    // The draft's count, beside what the open form would make of it.
    let now = (check.error.is_none() && check.satisfiable).then(|| check.solutions.clone());
    let draft_note = if revision == 0 {
        format!(
            "No draft yet: your first change starts one from version {version}, the published rules."
        )
    } else {
        format!(
            "Editing the draft (revision {revision}); version {version} stays published until you publish."
        )
    };
    let head = view! {
        <p><a href=format!("/admin/products/{slug}/rules")>"← Review the draft's effect, publish, or edit its JSON"</a></p>
        <h1>{format!("Rules in forms: {name}")}</h1>
        <p class="muted">{draft_note}</p>
        {saved.then(|| view! { <p class="notice notice-success" role="status">"Saved in the draft. The check below is of the rules as they are now."</p> })}
        <ErrorBox error=list_error />
        <section id="check" class="rule-check" aria-labelledby="check-heading">
            <h2 id="check-heading">"Check of the draft"</h2>
            <CheckReport check />
        </section>
    }
    .into_any();
    let rules = match rules {
        Ok(rules) => rules,
        Err(problem) => {
            return view! {
                {head}
                <p class="notice notice-error" role="alert">{format!("The draft cannot be edited in forms until its JSON is fixed in the JSON editor. {problem}")}</p>
            }
            .into_any();
        }
    };
    let form = open_form(&open, &rules, &slug, revision, actions, &base).map(|form| {
        // The island fetches the draft's JSON rather than carrying it in the page: on a car
        // range that would double the page. The revision (or version) keeps the URL exact.
        let source = if revision == 0 {
            format!("/admin/products/{slug}/rules.json?version={version}")
        } else {
            format!("/admin/products/{slug}/rules.json?draft=true&revision={revision}")
        };
        view! { <LiveFormCheck source now>{form}</LiveFormCheck> }.into_any()
    });
    let groups = rules
        .groups
        .iter()
        .enumerate()
        .map(|(i, group)| group_block(&rules, group, i, &slug, revision, actions, &base))
        .collect_view();
    let rule_rows = rules
        .rules
        .iter()
        .map(|rule| {
            let id = rule.id().to_owned();
            view! {
                <tr>
                    <th scope="row">{id.clone()}</th>
                    <td>{kind_name(kind_of(rule))}</td>
                    <td>{rule_words(&rules, rule)}</td>
                    <td>{rule.message().unwrap_or("—").to_owned()}</td>
                    <td><div class="row-actions">
                        <a href=format!("{base}?rule={}#form", encode(&id)) aria-label=format!("Edit rule {id}")>"Edit"</a>
                        <RemoveRuleButton action=actions.remove_rule slug=slug.clone() revision id=id.clone() label=format!("Remove rule {id}") />
                    </div></td>
                </tr>
            }
        })
        .collect_view();
    let table_rows = rules
        .price_tables
        .iter()
        .map(|table| {
            let id = table.id.clone();
            view! {
                <tr>
                    <th scope="row">{table.name.clone()}</th>
                    <td>
                        <ul class="plain">{table.entries.iter().map(|e| view! { <li>{entry_words(&rules, e)}</li> }).collect_view()}</ul>
                    </td>
                    <td><div class="row-actions">
                        <a href=format!("{base}?price_table={}#form", encode(&id)) aria-label=format!("Edit price table {}", table.name)>"Edit"</a>
                        <RemoveRuleButton action=actions.remove_rule slug=slug.clone() revision id=id.clone() label=format!("Remove price table {}", table.name) />
                    </div></td>
                </tr>
            }
        })
        .collect_view();
    let add_rule_links = RULE_KINDS
        .iter()
        .map(|(kind, name)| view! { <li><a href=format!("{base}?add={kind}#form")>{format!("{name} rule")}</a></li> })
        .collect_view();
    let groups_section = view! {
        <section aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Groups and options"</h2>
            <p class="hint">"Buyers see the groups in this order. Ids stay as they are once made: orders and saved configurations refer to them."</p>
            {groups}
            <p><a class="button secondary" href=format!("{base}?add=group#form")>"Add a group"</a></p>
        </section>
    }
    .into_any();
    let rules_section = view! {
        <section aria-labelledby="rule-list-heading">
            <h2 id="rule-list-heading">"Rules"</h2>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Id"</th><th scope="col">"Kind"</th><th scope="col">"What it says"</th><th scope="col">"Message to buyers"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{rule_rows}</tbody>
                </table>
            </div>
            <p>"Add a rule:"</p>
            <ul class="link-row">{add_rule_links}</ul>
        </section>
    }
    .into_any();
    let prices_section = view! {
        <section aria-labelledby="price-heading">
            <h2 id="price-heading">"Price tables"</h2>
            <p class="hint">"Surcharges and bundle discounts on combinations of options, added to the options' own prices."</p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Entries"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
            </div>
            <p><a class="button secondary" href=format!("{base}?add=price_table#form")>"Add a price table"</a></p>
        </section>
    }
    .into_any();
    view! { {head} {form} {groups_section} {rules_section} {prices_section} }.into_any()
}

/// The open form, followed once hydrated by the engine's check of the draft as this form would
/// leave it: every change of a field (a short pause after the last key) reads the form as the
/// server reads it, applies it to the browser's copy of the draft and checks the result there.
/// Saving repeats both on the server, which is what counts.
#[island]
pub fn LiveFormCheck(
    /// Where the draft's JSON (or the published rules', when there is no draft) is.
    source: String,
    now: Option<String>,
    children: Children,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<(String, RuleCheck), AppError>>);
    let rules = StoredValue::new(String::new());
    // Live once the draft and the check's code are in the page, both loaded as the island
    // hydrates (the code by reading a form that is no change), so the first keystroke does not
    // wait for them. Effects run only in the browser.
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        let source = source.clone();
        leptos::task::spawn_local(async move {
            let Some(text) = fetch_text(&source).await else {
                return;
            };
            check_form(String::new(), String::new(), String::new()).await;
            rules.set_value(text);
            live.set(true);
        });
    });
    let generation = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        if !live.get_untracked() {
            return;
        }
        let Some((endpoint, fields)) = form_fields(&ev) else {
            return;
        };
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        leptos::task::spawn_local(async move {
            pause(250).await;
            if generation.get_value() != mine {
                return;
            }
            if let Some(result) = check_form(rules.get_value(), endpoint, fields).await {
                outcome.set(Some(result));
            }
        });
    };
    let report = move || {
        outcome.get().map(|result| match result {
            Ok((what, check)) => {
                let against = now
                    .clone()
                    .filter(|_| check.error.is_none())
                    .map(|n| compared(&check.solutions, &n));
                view! {
                <div class="rule-check form-check" data-testid="form-check">
                    <h3>"If you save this form"</h3>
                    <p class="muted">{format!("Change: {what}.")}</p>
                    <CheckReport check />
                    {against.map(|text| view! { <p class="muted">{text}</p> })}
                </div>
            }
            .into_any()
            }
            Err(error) => {
                let problems: Vec<String> = match &error {
                    AppError::Validation { fields, .. } if !fields.is_empty() => {
                        fields.values().cloned().collect()
                    }
                    other => vec![other.to_string()],
                };
                view! {
                    <div class="rule-check form-check" data-testid="form-check">
                        <h3>"Not a change the draft can take yet"</h3>
                        <ul class="problem">{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <div class="live-form" on:input=on_input data-form-check=move || if live.get() { "live" } else { "server" }>
            {children()}
            <div role="status" aria-live="polite">{report}</div>
        </div>
    }
}

/// The form posted to `endpoint` with `fields`, applied to `rules` (JSON) and checked: what it
/// changes and the check of the result, or the fields at fault; `None` for a form that is not
/// a change. Lazy: the release build (`cargo leptos build --split`) puts it, the forms' reading
/// and the engine's check in a chunk of wasm that only the console loads.
#[lazy]
fn check_form(
    rules: String,
    endpoint: String,
    fields: String,
) -> Option<Result<(String, RuleCheck), AppError>> {
    let change = FormChange::read(&endpoint, &fields)?;
    let mut draft = super::rules::parse_rules(&rules).ok()?;
    Some(
        change
            .apply(&mut draft)
            .map(|what| (what, check_rule_set(&draft))),
    )
}

/// What saving does to the number of valid configurations, `after` against `now` (both exact
/// decimal counts, too large for any integer type on a car range).
fn compared(after: &str, now: &str) -> String {
    let order = after.len().cmp(&now.len()).then_with(|| after.cmp(now));
    match order {
        std::cmp::Ordering::Equal => format!("As many as the draft has now ({now})."),
        std::cmp::Ordering::Less => format!("Fewer than the draft has now ({now})."),
        std::cmp::Ordering::Greater => format!("More than the draft has now ({now})."),
    }
}

/// The body of a GET of `url`, when it answers 200.
#[cfg(feature = "hydrate")]
async fn fetch_text(url: &str) -> Option<String> {
    let response = crate::browser::fetch_ok(url).await?;
    wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

#[cfg(not(feature = "hydrate"))]
async fn fetch_text(_url: &str) -> Option<String> {
    None
}

/// The endpoint of the form an input event came from and its fields, urlencoded as the
/// browser would post them.
#[cfg(feature = "hydrate")]
fn form_fields(ev: &leptos::ev::Event) -> Option<(String, String)> {
    use wasm_bindgen::JsCast;
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let form: web_sys::HtmlFormElement = target.closest("form").ok()??.dyn_into().ok()?;
    let endpoint = form.get_attribute("action")?.rsplit('/').next()?.to_owned();
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let fields = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    Some((endpoint, fields.to_string().into()))
}

#[cfg(not(feature = "hydrate"))]
fn form_fields(_ev: &leptos::ev::Event) -> Option<(String, String)> {
    None
}

#[component]
fn RemoveRuleButton(
    action: ServerAction<RemoveRule>,
    slug: String,
    revision: i64,
    id: String,
    label: String,
) -> impl IntoView {
    view! {
        <ActionForm action attr:class="inline-form">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="revision" value=revision />
            <input type="hidden" name="id" value=id />
            <button type="submit" class="button link danger" aria-label=label>"Remove"</button>
        </ActionForm>
    }
}

fn group_block(
    rules: &RuleSet,
    group: &Group,
    index: usize,
    slug: &str,
    revision: i64,
    actions: Actions,
    base: &str,
) -> AnyView {
    let gid = encode(&group.id);
    let last = index + 1 == rules.groups.len();
    let option_rows = group
        .options
        .iter()
        .map(|option| {
            let attributes = option
                .attributes
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let label = format!("{} of {}", option.name, group.name);
            let (slug, group_id, option_id) = (slug.to_owned(), group.id.clone(), option.id.clone());
            let remove_label = format!("Remove option {label}");
            view! {
                <tr>
                    <th scope="row">{option.name.clone()}</th>
                    <td><code>{option.id.clone()}</code></td>
                    <td>{format_price(option.price)}</td>
                    <td>{if option.lead_days == 0 { "—".to_owned() } else { format!("{} working days", option.lead_days) }}</td>
                    <td>{if attributes.is_empty() { "—".to_owned() } else { attributes }}</td>
                    <td><div class="row-actions">
                        <a href=format!("{base}?group={gid}&option={}#form", encode(&option.id)) aria-label=format!("Edit option {label}")>"Edit"</a>
                        <ActionForm action=actions.remove_option attr:class="inline-form">
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="revision" value=revision />
                            <input type="hidden" name="group" value=group_id />
                            <input type="hidden" name="id" value=option_id />
                            <button type="submit" class="button link danger" aria-label=remove_label>"Remove"</button>
                        </ActionForm>
                    </div></td>
                </tr>
            }
        })
        .collect_view();
    let facts = format!(
        "{} · {} options{}",
        if group.optional {
            "may be left empty"
        } else {
            "required"
        },
        group.options.len(),
        group
            .default
            .as_ref()
            .map(|d| format!(" · default {}", option_label(group, d)))
            .unwrap_or_default()
    );
    let mover = |up: bool, disabled: bool| {
        let (slug, id) = (slug.to_owned(), group.id.clone());
        let label = format!("Move {} {}", group.name, if up { "up" } else { "down" });
        view! {
            <ActionForm action=actions.move_group attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="revision" value=revision />
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="direction" value=if up { "up" } else { "down" } />
                <button type="submit" class="button link" disabled=disabled aria-label=label>{if up { "↑ Up" } else { "↓ Down" }}</button>
            </ActionForm>
        }
    };
    let (up, down) = (mover(true, index == 0), mover(false, last));
    let (remove_slug, remove_id) = (slug.to_owned(), group.id.clone());
    let remove_label = format!("Remove group {}", group.name);
    view! {
        <section class="rule-group" aria-labelledby=format!("group-{}", group.id)>
            <h3 id=format!("group-{}", group.id)>{group.name.clone()}" "<code>{group.id.clone()}</code></h3>
            <p class="muted">{facts}</p>
            <div class="row-actions">
                <a href=format!("{base}?group={gid}#form") aria-label=format!("Edit group {}", group.name)>"Edit group"</a>
                <a href=format!("{base}?add=option&group={gid}#form") aria-label=format!("Add an option to {}", group.name)>"Add an option"</a>
                {up}
                {down}
                <ActionForm action=actions.remove_group attr:class="inline-form">
                    <input type="hidden" name="slug" value=remove_slug />
                    <input type="hidden" name="revision" value=revision />
                    <input type="hidden" name="id" value=remove_id />
                    <button type="submit" class="button link danger" aria-label=remove_label>"Remove group"</button>
                </ActionForm>
            </div>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Option"</th><th scope="col">"Id"</th><th scope="col">"Price"</th><th scope="col">"Lead time"</th><th scope="col">"Attributes"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{option_rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// The form the URL asks for, or nothing.
fn open_form(
    open: &Editing,
    rules: &RuleSet,
    slug: &str,
    revision: i64,
    actions: Actions,
    base: &str,
) -> Option<AnyView> {
    let find_group = |id: &str| rules.groups.iter().find(|g| g.id == id).cloned();
    let missing = || {
        view! { <p class="notice notice-error" role="alert" id="form">"That is no longer in the draft; it may have been removed or renamed."</p> }
            .into_any()
    };
    let cancel = base.to_owned();
    let slug = slug.to_owned();
    Some(match open {
        Editing::Nothing => return None,
        Editing::NewGroup => view! { <GroupForm action=actions.group slug revision group=None cancel /> }.into_any(),
        Editing::Group(id) => match find_group(id) {
            Some(group) => view! { <GroupForm action=actions.group slug revision group=Some(group) cancel /> }.into_any(),
            None => missing(),
        },
        Editing::NewOption(gid) => match find_group(gid) {
            Some(group) => view! { <OptionForm action=actions.option slug revision group option=None cancel /> }.into_any(),
            None => missing(),
        },
        Editing::Option(gid, oid) => {
            match find_group(gid).and_then(|g| g.options.iter().find(|o| &o.id == oid).cloned().map(|o| (g, o))) {
                Some((group, option)) => view! { <OptionForm action=actions.option slug revision group option=Some(option) cancel /> }.into_any(),
                None => missing(),
            }
        }
        Editing::NewRule(kind) => view! { <RuleForm action=actions.rule slug revision kind=kind.clone() rule=None rules=rules.clone() cancel /> }.into_any(),
        Editing::Rule(id) => match rules.rules.iter().find(|r| r.id() == id) {
            Some(rule) => view! { <RuleForm action=actions.rule slug revision kind=kind_of(rule).to_owned() rule=Some(rule.clone()) rules=rules.clone() cancel /> }.into_any(),
            None => missing(),
        },
        Editing::NewPriceTable => view! { <PriceTableForm action=actions.price_table slug revision table=None rules=rules.clone() cancel /> }.into_any(),
        Editing::PriceTable(id) => match rules.price_tables.iter().find(|t| &t.id == id) {
            Some(table) => view! { <PriceTableForm action=actions.price_table slug revision table=Some(table.clone()) rules=rules.clone() cancel /> }.into_any(),
            None => missing(),
        },
    })
}

/// A text input with its label, message and the value to show.
#[component]
fn TextField(
    error: Signal<Option<AppError>>,
    name: &'static str,
    id: &'static str,
    error_id: &'static str,
    label: &'static str,
    value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] list: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = if hint.is_some() {
        format!("{error_id} {hint_id}")
    } else {
        error_id.to_owned()
    };
    view! {
        <div class="field" class:invalid=move || error.get().and_then(|e| e.field_message(name)).is_some()>
            <label for=id>{label}</label>
            <input id=id name=name type="text" value=value required=required aria-describedby=described list=list
                aria-invalid=move || if error.get().and_then(|e| e.field_message(name)).is_some() { "true" } else { "false" } />
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <FieldError error name id=error_id />
        </div>
    }
}

/// A textarea with its label, message, hint and the value to show.
#[component]
fn AreaField(
    error: Signal<Option<AppError>>,
    name: &'static str,
    id: &'static str,
    error_id: &'static str,
    label: &'static str,
    value: String,
    hint: &'static str,
    #[prop(default = 4)] rows: u32,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field" class:invalid=move || error.get().and_then(|e| e.field_message(name)).is_some()>
            <label for=id>{label}</label>
            <textarea id=id name=name rows=rows spellcheck="false" aria-describedby=format!("{error_id} {hint_id}")
                aria-invalid=move || if error.get().and_then(|e| e.field_message(name)).is_some() { "true" } else { "false" }>{value}</textarea>
            <p class="hint" id=hint_id>{hint}</p>
            <FieldError error name id=error_id />
        </div>
    }
}

/// What a new thing's id field says.
const ID_HINT: &str = "Leave empty to make one from the name. It cannot change later.";

#[component]
fn GroupForm(
    action: ServerAction<SaveRuleGroup>,
    slug: String,
    revision: i64,
    group: Option<Group>,
    cancel: String,
) -> impl IntoView {
    let error = action_error(action);
    let new = group.is_none();
    let title = match &group {
        Some(g) => format!("Group: {}", g.name),
        None => "New group".to_owned(),
    };
    let optional_saved = group.as_ref().is_some_and(|g| g.optional);
    let optional = error
        .get_untracked()
        .and_then(|e| e.typed_value("optional"))
        .map_or(optional_saved, |v| v == "true");
    let default_saved = group
        .as_ref()
        .and_then(|g| g.default.clone())
        .unwrap_or_default();
    let default = shown(error, "default_option", default_saved);
    let default_choices = group.as_ref().map(|g| {
        let none_selected = default.is_empty();
        view! {
            <div class="field">
                <label for="group-default">"Chosen for the buyer at first"</label>
                <select id="group-default" name="default_option" aria-describedby="group-default-error">
                    <option value="" selected=none_selected>"Nothing: the engine suggests one"</option>
                    {g.options.iter().map(|o| view! { <option value=o.id.clone() selected=o.id == default>{o.name.clone()}</option> }).collect_view()}
                </select>
                <FieldError error name="default_option" id="group-default-error" />
            </div>
        }
    });
    let name_saved = group.as_ref().map(|g| g.name.clone()).unwrap_or_default();
    view! {
        <section id="form" class="edit-form" aria-labelledby="form-heading">
            <h2 id="form-heading">{title}</h2>
            <ErrorBox error />
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="revision" value=revision />
                <input type="hidden" name="original" value=group.as_ref().map(|g| g.id.clone()).unwrap_or_default() />
                {new.then(|| view! { <TextField error name="id" id="group-id" error_id="group-id-error" label="Id" value=shown(error, "id", String::new()) hint=ID_HINT /> })}
                <TextField error name="name" id="group-name" error_id="group-name-error" label="Name" value=shown(error, "name", name_saved) required=true />
                <div class="field" class:invalid=move || error.get().and_then(|e| e.field_message("optional")).is_some()>
                    <label class="checkbox"><input type="checkbox" name="optional" value="true" checked=optional aria-describedby="group-optional-error" />" The buyer may leave this group empty"</label>
                    <FieldError error name="optional" id="group-optional-error" />
                </div>
                {default_choices}
                {new.then(|| view! {
                    <AreaField error name="options" id="group-options" error_id="group-options-error" label="Its options, one per line"
                        value=shown(error, "options", String::new()) hint="A name, or a name and a price: “Oak” or “Walnut = 120.00”. Lead times and attributes are set per option afterwards." />
                })}
                <div class="actions">
                    <button type="submit" class="button primary">{if new { "Add the group" } else { "Save the group" }}</button>
                    <a href=cancel>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn OptionForm(
    action: ServerAction<SaveRuleOption>,
    slug: String,
    revision: i64,
    group: Group,
    option: Option<OptionDef>,
    cancel: String,
) -> impl IntoView {
    let error = action_error(action);
    let new = option.is_none();
    let title = match &option {
        Some(o) => format!("Option of {}: {}", group.name, o.name),
        None => format!("New option of {}", group.name),
    };
    let saved = |f: fn(&OptionDef) -> String| option.as_ref().map(f).unwrap_or_default();
    let attributes = saved(|o| {
        o.attributes
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let original = saved(|o| o.id.clone());
    let name = shown(error, "name", saved(|o| o.name.clone()));
    let price = shown(error, "price", saved(|o| price_input(o.price)));
    let lead = shown(
        error,
        "lead_days",
        saved(|o| {
            if o.lead_days == 0 {
                String::new()
            } else {
                o.lead_days.to_string()
            }
        }),
    );
    view! {
        <section id="form" class="edit-form" aria-labelledby="form-heading">
            <h2 id="form-heading">{title}</h2>
            <ErrorBox error />
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="revision" value=revision />
                <input type="hidden" name="group" value=group.id.clone() />
                <input type="hidden" name="original" value=original />
                {new.then(|| view! { <TextField error name="id" id="option-id" error_id="option-id-error" label="Id" value=shown(error, "id", String::new()) hint=ID_HINT /> })}
                <TextField error name="name" id="option-name" error_id="option-name-error" label="Name" value=name required=true />
                <TextField error name="price" id="option-price" error_id="option-price-error" label="Price (€)" value=price hint="Added to the product's base price; empty for included." />
                <TextField error name="lead_days" id="option-lead" error_id="option-lead-error" label="Lead time (working days)" value=lead hint="How long this option takes to make or source; a configuration ships when its slowest option is ready." />
                <AreaField error name="attributes" id="option-attributes" error_id="option-attributes-error" label="Attributes, one per line" value=shown(error, "attributes", attributes) hint="“weight = 1450”: whole numbers that capacity rules add up." rows=3 />
                <div class="actions">
                    <button type="submit" class="button primary">{if new { "Add the option" } else { "Save the option" }}</button>
                    <a href=cancel>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

const CONDITIONS_HINT: &str = "One “Group: Option, Option” per line, by name or id, such as “Frame: Carbon, Titanium”. “none” names an optional group left empty.";

#[component]
fn RuleForm(
    action: ServerAction<SaveRule>,
    slug: String,
    revision: i64,
    kind: String,
    rule: Option<Rule>,
    rules: RuleSet,
    cancel: String,
) -> impl IntoView {
    let error = action_error(action);
    let new = rule.is_none();
    let title = match &rule {
        Some(r) => format!("{} rule {}", kind_name(&kind), r.id()),
        None => format!("New {} rule", kind_name(&kind).to_lowercase()),
    };
    let message = rule
        .as_ref()
        .and_then(|r| r.message().map(str::to_owned))
        .unwrap_or_default();
    let fields = match (kind.as_str(), &rule) {
        ("requires", r) => {
            let (when, then) = match r {
                Some(Rule::Requires { when, then, .. }) => {
                    (conditions_text(&rules, when), condition_text(&rules, then))
                }
                _ => (String::new(), String::new()),
            };
            view! {
                <AreaField error name="conditions" id="rule-conditions" error_id="rule-conditions-error" label="When all of these hold" value=shown(error, "conditions", when) hint=CONDITIONS_HINT />
                <TextField error name="then" id="rule-then" error_id="rule-then-error" label="Then this must hold" value=shown(error, "then", then) hint="One “Group: Option, Option”." required=true />
            }
            .into_any()
        }
        ("excludes", r) => {
            let all = match r {
                Some(Rule::Excludes { all, .. }) => conditions_text(&rules, all),
                _ => String::new(),
            };
            view! {
                <AreaField error name="conditions" id="rule-conditions" error_id="rule-conditions-error" label="Never all of these together" value=shown(error, "conditions", all) hint=CONDITIONS_HINT />
            }
            .into_any()
        }
        ("table", r) => {
            let (groups, allowed) = match r {
                Some(Rule::Table {
                    groups, allowed, ..
                }) => (
                    groups
                        .iter()
                        .map(|g| {
                            rules
                                .groups
                                .iter()
                                .find(|x| &x.id == g)
                                .map_or_else(|| g.clone(), |x| group_label(&rules, x))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    combinations_text(&rules, groups, allowed),
                ),
                _ => (String::new(), String::new()),
            };
            view! {
                <TextField error name="groups" id="rule-groups" error_id="rule-groups-error" label="Groups, in order" value=shown(error, "groups", groups) hint="Separated by commas, such as “Frame, Fork”." required=true />
                <AreaField error name="allowed" id="rule-allowed" error_id="rule-allowed-error" label="Allowed combinations, one per line" value=shown(error, "allowed", allowed) hint="One option for each group, in the groups' order, such as “Carbon, Rigid”. Every other combination is not allowed." rows=6 />
            }
            .into_any()
        }
        (_, r) => {
            let (attribute, limit_group, limit_attribute) = match r {
                Some(Rule::Capacity {
                    attribute,
                    limit_group,
                    limit_attribute,
                    ..
                }) => (
                    attribute.clone(),
                    limit_group.clone(),
                    limit_attribute.clone(),
                ),
                _ => Default::default(),
            };
            let limit_group = shown(error, "limit_group", limit_group);
            let mut names: Vec<String> = rules
                .groups
                .iter()
                .flat_map(|g| g.options.iter().flat_map(|o| o.attributes.keys().cloned()))
                .collect();
            names.sort();
            names.dedup();
            view! {
                <datalist id="attribute-names">{names.into_iter().map(|n| view! { <option value=n></option> }).collect_view()}</datalist>
                <TextField error name="attribute" id="rule-attribute" error_id="rule-attribute-error" label="Attribute added up over the chosen options" value=shown(error, "attribute", attribute) list="attribute-names" required=true />
                <div class="field" class:invalid=move || error.get().and_then(|e| e.field_message("limit_group")).is_some()>
                    <label for="rule-limit-group">"Group whose chosen option sets the limit"</label>
                    <select id="rule-limit-group" name="limit_group" aria-describedby="rule-limit-group-error">
                        <option value="" selected=limit_group.is_empty()>"Choose a group"</option>
                        {rules.groups.iter().map(|g| view! { <option value=g.id.clone() selected=g.id == limit_group>{g.name.clone()}</option> }).collect_view()}
                    </select>
                    <FieldError error name="limit_group" id="rule-limit-group-error" />
                </div>
                <TextField error name="limit_attribute" id="rule-limit-attribute" error_id="rule-limit-attribute-error" label="Its attribute that is the limit" value=shown(error, "limit_attribute", limit_attribute) list="attribute-names" hint="An empty limit group allows 0." required=true />
            }
            .into_any()
        }
    };
    let reference = rules
        .groups
        .iter()
        .map(|g| {
            format!(
                "{}: {}",
                group_label(&rules, g),
                g.options
                    .iter()
                    .map(|o| option_label(g, &o.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>();
    view! {
        <section id="form" class="edit-form" aria-labelledby="form-heading">
            <h2 id="form-heading">{title}</h2>
            <ErrorBox error />
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="revision" value=revision />
                <input type="hidden" name="kind" value=kind.clone() />
                <input type="hidden" name="original" value=rule.as_ref().map(|r| r.id().to_owned()).unwrap_or_default() />
                {new.then(|| view! { <TextField error name="id" id="rule-id" error_id="rule-id-error" label="Id" value=shown(error, "id", String::new()) hint="Leave empty for one made from the kind. It cannot change later." /> })}
                {fields}
                <TextField error name="message" id="rule-message" error_id="rule-message-error" label="What buyers are told when it stops a choice (optional)" value=shown(error, "message", message) />
                <div class="actions">
                    <button type="submit" class="button primary">{if new { "Add the rule" } else { "Save the rule" }}</button>
                    <a href=cancel>"Cancel"</a>
                </div>
            </ActionForm>
            <details class="reference">
                <summary>"Groups and options as the rules name them"</summary>
                <ul class="plain">{reference.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            </details>
        </section>
    }
}

#[component]
fn PriceTableForm(
    action: ServerAction<SavePriceTable>,
    slug: String,
    revision: i64,
    table: Option<PriceTable>,
    rules: RuleSet,
    cancel: String,
) -> impl IntoView {
    let error = action_error(action);
    let new = table.is_none();
    let title = match &table {
        Some(t) => format!("Price table: {}", t.name),
        None => "New price table".to_owned(),
    };
    let name = table.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    let entries = table
        .as_ref()
        .map(|t| entries_text(&rules, t))
        .unwrap_or_default();
    view! {
        <section id="form" class="edit-form" aria-labelledby="form-heading">
            <h2 id="form-heading">{title}</h2>
            <ErrorBox error />
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="revision" value=revision />
                <input type="hidden" name="original" value=table.as_ref().map(|t| t.id.clone()).unwrap_or_default() />
                {new.then(|| view! { <TextField error name="id" id="table-id" error_id="table-id-error" label="Id" value=shown(error, "id", String::new()) hint=ID_HINT /> })}
                <TextField error name="name" id="table-name" error_id="table-name-error" label="Name" value=shown(error, "name", name) required=true />
                <AreaField error name="entries" id="table-entries" error_id="table-entries-error" label="Entries, one per line" value=shown(error, "entries", entries)
                    hint="An amount in euros and when it applies: “-40.00 when Frame: Carbon; Fork: Carbon” (a discount) or “+25 when Lights: Dynamo”." rows=6 />
                <div class="actions">
                    <button type="submit" class="button primary">{if new { "Add the price table" } else { "Save the price table" }}</button>
                    <a href=cancel>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::compared;

    #[test]
    fn counts_compare_as_numbers_of_any_size() {
        assert_eq!(
            compared("74496", "74496"),
            "As many as the draft has now (74496)."
        );
        assert_eq!(
            compared("9999", "74496"),
            "Fewer than the draft has now (74496)."
        );
        assert_eq!(
            compared("80000", "74496"),
            "More than the draft has now (74496)."
        );
        assert_eq!(
            compared(
                "564558383498091412505515917705212808253483125011644416",
                "7"
            ),
            "More than the draft has now (7)."
        );
    }
}
