//! Searching the help centre on the server: the same `faq-search` index the browser runs, built
//! from the published articles, the synonyms and what the votes taught it, kept per index
//! version (the version in the database decides, so every app server agrees). This is the
//! search without JavaScript (a GET form and a results page); a query that finds nothing is
//! kept as a search gap for the merchandisers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A result as the page shows it: its question and snippet as (text, matched) runs to mark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HitView {
    pub slug: String,
    pub question: Vec<(String, bool)>,
    pub snippet: Vec<(String, bool)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub query: String,
    pub hits: Vec<HitView>,
}

/// How many results a search shows.
pub const RESULTS: usize = 10;

#[server(endpoint = "search_help")]
pub async fn search_help(query: String) -> Result<SearchResults, AppError> {
    let query: String = query.chars().take(super::MAX_QUERY).collect();
    let state = crate::state::app_state()?;
    crate::rate_limit::check_client(
        &state.pool,
        "help:search:client",
        &crate::rate_limit::HELP_SEARCH_PER_CLIENT,
    )
    .await?;
    let hits = ssr::search(&state, &query, RESULTS).await?;
    if hits.is_empty() && !query.trim().is_empty() {
        ssr::record_gap(&state, &query).await?;
    }
    Ok(SearchResults { query, hits })
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use faq_search::{Article, Evidence, Index, Synonym, split_marked};

    use super::HitView;
    use crate::db::{new_id, now_ms};
    use crate::error::AppError;
    use crate::state::{AppState, run_engine};

    /// What the index is built from, as the database has it now.
    pub async fn sources(
        state: &AppState,
    ) -> Result<(Vec<Article>, Vec<Synonym>, Vec<Evidence>), AppError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "select a.slug, a.question, a.answer, c.name
             from help_articles a join help_categories c on c.id = a.category_id
             where a.published = 1 order by a.position, a.slug",
        )
        .fetch_all(&state.pool)
        .await?;
        let articles = rows
            .into_iter()
            .map(|(slug, question, answer, category)| Article {
                category: Some(category),
                ..Article::new(slug, question, crate::help::format::plain_text(&answer))
            })
            .collect();
        let rows: Vec<(String, String)> =
            sqlx::query_as("select term, equivalents from help_synonyms where published = 1")
                .fetch_all(&state.pool)
                .await?;
        let synonyms = rows
            .into_iter()
            .map(|(term, equivalents)| {
                Synonym::new(
                    term,
                    serde_json::from_str::<Vec<String>>(&equivalents).unwrap_or_default(),
                )
            })
            .collect();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "select v.query, a.slug, v.helpful from help_votes v
             join help_articles a on a.id = v.article_id
             where v.query <> '' and v.forgotten = 0 and a.published = 1
             order by v.at",
        )
        .fetch_all(&state.pool)
        .await?;
        Ok((articles, synonyms, publishable(rows)))
    }

    /// The votes the index may learn from. The index travels to every browser with the queries
    /// it learnt, so only what several visitors typed alike goes in, and never a query with a
    /// digit or an "@" (an order number, a phone number, an email address).
    pub fn publishable(votes: Vec<(String, String, i64)>) -> Vec<Evidence> {
        use std::collections::HashMap;
        let normal = |q: &str| {
            q.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let mut seen: HashMap<(String, String, bool), usize> = HashMap::new();
        for (query, slug, helpful) in &votes {
            *seen
                .entry((normal(query), slug.clone(), *helpful != 0))
                .or_default() += 1;
        }
        votes
            .into_iter()
            .filter(|(query, slug, helpful)| {
                !query.chars().any(|c| c.is_ascii_digit() || c == '@')
                    && query.chars().count() <= 120
                    && seen[&(normal(query), slug.clone(), *helpful != 0)] >= MIN_VOTERS
            })
            .map(|(query, slug, helpful)| Evidence::new(query, slug, helpful != 0))
            .collect()
    }

    /// How many visitors must have voted the same query for an article before it is learnt.
    pub const MIN_VOTERS: usize = 2;

    /// The index of the current version, built once per version and app server.
    pub async fn index(state: &AppState) -> Result<(i64, Arc<Index>), AppError> {
        let version = crate::help::ssr::index_version(&state.pool).await?;
        let key = format!("help-index:{version}");
        if let Some(index) = state.versioned.get::<Index>(&key) {
            return Ok((version, index));
        }
        let (articles, synonyms, evidence) = sources(state).await?;
        let index = run_engine(state, move || {
            Arc::new(Index::build(&articles, &synonyms, &evidence))
        })
        .await?;
        state.versioned.insert(key, index.clone());
        Ok((version, index))
    }

    pub async fn search(
        state: &AppState,
        query: &str,
        limit: usize,
    ) -> Result<Vec<HitView>, AppError> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let (_, index) = index(state).await?;
        let owned = |runs: Vec<(&str, bool)>| {
            runs.into_iter()
                .map(|(text, mark)| (text.to_owned(), mark))
                .collect()
        };
        Ok(index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let question = index.question(&hit.article)?;
                Some(HitView {
                    question: owned(split_marked(question, &hit.question_highlights)),
                    snippet: owned(split_marked(&hit.snippet, &hit.snippet_highlights)),
                    slug: hit.article,
                })
            })
            .collect())
    }

    /// `/help-index`: where the current index is (never cached: it moves on every publish).
    pub async fn latest_index(
        axum::extract::State(state): axum::extract::State<AppState>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        match crate::help::ssr::index_version(&state.pool).await {
            Ok(version) => (
                http::StatusCode::FOUND,
                [
                    (http::header::LOCATION, format!("/help-index/{version}.bin")),
                    (http::header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response(),
            Err(_) => http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }

    /// `/help-index/{version}.bin`: the index of that version, cached for good. An older
    /// version is not rebuilt; its address sends the browser to the current one.
    pub async fn index_file(
        axum::extract::State(state): axum::extract::State<AppState>,
        axum::extract::Path(file): axum::extract::Path<String>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let wanted = file
            .strip_suffix(".bin")
            .and_then(|v| v.parse::<i64>().ok());
        let (version, index) = match index(&state).await {
            Ok(found) => found,
            Err(_) => return http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
        };
        if wanted != Some(version) {
            return (
                http::StatusCode::FOUND,
                [
                    (http::header::LOCATION, format!("/help-index/{version}.bin")),
                    (http::header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response();
        }
        let key = format!("help-index-bytes:{version}");
        let bytes = match state.versioned.get::<Vec<u8>>(&key) {
            Some(bytes) => bytes,
            None => {
                let bytes = Arc::new(index.to_bytes());
                state.versioned.insert(key, bytes.clone());
                bytes
            }
        };
        (
            [
                (http::header::CONTENT_TYPE, "application/octet-stream"),
                (
                    http::header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable",
                ),
            ],
            bytes.as_ref().clone(),
        )
            .into_response()
    }

    /// Keeps a query that found nothing, for the merchandisers' search gaps.
    pub async fn record_gap(state: &AppState, query: &str) -> Result<(), AppError> {
        let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
        sqlx::query("insert into help_searches (id, query, results, at) values ($1, $2, 0, $3)")
            .bind(new_id())
            .bind(query)
            .bind(now_ms())
            .execute(&state.pool)
            .await?;
        Ok(())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn only_what_several_visitors_typed_alike_is_learnt() {
        let vote = |q: &str, a: &str, yes: bool| (q.to_owned(), a.to_owned(), i64::from(yes));
        let learnt = super::ssr::publishable(vec![
            vote("where is my parcel", "track", true),
            vote("Where is  my parcel", "track", true),
            vote("order 7K2M-4QXP missing", "track", true),
            vote("order 7K2M-4QXP missing", "track", true),
            vote("mail me at a@b.example", "track", true),
            vote("mail me at a@b.example", "track", true),
            vote("only once", "track", true),
            vote("where is my parcel", "track", false),
        ]);
        let queries: Vec<&str> = learnt.iter().map(|e| e.query.as_str()).collect();
        assert_eq!(queries, vec!["where is my parcel", "Where is  my parcel"]);
    }
}
