//! Orders on the server: the order record, its status changes (conditional updates, stock given
//! back on cancel, in the caller's transaction when it has one), who may see it, the lookup with
//! its rate limits, and reorder. Placing an order lives in `checkout`.

use std::collections::BTreeMap;

use rand::Rng;
use sqlx::{Any, AnyPool, Transaction};

use super::{OrderLineView, OrderStatus, OrderView, Payment, normalize_number, timeline};
use crate::address::Address;
use crate::catalogue::ssr::product_by_id;
use crate::db::{begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::rate_limit::{self, LOOKUP_PER_CLIENT, LOOKUP_PER_ORDER, LOOKUP_PER_ORDER_CLIENT};
use crate::session::{self, Session};
use crate::state::app_state;

/// 32 symbols without 0/O, 1/I: unambiguous when read out. Eight of them carry 40 random bits.
const NUMBER_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// `count` random symbols of the alphabet without look-alikes (5 bits each): order numbers and
/// the links of saved configurations.
pub fn random_symbols(count: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..count)
        .map(|_| NUMBER_ALPHABET[rng.gen_range(0..NUMBER_ALPHABET.len())] as char)
        .collect()
}

pub fn new_order_number() -> String {
    let symbols = random_symbols(8);
    format!("{}-{}", &symbols[..4], &symbols[4..])
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub customer_id: Option<String>,
    pub email: String,
    pub full_name: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub payment_method: String,
    pub status: String,
    pub total: i64,
    pub currency: String,
    pub stripe_session_id: Option<String>,
    pub stripe_session_url: Option<String>,
    /// Unix seconds at which this attempt's Checkout Session expires.
    pub stripe_expires_at: Option<i64>,
    pub payment_attempt: i64,
    pub payment_due_at: Option<i64>,
    pub created_at: i64,
}

pub const ORDER_COLUMNS: &str = "id, number, customer_id, email, full_name, address, city, postal_code, country, \
     payment_method, status, total, currency, stripe_session_id, stripe_session_url, stripe_expires_at, payment_attempt, payment_due_at, created_at";

#[tracing::instrument(skip_all)]
pub async fn order_by_number(pool: &AnyPool, number: &str) -> Result<Option<OrderRow>, AppError> {
    Ok(sqlx::query_as::<_, OrderRow>(&format!(
        "select {ORDER_COLUMNS} from orders where number = $1"
    ))
    .bind(number)
    .fetch_optional(pool)
    .await?)
}

#[tracing::instrument(skip_all)]
pub async fn order_by_id(pool: &AnyPool, id: &str) -> Result<Option<OrderRow>, AppError> {
    Ok(
        sqlx::query_as::<_, OrderRow>(&format!("select {ORDER_COLUMNS} from orders where id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

impl OrderRow {
    pub fn status(&self) -> OrderStatus {
        OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Placed)
    }

    pub fn address(&self) -> Address {
        Address {
            full_name: self.full_name.clone(),
            street: self.address.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        }
    }

    /// A card order whose payment has not been confirmed yet.
    pub fn awaiting_card_payment(&self) -> bool {
        self.payment_method == "card" && self.status() == OrderStatus::Placed
    }

    pub fn payment(&self) -> Payment {
        match self.payment_method.as_str() {
            "card" if self.awaiting_card_payment() => Payment::CardAwaiting {
                due_at: self.payment_due_at,
                started: self.stripe_session_id.is_some(),
            },
            "card" => Payment::Card,
            _ => Payment::Invoice,
        }
    }
}

pub async fn record_event(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
    status: OrderStatus,
    at: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into order_events (id, order_id, status, created_at) values ($1, $2, $3, $4)",
    )
    .bind(new_id())
    .bind(order_id)
    .bind(status.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves an order from `from` to `to` if it is still at `from` (a conditional update, so two
/// people or two webhook deliveries cannot both move it). Returns whether it moved.
#[tracing::instrument(skip_all)]
pub async fn change_status(
    pool: &AnyPool,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<bool, AppError> {
    let mut tx = begin_write(pool).await?;
    let moved = change_status_in(&mut tx, order_id, from, to).await?;
    tx.commit().await?;
    Ok(moved)
}

/// [`change_status`] inside the caller's transaction, so the change and whatever caused it (a
/// webhook event recorded as handled) commit together or not at all.
pub async fn change_status_in(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<bool, AppError> {
    let now = now_ms();
    let moved = sqlx::query(
        "update orders set status = $1, updated_at = $2, payment_due_at = null
         where id = $3 and status = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(order_id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if moved {
        record_event(tx, order_id, to, now).await?;
        if to == OrderStatus::Cancelled {
            crate::stock::give_back_order(tx, order_id).await?;
        }
    }
    Ok(moved)
}

#[tracing::instrument(skip_all)]
pub async fn view(pool: &AnyPool, order: &OrderRow) -> Result<OrderView, AppError> {
    let events: Vec<(String, i64)> = sqlx::query_as(
        "select status, created_at from order_events where order_id = $1 order by created_at, id",
    )
    .bind(&order.id)
    .fetch_all(pool)
    .await?;
    let events: Vec<(OrderStatus, i64)> = events
        .into_iter()
        .filter_map(|(status, at)| Some((OrderStatus::parse(&status)?, at)))
        .collect();
    let lines: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "select product_name, summary, quantity, unit_price, lead_days from order_lines where order_id = $1 order by position",
    )
    .bind(&order.id)
    .fetch_all(pool)
    .await?;
    Ok(OrderView {
        number: order.number.clone(),
        status: order.status(),
        timeline: timeline(order.status(), &events),
        lines: lines
            .into_iter()
            .map(
                |(product_name, summary, quantity, unit_price, lead_days)| OrderLineView {
                    product_name,
                    summary,
                    quantity,
                    unit_price,
                    line_total: unit_price * quantity,
                    lead_days: u32::try_from(lead_days).unwrap_or(0),
                },
            )
            .collect(),
        total: order.total,
        payment: order.payment(),
        email: order.email.clone(),
        address: order.address(),
        placed_at: order.created_at,
    })
}

/// Whether this visitor may see the order: it is theirs, or their session placed or looked it up.
pub async fn visible_to(
    pool: &AnyPool,
    order: &OrderRow,
    session: &Session,
) -> Result<bool, AppError> {
    if let (Some(owner), Some(customer)) = (&order.customer_id, &session.customer)
        && (owner == &customer.id || customer.is_merchandiser())
    {
        return Ok(true);
    }
    let granted: Option<String> = sqlx::query_scalar(
        "select order_id from order_grants where order_id = $1 and token_hash = $2",
    )
    .bind(&order.id)
    .bind(&session.token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(granted.is_some())
}

fn order_not_found() -> AppError {
    AppError::NotFound(
        "We could not find that order. You can look it up with its number and email.".into(),
    )
}

/// The visitor's own order by number; someone else's order looks exactly like one that does not
/// exist.
#[tracing::instrument(skip_all)]
pub async fn visible_order(number: &str) -> Result<OrderRow, AppError> {
    let state = app_state()?;
    let session = session::current().await?.ok_or_else(order_not_found)?;
    let order = order_by_number(&state.pool, &normalize_number(number))
        .await?
        .ok_or_else(order_not_found)?;
    if !visible_to(&state.pool, &order, &session).await? {
        return Err(order_not_found());
    }
    Ok(order)
}

/// The order page's data.
#[tracing::instrument(skip_all)]
pub async fn order_for_visitor(number: &str) -> Result<OrderView, AppError> {
    let state = app_state()?;
    let order = visible_order(number).await?;
    view(&state.pool, &order).await
}

pub const LOOKUP_FAILED: &str = "We could not find an order with that number and email.";

/// Finds an order by number and email. A wrong number and a wrong email give the same answer,
/// and failures count against both the client and the order number.
#[tracing::instrument(skip_all)]
pub async fn lookup(number: &str, email: &str) -> Result<String, AppError> {
    let state = app_state()?;
    let number = normalize_number(number);
    let email = email.trim();
    let mut fields = BTreeMap::new();
    if number.is_empty() {
        fields.insert("number".to_owned(), "Enter your order number.".to_owned());
    }
    if email.is_empty() {
        fields.insert(
            "email".to_owned(),
            "Enter the email you ordered with.".to_owned(),
        );
    }
    if !fields.is_empty() {
        return Err(AppError::Validation {
            message: "Please fill in both fields.".into(),
            fields,
            values: BTreeMap::from([
                ("number".into(), number),
                ("email".into(), email.to_owned()),
            ]),
        });
    }
    let client = session::client_address();
    let order_client_key = rate_limit::key("lookup:order-client", &[&number, &client]);
    let client_key = rate_limit::key("lookup:client", &[&client]);
    let order_key = rate_limit::key("lookup:order", &[&number]);
    // Every attempt is counted before it is checked (one atomic statement), so parallel guesses
    // cannot pass the limit; a correct lookup takes its count back. Refusals are per client:
    // someone guessing cannot lock the owner out of their own order.
    if !rate_limit::try_hit(&state.pool, &order_client_key, &LOOKUP_PER_ORDER_CLIENT).await?
        || !rate_limit::try_hit(&state.pool, &client_key, &LOOKUP_PER_CLIENT).await?
    {
        return Err(AppError::RateLimited);
    }
    let order_hits = rate_limit::hit(&state.pool, &order_key, &LOOKUP_PER_ORDER).await?;
    tokio::time::sleep(rate_limit::slow_down(order_hits, &LOOKUP_PER_ORDER)).await;
    let order = order_by_number(&state.pool, &number).await?;
    let Some(order) = order.filter(|order| order.email.eq_ignore_ascii_case(email)) else {
        // A failed lookup keeps what was typed, so the form can be corrected.
        return Err(AppError::validation(LOOKUP_FAILED)
            .with_values(&[("number", number.as_str()), ("email", email)]));
    };
    rate_limit::clear(&state.pool, &order_client_key).await?;
    rate_limit::forgive(&state.pool, &client_key).await?;
    rate_limit::forgive(&state.pool, &order_key).await?;
    let session = session::ensure().await?;
    sqlx::query(
        "insert into order_grants (order_id, token_hash, created_at) values ($1, $2, $3)
         on conflict (order_id, token_hash) do nothing",
    )
    .bind(&order.id)
    .bind(&session.token_hash)
    .bind(now_ms())
    .execute(&state.pool)
    .await?;
    Ok(order.number)
}

/// Refills the cart from an order. Lines that cannot be added as they were (no longer sold,
/// rules or stock changed) are skipped; the cart shows which and why.
#[tracing::instrument(skip_all)]
pub async fn reorder(number: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let order = visible_order(number).await?;
    let lines: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select product_id, product_name, configuration, quantity from order_lines where order_id = $1 order by position",
    )
    .bind(&order.id)
    .fetch_all(&state.pool)
    .await?;
    let mut problems = Vec::new();
    for (product_id, product_name, configuration, quantity) in &lines {
        let Some(product) = product_by_id(&state.pool, product_id).await? else {
            problems.push(format!("{product_name} is no longer sold."));
            continue;
        };
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(configuration).map_err(crate::error::internal)?;
        if let Err(error) = crate::cart::ssr::add(
            &product.slug,
            configuration,
            Some(&quantity.to_string()),
            Default::default(),
        )
        .await
        {
            let reason = error.to_string();
            problems.push(if reason.contains(&product.name) {
                reason
            } else {
                format!("{}: {reason}", product.name)
            });
        }
    }
    if problems.len() == lines.len() {
        return Err(AppError::Conflict(format!(
            "Nothing from order {} can be ordered again as it was. {}",
            order.number,
            problems.join(" ")
        )));
    }
    if !problems.is_empty() {
        let notice = format!(
            "{} of the {} items of order {} could not be added again: {}",
            problems.len(),
            lines.len(),
            order.number,
            problems.join(" ")
        );
        crate::cart::ssr::set_notice(&notice).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_number_symbols_are_spread_evenly_over_the_alphabet() {
        let mut counts = [0u32; 32];
        for _ in 0..10_000 {
            let number = new_order_number();
            assert_eq!(number.len(), 9);
            for symbol in number.bytes().filter(|&b| b != b'-') {
                let at = NUMBER_ALPHABET.iter().position(|&a| a == symbol).unwrap();
                counts[at] += 1;
            }
        }
        // 80,000 symbols: 2,500 expected per symbol, standard deviation about 49.
        for (at, count) in counts.iter().enumerate() {
            assert!(
                (2_200..2_800).contains(count),
                "{} appeared {count} times",
                NUMBER_ALPHABET[at] as char
            );
        }
    }
}
