//! Saved configurations and comparison. "Save" on a product page keeps the configuration under a
//! short random link (`/c/XXXXXXXX`) with its rule version, price and date; anyone with the link
//! can open it, and the owner (the customer, or the guest's cart until they log in) can rename
//! and delete it. Opening one re-checks it against today's rules, stock and prices and says what
//! changed. "Compare" puts 2 to 4 configurations side by side, rendered on the server.

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::{ComparePage, SavedList, SavedPage};

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalogue::QuoteLine;
use crate::error::AppError;

/// The most configurations one comparison shows.
pub const MAX_COMPARED: usize = 4;
/// The longest name a saved configuration may have.
pub const MAX_NAME: usize = 80;

/// One saved configuration as its page shows it: what was saved, and what it is today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub product_name: String,
    /// The complete configuration that was priced.
    pub configuration: BTreeMap<String, String>,
    /// (group name, option name) in the product's group order.
    pub rows: Vec<(String, String)>,
    pub saved_price: i64,
    pub saved_at: i64,
    pub rule_version: i64,
    /// Whether the visitor may rename and delete it.
    pub mine: bool,
    pub now: Today,
}

/// The saved configuration checked against today's rules, stock and prices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Today {
    /// Today's price, when it can still be ordered as saved.
    pub price: Option<i64>,
    pub lines: Vec<QuoteLine>,
    pub lead_days: u32,
    pub rule_version: i64,
    /// What changed since it was saved, in the buyer's words; empty when nothing did.
    pub changes: Vec<String>,
    /// The product page with this configuration, less the choices that no longer work.
    pub configure_href: String,
}

/// A row of the visitor's saved configurations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSummary {
    pub id: String,
    pub name: String,
    pub product_name: String,
    pub saved_price: i64,
    pub saved_at: i64,
}

/// The comparison: one column per configuration, one row per group name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareView {
    pub columns: Vec<CompareColumn>,
    /// Group names, in the order they first appear.
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareColumn {
    pub title: String,
    pub product_name: String,
    /// Where to open it: its saved page, or the product page for the current one.
    pub href: String,
    /// (group name, option name) in the product's group order.
    pub options: Vec<(String, String)>,
    pub price: Option<i64>,
    pub lines: Vec<QuoteLine>,
    pub lead_days: u32,
    /// Why it cannot be ordered today, if it cannot.
    pub problem: Option<String>,
}

/// Saves the configuration the product form holds and opens its page.
#[server(endpoint = "save_configuration")]
pub async fn save_configuration(
    slug: String,
    configuration: Option<BTreeMap<String, String>>,
) -> Result<(), AppError> {
    use crate::limits::{MAX_ID, check_configuration, check_len};
    check_len("slug", &slug, MAX_ID)?;
    let configuration = configuration.unwrap_or_default();
    check_configuration("configuration", &configuration)?;
    let id = ssr::save(&slug, configuration).await?;
    leptos_axum::redirect(&format!("/c/{id}"));
    Ok(())
}

#[server(endpoint = "saved_configuration")]
pub async fn saved_configuration(id: String) -> Result<SavedView, AppError> {
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    ssr::view(&id).await
}

#[server(endpoint = "my_saved_configurations")]
pub async fn my_saved_configurations() -> Result<Vec<SavedSummary>, AppError> {
    ssr::mine().await
}

#[server(endpoint = "rename_saved")]
pub async fn rename_saved(id: String, name: String) -> Result<(), AppError> {
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    crate::limits::check_len("name", &name, MAX_NAME * 4)?;
    ssr::rename(&id, &name).await
}

#[server(endpoint = "delete_saved")]
pub async fn delete_saved(id: String) -> Result<(), AppError> {
    crate::limits::check_len("id", &id, crate::limits::MAX_ID)?;
    ssr::delete(&id).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Compares saved configurations (`c`), with the product page's current configuration
/// (`slug` and `configuration`) first when given.
#[server(endpoint = "compare")]
pub async fn compare(
    c: Option<Vec<String>>,
    slug: Option<String>,
    configuration: Option<BTreeMap<String, String>>,
) -> Result<CompareView, AppError> {
    use crate::limits::{MAX_ID, check_configuration, check_len};
    let ids = c.unwrap_or_default();
    if ids.len() > MAX_COMPARED {
        return Err(AppError::validation(format!(
            "Compare at most {MAX_COMPARED} configurations at once."
        )));
    }
    for id in &ids {
        check_len("c", id, MAX_ID)?;
    }
    if let Some(slug) = &slug {
        check_len("slug", slug, MAX_ID)?;
    }
    let configuration = configuration.unwrap_or_default();
    check_configuration("configuration", &configuration)?;
    ssr::compare(&ids, slug.as_deref(), configuration).await
}
