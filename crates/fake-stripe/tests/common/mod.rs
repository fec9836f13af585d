//! Shared test helpers: starting a fake, a webhook receiver that verifies signatures with
//! async-stripe exactly as the shop will, the real async-stripe client, and timeouts on
//! everything that waits.

#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use fake_stripe::{Config, FakeStripe, Running};
use stripe::{
    CheckoutSessionMode, Client, CreateCheckoutSession, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataProductData,
    Currency,
};

/// Upper bound for any single awaited step in these tests.
pub const STEP: Duration = Duration::from_secs(20);

/// Awaits `future`, failing the test instead of hanging.
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(STEP, future)
        .await
        .expect("step timed out")
}

pub async fn start() -> Running {
    within(FakeStripe::start(Config {
        delivery_timeout: Duration::from_secs(5),
        ..Config::default()
    }))
    .await
    .expect("fake starts")
}

pub fn client(fake: &Running) -> Client {
    Client::from_url(fake.base_url(), fake.secret_key())
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(STEP)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The parameters the shop sends: two items, metadata, an order reference and an email.
pub fn checkout_params<'a>(success_url: &'a str, cancel_url: &'a str) -> CreateCheckoutSession<'a> {
    let mut params = CreateCheckoutSession::new();
    params.mode = Some(CheckoutSessionMode::Payment);
    params.success_url = Some(success_url);
    params.cancel_url = Some(cancel_url);
    params.client_reference_id = Some("order_K7QX2");
    params.customer_email = Some("ada@example.test");
    params.metadata = Some(HashMap::from([
        ("order_number".to_owned(), "K7QX2".to_owned()),
        ("cart".to_owned(), "c 1&2=3".to_owned()),
    ]));
    params.line_items = Some(vec![
        item("Standing desk, oak top", 64_900, 1),
        item("Cable tray", 2_450, 2),
    ]);
    params
}

fn item(name: &str, unit_amount: i64, quantity: u64) -> CreateCheckoutSessionLineItems {
    CreateCheckoutSessionLineItems {
        quantity: Some(quantity),
        price_data: Some(CreateCheckoutSessionLineItemsPriceData {
            currency: Currency::EUR,
            unit_amount: Some(unit_amount),
            product_data: Some(CreateCheckoutSessionLineItemsPriceDataProductData {
                name: name.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What one webhook POST looked like and whether async-stripe accepted it.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub body: String,
    pub verified: Result<stripe::Event, String>,
}

/// A webhook endpoint that verifies with `stripe::Webhook::construct_event` and answers
/// 200 when it accepts and 400 when it refuses, like the shop's handler.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct ReceiverState {
    secret: String,
    received: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver(secret: &str) -> Receiver {
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = ReceiverState {
        secret: secret.to_owned(),
        received: received.clone(),
    };
    let app = Router::new()
        .route("/webhook", post(receive))
        .with_state(state);
    let listener = within(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Receiver {
        url: format!("http://{addr}/webhook"),
        received,
        _stop: stop,
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let body = String::from_utf8_lossy(&body).into_owned();
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let verified =
        stripe::Webhook::construct_event(&body, signature.as_deref().unwrap_or(""), &state.secret)
            .map_err(|e| e.to_string());
    let status = if verified.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    state.received.lock().unwrap().push(Received {
        signature,
        body,
        verified,
    });
    status
}
