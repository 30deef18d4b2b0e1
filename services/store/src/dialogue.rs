//! The dialogue inbox: what citizens send the official accounts (replies, quotes, mentions),
//! kept as plain text under the retention class `citizen_messages`, and where each stands.

use async_trait::async_trait;
pub use herold_domain::dialogue::{HideReason, MessageKind, MessageState, ReactionKind};
use herold_domain::Millis;

use crate::*;

/// A message as it arrived, for one account.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub public_id: String,
    pub account_id: i64,
    pub announcement_id: Option<i64>,
    pub kind: MessageKind,
    /// The post's id at the sender's server.
    pub object_uri: String,
    pub url: Option<String>,
    pub sender_uri: String,
    /// Plain text, already stripped of markup.
    pub content: String,
    pub language: Option<String>,
    pub visibility: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub public_id: String,
    pub org_slug: String,
    pub account_username: String,
    pub announcement_public_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub kind: MessageKind,
    pub object_uri: String,
    pub url: Option<String>,
    pub sender_uri: String,
    /// How to address the sender (`@name@server`), once looked up; empty if it could not be.
    pub sender_handle: Option<String>,
    pub content: String,
    pub language: Option<String>,
    pub visibility: String,
    #[sqlx(try_from = "String")]
    pub state: MessageState,
    pub received_at: Millis,
    pub updated_at: Millis,
    /// Since when it is shown under its announcement (a reply the press office chose).
    pub shown_at: Option<Millis>,
    /// Why it is not shown (a `HideReason` code), once someone decided so.
    pub hidden_reason: Option<String>,
    /// Who of the press office has it.
    pub assignee_id: Option<i64>,
    /// Their name (empty once retention anonymised them).
    pub assignee_name: Option<String>,
    pub answered_at: Option<Millis>,
    /// When Herold noted that its response deadline passed.
    pub overdue_at: Option<Millis>,
}

impl Message {
    /// A public reply to an announcement: what may be shown under it.
    pub fn may_be_shown(&self) -> bool {
        self.kind == MessageKind::Reply
            && self.announcement_public_id.is_some()
            && matches!(self.visibility.as_str(), "public" | "unlisted")
    }
}

/// Likes and boosts that arrived on one day (UTC), before any were taken back.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReactionDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub likes: i64,
    pub boosts: i64,
}

/// Which of an organisation's messages a list shows.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Those in these states (all, if empty).
    pub states: Vec<MessageState>,
    /// Those given to this member of staff.
    pub assignee: Option<i64>,
    /// Those received before this time (and so past their deadline, if open).
    pub received_before: Option<Millis>,
}

/// How the press office keeps up with what citizens send, over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogueFigures {
    /// Messages received in the period.
    pub received: i64,
    /// How long each message answered in the period took, from its arrival, shortest first.
    pub answer_times: Vec<Millis>,
    /// Open messages received before the deadline's start, so past their deadline.
    pub open_past_deadline: i64,
}

/// An account or server the organisation takes no more messages from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Block {
    pub id: i64,
    /// `account` (an actor id) or `server` (a host name).
    pub kind: String,
    pub target: String,
    pub reason: String,
    pub created_at: Millis,
}

/// How often an announcement was liked and boosted, net of what was taken back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reactions {
    pub likes: i64,
    pub boosts: i64,
}

#[async_trait]
pub trait Dialogue: Send + Sync {
    /// Counts a reaction by the actor behind `pseudonym` (a keyed hash, per announcement):
    /// the same one again counts once. `false` if it was counted already.
    async fn react(
        &self,
        announcement_id: i64,
        kind: ReactionKind,
        pseudonym: &str,
        now: Millis,
    ) -> Result<bool>;

    /// Takes a reaction back (an Undo), if it is still recognised; `false` otherwise.
    async fn unreact(
        &self,
        announcement_id: i64,
        kind: ReactionKind,
        pseudonym: &str,
        now: Millis,
    ) -> Result<bool>;

    /// An announcement's reactions, net.
    async fn reactions(&self, announcement_id: i64) -> Result<Reactions>;

    /// The reactions that arrived per day from `since_day` (`YYYY-MM-DD`) on, to the
    /// account's announcements or (`announcement_id`) to one of them; days without any are
    /// left out.
    async fn reaction_days(
        &self,
        account_id: i64,
        announcement_id: Option<i64>,
        since_day: &str,
    ) -> Result<Vec<ReactionDay>>;

    /// Blocks an account (`kind` `account`, an actor id) or a whole server (`server`, a
    /// host) for the organisation, removing what it holds from them and taking back the
    /// consents given to them (`revocations`), with the audit entry, in one transaction; how
    /// many messages went.
    async fn block(
        &self,
        org_slug: &str,
        kind: &str,
        target: &str,
        reason: &str,
        revocations: Vec<Revocation>,
        audit: AuditEntry,
    ) -> Result<u64>;

    /// Lifts a block of the organisation's; `false` if it has no such block.
    async fn unblock(&self, org_slug: &str, id: i64, audit: AuditEntry) -> Result<bool>;

    /// The organisation's blocks, newest first.
    async fn blocks(&self, org_slug: &str) -> Result<Vec<Block>>;

    /// Whether the organisation blocked this actor or its server.
    async fn is_blocked(&self, org_slug: &str, actor_uri: &str) -> Result<bool>;

    /// Keeps a message; the same post for the same account again (a repeated delivery) is
    /// kept once. `false` if it was there already. The sender's reply to an answer of the
    /// press office goes to whoever had the message answered (or else to the answer's
    /// author), and an audit entry (`message.follow_up`) tells them, in the same transaction.
    async fn receive_message(&self, message: NewMessage) -> Result<bool>;

    /// The sender changed their post: its text and audience here follow, and a copy shown
    /// under its announcement is taken down until someone chooses it again. How many copies
    /// changed.
    async fn revise_message(
        &self,
        sender_uri: &str,
        object_uri: &str,
        content: &str,
        language: Option<&str>,
        visibility: &str,
    ) -> Result<u64>;

    /// The sender deleted their post: so does Herold. How many copies went.
    async fn remove_message(&self, sender_uri: &str, object_uri: &str) -> Result<u64>;

    /// An organisation's messages the filter lets through, newest first, received before
    /// message `before` (its id) if given, without what has expired.
    async fn messages(
        &self,
        org_slug: &str,
        filter: &MessageFilter,
        before: Option<i64>,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>>;

    /// One of an organisation's messages, unless it has expired.
    async fn message(&self, org_slug: &str, public_id: &str, visible: &Visibility)
        -> Result<Option<Message>>;

    /// How many of an organisation's messages wait for someone (open and not expired).
    async fn open_messages(&self, org_slug: &str, visible: &Visibility) -> Result<i64>;

    /// Sets where a message of the organisation stands, with its audit entry, in one
    /// transaction; `NotFound` if the organisation has no such message.
    async fn set_message_state(
        &self,
        org_slug: &str,
        public_id: &str,
        state: MessageState,
        audit: AuditEntry,
    ) -> Result<Message>;

    /// Gives a message of the organisation to a member of its staff (`None`: to nobody), with
    /// the audit entry, in one transaction; `NotFound` if the organisation has no such
    /// message or no such member of staff.
    async fn assign_message(
        &self,
        org_slug: &str,
        public_id: &str,
        assignee: Option<i64>,
        audit: AuditEntry,
    ) -> Result<Message>;

    /// Open messages of the organisation received before `due_before` whose passed deadline
    /// has not been noted yet, oldest first, at most `limit`, without what has expired.
    async fn unnoted_overdue(
        &self,
        org_slug: &str,
        due_before: Millis,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>>;

    /// Notes that an open message's deadline passed, with the audit entry, in one
    /// transaction; `false` (and nothing written) if it was noted already or is no longer
    /// open.
    async fn note_overdue(&self, message_id: i64, audit: AuditEntry) -> Result<bool>;

    /// The organisation's figures for messages received from `since` on; `due_before`: the
    /// arrival before which an open message is past its deadline.
    async fn dialogue_figures(
        &self,
        org_slug: &str,
        since: Millis,
        due_before: Millis,
        visible: &Visibility,
    ) -> Result<DialogueFigures>;

    /// Shows a reply under its announcement, or (`hidden` with a reason code) stops showing
    /// it, with the audit entry, in one transaction; `NotFound` if the organisation has no
    /// such message.
    async fn set_reply_shown(
        &self,
        org_slug: &str,
        public_id: &str,
        hidden: Option<HideReason>,
        audit: AuditEntry,
    ) -> Result<Message>;

    /// The replies shown under an announcement, oldest first, at most `limit`, none past
    /// its retention period.
    async fn shown_replies(
        &self,
        org_slug: &str,
        announcement_id: i64,
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<Message>>;

    /// Senders of messages whose address (`@name@server`) has not been looked up yet.
    async fn senders_without_handle(&self, limit: i64) -> Result<Vec<String>>;

    /// Records a sender's address on their messages (empty: it could not be read).
    async fn set_sender_handle(&self, sender_uri: &str, handle: &str) -> Result<()>;

    /// Marks a message abusive and queues the report (`Flag`) to its sender's server, with
    /// the audit entry, in one transaction.
    async fn report_message(
        &self,
        org_slug: &str,
        public_id: &str,
        flag: NewActivity,
        audit: AuditEntry,
    ) -> Result<Message>;
}
