//! What every response gets, built from tower-http layers where one does the job: a request id
//! (set, propagated, on every log line through the trace span), security headers (HSTS when the
//! site is https), compression, cache headers, and a bounded request body with a readable 413.
//! And what is ours: CSRF protection against `SITE_URL`'s origin, typed values of failed
//! no-JavaScript forms moved out of the URL into a short-lived cookie, HTTP statuses for
//! server-function errors, and a deadline on page rendering.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use app::components::{FORM_DRAFT_COOKIE, FormDraft};
use app::error::AppError;
use app::state::{AppState, Settings};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest request body a form may send; the Stripe webhook gets more (see `lib.rs`).
pub const FORM_BODY_LIMIT: usize = 64 * 1024;
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
/// A rule draft as large as a car range's rules, form-encoded (which grows JSON by up to
/// three times). Only a signed-in merchandiser's request gets this much.
pub const RULES_FORM_LIMIT: usize = 3 * app::admin::rules::MAX_RULES_LEN + FORM_BODY_LIMIT;
/// The server functions that take a whole rule set.
const RULE_SET_FUNCTIONS: [&str; 1] = ["/api/save_rule_draft"];

/// Bounds every request body: a form's worth, or a rule set's for a merchandiser saving one.
/// A declared length over the bound is refused before anything is read (413); a body that
/// turns out longer than it said stops being read at the bound.
pub async fn body_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut limit = FORM_BODY_LIMIT;
    if RULE_SET_FUNCTIONS.contains(&request.uri().path())
        && matches!(
            app::session::customer_of(&state, request.headers()).await,
            Ok(Some(customer)) if customer.is_merchandiser()
        )
    {
        limit = RULES_FORM_LIMIT;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// 64 random bits, hex: unique enough to find one request in the logs, and unguessable.
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        // The thread's CSPRNG (seeded from the OS): no system call per request.
        let id = hex::encode(rand::thread_rng().r#gen::<[u8; 8]>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// What the middlewares read: a cheap `Arc` clone per request (the whole `AppState`, with the
/// Leptos options in it, costs far more to clone and drop than a health check).
#[derive(Clone)]
struct Shared(Arc<SharedInner>);

struct SharedInner {
    settings: Arc<Settings>,
    hash_files: bool,
}

/// The layers of pages, server functions and assets: render deadline, server-function statuses,
/// form drafts, CSRF, cache headers, a readable 413 and compression (innermost first).
pub fn site_layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let shared = Shared(Arc::new(SharedInner {
        settings: state.settings.clone(),
        hash_files: state.leptos_options.hash_files,
    }));
    router
        .layer(middleware::from_fn(render_deadline))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn_with_state(shared.clone(), form_drafts))
        .layer(middleware::from_fn_with_state(shared.clone(), csrf))
        .layer(middleware::from_fn_with_state(shared, cache_control))
        .layer(middleware::from_fn(readable_413))
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(4)),
        )
}

/// The layers every response gets, health checks included: security headers (HSTS on https),
/// a CSP for what sets none, and the request id with its trace span.
pub fn common_layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    if state.settings.secure_cookies() {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    // Pages set their own CSP (with a script nonce); everything else allows nothing.
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
        ),
    ));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router.layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(drop_client_request_id))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), RandomRequestId))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &axum::http::Request<Body>| {
                        let id = request
                            .headers()
                            .get(&X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
                    })
                    .on_request(())
                    .on_response(
                        |response: &Response, latency: Duration, _span: &tracing::Span| {
                            tracing::info!(
                                status = response.status().as_u16(),
                                elapsed_ms = latency.as_secs_f64() * 1e3,
                                "request done"
                            );
                        },
                    )
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone())),
    )
}

/// A client's own `x-request-id` is not believed: ids are ours, so a log line can be trusted.
async fn drop_client_request_id(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove(&X_REQUEST_ID);
    next.run(request).await
}

/// `Cache-Control` by what is served: hashed assets for good, illustrations for a day, pages
/// and server functions never from a shared cache (they show the visitor's own cart and name).
async fn cache_control(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let value = if path.starts_with("/pkg/") {
        if shared.0.hash_files && response.status().is_success() {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }
    } else if path.starts_with("/images/") || path == "/favicon.svg" {
        "public, max-age=86400"
    } else if path.starts_with("/api/") || path.starts_with("/webhooks/") {
        "no-store"
    } else {
        "private, no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// An oversized request gets a page a person can read (tower-http's limit answers 413 with a
/// bare body).
async fn readable_413(request: Request, next: Next) -> Response {
    let upload = request.uri().path().ends_with("/image");
    let response = next.run(request).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let message = if upload {
        format!(
            "That image is larger than we accept ({} MB). Nothing was saved; please go back, make it smaller and try again.",
            app::admin::images::MAX_IMAGE_BYTES / (1024 * 1024)
        )
    } else {
        format!(
            "That was more than we accept in one form ({} KB). Nothing was saved; please go back, shorten what you entered and try again.",
            FORM_BODY_LIMIT / 1024
        )
    };
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// (scheme, host, port) of a URL, the default port filled in.
fn origin_of(url: &url::Url) -> Option<(String, String, u16)> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// Whether a request's `Origin` header names the shop's own origin (`SITE_URL`): scheme, host
/// and port all equal. The `Host` header is not used, since a proxy may rewrite it.
pub fn same_origin(origin: &str, site: &url::Url) -> bool {
    match (url::Url::parse(origin).ok(), origin_of(site)) {
        (Some(origin), Some(site)) => origin_of(&origin).as_ref() == Some(&site),
        _ => false,
    }
}

/// Refuses cross-site state-changing requests. Browsers say where a request comes from with
/// `Sec-Fetch-Site` and `Origin`; `Origin`, when sent, must be `SITE_URL`'s origin, and a request
/// that says neither is refused too. The Stripe webhook is exempt: its signature authenticates it.
async fn csrf(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path() == "/webhooks/stripe" {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match (fetch_site, origin) {
        (Some(site), _) if site != "same-origin" => false,
        (_, Some(origin)) => same_origin(origin, &shared.0.settings.site_url),
        (Some(_), None) => true,
        (None, None) => false,
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

/// A form posted without JavaScript that fails comes back to its page with the error in the
/// URL (leptos's `__err`). What was typed (email, name, address) must not ride along in a URL:
/// it is taken out of the error and sent back in a short-lived HttpOnly cookie instead, from
/// which the page fills the form again.
async fn form_drafts(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    let Some((rewritten, draft)) = move_values_out(&location) else {
        return response;
    };
    if let Ok(value) = HeaderValue::from_str(&rewritten) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    let encoded = draft.encode();
    // Browsers keep cookies up to 4 KB; a draft that big is dropped (the error still shows).
    if encoded.len() <= 3500 {
        let cookie = cookie::Cookie::build((FORM_DRAFT_COOKIE, encoded))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(shared.0.settings.secure_cookies())
            .max_age(cookie::time::Duration::minutes(10))
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The redirect target without the typed values in its `__err`, and the values as a draft.
fn move_values_out(location: &str) -> Option<(String, FormDraft)> {
    use base64::Engine;
    use leptos::server_fn::error::{FromServerFnError, ServerFnUrlError};
    let base = url::Url::parse("http://base.invalid").ok()?;
    let mut url = base.join(location).ok()?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let path = pairs.iter().find(|(k, _)| k == "__path")?.1.clone();
    let encoded = &pairs.iter().find(|(k, _)| k == "__err")?.1;
    let mut error = ServerFnUrlError::<AppError>::decode_err(encoded);
    let values = error.take_values();
    if values.is_empty() {
        return None;
    }
    let reencoded = base64::engine::general_purpose::URL_SAFE.encode(error.ser());
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(k, v)| {
            if k == "__err" {
                (k.as_str(), reencoded.as_str())
            } else {
                (k.as_str(), v.as_str())
            }
        }));
    let rewritten = if location.starts_with("http://") || location.starts_with("https://") {
        url.to_string()
    } else {
        let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
        format!("{}{query}", url.path())
    };
    Some((rewritten, FormDraft { path, values }))
}

/// Server functions answer errors with 500 whatever they are; this gives each `AppError` its own
/// status (422 for a validation error, 401, 403, 429, 503, …) so scripts and logs see what
/// happened.
async fn server_fn_status(request: Request, next: Next) -> Response {
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
const RENDER_DEADLINE: Duration = Duration::from_secs(3);
const RENDER_ATTEMPTS: u32 = 3;

/// Renders a page again if the first render stalls. leptos 0.8.23 can, rarely, leave a server
/// render waiting forever on a `Suspense` whose resources have all resolved (a lost wake-up:
/// leptos-rs/leptos#4851, fixed upstream after that release). Pages render with
/// `SsrMode::Async`, so nothing has been sent when the deadline passes and a fresh render is
/// safe: page requests are GETs that change nothing. Normal renders take milliseconds.
pub async fn render_deadline(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_page = request.method() == Method::GET
        && !["/api/", "/pkg/", "/webhooks/", "/images/", "/rules/"]
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

    #[test]
    fn the_origin_check_compares_scheme_host_and_port_with_the_site() {
        let site = url::Url::parse("http://shop.example:8080/").unwrap();
        assert!(super::same_origin("http://shop.example:8080", &site));
        assert!(super::same_origin("http://SHOP.example:8080", &site));
        assert!(!super::same_origin("https://shop.example:8080", &site));
        assert!(!super::same_origin("http://shop.example", &site));
        assert!(!super::same_origin("http://evil.example:8080", &site));
        assert!(!super::same_origin("null", &site));
        let https = url::Url::parse("https://shop.example").unwrap();
        assert!(super::same_origin("https://shop.example:443", &https));
        assert!(!super::same_origin("http://shop.example", &https));
    }

    #[test]
    fn typed_values_leave_the_url_and_the_error_stays() {
        use base64::Engine;
        use leptos::server_fn::error::FromServerFnError;
        let error = app::error::AppError::field("email", "Enter an email address.")
            .with_values(&[("email", "ada@example.com"), ("full_name", "Ada Lovelace")]);
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(error.ser());
        let location = format!("/checkout?__path=%2Fapi%2Fplace_order&__err={encoded}");
        let (rewritten, draft) = super::move_values_out(&location).unwrap();
        assert!(
            !rewritten.contains("ada") && !rewritten.contains("Lovelace"),
            "{rewritten}"
        );
        assert!(rewritten.starts_with("/checkout?"), "{rewritten}");
        assert_eq!(draft.path, "/api/place_order");
        assert_eq!(draft.values["full_name"], "Ada Lovelace");
        let url = url::Url::parse(&format!("http://x{rewritten}")).unwrap();
        let err = url.query_pairs().find(|(k, _)| k == "__err").unwrap().1;
        let decoded =
            leptos::server_fn::error::ServerFnUrlError::<app::error::AppError>::decode_err(&err);
        assert_eq!(
            decoded.field_message("email").as_deref(),
            Some("Enter an email address.")
        );
    }
}
