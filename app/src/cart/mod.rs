//! The cart: a guest's cart belongs to their session cookie, a customer's to their account; both
//! live in the database. Lines keep the configuration, never a price: prices are recomputed from
//! today's rules each time the cart is shown and again when the order is placed.

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::CartPage;

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CartLineView {
    pub id: String,
    pub slug: String,
    pub product_name: String,
    pub summary: String,
    pub configuration: BTreeMap<String, String>,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    /// The most that can be ordered, when stock limits it below the usual maximum.
    pub max_quantity: Option<i64>,
    /// Why this line cannot be ordered as it is (sold out, rules changed).
    pub problem: Option<String>,
    /// What changed since the buyer added it (a new price after new rules were published).
    pub changed: Option<String>,
    /// Working days until this configuration can ship.
    pub lead_days: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub total: i64,
    /// Something the buyer should know about the cart (lines a reorder could not add, and why).
    pub notice: Option<String>,
}

impl CartView {
    pub fn orderable(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|line| line.problem.is_none())
    }

    /// The whole order ships together, when its slowest line is ready.
    pub fn lead_days(&self) -> u32 {
        self.lines
            .iter()
            .map(|line| line.lead_days)
            .max()
            .unwrap_or(0)
    }
}

pub const MAX_QUANTITY: i64 = 20;

/// Parses a quantity typed by a person: a whole number from 1 to 20.
pub fn parse_quantity(text: Option<&str>) -> Result<i64, AppError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty()).unwrap_or("1");
    match text.parse::<i64>() {
        Ok(quantity) if (1..=MAX_QUANTITY).contains(&quantity) => Ok(quantity),
        _ => Err(AppError::field(
            "quantity",
            format!("Quantity must be a whole number from 1 to {MAX_QUANTITY}."),
        )),
    }
}

#[server(endpoint = "cart")]
pub async fn cart() -> Result<CartView, AppError> {
    ssr::current_cart().await
}

/// Checks and adds a configured product; the server prices it, whatever the form claimed.
#[server(endpoint = "add_to_cart")]
pub async fn add_to_cart(
    slug: String,
    configuration: Option<BTreeMap<String, String>>,
    quantity: Option<String>,
    /// The rule version the page's configurator used, and the price it showed (minor units).
    rule_version: Option<String>,
    quote: Option<String>,
) -> Result<(), AppError> {
    use crate::limits::{MAX_ID, check_configuration, check_len};
    check_len("slug", &slug, MAX_ID)?;
    check_len("quantity", quantity.as_deref().unwrap_or_default(), 10)?;
    let number = |name: &str, text: Option<String>| -> Result<Option<i64>, AppError> {
        check_len(name, text.as_deref().unwrap_or_default(), 20)?;
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| AppError::field(name, "This form is out of date: reload the page.")),
        }
    };
    let seen = ssr::Seen {
        rule_version: number("rule_version", rule_version)?,
        quote: number("quote", quote)?,
    };
    check_configuration(
        "configuration",
        configuration.as_ref().unwrap_or(&BTreeMap::new()),
    )?;
    ssr::add(
        &slug,
        configuration.unwrap_or_default(),
        quantity.as_deref(),
        seen,
    )
    .await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

#[server(endpoint = "update_quantity")]
pub async fn update_quantity(line: String, quantity: String) -> Result<(), AppError> {
    crate::limits::check_len("line", &line, crate::limits::MAX_ID)?;
    crate::limits::check_len("quantity", &quantity, 10)?;
    ssr::update_quantity(&line, &quantity).await
}

#[server(endpoint = "remove_line")]
pub async fn remove_line(line: String) -> Result<(), AppError> {
    crate::limits::check_len("line", &line, crate::limits::MAX_ID)?;
    ssr::remove(&line).await
}

#[cfg(test)]
mod tests {
    use super::parse_quantity;

    #[test]
    fn quantities_are_whole_numbers_within_bounds() {
        assert_eq!(parse_quantity(None), Ok(1));
        assert_eq!(parse_quantity(Some(" 3 ")), Ok(3));
        for bad in ["0", "-1", "21", "two", "1.5", "99999999999999999999"] {
            assert!(parse_quantity(Some(bad)).is_err(), "{bad} accepted");
        }
    }
}
