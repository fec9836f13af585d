//! Saved configurations and comparison over HTTP, on SQLite and PostgreSQL: short unguessable
//! links, owners who rename and delete, strangers who only look, what changed since saving
//! (rules, prices, stock) with the repair, a guest's saves moving into the account, and the
//! server-rendered comparison.

mod common;

use std::collections::BTreeMap;

use common::*;
use reqwest::StatusCode;

/// Saves `configuration` the way the product form's "Save" button posts it; returns the link.
async fn save(visitor: &Visitor, configuration: &BTreeMap<String, String>) -> String {
    let fields = product_form("bicycle", configuration, &[("quantity", "1")]);
    let response = visitor
        .submit("save_configuration", "/products/bicycle", &pairs(&fields))
        .await;
    let link = location(&response).expect("a redirect to the saved configuration");
    assert!(link.starts_with("/c/"), "{link}");
    link
}

async fn titanium(visitor: &Visitor) -> (BTreeMap<String, String>, i64) {
    let view = visitor.product("bicycle", &[("frame", "titanium")]).await;
    (
        serde_json::from_value(view["configuration"].clone()).unwrap(),
        view["price"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_saved_configuration_has_a_short_random_link_that_shows_it_to_anyone() {
    let shop = Shop::start().await;
    let owner = shop.visitor();
    let (configuration, price) = titanium(&owner).await;
    let link = save(&owner, &configuration).await;
    let id = link.trim_start_matches("/c/");
    assert_eq!(id.len(), 8);
    assert!(
        id.chars()
            .all(|c| "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(c)),
        "{id}"
    );
    let other = save(&owner, &configuration).await;
    assert_ne!(other, link, "every save is its own link");

    let (status, page) = owner.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    assert!(
        text.contains("Saved configuration") && text.contains("Frame Titanium"),
        "{text}"
    );
    assert!(text.contains(&app::money::format_price(price)));
    assert!(text.contains("Nothing has changed since it was saved"));
    assert!(text.contains("Rename") && text.contains("Delete this saved configuration"));

    // Anyone with the link sees it, but cannot change it.
    let stranger = shop.visitor();
    let (status, page) = stranger.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!visible_text(&page).contains("Rename"));
    let (status, _) = stranger
        .call_json("rename_saved", &[("id", id), ("name", "Mine now")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stranger.call_json("delete_saved", &[("id", id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stranger.page("/c/ZZZZZZZZ").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The owner renames (a bad name is a field error) and deletes.
    let (status, body) = owner
        .call_json("rename_saved", &[("id", id), ("name", "   ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = owner
        .call_json("rename_saved", &[("id", id), ("name", "Touring build")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = stranger.page(&link).await;
    assert!(visible_text(&page).contains("Touring build"));
    let (status, _) = owner.call_json("delete_saved", &[("id", id)]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    assert_eq!(owner.page(&link).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_saved_configuration_says_what_changed_since_and_offers_the_repair() {
    let shop = Shop::start().await;
    let owner = shop.visitor();
    let (configuration, price) = titanium(&owner).await;
    let link = save(&owner, &configuration).await;

    // New rules and a new price for titanium.
    publish_price(&shop, "bicycle", "frame", "titanium", 152_000).await;
    let (_, page) = owner.page(&link).await;
    let text = visible_text(&page);
    assert!(
        text.contains("The options for this product have changed since it was saved"),
        "{text}"
    );
    let now = price + 152_000 - 149_000;
    assert!(
        text.contains(&format!(
            "The price changed from {} to {}",
            app::money::format_price(price),
            app::money::format_price(now)
        )),
        "{text}"
    );
    assert!(text.contains("Open in the configurator"));

    // Titanium sells out: it cannot be ordered as saved, and the repair keeps everything else.
    sqlx::query(
        "update option_stock set quantity = 0 where group_id = 'frame' and option_id = 'titanium'",
    )
    .execute(shop.pool())
    .await
    .unwrap();
    let (_, page) = owner.page(&link).await;
    let text = visible_text(&page);
    assert!(text.contains("cannot be ordered as saved"), "{text}");
    assert!(text.contains("Repair it in the configurator"));
    let repair = page
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"))
        .find(|href| href.starts_with("/products/bicycle"))
        .expect("a repair link");
    assert!(!repair.contains("titanium"), "{repair}");
    assert!(
        repair.contains("configuration[brakes]=") || repair.contains("configuration%5Bbrakes%5D="),
        "the other choices stay: {repair}"
    );
    assert!(
        !text.contains("Add to cart"),
        "no add to cart while it cannot be ordered"
    );
}

#[tokio::test]
async fn a_guests_saved_configurations_move_into_the_account_at_registration() {
    let shop = Shop::start().await;
    let guest = shop.visitor();
    let (configuration, _) = titanium(&guest).await;
    let link = save(&guest, &configuration).await;
    let (status, list) = guest.call_json("my_saved_configurations", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);

    guest
        .register("Sara Saver", "saver@example.com", "correct horse battery")
        .await;
    let (_, page) = guest.page("/account").await;
    let text = visible_text(&page);
    assert!(
        text.contains("Saved configurations") && text.contains("Made-to-order bicycle"),
        "{text}"
    );
    assert!(page.contains(&format!("href=\"{link}\"")));
    // Still theirs after logging in again elsewhere.
    let elsewhere = shop.visitor();
    elsewhere
        .login("saver@example.com", "correct horse battery")
        .await;
    let (_, list) = elsewhere.call_json("my_saved_configurations", &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, page) = elsewhere.page(&link).await;
    assert!(
        visible_text(&page).contains("Rename"),
        "the account owns it now"
    );
}

#[tokio::test]
async fn compare_puts_configurations_side_by_side_and_highlights_the_differences() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    let (titanium, titanium_price) = titanium(&buyer).await;
    let steel = buyer.default_configuration("bicycle").await;
    let a = save(&buyer, &titanium).await;
    let b = save(&buyer, &steel).await;
    let (a, b) = (a.trim_start_matches("/c/"), b.trim_start_matches("/c/"));

    let (status, page) = buyer.page(&format!("/compare?c={a}&c={b}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    assert!(text.contains("Compare configurations"));
    assert!(text.contains("Frame (differs) Titanium"), "{text}");
    assert!(text.contains(&app::money::format_price(titanium_price)));
    assert!(text.contains("Ships in about 20 working days"));
    assert!(page.contains("class=\"differs\""));

    // From a product page: the current configuration first, then the buyer's saved ones.
    let mut current = steel.clone();
    current.insert("frame".into(), "aluminium".into());
    let mut query = String::from("/compare?slug=bicycle");
    for (group, option) in &current {
        query.push_str(&format!("&configuration%5B{group}%5D={option}"));
    }
    let (status, page) = buyer.page(&query).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&page);
    assert!(text.contains("Your current configuration"), "{text}");
    assert!(text.contains("Aluminium") && text.contains("Titanium"));

    // One alone is not a comparison; five are too many.
    let (_, page) = buyer.page(&format!("/compare?c={a}")).await;
    assert!(visible_text(&page).contains("Choose at least two configurations"));
    let (_, page) = buyer
        .page(&format!("/compare?c={a}&c={b}&c={a}&c={b}&c={a}"))
        .await;
    assert!(visible_text(&page).contains("at most 4"));
}
