//! What the console's file endpoints (image upload, rule files) share: they are plain axum
//! handlers, outside leptos, so they check the merchandiser from the request's own headers, and
//! they read each multipart file within a size limit as it streams in.

use axum::extract::multipart::Field;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use crate::error::AppError;
use crate::session::Customer;
use crate::state::AppState;

/// The signed-in merchandiser of the request, or the answer for anyone else: 401 for a guest,
/// 403 for a buyer, 503 when the session cannot be read.
pub async fn merchandiser(state: &AppState, headers: &HeaderMap) -> Result<Customer, Response> {
    let refused = |status: StatusCode, error: AppError| (status, error.to_string()).into_response();
    match crate::session::customer_of(state, headers).await {
        Ok(Some(customer)) if customer.is_merchandiser() => Ok(customer),
        Ok(Some(_)) => Err(refused(StatusCode::FORBIDDEN, AppError::Forbidden)),
        Ok(None) => Err(refused(StatusCode::UNAUTHORIZED, AppError::Unauthenticated)),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}

/// As [`merchandiser`], for a request that changes something: counted against the
/// merchandiser's rate limit of console changes (429 past it).
pub async fn merchandiser_change(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Customer, Response> {
    let customer = merchandiser(state, headers).await?;
    match crate::rate_limit::console_change(&state.pool, &customer.id).await {
        Ok(()) => Ok(customer),
        Err(AppError::RateLimited) => Err((
            StatusCode::TOO_MANY_REQUESTS,
            AppError::RateLimited.to_string(),
        )
            .into_response()),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}

/// Why a file field could not be read.
pub enum FieldError {
    /// Longer than allowed; reading stopped there.
    TooBig,
    /// The upload broke off or is not valid multipart.
    Broken,
}

/// The whole of a file field, refused as soon as it grows past `max` bytes.
pub async fn read_limited(field: &mut Field<'_>, max: usize) -> Result<Vec<u8>, FieldError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| FieldError::Broken)? {
        if bytes.len() + chunk.len() > max {
            return Err(FieldError::TooBig);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
