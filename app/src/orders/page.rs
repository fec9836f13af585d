//! The order page (confirmation, status, paying later) and the order lookup.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{LookupOrder, OrderStatus, OrderView, Payment, Reorder, TimelineStep};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, typed, url_error};
use crate::money::format_price;
use crate::time::{format_date, format_time};

#[component]
pub fn Timeline(steps: Vec<TimelineStep>) -> impl IntoView {
    view! {
        <ol class="timeline" aria-label="Status timeline">
            {steps
                .into_iter()
                .map(|step| {
                    let cancelled = step.status == OrderStatus::Cancelled;
                    view! {
                        <li data-reached=step.reached.to_string() class:reached=step.reached class:cancelled=cancelled>
                            <span class="dot" aria-hidden="true"></span>
                            <span class="step">{step.status.label()}</span>
                            {step.at.map(|at| view! { " " <time class="when">{format_time(at)}</time> })}
                            {(!step.reached).then(|| view! { <span class="sr-only">" (not yet)"</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// The order at a glance (the account page lists these).
#[component]
pub fn OrderSummary(order: OrderView) -> impl IntoView {
    let awaiting_card = matches!(order.payment, Payment::CardAwaiting { .. });
    view! {
        <p class="order-number">"Order number: " <strong>{order.number.clone()}</strong></p>
        <p class="status">
            "Status: " <strong>{if awaiting_card { "Waiting for payment" } else { order.status.label() }}</strong>
            <span class="muted">{format!(" · placed {}", format_date(order.placed_at))}</span>
        </p>
        <Timeline steps=order.timeline.clone() />
        <OrderLines order=order.clone() />
    }
}

/// The items with their configurations, and the total.
#[component]
pub fn OrderLines(order: OrderView) -> impl IntoView {
    view! {
        <table class="order-lines">
            <caption class="sr-only">"Items"</caption>
            <thead>
                <tr><th scope="col">"Item"</th><th scope="col">"Quantity"</th><th scope="col">"Price"</th></tr>
            </thead>
            <tbody>
                {order
                    .lines
                    .iter()
                    .map(|line| view! {
                        <tr>
                            <td>
                                <strong>{line.product_name.clone()}</strong><br /><span class="summary">{line.summary.clone()}</span><br />
                                <span class="lead-time">{crate::catalogue::ships_in(line.lead_days)}</span>
                            </td>
                            <td>{line.quantity}</td>
                            <td>{format_price(line.line_total)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
            <tfoot>
                <tr><th scope="row" colspan="2">"Total"</th><td>{format_price(order.total)}</td></tr>
            </tfoot>
        </table>
    }
}

/// Everything about one order: when, what, where to, how it is paid, and each step with its time.
#[component]
pub fn OrderDetails(order: OrderView) -> impl IntoView {
    let payment = order.payment.label();
    view! {
        <p class="order-number">"Order number: " <strong>{order.number.clone()}</strong></p>
        <dl class="order-facts">
            <div><dt>"Placed"</dt><dd>{format_time(order.placed_at)}</dd></div>
            <div><dt>"Status"</dt><dd data-testid="order-status">{order.status.label()}</dd></div>
            <div><dt>"Payment"</dt><dd>{payment}</dd></div>
            <div>
                <dt>"Delivery"</dt>
                <dd data-testid="order-lead-time">
                    {crate::catalogue::ships_in(order.lines.iter().map(|l| l.lead_days).max().unwrap_or(0))}
                    " from the order date"
                </dd>
            </div>
            <div><dt>"Deliver to"</dt><dd>{order.address.full_name.clone()}<br />{order.address.one_line()}</dd></div>
        </dl>
        <h2>"Progress"</h2>
        <Timeline steps=order.timeline.clone() />
        <h2>"Items"</h2>
        <OrderLines order />
    }
}

/// For a card order that is not paid yet: when its items are released, "Pay now" and "Pay by
/// invoice instead". Plain forms: paying is a navigation to the payment page either way.
#[component]
fn PaymentPanel(number: String, due_at: Option<i64>, started: bool) -> impl IntoView {
    let pay_error = url_error("/api/pay_now");
    let invoice_error = url_error("/api/pay_by_invoice");
    view! {
        <section class="notice payment-panel" aria-labelledby="payment-heading">
            <h2 id="payment-heading">"Payment needed"</h2>
            {(!started).then(|| view! {
                <p>"We could not reach our card payment provider when you placed the order. Your order is saved and nothing has been charged."</p>
            })}
            <p>
                {match due_at {
                    Some(due) => format!("Your items are reserved until {}. Pay by card now, or choose to pay by invoice.", format_time(due)),
                    None => "Pay by card now, or choose to pay by invoice.".to_owned(),
                }}
            </p>
            <ErrorBox error=pay_error />
            <ErrorBox error=invoice_error />
            <div class="actions">
                <form method="post" action="/api/pay_now" class="inline-form">
                    <input type="hidden" name="number" value=number.clone() />
                    <button type="submit" class="button primary">"Pay now"</button>
                </form>
                <form method="post" action="/api/pay_by_invoice" class="inline-form">
                    <input type="hidden" name="number" value=number />
                    <button type="submit" class="button secondary">"Pay by invoice instead"</button>
                </form>
            </div>
        </section>
    }
}

#[component]
pub fn ReorderButton(number: String) -> impl IntoView {
    let reorder = ServerAction::<Reorder>::new();
    let error = action_error(reorder);
    view! {
        <ActionForm action=reorder attr:class="inline-form">
            <input type="hidden" name="number" value=number />
            <button type="submit" class="button secondary" disabled=move || reorder.pending().get()>"Reorder"</button>
        </ActionForm>
        <ErrorBox error />
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let order = Resource::new(
        move || params.read().get("number").unwrap_or_default(),
        super::order,
    );
    view! {
        <Title text="Your order — Atelier" />
        <section class="panel">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) => {
                            let number = order.number.clone();
                            let heading = order.heading();
                            let payment = match order.payment {
                                Payment::CardAwaiting { due_at, started } => Some(view! {
                                    <PaymentPanel number=number.clone() due_at started />
                                }),
                                _ => None,
                            };
                            view! {
                                <Title text=format!("{heading} — Atelier") />
                                <h1>{heading}</h1>
                                {payment}
                                <OrderDetails order />
                                <p class="muted">"Keep the order number: with it and your email you can follow the order at any time."</p>
                                <ReorderButton number=number.clone() />
                                <crate::help::CallMeForm page=format!("/orders/{number}") />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn LookupPage() -> impl IntoView {
    let lookup = ServerAction::<LookupOrder>::new();
    let error = action_error(lookup);
    let query = use_query_map();
    let number_value = typed(error, "number");
    let email_value = typed(error, "email");
    let prefilled = move || query.read().get("number").unwrap_or_default();
    view! {
        <Title text="Find your order — Atelier" />
        <section class="panel narrow">
            <h1>"Find your order"</h1>
            <p>"Enter the order number from your confirmation and the email you ordered with."</p>
            <ActionForm action=lookup attr:class="stacked-form">
                <label for="lookup-number">"Order number"</label>
                <input
                    id="lookup-number"
                    name="number"
                    autocomplete="off"
                    placeholder="ABCD-EFGH"
                    required
                    aria-describedby="lookup-number-error"
                    value=move || { let typed = number_value(); if typed.is_empty() { prefilled() } else { typed } }
                />
                <FieldError error name="number" id="lookup-number-error" />
                <label for="lookup-email">"Email"</label>
                <input
                    id="lookup-email"
                    name="email"
                    type="email"
                    autocomplete="email"
                    required
                    aria-describedby="lookup-email-error"
                    value=email_value
                />
                <FieldError error name="email" id="lookup-email-error" />
                <ErrorBox error />
                <button type="submit" class="button primary" disabled=move || lookup.pending().get()>"Find order"</button>
                {move || lookup.pending().get().then(|| view! { <span role="status">"Looking…"</span> })}
            </ActionForm>
        </section>
    }
}
