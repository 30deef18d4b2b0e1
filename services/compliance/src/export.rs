//! Audit entries for auditors, filtered, as CSV or JSON: used by `herold audit export` and
//! by the auditor's pages. Payloads past their retention are left out (hidden before the
//! purge removes them); an erased payload shows as erased.

use herold_domain::{format_rfc3339, Millis};
use herold_store::{AuditRecord, DataClass, Store};
use serde_json::{json, Value};

use crate::policy::Policies;
use crate::ComplianceError;

/// Which entries to export. `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub org: Option<String>,
    pub action: Option<String>,
    pub from: Option<Millis>,
    /// Exclusive.
    pub to: Option<Millis>,
}

impl Filter {
    fn matches(&self, e: &AuditRecord) -> bool {
        let l = &e.leaf;
        self.from.is_none_or(|f| l.at >= f)
            && self.to.is_none_or(|t| l.at < t)
            && self.org.as_deref().is_none_or(|o| l.org.as_deref() == Some(o))
            && self.action.as_deref().is_none_or(|a| l.action == a)
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
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 2000).await?;
        let Some(last) = page.last() else { break };
        after = last.leaf.seq;
        rows.extend(page.into_iter().filter(|e| filter.matches(e)));
    }
    let visibility = policies.visibility().at(now);
    for e in &mut rows {
        if !visibility.shows(DataClass::AuditPayloads, e.leaf.org.as_deref(), e.leaf.at) {
            e.payload = None;
        }
    }
    Ok(rows)
}

pub fn to_json(rows: &[AuditRecord]) -> Value {
    Value::Array(
        rows.iter()
            .map(|e| {
                json!({
                    "seq": e.leaf.seq,
                    "at": format_rfc3339(e.leaf.at),
                    "org": e.leaf.org,
                    "actor": e.leaf.actor,
                    "action": e.leaf.action,
                    "subject": e.leaf.subject,
                    "detail": e.payload.as_ref().and_then(|(_, p)| serde_json::from_str::<Value>(p).ok()),
                })
            })
            .collect(),
    )
}

pub fn to_csv(rows: &[AuditRecord]) -> String {
    let mut out = String::from("seq,at,org,actor,action,subject,detail\n");
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
