//! `Followers` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::now_millis;
use sqlx::Row;

use super::Db;
use crate::sql::SqlStore;
use crate::*;

#[async_trait]
impl Followers for SqlStore<Db> {
    async fn upsert_remote_actor(&self, actor: &RemoteActor) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
        Ok(sqlx::query_as(
            "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at \
             FROM remote_actors WHERE key_id = $1 ORDER BY fetched_at DESC LIMIT 1",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn remote_actor(&self, uri: &str) -> Result<Option<RemoteActor>> {
        Ok(sqlx::query_as(
            "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at \
             FROM remote_actors WHERE uri = $1",
        )
        .bind(uri)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn add_follower(&self, follower: NewFollower, accept: NewActivity) -> Result<FollowOutcome> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
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
        self.commit_queued(tx).await?;
        Ok(outcome)
    }

    async fn remove_follower(&self, account_id: i64, actor_uri: &str) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
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
        let mut tx = self.begin_write().await?;
        let rows =
            sqlx::query("DELETE FROM followers WHERE actor_uri = $1 AND follow_id = $2 RETURNING account_id")
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

    async fn forget_remote_actor(&self, actor_uri: &str) -> Result<u64> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM followers WHERE actor_uri = $1")
            .bind(actor_uri)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM remote_actors WHERE uri = $1").bind(actor_uri).execute(&mut *tx).await?;
        let entry = AuditEntry::new("system", "remote_actor.deleted", "remote_actor")
            .with_detail(serde_json::json!({ "followings_removed": removed }));
        Self::audit(&mut tx, &self.seal, &entry, now).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn is_follower(&self, account_id: i64, actor_uri: &str) -> Result<bool> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM followers WHERE account_id = $1 AND actor_uri = $2")
                .bind(account_id)
                .bind(actor_uri)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn follower_count(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM followers WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
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
}
