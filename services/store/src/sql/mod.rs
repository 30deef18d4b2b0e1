//! The SQL behind the storage contract, written once for both backends.
//!
//! Each area's file (`accounts.rs`, `outbox.rs`, …) is ordinary Rust over one database type,
//! `super::Db`. `sqlite.rs` and `postgres.rs` compile every area file as a module of their
//! own with `Db` set to their backend, so both run the same SQL text and rustfmt, the
//! compiler and the IDE see it as plain code. What the dialects do differently is named in
//! `dialect.rs` and nowhere else; what needs no database type lives here.

use herold_domain::audit::AuditSeal;
use herold_domain::Millis;

use crate::*;

mod classes;
mod dialect;
mod json_text;
mod postgres;
mod sqlite;

pub(crate) use classes::{ClassSpec, CLASSES};
pub(crate) use dialect::Dialect;
pub(crate) use json_text::JsonText;

/// The store on one backend. The areas' traits are implemented for `SqlStore<Sqlite>` and
/// `SqlStore<Postgres>` by the area files.
pub struct SqlStore<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    seal: AuditSeal,
    /// Raised after every commit that queued deliveries (see `Outbox::deliveries_queued`),
    /// in this process or, through the database, in another.
    queued: std::sync::Arc<tokio::sync::Notify>,
    /// Whether other processes' commits are watched yet (from the first wait on).
    watching: std::sync::Once,
    /// Names this process to the others when it announces queued deliveries.
    origin: String,
}

pub type SqliteStore = SqlStore<sqlx::Sqlite>;
pub type PgStore = SqlStore<sqlx::Postgres>;

impl<DB: Dialect> SqlStore<DB> {
    pub fn new(pool: sqlx::Pool<DB>, seal: AuditSeal) -> Self {
        Self {
            pool,
            seal,
            queued: Default::default(),
            watching: std::sync::Once::new(),
            // Unique enough among the processes on one database: a process id and a moment.
            origin: format!(
                "{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            ),
        }
    }

    /// Commits a transaction that queued deliveries and then tells the delivery worker, so
    /// that nothing waits for its next poll. Only after the commit: woken earlier, the
    /// worker would find nothing yet and go back to sleep.
    async fn commit_queued(&self, tx: sqlx::Transaction<'static, DB>) -> Result<()> {
        tx.commit().await?;
        self.queued.notify_one();
        DB::announce_queued(&self.pool, &self.origin).await;
        Ok(())
    }

    /// Opens a write transaction as the dialect begins one.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, DB>> {
        begin(&self.pool, DB::BEGIN_WRITE).await
    }
}

/// Opens a transaction with `statement` on a task of its own, so that a caller who gives up
/// half-way cannot leave it open. sqlx 0.8 cannot cancel a custom `BEGIN`: dropped after the
/// database acknowledged it but before a `Transaction` exists, it returns the connection to
/// the pool inside the transaction (on SQLite still holding the write lock). A spawned task
/// runs to the end; if nobody waits for it any more, the `Transaction` it made is dropped and
/// rolls back like any other.
pub(crate) async fn begin<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    statement: &'static str,
) -> Result<sqlx::Transaction<'static, DB>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|e| {
            StoreError::Database(sqlx::Error::Protocol(format!("opening a transaction failed: {e}")))
        })?
        .map_err(StoreError::from)
}

/// A subject's own inboxes (not shared ones): the cached actor's inbox, and follower
/// inboxes under the actor's own address.
pub(crate) fn personal_inboxes<'a>(
    actor_uri: &str,
    cached: Option<&RemoteActor>,
    follow_inboxes: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = cached.map(|a| a.inbox.clone()).into_iter().collect();
    let own = format!("{actor_uri}/");
    for inbox in follow_inboxes {
        if inbox.starts_with(&own) && !out.iter().any(|o| o == inbox) {
            out.push(inbox.to_owned());
        }
    }
    out
}

/// Whether a JSON document holds `needle` as a whole string value anywhere.
pub(crate) fn mentions(value: &serde_json::Value, needle: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == needle,
        serde_json::Value::Array(items) => items.iter().any(|v| mentions(v, needle)),
        serde_json::Value::Object(map) => map.values().any(|v| mentions(v, needle)),
        _ => false,
    }
}

pub(crate) enum SubjectItem {
    Activity { id: i64, uri: String, kind: String, created_at: Millis, org: Option<String> },
    Delivery { id: i64, kind: String, state: String, created_at: Millis, org: Option<String> },
    Audit { seq: i64, at: Millis, action: String, payload: String, org: Option<String> },
}

/// `%text%` for LIKE, with the wildcard characters in `text` escaped.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn random_salt() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| {
        StoreError::Database(sqlx::Error::Protocol("no system randomness for the audit salt".into()))
    })?;
    Ok(herold_domain::audit::hex(&salt))
}

/// Appends the inboxes not already listed (a mentioned person may also follow).
pub(crate) fn add_distinct(inboxes: &mut Vec<String>, more: &[String]) {
    for inbox in more {
        if !inboxes.contains(inbox) {
            inboxes.push(inbox.clone());
        }
    }
}

/// Host part (with port) of a URL: an inbox's, the unit of the per-host breaker, or an
/// actor's, the unit of a server block.
pub fn host_of(inbox: &str) -> String {
    let rest = inbox.split_once("://").map_or(inbox, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_ascii_lowercase()
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "a.id, a.org_id, o.slug AS org_slug, o.name AS org_name, a.username, \
     a.display_name, a.summary, a.public_key_pem, a.private_key_enc, a.created_at, a.language, \
     a.proof_key_public, a.proof_key_enc, a.profile, a.ended_at, a.moved_to";
pub(crate) const ANNOUNCEMENT_COLUMNS: &str = "id, public_id, account_id, source_text, content_html, \
     language, summary, urgent, published_at, updated_at, retracted_at, pinned_at, translations, attachments, \
     mentions, in_reply_to, reply_audience, imported_from";

// Rows are claimed by pushing their lease into the future and naming the worker; an expired
// lease, or one held by a worker whose heartbeat has stopped (it crashed), makes a row
// claimable again. PostgreSQL skips rows another worker is claiming; SQLite has a single
// writer, so the same statement without the lock clause is enough.
pub(crate) const CLAIM_HEAD: &str =
    "UPDATE deliveries SET lease_until = $1, leased_by = $4, attempts = attempts + 1, \
     updated_at = $2 WHERE id IN (SELECT d.id FROM deliveries d \
     WHERE d.state IN ('pending', 'retrying') AND d.next_attempt_at <= $2 \
     AND (d.lease_until IS NULL OR d.lease_until < $2 OR (d.leased_by IS NOT NULL AND NOT EXISTS \
     (SELECT 1 FROM workers w WHERE w.id = d.leased_by AND w.heartbeat_at >= $5))) \
     AND d.priority BETWEEN $6 AND $7 \
     AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host AND h.breaker_open_until > $2) \
     ORDER BY d.priority, d.next_attempt_at, d.id LIMIT $3";
pub(crate) const CLAIM_TAIL: &str =
    ") RETURNING id, activity_id, inbox, host, attempts, created_at, lease_until, priority, \
     (SELECT h.signature_scheme FROM hosts h WHERE h.host = deliveries.host) AS host_scheme, \
     COALESCE((SELECT h.consecutive_failures FROM hosts h WHERE h.host = deliveries.host), 0) \
     AS host_failures";

pub(crate) const STAFF_COLUMNS: &str =
    "st.id, o.slug AS org_slug, o.name AS org_name, st.issuer, st.subject, st.name, st.email, st.roles, \
     st.first_sign_in_at, st.last_sign_in_at, st.notify_by_email, st.language, st.time_zone";

pub(crate) const DRAFT_SELECT: &str =
    "SELECT d.id, d.public_id, d.account_id, a.username AS account_username, \
     o.slug AS org_slug, d.kind, d.announcement_id, an.public_id AS announcement_public_id, \
     d.state, d.revision, d.source_text, d.language, d.translations, d.mentions, d.media, \
     d.summary, d.urgent, d.in_reply_to, d.reply_audience, d.answers, \
     d.publish_at, d.author_id, au.name AS author_name, d.reviewer_id, rv.name AS reviewer_name, \
     d.review_comment, d.created_at, d.updated_at FROM drafts d JOIN accounts a ON a.id = d.account_id \
     JOIN organizations o ON o.id = a.org_id JOIN staff au ON au.id = d.author_id \
     LEFT JOIN staff rv ON rv.id = d.reviewer_id LEFT JOIN announcements an ON an.id = d.announcement_id";

/// A session is live until it is ended, its absolute lifetime passes, or it sits idle.
pub(crate) const LIVE: &str = "s.ended_at IS NULL AND s.expires_at > $2 AND s.last_seen_at + s.idle_ms > $2";

/// Marking a session as seen is a write; once every 15 s is precise enough for idle timeouts
/// of minutes and spares SQLite's single writer.
pub(crate) const SEEN_PRECISION_MS: i64 = 15_000;

/// A stored name (a state, a kind) this version does not know.
pub(crate) fn unknown_name(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?} in the database").into())
}

pub(crate) const SUBSCRIBER_COLUMNS: &str =
    "actor_uri, host, inbox, follow_id, style, state, follow_back_id, created_at, updated_at";

#[cfg(test)]
mod tests {
    #[test]
    fn host_of_keeps_port_and_drops_userinfo() {
        assert_eq!(super::host_of("https://Mastodon.Social/inbox"), "mastodon.social");
        assert_eq!(super::host_of("http://127.0.0.1:8080/users/a/inbox"), "127.0.0.1:8080");
        assert_eq!(super::host_of("https://u:p@h.example?x"), "h.example");
    }
}
