//! `Subscriptions` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::Millis;
use sqlx::Row;

use super::Db;
use crate::sql::SqlStore;
use crate::*;

const SUBSCRIBER: &str = "s.id, s.account_id, a.username, s.email, s.language, s.token, s.created_at, \
                          s.confirmed_at";

/// A confirmation mail is sent again for a repeated request only after this long, so that
/// nobody can make Herold send one address more than a mail a day.
const RESEND_AFTER: Millis = 24 * 3_600_000;

#[async_trait]
impl Subscriptions for SqlStore<Db> {
    async fn subscribe(
        &self,
        account_id: i64,
        email: &str,
        language: &str,
        token: &str,
        limit: i64,
        now: Millis,
    ) -> Result<SubscribeOutcome> {
        let mut tx = self.begin_write().await?;
        // The limit comes first, whatever the address: answering "busy" only to new addresses
        // would tell a flooder which ones are subscribed.
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_subscribers \
             WHERE account_id = $1 AND confirmed_at IS NULL AND created_at > $2",
        )
        .bind(account_id)
        .bind(now - 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= limit {
            tx.commit().await?;
            return Ok(SubscribeOutcome::TooMany);
        }
        let existing = sqlx::query(
            "SELECT id, confirm_sent_at, confirmed_at FROM email_subscribers \
             WHERE account_id = $1 AND email = $2",
        )
        .bind(account_id)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match existing {
            Some(row) if row.try_get::<Option<Millis>, _>("confirmed_at")?.is_some() => {
                SubscribeOutcome::AlreadyConfirmed
            }
            Some(row) => {
                let sent: Option<Millis> = row.try_get("confirm_sent_at")?;
                let resend = sent.is_some_and(|at| at < now - RESEND_AFTER);
                if resend {
                    sqlx::query(
                        "UPDATE email_subscribers SET confirm_sent_at = NULL, language = $2 WHERE id = $1",
                    )
                    .bind(row.try_get::<i64, _>("id")?)
                    .bind(language)
                    .execute(&mut *tx)
                    .await?;
                }
                SubscribeOutcome::Pending
            }
            None => {
                // A request for the same address at the same moment is the same request.
                let inserted = sqlx::query(
                    "INSERT INTO email_subscribers (account_id, email, language, token, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, email) DO NOTHING",
                )
                .bind(account_id)
                .bind(email)
                .bind(language)
                .bind(token)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    SubscribeOutcome::Requested
                } else {
                    SubscribeOutcome::Pending
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn subscriber_by_token(&self, token: &str) -> Result<Option<EmailSubscriber>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER} FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn confirm_subscription(&self, token: &str, now: Millis) -> Result<bool> {
        let found = sqlx::query(
            "UPDATE email_subscribers SET confirmed_at = COALESCE(confirmed_at, $2) WHERE token = $1",
        )
        .bind(token)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(found == 1)
    }

    async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM email_sends WHERE subscriber_id IN (SELECT id FROM email_subscribers WHERE token = $1)")
            .bind(token)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM email_subscribers WHERE token = $1")
            .bind(token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone == 1)
    }

    async fn confirmations_due(&self, limit: i64) -> Result<Vec<EmailSubscriber>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER} FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
             WHERE s.confirmed_at IS NULL AND s.confirm_sent_at IS NULL ORDER BY s.created_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn confirmation_sent(&self, subscriber_id: i64, now: Millis) -> Result<()> {
        sqlx::query("UPDATE email_subscribers SET confirm_sent_at = $2 WHERE id = $1")
            .bind(subscriber_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn subscription_mail_due(&self, since: Millis, limit: i64) -> Result<Vec<SubscriptionMail>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIBER}, an.id AS announcement_id, an.public_id AS announcement \
             FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
             JOIN announcements an ON an.account_id = s.account_id \
             WHERE s.confirmed_at IS NOT NULL AND an.published_at >= s.confirmed_at \
             AND an.published_at > $1 AND an.retracted_at IS NULL AND an.in_reply_to IS NULL \
             AND an.imported_from IS NULL \
             AND NOT EXISTS (SELECT 1 FROM email_sends e \
                             WHERE e.subscriber_id = s.id AND e.announcement_id = an.id) \
             ORDER BY an.urgent DESC, an.published_at, s.id LIMIT $2"
        ))
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn subscription_mailed(&self, subscriber_id: i64, announcement_id: i64, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO email_sends (subscriber_id, announcement_id, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (subscriber_id, announcement_id) DO NOTHING",
        )
        .bind(subscriber_id)
        .bind(announcement_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn subscriber_count(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_subscribers WHERE account_id = $1 AND confirmed_at IS NOT NULL",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn email_subject_data(&self, email: &str) -> Result<EmailSubjectData> {
        let rows = sqlx::query(
            "SELECT s.id, o.slug, a.username, s.language, s.created_at, s.confirmed_at \
             FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE s.email = $1 ORDER BY s.created_at",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?;
        let mut data = EmailSubjectData::default();
        for row in rows {
            let mailed = sqlx::query(
                "SELECT an.public_id, e.sent_at FROM email_sends e \
                 JOIN announcements an ON an.id = e.announcement_id WHERE e.subscriber_id = $1 \
                 ORDER BY e.sent_at",
            )
            .bind(row.try_get::<i64, _>("id")?)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("public_id")?, r.try_get("sent_at")?)))
            .collect::<Result<Vec<_>>>()?;
            data.subscriptions.push(SubjectSubscription {
                org: row.try_get("slug")?,
                account: row.try_get("username")?,
                language: row.try_get("language")?,
                created_at: row.try_get("created_at")?,
                confirmed_at: row.try_get("confirmed_at")?,
                mailed,
            });
        }
        Ok(data)
    }

    async fn erase_email(
        &self,
        email: &str,
        held_orgs: &[String],
        only_org: Option<&str>,
        audit: AuditEntry,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT s.id, o.slug FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE s.email = $1",
        )
        .bind(email)
        .fetch_all(&mut *tx)
        .await?;
        let mut removed = 0;
        for row in rows {
            let org: String = row.try_get("slug")?;
            if held_orgs.contains(&org) || only_org.is_some_and(|only| only != org) {
                continue;
            }
            let id: i64 = row.try_get("id")?;
            sqlx::query("DELETE FROM email_sends WHERE subscriber_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM email_subscribers WHERE id = $1").bind(id).execute(&mut *tx).await?;
            removed += 1;
        }
        Self::audit(&mut tx, &self.seal, &audit, herold_domain::now_millis()).await?;
        tx.commit().await?;
        Ok(removed)
    }
}
