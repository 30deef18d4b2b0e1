//! The SQL behind `Store`, written once and instantiated per backend by `sql_store!`.

use async_trait::async_trait;
use herold_domain::audit::{payload_commitment, AuditLeaf, AuditSeal};
use herold_domain::{now_millis, Millis};
use sqlx::{Postgres, QueryBuilder, Row, Sqlite};

use crate::*;

mod relay;
mod staff;

/// Opens a transaction with `statement` on a task of its own, so that a caller who gives up
/// half-way cannot leave it open. sqlx 0.8 cannot cancel a custom `BEGIN`: dropped after the
/// database acknowledged it but before a `Transaction` exists, it returns the connection to
/// the pool inside the transaction (on SQLite still holding the write lock). A spawned task
/// runs to the end; if nobody waits for it any more, the `Transaction` it made is dropped and
/// rolls back like any other.
async fn begin<DB: sqlx::Database>(
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

/// For a data class: the statement counting expired rows (`$1` cutoff, `$2` organisation
/// slug or '' for data without one) and the statements that purge them.
fn retention_sql(class: DataClass) -> (&'static str, &'static [&'static str]) {
    match class {
        // Followers are kept while the follow lasts: counted for inventories, never purged
        // by time (no cutoff is ever made for them).
        DataClass::Followers => (
            "SELECT COUNT(*) AS n, MIN(f.created_at) AS oldest FROM followers f \
             JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE f.created_at < $1 AND o.slug = $2",
            &[],
        ),
        DataClass::RemoteActorCache => (
            "SELECT COUNT(*) AS n, MIN(fetched_at) AS oldest FROM remote_actors WHERE fetched_at < $1 AND $2 = $2",
            &["DELETE FROM remote_actors WHERE fetched_at < $1 AND $2 = $2"],
        ),
        DataClass::DeliveryRecords => (
            "SELECT COUNT(*) AS n, MIN(d.updated_at) AS oldest FROM deliveries d \
             JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
             LEFT JOIN organizations o ON o.id = ac.org_id \
             WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2",
            &["DELETE FROM deliveries WHERE id IN (SELECT d.id FROM deliveries d \
               JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
               LEFT JOIN organizations o ON o.id = ac.org_id \
               WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2)"],
        ),
        DataClass::AuditPayloads => (
            "SELECT COUNT(*) AS n, MIN(l.at) AS oldest FROM audit_payloads p JOIN audit_log l ON l.seq = p.seq \
             WHERE l.at < $1 AND COALESCE(l.org, '') = $2",
            &["DELETE FROM audit_payloads WHERE seq IN \
               (SELECT seq FROM audit_log WHERE at < $1 AND COALESCE(org, '') = $2)"],
        ),
        DataClass::SecurityLog => (
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM security_log WHERE at < $1 AND $2 = $2",
            &["DELETE FROM security_log WHERE at < $1 AND $2 = $2"],
        ),
        // Staff are anonymised, not deleted: drafts and audit entries keep pointing at a row.
        DataClass::StaffDirectory => (
            "SELECT COUNT(*) AS n, MIN(st.last_sign_in_at) AS oldest FROM staff st \
             JOIN organizations o ON o.id = st.org_id \
             WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2",
            &[
                "DELETE FROM staff_sessions WHERE staff_id IN (SELECT st.id FROM staff st \
                 JOIN organizations o ON o.id = st.org_id \
                 WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2)",
                "UPDATE staff SET name = '', email = NULL, roles = '', subject = 'anonymised-' || CAST(id AS TEXT) \
                 WHERE id IN (SELECT st.id FROM staff st JOIN organizations o ON o.id = st.org_id \
                 WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2)",
            ],
        ),
        // A server's delivery health, unused since the cutoff; one with deliveries still
        // queued keeps its row (its breaker protects them).
        DataClass::DeliveryHosts => (
            "SELECT COUNT(*) AS n, MIN(updated_at) AS oldest FROM hosts h WHERE h.updated_at < $1 AND $2 = $2 \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state IN ('pending', 'retrying'))",
            &["DELETE FROM hosts WHERE updated_at < $1 AND $2 = $2 AND NOT EXISTS \
               (SELECT 1 FROM deliveries d WHERE d.host = hosts.host AND d.state IN ('pending', 'retrying'))"],
        ),
        // Kept while subscribed: counted for inventories, never purged by time.
        DataClass::RelaySubscribers => (
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM relay_subscribers WHERE created_at < $1 AND $2 = $2",
            &[],
        ),
        // Relay-signed activities no announcement owns: passed-on posts, Announces of them,
        // Accepts and Rejects; with their deliveries and the ids seen. An activity still
        // being delivered waits for its deliveries to finish. The newest activity stays:
        // SQLite would hand its id to the next activity, and workers cache bodies by id.
        DataClass::RelayTraffic => (
            "SELECT COUNT(*) AS n, MIN(t) AS oldest FROM (SELECT created_at AS t FROM activities \
             WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 \
             UNION ALL SELECT seen_at AS t FROM relay_seen WHERE seen_at < $1) expired WHERE $2 = $2",
            &[
                "DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND activity_id IN \
                 (SELECT id FROM activities WHERE signer = 'relay' AND announcement_id IS NULL \
                 AND created_at < $1 AND $2 = $2)",
                "DELETE FROM activities WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 \
                 AND $2 = $2 AND id < (SELECT MAX(id) FROM activities) \
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = activities.id)",
                "DELETE FROM relay_seen WHERE seen_at < $1 AND $2 = $2",
            ],
        ),
        // Drafts that stopped short of an announcement, by their last change. Submitted and
        // approved ones wait for a person or their time; published ones say who wrote and
        // approved an announcement and stay with it. Their images follow as unpublished media.
        DataClass::AbandonedDrafts => (
            "SELECT COUNT(*) AS n, MIN(d.updated_at) AS oldest FROM drafts d JOIN accounts a ON a.id = d.account_id \
             JOIN organizations o ON o.id = a.org_id \
             WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2",
            &["DELETE FROM drafts WHERE id IN (SELECT d.id FROM drafts d JOIN accounts a ON a.id = d.account_id \
               JOIN organizations o ON o.id = a.org_id \
               WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2)"],
        ),
        // Images no published announcement shows and no draft in progress still holds.
        DataClass::UnpublishedMedia => (
            "SELECT COUNT(*) AS n, MIN(m.created_at) AS oldest FROM media m JOIN accounts a ON a.id = m.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE m.announcement_id IS NULL AND m.created_at < $1 \
             AND o.slug = $2 AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
             AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%')",
            &["DELETE FROM media WHERE id IN (SELECT m.id FROM media m JOIN accounts a ON a.id = m.account_id \
               JOIN organizations o ON o.id = a.org_id WHERE m.announcement_id IS NULL AND m.created_at < $1 \
               AND o.slug = $2 AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
               AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%'))"],
        ),
        // A session ends when signed out, at its absolute limit, or when it sits idle.
        DataClass::StaffSessions => (
            "SELECT COUNT(*) AS n, MIN(s.created_at) AS oldest FROM staff_sessions s \
             JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
             WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
             WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
             ELSE s.expires_at END) < $1 AND o.slug = $2",
            &[
                "DELETE FROM staff_sessions WHERE token_hash IN (SELECT s.token_hash FROM staff_sessions s \
                 JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
                 WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
                 WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
                 ELSE s.expires_at END) < $1 AND o.slug = $2)",
                "DELETE FROM sign_in_attempts WHERE created_at < $1 AND org_slug = $2",
            ],
        ),
        DataClass::RetractedAnnouncements => (
            "SELECT COUNT(*) AS n, MIN(an.retracted_at) AS oldest FROM announcements an \
             JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2",
            &[
                "UPDATE activities SET body = '{}' WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "DELETE FROM media WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "DELETE FROM announcement_tags WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "UPDATE announcements SET source_text = '', content_html = '', summary = NULL, translations = '[]', \
                 attachments = '[]', mentions = '[]' WHERE id IN \
                 (SELECT an.id FROM announcements an JOIN accounts ac ON ac.id = an.account_id \
                 JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
            ],
        ),
    }
}

/// For a data class: what a retention run about to remove it hands to the archive, one
/// JSON object per row (`{json}` stands for the backend's JSON object builder; `$1`
/// cutoff, `$2` organisation slug or '').
fn retention_rows_sql(class: DataClass) -> &'static str {
    match class {
        DataClass::Followers => {
            "SELECT CAST({json}('actor', f.actor_uri, 'account', a.username, 'since', f.created_at) AS TEXT) AS row \
             FROM followers f JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE f.created_at < $1 AND o.slug = $2"
        }
        DataClass::RemoteActorCache => {
            "SELECT CAST({json}('uri', uri, 'inbox', inbox, 'key_id', key_id, 'fetched_at', fetched_at) AS TEXT) AS row \
             FROM remote_actors WHERE fetched_at < $1 AND $2 = $2"
        }
        DataClass::DeliveryRecords => {
            "SELECT CAST({json}('activity', a.uri, 'inbox', d.inbox, 'state', d.state, 'attempts', d.attempts, \
             'last_status', d.last_status, 'last_error', d.last_error, 'created_at', d.created_at, \
             'finished_at', d.updated_at) AS TEXT) AS row FROM deliveries d \
             JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
             LEFT JOIN organizations o ON o.id = ac.org_id \
             WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2"
        }
        DataClass::AuditPayloads => {
            "SELECT CAST({json}('seq', l.seq, 'at', l.at, 'actor', l.actor, 'action', l.action, 'subject', l.subject, \
             'salt', p.salt, 'payload', p.payload) AS TEXT) AS row FROM audit_payloads p JOIN audit_log l ON l.seq = p.seq \
             WHERE l.at < $1 AND COALESCE(l.org, '') = $2"
        }
        DataClass::SecurityLog => {
            "SELECT CAST({json}('at', at, 'event', event, 'client', client, 'detail', detail) AS TEXT) AS row \
             FROM security_log WHERE at < $1 AND $2 = $2"
        }
        DataClass::RetractedAnnouncements => {
            "SELECT CAST({json}('id', an.public_id, 'account', ac.username, 'text', an.source_text, \
             'html', an.content_html, 'language', an.language, 'summary', an.summary, 'translations', an.translations, \
             'mentions', an.mentions, 'published_at', an.published_at, 'updated_at', an.updated_at, 'retracted_at', an.retracted_at) AS TEXT) AS row \
             FROM announcements an JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2"
        }
        DataClass::StaffDirectory => {
            "SELECT CAST({json}('staff', st.id, 'name', st.name, 'email', st.email, 'roles', st.roles, \
             'first_sign_in_at', st.first_sign_in_at, 'last_sign_in_at', st.last_sign_in_at) AS TEXT) AS row \
             FROM staff st JOIN organizations o ON o.id = st.org_id \
             WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2"
        }
        DataClass::RelaySubscribers => {
            "SELECT CAST({json}('actor', actor_uri, 'inbox', inbox, 'state', state, 'since', created_at) AS TEXT) AS row \
             FROM relay_subscribers WHERE created_at < $1 AND $2 = $2"
        }
        DataClass::RelayTraffic => {
            "SELECT CAST({json}('activity', uri, 'kind', kind, 'body', body, 'created_at', created_at) AS TEXT) AS row \
             FROM activities WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 AND $2 = $2"
        }
        DataClass::DeliveryHosts => {
            "SELECT CAST({json}('host', h.host, 'failures', h.consecutive_failures, 'scheme', h.signature_scheme, \
             'last_error', h.last_error, 'updated_at', h.updated_at) AS TEXT) AS row FROM hosts h \
             WHERE h.updated_at < $1 AND $2 = $2 AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state IN ('pending', 'retrying'))"
        }
        DataClass::AbandonedDrafts => {
            "SELECT CAST({json}('draft', d.public_id, 'account', a.username, 'state', d.state, 'text', d.source_text, \
             'language', d.language, 'summary', d.summary, 'translations', d.translations, 'mentions', d.mentions, \
             'author', d.author_id, 'reviewer', d.reviewer_id, 'review_comment', d.review_comment, \
             'updated_at', d.updated_at) AS TEXT) AS row FROM drafts d JOIN accounts a ON a.id = d.account_id \
             JOIN organizations o ON o.id = a.org_id \
             WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2"
        }
        DataClass::UnpublishedMedia => {
            "SELECT CAST({json}('image', m.public_id, 'account', a.username, 'content_type', m.content_type, \
             'alt_text', m.alt_text, 'created_at', m.created_at) AS TEXT) AS row FROM media m \
             JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE m.announcement_id IS NULL AND m.created_at < $1 AND o.slug = $2 AND NOT EXISTS \
             (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
             AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%')"
        }
        DataClass::StaffSessions => {
            "SELECT CAST({json}('staff', s.staff_id, 'created_at', s.created_at, 'last_seen_at', s.last_seen_at, \
             'ended_at', s.ended_at) AS TEXT) AS row FROM staff_sessions s \
             JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
             WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
             WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
             ELSE s.expires_at END) < $1 AND o.slug = $2"
        }
    }
}

/// A subject's own inboxes (not shared ones): the cached actor's inbox, and follower
/// inboxes under the actor's own address.
fn personal_inboxes<'a>(
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
fn mentions(value: &serde_json::Value, needle: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == needle,
        serde_json::Value::Array(items) => items.iter().any(|v| mentions(v, needle)),
        serde_json::Value::Object(map) => map.values().any(|v| mentions(v, needle)),
        _ => false,
    }
}

enum SubjectItem {
    Activity { id: i64, uri: String, kind: String, created_at: Millis, org: Option<String> },
    Delivery { id: i64, kind: String, state: String, created_at: Millis, org: Option<String> },
    Audit { seq: i64, at: Millis, action: String, payload: String, org: Option<String> },
}

/// `%text%` for LIKE, with the wildcard characters in `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn random_salt() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| {
        StoreError::Database(sqlx::Error::Protocol("no system randomness for the audit salt".into()))
    })?;
    Ok(herold_domain::audit::hex(&salt))
}

/// Appends the inboxes not already listed (a mentioned person may also follow).
fn add_distinct(inboxes: &mut Vec<String>, more: &[String]) {
    for inbox in more {
        if !inboxes.contains(inbox) {
            inboxes.push(inbox.clone());
        }
    }
}

/// Host part (with port) of an inbox URL, the unit of the per-host breaker.
fn host_of(inbox: &str) -> String {
    let rest = inbox.split_once("://").map_or(inbox, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_ascii_lowercase()
}

const ACCOUNT_COLUMNS: &str = "a.id, a.org_id, o.slug AS org_slug, o.name AS org_name, a.username, \
     a.display_name, a.summary, a.public_key_pem, a.private_key_enc, a.created_at, a.language";
const ANNOUNCEMENT_COLUMNS: &str = "id, public_id, account_id, source_text, content_html, \
     language, summary, urgent, published_at, updated_at, retracted_at, translations, attachments, mentions";

// Rows are claimed by pushing their lease into the future and naming the worker; an expired
// lease, or one held by a worker whose heartbeat has stopped (it crashed), makes a row
// claimable again. PostgreSQL skips rows another worker is claiming; SQLite has a single
// writer, so the same statement without the lock clause is enough.
const CLAIM_HEAD: &str = "UPDATE deliveries SET lease_until = $1, leased_by = $4, attempts = attempts + 1, \
     updated_at = $2 WHERE id IN (SELECT d.id FROM deliveries d \
     WHERE d.state IN ('pending', 'retrying') AND d.next_attempt_at <= $2 \
     AND (d.lease_until IS NULL OR d.lease_until < $2 OR (d.leased_by IS NOT NULL AND NOT EXISTS \
     (SELECT 1 FROM workers w WHERE w.id = d.leased_by AND w.heartbeat_at >= $5))) \
     AND d.priority BETWEEN $6 AND $7 \
     AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host AND h.breaker_open_until > $2) \
     ORDER BY d.priority, d.next_attempt_at, d.id LIMIT $3";
const CLAIM_TAIL: &str =
    ") RETURNING id, activity_id, inbox, host, attempts, created_at, lease_until, priority";

macro_rules! sql_store {
    ($name:ident, $db:ty, $pool:ty, $backend:expr, $migrator:path, $lock:literal, $audit_lock:expr, $begin:literal, $json:literal) => {
        pub struct $name {
            pool: $pool,
            seal: AuditSeal,
        }

        impl $name {
            pub fn new(pool: $pool, seal: AuditSeal) -> Self {
                Self { pool, seal }
            }

            /// Appends the next leaf. Sequence numbers are gap-free: PostgreSQL serialises
            /// appends with a transaction-scoped advisory lock, SQLite has one writer anyway.
            async fn audit(
                tx: &mut sqlx::Transaction<'_, $db>,
                seal: &AuditSeal,
                entry: &AuditEntry,
                at: Millis,
            ) -> Result<()> {
                if let Some(lock) = $audit_lock {
                    sqlx::query(lock).execute(&mut **tx).await?;
                }
                // Under the append lock: the next number, and a time never before the last
                // entry's (transactions that began earlier may append later).
                let last = sqlx::query("SELECT seq, at FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await?;
                let (seq, at) = match last {
                    Some(row) => (row.try_get::<i64, _>("seq")? + 1, at.max(row.try_get::<i64, _>("at")?)),
                    None => (1, at),
                };
                let payload = entry.detail.to_string();
                let salt = random_salt()?;
                let leaf = AuditLeaf {
                    seq,
                    at,
                    org: entry.org.clone(),
                    actor: entry.actor.clone(),
                    action: entry.action.clone(),
                    subject: entry.subject.clone(),
                    payload_commitment: payload_commitment(salt.as_bytes(), payload.as_bytes()),
                };
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, org, actor, action, subject, payload_commitment, seal) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(seq)
                .bind(at)
                .bind(&leaf.org)
                .bind(&leaf.actor)
                .bind(&leaf.action)
                .bind(&leaf.subject)
                .bind(&leaf.payload_commitment)
                .bind(seal.seal(&leaf.leaf_hash()))
                .execute(&mut **tx)
                .await?;
                sqlx::query("INSERT INTO audit_payloads (seq, salt, payload) VALUES ($1, $2, $3)")
                    .bind(seq)
                    .bind(&salt)
                    .bind(&payload)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Announcements whose text is still held (retracted ones too, until retention
            /// clears them) and drafts (any state) whose resolved mentions name the actor.
            async fn subject_mentions(
                conn: &mut <$db as sqlx::Database>::Connection,
                actor_uri: &str,
            ) -> Result<Vec<SubjectMention>> {
                // LIKE narrows the rows; the JSON decides (an id that merely contains the
                // actor's is another person).
                let rows = sqlx::query(
                    "SELECT 'announcement' AS kind, an.public_id, an.mentions, ac.username, o.slug, an.published_at AS at \
                     FROM announcements an JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                     WHERE an.source_text <> '' AND an.mentions LIKE $1 ESCAPE '\\' \
                     UNION ALL SELECT 'draft' AS kind, d.public_id, d.mentions, ac.username, o.slug, d.updated_at AS at \
                     FROM drafts d JOIN accounts ac ON ac.id = d.account_id JOIN organizations o ON o.id = ac.org_id \
                     WHERE d.mentions LIKE $1 ESCAPE '\\'",
                )
                .bind(like_pattern(actor_uri))
                .fetch_all(&mut *conn)
                .await?;
                let mut out = Vec::new();
                for r in rows {
                    let mentions: Vec<Mention> = serde_json::from_str(&r.try_get::<String, _>("mentions")?)
                        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
                    if mentions.iter().any(|m| m.href == actor_uri) {
                        out.push(SubjectMention {
                            kind: r.try_get("kind")?,
                            id: r.try_get("public_id")?,
                            account: r.try_get("username")?,
                            org: r.try_get("slug")?,
                            at: r.try_get("at")?,
                        });
                    }
                }
                Ok(out)
            }

            async fn insert_activity(
                tx: &mut sqlx::Transaction<'_, $db>,
                activity: &NewActivity,
                announcement_id: Option<i64>,
                now: Millis,
            ) -> Result<i64> {
                let id: i64 = sqlx::query(
                    "INSERT INTO activities (uri, kind, account_id, announcement_id, body, created_at, signer) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&activity.uri)
                .bind(&activity.kind)
                .bind(activity.account_id)
                .bind(announcement_id)
                .bind(&activity.body)
                .bind(now)
                .bind(&activity.signer)
                .fetch_one(&mut **tx)
                .await?
                .try_get("id")?;
                let inboxes: Vec<String> = match &activity.audience {
                    Audience::Inboxes(list) => list.clone(),
                    Audience::Followers { account_id, mentioned } => {
                        let mut inboxes: Vec<String> =
                            sqlx::query("SELECT DISTINCT inbox FROM followers WHERE account_id = $1")
                                .bind(account_id)
                                .fetch_all(&mut **tx)
                                .await?
                                .iter()
                                .map(|r| r.try_get("inbox"))
                                .collect::<std::result::Result<_, _>>()?;
                        add_distinct(&mut inboxes, mentioned);
                        inboxes
                    }
                    Audience::FollowersAndEarlierRecipients { account_id, announcement_id, mentioned } => {
                        let mut inboxes: Vec<String> = sqlx::query(
                        "SELECT inbox FROM followers WHERE account_id = $1 UNION \
                         SELECT d.inbox FROM deliveries d JOIN activities a ON a.id = d.activity_id \
                         WHERE a.announcement_id = $2",
                    )
                    .bind(account_id)
                    .bind(announcement_id)
                    .fetch_all(&mut **tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("inbox"))
                    .collect::<std::result::Result<_, _>>()?;
                        add_distinct(&mut inboxes, mentioned);
                        inboxes
                    }
                    Audience::RelaySubscribers { style, except_host } => sqlx::query(
                        "SELECT DISTINCT inbox FROM relay_subscribers WHERE state = 'active' \
                         AND style = COALESCE($1, style) AND host <> COALESCE($2, '')",
                    )
                    .bind(style.map(|s| s.as_str()))
                    .bind(except_host.as_deref())
                    .fetch_all(&mut **tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("inbox"))
                    .collect::<std::result::Result<_, _>>()?,
                };
                // Multi-row inserts keep a 10,000-follower fan-out to a handful of statements.
                for chunk in inboxes.chunks(1000) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO deliveries (activity_id, inbox, host, priority, state, \
                         attempts, next_attempt_at, created_at, updated_at) ",
                    );
                    q.push_values(chunk, |mut b, inbox| {
                        b.push_bind(id)
                            .push_bind(inbox.as_str())
                            .push_bind(host_of(inbox))
                            .push_bind(activity.priority as i64)
                            .push_bind("pending")
                            .push_bind(0_i64)
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    q.push(" ON CONFLICT (activity_id, inbox) DO NOTHING");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(id)
            }

            async fn insert_announcement(
                tx: &mut sqlx::Transaction<'_, $db>,
                new: &NewAnnouncement,
                activities: &[NewActivity],
                audit: &AuditEntry,
                seal: &AuditSeal,
                now: Millis,
            ) -> Result<Announcement> {
                let id: i64 = sqlx::query(
                    "INSERT INTO announcements (public_id, account_id, source_text, content_html, \
                     language, summary, urgent, published_at, translations, attachments, mentions) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(&new.public_id)
                .bind(new.account_id)
                .bind(&new.source_text)
                .bind(&new.content_html)
                .bind(&new.language)
                .bind(&new.summary)
                .bind(new.urgent)
                .bind(new.published_at)
                .bind(serde_json::to_string(&new.translations).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&new.attachments).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&new.mentions).unwrap_or_else(|_| "[]".into()))
                .fetch_one(&mut **tx)
                .await?
                .try_get("id")?;
                Self::claim_media(tx, &new.attachments, id).await?;
                Self::set_tags(tx, id, &new.hashtags).await?;
                for activity in activities {
                    Self::insert_activity(tx, activity, Some(id), now).await?;
                }
                Self::audit(tx, seal, audit, now).await?;
                Self::announcement_by_id(tx, id).await
            }

            async fn apply_edit(
                tx: &mut sqlx::Transaction<'_, $db>,
                edit: &AnnouncementEdit,
                update: &NewActivity,
                audit: &AuditEntry,
                seal: &AuditSeal,
                now: Millis,
            ) -> Result<Announcement> {
                let changed = sqlx::query(
                    "UPDATE announcements SET source_text = $1, content_html = $2, language = $3, \
                     summary = $4, updated_at = $5, translations = $7, attachments = $8, mentions = $9 \
                     WHERE id = $6 AND retracted_at IS NULL",
                )
                .bind(&edit.source_text)
                .bind(&edit.content_html)
                .bind(&edit.language)
                .bind(&edit.summary)
                .bind(edit.updated_at)
                .bind(edit.id)
                .bind(serde_json::to_string(&edit.translations).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&edit.attachments).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&edit.mentions).unwrap_or_else(|_| "[]".into()))
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("announcement {} (or it was retracted)", edit.id)));
                }
                // Images the edit dropped stop being public (and go with unpublished media).
                sqlx::query("UPDATE media SET announcement_id = NULL WHERE announcement_id = $1")
                    .bind(edit.id)
                    .execute(&mut **tx)
                    .await?;
                Self::claim_media(tx, &edit.attachments, edit.id).await?;
                Self::set_tags(tx, edit.id, &edit.hashtags).await?;
                Self::insert_activity(tx, update, Some(edit.id), now).await?;
                Self::audit(tx, seal, audit, now).await?;
                Self::announcement_by_id(tx, edit.id).await
            }

            /// Replaces the announcement's entries on the tag pages.
            async fn set_tags(
                tx: &mut sqlx::Transaction<'_, $db>,
                announcement_id: i64,
                tags: &[String],
            ) -> Result<()> {
                sqlx::query("DELETE FROM announcement_tags WHERE announcement_id = $1")
                    .bind(announcement_id)
                    .execute(&mut **tx)
                    .await?;
                for tag in tags {
                    sqlx::query(
                        "INSERT INTO announcement_tags (tag, announcement_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(tag)
                    .bind(announcement_id)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// Marks images as shown by a published announcement, which makes them public.
            async fn claim_media(
                tx: &mut sqlx::Transaction<'_, $db>,
                media: &[MediaInfo],
                announcement_id: i64,
            ) -> Result<()> {
                for m in media {
                    sqlx::query("UPDATE media SET announcement_id = $1 WHERE public_id = $2")
                        .bind(announcement_id)
                        .bind(&m.public_id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn announcement_by_id(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
            ) -> Result<Announcement> {
                let row = sqlx::query(&format!(
                    "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("announcement {id}")))?;
                announcement_from(&row)
            }
        }

        impl $name {
            /// Everything besides follows and the key cache that concerns one subject:
            /// Accepts of their follows, deliveries to their own inbox, and audit details
            /// that name them. A LIKE narrows the candidates; only exact matches (a whole
            /// JSON string equal to the URI, an inbox equal to theirs) count, so
            /// `…/users/al` never catches `…/users/alice`.
            async fn subject_items(
                conn: &mut <$db as sqlx::Database>::Connection,
                actor_uri: &str,
                inboxes: &[String],
            ) -> Result<Vec<SubjectItem>> {
                let like = like_pattern(actor_uri);
                let mut items = Vec::new();
                // Activities about the subject, whatever their kind: the Accept or Reject of
                // their Follow (`object.actor`), a Follow of them (`object`, the relay's
                // follow-back) and its Undo (`object.object`).
                let mut theirs = std::collections::HashSet::new();
                for r in sqlx::query(
                    "SELECT a.id, a.uri, a.kind, a.created_at, a.body, o.slug FROM activities a \
                     LEFT JOIN accounts ac ON ac.id = a.account_id LEFT JOIN organizations o ON o.id = ac.org_id \
                     WHERE a.body LIKE $1 ESCAPE '\\' ORDER BY a.id",
                )
                .bind(&like)
                .fetch_all(&mut *conn)
                .await?
                {
                    let body: String = r.try_get("body")?;
                    let about = serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| {
                        let object = v.get("object");
                        let field = |o: Option<&serde_json::Value>, name: &str| {
                            o.and_then(|o| o.get(name)).and_then(|a| a.as_str()) == Some(actor_uri)
                        };
                        object.and_then(|o| o.as_str()) == Some(actor_uri)
                            || field(object, "actor")
                            || field(object, "object")
                    });
                    if about {
                        let id: i64 = r.try_get("id")?;
                        theirs.insert(id);
                        items.push(SubjectItem::Activity {
                            id,
                            uri: r.try_get("uri")?,
                            kind: r.try_get("kind")?,
                            created_at: r.try_get("created_at")?,
                            org: r.try_get("slug")?,
                        });
                    }
                }
                for inbox in inboxes {
                    for r in sqlx::query(
                        "SELECT d.id, d.activity_id, a.kind, d.state, d.created_at, o.slug FROM deliveries d \
                         JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
                         LEFT JOIN organizations o ON o.id = ac.org_id WHERE d.inbox = $1 ORDER BY d.id",
                    )
                    .bind(inbox)
                    .fetch_all(&mut *conn)
                    .await?
                    {
                        // Those of the activities above go with them.
                        if theirs.contains(&r.try_get::<i64, _>("activity_id")?) {
                            continue;
                        }
                        items.push(SubjectItem::Delivery {
                            id: r.try_get("id")?,
                            kind: r.try_get("kind")?,
                            state: r.try_get("state")?,
                            created_at: r.try_get("created_at")?,
                            org: r.try_get("slug")?,
                        });
                    }
                }
                for r in sqlx::query(
                    "SELECT l.seq, l.at, l.action, l.org, p.payload FROM audit_payloads p JOIN audit_log l ON l.seq = p.seq \
                     WHERE p.payload LIKE $1 ESCAPE '\\' ORDER BY l.seq",
                )
                .bind(&like)
                .fetch_all(&mut *conn)
                .await?
                {
                    let payload: String = r.try_get("payload")?;
                    let named = serde_json::from_str::<serde_json::Value>(&payload).is_ok_and(|v| mentions(&v, actor_uri));
                    if named {
                        items.push(SubjectItem::Audit {
                            seq: r.try_get("seq")?,
                            at: r.try_get("at")?,
                            action: r.try_get("action")?,
                            payload,
                            org: r.try_get("org")?,
                        });
                    }
                }
                Ok(items)
            }
        }

        #[async_trait]
        impl Store for $name {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> Result<()> {
                $migrator().await?.run(&self.pool).await?;
                Ok(())
            }

            async fn migrations_current(&self) -> Result<bool> {
                let migrator = $migrator().await?;
                let applied: Vec<i64> = sqlx::query(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(&self.pool)
                .await
                .map(|rows| rows.iter().filter_map(|r| r.try_get("version").ok()).collect())
                .unwrap_or_default();
                Ok(migrator.iter().all(|m| applied.contains(&m.version)))
            }

            async fn check_writable(&self) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                if $backend == Backend::Postgres {
                    sqlx::query("SELECT pg_current_xact_id()").execute(&mut *tx).await?;
                }
                tx.rollback().await?;
                Ok(())
            }

            async fn create_org(&self, org: NewOrg, audit: AuditEntry) -> Result<Organization> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let row = sqlx::query(
                    "INSERT INTO organizations (slug, name, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (slug) DO NOTHING RETURNING id",
                )
                .bind(&org.slug)
                .bind(&org.name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::Conflict(format!("organisation {}", org.slug)))?;
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                tx.commit().await?;
                Ok(Organization {
                    id: row.try_get("id")?,
                    slug: org.slug,
                    name: org.name,
                    created_at: now,
                })
            }

            async fn list_orgs(&self) -> Result<Vec<Organization>> {
                let rows = sqlx::query("SELECT id, slug, name, created_at FROM organizations ORDER BY slug")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Organization {
                            id: r.try_get("id")?,
                            slug: r.try_get("slug")?,
                            name: r.try_get("name")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn create_account(&self, account: NewAccount, audit: AuditEntry) -> Result<Account> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let org_id: i64 = sqlx::query("SELECT id FROM organizations WHERE slug = $1")
                    .bind(&account.org_slug)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("organisation {}", account.org_slug)))?
                    .try_get("id")?;
                let id: i64 = sqlx::query(
                    "INSERT INTO accounts (org_id, username, display_name, summary, public_key_pem, \
                     private_key_enc, created_at, language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (username) DO NOTHING RETURNING id",
                )
                .bind(org_id)
                .bind(&account.username)
                .bind(&account.display_name)
                .bind(&account.summary)
                .bind(&account.public_key_pem)
                .bind(&account.private_key_enc)
                .bind(now)
                .bind(&account.language)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::Conflict(format!("account {}", account.username)))?
                .try_get("id")?;
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                tx.commit().await?;
                self.account_by_id(id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("account {id}")))
            }

            async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
                sqlx::query(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
                     WHERE a.username = $1"
                ))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| account_from(&r))
                .transpose()
            }

            async fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
                sqlx::query(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
                     WHERE a.id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| account_from(&r))
                .transpose()
            }

            async fn list_accounts(&self) -> Result<Vec<Account>> {
                sqlx::query(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
                     ORDER BY o.slug, a.username"
                ))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(account_from)
                .collect()
            }

            async fn instance_key(&self, name: &str) -> Result<Option<InstanceKey>> {
                sqlx::query("SELECT public_key_pem, private_key_enc FROM instance_keys WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|row| {
                        Ok(InstanceKey {
                            public_key_pem: row.try_get("public_key_pem")?,
                            private_key_enc: row.try_get("private_key_enc")?,
                        })
                    })
                    .transpose()
            }

            async fn put_instance_key(&self, name: &str, candidate: InstanceKey) -> Result<InstanceKey> {
                sqlx::query(
                    "INSERT INTO instance_keys (name, public_key_pem, private_key_enc, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(&candidate.public_key_pem)
                .bind(&candidate.private_key_enc)
                .bind(now_millis())
                .execute(&self.pool)
                .await?;
                self.instance_key(name)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("instance key {name}")))
            }

            async fn upsert_remote_actor(&self, actor: &RemoteActor) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                sqlx::query(
                    "INSERT INTO remote_actors (uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uri) DO UPDATE SET \
                     inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
                     key_id = excluded.key_id, public_key_pem = excluded.public_key_pem, \
                     fetched_at = excluded.fetched_at",
                )
                .bind(&actor.uri)
                .bind(&actor.inbox)
                .bind(&actor.shared_inbox)
                .bind(&actor.key_id)
                .bind(&actor.public_key_pem)
                .bind(actor.fetched_at)
                .execute(&mut *tx)
                .await?;
                // A follower whose server moved its inbox keeps receiving.
                let inbox = actor.shared_inbox.as_deref().unwrap_or(&actor.inbox);
                sqlx::query("UPDATE followers SET inbox = $1 WHERE actor_uri = $2")
                    .bind(inbox)
                    .bind(&actor.uri)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remote_actor_by_key_id(&self, key_id: &str) -> Result<Option<RemoteActor>> {
                sqlx::query(
                    "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at \
                     FROM remote_actors WHERE key_id = $1 ORDER BY fetched_at DESC LIMIT 1",
                )
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| remote_actor_from(&r))
                .transpose()
            }

            async fn remote_actor(&self, uri: &str) -> Result<Option<RemoteActor>> {
                sqlx::query(
                    "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at \
                     FROM remote_actors WHERE uri = $1",
                )
                .bind(uri)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| remote_actor_from(&r))
                .transpose()
            }

            async fn add_follower(&self, follower: NewFollower, accept: NewActivity) -> Result<FollowOutcome> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let known: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT accepted_at, inbox, follow_id FROM followers WHERE account_id = $1 AND actor_uri = $2",
                )
                .bind(follower.account_id)
                .bind(&follower.actor_uri)
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match known {
                    None => FollowOutcome::New,
                    Some((at, inbox, follow_id))
                        if inbox == follower.inbox
                            && follow_id == follower.follow_id
                            && now - at < FOLLOW_ACCEPT_RESEND_MS =>
                    {
                        FollowOutcome::Repeated
                    }
                    Some(_) => FollowOutcome::Accepted,
                };
                if outcome == FollowOutcome::Repeated {
                    return Ok(outcome);
                }
                sqlx::query(
                    "INSERT INTO followers (account_id, actor_uri, inbox, follow_id, created_at, accepted_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (account_id, actor_uri) DO UPDATE SET \
                     inbox = excluded.inbox, follow_id = excluded.follow_id, accepted_at = excluded.accepted_at",
                )
                .bind(follower.account_id)
                .bind(&follower.actor_uri)
                .bind(&follower.inbox)
                .bind(&follower.follow_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Self::insert_activity(&mut tx, &accept, None, now).await?;
                if outcome == FollowOutcome::New {
                    // The follower's identity is personal data; the trail records the act only.
                    let entry =
                        AuditEntry::new("system", "follow.accept", format!("account:{}", follower.account_id));
                    Self::audit(&mut tx, &self.seal, &entry, now).await?;
                }
                tx.commit().await?;
                Ok(outcome)
            }

            async fn remove_follower(&self, account_id: i64, actor_uri: &str) -> Result<bool> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let removed = sqlx::query("DELETE FROM followers WHERE account_id = $1 AND actor_uri = $2")
                    .bind(account_id)
                    .bind(actor_uri)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if removed > 0 {
                    let entry = AuditEntry::new("system", "follow.undo", format!("account:{account_id}"));
                    Self::audit(&mut tx, &self.seal, &entry, now).await?;
                }
                tx.commit().await?;
                Ok(removed > 0)
            }

            async fn remove_follow_by_id(&self, actor_uri: &str, follow_id: &str) -> Result<bool> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let rows = sqlx::query("DELETE FROM followers WHERE actor_uri = $1 AND follow_id = $2 RETURNING account_id")
                    .bind(actor_uri)
                    .bind(follow_id)
                    .fetch_all(&mut *tx)
                    .await?;
                for r in &rows {
                    let account_id: i64 = r.try_get("account_id")?;
                    let entry = AuditEntry::new("system", "follow.undo", format!("account:{account_id}"));
                    Self::audit(&mut tx, &self.seal, &entry, now).await?;
                }
                tx.commit().await?;
                Ok(!rows.is_empty())
            }

            async fn subject_data(&self, actor_uri: &str) -> Result<SubjectData> {
                let mut data = SubjectData::default();
                data.relay_subscription = sqlx::query(
                    "SELECT inbox, state, created_at FROM relay_subscribers WHERE actor_uri = $1",
                )
                .bind(actor_uri)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| Ok::<_, StoreError>(SubjectRelay {
                    inbox: r.try_get("inbox")?,
                    state: r.try_get("state")?,
                    since: r.try_get("created_at")?,
                }))
                .transpose()?;
                for r in sqlx::query(
                    "SELECT a.username, o.slug, f.created_at, f.inbox, f.follow_id FROM followers f \
                     JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id \
                     WHERE f.actor_uri = $1 ORDER BY f.created_at",
                )
                .bind(actor_uri)
                .fetch_all(&self.pool)
                .await?
                {
                    data.follows.push(SubjectFollow {
                        account: r.try_get("username")?,
                        org: r.try_get("slug")?,
                        since: r.try_get("created_at")?,
                        inbox: r.try_get("inbox")?,
                        follow_id: r.try_get("follow_id")?,
                    });
                }
                let cached = self.remote_actor(actor_uri).await?;
                let inboxes = personal_inboxes(actor_uri, cached.as_ref(), data.follows.iter().map(|f| f.inbox.as_str()));
                data.actor_cache = cached.map(|a| SubjectActor {
                    inbox: a.inbox,
                    shared_inbox: a.shared_inbox,
                    key_id: a.key_id,
                    fetched_at: a.fetched_at,
                });
                let mut conn = self.pool.acquire().await?;
                data.mentioned_in = Self::subject_mentions(&mut conn, actor_uri).await?;
                for item in Self::subject_items(&mut conn, actor_uri, &inboxes).await? {
                    match item {
                        SubjectItem::Activity { uri, kind, created_at, org, .. } => {
                            data.activities_to_them.push(SubjectActivity { uri, kind, created_at, org })
                        }
                        SubjectItem::Delivery { kind, state, created_at, org, .. } => {
                            data.deliveries_to_them.push(SubjectDelivery { kind, state, created_at, org })
                        }
                        SubjectItem::Audit { seq, at, action, payload, org } => {
                            data.audit_entries.push(SubjectAudit { seq, at, action, payload, org })
                        }
                    }
                }
                Ok(data)
            }

            async fn erase_subject(
                &self,
                actor_uri: &str,
                held_orgs: &[String],
                only_org: Option<&str>,
                audit: AuditEntry,
            ) -> Result<Erasure> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let mut erasure = Erasure::default();
                let held = |org: &Option<String>| {
                    org.as_ref().is_some_and(|o| held_orgs.contains(o))
                        || only_org.is_some_and(|only| org.as_deref() != Some(only))
                };
                let follows = sqlx::query(
                    "SELECT f.id, f.inbox, o.slug FROM followers f JOIN accounts a ON a.id = f.account_id \
                     JOIN organizations o ON o.id = a.org_id WHERE f.actor_uri = $1",
                )
                .bind(actor_uri)
                .fetch_all(&mut *tx)
                .await?;
                let mut follow_inboxes = Vec::new();
                for r in &follows {
                    follow_inboxes.push(r.try_get::<String, _>("inbox")?);
                    if held(&Some(r.try_get("slug")?)) {
                        erasure.follows_held += 1;
                        continue;
                    }
                    sqlx::query("DELETE FROM followers WHERE id = $1").bind(r.try_get::<i64, _>("id")?).execute(&mut *tx).await?;
                    erasure.follows_removed += 1;
                }
                let cached = sqlx::query(
                    "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at FROM remote_actors WHERE uri = $1",
                )
                .bind(actor_uri)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| remote_actor_from(&r))
                .transpose()?;
                let inboxes = personal_inboxes(actor_uri, cached.as_ref(), follow_inboxes.iter().map(String::as_str));
                for item in Self::subject_items(&mut tx, actor_uri, &inboxes).await? {
                    match item {
                        SubjectItem::Activity { id, org, .. } if !held(&org) => {
                            sqlx::query("DELETE FROM deliveries WHERE activity_id = $1").bind(id).execute(&mut *tx).await?;
                            sqlx::query("DELETE FROM activities WHERE id = $1").bind(id).execute(&mut *tx).await?;
                            erasure.activities_removed += 1;
                        }
                        SubjectItem::Delivery { id, org, .. } if !held(&org) => {
                            erasure.deliveries_removed += sqlx::query("DELETE FROM deliveries WHERE id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected() as i64;
                        }
                        SubjectItem::Audit { seq, org, .. } if !held(&org) => {
                            sqlx::query("DELETE FROM audit_payloads WHERE seq = $1").bind(seq).execute(&mut *tx).await?;
                            erasure.audit_payloads_erased += 1;
                        }
                        _ => erasure.items_held += 1,
                    }
                }
                // The relay subscription and the key cache are the instance's, not one
                // organisation's.
                if only_org.is_none() {
                    erasure.relay_subscription_removed = sqlx::query("DELETE FROM relay_subscribers WHERE actor_uri = $1")
                        .bind(actor_uri)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected() as i64;
                }
                if erasure.follows_held == 0 && only_org.is_none() {
                    erasure.actor_cache_removed = sqlx::query("DELETE FROM remote_actors WHERE uri = $1")
                        .bind(actor_uri)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected() as i64;
                }
                erasure.mentions_for_review = Self::subject_mentions(&mut tx, actor_uri)
                    .await?
                    .iter()
                    .filter(|m| only_org.is_none_or(|o| m.org == o))
                    .count() as i64;
                let audit = audit.with_detail(serde_json::to_value(&erasure).unwrap_or_default());
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                tx.commit().await?;
                Ok(erasure)
            }

            async fn forget_remote_actor(&self, actor_uri: &str) -> Result<u64> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let removed = sqlx::query("DELETE FROM followers WHERE actor_uri = $1")
                    .bind(actor_uri)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM remote_actors WHERE uri = $1")
                    .bind(actor_uri)
                    .execute(&mut *tx)
                    .await?;
                let entry = AuditEntry::new("system", "remote_actor.deleted", "remote_actor")
                    .with_detail(serde_json::json!({ "followings_removed": removed }));
                Self::audit(&mut tx, &self.seal, &entry, now).await?;
                tx.commit().await?;
                Ok(removed)
            }

            async fn record_follower_counts(&self, day: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO follower_counts (account_id, day, followers) \
                     SELECT a.id, $1, (SELECT COUNT(*) FROM followers f WHERE f.account_id = a.id) FROM accounts a \
                     WHERE true ON CONFLICT (account_id, day) DO UPDATE SET followers = excluded.followers",
                )
                .bind(day)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn follower_history(&self, account_id: i64, since_day: &str) -> Result<Vec<(String, i64)>> {
                let rows = sqlx::query(
                    "SELECT day, followers FROM follower_counts WHERE account_id = $1 AND day >= $2 ORDER BY day",
                )
                .bind(account_id)
                .bind(since_day)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok((r.try_get("day")?, r.try_get("followers")?))).collect()
            }

            async fn follower_count(&self, account_id: i64) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM followers WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("n")?)
            }

            async fn publish(
                &self,
                new: NewAnnouncement,
                activities: Vec<NewActivity>,
                audit: AuditEntry,
            ) -> Result<Announcement> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let announcement = Self::insert_announcement(&mut tx, &new, &activities, &audit, &self.seal, now).await?;
                tx.commit().await?;
                Ok(announcement)
            }

            async fn edit_announcement(
                &self,
                edit: AnnouncementEdit,
                update: NewActivity,
                audit: AuditEntry,
            ) -> Result<Announcement> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let announcement = Self::apply_edit(&mut tx, &edit, &update, &audit, &self.seal, now).await?;
                tx.commit().await?;
                Ok(announcement)
            }

            async fn retract_announcement(
                &self,
                id: i64,
                at: Millis,
                delete: NewActivity,
                audit: AuditEntry,
            ) -> Result<Announcement> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let changed = sqlx::query(
                    "UPDATE announcements SET retracted_at = $1 WHERE id = $2 AND retracted_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("announcement {id} (or it was already retracted)")));
                }
                Self::insert_activity(&mut tx, &delete, Some(id), now).await?;
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                let announcement = Self::announcement_by_id(&mut tx, id).await?;
                tx.commit().await?;
                Ok(announcement)
            }

            async fn announcement(&self, account_id: i64, public_id: &str) -> Result<Option<Announcement>> {
                sqlx::query(&format!(
                    "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE account_id = $1 AND public_id = $2"
                ))
                .bind(account_id)
                .bind(public_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| announcement_from(&r))
                .transpose()
            }

            async fn announcements(&self, account_id: i64, limit: i64, offset: i64) -> Result<Vec<Announcement>> {
                sqlx::query(&format!(
                    "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
                     WHERE account_id = $1 AND retracted_at IS NULL \
                     ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(account_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(announcement_from)
                .collect()
            }

            async fn tagged_announcements(&self, tag: &str, limit: i64, offset: i64) -> Result<Vec<Announcement>> {
                sqlx::query(&format!(
                    "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
                     WHERE retracted_at IS NULL AND id IN (SELECT announcement_id FROM announcement_tags WHERE tag = $1) \
                     ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(tag)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(announcement_from)
                .collect()
            }

            async fn announcements_without_tags(&self, after_id: i64, limit: i64) -> Result<Vec<Announcement>> {
                sqlx::query(&format!(
                    "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
                     WHERE id > $1 AND retracted_at IS NULL AND (source_text LIKE '%#%' OR translations LIKE '%#%') \
                     AND NOT EXISTS (SELECT 1 FROM announcement_tags t WHERE t.announcement_id = announcements.id) \
                     ORDER BY id LIMIT $2"
                ))
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(announcement_from)
                .collect()
            }

            async fn set_announcement_tags(&self, announcement_id: i64, tags: &[String]) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                let placed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM announcement_tags WHERE announcement_id = $1")
                    .bind(announcement_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
                // An edit (on any instance) may have placed it meanwhile, from newer text.
                if placed == 0 {
                    Self::set_tags(&mut tx, announcement_id, tags).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn announcement_with_id(&self, id: i64) -> Result<Option<Announcement>> {
                let row = sqlx::query(&format!("SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| announcement_from(&r)).transpose()
            }

            async fn announcement_count(&self, account_id: i64) -> Result<i64> {
                Ok(sqlx::query(
                    "SELECT COUNT(*) AS n FROM announcements WHERE account_id = $1 AND retracted_at IS NULL",
                )
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?)
            }

            async fn activity_uri_for(&self, announcement_id: i64, kind: &str) -> Result<Option<String>> {
                Ok(sqlx::query(
                    "SELECT uri FROM activities WHERE announcement_id = $1 AND kind = $2 ORDER BY id LIMIT 1",
                )
                .bind(announcement_id)
                .bind(kind)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("uri"))
                .transpose()?)
            }

            async fn claim_deliveries(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>> {
                let sql = format!("{CLAIM_HEAD}{}{CLAIM_TAIL}", $lock);
                sqlx::query(&sql)
                    .bind(claim.now + claim.lease_ms)
                    .bind(claim.now)
                    .bind(claim.limit)
                    .bind(claim.worker)
                    .bind(claim.alive_since)
                    .bind(claim.lane.priorities().0)
                    .bind(claim.lane.priorities().1)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(ClaimedDelivery {
                            id: r.try_get("id")?,
                            activity_id: r.try_get("activity_id")?,
                            inbox: r.try_get("inbox")?,
                            host: r.try_get("host")?,
                            attempts: r.try_get("attempts")?,
                            created_at: r.try_get("created_at")?,
                            lease_until: r.try_get("lease_until")?,
                            priority: r.try_get("priority")?,
                        })
                    })
                    .collect()
            }

            async fn worker_heartbeat(&self, worker: &str, now: Millis) -> Result<()> {
                sqlx::query(
                    "INSERT INTO workers (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
                     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                )
                .bind(worker)
                .bind(now)
                .execute(&self.pool)
                .await?;
                // Workers gone for a day have no rows left to take over.
                sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1")
                    .bind(now - 86_400_000)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn activity_for_delivery(&self, activity_id: i64) -> Result<StoredActivity> {
                let r = sqlx::query("SELECT id, uri, account_id, signer, body FROM activities WHERE id = $1")
                    .bind(activity_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("activity {activity_id}")))?;
                Ok(StoredActivity {
                    id: r.try_get("id")?,
                    uri: r.try_get("uri")?,
                    account_id: r.try_get("account_id")?,
                    signer: r.try_get("signer")?,
                    body: r.try_get("body")?,
                })
            }

            async fn expire_deliveries(&self, created_before: Millis, now: Millis) -> Result<u64> {
                let mut tx = begin(&self.pool, $begin).await?;
                let n = sqlx::query(
                    "UPDATE deliveries SET state = 'dead', lease_until = NULL, updated_at = $2, \
                     last_error = 'gave up: the retry horizon passed while the server was unreachable' \
                     WHERE state IN ('pending', 'retrying') AND created_at < $1 \
                     AND (lease_until IS NULL OR lease_until < $2) \
                     AND EXISTS (SELECT 1 FROM hosts h WHERE h.host = deliveries.host AND h.breaker_open_until > $2)",
                )
                .bind(created_before)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n)
            }

            async fn record_outcomes(&self, outcomes: &[(i64, Millis, DeliveryOutcome)], now: Millis) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                // Successes are the bulk of any fan-out: one statement per status code and
                // chunk instead of one per row. The lease condition keeps a worker whose
                // lease ran out from overwriting what the worker that took over recorded.
                let mut delivered: std::collections::BTreeMap<(u16, Millis), Vec<i64>> = Default::default();
                for (id, lease, outcome) in outcomes {
                    if let DeliveryOutcome::Delivered { status } = outcome {
                        delivered.entry((*status, *lease)).or_default().push(*id);
                    }
                }
                for ((status, lease), ids) in &delivered {
                    for chunk in ids.chunks(500) {
                        let mut q = QueryBuilder::<$db>::new("UPDATE deliveries SET state = 'delivered', last_status = ");
                        q.push_bind(i64::from(*status));
                        q.push(", last_error = NULL, lease_until = NULL, updated_at = ");
                        q.push_bind(now);
                        q.push(" WHERE lease_until = ");
                        q.push_bind(*lease);
                        q.push(" AND id IN (");
                        let mut ids = q.separated(", ");
                        for id in chunk {
                            ids.push_bind(*id);
                        }
                        q.push(")");
                        q.build().execute(&mut *tx).await?;
                    }
                }
                for (id, lease, outcome) in outcomes {
                    let (state, status, error, next): (&str, Option<i64>, Option<&str>, Option<Millis>) = match outcome {
                        DeliveryOutcome::Delivered { .. } => continue,
                        DeliveryOutcome::Released => {
                            sqlx::query(
                                "UPDATE deliveries SET lease_until = NULL, attempts = attempts - 1, updated_at = $1, \
                                 next_attempt_at = $1 + 2000 \
                                 WHERE id = $2 AND lease_until = $3",
                            )
                            .bind(now)
                            .bind(id)
                            .bind(lease)
                            .execute(&mut *tx)
                            .await?;
                            continue;
                        }
                        DeliveryOutcome::Retry { status, error, next_attempt_at } => {
                            ("retrying", status.map(i64::from), Some(error), Some(*next_attempt_at))
                        }
                        DeliveryOutcome::Dead { status, error } => ("dead", status.map(i64::from), Some(error), None),
                    };
                    sqlx::query(
                        "UPDATE deliveries SET state = $1, last_status = $2, last_error = $3, \
                         next_attempt_at = COALESCE($4, next_attempt_at), lease_until = NULL, \
                         updated_at = $5 WHERE id = $6 AND lease_until = $7",
                    )
                    .bind(state)
                    .bind(status)
                    .bind(error)
                    .bind(next)
                    .bind(now)
                    .bind(id)
                    .bind(lease)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn host_state(&self, host: &str) -> Result<Option<HostState>> {
                sqlx::query(
                    "SELECT consecutive_failures, breaker_open_until, signature_scheme FROM hosts WHERE host = $1",
                )
                .bind(host)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| {
                    Ok(HostState {
                        consecutive_failures: r.try_get("consecutive_failures")?,
                        breaker_open_until: r.try_get("breaker_open_until")?,
                        signature_scheme: r.try_get("signature_scheme")?,
                    })
                })
                .transpose()
            }

            async fn record_host(&self, host: &str, report: HostReport, now: Millis) -> Result<()> {
                match report {
                    HostReport::Success { scheme } => {
                        sqlx::query(
                            "INSERT INTO hosts (host, consecutive_failures, signature_scheme, updated_at) \
                             VALUES ($1, 0, $2, $3) ON CONFLICT (host) DO UPDATE SET \
                             consecutive_failures = 0, breaker_open_until = NULL, last_error = NULL, \
                             failing_since = NULL, signature_scheme = excluded.signature_scheme, \
                             updated_at = excluded.updated_at",
                        )
                        .bind(host)
                        .bind(scheme)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                    }
                    HostReport::Failure { error, open_breaker_until } => {
                        sqlx::query(
                            "INSERT INTO hosts (host, consecutive_failures, breaker_open_until, last_error, \
                             failing_since, updated_at) VALUES ($1, 1, $2, $3, $4, $4) ON CONFLICT (host) DO UPDATE SET \
                             consecutive_failures = hosts.consecutive_failures + 1, \
                             breaker_open_until = COALESCE(excluded.breaker_open_until, hosts.breaker_open_until), \
                             last_error = excluded.last_error, \
                             failing_since = COALESCE(hosts.failing_since, excluded.failing_since), \
                             updated_at = excluded.updated_at",
                        )
                        .bind(host)
                        .bind(open_breaker_until)
                        .bind(error)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn acquire_job(&self, name: &str, holder: &str, now: Millis, until: Millis) -> Result<bool> {
                let taken = sqlx::query(
                    "INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
                     WHERE job_leases.lease_until <= $4 OR job_leases.lease_until > $3 + ($3 - $4)",
                )
                .bind(name)
                .bind(holder)
                .bind(until)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(taken == 1)
            }

            async fn queue_depth(&self, now: Millis) -> Result<QueueDepth> {
                let mut depth = QueueDepth::default();
                for r in sqlx::query(
                    "SELECT priority, state, COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'retrying') \
                     GROUP BY priority, state ORDER BY priority, state",
                )
                .fetch_all(&self.pool)
                .await?
                {
                    depth.waiting.push((r.try_get("priority")?, r.try_get("state")?, r.try_get("n")?));
                }
                depth.dead = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'dead'")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("n")?;
                depth.failing_hosts = sqlx::query(
                    "SELECT COUNT(*) AS n FROM hosts WHERE consecutive_failures > 0 \
                     AND (breaker_open_until IS NULL OR breaker_open_until <= $1)",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
                depth.open_breakers = sqlx::query("SELECT COUNT(*) AS n FROM hosts WHERE breaker_open_until > $1")
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("n")?;
                Ok(depth)
            }

            async fn delivery_stats_since(&self, announcement_id: Option<i64>, finished_after: Millis) -> Result<DeliveryStats> {
                let filter = if announcement_id.is_some() {
                    "JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1"
                } else {
                    "WHERE ($1 IS NULL OR TRUE)"
                };
                let mut stats = DeliveryStats::default();
                let rows = sqlx::query(&format!(
                    "SELECT d.state AS state, COUNT(*) AS n FROM deliveries d {filter} \
                     AND (d.state IN ('pending', 'retrying') OR d.updated_at >= $2) GROUP BY d.state"
                ))
                .bind(announcement_id)
                .bind(finished_after)
                .fetch_all(&self.pool)
                .await?;
                for r in rows {
                    let n: i64 = r.try_get("n")?;
                    match r.try_get::<String, _>("state")?.as_str() {
                        "delivered" => stats.delivered = n,
                        "pending" => stats.pending = n,
                        "retrying" => stats.retrying = n,
                        "dead" => stats.dead = n,
                        _ => {}
                    }
                }
                let filter = if announcement_id.is_some() {
                    "JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1 AND"
                } else {
                    "WHERE ($1 IS NULL OR TRUE) AND"
                };
                stats.failing_hosts = sqlx::query(&format!(
                    "SELECT d.host AS host, COUNT(*) AS n, COALESCE(MAX(h.consecutive_failures), 0) AS failures, \
                     MAX(COALESCE(h.last_error, d.last_error)) AS last_error \
                     FROM deliveries d LEFT JOIN hosts h ON h.host = d.host {filter} \
                     (d.state = 'retrying' OR (d.state = 'dead' AND d.updated_at >= $2)) \
                     GROUP BY d.host ORDER BY n DESC, d.host LIMIT 20"
                ))
                .bind(announcement_id)
                .bind(finished_after)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(FailingHost {
                        host: r.try_get("host")?,
                        undelivered: r.try_get("n")?,
                        consecutive_failures: r.try_get("failures")?,
                        last_error: r.try_get("last_error")?,
                    })
                })
                .collect::<Result<_>>()?;
                if announcement_id.is_some() {
                    let count = |state: &str| format!("SUM(CASE WHEN d.state = '{state}' THEN 1 ELSE 0 END) AS {state}");
                    stats.by_host = sqlx::query(&format!(
                        "SELECT d.host AS host, {}, {}, {}, {} FROM deliveries d \
                         JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1 \
                         AND (d.state IN ('pending', 'retrying') OR d.updated_at >= $2) GROUP BY d.host \
                         ORDER BY SUM(CASE WHEN d.state = 'delivered' THEN 0 ELSE 1 END) DESC, d.host LIMIT $3",
                        count("delivered"),
                        count("pending"),
                        count("retrying"),
                        count("dead"),
                    ))
                    .bind(announcement_id)
                    .bind(finished_after)
                    .bind(HOSTS_SHOWN)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(HostProgress {
                            host: r.try_get("host")?,
                            delivered: r.try_get("delivered")?,
                            pending: r.try_get("pending")?,
                            retrying: r.try_get("retrying")?,
                            dead: r.try_get("dead")?,
                        })
                    })
                    .collect::<Result<_>>()?;
                }
                Ok(stats)
            }

            async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
                sqlx::query(
                    "SELECT l.seq, l.at, l.org, l.actor, l.action, l.subject, l.payload_commitment, l.seal, \
                     p.salt, p.payload FROM audit_log l LEFT JOIN audit_payloads p ON p.seq = l.seq \
                     WHERE l.seq > $1 ORDER BY l.seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    let salt: Option<String> = r.try_get("salt")?;
                    let payload: Option<String> = r.try_get("payload")?;
                    Ok(AuditRecord {
                        leaf: AuditLeaf {
                            seq: r.try_get("seq")?,
                            at: r.try_get("at")?,
                            org: r.try_get("org")?,
                            actor: r.try_get("actor")?,
                            action: r.try_get("action")?,
                            subject: r.try_get("subject")?,
                            payload_commitment: r.try_get("payload_commitment")?,
                        },
                        seal: r.try_get("seal")?,
                        payload: salt.zip(payload),
                    })
                })
                .collect()
            }

            async fn audit_size(&self) -> Result<i64> {
                Ok(sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("n")?)
            }

            async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<()> {
                sqlx::query(
                    "INSERT INTO audit_checkpoints (tree_size, root_hash, note, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
                )
                .bind(checkpoint.tree_size)
                .bind(&checkpoint.root_hash)
                .bind(&checkpoint.note)
                .bind(checkpoint.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
                sqlx::query("SELECT tree_size, root_hash, note, created_at FROM audit_checkpoints ORDER BY tree_size")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(StoredCheckpoint {
                            tree_size: r.try_get("tree_size")?,
                            root_hash: r.try_get("root_hash")?,
                            note: r.try_get("note")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn last_audit_payload(&self, action: &str) -> Result<Option<String>> {
                Ok(sqlx::query(
                    "SELECT p.payload FROM audit_log l JOIN audit_payloads p ON p.seq = l.seq \
                     WHERE l.action = $1 ORDER BY l.seq DESC LIMIT 1",
                )
                .bind(action)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("payload"))
                .transpose()?)
            }

            async fn record_security_event(&self, event: &str, client_pseudonym: &str, detail: &str) -> Result<()> {
                sqlx::query("INSERT INTO security_log (at, event, client, detail) VALUES ($1, $2, $3, $4)")
                    .bind(now_millis())
                    .bind(event)
                    .bind(client_pseudonym)
                    .bind(detail)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn retention_plan(&self, cutoffs: &[ClassCutoff]) -> Result<Vec<ClassCount>> {
                let mut conn = self.pool.acquire().await?;
                let mut out = Vec::with_capacity(cutoffs.len());
                for c in cutoffs {
                    let (count, _) = retention_sql(c.class);
                    let row = sqlx::query(count)
                        .bind(c.cutoff)
                        .bind(c.org.as_deref().unwrap_or(""))
                        .fetch_one(&mut *conn)
                        .await?;
                    out.push(ClassCount { class: c.class, org: c.org.clone(), count: row.try_get("n")?, oldest: row.try_get("oldest")? });
                }
                Ok(out)
            }

            async fn retention_rows(&self, cutoff: &ClassCutoff) -> Result<Vec<String>> {
                let sql = retention_rows_sql(cutoff.class).replace("{json}", $json);
                let rows = sqlx::query(&sql)
                    .bind(cutoff.cutoff)
                    .bind(cutoff.org.as_deref().unwrap_or(""))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok(r.try_get("row")?)).collect()
            }

            async fn retention_apply(&self, cutoffs: &[ClassCutoff], audit: AuditEntry) -> Result<Vec<ClassCount>> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let mut out = Vec::with_capacity(cutoffs.len());
                for c in cutoffs {
                    let (count, apply) = retention_sql(c.class);
                    let org = c.org.as_deref().unwrap_or("");
                    let row = sqlx::query(count).bind(c.cutoff).bind(org).fetch_one(&mut *tx).await?;
                    let counted = ClassCount { class: c.class, org: c.org.clone(), count: row.try_get("n")?, oldest: row.try_get("oldest")? };
                    if counted.count > 0 {
                        for statement in apply {
                            sqlx::query(statement).bind(c.cutoff).bind(org).execute(&mut *tx).await?;
                        }
                    }
                    out.push(counted);
                }
                let removed: serde_json::Map<String, serde_json::Value> = out
                    .iter()
                    .filter(|c| c.count > 0)
                    .map(|c| (format!("{}/{}", c.class.as_str(), c.org.as_deref().unwrap_or("-")), c.count.into()))
                    .collect();
                let mut detail = match audit.detail.clone() {
                    serde_json::Value::Object(map) => map,
                    _ => serde_json::Map::new(),
                };
                detail.insert("removed".into(), serde_json::Value::Object(removed));
                let audit = audit.with_detail(serde_json::Value::Object(detail));
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn record_audit(&self, entry: AuditEntry) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                Self::audit(&mut tx, &self.seal, &entry, now_millis()).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

fn account_from<R: Row>(r: &R) -> Result<Account>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Account {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_slug: r.try_get("org_slug")?,
        org_name: r.try_get("org_name")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        summary: r.try_get("summary")?,
        public_key_pem: r.try_get("public_key_pem")?,
        private_key_enc: r.try_get("private_key_enc")?,
        language: r.try_get("language")?,
        created_at: r.try_get("created_at")?,
    })
}

fn remote_actor_from<R: Row>(r: &R) -> Result<RemoteActor>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RemoteActor {
        uri: r.try_get("uri")?,
        inbox: r.try_get("inbox")?,
        shared_inbox: r.try_get("shared_inbox")?,
        key_id: r.try_get("key_id")?,
        public_key_pem: r.try_get("public_key_pem")?,
        fetched_at: r.try_get("fetched_at")?,
    })
}

fn announcement_from<R: Row>(r: &R) -> Result<Announcement>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Announcement {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        account_id: r.try_get("account_id")?,
        source_text: r.try_get("source_text")?,
        content_html: r.try_get("content_html")?,
        language: r.try_get("language")?,
        summary: r.try_get("summary")?,
        urgent: r.try_get("urgent")?,
        published_at: r.try_get("published_at")?,
        updated_at: r.try_get("updated_at")?,
        retracted_at: r.try_get("retracted_at")?,
        translations: serde_json::from_str(&r.try_get::<String, _>("translations")?)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
        attachments: serde_json::from_str(&r.try_get::<String, _>("attachments")?)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
        mentions: serde_json::from_str(&r.try_get::<String, _>("mentions")?)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
    })
}

// SQLite write transactions take the write lock up front: a deferred transaction that reads
// first fails with SQLITE_BUSY_SNAPSHOT when another writer commits in between.
sql_store!(
    SqliteStore,
    Sqlite,
    sqlx::SqlitePool,
    Backend::Sqlite,
    crate::migrations::sqlite,
    "",
    None::<&str>,
    "BEGIN IMMEDIATE",
    "json_object"
);
sql_store!(
    PgStore,
    Postgres,
    sqlx::PgPool,
    Backend::Postgres,
    crate::migrations::postgres,
    " FOR UPDATE OF d SKIP LOCKED",
    Some("SELECT pg_advisory_xact_lock(7267657)"),
    "BEGIN",
    "json_build_object"
);

#[cfg(test)]
mod tests {
    #[test]
    fn host_of_keeps_port_and_drops_userinfo() {
        assert_eq!(super::host_of("https://Mastodon.Social/inbox"), "mastodon.social");
        assert_eq!(super::host_of("http://127.0.0.1:8080/users/a/inbox"), "127.0.0.1:8080");
        assert_eq!(super::host_of("https://u:p@h.example?x"), "h.example");
    }
}
