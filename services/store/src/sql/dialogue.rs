//! `Dialogue` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};

use super::Db;
use crate::sql::{host_of, SqlStore};
use crate::*;

const MESSAGE_SELECT: &str = "SELECT m.id, m.public_id, o.slug AS org_slug, a.username AS account_username, \
     an.public_id AS announcement_public_id, m.kind, m.object_uri, m.url, m.sender_uri, m.sender_handle, m.content, \
     m.language, m.visibility, m.state, m.received_at, m.updated_at, m.shown_at, m.hidden_reason, \
     m.assignee_id, s.name AS assignee_name, m.answered_at, m.overdue_at \
     FROM citizen_messages m \
     JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id \
     LEFT JOIN announcements an ON an.id = m.announcement_id LEFT JOIN staff s ON s.id = m.assignee_id";

/// The messages of an organisation's accounts, for a subquery.
const ORG_ACCOUNTS: &str =
    "(SELECT a.id FROM accounts a JOIN organizations o ON o.id = a.org_id WHERE o.slug = ";

impl SqlStore<Db> {
    /// Adds one to the day's arrivals (`added`) or takings back (`removed`).
    async fn count_reaction(
        tx: &mut sqlx::Transaction<'_, Db>,
        announcement_id: i64,
        kind: ReactionKind,
        now: Millis,
        column: &'static str,
    ) -> Result<()> {
        let day: String = herold_domain::format_rfc3339(now).chars().take(10).collect();
        let (added, removed) = if column == "added" { (1, 0) } else { (0, 1) };
        sqlx::query(&format!(
            "INSERT INTO reaction_counts (announcement_id, kind, day, added, removed) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (announcement_id, kind, day) DO UPDATE SET {column} = reaction_counts.{column} + 1"
        ))
        .bind(announcement_id)
        .bind(kind.as_str())
        .bind(day)
        .bind(added)
        .bind(removed)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Dialogue for SqlStore<Db> {
    async fn react(
        &self,
        announcement_id: i64,
        kind: ReactionKind,
        pseudonym: &str,
        now: Millis,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let new = sqlx::query(
            "INSERT INTO reaction_pseudonyms (announcement_id, kind, pseudonym, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (announcement_id, kind, pseudonym) DO NOTHING",
        )
        .bind(announcement_id)
        .bind(kind.as_str())
        .bind(pseudonym)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if new {
            Self::count_reaction(&mut tx, announcement_id, kind, now, "added").await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn unreact(
        &self,
        announcement_id: i64,
        kind: ReactionKind,
        pseudonym: &str,
        now: Millis,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query(
            "DELETE FROM reaction_pseudonyms WHERE announcement_id = $1 AND kind = $2 AND pseudonym = $3",
        )
        .bind(announcement_id)
        .bind(kind.as_str())
        .bind(pseudonym)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if gone {
            Self::count_reaction(&mut tx, announcement_id, kind, now, "removed").await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    async fn block(
        &self,
        org_slug: &str,
        kind: &str,
        target: &str,
        reason: &str,
        revocations: Vec<Revocation>,
        audit: AuditEntry,
    ) -> Result<u64> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let org: (i64,) = sqlx::query_as("SELECT id FROM organizations WHERE slug = $1")
            .bind(org_slug)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("organisation {org_slug}")))?;
        sqlx::query(
            "INSERT INTO dialogue_blocks (org_id, kind, target, reason, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, target) DO UPDATE SET reason = excluded.reason, kind = excluded.kind",
        )
        .bind(org.0)
        .bind(kind)
        .bind(target)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let held: Vec<(i64, String)> = sqlx::query_as(
            "SELECT m.id, m.sender_uri FROM citizen_messages m JOIN accounts a ON a.id = m.account_id \
             WHERE a.org_id = $1",
        )
        .bind(org.0)
        .fetch_all(&mut *tx)
        .await?;
        let mut removed = 0;
        for (id, sender) in held {
            let hit = if kind == "server" { host_of(&sender) == target } else { sender == target };
            if hit {
                removed += sqlx::query("DELETE FROM citizen_messages WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
        }
        let mut revoked = 0;
        for r in &revocations {
            revoked += u64::from(Self::revoke(&mut tx, r, now).await?);
        }
        let audit = match revoked {
            0 => audit,
            n => audit.with_detail(serde_json::json!({ "reason": reason, "consents_revoked": n })),
        };
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(removed)
    }

    async fn unblock(&self, org_slug: &str, id: i64, audit: AuditEntry) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query(
            "DELETE FROM dialogue_blocks WHERE id = $1 AND org_id IN (SELECT id FROM organizations WHERE slug = $2)",
        )
        .bind(id)
        .bind(org_slug)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn blocks(&self, org_slug: &str) -> Result<Vec<Block>> {
        Ok(sqlx::query_as(
            "SELECT b.id, b.kind, b.target, b.reason, b.created_at FROM dialogue_blocks b \
             JOIN organizations o ON o.id = b.org_id WHERE o.slug = $1 ORDER BY b.id DESC",
        )
        .bind(org_slug)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn is_blocked(&self, org_slug: &str, actor_uri: &str) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM dialogue_blocks b JOIN organizations o ON o.id = b.org_id \
             WHERE o.slug = $1 AND ((b.kind = 'account' AND b.target = $2) OR (b.kind = 'server' AND b.target = $3))",
        )
        .bind(org_slug)
        .bind(actor_uri)
        .bind(host_of(actor_uri))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn reactions(&self, announcement_id: i64) -> Result<Reactions> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, CAST(SUM(added - removed) AS BIGINT) FROM reaction_counts WHERE announcement_id = $1 \
             GROUP BY kind",
        )
        .bind(announcement_id)
        .fetch_all(&self.pool)
        .await?;
        let mut reactions = Reactions::default();
        for (kind, n) in rows {
            match kind.as_str() {
                "like" => reactions.likes = n,
                "boost" => reactions.boosts = n,
                _ => {}
            }
        }
        Ok(reactions)
    }

    async fn reaction_days(
        &self,
        account_id: i64,
        announcement_id: Option<i64>,
        since_day: &str,
    ) -> Result<Vec<ReactionDay>> {
        Ok(sqlx::query_as(
            "SELECT rc.day, CAST(SUM(CASE WHEN rc.kind = 'like' THEN rc.added ELSE 0 END) AS BIGINT) AS likes, \
             CAST(SUM(CASE WHEN rc.kind = 'boost' THEN rc.added ELSE 0 END) AS BIGINT) AS boosts \
             FROM reaction_counts rc JOIN announcements an ON an.id = rc.announcement_id \
             WHERE an.account_id = $1 AND ($2 IS NULL OR rc.announcement_id = $2) AND rc.day >= $3 \
             GROUP BY rc.day ORDER BY rc.day",
        )
        .bind(account_id)
        .bind(announcement_id)
        .bind(since_day)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn receive_message(&self, m: NewMessage) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO citizen_messages (public_id, account_id, announcement_id, kind, object_uri, url, \
             sender_uri, content, language, visibility, state, received_at, updated_at, assignee_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, \
             (SELECT COALESCE(m.assignee_id, d.author_id) FROM citizen_messages m \
              JOIN drafts d ON d.answers = m.public_id \
              WHERE d.announcement_id = $3 AND m.sender_uri = $7 AND $4 = 'reply' ORDER BY m.id DESC LIMIT 1)) \
             ON CONFLICT (account_id, object_uri) DO NOTHING",
        )
        .bind(&m.public_id)
        .bind(m.account_id)
        .bind(m.announcement_id)
        .bind(m.kind.as_str())
        .bind(&m.object_uri)
        .bind(&m.url)
        .bind(&m.sender_uri)
        .bind(&m.content)
        .bind(&m.language)
        .bind(&m.visibility)
        .bind(MessageState::Open.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted > 0 && m.announcement_id.is_some() {
            let follow_up: Option<(i64, String)> = sqlx::query_as(
                "SELECT m.assignee_id, o.slug FROM citizen_messages m JOIN accounts a ON a.id = m.account_id \
                 JOIN organizations o ON o.id = a.org_id WHERE m.public_id = $1 AND m.assignee_id IS NOT NULL",
            )
            .bind(&m.public_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((assignee, org)) = follow_up {
                let audit =
                    AuditEntry::new("system", "message.follow_up", format!("message:{}", m.public_id))
                        .in_org(&org)
                        .with_detail(serde_json::json!({ "assignee": assignee }));
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
            }
        }
        tx.commit().await?;
        Ok(inserted > 0)
    }

    async fn revise_message(
        &self,
        sender_uri: &str,
        object_uri: &str,
        content: &str,
        language: Option<&str>,
        visibility: &str,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE citizen_messages SET content = $1, language = $2, updated_at = $3, visibility = $6, \
             shown_at = CASE WHEN content = $1 AND visibility = $6 THEN shown_at END \
             WHERE sender_uri = $4 AND object_uri = $5",
        )
        .bind(content)
        .bind(language)
        .bind(now_millis())
        .bind(sender_uri)
        .bind(object_uri)
        .bind(visibility)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn remove_message(&self, sender_uri: &str, object_uri: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM citizen_messages WHERE sender_uri = $1 AND object_uri = $2")
            .bind(sender_uri)
            .bind(object_uri)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn messages(
        &self,
        org_slug: &str,
        filter: &MessageFilter,
        before: Option<i64>,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>> {
        let since = visible.since(DataClass::CitizenMessages, Some(org_slug));
        let mut q = sqlx::QueryBuilder::<Db>::new(MESSAGE_SELECT);
        q.push(" WHERE o.slug = ").push_bind(org_slug.to_owned());
        q.push(" AND m.received_at >= ").push_bind(since);
        if !filter.states.is_empty() {
            q.push(" AND m.state IN (");
            let mut list = q.separated(", ");
            for state in &filter.states {
                list.push_bind(state.as_str());
            }
            q.push(")");
        }
        if let Some(assignee) = filter.assignee {
            q.push(" AND m.assignee_id = ").push_bind(assignee);
        }
        if let Some(received_before) = filter.received_before {
            q.push(" AND m.received_at < ").push_bind(received_before);
        }
        if let Some(before) = before {
            q.push(" AND m.id < ").push_bind(before);
        }
        q.push(" ORDER BY m.id DESC LIMIT ").push_bind(limit);
        Ok(q.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn message(
        &self,
        org_slug: &str,
        public_id: &str,
        visible: &Visibility,
    ) -> Result<Option<Message>> {
        let message: Option<Message> =
            sqlx::query_as(&format!("{MESSAGE_SELECT} WHERE m.public_id = $1 AND o.slug = $2"))
                .bind(public_id)
                .bind(org_slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(message.filter(|m| visible.shows(DataClass::CitizenMessages, Some(org_slug), m.received_at)))
    }

    async fn open_messages(&self, org_slug: &str, visible: &Visibility) -> Result<i64> {
        let since = visible.since(DataClass::CitizenMessages, Some(org_slug));
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM citizen_messages m JOIN accounts a ON a.id = m.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE o.slug = $1 AND m.state = $2 \
             AND m.received_at >= $3",
        )
        .bind(org_slug)
        .bind(MessageState::Open.as_str())
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn set_message_state(
        &self,
        org_slug: &str,
        public_id: &str,
        state: MessageState,
        audit: AuditEntry,
    ) -> Result<Message> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let message = Self::mark_in(&mut tx, org_slug, public_id, state, now).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn report_message(
        &self,
        org_slug: &str,
        public_id: &str,
        flag: NewActivity,
        audit: AuditEntry,
    ) -> Result<Message> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let message = Self::mark_in(&mut tx, org_slug, public_id, MessageState::Abusive, now).await?;
        Self::insert_activity(&mut tx, &flag, None, now).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(message)
    }

    async fn set_reply_shown(
        &self,
        org_slug: &str,
        public_id: &str,
        hidden: Option<HideReason>,
        audit: AuditEntry,
    ) -> Result<Message> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let message = Self::update_message(&mut tx, org_slug, public_id, now, |q| {
            q.push("shown_at = ").push_bind(hidden.is_none().then_some(now));
            q.push(", hidden_reason = ").push_bind(hidden.map(HideReason::as_str));
        })
        .await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn assign_message(
        &self,
        org_slug: &str,
        public_id: &str,
        assignee: Option<i64>,
        audit: AuditEntry,
    ) -> Result<Message> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        if let Some(id) = assignee {
            let (member,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM staff s JOIN organizations o ON o.id = s.org_id \
                 WHERE s.id = $1 AND o.slug = $2",
            )
            .bind(id)
            .bind(org_slug)
            .fetch_one(&mut *tx)
            .await?;
            if member == 0 {
                return Err(StoreError::NotFound(format!("staff {id}")));
            }
        }
        let message = Self::update_message(&mut tx, org_slug, public_id, now, |q| {
            q.push("assignee_id = ").push_bind(assignee);
        })
        .await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn unnoted_overdue(
        &self,
        org_slug: &str,
        due_before: Millis,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>> {
        let since = visible.since(DataClass::CitizenMessages, Some(org_slug));
        Ok(sqlx::query_as(&format!(
            "{MESSAGE_SELECT} WHERE o.slug = $1 AND m.state = $2 AND m.overdue_at IS NULL \
             AND m.received_at < $3 AND m.received_at >= $4 ORDER BY m.received_at, m.id LIMIT $5"
        ))
        .bind(org_slug)
        .bind(MessageState::Open.as_str())
        .bind(due_before)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn note_overdue(&self, message_id: i64, audit: AuditEntry) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let noted = sqlx::query(
            "UPDATE citizen_messages SET overdue_at = $1 WHERE id = $2 AND overdue_at IS NULL AND state = $3",
        )
        .bind(now)
        .bind(message_id)
        .bind(MessageState::Open.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if noted == 0 {
            return Ok(false);
        }
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn dialogue_figures(
        &self,
        org_slug: &str,
        since: Millis,
        due_before: Millis,
        visible: &Visibility,
    ) -> Result<DialogueFigures> {
        let since = since.max(visible.since(DataClass::CitizenMessages, Some(org_slug)));
        let in_org = format!("m.account_id IN {ORG_ACCOUNTS}$1)");
        let (received,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM citizen_messages m WHERE {in_org} AND m.received_at >= $2"
        ))
        .bind(org_slug)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        let answer_times: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT m.answered_at - m.received_at FROM citizen_messages m \
             WHERE {in_org} AND m.answered_at >= $2 AND m.received_at >= $2 ORDER BY 1"
        ))
        .bind(org_slug)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let (open_past_deadline,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM citizen_messages m WHERE {in_org} AND m.state = $2 \
             AND m.received_at < $3 AND m.received_at >= $4"
        ))
        .bind(org_slug)
        .bind(MessageState::Open.as_str())
        .bind(due_before)
        .bind(visible.since(DataClass::CitizenMessages, Some(org_slug)))
        .fetch_one(&self.pool)
        .await?;
        Ok(DialogueFigures { received, answer_times, open_past_deadline })
    }

    async fn shown_replies(
        &self,
        org_slug: &str,
        announcement_id: i64,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>> {
        let since = visible.since_ignoring_hold(DataClass::CitizenMessages, Some(org_slug));
        Ok(sqlx::query_as(&format!(
            "{MESSAGE_SELECT} WHERE m.announcement_id = $1 AND m.shown_at IS NOT NULL \
             AND m.received_at >= $2 ORDER BY m.received_at, m.id LIMIT $3"
        ))
        .bind(announcement_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn senders_without_handle(&self, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT sender_uri FROM citizen_messages WHERE sender_handle IS NULL LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_sender_handle(&self, sender_uri: &str, handle: &str) -> Result<()> {
        sqlx::query("UPDATE citizen_messages SET sender_handle = $1 WHERE sender_uri = $2")
            .bind(handle)
            .bind(sender_uri)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl SqlStore<Db> {
    /// Changes a message of the organisation (`set` writes the assignments after `SET`) and
    /// reads it back; `NotFound` if the organisation has no such message.
    async fn update_message<'a>(
        tx: &mut sqlx::Transaction<'_, Db>,
        org_slug: &'a str,
        public_id: &'a str,
        now: Millis,
        set: impl FnOnce(&mut sqlx::QueryBuilder<'a, Db>),
    ) -> Result<Message> {
        let mut q = sqlx::QueryBuilder::<Db>::new("UPDATE citizen_messages SET updated_at = ");
        q.push_bind(now).push(", ");
        set(&mut q);
        q.push(" WHERE public_id = ").push_bind(public_id);
        q.push(" AND account_id IN ").push(ORG_ACCOUNTS).push_bind(org_slug).push(")");
        if q.build().execute(&mut **tx).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("message {public_id}")));
        }
        Ok(sqlx::query_as(&format!("{MESSAGE_SELECT} WHERE m.public_id = $1"))
            .bind(public_id)
            .fetch_one(&mut **tx)
            .await?)
    }

    /// Sets where a message of the organisation stands: one marked abusive is taken down, an
    /// answered one keeps when it was first answered, one opened again loses it.
    async fn mark_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        org_slug: &str,
        public_id: &str,
        state: MessageState,
        now: Millis,
    ) -> Result<Message> {
        Self::update_message(tx, org_slug, public_id, now, |q| {
            q.push("state = ").push_bind(state.as_str());
            if state == MessageState::Abusive {
                q.push(", shown_at = NULL");
            }
            match state {
                MessageState::Answered => {
                    q.push(", answered_at = COALESCE(answered_at, ").push_bind(now).push(")")
                }
                _ => q.push(", answered_at = NULL"),
            };
        })
        .await
    }
}
