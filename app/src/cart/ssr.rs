//! Cart storage and pricing on the server.

use std::collections::BTreeMap;

use sqlx::AnyPool;

use super::{CartLineView, CartView, MAX_QUANTITY, parse_quantity};
use crate::catalogue::ssr::{price_configuration, product_by_id, product_by_slug};
use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::session;
use crate::state::{AppState, app_state};

#[derive(sqlx::FromRow)]
pub struct CartLineRow {
    pub id: String,
    pub product_id: String,
    pub configuration: String,
    pub quantity: i64,
}

pub async fn lines(pool: &AnyPool, cart_id: &str) -> Result<Vec<CartLineRow>, AppError> {
    Ok(sqlx::query_as::<_, CartLineRow>(
        "select id, product_id, configuration, quantity from cart_lines where cart_id = $1 order by created_at, id",
    )
    .bind(cart_id)
    .fetch_all(pool)
    .await?)
}

/// Prices every line of a cart against today's rules and stock.
pub async fn view(state: &AppState, cart_id: &str) -> Result<CartView, AppError> {
    let mut view = CartView::default();
    for line in lines(&state.pool, cart_id).await? {
        let Some(product) = product_by_id(&state.pool, &line.product_id).await? else {
            continue;
        };
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&line.configuration).map_err(crate::error::internal)?;
        let (unit_price, summary, problem) =
            match price_configuration(state, &product, &configuration).await {
                Ok(priced) => (priced.unit_price, priced.summary, None),
                Err(error) => (0, String::new(), Some(error.to_string())),
            };
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
            problem,
        });
    }
    Ok(view)
}

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

pub async fn add(
    slug: &str,
    configuration: BTreeMap<String, String>,
    quantity: Option<&str>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let quantity = parse_quantity(quantity)?;
    let product = product_by_slug(&state.pool, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("We could not find that product.".into()))?;
    price_configuration(&state, &product, &configuration).await?;
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
            sqlx::query("update cart_lines set quantity = $1, updated_at = $2 where id = $3")
                .bind((current + quantity).min(MAX_QUANTITY))
                .bind(now)
                .bind(&line)
                .execute(&state.pool)
                .await?;
        }
        None => {
            sqlx::query(
                "insert into cart_lines (id, cart_id, product_id, configuration, quantity, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(new_id())
            .bind(&cart_id)
            .bind(&product.id)
            .bind(&configuration)
            .bind(quantity)
            .bind(now)
            .execute(&state.pool)
            .await?;
        }
    }
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

pub async fn update_quantity(line: &str, quantity: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let quantity = parse_quantity(Some(quantity))?;
    let cart_id = own_cart().await?;
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
    Ok(())
}

pub async fn remove(line: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let cart_id = own_cart().await?;
    sqlx::query("delete from cart_lines where id = $1 and cart_id = $2")
        .bind(line)
        .bind(&cart_id)
        .execute(&state.pool)
        .await?;
    Ok(())
}
