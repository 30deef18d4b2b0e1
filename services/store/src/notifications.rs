//! What staff are told in the workspace: submissions waiting for them, and what became of
//! their own. Made from the audit trail, which records every step in the step's own
//! transaction, so nothing a person should hear of is lost between the two.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A submission waits for the reader's approval.
    Waiting,
    /// The reader's submission was approved.
    Approved,
    /// The reader's submission was rejected (or sent back by Herold), with the reason.
    Rejected,
    /// The reader's submission went out.
    Published,
    /// The time the reader's approved submission goes out was moved.
    Rescheduled,
    /// A change of an account's profile waits for the reader's approval.
    ProfileWaiting,
    /// The reader's proposed profile change was applied.
    ProfileApplied,
    /// The reader's proposed profile change was rejected, with the reason.
    ProfileRejected,
    /// A citizen's message was given to the reader.
    MessageAssigned,
    /// The deadline to answer a message the reader has (or, if nobody has it, one the reader
    /// may give to someone) passed.
    MessageOverdue,
    /// The sender of a message the reader has wrote again, replying to its answer.
    MessageFollowUp,
    /// Many deliveries of the reader's announcement were given up.
    Undelivered,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 12] = [
        NotificationKind::Waiting,
        NotificationKind::Approved,
        NotificationKind::Rejected,
        NotificationKind::Published,
        NotificationKind::Rescheduled,
        NotificationKind::ProfileWaiting,
        NotificationKind::ProfileApplied,
        NotificationKind::ProfileRejected,
        NotificationKind::MessageAssigned,
        NotificationKind::MessageOverdue,
        NotificationKind::MessageFollowUp,
        NotificationKind::Undelivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Waiting => "waiting",
            NotificationKind::Approved => "approved",
            NotificationKind::Rejected => "rejected",
            NotificationKind::Published => "published",
            NotificationKind::Rescheduled => "rescheduled",
            NotificationKind::ProfileWaiting => "profile_waiting",
            NotificationKind::ProfileApplied => "profile_applied",
            NotificationKind::ProfileRejected => "profile_rejected",
            NotificationKind::MessageAssigned => "message_assigned",
            NotificationKind::MessageOverdue => "message_overdue",
            NotificationKind::MessageFollowUp => "message_follow_up",
            NotificationKind::Undelivered => "undelivered",
        }
    }

    /// Whether notifications of this kind stand for all of their kind that follow until the
    /// reader reads one: they lead to a list, not to one item.
    pub fn gathers(self) -> bool {
        matches!(self, NotificationKind::MessageOverdue | NotificationKind::MessageFollowUp)
    }

    /// The workspace page it is about, given its subject (`draft`).
    pub fn page(self, subject: &str) -> String {
        match self {
            NotificationKind::MessageAssigned => format!("/staff/dialogue/messages/{subject}"),
            NotificationKind::MessageOverdue => "/staff/dialogue?state=overdue".to_owned(),
            NotificationKind::MessageFollowUp => "/staff/dialogue?state=mine".to_owned(),
            NotificationKind::ProfileWaiting
            | NotificationKind::ProfileApplied
            | NotificationKind::ProfileRejected => format!("/staff/accounts/{subject}/profile"),
            _ => format!("/staff/drafts/{subject}"),
        }
    }
}

impl TryFrom<String> for NotificationKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown notification {s:?}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub staff_id: i64,
    pub kind: NotificationKind,
    /// The submission's public id; for a profile change, the account's username; for a
    /// citizen's message, its public id.
    pub draft: String,
    /// Who took the step; `None`: Herold itself.
    pub by_staff: Option<i64>,
    pub excerpt: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NotificationKind,
    pub draft: String,
    /// Who took the step (empty once anonymised); `None`: Herold itself.
    pub by_name: Option<String>,
    pub excerpt: String,
    pub comment: Option<String>,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

/// A notification to send by e-mail, with where to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailOut {
    pub email: String,
    pub name: String,
    pub language: Option<String>,
    pub org_slug: String,
    #[sqlx(flatten)]
    pub notification: Notification,
}

/// How often sending one notification is tried before it is left to the workspace alone.
pub const MAIL_ATTEMPTS: i64 = 5;

#[async_trait]
pub trait Notifications: Send + Sync {
    /// Notifications made since `since` that still await their e-mail, for people with an
    /// address who did not turn e-mail off, oldest first; each tried at most `MAIL_ATTEMPTS`
    /// times.
    async fn unsent_mail(&self, since: Millis, limit: i64) -> Result<Vec<MailOut>>;

    /// The e-mail of a notification went out.
    async fn mailed(&self, id: i64, now: Millis) -> Result<()>;

    /// Sending it failed this time.
    async fn mail_failed(&self, id: i64) -> Result<()>;

    /// The last audit entry the notifications were made from.
    async fn notification_cursor(&self) -> Result<i64>;

    /// Adds the notifications made from the audit entries after `from` up to `to`, and moves
    /// the cursor there, in one transaction; `false` (and nothing added) if another process
    /// moved it first.
    async fn add_notifications(
        &self,
        from: i64,
        to: i64,
        notifications: Vec<NewNotification>,
    ) -> Result<bool>;

    /// A person's notifications (`org_slug` is their organisation's), newest first, without
    /// what has expired.
    async fn notifications(
        &self,
        staff_id: i64,
        org_slug: &str,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Notification>>;

    /// Whether a person has an unread notification of this kind.
    async fn has_unread(&self, staff_id: i64, kind: NotificationKind) -> Result<bool>;

    /// How many of them are unread.
    async fn unread_notifications(&self, staff_id: i64, org_slug: &str, visible: &Visibility) -> Result<i64>;

    /// Marks all of a person's notifications read; how many were unread.
    async fn read_notifications(&self, staff_id: i64, now: Millis) -> Result<u64>;
}
