//! Published announcements: publishing, editing and retracting them (each with its activity
//! and audit entry in one transaction), and reading them back.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// How many announcements an account may pin, as on Mastodon.
pub const MAX_PINNED: i64 = 5;

#[async_trait]
pub trait Announcements: Send + Sync {
    /// Stores the announcement, its `Create` (and the relay's Announce of it), and one
    /// delivery per inbox, in one transaction.
    async fn publish(
        &self,
        new: NewAnnouncement,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Announcement>;

    /// Stores an announcement brought over from the body's former account (`imported_from`,
    /// its address there) with its images, sending nothing, with the audit entry, in one
    /// transaction. `None` if it was imported before.
    async fn import_announcement(
        &self,
        new: NewAnnouncement,
        imported_from: &str,
        media: Vec<NewMedia>,
        audit: AuditEntry,
    ) -> Result<Option<Announcement>>;

    async fn edit_announcement(
        &self,
        edit: AnnouncementEdit,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement>;

    /// Retracts the announcement and takes back every consent to quote it: `revocations`
    /// must name each one that stands (`live_stamps_of`), else nothing changes and the
    /// answer is `Conflict` (one was given meanwhile: read them again).
    async fn retract_announcement(
        &self,
        id: i64,
        at: Millis,
        delete: NewActivity,
        revocations: Vec<Revocation>,
        audit: AuditEntry,
    ) -> Result<Announcement>;

    /// Pins or unpins a published announcement, with the `Add` or `Remove` that tells
    /// followers and its audit entry, in one transaction. Nothing happens (`false`) when it
    /// already is as asked; pinning beyond `MAX_PINNED` is a `Conflict`.
    async fn set_pinned(
        &self,
        id: i64,
        pinned: bool,
        activity: NewActivity,
        audit: AuditEntry,
    ) -> Result<bool>;

    /// An account's pinned announcements, the latest pinned first.
    async fn pinned_announcements(&self, account_id: i64) -> Result<Vec<Announcement>>;

    async fn announcement(&self, account_id: i64, public_id: &str) -> Result<Option<Announcement>>;

    /// Newest first; retracted ones are left out.
    async fn announcements(&self, account_id: i64, limit: i64, offset: i64) -> Result<Vec<Announcement>>;

    async fn announcement_count(&self, account_id: i64) -> Result<i64>;

    /// An organisation's announcements that match `query`, retracted ones included, newest
    /// first, `limit` from `offset`: what its staff pages find.
    async fn search_announcements(
        &self,
        query: &AnnouncementQuery,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Announcement>>;

    /// An organisation's announcements (of one of its accounts, if given), newest first,
    /// retracted ones included: what its staff lists show.
    async fn recent_announcements(
        &self,
        org_slug: &str,
        account_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Announcement>>;

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
}

/// What became of an announcement, as its lists tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationState {
    /// Out as first published.
    AsPublished,
    /// Out, changed since.
    Edited,
    /// Taken back.
    Retracted,
}

impl PublicationState {
    pub const ALL: [PublicationState; 3] =
        [PublicationState::AsPublished, PublicationState::Edited, PublicationState::Retracted];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicationState::AsPublished => "as-published",
            PublicationState::Edited => "edited",
            PublicationState::Retracted => "retracted",
        }
    }

    pub fn parse(s: &str) -> Option<PublicationState> {
        PublicationState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// How many announcements, newest first, a search by words reads at most: older ones are
/// found by narrowing the dates.
pub const WORD_SEARCH_ROWS: i64 = 5_000;

/// Which of an organisation's announcements a search finds; every part left out matches all.
#[derive(Debug, Clone, Default)]
pub struct AnnouncementQuery {
    pub org_slug: String,
    /// Only these accounts' (none: every account of the organisation).
    pub accounts: Option<Vec<i64>>,
    pub status: Option<PublicationState>,
    /// The member of staff who wrote it (its first submission).
    pub author_id: Option<i64>,
    /// Published at or after.
    pub from: Option<Millis>,
    /// Published before.
    pub to: Option<Millis>,
    /// Words its text, content warning or any language version contains, in any case; only
    /// the newest `WORD_SEARCH_ROWS` that match the rest are read.
    pub words: String,
}
