use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use herold_domain::audit::AuditSeal;

use crate::sql::{PgStore, SqliteStore};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or_default().to_owned();
            Err(StoreError::UnsupportedUrl(scheme))
        }
    }
}

/// Opens the database named by `url`; the scheme picks the backend. This is the only place
/// that knows which backends exist. `seal` keys the audit trail's entry seals.
pub async fn connect(url: &str, seal: AuditSeal) -> Result<Arc<dyn Store>> {
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = options.get_filename().parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(e.into()))?;
                }
            }
            let path = options.get_filename().to_owned();
            let pool = sqlite_pool().connect_with(options).await?;
            // The database holds personal data: readable by Herold's user only (SQLite gives
            // its -wal and -shm files the same mode).
            #[cfg(unix)]
            if path.exists() {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| StoreError::Database(e.into()))?;
            }
            Ok(Arc::new(SqliteStore::new(pool, seal)))
        }
        Backend::Postgres => {
            let pool = postgres_pool().connect(url).await?;
            Ok(Arc::new(PgStore::new(pool, seal)))
        }
    }
}

// A connection handed back to the pool inside a transaction is closed, not reused: whatever
// left it there (a cancelled call, a bug), the next user would otherwise inherit it, on SQLite
// with the write lock that stops every other writer. Closing rolls the transaction back.

fn sqlite_pool() -> SqlitePoolOptions {
    SqlitePoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(30)).after_release(
        |conn, _| {
            Box::pin(async move {
                // SQLite cannot be asked whether a transaction is open; a ROLLBACK that
                // succeeds says one was.
                Ok(sqlx::Executor::execute(&mut *conn, "ROLLBACK").await.is_err())
            })
        },
    )
}

fn postgres_pool() -> PgPoolOptions {
    PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).after_release(
        |conn, _| {
            Box::pin(async move {
                // Outside a transaction block a simple query (one message, which a `&str`
                // sends) is the first statement of its own transaction, so the two times are
                // the same; inside one left open they differ.
                let row = sqlx::Executor::fetch_one(
                    &mut *conn,
                    "SELECT statement_timestamp() = transaction_timestamp()",
                )
                .await?;
                sqlx::Row::try_get::<bool, _>(&row, 0)
            })
        },
    )
}
