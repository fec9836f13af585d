//! Sessions live in the database (so several app servers can share them): the cookie holds a
//! random token, the table only its SHA-256. A guest gets a session the first time they put
//! something in a cart; logging in replaces the token (no fixation) and moves the guest's cart,
//! and the orders the guest placed or looked up, over to the account.

use axum::http::{HeaderValue, header};
use cookie::{Cookie, SameSite};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::state::{AppState, app_state};

pub const COOKIE: &str = "atelier_session";
/// A customer's session lasts a month, a guest's two weeks (a guest cart older than that is
/// abandoned and cleaned up).
const LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;
const GUEST_LIFETIME_MS: i64 = 14 * 24 * 3600 * 1000;
/// A session token is 64 hex characters; anything else in the cookie is not one of ours.
const TOKEN_LEN: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: String,
}

impl Customer {
    pub fn is_merchandiser(&self) -> bool {
        self.role == "merchandiser"
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: String,
    pub customer: Option<Customer>,
    pub cart_id: Option<String>,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The value of the request's cookie `name`, if any.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    cookie_in(&parts.headers, name)
}

/// The value of cookie `name` among `headers`, if any.
pub fn cookie_in(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

fn valid_token(token: String) -> Option<String> {
    Some(token)
        .filter(|token| token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn request_token() -> Option<String> {
    request_cookie(COOKIE).and_then(valid_token)
}

/// The signed-in customer of a request handled outside leptos (an upload), from its headers.
pub async fn customer_of(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<Option<Customer>, AppError> {
    let Some(token) = cookie_in(headers, COOKIE).and_then(valid_token) else {
        return Ok(None);
    };
    Ok(load(state, &hash_token(&token))
        .await?
        .and_then(|session| session.customer))
}

/// The visitor's session, if the request carries a live one.
#[tracing::instrument(skip_all)]
pub async fn current() -> Result<Option<Session>, AppError> {
    let Some(token) = request_token() else {
        return Ok(None);
    };
    let state = app_state()?;
    load(&state, &hash_token(&token)).await
}

async fn load(state: &AppState, token_hash: &str) -> Result<Option<Session>, AppError> {
    let row = sqlx::query(
        "select s.token_hash, s.cart_id, c.id as customer_id, c.email, c.full_name, c.role
         from sessions s left join customers c on c.id = s.customer_id
         where s.token_hash = $1 and s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(&state.pool)
    .await?;
    Ok(row.map(|row| {
        let customer_id: Option<String> = row.get("customer_id");
        Session {
            token_hash: row.get("token_hash"),
            cart_id: row.get("cart_id"),
            customer: customer_id.map(|id| Customer {
                id,
                email: row.get("email"),
                full_name: row.get("full_name"),
                role: row.get("role"),
            }),
        }
    }))
}

/// The visitor's session, creating a guest session (and cookie) when there is none.
pub async fn ensure() -> Result<Session, AppError> {
    if let Some(session) = current().await? {
        return Ok(session);
    }
    create(None).await
}

/// A new session for `customer` (or a guest), replacing the visitor's current one. When a guest
/// logs in or registers, the orders their guest session placed or looked up move with them:
/// the grants go to the new session and unclaimed orders join the account. Only the grant
/// decides, never a matching email.
#[tracing::instrument(skip_all)]
pub async fn create(customer_id: Option<&str>) -> Result<Session, AppError> {
    let state = app_state()?;
    let token = hex::encode(rand::rngs::OsRng.r#gen::<[u8; 32]>());
    let token_hash = hash_token(&token);
    let now = now_ms();
    let lifetime = if customer_id.is_some() {
        LIFETIME_MS
    } else {
        GUEST_LIFETIME_MS
    };
    let mut tx = crate::db::begin_write(&state.pool).await?;
    sqlx::query(
        "insert into sessions (token_hash, customer_id, cart_id, created_at, expires_at)
         values ($1, $2, null, $3, $4)",
    )
    .bind(&token_hash)
    .bind(customer_id)
    .bind(now)
    .bind(now + lifetime)
    .execute(&mut *tx)
    .await?;
    if let Some(old) = request_token() {
        let old = hash_token(&old);
        if let Some(customer_id) = customer_id {
            sqlx::query(
                "update orders set customer_id = $1, updated_at = $2
                 where customer_id is null and id in (select order_id from order_grants where token_hash = $3)",
            )
            .bind(customer_id)
            .bind(now)
            .bind(&old)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("update order_grants set token_hash = $1 where token_hash = $2")
            .bind(&token_hash)
            .bind(&old)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(&old)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    set_cookie(&state, &token, lifetime / 1000);
    load(&state, &token_hash)
        .await?
        .ok_or_else(|| crate::error::internal("session vanished after insert"))
}

/// Logs out: the session row goes, the cookie is cleared.
#[tracing::instrument(skip_all)]
pub async fn end() -> Result<(), AppError> {
    let state = app_state()?;
    if let Some(token) = request_token() {
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(hash_token(&token))
            .execute(&state.pool)
            .await?;
    }
    set_cookie(&state, "", 0);
    Ok(())
}

fn set_cookie(state: &AppState, token: &str, max_age_s: i64) {
    let cookie = Cookie::build((COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .max_age(cookie::time::Duration::seconds(max_age_s))
        .build();
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie.to_string()),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Deletes expired sessions, guest carts no live session holds that nobody touched for the
/// guest lifetime, and grants of sessions that are gone. Every statement is idempotent, so all
/// app servers may run it at once.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(pool: &sqlx::AnyPool) -> Result<u64, AppError> {
    let now = now_ms();
    let mut deleted = sqlx::query("delete from sessions where expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
    let abandoned = "select c.id from carts c
         where c.customer_id is null and c.updated_at < $1
           and not exists (select 1 from sessions s where s.cart_id = c.id)";
    deleted += sqlx::query(&format!(
        "delete from cart_lines where cart_id in ({abandoned})"
    ))
    .bind(now - GUEST_LIFETIME_MS)
    .execute(pool)
    .await?
    .rows_affected();
    deleted += sqlx::query(&format!("delete from carts where id in ({abandoned})"))
        .bind(now - GUEST_LIFETIME_MS)
        .execute(pool)
        .await?
        .rows_affected();
    deleted += sqlx::query(
        "delete from order_grants where created_at < $1
           and not exists (select 1 from sessions s where s.token_hash = order_grants.token_hash)",
    )
    .bind(now - LIFETIME_MS)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(deleted)
}

pub async fn require_customer() -> Result<Customer, AppError> {
    current()
        .await?
        .and_then(|session| session.customer)
        .ok_or(AppError::Unauthenticated)
}

/// Every merchandiser server function starts here: the check is on the server, never only in the UI.
pub async fn require_merchandiser() -> Result<Customer, AppError> {
    let customer = require_customer().await?;
    if customer.is_merchandiser() {
        Ok(customer)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A merchandiser about to change something in the console: as [`require_merchandiser`], and
/// counted against their rate limit of changes (`RateLimited`, 429, past it).
pub async fn require_merchandiser_change() -> Result<Customer, AppError> {
    let customer = require_merchandiser().await?;
    crate::rate_limit::console_change(&app_state()?.pool, &customer.id).await?;
    Ok(customer)
}

/// Whether the visitor is a signed-in merchandiser (who may see what buyers cannot yet).
pub async fn viewer_is_merchandiser() -> Result<bool, AppError> {
    Ok(current()
        .await?
        .and_then(|session| session.customer)
        .is_some_and(|customer| customer.is_merchandiser()))
}

/// The client's address: the connection's peer, or what a trusted proxy says it forwarded
/// (never a header from anyone else; see `client`).
pub fn client_address() -> String {
    let trusted = with_context::<AppState, _>(|state| state.settings.trusted_proxies.clone())
        .unwrap_or_default();
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            let peer = parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
                .0
                .ip();
            Some(crate::client::client_ip(peer, &parts.headers, &trusted).to_string())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The cart this visitor is filling: the customer's own cart when logged in, else the guest
/// session's. Created on first use when `create_missing`.
#[tracing::instrument(skip_all)]
pub async fn cart_id(session: &Session, create_missing: bool) -> Result<Option<String>, AppError> {
    let state = app_state()?;
    if let Some(customer) = &session.customer {
        let found: Option<String> =
            sqlx::query_scalar("select id from carts where customer_id = $1")
                .bind(&customer.id)
                .fetch_optional(&state.pool)
                .await?;
        if found.is_some() || !create_missing {
            return Ok(found);
        }
        let id = new_id();
        let now = now_ms();
        sqlx::query(
            "insert into carts (id, customer_id, created_at, updated_at) values ($1, $2, $3, $3)",
        )
        .bind(&id)
        .bind(&customer.id)
        .bind(now)
        .execute(&state.pool)
        .await?;
        return Ok(Some(id));
    }
    if session.cart_id.is_some() || !create_missing {
        return Ok(session.cart_id.clone());
    }
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into carts (id, customer_id, created_at, updated_at) values ($1, null, $2, $2)",
    )
    .bind(&id)
    .bind(now)
    .execute(&state.pool)
    .await?;
    sqlx::query("update sessions set cart_id = $1 where token_hash = $2")
        .bind(&id)
        .bind(&session.token_hash)
        .execute(&state.pool)
        .await?;
    Ok(Some(id))
}

/// At login, the lines of the guest cart move into the customer's cart, and the guest's saved
/// configurations into the account.
#[tracing::instrument(skip_all)]
pub async fn merge_guest_cart(
    guest_cart: Option<String>,
    customer_id: &str,
) -> Result<(), AppError> {
    let Some(guest_cart) = guest_cart else {
        return Ok(());
    };
    let state = app_state()?;
    let mut tx = crate::db::begin_write(&state.pool).await?;
    let now = now_ms();
    let existing: Option<String> =
        sqlx::query_scalar("select id from carts where customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *tx)
            .await?;
    match existing {
        Some(cart) => {
            sqlx::query("update cart_lines set cart_id = $1, updated_at = $2 where cart_id = $3")
                .bind(&cart)
                .bind(now)
                .bind(&guest_cart)
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query("update carts set customer_id = $1, updated_at = $2 where id = $3 and customer_id is null")
                .bind(customer_id)
                .bind(now)
                .bind(&guest_cart)
                .execute(&mut *tx)
                .await?;
        }
    }
    crate::saved::ssr::adopt(&mut tx, &guest_cart, customer_id).await?;
    tx.commit().await?;
    Ok(())
}
