//! Housekeeping that runs inside every app server: releasing the stock of card orders whose
//! payment time is over, and deleting expired sessions, abandoned guest carts and old rate-limit
//! windows. Every step is safe with several servers sharing one database (claims and deletes are
//! conditional), so no server is special and none has to be running for the others.

use std::time::{Duration, Instant};

use app::state::AppState;

/// Cleaning up is cheap but not urgent.
const CLEAN_EVERY: Duration = Duration::from_secs(600);

pub async fn run(state: AppState, every: Duration) {
    let mut last_clean: Option<Instant> = None;
    loop {
        tokio::time::sleep(every).await;
        match app::checkout::card::release_overdue(&state).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, "released the stock of unpaid card orders"),
            Err(error) => tracing::warn!(error = %error, "releasing unpaid card orders failed"),
        }
        if last_clean.is_none_or(|at| at.elapsed() >= CLEAN_EVERY) {
            last_clean = Some(Instant::now());
            if let Err(error) = clean(&state).await {
                tracing::warn!(error = %error, "housekeeping failed");
            }
        }
    }
}

/// Deletes what has expired; returns how many rows went.
pub async fn clean(state: &AppState) -> Result<u64, app::error::AppError> {
    let sessions = app::session::delete_expired(&state.pool).await?;
    let limits = app::rate_limit::delete_expired(&state.pool).await?;
    if sessions + limits > 0 {
        tracing::info!(
            sessions_and_carts = sessions,
            rate_limit_windows = limits,
            "expired rows deleted"
        );
    }
    Ok(sessions + limits)
}
