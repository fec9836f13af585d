//! Accounts: register, log in, log out, and the account page with the customer's orders. Passwords
//! are hashed with argon2id off the async threads; failed logins are rate-limited in the database.

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::{AccountPage, LogOutButton, LoginPage, RegisterPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::orders::OrderView;

/// What the header needs to greet a logged-in customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    pub full_name: String,
    pub first_name: String,
    pub merchandiser: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub customer: CustomerView,
    pub email: String,
    pub orders: Vec<OrderView>,
}

pub const MIN_PASSWORD: usize = 10;
/// The longest password we hash: argon2 takes any length, but a megabyte of "password" is a
/// way to burn our CPU, not a password.
pub const MAX_PASSWORD: usize = 256;

#[server(endpoint = "register")]
pub async fn register(full_name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::limits::check_len;
    check_len("full_name", &full_name, crate::address::MAX_NAME + 10)?;
    check_len("email", &email, crate::address::MAX_EMAIL + 10)?;
    // Beyond any password we accept, but short enough to say why in the words of the form.
    check_len("password", &password, 4 * MAX_PASSWORD)?;
    ssr::register(&full_name, &email, &password).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    // Over-long input is simply a failed login: nothing about accounts is revealed.
    let customer = ssr::login(&email, &password).await?;
    leptos_axum::redirect(if customer.is_merchandiser() {
        "/admin/orders"
    } else {
        "/account"
    });
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::session::end().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "account")]
pub async fn account() -> Result<AccountView, AppError> {
    ssr::account().await
}
