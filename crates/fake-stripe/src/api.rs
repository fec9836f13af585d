//! The Stripe-shaped `/v1` API: Checkout Session create / retrieve / expire / line items, Bearer
//! authentication, and errors in Stripe's `{"error": {"type", "code", "message", "param"}}` shape
//! (the shape async-stripe 0.41 parses into `StripeError::Stripe`). Every `/v1` request is
//! recorded, authorised or not, so tests can assert on exactly what the shop sent.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::form;
use crate::store::{ControlError, RecordedRequest, Shared, random_id};

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
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            record_and_authenticate,
        ))
        .with_state(shared)
}

const MAX_BODY: usize = 1024 * 1024;

async fn record_and_authenticate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
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
    let form_params = if is_form {
        form::parse(&bytes).unwrap_or_else(|_| json!({}))
    } else {
        json!({})
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
    let seq = shared.record_request(RecordedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        form: form_params,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        headers,
        authorized: authorized.is_ok(),
        status: 0,
    });
    let mut response = match authorized {
        Err(e) => e.into_response(),
        Ok(()) => {
            let request = Request::from_parts(parts, Body::from(bytes));
            next.run(request).await
        }
    };
    shared.set_request_status(seq, response.status().as_u16());
    if let Ok(value) = random_id("req_", 14).parse() {
        response.headers_mut().insert("request-id", value);
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
    let result = parse_form(&body).and_then(|params| {
        let expand = wants_line_items(&params);
        let json = shared.create_session(&params)?;
        if expand {
            let id = json["id"].as_str().unwrap_or_default();
            return shared
                .session(id)
                .map(|s| s.to_json(true))
                .ok_or_else(|| ApiError::no_such_session(id));
        }
        Ok(json)
    });
    match result {
        Ok(json) => axum::Json(json).into_response(),
        Err(e) => e.into_response(),
    }
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
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This session has status \"{status}\"."
            ),
            None,
        )
        .into_response(),
        Err(_) => ApiError::no_such_session(&id).into_response(),
    }
}

async fn unknown_url(method: Method, uri: axum::http::Uri) -> Response {
    ApiError {
        status: StatusCode::NOT_FOUND,
        ..ApiError::invalid(
            format!(
                "Unrecognized request URL ({method}: {}). fake-stripe implements only Checkout Sessions.",
                uri.path()
            ),
            None,
        )
    }
    .into_response()
}
