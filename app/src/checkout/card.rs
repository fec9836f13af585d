//! Card payments through Stripe Checkout: a Checkout Session per order (amount computed here,
//! never taken from the browser), and the webhook that fulfils it. The webhook verifies the
//! signature, records each event id once, checks the amount, and moves the order with a
//! conditional update, so duplicate, out-of-order, stale or forged events change nothing.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use stripe::{
    CheckoutSession, CheckoutSessionMode, Client, CreateCheckoutSession,
    CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataProductData, Currency, EventObject, EventType, Webhook,
};

use crate::db::now_ms;
use crate::error::AppError;
use crate::orders::OrderStatus;
use crate::orders::ssr::{OrderRow, change_status, order_by_id};
use crate::state::AppState;

/// Creates the Checkout Session for `order` and returns the URL to send the buyer to.
pub async fn start_payment(state: &AppState, order: &OrderRow) -> Result<String, AppError> {
    let stripe_settings = state.settings.stripe.as_ref().ok_or_else(|| {
        AppError::field(
            "payment",
            "Card payment is not available right now; please choose Invoice.",
        )
    })?;
    let client = Client::from_url(
        stripe_settings.api_base.as_str(),
        stripe_settings.secret_key.expose(),
    );
    let lines: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select product_name, summary, unit_price, quantity from order_lines where order_id = $1 order by position",
    )
    .bind(&order.id)
    .fetch_all(&state.pool)
    .await?;
    let site = state.settings.site_url.trim_end_matches('/');
    let success_url = format!("{site}/orders/{}", order.number);
    let cancel_url = format!("{site}/orders/{}", order.number);
    let mut params = CreateCheckoutSession::new();
    params.mode = Some(CheckoutSessionMode::Payment);
    params.success_url = Some(&success_url);
    params.cancel_url = Some(&cancel_url);
    params.client_reference_id = Some(&order.id);
    params.customer_email = Some(&order.email);
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
    let session = match CheckoutSession::create(&client, params).await {
        Ok(session) => session,
        Err(error) => {
            // The order cannot be paid: give its stock back and let the buyer choose again.
            change_status(
                &state.pool,
                &order.id,
                OrderStatus::Placed,
                OrderStatus::Cancelled,
            )
            .await?;
            tracing::error!(order = %order.number, error = %error, "creating the Stripe Checkout Session failed");
            return Err(AppError::Conflict(
                "Card payment is not available right now. Your order was not placed; please try again or choose Invoice."
                    .into(),
            ));
        }
    };
    sqlx::query("update orders set stripe_session_id = $1, updated_at = $2 where id = $3")
        .bind(session.id.as_str())
        .bind(now_ms())
        .bind(&order.id)
        .execute(&state.pool)
        .await?;
    session
        .url
        .ok_or_else(|| crate::error::internal("Stripe returned a session without a URL"))
}

/// `POST /webhooks/stripe`.
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
    let event = match Webhook::construct_event(&body, signature, settings.webhook_secret.expose()) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(error = %error, "refused a Stripe webhook");
            return StatusCode::BAD_REQUEST;
        }
    };
    match handle_event(&state, event).await {
        Ok(()) => StatusCode::OK,
        Err(error) => {
            tracing::error!(error = %error, "handling a Stripe webhook failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn handle_event(state: &AppState, event: stripe::Event) -> Result<(), AppError> {
    let (to, session) = match (event.type_, event.data.object) {
        (EventType::CheckoutSessionCompleted, EventObject::CheckoutSession(session)) => {
            (OrderStatus::Paid, session)
        }
        (EventType::CheckoutSessionExpired, EventObject::CheckoutSession(session)) => {
            (OrderStatus::Cancelled, session)
        }
        (other, _) => {
            tracing::debug!(kind = %other, "ignored Stripe event");
            return Ok(());
        }
    };
    let Some(order) = order_for_session(state, &session).await? else {
        tracing::warn!(session = %session.id, "Stripe event for an unknown Checkout Session");
        return Ok(());
    };
    // Each event is handled once; Stripe may deliver it again.
    let first_time = sqlx::query(
        "insert into payment_events (event_id, kind, received_at) values ($1, $2, $3) on conflict (event_id) do nothing",
    )
    .bind(event.id.as_str())
    .bind(to.as_str())
    .bind(now_ms())
    .execute(&state.pool)
    .await?
    .rows_affected()
        == 1;
    if !first_time {
        return Ok(());
    }
    if to == OrderStatus::Paid {
        let paid = session.payment_status == stripe::CheckoutSessionPaymentStatus::Paid;
        let amount_ok = session.amount_total == Some(order.total)
            && session
                .currency
                .map(|c| c.to_string().eq_ignore_ascii_case(&order.currency))
                .unwrap_or(false);
        if !paid || !amount_ok {
            tracing::error!(order = %order.number, amount = ?session.amount_total, "completed Checkout Session does not match the order; not fulfilled");
            return Ok(());
        }
    }
    // Only an order still waiting for payment moves: a late expiry after payment, or a late
    // completion after expiry, changes nothing.
    let moved = change_status(&state.pool, &order.id, OrderStatus::Placed, to).await?;
    tracing::info!(order = %order.number, to = to.as_str(), moved, "Stripe event handled");
    Ok(())
}

async fn order_for_session(
    state: &AppState,
    session: &CheckoutSession,
) -> Result<Option<OrderRow>, AppError> {
    let by_session: Option<String> =
        sqlx::query_scalar("select id from orders where stripe_session_id = $1")
            .bind(session.id.as_str())
            .fetch_optional(&state.pool)
            .await?;
    // The webhook can arrive before we stored the session id (Stripe is fast); then the client
    // reference, which we set to the order id, finds it.
    let id = by_session.or_else(|| session.client_reference_id.clone());
    let Some(id) = id else { return Ok(None) };
    let order = order_by_id(&state.pool, &id).await?;
    Ok(order.filter(|order| order.payment_method == "card"))
}
