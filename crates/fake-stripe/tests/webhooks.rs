//! The hosted payment page and webhook delivery: events signed so that async-stripe's
//! `Webhook::construct_event` accepts them with the right secret and refuses them otherwise,
//! plus the misbehaviours tests need (duplicates, stale, forged, out-of-order).

mod common;

use std::time::Duration;

use common::{checkout_params, client, http, receiver, start, within};
use fake_stripe::{DeliveryKind, Running, Signing};
use serde_json::{Value, json};
use stripe::{
    CheckoutSession, CheckoutSessionPaymentStatus, CheckoutSessionStatus, EventObject, EventType,
};

async fn open_session(fake: &Running) -> CheckoutSession {
    within(CheckoutSession::create(
        &client(fake),
        checkout_params(
            "http://shop.test/done?session={CHECKOUT_SESSION_ID}",
            "http://shop.test/checkout",
        ),
    ))
    .await
    .expect("create succeeds")
}

fn completed_session(event: &stripe::Event) -> &CheckoutSession {
    match &event.data.object {
        EventObject::CheckoutSession(session) => session,
        other => panic!("expected a checkout session, got {other:?}"),
    }
}

#[tokio::test]
async fn payment_page_shows_amount_items_and_both_buttons() {
    let fake = start().await;
    let session = open_session(&fake).await;

    let page = within(
        within(http().get(session.url.clone().unwrap()).send())
            .await
            .unwrap()
            .text(),
    )
    .await
    .unwrap();

    assert!(page.contains("Pay 698.00 EUR"), "{page}");
    assert!(page.contains("Standing desk, oak top"));
    assert!(page.contains("Cable tray"));
    assert!(page.contains(">Pay</button>"));
    assert!(page.contains(">Cancel</button>"));
    assert!(page.contains(&format!("action=\"/pay/{}/complete\"", session.id)));
    fake.shutdown().await;
}

#[tokio::test]
async fn paying_delivers_a_signed_completed_event_then_redirects_to_success_url() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;

    let response = within(
        http()
            .post(format!("{}/pay/{}/complete", fake.base_url(), session.id))
            .send(),
    )
    .await
    .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("http://shop.test/done?session={}", session.id).as_str()
    );
    // Delivery is synchronous: the shop has the event before the buyer is redirected.
    let received = hook.received();
    assert_eq!(received.len(), 1);
    let event = received[0]
        .verified
        .as_ref()
        .expect("construct_event accepts");
    assert_eq!(event.type_, EventType::CheckoutSessionCompleted);
    let paid = completed_session(event);
    assert_eq!(paid.id, session.id);
    assert_eq!(paid.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(paid.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert_eq!(paid.client_reference_id.as_deref(), Some("order_K7QX2"));
    assert_eq!(paid.amount_total, Some(69_800));
    assert_eq!(
        paid.customer_details
            .as_ref()
            .and_then(|d| d.email.as_deref()),
        Some("ada@example.test")
    );

    let wrong = stripe::Webhook::construct_event(
        &received[0].body,
        received[0].signature.as_deref().unwrap(),
        "whsec_someone_else",
    );
    assert!(wrong.is_err(), "a wrong secret must not verify");

    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, Some(200));
    assert_eq!(deliveries[0].kind, DeliveryKind::Live);

    let retrieved = within(CheckoutSession::retrieve(&client(&fake), &session.id, &[]))
        .await
        .unwrap();
    assert_eq!(retrieved.payment_status, CheckoutSessionPaymentStatus::Paid);

    let again = within(
        http()
            .post(format!("{}/pay/{}/complete", fake.base_url(), session.id))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 409, "a session is paid once");
    assert_eq!(hook.received().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn cancelling_redirects_to_cancel_url_and_leaves_the_session_open() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;

    let response = within(
        http()
            .post(format!("{}/pay/{}/cancel", fake.base_url(), session.id))
            .send(),
    )
    .await
    .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "http://shop.test/checkout");
    assert_eq!(fake.session(session.id.as_str()).unwrap()["status"], "open");
    assert!(hook.received().is_empty());
    assert!(fake.events().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn expiring_through_the_api_sends_an_expired_event() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;

    within(CheckoutSession::expire(&client(&fake), &session.id))
        .await
        .unwrap();
    let deliveries = fake
        .wait_for_deliveries(1, Duration::from_secs(10))
        .await
        .expect("expired event delivered");

    assert_eq!(
        deliveries[0].event_type.as_deref(),
        Some("checkout.session.expired")
    );
    assert_eq!(deliveries[0].status, Some(200));
    let received = hook.received();
    let event = received[0].verified.as_ref().unwrap();
    assert_eq!(event.type_, EventType::CheckoutSessionExpired);
    assert_eq!(
        completed_session(event).status,
        Some(CheckoutSessionStatus::Expired)
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn redelivery_sends_the_same_event_id_again() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;
    let paid = within(fake.pay(session.id.as_str())).await.unwrap();

    let delivery = within(fake.redeliver(&paid.event.id)).await.unwrap();

    assert_eq!(delivery.kind, DeliveryKind::Redelivery);
    assert_eq!(delivery.status, Some(200));
    let received = hook.received();
    assert_eq!(received.len(), 2);
    let first = received[0].verified.as_ref().unwrap();
    let second = received[1].verified.as_ref().unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(fake.events().len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn stale_signature_is_refused_by_construct_event() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;
    let paid = within(fake.pay(session.id.as_str())).await.unwrap();

    let delivery = within(fake.send_stale(&paid.event.id, Duration::from_secs(301)))
        .await
        .unwrap();

    assert_eq!(delivery.status, Some(400));
    let received = hook.received();
    let error = received[1].verified.as_ref().unwrap_err();
    assert!(error.contains("timestamp"), "{error}");
    let t: i64 = delivery.signature.as_deref().unwrap()[2..12]
        .parse()
        .unwrap();
    assert!(t <= delivery.sent_at - 301);
    fake.shutdown().await;
}

#[tokio::test]
async fn forged_signature_is_refused_by_construct_event() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    let session = open_session(&fake).await;
    let paid = within(fake.pay(session.id.as_str())).await.unwrap();

    let delivery = within(fake.send_forged(&paid.event.id)).await.unwrap();

    assert_eq!(delivery.kind, DeliveryKind::Forged);
    assert_eq!(delivery.status, Some(400));
    assert!(hook.received()[1].verified.is_err());
    fake.shutdown().await;
}

#[tokio::test]
async fn held_events_are_released_in_the_order_asked() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));
    fake.hold_deliveries(true);
    let first = open_session(&fake).await;
    let second = open_session(&fake).await;
    let paid = within(fake.pay(first.id.as_str())).await.unwrap();
    let (_, expired, held_delivery) = within(fake.expire(second.id.as_str())).await.unwrap();
    assert!(paid.delivery.is_none());
    assert!(held_delivery.is_none());
    assert!(hook.received().is_empty());
    assert_eq!(
        fake.held_events(),
        vec![paid.event.id.clone(), expired.id.clone()]
    );

    let released = within(fake.release(&[expired.id.as_str(), paid.event.id.as_str()]))
        .await
        .unwrap();

    assert_eq!(released.len(), 2);
    assert!(released.iter().all(|d| d.kind == DeliveryKind::Released));
    let order: Vec<String> = hook
        .received()
        .iter()
        .map(|r| r.verified.as_ref().unwrap().id.to_string())
        .collect();
    assert_eq!(order, vec![expired.id.clone(), paid.event.id.clone()]);
    assert!(fake.held_events().is_empty());
    assert!(matches!(
        within(fake.release(&[paid.event.id.as_str()])).await,
        Err(fake_stripe::ControlError::NotHeld(_))
    ));
    fake.shutdown().await;
}

#[tokio::test]
async fn raw_payloads_are_sent_as_given() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    fake.set_webhook_url(Some(hook.url.clone()));

    let valid = within(fake.send_raw("{\"not\":\"an event\"}", Signing::Valid)).await;
    let unsigned = within(fake.send_raw("{}", Signing::Missing)).await;

    let received = hook.received();
    assert_eq!(received[0].body, "{\"not\":\"an event\"}");
    // Signature fine, but not an event: construct_event fails on parsing.
    assert!(received[0].verified.is_err());
    assert_eq!(valid.status, Some(400));
    assert!(received[1].signature.is_none());
    assert_eq!(unsigned.status, Some(400));
    fake.shutdown().await;
}

#[tokio::test]
async fn unreachable_webhook_is_logged_not_fatal() {
    let fake = start().await;
    // A port that was free a moment ago: nothing listens there now.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    fake.set_webhook_url(Some(format!("http://{closed}/webhook")));
    let session = open_session(&fake).await;

    let paid = within(fake.pay(session.id.as_str())).await.unwrap();

    let delivery = paid.delivery.unwrap();
    assert_eq!(delivery.status, None);
    assert!(delivery.error.is_some());
    assert_eq!(paid.session["payment_status"], "paid");
    fake.shutdown().await;
}

#[tokio::test]
async fn test_controls_work_over_http() {
    let fake = start().await;
    let hook = receiver(fake.webhook_secret()).await;
    let http = http();
    let base = fake.base_url().to_owned();
    let post = |path: &str, body: Value| {
        let request = http.post(format!("{base}{path}")).json(&body).send();
        async move {
            let response = within(request).await.unwrap();
            let status = response.status().as_u16();
            let json: Value = within(response.json()).await.unwrap();
            (status, json)
        }
    };
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}")).send();
        async move {
            within(within(request).await.unwrap().json::<Value>())
                .await
                .unwrap()
        }
    };

    let (status, webhook) = post("/_test/webhook", json!({"url": hook.url})).await;
    assert_eq!(status, 200);
    assert_eq!(webhook["url"], json!(hook.url));
    post("/_test/hold", json!({"hold": true})).await;
    let a = open_session(&fake).await;
    let b = open_session(&fake).await;
    let (_, paid_a) = post(&format!("/_test/sessions/{}/pay", a.id), json!({})).await;
    let (_, paid_b) = post(&format!("/_test/sessions/{}/pay", b.id), json!({})).await;
    assert_eq!(paid_a["delivery"], Value::Null);
    let id_a = paid_a["event"]["id"].as_str().unwrap().to_owned();
    let id_b = paid_b["event"]["id"].as_str().unwrap().to_owned();

    let (status, released) = post("/_test/release", json!({"order": [id_b, id_a]})).await;
    assert_eq!(status, 200);
    assert_eq!(released[0]["event_id"], json!(id_b));
    assert_eq!(released[1]["event_id"], json!(id_a));
    assert_eq!(released[0]["status"], 200);

    let (_, dup) = post(&format!("/_test/events/{id_a}/redeliver"), json!({})).await;
    assert_eq!(dup["kind"], "redelivery");
    let (_, stale) = post(&format!("/_test/events/{id_a}/stale"), json!({})).await;
    assert_eq!(stale["status"], 400);
    let (_, forged) = post(&format!("/_test/events/{id_a}/forged"), json!({})).await;
    assert_eq!(forged["status"], 400);
    let (_, raw) = post(
        "/_test/raw",
        json!({"payload": "{}", "signature": "forged"}),
    )
    .await;
    assert_eq!(raw["kind"], "raw");
    let (status, _) = post("/_test/events/evt_nope/redeliver", json!({})).await;
    assert_eq!(status, 404);

    let deliveries = get("/_test/deliveries").await;
    let statuses: Vec<&Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["status"])
        .collect();
    assert_eq!(
        statuses,
        vec![
            &json!(200),
            &json!(200),
            &json!(200),
            &json!(400),
            &json!(400),
            &json!(400)
        ]
    );
    assert_eq!(get("/_test/events").await.as_array().unwrap().len(), 2);
    assert_eq!(get("/_test/sessions").await.as_array().unwrap().len(), 2);
    let requests = get("/_test/requests").await;
    assert_eq!(requests[0]["form"]["line_items"][0]["quantity"], "1");
    assert_eq!(hook.received().len(), 6);

    let (_, _) = post("/_test/reset", json!({})).await;
    assert!(fake.sessions().is_empty());
    assert!(fake.deliveries().is_empty());
    fake.shutdown().await;
}
