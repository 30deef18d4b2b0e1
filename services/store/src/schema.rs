//! The database itself: which backend, its migrations, and whether it takes writes now.

use async_trait::async_trait;

use crate::*;

#[async_trait]
pub trait Schema: Send + Sync {
    fn backend(&self) -> Backend;

    async fn migrate(&self) -> Result<()>;

    /// Whether every migration this binary knows has been applied.
    async fn migrations_current(&self) -> Result<bool>;

    /// Proves that the database takes writes now: takes the write lock (SQLite) or a
    /// transaction id (PostgreSQL; a read-only standby refuses), then rolls back.
    async fn check_writable(&self) -> Result<()>;
}
