//! Database access shared by both backends: connecting (SQLite file created on demand, PostgreSQL
//! by URL), embedded migrations per backend, write transactions that take SQLite's write lock up
//! front, ids and clocks.

use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Transaction};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn of_pool(pool: &AnyPool) -> Backend {
        Backend::of_url(pool.connect_options().database_url.as_ref()).unwrap_or(Backend::Sqlite)
    }
}

/// Opens the pool and brings the schema up to date. A SQLite file (and its folder) is created if
/// missing.
pub async fn connect(url: &str, max_connections: u32) -> Result<AnyPool, ConnectError> {
    sqlx::any::install_default_drivers();
    let backend =
        Backend::of_url(url).ok_or_else(|| ConnectError::UnsupportedUrl(redact_url(url)))?;
    let url = match backend {
        Backend::Sqlite => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| ConnectError::Folder(dir.display().to_string(), e))?;
            }
            if url.contains('?') {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            }
        }
        Backend::Postgres => url.to_owned(),
    };
    let scrub = |error: sqlx::Error| {
        ConnectError::Connect(redact_url(&url), scrub_secret(&error.to_string(), &url))
    };
    let options = AnyConnectOptions::from_str(&url).map_err(scrub)?;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(15))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the one writer; the busy timeout makes a second
                    // writer wait for the lock instead of failing at once.
                    for pragma in [
                        "pragma journal_mode = wal",
                        "pragma synchronous = normal",
                        "pragma foreign_keys = on",
                        "pragma busy_timeout = 10000",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(scrub)?;
    match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await,
        Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await,
    }
    .map_err(|error| ConnectError::Migrate(scrub_secret(&error.to_string(), &url)))?;
    Ok(pool)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`begin immediate`), so two writers queue on the busy timeout instead of one failing when it
/// upgrades a read lock; PostgreSQL relies on row locks and conditional updates.
pub async fn begin_write(pool: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    match Backend::of_pool(pool) {
        Backend::Sqlite => pool.begin_with("begin immediate").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// A random id: 128 bits, hex. Never sequential, so ids reveal nothing about other records.
pub fn new_id() -> String {
    let bytes: [u8; 16] = rand::rngs::OsRng.r#gen();
    hex::encode(bytes)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The URL with its password replaced, fit for a log or an error message.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        // Not even a URL: show only its scheme, whatever else it holds may be secret.
        Err(_) => format!(
            "{}…",
            url.split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .take(12)
                .collect::<String>()
        ),
    }
}

/// `message` with the URL's password (if any) blanked, in case a driver quotes its input.
fn scrub_secret(message: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message.to_owned(),
    }
}

/// Why the database could not be opened at start-up. Never carries the database password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite: or postgres:, got {0}")]
    UnsupportedUrl(String),
    #[error("creating the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("connecting to the database at {0}: {1}")]
    Connect(String, String),
    #[error("migrating the database: {0}")]
    Migrate(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_reported_without_their_password() {
        let shown = redact_url("postgres://shop:hunter2-secret@db.internal:5432/atelier");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
        assert!(!redact_url("mysql://u:hunter2@x/y").contains("hunter2"));
        assert!(!redact_url("not a url hunter2").contains("hunter2"));
        assert_eq!(
            scrub_secret(
                "failed for postgres://u:pw123@h/d",
                "postgres://u:pw123@h/d"
            ),
            "failed for postgres://u:***@h/d"
        );
    }
}
