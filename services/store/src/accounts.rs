//! Organisations, their official accounts, and the instance's own keys.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// An account's key pairs, the private halves sealed: RSA for HTTP signatures, Ed25519 for
/// integrity proofs.
#[derive(Debug, Clone)]
pub struct AccountKeys {
    pub public_key_pem: String,
    pub private_key_enc: String,
    pub proof_key_public: String,
    pub proof_key_enc: String,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_org(&self, org: NewOrg, audit: AuditEntry) -> Result<Organization>;

    async fn list_orgs(&self) -> Result<Vec<Organization>>;

    async fn create_account(&self, account: NewAccount, audit: AuditEntry) -> Result<Account>;

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>>;

    async fn account_by_id(&self, id: i64) -> Result<Option<Account>>;

    async fn list_accounts(&self) -> Result<Vec<Account>>;

    /// Replaces an account's keys (both pairs) and queues the actor `Update` that tells its
    /// followers, with the audit entry, in one transaction.
    async fn rotate_keys(
        &self,
        account_id: i64,
        keys: AccountKeys,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Account>;

    /// Ends an account at `at`, moved to `moved_to` or retired (`None`), and queues what
    /// tells its followers (the actor `Update`, and a `Move`) with the audit entry, in one
    /// transaction, which also removes its e-mail and WebSub subscribers (nothing will be
    /// sent to them again). An account ends once: `Conflict` if it has ended already.
    async fn end_account(
        &self,
        account_id: i64,
        moved_to: Option<&str>,
        at: Millis,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Account>;

    /// Gives an account its proof key, unless it has one (the first stored stays, so two
    /// processes starting at once agree). Returns the account as stored.
    async fn set_proof_key(&self, account_id: i64, public: &str, private_enc: &str) -> Result<Account>;

    async fn instance_key(&self, name: &str) -> Result<Option<InstanceKey>>;

    /// Stores `candidate` unless a key of that name exists, and returns the stored key, so
    /// that concurrent first starts agree on one key.
    async fn put_instance_key(&self, name: &str, candidate: InstanceKey) -> Result<InstanceKey>;
}
