//! Rule sets as files: the published rules or the draft downloaded as JSON, and a file imported
//! into the draft: the shop's JSON, or an XCSP 2.1 instance with its optional WCSP price file
//! (the engine's importer), which is how a car range's rules arrive. An import is a draft like
//! any other: checked by the engine, compared with the published version, published only when
//! nothing blocks it.

/// The largest rule file accepted (the synthetic large instance's JSON is 6.4 MB).
pub const MAX_RULE_FILE_BYTES: usize = 12 * 1024 * 1024;

/// Why an import was refused; only the code travels in the redirect's URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportRefusal {
    Empty,
    TooBig,
    NotJson,
    NotXcsp,
    Prices,
    Stale,
    Failed,
}

impl ImportRefusal {
    pub const ALL: [ImportRefusal; 7] = [
        ImportRefusal::Empty,
        ImportRefusal::TooBig,
        ImportRefusal::NotJson,
        ImportRefusal::NotXcsp,
        ImportRefusal::Prices,
        ImportRefusal::Stale,
        ImportRefusal::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ImportRefusal::Empty => "empty",
            ImportRefusal::TooBig => "too-big",
            ImportRefusal::NotJson => "not-json",
            ImportRefusal::NotXcsp => "not-xcsp",
            ImportRefusal::Prices => "prices",
            ImportRefusal::Stale => "stale",
            ImportRefusal::Failed => "failed",
        }
    }

    pub fn of_code(code: &str) -> Option<ImportRefusal> {
        ImportRefusal::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(self) -> String {
        match self {
            ImportRefusal::Empty => "Choose a rule file to import.".into(),
            ImportRefusal::TooBig => format!(
                "That file is larger than {} MB. Nothing was imported.",
                MAX_RULE_FILE_BYTES / (1024 * 1024)
            ),
            ImportRefusal::NotJson => {
                "That file is not a rule set the shop can read (JSON with groups, options and rules). Nothing was imported.".into()
            }
            ImportRefusal::NotXcsp => {
                "That file is not an XCSP 2.1 instance the engine can read. Nothing was imported.".into()
            }
            ImportRefusal::Prices => {
                "The price file does not fit the instance (a WCSP file for the same variables and values). Nothing was imported.".into()
            }
            ImportRefusal::Stale => {
                "The draft changed while you were choosing the file. Nothing was imported; look at the draft and import again.".into()
            }
            ImportRefusal::Failed => "The file did not arrive whole. Nothing was imported; please try again.".into(),
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use axum::extract::{Multipart, Path, Query, State};
    use axum::response::{IntoResponse, Redirect, Response};
    use http::{HeaderMap, HeaderValue, StatusCode, header};

    use super::{ImportRefusal, MAX_RULE_FILE_BYTES};
    use crate::admin::uploads::{FieldError, merchandiser, merchandiser_change, read_limited};
    use crate::error::AppError;
    use crate::session::Customer;
    use crate::state::{AppState, run_engine};

    /// The most an import request may carry: a rule file, a price file and the form.
    pub const IMPORT_BODY_LIMIT: usize = MAX_RULE_FILE_BYTES * 2 + 64 * 1024;

    #[derive(serde::Deserialize)]
    pub struct Which {
        #[serde(default)]
        pub draft: bool,
    }

    /// `GET /admin/products/{slug}/rules.json` (`?draft=true` for the draft): the rules as a
    /// file to keep or edit elsewhere.
    pub async fn export(
        State(state): State<AppState>,
        Path(slug): Path<String>,
        Query(which): Query<Which>,
        headers: HeaderMap,
    ) -> Response {
        let who = match merchandiser(&state, &headers).await {
            Ok(who) => who,
            Err(response) => return response,
        };
        if slug.len() > crate::limits::MAX_ID {
            return StatusCode::NOT_FOUND.into_response();
        }
        let slug = slug.as_str();
        let found: Result<Option<(String, Option<String>, i64)>, sqlx::Error> = sqlx::query_as(
            "select p.rule_set, d.rule_set, p.rule_version
             from products p left join rule_drafts d on d.product_id = p.id where p.slug = $1",
        )
        .bind(slug)
        .fetch_optional(&state.pool)
        .await;
        let (published, draft, version) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return StatusCode::NOT_FOUND.into_response(),
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        };
        let (text, name) = if which.draft {
            match draft {
                Some(draft) => (draft, format!("{slug}-draft.json")),
                None => return (StatusCode::NOT_FOUND, "There is no draft.").into_response(),
            }
        } else {
            (published, format!("{slug}-version-{version}.json"))
        };
        let body = serde_json::from_str::<serde_json::Value>(&text)
            .and_then(|value| serde_json::to_string_pretty(&value))
            .unwrap_or(text);
        tracing::info!(by = %who.id, product = %slug, draft = which.draft, "rules exported");
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }

    /// `POST /admin/products/{slug}/rules/import`, multipart: `revision` (the draft's, 0 for
    /// none), `format` (`json` or `xcsp`), `rules` (the file) and, for XCSP, `prices` (its WCSP
    /// price file, optional). The file becomes the draft; back on the rules page with the outcome.
    pub async fn import(
        State(state): State<AppState>,
        Path(slug): Path<String>,
        headers: HeaderMap,
        multipart: Multipart,
    ) -> Response {
        if slug.len() > crate::limits::MAX_ID {
            return StatusCode::NOT_FOUND.into_response();
        }
        let who = match merchandiser_change(&state, &headers).await {
            Ok(who) => who,
            Err(response) => return response,
        };
        let page = format!("/admin/products/{slug}/rules");
        match receive(&state, &who, &slug, multipart).await {
            Ok(()) => Redirect::to(&format!("{page}?import=done")).into_response(),
            Err(Err(AppError::NotFound(message))) => {
                (StatusCode::NOT_FOUND, message).into_response()
            }
            Err(Err(error)) => {
                tracing::warn!(product = %slug, %error, "rule import failed");
                Redirect::to(&format!(
                    "{page}?import_error={}",
                    ImportRefusal::Failed.code()
                ))
                .into_response()
            }
            Err(Ok(refusal)) => {
                tracing::info!(product = %slug, refusal = refusal.code(), "rule import refused");
                Redirect::to(&format!("{page}?import_error={}", refusal.code())).into_response()
            }
        }
    }

    type Outcome = Result<(), Result<ImportRefusal, AppError>>;

    async fn file(
        field: &mut axum::extract::multipart::Field<'_>,
    ) -> Result<Vec<u8>, ImportRefusal> {
        read_limited(field, MAX_RULE_FILE_BYTES)
            .await
            .map_err(|error| match error {
                FieldError::TooBig => ImportRefusal::TooBig,
                FieldError::Broken => ImportRefusal::Failed,
            })
    }

    async fn receive(
        state: &AppState,
        who: &Customer,
        slug: &str,
        mut multipart: Multipart,
    ) -> Outcome {
        let (mut revision, mut format, mut rules, mut prices) =
            (None, String::new(), Vec::new(), Vec::new());
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|_| Ok(ImportRefusal::Failed))?
        {
            match field.name() {
                Some("revision") => {
                    revision = field
                        .text()
                        .await
                        .ok()
                        .and_then(|t| t.trim().parse::<i64>().ok());
                }
                Some("format") => format = field.text().await.unwrap_or_default(),
                Some("rules") => rules = file(&mut field).await.map_err(Ok)?,
                Some("prices") => prices = file(&mut field).await.map_err(Ok)?,
                _ => {}
            }
        }
        let revision = revision.ok_or(Ok(ImportRefusal::Failed))?;
        if rules.is_empty() {
            return Err(Ok(ImportRefusal::Empty));
        }
        let rules = String::from_utf8(rules).map_err(|_| {
            Ok(if format == "xcsp" {
                ImportRefusal::NotXcsp
            } else {
                ImportRefusal::NotJson
            })
        })?;
        let prices = (!prices.is_empty())
            .then(|| String::from_utf8(prices).map_err(|_| Ok(ImportRefusal::Prices)))
            .transpose()?;
        let xcsp = format == "xcsp";
        // Parsing a car range is engine-sized work: on the blocking pool, bounded.
        let converted = run_engine(state, move || -> Result<String, ImportRefusal> {
            let rule_set = if xcsp {
                let mut problem =
                    configurator::xcsp::import_csp(&rules).map_err(|_| ImportRefusal::NotXcsp)?;
                if let Some(prices) = &prices {
                    configurator::xcsp::import_prices(&mut problem, prices)
                        .map_err(|_| ImportRefusal::Prices)?;
                }
                configurator::generate::to_rule_set(&problem)
            } else {
                crate::admin::rules::parse_rules(&rules).map_err(|_| ImportRefusal::NotJson)?
            };
            serde_json::to_string_pretty(&rule_set).map_err(|_| ImportRefusal::Failed)
        })
        .await
        .map_err(Err)?
        .map_err(Ok)?;
        match crate::admin::rules::ssr::save_draft(state, who, slug, &converted, revision).await {
            Ok(()) => Ok(()),
            Err(AppError::Conflict(_)) => Err(Ok(ImportRefusal::Stale)),
            Err(other) => Err(Err(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImportRefusal;

    #[test]
    fn refusal_codes_read_back() {
        for refusal in ImportRefusal::ALL {
            assert_eq!(ImportRefusal::of_code(refusal.code()), Some(refusal));
        }
        assert_eq!(ImportRefusal::of_code("nope"), None);
    }
}
