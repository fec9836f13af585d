//! Placing an order, the one place it happens: the cart is priced on the server, then in one
//! write transaction the cart is locked, re-read and compared with what was priced, stock is
//! taken, the order is written and the cart emptied. The checkout form's idempotency key makes a
//! repeat return the order it already made, so a double click, a retry on a slow network or a
//! dropped connection after the commit all end on one order.

use std::collections::BTreeMap;

use sqlx::{Any, Transaction};

use super::{Delivery, PaymentMethod};
use crate::catalogue::ssr::{configurator, option_label, price_configuration, product_by_id};
use crate::db::{Backend, begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::orders::OrderStatus;
use crate::orders::ssr::{OrderRow, new_order_number, order_by_id, record_event, visible_to};
use crate::session::{self, Session};
use crate::state::AppState;
use crate::stock::{self, StockLine};

/// An order line priced and ready to be written, with the cart line it came from.
struct PricedLine {
    cart_line: String,
    product_id: String,
    product_name: String,
    configuration: BTreeMap<String, String>,
    configuration_json: String,
    summary: String,
    unit_price: i64,
    quantity: i64,
    rule_version: i64,
    lead_days: u32,
    /// What changed since the buyer added it (see `CartLineRow::changed`).
    changed: Option<String>,
}

fn empty_cart() -> AppError {
    AppError::validation("Your cart is empty.")
}

#[tracing::instrument(skip_all)]
/// Places the visitor's cart as an order, or returns the order this checkout form (its key)
/// already made.
pub async fn place(
    state: &AppState,
    session: &Session,
    delivery: &Delivery,
    checkout_key: Option<&str>,
) -> Result<OrderRow, AppError> {
    let checkout_key = checkout_key.map(str::trim).filter(|key| !key.is_empty());
    // The order a post of this very form made, if one did (checked again wherever a post of it
    // may have committed since).
    let repeat = || async {
        match checkout_key {
            Some(key) => order_for_key(state, session, key).await,
            None => Ok(None),
        }
    };
    if let Some(order) = repeat().await? {
        return Ok(order);
    }
    let repeat_or_empty = || async { repeat().await?.ok_or_else(empty_cart) };
    let Some(cart_id) = session::cart_id(session, false).await? else {
        return repeat_or_empty().await;
    };
    let priced = price_cart(state, &cart_id).await?;
    if priced.is_empty() {
        return repeat_or_empty().await;
    }
    // New rules or prices since a line was added: nothing is ordered at a price the buyer has
    // not seen. They are told, the lines now remember today's price, and placing the order
    // again (having read it) goes through.
    let changed: Vec<&PricedLine> = priced.iter().filter(|l| l.changed.is_some()).collect();
    if !changed.is_empty() {
        let mut tx = begin_write(&state.pool).await?;
        for line in &changed {
            sqlx::query("update cart_lines set rule_version = $1, unit_price = $2 where id = $3")
                .bind(line.rule_version)
                .bind(line.unit_price)
                .bind(&line.cart_line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let messages: Vec<&str> = changed
            .iter()
            .filter_map(|l| l.changed.as_deref())
            .collect();
        return Err(AppError::Conflict(format!(
            "{} Nothing was ordered: please check the new total and place the order again.",
            messages.join(" ")
        )));
    }

    let mut tx = begin_write(&state.pool).await?;
    // Two checkouts of one cart run one after the other (SQLite's `begin immediate` already
    // serialises every writer).
    if Backend::of_pool(&state.pool) == Backend::Postgres {
        sqlx::query("select id from carts where id = $1 for update")
            .bind(&cart_id)
            .fetch_optional(&mut *tx)
            .await?;
    }
    // Inside the lock: a post of the same form may have committed while this one waited.
    if let Some(key) = checkout_key {
        let existing: Option<String> =
            sqlx::query_scalar("select id from orders where checkout_key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_some() {
            tx.rollback().await?;
            return repeat()
                .await?
                .ok_or_else(|| crate::error::internal("order of a checkout key vanished"));
        }
    }
    // The cart emptied must be the cart priced: same lines, same quantities.
    let now_in_cart: Vec<(String, i64, String)> = sqlx::query_as(
        "select id, quantity, configuration from cart_lines where cart_id = $1 order by created_at, id",
    )
    .bind(&cart_id)
    .fetch_all(&mut *tx)
    .await?;
    let priced_lines: Vec<(String, i64, String)> = priced
        .iter()
        .map(|line| {
            (
                line.cart_line.clone(),
                line.quantity,
                line.configuration_json.clone(),
            )
        })
        .collect();
    if now_in_cart != priced_lines {
        tx.rollback().await?;
        if now_in_cart.is_empty() {
            return repeat_or_empty().await;
        }
        return Err(AppError::Conflict(
            "Your cart changed while the order was being placed. Please check it and place the order again."
                .into(),
        ));
    }
    let wanted = stock::keys(priced.iter().map(|line| StockLine {
        product_id: &line.product_id,
        configuration: &line.configuration,
        quantity: line.quantity,
    }));
    if let Err(shortage) = stock::take(&mut tx, &wanted).await? {
        tx.rollback().await?;
        return Err(shortage_message(state, &shortage).await);
    }
    let order_id = write_order(&mut tx, state, session, delivery, checkout_key, &priced).await?;
    let deleted = sqlx::query("delete from cart_lines where cart_id = $1")
        .bind(&cart_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted != priced.len() as u64 {
        tx.rollback().await?;
        return Err(AppError::Conflict(
            "Your cart changed while the order was being placed. Please check it and place the order again."
                .into(),
        ));
    }
    sqlx::query("update carts set notice = null, updated_at = $1 where id = $2")
        .bind(now_ms())
        .bind(&cart_id)
        .execute(&mut *tx)
        .await?;
    match tx.commit().await {
        Ok(()) => {}
        // PostgreSQL: a post of the same form on another app server won the unique key.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return repeat().await?.ok_or_else(form_used);
        }
        Err(error) => return Err(error.into()),
    }
    let order = order_by_id(&state.pool, &order_id)
        .await?
        .ok_or_else(|| crate::error::internal("order vanished after insert"))?;
    tracing::info!(order = %order.number, total = order.total, payment = %order.payment_method, "order placed");
    Ok(order)
}

fn form_used() -> AppError {
    AppError::Conflict("This checkout form was already used. Please reload the page.".into())
}

/// The order a checkout key already made, if this visitor may see it.
async fn order_for_key(
    state: &AppState,
    session: &Session,
    key: &str,
) -> Result<Option<OrderRow>, AppError> {
    let id: Option<String> = sqlx::query_scalar("select id from orders where checkout_key = $1")
        .bind(key)
        .fetch_optional(&state.pool)
        .await?;
    let Some(id) = id else { return Ok(None) };
    let Some(order) = order_by_id(&state.pool, &id).await? else {
        return Ok(None);
    };
    if visible_to(&state.pool, &order, session).await? {
        Ok(Some(order))
    } else {
        Err(form_used())
    }
}

/// Prices every cart line with today's rules (engine work, before the transaction).
#[tracing::instrument(skip_all)]
async fn price_cart(state: &AppState, cart_id: &str) -> Result<Vec<PricedLine>, AppError> {
    let mut priced = Vec::new();
    for line in crate::cart::ssr::lines(&state.pool, cart_id).await? {
        let product = product_by_id(&state.pool, &line.product_id)
            .await?
            .ok_or_else(|| {
                AppError::Conflict("A product in your cart is no longer sold.".into())
            })?;
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&line.configuration).map_err(crate::error::internal)?;
        let quote = price_configuration(state, &product, &configuration)
            .await
            .map_err(|error| {
                AppError::Conflict(format!(
                    "{}: {}. Please update your cart.",
                    product.name,
                    error.to_string().trim_end_matches('.')
                ))
            })?;
        let changed = line.changed(&product, quote.unit_price);
        priced.push(PricedLine {
            changed,
            cart_line: line.id,
            product_id: product.id.clone(),
            product_name: product.name.clone(),
            configuration,
            configuration_json: line.configuration,
            summary: quote.summary,
            unit_price: quote.unit_price,
            quantity: line.quantity,
            rule_version: product.rule_version,
            lead_days: quote.lead_days,
        });
    }
    Ok(priced)
}

/// "Only 2 left of Frame: Carbon race", or sold out when none are left.
async fn shortage_message(state: &AppState, shortage: &stock::Shortage) -> AppError {
    let product = product_by_id(&state.pool, &shortage.key.product_id)
        .await
        .ok()
        .flatten();
    let what = match &product {
        Some(product) if shortage.key.group.is_empty() => product.name.clone(),
        Some(product) => match configurator(state, product).await {
            Ok(engine) => option_label(engine.rules(), &shortage.key.group, &shortage.key.option),
            Err(_) => product.name.clone(),
        },
        None => "an item in your cart".to_owned(),
    };
    AppError::Conflict(if shortage.left == 0 {
        format!(
            "Sorry, {what} has just sold out. Your cart is unchanged; please update the configuration."
        )
    } else {
        format!(
            "Only {} left of {what}. Your cart is unchanged; please lower the quantity.",
            shortage.left
        )
    })
}

async fn write_order(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    session: &Session,
    delivery: &Delivery,
    checkout_key: Option<&str>,
    lines: &[PricedLine],
) -> Result<String, AppError> {
    let now = now_ms();
    let order_id = new_id();
    let total: i64 = lines
        .iter()
        .map(|line| line.unit_price * line.quantity)
        .sum();
    let mut number = new_order_number();
    // 40 random bits make a clash unlikely; checking first keeps the transaction clean if one occurs.
    while sqlx::query_scalar::<_, String>("select id from orders where number = $1")
        .bind(&number)
        .fetch_optional(&mut **tx)
        .await?
        .is_some()
    {
        number = new_order_number();
    }
    let payment_due_at = (delivery.payment == PaymentMethod::Card)
        .then(|| now + state.settings.payment_hold.as_millis() as i64);
    let address = &delivery.address;
    sqlx::query(
        "insert into orders (id, number, customer_id, email, full_name, address, city, postal_code, country,
                             payment_method, status, total, currency, checkout_key, payment_due_at,
                             created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
    )
    .bind(&order_id)
    .bind(&number)
    .bind(session.customer.as_ref().map(|c| c.id.clone()))
    .bind(delivery.email.as_str())
    .bind(&address.full_name)
    .bind(&address.street)
    .bind(&address.city)
    .bind(&address.postal_code)
    .bind(&address.country)
    .bind(delivery.payment.as_str())
    .bind(OrderStatus::Placed.as_str())
    .bind(total)
    .bind(&state.settings.currency)
    .bind(checkout_key)
    .bind(payment_due_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for (position, line) in lines.iter().enumerate() {
        sqlx::query(
            "insert into order_lines (id, order_id, position, product_id, product_name, configuration, summary,
                                      unit_price, quantity, rule_version, lead_days)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new_id())
        .bind(&order_id)
        .bind(position as i64)
        .bind(&line.product_id)
        .bind(&line.product_name)
        .bind(&line.configuration_json)
        .bind(&line.summary)
        .bind(line.unit_price)
        .bind(line.quantity)
        .bind(line.rule_version)
        .bind(i64::from(line.lead_days))
        .execute(&mut **tx)
        .await?;
    }
    record_event(tx, &order_id, OrderStatus::Placed, now).await?;
    sqlx::query("insert into order_grants (order_id, token_hash, created_at) values ($1, $2, $3)")
        .bind(&order_id)
        .bind(&session.token_hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(order_id)
}
