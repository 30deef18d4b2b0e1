//! E-mail subscriptions: people without a fediverse account who asked for an account's
//! announcements by e-mail, confirmed by a link in a first mail (double opt-in).

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// What a request to subscribe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new request: its confirmation mail is queued.
    Requested,
    /// A request for this address waits already; its confirmation mail goes again if the
    /// last went a day ago or more.
    Pending,
    /// The address receives the announcements already.
    AlreadyConfirmed,
    /// Too many unconfirmed requests for this account lately: nothing stored.
    TooMany,
}

/// A subscription as a mail about it needs it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EmailSubscriber {
    pub id: i64,
    pub account_id: i64,
    pub username: String,
    pub email: String,
    pub language: String,
    pub token: String,
    pub created_at: Millis,
    pub confirmed_at: Option<Millis>,
}

/// An announcement due for one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionMail {
    #[sqlx(flatten)]
    pub subscriber: EmailSubscriber,
    pub announcement_id: i64,
    pub announcement: String,
}

/// What is held about an e-mail address, for a subject access request.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EmailSubjectData {
    pub subscriptions: Vec<SubjectSubscription>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectSubscription {
    pub org: String,
    pub account: String,
    pub language: String,
    pub created_at: Millis,
    pub confirmed_at: Option<Millis>,
    /// The announcements mailed to the address, by public id, and when.
    #[sqlx(skip)]
    pub mailed: Vec<(String, Millis)>,
}

#[async_trait]
pub trait Subscriptions: Send + Sync {
    /// Records a request to subscribe `email` to an account, unless `limit` unconfirmed
    /// requests for that account arrived in the last hour. A pending request's mail is sent
    /// again only a day after the last.
    async fn subscribe(
        &self,
        account_id: i64,
        email: &str,
        language: &str,
        token: &str,
        limit: i64,
        now: Millis,
    ) -> Result<SubscribeOutcome>;

    /// The subscription a mail's token names.
    async fn subscriber_by_token(&self, token: &str) -> Result<Option<EmailSubscriber>>;

    /// Confirms the subscription `token` names; `false` if there is none.
    async fn confirm_subscription(&self, token: &str, now: Millis) -> Result<bool>;

    /// Ends the subscription `token` names, removing the address and what was mailed to it;
    /// `false` if there is none.
    async fn unsubscribe(&self, token: &str) -> Result<bool>;

    /// Requests whose confirmation mail waits, oldest first.
    async fn confirmations_due(&self, limit: i64) -> Result<Vec<EmailSubscriber>>;

    async fn confirmation_sent(&self, subscriber_id: i64, now: Millis) -> Result<()>;

    /// Announcements published since `since` (and since each subscription was confirmed)
    /// not yet mailed to their account's subscribers, urgent ones first, then oldest first.
    /// Answers to citizens and retracted announcements are left out.
    async fn subscription_mail_due(&self, since: Millis, limit: i64) -> Result<Vec<SubscriptionMail>>;

    async fn subscription_mailed(&self, subscriber_id: i64, announcement_id: i64, now: Millis) -> Result<()>;

    /// How many confirmed subscribers an account has.
    async fn subscriber_count(&self, account_id: i64) -> Result<i64>;

    /// Everything held about an address.
    async fn email_subject_data(&self, email: &str) -> Result<EmailSubjectData>;

    /// Erases an address everywhere (or, with `only_org`, only that organisation's
    /// subscriptions) except in organisations under legal hold, recording that an erasure
    /// happened, without the address, in the same transaction; how many subscriptions went.
    async fn erase_email(
        &self,
        email: &str,
        held_orgs: &[String],
        only_org: Option<&str>,
        audit: AuditEntry,
    ) -> Result<i64>;
}
