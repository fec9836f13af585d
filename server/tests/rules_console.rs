//! The merchandiser's rule console through its server functions, on the real database: only
//! merchandisers get in; drafts refuse stale saves; a draft that the engine refuses, that has no
//! valid configuration or that breaks a test configuration is not published and the published
//! version keeps serving; publishing and rolling back make new versions while orders keep the
//! version they were priced with; stock edits never overwrite what an order took; and the audit
//! log has every change.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn merchandiser(shop: &Shop) -> Visitor {
    let merchandiser = shop.visitor();
    merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    merchandiser
}

async fn published(shop: &Shop, slug: &str) -> (String, i64) {
    sqlx::query_as("select rule_set, rule_version from products where slug = $1")
        .bind(slug)
        .fetch_one(shop.pool())
        .await
        .unwrap()
}

async fn rules_view(admin: &Visitor, slug: &str) -> Value {
    let (status, body) = admin.call_json("admin_rules", &[("slug", slug)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The bicycle's rules with `change` applied.
async fn edited(shop: &Shop, change: impl FnOnce(&mut Value)) -> String {
    let (rules, _) = published(shop, "bicycle").await;
    let mut rules: Value = serde_json::from_str(&rules).unwrap();
    change(&mut rules);
    serde_json::to_string_pretty(&rules).unwrap()
}

/// The bicycle's draft saved by `admin` from `revision` (0: no draft yet).
async fn save_draft(admin: &Visitor, rules: &str, revision: i64) -> (StatusCode, Value) {
    let revision = revision.to_string();
    admin
        .call_json(
            "save_rule_draft",
            &[
                ("slug", "bicycle"),
                ("rules", rules),
                ("revision", &revision),
            ],
        )
        .await
}

async fn publish(admin: &Visitor, revision: i64) -> (StatusCode, Value) {
    let revision = revision.to_string();
    admin
        .call_json(
            "publish_rules",
            &[("slug", "bicycle"), ("revision", &revision)],
        )
        .await
}

/// One option of a rule set's JSON, to change.
fn option_mut<'a>(rules: &'a mut Value, group: &str, option: &str) -> &'a mut Value {
    let group = rules["groups"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|g| g["id"] == group)
        .unwrap();
    group["options"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["id"] == option)
        .unwrap()
}

fn set_price(rules: &mut Value, group: &str, option: &str, price: i64) {
    option_mut(rules, group, option)["price"] = price.into();
}

fn add_rule(rules: &mut Value, rule: Value) {
    rules["rules"].as_array_mut().unwrap().push(rule);
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

#[tokio::test]
async fn every_console_rule_function_refuses_guests_and_buyers() {
    let shop = Shop::start().await;
    let guest = shop.visitor();
    let buyer = shop.visitor();
    buyer
        .register("Bea Buyer", "bea@example.com", "a long enough password")
        .await;
    let rule = |extra: &[(&'static str, &'static str)]| {
        let mut fields = vec![("slug", "bicycle"), ("revision", "0")];
        fields.extend_from_slice(extra);
        fields
    };
    let calls: [(&str, Vec<(&str, &str)>); 20] = [
        ("admin_rule_forms", vec![("slug", "bicycle")]),
        (
            "save_rule_group",
            rule(&[("name", "Bell"), ("options", "Brass")]),
        ),
        (
            "move_rule_group",
            rule(&[("id", "frame"), ("direction", "down")]),
        ),
        ("remove_rule_group", rule(&[("id", "lights")])),
        (
            "save_rule_option",
            rule(&[("group", "frame"), ("name", "Bamboo")]),
        ),
        (
            "remove_rule_option",
            rule(&[("group", "frame"), ("id", "steel")]),
        ),
        (
            "save_rule",
            rule(&[("kind", "excludes"), ("conditions", "frame: steel")]),
        ),
        (
            "save_price_table",
            rule(&[("name", "Sale"), ("entries", "-1 when frame: steel")]),
        ),
        ("remove_rule", rule(&[("id", "brushed-is-titanium")])),
        ("admin_attention", vec![]),
        ("admin_stock", vec![("filter", "")]),
        (
            "set_stock",
            vec![
                ("slug", "bicycle"),
                ("group", "frame"),
                ("option", "carbon"),
                ("from", "1"),
                ("to", "2"),
            ],
        ),
        ("admin_rule_products", vec![]),
        ("admin_rules", vec![("slug", "bicycle")]),
        (
            "save_rule_draft",
            vec![("slug", "bicycle"), ("rules", "{}"), ("revision", "0")],
        ),
        (
            "discard_rule_draft",
            vec![("slug", "bicycle"), ("revision", "1")],
        ),
        (
            "publish_rules",
            vec![("slug", "bicycle"), ("revision", "1")],
        ),
        (
            "roll_back_rules",
            vec![("slug", "bicycle"), ("version", "1"), ("current", "1")],
        ),
        (
            "add_test_configuration",
            vec![
                ("slug", "bicycle"),
                ("name", "x"),
                ("choices", "frame: steel"),
                ("expect", "valid"),
            ],
        ),
        (
            "remove_test_configuration",
            vec![("slug", "bicycle"), ("id", "x")],
        ),
    ];
    for (function, fields) in &calls {
        let (status, body) = guest.call_json(function, fields).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guest {function}: {body}");
        let (status, body) = buyer.call_json(function, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "buyer {function}: {body}");
    }
    let (status, _) = guest.call_json("admin_audit_log", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = buyer.call_json("admin_audit_log", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing they sent was kept.
    let (drafts,): (i64,) = sqlx::query_as("select count(*) from rule_drafts")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(drafts, 0);
}

#[tokio::test]
async fn a_draft_is_published_as_a_new_version_and_rolled_back_while_orders_keep_theirs() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let (original, v1) = published(&shop, "bicycle").await;

    // An order on today's version.
    let buyer = shop.visitor();
    buyer.add_default("bicycle", 1).await;
    let number = buyer.checkout_by_invoice("rider@example.com").await;
    let aluminium_before = buyer.product("bicycle", &[("frame", "aluminium")]).await["price"]
        .as_i64()
        .unwrap();

    // A draft: aluminium frames cost €200 more.
    let draft = edited(&shop, |r| set_price(r, "frame", "aluminium", 32000)).await;
    let (status, body) = save_draft(&admin, &draft, 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let view = rules_view(&admin, "bicycle").await;
    assert_eq!(view["draft"]["revision"], 1);
    assert_eq!(view["version"], v1);
    assert!(view["check"]["satisfiable"].as_bool().unwrap(), "{view}");
    let changed = view["effect"]["options_changed"].to_string();
    assert!(
        changed.contains("Aluminium") && changed.contains("changed"),
        "{changed}"
    );
    assert_eq!(view["blockers"], json!([]), "{view}");
    // The shop still sells the published rules.
    assert_eq!(
        buyer.product("bicycle", &[("frame", "aluminium")]).await["price"]
            .as_i64()
            .unwrap(),
        aluminium_before
    );

    // A second merchandiser's form, opened before that save, is refused, and overwrites nothing.
    let (status, body) = save_draft(&admin, &original, 0).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        error_message(&body).contains("saved again since you opened it"),
        "{body}"
    );
    assert_eq!(rules_view(&admin, "bicycle").await["draft"]["rules"], draft);
    // Publishing a revision that is not the draft's is refused too.
    let (status, _) = publish(&admin, 7).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = publish(&admin, 1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (rules, v2) = published(&shop, "bicycle").await;
    assert_eq!(v2, v1 + 1);
    assert_eq!(rules, draft);
    assert_eq!(
        buyer.product("bicycle", &[("frame", "aluminium")]).await["price"]
            .as_i64()
            .unwrap(),
        aluminium_before + 20000,
        "the shop prices with the new version"
    );
    let view = rules_view(&admin, "bicycle").await;
    assert!(view["draft"].is_null(), "the draft became the version");
    let versions: Vec<i64> = view["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![v2, v1]);

    // The order keeps the version it was priced with.
    let (line_version,): (i64,) = sqlx::query_as(
        "select l.rule_version from order_lines l join orders o on o.id = l.order_id where o.number = $1",
    )
    .bind(&number)
    .fetch_one(shop.pool())
    .await
    .unwrap();
    assert_eq!(line_version, v1);

    // Rolling back from a stale page is refused; from the current one it republishes v1 as v3.
    let (status, _) = admin
        .call_json(
            "roll_back_rules",
            &[
                ("slug", "bicycle"),
                ("version", &v1.to_string()),
                ("current", &v1.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = admin
        .call_json(
            "roll_back_rules",
            &[
                ("slug", "bicycle"),
                ("version", &v1.to_string()),
                ("current", &v2.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (rules, v3) = published(&shop, "bicycle").await;
    assert_eq!((rules.as_str(), v3), (original.as_str(), v2 + 1));
    // Published versions are kept as they were.
    let (kept,): (String,) =
        sqlx::query_as("select v.rule_set from rule_versions v join products p on p.id = v.product_id where p.slug = 'bicycle' and v.version = $1")
            .bind(v2)
            .fetch_one(shop.pool())
            .await
            .unwrap();
    assert_eq!(kept, draft);

    let actions = audit_actions(&admin).await;
    for expected in [
        "rules bicycle: draft saved".to_owned(),
        format!("rules bicycle: published version {v2} (from the draft)"),
        format!("rules bicycle: published version {v3} (roll back to version {v1})"),
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    // The refused attempts changed nothing, so they are not in the log.
    assert_eq!(actions.len(), 3, "{actions:?}");
}

#[tokio::test]
async fn invalid_rules_and_failing_test_configurations_block_publishing_with_the_reason() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let (_, v1) = published(&shop, "bicycle").await;

    // Text the engine cannot read is kept as a draft (nothing typed is lost) but not published.
    let (status, body) = save_draft(&admin, "{ \"groups\": [ oops", 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let view = rules_view(&admin, "bicycle").await;
    assert!(
        view["check"]["error"].as_str().unwrap().contains("line 1"),
        "{view}"
    );
    let (status, body) = publish(&admin, 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains("Not published")
            && message.contains(&format!("Version {v1} keeps serving")),
        "{message}"
    );

    // No valid configuration: every frame excluded.
    let impossible = edited(&shop, |r| {
        add_rule(r, json!({"kind": "excludes", "id": "no-frames", "all": [{"group": "frame", "any_of": ["steel", "aluminium", "titanium", "carbon"]}]}))
    })
    .await;
    let (status, body) = save_draft(&admin, &impossible, 1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let view = rules_view(&admin, "bicycle").await;
    assert_eq!(view["check"]["satisfiable"], false, "{view}");
    assert!(
        view["check"]["conflicting_rules"]
            .to_string()
            .contains("no-frames"),
        "{view}"
    );
    let (status, body) = publish(&admin, 2).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_message(&body)
            .contains("No configuration satisfies these rules; conflicting: no-frames"),
        "{body}"
    );

    // A test configuration that must stay possible, and a draft that makes it impossible.
    let (status, body) = admin
        .call_json(
            "add_test_configuration",
            &[
                ("slug", "bicycle"),
                ("name", "Our best seller"),
                ("choices", "frame: titanium\nbrakes: hydraulic-disc"),
                ("expect", "valid"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = admin
        .call_json(
            "add_test_configuration",
            &[
                ("slug", "bicycle"),
                ("name", "Typo"),
                ("choices", "frame: titanum"),
                ("expect", "valid"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_message(&body).contains("frame: titanum is not an option"),
        "{body}"
    );
    let no_titanium = edited(&shop, |r| {
        add_rule(r, json!({"kind": "excludes", "id": "no-titanium", "all": [{"group": "frame", "any_of": ["titanium"]}]}))
    })
    .await;
    let (status, _) = save_draft(&admin, &no_titanium, 2).await;
    assert_eq!(status, StatusCode::OK);
    let view = rules_view(&admin, "bicycle").await;
    assert_eq!(view["tests"][0]["passes"], false, "{view}");
    // The console's home page points at both.
    let (status, attention) = admin.call_json("admin_attention", &[]).await;
    assert_eq!(status, StatusCode::OK, "{attention}");
    assert_eq!(
        attention["drafts"],
        json!([["bicycle", "Made-to-order bicycle"]]),
        "{attention}"
    );
    assert_eq!(
        attention["failing_tests"][0]["test"], "Our best seller",
        "{attention}"
    );
    let (_, page) = admin.page("/admin").await;
    assert!(visible_text(&page).contains("Our best seller"), "{page}");
    assert!(
        view["effect"]["newly_dead"]
            .to_string()
            .contains("Titanium"),
        "{view}"
    );
    assert!(
        view["effect"]["rules_added"]
            .to_string()
            .contains("no-titanium"),
        "{view}"
    );
    let (status, body) = publish(&admin, 3).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_message(&body).contains(
            "Test configuration \u{201c}Our best seller\u{201d} fails: no longer possible"
        ),
        "{body}"
    );
    assert_eq!(
        published(&shop, "bicycle").await.1,
        v1,
        "the published version keeps serving"
    );

    // Removing the test unblocks it.
    let id = view["tests"][0]["test"]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .call_json(
            "remove_test_configuration",
            &[("slug", "bicycle"), ("id", &id)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = publish(&admin, 3).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(published(&shop, "bicycle").await.1, v1 + 1);
    let actions = audit_actions(&admin).await;
    assert!(
        actions.contains(&"test configuration bicycle: added".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"test configuration bicycle: removed".to_owned()),
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.ends_with("draft saved"))
            .count(),
        3,
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_rule_pages_render_for_a_merchandiser_without_javascript() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let (status, page) = admin.page("/admin/products").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/admin/products/bicycle/rules\""),
        "{page}"
    );
    let (status, page) = admin.page("/admin/products/bicycle/rules").await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    assert!(
        text.contains("Rules: ") && text.contains("valid configurations"),
        "{text}"
    );
    assert!(
        page.contains("action=\"/api/save_rule_draft\""),
        "the editor posts without JavaScript"
    );
    // A buyer is not shown the console.
    let buyer = shop.visitor();
    let (_, page) = buyer.page("/admin/products/bicycle/rules").await;
    assert!(!visible_text(&page).contains("valid configurations"));
}

#[tokio::test]
async fn a_cart_made_on_an_older_version_is_told_what_changed_and_orders_nothing_unseen() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let buyer = shop.visitor();
    let configuration = buyer.add_default("bicycle", 1).await;
    let before = buyer.cart().await["total"].as_i64().unwrap();

    // The frame in the cart costs €50 more from the next version.
    let frame = configuration["frame"].clone();
    let draft = edited(&shop, |rules| {
        let option = option_mut(rules, "frame", frame.as_str());
        option["price"] = (option["price"].as_i64().unwrap() + 5000).into();
    })
    .await;
    let (status, _) = save_draft(&admin, &draft, 0).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = publish(&admin, 1).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let cart = buyer.cart().await;
    assert_eq!(cart["total"].as_i64().unwrap(), before + 5000);
    let changed = cart["lines"][0]["changed"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        changed.starts_with(
            "The options for Made-to-order bicycle changed since you added it: it now costs €"
        ) && changed.contains("(it was €"),
        "{cart}"
    );
    let (_, page) = buyer.page("/checkout").await;
    assert!(
        visible_text(&page).contains("changed since you added it"),
        "the checkout page says so too"
    );

    let fields = [
        ("email", "late@example.com"),
        ("full_name", "Lea Late"),
        ("address", "1 Slow Lane"),
        ("city", "Leeds"),
        ("postal_code", "LS1 1AA"),
        ("country", "GB"),
        ("payment", "invoice"),
    ];
    let (status, body) = buyer.call_json("place_order", &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = error_message(&body);
    assert!(
        message.contains(&changed) && message.contains("Nothing was ordered"),
        "{message}"
    );
    assert_eq!(
        shop.order_count().await,
        0,
        "nothing ordered at a price the buyer did not see"
    );

    // Told, the buyer places it again: at the new price.
    assert!(buyer.cart().await["lines"][0]["changed"].is_null());
    let (status, body) = buyer.call_json("place_order", &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (total,): (i64,) = sqlx::query_as("select total from orders")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(total, before + 5000);
}

#[tokio::test]
async fn a_stock_edit_made_while_an_order_took_stock_is_refused_and_loses_neither() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let rows = |body: &Value| body.as_array().unwrap().clone();
    let (status, all) = admin.call_json("admin_stock", &[("filter", "")]).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    // The bicycle's tracked option that its default configuration uses.
    let buyer = shop.visitor();
    let configuration = buyer.default_configuration("bicycle").await;
    let row = rows(&all)
        .into_iter()
        .find(|r| {
            r["slug"] == "bicycle"
                && configuration
                    .get(r["group"].as_str().unwrap())
                    .is_some_and(|o| r["option"] == o.as_str())
        })
        .expect("a tracked option in the bicycle's default configuration");
    let (group, option) = (
        row["group"].as_str().unwrap().to_owned(),
        row["option"].as_str().unwrap().to_owned(),
    );
    let seen = row["left"].as_i64().unwrap();
    assert!(seen > 1, "{row}");
    assert!(
        row["label"].as_str().unwrap().contains(": "),
        "named as the shop names it: {row}"
    );

    // A buyer orders one while the merchandiser's screen still shows `seen`.
    buyer.add_default("bicycle", 1).await;
    buyer.checkout_by_invoice("quick@example.com").await;
    let (status, body) = admin
        .call_json(
            "set_stock",
            &[
                ("slug", "bicycle"),
                ("group", &group),
                ("option", &option),
                ("from", &seen.to_string()),
                ("to", "40"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        error_message(&body).contains(&format!(
            "it is {} now (the screen showed {seen})",
            seen - 1
        )),
        "{body}"
    );
    let level = |body: &Value| {
        rows(body)
            .into_iter()
            .find(|r| {
                r["group"] == group.as_str()
                    && r["option"] == option.as_str()
                    && r["slug"] == "bicycle"
            })
            .map(|r| r["left"].as_i64().unwrap())
    };
    let (_, all) = admin.call_json("admin_stock", &[("filter", "")]).await;
    assert_eq!(level(&all), Some(seen - 1), "the order's take is kept");

    // From what is there now, the edit goes through, and is audited.
    let (status, body) = admin
        .call_json(
            "set_stock",
            &[
                ("slug", "bicycle"),
                ("group", &group),
                ("option", &option),
                ("from", &(seen - 1).to_string()),
                ("to", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, sold_out) = admin
        .call_json("admin_stock", &[("filter", "sold-out")])
        .await;
    assert_eq!(level(&sold_out), Some(0));
    assert!(
        rows(&sold_out)
            .iter()
            .all(|r| r["left"].as_i64().unwrap() <= 0),
        "{sold_out}"
    );
    let (_, low) = admin.call_json("admin_stock", &[("filter", "low")]).await;
    assert_eq!(level(&low), None);
    let actions = audit_actions(&admin).await;
    assert_eq!(
        actions,
        vec![format!("stock bicycle {group}/{option}: level set")],
        "{actions:?}"
    );

    // Bad numbers are a field error and change nothing.
    for bad in ["-1", "many", "1000001"] {
        let (status, body) = admin
            .call_json(
                "set_stock",
                &[
                    ("slug", "bicycle"),
                    ("group", &group),
                    ("option", &option),
                    ("from", "0"),
                    ("to", bad),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (_, page) = admin.page("/admin/stock?filter=sold-out").await;
    assert!(visible_text(&page).contains("Sold out"), "{page}");
}

#[tokio::test]
async fn a_test_configuration_may_name_what_only_the_draft_offers() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let add = |choices: &'static str| {
        let admin = &admin;
        async move {
            admin
                .call_json(
                    "add_test_configuration",
                    &[
                        ("slug", "bicycle"),
                        ("name", "Bamboo tourer"),
                        ("choices", choices),
                        ("expect", "valid"),
                    ],
                )
                .await
        }
    };
    let (status, body) = add("frame: bamboo").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_message(&body).contains("frame: bamboo is not an option"),
        "{body}"
    );
    let rules = edited(&shop, |rules| {
        let frame = rules["groups"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|g| g["id"] == "frame")
            .unwrap();
        frame["options"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "id": "bamboo", "name": "Bamboo", "price": 30000 }));
    })
    .await;
    let (status, body) = save_draft(&admin, &rules, 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = add("frame: bamboo").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = add("frame: balsa").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// A file of `../shared/bench/renault` (beside the repository), or `None` with a notice when a
/// newcomer's clone has no shared data; on CI (`CI=true`) it must be there.
fn renault(name: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new("../../shared/bench/renault").join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but {} cannot be read ({e})", path.display())
        }
        Err(_) => {
            println!("skipping: {} not found", path.display());
            None
        }
    }
}

/// Imports a rule file (and a price file) into `slug`'s draft as the console's form does;
/// returns where it sends the merchandiser back to.
async fn import(
    visitor: &Visitor,
    slug: &str,
    revision: i64,
    format: &str,
    rules: Vec<u8>,
    prices: Option<Vec<u8>>,
) -> reqwest::Response {
    use reqwest::multipart::{Form, Part};
    let mut form = Form::new()
        .text("revision", revision.to_string())
        .text("format", format.to_owned())
        .part("rules", Part::bytes(rules).file_name("rules"));
    if let Some(prices) = prices {
        form = form.part("prices", Part::bytes(prices).file_name("prices.xml"));
    }
    visitor
        .client
        .post(format!(
            "{}/admin/products/{slug}/rules/import",
            visitor.base
        ))
        .multipart(form)
        .send()
        .await
        .expect("import")
}

async fn draft_json(shop: &Shop, slug: &str) -> Option<(Value, i64)> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "select d.rule_set, d.revision from rule_drafts d join products p on p.id = d.product_id
         where p.slug = $1",
    )
    .bind(slug)
    .fetch_optional(shop.pool())
    .await
    .unwrap();
    row.map(|(json, revision)| (serde_json::from_str(&json).unwrap(), revision))
}

#[tokio::test]
async fn rules_go_out_and_come_in_as_files_and_a_car_range_imports_into_the_draft() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let guest = shop.visitor();
    let buyer = shop.visitor();
    buyer
        .register("Bea Buyer", "bea@example.com", "a long enough password")
        .await;
    for (visitor, status) in [
        (&guest, StatusCode::UNAUTHORIZED),
        (&buyer, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            visitor
                .get("/admin/products/bicycle/rules.json")
                .await
                .status(),
            status
        );
        let response = import(visitor, "bicycle", 0, "json", b"{}".to_vec(), None).await;
        assert_eq!(response.status(), status);
    }
    assert!(draft_json(&shop, "bicycle").await.is_none());

    // Out: the published rules as a file.
    let response = admin.get("/admin/products/bicycle/rules.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"bicycle-version-"),
        "{disposition}"
    );
    let exported: Value = response.json().await.unwrap();
    let (published, _) = published(&shop, "bicycle").await;
    assert_eq!(exported, serde_json::from_str::<Value>(&published).unwrap());

    // In: an edited file becomes the draft; files the engine cannot read are refused.
    let mut edited = exported.clone();
    add_rule(
        &mut edited,
        json!({ "kind": "excludes", "id": "no-carbon-rack", "all": [{ "group": "frame", "any_of": ["carbon"] }, { "group": "rack", "any_of": ["light-rack"] }], "message": "No rack on carbon." }),
    );
    let refused = |response: &reqwest::Response| {
        location(response).and_then(|l| l.split_once("import_error=").map(|(_, c)| c.to_owned()))
    };
    let response = import(
        &admin,
        "bicycle",
        0,
        "json",
        b"{ \"groups\": [".to_vec(),
        None,
    )
    .await;
    assert_eq!(refused(&response).as_deref(), Some("not-json"));
    let response = import(
        &admin,
        "bicycle",
        0,
        "xcsp",
        b"<instance><oops>".to_vec(),
        None,
    )
    .await;
    assert_eq!(refused(&response).as_deref(), Some("not-xcsp"));
    let response = import(&admin, "bicycle", 0, "json", Vec::new(), None).await;
    assert_eq!(refused(&response).as_deref(), Some("empty"));
    assert!(draft_json(&shop, "bicycle").await.is_none());
    let file = serde_json::to_vec(&edited).unwrap();
    let response = import(&admin, "bicycle", 0, "json", file.clone(), None).await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/products/bicycle/rules?import=done")
    );
    let (draft, revision) = draft_json(&shop, "bicycle").await.unwrap();
    assert_eq!((draft, revision), (edited.clone(), 1));
    let response = import(&admin, "bicycle", 0, "json", file, None).await;
    assert_eq!(refused(&response).as_deref(), Some("stale"));
    let drafted = admin
        .get("/admin/products/bicycle/rules.json?draft=true")
        .await;
    assert_eq!(drafted.json::<Value>().await.unwrap(), edited);
    let view = rules_view(&admin, "bicycle").await;
    assert!(
        view["effect"]["rules_added"]
            .to_string()
            .contains("no-carbon-rack"),
        "{}",
        view["effect"]
    );

    // A car range: Renault's medium instance with its prices, imported as XCSP into the
    // workstation's draft, checked by the engine, and saved again from the editor (its text is
    // far over a form's 64 KB, which only a merchandiser's rule draft may exceed).
    let (Some(csp), Some(prices)) = (renault("medium.xml"), renault("mediumPrices.xml")) else {
        return;
    };
    let response = import(&admin, "workstation", 0, "xcsp", csp, Some(prices)).await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/products/workstation/rules?import=done")
    );
    let (range, _) = draft_json(&shop, "workstation").await.unwrap();
    assert_eq!(range["groups"].as_array().unwrap().len(), 148);
    let view = rules_view(&admin, "workstation").await;
    let check = &view["check"];
    assert_eq!(check["satisfiable"], true, "{check}");
    assert_eq!(check["groups"], 148);
    let text = serde_json::to_string_pretty(&range).unwrap();
    assert!(text.len() > 200 * 1024, "{}", text.len());
    let fields = [
        ("slug", "workstation"),
        ("rules", text.as_str()),
        ("revision", "1"),
    ];
    let (status, body) = buyer.call_json("save_rule_draft", &fields).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, body) = admin.call_json("save_rule_draft", &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(draft_json(&shop, "workstation").await.unwrap().1, 2);
    let log = audit_actions(&admin).await;
    assert!(
        log.iter()
            .filter(|entry| entry.starts_with("rules workstation: draft saved"))
            .count()
            >= 2,
        "{log:?}"
    );
}

/// The fewest search steps the engine needs to compile `rules`.
fn steps_needed(rules: &Value) -> u64 {
    let rules: configurator::RuleSet = serde_json::from_value(rules.clone()).unwrap();
    let (mut low, mut high) = (1u64, configurator::COMPILE_STEPS);
    assert!(configurator::Configurator::compile_within(&rules, high).is_ok());
    while low < high {
        let mid = low + (high - low) / 2;
        if configurator::Configurator::compile_within(&rules, mid).is_ok() {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

#[tokio::test]
async fn rules_the_server_cannot_compile_within_its_limit_are_not_published() {
    // The bicycle's rules, and a draft with twenty more groups chained by rules: it needs more
    // compile steps than the published rules do. The shop runs with just enough for the latter.
    let probe = Shop::start().await;
    let (published_json, version) = published(&probe, "bicycle").await;
    let published_rules: Value = serde_json::from_str(&published_json).unwrap();
    let mut larger = published_rules.clone();
    for i in 0..20 {
        larger["groups"].as_array_mut().unwrap().push(json!({
            "id": format!("extra{i}"),
            "name": format!("Extra {i}"),
            "options": (0..4).map(|o| json!({ "id": format!("o{o}"), "name": format!("Option {o}"), "price": o * 100 })).collect::<Vec<_>>(),
        }));
        if i > 0 {
            add_rule(
                &mut larger,
                json!({ "kind": "excludes", "id": format!("chain{i}"), "all": [
                    { "group": format!("extra{}", i - 1), "any_of": ["o0"] },
                    { "group": format!("extra{i}"), "any_of": ["o1"] }
                ], "message": "Not together." }),
            );
        }
    }
    let (enough, more) = (steps_needed(&published_rules), steps_needed(&larger));
    assert!(
        more > enough,
        "the draft needs more steps ({more}) than the rules ({enough})"
    );
    drop(probe);

    let shop = Shop::start_with(|config| config.compile_steps = enough).await;
    let admin = merchandiser(&shop).await;
    let text = serde_json::to_string_pretty(&larger).unwrap();
    let (status, body) = save_draft(&admin, &text, 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let view = rules_view(&admin, "bicycle").await;
    assert!(
        view["check"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("too entangled"),
        "{}",
        view["check"]
    );
    assert!(
        view["blockers"].to_string().contains("too entangled"),
        "{}",
        view["blockers"]
    );
    let (status, body) = publish(&admin, 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = error_message(&body);
    assert!(message.contains("too entangled"), "{message}");
    assert!(
        message.contains(&format!("Version {version} keeps serving")),
        "{message}"
    );
    // The published version keeps serving: same rules, and the shop still prices the bicycle.
    assert_eq!(published(&shop, "bicycle").await, (published_json, version));
    let priced = shop.visitor().product("bicycle", &[]).await;
    assert!(priced["price"].as_i64().unwrap() > 0, "{priced}");
}

/// The check of the bicycle's draft as the forms page has it: (revision, valid configurations).
async fn forms_check(admin: &Visitor) -> (i64, u64) {
    let (status, body) = admin
        .call_json("admin_rule_forms", &[("slug", "bicycle")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["check"]["error"].is_null(), "{body}");
    (
        body["revision"].as_i64().unwrap(),
        body["check"]["solutions"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    )
}

#[tokio::test]
async fn rules_are_edited_in_forms_in_the_shops_words() {
    let shop = Shop::start().await;
    let admin = merchandiser(&shop).await;
    let (status, page) = admin.page("/admin/products/bicycle/rules/edit").await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    for words in [
        "Check of the draft",
        "Frame frame",
        "When Frame is Carbon race, Brakes must be Hydraulic disc.",
        "Touring bundle discount",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let (_, published_count) = forms_check(&admin).await;

    // A new group, posted as a browser without JavaScript posts it, starts the draft.
    let response = admin
        .submit(
            "save_rule_group",
            "/admin/products/bicycle/rules/edit?add=group",
            &[
                ("slug", "bicycle"),
                ("revision", "0"),
                ("name", "Bell"),
                ("options", "Brass bell = 12.50\nChrome bell"),
            ],
        )
        .await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/admin/products/bicycle/rules/edit?saved=1#check")
    );
    let (revision, with_bell) = forms_check(&admin).await;
    assert_eq!(revision, 1);
    assert_eq!(
        with_bell,
        published_count * 2,
        "a required group of two options"
    );
    let (draft, _) = draft_json(&shop, "bicycle").await.unwrap();
    let bell = draft["groups"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(bell["id"], "bell");
    assert_eq!(bell["options"][0]["price"], 1250);

    // A rule written with names; the count follows.
    let (status, body) = admin
        .call_json(
            "save_rule",
            &[
                ("slug", "bicycle"),
                ("revision", "1"),
                ("kind", "excludes"),
                ("conditions", "Frame: Carbon race\nBell: Brass bell"),
                ("message", "Race frames have no room for the brass bell."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (revision, with_rule) = forms_check(&admin).await;
    assert_eq!(revision, 2);
    assert!(
        with_rule < with_bell && with_rule > with_bell / 2,
        "{with_rule} of {with_bell}"
    );
    let (draft, _) = draft_json(&shop, "bicycle").await.unwrap();
    let rule = draft["rules"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        rule,
        json!({"kind": "excludes", "id": "excludes", "message": "Race frames have no room for the brass bell.",
               "all": [{"group": "frame", "any_of": ["carbon"]}, {"group": "bell", "any_of": ["brass-bell"]}]})
    );

    // A mistake without JavaScript comes back beside its field, with what was typed.
    let response = admin
        .submit(
            "save_rule",
            "/admin/products/bicycle/rules/edit?add=requires",
            &[
                ("slug", "bicycle"),
                ("revision", "2"),
                ("kind", "requires"),
                ("conditions", "Frame: Bamboo"),
                ("then", "Bell: Chrome bell"),
            ],
        )
        .await;
    let back = location(&response).expect("sent back to the form");
    let back = back.trim_start_matches(&shop.url(""));
    assert!(
        back.starts_with("/admin/products/bicycle/rules/edit?add=requires"),
        "{back}"
    );
    let (_, page) = admin.page(back).await;
    let text = visible_text(&page);
    assert!(
        text.contains("Condition 1: “Bamboo” is not an option of Frame"),
        "{text}"
    );
    assert!(page.contains(">Frame: Bamboo</textarea>"), "kept: {page}");
    assert_eq!(forms_check(&admin).await.0, 2, "nothing was saved");

    // A stale form is refused and loses nothing; something in use is not removed.
    let (status, body) = admin
        .call_json(
            "save_rule_option",
            &[
                ("slug", "bicycle"),
                ("revision", "1"),
                ("group", "bell"),
                ("name", "Silver bell"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = admin
        .call_json(
            "remove_rule_option",
            &[
                ("slug", "bicycle"),
                ("revision", "2"),
                ("group", "bell"),
                ("id", "brass-bell"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_message(&body).contains("Bell: Brass bell is named by rule excludes"),
        "{body}"
    );
    let (status, body) = admin
        .call_json(
            "save_rule_option",
            &[
                ("slug", "bicycle"),
                ("revision", "2"),
                ("group", "bell"),
                ("original", "brass-bell"),
                ("name", "Brass bell"),
                ("price", "14.00"),
                ("lead_days", "3"),
                ("attributes", "weight_g = 90"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (draft, revision) = draft_json(&shop, "bicycle").await.unwrap();
    let brass = &draft["groups"].as_array().unwrap().last().unwrap()["options"][0];
    assert_eq!(
        (
            &brass["price"],
            &brass["lead_days"],
            &brass["attributes"]["weight_g"]
        ),
        (&json!(1400), &json!(3), &json!(90))
    );

    // Published, buyers get the bell; the audit log says what each form changed.
    let (status, body) = publish(&admin, revision).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let product = shop.visitor().product("bicycle", &[]).await;
    assert!(product.to_string().contains("Brass bell"), "{product}");
    let actions = audit_actions(&admin).await;
    for wanted in [
        "rules bicycle: draft: group “Bell” (bell) added",
        "rules bicycle: draft: rule excludes (Excludes) added",
        "rules bicycle: draft: option “Brass bell” (brass-bell) of Bell changed",
    ] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
    }
}
