//! Changes of an official account's profile (name, biography, fields, avatar, header) that
//! wait for a second person, and applying one: the account, its images and the actor
//! `Update` to its followers change together.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// An account's profile as proposed or as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileContent {
    pub display_name: String,
    /// The biography.
    pub summary: Option<String>,
    pub profile: AccountProfile,
}

/// A change waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileProposal {
    pub public_id: String,
    pub account_id: i64,
    pub username: String,
    pub org_slug: String,
    pub content: ProfileContent,
    /// The member of staff who proposed it; `None`: the operator, at the command line.
    pub proposed_by: Option<i64>,
    /// Their name (empty once retention anonymised them).
    pub proposer_name: Option<String>,
    pub created_at: Millis,
}

/// What Herold last found at a web page an account's profile names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkCheckRecord {
    pub account_id: i64,
    pub url: String,
    /// The page links back with `rel="me"`.
    pub verified: bool,
    /// Why it could not be read (naming the server only); `None` when it was read.
    pub problem: Option<String>,
    pub checked_at: Millis,
}

#[async_trait]
pub trait Profiles: Send + Sync {
    /// Stores a proposal for an account's profile with the new images it brings (staff-only
    /// until applied), replacing one that waits; images only the replaced one brought go.
    /// Audited, in one transaction.
    async fn propose_profile(
        &self,
        proposal: ProfileProposal,
        media: Vec<NewMedia>,
        audit: AuditEntry,
    ) -> Result<ProfileProposal>;

    /// The change waiting for an account, unless it is past its retention.
    async fn profile_proposal(
        &self,
        account_id: i64,
        visible: &Visibility,
    ) -> Result<Option<ProfileProposal>>;

    /// The changes waiting in an organisation, oldest first.
    async fn profile_proposals(&self, org_slug: &str, visible: &Visibility) -> Result<Vec<ProfileProposal>>;

    /// Applies the proposal `public_id`: the account takes its content, its images become
    /// public, the images it replaces go, `update` is queued for the followers, audited, in
    /// one transaction. `Conflict` if another proposal took its place meanwhile.
    async fn apply_profile(&self, public_id: &str, update: NewActivity, audit: AuditEntry)
        -> Result<Account>;

    /// Drops the proposal `public_id` (rejected or withdrawn) and the images only it brought.
    async fn discard_profile(&self, public_id: &str, audit: AuditEntry) -> Result<()>;

    /// The last checks of an account's profile links (applying a profile forgets them, so
    /// that its links are checked afresh).
    async fn link_checks(&self, account_id: i64) -> Result<Vec<LinkCheckRecord>>;

    /// Every account's checks, for the job that decides which are due.
    async fn all_link_checks(&self) -> Result<Vec<LinkCheckRecord>>;

    async fn record_link_check(&self, check: LinkCheckRecord) -> Result<()>;
}
