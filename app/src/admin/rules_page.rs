//! The console's rule pages: the configurable products, one product's rule editor (draft with
//! the engine's live check, effect against the published version, test configurations,
//! versions with publish and roll back) and the audit log. Server-rendered; only the editor's
//! live check is an island.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::rules::{
    AddTestConfiguration, DiscardRuleDraft, PublishRules, RemoveTestConfiguration, RollBackRules,
    RuleCheck, RulesView, SaveRuleDraft,
};
use crate::components::{ErrorBox, LoadError, action_error};
use crate::time::format_time;

/// What needs attention, orders, catalogue, rules, stock and the audit log: the console's sections.
#[component]
pub fn ConsoleNav() -> impl IntoView {
    view! {
        <nav class="console-nav" aria-label="Console">
            <a href="/admin">"Attention"</a>
            <a href="/admin/orders">"Orders"</a>
            <a href="/admin/catalogue">"Catalogue"</a>
            <a href="/admin/products">"Rules"</a>
            <a href="/admin/stock">"Stock"</a>
            <a href="/admin/calls">"Calls"</a>
            <a href="/admin/help">"Help"</a>
            <a href="/admin/audit">"Audit log"</a>
        </nav>
    }
}

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| super::rules::admin_rule_products());
    view! {
        <Title text="Rules — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"Configurable products"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading products…"</p> }>
                {move || Suspend::new(async move {
                    match products.await {
                        Ok(rows) => view! {
                            <div class="table-scroll">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Product"</th>
                                            <th scope="col">"Published version"</th>
                                            <th scope="col">"Draft"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| view! {
                                            <tr>
                                                <th scope="row"><a href=format!("/admin/products/{}/rules", row.slug)>{row.name}</a></th>
                                                <td>{row.version}</td>
                                                <td>{if row.draft { "Draft waiting" } else { "—" }}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AdminRulesPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveRuleDraft>::new();
    let publish = ServerAction::<PublishRules>::new();
    let discard = ServerAction::<DiscardRuleDraft>::new();
    let roll_back = ServerAction::<RollBackRules>::new();
    let add_test = ServerAction::<AddTestConfiguration>::new();
    let remove_test = ServerAction::<RemoveTestConfiguration>::new();
    let errors = [
        action_error(save),
        action_error(publish),
        action_error(discard),
        action_error(roll_back),
        action_error(add_test),
        action_error(remove_test),
    ];
    let add_error = errors[4];
    let view_data = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        super::rules::admin_rules,
    );
    view! {
        <Title text="Rules — Atelier console" />
        <section class="panel wide rules-console">
            <ConsoleNav />
            <p><a href="/admin/products">"← All configurable products"</a></p>
            {errors.into_iter().map(|error| view! { <ErrorBox error /> }).collect_view()}
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the rules…"</p> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(data) => view! { <RulesBody data add_error /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RulesBody(data: RulesView, add_error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let RulesView {
        slug,
        name,
        version,
        published,
        draft,
        check,
        effect,
        tests,
        versions,
        blockers,
    } = data;
    let publish = ServerAction::<PublishRules>::new();
    let discard = ServerAction::<DiscardRuleDraft>::new();
    let roll_back = ServerAction::<RollBackRules>::new();
    let add_test = ServerAction::<AddTestConfiguration>::new();
    let remove_test = ServerAction::<RemoveTestConfiguration>::new();
    let (text, revision) = match &draft {
        Some(d) => (d.rules.clone(), d.revision),
        None => (published.clone(), 0),
    };
    let next_version = version_after(&versions, version);
    let (files_slug, has_draft) = (slug.clone(), draft.is_some());
    let draft_slug = slug.clone();
    let draft_box = draft.map(move |d| {
        let (slug_publish, slug_discard) = (draft_slug.clone(), draft_slug);
        let status = if blockers.is_empty() {
            view! { <p class="notice notice-ok" role="status">"Ready to publish."</p> }.into_any()
        } else {
            view! {
                <div class="notice notice-error" role="status">
                    <p>"Cannot be published yet:"</p>
                    <ul>{blockers.iter().map(|b| view! { <li>{b.clone()}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any()
        };
        let effect = effect.clone().map(|e| {
            let list = |title: &'static str, items: Vec<String>| {
                (!items.is_empty()).then(|| view! {
                    <p>{title}</p>
                    <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
                })
            };
            view! {
                <div class="draft-effect" data-testid="draft-effect">
                    <p>{format!("Valid configurations: {} published → {} in the draft", e.solutions_before, e.solutions_after)}</p>
                    {list("Rules added:", e.rules_added)}
                    {list("Rules removed:", e.rules_removed)}
                    {list("Rules changed:", e.rules_changed)}
                    {list("Groups and options:", e.options_changed)}
                    {list("Options that become impossible:", e.newly_dead)}
                    {list("Options that become forced:", e.newly_forced)}
                </div>
            }
        });
        view! {
            <section class="draft" aria-labelledby="draft-heading">
                <h2 id="draft-heading">{format!("Draft (revision {})", d.revision)}</h2>
                <p class="muted">{format!(
                    "Saved {}{}, based on version {}.",
                    format_time(d.updated_at),
                    if d.updated_by.is_empty() { String::new() } else { format!(" by {}", d.updated_by) },
                    d.based_on
                )}</p>
                {effect}
                {status}
                <div class="actions">
                    <ActionForm action=publish attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug_publish />
                        <input type="hidden" name="revision" value=d.revision />
                        <button type="submit" class="button primary" disabled=!blockers.is_empty()>{format!("Publish as version {next_version}")}</button>
                    </ActionForm>
                    <ActionForm action=discard attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug_discard />
                        <input type="hidden" name="revision" value=d.revision />
                        <button type="submit" class="button link danger">"Discard the draft"</button>
                    </ActionForm>
                </div>
            </section>
        }
    });
    let test_rows = tests
        .into_iter()
        .map(|t| {
            let choices = t
                .test
                .choices
                .iter()
                .map(|(g, o)| format!("{g}: {o}"))
                .collect::<Vec<_>>()
                .join(", ");
            let slug = slug.clone();
            view! {
                <tr class:failing=!t.passes>
                    <th scope="row">{t.test.name.clone()}</th>
                    <td>{choices}</td>
                    <td>{if t.test.expect_valid { "stay possible" } else { "stay impossible" }}</td>
                    <td data-testid="test-outcome">{format!("{}: {}", if t.passes { "Passes" } else { "Fails" }, t.outcome)}</td>
                    <td>
                        <ActionForm action=remove_test attr:class="inline-form">
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="id" value=t.test.id.clone() />
                            <button type="submit" class="button link danger">{format!("Remove {}", t.test.name)}</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let version_rows = versions
        .into_iter()
        .map(|v| {
            let current = v.version == version;
            let slug = slug.clone();
            view! {
                <tr>
                    <th scope="row">{v.version}{current.then_some(" (published)")}</th>
                    <td>{format_time(v.published_at)}</td>
                    <td>{v.published_by}</td>
                    <td>{v.note}</td>
                    <td>
                        {(!current).then(|| view! {
                            <ActionForm action=roll_back attr:class="inline-form">
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="version" value=v.version />
                                <input type="hidden" name="current" value=version />
                                <button type="submit" class="button secondary">{format!("Roll back to version {}", v.version)}</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1>{format!("Rules: {name}")}</h1>
        <p class="muted">{format!("Version {version} is published.")}</p>
        <p><a class="button secondary" href=format!("/admin/products/{slug}/rules/edit")>"Edit groups, options and rules in forms"</a></p>
        <RuleEditor slug=slug.clone() text revision check />
        {draft_box}
        <section aria-labelledby="tests-heading">
            <h2 id="tests-heading">"Test configurations"</h2>
            <p class="muted">"Checked against the draft (or the published rules). A failing one blocks publishing."</p>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Choices"</th><th scope="col">"Must"</th><th scope="col">"Now"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{test_rows}</tbody>
                </table>
            </div>
            <ActionForm action=add_test attr:class="stacked-form">
                <input type="hidden" name="slug" value=slug.clone() />
                <div class="field">
                    <label for="test-name">"Name"</label>
                    <input id="test-name" name="name" type="text" required maxlength="120" />
                    <crate::components::FieldError error=add_error name="name" id="test-name-error" />
                </div>
                <div class="field">
                    <label for="test-choices">"Choices, one \"group: option\" per line (ids as in the rules)"</label>
                    <textarea id="test-choices" name="choices" rows="3" required></textarea>
                    <crate::components::FieldError error=add_error name="choices" id="test-choices-error" />
                </div>
                <fieldset class="field">
                    <legend>"It must"</legend>
                    <label><input type="radio" name="expect" value="valid" checked /> " stay possible"</label>
                    <label><input type="radio" name="expect" value="invalid" /> " stay impossible"</label>
                </fieldset>
                <button type="submit" class="button secondary">"Add test configuration"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="versions-heading">
            <h2 id="versions-heading">"Versions"</h2>
            <div class="table-scroll">
                <table>
                    <thead><tr><th scope="col">"Version"</th><th scope="col">"Published"</th><th scope="col">"By"</th><th scope="col">"Note"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{version_rows}</tbody>
                </table>
            </div>
        </section>
        <RuleFiles slug=files_slug revision has_draft />
    }
}

/// Download the rules as JSON; import a JSON, or an XCSP 2.1 instance with its WCSP prices,
/// into the draft. A plain multipart form: it works without JavaScript.
#[component]
fn RuleFiles(slug: String, revision: i64, has_draft: bool) -> impl IntoView {
    use super::rule_files::{ImportRefusal, MAX_RULE_FILE_BYTES};
    let query = leptos_router::hooks::use_query_map();
    let imported = query.read_untracked().get("import").as_deref() == Some("done");
    let refused = query
        .read_untracked()
        .get("import_error")
        .and_then(|code| ImportRefusal::of_code(&code));
    view! {
        <section aria-labelledby="files-heading">
            <h2 id="files-heading">"Rule files"</h2>
            <p>
                <a href=format!("/admin/products/{slug}/rules.json") download>"Download the published rules (JSON)"</a>
                {has_draft.then(|| view! { " · "<a href=format!("/admin/products/{slug}/rules.json?draft=true") download>"Download the draft (JSON)"</a> })}
            </p>
            {imported.then(|| view! { <p class="notice notice-success" role="status">"Imported into the draft: its check and its effect are above."</p> })}
            {refused.map(|refusal| view! { <p class="notice notice-error" role="alert">{refusal.message()}</p> })}
            <form method="post" enctype="multipart/form-data" action=format!("/admin/products/{slug}/rules/import") class="stacked-form">
                <input type="hidden" name="revision" value=revision />
                <fieldset>
                    <legend>"Format"</legend>
                    <label class="radio"><input type="radio" name="format" value="json" checked />" The shop's JSON"</label>
                    <label class="radio"><input type="radio" name="format" value="xcsp" />" XCSP 2.1 instance (a price file may go with it)"</label>
                </fieldset>
                <label for="rules-file">"Rule file"</label>
                <input id="rules-file" name="rules" type="file" required accept=".json,.xml,application/json,application/xml,text/xml" />
                <label for="prices-file">"WCSP price file (XCSP only, optional)"</label>
                <input id="prices-file" name="prices" type="file" accept=".xml,application/xml,text/xml" aria-describedby="import-hint" />
                <p class="hint" id="import-hint">{format!("Up to {} MB each. The file replaces the draft (or starts one); nothing is published until you publish it.", MAX_RULE_FILE_BYTES / (1024 * 1024))}</p>
                <button type="submit" class="button secondary">"Import into the draft"</button>
            </form>
        </section>
    }
}

/// The number the next published version gets.
fn version_after(versions: &[super::rules::VersionRow], current: i64) -> i64 {
    versions
        .iter()
        .map(|v| v.version)
        .max()
        .unwrap_or(current)
        .max(current)
        + 1
}

/// The check as the merchandiser reads it.
#[component]
pub(super) fn CheckReport(check: RuleCheck) -> impl IntoView {
    if let Some(error) = check.error {
        return view! { <p class="notice notice-error" data-testid="check-error">{error}</p> }
            .into_any();
    }
    let summary = if check.satisfiable {
        format!(
            "{} valid configurations · {} groups, {} options, {} rules",
            check.solutions, check.groups, check.options, check.rules
        )
    } else {
        format!(
            "Unsatisfiable: no configuration is valid. Conflicting rules: {}",
            if check.conflicting_rules.is_empty() {
                "the groups themselves".to_owned()
            } else {
                check.conflicting_rules.join(", ")
            }
        )
    };
    let list = |title: &'static str, testid: &'static str, items: Vec<super::rules::Finding>| {
        (!items.is_empty()).then(|| {
            view! {
                <p>{title}</p>
                <ul data-testid=testid>
                    {items.into_iter().map(|f| view! {
                        <li>{f.message}{(!f.rules.is_empty()).then(|| format!(" (rules: {})", f.rules.join(", ")))}</li>
                    }).collect_view()}
                </ul>
            }
        })
    };
    view! {
        <p data-testid="check-summary" class:problem=!check.satisfiable>{summary}</p>
        {list("Options no valid configuration can contain:", "dead-options", check.dead)}
        {list("Options every valid configuration contains:", "forced-options", check.forced)}
    }
    .into_any()
}

/// The rule set's text with the engine's check beside it. Once hydrated, the check runs in the
/// browser as the merchandiser types (a short pause after the last key), with no request; the
/// server repeats it on save and publish.
#[island]
pub fn RuleEditor(slug: String, text: String, revision: i64, check: RuleCheck) -> impl IntoView {
    let check = RwSignal::new(check);
    let local = RwSignal::new(false);
    let checking = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    // Typing is checked here once the check's code is in the page: loaded as the island
    // hydrates (by checking an empty text), so the first keystroke does not wait for it.
    // Effects run only in the browser. (`lazy_preload!` would do the same for 7 KB more
    // brotli in every page's wasm.)
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            check_rules_lazily(String::new()).await;
            live.set(true);
        });
    });
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        checking.set(true);
        leptos::task::spawn_local(async move {
            pause(250).await;
            // Only the last keystroke's text is checked.
            if generation.get_value() != mine {
                return;
            }
            check.set(check_rules_lazily(value).await);
            local.set(true);
            checking.set(false);
        });
    };
    view! {
        <form method="post" action="/api/save_rule_draft" class="rule-editor" data-editor=move || if live.get() { "live" } else { "server" }>
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="revision" value=revision />
            <div class="field">
                <label for="rules">"Rule set (JSON)"</label>
                <textarea id="rules" name="rules" rows="24" spellcheck="false" autocomplete="off" on:input=on_input aria-describedby="rule-check">{text}</textarea>
            </div>
            <div id="rule-check" class="rule-check" role="status" aria-live="polite" data-checked=move || if local.get() { "browser" } else { "server" }>
                <h2>"Check"</h2>
                {move || checking.get().then(|| view! { <p class="muted">"Checking…"</p> })}
                {move || view! { <CheckReport check=check.get() /> }}
            </div>
            <button type="submit" class="button primary">"Save draft"</button>
        </form>
    }
}

/// The engine's check of a rule set's JSON. Lazy: the release build (`cargo leptos build
/// --split`) puts the check in a chunk of wasm that only the console loads, out of the bundle
/// every buyer's product page downloads.
#[lazy]
fn check_rules_lazily(json: String) -> RuleCheck {
    super::rules::check_rules(&json)
}

/// Waits `ms` in the browser, so a check runs once the merchandiser pauses typing.
#[cfg(feature = "hydrate")]
pub(super) async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(not(feature = "hydrate"))]
pub(super) async fn pause(_ms: i32) {}
