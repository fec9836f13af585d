//! The order page (confirmation and status) and the order lookup.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{LookupOrder, OrderStatus, OrderView, Reorder, TimelineStep};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, typed};
use crate::money::format_price;

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
                            {step.status.label()}
                            {(!step.reached).then(|| view! { <span class="sr-only">" (not yet)"</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
pub fn OrderSummary(order: OrderView) -> impl IntoView {
    let awaiting_card = order.payment_method == "card" && order.status == OrderStatus::Placed;
    view! {
        <p class="order-number">"Order number: " <strong>{order.number.clone()}</strong></p>
        <p class="status">"Status: " <strong>{order.status.label()}</strong></p>
        {awaiting_card.then(|| view! { <p class="notice" role="status">"We are waiting for the card payment to be confirmed."</p> })}
        <Timeline steps=order.timeline.clone() />
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
                            <td><strong>{line.product_name.clone()}</strong><br /><span class="summary">{line.summary.clone()}</span></td>
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
                            view! {
                                <h1>"Thank you — your order"</h1>
                                <OrderSummary order />
                                <p class="muted">"Keep the order number: with it and your email you can follow the order at any time."</p>
                                <ReorderButton number />
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
