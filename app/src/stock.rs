//! Stock, in one place: what a set of order lines takes (per option of a configurable product,
//! per product for a simple one), taking it with conditional updates inside the caller's write
//! transaction, giving it back, and how much is left. Placing an order and cancelling one both
//! come here, and the console's stock screen sets levels (`set_level`); nothing else writes stock.

use std::collections::BTreeMap;

use sqlx::{Any, AnyPool, Transaction};

use crate::db::now_ms;
use crate::error::AppError;

/// What one stock row is: an option of a configurable product, or (empty group and option) a
/// simple product's own stock.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StockKey {
    pub product_id: String,
    pub group: String,
    pub option: String,
}

/// A line as stock sees it.
pub struct StockLine<'a> {
    pub product_id: &'a str,
    pub configuration: &'a BTreeMap<String, String>,
    pub quantity: i64,
}

/// Not enough left of one stock row: how many there are (0 = sold out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub key: StockKey,
    pub left: i64,
}

/// Every stock row the lines touch, with the total quantity wanted, in one global order (the
/// map's order) so that concurrent orders take row locks in the same order and cannot deadlock.
pub fn keys<'a>(lines: impl IntoIterator<Item = StockLine<'a>>) -> BTreeMap<StockKey, i64> {
    let mut keys = BTreeMap::new();
    for line in lines {
        if line.configuration.is_empty() {
            *keys
                .entry(StockKey {
                    product_id: line.product_id.to_owned(),
                    group: String::new(),
                    option: String::new(),
                })
                .or_insert(0) += line.quantity;
        }
        for (group, option) in line.configuration {
            if option != "none" {
                *keys
                    .entry(StockKey {
                        product_id: line.product_id.to_owned(),
                        group: group.clone(),
                        option: option.clone(),
                    })
                    .or_insert(0) += line.quantity;
            }
        }
    }
    keys
}

/// Takes stock with conditional updates (`… and quantity >= wanted`): two buyers can never both
/// get the last one, on SQLite or PostgreSQL. On a shortage nothing is taken (the caller rolls
/// the transaction back) and the shortage says how many are left.
#[tracing::instrument(skip_all)]
pub async fn take(
    tx: &mut Transaction<'static, Any>,
    wanted: &BTreeMap<StockKey, i64>,
) -> Result<Result<(), Shortage>, AppError> {
    let now = now_ms();
    for (key, &quantity) in wanted {
        let taken = if key.group.is_empty() {
            sqlx::query(
                "update products set stock = stock - $1, updated_at = $2
                 where id = $3 and stock is not null and stock >= $1",
            )
            .bind(quantity)
            .bind(now)
            .bind(&key.product_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1
        } else {
            sqlx::query(
                "update option_stock set quantity = quantity - $1, updated_at = $2
                 where product_id = $3 and group_id = $4 and option_id = $5 and quantity >= $1",
            )
            .bind(quantity)
            .bind(now)
            .bind(&key.product_id)
            .bind(&key.group)
            .bind(&key.option)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1
        };
        if taken {
            continue;
        }
        // Untracked rows (a made-to-order option, a simple product without stock) never run out.
        match left_in(tx, key).await? {
            None => continue,
            Some(left) => {
                return Ok(Err(Shortage {
                    key: key.clone(),
                    left,
                }));
            }
        }
    }
    Ok(Ok(()))
}

async fn left_in(
    tx: &mut Transaction<'static, Any>,
    key: &StockKey,
) -> Result<Option<i64>, AppError> {
    let left: Option<Option<i64>> = if key.group.is_empty() {
        sqlx::query_scalar("select stock from products where id = $1")
            .bind(&key.product_id)
            .fetch_optional(&mut **tx)
            .await?
    } else {
        sqlx::query_scalar(
            "select quantity from option_stock where product_id = $1 and group_id = $2 and option_id = $3",
        )
        .bind(&key.product_id)
        .bind(&key.group)
        .bind(&key.option)
        .fetch_optional(&mut **tx)
        .await?
        .map(Some)
    };
    Ok(left.flatten().map(|n| n.max(0)))
}

/// Gives back what `wanted` took (an order cancelled, a payment hold released).
#[tracing::instrument(skip_all)]
pub async fn give_back(
    tx: &mut Transaction<'static, Any>,
    wanted: &BTreeMap<StockKey, i64>,
) -> Result<(), AppError> {
    let now = now_ms();
    for (key, &quantity) in wanted {
        if key.group.is_empty() {
            sqlx::query(
                "update products set stock = stock + $1, updated_at = $2 where id = $3 and stock is not null",
            )
            .bind(quantity)
            .bind(now)
            .bind(&key.product_id)
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query(
                "update option_stock set quantity = quantity + $1, updated_at = $2
                 where product_id = $3 and group_id = $4 and option_id = $5",
            )
            .bind(quantity)
            .bind(now)
            .bind(&key.product_id)
            .bind(&key.group)
            .bind(&key.option)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Gives back the stock an order took, from its lines.
#[tracing::instrument(skip_all)]
pub async fn give_back_order(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
) -> Result<(), AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select product_id, configuration, quantity from order_lines where order_id = $1",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut parsed = Vec::with_capacity(rows.len());
    for (product_id, configuration, quantity) in &rows {
        let configuration: BTreeMap<String, String> =
            serde_json::from_str(configuration).map_err(crate::error::internal)?;
        parsed.push((product_id.as_str(), configuration, *quantity));
    }
    let wanted = keys(
        parsed
            .iter()
            .map(|(product_id, configuration, quantity)| StockLine {
                product_id,
                configuration,
                quantity: *quantity,
            }),
    );
    give_back(tx, &wanted).await
}

/// How many are left of each tracked option of a product: (group, option) → quantity. Options
/// without a row are made to order.
#[tracing::instrument(skip_all)]
pub async fn levels(
    pool: &AnyPool,
    product_id: &str,
) -> Result<BTreeMap<(String, String), i64>, AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select group_id, option_id, quantity from option_stock where product_id = $1",
    )
    .bind(product_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(group, option, quantity)| ((group, option), quantity.max(0)))
        .collect())
}

/// Sets a stock row to `to`, but only if it still holds `from` (what the merchandiser saw): an
/// order taking stock meanwhile is never lost under an edit. Otherwise nothing changes and the
/// answer is what it holds now (`None` for a row that does not exist).
pub async fn set_level(
    tx: &mut Transaction<'static, Any>,
    key: &StockKey,
    from: i64,
    to: i64,
) -> Result<Result<(), Option<i64>>, AppError> {
    let now = now_ms();
    let set = if key.group.is_empty() {
        sqlx::query(
            "update products set stock = $1, updated_at = $2
             where id = $3 and stock is not null and stock = $4",
        )
        .bind(to)
        .bind(now)
        .bind(&key.product_id)
        .bind(from)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1
    } else {
        sqlx::query(
            "update option_stock set quantity = $1, updated_at = $2
             where product_id = $3 and group_id = $4 and option_id = $5 and quantity = $6",
        )
        .bind(to)
        .bind(now)
        .bind(&key.product_id)
        .bind(&key.group)
        .bind(&key.option)
        .bind(from)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1
    };
    if set {
        Ok(Ok(()))
    } else {
        Ok(Err(left_in(tx, key).await?))
    }
}
