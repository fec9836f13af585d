//! One cart, one order: placing an order as a careless buyer does it (a double click, a retry on
//! a slow network, twenty parallel posts of one form, two tabs), on SQLite and on PostgreSQL,
//! and what the buyer is told about stock, fields and personal data on the way.

mod common;

use std::sync::Arc;

use common::*;
use reqwest::StatusCode;

/// The checkout form's idempotency key, as the page renders it.
async fn checkout_key(buyer: &Visitor) -> String {
    let (status, page) = buyer.page("/checkout").await;
    assert_eq!(status, StatusCode::OK);
    let at = page
        .find(r#"name="checkout_key""#)
        .expect("the checkout form has an idempotency key");
    let tag_start = page[..at].rfind('<').unwrap();
    let tag = &page[tag_start..tag_start + page[tag_start..].find('>').unwrap()];
    let value = tag.split(r#"value=""#).nth(1).unwrap();
    value[..value.find('"').unwrap()].to_owned()
}

fn form<'a>(email: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("full_name", "Ada Lovelace"),
        ("address", "12 Analytical Row"),
        ("city", "London"),
        ("postal_code", "EC1A 1BB"),
        ("country", "GB"),
        ("payment", "invoice"),
        ("checkout_key", key),
    ]
}

async fn lock_stock(shop: &Shop) -> i64 {
    sqlx::query_scalar("select stock from products where slug = 'bike-lock'")
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_posts_of_one_checkout_form_make_one_order_and_take_stock_once() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 2).await;
    let before = lock_stock(&shop).await;
    let key = checkout_key(&buyer).await;
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (buyer, start, key) = (buyer.clone(), start.clone(), key.clone());
        posts.spawn(async move {
            start.wait().await;
            let response = buyer
                .submit(
                    "place_order",
                    "/checkout",
                    &form("twenty@example.com", &key),
                )
                .await;
            (response.status(), location(&response))
        });
    }
    let answers = posts.join_all().await;
    assert_eq!(shop.order_count().await, 1, "one cart, one order");
    assert_eq!(lock_stock(&shop).await, before - 2, "stock taken once");
    let number: String = sqlx::query_scalar("select number from orders")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    for (status, target) in &answers {
        assert_eq!(
            target.as_deref(),
            Some(format!("/orders/{number}").as_str()),
            "every post is answered with the one order ({status})"
        );
    }
    let lines: i64 = sqlx::query_scalar("select count(*) from order_lines")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(lines, 1);
}

#[tokio::test]
async fn a_retry_after_the_connection_dropped_gets_the_confirmation_not_an_empty_cart() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("desk-mat", 1).await;
    let key = checkout_key(&buyer).await;
    let first = buyer
        .submit("place_order", "/checkout", &form("retry@example.com", &key))
        .await;
    let first = location(&first).unwrap();
    // The answer was lost; the browser posts the same form again.
    let (status, body) = buyer
        .call_json("place_order", &form("retry@example.com", &key))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = buyer
        .submit("place_order", "/checkout", &form("retry@example.com", &key))
        .await;
    assert_eq!(location(&again).as_deref(), Some(first.as_str()));
    assert_eq!(shop.order_count().await, 1);
    // Someone else holding the key gets nothing of it.
    let stranger = shop.visitor();
    stranger.add_default("desk-mat", 1).await;
    let (status, body) = stranger
        .call_json("place_order", &form("x@example.com", &key))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        !body
            .to_string()
            .contains(first.trim_start_matches("/orders/"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_placing_one_cart_at_once_make_one_order() {
    for _ in 0..5 {
        let shop = Shop::start().await;
        let buyer = shop.visitor();
        buyer.add_default("bike-lock", 1).await;
        let (first_key, second_key) = (checkout_key(&buyer).await, checkout_key(&buyer).await);
        assert_ne!(
            first_key, second_key,
            "each rendering of the form has its own key"
        );
        let (first, second) = (
            form("tab@example.com", &first_key),
            form("tab@example.com", &second_key),
        );
        let (a, b) = tokio::join!(
            buyer.call_json("place_order", &first),
            buyer.call_json("place_order", &second),
        );
        assert_eq!(shop.order_count().await, 1, "{a:?} {b:?}");
        let statuses = [a.0, b.0];
        assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
        let other = if a.0 == StatusCode::OK { &b } else { &a };
        assert_eq!(other.0, StatusCode::UNPROCESSABLE_ENTITY, "{other:?}");
        assert_eq!(error_message(&other.1), "Your cart is empty.");
    }
}

#[tokio::test]
async fn asking_for_more_than_is_left_says_how_many_are_left() {
    let shop = Shop::start().await;
    sqlx::query("update products set stock = 3 where slug = 'bike-lock'")
        .execute(shop.pool())
        .await
        .unwrap();
    let buyer = shop.visitor();
    let configuration = buyer.default_configuration("bike-lock").await;
    let (status, body) = buyer
        .add_to_cart_json("bike-lock", &configuration, &[("quantity", "5")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["Validation"]["fields"]["quantity"]
            .as_str()
            .unwrap()
            .contains("Only 3 left"),
        "{body}"
    );
    buyer.add_default("bike-lock", 3).await;
    let lines = buyer.cart().await;
    let line = lines["lines"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = buyer
        .call_json("update_quantity", &[("line", &line), ("quantity", "4")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_message(&body).contains("Only 3 left"), "{body}");
    // Someone buys two meanwhile: checkout says what is left, not "sold out".
    let other = shop.visitor();
    other.add_default("bike-lock", 2).await;
    other.checkout_by_invoice("other@example.com").await;
    let (status, body) = buyer
        .call_json("place_order", &form("late@example.com", ""))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains("Only 1 left") && !message.contains("sold out"),
        "{message}"
    );
    let cart = buyer.cart().await;
    assert!(
        cart["lines"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("Only 1 left"),
        "the cart says it too: {cart}"
    );
}

#[tokio::test]
async fn a_checkout_form_with_errors_comes_back_filled_in_without_personal_data_in_the_url() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let response = buyer
        .submit(
            "place_order",
            "/checkout",
            &[
                ("email", "ada.private@example"),
                ("full_name", "Ada Private-Lovelace"),
                ("address", "12 Secret Row"),
                ("city", "London"),
                ("postal_code", "EC1A 1BB"),
                ("country", "GB"),
                ("payment", "invoice"),
            ],
        )
        .await;
    let back = location(&response).unwrap();
    assert!(back.contains("__err="), "{back}");
    for private in ["ada.private", "Private", "Secret", "Lovelace"] {
        assert!(!back.contains(private), "{private} is in the URL: {back}");
    }
    let path = back.strip_prefix(&shop.url("")).unwrap_or(&back).to_owned();
    let (_, page) = buyer.page(&path).await;
    assert!(
        page.contains(r#"value="ada.private@example""#)
            && page.contains(r#"value="Ada Private-Lovelace""#)
            && page.contains(r#"value="12 Secret Row""#),
        "what was typed is back in the form"
    );
    assert!(visible_text(&page).contains("Enter an email address like name@example.com."));
}

#[tokio::test]
async fn fake_emails_and_control_characters_are_refused_at_checkout() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    for (field, value) in [
        ("email", "@."),
        ("email", "a b@ex ample.com"),
        ("email", "ada\0@example.com"),
        ("email", "\"<svg onload=alert(1)>\"@example.com"),
        ("full_name", "Ada\0Lovelace"),
        ("full_name", "Ada\u{1b}[31mLovelace"),
        ("address", "12 Row\r\nX-Injected: yes"),
    ] {
        let mut fields = form("ada@example.com", "");
        for pair in fields.iter_mut() {
            if pair.0 == field {
                pair.1 = value;
            }
        }
        let (status, body) = buyer.call_json("place_order", &fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{value:?}: {body}"
        );
        assert!(
            body["Validation"]["fields"][field].is_string(),
            "{field} {value:?}: {body}"
        );
    }
    assert_eq!(shop.order_count().await, 0);
}
