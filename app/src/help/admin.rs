//! The help centre in the merchandiser's console: articles (create, edit, publish, unpublish,
//! with a revision check), synonyms, what the search learnt from votes (removable), and the
//! reports: search gaps, the most and least helpful articles, and YES/NO over time. Every
//! change is in the console's audit log and moves the search index to a new version.

// A form's fields are a server function's arguments, one each, so that the form posts
// without JavaScript.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminArticle {
    pub slug: String,
    pub question: String,
    pub category: String,
    pub published: bool,
    pub yes: i64,
    pub no: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminSynonym {
    pub id: String,
    pub term: String,
    pub equivalents: Vec<String>,
}

/// A query the search learnt for an article, with its votes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Learnt {
    pub query: String,
    pub slug: String,
    pub question: String,
    pub yes: i64,
    pub no: i64,
}

/// YES and NO answers in one week (starting Monday, unix ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekVotes {
    pub week: i64,
    pub yes: i64,
    pub no: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpConsole {
    pub articles: Vec<AdminArticle>,
    pub categories: Vec<(String, String)>,
    pub synonyms: Vec<AdminSynonym>,
    pub learnt: Vec<Learnt>,
    /// Searches that found nothing, with how often.
    pub gaps: Vec<(String, i64)>,
    /// Queries after which someone said NO, with how often.
    pub unanswered: Vec<(String, i64)>,
    pub weeks: Vec<WeekVotes>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleEdit {
    pub slug: String,
    pub question: String,
    pub answer: String,
    pub category: String,
    pub products: String,
    pub published: bool,
    pub revision: i64,
    pub categories: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[server(endpoint = "admin_help")]
pub async fn admin_help() -> Result<HelpConsole, AppError> {
    crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::console(&state).await
}

/// One article to edit; an empty slug gives an empty form for a new one.
#[server(endpoint = "admin_help_article")]
pub async fn admin_help_article(slug: String) -> Result<ArticleEdit, AppError> {
    crate::session::require_merchandiser().await?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::article(&state, &slug).await
}

/// Creates (`original` empty) or saves an article. `products` lists product slugs separated
/// by commas; `revision` is the one the form was opened on.
#[server(endpoint = "save_help_article")]
pub async fn save_help_article(
    #[server(default)] original: String,
    #[server(default)] slug: String,
    question: String,
    answer: String,
    category: String,
    #[server(default)] products: String,
    #[server(default)] published: bool,
    #[server(default)] revision: i64,
) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    let fields = [
        ("original", &original, 100),
        ("slug", &slug, 100),
        ("question", &question, 300),
        ("answer", &answer, 20_000),
        ("category", &category, 64),
        ("products", &products, 2_000),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let state = crate::state::app_state()?;
    let edit = ssr::Edit {
        original,
        slug,
        question,
        answer,
        category,
        products,
        published,
        revision,
    };
    ssr::save(&state, &merchandiser, &edit).await
}

/// Adds a synonym: `term` and what means the same, separated by commas.
#[server(endpoint = "add_help_synonym")]
pub async fn add_help_synonym(term: String, equivalents: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("term", &term, 60)?;
    crate::limits::check_len("equivalents", &equivalents, 600)?;
    let state = crate::state::app_state()?;
    ssr::add_synonym(&state, &merchandiser, &term, &equivalents).await
}

#[server(endpoint = "remove_help_synonym")]
pub async fn remove_help_synonym(id: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, 64)?;
    let state = crate::state::app_state()?;
    ssr::remove_synonym(&state, &merchandiser, &id).await
}

/// Removes what the search learnt from the votes on `slug` after `query`.
#[server(endpoint = "forget_help_query")]
pub async fn forget_help_query(query: String, slug: String) -> Result<(), AppError> {
    let merchandiser = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("query", &query, super::MAX_QUERY)?;
    crate::limits::check_len("slug", &slug, 100)?;
    let state = crate::state::app_state()?;
    ssr::forget(&state, &merchandiser, &query, &slug).await
}

/// The YES share of each week as an SVG bar chart's bars: (x, height, label) in a 0–100 box.
pub fn week_bars(weeks: &[WeekVotes]) -> Vec<(f64, f64, String)> {
    let n = weeks.len().max(1) as f64;
    weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let total = w.yes + w.no;
            let share = if total == 0 {
                0.0
            } else {
                w.yes as f64 / total as f64
            };
            (
                i as f64 * 100.0 / n,
                share * 100.0,
                format!(
                    "Week of {}: {} yes, {} no ({:.0} % yes)",
                    crate::time::format_date(w.week),
                    w.yes,
                    w.no,
                    share * 100.0
                ),
            )
        })
        .collect()
}
