//! A Checkout Session's life through async-stripe 0.41: `expires_at` within Stripe's window,
//! sessions expiring when their time has come (with `checkout.session.expired`), expiring a
//! session that is no longer open refused as Stripe refuses it, and retrieve showing each state.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{checkout_params, client, http, receiver, start, within};
use fake_stripe::Running;
use serde_json::{Value, json};
use stripe::{
    CheckoutSession, CheckoutSessionPaymentStatus, CheckoutSessionStatus, ErrorType, EventObject,
    EventType, StripeError,
};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

fn now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}

async fn create_expiring_at(
    fake: &Running,
    expires_at: Option<i64>,
) -> Result<CheckoutSession, StripeError> {
    let mut params = checkout_params("http://shop.test/ok", "http://shop.test/cancel");
    params.expires_at = expires_at;
    within(CheckoutSession::create(&client(fake), params)).await
}

fn stripe_error(result: Result<CheckoutSession, StripeError>) -> stripe::RequestError {
    match result {
        Err(StripeError::Stripe(e)) => e,
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

async fn retrieve(fake: &Running, session: &CheckoutSession) -> CheckoutSession {
    within(CheckoutSession::retrieve(&client(fake), &session.id, &[]))
        .await
        .expect("retrieve succeeds")
}

#[tokio::test]
async fn expires_at_is_stored_and_returned() {
    let fake = start().await;
    let at = now() + HOUR;

    let session = create_expiring_at(&fake, Some(at)).await.expect("create");

    assert_eq!(session.expires_at, at);
    assert_eq!(retrieve(&fake, &session).await.expires_at, at);
    assert_eq!(fake.session(session.id.as_str()).unwrap()["expires_at"], at);
    fake.shutdown().await;
}

#[tokio::test]
async fn without_expires_at_a_session_expires_in_24_hours_as_at_stripe() {
    let fake = start().await;

    let session = create_expiring_at(&fake, None).await.expect("create");

    assert_eq!(session.expires_at - session.created, 24 * HOUR);
    fake.shutdown().await;
}

#[tokio::test]
async fn expires_at_outside_stripes_window_is_an_invalid_request_on_the_param() {
    let fake = start().await;

    let too_soon = stripe_error(create_expiring_at(&fake, Some(now() + 10 * MINUTE)).await);
    let too_late = stripe_error(create_expiring_at(&fake, Some(now() + 25 * HOUR)).await);

    for error in [&too_soon, &too_late] {
        assert_eq!(error.http_status, 400);
        assert_eq!(error.error_type, ErrorType::InvalidRequest);
        assert!(error.message.as_deref().unwrap().contains("expires_at"));
    }
    assert!(too_soon.message.unwrap().contains("at least 30 minutes"));
    assert!(too_late.message.unwrap().contains("less than 24 hours"));
    // async-stripe does not expose `param`; the wire does.
    let body = format!(
        "mode=payment&success_url=http://shop.test/ok&expires_at={}\
&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=100\
&line_items[0][price_data][product_data][name]=Desk&line_items[0][quantity]=1",
        now() + 10 * MINUTE
    );
    let response = within(
        http()
            .post(format!("{}/v1/checkout/sessions", fake.base_url()))
            .bearer_auth(fake.secret_key())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send(),
    )
    .await
    .unwrap();
    let error: Value = within(response.json()).await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["param"], "expires_at");
    assert!(fake.sessions().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn expire_due_expires_only_open_sessions_whose_time_has_passed() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let start_time = now();
    let soon = create_expiring_at(&fake, Some(start_time + 31 * MINUTE))
        .await
        .unwrap();
    let later = create_expiring_at(&fake, Some(start_time + 2 * HOUR))
        .await
        .unwrap();
    let paid = create_expiring_at(&fake, Some(start_time + 31 * MINUTE))
        .await
        .unwrap();
    within(fake.pay(paid.id.as_str())).await.unwrap();

    let expired = within(fake.expire_due(start_time + 40 * MINUTE)).await;

    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].session["id"], soon.id.as_str());
    assert_eq!(expired[0].event.event_type, "checkout.session.expired");
    assert_eq!(expired[0].delivery.as_ref().unwrap().status, Some(200));
    let received = hook.received();
    assert_eq!(received.len(), 2, "the payment, then the expiry");
    let event = received[1]
        .verified
        .as_ref()
        .expect("construct_event accepts");
    assert_eq!(event.type_, EventType::CheckoutSessionExpired);
    let EventObject::CheckoutSession(in_event) = &event.data.object else {
        panic!("expected a checkout session");
    };
    assert_eq!(in_event.id, soon.id);
    assert_eq!(in_event.status, Some(CheckoutSessionStatus::Expired));
    assert_eq!(
        retrieve(&fake, &soon).await.status,
        Some(CheckoutSessionStatus::Expired)
    );
    assert_eq!(
        retrieve(&fake, &later).await.status,
        Some(CheckoutSessionStatus::Open)
    );
    assert_eq!(
        retrieve(&fake, &paid).await.status,
        Some(CheckoutSessionStatus::Complete)
    );
    assert!(
        within(fake.expire_due(start_time + 40 * MINUTE))
            .await
            .is_empty(),
        "a session expires once"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn expire_due_works_over_http() {
    let fake = start().await;
    let start_time = now();
    let session = create_expiring_at(&fake, Some(start_time + HOUR))
        .await
        .unwrap();
    let expire_due = |body: Value| {
        let request = http()
            .post(format!("{}/_test/sessions/expire_due", fake.base_url()))
            .json(&body)
            .send();
        async move {
            let response = within(request).await.unwrap();
            assert_eq!(response.status(), 200);
            within(response.json::<Value>()).await.unwrap()
        }
    };

    let not_yet = expire_due(json!({})).await;
    let due = expire_due(json!({"now": start_time + HOUR})).await;

    assert_eq!(not_yet, json!([]), "without `now`, the fake's clock");
    assert_eq!(due.as_array().unwrap().len(), 1);
    assert_eq!(due[0]["session"]["id"], session.id.as_str());
    assert_eq!(due[0]["session"]["status"], "expired");
    assert_eq!(due[0]["event"]["type"], "checkout.session.expired");
    assert!(
        due[0]["delivery"]["error"].is_string(),
        "no webhook URL set"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn expiring_a_completed_session_is_refused_as_stripe_refuses_it() {
    let fake = start().await;
    let session = create_expiring_at(&fake, None).await.unwrap();
    within(fake.pay(session.id.as_str())).await.unwrap();

    let error = stripe_error(within(CheckoutSession::expire(&client(&fake), &session.id)).await);

    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::InvalidRequest);
    let message = error.message.unwrap();
    assert!(
        message.starts_with("Only Checkout Sessions with a status in [\"open\"] can be expired."),
        "{message}"
    );
    assert!(message.contains("`complete`"), "{message}");
    assert_eq!(fake.events().len(), 1, "no expired event");
    assert_eq!(
        retrieve(&fake, &session).await.status,
        Some(CheckoutSessionStatus::Complete)
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn expiring_an_expired_session_is_refused_as_stripe_refuses_it() {
    let fake = start().await;
    let session = create_expiring_at(&fake, None).await.unwrap();
    within(CheckoutSession::expire(&client(&fake), &session.id))
        .await
        .expect("first expire");

    let error = stripe_error(within(CheckoutSession::expire(&client(&fake), &session.id)).await);

    assert_eq!(error.http_status, 400);
    assert_eq!(error.error_type, ErrorType::InvalidRequest);
    let message = error.message.unwrap();
    assert!(message.contains("can be expired"), "{message}");
    assert!(message.contains("`expired`"), "{message}");
    fake.shutdown().await;
}

#[tokio::test]
async fn retrieve_reflects_payment_and_expiry() {
    let fake = start().await;
    let to_pay = create_expiring_at(&fake, None).await.unwrap();
    let to_expire = create_expiring_at(&fake, None).await.unwrap();
    let open = retrieve(&fake, &to_pay).await;
    assert_eq!(open.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(open.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert!(open.url.is_some());

    within(fake.pay(to_pay.id.as_str())).await.unwrap();
    within(CheckoutSession::expire(&client(&fake), &to_expire.id))
        .await
        .unwrap();

    let paid = retrieve(&fake, &to_pay).await;
    assert_eq!(paid.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(paid.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert!(paid.payment_intent.is_some());
    assert_eq!(paid.url, None);
    let expired = retrieve(&fake, &to_expire).await;
    assert_eq!(expired.status, Some(CheckoutSessionStatus::Expired));
    assert_eq!(expired.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(expired.url, None);
    fake.shutdown().await;
}
