//! Account storage and password checks.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::collections::BTreeMap;

use super::{AccountView, CustomerView, MIN_PASSWORD};
use crate::db::{new_id, now_ms};
use crate::error::AppError;
use crate::orders::ssr::{ORDER_COLUMNS, OrderRow, view};
use crate::rate_limit::{self, LOGIN_PER_CLIENT, LOGIN_PER_EMAIL};
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

/// Hashes with argon2id (the crate's default) on a blocking thread: it is deliberately slow.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(crate::error::internal)?
    .map_err(crate::error::internal)
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .map_err(crate::error::internal)?
    .map_err(crate::error::internal)
}

pub async fn register(full_name: &str, email: &str, password: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let full_name = full_name.trim();
    let email = email.trim().to_lowercase();
    let mut fields = BTreeMap::new();
    if full_name.is_empty() || full_name.chars().count() > 200 {
        fields.insert("full_name".to_owned(), "Enter your full name.".to_owned());
    }
    if !(email.contains('@')
        && email.rsplit('@').next().is_some_and(|d| d.contains('.'))
        && email.len() <= 254)
    {
        fields.insert(
            "email".to_owned(),
            "Enter an email address like name@example.com.".to_owned(),
        );
    }
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        fields.insert(
            "password".to_owned(),
            format!("Use at least {MIN_PASSWORD} characters."),
        );
    }
    let typed = BTreeMap::from([
        ("full_name".to_owned(), full_name.to_owned()),
        ("email".to_owned(), email.clone()),
    ]);
    if !fields.is_empty() {
        return Err(AppError::Validation {
            message: "Please correct the highlighted fields.".into(),
            fields,
            values: typed,
        });
    }
    let taken = || AppError::Validation {
        message: "That email is already registered.".into(),
        fields: BTreeMap::from([(
            "email".to_owned(),
            "That email is already registered. Log in instead?".to_owned(),
        )]),
        values: typed.clone(),
    };
    let exists: Option<String> = sqlx::query_scalar("select id from customers where email = $1")
        .bind(&email)
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
    .bind(&email)
    .bind(full_name)
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

pub async fn login(email: &str, password: &str) -> Result<Customer, AppError> {
    let state = app_state()?;
    let email = email.trim().to_lowercase();
    let email_key = format!("login:email:{email}");
    let client_key = format!("login:client:{}", session::client_address());
    if rate_limit::is_exhausted(&state.pool, &email_key, &LOGIN_PER_EMAIL).await?
        || rate_limit::is_exhausted(&state.pool, &client_key, &LOGIN_PER_CLIENT).await?
    {
        return Err(AppError::RateLimited);
    }
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
        rate_limit::record_failure(&state.pool, &email_key, &LOGIN_PER_EMAIL).await?;
        rate_limit::record_failure(&state.pool, &client_key, &LOGIN_PER_CLIENT).await?;
        return Err(AppError::Validation {
            message: "Email or password is incorrect.".into(),
            fields: BTreeMap::new(),
            values: BTreeMap::from([("email".to_owned(), email)]),
        });
    }
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
