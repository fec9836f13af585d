//! Process-wide state shared by every request: the database pool, settings read at start-up, the
//! Stripe client when card payments are configured, and compiled configurators keyed by product
//! and rule version (compiling is pure, so a cache cannot go stale: a new version is a new key).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRef;
use configurator::Configurator;
use leptos::config::LeptosOptions;
use sqlx::AnyPool;

use crate::error::AppError;

/// A secret that never prints and is never serialised.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// `https://api.stripe.com` in production; a local fake in tests.
    pub api_base: String,
}

impl StripeSettings {
    /// The origin of the hosted payment pages buyers are sent to (allowed as a form target).
    pub fn checkout_origin(&self) -> String {
        if self.api_base.contains("api.stripe.com") {
            "https://checkout.stripe.com".to_owned()
        } else {
            self.api_base.trim_end_matches('/').to_owned()
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Public base URL, e.g. `https://shop.example`; used for Stripe return URLs and to decide
    /// whether cookies are `Secure`.
    pub site_url: String,
    pub stripe: Option<StripeSettings>,
    pub currency: String,
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.site_url.starts_with("https://")
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: AnyPool,
    pub settings: Arc<Settings>,
    pub configurators: ConfiguratorCache,
}

/// Compiled rule sets by (product id, rule version).
#[derive(Clone, Default)]
pub struct ConfiguratorCache(Arc<Mutex<CompiledRuleSets>>);

/// (product id, rule version) → compiled rule set.
type CompiledRuleSets = HashMap<(String, i64), Arc<Configurator>>;

impl ConfiguratorCache {
    pub fn get_or_compile(
        &self,
        product_id: &str,
        version: i64,
        rule_set_json: &str,
    ) -> Result<Arc<Configurator>, AppError> {
        let key = (product_id.to_owned(), version);
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let rules: configurator::RuleSet = serde_json::from_str(rule_set_json)
            .map_err(|e| crate::error::internal(format_args!("rule set of {product_id}: {e}")))?;
        let compiled = Configurator::compile(&rules)
            .map_err(|e| crate::error::internal(format_args!("rule set of {product_id}: {e}")))?;
        let compiled = Arc::new(compiled);
        self.lock().insert(key, compiled.clone());
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CompiledRuleSets> {
        // A panic while holding the lock cannot leave the map half-written (insert is atomic).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The request id given by the hardening middleware, carried into errors and logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub fn current_request_id() -> String {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestId>().map(|id| id.0.clone()))
        .unwrap_or_else(crate::db::new_id)
}

/// The state provided to every page render and server function.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| crate::error::internal("AppState missing from context"))
}
