//! Kill -9 in the middle: the server binary is killed while twenty buyers check out at once,
//! started again on the same database, and every order is whole (its lines, its event, its
//! stock taken) or absent, with the buyer's cart emptied exactly when their order exists; and
//! stock left plus stock sold equals stock at the start. On SQLite (WAL) and on PostgreSQL.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::process::{ServerProcess, free_port, wait_until_up};
use common::*;

async fn stock_levels(pool: &sqlx::AnyPool) -> BTreeMap<String, i64> {
    let options: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select p.slug, s.group_id, s.option_id, s.quantity from option_stock s join products p on p.id = s.product_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let products: Vec<(String, i64)> =
        sqlx::query_as("select slug, stock from products where stock is not null")
            .fetch_all(pool)
            .await
            .unwrap();
    options
        .into_iter()
        .map(|(slug, group, option, quantity)| (format!("{slug}/{group}/{option}"), quantity))
        .chain(products)
        .collect()
}

/// Stock taken by the orders that exist and are not cancelled, per stock row.
async fn stock_sold(pool: &sqlx::AnyPool) -> BTreeMap<String, i64> {
    let lines: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "select p.slug, l.configuration, l.quantity, p.stock from order_lines l
         join orders o on o.id = l.order_id join products p on p.id = l.product_id
         where o.status <> 'cancelled'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut sold = BTreeMap::new();
    for (slug, configuration, quantity, simple_stock) in lines {
        let configuration: BTreeMap<String, String> = serde_json::from_str(&configuration).unwrap();
        if configuration.is_empty() && simple_stock.is_some() {
            *sold.entry(slug.clone()).or_insert(0) += quantity;
        }
        for (group, option) in configuration {
            *sold.entry(format!("{slug}/{group}/{option}")).or_insert(0) += quantity;
        }
    }
    sold
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_are_whole_or_absent_after_a_kill_during_twenty_checkouts() {
    let database = TestDatabase::fresh().await;
    let port = free_port();
    let env = [
        ("DATABASE_URL", database.url.as_str()),
        ("ATELIER_DEMO", "1"),
        ("ATELIER_DEMO_MERCHANDISER_PASSWORD", "crash-test-password"),
        ("RUST_LOG", "warn"),
    ];
    let mut server = ServerProcess::start(port, &env);
    let base = server.url("");
    let buyers: Vec<Visitor> = (0..20).map(|_| Visitor::new(&base)).collect();
    for (i, buyer) in buyers.iter().enumerate() {
        buyer
            .add_default(if i % 2 == 0 { "bicycle" } else { "bike-lock" }, 1)
            .await;
    }
    let pool = app::db::connect(&database.url, 2).await.unwrap();
    let before = stock_levels(&pool).await;

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(21));
    let mut checkouts = tokio::task::JoinSet::new();
    for (i, buyer) in buyers.iter().cloned().enumerate() {
        let start = start.clone();
        checkouts.spawn(async move {
            start.wait().await;
            // The answer may never come: the server is killed under it.
            let email = format!("crash{i}@example.com");
            let _ = buyer
                .client
                .post(format!("{}/api/place_order", buyer.base))
                .header("accept", "text/html")
                .form(&[
                    ("email", email.as_str()),
                    ("full_name", "Crash Test"),
                    ("address", "1 Kill Street"),
                    ("city", "Berlin"),
                    ("postal_code", "10115"),
                    ("country", "DE"),
                    ("payment", "invoice"),
                ])
                .send()
                .await;
        });
    }
    start.wait().await;
    // Killed once five orders are in: some checkouts done, others in the middle.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let placed: i64 = sqlx::query_scalar("select count(*) from orders")
            .fetch_one(&pool)
            .await
            .unwrap();
        if placed >= 5 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill_hard();
    while checkouts.join_next().await.is_some() {}

    let server = ServerProcess::start(port, &env);
    wait_until_up(&server.url("/healthz")).await;
    let orders: Vec<(String, String, i64)> = sqlx::query_as("select id, email, total from orders")
        .fetch_all(&pool)
        .await
        .unwrap();
    println!("after the kill: {} of 20 orders exist", orders.len());
    for (id, email, total) in &orders {
        let lines: Vec<(i64, i64)> =
            sqlx::query_as("select unit_price, quantity from order_lines where order_id = $1")
                .bind(id)
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(lines.len(), 1, "{email}: its line");
        assert_eq!(
            lines.iter().map(|(p, q)| p * q).sum::<i64>(),
            *total,
            "{email}: the total is its lines"
        );
        let events: Vec<String> =
            sqlx::query_scalar("select status from order_events where order_id = $1")
                .bind(id)
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(events, ["placed"], "{email}: its event");
        let grants: i64 =
            sqlx::query_scalar("select count(*) from order_grants where order_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(grants, 1, "{email}: the buyer can see it");
    }
    // A buyer's cart is empty exactly when their order exists.
    for (i, buyer) in buyers.iter().enumerate() {
        let buyer = Visitor {
            base: server.url(""),
            ..buyer.clone()
        };
        let has_order = orders
            .iter()
            .any(|(_, email, _)| *email == format!("crash{i}@example.com"));
        let cart_lines = buyer.cart().await["lines"].as_array().unwrap().len();
        assert_eq!(
            cart_lines,
            usize::from(!has_order),
            "buyer {i}: order {has_order}, cart {cart_lines}"
        );
    }
    let after = stock_levels(&pool).await;
    let sold = stock_sold(&pool).await;
    for (row, start) in &before {
        let left = after[row];
        let taken = sold.get(row).copied().unwrap_or(0);
        assert_eq!(left + taken, *start, "{row}: {left} left + {taken} sold");
    }
    pool.close().await;
}
