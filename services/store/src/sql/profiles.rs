//! `Profiles` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::now_millis;
use sqlx::Row;

use super::Db;
use crate::sql::{JsonText, SqlStore};
use crate::*;

const PROPOSAL_SELECT: &str =
    "SELECT p.public_id, p.account_id, a.username, o.slug, p.display_name, p.summary, p.profile, \
     p.proposed_by, st.name AS proposer_name, p.created_at FROM profile_proposals p \
     JOIN accounts a ON a.id = p.account_id JOIN organizations o ON o.id = a.org_id \
     LEFT JOIN staff st ON st.id = p.proposed_by";

fn proposal_of(row: &<Db as sqlx::Database>::Row) -> Result<ProfileProposal> {
    let profile: JsonText<AccountProfile> = row.try_get("profile")?;
    Ok(ProfileProposal {
        public_id: row.try_get("public_id")?,
        account_id: row.try_get("account_id")?,
        username: row.try_get("username")?,
        org_slug: row.try_get("slug")?,
        content: ProfileContent {
            display_name: row.try_get("display_name")?,
            summary: row.try_get("summary")?,
            profile: profile.0,
        },
        proposed_by: row.try_get("proposed_by")?,
        proposer_name: row.try_get("proposer_name")?,
        created_at: row.try_get("created_at")?,
    })
}

impl SqlStore<Db> {
    async fn proposal_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        public_id: &str,
    ) -> Result<Option<ProfileProposal>> {
        sqlx::query(&format!("{PROPOSAL_SELECT} WHERE p.public_id = $1"))
            .bind(public_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| proposal_of(&r))
            .transpose()
    }

    /// Removes images a proposal brought that neither `keep` names nor anything shows (an
    /// account's profile or an announcement).
    async fn drop_proposed_images(
        tx: &mut sqlx::Transaction<'_, Db>,
        brought: &AccountProfile,
        keep: &AccountProfile,
    ) -> Result<()> {
        let kept: Vec<&str> = keep.image_ids().collect();
        for id in brought.image_ids().filter(|id| !kept.contains(id)) {
            sqlx::query(
                "DELETE FROM media WHERE public_id = $1 AND profile_of IS NULL AND announcement_id IS NULL",
            )
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Profiles for SqlStore<Db> {
    async fn propose_profile(
        &self,
        proposal: ProfileProposal,
        media: Vec<NewMedia>,
        audit: AuditEntry,
    ) -> Result<ProfileProposal> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let replaced = sqlx::query(&format!("{PROPOSAL_SELECT} WHERE p.account_id = $1"))
            .bind(proposal.account_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| proposal_of(&r))
            .transpose()?;
        if let Some(old) = &replaced {
            sqlx::query("DELETE FROM profile_proposals WHERE public_id = $1")
                .bind(&old.public_id)
                .execute(&mut *tx)
                .await?;
            Self::drop_proposed_images(&mut tx, &old.content.profile, &proposal.content.profile).await?;
        }
        for m in &media {
            Self::insert_media(&mut tx, m, now).await?;
        }
        sqlx::query(
            "INSERT INTO profile_proposals (public_id, account_id, display_name, summary, profile, \
             proposed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&proposal.public_id)
        .bind(proposal.account_id)
        .bind(&proposal.content.display_name)
        .bind(&proposal.content.summary)
        .bind(JsonText(&proposal.content.profile))
        .bind(proposal.proposed_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        let stored = Self::proposal_in(&mut tx, &proposal.public_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("profile proposal {}", proposal.public_id)))?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn profile_proposal(
        &self,
        account_id: i64,
        visible: &Visibility,
    ) -> Result<Option<ProfileProposal>> {
        let found = sqlx::query(&format!("{PROPOSAL_SELECT} WHERE p.account_id = $1"))
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| proposal_of(&r))
            .transpose()?;
        Ok(found.filter(|p| visible.shows(DataClass::ProfileProposals, Some(&p.org_slug), p.created_at)))
    }

    async fn profile_proposals(&self, org_slug: &str, visible: &Visibility) -> Result<Vec<ProfileProposal>> {
        sqlx::query(&format!(
            "{PROPOSAL_SELECT} WHERE o.slug = $1 AND p.created_at >= $2 ORDER BY p.created_at"
        ))
        .bind(org_slug)
        .bind(visible.since(DataClass::ProfileProposals, Some(org_slug)))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(proposal_of)
        .collect()
    }

    async fn apply_profile(
        &self,
        public_id: &str,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Account> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let proposal = Self::proposal_in(&mut tx, public_id)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("profile proposal {public_id} no longer waits")))?;
        let account_id = proposal.account_id;
        let before: JsonText<AccountProfile> = sqlx::query("SELECT profile FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("profile")?;
        let after = &proposal.content.profile;
        let kept: Vec<&str> = after.image_ids().collect();
        for id in before.0.image_ids().filter(|id| !kept.contains(id)) {
            sqlx::query("DELETE FROM media WHERE public_id = $1 AND announcement_id IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for image in after.avatar.iter().chain(&after.header) {
            sqlx::query("UPDATE media SET profile_of = $1, alt_text = $2 WHERE public_id = $3")
                .bind(account_id)
                .bind(&image.alt_text)
                .bind(&image.public_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE accounts SET display_name = $1, summary = $2, profile = $3 WHERE id = $4")
            .bind(&proposal.content.display_name)
            .bind(&proposal.content.summary)
            .bind(JsonText(after))
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM profile_proposals WHERE public_id = $1")
            .bind(public_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM link_checks WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        Self::insert_activity(&mut tx, &update, None, now).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        self.account_by_id(account_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))
    }

    async fn discard_profile(&self, public_id: &str, audit: AuditEntry) -> Result<()> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let proposal = Self::proposal_in(&mut tx, public_id)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("profile proposal {public_id} no longer waits")))?;
        sqlx::query("DELETE FROM profile_proposals WHERE public_id = $1")
            .bind(public_id)
            .execute(&mut *tx)
            .await?;
        Self::drop_proposed_images(&mut tx, &proposal.content.profile, &AccountProfile::default()).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn link_checks(&self, account_id: i64) -> Result<Vec<LinkCheckRecord>> {
        Ok(sqlx::query_as(
            "SELECT account_id, url, verified, problem, checked_at FROM link_checks \
             WHERE account_id = $1 ORDER BY url",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn all_link_checks(&self) -> Result<Vec<LinkCheckRecord>> {
        Ok(sqlx::query_as("SELECT account_id, url, verified, problem, checked_at FROM link_checks")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn record_link_check(&self, check: LinkCheckRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO link_checks (account_id, url, verified, problem, checked_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, url) DO UPDATE SET \
             verified = excluded.verified, problem = excluded.problem, checked_at = excluded.checked_at",
        )
        .bind(check.account_id)
        .bind(&check.url)
        .bind(check.verified)
        .bind(&check.problem)
        .bind(check.checked_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
