//! "Call me" on the page: the request form (help, product and order pages), its confirmation
//! page, the buyer's requests in `/account`, and the console's queue. Server-rendered forms that
//! work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::call::{
    CallView, ClaimCall, FinishCall, QueuedCall, RequestCall, TOPICS, WINDOWS, bookable_days,
    topic_label, window_label,
};
use crate::admin::ConsoleNav;
use crate::components::{ErrorBox, FieldError, LoadError, action_error, first_error};
use crate::money::format_price;
use crate::time::{day_text, format_day, format_time};

/// Today's day number where the page is rendered.
fn today() -> i64 {
    #[cfg(feature = "ssr")]
    let ms = crate::db::now_ms();
    #[cfg(not(feature = "ssr"))]
    let ms = js_sys::Date::now() as i64;
    ms.div_euclid(86_400_000)
}

/// The "Call me" form, folded until opened (open when a refused request came back to it).
/// `product` and `configuration` say what a product page shows.
#[component]
pub fn CallMeForm(
    page: String,
    #[prop(optional)] product: Option<String>,
    #[prop(optional, into)] configuration: String,
) -> impl IntoView {
    let action = ServerAction::<RequestCall>::new();
    let error = action_error(action);
    let refused = error.get_untracked();
    let typed = |name: &str| {
        refused
            .as_ref()
            .and_then(|e| e.typed_value(name))
            .unwrap_or_default()
    };
    let (name, phone, day, window, topic) = (
        typed("name"),
        typed("phone"),
        typed("day"),
        typed("time_window"),
        typed("topic"),
    );
    let default_topic = if product.is_some() {
        "configuration"
    } else {
        "other"
    };
    let topic = if topic.is_empty() {
        default_topic.to_owned()
    } else {
        topic
    };
    let days = bookable_days(today());
    let invalid = move |field: &'static str| {
        move || error.get().and_then(|e| e.field_message(field)).is_some()
    };
    view! {
        <details class="call-me" open=refused.is_some()>
            <summary>"Call me"</summary>
            <p class="hint">"Leave your number and when suits you: someone from our workshop calls you back, Monday to Friday."
                {product.is_some().then_some(" They will see the configuration on this page.")}</p>
            <ErrorBox error />
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="page" value=page />
                <input type="hidden" name="product" value=product.clone().unwrap_or_default() />
                <input type="hidden" name="configuration" value=configuration />
                <div class="field" class:invalid=invalid("name")>
                    <label for="call-name">"Your name"</label>
                    <input id="call-name" name="name" type="text" autocomplete="name" required maxlength="100" value=name aria-describedby="call-name-error" />
                    <FieldError error name="name" id="call-name-error" />
                </div>
                <div class="field" class:invalid=invalid("phone")>
                    <label for="call-phone">"Phone number, with its country code"</label>
                    <input id="call-phone" name="phone" type="tel" autocomplete="tel" required maxlength="40" value=phone placeholder="+49 30 1234 5678" aria-describedby="call-phone-error" />
                    <FieldError error name="phone" id="call-phone-error" />
                </div>
                <div class="field" class:invalid=invalid("day")>
                    <label for="call-day">"Day"</label>
                    <select id="call-day" name="day" aria-describedby="call-day-error">
                        {days.into_iter().map(|d| {
                            let value = day_text(d);
                            let selected = value == day;
                            view! { <option value=value selected=selected>{format_day(d)}</option> }
                        }).collect_view()}
                    </select>
                    <FieldError error name="day" id="call-day-error" />
                </div>
                <fieldset class="field" class:invalid=invalid("time_window")>
                    <legend>"Time (Central European Time)"</legend>
                    {WINDOWS.iter().enumerate().map(|(i, (value, label))| {
                        let checked = if window.is_empty() { i == 0 } else { window == *value };
                        view! { <label class="radio"><input type="radio" name="time_window" value=*value checked=checked />" "{*label}</label> }
                    }).collect_view()}
                    <FieldError error name="time_window" id="call-window-error" />
                </fieldset>
                <div class="field" class:invalid=invalid("topic")>
                    <label for="call-topic">"What about?"</label>
                    <select id="call-topic" name="topic" aria-describedby="call-topic-error">
                        {TOPICS.iter().map(|(value, label)| view! { <option value=*value selected=topic == *value>{*label}</option> }).collect_view()}
                    </select>
                    <FieldError error name="topic" id="call-topic-error" />
                </div>
                <button type="submit" class="button primary">"Ask for a call"</button>
            </ActionForm>
        </details>
    }
}

/// Where a request goes after it is sent: the slot, and its status from then on.
#[component]
pub fn CallConfirmationPage() -> impl IntoView {
    let params = use_params_map();
    let call = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        super::call::call_request,
    );
    view! {
        <Title text="Your call-back request — Atelier" />
        <section class="panel narrow">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your request…"</p> }>
                {move || Suspend::new(async move {
                    match call.await {
                        Ok(call) => view! { <CallSummary call heading=true /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CallSummary(call: CallView, #[prop(optional)] heading: bool) -> impl IntoView {
    let done = call.status == "done";
    view! {
        {heading.then(|| view! {
            <h1>{if done { "We called you" } else { "We will call you" }}</h1>
            <p class="notice notice-success" role="status">{format!("Booked for {}.", call.slot())}</p>
        })}
        <dl class="facts">
            <dt>"When"</dt><dd>{call.slot()}</dd>
            <dt>"About"</dt><dd>{topic_label(&call.topic).to_owned()}</dd>
            <dt>"Status"</dt><dd data-testid="call-status">{call.status_words()}</dd>
            <dt>"Asked"</dt><dd>{format_time(call.created_at)}</dd>
        </dl>
        {heading.then(|| view! {
            <p class="hint">"Keep this page's address to follow the request; signed in, you also find it in your account."</p>
            <p><a href="/help">"← Help centre"</a></p>
        })}
    }
}

/// The buyer's requests, for `/account`.
#[component]
pub fn MyCalls(calls: Vec<CallView>) -> impl IntoView {
    (!calls.is_empty()).then(|| {
        view! {
            <h2>"Your call-back requests"</h2>
            <ul class="order-history">
                {calls.into_iter().map(|call| {
                    let href = format!("/help/call/{}", call.id);
                    view! {
                        <li>
                            <a href=href>{format!("{} · {}", call.slot(), topic_label(&call.topic))}</a>
                            <span class="muted" data-testid="call-status">{format!(" — {}", call.status_words())}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

/// The console's queue of call-back requests.
#[component]
pub fn AdminCallsPage() -> impl IntoView {
    let claim = ServerAction::<ClaimCall>::new();
    let finish = ServerAction::<FinishCall>::new();
    let error = first_error(vec![action_error(claim), action_error(finish)]);
    let calls = Resource::new(
        move || (claim.version().get(), finish.version().get()),
        |_| super::call::admin_calls(),
    );
    view! {
        <Title text="Call-back requests — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"Call-back requests"</h1>
            <p class="hint">"By slot, then by what the customer has ordered to date. Claim one before you call, so nobody calls twice."</p>
            <ErrorBox error />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the queue…"</p> }>
                {move || Suspend::new(async move {
                    match calls.await {
                        Ok(calls) if calls.is_empty() => view! { <p>"Nobody is waiting for a call."</p> }.into_any(),
                        Ok(calls) => view! {
                            <ol class="call-queue">
                                {calls.into_iter().map(|call| view! { <QueueItem call claim finish /> }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn QueueItem(
    call: QueuedCall,
    claim: ServerAction<ClaimCall>,
    finish: ServerAction<FinishCall>,
) -> impl IntoView {
    let slot = format!(
        "{}, {}",
        crate::time::parse_day(&call.day).map_or_else(|| call.day.clone(), format_day),
        window_label(&call.time_window)
    );
    let configuration_link = call.product.as_ref().map(|product| {
        let href = match &call.configuration {
            Some(query) => format!("/products/{product}?{query}"),
            None => format!("/products/{product}"),
        };
        let described = call
            .configuration
            .as_ref()
            .map(|q| {
                url_pairs(q)
                    .into_iter()
                    .map(|(g, o)| format!("{g}: {o}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        view! {
            <dt>"Looking at"</dt>
            <dd><a href=href>{product.clone()}</a>{(!described.is_empty()).then(|| format!(" — {described}"))}</dd>
        }
    });
    let heading_id = format!("call-{}", call.id);
    let action = match (call.status.as_str(), call.claimed_by_me) {
        ("waiting", _) => {
            let id = call.id.clone();
            let label = format!("Claim the call to {}", call.name);
            view! {
                <ActionForm action=claim attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="button primary" aria-label=label>"Claim"</button>
                </ActionForm>
            }
            .into_any()
        }
        (_, true) => {
            let id = call.id.clone();
            let note_id = format!("note-{}", call.id);
            view! {
                <ActionForm action=finish attr:class="stacked-form">
                    <input type="hidden" name="id" value=id />
                    <div class="field">
                        <label for=note_id.clone()>"What was agreed"</label>
                        <textarea id=note_id name="note" rows="2" maxlength="2000"></textarea>
                    </div>
                    <button type="submit" class="button primary">"Mark done"</button>
                </ActionForm>
            }
            .into_any()
        }
        _ => view! { <p class="muted">{format!("Claimed by {}", call.claimed_by.clone().unwrap_or_default())}</p> }.into_any(),
    };
    view! {
        <li class="call-item" aria-labelledby=heading_id.clone() data-status=call.status.clone()>
            <h2 id=heading_id.clone()>{format!("{} · {}", call.name, slot)}</h2>
            <dl class="facts">
                <dt>"Phone"</dt><dd><a href=format!("tel:{}", call.phone)>{call.phone.clone()}</a></dd>
                <dt>"About"</dt><dd>{topic_label(&call.topic).to_owned()}</dd>
                <dt>"From"</dt><dd><a href=call.page.clone()>{call.page.clone()}</a></dd>
                {configuration_link}
                <dt>"Customer"</dt><dd>{if call.orders == 0 { "No orders yet".to_owned() } else { format!("{} order{}, {}", call.orders, if call.orders == 1 { "" } else { "s" }, format_price(call.orders_value)) }}</dd>
                <dt>"Asked"</dt><dd>{format_time(call.created_at)}</dd>
            </dl>
            {action}
        </li>
    }
}

/// The buyer's own choices in a product page's query ("configuration[frame]=steel"), as
/// (group, option); suggested choices and the budget are left out.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let group = decode(k)
                .strip_prefix("configuration[")?
                .strip_suffix(']')?
                .to_owned();
            Some((group, decode(v)))
        })
        .collect()
}
