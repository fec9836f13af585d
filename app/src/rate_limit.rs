//! Fixed-window rate limits kept in the database, so every app server sees the same counts.

use crate::db::now_ms;
use crate::error::AppError;
use sqlx::AnyPool;

pub struct Limit {
    pub max_hits: i64,
    pub window_ms: i64,
}

pub const LOGIN_PER_EMAIL: Limit = Limit {
    max_hits: 5,
    window_ms: 15 * 60 * 1000,
};
pub const LOGIN_PER_CLIENT: Limit = Limit {
    max_hits: 30,
    window_ms: 15 * 60 * 1000,
};
pub const LOOKUP_PER_CLIENT: Limit = Limit {
    max_hits: 10,
    window_ms: 15 * 60 * 1000,
};
pub const LOOKUP_PER_ORDER: Limit = Limit {
    max_hits: 5,
    window_ms: 15 * 60 * 1000,
};

/// Whether `key` has used up its window (without counting this attempt).
pub async fn is_exhausted(pool: &AnyPool, key: &str, limit: &Limit) -> Result<bool, AppError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("select window_start, hits from rate_limits where key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?;
    Ok(
        matches!(row, Some((start, hits)) if start + limit.window_ms > now_ms() && hits >= limit.max_hits),
    )
}

/// Counts one failed attempt against `key`; a window that has passed starts over.
pub async fn record_failure(pool: &AnyPool, key: &str, limit: &Limit) -> Result<(), AppError> {
    let now = now_ms();
    sqlx::query(
        "insert into rate_limits (key, window_start, hits) values ($1, $2, 1)
         on conflict (key) do update set
           hits = case when rate_limits.window_start + $3 > $2 then rate_limits.hits + 1 else 1 end,
           window_start = case when rate_limits.window_start + $3 > $2 then rate_limits.window_start else $2 end",
    )
    .bind(key)
    .bind(now)
    .bind(limit.window_ms)
    .execute(pool)
    .await?;
    Ok(())
}
