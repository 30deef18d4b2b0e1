//! The staff half of the storage contract: people who sign in, their sessions, and the
//! submissions they move through the editorial workflow.

use async_trait::async_trait;
use herold_domain::workflow::{DraftState, Roles, Transition};
use herold_domain::Millis;

use crate::{
    Announcement, AnnouncementEdit, AuditEntry, MediaInfo, NewActivity, NewAnnouncement, Result, SubjectAudit,
};

/// What the provider told us about a person at sign-in.
#[derive(Debug, Clone)]
pub struct StaffSignIn {
    pub org_slug: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Roles,
}

#[derive(Debug, Clone)]
pub struct StaffMember {
    pub id: i64,
    pub org_slug: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Roles,
    pub first_sign_in_at: Millis,
    pub last_sign_in_at: Millis,
}

impl StaffMember {
    /// How the audit trail names this person: a number, the name being personal data that
    /// lives in the staff directory and in erasable payloads.
    pub fn audit_actor(&self) -> String {
        staff_actor(self.id)
    }
}

pub fn staff_actor(id: i64) -> String {
    format!("staff:{id}")
}

#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 (hex) of the cookie's token; the token itself is never stored.
    pub token_hash: String,
    pub csrf: String,
    /// The provider's session id (`sid`), for back-channel logout.
    pub provider_sid: Option<String>,
    /// Kept only for the `id_token_hint` of RP-initiated logout.
    pub id_token: Option<String>,
    pub idle_ms: i64,
    pub expires_at: Millis,
}

#[derive(Debug, Clone)]
pub struct StaffSession {
    pub token_hash: String,
    pub staff: StaffMember,
    /// The roles granted at this sign-in (role changes take effect at the next one).
    pub roles: Roles,
    pub csrf: String,
    pub provider_sid: Option<String>,
    pub id_token: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A sign-in under way, keyed by the hash of the browser's attempt cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    pub token_hash: String,
    pub org_slug: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKind {
    /// A new announcement.
    Create,
    /// A change to a published one, sent as `Update`.
    Edit,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftContent {
    pub source_text: String,
    pub language: Option<String>,
    pub translations: Vec<DraftTranslation>,
    pub summary: Option<String>,
    pub urgent: bool,
    /// When it should go out; `None`: as soon as it is approved.
    pub publish_at: Option<Millis>,
    pub mentions: Vec<crate::Mention>,
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
}

#[derive(Debug, Clone)]
pub struct DraftRecord {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub account_username: String,
    pub org_slug: String,
    pub kind: DraftKind,
    pub announcement_id: Option<i64>,
    /// The public id of that announcement.
    pub announcement_public_id: Option<String>,
    pub state: DraftState,
    /// Bumped by every change an approver would see; an approval names the one it saw.
    pub revision: i64,
    pub content: DraftContent,
    pub media: Vec<MediaInfo>,
    pub author_id: i64,
    pub author_name: String,
    pub reviewer_id: Option<i64>,
    pub reviewer_name: Option<String>,
    pub review_comment: Option<String>,
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
    /// Shown by a published announcement that is not retracted: public.
    pub public: bool,
    pub bytes: Vec<u8>,
}

/// Everything held about a member of staff, for a subject access request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffSubjectData {
    pub org: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: String,
    pub first_sign_in_at: Millis,
    pub last_sign_in_at: Millis,
    pub sessions: Vec<SubjectSession>,
    pub drafts_written: Vec<SubjectDraft>,
    pub drafts_reviewed: Vec<SubjectDraft>,
    /// Audit entries they made or that concern them, with their details.
    pub audit_entries: Vec<SubjectAudit>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectSession {
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectDraft {
    pub id: String,
    pub account: String,
    pub state: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What erasing a member of staff removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StaffErasure {
    pub sessions_removed: i64,
    pub audit_payloads_erased: i64,
    pub anonymised: bool,
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
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Records a sign-in under way, and drops attempts started before `expired_before`, so
    /// that abandoned ones (or a flood of them) never pile up.
    async fn start_sign_in(&self, attempt: SignInAttempt, expired_before: Millis) -> Result<()>;
    /// Takes the attempt and deletes it, so that a callback works once; attempts older
    /// than `not_before` count as gone.
    async fn take_sign_in(&self, token_hash: &str, not_before: Millis) -> Result<Option<SignInAttempt>>;

    /// Records the person (new, or with updated name, e-mail and roles) and opens a
    /// session, with the audit entries for the sign-in and any change of roles, in one
    /// transaction.
    async fn sign_in(&self, who: StaffSignIn, session: NewSession, now: Millis) -> Result<StaffSession>;
    /// Records an API client (a content-management system) as a member of staff of its
    /// organisation, so that its drafts are attributed like anyone's; audited when it is
    /// first seen or its roles change.
    async fn api_client(&self, who: StaffSignIn, now: Millis) -> Result<StaffMember>;
    /// The live session for a token hash: not ended, not past its absolute or idle
    /// timeout. Marks it as seen at `now`.
    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<StaffSession>>;
    /// Ends a session (sign-out), audited. Returns it if it was live.
    async fn end_session(&self, token_hash: &str, now: Millis) -> Result<Option<StaffSession>>;
    /// Ends every live session of the provider session `sid` (or, without one, of the
    /// person `subject`) at `issuer`: back-channel logout. Returns how many ended.
    async fn end_provider_sessions(
        &self,
        issuer: &str,
        sid: Option<&str>,
        subject: Option<&str>,
        now: Millis,
    ) -> Result<u64>;
    async fn staff_member(&self, id: i64) -> Result<Option<StaffMember>>;
    async fn staff_subject_data(&self, id: i64) -> Result<Option<StaffSubjectData>>;
    /// Anonymises a member of staff (name, e-mail, provider identifier), deletes their
    /// sessions and erases the details of audit entries by or about them, recording that an
    /// erasure happened, in one transaction. Drafts keep pointing at the anonymous record.
    async fn erase_staff(&self, id: i64, audit: AuditEntry) -> Result<StaffErasure>;
    async fn staff_of_org(&self, org_slug: &str) -> Result<Vec<StaffMember>>;

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
    async fn draft(&self, public_id: &str) -> Result<Option<DraftRecord>>;
    /// Submissions of an organisation in any of `states`, newest first.
    async fn drafts(&self, org_slug: &str, states: &[DraftState], limit: i64) -> Result<Vec<DraftRecord>>;
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
