//! The console's stock screen: every tracked stock row (a simple product's own stock, or an
//! option of a configurable one) on one page, filtered to "low" or "sold out", each edited in
//! place. An edit names the level the merchandiser saw, so an order that took stock meanwhile is
//! never overwritten: the edit is refused with the level now (409). Every change is audited.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::ConsoleNav;
use crate::components::{ErrorBox, LoadError, action_error};
use crate::error::AppError;

/// The most a stock level may be set to.
pub const MAX_LEVEL: i64 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    pub slug: String,
    pub product: String,
    /// Empty for a simple product's own stock.
    pub group: String,
    pub option: String,
    /// "Frame: Carbon race", or empty for a simple product.
    pub label: String,
    pub left: i64,
}

#[server(endpoint = "admin_stock")]
pub async fn admin_stock(filter: String) -> Result<Vec<StockRow>, AppError> {
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("filter", &filter, 20)?;
    let state = crate::state::app_state()?;
    Ok(ssr::rows(&state)
        .await?
        .into_iter()
        .filter(|row| ssr::shown(&filter, row.left))
        .collect())
}

/// Sets one stock row from `from` (the level the screen showed) to `to`.
#[server(endpoint = "set_stock")]
pub async fn set_stock(
    slug: String,
    group: String,
    option: String,
    from: i64,
    to: String,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("group", &group, 100)?;
    crate::limits::check_len("option", &option, 100)?;
    let to = match to.trim().parse::<i64>() {
        Ok(n) if (0..=MAX_LEVEL).contains(&n) => n,
        _ => {
            return Err(AppError::field(
                "to",
                format!("Enter a whole number from 0 to {MAX_LEVEL}."),
            ));
        }
    };
    let state = crate::state::app_state()?;
    ssr::set(&state, &merchandiser, &slug, &group, &option, from, to).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::StockRow;
    use crate::catalogue::ssr::option_label;
    use crate::db::begin_write;
    use crate::error::AppError;
    use crate::session::Customer;
    use crate::state::AppState;
    use crate::stock::{StockKey, set_level};

    type OptionRow = (String, String, Option<String>, String, String, i64);

    /// Whether a row with `left` belongs under the screen's filter: "low", "sold-out", or
    /// anything else for all.
    pub fn shown(filter: &str, left: i64) -> bool {
        match filter {
            "low" => left > 0 && left <= crate::catalogue::assess::SCARCE,
            "sold-out" => left <= 0,
            _ => true,
        }
    }

    pub async fn rows(state: &AppState) -> Result<Vec<StockRow>, AppError> {
        let simple: Vec<(String, String, i64)> = sqlx::query_as(
            "select slug, name, stock from products where stock is not null order by position, name",
        )
        .fetch_all(&state.pool)
        .await?;
        let options: Vec<OptionRow> = sqlx::query_as(
            "select p.slug, p.name, p.rule_set, s.group_id, s.option_id, s.quantity
             from option_stock s join products p on p.id = s.product_id
             order by p.position, p.name, s.group_id, s.option_id",
        )
        .fetch_all(&state.pool)
        .await?;
        let mut rows: Vec<StockRow> = simple
            .into_iter()
            .map(|(slug, product, left)| StockRow {
                slug,
                product,
                group: String::new(),
                option: String::new(),
                label: String::new(),
                left,
            })
            .collect();
        // Each product's rules are read once, for the options' names.
        let mut rules = std::collections::BTreeMap::<String, Option<configurator::RuleSet>>::new();
        for (slug, product, rule_set, group, option, left) in options {
            let parsed = rules.entry(slug.clone()).or_insert_with(|| {
                rule_set.and_then(|json| crate::admin::rules::parse_rules(&json).ok())
            });
            let label = match parsed {
                Some(parsed) => option_label(parsed, &group, &option),
                None => format!("{group}: {option}"),
            };
            rows.push(StockRow {
                slug,
                product,
                group,
                option,
                label,
                left,
            });
        }
        Ok(rows)
    }

    pub async fn set(
        state: &AppState,
        merchandiser: &Customer,
        slug: &str,
        group: &str,
        option: &str,
        from: i64,
        to: i64,
    ) -> Result<(), AppError> {
        let product: Option<(String, String)> =
            sqlx::query_as("select id, name from products where slug = $1")
                .bind(slug)
                .fetch_optional(&state.pool)
                .await?;
        let (product_id, name) =
            product.ok_or_else(|| AppError::NotFound("There is no such product.".into()))?;
        let key = StockKey {
            product_id,
            group: group.to_owned(),
            option: option.to_owned(),
        };
        let what = if group.is_empty() {
            name
        } else {
            format!("{name} ({group}: {option})")
        };
        let mut tx = begin_write(&state.pool).await?;
        match set_level(&mut tx, &key, from, to).await? {
            Ok(()) => {}
            Err(None) => {
                return Err(AppError::NotFound(format!("{what} has no stock to set.")));
            }
            Err(Some(now)) => {
                return Err(AppError::Conflict(format!(
                    "The stock of {what} changed while you were editing: it is {now} now (the screen showed {from}). Nothing was changed; enter the new level again."
                )));
            }
        }
        let entity_id = if group.is_empty() {
            slug.to_owned()
        } else {
            format!("{slug} {group}/{option}")
        };
        crate::admin::audit::ssr::audit(
            &mut tx,
            merchandiser,
            "stock",
            &entity_id,
            "level set",
            Some(&from.to_string()),
            Some(&to.to_string()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(by = %merchandiser.id, stock = %entity_id, from, to, "stock level set");
        Ok(())
    }
}

#[component]
pub fn AdminStockPage() -> impl IntoView {
    let query = use_query_map();
    let set = ServerAction::<SetStock>::new();
    let error = action_error(set);
    let filter = move || query.read().get("filter").unwrap_or_default();
    let rows = Resource::new(
        move || (filter(), set.version().get()),
        |(filter, _)| admin_stock(filter),
    );
    let tab = move |value: &'static str, label: &'static str| {
        let href = if value.is_empty() {
            "/admin/stock".to_owned()
        } else {
            format!("/admin/stock?filter={value}")
        };
        view! {
            <a href=href aria-current=move || (filter() == value).then_some("page")>{label}</a>
        }
    };
    view! {
        <Title text="Stock — Atelier console" />
        <section class="panel wide">
            <ConsoleNav />
            <h1>"Stock"</h1>
            <nav class="filter-tabs" aria-label="Show">
                {tab("", "All")}
                {tab("low", "Low")}
                {tab("sold-out", "Sold out")}
            </nav>
            <ErrorBox error />
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading stock…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) if rows.is_empty() => view! { <p>"Nothing to show here."</p> }.into_any(),
                        Ok(rows) => view! {
                            <div class="table-scroll">
                                <table class="stock-table">
                                    <thead><tr><th scope="col">"Product"</th><th scope="col">"Option"</th><th scope="col">"Left"</th><th scope="col">"New level"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| {
                                            let what = if row.label.is_empty() { row.product.clone() } else { format!("{} — {}", row.product, row.label) };
                                            let id = format!("level-{}-{}-{}", row.slug, row.group, row.option);
                                            view! {
                                                <tr class:sold-out=row.left <= 0>
                                                    <th scope="row">{row.product.clone()}</th>
                                                    <td>{row.label.clone()}</td>
                                                    <td data-testid="left">{if row.left <= 0 { "Sold out".to_owned() } else { row.left.to_string() }}</td>
                                                    <td>
                                                        <ActionForm action=set attr:class="inline-form">
                                                            <input type="hidden" name="slug" value=row.slug.clone() />
                                                            <input type="hidden" name="group" value=row.group.clone() />
                                                            <input type="hidden" name="option" value=row.option.clone() />
                                                            <input type="hidden" name="from" value=row.left />
                                                            <label class="sr-only" for=id.clone()>{format!("New level for {what}")}</label>
                                                            <input id=id name="to" type="number" min="0" max=MAX_LEVEL inputmode="numeric" value=row.left.max(0) class="level-input" />
                                                            <button type="submit" class="button secondary">"Save"<span class="sr-only">{format!(" {what}")}</span></button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <LoadError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
