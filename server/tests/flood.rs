//! A login flood against the server binary: 300 wrong logins at once, each from its own client
//! address (so no per-client limit stops them and every one asks for an argon2 hash). Password
//! hashing is bounded, so the server's resident memory stays under a stated bound, the health
//! check keeps answering, and every login gets 401, 429 or 503 quickly. Figures are printed.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::process::{ServerProcess, free_port};

/// Peak resident memory the server may reach during the flood. Unbounded, the same flood took
/// it to 1.5 GB (each argon2 hash takes 19 MiB); bounded, a few hashes run at a time.
const MEMORY_BOUND_MIB: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_parallel_logins_keep_memory_bounded_and_health_answering() {
    let database = common::TestDatabase::fresh().await;
    let server = ServerProcess::start(
        free_port(),
        &[
            ("DATABASE_URL", &database.url),
            ("RUST_LOG", "warn"),
            ("ATELIER_DB_MAX_CONNECTIONS", "20"),
        ],
    );
    let base = server.url("");
    let (rss_before, _) = server.memory_kib();

    let health = {
        let url = server.url("/healthz");
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            let until = Instant::now() + Duration::from_secs(4);
            while Instant::now() < until {
                let started = Instant::now();
                let status = client
                    .get(&url)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                answers.push((status, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        })
    };

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(300));
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..300u32 {
        let (base, start) = (base.clone(), start.clone());
        logins.spawn(async move {
            let local: std::net::IpAddr = format!("127.0.{}.{}", 1 + i / 200, 1 + i % 200)
                .parse()
                .unwrap();
            let client = reqwest::Client::builder()
                .local_address(local)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            start.wait().await;
            let started = Instant::now();
            let status = client
                .post(format!("{base}/api/login"))
                .header("origin", &base)
                .header("accept", "application/json")
                .form(&[
                    ("email", format!("flood{i}@example.com")),
                    ("password", "not the password".to_owned()),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, started.elapsed())
        });
    }
    let results = logins.join_all().await;
    let (rss_after, peak) = server.memory_kib();
    let health = health.await.unwrap();

    let mut by_status = BTreeMap::new();
    for (status, _) in &results {
        *by_status.entry(*status).or_insert(0) += 1;
    }
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let worst_health = health.iter().map(|(_, d)| *d).max().unwrap_or_default();
    println!(
        "login flood: {by_status:?}; login p50 {:?}, max {:?}; RSS {} MiB before, {} MiB after, peak {} MiB; /healthz {} probes, slowest {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
        rss_before / 1024,
        rss_after / 1024,
        peak / 1024,
        health.len(),
        worst_health,
    );
    assert!(
        by_status.keys().all(|s| matches!(s, 401 | 429 | 503)),
        "every login gets 401, 429 or 503: {by_status:?}"
    );
    assert!(
        by_status.contains_key(&401),
        "some were checked: {by_status:?}"
    );
    assert!(
        peak / 1024 < MEMORY_BOUND_MIB,
        "peak resident memory {} MiB is over the bound of {MEMORY_BOUND_MIB} MiB",
        peak / 1024
    );
    assert!(!health.is_empty());
    assert!(
        health.iter().all(|(status, _)| *status == 200),
        "/healthz answered throughout: {health:?}"
    );
}
