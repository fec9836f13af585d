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
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, quote reference {request_id}."
    )]
    Internal { request_id: String },
    /// The request never reached the server function properly (network, decoding).
    #[error("The request could not be completed. Please check your connection and try again.")]
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
        match self {
            AppError::Validation { values, .. } => values.get(field).cloned(),
            _ => None,
        }
    }

    /// Keeps what the buyer typed (except secrets) so the form can be shown again.
    pub fn with_values(mut self, typed: &[(&str, &str)]) -> Self {
        if let AppError::Validation { values, .. } = &mut self {
            for (name, value) in typed {
                values.insert((*name).to_owned(), (*value).to_owned());
            }
        }
        self
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
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
