//! Everything SQLite and PostgreSQL do differently, for the SQL both run. All other SQL text
//! is shared: both take `$n` placeholders, `RETURNING`, `ON CONFLICT … excluded.` and
//! `COALESCE`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use tokio::sync::Notify;

use crate::Backend;

/// The PostgreSQL channel on which commits that queued deliveries are announced.
const QUEUED_CHANNEL: &str = "herold_deliveries";
/// How often SQLite's data version is read for commits of other processes.
const DATA_VERSION_POLL: Duration = Duration::from_millis(50);

type Announce<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub(crate) trait Dialect: sqlx::Database {
    const BACKEND: Backend;
    /// How a transaction that will write begins.
    const BEGIN_WRITE: &'static str;
    /// Appended to the delivery claim's inner `SELECT` so that concurrent workers take
    /// different rows.
    const CLAIM_LOCK: &'static str;
    /// Run before an audit append so that appends take sequence numbers one at a time.
    const AUDIT_LOCK: Option<&'static str>;
    /// The function that builds a JSON object from key/value arguments.
    const JSON_OBJECT: &'static str;

    fn migrator() -> &'static Migrator;

    /// Tells the other processes on this database that deliveries were queued (after the
    /// commit; a failure only delays them until their next poll).
    fn announce_queued(pool: &sqlx::Pool<Self>) -> Announce<'_>;

    /// Raises `wake` whenever another process may have queued deliveries, for as long as the
    /// runtime runs.
    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>);
}

impl Dialect for sqlx::Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    // Write transactions take the write lock up front: a deferred transaction that reads
    // first fails with SQLITE_BUSY_SNAPSHOT when another writer commits in between.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // One writer at a time: a claim cannot meet another.
    const CLAIM_LOCK: &'static str = "";
    // One writer at a time: appends cannot interleave.
    const AUDIT_LOCK: Option<&'static str> = None;
    const JSON_OBJECT: &'static str = "json_object";

    fn migrator() -> &'static Migrator {
        &crate::migrations::SQLITE
    }

    // Every process sees the database file change: nothing to send.
    fn announce_queued(_pool: &sqlx::Pool<Self>) -> Announce<'_> {
        Box::pin(async {})
    }

    /// `PRAGMA data_version` changes when another connection commits: read on a connection of
    /// its own every 50 ms (microseconds each), it tells of commits by other processes.
    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>) {
        use sqlx::Connection;
        tokio::spawn(async move {
            let options = pool.connect_options();
            let mut last = None;
            loop {
                let mut conn = match sqlx::SqliteConnection::connect_with(&options).await {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot watch the database for other processes' deliveries");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                };
                loop {
                    match sqlx::query_scalar::<_, i64>("PRAGMA data_version").fetch_one(&mut conn).await {
                        Ok(version) => {
                            if last.is_some_and(|seen| seen != version) {
                                wake.notify_one();
                            }
                            last = Some(version);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "watching the database for other processes' deliveries");
                            // A new connection counts versions afresh.
                            last = None;
                            break;
                        }
                    }
                    tokio::time::sleep(DATA_VERSION_POLL).await;
                }
            }
        });
    }
}

impl Dialect for sqlx::Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const BEGIN_WRITE: &'static str = "BEGIN";
    // A worker skips the rows another worker is claiming instead of waiting for them.
    const CLAIM_LOCK: &'static str = " FOR UPDATE OF d SKIP LOCKED";
    // Transactions that append run concurrently; a transaction-scoped advisory lock keeps
    // sequence numbers gap-free and in commit order.
    const AUDIT_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7267657)");
    const JSON_OBJECT: &'static str = "json_build_object";

    fn migrator() -> &'static Migrator {
        &crate::migrations::POSTGRES
    }

    fn announce_queued(pool: &sqlx::Pool<Self>) -> Announce<'_> {
        Box::pin(async move {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, '')").bind(QUEUED_CHANNEL).execute(pool).await {
                tracing::warn!(error = %e, "other processes could not be told of queued deliveries");
            }
        })
    }

    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>) {
        tokio::spawn(async move {
            loop {
                let listening = async {
                    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
                    listener.listen(QUEUED_CHANNEL).await?;
                    // Whatever was announced while nobody listened is found by this claim.
                    wake.notify_one();
                    loop {
                        listener.recv().await?;
                        wake.notify_one();
                    }
                };
                let result: Result<(), sqlx::Error> = listening.await;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "listening for other processes' deliveries");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
