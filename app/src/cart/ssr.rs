//! Cart storage and pricing on the server. A quantity is never more than the stock left.

use std::collections::BTreeMap;

use sqlx::AnyPool;

use super::{CartLineView, CartView, MAX_QUANTITY, parse_quantity};
use crate::catalogue::ssr::{price_configuration, product_by_id, product_by_slug};
use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::money::format_price;
use crate::session;
use crate::state::{AppState, app_state};

#[derive(sqlx::FromRow)]
pub struct CartLineRow {
    pub id: String,
    pub product_id: String,
    pub configuration: String,
    pub quantity: i64,
    /// The rule version and unit price the buyer saw when adding the line.
    pub rule_version: Option<i64>,
    pub unit_price: Option<i64>,
}

impl CartLineRow {
    /// What changed since the buyer added this line, when its price did: "The options for
    /// Made-to-order bicycle changed since you added it: it now costs €X (it was €Y)."
    pub fn changed(&self, product: &crate::catalogue::ssr::ProductRow, now: i64) -> Option<String> {
        let was = self.unit_price?;
        let version_changed = self.rule_version.is_some_and(|v| v != product.rule_version);
        (was != now).then(|| {
            format!(
                "The {} for {} changed since you added it: it now costs {} (it was {}).",
                if version_changed { "options" } else { "price" },
                product.name,
                format_price(now),
                format_price(was)
            )
        })
    }
}

pub async fn lines(pool: &AnyPool, cart_id: &str) -> Result<Vec<CartLineRow>, AppError> {
    Ok(sqlx::query_as::<_, CartLineRow>(
        "select id, product_id, configuration, quantity, rule_version, unit_price from cart_lines
         where cart_id = $1 order by created_at, id",
    )
    .bind(cart_id)
    .fetch_all(pool)
    .await?)
}

/// How many of `configuration` can be ordered today, if stock limits it, and the stock row that
/// does ("Frame: Carbon race"), or the product itself for a simple product.
#[tracing::instrument(skip_all)]
pub async fn stock_limit(
    state: &AppState,
    product: &crate::catalogue::ssr::ProductRow,
    configuration: &BTreeMap<String, String>,
) -> Result<Option<(i64, String)>, AppError> {
    if configuration.is_empty() {
        return Ok(product
            .stock
            .map(|stock| (stock.max(0), product.name.clone())));
    }
    let levels = crate::stock::levels(&state.pool, &product.id).await?;
    let engine = crate::catalogue::ssr::configurator(state, product).await?;
    let mut limit: Option<(i64, String)> = None;
    for (group, option) in configuration {
        if let Some(&left) = levels.get(&(group.clone(), option.clone()))
            && limit.as_ref().is_none_or(|(min, _)| left < *min)
        {
            limit = Some((
                left,
                crate::catalogue::ssr::option_label(engine.rules(), group, option),
            ));
        }
    }
    Ok(limit)
}

/// The quantity refused with "Only N left" when stock is short.
fn check_stock(wanted: i64, limit: &Option<(i64, String)>) -> Result<(), AppError> {
    match limit {
        Some((0, what)) => Err(AppError::field("quantity", format!("{what} is sold out."))),
        Some((left, what)) if wanted > *left => Err(AppError::field(
            "quantity",
            format!("Only {left} left of {what}: choose at most {left}."),
        )),
        _ => Ok(()),
    }
}

/// Prices every line of a cart against today's rules and stock.
#[tracing::instrument(skip_all)]
pub async fn view(state: &AppState, cart_id: &str) -> Result<CartView, AppError> {
    let mut view = CartView {
        notice: sqlx::query_scalar::<_, Option<String>>("select notice from carts where id = $1")
            .bind(cart_id)
            .fetch_optional(&state.pool)
            .await?
            .flatten(),
        ..CartView::default()
    };
    for line in lines(&state.pool, cart_id).await? {
        let Some(product) = product_by_id(&state.pool, &line.product_id).await? else {
            continue;
        };
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&line.configuration).map_err(crate::error::internal)?;
        let (unit_price, summary, lead_days, mut problem) =
            match price_configuration(state, &product, &configuration).await {
                Ok(priced) => (priced.unit_price, priced.summary, priced.lead_days, None),
                Err(error) => (0, String::new(), 0, Some(error.to_string())),
            };
        let changed = problem
            .is_none()
            .then(|| line.changed(&product, unit_price))
            .flatten();
        let limit = stock_limit(state, &product, &configuration).await?;
        if problem.is_none()
            && let Err(error) = check_stock(line.quantity, &limit)
        {
            problem = error.field_message("quantity");
        }
        view.total += unit_price * line.quantity;
        view.lines.push(CartLineView {
            id: line.id,
            slug: product.slug,
            product_name: product.name,
            summary,
            configuration,
            quantity: line.quantity,
            unit_price,
            line_total: unit_price * line.quantity,
            max_quantity: limit.map(|(left, _)| left.min(MAX_QUANTITY)),
            problem,
            changed,
            lead_days,
        });
    }
    Ok(view)
}

#[tracing::instrument(skip_all)]
pub async fn current_cart() -> Result<CartView, AppError> {
    let state = app_state()?;
    let Some(session) = session::current().await? else {
        return Ok(CartView::default());
    };
    match session::cart_id(&session, false).await? {
        Some(cart_id) => view(&state, &cart_id).await,
        None => Ok(CartView::default()),
    }
}

/// What the buyer's page showed when they added: the rule version its engine used and the price
/// it quoted. Either differing from today's refuses the add, so nothing is added at a price the
/// buyer did not see.
#[derive(Debug, Default, Clone, Copy)]
pub struct Seen {
    pub rule_version: Option<i64>,
    pub quote: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn add(
    slug: &str,
    configuration: BTreeMap<String, String>,
    quantity: Option<&str>,
    seen: Seen,
) -> Result<(), AppError> {
    let state = app_state()?;
    let quantity = parse_quantity(quantity)?;
    let product = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    let priced = price_configuration(&state, &product, &configuration).await;
    if seen
        .rule_version
        .is_some_and(|version| version != product.rule_version)
    {
        let now = match &priced {
            Ok(priced) => format!(
                "This configuration now costs {}{}.",
                format_price(priced.unit_price),
                seen.quote
                    .filter(|quote| *quote != priced.unit_price)
                    .map(|quote| format!(" (the page showed {})", format_price(quote)))
                    .unwrap_or_default()
            ),
            Err(error) => error.to_string(),
        };
        return Err(AppError::Conflict(format!(
            "The options for {} changed while you were choosing. {now} The page now shows today's options: please check your configuration and add it again.",
            product.name
        )));
    }
    let priced = priced?;
    if let Some(quote) = seen.quote
        && quote != priced.unit_price
    {
        return Err(AppError::Conflict(format!(
            "The price of this configuration is now {} (the page showed {}). Please check it and add it again.",
            format_price(priced.unit_price),
            format_price(quote)
        )));
    }
    let limit = stock_limit(&state, &product, &configuration).await?;
    check_stock(quantity, &limit)?;
    let session = session::ensure().await?;
    let cart_id = session::cart_id(&session, true)
        .await?
        .ok_or_else(|| crate::error::internal("cart missing after creation"))?;
    let configuration = serde_json::to_string(&configuration).map_err(crate::error::internal)?;
    let now = now_ms();
    // The same configuration twice is one line with a larger quantity.
    let existing: Option<(String, i64)> = sqlx::query_as(
        "select id, quantity from cart_lines where cart_id = $1 and product_id = $2 and configuration = $3",
    )
    .bind(&cart_id)
    .bind(&product.id)
    .bind(&configuration)
    .fetch_optional(&state.pool)
    .await?;
    match existing {
        Some((line, current)) => {
            let total = (current + quantity).min(MAX_QUANTITY);
            check_stock(total, &limit)?;
            // The buyer has just seen today's price for it.
            sqlx::query(
                "update cart_lines set quantity = $1, updated_at = $2, rule_version = $3, unit_price = $4
                 where id = $5",
            )
            .bind(total)
            .bind(now)
            .bind(product.rule_version)
            .bind(priced.unit_price)
            .bind(&line)
                .execute(&state.pool)
                .await?;
        }
        None => {
            sqlx::query(
                "insert into cart_lines (id, cart_id, product_id, configuration, quantity, created_at, updated_at,
                                         rule_version, unit_price)
                 values ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(&cart_id)
            .bind(&product.id)
            .bind(&configuration)
            .bind(quantity)
            .bind(now)
            .bind(product.rule_version)
            .bind(priced.unit_price)
            .execute(&state.pool)
            .await?;
        }
    }
    touch(&state.pool, &cart_id).await
}

/// Marks the cart as used now and drops its notice (what it said is out of date).
async fn touch(pool: &AnyPool, cart_id: &str) -> Result<(), AppError> {
    sqlx::query("update carts set updated_at = $1, notice = null where id = $2")
        .bind(now_ms())
        .bind(cart_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Leaves a notice for the cart page (e.g. which lines a reorder could not add again).
pub async fn set_notice(notice: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let cart_id = own_cart().await?;
    sqlx::query("update carts set notice = $1, updated_at = $2 where id = $3")
        .bind(notice)
        .bind(now_ms())
        .bind(&cart_id)
        .execute(&state.pool)
        .await?;
    Ok(())
}

/// The visitor's own cart id; a line id from another cart simply matches nothing.
async fn own_cart() -> Result<String, AppError> {
    let session = session::current()
        .await?
        .ok_or_else(|| AppError::NotFound("Your cart is empty.".into()))?;
    session::cart_id(&session, false)
        .await?
        .ok_or_else(|| AppError::NotFound("Your cart is empty.".into()))
}

#[tracing::instrument(skip_all)]
pub async fn update_quantity(line: &str, quantity: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let quantity = parse_quantity(Some(quantity))?;
    let cart_id = own_cart().await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "select product_id, configuration from cart_lines where id = $1 and cart_id = $2",
    )
    .bind(line)
    .bind(&cart_id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((product_id, configuration)) = row else {
        return Err(AppError::NotFound(
            "That item is no longer in your cart.".into(),
        ));
    };
    if let Some(product) = product_by_id(&state.pool, &product_id).await? {
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&configuration).map_err(crate::error::internal)?;
        let limit = stock_limit(&state, &product, &configuration).await?;
        check_stock(quantity, &limit)?;
    }
    let updated = sqlx::query(
        "update cart_lines set quantity = $1, updated_at = $2 where id = $3 and cart_id = $4",
    )
    .bind(quantity)
    .bind(now_ms())
    .bind(line)
    .bind(&cart_id)
    .execute(&state.pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound(
            "That item is no longer in your cart.".into(),
        ));
    }
    touch(&state.pool, &cart_id).await
}

#[tracing::instrument(skip_all)]
pub async fn remove(line: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let cart_id = own_cart().await?;
    sqlx::query("delete from cart_lines where id = $1 and cart_id = $2")
        .bind(line)
        .bind(&cart_id)
        .execute(&state.pool)
        .await?;
    touch(&state.pool, &cart_id).await
}
