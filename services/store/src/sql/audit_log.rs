//! `AuditLog` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::audit::{payload_commitment, AuditLeaf, AuditSeal};
use herold_domain::{now_millis, Millis};
use sqlx::{QueryBuilder, Row};

use super::Db;
use crate::sql::{random_salt, Dialect, SqlStore};
use crate::*;

impl SqlStore<Db> {
    /// Appends the next leaf. Sequence numbers are gap-free: PostgreSQL serialises
    /// appends with a transaction-scoped advisory lock, SQLite has one writer anyway.
    pub(super) async fn audit(
        tx: &mut sqlx::Transaction<'_, Db>,
        seal: &AuditSeal,
        entry: &AuditEntry,
        at: Millis,
    ) -> Result<()> {
        if let Some(lock) = Db::AUDIT_LOCK {
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
}

#[async_trait]
impl AuditLog for SqlStore<Db> {
    async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        sqlx::query(&format!("{AUDIT_SELECT} WHERE l.seq > $1 ORDER BY l.seq LIMIT $2"))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(record)
            .collect()
    }

    async fn audit_search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let mut q = QueryBuilder::<Db>::new(AUDIT_SELECT);
        push_filter(&mut q, filter);
        if let Some(before) = before {
            q.push(" AND l.seq < ").push_bind(before);
        }
        q.push(" ORDER BY l.seq DESC LIMIT ").push_bind(limit);
        q.build().fetch_all(&self.pool).await?.iter().map(record).collect()
    }

    async fn audit_count(&self, filter: &AuditFilter) -> Result<i64> {
        let mut q = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM audit_log l");
        push_filter(&mut q, filter);
        Ok(q.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    async fn audit_size(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    async fn record_audit(&self, entry: AuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        Self::audit(&mut tx, &self.seal, &entry, now_millis()).await?;
        tx.commit().await?;
        Ok(())
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
        Ok(sqlx::query_as(
            "SELECT tree_size, root_hash, note, created_at FROM audit_checkpoints ORDER BY tree_size",
        )
        .fetch_all(&self.pool)
        .await?)
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
}

const AUDIT_SELECT: &str = "SELECT l.seq, l.at, l.org, l.actor, l.action, l.subject, l.payload_commitment, \
     l.seal, p.salt, p.payload FROM audit_log l LEFT JOIN audit_payloads p ON p.seq = l.seq";

fn push_filter(q: &mut QueryBuilder<'_, Db>, filter: &AuditFilter) {
    q.push(" WHERE 1 = 1");
    if let Some(org) = &filter.org {
        q.push(" AND l.org = ").push_bind(org.clone());
    }
    if let Some(actor) = &filter.actor {
        q.push(" AND l.actor = ").push_bind(actor.clone());
    }
    if let Some(action) = &filter.action {
        q.push(" AND l.action = ").push_bind(action.clone());
    }
    if let Some(subject) = &filter.subject {
        q.push(" AND l.subject = ").push_bind(subject.clone());
    }
    if let Some(from) = filter.from {
        q.push(" AND l.at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        q.push(" AND l.at < ").push_bind(to);
    }
}

fn record(r: &<Db as sqlx::Database>::Row) -> Result<AuditRecord> {
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
}
