//! `Drafts` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::workflow::{DraftState, Step};
use herold_domain::{now_millis, Millis};
use sqlx::Row;

use super::Db;
use crate::sql::{JsonText, SqlStore, DRAFT_SELECT};
use crate::*;

impl SqlStore<Db> {
    pub(super) async fn draft_in(
        conn: &mut <Db as sqlx::Database>::Connection,
        id: i64,
    ) -> Result<DraftRecord> {
        sqlx::query_as(&format!("{DRAFT_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("draft {id}")))
    }

    pub(super) async fn set_draft_media(
        tx: &mut sqlx::Transaction<'_, Db>,
        draft_id: i64,
        media: &[MediaInfo],
        now: Millis,
    ) -> Result<()> {
        sqlx::query("UPDATE drafts SET media = $1, updated_at = $2 WHERE id = $3")
            .bind(JsonText(media))
            .bind(now)
            .bind(draft_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Moves a draft from the transition's start to its end (and, with `seen`, only
    /// if it is still that revision), or fails with `Conflict`.
    pub(super) async fn move_draft(
        tx: &mut sqlx::Transaction<'_, Db>,
        id: i64,
        transition: &herold_domain::workflow::Transition,
        seen: Option<i64>,
        now: Millis,
    ) -> Result<()> {
        // Publishing also checks that its time has come: an approver may have moved it to a
        // later one after the scheduler read it as due.
        let due = match transition.step() {
            Step::Publish => " AND (publish_at IS NULL OR publish_at <= $2)",
            _ => "",
        };
        let moved = sqlx::query(&format!(
            "UPDATE drafts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
             AND revision = COALESCE($5, revision){due}"
        ))
        .bind(transition.to().as_str())
        .bind(now)
        .bind(id)
        .bind(transition.from().as_str())
        .bind(seen)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(StoreError::Conflict(format!(
                "the submission changed or moved on since you loaded it (it is no longer {} as you saw it); \
                 reload it and look again",
                transition.from().as_str()
            )));
        }
        Ok(())
    }

    /// Marks a change an approver would see.
    pub(super) async fn bump_revision(tx: &mut sqlx::Transaction<'_, Db>, id: i64) -> Result<()> {
        sqlx::query("UPDATE drafts SET revision = revision + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Drafts for SqlStore<Db> {
    async fn create_draft(&self, draft: NewDraft, audit: AuditEntry) -> Result<DraftRecord> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO drafts (public_id, account_id, announcement_id, kind, state, source_text, language, \
             summary, urgent, publish_at, author_id, created_at, updated_at, translations, media, mentions, \
             in_reply_to, answers, reply_audience) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING id",
        )
        .bind(&draft.public_id)
        .bind(draft.account_id)
        .bind(draft.announcement_id)
        .bind(draft.kind.as_str())
        .bind(&draft.content.source_text)
        .bind(&draft.content.language)
        .bind(&draft.content.summary)
        .bind(draft.content.urgent)
        .bind(draft.content.publish_at)
        .bind(draft.author_id)
        .bind(now)
        .bind(JsonText(&draft.content.translations))
        .bind(JsonText(&draft.media))
        .bind(JsonText(&draft.content.mentions))
        .bind(&draft.content.in_reply_to)
        .bind(&draft.answers)
        .bind(&draft.content.reply_audience)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let record = Self::draft_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn attach_media(
        &self,
        draft_id: i64,
        media: NewMedia,
        max: usize,
        audit: AuditEntry,
    ) -> Result<DraftRecord> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut draft = Self::draft_in(&mut tx, draft_id).await?;
        if !draft.state.editable() {
            return Err(StoreError::Conflict(format!("draft {draft_id} is no longer being written")));
        }
        // Checked here, under the write lock, so parallel uploads cannot pass the limit.
        if draft.media.len() >= max {
            return Err(StoreError::Conflict(format!("an announcement carries at most {max} images")));
        }
        Self::insert_media(&mut tx, &media, now).await?;
        draft.media.push(media.info);
        Self::set_draft_media(&mut tx, draft_id, &draft.media, now).await?;
        Self::bump_revision(&mut tx, draft_id).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let record = Self::draft_in(&mut tx, draft_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn detach_media(
        &self,
        draft_id: i64,
        media_public_id: &str,
        audit: AuditEntry,
    ) -> Result<DraftRecord> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut draft = Self::draft_in(&mut tx, draft_id).await?;
        if !draft.state.editable() {
            return Err(StoreError::Conflict(format!("draft {draft_id} is no longer being written")));
        }
        let before = draft.media.len();
        draft.media.retain(|m| m.public_id != media_public_id);
        if draft.media.len() == before {
            return Err(StoreError::NotFound(format!("image {media_public_id} on draft {draft_id}")));
        }
        Self::set_draft_media(&mut tx, draft_id, &draft.media, now).await?;
        Self::bump_revision(&mut tx, draft_id).await?;
        sqlx::query("DELETE FROM media WHERE public_id = $1 AND announcement_id IS NULL")
            .bind(media_public_id)
            .execute(&mut *tx)
            .await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let record = Self::draft_in(&mut tx, draft_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn media_file(&self, public_id: &str) -> Result<Option<MediaFile>> {
        let row = sqlx::query(
            "SELECT m.public_id, m.content_type, m.width, m.height, m.alt_text, m.bytes, o.slug, \
             ((an.id IS NOT NULL AND an.retracted_at IS NULL) OR m.profile_of IS NOT NULL) AS public \
             FROM media m \
             JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id \
             LEFT JOIN announcements an ON an.id = m.announcement_id WHERE m.public_id = $1",
        )
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(MediaFile {
                info: MediaInfo {
                    public_id: r.try_get("public_id")?,
                    content_type: r.try_get("content_type")?,
                    width: r.try_get("width")?,
                    height: r.try_get("height")?,
                    alt_text: r.try_get("alt_text")?,
                },
                org_slug: r.try_get("slug")?,
                public: r.try_get("public")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
    }

    async fn draft(&self, public_id: &str, visible: &Visibility) -> Result<Option<DraftRecord>> {
        let draft: Option<DraftRecord> = sqlx::query_as(&format!("{DRAFT_SELECT} WHERE d.public_id = $1"))
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(draft.filter(|d| {
            !abandoned(d.state) || visible.shows(DataClass::AbandonedDrafts, Some(&d.org_slug), d.updated_at)
        }))
    }

    async fn drafts(
        &self,
        org_slug: &str,
        states: &[DraftState],
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<DraftRecord>> {
        let since = visible.since(DataClass::AbandonedDrafts, Some(org_slug));
        let mut q = sqlx::QueryBuilder::<Db>::new(DRAFT_SELECT);
        q.push(" WHERE o.slug = ").push_bind(org_slug.to_owned()).push(" AND d.state IN (");
        let mut list = q.separated(", ");
        for state in states {
            list.push_bind(state.as_str());
        }
        list.push_unseparated(")");
        q.push(" AND (d.state NOT IN (");
        let mut list = q.separated(", ");
        for state in DraftState::ALL.into_iter().filter(|s| abandoned(*s)) {
            list.push_bind(state.as_str());
        }
        list.push_unseparated(") OR d.updated_at >= ");
        q.push_bind(since);
        q.push(") ORDER BY d.updated_at DESC, d.id DESC LIMIT ");
        q.push_bind(limit);
        Ok(q.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn step_draft(
        &self,
        id: i64,
        transition: &herold_domain::workflow::Transition,
        details: StepDetails,
        audit: AuditEntry,
    ) -> Result<DraftRecord> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        Self::move_draft(&mut tx, id, transition, details.seen_revision, now).await?;
        if details.content.is_some() || transition.step() == Step::Submit {
            Self::bump_revision(&mut tx, id).await?;
        }
        if let Some(c) = &details.content {
            sqlx::query(
                "UPDATE drafts SET source_text = $1, language = $2, summary = $3, urgent = $4, \
                 publish_at = $5, translations = $7, mentions = $8, reply_audience = $9 WHERE id = $6",
            )
            .bind(&c.source_text)
            .bind(&c.language)
            .bind(&c.summary)
            .bind(c.urgent)
            .bind(c.publish_at)
            .bind(id)
            .bind(JsonText(&c.translations))
            .bind(JsonText(&c.mentions))
            .bind(&c.reply_audience)
            .execute(&mut *tx)
            .await?;
        }
        match transition.step() {
            Step::Approve | Step::Reject => {
                sqlx::query("UPDATE drafts SET reviewer_id = $1, review_comment = $2 WHERE id = $3")
                    .bind(transition.by())
                    .bind(&details.review_comment)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            // The approver stays who approved it; the step's audit entry says who moved it.
            Step::Reschedule => {
                let at = details
                    .publish_at
                    .ok_or_else(|| StoreError::Conflict("a rescheduling names its new time".to_owned()))?;
                sqlx::query("UPDATE drafts SET publish_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            // A fresh submission gets a fresh review.
            Step::Submit => {
                sqlx::query("UPDATE drafts SET reviewer_id = NULL, review_comment = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let record = Self::draft_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn drafts_of_announcement(&self, announcement_id: i64) -> Result<Vec<DraftRecord>> {
        Ok(sqlx::query_as(&format!(
            "{DRAFT_SELECT} WHERE d.announcement_id = $1 AND d.state = 'published' ORDER BY \
             d.updated_at, d.id"
        ))
        .bind(announcement_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn planned_drafts(
        &self,
        org_slug: &str,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> Result<Vec<DraftRecord>> {
        Ok(sqlx::query_as(&format!(
            "{DRAFT_SELECT} WHERE o.slug = $1 AND d.state IN ($2, $3) AND d.publish_at >= $4 \
             AND d.publish_at < $5 ORDER BY d.publish_at, d.id LIMIT $6"
        ))
        .bind(org_slug)
        .bind(DraftState::Submitted.as_str())
        .bind(DraftState::Approved.as_str())
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn due_drafts(&self, now: Millis, limit: i64) -> Result<Vec<DraftRecord>> {
        Ok(sqlx::query_as(&format!(
            "{DRAFT_SELECT} WHERE d.state = 'approved' AND (d.publish_at IS NULL OR d.publish_at <= $1) \
             ORDER BY d.updated_at, d.id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn publish_draft(
        &self,
        id: i64,
        transition: &herold_domain::workflow::Transition,
        new: NewAnnouncement,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Announcement> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        Self::move_draft(&mut tx, id, transition, None, now).await?;
        let announcement =
            Self::insert_announcement(&mut tx, &new, &activities, &audit, &self.seal, now).await?;
        sqlx::query("UPDATE drafts SET announcement_id = $1 WHERE id = $2")
            .bind(announcement.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // The citizen's message it answers is answered now, with the publication.
        sqlx::query(
            "UPDATE citizen_messages SET state = $1, updated_at = $2, answered_at = COALESCE(answered_at, $2) \
             WHERE public_id = (SELECT answers FROM drafts WHERE id = $3)",
        )
        .bind(MessageState::Answered.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.commit_queued(tx).await?;
        Ok(announcement)
    }

    async fn publish_draft_edit(
        &self,
        id: i64,
        transition: &herold_domain::workflow::Transition,
        edit: AnnouncementEdit,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        Self::move_draft(&mut tx, id, transition, None, now).await?;
        let announcement = Self::apply_edit(&mut tx, &edit, &update, &audit, &self.seal, now).await?;
        self.commit_queued(tx).await?;
        Ok(announcement)
    }
}

/// The states of a submission nobody finished: those the `abandoned_drafts` class keeps for
/// a time (its entry in `classes.rs` names the same).
fn abandoned(state: DraftState) -> bool {
    matches!(state, DraftState::Draft | DraftState::Rejected | DraftState::Withdrawn)
}

impl SqlStore<Db> {
    /// Stores an image's bytes and description, for a draft, a profile or an import to
    /// claim.
    pub(super) async fn insert_media(
        tx: &mut sqlx::Transaction<'_, Db>,
        media: &NewMedia,
        now: Millis,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO media (public_id, account_id, content_type, width, height, alt_text, \
             bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&media.info.public_id)
        .bind(media.account_id)
        .bind(&media.info.content_type)
        .bind(media.info.width)
        .bind(media.info.height)
        .bind(&media.info.alt_text)
        .bind(&media.bytes)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
