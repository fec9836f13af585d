//! Account storage and password checks.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::collections::BTreeMap;

use super::{AccountView, CustomerView, MAX_PASSWORD, MIN_PASSWORD};
use crate::address::{Email, MAX_EMAIL, MAX_NAME, clean_text, text_message};
use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::orders::ssr::{ORDER_COLUMNS, OrderRow, view};
use crate::rate_limit::{
    self, LOGIN_PER_ACCOUNT, LOGIN_PER_ACCOUNT_CLIENT, LOGIN_PER_CLIENT, REGISTER_PER_CLIENT,
};
use crate::session::{self, Customer};
use crate::state::app_state;

pub fn customer_view(customer: &Customer) -> CustomerView {
    CustomerView {
        full_name: customer.full_name.clone(),
        first_name: customer
            .full_name
            .split_whitespace()
            .next()
            .unwrap_or(&customer.full_name)
            .to_owned(),
        merchandiser: customer.is_merchandiser(),
    }
}

/// Runs argon2id on the blocking pool, at most `limits.hashing` at a time: each hash takes
/// ~19 MiB, so beyond the bound a request waits up to two seconds for a slot and is then
/// refused with 503, and a flood costs a bounded amount of memory.
async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let state = app_state()?;
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        state.limits.hashing.clone().acquire_owned(),
    )
    .await
    .map_err(|_| AppError::Busy)?
    .map_err(|_| AppError::Busy)?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        span.in_scope(work)
    })
    .await
    .map_err(crate::error::internal)
}

/// Hashes with argon2id (the crate's default parameters: 19 MiB, 2 passes), right here on this
/// thread: for start-up; requests go through [`hash_password`].
pub fn hash_blocking(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Hashes a password for a request, within the hashing bound.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    with_hashing_slot(move || hash_blocking(&password))
        .await?
        .map_err(crate::error::internal)
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    with_hashing_slot(move || {
        PasswordHash::new(&hash).map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await?
    .map_err(crate::error::internal)
}

/// A password we accept: long enough, not too long, and not only spaces.
pub fn check_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    let limits = format!("Use {MIN_PASSWORD} to {MAX_PASSWORD} characters.");
    if length < MIN_PASSWORD || length > MAX_PASSWORD {
        return Err(limits);
    }
    if password.trim().is_empty() {
        return Err(format!("{limits} A password of only spaces is too easy to guess."));
    }
    if password.chars().any(|c| c.is_control()) {
        return Err("Use letters, digits, spaces and symbols only.".to_owned());
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn register(full_name: &str, email: &str, password: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let client = session::client_address();
    if !rate_limit::try_hit(
        &state.pool,
        &rate_limit::key("register:client", &[&client]),
        &REGISTER_PER_CLIENT,
    )
    .await?
    {
        return Err(AppError::RateLimited);
    }
    let mut fields = BTreeMap::new();
    let name = match clean_text(full_name, MAX_NAME) {
        Ok(name) => name,
        Err(problem) => {
            fields.insert("full_name".to_owned(), text_message(&problem, "your full name"));
            String::new()
        }
    };
    let parsed = match Email::parse(email) {
        Ok(email) => Some(email),
        Err(message) => {
            fields.insert("email".to_owned(), message);
            None
        }
    };
    if let Err(message) = check_password(password) {
        fields.insert("password".to_owned(), message);
    }
    let typed_email = email.trim().to_owned();
    let typed_values = |error: AppError| {
        error.with_values(&[("full_name", full_name.trim()), ("email", &typed_email)])
    };
    let (Some(email), true) = (parsed, fields.is_empty()) else {
        return Err(typed_values(AppError::Validation {
            message: "Please correct the highlighted fields.".into(),
            fields,
            values: BTreeMap::new(),
        }));
    };
    let taken = || {
        typed_values(AppError::field(
            "email",
            "That email is already registered. Log in instead?",
        ))
    };
    let exists: Option<String> = sqlx::query_scalar("select id from customers where email = $1")
        .bind(email.as_str())
        .fetch_optional(&state.pool)
        .await?;
    if exists.is_some() {
        return Err(taken());
    }
    let hash = hash_password(password.to_owned()).await?;
    let id = new_id();
    let now = now_ms();
    let inserted = sqlx::query(
        "insert into customers (id, email, full_name, password_hash, role, created_at, updated_at)
         values ($1, $2, $3, $4, 'buyer', $5, $5)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(&name)
    .bind(&hash)
    .bind(now)
    .execute(&state.pool)
    .await;
    match inserted {
        Ok(_) => {}
        // Two registrations racing for one email: the unique constraint decides.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Err(taken()),
        Err(error) => return Err(error.into()),
    }
    let guest_cart = session::current().await?.and_then(|s| s.cart_id);
    session::merge_guest_cart(guest_cart, &id).await?;
    session::create(Some(&id)).await?;
    tracing::info!("customer registered");
    Ok(())
}

/// Logs in. Attempts are limited per (account, client) and per client, counted before the
/// password is checked (one atomic statement, so parallel guesses cannot pass the limit); per
/// account they are only slowed down, so someone guessing from elsewhere cannot lock the owner
/// out. A correct password takes its attempt back.
#[tracing::instrument(skip_all)]
pub async fn login(email: &str, password: &str) -> Result<Customer, AppError> {
    let state = app_state()?;
    let email = email.trim().to_lowercase();
    let refused = |email: &str| AppError::BadCredentials {
        values: BTreeMap::new(),
    }
    .with_values(&[("email", email)]);
    if email.is_empty() || email.len() > MAX_EMAIL || password.chars().count() > MAX_PASSWORD {
        return Err(refused(&email));
    }
    let client = session::client_address();
    let account_client_key = rate_limit::key("login:account-client", &[&email, &client]);
    let client_key = rate_limit::key("login:client", &[&client]);
    let account_key = rate_limit::key("login:account", &[&email]);
    if !rate_limit::try_hit(&state.pool, &account_client_key, &LOGIN_PER_ACCOUNT_CLIENT).await?
        || !rate_limit::try_hit(&state.pool, &client_key, &LOGIN_PER_CLIENT).await?
    {
        return Err(AppError::RateLimited);
    }
    let account_hits = rate_limit::hit(&state.pool, &account_key, &LOGIN_PER_ACCOUNT).await?;
    tokio::time::sleep(rate_limit::slow_down(account_hits, &LOGIN_PER_ACCOUNT)).await;
    let row: Option<(String, String)> =
        sqlx::query_as("select id, password_hash from customers where email = $1")
            .bind(&email)
            .fetch_optional(&state.pool)
            .await?;
    // An unknown email costs the same hashing time as a wrong password.
    let (id, valid) = match row {
        Some((id, hash)) => (id, verify_password(password.to_owned(), hash).await?),
        None => {
            hash_password(password.to_owned()).await?;
            (String::new(), false)
        }
    };
    if !valid {
        return Err(refused(&email));
    }
    rate_limit::clear(&state.pool, &account_client_key).await?;
    rate_limit::forgive(&state.pool, &client_key).await?;
    rate_limit::clear(&state.pool, &account_key).await?;
    let guest_cart = session::current().await?.and_then(|s| s.cart_id);
    session::merge_guest_cart(guest_cart, &id).await?;
    let session = session::create(Some(&id)).await?;
    session
        .customer
        .ok_or_else(|| crate::error::internal("session without customer after login"))
}

pub async fn account() -> Result<AccountView, AppError> {
    let state = app_state()?;
    let customer = session::require_customer().await?;
    let orders = sqlx::query_as::<_, OrderRow>(&format!(
        "select {ORDER_COLUMNS} from orders where customer_id = $1 order by created_at desc limit 100"
    ))
    .bind(&customer.id)
    .fetch_all(&state.pool)
    .await?;
    let mut views = Vec::with_capacity(orders.len());
    for order in &orders {
        views.push(view(&state.pool, order).await?);
    }
    Ok(AccountView {
        customer: customer_view(&customer),
        email: customer.email,
        orders: views,
    })
}
