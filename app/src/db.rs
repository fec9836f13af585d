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
        Backend::of_url(url).ok_or_else(|| ConnectError::UnsupportedUrl(url.to_owned()))?;
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
    let options = AnyConnectOptions::from_str(&url)?;
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
        .await?;
    match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await,
        Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await,
    }?;
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

/// Why the database could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite: or postgres:, got {0:?}")]
    UnsupportedUrl(String),
    #[error("creating the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("connecting to the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
