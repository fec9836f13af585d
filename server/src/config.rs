//! Configuration from the environment, with the defaults the README documents. Secrets are
//! `secrecy` types, so they never print.

use std::net::SocketAddr;
use std::time::Duration;

use app::state::{Secret, StripeSettings};

#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://data/atelier.db` (default) or `postgres://…`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// Where to listen; port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// The public URL of the shop; defaults to `http://<addr>`.
    pub site_url: Option<String>,
    pub site_root: String,
    pub output_name: String,
    /// cargo-leptos `hash-files`: asset names carry a content hash, so they are cached for good.
    pub hash_files: bool,
    pub stripe: Option<StripeSettings>,
    /// Load the demo catalogue (when the catalogue is empty) and create the demo merchandiser.
    /// Off unless asked for (`scripts/serve` asks).
    pub demo: bool,
    pub demo_merchandiser_password: Option<Secret>,
    pub json_logs: bool,
    /// How long an unpaid card order holds its stock (`ATELIER_PAYMENT_HOLD_MIN`).
    pub payment_hold: Duration,
    /// `ATELIER_TRUSTED_PROXIES`: peers whose forwarded-for headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How often the housekeeping jobs run (payment holds, expired sessions and carts).
    pub jobs_every: Duration,
    /// `ATELIER_COMPILE_STEPS`: the most search steps the engine may spend compiling one rule
    /// set (the shop and the console's check and publish alike).
    pub compile_steps: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let addr = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let addr = addr
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "LEPTOS_SITE_ADDR",
                reason: e.to_string(),
            })?;
        let stripe = match (var("STRIPE_SECRET_KEY"), var("STRIPE_WEBHOOK_SECRET")) {
            (Some(secret_key), Some(webhook_secret)) => Some(StripeSettings {
                secret_key: Secret::from(secret_key),
                webhook_secret: Secret::from(webhook_secret),
                api_base: var("STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
                timeout: Duration::from_secs(number("STRIPE_TIMEOUT_SECS", 10)?),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "STRIPE_SECRET_KEY",
                    reason: "set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or neither"
                        .into(),
                });
            }
        };
        let max_connections = number("ATELIER_DB_MAX_CONNECTIONS", 10)? as u32;
        let site_url = var("SITE_URL");
        if let Some(url) = &site_url {
            let parsed = url::Url::parse(url).map_err(|e| ConfigError::Invalid {
                name: "SITE_URL",
                reason: e.to_string(),
            })?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(ConfigError::Invalid {
                    name: "SITE_URL",
                    reason: "expected http://host[:port] or https://host[:port]".into(),
                });
            }
        }
        let trusted_proxies =
            app::client::parse_trusted(&var("ATELIER_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|reason| ConfigError::Invalid {
                    name: "ATELIER_TRUSTED_PROXIES",
                    reason,
                })?;
        Ok(Config {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/atelier.db".to_owned()),
            database_max_connections: max_connections,
            addr,
            site_url,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()),
            output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "atelier".to_owned()),
            hash_files: var("LEPTOS_HASH_FILES").is_some_and(|v| v == "true" || v == "1"),
            stripe,
            demo: var("ATELIER_DEMO").is_some_and(|v| v == "1" || v == "true"),
            demo_merchandiser_password: var("ATELIER_DEMO_MERCHANDISER_PASSWORD").map(Secret::from),
            json_logs: var("ATELIER_LOG_FORMAT").is_none_or(|v| v == "json"),
            payment_hold: Duration::from_secs(60 * number("ATELIER_PAYMENT_HOLD_MIN", 30)?),
            trusted_proxies,
            jobs_every: Duration::from_secs(number("ATELIER_JOBS_EVERY_SECS", 30)?.max(1)),
            compile_steps: number("ATELIER_COMPILE_STEPS", configurator::COMPILE_STEPS)?.max(1),
        })
    }
}

/// A whole number from the environment, or `default` when unset.
fn number(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match var(name) {
        Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("expected a whole number, got {text:?}"),
        }),
        None => Ok(default),
    }
}
