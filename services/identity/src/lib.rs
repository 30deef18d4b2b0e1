//! Staff identity: signing in through each organisation's own OpenID provider (authorization
//! code flow with PKCE), roles from the provider's claims, and the tokens behind server-side
//! sessions. Herold never sees a password.

pub mod session;
mod sso;

pub use sso::{ApiCaller, LogoutNotice, Providers, SignInStart, VerifiedPerson};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Sign-in is not set up for this organisation (or the organisation does not exist).
    #[error("no sign-in is configured for organisation {0:?}")]
    UnknownOrg(String),
    /// The policy or configuration is unusable; names the key and the fix.
    #[error("{0}")]
    Config(String),
    /// The provider could not be reached or answered nonsense.
    #[error("the sign-in provider failed: {0}")]
    Provider(String),
    /// The sign-in response did not check out (state, nonce, signature, issuer, audience,
    /// expiry, algorithm). Safe to show: it names the check, not the token.
    #[error("sign-in refused: {0}")]
    Refused(String),
    /// An API bearer token that does not check out; answered with 401.
    #[error("invalid access token: {0}")]
    InvalidToken(String),
    /// Signed in, but the provider grants no Herold role.
    #[error("your account has no role in Herold")]
    NoRole,
    #[error(transparent)]
    Store(#[from] herold_store::StoreError),
}
