//! fake-stripe: a local stand-in for the parts of Stripe Atelier uses — Checkout Sessions, a
//! hosted payment page and signed webhooks — so the shop's tests talk to a real HTTP server
//! (with the real async-stripe client) instead of api.stripe.com, and can assert on what the
//! shop sent and steer what it receives.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let stripe = fake_stripe::FakeStripe::start(fake_stripe::Config {
//!     webhook_url: Some("http://127.0.0.1:3000/webhooks/stripe".into()),
//!     ..fake_stripe::Config::default()
//! })
//! .await?;
//! // stripe::Client::from_url(stripe.base_url(), stripe.secret_key()) …
//! stripe.shutdown().await;
//! # Ok(()) }
//! ```

// The session JSON has more fields than `serde_json::json!`'s default recursion allows.
#![recursion_limit = "256"]

pub mod api;
mod control;
pub mod fault;
pub mod form;
mod idempotency;
mod model;
mod pay;
mod store;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::{Failure, Fault, FaultError, FaultKind, Route};
pub use store::{ControlError, EventRecord, Expiry, PayOutcome, RecordedRequest};
pub use webhook::{Delivery, DeliveryKind, Signing, signature_header};

/// Default secret key the fake accepts (and the binary's default).
pub const DEFAULT_SECRET_KEY: &str = "sk_test_atelier";
/// Default webhook signing secret (and the binary's default).
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_atelier";

/// How to start a fake.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; must be a loopback address. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// The secret key clients must send as `Authorization: Bearer …`.
    pub secret_key: String,
    /// The secret webhook payloads are signed with.
    pub webhook_secret: String,
    /// Where events are POSTed; `None` until set (events are then logged as undeliverable).
    pub webhook_url: Option<String>,
    /// How long one webhook delivery may take before it counts as failed.
    pub delivery_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            secret_key: DEFAULT_SECRET_KEY.into(),
            webhook_secret: DEFAULT_WEBHOOK_SECRET.into(),
            webhook_url: None,
            delivery_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The fake only listens on loopback: it has no business being reachable from elsewhere.
    #[error("fake-stripe only listens on a loopback address, not {0}")]
    NotLoopback(SocketAddr),
    /// Binding the listener failed (port in use, …).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Entry point: [`FakeStripe::start`].
pub struct FakeStripe;

impl FakeStripe {
    /// Binds, starts serving in the background and returns a handle to inspect and steer it.
    pub async fn start(config: Config) -> Result<Running, StartError> {
        if !config.addr.ip().is_loopback() {
            return Err(StartError::NotLoopback(config.addr));
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let shared = Arc::new(store::Shared::new(
            store::Settings {
                secret_key: config.secret_key,
                webhook_secret: config.webhook_secret,
                base_url: format!("http://{addr}"),
                delivery_timeout: config.delivery_timeout,
            },
            config.webhook_url,
        ));
        let app = router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "fake-stripe server stopped");
            }
        });
        tracing::info!(%addr, "fake-stripe listening");
        Ok(Running {
            addr,
            shared,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

fn router(shared: Arc<store::Shared>) -> Router {
    Router::new()
        .merge(api::router(shared.clone()))
        .merge(pay::router(shared.clone()))
        .merge(control::router(shared))
}

/// A running fake. Dropping it stops the server; [`Running::shutdown`] also waits for it.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<store::Shared>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Running {
    /// `http://127.0.0.1:<port>`: pass it to `stripe::Client::from_url`.
    pub fn base_url(&self) -> &str {
        &self.shared.settings.base_url
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The secret key the fake accepts.
    pub fn secret_key(&self) -> &str {
        &self.shared.settings.secret_key
    }

    /// The secret webhook payloads are signed with.
    pub fn webhook_secret(&self) -> &str {
        &self.shared.settings.webhook_secret
    }

    /// The hosted payment page of a session (also the session's `url`).
    pub fn payment_page_url(&self, session_id: &str) -> String {
        format!("{}/pay/{session_id}", self.base_url())
    }

    /// Every `/v1` request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Every session, oldest first, as Stripe JSON with `line_items` expanded.
    pub fn sessions(&self) -> Vec<Value> {
        self.shared.sessions_json()
    }

    /// One session as Stripe JSON (as `GET /v1/checkout/sessions/{id}` returns it).
    pub fn session(&self, id: &str) -> Option<Value> {
        self.shared.session_json(id)
    }

    /// Every event created so far, oldest first.
    pub fn events(&self) -> Vec<EventRecord> {
        self.shared.events()
    }

    /// Every webhook delivery attempted so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries()
    }

    /// Waits (at most `timeout`) until at least `count` deliveries have been attempted.
    pub async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivery>, ControlError> {
        self.shared.wait_for_deliveries(count, timeout).await
    }

    /// Where events are sent; `None` stops sending (deliveries are logged as failed).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.shared.set_webhook_url(url);
    }

    /// While `true`, new events are queued instead of sent; see [`Running::release`].
    pub fn hold_deliveries(&self, hold: bool) {
        self.shared.set_hold(hold);
    }

    /// Ids of the events waiting in the hold queue, in arrival order.
    pub fn held_events(&self) -> Vec<String> {
        self.shared.hold().1
    }

    /// Sends every held event, in arrival order.
    pub async fn release_all(&self) -> Vec<Delivery> {
        self.shared.release(None).await.unwrap_or_default()
    }

    /// Sends the named held events in exactly this order (others stay held).
    pub async fn release(&self, order: &[&str]) -> Result<Vec<Delivery>, ControlError> {
        let order: Vec<String> = order.iter().map(|s| (*s).to_owned()).collect();
        self.shared.release(Some(&order)).await
    }

    /// Does what the payment page's "Pay" button does, without a browser.
    pub async fn pay(&self, session_id: &str) -> Result<PayOutcome, ControlError> {
        self.shared.pay(session_id).await
    }

    /// Expires an open session and sends `checkout.session.expired` (awaiting its delivery).
    pub async fn expire(
        &self,
        session_id: &str,
    ) -> Result<(Value, EventRecord, Option<Delivery>), ControlError> {
        let (session, event) = self.shared.expire(session_id)?;
        let delivery = self.shared.dispatch(&event).await;
        Ok((session, event, delivery))
    }

    /// Expires every open session whose `expires_at` is at or before `now` (unix seconds), and
    /// delivers `checkout.session.expired` for each (awaiting each delivery), as Stripe does
    /// when the time comes. Pass a `now` in the future to jump ahead instead of waiting.
    pub async fn expire_due(&self, now: i64) -> Vec<Expiry> {
        self.shared.expire_due(now).await
    }

    /// Answers the next `count` requests matching `route` with `failure` (a 5xx Stripe
    /// `api_error`) instead of executing them. Nothing is stored against their idempotency
    /// keys, so a retry with the same key executes for real. Failures added for the same
    /// route apply one after the other.
    pub fn fail_next(&self, route: Route, count: u32, failure: Failure) -> Result<(), FaultError> {
        self.shared.fail_next(route, count, failure)
    }

    /// Holds back every answer to requests matching `route` by `delay` until cleared; the
    /// request itself is executed at once. Replaces an earlier `delay` for the same route;
    /// [`Duration::ZERO`] removes it. Other requests and the `/_test` controls are not held up.
    pub fn delay(&self, route: Route, delay: Duration) -> Result<(), FaultError> {
        self.shared.delay(route, delay, None)
    }

    /// Like [`Running::delay`], for the next `count` matching requests only.
    pub fn delay_next(&self, route: Route, count: u32, delay: Duration) -> Result<(), FaultError> {
        self.shared.delay(route, delay, Some(count))
    }

    /// The injected faults still in force, oldest first.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults()
    }

    /// Removes every injected fault (answers already being delayed still arrive late).
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Sends an event again with the same id and payload, as Stripe's retries do.
    pub async fn redeliver(&self, event_id: &str) -> Result<Delivery, ControlError> {
        self.shared
            .resend(event_id, DeliveryKind::Redelivery, &Signing::Valid)
            .await
    }

    /// Sends an event signed with a timestamp `age` in the past.
    pub async fn send_stale(
        &self,
        event_id: &str,
        age: Duration,
    ) -> Result<Delivery, ControlError> {
        let age_secs = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
        self.shared
            .resend(event_id, DeliveryKind::Stale, &Signing::Stale { age_secs })
            .await
    }

    /// Sends an event signed with the wrong secret.
    pub async fn send_forged(&self, event_id: &str) -> Result<Delivery, ControlError> {
        self.shared
            .resend(event_id, DeliveryKind::Forged, &Signing::Forged)
            .await
    }

    /// Sends an arbitrary payload, signed as `signing` says.
    pub async fn send_raw(&self, payload: &str, signing: Signing) -> Delivery {
        self.shared.send_raw(payload, &signing).await
    }

    /// Forgets sessions, requests, idempotency keys, faults, events, deliveries and held events
    /// (keeps the webhook URL).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server and waits (at most 5 s) for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
