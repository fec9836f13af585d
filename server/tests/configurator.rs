//! The configurator in the browser, seen from the server: the rules a product page loads come
//! from a URL that names their version (cached for good, gone when the rules change), and an
//! add to cart from a page whose engine used older rules or showed another price is refused
//! with what changed, on SQLite and on PostgreSQL.

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::header::CACHE_CONTROL;

#[tokio::test]
async fn a_product_page_loads_its_rules_from_a_url_that_names_their_version() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let view = buyer.product("bicycle", &[]).await;
    let url = view["facts"]["rules_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/rules/"), "{url}");
    let (_, page) = buyer.page("/products/bicycle").await;
    assert!(page.contains(&url), "the page names its rules");

    let response = buyer.get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let data: serde_json::Value = response.json().await.unwrap();
    let groups = data["rules"]["groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["id"] == "frame"));
    // What the page computes from these rules is what the server computed.
    let rules: configurator::RuleSet = serde_json::from_value(data["rules"].clone()).unwrap();
    let engine = configurator::Configurator::compile(&rules).unwrap();
    let facts: app::catalogue::ProductFacts =
        serde_json::from_value(view["facts"].clone()).unwrap();
    assert!(
        data["popular"].is_null(),
        "nothing sold yet, nothing popular"
    );
    let local =
        app::catalogue::assess::assess(&engine, &facts, Default::default(), None, None).unwrap();
    assert_eq!(serde_json::to_value(&local).unwrap(), view);

    // New rules are a new URL; the old one is gone rather than stale.
    publish_price(&shop, "bicycle", "frame", "titanium", 155_000).await;
    let newer = buyer.product("bicycle", &[]).await;
    let new_url = newer["facts"]["rules_url"].as_str().unwrap();
    assert_ne!(new_url, url);
    assert_eq!(buyer.get(new_url).await.status(), StatusCode::OK);
    assert_eq!(buyer.get(&url).await.status(), StatusCode::NOT_FOUND);
    for bad in [
        "/rules/nope/1-0000000000000000.json",
        "/rules/x/%2e%2e%2f%2e%2e%2fetc",
    ] {
        assert_eq!(
            buyer.get(bad).await.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn an_add_to_cart_from_a_page_on_older_rules_is_refused_with_what_changed() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let view = buyer.product("bicycle", &[("frame", "titanium")]).await;
    let configuration: std::collections::BTreeMap<String, String> =
        serde_json::from_value(view["configuration"].clone()).unwrap();
    let version = view["facts"]["rule_version"].as_i64().unwrap().to_string();
    let quote = view["price"].as_i64().unwrap();

    // The rules change while the page is open: titanium costs more now.
    publish_price(&shop, "bicycle", "frame", "titanium", 160_000).await;
    let (status, body) = buyer
        .add_to_cart_json(
            "bicycle",
            &configuration,
            &[("rule_version", &version), ("quote", &quote.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains("changed while you were choosing"),
        "{message}"
    );
    let now = buyer.product("bicycle", &[("frame", "titanium")]).await;
    let now_price = now["price"].as_i64().unwrap();
    assert_eq!(now_price, quote + 160_000 - 149_000);
    assert!(
        message.contains(&app::money::format_price(now_price))
            && message.contains(&app::money::format_price(quote)),
        "the message says the new and the old price: {message}"
    );
    assert!(buyer.cart().await["lines"].as_array().unwrap().is_empty());

    // On today's rules but with the old price, it is still refused: nothing at an unseen price.
    let current = now["facts"]["rule_version"].as_i64().unwrap().to_string();
    let (status, body) = buyer
        .add_to_cart_json(
            "bicycle",
            &configuration,
            &[("rule_version", &current), ("quote", &quote.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error_message(&body).contains("The price of this configuration is now"));
    assert!(buyer.cart().await["lines"].as_array().unwrap().is_empty());

    // Without JavaScript the refusal comes back to the product page, which shows today's rules.
    let mut fields = product_form(
        "bicycle",
        &configuration,
        &[("rule_version", &version), ("quote", &quote.to_string())],
    );
    fields.push(("quantity".into(), "1".into()));
    let response = buyer
        .submit("add_to_cart", "/products/bicycle", &pairs(&fields))
        .await;
    let back = location(&response).unwrap();
    let back = back.trim_start_matches(&shop.url(""));
    assert!(back.starts_with("/products/bicycle?"), "{back}");
    let (_, page) = buyer.page(back).await;
    assert!(
        visible_text(&page).contains("changed while you were choosing"),
        "the page says what happened"
    );

    // What the buyer now sees is added.
    let (status, body) = buyer
        .add_to_cart_json(
            "bicycle",
            &configuration,
            &[
                ("rule_version", &current),
                ("quote", &now_price.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cart = buyer.cart().await;
    assert_eq!(cart["lines"][0]["unit_price"], now_price);
}

#[tokio::test]
async fn a_form_from_an_old_page_with_nonsense_in_its_version_is_a_field_error() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let configuration = buyer.default_configuration("bicycle").await;
    let (status, body) = buyer
        .add_to_cart_json("bicycle", &configuration, &[("rule_version", "v1")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_message(&body).contains("out of date"));
}

fn option<'a>(view: &'a serde_json::Value, group: &str, option: &str) -> &'a serde_json::Value {
    view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group)
        .unwrap()["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == option)
        .unwrap()
}

#[tokio::test]
async fn popular_with_your_choices_is_learnt_from_the_shops_own_orders_and_shipped_with_the_rules()
{
    let shop = Shop::start().await;
    let first = shop.visitor().product("bicycle", &[]).await;
    let nothing_popular = first["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["options"].as_array().unwrap())
        .all(|o| o["popular"] == false);
    assert!(nothing_popular, "no badge without history");

    // Three buyers take the aluminium frame (not what the shop suggests).
    for n in 0..3 {
        let buyer = shop.visitor();
        let view = buyer.product("bicycle", &[("frame", "aluminium")]).await;
        let configuration: std::collections::BTreeMap<String, String> =
            serde_json::from_value(view["configuration"].clone()).unwrap();
        let response = buyer.add_to_cart("bicycle", &configuration, 1).await;
        assert_eq!(location(&response).as_deref(), Some("/cart"));
        buyer
            .checkout_by_invoice(&format!("popular{n}@example.com"))
            .await;
    }
    let visitor = shop.visitor();
    let view = visitor.product("bicycle", &[]).await;
    assert_eq!(view["facts"]["sales"], 3);
    assert_eq!(option(&view, "frame", "aluminium")["popular"], true);
    assert_eq!(option(&view, "frame", "steel")["popular"], false);
    let (_, page) = visitor.page("/products/bicycle").await;
    assert!(
        page.contains("popular with your choices"),
        "the page says so"
    );

    // The browser gets the same model with the rules, and computes the same page from it.
    let url = view["facts"]["rules_url"].as_str().unwrap();
    let data: serde_json::Value = visitor.get(url).await.json().await.unwrap();
    let data: app::catalogue::RulesData = serde_json::from_value(data).unwrap();
    assert_eq!(data.popular.as_ref().map(|p| p.sales()), Some(3));
    let engine = configurator::Configurator::compile(&data.rules).unwrap();
    let facts: app::catalogue::ProductFacts =
        serde_json::from_value(view["facts"].clone()).unwrap();
    let local = app::catalogue::assess::assess(
        &engine,
        &facts,
        Default::default(),
        None,
        data.popular.as_ref(),
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&local).unwrap(), view);
}

#[tokio::test]
async fn the_lead_time_of_a_configuration_follows_it_into_the_cart_and_the_order() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    // Titanium frames take the longest of the demo bicycle's options: 20 working days.
    let view = buyer.product("bicycle", &[("frame", "titanium")]).await;
    assert_eq!(view["lead_days"], 20);
    let configuration: std::collections::BTreeMap<String, String> =
        serde_json::from_value(view["configuration"].clone()).unwrap();
    buyer.add_to_cart("bicycle", &configuration, 1).await;
    let cart = buyer.cart().await;
    assert_eq!(cart["lines"][0]["lead_days"], 20);
    let (_, page) = buyer.page("/cart").await;
    assert!(visible_text(&page).contains("Ships in about 20 working days"));
    let (_, page) = buyer.page("/checkout").await;
    assert!(visible_text(&page).contains("Ships in about 20 working days"));
    let number = buyer.checkout_by_invoice("lead@example.com").await;
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    assert!(
        visible_text(&page).contains("Ships in about 20 working days from the order date"),
        "{}",
        visible_text(&page)
    );
}

/// Publishes the product's rules with `groups` more optional accessory groups of ten options
/// each, none of them constrained: a range too large for the page to explain every unavailable
/// option on each change.
async fn publish_accessories(shop: &Shop, slug: &str, groups: usize) {
    publish_rules(shop, slug, |rules| {
        for g in 0..groups {
            let options: Vec<serde_json::Value> = (0..10)
                .map(|o| serde_json::json!({ "id": format!("a{g}-{o}"), "name": format!("Accessory {g}.{o}"), "price": 1000 * o }))
                .collect();
            rules["groups"].as_array_mut().unwrap().push(serde_json::json!({
                "id": format!("accessory-{g}"),
                "name": format!("Accessory {g}"),
                "optional": true,
                "options": options,
            }));
        }
    })
    .await;
}

#[tokio::test]
async fn a_large_range_explains_an_unavailable_option_when_asked_as_a_small_one_does_up_front() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let small = buyer.product("bicycle", &[("frame", "carbon")]).await;
    let up_front = option(&small, "brakes", "rim").clone();
    assert_eq!(up_front["available"], false);
    assert!(up_front["reason"].is_string(), "{up_front}");
    assert!(up_front["fix"].is_object(), "{up_front}");

    publish_accessories(&shop, "bicycle", 12).await;
    let large = buyer.product("bicycle", &[("frame", "carbon")]).await;
    let rim = option(&large, "brakes", "rim");
    assert_eq!(rim["available"], false);
    assert!(rim["reason"].is_null(), "not explained up front: {rim}");

    // Asked, the server gives the reason and the repair the small range gives up front.
    let (status, asked) = buyer
        .call_json(
            "product",
            &[
                ("slug", "bicycle"),
                ("choices[frame]", "carbon"),
                ("why[group]", "brakes"),
                ("why[option]", "rim"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    let rim = option(&asked, "brakes", "rim");
    assert_eq!(rim["reason"], up_front["reason"]);
    assert_eq!(rim["fix"], up_front["fix"]);
    // Only that one: the others still wait to be asked about.
    assert!(option(&asked, "brakes", "mech-disc")["reason"].is_null());
    // An available option or one the product does not have is no error, and no explanation.
    for (group, option_id) in [
        ("brakes", "hydraulic-disc"),
        ("brakes", "drum"),
        ("nope", "x"),
    ] {
        let (status, body) = buyer
            .call_json(
                "product",
                &[
                    ("slug", "bicycle"),
                    ("choices[frame]", "carbon"),
                    ("why[group]", group),
                    ("why[option]", option_id),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // Without JavaScript: the page links each unexplained option to its explanation.
    let (_, page) = buyer
        .page("/products/bicycle?configuration%5Bframe%5D=carbon")
        .await;
    let link = "why[brakes]=rim#";
    assert!(page.contains(link), "a Why? link for the rim brakes");
    let href = page
        .split('"')
        .find(|part| part.contains(link))
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.ends_with("#unavailable-brakes"), "{href}");
    let (status, page) = buyer.page(&href).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    let reason = up_front["reason"].as_str().unwrap();
    assert!(
        text.contains(&format!("Not available: Rim calipers — {reason}")),
        "the reason is on the page: {text}"
    );
    assert!(text.contains("Make available"), "with the repair");
}

/// A range too large for the browser to compile gets its rules compiled (`.bin`), megabytes on
/// a car range: they are compressed once and served as brotli to every browser that takes it,
/// the same bytes as uncompressed, rather than compressed again for each download.
#[tokio::test]
async fn a_large_range_s_compiled_rules_are_compressed_once_and_served_as_brotli() {
    use std::io::Read;
    let shop = Shop::start().await;
    publish_rules(&shop, "bicycle", |rules| {
        let groups = rules["groups"].as_array_mut().unwrap();
        for g in 1..=96 {
            let options: Vec<serde_json::Value> = (0..10)
                .map(|o| {
                    serde_json::json!({
                        "id": format!("trim-{g}-{o}"),
                        "name": format!("Trim {g}.{o} in a longer name"),
                        "price": o * 1500,
                    })
                })
                .collect();
            groups.push(serde_json::json!({
                "id": format!("trim-{g}"),
                "name": format!("Trim line {g}"),
                "optional": true,
                "options": options,
            }));
        }
    })
    .await;
    let view = shop.visitor().product("bicycle", &[]).await;
    let url = shop.url(view["facts"]["rules_url"].as_str().unwrap());
    assert!(url.ends_with(".bin"), "{url}");
    let client = reqwest::Client::new();
    let get = |encoding: &'static str| {
        let request = client
            .get(&url)
            .header(reqwest::header::ACCEPT_ENCODING, encoding);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let encoded = response
                .headers()
                .get(reqwest::header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_owned());
            let vary = response.headers()[reqwest::header::VARY]
                .to_str()
                .unwrap()
                .to_owned();
            // Bytes compressed in advance have their length known up front; the compression
            // layer's on-the-fly output is streamed without one.
            let whole = response.content_length().is_some();
            let body = response.bytes().await.unwrap().to_vec();
            (encoded, vary, whole, body)
        }
    };
    let (encoded, vary, whole, plain) = get("identity").await;
    assert_eq!(encoded, None);
    assert!(whole, "the cached bytes, as they are");
    assert!(vary.contains("accept-encoding"), "{vary}");
    for accept in ["br", "gzip, deflate, br, zstd", "br;q=0.5, gzip"] {
        let (encoded, _, whole, packed) = get(accept).await;
        assert_eq!(encoded.as_deref(), Some("br"), "{accept}");
        assert!(whole, "compressed once, not as it is sent ({accept})");
        assert!(
            packed.len() * 2 < plain.len(),
            "compressed: {} of {}",
            packed.len(),
            plain.len()
        );
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(packed.as_slice(), 64 * 1024)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain, "{accept}");
    }
    // A client that refuses brotli does not get it.
    let (encoded, _, _, _) = get("br;q=0, gzip").await;
    assert_ne!(encoded.as_deref(), Some("br"));
}
