//! WebSub subscriptions to the accounts' feeds (Herold is its own hub).

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// A callback subscribed to one account's feed in one format.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebsubSubscription {
    pub id: i64,
    pub account_id: i64,
    pub username: String,
    pub format: String,
    pub callback: String,
    pub secret: Option<String>,
    pub expires_at: Millis,
    pub notified_until: Millis,
    pub failures: i64,
}

#[async_trait]
pub trait Websub: Send + Sync {
    /// Subscribes (or renews) a verified callback until `expires_at`; what was published
    /// before `now` is not sent to it. Renewing keeps its failures in a row.
    async fn websub_subscribe(
        &self,
        account_id: i64,
        format: &str,
        callback: &str,
        secret: Option<&str>,
        expires_at: Millis,
        now: Millis,
    ) -> Result<()>;

    async fn websub_unsubscribe(&self, account_id: i64, format: &str, callback: &str) -> Result<bool>;

    /// Subscriptions whose lease runs and whose feed has an announcement published after
    /// `notified_until` (newly published, not imported or retracted), those that have not
    /// been failing first: callbacks that keep failing cannot crowd out the others.
    async fn websub_due(&self, now: Millis, limit: i64) -> Result<Vec<WebsubSubscription>>;

    /// The feed up to `until` reached the callback.
    async fn websub_notified(&self, id: i64, until: Millis) -> Result<()>;

    /// A delivery failed; after `give_up_after` failures in a row the subscription ends.
    async fn websub_failed(&self, id: i64, give_up_after: i64) -> Result<()>;

    /// How many callbacks are subscribed to an account's feeds.
    async fn websub_count(&self, account_id: i64) -> Result<i64>;

    /// Ends the subscriptions whose lease ran out; how many.
    async fn websub_expire(&self, now: Millis) -> Result<u64>;
}
