//! Fixed-window rate limits kept in the database, so every app server sees the same counts.
//!
//! Counting and checking are one statement (`insert … on conflict do update … returning hits`),
//! so parallel attempts cannot all see "under the limit" before any of them is recorded. Keys
//! are hashed: a key built from what a client typed (an email) has a fixed size however long the
//! input was.

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::db::now_ms;
use crate::error::AppError;

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_hits: i64,
    pub window_ms: i64,
}

const MINUTE: i64 = 60 * 1000;

/// Login attempts for one account from one client: the owner on another client is unaffected.
pub const LOGIN_PER_ACCOUNT_CLIENT: Limit = Limit {
    max_hits: 5,
    window_ms: 15 * MINUTE,
};
/// Login attempts from one client, whatever the account.
pub const LOGIN_PER_CLIENT: Limit = Limit {
    max_hits: 30,
    window_ms: 15 * MINUTE,
};
/// Failed logins for one account from anywhere: beyond this each attempt is slowed, never refused.
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max_hits: 10,
    window_ms: 15 * MINUTE,
};
pub const REGISTER_PER_CLIENT: Limit = Limit {
    max_hits: 10,
    window_ms: 60 * MINUTE,
};
pub const LOOKUP_PER_CLIENT: Limit = Limit {
    max_hits: 10,
    window_ms: 15 * MINUTE,
};
pub const LOOKUP_PER_ORDER_CLIENT: Limit = Limit {
    max_hits: 5,
    window_ms: 15 * MINUTE,
};
/// Failed lookups of one order number from anywhere: beyond this, slowed, never refused.
pub const LOOKUP_PER_ORDER: Limit = Limit {
    max_hits: 5,
    window_ms: 15 * MINUTE,
};

/// Changes made in the console by one merchandiser (saves, moves, publishes, uploads): far more
/// than a person makes, few enough that a runaway script or a stolen session cannot flood the
/// shared database or the engine's pool. Reading the console is not counted.
pub const CONSOLE_CHANGES_PER_MERCHANDISER: Limit = Limit {
    max_hits: 120,
    window_ms: MINUTE,
};
/// Server-side help searches from one client (the browser searches in wasm; these are pages
/// without JavaScript and the fallback): a reader never comes near it, a flood of searches that
/// each record a gap does.
pub const HELP_SEARCH_PER_CLIENT: Limit = Limit {
    max_hits: 120,
    window_ms: MINUTE,
};
/// "Did this answer your question?" answers from one client, whatever the session: a visitor
/// who drops their cookie gets a new session, not unlimited votes.
pub const HELP_VOTES_PER_CLIENT: Limit = Limit {
    max_hits: 60,
    window_ms: 10 * MINUTE,
};
/// "Call me" requests from one client.
pub const CALLBACK_PER_CLIENT: Limit = Limit {
    max_hits: 5,
    window_ms: 60 * MINUTE,
};
/// The longest window of any limit: rows older than this mean nothing and are deleted.
pub const LONGEST_WINDOW_MS: i64 = 60 * MINUTE;

/// The stored form of a key: `scope:` plus a hash of the parts.
pub fn key(scope: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    format!("{scope}:{}", hex::encode(&hasher.finalize()[..16]))
}

/// Counts one attempt against `key` and returns how many the current window holds, this one
/// included; a window that has passed starts over. Atomic on both backends.
#[tracing::instrument(skip_all)]
pub async fn hit(pool: &AnyPool, key: &str, limit: &Limit) -> Result<i64, AppError> {
    let now = now_ms();
    let hits: i64 = sqlx::query_scalar(
        "insert into rate_limits (key, window_start, hits) values ($1, $2, 1)
         on conflict (key) do update set
           hits = case when rate_limits.window_start + $3 > $2 then rate_limits.hits + 1 else 1 end,
           window_start = case when rate_limits.window_start + $3 > $2 then rate_limits.window_start else $2 end
         returning hits",
    )
    .bind(key)
    .bind(now)
    .bind(limit.window_ms)
    .fetch_one(pool)
    .await?;
    Ok(hits)
}

/// Counts the attempt and says whether it is within the limit.
pub async fn try_hit(pool: &AnyPool, key: &str, limit: &Limit) -> Result<bool, AppError> {
    Ok(hit(pool, key, limit).await? <= limit.max_hits)
}

/// Counts the attempt; `RateLimited` past the limit.
pub async fn check(pool: &AnyPool, key: &str, limit: &Limit) -> Result<(), AppError> {
    if try_hit(pool, key, limit).await? {
        Ok(())
    } else {
        Err(AppError::RateLimited)
    }
}

/// Counts one request of `scope` from this request's client (its address, as
/// [`crate::session::client_address`] reads it); `RateLimited` past the limit.
pub async fn check_client(pool: &AnyPool, scope: &str, limit: &Limit) -> Result<(), AppError> {
    check(
        pool,
        &key(scope, &[&crate::session::client_address()]),
        limit,
    )
    .await
}

/// Counts one console change by the merchandiser `customer_id`: `RateLimited` past
/// [`CONSOLE_CHANGES_PER_MERCHANDISER`].
pub async fn console_change(pool: &AnyPool, customer_id: &str) -> Result<(), AppError> {
    check(
        pool,
        &key("console:change", &[customer_id]),
        &CONSOLE_CHANGES_PER_MERCHANDISER,
    )
    .await
}

/// Takes back one counted attempt (it succeeded, so it was no guess).
pub async fn forgive(pool: &AnyPool, key: &str) -> Result<(), AppError> {
    sqlx::query("update rate_limits set hits = hits - 1 where key = $1 and hits > 0")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets every attempt against `key` (the owner proved who they are).
pub async fn clear(pool: &AnyPool, key: &str) -> Result<(), AppError> {
    sqlx::query("delete from rate_limits where key = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// How long to slow an attempt down when `hits` is past the limit: a quarter second more per
/// attempt beyond it, at most three seconds. Slowing instead of refusing means an attacker
/// cannot lock the owner out, while guessing gets expensive.
pub fn slow_down(hits: i64, limit: &Limit) -> std::time::Duration {
    let over = (hits - limit.max_hits).max(0) as u64;
    std::time::Duration::from_millis((over * 250).min(3000))
}

/// Deletes windows that have passed; safe to run on every app server at once.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(pool: &AnyPool) -> Result<u64, AppError> {
    Ok(
        sqlx::query("delete from rate_limits where window_start < $1")
            .bind(now_ms() - LONGEST_WINDOW_MS)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_fixed_size_whatever_was_typed() {
        let short = key("login:account", &["a@b.c"]);
        let long = key("login:account", &[&"x".repeat(2_000_000)]);
        assert_eq!(short.len(), long.len());
        assert_ne!(key("k", &["ab", "c"]), key("k", &["a", "bc"]));
    }

    #[test]
    fn slowing_down_grows_then_stops_growing() {
        let limit = LOGIN_PER_ACCOUNT;
        assert_eq!(slow_down(limit.max_hits, &limit).as_millis(), 0);
        assert_eq!(slow_down(limit.max_hits + 2, &limit).as_millis(), 500);
        assert_eq!(slow_down(10_000, &limit).as_millis(), 3000);
    }
}
