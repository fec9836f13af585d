//! The checkout page.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{COUNTRIES, CheckoutView, PlaceOrder};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, typed};
use crate::money::format_price;

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| super::checkout_details());
    view! {
        <Title text="Checkout — Atelier" />
        <section class="panel checkout">
            <h1>"Checkout"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) if view.cart.lines.is_empty() => view! {
                            <p>"Your cart is empty."</p>
                            <p><a class="button" href="/">"Browse the catalogue"</a></p>
                        }
                            .into_any(),
                        Ok(view) => view! { <CheckoutForm view /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CheckoutForm(view: CheckoutView) -> impl IntoView {
    let place = ServerAction::<PlaceOrder>::new();
    let error = action_error(place);
    let (email, full_name) = (view.email.clone(), view.full_name.clone());
    let value = move |name: &'static str, fallback: String| {
        let typed = typed(error, name);
        move || {
            let typed = typed();
            if typed.is_empty() {
                fallback.clone()
            } else {
                typed
            }
        }
    };
    let country = typed(error, "country");
    let payment = typed(error, "payment");
    let checkout_key = view.checkout_key.clone();
    let hold = view.payment_hold_minutes;
    let text_field = move |name: &'static str,
                           label: &'static str,
                           autocomplete: &'static str,
                           kind: &'static str,
                           fallback: String| {
        let id = name;
        let error_id: &'static str = match name {
            "email" => "email-error",
            "full_name" => "full_name-error",
            "address" => "address-error",
            "city" => "city-error",
            _ => "postal_code-error",
        };
        view! {
            <div class="field" class:invalid=move || error.get().and_then(|e| e.field_message(name)).is_some()>
                <label for=id>{label}</label>
                <input
                    id=id
                    name=name
                    type=kind
                    autocomplete=autocomplete
                    required
                    aria-describedby=error_id
                    aria-invalid=move || error.get().and_then(|e| e.field_message(name)).is_some().to_string()
                    value=value(name, fallback)
                />
                <FieldError error name id=error_id />
            </div>
        }
    };
    view! {
        <div class="checkout-grid">
            <ActionForm action=place attr:class="stacked-form" attr:novalidate="">
                <input type="hidden" name="checkout_key" value=checkout_key />
                <fieldset>
                    <legend>"Delivery"</legend>
                    {text_field("email", "Email", "email", "email", email)}
                    {text_field("full_name", "Full name", "name", "text", full_name)}
                    {text_field("address", "Address", "street-address", "text", String::new())}
                    {text_field("city", "City", "address-level2", "text", String::new())}
                    {text_field("postal_code", "Postal code", "postal-code", "text", String::new())}
                    <div class="field">
                        <label for="country">"Country"</label>
                        <select id="country" name="country" autocomplete="country" aria-describedby="country-error">
                            <option value="" disabled selected=move || country().is_empty()>"Choose a country"</option>
                            {COUNTRIES
                                .iter()
                                .map(|(code, name)| view! { <option value=*code selected=move || country() == *code>{*name}</option> })
                                .collect_view()}
                        </select>
                        <FieldError error name="country" id="country-error" />
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Payment"</legend>
                    <div class="radio">
                        <input type="radio" id="pay-invoice" name="payment" value="invoice" checked=move || payment() != "card" />
                        <label for="pay-invoice">"Invoice"</label>
                        <span class="hint">" — pay by bank transfer within 14 days"</span>
                    </div>
                    {view.card_available.then(|| view! {
                        <div class="radio">
                            <input type="radio" id="pay-card" name="payment" value="card" checked=move || payment() == "card" />
                            <label for="pay-card">"Card"</label>
                            <span class="hint">{format!(" — on Stripe's secure page; your items are reserved for {hold} minutes while you pay")}</span>
                        </div>
                    })}
                    <FieldError error name="payment" id="payment-error" />
                </fieldset>
                <ErrorBox error />
                <button type="submit" class="button primary" disabled=move || place.pending().get()>"Place order"</button>
                {move || place.pending().get().then(|| view! { <span role="status">"Placing your order…"</span> })}
            </ActionForm>
            <aside class="order-summary" aria-label="Order summary">
                <h2>"Your order"</h2>
                <ul>
                    {view
                        .cart
                        .lines
                        .iter()
                        .map(|line| view! {
                            <li>
                                <strong>{format!("{} × {}", line.quantity, line.product_name)}</strong>
                                <span class="summary">{line.summary.clone()}</span>
                                <span>{format_price(line.line_total)}</span>
                                {line.changed.clone().map(|c| view! { <span class="notice" role="status">{c}</span> })}
                            </li>
                        })
                        .collect_view()}
                </ul>
                <p class="total">"Total " <strong>{format_price(view.cart.total)}</strong></p>
                <p class="lead-time" data-testid="checkout-lead-time">{crate::catalogue::ships_in(view.cart.lead_days())}</p>
            </aside>
        </div>
    }
}
