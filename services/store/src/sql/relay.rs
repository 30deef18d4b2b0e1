//! `Relay` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};
use sqlx::Row;

use super::Db;
use crate::sql::{host_of, SqlStore, SUBSCRIBER_COLUMNS};
use crate::*;

impl SqlStore<Db> {
    /// Applies follow-back changes whose subscription is still as expected, queueing
    /// their Follow or Undo; the others are left (the subscription changed meanwhile).
    pub(super) async fn change_follow_backs(
        tx: &mut sqlx::Transaction<'_, Db>,
        changes: &[FollowBackChange],
        now: Millis,
    ) -> Result<()> {
        for c in changes {
            let changed = sqlx::query(
                "UPDATE relay_subscribers SET follow_back_id = $2 \
                 WHERE actor_uri = $1 AND COALESCE(follow_back_id, '') = COALESCE($3, '')",
            )
            .bind(&c.actor_uri)
            .bind(&c.new)
            .bind(&c.expected)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if changed > 0 {
                Self::insert_activity(tx, &c.activity, None, now).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn subscriber_in(
        conn: &mut <Db as sqlx::Database>::Connection,
        actor_uri: &str,
    ) -> Result<Option<Subscriber>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM relay_subscribers WHERE actor_uri = $1"
        ))
        .bind(actor_uri)
        .fetch_optional(&mut *conn)
        .await?)
    }
}

#[async_trait]
impl Relay for SqlStore<Db> {
    async fn relay_subscribe(
        &self,
        s: NewSubscriber,
        answers: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Subscriber> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO relay_subscribers (actor_uri, host, inbox, follow_id, style, state, \
             created_at, updated_at, \
             follow_back_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT (actor_uri) DO \
             UPDATE SET \
             host = excluded.host, inbox = excluded.inbox, follow_id = excluded.follow_id, style = \
             excluded.style, \
             state = CASE WHEN relay_subscribers.state = 'active' THEN 'active' ELSE excluded.state END, \
             follow_back_id = COALESCE(excluded.follow_back_id, relay_subscribers.follow_back_id), \
             updated_at = excluded.updated_at",
        )
        .bind(&s.actor_uri)
        .bind(&s.host)
        .bind(&s.inbox)
        .bind(&s.follow_id)
        .bind(s.style.as_str())
        .bind(s.state.as_str())
        .bind(now)
        .bind(&s.follow_back_id)
        .execute(&mut *tx)
        .await?;
        for answer in &answers {
            Self::insert_activity(&mut tx, answer, None, now).await?;
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let stored = Self::subscriber_in(&mut tx, &s.actor_uri)
            .await?
            .ok_or_else(|| StoreError::NotFound(s.actor_uri.clone()))?;
        self.commit_queued(tx).await?;
        Ok(stored)
    }

    async fn relay_approve(
        &self,
        actor_uri: &str,
        answers: Vec<NewActivity>,
        follow_back_id: Option<&str>,
        audit: AuditEntry,
    ) -> Result<Option<Subscriber>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE relay_subscribers SET state = 'active', updated_at = $1, \
             follow_back_id = COALESCE($3, follow_back_id) WHERE actor_uri = $2 AND state = 'pending'",
        )
        .bind(now)
        .bind(actor_uri)
        .bind(follow_back_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        for answer in &answers {
            Self::insert_activity(&mut tx, answer, None, now).await?;
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let stored = Self::subscriber_in(&mut tx, actor_uri).await?;
        self.commit_queued(tx).await?;
        Ok(stored)
    }

    async fn relay_subscriber(&self, actor_uri: &str) -> Result<Option<Subscriber>> {
        let mut conn = self.pool.acquire().await?;
        Self::subscriber_in(&mut conn, actor_uri).await
    }

    async fn relay_unsubscribe(
        &self,
        actor_uri: &str,
        follow_id: Option<&str>,
        farewells: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query(
            "DELETE FROM relay_subscribers WHERE actor_uri = $1 AND follow_id = COALESCE($2, follow_id)",
        )
        .bind(actor_uri)
        .bind(follow_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 0 {
            return Ok(false);
        }
        for farewell in &farewells {
            Self::insert_activity(&mut tx, farewell, None, now).await?;
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(true)
    }

    async fn relay_subscribers(&self) -> Result<Vec<Subscriber>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM relay_subscribers ORDER BY host, actor_uri"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn relay_subscribers_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<Subscriber>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM relay_subscribers WHERE actor_uri > $1 ORDER BY actor_uri LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn relay_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM relay_subscribers GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }

    async fn relay_pending_from_host(&self, host: &str, except_actor: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM relay_subscribers WHERE state = 'pending' AND host = $1 AND \
             actor_uri <> $2",
        )
        .bind(host)
        .bind(except_actor)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn relay_block(
        &self,
        domain: &str,
        unfollows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<u64> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        Self::change_follow_backs(&mut tx, &unfollows, now).await?;
        sqlx::query(
            "INSERT INTO relay_blocks (domain, created_at) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING",
        )
        .bind(domain)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let hosts: Vec<(String, String)> = sqlx::query("SELECT actor_uri, host FROM relay_subscribers")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("actor_uri")?, r.try_get("host")?)))
            .collect::<Result<_>>()?;
        let mut ended = 0;
        for (actor, _) in hosts.iter().filter(|(_, h)| crate::relay::under_domain(h, domain)) {
            ended += sqlx::query("DELETE FROM relay_subscribers WHERE actor_uri = $1")
                .bind(actor)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        let audit =
            audit.with_more_detail(serde_json::json!({ "domain": domain, "subscriptions_ended": ended }));
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(ended)
    }

    async fn relay_unblock(&self, domain: &str, audit: AuditEntry) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM relay_blocks WHERE domain = $1")
            .bind(domain)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed > 0 {
            let audit = audit.with_more_detail(serde_json::json!({ "domain": domain }));
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    async fn relay_blocks(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT domain FROM relay_blocks ORDER BY domain").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("domain")?)).collect()
    }

    async fn relay_publisher_add(
        &self,
        entry: &str,
        follows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO relay_publishers (entry, created_at) VALUES ($1, $2) ON CONFLICT (entry) DO NOTHING",
        )
        .bind(entry)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 {
            Self::change_follow_backs(&mut tx, &follows, now).await?;
            let audit = audit.with_more_detail(serde_json::json!({ "publisher": entry }));
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        self.commit_queued(tx).await?;
        Ok(added > 0)
    }

    async fn relay_publisher_remove(
        &self,
        entry: &str,
        unfollows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM relay_publishers WHERE entry = $1")
            .bind(entry)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed > 0 {
            Self::change_follow_backs(&mut tx, &unfollows, now).await?;
            let audit = audit.with_more_detail(serde_json::json!({ "publisher": entry }));
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        self.commit_queued(tx).await?;
        Ok(removed > 0)
    }

    async fn relay_follow_back_refused(
        &self,
        actor_uri: &str,
        follow_id: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE relay_subscribers SET follow_back_id = NULL, updated_at = $3 \
             WHERE actor_uri = $1 AND follow_back_id = $2",
        )
        .bind(actor_uri)
        .bind(follow_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        tx.commit().await?;
        Ok(changed > 0)
    }

    async fn relay_publishers(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT entry FROM relay_publishers ORDER BY entry").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("entry")?)).collect()
    }

    async fn relay_suspend_unreachable(&self, cutoff: Millis, by: &str) -> Result<Vec<Subscriber>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        // Failing since before the cutoff, and no delivery there succeeded since: another
        // worker process may have delivered without clearing this one's failure mark.
        let failing: std::collections::HashMap<String, i64> = sqlx::query(
            "SELECT h.host, h.failing_since FROM hosts h WHERE h.failing_since < $1 AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state = 'delivered' AND \
             d.updated_at >= $1)",
        )
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("host")?, r.try_get("failing_since")?)))
        .collect::<Result<_>>()?;
        let active: Vec<Subscriber> = sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM relay_subscribers WHERE state = 'active'"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut suspended = Vec::new();
        for mut s in active {
            let Some(since) = failing.get(&host_of(&s.inbox)) else { continue };
            // Resumed, approved or followed again since the cutoff: it gets its chance.
            if s.updated_at >= cutoff {
                continue;
            }
            let changed = sqlx::query(
                "UPDATE relay_subscribers SET state = 'suspended', updated_at = $1 WHERE actor_uri \
                 = $2 AND state = 'active'",
            )
            .bind(now)
            .bind(&s.actor_uri)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                continue;
            }
            let audit = AuditEntry::new(by, "relay.suspend", format!("relay:{}", s.host))
                .with_detail(serde_json::json!({ "actor": s.actor_uri, "unreachable_since": since }));
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
            s.state = SubscriptionState::Suspended;
            s.updated_at = now;
            suspended.push(s);
        }
        tx.commit().await?;
        Ok(suspended)
    }

    async fn relay_resume(&self, actor_uri: &str, audit: AuditEntry) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let resumed = sqlx::query(
            "UPDATE relay_subscribers SET state = 'active', updated_at = $1 WHERE actor_uri = $2 \
             AND state = 'suspended'",
        )
        .bind(now)
        .bind(actor_uri)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if resumed > 0 {
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        tx.commit().await?;
        Ok(resumed > 0)
    }

    async fn relay_forward(&self, seen: &[String], activities: &[NewActivity]) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        for key in seen {
            let fresh = sqlx::query(
                "INSERT INTO relay_seen (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Dropping the transaction rolls back the keys recorded so far.
            if fresh == 0 {
                return Ok(false);
            }
        }
        for activity in activities {
            Self::insert_activity(&mut tx, activity, None, now).await?;
        }
        self.commit_queued(tx).await?;
        Ok(true)
    }
}
