//! Input that is valid and answers that are true: bounded fields and bodies, messages without
//! deserializer text, expiry of what visitors leave behind, passwords, registration limits, 404s,
//! order numbers typed loosely, and a guest who signs up keeping their order.

mod common;

use common::*;
use reqwest::StatusCode;

async fn rows(shop: &Shop, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_oversized_form_gets_a_readable_413_and_stores_nothing() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let huge_email = format!("{}@example.com", "a".repeat(1_900_000));
    for _ in 0..3 {
        let response = visitor
            .call(
                "login",
                &[("email", &huge_email), ("password", "whatever123")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let text = response.text().await.unwrap();
        assert!(text.contains("more than we accept in one form"), "{text}");
    }
    assert_eq!(rows(&shop, "rate_limits").await, 0, "nothing was stored");
    let configuration = visitor.default_configuration("bicycle").await;
    let mut huge = configuration.clone();
    huge.insert("frame".into(), "x".repeat(600_000));
    let response = visitor.add_to_cart("bicycle", &huge, 1).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        !response.text().await.unwrap().is_empty(),
        "a body a person can read"
    );
}

#[tokio::test]
async fn a_long_field_is_refused_with_its_limit_and_never_echoed() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let long_email = format!("{}@example.com", "b".repeat(20_000));
    let (status, body) = visitor
        .call_json(
            "register",
            &[
                ("full_name", "Long Email"),
                ("email", &long_email),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = body.to_string();
    assert!(
        text.len() < 1000,
        "the value is not echoed back: {} bytes",
        text.len()
    );
    assert!(error_message(&body).contains("at most"), "{body}");
    // A 40 KB option value (under the body limit) on the product form: a 422, not a 500.
    let mut configuration = visitor.default_configuration("bicycle").await;
    configuration.insert("frame".into(), "y".repeat(40_000));
    let (status, body) = visitor
        .add_to_cart_json("bicycle", &configuration, &[("quantity", "1")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().len() < 1000, "not echoed");
    // Without JavaScript, the error in the redirect is short too.
    let response = visitor.add_to_cart("bicycle", &configuration, 1).await;
    let back = location(&response).unwrap();
    assert!(back.len() < 2000, "{} bytes", back.len());
}

#[tokio::test]
async fn a_malformed_form_gets_our_words_not_the_deserializers() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let (status, body) = visitor.call_json("add_to_cart", &[("quantity", "1")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("missing field") && !text.contains("slug`"),
        "{text}"
    );
    assert!(
        error_message(&body).contains("Please reload the page"),
        "{body}"
    );
}

#[tokio::test]
async fn expired_sessions_abandoned_guest_carts_and_old_rate_limit_windows_are_deleted() {
    let shop = Shop::start().await;
    let keeper = shop.visitor();
    keeper.add_default("bike-lock", 1).await;
    let leaver = shop.visitor();
    leaver.add_default("desk-mat", 1).await;
    let month_ago = app::db::now_ms() - 31 * 24 * 3600 * 1000;
    // The leaver's session ran out long ago and their cart was last touched a month ago.
    sqlx::query(
        "update sessions set expires_at = $1
         where cart_id in (select cart_id from cart_lines where product_id = (select id from products where slug = 'desk-mat'))",
    )
    .bind(month_ago)
    .execute(shop.pool())
    .await
    .unwrap();
    sqlx::query(
        "update carts set updated_at = $1
         where id in (select cart_id from cart_lines where product_id = (select id from products where slug = 'desk-mat'))",
    )
    .bind(month_ago)
    .execute(shop.pool())
    .await
    .unwrap();
    sqlx::query(
        "insert into rate_limits (key, window_start, hits) values ('old', $1, 3), ('fresh', $2, 1)",
    )
    .bind(month_ago)
    .bind(app::db::now_ms())
    .execute(shop.pool())
    .await
    .unwrap();
    assert_eq!(rows(&shop, "sessions").await, 2);
    let deleted = server::jobs::clean(&shop.server.state).await.unwrap();
    assert!(deleted >= 4, "{deleted}");
    assert_eq!(rows(&shop, "sessions").await, 1);
    assert_eq!(rows(&shop, "carts").await, 1);
    assert_eq!(rows(&shop, "cart_lines").await, 1);
    let keys: Vec<String> = sqlx::query_scalar("select key from rate_limits")
        .fetch_all(shop.pool())
        .await
        .unwrap();
    assert_eq!(keys, ["fresh"]);
    assert_eq!(
        keeper.cart().await["lines"].as_array().unwrap().len(),
        1,
        "a live cart is kept"
    );
}

#[tokio::test]
async fn passwords_of_only_spaces_are_refused_and_the_message_states_the_limits() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    for password in ["            ", "short", &"x".repeat(300)] {
        let (status, body) = visitor
            .call_json(
                "register",
                &[
                    ("full_name", "Space Cadet"),
                    ("email", "space@example.com"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["Validation"]["fields"]["password"]
            .as_str()
            .unwrap_or_else(|| error_message(&body).leak());
        assert!(
            message.contains("10") && message.contains("256"),
            "{message}"
        );
    }
    assert_eq!(
        rows(&shop, "customers").await,
        1,
        "only the demo merchandiser"
    );
}

#[tokio::test]
async fn registration_is_rate_limited_per_client() {
    let shop = Shop::start().await;
    let client = shop.visitor_at("127.0.0.5");
    for i in 0..10 {
        let response = Visitor::build(
            &shop.url(""),
            &shop.url(""),
            Some("127.0.0.5".parse().unwrap()),
        )
        .register(
            "Many Accounts",
            &format!("many{i}@example.com"),
            "long enough password",
        )
        .await;
        assert_eq!(location(&response).as_deref(), Some("/account"), "{i}");
    }
    let (status, _) = client
        .call_json(
            "register",
            &[
                ("full_name", "One Too Many"),
                ("email", "toomany@example.com"),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = shop.visitor_at("127.0.0.6");
    let response = elsewhere
        .register("Someone Else", "else@example.com", "long enough password")
        .await;
    assert_eq!(location(&response).as_deref(), Some("/account"));
}

#[tokio::test]
async fn missing_products_and_orders_answer_404() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let (status, page) = visitor.page("/products/no-such-product").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(visible_text(&page).contains("Not found"));
    let (status, _) = visitor.page("/orders/ZZZZ-ZZZZ").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = visitor.page("/products/bicycle").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_order_number_typed_in_full_width_or_lower_case_is_found() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let number = buyer.checkout_by_invoice("wide@example.com").await;
    let full_width: String = number
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '-' => '－',
            c if c.is_ascii_alphanumeric() => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
            c => c,
        })
        .collect();
    let friend = shop.visitor();
    let response = friend
        .submit(
            "lookup_order",
            "/orders/lookup",
            &[("number", &full_width), ("email", "wide@example.com")],
        )
        .await;
    assert_eq!(location(&response), Some(format!("/orders/{number}")));
}

#[tokio::test]
async fn a_guest_who_registers_or_logs_in_keeps_the_orders_placed_as_a_guest() {
    let shop = Shop::start().await;
    // Registers after ordering as a guest.
    let guest = shop.visitor();
    guest.add_default("bike-lock", 1).await;
    let first = guest.checkout_by_invoice("kept@example.com").await;
    guest
        .register("Kept Buyer", "kept@example.com", "long enough password")
        .await;
    let (status, _) = guest.page(&format!("/orders/{first}")).await;
    assert_eq!(status, StatusCode::OK, "still theirs after registering");
    let (_, account) = guest.page("/account").await;
    assert!(
        visible_text(&account).contains(&first),
        "listed in the account"
    );
    // Logs in after ordering as a guest in another browser.
    let other_browser = shop.visitor();
    other_browser.add_default("desk-mat", 1).await;
    let second = other_browser.checkout_by_invoice("kept@example.com").await;
    other_browser
        .login("kept@example.com", "long enough password")
        .await;
    let (_, account) = other_browser.page("/account").await;
    let text = visible_text(&account);
    assert!(text.contains(&first) && text.contains(&second), "{text}");
    // A guest order with the same email from a third browser is not claimed by email alone.
    let stranger = shop.visitor();
    stranger.add_default("desk-mat", 1).await;
    let third = stranger.checkout_by_invoice("kept@example.com").await;
    let (_, account) = other_browser.page("/account").await;
    assert!(!visible_text(&account).contains(&third));
}

#[tokio::test]
async fn the_merchandiser_sees_a_guest_order_in_full_and_other_visitors_get_404() {
    let shop = Shop::start().await;
    let guest = shop.visitor();
    guest.add_default("bicycle", 1).await;
    let number = guest.checkout_by_invoice("guest@example.com").await;
    let merchandiser = shop.visitor();
    merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    let (status, page) = merchandiser.page(&format!("/admin/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    for expected in [
        number.as_str(),
        "guest@example.com",
        "guest",
        "Ada Lovelace",
        "12 Analytical Row, EC1A 1BB London, United Kingdom",
        "Invoice",
        "Made-to-order bicycle",
        "Frame:",
        "UTC",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    // A signed-in buyer and a guest with another cookie see neither page.
    let other_buyer = shop.visitor();
    other_buyer
        .register("Other Buyer", "other@example.com", "long enough password")
        .await;
    let (status, _) = other_buyer.page(&format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = other_buyer
        .call_json("admin_order", &[("number", &number)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let other_guest = shop.visitor();
    let (status, _) = other_guest.page(&format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_buyers_order_page_shows_date_items_address_payment_and_when_each_step_happened() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bicycle", 1).await;
    let number = buyer.checkout_by_invoice("steps@example.com").await;
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    let text = visible_text(&page);
    assert!(text.contains("Thank you — your order is placed"), "{text}");
    for expected in [
        "Placed",
        "UTC",
        "Frame:",
        "12 Analytical Row",
        "Invoice",
        "Made-to-order bicycle",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    let merchandiser = shop.visitor();
    merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    for (from, to) in [
        ("placed", "paid"),
        ("paid", "in_production"),
        ("in_production", "shipped"),
    ] {
        let (status, body) = merchandiser
            .call_json(
                "set_order_status",
                &[("number", &number), ("from", from), ("to", to)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    let text = visible_text(&page);
    assert!(
        text.contains("Your order is on its way"),
        "the heading follows: {text}"
    );
    assert_eq!(
        text.matches(" UTC").count(),
        5,
        "placed, and four step times: {text}"
    );
}
