//! No oversell: 50 buyers check out at once against stock 5 — on SQLite, and on PostgreSQL with
//! two app servers sharing the database (when `ATELIER_TEST_POSTGRES` is set).

mod common;

use common::*;

/// Limits the option every default bicycle uses to `stock`, and returns it.
async fn limit_frame(shop: &Shop, frame: &str, stock: i64) {
    sqlx::query(
        "update option_stock set quantity = $1
         where group_id = 'frame' and option_id = $2 and product_id = (select id from products where slug = 'bicycle')",
    )
    .bind(stock)
    .bind(frame)
    .execute(shop.pool())
    .await
    .unwrap();
}

async fn race(servers: &[String]) -> (usize, usize) {
    let buyers: Vec<Visitor> = (0..50)
        .map(|i| Visitor::new(&servers[i % servers.len()]))
        .collect();
    for buyer in &buyers {
        buyer.add_default("bicycle", 1).await;
    }
    // All fifty place their order at the same moment.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(buyers.len()));
    let mut attempts = tokio::task::JoinSet::new();
    for (i, buyer) in buyers.into_iter().enumerate() {
        let start = start.clone();
        attempts.spawn(async move {
            start.wait().await;
            let email = format!("racer{i}@example.com");
            let (status, body) = buyer
                .call_json(
                    "place_order",
                    &[
                        ("email", email.as_str()),
                        ("full_name", "Ada Lovelace"),
                        ("address", "12 Analytical Row"),
                        ("city", "London"),
                        ("postal_code", "EC1A 1BB"),
                        ("country", "GB"),
                        ("payment", "invoice"),
                    ],
                )
                .await;
            (status, error_message(&body))
        });
    }
    let results = attempts.join_all().await;
    let won = results
        .iter()
        .filter(|(status, _)| *status == reqwest::StatusCode::OK)
        .count();
    // Every loser is told the truth: the frame sold out. A 500, a timeout or any other answer
    // fails the test.
    for (status, message) in results
        .iter()
        .filter(|(status, _)| *status != reqwest::StatusCode::OK)
    {
        assert_eq!(*status, reqwest::StatusCode::CONFLICT, "{message}");
        assert!(
            message.contains("Frame")
                && (message.contains("has just sold out") || message.contains("out of stock")),
            "{message}"
        );
    }
    (won, results.len() - won)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_checkouts_against_stock_five_give_exactly_five_orders() {
    let shop = Shop::start().await;
    let frame = shop.visitor().default_configuration("bicycle").await["frame"].clone();
    limit_frame(&shop, &frame, 5).await;
    let mut servers = vec![shop.url("")];
    let second = if shop.database.is_postgres() {
        let mut config = config(&shop.database.url);
        config.demo = false;
        let second = server::start(config).await.unwrap();
        servers.push(second.url(""));
        Some(second)
    } else {
        None
    };
    let (won, lost) = race(&servers).await;
    assert_eq!((won, lost), (5, 45));
    let orders = shop.order_count().await;
    assert_eq!(orders, 5);
    let left: i64 = sqlx::query_scalar(
        "select quantity from option_stock where group_id = 'frame' and option_id = $1
         and product_id = (select id from products where slug = 'bicycle')",
    )
    .bind(&frame)
    .fetch_one(shop.pool())
    .await
    .unwrap();
    assert_eq!(left, 0);
    if let Some(second) = second {
        second.stop().await.unwrap();
    }
}
