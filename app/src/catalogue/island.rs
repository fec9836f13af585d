//! The configurator island: the product form, rendered on the server from the server's
//! assessment and, once hydrated, recomputed in the browser by the engine compiled to wasm. The
//! rules come from the versioned URL in the product's facts; every change is assessed locally
//! (no request), and the URL follows the choices with `replaceState`. Until the rules are in,
//! a change loads the page for the new choices from the server, as it does without JavaScript.

use std::sync::Arc;

use configurator::{Choices, Configurator};
use leptos::prelude::*;

use super::assess::{delta_label, explain_into, preview};
use super::{
    GroupView, OptionView, ProductView, budget_text, parse_budget, product_href, ships_in,
    unavailable_anchor, why_href,
};
use crate::money::format_price;

/// A confirmed "Make available" waits here while the buyer reads what it changes.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    group: String,
    option: String,
    choices: Choices,
    changes: Vec<(String, String, String)>,
    price: i64,
}

/// The engine compiled in the browser, with what it learnt of popular choices.
#[derive(Clone)]
struct Local {
    engine: Arc<Configurator>,
    popular: Option<Arc<configurator::NamedRecommender>>,
}

impl Local {
    fn assess(
        &self,
        facts: &super::ProductFacts,
        choices: Choices,
        budget: Option<i64>,
    ) -> Result<ProductView, String> {
        super::assess::assess(
            &self.engine,
            facts,
            choices,
            budget,
            self.popular.as_deref(),
        )
    }
}

type Engine = Option<Local>;

#[island]
pub fn Configure(
    product: ProductView,
    /// A message from the server about the last add to cart (stale page, stock gone).
    notice: Option<String>,
    /// What the buyer typed as quantity before that.
    quantity: Option<String>,
) -> impl IntoView {
    // One signal per group, set only when that group's part of the page differs: a change on
    // a car range moves a few of its 148 groups, and the others' memos, effects and elements
    // then stay still. One effect compares in place, where a memo per group would clone every
    // group on every change (and each would subscribe to the whole page anew).
    let group_signals: Vec<(String, RwSignal<GroupView>)> = product
        .groups
        .iter()
        .map(|g| (g.id.clone(), RwSignal::new(g.clone())))
        .collect();
    let slug = product.facts.slug.clone();
    let rules_url = product.facts.rules_url.clone();
    // The choices the unavailable lines' links point at, set after the paint with the address
    // bar: the links are there to be opened in a new tab or without the engine, and remaking
    // a car range's hundred addresses would double the slowest changes.
    let links = RwSignal::new((product.choices.clone(), product.budget));
    let view = RwSignal::new(product);
    let engine = RwSignal::new(Engine::None);
    let history = RwSignal::new(Vec::<(Choices, Option<i64>)>::new());
    let pending = RwSignal::new(Option::<Pending>::None);
    let announcement = RwSignal::new(String::new());

    // Loads the rules once the island is live in the browser (effects never run on the server).
    Effect::new(move |_| {
        let url = rules_url.clone();
        leptos::task::spawn_local(async move {
            if let Some(compiled) = load_engine(&url).await {
                next_task().await;
                let current = view.get_untracked();
                if let Ok(local) =
                    compiled.assess(&current.facts, current.choices.clone(), current.budget)
                {
                    let others = warm_up_choices(&local);
                    view.set(local);
                    engine.set(Some(compiled.clone()));
                    warm_up(&compiled, view, others).await;
                }
            }
        });
    });

    let slug_for_apply = slug.clone();
    // Shows the page for new choices: computed here when the engine is in, else from the server.
    let apply = Callback::new(
        move |(choices, budget, remember): (Choices, Option<i64>, bool)| {
            let href = product_href(&slug_for_apply, &choices, budget);
            let Some(compiled) = engine.get_untracked() else {
                let _ = window().location().assign(&href);
                return;
            };
            mark("configurator-change");
            // Borrowed, not cloned: a car range's page state is hundreds of options.
            let (assessed, before) = view.with_untracked(|before| {
                (
                    compiled.assess(&before.facts, choices, budget),
                    (before.choices.clone(), before.budget),
                )
            });
            let Ok(next) = assessed else {
                let _ = window().location().assign(&href);
                return;
            };
            measure("configurator: assess", "configurator-change");
            let linked = (next.choices.clone(), next.budget);
            if remember {
                history.update(|h| h.push(before));
            }
            announcement.set(format!(
                "Price {}. {}",
                format_price(next.price),
                next.problem.clone().unwrap_or_default()
            ));
            pending.set(None);
            view.set(next);
            after_paint(Box::new(move || {
                replace_url(&href);
                links.set(linked);
            }));
            measure("configurator: change handler", "configurator-change");
        },
    );

    let undo = move |_| {
        if let Some((choices, budget)) = history.try_update(|h| h.pop()).flatten() {
            apply.run((choices, budget, false));
        }
    };
    let cheapest = move |_| {
        let current = view.get_untracked();
        if let Some(compiled) = engine.get_untracked()
            && let Some(configuration) = cheapest_configuration(&compiled.engine, &current)
        {
            apply.run((configuration, current.budget, true));
        }
    };
    let clear = move |_| apply.run((Choices::new(), view.get_untracked().budget, true));
    let on_budget = move |ev| {
        let budget = parse_budget(&event_target_value(&ev));
        let current = view.get_untracked();
        if budget != current.budget {
            apply.run((current.choices, budget, true));
        }
    };

    let price = move || view.with(|v| v.price);
    let range = move || {
        view.with(|v| match (v.min_price, v.max_price) {
            (Some(min), Some(max)) if min != max => Some(format!(
                "Valid configurations from {} to {}",
                format_price(min),
                format_price(max)
            )),
            _ => None,
        })
    };
    let lead = move || view.with(|v| ships_in(v.lead_days));
    let in_stock = move || view.with(|v| v.in_stock);
    let update_button = r#"<button type="submit" class="button secondary" formmethod="get" formaction="">Update price</button>"#;
    let to_sync = group_signals.clone();
    Effect::new(move |_| {
        view.with(|v| {
            for (index, (id, signal)) in to_sync.iter().enumerate() {
                let now = v.groups.get(index);
                let changed = signal.with_untracked(|shown| match now {
                    Some(group) => group != shown,
                    None => *shown != placeholder(id),
                });
                if changed {
                    signal.set(now.cloned().unwrap_or_else(|| placeholder(id)));
                }
            }
        })
    });
    let group_controls = group_signals
        .into_iter()
        .map(|(_, signal)| {
            let group = signal.read_only();
            view! { <GroupControl group view engine pending apply announcement links slug=slug.clone() /> }
        })
        .collect_view();

    view! {
        <form
            method="post"
            action="/api/add_to_cart"
            class="configure"
            aria-label="Configuration"
            data-configurator=move || if engine.with(Option::is_some) { "local" } else { "server" }
        >
            <input type="hidden" name="slug" value=slug.clone() />
            <input type="hidden" name="rule_version" value=move || view.with(|v| v.facts.rule_version.to_string()) />
            <input type="hidden" name="quote" value=move || price().to_string() />
            {notice.map(|notice| view! { <div class="notice notice-error" role="alert">{notice}</div> })}
            {move || view.with(|v| v.problem.clone()).map(|problem| view! { <div class="notice" role="status">{problem}</div> })}
            <div class="budget-row">
                <label for="budget">"Keep it under (€)"</label>
                <input
                    id="budget"
                    name="budget"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="no limit"
                    prop:value=move || view.with(|v| v.budget.map(budget_text).unwrap_or_default())
                    on:change=on_budget
                />
            </div>
            {group_controls}
            <div class="configure-tools">
                <button type="button" class="button secondary" on:click=cheapest disabled=move || engine.with(Option::is_none)>
                    "Cheapest valid completion"
                </button>
                <button type="button" class="button secondary" on:click=clear disabled=move || view.with(|v| v.choices.is_empty())>
                    "Clear my choices"
                </button>
                <button type="button" class="button secondary" on:click=undo disabled=move || history.with(Vec::is_empty)>
                    "Undo"
                </button>
            </div>
            <div class="price-box">
                <span class="price-label">"Price"</span>
                <output data-testid="price" class="price-total">{move || format_price(price())}</output>
                {move || range().map(|range| view! { <p class="price-range">{range}</p> })}
                <p class="lead-time" data-testid="lead-time">{lead}</p>
                <details class="quote-lines">
                    <summary>"Price breakdown"</summary>
                    <table>
                        <tbody>
                            {move || {
                                view.with(|v| v.lines.clone())
                                    .into_iter()
                                    .map(|line| view! {
                                        <tr><th scope="row">{line.label}</th><td>{format_price(line.amount)}</td></tr>
                                    })
                                    .collect_view()
                            }}
                        </tbody>
                    </table>
                </details>
            </div>
            <p class="sr-only" aria-live="polite" role="status">{move || announcement.get()}</p>
            <div class="quantity-row">
                <label for="quantity">"Quantity"</label>
                <input id="quantity" name="quantity" type="number" min="1" max="20" value=quantity.unwrap_or_else(|| "1".into()) inputmode="numeric" />
            </div>
            <div class="actions">
                <noscript inner_html=update_button></noscript>
                <button type="submit" class="button primary" disabled=move || !in_stock()>
                    "Add to cart"
                </button>
                <button type="submit" class="button secondary" formaction="/api/save_configuration" disabled=move || !in_stock()>
                    "Save"
                </button>
                <button type="submit" class="button secondary" formaction="/compare" formmethod="get">
                    "Compare"
                </button>
            </div>
            {move || (!in_stock()).then(|| view! { <p class="notice">"Sold out for now."</p> })}
        </form>
    }
}

/// The cheapest valid configuration that keeps the buyer's choices (within the budget if one
/// can be), every group then counting as chosen.
fn cheapest_configuration(engine: &Configurator, view: &ProductView) -> Option<Choices> {
    let sold_out = super::assess::sold_out(&view.facts);
    super::assess::cheapest(engine, &view.facts, &view.choices, &sold_out, view.budget)
        .ok()
        .and_then(|(found, _)| found)
}

/// Fetches the rules and compiles them here. Any failure leaves the page as the server made
/// it (the form and links keep working), so it is not an error the buyer needs to see.
#[cfg(feature = "hydrate")]
async fn load_engine(url: &str) -> Option<Local> {
    let response = crate::browser::fetch_ok(url).await?;
    // Large rule sets come compiled (see `COMPILED_FROM_BYTES`), the others as JSON.
    if url.ends_with(".bin") {
        let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
            .await
            .ok()?;
        let body = js_sys::Uint8Array::new(&buffer).to_vec();
        next_task().await;
        let (engine, popular) = super::read_compiled_rules(&body)?;
        return Some(Local {
            engine: Arc::new(engine),
            popular: popular.map(Arc::new),
        });
    }
    let text = wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    let data: super::RulesData = serde_json::from_str(&text).ok()?;
    next_task().await;
    Some(Local {
        engine: Arc::new(Configurator::compile(&data.rules).ok()?),
        popular: data.popular.map(Arc::new),
    })
}

#[cfg(not(feature = "hydrate"))]
async fn load_engine(_url: &str) -> Option<Local> {
    None
}

/// User timing marks and measures: DevTools shows them on the timeline, and the browser
/// benchmark reads them to split a change into the engine's part and the rest. Only the latest
/// of each is kept, so a long session does not fill the timeline.
#[cfg(feature = "hydrate")]
fn mark(name: &str) {
    if let Some(performance) = window().performance() {
        performance.clear_marks_with_mark_name(name);
        let _ = performance.mark(name);
    }
}

#[cfg(feature = "hydrate")]
fn measure(name: &str, since: &str) {
    if let Some(performance) = window().performance() {
        performance.clear_measures_with_measure_name(name);
        let _ = performance.measure_with_start_mark(name, since);
    }
}

#[cfg(not(feature = "hydrate"))]
fn mark(_name: &str) {}

#[cfg(not(feature = "hydrate"))]
fn measure(_name: &str, _since: &str) {}

/// Runs `work` once the browser has painted the change: what the buyer does not see at once
/// (the address bar, the links' addresses) waits there. A same-document navigation also makes
/// the browser look at the page's icon and styles again, a few milliseconds that would otherwise
/// come before the buyer sees the new price. Changes made before it runs share one run, of the
/// latest work.
#[cfg(feature = "hydrate")]
fn after_paint(work: Box<dyn FnOnce()>) {
    use std::cell::RefCell;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    thread_local! {
        static LATEST: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
    }
    let already_waiting = LATEST.with(|latest| latest.replace(Some(work)).is_some());
    if already_waiting {
        return;
    }
    let run = Closure::once_into_js(|| {
        if let Some(work) = LATEST.with(|latest| latest.borrow_mut().take()) {
            work();
        }
    });
    // The next frame's callbacks run before it is painted; a task queued from there runs after.
    let after_paint = Closure::once_into_js(move || {
        let _ = window().set_timeout_with_callback(run.unchecked_ref());
    });
    let _ = window().request_animation_frame(after_paint.unchecked_ref());
}

#[cfg(not(feature = "hydrate"))]
fn after_paint(work: Box<dyn FnOnce()>) {
    work();
}

/// Points the address bar at `href` without a navigation.
#[cfg(feature = "hydrate")]
fn replace_url(href: &str) {
    let _ = window()
        .history()
        .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href)));
}

#[cfg(not(feature = "hydrate"))]
fn replace_url(_href: &str) {}

/// How many other choices the engine assesses off screen once it is ready, and for how long at
/// most (ms): on a rule set where one assessment takes a frame or more, warming up is not what
/// the buyer waits for.
const WARM_UP: usize = 24;
const WARM_UP_MS: f64 = 150.0;

/// Choice sets one change away from the page's (a group at a time, the first other option it
/// offers), for [`warm_up`].
fn warm_up_choices(view: &ProductView) -> Vec<Choices> {
    view.groups
        .iter()
        .filter_map(|group| {
            let other = group
                .options
                .iter()
                .find(|o| o.available && o.id != group.selected)?;
            let mut choices = view.choices.clone();
            choices.insert(group.id.clone(), other.id.clone());
            Some(choices)
        })
        .take(WARM_UP)
        .collect()
}

/// Assesses the given choices and throws the answers away, one per task. The browser compiles
/// each wasm function the first time it runs and optimises it once it is hot, so without this
/// the buyer's first changes pay for compiling the engine: on a car range the first 50 changes
/// were two to four times slower than later ones (see the README).
async fn warm_up(engine: &Local, view: RwSignal<ProductView>, others: Vec<Choices>) {
    let started = now_ms();
    for choices in others {
        next_task().await;
        let _ = view.with_untracked(|v| engine.assess(&v.facts, choices, v.budget));
        if now_ms() - started > WARM_UP_MS {
            break;
        }
    }
}

/// Milliseconds on the page's clock.
#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

#[cfg(not(feature = "hydrate"))]
fn now_ms() -> f64 {
    0.0
}

/// Lets the browser paint and handle input before the next step of getting the engine ready
/// (parsing, compiling, the first assessment): three short tasks instead of one long one that
/// would hold up a buyer's first tap.
#[cfg(feature = "hydrate")]
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(not(feature = "hydrate"))]
async fn next_task() {}

fn placeholder(id: &str) -> GroupView {
    GroupView {
        id: id.to_owned(),
        name: String::new(),
        optional: false,
        selected: String::new(),
        chosen: false,
        forced: false,
        options: Vec::new(),
    }
}

/// What an option element shows: its label, whether it is hidden (unavailable) and whether it
/// is the selected one.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    label: String,
    hidden: bool,
    selected: bool,
}

impl Shown {
    fn of(option: &OptionView, selected: &str) -> Self {
        let selected = option.id == selected;
        Shown {
            label: option_label(option),
            hidden: !option.available && !selected,
            selected,
        }
    }
}

/// What an unavailable option's line says; the line is made again only when this changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Unavailable {
    id: String,
    name: String,
    reason: Option<String>,
    /// What "Make available" changes, when the option can be made available.
    fix: Option<String>,
}

/// Brings the select's option elements (rendered once, in the group's order) in line with the
/// group, writing only what differs from what they show (`shown`, kept here rather than read
/// back from the DOM); the selection is checked against the element itself, since the buyer
/// changes it there.
#[cfg(feature = "hydrate")]
fn sync_options(
    select: &web_sys::HtmlSelectElement,
    group: &GroupView,
    elements: &mut Vec<web_sys::HtmlOptionElement>,
    shown: &mut [Shown],
) {
    use wasm_bindgen::JsCast;
    if elements.is_empty() {
        let options = select.options();
        *elements = (0..options.length())
            .filter_map(|i| options.item(i)?.dyn_into().ok())
            .collect();
    }
    let mut selected_index = None;
    for (index, ((option, element), was)) in group
        .options
        .iter()
        .zip(elements.iter())
        .zip(shown.iter_mut())
        .enumerate()
    {
        let now = Shown::of(option, &group.selected);
        if now.selected {
            selected_index = Some(index as i32);
        }
        if now == *was {
            continue;
        }
        if now.label != was.label {
            element.set_text(&now.label);
        }
        if now.hidden != was.hidden {
            element.set_hidden(now.hidden);
        }
        // The attribute too, so the page reads as the server would render it.
        if now.selected != was.selected {
            element.set_default_selected(now.selected);
        }
        *was = now;
    }
    if let Some(index) = selected_index
        && select.selected_index() != index
    {
        select.set_selected_index(index);
    }
}

#[cfg(not(feature = "hydrate"))]
fn sync_options(
    _select: &web_sys::HtmlSelectElement,
    _group: &GroupView,
    _elements: &mut Vec<web_sys::HtmlOptionElement>,
    _shown: &mut [Shown],
) {
}

/// "Steel tourer (+€120.00, only 3 left)".
fn option_label(option: &OptionView) -> String {
    let mut notes = Vec::new();
    if let Some(delta) = option.delta {
        notes.push(delta_label(delta));
    }
    if let Some(left) = option.left {
        notes.push(format!("only {left} left"));
    }
    if option.popular {
        notes.push("popular with your choices".to_owned());
    }
    if notes.is_empty() {
        option.name.clone()
    } else {
        format!("{} ({})", option.name, notes.join(", "))
    }
}

#[component]
fn GroupControl(
    group: ReadSignal<GroupView>,
    view: RwSignal<ProductView>,
    engine: RwSignal<Engine>,
    pending: RwSignal<Option<Pending>>,
    apply: Callback<(Choices, Option<i64>, bool)>,
    announcement: RwSignal<String>,
    links: RwSignal<(Choices, Option<i64>)>,
    slug: String,
) -> impl IntoView {
    let (id, name_attr, label) = group.with_untracked(|g| {
        (
            format!("group-{}", g.id),
            format!("configuration[{}]", g.id),
            g.name.clone(),
        )
    });
    let on_change = move |ev| {
        let value = event_target_value(&ev);
        let (mut next, budget) = view.with_untracked(|v| (v.choices.clone(), v.budget));
        next.insert(group.with_untracked(|g| g.id.clone()), value);
        apply.run((next, budget, true));
    };
    // Memos, so that a change which reprices the group leaves these elements alone.
    let hint = Memo::new(move |_| {
        group.with(|g| {
            if g.forced {
                Some("Set by your other choices")
            } else if !g.chosen {
                Some("Suggested — you have not chosen this yet")
            } else {
                None
            }
        })
    });
    let group_id = group.with_untracked(|g| g.id.clone());
    let own_pending = Memo::new(move |_| pending.get().filter(|p| p.group == group_id));
    // Each option is rendered once; afterwards one effect per group brings every option's
    // label, visibility and selection up to date in one pass. A change reprices every option of
    // every group, and an effect per option attribute (thousands on a car range) is what the
    // browser would spend its time scheduling. Unavailable options stay in the list, hidden, so
    // the elements keep their places.
    let select_ref = NodeRef::<leptos::html::Select>::new();
    let mut shown: Vec<Shown> = group.with_untracked(|g| {
        g.options
            .iter()
            .map(|option| Shown::of(option, &g.selected))
            .collect()
    });
    let options = group.with_untracked(|g| {
        g.options
            .iter()
            .zip(&shown)
            .map(|(option, shown)| {
                view! {
                    <option value=option.id.clone() hidden=shown.hidden selected=shown.selected>
                        {shown.label.clone()}
                    </option>
                }
            })
            .collect_view()
    });
    let mut elements = Vec::new();
    Effect::new(move |_| {
        let Some(select) = select_ref.get() else {
            return;
        };
        group.with(|g| sync_options(&select, g, &mut elements, &mut shown));
    });
    let suggestion = Memo::new(move |_| group.with(|g| (!g.chosen).then(|| g.selected.clone())));
    let suggested = move || {
        suggestion.get().map(|value| {
            let name = group.with_untracked(|g| format!("suggested[{}]", g.id));
            view! { <input type="hidden" name=name value=value /> }
        })
    };
    // The unavailable lines, as the buyer reads them: one item per option, kept while what it
    // says stays the same. A change reprices every option and moves the choices that the
    // links' addresses carry, but rarely what a line says, so most lines are left alone and
    // the addresses follow after the paint (`links`).
    let unavailable_options = Memo::new(move |_| {
        group.with(|g| {
            g.options
                .iter()
                .filter(|o| !o.available && o.id != g.selected)
                .map(|o| Unavailable {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    reason: o.reason.clone(),
                    fix: o.fix.as_ref().map(|f| f.message.clone()),
                })
                .collect::<Vec<_>>()
        })
    });
    let any_unavailable = Memo::new(move |_| unavailable_options.with(|items| !items.is_empty()));
    let line = move |option: Unavailable| {
        let group_id = group.with_untracked(|g| g.id.clone());
        // Large rule sets explain an option when asked: here with the engine in the page,
        // else by the server for the link.
        let why = option.reason.is_none().then(|| {
            let (slug, group_id, option_id) = (slug.clone(), group_id.clone(), option.id.clone());
            let href = move || links.with(|(choices, budget)| why_href(&slug, choices, *budget, &group_id, &option_id));
            let (group_id, option_id) = (group.with_untracked(|g| g.id.clone()), option.id.clone());
            let on_click = move |ev: leptos::ev::MouseEvent| {
                let Some(compiled) = engine.get_untracked() else { return };
                ev.prevent_default();
                view.update(|v| explain_into(&compiled.engine, v, &group_id, &option_id));
                let said = view.with_untracked(|v| {
                    let option = v.groups.iter().find(|g| g.id == group_id)?.options.iter().find(|o| o.id == option_id)?;
                    Some(format!("Not available: {} — {}", option.name, option.reason.clone()?))
                });
                if let Some(said) = said {
                    announcement.set(said);
                }
                // The link is gone once explained: the list keeps the focus.
                let anchor = unavailable_anchor(&group_id);
                request_animation_frame(move || {
                    use wasm_bindgen::JsCast;
                    if let Some(list) = document()
                        .get_element_by_id(&anchor)
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        let _ = list.focus();
                    }
                });
            };
            view! {
                " "
                <a class="why" href=href on:click=on_click aria-label=format!("Why is {} not available?", option.name)>"Why?"</a>
            }
        });
        let reason = option
            .reason
            .clone()
            .unwrap_or_else(|| "not possible with your choices.".into());
        let fix = option.fix.clone().map(|message| {
            let (slug, group_id, option_id) = (slug.clone(), group_id.clone(), option.id.clone());
            // The repair as the page knows it now: it moves with every change of the choices.
            let current_fix = move || {
                view.with_untracked(|v| {
                    v.groups
                        .iter()
                        .find(|g| g.id == group_id)?
                        .options
                        .iter()
                        .find(|o| o.id == option_id)?
                        .fix
                        .clone()
                })
            };
            let href = {
                let (slug, current_fix) = (slug.clone(), current_fix.clone());
                move || {
                    links.with(|(choices, budget)| {
                        let fixed = current_fix().map(|f| f.choices);
                        product_href(&slug, fixed.as_ref().unwrap_or(choices), *budget)
                    })
                }
            };
            let (group_id, option_id) = (group.with_untracked(|g| g.id.clone()), option.id.clone());
            let on_click = move |ev: leptos::ev::MouseEvent| {
                let Some(compiled) = engine.get_untracked() else {
                    return;
                };
                let Some(fix) = current_fix() else { return };
                ev.prevent_default();
                let current = view.get_untracked();
                if let Ok(after) =
                    compiled.assess(&current.facts, fix.choices.clone(), current.budget)
                {
                    let (changes, price) = preview(&current, &after);
                    pending.set(Some(Pending {
                        group: group_id.clone(),
                        option: option_id.clone(),
                        choices: fix.choices,
                        changes,
                        price,
                    }));
                }
            };
            view! {
                " "
                <a class="fix" href=href on:click=on_click>"Make available"</a>
                <span class="fix-note">{format!(" ({message})")}</span>
            }
        });
        view! {
            <li>
                {format!("Not available: {} — {}", option.name, reason)}
                {why}
                {fix}
            </li>
        }
    };
    let unavailable = move || {
        any_unavailable.get().then(|| {
            let (group_id, group_name) = group.with_untracked(|g| (g.id.clone(), g.name.clone()));
            let line = line.clone();
            view! {
                <ul class="unavailable" id=unavailable_anchor(&group_id) tabindex="-1" aria-label=format!("Unavailable {group_name} options")>
                    <For each=move || unavailable_options.get() key=|option| option.clone() children=line.clone() />
                </ul>
            }
        })
    };
    let preview_box = move || {
        own_pending.get().map(|p| {
                let option_name = group.with_untracked(|g| {
                    g.options
                        .iter()
                        .find(|o| o.id == p.option)
                        .map(|o| o.name.clone())
                        .unwrap_or_default()
                });
                let confirm = move |_| {
                    if let Some(p) = pending.get_untracked() {
                        apply.run((p.choices, view.get_untracked().budget, true));
                    }
                };
                view! {
                    <div class="fix-preview" role="group" aria-label=format!("Make {option_name} available")>
                        <p>{format!("To choose {option_name}:")}</p>
                        <ul>
                            {p.changes
                                .iter()
                                .map(|(group, from, to)| view! { <li>{format!("{group}: {from} → {to}")}</li> })
                                .collect_view()}
                        </ul>
                        <p>{format!("New price: {}", format_price(p.price))}</p>
                        <button type="button" class="button primary" on:click=confirm>"Apply these changes"</button>
                        " "
                        <button type="button" class="button secondary" on:click=move |_| pending.set(None)>"Cancel"</button>
                    </div>
                }
            })
    };
    view! {
        <div class="group" class:suggested=move || group.with(|g| !g.chosen && !g.forced)>
            <label for=id.clone()>{label}</label>
            {suggested}
            <select id=id name=name_attr on:change=on_change node_ref=select_ref>
                {options}
            </select>
            {move || hint.get().map(|hint| view! { <p class="hint">{hint}</p> })}
            {unavailable}
            {preview_box}
        </div>
    }
}
