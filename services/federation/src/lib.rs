//! ActivityPub for Herold. `signatures` and `keys` are pure; `fetch` is the only way out to
//! the network for reads, `delivery` for writes; `inbox` verifies first and only then
//! receives, so nothing unverified is ever stored.

pub mod actor_keys;
pub mod delivery;
pub mod dialogue;
pub mod fetch;
pub mod inbox;
pub mod incoming;
pub mod integrity;
pub mod keys;
pub mod links;
pub mod metrics;
pub mod rate_limit;
pub mod relay;
pub mod signatures;
pub mod signing_pool;
pub mod urls;
pub mod vocab;
pub mod webfinger;
pub mod websub;

pub use urls::Urls;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("key error: {0}")]
    Key(String),
    #[error("signature rejected: {0}")]
    Signature(String),
    #[error("fetch refused: {0}")]
    Refused(String),
    #[error("fetch failed: {0}")]
    Fetch(String),
    /// The remote object is gone (404/410).
    #[error("remote object is gone: {0}")]
    Gone(String),
    #[error("invalid activity: {0}")]
    Invalid(String),
    /// A well-formed, signed request this server will not act on (a blocked domain, an
    /// activity the relay does not forward). The message says why.
    #[error("not accepted: {0}")]
    NotAccepted(String),
    #[error("storage failed")]
    Store(#[from] herold_store::StoreError),
    #[error("I/O failed")]
    Io(#[from] std::io::Error),
    /// Too many requests from one server for now; try again after this many seconds.
    #[error("too many requests, try again in {0} s")]
    RateLimited(u64),
}
