//! Audit entries for auditors, filtered, as CSV or JSON: used by `herold audit export` and
//! by the auditor's pages. Payloads past their retention are left out (hidden before the
//! purge removes them); an erased payload shows as erased.

use herold_domain::{format_rfc3339, Millis};
use herold_store::{AuditRecord, DataClass, Store};
use serde_json::{json, Value};

use crate::policy::Policies;
use crate::ComplianceError;

/// Which entries to export: the store's filter, so the database finds them by index.
pub use herold_store::AuditFilter as Filter;

/// Entries fetched per query while exporting.
const BATCH: i64 = 2000;

/// The matching entries a batch at a time, newest first, for an export that is sent while it
/// is read: however long the trail, no more than a batch is held at once.
pub struct Batches {
    filter: Filter,
    before: Option<i64>,
    done: bool,
}

impl Batches {
    pub fn new(filter: Filter) -> Batches {
        Batches { filter, before: None, done: false }
    }

    /// The next batch; `None` once every matching entry was given.
    pub async fn next(
        &mut self,
        store: &dyn Store,
        policies: &Policies,
        now: Millis,
    ) -> Result<Option<Vec<AuditRecord>>, ComplianceError> {
        if self.done {
            return Ok(None);
        }
        let batch = store.audit_search(&self.filter, self.before, BATCH).await?;
        self.done = (batch.len() as i64) < BATCH;
        self.before = batch.last().map(|e| e.leaf.seq);
        match batch.is_empty() {
            true => Ok(None),
            false => Ok(Some(hide_expired(batch, policies, now))),
        }
    }
}

/// The matching entries, oldest first.
pub async fn entries(
    store: &dyn Store,
    policies: &Policies,
    filter: &Filter,
    now: Millis,
) -> Result<Vec<AuditRecord>, ComplianceError> {
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let batch = store.audit_search(filter, before, BATCH).await?;
        let Some(last) = batch.last() else { break };
        before = Some(last.leaf.seq);
        let done = (batch.len() as i64) < BATCH;
        rows.extend(batch);
        if done {
            break;
        }
    }
    rows.reverse();
    Ok(hide_expired(rows, policies, now))
}

/// One page of the matching entries, newest first, below `before` (the newest without it),
/// and how many match in all.
pub async fn page(
    store: &dyn Store,
    policies: &Policies,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
    now: Millis,
) -> Result<(Vec<AuditRecord>, i64), ComplianceError> {
    let rows = store.audit_search(filter, before, limit).await?;
    let total = store.audit_count(filter).await?;
    Ok((hide_expired(rows, policies, now), total))
}

/// Details past their retention are left out, as they are hidden before the purge.
fn hide_expired(mut rows: Vec<AuditRecord>, policies: &Policies, now: Millis) -> Vec<AuditRecord> {
    let visibility = policies.visibility().at(now);
    for e in &mut rows {
        if !visibility.shows(DataClass::AuditPayloads, e.leaf.org.as_deref(), e.leaf.at) {
            e.payload = None;
        }
    }
    rows
}

/// One entry as the JSON export gives it.
pub fn json_entry(e: &AuditRecord) -> Value {
    json!({
        "seq": e.leaf.seq,
        "at": format_rfc3339(e.leaf.at),
        "org": e.leaf.org,
        "actor": e.leaf.actor,
        "action": e.leaf.action,
        "subject": e.leaf.subject,
        "detail": e.payload.as_ref().and_then(|(_, p)| serde_json::from_str::<Value>(p).ok()),
    })
}

pub fn to_json(rows: &[AuditRecord]) -> Value {
    Value::Array(rows.iter().map(json_entry).collect())
}

/// The first line of the CSV export.
pub const CSV_HEADER: &str = "seq,at,org,actor,action,subject,detail\n";

pub fn to_csv(rows: &[AuditRecord]) -> String {
    format!("{CSV_HEADER}{}", csv_lines(rows))
}

/// Entries as CSV lines, without the header.
pub fn csv_lines(rows: &[AuditRecord]) -> String {
    let mut out = String::new();
    for e in rows {
        let l = &e.leaf;
        let detail = e.payload.as_ref().map_or("(erased)", |(_, p)| p.as_str());
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            l.seq,
            format_rfc3339(l.at),
            csv_field(l.org.as_deref().unwrap_or("")),
            csv_field(&l.actor),
            csv_field(&l.action),
            csv_field(&l.subject),
            csv_field(detail)
        ));
    }
    out
}

/// One CSV field, quoted where needed, and defused against formula injection in
/// spreadsheets (a leading `=`, `+`, `-` or `@`).
fn csv_field(field: &str) -> String {
    let guarded = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(super::csv_field("plain"), "plain");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::csv_field("\t=1"), "'\t=1");
    }
}
