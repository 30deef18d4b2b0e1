//! The storage contract and its one implementation for SQLite and PostgreSQL.
//!
//! The contract is split by area, one file each with its trait and the types it speaks
//! (`accounts.rs`, `announcements.rs`, `outbox.rs`, …); `Store` is all of them together and
//! is what the rest of Herold holds (`Arc<dyn Store>`). `sql/` implements every area once,
//! in SQL both backends run; `connect.rs` is the only place that picks a backend.
//! Every method that changes state owns its transaction and writes its audit entry inside it.

mod accounts;
mod announcements;
mod audit_log;
mod connect;
mod dialogue;
mod drafts;
mod followers;
mod interactions;
mod migrations;
mod model;
mod notifications;
mod outbox;
mod profiles;
mod relay;
mod retention;
mod schema;
mod sessions;
mod sql;
mod subjects;
mod subscriptions;
mod websub;

pub use accounts::*;
pub use announcements::*;
pub use audit_log::*;
pub use connect::{connect, Backend};
pub use dialogue::*;
pub use drafts::*;
pub use followers::*;
pub use interactions::*;
pub use model::*;
pub use notifications::*;
pub use outbox::*;
pub use profiles::*;
pub use relay::*;
pub use retention::*;
pub use schema::*;
pub use sessions::*;
pub use sql::host_of;
pub use subjects::*;
pub use subscriptions::*;
pub use websub::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("database unavailable or failed")]
    Database(#[from] sqlx::Error),
    #[error("the database did not take a write in time")]
    Busy,
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The whole storage contract. Implemented by every type that implements all its areas.
pub trait Store:
    Schema
    + Accounts
    + Followers
    + Announcements
    + Outbox
    + AuditLog
    + Subjects
    + Retention
    + Sessions
    + Drafts
    + Relay
    + Interactions
    + Dialogue
    + Notifications
    + Profiles
    + Subscriptions
    + Websub
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Schema
        + Accounts
        + Followers
        + Announcements
        + Outbox
        + AuditLog
        + Subjects
        + Retention
        + Sessions
        + Drafts
        + Relay
        + Interactions
        + Dialogue
        + Notifications
        + Profiles
        + Subscriptions
        + Websub
        + Send
        + Sync
        + 'static
{
}
