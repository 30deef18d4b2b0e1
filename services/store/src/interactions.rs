//! Consents an official account gives to other servers: to quote an announcement (FEP-044f),
//! to list the account in a collection (FEP-7aa9), or to reply to an announcement
//! (GoToSocial's `ReplyAuthorization`). Each is a stamp with an address of
//! its own, which the other server points to and anyone can check.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampKind {
    Quote,
    Feature,
    Reply,
}

impl StampKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StampKind::Quote => "quote",
            StampKind::Feature => "feature",
            StampKind::Reply => "reply",
        }
    }

    /// How many standing consents one requester may hold for one announcement (or account):
    /// a person may quote a post more than once and reply to it in a conversation; a server
    /// minting posts cannot fill the audit trail.
    pub fn max_per_requester(self) -> i64 {
        match self {
            StampKind::Quote | StampKind::Feature => 3,
            StampKind::Reply => 20,
        }
    }
}

impl TryFrom<String> for StampKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_str() {
            "quote" => Ok(StampKind::Quote),
            "feature" => Ok(StampKind::Feature),
            "reply" => Ok(StampKind::Reply),
            _ => Err(format!("unknown stamp kind {s:?}")),
        }
    }
}

/// A consent about to be given.
#[derive(Debug, Clone)]
pub struct NewStamp {
    pub public_id: String,
    pub account_id: i64,
    pub kind: StampKind,
    /// The quoted announcement; `None` for a feature.
    pub announcement_id: Option<i64>,
    /// What may be interacted with: the announcement's or the account's id.
    pub target: String,
    /// The quote post, or the collection.
    pub interacting_object: String,
    pub requester: String,
    pub requester_inbox: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stamp {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: StampKind,
    pub announcement_id: Option<i64>,
    pub target: String,
    pub interacting_object: String,
    pub requester: String,
    pub requester_inbox: String,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A stamp and the activity that takes it back (a `Delete` to the requester).
#[derive(Debug, Clone)]
pub struct Revocation {
    pub stamp_id: i64,
    pub delete: NewActivity,
}

#[async_trait]
pub trait Interactions: Send + Sync {
    /// Gives the consent and queues the `Accept` that carries it, in one transaction, with
    /// an audit entry the first time. Asked again for the same object (a retry), the stamp
    /// already given is accepted again and nothing new is recorded. `accept` builds the
    /// Accept for the stamp that stands. A quote of an announcement retracted meanwhile is
    /// `NotFound`; a requester that holds `StampKind::max_per_requester` for the target already
    /// gets `Conflict`.
    async fn grant_stamp(
        &self,
        stamp: NewStamp,
        accept: &(dyn for<'s> Fn(&'s Stamp) -> NewActivity + Send + Sync),
        audit: AuditEntry,
    ) -> Result<Stamp>;

    /// Queues an answer that changes nothing else: the `Reject` of a request the policy
    /// refuses.
    async fn queue_answer(&self, answer: NewActivity) -> Result<()>;

    /// By its public id, revoked or not.
    async fn stamp(&self, public_id: &str) -> Result<Option<Stamp>>;

    /// Every consent that stands, by id after `after_id`, `limit` at a time.
    async fn live_stamps(&self, after_id: i64, limit: i64) -> Result<Vec<Stamp>>;

    /// Takes consents back (a policy no longer allows them): marks them revoked and queues
    /// each `Delete`, with one audit entry, in one transaction. Returns how many it revoked.
    async fn revoke_stamps(&self, revocations: Vec<Revocation>, audit: AuditEntry) -> Result<u64>;

    /// The consents the organisation's accounts gave that still stand.
    async fn live_stamps_of_org(&self, org_slug: &str) -> Result<Vec<Stamp>>;

    /// The consents given to quote an announcement that still stand.
    async fn live_stamps_of(&self, announcement_id: i64) -> Result<Vec<Stamp>>;
}
