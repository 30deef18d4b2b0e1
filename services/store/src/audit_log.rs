//! The tamper-evident audit trail, its checkpoints, and the optional security log.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

/// Which audit entries to find; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub org: Option<String>,
    /// Who took the step, as the trail names them (`staff:<id>`, `system`, `operator`).
    pub actor: Option<String>,
    pub action: Option<String>,
    /// What the entries are about, e.g. `draft:<public id>`.
    pub subject: Option<String>,
    pub from: Option<Millis>,
    /// Exclusive.
    pub to: Option<Millis>,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Audit entries after `after_seq`, oldest first, with their payloads where not erased.
    async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;

    /// Entries matching `filter` with a sequence number below `before` (any, without it),
    /// newest first, at most `limit`: a page of an organisation's trail, found by index.
    async fn audit_search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>>;

    /// How many entries match `filter`.
    async fn audit_count(&self, filter: &AuditFilter) -> Result<i64>;

    /// The number of entries (the highest sequence number).
    async fn audit_size(&self) -> Result<i64>;

    /// Appends an audit entry on its own, for actions that change nothing else here
    /// (checkpoints, verification runs).
    async fn record_audit(&self, entry: AuditEntry) -> Result<()>;

    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<()>;

    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>>;

    /// The payload of the newest audit entry with this action, if it still has one.
    async fn last_audit_payload(&self, action: &str) -> Result<Option<String>>;

    /// Keeps one security event (the security log is off unless configured).
    async fn record_security_event(&self, event: &str, client_pseudonym: &str, detail: &str) -> Result<()>;
}
