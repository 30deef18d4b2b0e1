//! Retention runs: what has expired per data class and organisation, what an archive receives, and the purge.

use async_trait::async_trait;

use crate::*;

#[async_trait]
pub trait Retention: Send + Sync {
    /// What has expired, per class and organisation.
    async fn retention_plan(&self, cutoffs: &[ClassCutoff]) -> Result<Vec<ClassCount>>;

    /// What has expired in one class and organisation, a JSON object per row: what an
    /// archive receives before the purge.
    async fn retention_rows(&self, cutoff: &ClassCutoff) -> Result<Vec<String>>;

    /// Deletes or anonymises what has expired and records the run, in one transaction.
    async fn retention_apply(&self, cutoffs: &[ClassCutoff], audit: AuditEntry) -> Result<Vec<ClassCount>>;
}
