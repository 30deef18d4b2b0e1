//! The delivery queue: activities and their deliveries, leases for workers, per-server health,
//! and the statistics the staff and operators see.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

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

/// How the deliveries of one announcement's Create or Update fared, once all finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityFate {
    pub activity_id: i64,
    /// `Create` or `Update`.
    pub kind: String,
    pub org_slug: String,
    /// The submission that published it, if one did (not the operator's command line).
    pub draft: Option<String>,
    pub delivered: i64,
    pub dead: i64,
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// The Creates and Updates of announcements made since `since` whose deliveries have
    /// all finished and that were not looked at yet, oldest first, at most `limit`, with how
    /// their deliveries fared. Older ones are no longer waited for: they count as looked at.
    async fn finished_activities(&self, since: Millis, limit: i64) -> Result<Vec<ActivityFate>>;

    /// Records that an activity was looked at, with the audit entry that tells its author,
    /// if any, in one transaction; `false` if another process did first.
    async fn deliveries_checked(&self, activity_id: i64, audit: Option<AuditEntry>) -> Result<bool>;

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

    /// How far the deliveries of an announcement (or of everything) got. Finished ones past
    /// their retention (`delivery_records` of the announcement's organisation, or the
    /// instance-wide limit) are left out, as they are hidden before the purge.
    async fn delivery_stats(
        &self,
        announcement_id: Option<i64>,
        visible: &Visibility,
    ) -> Result<DeliveryStats>;

    async fn queue_depth(&self, now: Millis) -> Result<QueueDepth>;

    /// Tries a server again now: its deliveries made since `created_since` (its retry
    /// horizon: older ones would only expire again) that were given up or wait are due at
    /// once with a fresh count of attempts, and its failures are forgotten; never the
    /// `Create` or `Update` of an announcement retracted since. With the audit entry, in one
    /// transaction; returns how many deliveries were queued.
    async fn requeue_host(
        &self,
        host: &str,
        created_since: Millis,
        now: Millis,
        audit: AuditEntry,
    ) -> Result<u64>;

    /// Gives up a server's waiting deliveries (those not being sent right now), with the
    /// audit entry, in one transaction; returns how many.
    async fn give_up_host(&self, host: &str, now: Millis, audit: AuditEntry) -> Result<u64>;

    /// Takes the lease on a scheduled job until `until`, if nobody else holds it. Returns
    /// whether `holder` now runs the job.
    async fn acquire_job(&self, name: &str, holder: &str, now: Millis, until: Millis) -> Result<bool>;

    /// Returns once a commit through this store has queued deliveries since it last
    /// returned (at once if one did meanwhile): the delivery worker of this process waits on
    /// it between polls. One waiter is meant; others (another process) find the rows by
    /// polling.
    async fn deliveries_queued(&self);
}
