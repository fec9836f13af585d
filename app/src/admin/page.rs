//! The orders list and the order page for merchandisers.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::SetOrderStatus;
use crate::account::LogOutButton;
use crate::components::{ErrorBox, LoadError, action_error};
use crate::money::format_price;
use crate::orders::OrderStatus;

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let set_status = ServerAction::<SetOrderStatus>::new();
    let error = action_error(set_status);
    let orders = Resource::new(
        move || set_status.version().get(),
        |_| super::admin_orders(),
    );
    view! {
        <Title text="Orders — Atelier console" />
        <section class="panel wide">
            <super::ConsoleNav />
            <h1>"Orders"</h1>
            <ErrorBox error />
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading orders…"</p> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(view) => {
                            let greeting = format!("Hello, {}", view.merchandiser.first_name);
                            let rows = view.orders;
                            view! {
                            <div class="account-head">
                                <p class="greeting">{greeting}</p>
                                <LogOutButton />
                            </div>
                            {if rows.is_empty() {
                                view! { <p>"No orders yet."</p> }.into_any()
                            } else {
                            view! {
                            <div class="table-scroll">
                                <table class="admin-orders">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Order"</th>
                                            <th scope="col">"Customer"</th>
                                            <th scope="col">"Payment"</th>
                                            <th scope="col">"Total"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Actions"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|row| {
                                                let next = row.status.next();
                                                let cancel = row.status.can_cancel();
                                                view! {
                                                    <tr>
                                                        <th scope="row"><a href=format!("/admin/orders/{}", row.number)>{row.number.clone()}</a></th>
                                                        <td>{row.full_name.clone()}<br /><span class="muted">{row.email.clone()}</span></td>
                                                        <td>{if row.payment_method == "card" { "Card" } else { "Invoice" }}</td>
                                                        <td>{format_price(row.total)}</td>
                                                        <td data-testid="status">{row.status.label()}</td>
                                                        <td class="actions">
                                                            {next.map(|next| view! { <StatusButton action=set_status number=row.number.clone() from=row.status to=next /> })}
                                                            {cancel.then(|| view! { <StatusButton action=set_status number=row.number.clone() from=row.status to=OrderStatus::Cancelled /> })}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            }.into_any()
                            }}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn StatusButton(
    action: ServerAction<SetOrderStatus>,
    number: String,
    from: OrderStatus,
    to: OrderStatus,
) -> impl IntoView {
    let label = if to == OrderStatus::Cancelled {
        format!("Cancel order {number}")
    } else {
        format!("Advance to {}", to.label())
    };
    let class = if to == OrderStatus::Cancelled {
        "button link danger"
    } else {
        "button secondary"
    };
    view! {
        <ActionForm action attr:class="inline-form">
            <input type="hidden" name="number" value=number />
            <input type="hidden" name="from" value=from.as_str() />
            <input type="hidden" name="to" value=to.as_str() />
            <button type="submit" class=class disabled=move || action.pending().get()>{label}</button>
        </ActionForm>
    }
}

/// One order in full: items with their configuration, address, payment, and the timeline with
/// the time of each step; the status buttons as on the list.
#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let set_status = ServerAction::<SetOrderStatus>::new();
    let error = action_error(set_status);
    let order = Resource::new(
        move || {
            (
                params.read().get("number").unwrap_or_default(),
                set_status.version().get(),
            )
        },
        |(number, _)| super::admin_order(number),
    );
    view! {
        <Title text="Order — Atelier console" />
        <section class="panel wide">
            <p><a href="/admin/orders">"← All orders"</a></p>
            <ErrorBox error />
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(view) => {
                            let order = view.order;
                            let (number, status) = (order.number.clone(), order.status);
                            let next = status.next();
                            let cancel = status.can_cancel();
                            view! {
                                <h1>{format!("Order {number}")}</h1>
                                <p class="muted">
                                    {format!("{} · {}", order.email, if view.account { "customer account" } else { "guest" })}
                                </p>
                                <div class="actions">
                                    {next.map(|next| view! { <StatusButton action=set_status number=number.clone() from=status to=next /> })}
                                    {cancel.then(|| view! { <StatusButton action=set_status number=number.clone() from=status to=OrderStatus::Cancelled /> })}
                                </div>
                                <crate::orders::OrderDetails order />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
