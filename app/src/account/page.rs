//! Register, log in and account pages.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{Login, Logout, MAX_PASSWORD, MIN_PASSWORD, Register};
use crate::components::{ErrorBox, FieldError, LoadError, action_error, typed};
use crate::orders::{OrderSummary, ReorderButton};
use crate::saved::SavedList;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let error = action_error(register);
    view! {
        <Title text="Create an account — Atelier" />
        <section class="panel narrow">
            <h1>"Create an account"</h1>
            <p>"Follow your orders, reorder in one click, and keep your cart across devices."</p>
            <ActionForm action=register attr:class="stacked-form">
                <label for="full_name">"Full name"</label>
                <input id="full_name" name="full_name" autocomplete="name" required aria-describedby="full_name-error" value=typed(error, "full_name") />
                <FieldError error name="full_name" id="full_name-error" />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required aria-describedby="email-error" value=typed(error, "email") />
                <FieldError error name="email" id="email-error" />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" aria-describedby="password-error password-hint" />
                <p class="hint" id="password-hint">{format!("{MIN_PASSWORD} to {MAX_PASSWORD} characters.")}</p>
                <FieldError error name="password" id="password-error" />
                <ErrorBox error />
                <button type="submit" class="button primary" disabled=move || register.pending().get()>"Create account"</button>
                {move || register.pending().get().then(|| view! { <span role="status">"Creating your account…"</span> })}
            </ActionForm>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = action_error(login);
    view! {
        <Title text="Log in — Atelier" />
        <section class="panel narrow">
            <h1>"Log in"</h1>
            <ActionForm action=login attr:class="stacked-form">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required value=typed(error, "email") />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <ErrorBox error />
                <button type="submit" class="button primary" disabled=move || login.pending().get()>"Log in"</button>
                {move || login.pending().get().then(|| view! { <span role="status">"Logging in…"</span> })}
            </ActionForm>
            <p>"New here? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new(
        || (),
        |_| async {
            let account = super::account().await?;
            let saved = crate::saved::my_saved_configurations().await?;
            let calls = crate::help::call::my_calls().await?;
            Ok::<_, crate::error::AppError>((account, saved, calls))
        },
    );
    view! {
        <Title text="Your account — Atelier" />
        <section class="panel">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your account…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok((account, saved, calls)) => view! {
                            <div class="account-head">
                                <h1>{format!("Hello, {}", account.customer.first_name)}</h1>
                                <LogOutButton />
                            </div>
                            <p class="muted">{format!("Signed in as {}", account.email)}</p>
                            <h2>"Your orders"</h2>
                            {if account.orders.is_empty() {
                                view! { <p>"No orders yet. " <a href="/">"Browse the catalogue"</a></p> }.into_any()
                            } else {
                                view! {
                                    <ul class="order-history">
                                        {account
                                            .orders
                                            .into_iter()
                                            .map(|order| {
                                                let number = order.number.clone();
                                                view! {
                                                    <li class="order-card">
                                                        <OrderSummary order />
                                                        <ReorderButton number />
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }}
                            <h2>"Saved configurations"</h2>
                            <SavedList saved />
                            <crate::help::call_page::MyCalls calls />
                        }
                            .into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// "Log out", wherever a signed-in person is.
#[component]
pub fn LogOutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout attr:class="inline-form">
            <button type="submit" class="button secondary" disabled=move || logout.pending().get()>
                "Log out"
            </button>
        </ActionForm>
    }
}
