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

    /// Appended to a `SELECT` of one row that a concurrent transaction must not change
    /// before this one commits (PostgreSQL's transactions read committed data only).
    const SHARE_LOCK: &'static str;
    /// Appended to a `SELECT` of one row that concurrent writers of it must wait for.
    const UPDATE_LOCK: &'static str;

    /// Tells the other processes on this database that deliveries were queued (after the
    /// commit; a failure only delays them until their next poll). `origin` names this
    /// process, so that it does not wake itself twice.
    fn announce_queued<'a>(pool: &'a sqlx::Pool<Self>, origin: &'a str) -> Announce<'a>;

    /// Raises `wake` whenever another process may have queued deliveries, for as long as the
    /// runtime runs. What is queued before it starts listening is found by the worker's
    /// claim that precedes its first wait, or by its poll.
    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>, origin: String);
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

    // One writer at a time: the write lock, taken at BEGIN IMMEDIATE, covers every row.
    const SHARE_LOCK: &'static str = "";
    const UPDATE_LOCK: &'static str = "";

    // Every process sees the database file change: nothing to send.
    fn announce_queued<'a>(_pool: &'a sqlx::Pool<Self>, _origin: &'a str) -> Announce<'a> {
        Box::pin(async {})
    }

    /// `PRAGMA data_version` changes when another connection commits: read on a connection of
    /// its own every 50 ms (microseconds each), it tells of commits by other processes (and
    /// of this process's own, which only wakes the worker once more).
    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>, _origin: String) {
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

    const SHARE_LOCK: &'static str = " FOR SHARE";
    const UPDATE_LOCK: &'static str = " FOR UPDATE";

    fn announce_queued<'a>(pool: &'a sqlx::Pool<Self>, origin: &'a str) -> Announce<'a> {
        Box::pin(async move {
            let notify = sqlx::query("SELECT pg_notify($1, $2)").bind(QUEUED_CHANNEL).bind(origin);
            if let Err(e) = notify.execute(pool).await {
                tracing::warn!(error = %e, "other processes could not be told of queued deliveries");
            }
        })
    }

    fn watch_queued(pool: sqlx::Pool<Self>, wake: Arc<Notify>, origin: String) {
        tokio::spawn(async move {
            loop {
                let listening = async {
                    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
                    listener.listen(QUEUED_CHANNEL).await?;
                    loop {
                        if listener.recv().await?.payload() != origin {
                            wake.notify_one();
                        }
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
