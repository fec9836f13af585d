//! The buying path over HTTP, as a browser without JavaScript drives it (form posts answered with
//! redirects) and as the hydrated page drives it (server-function calls answered with JSON).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use reqwest::StatusCode;

fn rule_message(slug: &str, rule_id: &str) -> String {
    let catalogue = server::demo::catalogue().unwrap();
    let product = catalogue
        .categories
        .iter()
        .flat_map(|c| &c.products)
        .find(|p| p.slug == slug)
        .unwrap();
    let rule = serde_json::to_value(&product.rules).unwrap()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rule_id)
        .cloned()
        .unwrap();
    rule["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_guest_orders_a_configured_bicycle_by_invoice_and_gets_a_readable_order_number() {
    let shop = Shop::start().await;
    let guest = shop.visitor();

    let (status, home) = guest.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(visible_text(&home).contains("Made-to-order bicycle"));

    let (status, page) = guest.page("/products/bicycle").await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    for group in ["Frame", "Size", "Drivetrain", "Brakes", "Wheels", "Colour"] {
        assert!(
            page.contains(&format!(">{group}</label>")),
            "a control labelled {group}"
        );
    }
    assert!(text.contains("Add to cart"));

    let mut configuration = guest.default_configuration("bicycle").await;
    configuration.insert("frame".into(), "titanium".into());
    let quoted = guest.product("bicycle", &[("frame", "titanium")]).await;
    let configuration_priced: BTreeMap<String, String> =
        serde_json::from_value(quoted["configuration"].clone()).unwrap();
    let response = guest.add_to_cart("bicycle", &configuration_priced, 1).await;
    assert_eq!(location(&response).as_deref(), Some("/cart"));

    let (_, cart_page) = guest.page("/cart").await;
    let cart_text = visible_text(&cart_page);
    assert!(cart_text.contains("Made-to-order bicycle"));
    assert!(cart_text.contains("Frame: Titanium"), "{cart_text}");
    assert!(cart_text.contains("Checkout"));

    let number = guest.checkout_by_invoice("ada@example.com").await;
    assert!(order_number_format(&number), "{number}");
    let (status, confirmation) = guest.page(&format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&confirmation);
    assert!(text.contains(&format!("Order number: {number}")), "{text}");
    assert!(text.contains("Placed"));
    let total: i64 = sqlx::query_scalar("select total from orders where number = $1")
        .bind(&number)
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(
        total,
        quoted["price"].as_i64().unwrap(),
        "the order costs what the product page quoted"
    );
}

#[tokio::test]
async fn a_tampered_price_in_the_form_changes_nothing() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let quoted = buyer.product("bicycle", &[]).await;
    let configuration: BTreeMap<String, String> =
        serde_json::from_value(quoted["configuration"].clone()).unwrap();
    let fields = product_form(
        "bicycle",
        &configuration,
        &[
            ("quantity", "2"),
            ("price", "1"),
            ("unit_price", "1"),
            ("total", "1"),
        ],
    );
    let response = buyer
        .submit("add_to_cart", "/products/bicycle", &pairs(&fields))
        .await;
    assert_eq!(location(&response).as_deref(), Some("/cart"));
    let number = buyer.checkout_by_invoice("tamper@example.com").await;
    let (total, line_price): (i64, i64) = sqlx::query_as(
        "select o.total, l.unit_price from orders o join order_lines l on l.order_id = o.id where o.number = $1",
    )
    .bind(&number)
    .fetch_one(shop.pool())
    .await
    .unwrap();
    let price = quoted["price"].as_i64().unwrap();
    assert_eq!(line_price, price);
    assert_eq!(total, 2 * price);
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_with_the_reason() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let mut configuration = buyer.default_configuration("bicycle").await;
    configuration.insert("frame".into(), "carbon".into());
    configuration.insert("brakes".into(), "rim".into());
    configuration.insert("rack".into(), "none".into());
    let (status, body) = buyer.add_to_cart_json("bicycle", &configuration, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains(&rule_message("bicycle", "carbon-needs-hydraulic")),
        "{message}"
    );
    assert!(
        buyer.cart().await["lines"].as_array().unwrap().is_empty(),
        "nothing was added"
    );

    // Without JavaScript the same refusal comes back to the product page, in the URL.
    let response = buyer.add_to_cart("bicycle", &configuration, 1).await;
    let back = location(&response).unwrap();
    assert!(
        back.contains("/products/bicycle") && back.contains("__err="),
        "{back}"
    );
}

#[tokio::test]
async fn unknown_options_missing_groups_and_bad_quantities_are_field_errors() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let mut configuration = buyer.default_configuration("bicycle").await;
    configuration.insert("frame".into(), "unobtainium".into());
    let (status, body) = buyer.add_to_cart_json("bicycle", &configuration, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["Validation"]["fields"]["configuration[frame]"].is_string(),
        "{body}"
    );

    let mut missing = buyer.default_configuration("bicycle").await;
    missing.remove("brakes");
    let (status, body) = buyer.add_to_cart_json("bicycle", &missing, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["Validation"]["fields"]["configuration[brakes]"].is_string(),
        "{body}"
    );

    for quantity in ["0", "-3", "many", "21"] {
        let configuration = buyer.default_configuration("bike-lock").await;
        let (status, body) = buyer
            .add_to_cart_json("bike-lock", &configuration, &[("quantity", quantity)])
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity}: {body}"
        );
        assert!(
            body["Validation"]["fields"]["quantity"].is_string(),
            "{body}"
        );
    }
    let (status, body) = buyer
        .call_json("add_to_cart", &[("slug", "no-such-product")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn quantity_changes_and_removal_apply_only_to_the_visitors_own_cart() {
    let shop = Shop::start().await;
    let alice = shop.visitor();
    let mallory = shop.visitor();
    alice.add_default("bike-lock", 1).await;
    alice.add_default("desk-mat", 2).await;
    mallory.add_default("bike-lock", 1).await;
    let cart = alice.cart().await;
    let lines = cart["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let lock_line = lines.iter().find(|l| l["slug"] == "bike-lock").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mat_line = lines.iter().find(|l| l["slug"] == "desk-mat").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, _) = mallory
        .call_json(
            "update_quantity",
            &[("line", &lock_line), ("quantity", "9")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    mallory
        .call_json("remove_line", &[("line", &mat_line)])
        .await;
    let cart = alice.cart().await;
    assert_eq!(
        cart["lines"].as_array().unwrap().len(),
        2,
        "another visitor cannot touch this cart"
    );

    let response = alice
        .submit(
            "update_quantity",
            "/cart",
            &[("line", &lock_line), ("quantity", "3")],
        )
        .await;
    assert_eq!(
        next_page(&response),
        Some(format!("{}/cart", alice.base)),
        "back to the cart"
    );
    let (status, body) = alice
        .call_json(
            "update_quantity",
            &[("line", &lock_line), ("quantity", "0")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    alice.call_json("remove_line", &[("line", &mat_line)]).await;
    let cart = alice.cart().await;
    let lines = cart["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["quantity"], 3);
    assert_eq!(
        cart["total"].as_i64().unwrap(),
        3 * lines[0]["unit_price"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn checkout_reports_each_bad_field_and_keeps_what_was_typed() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let (status, body) = buyer
        .call_json(
            "place_order",
            &[
                ("email", "not-an-email"),
                ("full_name", "Ada Lovelace"),
                ("address", ""),
                ("city", "London"),
                ("postal_code", "!!"),
                ("country", "Atlantis"),
                ("payment", "invoice"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["Validation"]["fields"];
    for bad in ["email", "address", "postal_code", "country"] {
        assert!(fields[bad].is_string(), "{bad} has a message: {body}");
    }
    for good in ["full_name", "city"] {
        assert!(fields[good].is_null(), "{good} is fine: {body}");
    }
    assert_eq!(body["Validation"]["values"]["full_name"], "Ada Lovelace");
    let count = shop.order_count().await;
    assert_eq!(count, 0);
    assert_eq!(
        buyer.cart().await["lines"].as_array().unwrap().len(),
        1,
        "the cart is kept"
    );
}

#[tokio::test]
async fn an_empty_cart_cannot_be_checked_out() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let response = buyer.checkout("empty@example.com", "invoice").await;
    let back = location(&response).unwrap();
    assert!(back.contains("__err="), "refused back to the form: {back}");
    let count = shop.order_count().await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn card_payment_is_offered_only_when_stripe_is_configured() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let (_, page) = buyer.page("/checkout").await;
    assert!(page.contains(">Invoice</label>"));
    assert!(!page.contains(">Card</label>"));
    let (status, body) = buyer
        .call_json(
            "place_order",
            &[
                ("email", "a@example.com"),
                ("full_name", "A B"),
                ("address", "1 Road"),
                ("city", "Town"),
                ("postal_code", "12345"),
                ("country", "DE"),
                ("payment", "card"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["Validation"]["fields"]["payment"].is_string());

    let stripe = fake_stripe::FakeStripe::start(fake_stripe::Config::default())
        .await
        .unwrap();
    let with_card = Shop::start_with(|config| config.stripe = Some(stripe_settings(&stripe))).await;
    let buyer = with_card.visitor();
    buyer.add_default("bike-lock", 1).await;
    let (_, page) = buyer.page("/checkout").await;
    assert!(page.contains(">Invoice</label>") && page.contains(">Card</label>"));
}

#[tokio::test]
async fn order_numbers_and_ids_are_random_not_sequential() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let mut numbers = Vec::new();
    for _ in 0..12 {
        buyer.add_default("keycap-puller", 1).await;
        let number = buyer.checkout_by_invoice("n@example.com").await;
        assert!(order_number_format(&number), "{number}");
        numbers.push(number);
    }
    assert_eq!(
        numbers.iter().collect::<BTreeSet<_>>().len(),
        12,
        "{numbers:?}"
    );
    // A counter, even one encoded to look random, changes its last symbols and keeps the
    // first; twelve random numbers vary at every position (chance of failing: about 1e-8).
    for position in [0, 1, 2, 3, 5, 6, 7, 8] {
        let symbols: BTreeSet<u8> = numbers.iter().map(|n| n.as_bytes()[position]).collect();
        assert!(
            symbols.len() >= 4,
            "position {position} barely varies: {numbers:?}"
        );
    }
    let ids: Vec<String> = sqlx::query_scalar("select id from orders")
        .fetch_all(shop.pool())
        .await
        .unwrap();
    for position in 0..32 {
        let nibbles: BTreeSet<u8> = ids.iter().map(|id| id.as_bytes()[position]).collect();
        assert!(
            nibbles.len() >= 3,
            "ids are sequential at {position}: {ids:?}"
        );
    }
}

#[tokio::test]
async fn placing_an_order_reserves_stock_of_every_option() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let configuration = buyer.add_default("bicycle", 2).await;
    let stock_of = |group: String, option: String| {
        let pool = shop.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select s.quantity from option_stock s join products p on p.id = s.product_id
                 where p.slug = 'bicycle' and s.group_id = $1 and s.option_id = $2",
            )
            .bind(group)
            .bind(option)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let mut before = BTreeMap::new();
    for (group, option) in configuration.iter().filter(|(_, o)| *o != "none") {
        before.insert(group.clone(), stock_of(group.clone(), option.clone()).await);
    }
    let lock_before: i64 =
        sqlx::query_scalar("select stock from products where slug = 'bike-lock'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    buyer.add_default("bike-lock", 3).await;
    buyer.checkout_by_invoice("stock@example.com").await;
    for (group, option) in configuration.iter().filter(|(_, o)| *o != "none") {
        assert_eq!(
            stock_of(group.clone(), option.clone()).await,
            before[group] - 2,
            "{group}={option}"
        );
    }
    let lock_after: i64 = sqlx::query_scalar("select stock from products where slug = 'bike-lock'")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(lock_after, lock_before - 3);
}

#[tokio::test]
async fn an_option_that_sold_out_after_it_was_added_stops_checkout_with_a_message() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let configuration = buyer.add_default("bicycle", 1).await;
    sqlx::query(
        "update option_stock set quantity = 0 where group_id = 'frame' and option_id = $1
         and product_id = (select id from products where slug = 'bicycle')",
    )
    .bind(&configuration["frame"])
    .execute(shop.pool())
    .await
    .unwrap();
    let (_, cart) = buyer.page("/cart").await;
    assert!(
        visible_text(&cart).to_lowercase().contains("out of stock"),
        "the cart says why"
    );
    let response = buyer.checkout("late@example.com", "invoice").await;
    assert!(location(&response).unwrap().contains("__err="));
    let count = shop.order_count().await;
    assert_eq!(count, 0);
    assert_eq!(
        buyer.cart().await["lines"].as_array().unwrap().len(),
        1,
        "the cart is unchanged"
    );
}

#[tokio::test]
async fn the_confirmation_page_is_only_shown_to_the_buyer() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("desk-mat", 1).await;
    let number = buyer.checkout_by_invoice("private@example.com").await;
    let stranger = shop.visitor();
    let (status, page) = stranger.page(&format!("/orders/{number}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's order is not found, like one that does not exist"
    );
    let text = visible_text(&page);
    assert!(
        !text.contains("private@example.com") && !text.contains(&format!("Order number: {number}"))
    );
    let (status, _) = stranger.call_json("order", &[("number", &number)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_guest_cart_moves_into_the_account_at_login_and_a_registered_buyer_sees_their_orders() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let response = buyer
        .register("Grace Hopper", "grace@example.com", "correct horse battery")
        .await;
    assert_eq!(location(&response).as_deref(), Some("/account"));
    buyer.add_default("monitor-arm", 1).await;
    let number = buyer.checkout_by_invoice("grace@example.com").await;
    let (_, account) = buyer.page("/account").await;
    let text = visible_text(&account);
    assert!(text.contains("Hello, Grace"), "{text}");
    assert!(text.contains(&number) && text.contains("Reorder"));
    buyer.submit("logout", "/account", &[]).await;
    let (status, _) = buyer.call_json("account", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // As a guest on another device, fill a cart, then log in: the cart comes along.
    let device = shop.visitor();
    device.add_default("usb-c-cable", 2).await;
    let response = device
        .login("grace@example.com", "correct horse battery")
        .await;
    assert_eq!(location(&response).as_deref(), Some("/account"));
    let cart = device.cart().await;
    assert_eq!(cart["lines"][0]["slug"], "usb-c-cable");
    assert_eq!(cart["lines"][0]["quantity"], 2);

    let (status, body) = shop
        .visitor()
        .call_json(
            "register",
            &[
                ("full_name", "G"),
                ("email", "GRACE@example.com"),
                ("password", "another password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["Validation"]["fields"]["email"]
            .as_str()
            .unwrap()
            .contains("already registered")
    );
}

#[tokio::test]
async fn reorder_refills_the_cart_rechecked_against_todays_stock() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer
        .register("Ada Lovelace", "ada@example.com", "analytical engine")
        .await;
    buyer.add_default("keyboard", 1).await;
    buyer.add_default("keycap-puller", 2).await;
    let number = buyer.checkout_by_invoice("ada@example.com").await;
    assert!(buyer.cart().await["lines"].as_array().unwrap().is_empty());

    sqlx::query("update products set stock = 0 where slug = 'keycap-puller'")
        .execute(shop.pool())
        .await
        .unwrap();
    let response = buyer
        .submit("reorder", "/account", &[("number", &number)])
        .await;
    assert_eq!(location(&response).as_deref(), Some("/cart"));
    let cart = buyer.cart().await;
    let lines = cart["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "the sold-out puller is not put back");
    assert_eq!(lines[0]["slug"], "keyboard");
    // The cart says which line was left out, and why.
    let (_, page) = buyer.page("/cart").await;
    let text = visible_text(&page);
    assert!(
        text.contains(&format!(
            "1 of the 2 items of order {number} could not be added again"
        )) && text.contains("Keycap and switch puller")
            && text.contains("sold out"),
        "{text}"
    );

    let stranger = shop.visitor();
    let (status, _) = stranger.call_json("reorder", &[("number", &number)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_javascript_forms_answer_with_the_next_page() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    // "Update price" submits the product form as GET to the product page itself.
    let (status, page) = buyer
        .page("/products/bicycle?configuration%5Bframe%5D=titanium")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<option value="titanium" selected"#),
        "titanium is selected"
    );
    let configuration = buyer.default_configuration("bicycle").await;
    let response = buyer.add_to_cart("bicycle", &configuration, 1).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response).as_deref(), Some("/cart"));
    let response = buyer.checkout("nojs@example.com", "invoice").await;
    let next = location(&response).unwrap();
    assert!(next.starts_with("/orders/"), "{next}");
    let (_, page) = buyer.page(&next).await;
    assert!(visible_text(&page).contains("Order number:"));
}

#[tokio::test]
async fn the_product_page_explains_unavailable_options_and_links_to_the_fix() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let view = buyer.product("bicycle", &[("brakes", "rim")]).await;
    let frame = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "frame")
        .unwrap();
    let carbon = frame["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "carbon")
        .unwrap();
    assert_eq!(carbon["available"], false);
    assert!(carbon["reason"].as_str().unwrap().len() > 5);
    let fix: BTreeMap<String, String> =
        serde_json::from_value(carbon["fix"]["choices"].clone()).unwrap();
    assert_eq!(fix.get("frame").map(String::as_str), Some("carbon"));
    assert_ne!(
        fix.get("brakes").map(String::as_str),
        Some("rim"),
        "the fix changes the brakes"
    );
    // Following the fix makes carbon available.
    let choices: Vec<(&str, &str)> = fix.iter().map(|(g, o)| (g.as_str(), o.as_str())).collect();
    let fixed = buyer.product("bicycle", &choices).await;
    assert_eq!(fixed["configuration"]["frame"], "carbon");
    let (_, page) = buyer
        .page("/products/bicycle?configuration%5Bbrakes%5D=rim")
        .await;
    let text = visible_text(&page);
    assert!(
        text.contains("Not available: Carbon") && text.contains("Make available"),
        "{text}"
    );
}

#[tokio::test]
async fn a_server_rendered_product_page_never_shows_a_price_update_in_flight() {
    // The page hydrates only if the browser's first render matches the server's: a busy state
    // rendered by the server (it was once, now and then) broke hydration.
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    for _ in 0..20 {
        let (status, page) = buyer.page("/products/bicycle").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("Updating price") && !page.contains("price-total pending"));
    }
}
