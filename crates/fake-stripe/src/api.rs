//! The Stripe-shaped `/v1` API: Checkout Session create / retrieve / expire / line items, Bearer
//! authentication, and errors in Stripe's `{"error": {"type", "code", "message", "param"}}` shape
//! (the shape async-stripe 0.41 parses into `StripeError::Stripe`). Every `/v1` request is
//! recorded, authorised or not, so tests can assert on exactly what the shop sent.
//!
//! One middleware wraps every route and does, in order: record the request, apply injected
//! faults ([`crate::fault`]), authenticate, honour the `Idempotency-Key` of a `POST`
//! ([`crate::idempotency`]), run the handler, and hold the answer back if a delay is injected.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::fault::Failure;
use crate::form;
use crate::idempotency::{Claim, Fingerprint, StoredResponse};
use crate::store::{Answer, ControlError, RecordedRequest, Shared, random_id};

/// An error answered in Stripe's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stripe's error `type`, e.g. `invalid_request_error`.
    pub error_type: &'static str,
    /// Stripe's error `code`; only codes async-stripe 0.41's `ErrorCode` knows, or it fails
    /// to parse the error.
    pub code: Option<&'static str>,
    /// Human-readable message.
    pub message: String,
    /// The parameter at fault, in bracket notation.
    pub param: Option<String>,
}

impl ApiError {
    pub(crate) fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error_type: "invalid_request_error",
            code: None,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    pub(crate) fn coded(code: &'static str, message: impl Into<String>, param: &str) -> Self {
        Self {
            code: Some(code),
            ..Self::invalid(message, Some(param))
        }
    }

    pub(crate) fn coded_without_param(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: Some(code),
            ..Self::invalid(message, None)
        }
    }

    pub(crate) fn idempotency(message: impl Into<String>) -> Self {
        Self {
            error_type: "idempotency_error",
            ..Self::invalid(message, None)
        }
    }

    fn injected(status: StatusCode) -> Self {
        Self {
            status,
            error_type: "api_error",
            code: None,
            message: format!(
                "Something went wrong on Stripe's end. (fake-stripe: injected {} failure; nothing was executed.)",
                status.as_u16()
            ),
            param: None,
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::coded(
            "parameter_missing",
            format!("Missing required param: {param}."),
            param,
        )
    }

    pub(crate) fn unknown_parameter(param: &str) -> Self {
        Self::coded(
            "parameter_unknown",
            format!(
                "Received unknown parameter: {param}. (fake-stripe supports a subset of the API)"
            ),
            param,
        )
    }

    pub(crate) fn resource_missing(message: impl Into<String>, param: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            ..Self::coded("resource_missing", message, param)
        }
    }

    fn unauthorized(message: String) -> Self {
        // Real Stripe reports a bad key as 401 with type `invalid_request_error`.
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::invalid(message, None)
        }
    }

    fn no_such_session(id: &str) -> Self {
        Self::resource_missing(format!("No such checkout.session: '{id}'"), "session")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"type": self.error_type, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        (self.status, axum::Json(json!({ "error": error }))).into_response()
    }
}

/// The `/v1` routes, wrapped in request recording and authentication.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/v1/checkout/sessions",
            post(create_session).get(list_sessions),
        )
        .route("/v1/checkout/sessions/{id}", get(retrieve_session))
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
        .route("/v1/checkout/sessions/{id}/line_items", get(line_items))
        .route("/v1", axum::routing::any(unknown_url))
        .route("/v1/{*rest}", axum::routing::any(unknown_url))
        .layer(middleware::from_fn_with_state(shared.clone(), front_door))
        .with_state(shared)
}

const MAX_BODY: usize = 1024 * 1024;

/// Marks a response whose endpoint never began executing (the parameters failed validation):
/// Stripe stores no idempotent result for it, so the same key may be used again.
#[derive(Debug, Clone, Copy)]
struct NotExecuted;

fn not_executed(error: ApiError) -> Response {
    let mut response = error.into_response();
    response.extensions_mut().insert(NotExecuted);
    response
}

/// Every `/v1` request passes here, in the order the module documentation gives.
async fn front_door(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::invalid("Request body too large.", None).into_response();
    };
    let authorized = check_key(&parts.headers, &shared.settings.secret_key);
    let is_form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let query = parts
        .uri
        .query()
        .and_then(|q| form::parse(q.as_bytes()).ok())
        .unwrap_or_else(|| json!({}));
    let parsed_form = if is_form {
        form::parse(&bytes).ok()
    } else {
        None
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = if name == "authorization" {
                "(redacted)".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let body_text = String::from_utf8_lossy(&bytes).into_owned();
    let seq = shared.record_request(RecordedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        form: parsed_form.clone().unwrap_or_else(|| json!({})),
        body: body_text.clone(),
        headers,
        authorized: authorized.is_ok(),
        status: 0,
        replayed: false,
        injected_failure: false,
    });
    let plan = shared.take_fault(parts.method.as_str(), parts.uri.path());
    let request_id = random_id("req_", 14);

    let (mut response, answer) = if let Some(failure) = plan.failure {
        // Before authentication and idempotency: the failure stands for Stripe not getting as
        // far as executing anything, so a retry with the same key must run for real.
        (injected_failure(failure), Answer::InjectedFailure)
    } else if let Err(e) = authorized {
        (e.into_response(), Answer::Handled)
    } else {
        let fingerprint = Fingerprint {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            params: parsed_form.unwrap_or(Value::String(body_text)),
        };
        let key = idempotency_key(&parts.method, &parts.headers);
        let request = Request::from_parts(parts, Body::from(bytes));
        match key {
            None => (next.run(request).await, Answer::Handled),
            Some(key) => execute_once(&shared, &key, fingerprint, &request_id, request, next).await,
        }
    };
    shared.finish_request(seq, response.status().as_u16(), answer);
    if let Ok(value) = request_id.parse() {
        response.headers_mut().insert("request-id", value);
    }
    if let Some(delay) = plan.delay {
        // The work is done and recorded; only the answer is late, as when Stripe is slow and
        // the client gives up on a request that did go through. Sleeping here holds up this
        // one connection only.
        tokio::time::sleep(delay).await;
    }
    response
}

/// Stripe honours idempotency keys on `POST` only (`GET` and `DELETE` are idempotent anyway,
/// and async-stripe's retrying strategies send a key on every request).
fn idempotency_key(method: &Method, headers: &HeaderMap) -> Option<String> {
    if method != Method::POST {
        return None;
    }
    headers
        .get("idempotency-key")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Runs a keyed request at most once: replays the stored answer, refuses a conflicting reuse,
/// or executes and stores the answer.
async fn execute_once(
    shared: &Arc<Shared>,
    key: &str,
    fingerprint: Fingerprint,
    request_id: &str,
    request: Request,
    next: Next,
) -> (Response, Answer) {
    match shared.claim_key(key, fingerprint) {
        Claim::Refused(error) => (error.into_response(), Answer::Handled),
        Claim::Replay(stored) => (replayed(&stored, key), Answer::Replayed),
        Claim::Fresh => {
            // Released on drop, so a request cancelled mid-way (client gone) does not leave
            // the key "in use" for ever.
            let claim = ClaimGuard {
                shared: shared.clone(),
                key: Some(key.to_owned()),
            };
            let response = next.run(request).await;
            if response.extensions().get::<NotExecuted>().is_some() {
                return (response, Answer::Handled);
            }
            let (mut parts, body) = response.into_parts();
            let Ok(body) = to_bytes(body, usize::MAX).await else {
                return (
                    ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
                    Answer::Handled,
                );
            };
            claim.complete(StoredResponse {
                status: parts.status,
                body: body.clone(),
                request_id: request_id.to_owned(),
            });
            if let Ok(value) = key.parse() {
                parts.headers.insert("idempotency-key", value);
            }
            (
                Response::from_parts(parts, Body::from(body)),
                Answer::Handled,
            )
        }
    }
}

struct ClaimGuard {
    shared: Arc<Shared>,
    key: Option<String>,
}

impl ClaimGuard {
    fn complete(mut self, response: StoredResponse) {
        if let Some(key) = self.key.take() {
            self.shared.complete_key(&key, response);
        }
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.release_key(&key);
        }
    }
}

/// The stored answer again, marked the way Stripe marks replays.
fn replayed(stored: &StoredResponse, key: &str) -> Response {
    let mut response = (
        stored.status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        stored.body.clone(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Ok(value) = stored.request_id.parse() {
        headers.insert("original-request", value);
    }
    if let Ok(value) = key.parse() {
        headers.insert("idempotency-key", value);
    }
    response
}

fn injected_failure(failure: Failure) -> Response {
    // The fault module only accepts 5xx, so the fallback is never used.
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = ApiError::injected(status).into_response();
    if let Some(retry) = failure.should_retry {
        let value = HeaderValue::from_static(if retry { "true" } else { "false" });
        response.headers_mut().insert("stripe-should-retry", value);
    }
    response
}

fn check_key(headers: &HeaderMap, secret_key: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".into(),
        ));
    };
    let key = value.strip_prefix("Bearer ").unwrap_or("").trim();
    if key == secret_key {
        Ok(())
    } else {
        let shown: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: sk_test_****{shown}"
        )))
    }
}

fn parse_form(body: &Bytes) -> Result<Value, ApiError> {
    form::parse(body).map_err(|e| ApiError::invalid(e.to_string(), Some(&e.key)))
}

fn wants_line_items(query: &Value) -> bool {
    match query.get("expand") {
        Some(Value::Array(items)) => items.iter().any(|v| v == "line_items"),
        Some(Value::String(s)) => s == "line_items",
        _ => false,
    }
}

async fn create_session(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let params = match parse_form(&body) {
        Ok(params) => params,
        Err(e) => return not_executed(e),
    };
    let json = match shared.create_session(&params) {
        Ok(json) => json,
        Err(e) => return not_executed(e),
    };
    if wants_line_items(&params) {
        let id = json["id"].as_str().unwrap_or_default();
        return match shared.session(id) {
            Some(session) => axum::Json(session.to_json(true)).into_response(),
            None => ApiError::no_such_session(id).into_response(),
        };
    }
    axum::Json(json).into_response()
}

async fn list_sessions(State(shared): State<Arc<Shared>>) -> Response {
    let mut data: Vec<Value> = shared.sessions_json();
    for session in &mut data {
        if let Value::Object(map) = session {
            map.remove("line_items");
        }
    }
    // Stripe lists newest first.
    data.reverse();
    axum::Json(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/checkout/sessions",
    }))
    .into_response()
}

async fn retrieve_session(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = form::parse(raw.unwrap_or_default().as_bytes()).unwrap_or_else(|_| json!({}));
    match shared.session(&id) {
        Some(session) => axum::Json(session.to_json(wants_line_items(&query))).into_response(),
        None => ApiError::no_such_session(&id).into_response(),
    }
}

async fn line_items(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.session(&id) {
        Some(session) => axum::Json(session.line_items_json()).into_response(),
        None => ApiError::no_such_session(&id).into_response(),
    }
}

async fn expire_session(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.expire(&id) {
        Ok((session, event)) => {
            // Real Stripe sends the event after answering; sending it in the background also
            // keeps a shop that expires inside a transaction from waiting on its own webhook.
            let background = shared.clone();
            tokio::spawn(async move {
                background.dispatch(&event).await;
            });
            axum::Json(session).into_response()
        }
        Err(ControlError::NotOpen { status, .. }) => ApiError::invalid(
            format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `{status}`."
            ),
            None,
        )
        .into_response(),
        Err(_) => ApiError::no_such_session(&id).into_response(),
    }
}

async fn unknown_url(method: Method, uri: axum::http::Uri) -> Response {
    not_executed(ApiError {
        status: StatusCode::NOT_FOUND,
        ..ApiError::invalid(
            format!(
                "Unrecognized request URL ({method}: {}). fake-stripe implements only Checkout Sessions.",
                uri.path()
            ),
            None,
        )
    })
}
