//! What every response gets: a request id carried into logs and errors, security headers, CSRF
//! protection for state-changing requests, HTTP statuses for server-function errors, and a
//! deadline on page rendering.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tracing::Instrument;

use app::error::AppError;
use app::state::RequestId;

/// Gives each request an id (in the logs, the `x-request-id` header and internal-error messages)
/// and logs one line when it completes.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = hex::encode(rand::rngs::OsRng.r#gen::<[u8; 8]>());
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "request done"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Security headers on every response. Pages set their own CSP (with a script nonce) in the
/// shell; everything else gets a policy that allows nothing but what it is.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

/// Refuses cross-site state-changing requests. Browsers say where a request comes from with
/// `Sec-Fetch-Site` (or, older ones, `Origin`); a request that says neither is refused too. The
/// Stripe webhook is exempt: it is authenticated by its signature instead.
pub async fn csrf(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path() == "/webhooks/stripe" {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => {
            let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            match (origin, host) {
                (Some(origin), Some(host)) => {
                    origin
                        .strip_prefix("http://")
                        .or_else(|| origin.strip_prefix("https://"))
                        == Some(host)
                }
                _ => false,
            }
        }
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!("refused a cross-site or origin-less request");
        (
            StatusCode::FORBIDDEN,
            "This request must come from the Atelier site itself.",
        )
            .into_response()
    }
}

/// Server functions answer errors with 500 whatever they are; this gives each `AppError` its own
/// status (422 for a validation error, 403, 429, …) so scripts and logs see what happened.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, 1 << 20).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// How long a page may take to render before it is rendered again.
const RENDER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);
const RENDER_ATTEMPTS: u32 = 3;

/// Renders a page again if the first render stalls. leptos 0.8.23 can, rarely, leave a server
/// render waiting forever on a `Suspense` whose resources have all resolved (a lost wake-up:
/// leptos-rs/leptos#4851, fixed upstream after that release). Pages render with
/// `SsrMode::Async`, so nothing has been sent when the deadline passes and a fresh render is
/// safe: page requests are GETs that change nothing. Normal renders take milliseconds.
pub async fn render_deadline(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_page = request.method() == Method::GET
        && !["/api/", "/pkg/", "/webhooks/", "/images/"]
            .iter()
            .any(|p| path.starts_with(p))
        && !matches!(path, "/healthz" | "/readyz");
    if !is_page {
        return next.run(request).await;
    }
    let (parts, _) = request.into_parts();
    for attempt in 1..=RENDER_ATTEMPTS {
        let request = Request::from_parts(parts.clone(), Body::empty());
        match tokio::time::timeout(RENDER_DEADLINE, next.clone().run(request)).await {
            Ok(response) => return response,
            Err(_) => {
                tracing::warn!(attempt, path = %parts.uri.path(), "page render stalled; rendering again")
            }
        }
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The page could not be rendered. Please try again.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A page whose first `stalls` renders never finish.
    fn app(stalls: usize) -> (Router, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let router = Router::new()
            .route(
                "/page",
                get(move || {
                    let call = counter.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if call < stalls {
                            std::future::pending::<()>().await;
                        }
                        "rendered"
                    }
                }),
            )
            .layer(from_fn(super::render_deadline));
        (router, calls)
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_page_render_is_rendered_again() {
        let (router, calls) = app(1);
        let response = router
            .oneshot(Request::get("/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            to_bytes(response.into_body(), 1024).await.unwrap(),
            "rendered"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_page_that_never_renders_gets_a_503_after_the_last_attempt() {
        let (router, calls) = app(usize::MAX);
        let response = router
            .oneshot(Request::get("/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            super::RENDER_ATTEMPTS as usize
        );
    }
}
