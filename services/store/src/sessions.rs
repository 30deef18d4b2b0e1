//! Staff who sign in, sign-ins under way, their sessions, and API clients.

use async_trait::async_trait;
use herold_domain::workflow::Roles;
use herold_domain::Millis;

use crate::*;

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffMember {
    pub id: i64,
    pub org_slug: String,
    /// Their organisation's name, which the workspace shows at the top of every page.
    pub org_name: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub roles: Roles,
    pub first_sign_in_at: Millis,
    pub last_sign_in_at: Millis,
    /// Whether their notifications also go to `email`.
    pub notify_by_email: bool,
    /// The interface language their browser asked for at their last sign-in (a code such as
    /// `de`), for what Herold writes to them.
    pub language: Option<String>,
    /// Their own time zone (an IANA name), if they chose one over the organisation's.
    pub time_zone: Option<String>,
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffSession {
    pub token_hash: String,
    #[sqlx(flatten)]
    pub staff: StaffMember,
    /// The roles granted at this sign-in (role changes take effect at the next one).
    #[sqlx(rename = "session_roles", try_from = "String")]
    pub roles: Roles,
    pub csrf: String,
    pub provider_sid: Option<String>,
    pub id_token: Option<String>,
    #[sqlx(rename = "session_created_at")]
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

#[async_trait]
pub trait Sessions: Send + Sync {
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

    async fn staff_of_org(&self, org_slug: &str) -> Result<Vec<StaffMember>>;

    /// A person's settings: whether their notifications also go by e-mail, and their own
    /// time zone (an IANA name), or none to follow the organisation's.
    async fn set_staff_settings(&self, id: i64, notify_by_email: bool, time_zone: Option<&str>)
        -> Result<()>;

    /// The language to write to a person in.
    async fn set_staff_language(&self, id: i64, language: &str) -> Result<()>;
}
