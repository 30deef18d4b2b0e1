//! Everything SQLite and PostgreSQL do differently, for the SQL both run. All other SQL text
//! is shared: both take `$n` placeholders, `RETURNING`, `ON CONFLICT … excluded.` and
//! `COALESCE`.

use sqlx::migrate::Migrator;

use crate::Backend;

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
}
