//! The Atelier server: reads configuration, opens and migrates the database, loads the demo
//! catalogue when asked, builds the router (pages, server functions, webhook, health checks,
//! precompressed assets), starts the housekeeping jobs and serves until asked to stop. `start`
//! is what `main` and the integration tests both call.

// The product page's view type (the configurator island inside a suspense) is deep.
#![recursion_limit = "256"]

pub mod config;
pub mod demo;
pub mod hardening;
pub mod jobs;
pub mod precompress;

use std::net::SocketAddr;
use std::sync::Arc;

use app::state::{AppState, ConfiguratorCache, Limits, Secret, Settings, VersionedCache};
use app::{App, shell};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;

pub use config::Config;

/// A running server: its address, its state (tests read the database through it), and the way
/// to stop it gracefully.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Set when the demo merchandiser was created at this start.
    pub demo_merchandiser_password: Option<Secret>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    jobs: JoinHandle<()>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.jobs.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Waits until the server stops on its own (it does not, unless the stop signal fires).
    pub async fn wait(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        shutdown.await;
        self.stop().await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] app::db::ConnectError),
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    #[error("listening on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("SITE_URL is not a URL: {0}")]
    SiteUrl(String),
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    let pool = app::db::connect(&config.database_url, config.database_max_connections).await?;
    let mut demo_merchandiser_password = None;
    if config.demo {
        if demo::seed_catalogue(&pool).await? {
            tracing::info!("loaded the demo catalogue");
        }
        if demo::seed_help(&pool).await? {
            tracing::info!("loaded the demo help centre");
        }
        demo_merchandiser_password =
            demo::seed_merchandiser(&pool, config.demo_merchandiser_password.as_ref()).await?;
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| StartError::Listen(config.addr, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Listen(config.addr, e))?;
    let leptos_options = LeptosOptions::builder()
        .output_name(config.output_name.as_str())
        .site_root(config.site_root.as_str())
        .site_addr(addr)
        .hash_files(config.hash_files)
        .build();
    let site_url = config
        .site_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let site_url = url::Url::parse(&site_url).map_err(|e| StartError::SiteUrl(e.to_string()))?;
    let state = AppState {
        leptos_options,
        pool,
        settings: Arc::new(Settings {
            site_url,
            stripe: config.stripe.clone(),
            currency: "eur".to_owned(),
            payment_hold: config.payment_hold,
            trusted_proxies: config.trusted_proxies.clone(),
        }),
        configurators: ConfiguratorCache::default(),
        limits: Limits {
            compile_steps: config.compile_steps,
            ..Limits::default()
        },
        versioned: VersionedCache::default(),
    };
    precompress::in_background(std::path::Path::new(&config.site_root).join("pkg"));
    precompress::in_background(help_search_dir(&config.site_root));
    let jobs = tokio::spawn(jobs::run(state.clone(), config.jobs_every));
    let router = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await
    });
    tracing::info!(%addr, "Atelier is listening");
    Ok(Running {
        addr,
        state,
        demo_merchandiser_password,
        stop: Some(stop),
        task,
        jobs,
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let shell_fn = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let pkg = std::path::Path::new(state.leptos_options.site_root.as_ref())
        .join(state.leptos_options.site_pkg_dir.as_ref());
    let help_search = help_search_dir(state.leptos_options.site_root.as_ref());
    // Stripe's events can be larger than any form.
    let webhook = Router::new()
        .route(
            "/webhooks/stripe",
            post(app::checkout::card::stripe_webhook),
        )
        .layer(RequestBodyLimitLayer::new(hardening::WEBHOOK_BODY_LIMIT));
    // An image upload is larger than any form; its handler bounds the image itself.
    let upload = Router::new()
        .route(
            "/admin/catalogue/{slug}/image",
            post(app::admin::images::ssr::upload),
        )
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            app::admin::images::ssr::UPLOAD_BODY_LIMIT,
        ));
    // Health checks hold only the pool: they answer thousands of times a second, and cloning the
    // whole `AppState` per request would be most of their cost.
    // A rule file (a car range as XCSP) is larger than any form; the handler bounds each file.
    let rule_files = Router::new()
        .route(
            "/admin/products/{slug}/rules/import",
            post(app::admin::rule_files::ssr::import),
        )
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            app::admin::rule_files::ssr::IMPORT_BODY_LIMIT,
        ));
    let health = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state.pool.clone());
    let site = Router::new()
        // Built assets, with the .br / .gz files written next to them when there are some.
        .nest_service(
            "/pkg",
            ServeDir::new(pkg).precompressed_br().precompressed_gzip(),
        )
        // The help search's own wasm, loaded when someone first uses the search box.
        .nest_service(
            "/help-search",
            ServeDir::new(help_search)
                .precompressed_br()
                .precompressed_gzip(),
        )
        // The help search's index: the current version's address, and each version for good.
        .route("/help-index", get(app::help::search::ssr::latest_index))
        .route(
            "/help-index/{file}",
            get(app::help::search::ssr::index_file),
        )
        // The rules a product page's configurator loads, by version: cached for good.
        .route(
            "/rules/{product}/{file}",
            get(app::catalogue::ssr::rules_data),
        )
        // Uploaded product images, by their random id: cached for good.
        .route("/images/u/{file}", get(app::admin::images::ssr::serve))
        // A product's rules as a file, for merchandisers.
        .route(
            "/admin/products/{slug}/rules.json",
            get(app::admin::rule_files::ssr::export),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), shell_fn)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            hardening::body_limit,
        ));
    let app = hardening::site_layers(site.merge(webhook).merge(upload).merge(rule_files), &state)
        .merge(health);
    hardening::common_layers(app, &state).with_state(state)
}

/// Where the help search's wasm module is: beside the site root (`target/help-search` for
/// `target/site`), because cargo-leptos empties the site root on every build except what it
/// builds itself. `scripts/lib.sh` (`build_help_search`) puts it there.
fn help_search_dir(site_root: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(site_root);
    root.parent().unwrap_or(root).join("help-search")
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
async fn readyz(State(pool): State<sqlx::AnyPool>) -> (StatusCode, &'static str) {
    let ping = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query_scalar::<_, i64>("select 1").fetch_one(&pool),
    )
    .await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
