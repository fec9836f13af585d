//! Orders on the server: placing one (stock reserved by conditional updates inside one write
//! transaction), who may see it, the lookup with its rate limits, status changes and reorder.

use std::collections::BTreeMap;

use rand::Rng;
use sqlx::{Any, AnyPool, Transaction};

use super::{OrderLineView, OrderStatus, OrderView, normalize_number, timeline};
use crate::catalogue::ssr::{price_configuration, product_by_id};
use crate::checkout::DeliveryForm;
use crate::db::{begin_write, new_id, now_ms};
use crate::error::AppError;
use crate::rate_limit::{self, LOOKUP_PER_CLIENT, LOOKUP_PER_ORDER};
use crate::session::{self, Session};
use crate::state::{AppState, app_state};

/// 32 symbols without 0/O, 1/I: unambiguous when read out. Eight of them carry 40 random bits.
const NUMBER_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn new_order_number() -> String {
    let mut rng = rand::rngs::OsRng;
    let symbols: String = (0..8)
        .map(|_| NUMBER_ALPHABET[rng.gen_range(0..NUMBER_ALPHABET.len())] as char)
        .collect();
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
    pub created_at: i64,
}

pub const ORDER_COLUMNS: &str = "id, number, customer_id, email, full_name, address, city, postal_code, country, \
     payment_method, status, total, currency, stripe_session_id, created_at";

pub async fn order_by_number(pool: &AnyPool, number: &str) -> Result<Option<OrderRow>, AppError> {
    Ok(sqlx::query_as::<_, OrderRow>(&format!(
        "select {ORDER_COLUMNS} from orders where number = $1"
    ))
    .bind(number)
    .fetch_optional(pool)
    .await?)
}

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
}

/// An order line priced and ready to be written.
pub struct PlacedLine {
    pub product_id: String,
    pub product_name: String,
    pub configuration: BTreeMap<String, String>,
    pub summary: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub rule_version: i64,
}

/// Places an order from the visitor's cart (delivery details already validated): prices every line on the server, reserves stock and
/// writes the order in one transaction. Returns the order.
pub async fn place(
    state: &AppState,
    session: &Session,
    delivery: &DeliveryForm,
) -> Result<OrderRow, AppError> {
    let cart_id = session::cart_id(session, false)
        .await?
        .ok_or_else(|| AppError::validation("Your cart is empty."))?;
    let cart_lines = crate::cart::ssr::lines(&state.pool, &cart_id).await?;
    if cart_lines.is_empty() {
        return Err(AppError::validation("Your cart is empty."));
    }
    let mut lines = Vec::new();
    for line in &cart_lines {
        let product = product_by_id(&state.pool, &line.product_id)
            .await?
            .ok_or_else(|| {
                AppError::Conflict("A product in your cart is no longer sold.".into())
            })?;
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&line.configuration).map_err(crate::error::internal)?;
        let priced = price_configuration(state, &product, &configuration)
            .await
            .map_err(|error| {
                AppError::Conflict(format!(
                    "{}: {error} Please update your cart.",
                    product.name
                ))
            })?;
        lines.push(PlacedLine {
            product_id: product.id.clone(),
            product_name: product.name.clone(),
            configuration,
            summary: priced.summary,
            unit_price: priced.unit_price,
            quantity: line.quantity,
            rule_version: product.rule_version,
        });
    }
    let total: i64 = lines
        .iter()
        .map(|line| line.unit_price * line.quantity)
        .sum();

    let mut tx = begin_write(&state.pool).await?;
    reserve_stock(&mut tx, &lines).await?;
    let now = now_ms();
    let order_id = new_id();
    let mut number = new_order_number();
    // 40 random bits make a clash unlikely; checking first keeps the transaction clean if one occurs.
    while sqlx::query_scalar::<_, String>("select id from orders where number = $1")
        .bind(&number)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        number = new_order_number();
    }
    sqlx::query(
        "insert into orders (id, number, customer_id, email, full_name, address, city, postal_code, country,
                             payment_method, status, total, currency, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(&order_id)
    .bind(&number)
    .bind(session.customer.as_ref().map(|c| c.id.clone()))
    .bind(&delivery.email)
    .bind(&delivery.full_name)
    .bind(&delivery.address)
    .bind(&delivery.city)
    .bind(&delivery.postal_code)
    .bind(&delivery.country)
    .bind(&delivery.payment)
    .bind(OrderStatus::Placed.as_str())
    .bind(total)
    .bind(&state.settings.currency)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for (position, line) in lines.iter().enumerate() {
        sqlx::query(
            "insert into order_lines (id, order_id, position, product_id, product_name, configuration, summary,
                                      unit_price, quantity, rule_version)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(&order_id)
        .bind(position as i64)
        .bind(&line.product_id)
        .bind(&line.product_name)
        .bind(serde_json::to_string(&line.configuration).map_err(crate::error::internal)?)
        .bind(&line.summary)
        .bind(line.unit_price)
        .bind(line.quantity)
        .bind(line.rule_version)
        .execute(&mut *tx)
        .await?;
    }
    record_event(&mut tx, &order_id, OrderStatus::Placed, now).await?;
    sqlx::query("insert into order_grants (order_id, token_hash, created_at) values ($1, $2, $3)")
        .bind(&order_id)
        .bind(&session.token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from cart_lines where cart_id = $1")
        .bind(&cart_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(order = %number, total, "order placed");
    order_by_id(&state.pool, &order_id)
        .await?
        .ok_or_else(|| crate::error::internal("order vanished after insert"))
}

/// One stock change: (product, group, option) for configured options, or the product's own stock.
fn stock_keys(lines: &[PlacedLine]) -> BTreeMap<(String, String, String), i64> {
    let mut keys = BTreeMap::new();
    for line in lines {
        if line.configuration.is_empty() {
            *keys
                .entry((line.product_id.clone(), String::new(), String::new()))
                .or_insert(0) += line.quantity;
        }
        for (group, option) in &line.configuration {
            if option != "none" {
                *keys
                    .entry((line.product_id.clone(), group.clone(), option.clone()))
                    .or_insert(0) += line.quantity;
            }
        }
    }
    keys
}

/// Takes stock with conditional updates (`… and quantity >= wanted`): two buyers can never both
/// get the last one, on SQLite or PostgreSQL. Keys are taken in one global order, so concurrent
/// orders cannot deadlock on PostgreSQL.
async fn reserve_stock(
    tx: &mut Transaction<'static, Any>,
    lines: &[PlacedLine],
) -> Result<(), AppError> {
    for ((product, group, option), wanted) in stock_keys(lines) {
        let taken = if group.is_empty() {
            sqlx::query("update products set stock = stock - $1 where id = $2 and stock is not null and stock >= $1")
                .bind(wanted)
                .bind(&product)
                .execute(&mut **tx)
                .await?
                .rows_affected()
                + sqlx::query_scalar::<_, i64>("select count(*) from products where id = $1 and stock is null")
                    .bind(&product)
                    .fetch_one(&mut **tx)
                    .await? as u64
        } else {
            let updated = sqlx::query(
                "update option_stock set quantity = quantity - $1, updated_at = $2
                 where product_id = $3 and group_id = $4 and option_id = $5 and quantity >= $1",
            )
            .bind(wanted)
            .bind(now_ms())
            .bind(&product)
            .bind(&group)
            .bind(&option)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            // An option without a stock row is made to order and never runs out.
            let tracked: i64 = sqlx::query_scalar(
                "select count(*) from option_stock where product_id = $1 and group_id = $2 and option_id = $3",
            )
            .bind(&product)
            .bind(&group)
            .bind(&option)
            .fetch_one(&mut **tx)
            .await?;
            if tracked == 0 { 1 } else { updated }
        };
        if taken == 0 {
            let name: String = sqlx::query_scalar("select name from products where id = $1")
                .bind(&product)
                .fetch_one(&mut **tx)
                .await?;
            return Err(AppError::Conflict(format!(
                "Sorry, part of your {name} has just sold out. Your cart is unchanged; please update the configuration."
            )));
        }
    }
    Ok(())
}

/// Gives back the stock an order reserved (when it is cancelled).
pub async fn release_stock(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
) -> Result<(), AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select product_id, configuration, quantity from order_lines where order_id = $1",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    for (product, configuration, quantity) in rows {
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(&configuration).map_err(crate::error::internal)?;
        if configuration.is_empty() {
            sqlx::query(
                "update products set stock = stock + $1 where id = $2 and stock is not null",
            )
            .bind(quantity)
            .bind(&product)
            .execute(&mut **tx)
            .await?;
        }
        for (group, option) in configuration {
            sqlx::query(
                "update option_stock set quantity = quantity + $1 where product_id = $2 and group_id = $3 and option_id = $4",
            )
            .bind(quantity)
            .bind(&product)
            .bind(&group)
            .bind(&option)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
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
pub async fn change_status(
    pool: &AnyPool,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<bool, AppError> {
    let mut tx = begin_write(pool).await?;
    let now = now_ms();
    let moved =
        sqlx::query("update orders set status = $1, updated_at = $2 where id = $3 and status = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(order_id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    if moved {
        record_event(&mut tx, order_id, to, now).await?;
        if to == OrderStatus::Cancelled {
            release_stock(&mut tx, order_id).await?;
        }
    }
    tx.commit().await?;
    Ok(moved)
}

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
    let lines: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select product_name, summary, quantity, unit_price from order_lines where order_id = $1 order by position",
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
                |(product_name, summary, quantity, unit_price)| OrderLineView {
                    product_name,
                    summary,
                    quantity,
                    unit_price,
                    line_total: unit_price * quantity,
                },
            )
            .collect(),
        total: order.total,
        payment_method: order.payment_method.clone(),
        full_name: order.full_name.clone(),
        ship_to: format!(
            "{}, {} {}, {}",
            order.address, order.postal_code, order.city, order.country
        ),
        placed_at: order.created_at,
    })
}

/// Whether this visitor may see the order: it is theirs, or their session placed or looked it up.
async fn visible_to(pool: &AnyPool, order: &OrderRow, session: &Session) -> Result<bool, AppError> {
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

/// The order page's data; someone else's order looks exactly like one that does not exist.
pub async fn order_for_visitor(number: &str) -> Result<OrderView, AppError> {
    let state = app_state()?;
    let not_found = || {
        AppError::NotFound(
            "We could not find that order. You can look it up with its number and email.".into(),
        )
    };
    let session = session::current().await?.ok_or_else(not_found)?;
    let order = order_by_number(&state.pool, &normalize_number(number))
        .await?
        .ok_or_else(not_found)?;
    if !visible_to(&state.pool, &order, &session).await? {
        return Err(not_found());
    }
    view(&state.pool, &order).await
}

pub const LOOKUP_FAILED: &str = "We could not find an order with that number and email.";

/// Finds an order by number and email. A wrong number and a wrong email give the same answer,
/// and failures count against both the client and the order number.
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
    let client_key = format!("lookup:client:{}", session::client_address());
    let order_key = format!("lookup:order:{number}");
    if rate_limit::is_exhausted(&state.pool, &client_key, &LOOKUP_PER_CLIENT).await?
        || rate_limit::is_exhausted(&state.pool, &order_key, &LOOKUP_PER_ORDER).await?
    {
        return Err(AppError::RateLimited);
    }
    let order = order_by_number(&state.pool, &number).await?;
    let Some(order) = order.filter(|order| order.email.eq_ignore_ascii_case(email)) else {
        rate_limit::record_failure(&state.pool, &client_key, &LOOKUP_PER_CLIENT).await?;
        rate_limit::record_failure(&state.pool, &order_key, &LOOKUP_PER_ORDER).await?;
        // A failed lookup keeps what was typed, so the form can be corrected.
        return Err(AppError::validation(LOOKUP_FAILED)
            .with_values(&[("number", number.as_str()), ("email", email)]));
    };
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

/// Refills the cart from an order; returns how many lines could not be added as they were.
pub async fn reorder(number: &str) -> Result<usize, AppError> {
    let state = app_state()?;
    let not_found = || AppError::NotFound("We could not find that order.".into());
    let session = session::current().await?.ok_or_else(not_found)?;
    let order = order_by_number(&state.pool, &normalize_number(number))
        .await?
        .ok_or_else(not_found)?;
    if !visible_to(&state.pool, &order, &session).await? {
        return Err(not_found());
    }
    let lines: Vec<(String, String, i64)> =
        sqlx::query_as("select product_id, configuration, quantity from order_lines where order_id = $1 order by position")
            .bind(&order.id)
            .fetch_all(&state.pool)
            .await?;
    let mut skipped = 0;
    let mut problems = Vec::new();
    for (product_id, configuration, quantity) in &lines {
        let Some(product) = product_by_id(&state.pool, product_id).await? else {
            skipped += 1;
            continue;
        };
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(configuration).map_err(crate::error::internal)?;
        match crate::cart::ssr::add(&product.slug, configuration, Some(&quantity.to_string())).await
        {
            Ok(()) => {}
            Err(error) => {
                skipped += 1;
                problems.push(format!("{}: {error}", product.name));
            }
        }
    }
    if skipped == lines.len() {
        return Err(AppError::Conflict(format!(
            "Nothing from order {} can be ordered again as it was. {}",
            order.number,
            problems.join(" ")
        )));
    }
    Ok(skipped)
}
