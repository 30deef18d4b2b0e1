//! `Websub` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::Millis;

use super::Db;
use crate::sql::SqlStore;
use crate::*;

#[async_trait]
impl Websub for SqlStore<Db> {
    async fn websub_subscribe(
        &self,
        account_id: i64,
        format: &str,
        callback: &str,
        secret: Option<&str>,
        expires_at: Millis,
        now: Millis,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO websub_subscriptions (account_id, format, callback, secret, expires_at, \
             notified_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (account_id, format, callback) DO UPDATE SET secret = excluded.secret, \
             expires_at = excluded.expires_at",
        )
        .bind(account_id)
        .bind(format)
        .bind(callback)
        .bind(secret)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn websub_unsubscribe(&self, account_id: i64, format: &str, callback: &str) -> Result<bool> {
        let gone = sqlx::query(
            "DELETE FROM websub_subscriptions WHERE account_id = $1 AND format = $2 AND callback = $3",
        )
        .bind(account_id)
        .bind(format)
        .bind(callback)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(gone > 0)
    }

    async fn websub_due(&self, now: Millis, limit: i64) -> Result<Vec<WebsubSubscription>> {
        Ok(sqlx::query_as(
            "SELECT w.id, w.account_id, a.username, w.format, w.callback, w.secret, w.expires_at, \
             w.notified_until, w.failures FROM websub_subscriptions w JOIN accounts a ON a.id = w.account_id \
             WHERE w.expires_at > $1 AND EXISTS (SELECT 1 FROM announcements an \
               WHERE an.account_id = w.account_id AND an.published_at > w.notified_until \
               AND an.retracted_at IS NULL AND an.imported_from IS NULL) \
             ORDER BY w.failures, w.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn websub_notified(&self, id: i64, until: Millis) -> Result<()> {
        sqlx::query("UPDATE websub_subscriptions SET notified_until = $2, failures = 0 WHERE id = $1")
            .bind(id)
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn websub_failed(&self, id: i64, give_up_after: i64) -> Result<()> {
        sqlx::query("UPDATE websub_subscriptions SET failures = failures + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM websub_subscriptions WHERE id = $1 AND failures >= $2")
            .bind(id)
            .bind(give_up_after)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn websub_count(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM websub_subscriptions WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn websub_expire(&self, now: Millis) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM websub_subscriptions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
