//! `server`: the Atelier binary. Configuration comes from the environment (see the README).

use secrecy::ExposeSecret;
use server::{Config, start};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("atelier: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if config.json_logs {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let running = match start(config).await {
        Ok(running) => running,
        Err(error) => {
            tracing::error!(error = %error, "could not start");
            return std::process::ExitCode::FAILURE;
        }
    };
    // On the terminal only, never in the (JSON) log.
    if let Some(password) = &running.demo_merchandiser_password {
        println!(
            "Demo merchandiser: {} / {}  (log in at {})",
            server::demo::MERCHANDISER_EMAIL,
            password.expose_secret(),
            running.url("/login")
        );
    }
    println!("Atelier is serving at {}", running.state.settings.site_url);
    match running.wait(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = %error, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}

/// SIGTERM (from a process manager) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
