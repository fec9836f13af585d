//! Account storage and password checks.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, SaltString};
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
    crate::state::run_bounded(
        &state.limits.hashing,
        std::time::Duration::from_secs(2),
        work,
    )
    .await
}

/// argon2's working memory (19 MiB per hash with the default parameters), kept and reused:
/// freshly allocated for each hash, the allocator keeps it per thread, and a flood of logins
/// across the blocking pool's many threads grew the process past a gigabyte. With at most
/// `limits.hashing` hashes at a time, at most that many buffers exist.
static HASH_MEMORY: std::sync::Mutex<Vec<Vec<argon2::Block>>> = std::sync::Mutex::new(Vec::new());

fn with_hash_memory<T>(blocks: usize, work: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
    let reused = HASH_MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop()
        .filter(|memory| memory.len() >= blocks);
    let mut memory = reused.unwrap_or_else(|| vec![argon2::Block::default(); blocks]);
    let result = work(&mut memory[..blocks]);
    HASH_MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(memory);
    result
}

/// The argon2 output of `password` with `salt` under `argon`, computed in reused memory.
fn argon2_output(
    argon: &Argon2<'_>,
    password: &str,
    salt: argon2::password_hash::Salt<'_>,
    length: usize,
) -> Result<argon2::password_hash::Output, String> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    with_hash_memory(argon.params().block_count(), |memory| {
        argon2::password_hash::Output::init_with(length, |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, memory)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .map_err(|e| e.to_string())
    })
}

/// Hashes with argon2id (the crate's default parameters: 19 MiB, 2 passes), right here on this
/// thread, as a PHC string: for start-up; requests go through [`hash_password`].
pub fn hash_blocking(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let argon = Argon2::default();
    let params = argon.params().clone();
    let length = params
        .output_len()
        .unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN);
    let output = argon2_output(&argon, password, salt.as_salt(), length)?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(&params)
            .map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (any argon2 variant and parameters it names).
pub fn verify_blocking(password: &str, hash: &str) -> Result<bool, String> {
    let parsed = PasswordHash::new(hash).map_err(|e| e.to_string())?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err("password hash without salt or output".to_owned());
    };
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm).map_err(|e| e.to_string())?;
    let version = parsed
        .version
        .map(argon2::Version::try_from)
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let params = argon2::Params::try_from(&parsed).map_err(|e| e.to_string())?;
    let argon = Argon2::new(algorithm, version, params);
    let computed = argon2_output(&argon, password, salt, expected.len())?;
    // `Output` compares in constant time.
    Ok(computed == expected)
}

/// Hashes a password for a request, within the hashing bound.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    with_hashing_slot(move || hash_blocking(&password))
        .await?
        .map_err(crate::error::internal)
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    with_hashing_slot(move || verify_blocking(&password, &hash))
        .await?
        .map_err(crate::error::internal)
}

/// A password we accept: long enough, not too long, and not only spaces.
pub fn check_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    let limits = format!("Use {MIN_PASSWORD} to {MAX_PASSWORD} characters.");
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        return Err(limits);
    }
    if password.trim().is_empty() {
        return Err(format!(
            "{limits} A password of only spaces is too easy to guess."
        ));
    }
    if password.chars().any(|c| c.is_control()) {
        return Err("Use letters, digits, spaces and symbols only.".to_owned());
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn register(full_name: &str, email: &str, password: &str) -> Result<(), AppError> {
    let state = app_state()?;
    rate_limit::check_client(&state.pool, "register:client", &REGISTER_PER_CLIENT).await?;
    let mut fields = BTreeMap::new();
    let name = match clean_text(full_name, MAX_NAME) {
        Ok(name) => name,
        Err(problem) => {
            fields.insert(
                "full_name".to_owned(),
                text_message(&problem, "your full name"),
            );
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
    let refused = |email: &str| {
        AppError::BadCredentials {
            values: BTreeMap::new(),
        }
        .with_values(&[("email", email)])
    };
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

#[tracing::instrument(skip_all)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_are_standard_phc_strings_that_the_argon2_crate_verifies_and_vice_versa() {
        let ours = hash_blocking("correct horse battery").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(verify_blocking("correct horse battery", &ours).unwrap());
        assert!(!verify_blocking("correct horse batterY", &ours).unwrap());
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"another one", &salt)
            .unwrap()
            .to_string();
        assert!(verify_blocking("another one", &theirs).unwrap());
        assert!(verify_blocking("x", "not a hash").is_err());
    }
}
