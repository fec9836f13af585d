//! The catalogue: the home page with categories and products, and the product page where a buyer
//! configures a product. The server assesses every configuration with the configurator engine
//! (the one source of truth for rules and prices); the page shows only options that still lead
//! to a valid product, says why the others are unavailable and links to the change that makes
//! them available.

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::{HomePage, ProductPage};

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub image: String,
    pub from_price: i64,
    pub configurable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryView {
    pub slug: String,
    pub name: String,
    pub products: Vec<ProductCard>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionView {
    pub id: String,
    pub name: String,
    /// The option's own price (what it adds), for the label.
    pub price: i64,
    pub available: bool,
    /// Why it is unavailable, in the buyer's words.
    pub reason: Option<String>,
    /// How to get it: the choices that make it available, and what that changes.
    pub fix: Option<Fix>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub choices: BTreeMap<String, String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub optional: bool,
    /// The option shown as selected: the buyer's choice, else the cheapest valid completion.
    pub selected: String,
    /// Whether the buyer chose it (rather than the shop completing it).
    pub chosen: bool,
    pub forced: bool,
    pub options: Vec<OptionView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub label: String,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub image: String,
    pub groups: Vec<GroupView>,
    /// The full configuration priced below (choices plus completion).
    pub configuration: BTreeMap<String, String>,
    pub price: i64,
    pub lines: Vec<QuoteLine>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    /// Set when the buyer's choices cannot be completed (e.g. an option sold out meanwhile).
    pub problem: Option<String>,
}

/// The home page: the catalogue, and a greeting for a returning customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub greeting: Option<String>,
    pub categories: Vec<CategoryView>,
}

#[server(endpoint = "catalogue")]
pub async fn catalogue() -> Result<HomeView, AppError> {
    let customer = crate::session::current().await?.and_then(|s| s.customer);
    Ok(HomeView {
        greeting: customer.map(|c| {
            format!(
                "Welcome back, {}",
                crate::account::ssr::customer_view(&c).first_name
            )
        }),
        categories: ssr::catalogue().await?,
    })
}

/// Assesses the buyer's choices on a product: what is available, why not, and the price.
#[server(endpoint = "product")]
pub async fn product(
    slug: String,
    choices: Option<BTreeMap<String, String>>,
) -> Result<ProductView, AppError> {
    ssr::product(&slug, choices.unwrap_or_default()).await
}

/// Reads the buyer's choices from a product page URL: `configuration[group]=option` pairs.
/// The form posted without JavaScript also sends `suggested[group]=option` for each group the
/// shop filled in; a group still showing its suggestion is not a choice, so changing one option
/// lets the shop re-complete the others around it.
pub fn choices_from_query(query: &leptos_router::params::ParamsMap) -> BTreeMap<String, String> {
    let pairs = |prefix: &str| -> BTreeMap<String, String> {
        query
            .into_iter()
            .filter_map(|(key, value)| {
                let key = key.replace("%5B", "[").replace("%5D", "]");
                let group = key.strip_prefix(prefix)?.strip_suffix(']')?;
                Some((group.to_owned(), value.to_owned()))
            })
            .filter(|(group, option)| !group.is_empty() && !option.is_empty())
            .collect()
    };
    let suggested = pairs("suggested[");
    pairs("configuration[")
        .into_iter()
        .filter(|(group, option)| suggested.get(group) != Some(option))
        .collect()
}

/// The product page URL that shows `choices`.
pub fn product_href(slug: &str, choices: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = choices
        .iter()
        .map(|(group, option)| format!("configuration%5B{}%5D={}", encode(group), encode(option)))
        .collect();
    if query.is_empty() {
        format!("/products/{slug}")
    } else {
        format!("/products/{slug}?{}", query.join("&"))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
