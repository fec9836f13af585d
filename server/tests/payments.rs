//! Card payments against a local fake Stripe over real HTTP: the Checkout Session the shop
//! creates, and the webhook that must fulfil each order exactly once whatever Stripe sends.

mod common;

use common::*;
use fake_stripe::{FakeStripe, Running as Stripe, Signing};
use serde_json::Value;

async fn shop_with_stripe() -> (Shop, Stripe) {
    let stripe = FakeStripe::start(fake_stripe::Config::default())
        .await
        .unwrap();
    let shop = Shop::start_with(|config| {
        config.stripe = Some(stripe_settings(&stripe))
    })
    .await;
    stripe.set_webhook_url(Some(shop.url("/webhooks/stripe")));
    (shop, stripe)
}

/// Places a card order for one bike lock; returns (order number, Checkout Session id).
async fn card_order(shop: &Shop, stripe: &Stripe, buyer: &Visitor) -> (String, String) {
    buyer.add_default("bike-lock", 1).await;
    let response = buyer.checkout("card@example.com", "card").await;
    let target = location(&response).expect("redirect to the payment page");
    assert!(
        target.starts_with(&format!("{}/pay/", stripe.base_url())),
        "{target}"
    );
    let session = target.rsplit('/').next().unwrap().to_owned();
    let number: String =
        sqlx::query_scalar("select number from orders where stripe_session_id = $1")
            .bind(&session)
            .fetch_one(shop.pool())
            .await
            .unwrap();
    (number, session)
}

async fn status_of(shop: &Shop, number: &str) -> String {
    sqlx::query_scalar("select status from orders where number = $1")
        .bind(number)
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

async fn events_of(shop: &Shop, number: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select e.status from order_events e join orders o on o.id = e.order_id where o.number = $1 order by e.created_at, e.id",
    )
    .bind(number)
    .fetch_all(shop.pool())
    .await
    .unwrap()
}

async fn lock_stock(shop: &Shop) -> i64 {
    sqlx::query_scalar("select stock from products where slug = 'bike-lock'")
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

/// An event like `template` with another id and type, and `adjust` applied to its session.
fn variant(template: &str, id: &str, kind: &str, adjust: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(template).unwrap();
    event["id"] = Value::from(id);
    event["type"] = Value::from(kind);
    adjust(&mut event["data"]["object"]);
    event.to_string()
}

#[tokio::test]
async fn the_checkout_session_carries_the_servers_amount_and_the_order() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let price = buyer.product("bike-lock", &[]).await["price"]
        .as_i64()
        .unwrap();
    let (number, _) = card_order(&shop, &stripe, &buyer).await;
    let request = stripe
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .expect("the shop created a Checkout Session");
    let form = &request.form;
    assert_eq!(form["mode"], "payment");
    assert_eq!(
        form["line_items"][0]["price_data"]["unit_amount"],
        price.to_string()
    );
    assert_eq!(form["line_items"][0]["price_data"]["currency"], "eur");
    assert_eq!(form["line_items"][0]["quantity"], "1");
    assert_eq!(form["customer_email"], "card@example.com");
    assert!(
        form["success_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/orders/{number}"))
    );
    assert_eq!(
        status_of(&shop, &number).await,
        "placed",
        "not paid before Stripe says so"
    );
}

#[tokio::test]
async fn paying_marks_the_order_paid_once_even_when_stripe_repeats_the_event() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    let paid = stripe.pay(&session).await.unwrap();
    assert_eq!(paid.delivery.as_ref().and_then(|d| d.status), Some(200));
    assert!(paid.redirect.ends_with(&format!("/orders/{number}")));
    assert_eq!(status_of(&shop, &number).await, "paid");
    for _ in 0..2 {
        let again = stripe.redeliver(&paid.event.id).await.unwrap();
        assert_eq!(again.status, Some(200), "a repeat is acknowledged");
    }
    assert_eq!(events_of(&shop, &number).await, ["placed", "paid"]);
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    assert!(visible_text(&page).contains("Status: Paid"));
}

#[tokio::test]
async fn forged_and_stale_events_change_nothing() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    stripe.hold_deliveries(true);
    let paid = stripe.pay(&session).await.unwrap();
    let forged = stripe.send_forged(&paid.event.id).await.unwrap();
    assert_eq!(forged.status, Some(400));
    let stale = stripe
        .send_stale(&paid.event.id, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(stale.status, Some(400));
    let unsigned = stripe.send_raw(&paid.event.payload, Signing::Missing).await;
    assert_eq!(unsigned.status, Some(400));
    assert_eq!(status_of(&shop, &number).await, "placed");
    let released = stripe.release_all().await;
    assert_eq!(released[0].status, Some(200));
    assert_eq!(status_of(&shop, &number).await, "paid");
}

#[tokio::test]
async fn a_completion_whose_amount_does_not_match_the_order_is_not_fulfilled() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    stripe.hold_deliveries(true);
    let paid = stripe.pay(&session).await.unwrap();
    let cheap = variant(
        &paid.event.payload,
        "evt_test_cheap",
        "checkout.session.completed",
        |s| s["amount_total"] = Value::from(1),
    );
    let delivery = stripe.send_raw(&cheap, Signing::Valid).await;
    assert_eq!(
        delivery.status,
        Some(200),
        "acknowledged, so Stripe does not retry"
    );
    assert_eq!(status_of(&shop, &number).await, "placed");
}

#[tokio::test]
async fn an_expired_payment_cancels_the_order_and_releases_its_stock_and_a_late_completion_is_ignored()
 {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let before = lock_stock(&shop).await;
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    assert_eq!(
        lock_stock(&shop).await,
        before - 1,
        "reserved while waiting for payment"
    );
    let (_, expired, delivery) = stripe.expire(&session).await.unwrap();
    let delivery = match delivery {
        Some(delivery) => delivery,
        None => stripe
            .wait_for_deliveries(1, std::time::Duration::from_secs(10))
            .await
            .unwrap()
            .remove(0),
    };
    assert_eq!(delivery.status, Some(200));
    assert_eq!(status_of(&shop, &number).await, "cancelled");
    assert_eq!(lock_stock(&shop).await, before, "stock released");

    let late = variant(
        &expired.payload,
        "evt_test_late",
        "checkout.session.completed",
        |s| {
            s["status"] = Value::from("complete");
            s["payment_status"] = Value::from("paid");
        },
    );
    assert_eq!(
        stripe.send_raw(&late, Signing::Valid).await.status,
        Some(200)
    );
    assert_eq!(status_of(&shop, &number).await, "cancelled");
    assert_eq!(lock_stock(&shop).await, before);
    assert_eq!(events_of(&shop, &number).await, ["placed", "cancelled"]);
}

#[tokio::test]
async fn an_expiry_arriving_after_the_payment_changes_nothing() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    let paid = stripe.pay(&session).await.unwrap();
    let expiry = variant(
        &paid.event.payload,
        "evt_test_expiry",
        "checkout.session.expired",
        |s| {
            s["status"] = Value::from("expired");
            s["payment_status"] = Value::from("unpaid");
        },
    );
    assert_eq!(
        stripe.send_raw(&expiry, Signing::Valid).await.status,
        Some(200)
    );
    assert_eq!(status_of(&shop, &number).await, "paid");
    assert_eq!(events_of(&shop, &number).await, ["placed", "paid"]);
}
