//! Submissions moving through the editorial workflow, their images, and publishing an approved one.

use async_trait::async_trait;
use herold_domain::workflow::{DraftState, Transition};
use herold_domain::Millis;

use crate::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKind {
    /// A new announcement.
    Create,
    /// A change to a published one, sent as `Update`.
    Edit,
}

impl TryFrom<String> for DraftKind {
    type Error = sqlx::Error;

    fn try_from(name: String) -> std::result::Result<DraftKind, sqlx::Error> {
        DraftKind::parse(&name).ok_or_else(|| crate::sql::unknown_name("draft kind", &name))
    }
}

impl DraftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftKind::Create => "create",
            DraftKind::Edit => "edit",
        }
    }

    pub fn parse(s: &str) -> Option<DraftKind> {
        [DraftKind::Create, DraftKind::Edit].into_iter().find(|k| k.as_str() == s)
    }
}

/// A further language version of a submission, as the author wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DraftTranslation {
    pub language: String,
    pub text: String,
}

/// The text of a submission, as the author wrote it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DraftContent {
    pub source_text: String,
    pub language: Option<String>,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<DraftTranslation>>")]
    pub translations: Vec<DraftTranslation>,
    pub summary: Option<String>,
    pub urgent: bool,
    /// When it should go out; `None`: as soon as it is approved.
    pub publish_at: Option<Millis>,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<crate::Mention>>")]
    pub mentions: Vec<crate::Mention>,
    /// The citizen's post it answers; set when it is begun, kept through revisions.
    pub in_reply_to: Option<String>,
    /// Who may reply; `None`: as the organisation's policy says.
    pub reply_audience: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewDraft {
    pub public_id: String,
    pub account_id: i64,
    pub kind: DraftKind,
    /// For an edit: the announcement it changes.
    pub announcement_id: Option<i64>,
    pub author_id: i64,
    pub content: DraftContent,
    /// Images it starts with (an edit keeps the announcement's).
    pub media: Vec<MediaInfo>,
    /// The dialogue message it answers (its public id), marked answered on publication.
    pub answers: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRecord {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub account_username: String,
    pub org_slug: String,
    #[sqlx(try_from = "String")]
    pub kind: DraftKind,
    pub announcement_id: Option<i64>,
    /// The public id of that announcement.
    pub announcement_public_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: DraftState,
    /// Bumped by every change an approver would see; an approval names the one it saw.
    pub revision: i64,
    #[sqlx(flatten)]
    pub content: DraftContent,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<MediaInfo>>")]
    pub media: Vec<MediaInfo>,
    pub author_id: i64,
    pub author_name: String,
    pub reviewer_id: Option<i64>,
    pub reviewer_name: Option<String>,
    pub review_comment: Option<String>,
    /// The dialogue message it answers (its public id).
    pub answers: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An image to store, its metadata already removed.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub info: MediaInfo,
    pub account_id: i64,
    pub bytes: Vec<u8>,
}

/// An image with what decides who may see it.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub info: MediaInfo,
    pub org_slug: String,
    /// Shown by a published announcement that is not retracted, or as an account's avatar or
    /// header: public.
    pub public: bool,
    pub bytes: Vec<u8>,
}

/// What a workflow step changes besides the state.
#[derive(Debug, Clone, Default)]
pub struct StepDetails {
    /// New text (a revision).
    pub content: Option<DraftContent>,
    /// The reviewer's comment (a rejection).
    pub review_comment: Option<String>,
    /// For an approval: the revision the approver saw; the step fails if it changed since.
    pub seen_revision: Option<i64>,
    /// For a rescheduling: the new time it goes out.
    pub publish_at: Option<Millis>,
}

#[async_trait]
pub trait Drafts: Send + Sync {
    async fn create_draft(&self, draft: NewDraft, audit: AuditEntry) -> Result<DraftRecord>;

    /// Stores an image and appends it to a draft that is still being written and has fewer
    /// than `max` images (else `Conflict`), audited, in one transaction.
    async fn attach_media(
        &self,
        draft_id: i64,
        media: NewMedia,
        max: usize,
        audit: AuditEntry,
    ) -> Result<DraftRecord>;

    /// Takes an image off a draft that is still being written; the image itself goes too
    /// unless a published announcement shows it.
    async fn detach_media(
        &self,
        draft_id: i64,
        media_public_id: &str,
        audit: AuditEntry,
    ) -> Result<DraftRecord>;

    async fn media_file(&self, public_id: &str) -> Result<Option<MediaFile>>;

    /// A submission, unless it is an abandoned one past its retention (hidden before the
    /// purge).
    async fn draft(&self, public_id: &str, visible: &Visibility) -> Result<Option<DraftRecord>>;

    /// Submissions of an organisation in any of `states`, newest first, without abandoned
    /// ones past their retention.
    async fn drafts(
        &self,
        org_slug: &str,
        states: &[DraftState],
        limit: i64,
        visible: &Visibility,
    ) -> Result<Vec<DraftRecord>>;

    /// Applies a checked transition, if the submission is still in the transition's
    /// starting state (else `Conflict`: someone else moved it first).
    async fn step_draft(
        &self,
        id: i64,
        transition: &Transition,
        details: StepDetails,
        audit: AuditEntry,
    ) -> Result<DraftRecord>;

    /// The submissions that published or changed an announcement, oldest first.
    async fn drafts_of_announcement(&self, announcement_id: i64) -> Result<Vec<DraftRecord>>;

    /// Approved submissions whose time has come, oldest first.
    async fn due_drafts(&self, now: Millis, limit: i64) -> Result<Vec<DraftRecord>>;

    /// An organisation's submissions waiting for approval or approved whose time to go out
    /// is in `[from, to)`, earliest first: its calendar.
    async fn planned_drafts(
        &self,
        org_slug: &str,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> Result<Vec<DraftRecord>>;

    /// Publishes an approved submission: the draft's move to `published`, the
    /// announcement, its `Create` (and the relay's Announce), the deliveries and the audit
    /// entry in one transaction.
    async fn publish_draft(
        &self,
        id: i64,
        transition: &Transition,
        new: NewAnnouncement,
        activities: Vec<NewActivity>,
        audit: AuditEntry,
    ) -> Result<Announcement>;

    /// As `publish_draft`, for an approved edit: sends the `Update`.
    async fn publish_draft_edit(
        &self,
        id: i64,
        transition: &Transition,
        edit: AnnouncementEdit,
        update: NewActivity,
        audit: AuditEntry,
    ) -> Result<Announcement>;
}
