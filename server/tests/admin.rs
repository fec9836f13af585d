//! The merchandiser moves orders along their status path; the customer's timeline follows.

mod common;

use common::*;
use reqwest::StatusCode;

async fn merchandiser(shop: &Shop) -> Visitor {
    let merchandiser = shop.visitor();
    let response = merchandiser
        .login(MERCHANDISER_EMAIL, MERCHANDISER_PASSWORD)
        .await;
    assert_eq!(location(&response).as_deref(), Some("/admin/orders"));
    merchandiser
}

#[tokio::test]
async fn the_merchandiser_advances_an_order_and_the_customer_sees_each_step() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("standing-desk", 1).await;
    let number = buyer.checkout_by_invoice("desk@example.com").await;
    let admin = merchandiser(&shop).await;
    let (_, page) = admin.page("/admin/orders").await;
    let text = visible_text(&page);
    assert!(
        text.contains(&number) && text.contains("Advance to Paid"),
        "{text}"
    );

    let path = ["placed", "paid", "in_production", "shipped", "delivered"];
    let labels = ["Placed", "Paid", "In production", "Shipped", "Delivered"];
    for step in 1..path.len() {
        let response = admin
            .submit(
                "set_order_status",
                "/admin/orders",
                &[
                    ("number", &number),
                    ("from", path[step - 1]),
                    ("to", path[step]),
                ],
            )
            .await;
        assert_eq!(
            next_page(&response),
            Some(shop.url("/admin/orders")),
            "back to the list"
        );
        let (_, page) = buyer.page(&format!("/orders/{number}")).await;
        assert!(page.contains(&format!("<li data-reached=\"true\" class=\"reached\"><span class=\"dot\" aria-hidden=\"true\"></span><span class=\"step\">{}</span>", labels[step])), "step {} reached", labels[step]);
        assert!(visible_text(&page).contains(&format!("Status {}", labels[step])));
    }
}

#[tokio::test]
async fn a_status_change_based_on_an_old_view_or_off_the_path_is_refused() {
    let shop = Shop::start().await;
    let buyer = shop.visitor();
    buyer.add_default("desk-mat", 1).await;
    let number = buyer.checkout_by_invoice("mat@example.com").await;
    let admin = merchandiser(&shop).await;
    let (status, _) = admin
        .call_json(
            "set_order_status",
            &[("number", &number), ("from", "placed"), ("to", "paid")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = admin
        .call_json(
            "set_order_status",
            &[("number", &number), ("from", "placed"), ("to", "paid")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "someone else already moved it: {body}"
    );
    let (status, _) = admin
        .call_json(
            "set_order_status",
            &[("number", &number), ("from", "paid"), ("to", "delivered")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no skipping steps"
    );
    let stock_before: i64 =
        sqlx::query_scalar("select stock from products where slug = 'desk-mat'")
            .fetch_one(shop.pool())
            .await
            .unwrap();
    let (status, _) = admin
        .call_json(
            "set_order_status",
            &[("number", &number), ("from", "paid"), ("to", "cancelled")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stock_after: i64 = sqlx::query_scalar("select stock from products where slug = 'desk-mat'")
        .fetch_one(shop.pool())
        .await
        .unwrap();
    assert_eq!(
        stock_after,
        stock_before + 1,
        "a cancelled order gives its stock back"
    );
    let (_, page) = buyer.page(&format!("/orders/{number}")).await;
    assert!(visible_text(&page).contains("Status Cancelled"));
}
