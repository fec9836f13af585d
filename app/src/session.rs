//! Sessions live in the database (so several app servers can share them): the cookie holds a
//! random token, the table only its SHA-256. A guest gets a session the first time they put
//! something in a cart; logging in replaces the token (no fixation) and moves the guest cart over.

use axum::http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::state::{AppState, app_state};

pub const COOKIE: &str = "atelier_session";
const LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

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

fn request_token() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The visitor's session, if the request carries a live one.
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

/// A new session for `customer` (or a guest), replacing the visitor's current one.
pub async fn create(customer_id: Option<&str>) -> Result<Session, AppError> {
    let state = app_state()?;
    if let Some(old) = request_token() {
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(hash_token(&old))
            .execute(&state.pool)
            .await?;
    }
    let token = hex::encode(rand::rngs::OsRng.r#gen::<[u8; 32]>());
    let token_hash = hash_token(&token);
    let now = now_ms();
    sqlx::query(
        "insert into sessions (token_hash, customer_id, cart_id, created_at, expires_at)
         values ($1, $2, null, $3, $4)",
    )
    .bind(&token_hash)
    .bind(customer_id)
    .bind(now)
    .bind(now + LIFETIME_MS)
    .execute(&state.pool)
    .await?;
    set_cookie(&state, &token, LIFETIME_MS / 1000);
    load(&state, &token_hash)
        .await?
        .ok_or_else(|| crate::error::internal("session vanished after insert"))
}

/// Logs out: the session row goes, the cookie is cleared.
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
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}");
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
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

/// The client's address as seen by this server (not a forwarded header a client could forge).
pub fn client_address() -> String {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The cart this visitor is filling: the customer's own cart when logged in, else the guest
/// session's. Created on first use when `create_missing`.
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

/// At login, the lines of the guest cart move into the customer's cart.
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
    tx.commit().await?;
    Ok(())
}
