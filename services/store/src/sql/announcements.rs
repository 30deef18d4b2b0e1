//! `Announcements` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::audit::AuditSeal;
use herold_domain::{now_millis, Millis};
use sqlx::Row;

use super::Db;
use crate::sql::{Dialect, JsonText, SqlStore, ANNOUNCEMENT_COLUMNS};
use crate::*;

impl SqlStore<Db> {
    pub(super) async fn insert_announcement(
        tx: &mut sqlx::Transaction<'_, Db>,
        new: &NewAnnouncement,
        activities: &[NewActivity],
        audit: &AuditEntry,
        seal: &AuditSeal,
        now: Millis,
    ) -> Result<Announcement> {
        let id: i64 = sqlx::query(
            "INSERT INTO announcements (public_id, account_id, source_text, content_html, \
             language, summary, urgent, published_at, translations, attachments, mentions, in_reply_to, \
             reply_audience) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&new.public_id)
        .bind(new.account_id)
        .bind(&new.body.source_text)
        .bind(&new.body.content_html)
        .bind(&new.body.language)
        .bind(&new.body.summary)
        .bind(new.urgent)
        .bind(new.published_at)
        .bind(JsonText(&new.body.translations))
        .bind(JsonText(&new.body.attachments))
        .bind(JsonText(&new.body.mentions))
        .bind(&new.body.in_reply_to)
        .bind(&new.body.reply_audience)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        Self::claim_media(tx, &new.body.attachments, id).await?;
        Self::set_tags(tx, id, &new.hashtags).await?;
        for activity in activities {
            Self::insert_activity(tx, activity, Some(id), now).await?;
        }
        Self::audit(tx, seal, audit, now).await?;
        Self::announcement_by_id(tx, id).await
    }

    pub(super) async fn apply_edit(
        tx: &mut sqlx::Transaction<'_, Db>,
        edit: &AnnouncementEdit,
        update: &NewActivity,
        audit: &AuditEntry,
        seal: &AuditSeal,
        now: Millis,
    ) -> Result<Announcement> {
        let changed = sqlx::query(
            "UPDATE announcements SET source_text = $1, content_html = $2, language = $3, \
             summary = $4, updated_at = $5, translations = $7, attachments = $8, mentions = $9, \
             reply_audience = $10 WHERE id = $6 AND retracted_at IS NULL",
        )
        .bind(&edit.body.source_text)
        .bind(&edit.body.content_html)
        .bind(&edit.body.language)
        .bind(&edit.body.summary)
        .bind(edit.updated_at)
        .bind(edit.id)
        .bind(JsonText(&edit.body.translations))
        .bind(JsonText(&edit.body.attachments))
        .bind(JsonText(&edit.body.mentions))
        .bind(&edit.body.reply_audience)
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
        Self::claim_media(tx, &edit.body.attachments, edit.id).await?;
        Self::set_tags(tx, edit.id, &edit.hashtags).await?;
        Self::insert_activity(tx, update, Some(edit.id), now).await?;
        Self::audit(tx, seal, audit, now).await?;
        Self::announcement_by_id(tx, edit.id).await
    }

    /// Replaces the announcement's entries on the tag pages.
    pub(super) async fn set_tags(
        tx: &mut sqlx::Transaction<'_, Db>,
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
    pub(super) async fn claim_media(
        tx: &mut sqlx::Transaction<'_, Db>,
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

    pub(super) async fn announcement_by_id(
        tx: &mut sqlx::Transaction<'_, Db>,
        id: i64,
    ) -> Result<Announcement> {
        sqlx::query_as(&format!("SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("announcement {id}")))
    }
}

#[async_trait]
impl Announcements for SqlStore<Db> {
    async fn publish(
        &self,
        new: NewAnnouncement,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Announcement> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let announcement =
            Self::insert_announcement(&mut tx, &new, &activities, &audit, &self.seal, now).await?;
        self.commit_queued(tx).await?;
        Ok(announcement)
    }

    async fn import_announcement(
        &self,
        new: NewAnnouncement,
        imported_from: &str,
        media: Vec<NewMedia>,
        audit: AuditEntry,
    ) -> Result<Option<Announcement>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM announcements WHERE account_id = $1 AND imported_from = $2")
                .bind(new.account_id)
                .bind(imported_from)
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_some() {
            return Ok(None);
        }
        for m in &media {
            Self::insert_media(&mut tx, m, now).await?;
        }
        let stored = Self::insert_announcement(&mut tx, &new, &[], &audit, &self.seal, now).await?;
        sqlx::query("UPDATE announcements SET imported_from = $1 WHERE id = $2")
            .bind(imported_from)
            .bind(stored.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(Announcement { imported_from: Some(imported_from.to_owned()), ..stored }))
    }

    async fn edit_announcement(
        &self,
        edit: AnnouncementEdit,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let announcement = Self::apply_edit(&mut tx, &edit, &update, &audit, &self.seal, now).await?;
        self.commit_queued(tx).await?;
        Ok(announcement)
    }

    async fn retract_announcement(
        &self,
        id: i64,
        at: Millis,
        delete: NewActivity,
        revocations: Vec<Revocation>,
        audit: AuditEntry,
    ) -> Result<Announcement> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        // The update first: it holds the row, so a stamp being granted is either committed
        // (and read below) or waits and then finds the announcement retracted.
        let changed =
            sqlx::query("UPDATE announcements SET retracted_at = $1 WHERE id = $2 AND retracted_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("announcement {id} (or it was already retracted)")));
        }
        let live: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM interaction_stamps WHERE announcement_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if live.iter().any(|(stamp,)| !revocations.iter().any(|r| r.stamp_id == *stamp)) {
            return Err(StoreError::Conflict(format!("consents to quote announcement {id} changed")));
        }
        Self::insert_activity(&mut tx, &delete, Some(id), now).await?;
        for r in &revocations {
            Self::revoke(&mut tx, r, now).await?;
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let announcement = Self::announcement_by_id(&mut tx, id).await?;
        self.commit_queued(tx).await?;
        Ok(announcement)
    }

    async fn set_pinned(
        &self,
        id: i64,
        pinned: bool,
        activity: NewActivity,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let current = Self::announcement_by_id(&mut tx, id).await?;
        if current.retracted_at.is_some() {
            return Err(StoreError::NotFound(format!("announcement {id} (it was retracted)")));
        }
        if current.pinned_at.is_some() == pinned {
            return Ok(false);
        }
        if pinned {
            // Two pins at once must not both find room.
            sqlx::query(&format!("SELECT id FROM accounts WHERE id = $1{}", <Db as Dialect>::UPDATE_LOCK))
                .bind(current.account_id)
                .execute(&mut *tx)
                .await?;
            let (already,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM announcements \
                 WHERE account_id = $1 AND pinned_at IS NOT NULL AND retracted_at IS NULL",
            )
            .bind(current.account_id)
            .fetch_one(&mut *tx)
            .await?;
            if already >= MAX_PINNED {
                return Err(StoreError::Conflict(format!("{already} announcements are pinned already")));
            }
        }
        sqlx::query("UPDATE announcements SET pinned_at = $1 WHERE id = $2")
            .bind(pinned.then_some(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Not one of the announcement's own deliveries: its statistics count those.
        Self::insert_activity(&mut tx, &activity, None, now).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(true)
    }

    async fn pinned_announcements(&self, account_id: i64) -> Result<Vec<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
             WHERE account_id = $1 AND pinned_at IS NOT NULL AND retracted_at IS NULL \
             ORDER BY pinned_at DESC, id DESC"
        ))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn announcement(&self, account_id: i64, public_id: &str) -> Result<Option<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE account_id = $1 AND public_id = $2"
        ))
        .bind(account_id)
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn announcements(&self, account_id: i64, limit: i64, offset: i64) -> Result<Vec<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
             WHERE account_id = $1 AND retracted_at IS NULL \
             ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(account_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn recent_announcements(
        &self,
        org_slug: &str,
        account_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE account_id IN \
             (SELECT a.id FROM accounts a JOIN organizations o ON o.id = a.org_id WHERE o.slug = $1) \
             AND ($2 IS NULL OR account_id = $2) ORDER BY published_at DESC, id DESC LIMIT $3"
        ))
        .bind(org_slug)
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn search_announcements(
        &self,
        query: &AnnouncementQuery,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Announcement>> {
        let wanted = query.words.trim().to_lowercase();
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "SELECT an.id, an.source_text, an.summary, an.translations FROM announcements an \
             JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             WHERE o.slug = ",
        );
        q.push_bind(query.org_slug.clone());
        if let Some(accounts) = &query.accounts {
            q.push(" AND an.account_id IN (");
            let mut list = q.separated(", ");
            // No account has id -1: it keeps an empty list valid SQL, which then finds nothing.
            list.push_bind(-1i64);
            for id in accounts {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
        }
        q.push(match query.status {
            None => "",
            Some(PublicationState::AsPublished) => " AND an.retracted_at IS NULL AND an.updated_at IS NULL",
            Some(PublicationState::Edited) => " AND an.retracted_at IS NULL AND an.updated_at IS NOT NULL",
            Some(PublicationState::Retracted) => " AND an.retracted_at IS NOT NULL",
        });
        if let Some(author) = query.author_id {
            q.push(
                " AND EXISTS (SELECT 1 FROM drafts d WHERE d.announcement_id = an.id AND d.kind = 'create' \
                 AND d.author_id = ",
            )
            .push_bind(author)
            .push(")");
        }
        if let Some(from) = query.from {
            q.push(" AND an.published_at >= ").push_bind(from);
        }
        if let Some(to) = query.to {
            q.push(" AND an.published_at < ").push_bind(to);
        }
        q.push(" ORDER BY an.published_at DESC, an.id DESC LIMIT ");
        // Words are matched here rather than in SQL (below), so one search reads at most the
        // newest WORD_SEARCH_ROWS announcements the other filters let through.
        match wanted.is_empty() {
            true => q.push_bind(limit).push(" OFFSET ").push_bind(offset),
            false => q.push_bind(WORD_SEARCH_ROWS),
        };
        let found: Vec<(i64, String, Option<String>, JsonText<Vec<StoredTranslation>>)> =
            q.build_query_as().fetch_all(&self.pool).await?;
        // Matched here, not in SQL: SQLite's LOWER folds only ASCII, and "NORDBRÜCKE" is to
        // be found by "nordbrücke" on both backends alike.
        let holds = |text: &str| text.to_lowercase().contains(&wanted);
        let ids: Vec<i64> = match wanted.is_empty() {
            true => found.into_iter().map(|(id, ..)| id).collect(),
            false => found
                .into_iter()
                .filter(|(_, text, summary, versions)| {
                    holds(text)
                        || summary.as_deref().is_some_and(holds)
                        || versions.0.iter().any(|v| holds(&v.source_text))
                })
                .skip(usize::try_from(offset).unwrap_or(0))
                .take(usize::try_from(limit).unwrap_or(0))
                .map(|(id, ..)| id)
                .collect(),
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::<Db>::new(format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id IN ("
        ));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        q.push(") ORDER BY published_at DESC, id DESC");
        Ok(q.build_query_as().fetch_all(&self.pool).await?)
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

    async fn tagged_announcements(&self, tag: &str, limit: i64, offset: i64) -> Result<Vec<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
             WHERE retracted_at IS NULL AND id IN (SELECT announcement_id FROM announcement_tags \
             WHERE tag = $1) \
             ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(tag)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn announcements_without_tags(&self, after_id: i64, limit: i64) -> Result<Vec<Announcement>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements \
             WHERE id > $1 AND retracted_at IS NULL AND (source_text LIKE '%#%' OR translations LIKE '%#%') \
             AND NOT EXISTS (SELECT 1 FROM announcement_tags t WHERE t.announcement_id = announcements.id) \
             ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_announcement_tags(&self, announcement_id: i64, tags: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let placed: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM announcement_tags WHERE announcement_id = $1")
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
        Ok(sqlx::query_as(&format!("SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
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
}
