//! The one error type server functions return. Each variant maps to an HTTP status and to words a
//! buyer understands; internal failures carry only a request reference, their cause goes to the log.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input the buyer can fix: a message for the form and one per field, plus the values they
    /// typed so a page rendered without JavaScript can show the form again without losing them.
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
        values: BTreeMap<String, String>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    RateLimited,
    /// A login that did not match an account; the email is kept for the form.
    #[error("Email or password is incorrect.")]
    BadCredentials { values: BTreeMap<String, String> },
    /// Too much is happening at once; nothing was done, and trying again shortly works.
    #[error("We are very busy right now. Nothing was changed; please try again in a moment.")]
    Busy,
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, quote reference {request_id}."
    )]
    Internal { request_id: String },
    /// The request never reached the server function properly (network, a malformed form). The
    /// text is one of ours, never a deserializer's.
    #[error("{0}")]
    Request(String),
}

impl AppError {
    pub fn validation(message: impl Into<String>) -> Self {
        AppError::Validation {
            message: message.into(),
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Validation {
            message: message.clone(),
            fields: BTreeMap::from([(field.to_owned(), message)]),
            values: BTreeMap::new(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::NotFound(_) => 404,
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::Conflict(_) => 409,
            AppError::RateLimited => 429,
            AppError::BadCredentials { .. } => 401,
            AppError::Busy => 503,
            AppError::Internal { .. } => 500,
            AppError::Request(_) => 400,
        }
    }

    /// Field-level message, if this is a validation error naming `field`.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(field).cloned(),
            _ => None,
        }
    }

    /// The value the buyer typed into `field`, kept across a failed form post.
    pub fn typed_value(&self, field: &str) -> Option<String> {
        self.values().and_then(|values| values.get(field).cloned())
    }

    pub fn values(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            AppError::Validation { values, .. } | AppError::BadCredentials { values } => {
                Some(values)
            }
            _ => None,
        }
    }

    /// Takes the typed values out (they travel apart from the error when it goes into a URL).
    pub fn take_values(&mut self) -> BTreeMap<String, String> {
        match self {
            AppError::Validation { values, .. } | AppError::BadCredentials { values } => {
                std::mem::take(values)
            }
            _ => BTreeMap::new(),
        }
    }

    /// Keeps what the buyer typed (except secrets) so the form can be shown again. A value
    /// longer than any field allows is not echoed back.
    pub fn with_values(mut self, typed: &[(&str, &str)]) -> Self {
        if let AppError::Validation { values, .. } | AppError::BadCredentials { values } = &mut self
        {
            for (name, value) in typed {
                if value.len() <= MAX_ECHOED_VALUE {
                    values.insert((*name).to_owned(), (*value).to_owned());
                }
            }
        }
        self
    }
}

/// The longest typed value a failed form gets back; longer input was refused anyway.
pub const MAX_ECHOED_VALUE: usize = 1000;

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        // The detail (a deserializer's "missing field `slug`") is for the log, not the buyer.
        #[cfg(feature = "ssr")]
        tracing::info!(error = %value, "server function request refused");
        match value {
            E::Args(_) | E::MissingArg(_) => AppError::Request(
                "Some fields of the form were missing or not valid. Please reload the page and try again."
                    .into(),
            ),
            _ => AppError::Request(
                "The request could not be completed. Please check your connection and try again."
                    .into(),
            ),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    /// Logs the cause with the request id and returns the error a client may see.
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        let request_id = crate::state::current_request_id();
        tracing::error!(request_id = %request_id, error = %cause, "internal error");
        AppError::Internal { request_id }
    }

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            internal(format_args!("database: {error}"))
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::internal;
