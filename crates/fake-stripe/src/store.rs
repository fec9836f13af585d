//! The fake's memory and its operations: sessions, recorded API requests, idempotency keys,
//! injected faults, events, the webhook queue and the delivery log. Both the HTTP handlers and the Rust `Running` handle go through
//! [`Shared`], so the `/_test` endpoints and the Rust methods cannot drift apart.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

use crate::fault::{Failure, Fault, FaultError, Faults, Plan, Route};
use crate::idempotency::{Claim, Fingerprint, Keys, StoredResponse};
use crate::model::{self, IdSource, Session, SessionStatus};
use crate::webhook::{Delivery, DeliveryKind, Signing};

/// One request the fake's `/v1` API received, as the client sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Position in the request log, from 1.
    pub seq: u64,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v1/checkout/sessions`.
    pub path: String,
    /// The query string parsed with bracket notation (`{}` when absent).
    pub query: Value,
    /// The form body parsed with bracket notation (`{}` when absent or not a form).
    pub form: Value,
    /// The raw body, as sent.
    pub body: String,
    /// Request headers, lower-case names; `authorization` is recorded without the key.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Whether the request carried the right secret key.
    pub authorized: bool,
    /// The status the fake answered with (0 while the request is being handled).
    pub status: u16,
    /// Answered with the stored response of an earlier request with the same idempotency key;
    /// nothing was executed.
    #[serde(default)]
    pub replayed: bool,
    /// Answered with an injected failure; nothing was executed.
    #[serde(default)]
    pub injected_failure: bool,
}

impl RecordedRequest {
    /// The `Idempotency-Key` header the client sent, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.headers.get("idempotency-key").map(String::as_str)
    }
}

/// How the API answered a recorded request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// By the handler or the checks before it (authentication, idempotency conflicts).
    Handled,
    /// With a stored idempotent response.
    Replayed,
    /// With an injected failure.
    InjectedFailure,
}

/// An event the fake created (or was asked to create), with the exact bytes it sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// `evt_…`; redeliveries reuse it.
    pub id: String,
    /// E.g. `checkout.session.completed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Unix time the event was created.
    pub created: i64,
    /// The session it is about.
    pub session_id: String,
    /// The JSON payload, exactly as delivered.
    pub payload: String,
}

/// Why a test-control operation could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No session with this id.
    #[error("no such checkout session: {0}")]
    UnknownSession(String),
    /// No event with this id.
    #[error("no such event: {0}")]
    UnknownEvent(String),
    /// The event exists but is not waiting in the hold queue.
    #[error("event {0} is not held")]
    NotHeld(String),
    /// The session is not open, so it cannot be paid or expired.
    #[error("checkout session {id} is {status}, not open")]
    NotOpen {
        /// The session.
        id: String,
        /// Its current status.
        status: &'static str,
    },
    /// A wait ran out before the condition held.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// What expiring a session did.
#[derive(Debug, Clone)]
pub struct Expiry {
    /// The session after expiry, as Stripe JSON.
    pub session: Value,
    /// The `checkout.session.expired` event.
    pub event: EventRecord,
    /// Its delivery, unless deliveries are held.
    pub delivery: Option<Delivery>,
}

/// What paying a session did.
#[derive(Debug, Clone)]
pub struct PayOutcome {
    /// The session after payment, as Stripe JSON.
    pub session: Value,
    /// The `checkout.session.completed` event.
    pub event: EventRecord,
    /// Its delivery, unless deliveries are held.
    pub delivery: Option<Delivery>,
    /// Where the buyer's browser is sent (success URL with the session id filled in).
    pub redirect: String,
}

#[derive(Default)]
struct State {
    sessions: Vec<Session>,
    requests: Vec<RecordedRequest>,
    events: Vec<EventRecord>,
    deliveries: Vec<Delivery>,
    webhook_url: Option<String>,
    hold: bool,
    held: Vec<String>,
    keys: Keys,
    faults: Faults,
}

/// Settings the running server needs.
pub(crate) struct Settings {
    pub secret_key: String,
    pub webhook_secret: String,
    pub base_url: String,
    pub delivery_timeout: Duration,
}

/// Shared by every handler and by `Running`.
pub(crate) struct Shared {
    pub settings: Settings,
    state: Mutex<State>,
    http: reqwest::Client,
    delivered: Notify,
}

struct RandomIds;

impl IdSource for RandomIds {
    fn id(&mut self, prefix: &str) -> String {
        random_id(prefix, 24)
    }
}

pub(crate) fn random_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Shared {
    pub(crate) fn new(settings: Settings, webhook_url: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(settings.delivery_timeout)
            .connect_timeout(settings.delivery_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            settings,
            state: Mutex::new(State {
                webhook_url,
                ..State::default()
            }),
            http,
            delivered: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters to a test fake, so keep serving rather than poisoning every later call.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    // ---- recorded requests -------------------------------------------------------------

    pub(crate) fn record_request(&self, mut request: RecordedRequest) -> u64 {
        let mut state = self.state();
        request.seq = state.requests.len() as u64 + 1;
        let seq = request.seq;
        state.requests.push(request);
        seq
    }

    pub(crate) fn finish_request(&self, seq: u64, status: u16, answer: Answer) {
        let mut state = self.state();
        if let Some(r) = state.requests.iter_mut().find(|r| r.seq == seq) {
            r.status = status;
            r.replayed = answer == Answer::Replayed;
            r.injected_failure = answer == Answer::InjectedFailure;
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    // ---- idempotency keys and faults --------------------------------------------------

    pub(crate) fn claim_key(&self, key: &str, request: Fingerprint) -> Claim {
        self.state().keys.claim(key, request)
    }

    pub(crate) fn complete_key(&self, key: &str, response: StoredResponse) {
        self.state().keys.complete(key, response);
    }

    pub(crate) fn release_key(&self, key: &str) {
        self.state().keys.release(key);
    }

    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Plan {
        self.state().faults.take(method, path)
    }

    pub(crate) fn fail_next(
        &self,
        route: Route,
        count: u32,
        failure: Failure,
    ) -> Result<(), FaultError> {
        self.state().faults.fail_next(route, count, failure)
    }

    pub(crate) fn delay(
        &self,
        route: Route,
        delay: Duration,
        count: Option<u32>,
    ) -> Result<(), FaultError> {
        self.state().faults.delay(route, delay, count)
    }

    pub(crate) fn faults(&self) -> Vec<Fault> {
        self.state().faults.list()
    }

    pub(crate) fn clear_faults(&self) {
        self.state().faults.clear();
    }

    // ---- sessions ---------------------------------------------------------------------

    pub(crate) fn create_session(&self, params: &Value) -> Result<Value, crate::api::ApiError> {
        let session =
            model::create_session(params, now(), &self.settings.base_url, &mut RandomIds)?;
        let json = session.to_json(false);
        self.state().sessions.push(session);
        Ok(json)
    }

    pub(crate) fn session(&self, id: &str) -> Option<Session> {
        self.state().sessions.iter().find(|s| s.id == id).cloned()
    }

    pub(crate) fn session_json(&self, id: &str) -> Option<Value> {
        self.session(id).map(|s| s.to_json(false))
    }

    pub(crate) fn sessions_json(&self) -> Vec<Value> {
        self.state()
            .sessions
            .iter()
            .map(|s| s.to_json(true))
            .collect()
    }

    /// Marks an open session complete and paid and emits `checkout.session.completed`.
    pub(crate) async fn pay(&self, id: &str) -> Result<PayOutcome, ControlError> {
        let (session, event) = {
            let mut state = self.state();
            let session = open_session(&mut state, id)?;
            session.status = SessionStatus::Complete;
            session.paid = true;
            session.payment_intent = Some(random_id("pi_", 24));
            let session = session.clone();
            let event = new_event(&mut state, "checkout.session.completed", &session);
            (session, event)
        };
        let delivery = self.dispatch(&event).await;
        Ok(PayOutcome {
            redirect: session
                .success_url
                .replace("{CHECKOUT_SESSION_ID}", &session.id),
            session: session.to_json(false),
            event,
            delivery,
        })
    }

    /// Expires an open session and emits `checkout.session.expired`; returns the session
    /// and the event, which the caller dispatches (now or in the background).
    pub(crate) fn expire(&self, id: &str) -> Result<(Value, EventRecord), ControlError> {
        expire_open(&mut self.state(), id)
    }

    /// Expires every open session whose `expires_at` is at or before `now` (unix seconds), as
    /// Stripe does when the time comes, and delivers `checkout.session.expired` for each, oldest
    /// session first.
    pub(crate) async fn expire_due(&self, now: i64) -> Vec<Expiry> {
        let expired: Vec<(Value, EventRecord)> = {
            let mut state = self.state();
            let due: Vec<String> = state
                .sessions
                .iter()
                .filter(|s| s.status == SessionStatus::Open && s.expires_at <= now)
                .map(|s| s.id.clone())
                .collect();
            due.iter()
                .filter_map(|id| expire_open(&mut state, id).ok())
                .collect()
        };
        let mut out = Vec::with_capacity(expired.len());
        for (session, event) in expired {
            let delivery = self.dispatch(&event).await;
            out.push(Expiry {
                session,
                event,
                delivery,
            });
        }
        out
    }

    // ---- events and deliveries --------------------------------------------------------

    pub(crate) fn events(&self) -> Vec<EventRecord> {
        self.state().events.clone()
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    pub(crate) fn webhook_url(&self) -> Option<String> {
        self.state().webhook_url.clone()
    }

    pub(crate) fn set_webhook_url(&self, url: Option<String>) {
        self.state().webhook_url = url;
    }

    pub(crate) fn hold(&self) -> (bool, Vec<String>) {
        let state = self.state();
        (state.hold, state.held.clone())
    }

    pub(crate) fn set_hold(&self, hold: bool) {
        self.state().hold = hold;
    }

    /// Delivers a new event now, or queues it while deliveries are held.
    pub(crate) async fn dispatch(&self, event: &EventRecord) -> Option<Delivery> {
        {
            let mut state = self.state();
            if state.hold {
                state.held.push(event.id.clone());
                return None;
            }
        }
        Some(
            self.send(
                Some(event),
                &event.payload,
                DeliveryKind::Live,
                &Signing::Valid,
            )
            .await,
        )
    }

    /// Sends held events: those named in `order`, in that order, or all in arrival order.
    pub(crate) async fn release(
        &self,
        order: Option<&[String]>,
    ) -> Result<Vec<Delivery>, ControlError> {
        let events = {
            let mut state = self.state();
            let ids: Vec<String> = match order {
                None => std::mem::take(&mut state.held),
                Some(order) => {
                    for id in order {
                        if !state.held.contains(id) {
                            return Err(if state.events.iter().any(|e| &e.id == id) {
                                ControlError::NotHeld(id.clone())
                            } else {
                                ControlError::UnknownEvent(id.clone())
                            });
                        }
                    }
                    state.held.retain(|id| !order.contains(id));
                    order.to_vec()
                }
            };
            ids.iter()
                .filter_map(|id| state.events.iter().find(|e| &e.id == id).cloned())
                .collect::<Vec<_>>()
        };
        let mut deliveries = Vec::with_capacity(events.len());
        for event in &events {
            deliveries.push(
                self.send(
                    Some(event),
                    &event.payload,
                    DeliveryKind::Released,
                    &Signing::Valid,
                )
                .await,
            );
        }
        Ok(deliveries)
    }

    /// Sends an existing event again, signed as `signing` says.
    pub(crate) async fn resend(
        &self,
        event_id: &str,
        kind: DeliveryKind,
        signing: &Signing,
    ) -> Result<Delivery, ControlError> {
        let event = self
            .state()
            .events
            .iter()
            .find(|e| e.id == event_id)
            .cloned()
            .ok_or_else(|| ControlError::UnknownEvent(event_id.to_owned()))?;
        Ok(self.send(Some(&event), &event.payload, kind, signing).await)
    }

    /// Sends a payload the test wrote.
    pub(crate) async fn send_raw(&self, payload: &str, signing: &Signing) -> Delivery {
        self.send(None, payload, DeliveryKind::Raw, signing).await
    }

    async fn send(
        &self,
        event: Option<&EventRecord>,
        payload: &str,
        kind: DeliveryKind,
        signing: &Signing,
    ) -> Delivery {
        let url = self.webhook_url();
        let sent_at = now();
        let signature = signing.header(&self.settings.webhook_secret, sent_at, payload);
        let mut delivery = Delivery {
            seq: 0,
            event_id: event.map(|e| e.id.clone()),
            event_type: event.map(|e| e.event_type.clone()),
            kind,
            url: url.clone(),
            signature: signature.clone(),
            status: None,
            error: None,
            response_body: String::new(),
            sent_at,
        };
        match url {
            None => delivery.error = Some("no webhook URL configured".into()),
            Some(url) => {
                let mut request = self
                    .http
                    .post(&url)
                    .header("content-type", "application/json; charset=utf-8")
                    .header(
                        "user-agent",
                        "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    )
                    .body(payload.to_owned());
                if let Some(signature) = &signature {
                    request = request.header("stripe-signature", signature);
                }
                match request.send().await {
                    Ok(response) => {
                        delivery.status = Some(response.status().as_u16());
                        let body = response.text().await.unwrap_or_default();
                        delivery.response_body = body.chars().take(2000).collect();
                    }
                    Err(e) => {
                        delivery.error = Some(if e.is_timeout() {
                            format!(
                                "webhook endpoint did not answer within {:?}",
                                self.settings.delivery_timeout
                            )
                        } else {
                            format!("webhook delivery failed: {e}")
                        });
                    }
                }
            }
        }
        {
            let mut state = self.state();
            delivery.seq = state.deliveries.len() as u64 + 1;
            state.deliveries.push(delivery.clone());
        }
        tracing::info!(
            event = delivery.event_id.as_deref().unwrap_or("-"),
            kind = ?delivery.kind,
            status = ?delivery.status,
            error = delivery.error.as_deref().unwrap_or(""),
            "webhook delivery"
        );
        self.delivered.notify_waiters();
        delivery
    }

    /// Waits until at least `count` deliveries are logged, or `timeout` passes.
    pub(crate) async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivery>, ControlError> {
        let wait = async {
            loop {
                let notified = self.delivered.notified();
                let deliveries = self.deliveries();
                if deliveries.len() >= count {
                    return deliveries;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| ControlError::Timeout(timeout))
    }

    pub(crate) fn reset(&self) {
        let mut state = self.state();
        let webhook_url = state.webhook_url.take();
        *state = State {
            webhook_url,
            ..State::default()
        };
    }
}

fn open_session<'a>(state: &'a mut State, id: &str) -> Result<&'a mut Session, ControlError> {
    let session = state
        .sessions
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| ControlError::UnknownSession(id.to_owned()))?;
    if session.status != SessionStatus::Open {
        return Err(ControlError::NotOpen {
            id: id.to_owned(),
            status: session.status.as_str(),
        });
    }
    Ok(session)
}

fn expire_open(state: &mut State, id: &str) -> Result<(Value, EventRecord), ControlError> {
    let session = open_session(state, id)?;
    session.status = SessionStatus::Expired;
    let session = session.clone();
    let event = new_event(state, "checkout.session.expired", &session);
    Ok((session.to_json(false), event))
}

fn new_event(state: &mut State, event_type: &str, session: &Session) -> EventRecord {
    let id = random_id("evt_test_", 24);
    let created = now();
    let payload = model::event_json(&id, event_type, created, session.to_json(false)).to_string();
    let event = EventRecord {
        id,
        event_type: event_type.to_owned(),
        created,
        session_id: session.id.clone(),
        payload,
    };
    state.events.push(event.clone());
    event
}
