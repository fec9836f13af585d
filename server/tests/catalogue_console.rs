//! The console's catalogue through its server functions and its upload endpoint, on the real
//! database: only merchandisers get in; categories and products are created, edited, reordered
//! and hidden, with every change in the audit log; a stale edit is refused with what changed
//! (409) and loses nothing; a hidden product is neither listed nor sold; and an upload is
//! judged by its content (a script in an SVG, HTML named .png and an oversized file are
//! refused), while the images it keeps are served so they cannot run; and a merchandiser's
//! changes are rate limited, reading is not.

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

async fn merchandiser(shop: &Shop) -> Visitor {
    let merchandiser = shop.visitor();
    merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    merchandiser
}

async fn buyer(shop: &Shop) -> Visitor {
    let buyer = shop.visitor();
    buyer
        .register("Bea Buyer", "bea@example.com", "a long enough password")
        .await;
    buyer
}

async fn catalogue(admin: &Visitor) -> Vec<Value> {
    let (status, body) = admin.call_json("admin_catalogue", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn category_id(shop: &Shop, slug: &str) -> String {
    sqlx::query_scalar("select id from categories where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

async fn revision(shop: &Shop, slug: &str) -> i64 {
    sqlx::query_scalar("select revision from products where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

async fn image_of(shop: &Shop, slug: &str) -> String {
    sqlx::query_scalar("select image from products where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

async fn audit_actions(admin: &Visitor) -> Vec<String> {
    let (status, body) = admin.call_json("admin_audit_log", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            format!(
                "{} {}: {}",
                row["entity"].as_str().unwrap(),
                row["entity_id"].as_str().unwrap(),
                row["action"].as_str().unwrap()
            )
        })
        .collect()
}

/// The slugs of the products the shop's home page lists, in order.
async fn listed(visitor: &Visitor) -> Vec<String> {
    let (status, body) = visitor.call_json("catalogue", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["products"].as_array().unwrap().clone())
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Saves the desk mat's fields as its edit form would, with `change` applied.
async fn save_desk_mat(
    admin: &Visitor,
    shop: &Shop,
    revision: i64,
    change: &[(&str, &str)],
) -> (StatusCode, Value) {
    let category = category_id(shop, "accessories").await;
    let revision = revision.to_string();
    let mut fields = vec![
        ("product", "desk-mat"),
        ("name", "Felt desk mat"),
        ("slug", "desk-mat"),
        ("category", category.as_str()),
        ("summary", "Wool felt, cut to size."),
        ("description", "A mat of pressed wool felt."),
        ("base_price", "39.00"),
        ("revision", revision.as_str()),
    ];
    for (key, value) in change {
        fields.iter_mut().find(|(k, _)| k == key).unwrap().1 = value;
    }
    admin.call_json("save_product", &fields).await
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

async fn upload(
    visitor: &Visitor,
    slug: &str,
    revision: i64,
    file_name: &str,
    declared: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().text("revision", revision.to_string()).part(
        "image",
        Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(declared)
            .unwrap(),
    );
    visitor
        .client
        .post(format!("{}/admin/catalogue/{slug}/image", visitor.base))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn every_catalogue_function_refuses_guests_and_buyers() {
    let shop = Shop::start().await;
    let guest = shop.visitor();
    let buyer = buyer(&shop).await;
    let accessories = category_id(&shop, "accessories").await;
    let calls: [(&str, Vec<(&str, &str)>); 10] = [
        ("admin_catalogue", vec![]),
        ("admin_product", vec![("slug", "desk-mat")]),
        ("create_category", vec![("name", "Lighting"), ("slug", "")]),
        (
            "save_category",
            vec![
                ("id", &accessories),
                ("name", "Extras"),
                ("slug", "extras"),
                ("revision", "1"),
            ],
        ),
        (
            "move_category",
            vec![("id", &accessories), ("direction", "up")],
        ),
        (
            "set_category_hidden",
            vec![("id", &accessories), ("hidden", "true"), ("revision", "1")],
        ),
        (
            "create_product",
            vec![
                ("name", "Lamp"),
                ("slug", ""),
                ("category", &accessories),
                ("kind", "simple"),
                ("base_price", "10"),
                ("stock", "5"),
                ("summary", "A lamp."),
            ],
        ),
        (
            "save_product",
            vec![
                ("product", "desk-mat"),
                ("name", "Mat"),
                ("slug", "desk-mat"),
                ("category", &accessories),
                ("summary", "x"),
                ("description", ""),
                ("base_price", "1"),
                ("revision", "1"),
            ],
        ),
        (
            "move_product",
            vec![("slug", "desk-mat"), ("direction", "up")],
        ),
        (
            "set_product_hidden",
            vec![("slug", "desk-mat"), ("hidden", "true"), ("revision", "1")],
        ),
    ];
    for (function, fields) in &calls {
        let (status, body) = guest.call_json(function, fields).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guest {function}: {body}");
        let (status, body) = buyer.call_json(function, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "buyer {function}: {body}");
    }
    let before = image_of(&shop, "desk-mat").await;
    let response = upload(&guest, "desk-mat", 1, "a.png", "image/png", PNG.to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = upload(&buyer, "desk-mat", 1, "a.png", "image/png", PNG.to_vec()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The console's pages say so to a person too, without showing anything.
    let (status, html) = buyer.page("/admin/catalogue").await;
    assert!(
        visible_text(&html).contains("You do not have permission"),
        "{status}"
    );
    // Nothing they sent was kept.
    let (categories, products, images, audit): (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from categories), (select count(*) from products),
                (select count(*) from images), (select count(*) from audit_log)",
    )
    .fetch_one(shop.pool())
    .await
    .unwrap();
    assert_eq!((categories, products, images, audit), (4, 10, 0, 0));
    assert_eq!(image_of(&shop, "desk-mat").await, before);
    assert_eq!(revision(&shop, "desk-mat").await, 1);
}

#[tokio::test]
async fn products_are_created_hidden_shown_edited_and_reordered() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let guest = shop.visitor();

    // A category, its slug made from its name; a second one with the same address is refused.
    let (status, body) = admin
        .call_json(
            "create_category",
            &[("name", "Desk lighting"), ("slug", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = admin
        .call_json(
            "create_category",
            &[("name", "Lamps"), ("slug", "desk-lighting")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_message(&body).contains("already used"), "{body}");
    let lighting = category_id(&shop, "desk-lighting").await;

    // Bad fields are named one by one, and what was typed comes back.
    let (status, body) = admin
        .call_json(
            "create_product",
            &[
                ("name", ""),
                ("slug", "Not A Slug"),
                ("category", &lighting),
                ("kind", "simple"),
                ("base_price", "12,5.0.1"),
                ("stock", "-3"),
                ("summary", "A lamp."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["Validation"]["fields"];
    for field in ["name", "slug", "base_price", "stock"] {
        assert!(fields[field].is_string(), "{field} in {body}");
    }
    assert_eq!(body["Validation"]["values"]["summary"], "A lamp.");

    let (status, body) = admin
        .call_json(
            "create_product",
            &[
                ("name", "Walnut desk lamp"),
                ("slug", ""),
                ("category", &lighting),
                ("kind", "configurable"),
                ("base_price", "€149.50"),
                ("stock", ""),
                ("summary", "Turned walnut, brass joints."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (base_price, stock, hidden): (i64, Option<i64>, i64) = sqlx::query_as(
        "select base_price, stock, hidden from products where slug = 'walnut-desk-lamp'",
    )
    .fetch_one(shop.pool())
    .await
    .unwrap();
    assert_eq!((base_price, stock, hidden), (14950, None, 1));

    // Hidden: not listed, no page for buyers, not sold; the merchandiser sees a preview.
    assert!(
        !listed(&guest)
            .await
            .contains(&"walnut-desk-lamp".to_owned())
    );
    let (status, _) = guest.page("/products/walnut-desk-lamp").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = admin.page("/products/walnut-desk-lamp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(visible_text(&html).contains("Hidden from buyers"));
    let (status, body) = guest
        .add_to_cart_json(
            "walnut-desk-lamp",
            &Default::default(),
            &[("quantity", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error_message(&body).contains("no longer sold"), "{body}");

    // Shown: listed and sold. A stale show/hide is refused.
    let (status, body) = admin
        .call_json(
            "set_product_hidden",
            &[
                ("slug", "walnut-desk-lamp"),
                ("hidden", "false"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = admin
        .call_json(
            "set_product_hidden",
            &[
                ("slug", "walnut-desk-lamp"),
                ("hidden", "true"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        listed(&guest)
            .await
            .contains(&"walnut-desk-lamp".to_owned())
    );
    let (status, _) = guest.page("/products/walnut-desk-lamp").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = guest
        .add_to_cart_json(
            "walnut-desk-lamp",
            &Default::default(),
            &[("quantity", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Reordering within a category swaps neighbours; the first cannot go further up.
    let order = |categories: &[Value], slug: &str| -> Vec<String> {
        categories.iter().find(|c| c["slug"] == slug).unwrap()["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = order(&catalogue(&admin).await, "accessories");
    let (status, body) = admin
        .call_json("move_product", &[("slug", &before[1]), ("direction", "up")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = order(&catalogue(&admin).await, "accessories");
    assert_eq!((&after[0], &after[1]), (&before[1], &before[0]));
    assert_eq!(after[2..], before[2..]);
    admin
        .call_json("move_product", &[("slug", &after[0]), ("direction", "up")])
        .await;
    assert_eq!(order(&catalogue(&admin).await, "accessories"), after);
    let home = listed(&guest).await;
    let first = home.iter().position(|s| *s == after[0]).unwrap();
    let second = home.iter().position(|s| *s == after[1]).unwrap();
    assert!(
        first < second,
        "the shop follows the console's order: {home:?}"
    );

    // Categories move and hide too: hiding one takes its products off sale.
    let ids: Vec<String> = catalogue(&admin)
        .await
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let last = ids.last().unwrap().clone();
    admin
        .call_json("move_category", &[("id", &last), ("direction", "up")])
        .await;
    let moved: Vec<String> = catalogue(&admin)
        .await
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(moved[moved.len() - 2], last);
    let category_revision: i64 =
        sqlx::query_scalar("select revision from categories where slug = 'desk-lighting'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    let revision_text = category_revision.to_string();
    let (status, body) = admin
        .call_json(
            "set_category_hidden",
            &[
                ("id", &lighting),
                ("hidden", "true"),
                ("revision", &revision_text),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !listed(&guest)
            .await
            .contains(&"walnut-desk-lamp".to_owned())
    );
    let cart = guest.cart().await;
    assert!(
        cart["lines"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("no longer sold"),
        "{cart}"
    );
    let (status, body) = admin
        .call_json(
            "save_category",
            &[
                ("id", &lighting),
                ("name", "Lighting"),
                ("slug", "lighting"),
                ("revision", &revision_text),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error_message(&body).contains("Desk lighting"), "{body}");

    let log = audit_actions(&admin).await;
    for wanted in [
        "category desk-lighting: created",
        "product walnut-desk-lamp: created (hidden)",
        "product walnut-desk-lamp: shown",
        "category desk-lighting: hidden",
    ] {
        assert!(
            log.iter().any(|entry| entry == wanted),
            "{wanted} in {log:?}"
        );
    }
    assert!(
        log.iter().any(|entry| entry.ends_with(": moved up")),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_stale_product_edit_is_refused_with_what_changed() {
    let shop = Shop::start().await;
    let first = merchandiser(&shop).await;
    let second = merchandiser(&shop).await;
    let (status, edit) = first
        .call_json("admin_product", &[("slug", "desk-mat")])
        .await;
    assert_eq!(status, StatusCode::OK, "{edit}");
    let seen = edit["revision"].as_i64().unwrap();

    // Both opened revision `seen`; the first saves a new name and price.
    let (status, body) = save_desk_mat(&first, &shop, seen, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = save_desk_mat(
        &second,
        &shop,
        seen,
        &[("name", "Leather desk mat"), ("base_price", "45")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = error_message(&body);
    assert!(message.contains("the name is “Felt desk mat”"), "{message}");
    assert!(message.contains("the base price is “€39.00”"), "{message}");
    let (name, price): (String, i64) =
        sqlx::query_as("select name, base_price from products where slug = 'desk-mat'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), price), ("Felt desk mat", 3900));

    // A bad price is refused beside its field; a changed address moves the page.
    let now = revision(&shop, "desk-mat").await;
    let (status, body) = save_desk_mat(&second, &shop, now, &[("base_price", "forty")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["Validation"]["fields"]["base_price"].is_string(),
        "{body}"
    );
    let (status, body) = save_desk_mat(&second, &shop, now, &[("slug", "bike-lock")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_message(&body).contains("already used"), "{body}");
    let response = second
        .submit(
            "save_product",
            "/admin/catalogue/desk-mat",
            &[
                ("product", "desk-mat"),
                ("name", "Felt desk mat"),
                ("slug", "felt-desk-mat"),
                ("category", &category_id(&shop, "accessories").await),
                ("summary", "Wool felt, cut to size."),
                ("description", "A mat of pressed wool felt."),
                ("base_price", "39.00"),
                ("revision", &now.to_string()),
            ],
        )
        .await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/catalogue/felt-desk-mat")
    );
    let (status, html) = second.page("/admin/catalogue/felt-desk-mat").await;
    assert_eq!(status, StatusCode::OK);
    assert!(visible_text(&html).contains("Felt desk mat"));

    let (status, body) = first.call_json("admin_audit_log", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let edits: Vec<&Value> = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["action"] == "edited")
        .collect();
    assert_eq!(edits.len(), 2, "{body}");
    // Before and after are both kept. The log is newest first: the rename, then the first edit.
    let before: Value = serde_json::from_str(edits[1]["before"].as_str().unwrap()).unwrap();
    let after: Value = serde_json::from_str(edits[1]["after"].as_str().unwrap()).unwrap();
    assert_eq!(before["name"], edit["name"]);
    assert_eq!(after["name"], "Felt desk mat");
    let renamed: Value = serde_json::from_str(edits[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(renamed["slug"], "felt-desk-mat");
}

#[tokio::test]
async fn uploads_are_judged_by_their_content_and_served_so_they_cannot_run() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let before = image_of(&shop, "desk-mat").await;

    let refused = |response: &reqwest::Response| {
        location(response).and_then(|l| {
            l.split_once("image_error=")
                .map(|(_, code)| code.to_owned())
        })
    };
    let script =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/api/cart')</script></svg>"#;
    let response = upload(
        &admin,
        "desk-mat",
        1,
        "mat.svg",
        "image/svg+xml",
        script.to_vec(),
    )
    .await;
    assert_eq!(refused(&response).as_deref(), Some("unsafe-svg"));
    let handler = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" onmouseover="alert(1)"/></svg>"#;
    let response = upload(
        &admin,
        "desk-mat",
        1,
        "mat.svg",
        "image/svg+xml",
        handler.to_vec(),
    )
    .await;
    assert_eq!(refused(&response).as_deref(), Some("unsafe-svg"));
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>";
    let response = upload(&admin, "desk-mat", 1, "mat.png", "image/png", html.to_vec()).await;
    assert_eq!(refused(&response).as_deref(), Some("not-an-image"));
    let mut big = PNG.to_vec();
    big.resize(app::admin::images::MAX_IMAGE_BYTES + 1, 0);
    let response = upload(&admin, "desk-mat", 1, "big.png", "image/png", big).await;
    assert_eq!(refused(&response).as_deref(), Some("too-big"));
    let huge = vec![0u8; app::admin::images::ssr::UPLOAD_BODY_LIMIT + 1];
    let response = upload(&admin, "desk-mat", 1, "huge.png", "image/png", huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("image is larger"));
    let response = upload(&admin, "desk-mat", 1, "mat.png", "image/png", Vec::new()).await;
    assert_eq!(refused(&response).as_deref(), Some("empty"));
    // A page elsewhere cannot make a merchandiser's browser upload.
    let cross_site = Visitor::build(&shop.url(""), "https://evil.example", None);
    let response = upload(
        &cross_site,
        "desk-mat",
        1,
        "a.png",
        "image/png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Nothing refused was kept, and the page says why in the merchandiser's words.
    let (images,): (i64,) = sqlx::query_as("select count(*) from images")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(images, 0);
    assert_eq!(image_of(&shop, "desk-mat").await, before);
    let (_, page) = admin
        .page("/admin/catalogue/desk-mat?image_error=unsafe-svg")
        .await;
    assert!(visible_text(&page).contains("That SVG contains scripts"));
    let (_, page) = admin
        .page("/admin/catalogue/desk-mat?image_error=%3Cb%3Ehello")
        .await;
    assert!(!page.contains("<b>hello"));

    // A PNG is kept, with the type its content has, whatever the browser said.
    let response = upload(&admin, "desk-mat", 1, "mat.txt", "text/html", PNG.to_vec()).await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/catalogue/desk-mat?image=uploaded")
    );
    let url = image_of(&shop, "desk-mat").await;
    assert!(
        url.starts_with("/images/u/") && url.ends_with(".png"),
        "{url}"
    );
    let served = shop.visitor().get(&url).await;
    assert_eq!(served.status(), StatusCode::OK);
    let header = |name: &str| {
        served
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert!(header("cache-control").contains("immutable"));
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    // The shop shows it.
    let (_, home) = shop.visitor().page("/").await;
    assert!(home.contains(&url));

    // The upload form's revision is now stale.
    let response = upload(&admin, "desk-mat", 1, "mat.png", "image/png", PNG.to_vec()).await;
    assert_eq!(refused(&response).as_deref(), Some("stale"));

    // A plain SVG is kept and served as an SVG under the same sandbox.
    let drawing = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#1f5b60"/></svg>"##;
    let now = revision(&shop, "desk-mat").await;
    let response = upload(
        &admin,
        "desk-mat",
        now,
        "mat.svg",
        "image/svg+xml",
        drawing.to_vec(),
    )
    .await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/catalogue/desk-mat?image=uploaded")
    );
    let url = image_of(&shop, "desk-mat").await;
    let served = shop.visitor().get(&url).await;
    assert_eq!(
        served.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    // Another extension or a made-up id finds nothing.
    let wrong = url.replace(".svg", ".png");
    assert_eq!(
        shop.visitor().get(&wrong).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        shop.visitor()
            .get("/images/u/00000000000000000000000000000000.png")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let log = audit_actions(&admin).await;
    assert_eq!(
        log.iter()
            .filter(|entry| *entry == "product desk-mat: image uploaded")
            .count(),
        2,
        "{log:?}"
    );
}

#[tokio::test]
async fn console_changes_are_rate_limited_per_merchandiser_and_reading_is_not() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let lighting = catalogue(&admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let limit = app::rate_limit::CONSOLE_CHANGES_PER_MERCHANDISER.max_hits;
    for i in 0..limit {
        let direction = if i % 2 == 0 { "up" } else { "down" };
        let (status, body) = admin
            .call_json(
                "move_category",
                &[("id", &lighting), ("direction", direction)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "change {i}: {body}");
    }
    // One more within the minute is refused, and says so in words.
    let (status, body) = admin
        .call_json("move_category", &[("id", &lighting), ("direction", "up")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(error_message(&body).contains("Too many"), "{body}");
    // Uploads count as changes too.
    let png = b"\x89PNG\r\n\x1a\n".to_vec();
    let response = upload(&admin, "desk-mat", 1, "mat.png", "image/png", png).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Reading the console is not counted, and nothing was lost by the refusals.
    assert!(!catalogue(&admin).await.is_empty());
    let (status, _) = admin.call_json("admin_attention", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // Once the window has passed, changes go through again.
    sqlx::query(
        "update rate_limits set window_start = window_start - $1 where key like 'console:change:%'",
    )
    .bind(app::rate_limit::CONSOLE_CHANGES_PER_MERCHANDISER.window_ms)
    .execute(shop.pool())
    .await
    .unwrap();
    let (status, body) = admin
        .call_json("move_category", &[("id", &lighting), ("direction", "up")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
