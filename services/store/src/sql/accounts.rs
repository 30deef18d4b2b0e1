//! `Accounts` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};
use sqlx::Row;

use super::Db;
use crate::sql::{SqlStore, ACCOUNT_COLUMNS};
use crate::*;

#[async_trait]
impl Accounts for SqlStore<Db> {
    async fn create_org(&self, org: NewOrg, audit: AuditEntry) -> Result<Organization> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO organizations (slug, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(&org.slug)
        .bind(&org.name)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("organisation {}", org.slug)))?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(Organization { id: row.try_get("id")?, slug: org.slug, name: org.name, created_at: now })
    }

    async fn list_orgs(&self) -> Result<Vec<Organization>> {
        Ok(sqlx::query_as("SELECT id, slug, name, created_at FROM organizations ORDER BY slug")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn create_account(&self, account: NewAccount, audit: AuditEntry) -> Result<Account> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let org_id: i64 = sqlx::query("SELECT id FROM organizations WHERE slug = $1")
            .bind(&account.org_slug)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("organisation {}", account.org_slug)))?
            .try_get("id")?;
        let id: i64 = sqlx::query(
            "INSERT INTO accounts (org_id, username, display_name, summary, public_key_pem, \
             private_key_enc, created_at, language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(org_id)
        .bind(&account.username)
        .bind(&account.display_name)
        .bind(&account.summary)
        .bind(&account.public_key_pem)
        .bind(&account.private_key_enc)
        .bind(now)
        .bind(&account.language)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("account {}", account.username)))?
        .try_get("id")?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        self.account_by_id(id).await?.ok_or_else(|| StoreError::NotFound(format!("account {id}")))
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
             WHERE a.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
             WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN organizations o ON o.id = a.org_id \
             ORDER BY o.slug, a.username"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn instance_key(&self, name: &str) -> Result<Option<InstanceKey>> {
        Ok(sqlx::query_as("SELECT public_key_pem, private_key_enc FROM instance_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn rotate_keys(
        &self,
        account_id: i64,
        keys: AccountKeys,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Account> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE accounts SET public_key_pem = $1, private_key_enc = $2, proof_key_public = $3, \
             proof_key_enc = $4 WHERE id = $5",
        )
        .bind(&keys.public_key_pem)
        .bind(&keys.private_key_enc)
        .bind(&keys.proof_key_public)
        .bind(&keys.proof_key_enc)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("account {account_id}")));
        }
        Self::insert_activity(&mut tx, &update, None, now).await?;
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        self.account_by_id(account_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))
    }

    async fn end_account(
        &self,
        account_id: i64,
        moved_to: Option<&str>,
        at: Millis,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Account> {
        let mut tx = self.begin_write().await?;
        let ended = sqlx::query(
            "UPDATE accounts SET ended_at = $1, moved_to = $2 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(at)
        .bind(moved_to)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended == 0 {
            return Err(StoreError::Conflict(format!("account {account_id} has ended already")));
        }
        // Nothing will be sent to its subscribers again: their addresses have no purpose left.
        sqlx::query(
            "DELETE FROM email_sends WHERE subscriber_id IN (SELECT id FROM email_subscribers WHERE account_id = $1)",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        for table in ["email_subscribers", "websub_subscriptions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1"))
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        for activity in &activities {
            Self::insert_activity(&mut tx, activity, None, at).await?;
        }
        Self::audit(&mut tx, &self.seal, &audit, at).await?;
        self.commit_queued(tx).await?;
        self.account_by_id(account_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))
    }

    async fn set_proof_key(&self, account_id: i64, public: &str, private_enc: &str) -> Result<Account> {
        sqlx::query(
            "UPDATE accounts SET proof_key_public = $1, proof_key_enc = $2 \
             WHERE id = $3 AND proof_key_public IS NULL",
        )
        .bind(public)
        .bind(private_enc)
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        self.account_by_id(account_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))
    }

    async fn put_instance_key(&self, name: &str, candidate: InstanceKey) -> Result<InstanceKey> {
        sqlx::query(
            "INSERT INTO instance_keys (name, public_key_pem, private_key_enc, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&candidate.public_key_pem)
        .bind(&candidate.private_key_enc)
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        self.instance_key(name).await?.ok_or_else(|| StoreError::NotFound(format!("instance key {name}")))
    }
}
