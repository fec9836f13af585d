//! Test controls under `/_test/…` (JSON): inspect what the shop sent and what was delivered,
//! steer webhook delivery — hold and release in any order, redeliver, send stale, forged or
//! raw payloads — expire sessions whose time has come, and inject faults into the `/v1` API.
//! The same operations are methods on [`crate::Running`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::fault::{Failure, FaultError, Route};
use crate::store::{ControlError, Shared, now};
use crate::webhook::{DeliveryKind, Signing};

/// Default age of a stale signature: well past Stripe's 300 s tolerance.
pub(crate) const DEFAULT_STALE_AGE_SECS: i64 = 600;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_test/health", get(|| async { Json(json!({"ok": true})) }))
        .route("/_test/reset", post(reset))
        .route("/_test/requests", get(requests))
        .route("/_test/sessions", get(sessions))
        .route("/_test/sessions/expire_due", post(expire_due))
        .route("/_test/sessions/{id}", get(session))
        .route("/_test/sessions/{id}/pay", post(pay))
        .route("/_test/sessions/{id}/expire", post(expire))
        .route("/_test/events", get(events))
        .route("/_test/events/{id}/redeliver", post(redeliver))
        .route("/_test/events/{id}/stale", post(stale))
        .route("/_test/events/{id}/forged", post(forged))
        .route("/_test/deliveries", get(deliveries))
        .route(
            "/_test/webhook",
            get(webhook).put(set_webhook).post(set_webhook),
        )
        .route("/_test/hold", post(hold))
        .route("/_test/release", post(release))
        .route("/_test/raw", post(raw))
        .route("/_test/faults", get(faults).delete(clear_faults))
        .route("/_test/faults/fail", post(fail))
        .route("/_test/faults/delay", post(delay))
        .with_state(shared)
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownSession(_) | Self::UnknownEvent(_) => StatusCode::NOT_FOUND,
            Self::NotHeld(_) | Self::NotOpen { .. } => StatusCode::CONFLICT,
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

impl IntoResponse for FaultError {
    fn into_response(self) -> Response {
        bad_request(self.to_string())
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

/// Parses an optional JSON body: an empty body means "all defaults".
fn body<T: for<'de> Deserialize<'de> + Default>(bytes: &Bytes) -> Result<T, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

fn to_json<T: serde::Serialize>(value: T) -> Response {
    Json(value).into_response()
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    to_json(json!({"ok": true}))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    to_json(shared.requests())
}

async fn sessions(State(shared): State<Arc<Shared>>) -> Response {
    to_json(shared.sessions_json())
}

async fn session(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.session(&id) {
        Some(s) => to_json(s.to_json(true)),
        None => ControlError::UnknownSession(id).into_response(),
    }
}

async fn pay(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.pay(&id).await {
        Ok(outcome) => to_json(json!({
            "session": outcome.session,
            "event": outcome.event,
            "delivery": outcome.delivery,
            "redirect": outcome.redirect,
        })),
        Err(e) => e.into_response(),
    }
}

async fn expire(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.expire(&id) {
        Ok((session, event)) => {
            let delivery = shared.dispatch(&event).await;
            to_json(json!({"session": session, "event": event, "delivery": delivery}))
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct ExpireDueBody {
    /// Unix seconds; the fake's clock when absent.
    now: Option<i64>,
}

async fn expire_due(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: ExpireDueBody = match body(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    let expired = shared.expire_due(parsed.now.unwrap_or_else(now)).await;
    let expired: Vec<Value> = expired
        .into_iter()
        .map(|e| json!({"session": e.session, "event": e.event, "delivery": e.delivery}))
        .collect();
    to_json(expired)
}

async fn events(State(shared): State<Arc<Shared>>) -> Response {
    to_json(shared.events())
}

async fn redeliver(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared
        .resend(&id, DeliveryKind::Redelivery, &Signing::Valid)
        .await
    {
        Ok(d) => to_json(d),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct StaleBody {
    age_secs: Option<i64>,
}

async fn stale(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let parsed: StaleBody = match body(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    let signing = Signing::Stale {
        age_secs: parsed.age_secs.unwrap_or(DEFAULT_STALE_AGE_SECS),
    };
    match shared.resend(&id, DeliveryKind::Stale, &signing).await {
        Ok(d) => to_json(d),
        Err(e) => e.into_response(),
    }
}

async fn forged(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared
        .resend(&id, DeliveryKind::Forged, &Signing::Forged)
        .await
    {
        Ok(d) => to_json(d),
        Err(e) => e.into_response(),
    }
}

async fn deliveries(State(shared): State<Arc<Shared>>) -> Response {
    to_json(shared.deliveries())
}

fn webhook_state(shared: &Shared) -> Value {
    let (hold, held) = shared.hold();
    json!({"url": shared.webhook_url(), "hold": hold, "held": held})
}

async fn webhook(State(shared): State<Arc<Shared>>) -> Response {
    to_json(webhook_state(&shared))
}

#[derive(Deserialize, Default)]
struct WebhookBody {
    url: Option<String>,
}

async fn set_webhook(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: WebhookBody = match body(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    shared.set_webhook_url(parsed.url.filter(|u| !u.is_empty()));
    to_json(webhook_state(&shared))
}

#[derive(Deserialize)]
struct HoldBody {
    hold: bool,
}

impl Default for HoldBody {
    fn default() -> Self {
        Self { hold: true }
    }
}

async fn hold(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: HoldBody = match body(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    shared.set_hold(parsed.hold);
    to_json(webhook_state(&shared))
}

#[derive(Deserialize, Default)]
struct ReleaseBody {
    order: Option<Vec<String>>,
}

async fn release(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: ReleaseBody = match body(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    match shared.release(parsed.order.as_deref()).await {
        Ok(d) => to_json(d),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct RawBody {
    payload: String,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    age_secs: Option<i64>,
    #[serde(default)]
    header: Option<String>,
}

async fn raw(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: RawBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(format!("invalid JSON body: {e}")),
    };
    let signing = match (parsed.signature.as_deref(), parsed.header) {
        (_, Some(header)) => Signing::Header { header },
        (None | Some("valid"), None) => Signing::Valid,
        (Some("stale"), None) => Signing::Stale {
            age_secs: parsed.age_secs.unwrap_or(DEFAULT_STALE_AGE_SECS),
        },
        (Some("forged"), None) => Signing::Forged,
        (Some("none"), None) => Signing::Missing,
        (Some(other), None) => {
            return bad_request(format!(
                "unknown signature `{other}`: use valid, stale, forged, none, or give `header`"
            ));
        }
    };
    to_json(shared.send_raw(&parsed.payload, &signing).await)
}

/// The route part of a fault request; `method` absent means every method.
fn route(method: Option<&str>, path: String) -> Route {
    match method {
        Some(method) => Route::new(method, path),
        None => Route::any(path),
    }
}

async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    to_json(shared.faults())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    to_json(shared.faults())
}

#[derive(Deserialize)]
struct FailBody {
    method: Option<String>,
    path: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "internal_server_error")]
    status: u16,
    #[serde(default)]
    should_retry: Option<bool>,
}

fn one() -> u32 {
    1
}

fn internal_server_error() -> u16 {
    500
}

async fn fail(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: FailBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(format!("invalid JSON body: {e}")),
    };
    let failure = Failure {
        status: parsed.status,
        should_retry: parsed.should_retry,
    };
    match shared.fail_next(
        route(parsed.method.as_deref(), parsed.path),
        parsed.count,
        failure,
    ) {
        Ok(()) => to_json(shared.faults()),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct DelayBody {
    method: Option<String>,
    path: String,
    ms: u64,
    /// The next `count` requests only; absent means every one until cleared.
    #[serde(default)]
    count: Option<u32>,
}

async fn delay(State(shared): State<Arc<Shared>>, bytes: Bytes) -> Response {
    let parsed: DelayBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_request(format!("invalid JSON body: {e}")),
    };
    match shared.delay(
        route(parsed.method.as_deref(), parsed.path),
        std::time::Duration::from_millis(parsed.ms),
        parsed.count,
    ) {
        Ok(()) => to_json(shared.faults()),
        Err(e) => e.into_response(),
    }
}
