//! The relay: subscribing servers, blocks, allow-listed publishers, and what it passes on.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// How a server subscribed: Mastodon follows the public collection, LitePub servers
/// (Pleroma, Akkoma, Misskey, GoToSocial) follow the relay actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStyle {
    Mastodon,
    LitePub,
}

impl TryFrom<String> for SubscriptionStyle {
    type Error = sqlx::Error;

    fn try_from(name: String) -> std::result::Result<SubscriptionStyle, sqlx::Error> {
        SubscriptionStyle::parse(&name).ok_or_else(|| crate::sql::unknown_name("subscription style", &name))
    }
}

impl SubscriptionStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStyle::Mastodon => "mastodon",
            SubscriptionStyle::LitePub => "litepub",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionStyle> {
        [SubscriptionStyle::Mastodon, SubscriptionStyle::LitePub].into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Waiting for the operator (relay mode `approval`).
    Pending,
    Active,
    /// Its inbox was unreachable for too long: it receives nothing until the operator
    /// resumes it or it follows again.
    Suspended,
}

impl TryFrom<String> for SubscriptionState {
    type Error = sqlx::Error;

    fn try_from(name: String) -> std::result::Result<SubscriptionState, sqlx::Error> {
        SubscriptionState::parse(&name).ok_or_else(|| crate::sql::unknown_name("subscription state", &name))
    }
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Pending => "pending",
            SubscriptionState::Active => "active",
            SubscriptionState::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionState> {
        [SubscriptionState::Pending, SubscriptionState::Active, SubscriptionState::Suspended]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub actor_uri: String,
    pub host: String,
    /// Where the relay delivers: the subscriber's shared inbox if it has one.
    pub inbox: String,
    /// The Follow's id, which the Accept and an Undo refer to.
    pub follow_id: String,
    pub style: SubscriptionStyle,
    pub state: SubscriptionState,
    /// The id of the relay's own Follow of this subscriber (LitePub publishers), if sent.
    pub follow_back_id: Option<String>,
}

/// A change to the relay's follow-back of one subscriber, queued with the change that
/// causes it: only if the subscription still has `expected`, it gets `new` and `activity`
/// (the Follow or its Undo) is sent.
#[derive(Debug, Clone)]
pub struct FollowBackChange {
    pub actor_uri: String,
    pub expected: Option<String>,
    pub new: Option<String>,
    pub activity: NewActivity,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscriber {
    pub actor_uri: String,
    pub host: String,
    pub inbox: String,
    pub follow_id: String,
    #[sqlx(try_from = "String")]
    pub style: SubscriptionStyle,
    #[sqlx(try_from = "String")]
    pub state: SubscriptionState,
    pub follow_back_id: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[async_trait]
pub trait Relay: Send + Sync {
    /// Records (or renews) a subscription and, when it is accepted at once, queues the
    /// Accept, with the audit entry, in one transaction.
    async fn relay_subscribe(
        &self,
        subscriber: NewSubscriber,
        answers: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Subscriber>;

    /// Approves a pending subscription and queues its Accept (and the relay's follow-back),
    /// together. `None`: nothing pending for that actor.
    async fn relay_approve(
        &self,
        actor_uri: &str,
        answers: Vec<NewActivity>,
        follow_back_id: Option<&str>,
        audit: AuditEntry,
    ) -> Result<Option<Subscriber>>;

    async fn relay_subscriber(&self, actor_uri: &str) -> Result<Option<Subscriber>>;

    /// Ends a subscription (Undo, the subscriber's Delete, or the operator's rejection);
    /// with `follow_id`, only if it is the one that Follow created. Returns whether it existed.
    /// `farewells` (the Reject that tells the subscriber, the Undo of the relay's own
    /// Follow) are queued in the same transaction.
    async fn relay_unsubscribe(
        &self,
        actor_uri: &str,
        follow_id: Option<&str>,
        farewells: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<bool>;

    async fn relay_subscribers(&self) -> Result<Vec<Subscriber>>;

    /// Up to `limit` subscriptions after the actor `after` (from the first without it), by
    /// actor: a page of the operator's list, however many servers subscribe.
    async fn relay_subscribers_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<Subscriber>>;

    /// `(state, count)`, for the public status page and metrics: counts only.
    async fn relay_counts(&self) -> Result<Vec<(String, i64)>>;

    /// Whether a subscription of another actor of `host` waits for approval.
    async fn relay_pending_from_host(&self, host: &str, except_actor: &str) -> Result<bool>;

    /// Blocks a domain and its subdomains, ending their subscriptions (and undoing the
    /// relay's follow-backs of them: `unfollows`), in one transaction. Returns how many
    /// subscriptions ended.
    async fn relay_block(
        &self,
        domain: &str,
        unfollows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<u64>;

    async fn relay_unblock(&self, domain: &str, audit: AuditEntry) -> Result<bool>;

    async fn relay_blocks(&self) -> Result<Vec<String>>;

    /// Lists a publisher (a domain or an actor URI), with the relay's follow-backs of the
    /// LitePub subscribers it lets publish. Returns whether it was new.
    async fn relay_publisher_add(
        &self,
        entry: &str,
        follows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<bool>;

    /// Unlists a publisher, with the Undo of the relay's follow-back of each subscriber that
    /// may no longer publish. Returns whether it was listed.
    async fn relay_publisher_remove(
        &self,
        entry: &str,
        unfollows: Vec<FollowBackChange>,
        audit: AuditEntry,
    ) -> Result<bool>;

    /// A subscriber refused the relay's Follow `follow_id`: it is forgotten (and audited).
    async fn relay_follow_back_refused(
        &self,
        actor_uri: &str,
        follow_id: &str,
        audit: AuditEntry,
    ) -> Result<bool>;

    async fn relay_publishers(&self) -> Result<Vec<String>>;

    /// Suspends active subscriptions whose inbox's host has failed without a success since
    /// before `cutoff`, each with its audit entry, in one transaction. Returns them.
    async fn relay_suspend_unreachable(&self, cutoff: Millis, by: &str) -> Result<Vec<Subscriber>>;

    /// Makes a suspended subscription active again. Returns whether one was suspended.
    async fn relay_resume(&self, actor_uri: &str, audit: AuditEntry) -> Result<bool>;

    /// Passes an incoming activity on: records the `seen` keys and stores `activities` with
    /// their deliveries, in one transaction. `false`, with nothing stored, when any of the
    /// keys was seen before.
    async fn relay_forward(&self, seen: &[String], activities: &[NewActivity]) -> Result<bool>;
}

/// `host` (which may carry a port) is `domain` or one of its subdomains.
pub(crate) fn under_domain(host: &str, domain: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host);
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Whether `host` falls under any blocked domain.
pub fn relay_blocked(host: &str, blocks: &[String]) -> bool {
    blocks.iter().any(|d| under_domain(host, d))
}

/// Whether an actor may publish through the relay: its URI, or its host under a domain, is
/// on the publisher list.
pub fn relay_publisher_allowed(actor_uri: &str, host: &str, publishers: &[String]) -> bool {
    publishers.iter().any(|p| if p.contains("://") { p == actor_uri } else { under_domain(host, p) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn blocks_cover_subdomains_only() {
        assert!(super::relay_blocked("bad.example", &["bad.example".into()]));
        assert!(super::relay_blocked("social.bad.example:8443", &["bad.example".into()]));
        assert!(!super::relay_blocked("notbad.example", &["bad.example".into()]));
        assert!(!super::relay_blocked("bad.example.org", &["bad.example".into()]));
    }

    #[test]
    fn publishers_are_domains_or_single_actors() {
        let list = ["bund.de".to_owned(), "https://city.example/users/press".to_owned()];
        assert!(super::relay_publisher_allowed("https://social.bund.de/users/a", "social.bund.de", &list));
        assert!(super::relay_publisher_allowed("https://city.example/users/press", "city.example", &list));
        assert!(!super::relay_publisher_allowed("https://city.example/users/other", "city.example", &list));
    }
}
