//! Saved configurations on the server: storing, re-checking against today's rules, ownership
//! (a customer's own, or a guest's kept with their cart and moved into the account at login)
//! and the comparison.

use std::collections::BTreeMap;

use super::{CompareColumn, CompareView, MAX_COMPARED, MAX_NAME, SavedSummary, SavedView, Today};
use crate::catalogue::ssr::{
    ProductRow, configurator, price_configuration, product_by_id, product_by_slug,
};
use crate::catalogue::{QuoteLine, product_href};
use crate::db::now_ms;
use crate::error::AppError;
use crate::money::format_price;
use crate::rate_limit::{self, Limit};
use crate::session::{self, Session};
use crate::state::{AppState, app_state};

/// Saves from one client: plenty for a person comparing, not for a script filling the table.
const SAVES_PER_CLIENT: Limit = Limit {
    max_hits: 30,
    window_ms: 15 * 60 * 1000,
};

/// Link ids: 8 symbols of the order numbers' alphabet without look-alikes (40 random bits).
fn new_link_id() -> String {
    crate::orders::ssr::random_symbols(8)
}

#[derive(sqlx::FromRow)]
struct SavedRow {
    id: String,
    product_id: String,
    rule_version: i64,
    configuration: String,
    name: String,
    price: i64,
    customer_id: Option<String>,
    cart_id: Option<String>,
    created_at: i64,
}

const COLUMNS: &str =
    "id, product_id, rule_version, configuration, name, price, customer_id, cart_id, created_at";

async fn row(state: &AppState, id: &str) -> Result<Option<SavedRow>, AppError> {
    Ok(sqlx::query_as::<_, SavedRow>(&format!(
        "select {COLUMNS} from saved_configurations where id = $1"
    ))
    .bind(id.trim().to_ascii_uppercase())
    .fetch_optional(&state.pool)
    .await?)
}

fn not_found() -> AppError {
    AppError::NotFound("We could not find that saved configuration.".into())
}

/// Whether the visitor owns the saved configuration.
fn owns(session: Option<&Session>, row: &SavedRow) -> bool {
    match session {
        Some(Session {
            customer: Some(customer),
            ..
        }) => row.customer_id.as_deref() == Some(customer.id.as_str()),
        Some(session) => {
            row.customer_id.is_none()
                && row.cart_id.is_some()
                && row.cart_id.as_deref() == session.cart_id.as_deref()
        }
        None => false,
    }
}

#[tracing::instrument(skip_all)]
pub async fn save(slug: &str, configuration: BTreeMap<String, String>) -> Result<String, AppError> {
    let state = app_state()?;
    let client = session::client_address();
    if !rate_limit::try_hit(
        &state.pool,
        &rate_limit::key("save:client", &[&client]),
        &SAVES_PER_CLIENT,
    )
    .await?
    {
        return Err(AppError::RateLimited);
    }
    let product = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    // Only what can be ordered today is saved, at the price the server gives it.
    let priced = price_configuration(&state, &product, &configuration).await?;
    let session = session::ensure().await?;
    let (customer_id, cart_id) = match &session.customer {
        Some(customer) => (Some(customer.id.clone()), None),
        None => (None, session::cart_id(&session, true).await?),
    };
    let json = serde_json::to_string(&configuration).map_err(crate::error::internal)?;
    let now = now_ms();
    for _ in 0..5 {
        let id = new_link_id();
        let inserted = sqlx::query(
            "insert into saved_configurations (id, product_id, rule_version, configuration, name, price,
                                               customer_id, cart_id, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&product.id)
        .bind(product.rule_version)
        .bind(&json)
        .bind(&product.name)
        .bind(priced.unit_price)
        .bind(&customer_id)
        .bind(&cart_id)
        .bind(now)
        .execute(&state.pool)
        .await;
        match inserted {
            Ok(_) => return Ok(id),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(crate::error::internal("no free link id after 5 tries"))
}

/// (group name, option name) for each group of the configuration, in the rule set's order.
async fn rows(
    state: &AppState,
    product: &ProductRow,
    configuration: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, AppError> {
    let engine = configurator(state, product).await?;
    Ok(crate::catalogue::assess::named_options(
        &engine,
        configuration,
    ))
}

/// The saved configuration against today's rules, stock and prices.
async fn today(
    state: &AppState,
    product: &ProductRow,
    configuration: &BTreeMap<String, String>,
    saved_price: i64,
    saved_version: i64,
) -> Result<Today, AppError> {
    let mut changes = Vec::new();
    if product.rule_version != saved_version {
        changes.push("The options for this product have changed since it was saved.".to_owned());
    }
    let mut still_fine = configuration.clone();
    let (price, lines, lead_days) = match price_configuration(state, product, configuration).await {
        Ok(priced) => {
            if priced.unit_price != saved_price {
                changes.push(format!(
                    "The price changed from {} to {} since it was saved.",
                    format_price(saved_price),
                    format_price(priced.unit_price)
                ));
            }
            (Some(priced.unit_price), priced.lines, priced.lead_days)
        }
        Err(AppError::Validation {
            message, fields, ..
        }) => {
            changes.push(message);
            // The repair: keep every choice the rules and stock still allow; the product page
            // completes the rest.
            for field in fields.keys() {
                if let Some(group) = field
                    .strip_prefix("configuration[")
                    .and_then(|f| f.strip_suffix(']'))
                {
                    still_fine.remove(group);
                }
            }
            (None, Vec::<QuoteLine>::new(), 0)
        }
        Err(AppError::Conflict(message)) => {
            changes.push(message);
            (None, Vec::new(), 0)
        }
        Err(error) => return Err(error),
    };
    Ok(Today {
        price,
        lines,
        lead_days,
        rule_version: product.rule_version,
        changes,
        configure_href: product_href(&product.slug, &still_fine, None),
    })
}

#[tracing::instrument(skip_all)]
pub async fn view(id: &str) -> Result<SavedView, AppError> {
    let state = app_state()?;
    let saved = row(&state, id).await?.ok_or_else(not_found)?;
    let product = product_by_id(&state.pool, &saved.product_id)
        .await?
        .ok_or_else(not_found)?;
    let configuration: BTreeMap<String, String> =
        serde_json::from_str(&saved.configuration).map_err(crate::error::internal)?;
    let session = session::current().await?;
    Ok(SavedView {
        mine: owns(session.as_ref(), &saved),
        now: today(
            &state,
            &product,
            &configuration,
            saved.price,
            saved.rule_version,
        )
        .await?,
        rows: rows(&state, &product, &configuration).await?,
        id: saved.id,
        name: saved.name,
        slug: product.slug,
        product_name: product.name,
        configuration,
        saved_price: saved.price,
        saved_at: saved.created_at,
        rule_version: saved.rule_version,
    })
}

#[tracing::instrument(skip_all)]
pub async fn mine() -> Result<Vec<SavedSummary>, AppError> {
    let state = app_state()?;
    let Some(session) = session::current().await? else {
        return Ok(Vec::new());
    };
    let (column, owner) = match (&session.customer, &session.cart_id) {
        (Some(customer), _) => ("customer_id", customer.id.clone()),
        (None, Some(cart)) => ("cart_id", cart.clone()),
        (None, None) => return Ok(Vec::new()),
    };
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(&format!(
        "select s.id, s.name, p.name, s.price, s.created_at
         from saved_configurations s join products p on p.id = s.product_id
         where s.{column} = $1 order by s.created_at desc, s.id limit 100"
    ))
    .bind(owner)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, product_name, saved_price, saved_at)| SavedSummary {
                id,
                name,
                product_name,
                saved_price,
                saved_at,
            },
        )
        .collect())
}

/// The saved configuration, if the visitor owns it: others get "not found" whether or not it
/// exists, so owners' links cannot be probed for.
async fn owned(state: &AppState, id: &str) -> Result<SavedRow, AppError> {
    let saved = row(state, id).await?.ok_or_else(not_found)?;
    let session = session::current().await?;
    if owns(session.as_ref(), &saved) {
        Ok(saved)
    } else {
        Err(AppError::Forbidden)
    }
}

#[tracing::instrument(skip_all)]
pub async fn rename(id: &str, name: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let saved = owned(&state, id).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::field(
            "name",
            format!("A name is 1 to {MAX_NAME} characters, on one line."),
        ));
    }
    sqlx::query("update saved_configurations set name = $1, updated_at = $2 where id = $3")
        .bind(name)
        .bind(now_ms())
        .bind(&saved.id)
        .execute(&state.pool)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete(id: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let saved = owned(&state, id).await?;
    sqlx::query("delete from saved_configurations where id = $1")
        .bind(&saved.id)
        .execute(&state.pool)
        .await?;
    Ok(())
}

/// At login, a guest's saved configurations move into the account with their cart.
pub async fn adopt(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    guest_cart: &str,
    customer_id: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "update saved_configurations set customer_id = $1, cart_id = null, updated_at = $2
         where cart_id = $3 and customer_id is null",
    )
    .bind(customer_id)
    .bind(now_ms())
    .bind(guest_cart)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One comparison column for a configuration of a product.
async fn column(
    state: &AppState,
    product: &ProductRow,
    configuration: &BTreeMap<String, String>,
    title: String,
    href: String,
) -> Result<CompareColumn, AppError> {
    let priced = price_configuration(state, product, configuration).await;
    let rows = rows(state, product, configuration).await?;
    let (price, lines, lead_days, problem) = match priced {
        Ok(p) => (Some(p.unit_price), p.lines, p.lead_days, None),
        Err(
            error @ (AppError::Validation { .. } | AppError::Conflict(_) | AppError::NotFound(_)),
        ) => (None, Vec::new(), 0, Some(error.to_string())),
        Err(error) => return Err(error),
    };
    Ok(CompareColumn {
        title,
        product_name: product.name.clone(),
        href,
        options: rows,
        price,
        lines,
        lead_days,
        problem,
    })
}

#[tracing::instrument(skip_all)]
pub async fn compare(
    ids: &[String],
    slug: Option<&str>,
    configuration: BTreeMap<String, String>,
) -> Result<CompareView, AppError> {
    let state = app_state()?;
    let mut columns = Vec::new();
    let mut ids: Vec<String> = ids.to_vec();
    if let Some(slug) = slug {
        let product = product_by_slug(&state.pool, slug)
            .await?
            .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
        let href = product_href(slug, &configuration, None);
        columns.push(
            column(
                &state,
                &product,
                &configuration,
                "Your current configuration".into(),
                href,
            )
            .await?,
        );
        // From a product page: with the visitor's own most recent saved configurations.
        if ids.is_empty() {
            ids = mine()
                .await?
                .into_iter()
                .take(MAX_COMPARED - 1)
                .map(|s| s.id)
                .collect();
        }
    }
    for id in ids.iter().take(MAX_COMPARED - columns.len()) {
        let saved = row(&state, id).await?.ok_or_else(not_found)?;
        let product = product_by_id(&state.pool, &saved.product_id)
            .await?
            .ok_or_else(not_found)?;
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&saved.configuration).map_err(crate::error::internal)?;
        let title = saved.name.clone();
        columns.push(
            column(
                &state,
                &product,
                &configuration,
                title,
                format!("/c/{}", saved.id),
            )
            .await?,
        );
    }
    if columns.len() < 2 {
        return Err(AppError::validation(
            "Choose at least two configurations to compare: save one first, then compare it with another.",
        ));
    }
    let mut groups: Vec<String> = Vec::new();
    for column in &columns {
        for (group, _) in &column.options {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
    }
    Ok(CompareView { columns, groups })
}
