//! Configuration from the environment, with the defaults the README documents. Secrets are
//! wrapped so they never print.

use std::net::SocketAddr;

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
    pub stripe: Option<StripeSettings>,
    /// Load the demo catalogue when the catalogue is empty.
    pub demo: bool,
    pub demo_merchandiser_password: Option<Secret>,
    pub json_logs: bool,
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
                secret_key: Secret::new(secret_key),
                webhook_secret: Secret::new(webhook_secret),
                api_base: var("STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
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
        let max_connections = match var("ATELIER_DB_MAX_CONNECTIONS") {
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                name: "ATELIER_DB_MAX_CONNECTIONS",
                reason: "expected a number".into(),
            })?,
            None => 10,
        };
        Ok(Config {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/atelier.db".to_owned()),
            database_max_connections: max_connections,
            addr,
            site_url: var("SITE_URL"),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()),
            output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "atelier".to_owned()),
            stripe,
            demo: var("ATELIER_DEMO").is_none_or(|v| v != "0" && v != "false"),
            demo_merchandiser_password: var("ATELIER_DEMO_MERCHANDISER_PASSWORD").map(Secret::new),
            json_logs: var("ATELIER_LOG_FORMAT").is_none_or(|v| v == "json"),
        })
    }
}
