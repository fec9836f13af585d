//! The `fake-stripe` binary: runs the fake until SIGINT/SIGTERM, configured by environment
//! variables so browser tests can start it as a process.
//!
//! - `FAKE_STRIPE_ADDR` (default `127.0.0.1:12111`, loopback only)
//! - `FAKE_STRIPE_SECRET_KEY` (default `sk_test_atelier`)
//! - `FAKE_STRIPE_WEBHOOK_SECRET` (default `whsec_atelier`)
//! - `FAKE_STRIPE_WEBHOOK_URL` (optional)
//! - `FAKE_STRIPE_DELIVERY_TIMEOUT_SECS` (default 10)

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use fake_stripe::{Config, FakeStripe};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn config() -> Result<Config, String> {
    let addr = env("FAKE_STRIPE_ADDR").unwrap_or_else(|| "127.0.0.1:12111".into());
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("FAKE_STRIPE_ADDR={addr:?} is not an address: {e}"))?;
    let timeout = match env("FAKE_STRIPE_DELIVERY_TIMEOUT_SECS") {
        None => Duration::from_secs(10),
        Some(v) => Duration::from_secs(v.parse().map_err(|e| {
            format!("FAKE_STRIPE_DELIVERY_TIMEOUT_SECS={v:?} is not a number: {e}")
        })?),
    };
    Ok(Config {
        addr,
        secret_key: env("FAKE_STRIPE_SECRET_KEY")
            .unwrap_or_else(|| fake_stripe::DEFAULT_SECRET_KEY.into()),
        webhook_secret: env("FAKE_STRIPE_WEBHOOK_SECRET")
            .unwrap_or_else(|| fake_stripe::DEFAULT_WEBHOOK_SECRET.into()),
        webhook_url: env("FAKE_STRIPE_WEBHOOK_URL"),
        delivery_timeout: timeout,
    })
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "fake_stripe=info".into()),
        )
        .init();
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fake-stripe: {e}");
            return ExitCode::from(2);
        }
    };
    let running = match FakeStripe::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fake-stripe: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One line on stdout that a test harness can wait for.
    println!("fake-stripe listening on {}", running.base_url());
    stop_signal().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}
