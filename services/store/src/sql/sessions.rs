//! `Sessions` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::Millis;
use sqlx::Row;

use super::Db;
use crate::sql::{SqlStore, LIVE, SEEN_PRECISION_MS, STAFF_COLUMNS};
use crate::*;

impl SqlStore<Db> {
    pub(super) async fn session_in(
        conn: &mut <Db as sqlx::Database>::Connection,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<StaffSession>> {
        Ok(sqlx::query_as(&format!(
            "SELECT s.token_hash, s.roles AS session_roles, s.csrf, s.provider_sid, s.id_token, \
             s.created_at AS session_created_at, s.expires_at, {STAFF_COLUMNS} FROM staff_sessions s \
             JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
             WHERE s.token_hash = $1 AND {LIVE}"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Creates or updates a person; returns their id and their roles before (`None`:
    /// new).
    pub(super) async fn upsert_staff(
        tx: &mut sqlx::Transaction<'_, Db>,
        who: &StaffSignIn,
        now: Millis,
    ) -> Result<(i64, Option<String>)> {
        let org_id: i64 = sqlx::query("SELECT id FROM organizations WHERE slug = $1")
            .bind(&who.org_slug)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("organisation {}", who.org_slug)))?
            .try_get("id")?;
        let existing =
            sqlx::query("SELECT id, roles FROM staff WHERE org_id = $1 AND issuer = $2 AND subject = $3")
                .bind(org_id)
                .bind(&who.issuer)
                .bind(&who.subject)
                .fetch_optional(&mut **tx)
                .await?;
        let roles = who.roles.to_string();
        let (id, old_roles) = match existing {
            Some(r) => {
                let id: i64 = r.try_get("id")?;
                sqlx::query(
                    "UPDATE staff SET name = $1, email = $2, roles = $3, last_sign_in_at = $4 WHERE id = $5",
                )
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
}

#[async_trait]
impl Sessions for SqlStore<Db> {
    async fn start_sign_in(&self, attempt: SignInAttempt, expired_before: Millis) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
        let mut tx = self.begin_write().await?;
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
        let mut tx = self.begin_write().await?;
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
        let live = Self::session_in(&mut tx, &session.token_hash, now)
            .await?
            .ok_or_else(|| StoreError::NotFound("the session just opened".into()))?;
        tx.commit().await?;
        Ok(live)
    }

    async fn api_client(&self, who: StaffSignIn, now: Millis) -> Result<StaffMember> {
        let mut tx = self.begin_write().await?;
        let (id, old_roles) = Self::upsert_staff(&mut tx, &who, now).await?;
        let roles = who.roles.to_string();
        if old_roles.as_deref() != Some(roles.as_str()) {
            let actor = staff_actor(id);
            let audit = AuditEntry::new(&actor, "staff.roles_changed", actor.clone())
                .in_org(&who.org_slug)
                .with_detail(
                    serde_json::json!({ "old": old_roles, "new": roles, "api_client": who.subject }),
                );
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        let member = sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
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
        Self::session_in(&mut conn, token_hash, now).await
    }

    async fn end_session(&self, token_hash: &str, now: Millis) -> Result<Option<StaffSession>> {
        let mut tx = self.begin_write().await?;
        let Some(session) = Self::session_in(&mut tx, token_hash, now).await? else {
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
        let mut tx = self.begin_write().await?;
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
        Ok(sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id WHERE st.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn staff_of_org(&self, org_slug: &str) -> Result<Vec<StaffMember>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff st JOIN organizations o ON o.id = st.org_id \
             WHERE o.slug = $1 ORDER BY st.name, st.id"
        ))
        .bind(org_slug)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_staff_settings(
        &self,
        id: i64,
        notify_by_email: bool,
        time_zone: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE staff SET notify_by_email = $1, time_zone = $2 WHERE id = $3")
            .bind(notify_by_email)
            .bind(time_zone)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_staff_language(&self, id: i64, language: &str) -> Result<()> {
        sqlx::query("UPDATE staff SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
