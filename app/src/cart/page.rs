//! The cart page.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{RemoveLine, UpdateQuantity};
use crate::catalogue::{product_href, ships_in};
use crate::components::{ErrorBox, LoadError, action_error};
use crate::money::format_price;

#[component]
pub fn CartPage() -> impl IntoView {
    let update = ServerAction::<UpdateQuantity>::new();
    let remove = ServerAction::<RemoveLine>::new();
    let update_error = action_error(update);
    let remove_error = action_error(remove);
    let cart = Resource::new(
        move || (update.version().get(), remove.version().get()),
        |_| super::cart(),
    );
    view! {
        <Title text="Your cart — Atelier" />
        <section class="panel cart">
            <h1>"Your cart"</h1>
            <ErrorBox error=update_error />
            <ErrorBox error=remove_error />
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your cart…"</p> }>
                {move || Suspend::new(async move {
                    match cart.await {
                        Ok(cart) if cart.lines.is_empty() => view! {
                            {cart.notice.clone().map(|notice| view! { <div class="notice" role="status" data-testid="cart-notice">{notice}</div> })}
                            <p>"Your cart is empty."</p>
                            <p><a class="button" href="/">"Browse the catalogue"</a></p>
                        }
                            .into_any(),
                        Ok(cart) => {
                            let orderable = cart.orderable();
                            let lead_days = cart.lead_days();
                            view! {
                                {cart.notice.clone().map(|notice| view! { <div class="notice" role="status" data-testid="cart-notice">{notice}</div> })}
                                <ul class="cart-lines">
                                    {cart
                                        .lines
                                        .into_iter()
                                        .map(|line| {
                                            let quantity_id = format!("quantity-{}", line.id);
                                            let max = line.max_quantity.unwrap_or(super::MAX_QUANTITY).max(1).to_string();
                                            let (update_line, remove_line) = (line.id.clone(), line.id.clone());
                                            view! {
                                                <li class="cart-line">
                                                    <div class="cart-line-main">
                                                        <h2>
                                                            <a href=product_href(&line.slug, &line.configuration, None)>{line.product_name.clone()}</a>
                                                        </h2>
                                                        <p class="summary">{line.summary.clone()}</p>
                                                        <p class="lead-time">{ships_in(line.lead_days)}</p>
                                                        {line.problem.clone().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
                                                        {line.changed.clone().map(|c| view! { <p class="notice" role="status">{c}</p> })}
                                                    </div>
                                                    <ActionForm action=update attr:class="inline-form">
                                                        <input type="hidden" name="line" value=update_line />
                                                        <label for=quantity_id.clone()>"Quantity"</label>
                                                        <input
                                                            id=quantity_id
                                                            name="quantity"
                                                            type="number"
                                                            min="1"
                                                            max=max
                                                            inputmode="numeric"
                                                            value=line.quantity.to_string()
                                                        />
                                                        <button type="submit" class="button secondary">"Update"</button>
                                                    </ActionForm>
                                                    <ActionForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="line" value=remove_line />
                                                        <button type="submit" class="button link" aria-label=format!("Remove {}", line.product_name)>
                                                            "Remove"
                                                        </button>
                                                    </ActionForm>
                                                    <p class="line-total">
                                                        <span class="muted">{format!("{} × {}", line.quantity, format_price(line.unit_price))}</span>
                                                        <strong>{format_price(line.line_total)}</strong>
                                                    </p>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                <div class="cart-summary">
                                    <p>
                                        "Total " <strong data-testid="cart-total">{format_price(cart.total)}</strong>
                                    </p>
                                    <p class="lead-time" data-testid="cart-lead-time">{ships_in(lead_days)}</p>
                                    <form method="get" action="/checkout">
                                        <button type="submit" class="button primary" disabled=!orderable>"Checkout"</button>
                                    </form>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
            {move || (update.pending().get() || remove.pending().get()).then(|| view! { <p role="status">"Updating your cart…"</p> })}
        </section>
    }
}
