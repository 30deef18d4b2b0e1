//! The storage contract (`Store`) and one implementation per backend.
//!
//! Both backends run the same SQL text wherever the dialects agree (`$n` placeholders,
//! `RETURNING`, `ON CONFLICT`), so `backend.rs` writes each query once and is instantiated
//! for SQLite and for PostgreSQL; the few statements that must differ are passed in.
//! Every method that changes state owns its transaction and writes its audit entry inside it.

mod backend;
mod connect;
mod migrations;
mod model;
mod relay;
mod staff;

pub use connect::{connect, Backend};
pub use model::*;
pub use relay::*;
pub use staff::*;

use async_trait::async_trait;
use herold_domain::Millis;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("database unavailable or failed")]
    Database(#[from] sqlx::Error),
    #[error("the database did not take a write in time")]
    Busy,
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A worker's request for due deliveries.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub now: Millis,
    pub lease_ms: i64,
    pub limit: i64,
    /// The claiming worker's id, as its heartbeats give it.
    pub worker: &'a str,
    /// Workers whose last heartbeat is older are dead: their rows are due at once.
    pub alive_since: Millis,
    pub lane: Lane,
}

/// Which deliveries a claim takes: announcements (urgent, then routine) or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Announcements,
    Answers,
}

impl Lane {
    /// The range of `Priority` values in the lane.
    pub fn priorities(self) -> (i64, i64) {
        match self {
            Lane::Announcements => (Priority::Urgent as i64, Priority::Routine as i64),
            Lane::Answers => (Priority::Answer as i64, Priority::Answer as i64),
        }
    }
}

/// How long a repeated Follow waits for its Accept to be sent again.
pub const FOLLOW_ACCEPT_RESEND_MS: i64 = 10 * 60 * 1000;

/// What a Follow changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    /// A new follower: recorded, accepted and audited.
    New,
    /// Already a follower: the Accept is queued again (the remote may have missed it).
    Accepted,
    /// Already a follower, accepted a moment ago: nothing to do.
    Repeated,
}

#[async_trait]
pub trait Store: StaffStore + RelayStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;
    async fn migrate(&self) -> Result<()>;
    /// Whether every migration this binary knows has been applied.
    async fn migrations_current(&self) -> Result<bool>;
    /// Proves that the database takes writes now: takes the write lock (SQLite) or a
    /// transaction id (PostgreSQL; a read-only standby refuses), then rolls back.
    async fn check_writable(&self) -> Result<()>;

    async fn create_org(&self, org: NewOrg, audit: AuditEntry) -> Result<Organization>;
    async fn list_orgs(&self) -> Result<Vec<Organization>>;

    async fn create_account(&self, account: NewAccount, audit: AuditEntry) -> Result<Account>;
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>>;
    async fn account_by_id(&self, id: i64) -> Result<Option<Account>>;
    async fn list_accounts(&self) -> Result<Vec<Account>>;

    async fn instance_key(&self, name: &str) -> Result<Option<InstanceKey>>;
    /// Stores `candidate` unless a key of that name exists, and returns the stored key, so
    /// that concurrent first starts agree on one key.
    async fn put_instance_key(&self, name: &str, candidate: InstanceKey) -> Result<InstanceKey>;

    async fn upsert_remote_actor(&self, actor: &RemoteActor) -> Result<()>;
    async fn remote_actor_by_key_id(&self, key_id: &str) -> Result<Option<RemoteActor>>;
    async fn remote_actor(&self, uri: &str) -> Result<Option<RemoteActor>>;

    /// Records a follower and queues our `Accept`, in one transaction. A Follow from someone
    /// who already follows changes nothing in the audit trail, and its Accept is queued
    /// again only after `FOLLOW_ACCEPT_RESEND_MS` (a lost Accept is retried by the remote,
    /// a flood of replays gets one).
    async fn add_follower(&self, follower: NewFollower, accept: NewActivity) -> Result<FollowOutcome>;
    async fn remove_follower(&self, account_id: i64, actor_uri: &str) -> Result<bool>;
    /// Undo of a Follow given only by its id: removes the follow that id created, if the
    /// actor is the one who made it.
    async fn remove_follow_by_id(&self, actor_uri: &str, follow_id: &str) -> Result<bool>;
    /// Drops a remote actor everywhere (it was deleted at its origin). Returns the followings removed.
    async fn forget_remote_actor(&self, actor_uri: &str) -> Result<u64>;
    async fn follower_count(&self, account_id: i64) -> Result<i64>;
    /// Records every account's follower count for `day` (`YYYY-MM-DD`, UTC), replacing an
    /// earlier count of the same day.
    async fn record_follower_counts(&self, day: &str) -> Result<()>;
    /// `(day, followers)` from `since_day` on, oldest first.
    async fn follower_history(&self, account_id: i64, since_day: &str) -> Result<Vec<(String, i64)>>;

    /// Stores the announcement, its `Create` (and the relay's Announce of it), and one
    /// delivery per inbox, in one transaction.
    async fn publish(
        &self,
        new: NewAnnouncement,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Announcement>;
    async fn edit_announcement(
        &self,
        edit: AnnouncementEdit,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement>;
    async fn retract_announcement(
        &self,
        id: i64,
        at: Millis,
        delete: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement>;
    async fn announcement(&self, account_id: i64, public_id: &str) -> Result<Option<Announcement>>;
    /// Newest first; retracted ones are left out.
    async fn announcements(&self, account_id: i64, limit: i64, offset: i64) -> Result<Vec<Announcement>>;
    async fn announcement_count(&self, account_id: i64) -> Result<i64>;
    /// Published announcements of every account carrying the hashtag (lower case, no '#'),
    /// newest first.
    async fn tagged_announcements(&self, tag: &str, limit: i64, offset: i64) -> Result<Vec<Announcement>>;
    /// Published announcements after `after_id` (by id) whose texts hold a '#' but which are
    /// on no tag page: those from before the tag pages existed.
    async fn announcements_without_tags(&self, after_id: i64, limit: i64) -> Result<Vec<Announcement>>;
    /// Puts an announcement that is on no tag page on those of `tags` (lower case, without
    /// '#'); one already on some (an edit placed it) is left as it is.
    async fn set_announcement_tags(&self, announcement_id: i64, tags: &[String]) -> Result<()>;
    /// By row id, retracted or not.
    async fn announcement_with_id(&self, id: i64) -> Result<Option<Announcement>>;
    async fn activity_uri_for(&self, announcement_id: i64, kind: &str) -> Result<Option<String>>;

    /// Leases up to `limit` due deliveries to a worker, urgent ones first, skipping hosts whose
    /// breaker is open. Rows whose lease ran out, or whose worker's heartbeat is older than
    /// `alive_since`, are due again.
    async fn claim_deliveries(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>>;
    /// A delivery worker says it is alive (and forgets workers silent for a day).
    async fn worker_heartbeat(&self, worker: &str, now: Millis) -> Result<()>;
    async fn activity_for_delivery(&self, activity_id: i64) -> Result<StoredActivity>;
    /// Records outcomes of claimed deliveries, `(id, lease_until, outcome)`; rows whose
    /// lease has since passed to another worker are left alone.
    async fn record_outcomes(&self, outcomes: &[(i64, Millis, DeliveryOutcome)], now: Millis) -> Result<()>;
    /// Gives up on deliveries created before `created_before` whose server's breaker is open:
    /// they would only be tried again after their retry horizon, to become dead letters then.
    /// Returns how many became dead letters.
    async fn expire_deliveries(&self, created_before: Millis, now: Millis) -> Result<u64>;
    async fn host_state(&self, host: &str) -> Result<Option<HostState>>;
    async fn record_host(&self, host: &str, report: HostReport, now: Millis) -> Result<()>;
    async fn delivery_stats(&self, announcement_id: Option<i64>) -> Result<DeliveryStats> {
        self.delivery_stats_since(announcement_id, Millis::MIN).await
    }
    /// As `delivery_stats`, counting finished deliveries only if they finished at or after
    /// `finished_after`: records past their retention are hidden before the purge.
    async fn delivery_stats_since(
        &self,
        announcement_id: Option<i64>,
        finished_after: Millis,
    ) -> Result<DeliveryStats>;
    async fn queue_depth(&self, now: Millis) -> Result<QueueDepth>;
    /// Takes the lease on a scheduled job until `until`, if nobody else holds it. Returns
    /// whether `holder` now runs the job.
    async fn acquire_job(&self, name: &str, holder: &str, now: Millis, until: Millis) -> Result<bool>;

    /// Audit entries after `after_seq`, oldest first, with their payloads where not erased.
    async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;
    /// The number of entries (the highest sequence number).
    async fn audit_size(&self) -> Result<i64>;
    /// Appends an audit entry on its own, for actions that change nothing else here
    /// (checkpoints, verification runs).
    async fn record_audit(&self, entry: AuditEntry) -> Result<()>;
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<()>;
    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>>;
    /// The payload of the newest audit entry with this action, if it still has one.
    async fn last_audit_payload(&self, action: &str) -> Result<Option<String>>;

    /// Everything held about a remote actor.
    async fn subject_data(&self, actor_uri: &str) -> Result<SubjectData>;
    /// Erases a remote actor's data everywhere (or, with `only_org`, only what that
    /// organisation holds) except in organisations under legal hold (`held_orgs`), and
    /// records that an erasure happened, without the identity, in the same transaction.
    async fn erase_subject(
        &self,
        actor_uri: &str,
        held_orgs: &[String],
        only_org: Option<&str>,
        audit: AuditEntry,
    ) -> Result<Erasure>;

    /// Keeps one security event (the security log is off unless configured).
    async fn record_security_event(&self, event: &str, client_pseudonym: &str, detail: &str) -> Result<()>;

    /// What has expired, per class and organisation.
    async fn retention_plan(&self, cutoffs: &[ClassCutoff]) -> Result<Vec<ClassCount>>;
    /// What has expired in one class and organisation, a JSON object per row: what an
    /// archive receives before the purge.
    async fn retention_rows(&self, cutoff: &ClassCutoff) -> Result<Vec<String>>;
    /// Deletes or anonymises what has expired and records the run, in one transaction.
    async fn retention_apply(&self, cutoffs: &[ClassCutoff], audit: AuditEntry) -> Result<Vec<ClassCount>>;
}
