//! Retention runs: what has expired under the policies, and removing it.

use std::path::{Path, PathBuf};

use herold_domain::Millis;
use herold_store::{AuditEntry, ClassCount, Store};

use crate::policy::{cutoffs, AtExpiry, Policies};
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
/// Classes whose policy says `archive` are first written to `archive_dir`
/// (`<class>/<org>/<time>.jsonl`, synced to disk): should the purge then fail, the next
/// run archives them again, so nothing is lost, at worst archived twice.
pub async fn apply(
    store: &dyn Store,
    policies: &Policies,
    now: Millis,
    by: &str,
    archive_dir: &Path,
) -> Result<Vec<ClassCount>, ComplianceError> {
    let orgs = org_slugs(store).await?;
    let cutoffs = cutoffs(policies, &orgs, now);
    let mut archived = serde_json::Map::new();
    for c in cutoffs.iter().filter(|c| policies.classes[&c.class].at_expiry == AtExpiry::Archive) {
        let rows = store.retention_rows(c).await?;
        if rows.is_empty() {
            continue;
        }
        let file = archive_file(archive_dir, c.class.as_str(), c.org.as_deref(), now, &rows)?;
        archived.insert(
            format!("{}/{}", c.class.as_str(), c.org.as_deref().unwrap_or("-")),
            serde_json::json!({ "file": file.display().to_string(), "rows": rows.len() }),
        );
    }
    let audit = AuditEntry::new(by, "retention.apply", "retention")
        .with_detail(serde_json::json!({ "archived": archived }));
    Ok(store.retention_apply(&cutoffs, audit).await?)
}

/// Writes one archive file (owner-only permissions) and syncs it before anything is purged.
fn archive_file(
    dir: &Path,
    class: &str,
    org: Option<&str>,
    now: Millis,
    rows: &[String],
) -> Result<PathBuf, ComplianceError> {
    use std::io::Write;
    let dir = dir.join(class).join(org.unwrap_or("instance"));
    std::fs::create_dir_all(&dir)?;
    let stamp = herold_domain::format_rfc3339(now).replace(':', "-");
    let path = dir.join(format!("{stamp}.jsonl"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    for row in rows {
        file.write_all(row.as_bytes())?;
        file.write_all(b"\n")?;
    }
    file.sync_all()?;
    Ok(path)
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
