//! Retention runs: what has expired under the policies, and removing it.

use herold_domain::Millis;
use herold_store::{AuditEntry, ClassCount, Store};

use crate::policy::{cutoffs, Policies};
use crate::ComplianceError;

async fn org_slugs(store: &dyn Store) -> Result<Vec<String>, ComplianceError> {
    Ok(store.list_orgs().await?.into_iter().map(|o| o.slug).collect())
}

/// What a run at `now` would remove, per class and organisation.
pub async fn plan(
    store: &dyn Store,
    policies: &Policies,
    now: Millis,
) -> Result<Vec<ClassCount>, ComplianceError> {
    let orgs = org_slugs(store).await?;
    Ok(store.retention_plan(&cutoffs(policies, &orgs, now)).await?)
}

/// Removes what has expired at `now` and records the run in the audit trail, together.
pub async fn apply(
    store: &dyn Store,
    policies: &Policies,
    now: Millis,
    by: &str,
) -> Result<Vec<ClassCount>, ComplianceError> {
    let orgs = org_slugs(store).await?;
    let audit = AuditEntry::new(by, "retention.apply", "retention");
    Ok(store.retention_apply(&cutoffs(policies, &orgs, now), audit).await?)
}

/// Records a policy change (old and new values) when the effective policy differs from the
/// one last recorded. Returns whether it changed.
pub async fn record_policy_change(
    store: &dyn Store,
    policies: &Policies,
    by: &str,
) -> Result<bool, ComplianceError> {
    let new = policies.fingerprint();
    let old = store
        .last_audit_payload("policy.change")
        .await?
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p.get("new").cloned());
    if old.as_ref() == Some(&new) {
        return Ok(false);
    }
    let entry = AuditEntry::new(by, "policy.change", "policies")
        .with_detail(serde_json::json!({ "old": old, "new": new }));
    store.record_audit(entry).await?;
    Ok(true)
}
