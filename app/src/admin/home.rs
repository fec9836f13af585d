//! The console's home page: what needs a merchandiser's attention now. Orders waiting for
//! their next step, stock that is low or gone, products with rule drafts waiting, and test
//! configurations that fail against the rules they will be published with.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::ConsoleNav;
use crate::components::LoadError;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockAlert {
    pub product: String,
    /// "Frame: Carbon race", or empty for a simple product.
    pub option: String,
    pub left: i64,
}

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
    pub stock: Vec<StockAlert>,
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
    use super::{Attention, StockAlert, TestAlert};
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

        let mut stock = Vec::new();
        let simple: Vec<(String, i64)> = sqlx::query_as(
            "select name, stock from products where stock is not null and stock <= $1 order by stock, name",
        )
        .bind(SCARCE)
        .fetch_all(&state.pool)
        .await?;
        stock.extend(simple.into_iter().map(|(product, left)| StockAlert {
            product,
            option: String::new(),
            left,
        }));
        let options: Vec<(String, Option<String>, String, String, i64)> = sqlx::query_as(
            "select p.name, p.rule_set, s.group_id, s.option_id, s.quantity
             from option_stock s join products p on p.id = s.product_id
             where s.quantity <= $1 order by s.quantity, p.name",
        )
        .bind(SCARCE)
        .fetch_all(&state.pool)
        .await?;
        for (product, rules, group, option, left) in options {
            stock.push(StockAlert {
                option: option_name(rules.as_deref(), &group, &option),
                product,
                left,
            });
        }

        let drafts: Vec<(String, String)> = sqlx::query_as(
            "select p.slug, p.name from rule_drafts d join products p on p.id = d.product_id order by p.name",
        )
        .fetch_all(&state.pool)
        .await?;

        let mut failing_tests = Vec::new();
        let with_tests: Vec<(String,)> = sqlx::query_as(
            "select distinct p.slug from test_configurations t join products p on p.id = t.product_id",
        )
        .fetch_all(&state.pool)
        .await?;
        for (slug,) in with_tests {
            let view = super::super::rules::ssr::rules_view(state, &slug).await?;
            for outcome in view.tests.into_iter().filter(|t| !t.passes) {
                failing_tests.push(TestAlert {
                    slug: slug.clone(),
                    product: view.name.clone(),
                    test: outcome.test.name,
                    outcome: outcome.outcome,
                });
            }
        }
        Ok(Attention {
            waiting,
            stock,
            drafts,
            failing_tests,
        })
    }

    /// "Frame: Carbon race" from the product's rules, or the ids when they do not say.
    fn option_name(rules: Option<&str>, group: &str, option: &str) -> String {
        rules
            .and_then(|json| serde_json::from_str::<configurator::RuleSet>(json).ok())
            .and_then(|rules| {
                let g = rules.groups.into_iter().find(|g| g.id == group)?;
                let o = g.options.iter().find(|o| o.id == option)?;
                Some(format!("{}: {}", g.name, o.name))
            })
            .unwrap_or_else(|| format!("{group}: {option}"))
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
                        let what = if s.option.is_empty() { s.product.clone() } else { format!("{} — {}", s.product, s.option) };
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
