//! The SQL of this folder compiled for SQLite.
// Deliberately: each area file is compiled once per backend (see `sql/mod.rs`).
#![allow(clippy::duplicate_mod)]

type Db = sqlx::Sqlite;

#[path = "accounts.rs"]
mod accounts;
#[path = "announcements.rs"]
mod announcements;
#[path = "audit_log.rs"]
mod audit_log;
#[path = "dialogue.rs"]
mod dialogue;
#[path = "drafts.rs"]
mod drafts;
#[path = "followers.rs"]
mod followers;
#[path = "interactions.rs"]
mod interactions;
#[path = "notifications.rs"]
mod notifications;
#[path = "outbox.rs"]
mod outbox;
#[path = "profiles.rs"]
mod profiles;
#[path = "relay.rs"]
mod relay;
#[path = "retention.rs"]
mod retention;
#[path = "schema.rs"]
mod schema;
#[path = "sessions.rs"]
mod sessions;
#[path = "subjects.rs"]
mod subjects;
#[path = "subscriptions.rs"]
mod subscriptions;
#[path = "websub.rs"]
mod websub;
