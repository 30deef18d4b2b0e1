//! `Subjects` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::now_millis;
use sqlx::Row;

use super::Db;
use crate::sql::{like_pattern, mentions, personal_inboxes, SqlStore, SubjectItem, STAFF_COLUMNS};
use crate::*;

impl SqlStore<Db> {
    /// Announcements whose text is still held (retracted ones too, until retention
    /// clears them) and drafts (any state) whose resolved mentions name the actor.
    pub(super) async fn subject_mentions(
        conn: &mut <Db as sqlx::Database>::Connection,
        actor_uri: &str,
    ) -> Result<Vec<SubjectMention>> {
        // LIKE narrows the rows; the JSON decides (an id that merely contains the
        // actor's is another person).
        let rows = sqlx::query(
            "SELECT 'announcement' AS kind, an.public_id, an.mentions, ac.username, o.slug, \
             an.published_at AS at \
             FROM announcements an JOIN accounts ac ON ac.id = an.account_id JOIN organizations o \
             ON o.id = ac.org_id \
             WHERE an.source_text <> '' AND an.mentions LIKE $1 ESCAPE '\\' \
             UNION ALL SELECT 'draft' AS kind, d.public_id, d.mentions, ac.username, o.slug, \
             d.updated_at AS at \
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

    /// Everything besides follows and the key cache that concerns one subject:
    /// Accepts of their follows, deliveries to their own inbox, and audit details
    /// that name them. A LIKE narrows the candidates; only exact matches (a whole
    /// JSON string equal to the URI, an inbox equal to theirs) count, so
    /// `…/users/al` never catches `…/users/alice`.
    pub(super) async fn subject_items(
        conn: &mut <Db as sqlx::Database>::Connection,
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
            "SELECT l.seq, l.at, l.action, l.org, p.payload FROM audit_payloads p JOIN audit_log l \
             ON l.seq = p.seq \
             WHERE p.payload LIKE $1 ESCAPE '\\' ORDER BY l.seq",
        )
        .bind(&like)
        .fetch_all(&mut *conn)
        .await?
        {
            let payload: String = r.try_get("payload")?;
            let named =
                serde_json::from_str::<serde_json::Value>(&payload).is_ok_and(|v| mentions(&v, actor_uri));
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

const REQUEST_COLUMNS: &str = "r.public_id, r.kind, r.subject, r.received_at, r.due_at, r.state, r.note, \
                               r.closed_at, r.extended_at, r.extension_reason";

#[async_trait]
impl Subjects for SqlStore<Db> {
    async fn register_request(
        &self,
        request: NewSubjectRequest,
        audit: AuditEntry,
    ) -> Result<SubjectRequest> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO subject_requests (public_id, org_id, kind, subject, received_at, due_at, state, \
             created_by, created_at) \
             SELECT $1, o.id, $2, $3, $4, $5, 'open', $6, $7 FROM organizations o WHERE o.slug = $8",
        )
        .bind(&request.public_id)
        .bind(&request.kind)
        .bind(&request.subject)
        .bind(request.received_at)
        .bind(request.due_at)
        .bind(request.created_by)
        .bind(now)
        .bind(&request.org_slug)
        .execute(&mut *tx)
        .await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let stored = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM subject_requests r WHERE r.public_id = $1"
        ))
        .bind(&request.public_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn subject_requests(&self, org_slug: &str, visible: &Visibility) -> Result<Vec<SubjectRequest>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM subject_requests r JOIN organizations o ON o.id = r.org_id \
             WHERE o.slug = $1 AND (r.closed_at IS NULL OR r.closed_at >= $2) \
             ORDER BY CASE WHEN r.state = 'open' THEN 0 ELSE 1 END, \
             CASE WHEN r.state = 'open' THEN r.due_at ELSE -r.closed_at END, r.id LIMIT 500"
        ))
        .bind(org_slug)
        .bind(visible.since(DataClass::SubjectRequests, Some(org_slug)))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn close_request(
        &self,
        org_slug: &str,
        public_id: &str,
        state: &str,
        note: &str,
        audit: AuditEntry,
    ) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let closed = sqlx::query(
            "UPDATE subject_requests SET state = $1, note = $2, closed_at = $3 WHERE public_id = $4 \
             AND state = 'open' AND org_id = (SELECT id FROM organizations WHERE slug = $5)",
        )
        .bind(state)
        .bind(note)
        .bind(now)
        .bind(public_id)
        .bind(org_slug)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed == 0 {
            return Ok(false);
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn extend_request(&self, e: RequestExtension<'_>, audit: AuditEntry) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let extended = sqlx::query(
            "UPDATE subject_requests SET due_at = $1, extended_at = $2, extension_reason = $3 \
             WHERE public_id = $4 AND state = 'open' AND extended_at IS NULL AND due_at > $2 \
             AND org_id = (SELECT id FROM organizations WHERE slug = $5)",
        )
        .bind(e.due_at)
        .bind(e.now)
        .bind(e.reason)
        .bind(e.public_id)
        .bind(e.org_slug)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if extended == 0 {
            return Ok(false);
        }
        Self::audit(&mut tx, &self.seal, &audit, e.now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn subject_data(&self, actor_uri: &str, visible: &Visibility) -> Result<SubjectData> {
        let relay_subscription = sqlx::query_as(
            "SELECT inbox, state, created_at AS since FROM relay_subscribers WHERE actor_uri = $1",
        )
        .bind(actor_uri)
        .fetch_optional(&self.pool)
        .await?;
        let mut data = SubjectData { relay_subscription, ..SubjectData::default() };
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
        let inboxes =
            personal_inboxes(actor_uri, cached.as_ref(), data.follows.iter().map(|f| f.inbox.as_str()));
        data.actor_cache = cached.map(|a| SubjectActor {
            inbox: a.inbox,
            shared_inbox: a.shared_inbox,
            key_id: a.key_id,
            fetched_at: a.fetched_at,
        });
        let mut conn = self.pool.acquire().await?;
        data.mentioned_in = Self::subject_mentions(&mut conn, actor_uri).await?;
        data.consents = sqlx::query_as(
            "SELECT s.kind, a.username AS account, o.slug AS org, s.target, s.interacting_object, \
             s.created_at, s.revoked_at FROM interaction_stamps s JOIN accounts a ON a.id = s.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE s.requester = $1 ORDER BY s.id",
        )
        .bind(actor_uri)
        .fetch_all(&mut *conn)
        .await?;
        data.blocks = sqlx::query_as(
            "SELECT o.slug AS org, b.reason, b.created_at AS since FROM dialogue_blocks b \
             JOIN organizations o ON o.id = b.org_id WHERE b.kind = 'account' AND b.target = $1 ORDER BY b.id",
        )
        .bind(actor_uri)
        .fetch_all(&mut *conn)
        .await?;
        data.messages = sqlx::query_as(
            "SELECT a.username AS account, o.slug AS org, m.kind, m.object_uri AS post, m.content AS text, \
             m.language, m.visibility, m.state, m.received_at, m.answered_at, m.shown_at, m.hidden_reason \
             FROM citizen_messages m JOIN accounts a ON a.id = m.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE m.sender_uri = $1 ORDER BY m.id",
        )
        .bind(actor_uri)
        .fetch_all(&mut *conn)
        .await?;
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
        // What has expired is left out as everywhere, before the purge; deliveries still
        // under way are not records yet.
        // Each record by its own organisation's limit: one under legal hold keeps, and
        // discloses, what it holds.
        data.audit_entries.retain(|e| visible.shows(DataClass::AuditPayloads, e.org.as_deref(), e.at));
        data.messages.retain(|m| visible.shows(DataClass::CitizenMessages, Some(&m.org), m.received_at));
        data.deliveries_to_them.retain(|d| {
            d.state == "pending"
                || d.state == "retrying"
                || visible.shows(DataClass::DeliveryRecords, d.org.as_deref(), d.created_at)
        });
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
        let mut tx = self.begin_write().await?;
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
            sqlx::query("DELETE FROM followers WHERE id = $1")
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
            erasure.follows_removed += 1;
        }
        let cached: Option<RemoteActor> = sqlx::query_as(
            "SELECT uri, inbox, shared_inbox, key_id, public_key_pem, fetched_at FROM remote_actors \
             WHERE uri = $1",
        )
        .bind(actor_uri)
        .fetch_optional(&mut *tx)
        .await?;
        let inboxes = personal_inboxes(actor_uri, cached.as_ref(), follow_inboxes.iter().map(String::as_str));
        for item in Self::subject_items(&mut tx, actor_uri, &inboxes).await? {
            match item {
                SubjectItem::Activity { id, org, .. } if !held(&org) => {
                    sqlx::query("DELETE FROM deliveries WHERE activity_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
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
                    sqlx::query("DELETE FROM audit_payloads WHERE seq = $1")
                        .bind(seq)
                        .execute(&mut *tx)
                        .await?;
                    erasure.audit_payloads_erased += 1;
                }
                _ => erasure.items_held += 1,
            }
        }
        // Their stamps go: a quote or collection entry that points to one is no longer
        // vouched for.
        let stamps = sqlx::query(
            "SELECT s.id, o.slug FROM interaction_stamps s JOIN accounts a ON a.id = s.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE s.requester = $1",
        )
        .bind(actor_uri)
        .fetch_all(&mut *tx)
        .await?;
        for r in &stamps {
            if held(&Some(r.try_get("slug")?)) {
                erasure.items_held += 1;
                continue;
            }
            sqlx::query("DELETE FROM interaction_stamps WHERE id = $1")
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
            erasure.consents_removed += 1;
        }
        let messages = sqlx::query(
            "SELECT m.id, o.slug FROM citizen_messages m JOIN accounts a ON a.id = m.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE m.sender_uri = $1",
        )
        .bind(actor_uri)
        .fetch_all(&mut *tx)
        .await?;
        for r in &messages {
            if held(&Some(r.try_get("slug")?)) {
                // Kept for the hold, but no longer shown under an announcement.
                sqlx::query("UPDATE citizen_messages SET shown_at = NULL WHERE id = $1")
                    .bind(r.try_get::<i64, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
                erasure.items_held += 1;
                continue;
            }
            sqlx::query("DELETE FROM citizen_messages WHERE id = $1")
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
            erasure.messages_removed += 1;
        }
        // The relay subscription and the key cache are the instance's, not one
        // organisation's.
        if only_org.is_none() {
            erasure.relay_subscription_removed =
                sqlx::query("DELETE FROM relay_subscribers WHERE actor_uri = $1")
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

    async fn staff_subject_data(&self, id: i64, visible: &Visibility) -> Result<Option<StaffSubjectData>> {
        let mut conn = self.pool.acquire().await?;
        let Some(m) = sqlx::query_as::<_, StaffMember>(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let sessions = sqlx::query_as(
            "SELECT created_at, last_seen_at, expires_at, ended_at FROM staff_sessions WHERE staff_id = $1 \
             ORDER BY created_at",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let drafts = |column: &'static str| {
            format!(
                "SELECT d.public_id AS id, a.username AS account, d.state, d.created_at, d.updated_at \
                 FROM drafts d JOIN accounts a ON a.id = d.account_id WHERE d.{column} = $1 ORDER BY d.id"
            )
        };
        let mut lists = Vec::new();
        for column in ["author_id", "reviewer_id"] {
            lists.push(sqlx::query_as(&drafts(column)).bind(id).fetch_all(&mut *conn).await?);
        }
        let actor = staff_actor(id);
        let mut audit_entries: Vec<SubjectAudit> = sqlx::query_as(
            "SELECT l.seq, l.at, l.action, l.org, p.payload FROM audit_log l \
             JOIN audit_payloads p ON p.seq = l.seq WHERE l.actor = $1 OR l.subject = $1 ORDER BY l.seq",
        )
        .bind(&actor)
        .fetch_all(&mut *conn)
        .await?;
        audit_entries.retain(|e| visible.shows(DataClass::AuditPayloads, e.org.as_deref(), e.at));
        let drafts_reviewed = lists.pop().unwrap_or_default();
        let drafts_written = lists.pop().unwrap_or_default();
        Ok(Some(StaffSubjectData {
            org: m.org_slug,
            issuer: m.issuer,
            subject: m.subject,
            name: m.name,
            email: m.email,
            roles: m.roles.to_string(),
            first_sign_in_at: m.first_sign_in_at,
            last_sign_in_at: m.last_sign_in_at,
            notify_by_email: m.notify_by_email,
            language: m.language,
            time_zone: m.time_zone,
            sessions,
            drafts_written,
            drafts_reviewed,
            audit_entries,
        }))
    }

    async fn erase_staff(&self, id: i64, audit: AuditEntry) -> Result<StaffErasure> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let actor = staff_actor(id);
        let anonymised = sqlx::query(
            "UPDATE staff SET name = '', email = NULL, roles = '', time_zone = NULL, subject = 'anonymised-' || \
             CAST(id AS TEXT) \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if anonymised == 0 {
            return Err(StoreError::NotFound(actor));
        }
        // What they were told goes; what others were told keeps its step, now by no one named.
        sqlx::query("DELETE FROM notifications WHERE staff_id = $1").bind(id).execute(&mut *tx).await?;
        // Messages they had go back to the press office as a whole.
        sqlx::query("UPDATE citizen_messages SET assignee_id = NULL WHERE assignee_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let erasure = StaffErasure {
            sessions_removed: sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64,
            audit_payloads_erased: sqlx::query(
                "DELETE FROM audit_payloads WHERE seq IN (SELECT seq FROM audit_log WHERE actor = \
                 $1 OR subject = $1)",
            )
            .bind(&actor)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64,
            anonymised: true,
        };
        let audit = audit.with_detail(serde_json::to_value(&erasure).unwrap_or_default());
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(erasure)
    }
}
