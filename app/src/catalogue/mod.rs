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
    crate::limits::check_len("slug", &slug, crate::limits::MAX_ID)?;
    let choices = choices.unwrap_or_default();
    // A link with choices that are not this product's shows the product with a note; only
    // absurd ones are refused.
    crate::limits::check_configuration("choices", &choices)?;
    ssr::product(&slug, choices).await
}

/// The query string of a product page: `configuration[group]=option` for each choice, and,
/// from the form posted without JavaScript, `suggested[group]=option` for each group the shop
/// filled in.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProductQuery {
    #[serde(default)]
    configuration: BTreeMap<String, String>,
    #[serde(default, skip_serializing)]
    suggested: BTreeMap<String, String>,
}

/// Reads the buyer's choices from a product page URL's query string (`search`, with or without
/// the leading `?`). A group still showing its suggestion is not a choice, so changing one
/// option lets the shop re-complete the others around it. A malformed query is no choices.
pub fn choices_from_query(search: &str) -> BTreeMap<String, String> {
    let search = search.trim_start_matches('?');
    let query: ProductQuery = serde_qs::Config::new(2, false)
        .deserialize_str(search)
        .unwrap_or_default();
    let suggested = query.suggested;
    query
        .configuration
        .into_iter()
        .filter(|(group, option)| !group.is_empty() && !option.is_empty())
        .filter(|(group, option)| suggested.get(group) != Some(option))
        .take(crate::limits::MAX_GROUPS)
        .collect()
}

/// The product page URL that shows `choices`.
pub fn product_href(slug: &str, choices: &BTreeMap<String, String>) -> String {
    let slug = percent_encoding::utf8_percent_encode(slug, percent_encoding::NON_ALPHANUMERIC);
    let query = serde_qs::to_string(&ProductQuery {
        configuration: choices.clone(),
        suggested: BTreeMap::new(),
    })
    .unwrap_or_default();
    if query.is_empty() {
        format!("/products/{slug}")
    } else {
        format!("/products/{slug}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_the_choices() {
        let choices = BTreeMap::from([
            ("frame".to_owned(), "steel tourer".to_owned()),
            ("brakes".to_owned(), "disc&co=1".to_owned()),
        ]);
        let href = product_href("bicycle", &choices);
        let search = href.split_once('?').unwrap().1;
        assert_eq!(choices_from_query(search), choices);
        assert_eq!(
            product_href("bicycle", &BTreeMap::new()),
            "/products/bicycle"
        );
    }

    #[test]
    fn suggestions_are_not_choices_and_bad_queries_are_none() {
        let search = "slug=bicycle&configuration%5Bframe%5D=steel&suggested%5Bframe%5D=steel&configuration%5Bbrakes%5D=disc";
        assert_eq!(
            choices_from_query(search),
            BTreeMap::from([("brakes".to_owned(), "disc".to_owned())])
        );
        assert!(choices_from_query("configuration=oops").is_empty());
        assert!(choices_from_query("%%%").is_empty());
    }
}
