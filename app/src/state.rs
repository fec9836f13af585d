//! Process-wide state shared by every request: the database pool, settings read at start-up, the
//! Stripe settings when card payments are configured, the bounded pools for CPU-heavy work
//! (password hashing, the configurator engine), and what depends only on a rule version
//! (compiled rule sets; a cache cannot go stale because a new version is a new key).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRef;
use configurator::Configurator;
use leptos::config::LeptosOptions;
use secrecy::ExposeSecret;
use sqlx::AnyPool;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// A secret that never prints, is never serialised and is wiped from memory when dropped.
pub type Secret = secrecy::SecretString;

#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// `https://api.stripe.com` in production; a local fake in tests.
    pub api_base: String,
    /// How long one call to Stripe may take before the shop stops waiting.
    pub timeout: Duration,
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

    pub fn client(&self) -> stripe::Client {
        stripe::Client::from_url(self.api_base.as_str(), self.secret_key.expose_secret())
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Public base URL, e.g. `https://shop.example`; used for Stripe return URLs, the CSRF origin
    /// check, and to decide whether cookies are `Secure`.
    pub site_url: url::Url,
    pub stripe: Option<StripeSettings>,
    pub currency: String,
    /// How long an unpaid card order holds its stock.
    pub payment_hold: Duration,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.site_url.scheme() == "https"
    }

    /// `https://shop.example` without a trailing slash, for building absolute URLs.
    pub fn site_base(&self) -> String {
        self.site_url.as_str().trim_end_matches('/').to_owned()
    }
}

/// Bounds on CPU-heavy work. Beyond the bound a request waits briefly, then is refused with
/// 503, so a flood queues instead of exhausting memory (an argon2 hash takes 19 MiB).
#[derive(Clone)]
pub struct Limits {
    pub hashing: Arc<Semaphore>,
    pub engine: Arc<Semaphore>,
    /// The most search steps compiling one rule set may take; a rule set that needs more is
    /// refused (the console says so at publish, and the published version keeps serving).
    pub compile_steps: u64,
}

impl Limits {
    /// Hashing is pure CPU and memory: more at once than cores only costs memory. Engine work
    /// is shorter and sometimes waits on nothing, so it gets twice as many.
    pub fn for_cores(cores: usize) -> Limits {
        Limits {
            hashing: Arc::new(Semaphore::new(cores.max(2))),
            engine: Arc::new(Semaphore::new(cores.max(1) * 2)),
            compile_steps: configurator::COMPILE_STEPS,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::for_cores(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: AnyPool,
    pub settings: Arc<Settings>,
    pub configurators: ConfiguratorCache,
    pub limits: Limits,
    pub versioned: VersionedCache,
}

/// Compiled rule sets by (product id, rule version).
#[derive(Clone, Default)]
pub struct ConfiguratorCache(Arc<Mutex<CompiledRuleSets>>);

/// (product id, rule version) → compiled rule set.
type CompiledRuleSets = HashMap<(String, i64), Arc<Configurator>>;

impl ConfiguratorCache {
    pub fn get(&self, product_id: &str, version: i64) -> Option<Arc<Configurator>> {
        lock(&self.0)
            .get(&(product_id.to_owned(), version))
            .cloned()
    }

    pub fn insert(&self, product_id: &str, version: i64, compiled: Arc<Configurator>) {
        lock(&self.0).insert((product_id.to_owned(), version), compiled);
    }
}

/// Results that depend only on (product, rule version, set of sold-out options): the lowest
/// price on the home page and the product page without choices. Bounded: when full it starts
/// over, which costs one recomputation per product.
#[derive(Clone, Default)]
pub struct VersionedCache(Arc<Mutex<HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>>);

const VERSIONED_CACHE_ENTRIES: usize = 4096;

impl VersionedCache {
    pub fn get<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<T>> {
        lock(&self.0)
            .get(key)
            .cloned()
            .and_then(|value| value.downcast::<T>().ok())
    }

    pub fn insert<T: Send + Sync + 'static>(&self, key: String, value: Arc<T>) {
        let mut map = lock(&self.0);
        if map.len() >= VERSIONED_CACHE_ENTRIES {
            map.clear();
        }
        map.insert(key, value);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a map half-written (insert is atomic).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs CPU-heavy engine work on the blocking pool, at most `limits.engine` at a time. Waits up
/// to 10 s for a slot, then answers "busy".
pub async fn run_engine<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    run_bounded(&state.limits.engine, Duration::from_secs(10), work).await
}

/// Runs `work` on the blocking pool once one of `slots` is free, inside the caller's tracing
/// span; after waiting `wait` for a slot it answers "busy" (503) without doing anything.
pub async fn run_bounded<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    wait: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = tokio::time::timeout(wait, slots.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|_| AppError::Busy)?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        span.in_scope(work)
    })
    .await
    .map_err(crate::error::internal)
}

/// The request id the server's middleware gave this request (`x-request-id`), carried into
/// errors and logs.
pub fn current_request_id() -> String {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(crate::db::new_id)
}

/// The state provided to every page render and server function.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| crate::error::internal("AppState missing from context"))
}
