//! Card payments against a local fake Stripe over real HTTP: the Checkout Session the shop
//! creates, the webhook that must fulfil each order exactly once whatever Stripe sends (and
//! whatever fails while it is handled), a Stripe that is down, slow or failing when the buyer
//! places the order, paying later, and the release of unpaid orders at their deadline.

mod common;

use std::time::Duration;

use common::*;
use fake_stripe::{Failure, FakeStripe, Route, Running as Stripe, Signing};
use reqwest::StatusCode;
use serde_json::Value;

async fn shop_with_stripe() -> (Shop, Stripe) {
    shop_with_stripe_and(|_| {}).await
}

/// A shop with card payments, `adjust`ed (payment hold, job interval, …).
async fn shop_with_stripe_and(adjust: impl FnOnce(&mut server::Config)) -> (Shop, Stripe) {
    let stripe = FakeStripe::start(fake_stripe::Config::default())
        .await
        .unwrap();
    let shop = Shop::start_with(|config| {
        config.stripe = Some(stripe_settings(&stripe));
        // The release job is tested on its own; elsewhere it must not race the test.
        config.jobs_every = Duration::from_secs(3600);
        adjust(config);
    })
    .await;
    stripe.set_webhook_url(Some(shop.url("/webhooks/stripe")));
    (shop, stripe)
}

const CREATE: &str = "/v1/checkout/sessions";

fn session_creates(stripe: &Stripe) -> usize {
    stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == CREATE && r.status == 200 && !r.replayed)
        .count()
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
        request.idempotency_key().is_some(),
        "a retried create can never make a second session"
    );
    let expires_at: i64 = form["expires_at"].as_str().unwrap().parse().unwrap();
    let now = app::db::now_ms() / 1000;
    assert!(
        (now + 30 * 60..now + 40 * 60).contains(&expires_at),
        "the session lives as long as the items are held: {expires_at} vs {now}"
    );
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
    let text = visible_text(&page);
    assert!(text.contains("Status Paid"), "{text}");
    assert!(text.contains("your order is paid"), "{text}");
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
async fn an_expiry_at_the_payment_deadline_cancels_the_order_and_releases_its_stock_and_a_late_completion_is_ignored()
 {
    // No hold: the deadline has passed as soon as the order is placed.
    let (shop, stripe) = shop_with_stripe_and(|c| c.payment_hold = Duration::ZERO).await;
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
async fn a_session_that_expires_before_the_deadline_leaves_the_order_payable_with_a_fresh_session()
{
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let before = lock_stock(&shop).await;
    let (number, first) = card_order(&shop, &stripe, &buyer).await;
    stripe.expire(&first).await.unwrap();
    assert_eq!(status_of(&shop, &number).await, "placed");
    assert_eq!(lock_stock(&shop).await, before - 1, "still held");
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    let text = visible_text(&page);
    assert!(
        text.contains("waiting for payment") && text.contains("Pay now"),
        "{text}"
    );
    let response = buyer
        .submit(
            "pay_now",
            &format!("/orders/{number}"),
            &[("number", &number)],
        )
        .await;
    let target = location(&response).expect("to the payment page");
    let second = target.rsplit('/').next().unwrap().to_owned();
    assert_ne!(second, first, "a fresh Checkout Session");
    assert!(stripe.pay(&second).await.unwrap().delivery.is_some());
    assert_eq!(status_of(&shop, &number).await, "paid");
    assert_eq!(lock_stock(&shop).await, before - 1);
}

#[tokio::test]
async fn the_cancel_page_offers_pay_now_which_reuses_the_open_session_and_pay_by_invoice() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    // Stripe's cancel URL is the order page.
    let cancel_url = stripe.session(&session).unwrap()["cancel_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        cancel_url.ends_with(&format!("/orders/{number}")),
        "{cancel_url}"
    );
    let (status, page) = buyer.page(&format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    assert!(
        text.contains("Your order is waiting for payment")
            && text.contains("reserved until")
            && text.contains("Pay by invoice instead"),
        "{text}"
    );
    let again = buyer
        .submit(
            "pay_now",
            &format!("/orders/{number}"),
            &[("number", &number)],
        )
        .await;
    assert!(
        location(&again)
            .unwrap()
            .ends_with(&format!("/pay/{session}")),
        "the open session again"
    );
    assert_eq!(session_creates(&stripe), 1);

    let before = lock_stock(&shop).await;
    let switched = buyer
        .submit(
            "pay_by_invoice",
            &format!("/orders/{number}"),
            &[("number", &number)],
        )
        .await;
    assert_eq!(
        next_page(&switched).as_deref(),
        Some(format!("/orders/{number}").as_str())
    );
    assert_eq!(
        stripe.session(&session).unwrap()["status"],
        "expired",
        "the card session can no longer be paid"
    );
    let method: String = sqlx::query_scalar("select payment_method from orders where number = $1")
        .bind(&number)
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(method, "invoice");
    assert_eq!(status_of(&shop, &number).await, "placed");
    assert_eq!(lock_stock(&shop).await, before, "the items stay reserved");
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    let text = visible_text(&page);
    assert!(
        text.contains("Invoice") && !text.contains("Pay now"),
        "{text}"
    );
    // The expiry event of the old session changes nothing.
    stripe
        .wait_for_deliveries(1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status_of(&shop, &number).await, "placed");
}

/// Places a card order while Stripe misbehaves; returns (order number, where the buyer went).
async fn card_order_placed(buyer: &Visitor) -> (String, String) {
    buyer.add_default("bike-lock", 1).await;
    let response = buyer.checkout("card@example.com", "card").await;
    let target = location(&response).expect("a redirect after placing the order");
    let number = target
        .strip_prefix("/orders/")
        .unwrap_or_else(|| panic!("to the order page, not {target}"))
        .to_owned();
    (number, target)
}

async fn assert_waiting_and_paid_after_pay_now(
    shop: &Shop,
    stripe: &Stripe,
    buyer: &Visitor,
    number: &str,
) {
    assert_eq!(status_of(shop, number).await, "placed");
    assert!(
        buyer.cart().await["lines"].as_array().unwrap().is_empty(),
        "the cart became the order"
    );
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    let text = visible_text(&page);
    assert!(
        text.contains("Your order is waiting for payment")
            && text.contains("could not reach our card payment provider")
            && text.contains("Pay now"),
        "{text}"
    );
    let response = buyer
        .submit(
            "pay_now",
            &format!("/orders/{number}"),
            &[("number", number)],
        )
        .await;
    let target = location(&response).expect("to the payment page");
    assert!(
        target.starts_with(&format!("{}/pay/", stripe.base_url())),
        "{target}"
    );
    let session = target.rsplit('/').next().unwrap();
    stripe.pay(session).await.unwrap();
    assert_eq!(status_of(shop, number).await, "paid");
}

#[tokio::test]
async fn with_stripe_unreachable_the_order_waits_for_payment_and_pay_now_works_once_it_is_back() {
    let stripe = FakeStripe::start(fake_stripe::Config::default())
        .await
        .unwrap();
    let addr = stripe.addr();
    let settings = stripe_settings(&stripe);
    stripe.shutdown().await;
    let shop = Shop::start_with(|config| {
        config.stripe = Some(settings);
        config.jobs_every = Duration::from_secs(3600);
    })
    .await;
    let buyer = shop.visitor();
    let before = lock_stock(&shop).await;
    let (number, _) = card_order_placed(&buyer).await;
    assert_eq!(lock_stock(&shop).await, before - 1, "its items are held");
    // Stripe is back, at the same address.
    let stripe = FakeStripe::start(fake_stripe::Config {
        addr,
        webhook_url: Some(shop.url("/webhooks/stripe")),
        ..fake_stripe::Config::default()
    })
    .await
    .unwrap();
    assert_waiting_and_paid_after_pay_now(&shop, &stripe, &buyer, &number).await;
    assert_eq!(session_creates(&stripe), 1);
}

#[tokio::test]
async fn a_5xx_from_stripe_leaves_the_order_waiting_and_pay_now_creates_one_session() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    stripe
        .fail_next(Route::post(CREATE), 1, Failure::new(503))
        .unwrap();
    let (number, _) = card_order_placed(&buyer).await;
    assert_eq!(session_creates(&stripe), 0);
    assert_waiting_and_paid_after_pay_now(&shop, &stripe, &buyer, &number).await;
    assert_eq!(session_creates(&stripe), 1);
    let keys: Vec<_> = stripe
        .requests()
        .iter()
        .filter(|r| r.path == CREATE)
        .map(|r| r.idempotency_key().map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(Option::is_some),
        "every create carries a key"
    );
    assert_ne!(
        keys[0], keys[1],
        "after a 5xx the next attempt has a new key"
    );
}

#[tokio::test]
async fn a_slow_stripe_times_out_and_the_retry_gets_the_same_session_not_a_second_one() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    // Stripe creates the session but answers after the shop stopped waiting (5 s in tests).
    stripe
        .delay_next(Route::post(CREATE), 1, Duration::from_secs(8))
        .unwrap();
    let (number, _) = card_order_placed(&buyer).await;
    assert_waiting_and_paid_after_pay_now(&shop, &stripe, &buyer, &number).await;
    assert_eq!(
        stripe.sessions().len(),
        1,
        "the retry with the same idempotency key got the session the slow call made"
    );
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

/// Makes every change of an order to `paid` fail, as a crash or a lost connection between
/// recording a webhook event and applying it would: a trigger in the test database, nothing in
/// the product code.
async fn break_paying(shop: &Shop) {
    if shop.database.is_postgres() {
        sqlx::query(
            "create function atelier_injected_fault() returns trigger as $$
             begin raise exception 'injected fault'; end $$ language plpgsql",
        )
        .execute(shop.pool())
        .await
        .unwrap();
        sqlx::query(
            "create trigger injected_fault before update of status on orders
             for each row when (new.status = 'paid') execute function atelier_injected_fault()",
        )
        .execute(shop.pool())
        .await
        .unwrap();
    } else {
        sqlx::query(
            "create trigger injected_fault before update of status on orders
             when new.status = 'paid' begin select raise(abort, 'injected fault'); end",
        )
        .execute(shop.pool())
        .await
        .unwrap();
    }
}

async fn repair_paying(shop: &Shop) {
    let drop = if shop.database.is_postgres() {
        "drop trigger injected_fault on orders"
    } else {
        "drop trigger injected_fault"
    };
    sqlx::query(drop).execute(shop.pool()).await.unwrap();
}

async fn recorded_events(shop: &Shop) -> i64 {
    sqlx::query_scalar("select count(*) from payment_events")
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fault_while_applying_a_payment_records_nothing_and_stripes_redelivery_pays_the_order() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    break_paying(&shop).await;
    let paid = stripe.pay(&session).await.unwrap();
    assert_eq!(
        paid.delivery.as_ref().and_then(|d| d.status),
        Some(500),
        "a failed handler answers 5xx so Stripe retries"
    );
    assert_eq!(status_of(&shop, &number).await, "placed");
    assert_eq!(
        recorded_events(&shop).await,
        0,
        "the event is not recorded as handled"
    );
    repair_paying(&shop).await;
    let again = stripe.redeliver(&paid.event.id).await.unwrap();
    assert_eq!(again.status, Some(200));
    assert_eq!(status_of(&shop, &number).await, "paid");
    assert_eq!(events_of(&shop, &number).await, ["placed", "paid"]);
    assert_eq!(recorded_events(&shop).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_identical_events_at_once_make_one_status_change_and_one_timeline_entry() {
    let (shop, stripe) = shop_with_stripe().await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    stripe.hold_deliveries(true);
    let paid = stripe.pay(&session).await.unwrap();
    let stripe = std::sync::Arc::new(stripe);
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut deliveries = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (stripe, start, payload) = (stripe.clone(), start.clone(), paid.event.payload.clone());
        deliveries.spawn(async move {
            start.wait().await;
            stripe.send_raw(&payload, Signing::Valid).await.status
        });
    }
    let statuses = deliveries.join_all().await;
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
    assert_eq!(status_of(&shop, &number).await, "paid");
    assert_eq!(events_of(&shop, &number).await, ["placed", "paid"]);
    assert_eq!(recorded_events(&shop).await, 1);
}

async fn wait_for_status(shop: &Shop, number: &str, wanted: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while status_of(shop, number).await != wanted {
        assert!(
            std::time::Instant::now() < deadline,
            "order {number} did not become {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn make_overdue(shop: &Shop, number: &str) {
    sqlx::query("update orders set payment_due_at = $1 where number = $2")
        .bind(app::db::now_ms() - 1000)
        .bind(number)
        .execute(shop.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unpaid_order_is_released_at_its_deadline_once_even_with_two_app_servers() {
    let (shop, stripe) = shop_with_stripe_and(|c| c.jobs_every = Duration::from_millis(200)).await;
    let mut second = config(&shop.database.url);
    second.demo = false;
    second.stripe = Some(stripe_settings(&stripe));
    second.jobs_every = Duration::from_millis(200);
    let second = server::start(second).await.unwrap();
    let buyer = shop.visitor();
    let before = lock_stock(&shop).await;
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    make_overdue(&shop, &number).await;
    wait_for_status(&shop, &number, "cancelled").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(events_of(&shop, &number).await, ["placed", "cancelled"]);
    assert_eq!(
        lock_stock(&shop).await,
        before,
        "the held item is back in stock"
    );
    assert_eq!(
        stripe.session(&session).unwrap()["status"],
        "expired",
        "the session was closed first, so it cannot be paid after the release"
    );
    assert!(stripe.pay(&session).await.is_err());
    second.stop().await.unwrap();
}

#[tokio::test]
async fn an_order_paid_whose_webhook_never_came_is_marked_paid_at_its_deadline_not_released() {
    let (shop, stripe) = shop_with_stripe_and(|c| c.jobs_every = Duration::from_millis(200)).await;
    let buyer = shop.visitor();
    let (number, session) = card_order(&shop, &stripe, &buyer).await;
    stripe.hold_deliveries(true);
    stripe.pay(&session).await.unwrap();
    make_overdue(&shop, &number).await;
    wait_for_status(&shop, &number, "paid").await;
    assert_eq!(events_of(&shop, &number).await, ["placed", "paid"]);
}
