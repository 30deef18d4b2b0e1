//! Data-subject requests: everything held about a remote person or a member of staff, and erasing it.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

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
    /// Their settings: notifications by e-mail, the language Herold writes to them in, and
    /// their own time zone.
    pub notify_by_email: bool,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub sessions: Vec<SubjectSession>,
    pub drafts_written: Vec<SubjectDraft>,
    pub drafts_reviewed: Vec<SubjectDraft>,
    /// Audit entries they made or that concern them, with their details.
    pub audit_entries: Vec<SubjectAudit>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectSession {
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
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

#[async_trait]
pub trait Subjects: Send + Sync {
    /// Enters a request in the organisation's register, with its audit entry.
    async fn register_request(&self, request: NewSubjectRequest, audit: AuditEntry)
        -> Result<SubjectRequest>;

    /// The organisation's register: open requests by their due date, then the closed ones
    /// still kept, the latest first.
    async fn subject_requests(&self, org_slug: &str, visible: &Visibility) -> Result<Vec<SubjectRequest>>;

    /// Closes an open request of the organisation (`answered` or `refused`) with a note,
    /// with its audit entry; `false` if it is not open (or not the organisation's).
    async fn close_request(
        &self,
        org_slug: &str,
        public_id: &str,
        state: &str,
        note: &str,
        audit: AuditEntry,
    ) -> Result<bool>;

    /// Moves an open request's deadline to `due_at` with the reason for it, with its audit
    /// entry; `false` if it is not open, not the organisation's, was extended before, or
    /// its first deadline has passed by `now` (the person must be told within it).
    async fn extend_request(&self, extension: RequestExtension<'_>, audit: AuditEntry) -> Result<bool>;

    /// Everything held about a remote actor, without what has expired.
    async fn subject_data(&self, actor_uri: &str, visible: &Visibility) -> Result<SubjectData>;

    /// Erases a remote actor's data everywhere (or, with `only_org`, only what that
    /// organisation holds) except in organisations under legal hold (`held_orgs`), and
    /// records that an erasure happened, without the identity, in the same transaction.
    async fn erase_subject(
        &self,
        actor_uri: &str,
        held_orgs: &[String],
        only_org: Option<&str>,
        audit: AuditEntry,
    ) -> Result<Erasure>;

    /// Everything held about a member of staff, without what has expired.
    async fn staff_subject_data(&self, id: i64, visible: &Visibility) -> Result<Option<StaffSubjectData>>;

    /// Anonymises a member of staff (name, e-mail, provider identifier), deletes their
    /// sessions and erases the details of audit entries by or about them, recording that an
    /// erasure happened, in one transaction. Drafts keep pointing at the anonymous record.
    async fn erase_staff(&self, id: i64, audit: AuditEntry) -> Result<StaffErasure>;
}

/// A request in an organisation's register of data-subject requests.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubjectRequest {
    pub public_id: String,
    /// `access`, `erasure`, `rectification`, `restriction`, `objection` or `portability`.
    pub kind: String,
    /// The person as the request names them.
    pub subject: String,
    pub received_at: Millis,
    /// The exclusive end of the month the law allows.
    pub due_at: Millis,
    /// `open`, `answered` or `refused`.
    pub state: String,
    pub note: Option<String>,
    pub closed_at: Option<Millis>,
    /// When the deadline was extended (Art. 12(3) GDPR), and why.
    pub extended_at: Option<Millis>,
    pub extension_reason: Option<String>,
}

/// A request's deadline extended by two further months.
#[derive(Debug, Clone)]
pub struct RequestExtension<'a> {
    pub org_slug: &'a str,
    pub public_id: &'a str,
    pub due_at: Millis,
    pub reason: &'a str,
    pub now: Millis,
}

#[derive(Debug, Clone)]
pub struct NewSubjectRequest {
    pub public_id: String,
    pub org_slug: String,
    pub kind: String,
    pub subject: String,
    pub received_at: Millis,
    pub due_at: Millis,
    pub created_by: i64,
}
