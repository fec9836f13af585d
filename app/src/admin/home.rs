//! The console's home page: what needs a merchandiser's attention now. Orders waiting for
//! their next step, stock that is low or gone, products with rule drafts waiting, and test
//! configurations that fail against the rules they will be published with.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::ConsoleNav;
use super::stock::StockRow;
use crate::components::LoadError;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestAlert {
    pub slug: String,
    pub product: String,
    pub test: String,
    pub outcome: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    /// (status label, number of orders) for each status that has a next step.
    pub waiting: Vec<(String, i64)>,
    /// Stock rows with few or none left.
    pub stock: Vec<StockRow>,
    /// (slug, product name) of products with a rule draft waiting.
    pub drafts: Vec<(String, String)>,
    pub failing_tests: Vec<TestAlert>,
}

#[server(endpoint = "admin_attention")]
pub async fn admin_attention() -> Result<Attention, AppError> {
    crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::attention(&state).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{Attention, TestAlert};
    use crate::catalogue::assess::SCARCE;
    use crate::error::AppError;
    use crate::orders::OrderStatus;
    use crate::state::AppState;

    pub async fn attention(state: &AppState) -> Result<Attention, AppError> {
        let counts: Vec<(String, i64)> =
            sqlx::query_as("select status, count(*) from orders group by status")
                .fetch_all(&state.pool)
                .await?;
        let waiting = OrderStatus::PATH
            .iter()
            .filter(|status| status.next().is_some())
            .filter_map(|status| {
                let count = counts
                    .iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| *n);
                (count > 0).then(|| (status.label().to_owned(), count))
            })
            .collect();

        let stock = super::super::stock::ssr::rows(state)
            .await?
            .into_iter()
            .filter(|row| row.left <= SCARCE)
            .collect();

        let drafts: Vec<(String, String)> = sqlx::query_as(
            "select p.slug, p.name from rule_drafts d join products p on p.id = d.product_id order by p.name",
        )
        .fetch_all(&state.pool)
        .await?;

        let failing_tests = super::super::rules::ssr::failing_tests(state)
            .await?
            .into_iter()
            .map(|(slug, product, outcome)| TestAlert {
                slug,
                product,
                test: outcome.test.name,
                outcome: outcome.outcome,
            })
            .collect();
        Ok(Attention {
            waiting,
            stock,
            drafts,
            failing_tests,
        })
    }
}

#[component]
pub fn AdminHomePage() -> impl IntoView {
    let attention = Resource::new(|| (), |_| admin_attention());
    view! {
        <Title text="Console — Atelier" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"What needs attention"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match attention.await {
                        Ok(a) => view! { <AttentionBody a /> }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AttentionBody(a: Attention) -> impl IntoView {
    let Attention {
        waiting,
        stock,
        drafts,
        failing_tests,
    } = a;
    let nothing =
        waiting.is_empty() && stock.is_empty() && drafts.is_empty() && failing_tests.is_empty();
    view! {
        {nothing.then(|| view! { <p>"Nothing is waiting for you."</p> })}
        {(!waiting.is_empty()).then(|| view! {
            <section aria-labelledby="waiting-heading" class="attention">
                <h2 id="waiting-heading">"Orders waiting for their next step"</h2>
                <ul>
                    {waiting.into_iter().map(|(status, count)| view! {
                        <li><a href="/admin/orders">{format!("{status}: {count} order{}", if count == 1 { "" } else { "s" })}</a></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(!stock.is_empty()).then(|| view! {
            <section aria-labelledby="stock-heading" class="attention">
                <h2 id="stock-heading">"Low stock"</h2>
                <ul>
                    {stock.into_iter().map(|s| {
                        let what = if s.label.is_empty() { s.product.clone() } else { format!("{} — {}", s.product, s.label) };
                        let left = if s.left <= 0 { "sold out".to_owned() } else { format!("{} left", s.left) };
                        view! { <li>{format!("{what}: {left}")}</li> }
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(!drafts.is_empty()).then(|| view! {
            <section aria-labelledby="drafts-heading" class="attention">
                <h2 id="drafts-heading">"Rule drafts waiting to be published"</h2>
                <ul>
                    {drafts.into_iter().map(|(slug, name)| view! {
                        <li><a href=format!("/admin/products/{slug}/rules")>{name}</a></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(!failing_tests.is_empty()).then(|| view! {
            <section aria-labelledby="tests-heading" class="attention">
                <h2 id="tests-heading">"Failing test configurations"</h2>
                <ul>
                    {failing_tests.into_iter().map(|t| view! {
                        <li><a href=format!("/admin/products/{}/rules", t.slug)>{format!("{}: {} — {}", t.product, t.test, t.outcome)}</a></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}
