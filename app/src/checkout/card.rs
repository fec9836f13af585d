//! Card payments through Stripe Checkout, exactly once and never stuck.
//!
//! - A card order is written first (stock held until its payment deadline), then its Checkout
//!   Session is created with an idempotency key made of the order id and an attempt number, so a
//!   retried create (a timeout, a buyer clicking "Pay now" again) returns the same session
//!   instead of making a second one. The attempt number moves on only when Stripe has answered
//!   that the attempt is over (a 5xx it stored under the key, an expired session).
//! - The webhook verifies the signature, then records the event and applies its effect in one
//!   transaction: if applying fails, nothing is recorded, the answer is 5xx and Stripe's retry
//!   works. A duplicate, out-of-order, stale or forged event changes nothing.
//! - An unpaid order can be paid later ("Pay now": the open session, or a fresh one) or switched
//!   to invoice; at its deadline a job in every app server releases the stock, each order claimed
//!   by one server with a conditional update.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use sqlx::{Any, Transaction};
use stripe::{
    CheckoutSession, CheckoutSessionId, CheckoutSessionMode, CheckoutSessionPaymentStatus,
    CheckoutSessionStatus, CreateCheckoutSession, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataProductData,
    Currency, EventObject, EventType, RequestStrategy, StripeError, Webhook,
};

use crate::db::{begin_write, now_ms};
use crate::error::AppError;
use crate::orders::OrderStatus;
use crate::orders::ssr::{ORDER_COLUMNS, OrderRow, change_status, change_status_in, visible_order};
use crate::state::{AppState, StripeSettings, app_state};

/// Stripe refuses a Checkout Session that expires sooner than 30 minutes after creation.
const MIN_SESSION_LIFETIME_S: i64 = 31 * 60;
const MAX_SESSION_LIFETIME_S: i64 = 23 * 3600;
/// A release claimed by a server that then died is taken over after this long.
const CLAIM_TIMEOUT_MS: i64 = 5 * 60 * 1000;

/// Why a payment could not be started; shown to the buyer on the order page in their words.
#[derive(Debug, thiserror::Error)]
pub enum PaymentProblem {
    #[error("card payments are not configured")]
    NotConfigured,
    #[error("Stripe did not answer in time")]
    Timeout,
    #[error("Stripe answered an error: {0}")]
    Stripe(String),
    #[error("database: {0}")]
    Database(String),
}

impl From<sqlx::Error> for PaymentProblem {
    fn from(error: sqlx::Error) -> Self {
        PaymentProblem::Database(error.to_string())
    }
}

fn settings(state: &AppState) -> Result<&StripeSettings, PaymentProblem> {
    state
        .settings
        .stripe
        .as_ref()
        .ok_or(PaymentProblem::NotConfigured)
}

/// One call to Stripe, bounded in time (the client itself has no timeout).
async fn call<T>(
    settings: &StripeSettings,
    request: impl std::future::Future<Output = Result<T, StripeError>>,
) -> Result<T, CallError> {
    match tokio::time::timeout(settings.timeout, request).await {
        Err(_) => Err(CallError::Timeout),
        Ok(Err(StripeError::Stripe(error))) => Err(CallError::Refused {
            status: error.http_status,
            message: error.message.unwrap_or_default(),
        }),
        Ok(Err(other)) => Err(CallError::Unreachable(other.to_string())),
        Ok(Ok(value)) => Ok(value),
    }
}

#[derive(Debug)]
enum CallError {
    /// No answer in time: the request may or may not have been carried out.
    Timeout,
    /// No answer at all (connection refused, reset): also unknown.
    Unreachable(String),
    /// Stripe answered with an error status.
    Refused { status: u16, message: String },
}

impl From<CallError> for PaymentProblem {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Timeout => PaymentProblem::Timeout,
            CallError::Unreachable(message) => PaymentProblem::Stripe(message),
            CallError::Refused { status, message } => {
                PaymentProblem::Stripe(format!("{status} {message}"))
            }
        }
    }
}

/// Creates (or, for a retry of the same attempt, gets back) the Checkout Session of an unpaid
/// card order and returns the URL to send the buyer to.
#[tracing::instrument(skip_all)]
pub async fn start_payment(state: &AppState, order: &OrderRow) -> Result<String, PaymentProblem> {
    let settings = settings(state)?;
    let lines: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select product_name, summary, unit_price, quantity from order_lines where order_id = $1 order by position",
    )
    .bind(&order.id)
    .fetch_all(&state.pool)
    .await?;
    let site = state.settings.site_base();
    let order_url = format!("{site}/orders/{}", order.number);
    let expires_at = attempt_expiry(state, order).await?;
    let mut params = CreateCheckoutSession::new();
    params.mode = Some(CheckoutSessionMode::Payment);
    params.success_url = Some(&order_url);
    params.cancel_url = Some(&order_url);
    params.client_reference_id = Some(&order.id);
    params.customer_email = Some(&order.email);
    params.expires_at = Some(expires_at);
    params.metadata = Some(HashMap::from([
        ("order_id".to_owned(), order.id.clone()),
        ("order_number".to_owned(), order.number.clone()),
    ]));
    params.line_items = Some(
        lines
            .into_iter()
            .map(
                |(name, summary, unit_price, quantity)| CreateCheckoutSessionLineItems {
                    quantity: Some(quantity as u64),
                    price_data: Some(CreateCheckoutSessionLineItemsPriceData {
                        currency: Currency::EUR,
                        unit_amount: Some(unit_price),
                        product_data: Some(CreateCheckoutSessionLineItemsPriceDataProductData {
                            name,
                            description: (!summary.is_empty()).then_some(summary),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .collect(),
    );
    // async-stripe's idempotency strategy: the same key for every retry of this attempt.
    let key = format!("atelier-checkout-{}-{}", order.id, order.payment_attempt);
    let client = settings
        .client()
        .with_strategy(RequestStrategy::Idempotent(key));
    let session = match call(settings, CheckoutSession::create(&client, params)).await {
        Ok(session) => session,
        Err(error) => {
            if let CallError::Refused { status, .. } = &error
                && *status != 409
            {
                // Stripe answered, so this attempt is over: it keeps a 5xx under its key, and a
                // 4xx (say, an expiry that became too soon) would be answered again. The next
                // try is a fresh attempt. A timeout or no answer keeps the key: the session may
                // exist, and the same key gets it back. 409: the same key is still running.
                next_attempt(state, order).await?;
            }
            tracing::warn!(order = %order.number, error = ?error, "creating the Stripe Checkout Session failed");
            return Err(error.into());
        }
    };
    let url = session.url.clone().ok_or_else(|| {
        PaymentProblem::Stripe("Stripe returned a session without a URL".to_owned())
    })?;
    sqlx::query(
        "update orders set stripe_session_id = $1, stripe_session_url = $2, updated_at = $3
         where id = $4 and status = 'placed' and payment_method = 'card'",
    )
    .bind(session.id.as_str())
    .bind(&url)
    .bind(now_ms())
    .bind(&order.id)
    .execute(&state.pool)
    .await?;
    Ok(url)
}

/// When this attempt's session expires: at the payment deadline, but within what Stripe allows
/// (30 minutes to 24 hours from creation). Fixed at the attempt's first create, so every retry
/// sends the very same parameters with its idempotency key.
async fn attempt_expiry(state: &AppState, order: &OrderRow) -> Result<i64, PaymentProblem> {
    if let Some(fixed) = order.stripe_expires_at {
        return Ok(fixed);
    }
    let now_s = now_ms() / 1000;
    let due_s = order.payment_due_at.unwrap_or(now_ms()) / 1000;
    let expires_at = due_s.clamp(
        now_s + MIN_SESSION_LIFETIME_S,
        now_s + MAX_SESSION_LIFETIME_S,
    );
    sqlx::query(
        "update orders set stripe_expires_at = $1
         where id = $2 and payment_attempt = $3 and stripe_expires_at is null",
    )
    .bind(expires_at)
    .bind(&order.id)
    .bind(order.payment_attempt)
    .execute(&state.pool)
    .await?;
    // Another request may have fixed it first: theirs counts.
    let fixed: Option<i64> =
        sqlx::query_scalar("select stripe_expires_at from orders where id = $1")
            .bind(&order.id)
            .fetch_one(&state.pool)
            .await?;
    Ok(fixed.unwrap_or(expires_at))
}

async fn next_attempt(state: &AppState, order: &OrderRow) -> Result<(), PaymentProblem> {
    sqlx::query(
        "update orders set payment_attempt = payment_attempt + 1, stripe_session_id = null,
                stripe_session_url = null, stripe_expires_at = null, updated_at = $1
         where id = $2 and payment_attempt = $3",
    )
    .bind(now_ms())
    .bind(&order.id)
    .bind(order.payment_attempt)
    .execute(&state.pool)
    .await?;
    Ok(())
}

fn unavailable() -> AppError {
    AppError::Conflict(
        "Card payment is not available right now. Your order and its items are kept: please try again in a moment, or pay by invoice instead."
            .into(),
    )
}

/// "Pay now": where to send the buyer to pay an unpaid card order.
#[tracing::instrument(skip_all)]
pub async fn pay_now(number: &str) -> Result<String, AppError> {
    let state = app_state()?;
    let order = visible_order(number).await?;
    let order_page = format!("/orders/{}", order.number);
    if !order.awaiting_card_payment() {
        // Paid meanwhile (or by invoice): the order page says where it stands.
        return Ok(order_page);
    }
    if order.payment_due_at.is_some_and(|due| due <= now_ms()) {
        return Err(AppError::Conflict(
            "The time to pay this order has passed and its items were released. Please order again."
                .into(),
        ));
    }
    let settings = settings(&state).map_err(|_| unavailable())?;
    if let Some(id) = &order.stripe_session_id {
        let id: CheckoutSessionId = id.parse().map_err(crate::error::internal)?;
        let session = call(settings, CheckoutSession::retrieve(&settings.client(), &id, &[]))
            .await
            .map_err(|error| {
                tracing::warn!(order = %order.number, error = ?error, "retrieving the Checkout Session failed");
                unavailable()
            })?;
        match session.status {
            Some(CheckoutSessionStatus::Open) => {
                if let Some(url) = session.url.or(order.stripe_session_url.clone()) {
                    return Ok(url);
                }
            }
            // Paid; the webhook is on its way and the order page will show it.
            Some(CheckoutSessionStatus::Complete) => return Ok(order_page),
            Some(CheckoutSessionStatus::Expired) | None => {}
        }
        next_attempt(&state, &order)
            .await
            .map_err(|_| unavailable())?;
    }
    let order = crate::orders::ssr::order_by_id(&state.pool, &order.id)
        .await?
        .ok_or_else(|| crate::error::internal("order vanished"))?;
    match start_payment(&state, &order).await {
        Ok(url) => Ok(url),
        Err(_) => {
            // If Stripe ended that attempt (it answered an error), one fresh attempt at once.
            let again = crate::orders::ssr::order_by_id(&state.pool, &order.id)
                .await?
                .filter(|again| again.payment_attempt != order.payment_attempt)
                .ok_or_else(unavailable)?;
            start_payment(&state, &again)
                .await
                .map_err(|_| unavailable())
        }
    }
}

/// "Pay by invoice instead": the open Checkout Session is expired at Stripe first, so the
/// order can never be paid twice. Returns the order number.
#[tracing::instrument(skip_all)]
pub async fn switch_to_invoice(number: &str) -> Result<String, AppError> {
    let state = app_state()?;
    let order = visible_order(number).await?;
    if !order.awaiting_card_payment() {
        return Err(AppError::Conflict(format!(
            "Order {} is no longer waiting for a card payment.",
            order.number
        )));
    }
    if let (Some(id), Some(settings)) = (&order.stripe_session_id, state.settings.stripe.as_ref()) {
        let id: CheckoutSessionId = id.parse().map_err(crate::error::internal)?;
        if let Err(error) = call(settings, CheckoutSession::expire(&settings.client(), &id)).await {
            // Stripe refuses to expire a session that is not open: completed (paid) or expired.
            let session = call(
                settings,
                CheckoutSession::retrieve(&settings.client(), &id, &[]),
            )
            .await
            .map_err(|_| unavailable())?;
            match session.status {
                Some(CheckoutSessionStatus::Expired) => {}
                Some(CheckoutSessionStatus::Complete) => {
                    return Err(AppError::Conflict(
                        "This order has just been paid by card; there is nothing more to pay."
                            .into(),
                    ));
                }
                _ => {
                    tracing::warn!(order = %order.number, error = ?error, "expiring the Checkout Session failed");
                    return Err(unavailable());
                }
            }
        }
    }
    let switched = sqlx::query(
        "update orders set payment_method = 'invoice', payment_due_at = null, updated_at = $1
         where id = $2 and status = 'placed' and payment_method = 'card'",
    )
    .bind(now_ms())
    .bind(&order.id)
    .execute(&state.pool)
    .await?
    .rows_affected();
    if switched == 0 {
        return Err(AppError::Conflict(format!(
            "Order {} is no longer waiting for a card payment.",
            order.number
        )));
    }
    tracing::info!(order = %order.number, "card order switched to invoice");
    Ok(order.number)
}

/// `POST /webhooks/stripe`.
#[tracing::instrument(skip_all)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let Some(settings) = state.settings.stripe.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let event =
        match Webhook::construct_event(&body, signature, settings.webhook_secret.expose_secret()) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(error = %error, "refused a Stripe webhook");
                return StatusCode::BAD_REQUEST;
            }
        };
    match handle_event(&state, event).await {
        Ok(()) => StatusCode::OK,
        Err(error) => {
            // Nothing was recorded: Stripe delivers the event again later.
            tracing::error!(error = %error, "handling a Stripe webhook failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn handle_event(state: &AppState, event: stripe::Event) -> Result<(), AppError> {
    let (kind, session) = match (event.type_, event.data.object) {
        (
            kind @ (EventType::CheckoutSessionCompleted | EventType::CheckoutSessionExpired),
            EventObject::CheckoutSession(session),
        ) => (kind, session),
        (other, _) => {
            tracing::debug!(kind = %other, "ignored Stripe event");
            return Ok(());
        }
    };
    let mut tx = begin_write(&state.pool).await?;
    let first_time = sqlx::query(
        "insert into payment_events (event_id, kind, received_at) values ($1, $2, $3) on conflict (event_id) do nothing",
    )
    .bind(event.id.as_str())
    .bind(kind.to_string())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first_time {
        tx.rollback().await?;
        tracing::info!(event = %event.id, "Stripe event already handled");
        return Ok(());
    }
    let Some(order) = order_for_session(&mut tx, &session).await? else {
        tracing::warn!(session = %session.id, "Stripe event for an unknown Checkout Session");
        tx.commit().await?;
        return Ok(());
    };
    let moved = match kind {
        EventType::CheckoutSessionCompleted => apply_completed(&mut tx, &order, &session).await?,
        _ => apply_expired(&mut tx, &order, &session).await?,
    };
    tx.commit().await?;
    tracing::info!(order = %order.number, event = %event.id, kind = %kind, moved, "Stripe event handled");
    Ok(())
}

/// A completed session pays the order if the amount and currency are the order's. Only an
/// order still waiting for payment moves.
async fn apply_completed(
    tx: &mut Transaction<'static, Any>,
    order: &OrderRow,
    session: &CheckoutSession,
) -> Result<bool, AppError> {
    let paid = session.payment_status == CheckoutSessionPaymentStatus::Paid;
    let amount_ok = session.amount_total == Some(order.total)
        && session
            .currency
            .map(|c| c.to_string().eq_ignore_ascii_case(&order.currency))
            .unwrap_or(false);
    if !paid || !amount_ok {
        tracing::error!(order = %order.number, amount = ?session.amount_total, "completed Checkout Session does not match the order; not fulfilled");
        return Ok(false);
    }
    let moved = change_status_in(tx, &order.id, OrderStatus::Placed, OrderStatus::Paid).await?;
    if !moved && order.status() == OrderStatus::Cancelled {
        // Only possible if Stripe took a payment for a session we could not expire in time.
        tracing::error!(order = %order.number, session = %session.id, "payment received for a cancelled order: refund it");
    }
    Ok(moved)
}

/// An expired session ends the order only when its payment time is over; before that the buyer
/// can still "Pay now" with a fresh session. An expiry of an older attempt changes nothing.
async fn apply_expired(
    tx: &mut Transaction<'static, Any>,
    order: &OrderRow,
    session: &CheckoutSession,
) -> Result<bool, AppError> {
    let current = order.stripe_session_id.as_deref() == Some(session.id.as_str())
        || order.stripe_session_id.is_none();
    let due = order
        .payment_due_at
        .is_some_and(|due| due <= now_ms() + 60_000);
    if !current || !due {
        return Ok(false);
    }
    change_status_in(tx, &order.id, OrderStatus::Placed, OrderStatus::Cancelled).await
}

async fn order_for_session(
    tx: &mut Transaction<'static, Any>,
    session: &CheckoutSession,
) -> Result<Option<OrderRow>, AppError> {
    let by_session = sqlx::query_as::<_, OrderRow>(&format!(
        "select {ORDER_COLUMNS} from orders where stripe_session_id = $1"
    ))
    .bind(session.id.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    // The webhook can arrive before the session id is stored (Stripe is fast), or name an
    // older attempt; the client reference, which is the order id, finds the order.
    let order = match (by_session, &session.client_reference_id) {
        (Some(order), _) => Some(order),
        (None, Some(id)) => {
            sqlx::query_as::<_, OrderRow>(&format!(
                "select {ORDER_COLUMNS} from orders where id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
        }
        (None, None) => None,
    };
    Ok(order.filter(|order| order.payment_method == "card"))
}

/// Releases the stock of card orders whose payment time is over. Each order is claimed with a
/// conditional update, so several app servers running this at once release it once; its open
/// Checkout Session is expired at Stripe first, so it cannot be paid after the release.
#[tracing::instrument(skip_all)]
pub async fn release_overdue(state: &AppState) -> Result<usize, AppError> {
    let now = now_ms();
    let due: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select id, number, stripe_session_id from orders
         where payment_method = 'card' and status = 'placed' and payment_due_at <= $1
           and (release_claimed_at is null or release_claimed_at < $2)
         order by payment_due_at limit 50",
    )
    .bind(now)
    .bind(now - CLAIM_TIMEOUT_MS)
    .fetch_all(&state.pool)
    .await?;
    let mut released = 0;
    for (id, number, session_id) in due {
        let claimed = sqlx::query(
            "update orders set release_claimed_at = $1
             where id = $2 and status = 'placed' and (release_claimed_at is null or release_claimed_at < $3)",
        )
        .bind(now)
        .bind(&id)
        .bind(now - CLAIM_TIMEOUT_MS)
        .execute(&state.pool)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            continue;
        }
        if let (Some(session_id), Some(settings)) = (session_id, state.settings.stripe.as_ref())
            && !close_session(state, settings, &id, &session_id).await?
        {
            continue;
        }
        if change_status(
            &state.pool,
            &id,
            OrderStatus::Placed,
            OrderStatus::Cancelled,
        )
        .await?
        {
            released += 1;
            tracing::info!(order = %number, "unpaid card order cancelled; its stock is released");
        }
    }
    Ok(released)
}

/// Makes sure a session can no longer be paid. Returns false when the order must not be
/// released now: Stripe could not be reached (tried again later), or it was paid (then the
/// payment is applied here, in case the webhook never comes).
async fn close_session(
    state: &AppState,
    settings: &StripeSettings,
    order_id: &str,
    session_id: &str,
) -> Result<bool, AppError> {
    let Ok(id) = session_id.parse::<CheckoutSessionId>() else {
        return Ok(true);
    };
    let client = settings.client();
    if call(settings, CheckoutSession::expire(&client, &id))
        .await
        .is_ok()
    {
        return Ok(true);
    }
    let Ok(session) = call(settings, CheckoutSession::retrieve(&client, &id, &[])).await else {
        return Ok(false);
    };
    match session.status {
        Some(CheckoutSessionStatus::Expired) => Ok(true),
        Some(CheckoutSessionStatus::Complete) => {
            let mut tx = begin_write(&state.pool).await?;
            if let Some(order) = sqlx::query_as::<_, OrderRow>(&format!(
                "select {ORDER_COLUMNS} from orders where id = $1"
            ))
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?
            {
                apply_completed(&mut tx, &order, &session).await?;
            }
            tx.commit().await?;
            Ok(false)
        }
        _ => Ok(false),
    }
}

/// How often the release job looks for overdue orders.
pub const RELEASE_EVERY: Duration = Duration::from_secs(30);
