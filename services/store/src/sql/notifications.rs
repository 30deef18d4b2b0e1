//! `Notifications` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};

use super::Db;
use crate::sql::SqlStore;
use crate::*;

#[async_trait]
impl Notifications for SqlStore<Db> {
    async fn unsent_mail(&self, since: Millis, limit: i64) -> Result<Vec<MailOut>> {
        Ok(sqlx::query_as(
            "SELECT s.email, s.name, s.language, o.slug AS org_slug, n.id, n.kind, n.draft, b.name AS by_name, \
             n.excerpt, n.comment, n.created_at, n.read_at FROM notifications n \
             JOIN staff s ON s.id = n.staff_id JOIN organizations o ON o.id = s.org_id \
             LEFT JOIN staff b ON b.id = n.by_staff \
             WHERE n.emailed_at IS NULL AND n.mail_attempts < $1 AND n.created_at >= $2 \
             AND s.email IS NOT NULL AND s.email <> '' AND s.notify_by_email ORDER BY n.id LIMIT $3",
        )
        .bind(MAIL_ATTEMPTS)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mailed(&self, id: i64, now: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE notifications SET emailed_at = $1, mail_attempts = mail_attempts + 1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mail_failed(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE notifications SET mail_attempts = mail_attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn notification_cursor(&self) -> Result<i64> {
        let (seq,): (i64,) =
            sqlx::query_as("SELECT seq FROM notification_cursor WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(seq)
    }

    async fn add_notifications(
        &self,
        from: i64,
        to: i64,
        notifications: Vec<NewNotification>,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query("UPDATE notification_cursor SET seq = $1 WHERE id = 1 AND seq = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        for n in &notifications {
            sqlx::query(
                "INSERT INTO notifications (staff_id, kind, draft, by_staff, excerpt, comment, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(n.staff_id)
            .bind(n.kind.as_str())
            .bind(&n.draft)
            .bind(n.by_staff)
            .bind(&n.excerpt)
            .bind(&n.comment)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn notifications(
        &self,
        staff_id: i64,
        org_slug: &str,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Notification>> {
        Ok(sqlx::query_as(
            "SELECT n.id, n.kind, n.draft, b.name AS by_name, n.excerpt, n.comment, n.created_at, n.read_at \
             FROM notifications n LEFT JOIN staff b ON b.id = n.by_staff \
             WHERE n.staff_id = $1 AND n.created_at >= $2 ORDER BY n.id DESC LIMIT $3",
        )
        .bind(staff_id)
        .bind(visible.since(DataClass::StaffNotifications, Some(org_slug)))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn has_unread(&self, staff_id: i64, kind: NotificationKind) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE staff_id = $1 AND kind = $2 AND read_at IS NULL",
        )
        .bind(staff_id)
        .bind(kind.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn unread_notifications(&self, staff_id: i64, org_slug: &str, visible: &Visibility) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE staff_id = $1 AND read_at IS NULL AND created_at >= $2",
        )
        .bind(staff_id)
        .bind(visible.since(DataClass::StaffNotifications, Some(org_slug)))
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn read_notifications(&self, staff_id: i64, now: Millis) -> Result<u64> {
        Ok(sqlx::query("UPDATE notifications SET read_at = $1 WHERE staff_id = $2 AND read_at IS NULL")
            .bind(now)
            .bind(staff_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
