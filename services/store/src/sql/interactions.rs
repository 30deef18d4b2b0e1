//! `Interactions` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};

use super::Db;
use crate::sql::{Dialect, SqlStore};
use crate::*;

const STAMP_COLUMNS: &str = "id, public_id, account_id, kind, announcement_id, target, interacting_object, \
                             requester, requester_inbox, created_at, revoked_at";

impl SqlStore<Db> {
    /// Revokes a stamp that stands and queues its `Delete`; `false` if it was revoked already.
    pub(super) async fn revoke(
        tx: &mut sqlx::Transaction<'_, Db>,
        revocation: &Revocation,
        now: Millis,
    ) -> Result<bool> {
        let changed =
            sqlx::query("UPDATE interaction_stamps SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(revocation.stamp_id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        if changed > 0 {
            Self::insert_activity(tx, &revocation.delete, None, now).await?;
        }
        Ok(changed > 0)
    }
}

#[async_trait]
impl Interactions for SqlStore<Db> {
    async fn grant_stamp(
        &self,
        stamp: NewStamp,
        accept: &(dyn for<'s> Fn(&'s Stamp) -> NewActivity + Send + Sync),
        audit: AuditEntry,
    ) -> Result<Stamp> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        if let Some(announcement_id) = stamp.announcement_id {
            // Held until this commits: a retraction waits, and then sees this stamp.
            let live: Option<(i64,)> = sqlx::query_as(&format!(
                "SELECT id FROM announcements WHERE id = $1 AND retracted_at IS NULL{}",
                <Db as Dialect>::SHARE_LOCK
            ))
            .bind(announcement_id)
            .fetch_optional(&mut *tx)
            .await?;
            if live.is_none() {
                return Err(StoreError::NotFound(format!("announcement {announcement_id}")));
            }
        }
        // A server mints as many quote posts as it likes; each stamp is an audit entry.
        let (held,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM interaction_stamps WHERE requester = $1 AND target = $2 \
             AND revoked_at IS NULL AND interacting_object <> $3 AND kind = $4",
        )
        .bind(&stamp.requester)
        .bind(&stamp.target)
        .bind(&stamp.interacting_object)
        .bind(stamp.kind.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if held >= stamp.kind.max_per_requester() {
            return Err(StoreError::Conflict(format!("{held} stamps for one requester and target")));
        }
        let inserted = sqlx::query(
            "INSERT INTO interaction_stamps (public_id, account_id, kind, announcement_id, target, \
             interacting_object, requester, requester_inbox, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (kind, target, interacting_object) DO NOTHING",
        )
        .bind(&stamp.public_id)
        .bind(stamp.account_id)
        .bind(stamp.kind.as_str())
        .bind(stamp.announcement_id)
        .bind(&stamp.target)
        .bind(&stamp.interacting_object)
        .bind(&stamp.requester)
        .bind(&stamp.requester_inbox)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let stored: Stamp = sqlx::query_as(&format!(
            "SELECT {STAMP_COLUMNS} FROM interaction_stamps \
             WHERE kind = $1 AND target = $2 AND interacting_object = $3"
        ))
        .bind(stamp.kind.as_str())
        .bind(&stamp.target)
        .bind(&stamp.interacting_object)
        .fetch_one(&mut *tx)
        .await?;
        // Only the server that was given the consent may have it again; a revoked one is not
        // given back by asking twice.
        if stored.requester != stamp.requester || stored.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!("stamp for {}", stamp.interacting_object)));
        }
        // Not counted among the announcement's deliveries: an answer to one server.
        Self::insert_activity(&mut tx, &accept(&stored), None, now).await?;
        if inserted > 0 {
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        self.commit_queued(tx).await?;
        Ok(stored)
    }

    async fn queue_answer(&self, answer: NewActivity) -> Result<()> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        Self::insert_activity(&mut tx, &answer, None, now).await?;
        self.commit_queued(tx).await?;
        Ok(())
    }

    async fn stamp(&self, public_id: &str) -> Result<Option<Stamp>> {
        Ok(sqlx::query_as(&format!("SELECT {STAMP_COLUMNS} FROM interaction_stamps WHERE public_id = $1"))
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn live_stamps(&self, after_id: i64, limit: i64) -> Result<Vec<Stamp>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {STAMP_COLUMNS} FROM interaction_stamps \
             WHERE id > $1 AND revoked_at IS NULL ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn revoke_stamps(&self, revocations: Vec<Revocation>, audit: AuditEntry) -> Result<u64> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut revoked = 0;
        for r in &revocations {
            if Self::revoke(&mut tx, r, now).await? {
                revoked += 1;
            }
        }
        if revoked > 0 {
            Self::audit(
                &mut tx,
                &self.seal,
                &audit.with_detail(serde_json::json!({ "revoked": revoked })),
                now,
            )
            .await?;
        }
        self.commit_queued(tx).await?;
        Ok(revoked)
    }

    async fn live_stamps_of_org(&self, org_slug: &str) -> Result<Vec<Stamp>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {STAMP_COLUMNS} FROM interaction_stamps WHERE revoked_at IS NULL AND account_id IN \
             (SELECT a.id FROM accounts a JOIN organizations o ON o.id = a.org_id WHERE o.slug = $1) ORDER BY id"
        ))
        .bind(org_slug)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn live_stamps_of(&self, announcement_id: i64) -> Result<Vec<Stamp>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {STAMP_COLUMNS} FROM interaction_stamps \
             WHERE announcement_id = $1 AND revoked_at IS NULL ORDER BY id"
        ))
        .bind(announcement_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
