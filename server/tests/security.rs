//! Security promises, each checked over real HTTP: headers and CSP, CSRF, roles enforced on the
//! server, rate limits kept in the database, sessions stored as hashes, errors without internals.

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn every_page_has_security_headers_and_a_csp_nonce_that_matches_its_scripts() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    for path in ["/", "/products/bicycle", "/cart", "/no-such-page"] {
        let response = visitor.get(path).await;
        let headers = response.headers().clone();
        let html = response.text().await.unwrap();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert!(headers.contains_key("x-request-id"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce");
        assert!(nonce.len() >= 16);
        // Every inline script carries this response's nonce.
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            if !tag.contains("src=") {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "{path}: inline script without the nonce: {tag}"
                );
            }
        }
    }
    let first = visitor.get("/").await.headers()["content-security-policy"].clone();
    let second = visitor.get("/").await.headers()["content-security-policy"].clone();
    assert_ne!(first, second, "a fresh nonce per response");
    let health = visitor.get("/healthz").await;
    assert!(
        health.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

#[tokio::test]
async fn unknown_pages_get_the_styled_404_and_health_checks_answer() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let (status, page) = visitor.page("/definitely/not/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(visible_text(&page).contains("Page not found"));
    assert!(
        page.contains("/pkg/atelier.css"),
        "the 404 page is the styled app page"
    );
    let (status, body) = visitor.page("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, body) = visitor.page("/readyz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone_but_liveness_holds() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    shop.pool().close().await;
    assert_eq!(visitor.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(
        visitor.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn cross_site_and_origin_less_posts_are_refused() {
    let shop = Shop::start().await;
    let plain = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let url = shop.url("/api/add_to_cart");
    let form = [("slug", "bike-lock"), ("quantity", "1")];
    let no_origin = plain.post(&url).form(&form).send().await.unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    let evil = plain
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let cross_site = plain
        .post(&url)
        .header("origin", shop.url(""))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_site = plain
        .post(&url)
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::OK);
    let count: i64 = sqlx::query_scalar("select count(*) from cart_lines")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(count, 1, "only the same-origin request added anything");
}

#[tokio::test]
async fn buyers_get_403_and_guests_401_from_every_merchandiser_function() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("desk-mat", 1).await;
    let number = buyer.checkout_by_invoice("buyer@example.com").await;
    let calls: [(&str, Vec<(&str, &str)>); 2] = [
        ("admin_orders", vec![]),
        (
            "set_order_status",
            vec![
                ("number", number.as_str()),
                ("from", "placed"),
                ("to", "paid"),
            ],
        ),
    ];
    let guest = shop.visitor();
    buyer
        .register("Bea Buyer", "bea@example.com", "long enough password")
        .await;
    for (function, fields) in &calls {
        let (status, _) = guest.call_json(function, fields).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{function} as guest");
        let (status, _) = buyer.call_json(function, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function} as buyer");
    }
    let status: String = sqlx::query_scalar("select status from orders where number = $1")
        .bind(&number)
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(status, "placed");
    let (status, page) = buyer.page("/admin/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(visible_text(&page).contains("Not allowed"));
}

#[tokio::test]
async fn internal_errors_show_a_reference_and_no_internal_detail() {
    let shop = Shop::start().await;
    sqlx::query("update products set rule_set = 'this is not json', rule_version = 99 where slug = 'keyboard'")
        .execute(shop.pool())
        .await
        .unwrap();
    let visitor = shop.visitor();
    let response = visitor.call("product", &[("slug", "keyboard")]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    let message = error_message(&body);
    assert!(
        message.contains(&format!("reference {request_id}")),
        "the reference is this request's id: {message}"
    );
    assert!(
        !body.to_string().contains("json") && !body.to_string().contains("expected"),
        "{body}"
    );
    let (_, page) = visitor.page("/products/keyboard").await;
    let text = visible_text(&page);
    assert!(
        text.contains("Something went wrong") && !text.contains("not json"),
        "{text}"
    );
}

async fn login_status(visitor: &Visitor, email: &str, password: &str) -> (StatusCode, String) {
    let (status, body) = visitor
        .call_json("login", &[("email", email), ("password", password)])
        .await;
    (status, error_message(&body))
}

#[tokio::test]
async fn wrong_passwords_limit_the_guessing_client_but_never_lock_out_the_owner() {
    let shop = Shop::start().await;
    shop.visitor_at("127.0.0.3")
        .register("Lin Owner", "lin@example.com", "the right password")
        .await;
    let attacker = shop.visitor_at("127.0.0.2");
    for _ in 0..5 {
        let (status, message) = login_status(&attacker, "lin@example.com", "wrong guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{message}");
        assert_eq!(message, "Email or password is incorrect.");
    }
    let (status, _) = login_status(&attacker, "lin@example.com", "the right password").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing client waits out its window, even with the right password"
    );
    // The owner, on their own machine, gets in at once.
    let owner = shop.visitor_at("127.0.0.4");
    let response = owner.login("lin@example.com", "the right password").await;
    assert_eq!(location(&response).as_deref(), Some("/account"));
    // Keys are hashes: no email is stored in the rate-limit table.
    let keys: Vec<String> = sqlx::query_scalar("select key from rate_limits")
        .fetch_all(shop.pool())
        .await
        .unwrap();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| !k.contains("lin@") && k.len() < 80),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_wrong_lookups_let_at_most_the_limit_through() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let number = buyer.checkout_by_invoice("owner@example.com").await;
    let snoop = shop.visitor_at("127.0.0.2");
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (snoop, start, number) = (snoop.clone(), start.clone(), number.clone());
        attempts.spawn(async move {
            start.wait().await;
            snoop
                .call_json(
                    "lookup_order",
                    &[
                        ("number", &number),
                        ("email", &format!("guess{i}@example.com")),
                    ],
                )
                .await
                .0
        });
    }
    let statuses = attempts.join_all().await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 50, "{statuses:?}");
    assert!(
        checked <= 5,
        "{checked} guesses were checked, the limit is 5"
    );
    assert!(checked >= 1);
}

#[tokio::test]
async fn lookup_with_wrong_email_reveals_nothing_and_is_rate_limited() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let number = buyer.checkout_by_invoice("owner@example.com").await;

    let snoop = shop.visitor();
    let (wrong_email_status, wrong_email) = snoop
        .call_json(
            "lookup_order",
            &[("number", &number), ("email", "x@example.com")],
        )
        .await;
    let (wrong_number_status, wrong_number) = snoop
        .call_json(
            "lookup_order",
            &[("number", "ZZZZ-ZZZZ"), ("email", "owner@example.com")],
        )
        .await;
    assert_eq!(wrong_email_status, wrong_number_status);
    assert_eq!(error_message(&wrong_email), error_message(&wrong_number));
    assert_eq!(
        error_message(&wrong_email),
        "We could not find an order with that number and email."
    );

    // The right pair, typed loosely, finds it and shows the timeline.
    let friend = shop.visitor();
    let loose = number.to_lowercase().replace('-', " ");
    let response = friend
        .submit(
            "lookup_order",
            "/orders/lookup",
            &[("number", &loose), ("email", "OWNER@example.com")],
        )
        .await;
    assert_eq!(location(&response), Some(format!("/orders/{number}")));
    let (_, page) = friend.page(&format!("/orders/{number}")).await;
    assert!(visible_text(&page).contains("Placed"));

    // Guesses at one order number limit the guessing client, not the owner.
    for _ in 0..5 {
        snoop
            .call_json(
                "lookup_order",
                &[("number", &number), ("email", "guess@example.com")],
            )
            .await;
    }
    let (status, _) = snoop
        .call_json(
            "lookup_order",
            &[("number", &number), ("email", "owner@example.com")],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let owner_elsewhere = shop.visitor_at("127.0.0.9");
    let response = owner_elsewhere
        .submit(
            "lookup_order",
            "/orders/lookup",
            &[("number", &number), ("email", "owner@example.com")],
        )
        .await;
    assert_eq!(location(&response), Some(format!("/orders/{number}")));
}

#[tokio::test]
async fn the_database_stores_only_a_hash_of_the_session_token() {
    let shop = Shop::start().await;
    let visitor = shop.visitor();
    let response = visitor
        .register("Hash Test", "hash@example.com", "long enough password")
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let hashes: Vec<String> = sqlx::query_scalar("select token_hash from sessions")
        .fetch_all(shop.pool())
        .await
        .unwrap();
    assert!(!hashes.contains(&token));
    assert!(hashes.contains(&app::session::hash_token(&token)));
    let hash: String =
        sqlx::query_scalar("select password_hash from customers where email = 'hash@example.com'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite_and_secure_over_https() {
    let shop = Shop::start().await;
    let response = shop
        .visitor()
        .register("Plain Http", "http@example.com", "long enough password")
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http cannot keep a Secure cookie"
    );

    let https =
        Shop::start_with(|config| config.site_url = Some("https://shop.example".into())).await;
    // A browser on https://shop.example, the TLS proxy in front of the app server.
    let response = Visitor::build(&https.url(""), "https://shop.example", None)
        .register("Over Https", "https@example.com", "long enough password")
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn one_client_guessing_many_order_numbers_is_rate_limited() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("bike-lock", 1).await;
    let number = buyer.checkout_by_invoice("owner@example.com").await;

    // Each guess is a different number, so only the per-client window can stop them.
    let guesser = shop.visitor();
    for guess in 0..10 {
        let (status, _) = guesser
            .call_json(
                "lookup_order",
                &[
                    ("number", &format!("GUES-S{guess:03}")),
                    ("email", "owner@example.com"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "guess {guess}");
    }
    let (status, _) = guesser
        .call_json(
            "lookup_order",
            &[("number", &number), ("email", "owner@example.com")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the client has used its window"
    );
    let hits: i64 =
        sqlx::query_scalar("select hits from rate_limits where key like 'lookup:client:%'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!(hits, 11, "every attempt is counted, the refused one too");
}
