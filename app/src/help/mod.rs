//! The help centre: FAQ articles by category at `/help` and `/help/{slug}` (server-rendered,
//! readable without JavaScript), "Did this answer your question?" with one vote per visitor and
//! article (the query that led there is what the search learns from), and the articles a product
//! page lists. The search itself ranks with the `faq-search` crate (see `search`).

pub mod admin;
pub mod admin_page;
pub mod call;
pub mod call_page;
pub mod format;
pub mod page;
pub mod search;

pub use admin_page::{AdminHelpArticlePage, AdminHelpPage};
pub use call_page::{AdminCallsPage, CallConfirmationPage, CallMeForm};
pub use page::{HelpArticlePage, HelpHomePage, HelpSearchPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The longest query kept or searched; a question is rarely a tenth of it.
pub const MAX_QUERY: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleLink {
    pub slug: String,
    pub question: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpCategory {
    pub slug: String,
    pub name: String,
    pub articles: Vec<ArticleLink>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductLink {
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleView {
    pub slug: String,
    pub question: String,
    pub answer: String,
    pub category: HelpCategory,
    pub products: Vec<ProductLink>,
    /// Unpublished: only merchandisers see it (as a preview).
    pub published: bool,
    /// The visitor's vote on this article, if they gave one.
    pub vote: Option<bool>,
}

#[cfg(feature = "ssr")]
pub mod ssr;

/// Every published article, by category.
#[server(endpoint = "help_home")]
pub async fn help_home() -> Result<Vec<HelpCategory>, AppError> {
    let state = crate::state::app_state()?;
    ssr::categories(&state).await
}

#[server(endpoint = "help_article")]
pub async fn help_article(slug: String) -> Result<ArticleView, AppError> {
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::article(&state, &slug).await
}

/// The published articles about a product, for its page.
#[server(endpoint = "product_help")]
pub async fn product_help(slug: String) -> Result<Vec<ArticleLink>, AppError> {
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::about_product(&state, &slug).await
}

/// "Did this answer your question?": YES (`helpful`) or NO, once per visitor and article, with
/// the query that led to the article (empty when they came another way). A second answer from
/// the same visitor changes nothing and says so.
#[server(endpoint = "vote_help")]
pub async fn vote_help(
    slug: String,
    helpful: bool,
    #[server(default)] query: String,
) -> Result<bool, AppError> {
    crate::limits::check_len("slug", &slug, 100)?;
    crate::limits::check_len("query", &query, MAX_QUERY)?;
    let state = crate::state::app_state()?;
    crate::rate_limit::check_client(
        &state.pool,
        "help:vote:client",
        &crate::rate_limit::HELP_VOTES_PER_CLIENT,
    )
    .await?;
    let session = crate::session::ensure().await?;
    let recorded = ssr::vote(&state, &slug, &ssr::visitor(&session), helpful, &query).await?;
    let q = if query.trim().is_empty() {
        String::new()
    } else {
        format!(
            "&q={}",
            percent_encoding::utf8_percent_encode(query.trim(), percent_encoding::NON_ALPHANUMERIC)
        )
    };
    leptos_axum::redirect(&format!(
        "/help/{slug}?voted={}{q}#feedback",
        if recorded { "thanks" } else { "already" }
    ));
    Ok(recorded)
}
