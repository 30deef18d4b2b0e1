//! The SQL behind `StaffStore`, instantiated per backend like the rest of `backend`.

use herold_domain::workflow::{DraftState, Roles, Step};
use herold_domain::{now_millis, Millis};
use sqlx::Row;

use super::{begin, PgStore, SqliteStore};

use crate::*;
use async_trait::async_trait;

const STAFF_COLUMNS: &str = "st.id, o.slug AS org_slug, st.issuer, st.subject, st.name, st.email, st.roles, \
     st.first_sign_in_at, st.last_sign_in_at";

const DRAFT_SELECT: &str = "SELECT d.id, d.public_id, d.account_id, a.username AS account_username, \
     o.slug AS org_slug, d.kind, d.announcement_id, an.public_id AS announcement_public_id, d.state, d.revision, d.source_text, d.language, d.translations, d.mentions, d.media, d.summary, d.urgent, \
     d.publish_at, d.author_id, au.name AS author_name, d.reviewer_id, rv.name AS reviewer_name, \
     d.review_comment, d.created_at, d.updated_at FROM drafts d JOIN accounts a ON a.id = d.account_id \
     JOIN organizations o ON o.id = a.org_id JOIN staff au ON au.id = d.author_id \
     LEFT JOIN staff rv ON rv.id = d.reviewer_id LEFT JOIN announcements an ON an.id = d.announcement_id";

/// A session is live until it is ended, its absolute lifetime passes, or it sits idle.
const LIVE: &str = "s.ended_at IS NULL AND s.expires_at > $2 AND s.last_seen_at + s.idle_ms > $2";

/// Marking a session as seen is a write; once every 15 s is precise enough for idle timeouts
/// of minutes and spares SQLite's single writer.
const SEEN_PRECISION_MS: i64 = 15_000;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(format!("unknown {what} {value:?} in the database").into()))
}

fn staff_from<R: Row>(r: &R) -> Result<StaffMember>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StaffMember {
        id: r.try_get("id")?,
        org_slug: r.try_get("org_slug")?,
        issuer: r.try_get("issuer")?,
        subject: r.try_get("subject")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        roles: Roles::parse_list(&r.try_get::<String, _>("roles")?),
        first_sign_in_at: r.try_get("first_sign_in_at")?,
        last_sign_in_at: r.try_get("last_sign_in_at")?,
    })
}

fn draft_from<R: Row>(r: &R) -> Result<DraftRecord>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(DraftRecord {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        account_id: r.try_get("account_id")?,
        account_username: r.try_get("account_username")?,
        org_slug: r.try_get("org_slug")?,
        kind: DraftKind::parse(&kind).ok_or_else(|| corrupt("draft kind", &kind))?,
        announcement_id: r.try_get("announcement_id")?,
        announcement_public_id: r.try_get("announcement_public_id")?,
        state: DraftState::parse(&state).ok_or_else(|| corrupt("draft state", &state))?,
        revision: r.try_get("revision")?,
        content: DraftContent {
            source_text: r.try_get("source_text")?,
            language: r.try_get("language")?,
            translations: serde_json::from_str(&r.try_get::<String, _>("translations")?)
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
            summary: r.try_get("summary")?,
            urgent: r.try_get("urgent")?,
            publish_at: r.try_get("publish_at")?,
            mentions: serde_json::from_str(&r.try_get::<String, _>("mentions")?)
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
        },
        media: serde_json::from_str(&r.try_get::<String, _>("media")?)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        reviewer_id: r.try_get("reviewer_id")?,
        reviewer_name: r.try_get("reviewer_name")?,
        review_comment: r.try_get("review_comment")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

macro_rules! staff_sql {
    ($name:ident, $db:ty, $begin:literal) => {
        impl $name {
            async fn session_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                token_hash: &str,
                now: Millis,
            ) -> Result<Option<StaffSession>> {
                let row = sqlx::query(&format!(
                    "SELECT s.token_hash, s.roles AS session_roles, s.csrf, s.provider_sid, s.id_token, \
                     s.created_at AS session_created_at, s.expires_at, {STAFF_COLUMNS} FROM staff_sessions s \
                     JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
                     WHERE s.token_hash = $1 AND {LIVE}"
                ))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
                row.map(|r| {
                    Ok(StaffSession {
                        token_hash: r.try_get("token_hash")?,
                        staff: staff_from(&r)?,
                        roles: Roles::parse_list(&r.try_get::<String, _>("session_roles")?),
                        csrf: r.try_get("csrf")?,
                        provider_sid: r.try_get("provider_sid")?,
                        id_token: r.try_get("id_token")?,
                        created_at: r.try_get("session_created_at")?,
                        expires_at: r.try_get("expires_at")?,
                    })
                })
                .transpose()
            }

            /// Creates or updates a person; returns their id and their roles before (`None`:
            /// new).
            async fn upsert_staff(
                tx: &mut sqlx::Transaction<'_, $db>,
                who: &StaffSignIn,
                now: Millis,
            ) -> Result<(i64, Option<String>)> {
                let org_id: i64 = sqlx::query("SELECT id FROM organizations WHERE slug = $1")
                    .bind(&who.org_slug)
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("organisation {}", who.org_slug)))?
                    .try_get("id")?;
                let existing = sqlx::query("SELECT id, roles FROM staff WHERE org_id = $1 AND issuer = $2 AND subject = $3")
                    .bind(org_id)
                    .bind(&who.issuer)
                    .bind(&who.subject)
                    .fetch_optional(&mut **tx)
                    .await?;
                let roles = who.roles.to_string();
                let (id, old_roles) = match existing {
                    Some(r) => {
                        let id: i64 = r.try_get("id")?;
                        sqlx::query("UPDATE staff SET name = $1, email = $2, roles = $3, last_sign_in_at = $4 WHERE id = $5")
                            .bind(&who.name)
                            .bind(&who.email)
                            .bind(&roles)
                            .bind(now)
                            .bind(id)
                            .execute(&mut **tx)
                            .await?;
                        (id, Some(r.try_get::<String, _>("roles")?))
                    }
                    None => {
                        let id: i64 = sqlx::query(
                            "INSERT INTO staff (org_id, issuer, subject, name, email, roles, first_sign_in_at, \
                             last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                        )
                        .bind(org_id)
                        .bind(&who.issuer)
                        .bind(&who.subject)
                        .bind(&who.name)
                        .bind(&who.email)
                        .bind(&roles)
                        .bind(now)
                        .fetch_one(&mut **tx)
                        .await?
                        .try_get("id")?;
                        (id, None)
                    }
                };
                Ok((id, old_roles))
            }

            async fn draft_in(conn: &mut <$db as sqlx::Database>::Connection, id: i64) -> Result<DraftRecord> {
                let row = sqlx::query(&format!("{DRAFT_SELECT} WHERE d.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("draft {id}")))?;
                draft_from(&row)
            }

            async fn set_draft_media(
                tx: &mut sqlx::Transaction<'_, $db>,
                draft_id: i64,
                media: &[MediaInfo],
                now: Millis,
            ) -> Result<()> {
                sqlx::query("UPDATE drafts SET media = $1, updated_at = $2 WHERE id = $3")
                    .bind(serde_json::to_string(media).unwrap_or_else(|_| "[]".into()))
                    .bind(now)
                    .bind(draft_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Moves a draft from the transition's start to its end (and, with `seen`, only
            /// if it is still that revision), or fails with `Conflict`.
            async fn move_draft(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                transition: &herold_domain::workflow::Transition,
                seen: Option<i64>,
                now: Millis,
            ) -> Result<()> {
                let moved = sqlx::query(
                    "UPDATE drafts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                     AND revision = COALESCE($5, revision)",
                )
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
            async fn bump_revision(tx: &mut sqlx::Transaction<'_, $db>, id: i64) -> Result<()> {
                sqlx::query("UPDATE drafts SET revision = revision + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl StaffStore for $name {
            async fn start_sign_in(&self, attempt: SignInAttempt, expired_before: Millis) -> Result<()> {
                let mut tx = begin(&self.pool, $begin).await?;
                sqlx::query("DELETE FROM sign_in_attempts WHERE created_at < $1")
                    .bind(expired_before)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO sign_in_attempts (token_hash, org_slug, state, nonce, pkce_verifier, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&attempt.token_hash)
                .bind(&attempt.org_slug)
                .bind(&attempt.state)
                .bind(&attempt.nonce)
                .bind(&attempt.pkce_verifier)
                .bind(attempt.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn take_sign_in(&self, token_hash: &str, not_before: Millis) -> Result<Option<SignInAttempt>> {
                let mut tx = begin(&self.pool, $begin).await?;
                let row = sqlx::query(
                    "DELETE FROM sign_in_attempts WHERE token_hash = $1 \
                     RETURNING token_hash, org_slug, state, nonce, pkce_verifier, created_at",
                )
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                // Abandoned attempts go with the next one that completes.
                sqlx::query("DELETE FROM sign_in_attempts WHERE created_at < $1")
                    .bind(not_before)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                let Some(r) = row else { return Ok(None) };
                let attempt = SignInAttempt {
                    token_hash: r.try_get("token_hash")?,
                    org_slug: r.try_get("org_slug")?,
                    state: r.try_get("state")?,
                    nonce: r.try_get("nonce")?,
                    pkce_verifier: r.try_get("pkce_verifier")?,
                    created_at: r.try_get("created_at")?,
                };
                Ok((attempt.created_at >= not_before).then_some(attempt))
            }

            async fn sign_in(&self, who: StaffSignIn, session: NewSession, now: Millis) -> Result<StaffSession> {
                let mut tx = begin(&self.pool, $begin).await?;
                let (id, old_roles) = Self::upsert_staff(&mut tx, &who, now).await?;
                let roles = who.roles.to_string();
                sqlx::query(
                    "INSERT INTO staff_sessions (token_hash, staff_id, roles, csrf, provider_sid, id_token, \
                     created_at, last_seen_at, idle_ms, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
                )
                .bind(&session.token_hash)
                .bind(id)
                .bind(&roles)
                .bind(&session.csrf)
                .bind(&session.provider_sid)
                .bind(&session.id_token)
                .bind(now)
                .bind(session.idle_ms)
                .bind(session.expires_at)
                .execute(&mut *tx)
                .await?;
                let actor = staff_actor(id);
                if old_roles.as_deref() != Some(roles.as_str()) {
                    let change = AuditEntry::new(&actor, "staff.roles_changed", actor.clone())
                        .in_org(&who.org_slug)
                        .with_detail(serde_json::json!({ "old": old_roles, "new": roles }));
                    Self::audit(&mut tx, &self.seal, &change, now).await?;
                }
                let audit = AuditEntry::new(&actor, "staff.sign_in", actor.clone())
                    .in_org(&who.org_slug)
                    .with_detail(serde_json::json!({ "name": who.name, "email": who.email, "roles": roles }));
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                let live = Self::session_in(&mut *tx, &session.token_hash, now)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("the session just opened".into()))?;
                tx.commit().await?;
                Ok(live)
            }

            async fn api_client(&self, who: StaffSignIn, now: Millis) -> Result<StaffMember> {
                let mut tx = begin(&self.pool, $begin).await?;
                let (id, old_roles) = Self::upsert_staff(&mut tx, &who, now).await?;
                let roles = who.roles.to_string();
                if old_roles.as_deref() != Some(roles.as_str()) {
                    let actor = staff_actor(id);
                    let audit = AuditEntry::new(&actor, "staff.roles_changed", actor.clone())
                        .in_org(&who.org_slug)
                        .with_detail(serde_json::json!({ "old": old_roles, "new": roles, "api_client": who.subject }));
                    Self::audit(&mut tx, &self.seal, &audit, now).await?;
                }
                let row = sqlx::query(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let member = staff_from(&row)?;
                tx.commit().await?;
                Ok(member)
            }

            async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<StaffSession>> {
                sqlx::query(&format!(
                    "UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $3 \
                     AND token_hash IN (SELECT s.token_hash FROM staff_sessions s WHERE s.token_hash = $1 AND {LIVE})"
                ))
                .bind(token_hash)
                .bind(now)
                .bind(now - SEEN_PRECISION_MS)
                .execute(&self.pool)
                .await?;
                let mut conn = self.pool.acquire().await?;
                Self::session_in(&mut *conn, token_hash, now).await
            }

            async fn end_session(&self, token_hash: &str, now: Millis) -> Result<Option<StaffSession>> {
                let mut tx = begin(&self.pool, $begin).await?;
                let Some(session) = Self::session_in(&mut *tx, token_hash, now).await? else {
                    return Ok(None);
                };
                sqlx::query("UPDATE staff_sessions SET ended_at = $1, id_token = NULL WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
                let actor = session.staff.audit_actor();
                let audit = AuditEntry::new(&actor, "staff.sign_out", actor.clone()).in_org(&session.staff.org_slug);
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                tx.commit().await?;
                Ok(Some(session))
            }

            async fn end_provider_sessions(
                &self,
                issuer: &str,
                sid: Option<&str>,
                subject: Option<&str>,
                now: Millis,
            ) -> Result<u64> {
                let mut tx = begin(&self.pool, $begin).await?;
                let rows = sqlx::query(&format!(
                    "SELECT s.token_hash, st.id, o.slug FROM staff_sessions s JOIN staff st ON st.id = s.staff_id \
                     JOIN organizations o ON o.id = st.org_id WHERE {LIVE} AND st.issuer = $1 \
                     AND ($3 = '' OR s.provider_sid = $3) AND ($4 = '' OR st.subject = $4)"
                ))
                .bind(issuer)
                .bind(now)
                .bind(sid.unwrap_or(""))
                .bind(subject.unwrap_or(""))
                .fetch_all(&mut *tx)
                .await?;
                for r in &rows {
                    let token_hash: String = r.try_get("token_hash")?;
                    let actor = staff_actor(r.try_get("id")?);
                    let org: String = r.try_get("slug")?;
                    sqlx::query("UPDATE staff_sessions SET ended_at = $1, id_token = NULL WHERE token_hash = $2")
                        .bind(now)
                        .bind(&token_hash)
                        .execute(&mut *tx)
                        .await?;
                    let audit = AuditEntry::new(&actor, "staff.sign_out", actor.clone())
                        .in_org(&org)
                        .with_detail(serde_json::json!({ "via": "provider back-channel logout" }));
                    Self::audit(&mut tx, &self.seal, &audit, now).await?;
                }
                tx.commit().await?;
                Ok(rows.len() as u64)
            }

            async fn staff_member(&self, id: i64) -> Result<Option<StaffMember>> {
                let row = sqlx::query(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| staff_from(&r)).transpose()
            }

            async fn staff_subject_data(&self, id: i64) -> Result<Option<StaffSubjectData>> {
                let mut conn = self.pool.acquire().await?;
                let Some(row) = sqlx::query(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
                ))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                else {
                    return Ok(None);
                };
                let m = staff_from(&row)?;
                let sessions = sqlx::query(
                    "SELECT created_at, last_seen_at, expires_at, ended_at FROM staff_sessions WHERE staff_id = $1 \
                     ORDER BY created_at",
                )
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| {
                    Ok(SubjectSession {
                        created_at: r.try_get("created_at")?,
                        last_seen_at: r.try_get("last_seen_at")?,
                        expires_at: r.try_get("expires_at")?,
                        ended_at: r.try_get("ended_at")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
                let drafts = |column: &'static str| {
                    format!(
                        "SELECT d.public_id, a.username, d.state, d.created_at, d.updated_at FROM drafts d \
                         JOIN accounts a ON a.id = d.account_id WHERE d.{column} = $1 ORDER BY d.id"
                    )
                };
                let mut lists = Vec::new();
                for column in ["author_id", "reviewer_id"] {
                    let rows = sqlx::query(&drafts(column)).bind(id).fetch_all(&mut *conn).await?;
                    lists.push(
                        rows.iter()
                            .map(|r| {
                                Ok(SubjectDraft {
                                    id: r.try_get("public_id")?,
                                    account: r.try_get("username")?,
                                    state: r.try_get("state")?,
                                    created_at: r.try_get("created_at")?,
                                    updated_at: r.try_get("updated_at")?,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?,
                    );
                }
                let actor = staff_actor(id);
                let audit_entries = sqlx::query(
                    "SELECT l.seq, l.at, l.action, l.org, p.payload FROM audit_log l \
                     JOIN audit_payloads p ON p.seq = l.seq WHERE l.actor = $1 OR l.subject = $1 ORDER BY l.seq",
                )
                .bind(&actor)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| {
                    Ok(SubjectAudit {
                        seq: r.try_get("seq")?,
                        at: r.try_get("at")?,
                        action: r.try_get("action")?,
                        payload: r.try_get("payload")?,
                        org: r.try_get("org")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
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
                    sessions,
                    drafts_written,
                    drafts_reviewed,
                    audit_entries,
                }))
            }

            async fn erase_staff(&self, id: i64, audit: AuditEntry) -> Result<StaffErasure> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let actor = staff_actor(id);
                let anonymised = sqlx::query(
                    "UPDATE staff SET name = '', email = NULL, roles = '', subject = 'anonymised-' || CAST(id AS TEXT) \
                     WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if anonymised == 0 {
                    return Err(StoreError::NotFound(actor));
                }
                let erasure = StaffErasure {
                    sessions_removed: sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected() as i64,
                    audit_payloads_erased: sqlx::query(
                        "DELETE FROM audit_payloads WHERE seq IN (SELECT seq FROM audit_log WHERE actor = $1 OR subject = $1)",
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

            async fn staff_of_org(&self, org_slug: &str) -> Result<Vec<StaffMember>> {
                let rows = sqlx::query(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id \
                     WHERE o.slug = $1 ORDER BY st.name, st.id"
                ))
                .bind(org_slug)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(staff_from).collect()
            }

            async fn create_draft(&self, draft: NewDraft, audit: AuditEntry) -> Result<DraftRecord> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let id: i64 = sqlx::query(
                    "INSERT INTO drafts (public_id, account_id, announcement_id, kind, state, source_text, language, \
                     summary, urgent, publish_at, author_id, created_at, updated_at, translations, media, mentions) \
                     VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14) RETURNING id",
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
                .bind(serde_json::to_string(&draft.content.translations).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&draft.media).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&draft.content.mentions).unwrap_or_else(|_| "[]".into()))
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                let record = Self::draft_in(&mut *tx, id).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn attach_media(&self, draft_id: i64, media: NewMedia, max: usize, audit: AuditEntry) -> Result<DraftRecord> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let mut draft = Self::draft_in(&mut *tx, draft_id).await?;
                if !draft.state.editable() {
                    return Err(StoreError::Conflict(format!("draft {draft_id} is no longer being written")));
                }
                // Checked here, under the write lock, so parallel uploads cannot pass the limit.
                if draft.media.len() >= max {
                    return Err(StoreError::Conflict(format!("an announcement carries at most {max} images")));
                }
                sqlx::query(
                    "INSERT INTO media (public_id, account_id, content_type, width, height, alt_text, bytes, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&media.info.public_id)
                .bind(media.account_id)
                .bind(&media.info.content_type)
                .bind(media.info.width)
                .bind(media.info.height)
                .bind(&media.info.alt_text)
                .bind(&media.bytes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                draft.media.push(media.info);
                Self::set_draft_media(&mut tx, draft_id, &draft.media, now).await?;
                Self::bump_revision(&mut tx, draft_id).await?;
                Self::audit(&mut tx, &self.seal, &audit, now).await?;
                let record = Self::draft_in(&mut *tx, draft_id).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn detach_media(&self, draft_id: i64, media_public_id: &str, audit: AuditEntry) -> Result<DraftRecord> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                let mut draft = Self::draft_in(&mut *tx, draft_id).await?;
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
                let record = Self::draft_in(&mut *tx, draft_id).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn media_file(&self, public_id: &str) -> Result<Option<MediaFile>> {
                let row = sqlx::query(
                    "SELECT m.public_id, m.content_type, m.width, m.height, m.alt_text, m.bytes, o.slug, \
                     (an.id IS NOT NULL AND an.retracted_at IS NULL) AS public FROM media m \
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

            async fn draft(&self, public_id: &str) -> Result<Option<DraftRecord>> {
                let row = sqlx::query(&format!("{DRAFT_SELECT} WHERE d.public_id = $1"))
                    .bind(public_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| draft_from(&r)).transpose()
            }

            async fn drafts(&self, org_slug: &str, states: &[DraftState], limit: i64) -> Result<Vec<DraftRecord>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(DRAFT_SELECT);
                q.push(" WHERE o.slug = ").push_bind(org_slug.to_owned()).push(" AND d.state IN (");
                let mut list = q.separated(", ");
                for state in states {
                    list.push_bind(state.as_str());
                }
                list.push_unseparated(") ORDER BY d.updated_at DESC, d.id DESC LIMIT ");
                q.push_bind(limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter().map(draft_from).collect()
            }

            async fn step_draft(
                &self,
                id: i64,
                transition: &herold_domain::workflow::Transition,
                details: StepDetails,
                audit: AuditEntry,
            ) -> Result<DraftRecord> {
                let now = now_millis();
                let mut tx = begin(&self.pool, $begin).await?;
                Self::move_draft(&mut tx, id, transition, details.seen_revision, now).await?;
                if details.content.is_some() || transition.step() == Step::Submit {
                    Self::bump_revision(&mut tx, id).await?;
                }
                if let Some(c) = &details.content {
                    sqlx::query(
                        "UPDATE drafts SET source_text = $1, language = $2, summary = $3, urgent = $4, \
                         publish_at = $5, translations = $7, mentions = $8 WHERE id = $6",
                    )
                    .bind(&c.source_text)
                    .bind(&c.language)
                    .bind(&c.summary)
                    .bind(c.urgent)
                    .bind(c.publish_at)
                    .bind(id)
                    .bind(serde_json::to_string(&c.translations).unwrap_or_else(|_| "[]".into()))
                    .bind(serde_json::to_string(&c.mentions).unwrap_or_else(|_| "[]".into()))
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
                let record = Self::draft_in(&mut *tx, id).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn drafts_of_announcement(&self, announcement_id: i64) -> Result<Vec<DraftRecord>> {
                let rows = sqlx::query(&format!(
                    "{DRAFT_SELECT} WHERE d.announcement_id = $1 AND d.state = 'published' ORDER BY d.updated_at, d.id"
                ))
                .bind(announcement_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(draft_from).collect()
            }

            async fn due_drafts(&self, now: Millis, limit: i64) -> Result<Vec<DraftRecord>> {
                let rows = sqlx::query(&format!(
                    "{DRAFT_SELECT} WHERE d.state = 'approved' AND (d.publish_at IS NULL OR d.publish_at <= $1) \
                     ORDER BY d.updated_at, d.id LIMIT $2"
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(draft_from).collect()
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
                let mut tx = begin(&self.pool, $begin).await?;
                Self::move_draft(&mut tx, id, transition, None, now).await?;
                let announcement = Self::insert_announcement(&mut tx, &new, &activities, &audit, &self.seal, now).await?;
                sqlx::query("UPDATE drafts SET announcement_id = $1 WHERE id = $2")
                    .bind(announcement.id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
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
                let mut tx = begin(&self.pool, $begin).await?;
                Self::move_draft(&mut tx, id, transition, None, now).await?;
                let announcement = Self::apply_edit(&mut tx, &edit, &update, &audit, &self.seal, now).await?;
                tx.commit().await?;
                Ok(announcement)
            }
        }
    };
}

staff_sql!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
staff_sql!(PgStore, sqlx::Postgres, "BEGIN");
