//! Data-subject requests (GDPR Art. 15 and 17) for remote actors: everything held about
//! them, and its erasure.

use herold_domain::{format_rfc3339, Millis};
use herold_store::{AuditEntry, DataClass, Erasure, Store, SubjectData};
use maud::{html, DOCTYPE};

use crate::policy::Policies;
use crate::ComplianceError;

/// A subject is named by their actor URI (`https://server/users/name`).
pub fn check_subject(subject: &str) -> Result<&str, ComplianceError> {
    // A whole server (no path) is not a person.
    let rest =
        subject.strip_prefix("https://").or_else(|| subject.strip_prefix("http://")).unwrap_or_default();
    let ok = rest.split_once('/').is_some_and(|(host, path)| !host.is_empty() && !path.is_empty())
        && !subject.contains(char::is_whitespace);
    if !ok {
        return Err(ComplianceError::Malformed(format!(
            "{subject:?} is not an actor URI; name the subject as https://server/users/name \
             (staff subjects have no data here until staff sign-in exists)"
        )));
    }
    Ok(subject)
}

/// Everything held about the subject that is still within its retention.
pub async fn export(
    store: &dyn Store,
    policies: &Policies,
    subject: &str,
    now: Millis,
) -> Result<SubjectData, ComplianceError> {
    let mut data = store.subject_data(check_subject(subject)?).await?;
    data.audit_entries.retain(|e| policies.visible(DataClass::AuditPayloads, None, e.at, now));
    let since = policies.visible_since(DataClass::DeliveryRecords, now);
    data.deliveries_to_them
        .retain(|d| d.created_at >= since || d.state == "pending" || d.state == "retrying");
    Ok(data)
}

/// A readable summary of an export, for the person who asked.
pub fn summary_html(subject: &str, data: &SubjectData) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Data held about " (subject) } }
            body {
                h1 { "Data held about " (subject) }
                h2 { "Accounts you follow (" (data.follows.len()) ")" }
                @if data.follows.is_empty() { p { "None." } }
                ul { @for f in &data.follows { li { "@" (f.account) " (" (f.org) "), since " (format_rfc3339(f.since)) "; deliveries go to " (f.inbox) } } }
                h2 { "Your server's public key and inbox" }
                @match &data.actor_cache {
                    Some(a) => p { "Cached on " (format_rfc3339(a.fetched_at)) ": key " (a.key_id) ", inbox " (a.inbox) },
                    None => p { "Not held." },
                }
                h2 { "Messages sent to you (" (data.activities_to_them.len()) ")" }
                ul { @for a in &data.activities_to_them { li { (a.kind) " on " (format_rfc3339(a.created_at)) } } }
                h2 { "Announcements delivered to your own inbox (" (data.deliveries_to_them.len()) ")" }
                ul { @for d in &data.deliveries_to_them { li { (d.kind) " on " (format_rfc3339(d.created_at)) ": " (d.state) } } }
                h2 { "Records of actions that mention you (" (data.audit_entries.len()) ")" }
                ul { @for e in &data.audit_entries { li { (e.action) " on " (format_rfc3339(e.at)) } } }
            }
        }
    }
    .into_string()
}

/// Erases the subject everywhere except under legal hold. The audit trail records that an
/// erasure happened and what it removed, not whom it concerned.
pub async fn erase(
    store: &dyn Store,
    policies: &Policies,
    subject: &str,
    by: &str,
) -> Result<Erasure, ComplianceError> {
    let held: Vec<String> =
        policies.orgs.iter().filter(|(_, p)| p.legal_hold).map(|(o, _)| o.clone()).collect();
    let audit = AuditEntry::new(by, "dsar.erase", "subject-request");
    Ok(store.erase_subject(check_subject(subject)?, &held, audit).await?)
}
