//! Remote actors as fetched, the accounts' followers, and follower counts by day.

use async_trait::async_trait;

use crate::*;

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
pub trait Followers: Send + Sync {
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

    async fn is_follower(&self, account_id: i64, actor_uri: &str) -> Result<bool>;

    /// Records every account's follower count for `day` (`YYYY-MM-DD`, UTC), replacing an
    /// earlier count of the same day.
    async fn record_follower_counts(&self, day: &str) -> Result<()>;

    /// `(day, followers)` from `since_day` on, oldest first.
    async fn follower_history(&self, account_id: i64, since_day: &str) -> Result<Vec<(String, i64)>>;
}
