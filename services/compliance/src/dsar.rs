//! Data-subject requests (GDPR Art. 15 and 17), for remote actors (followers) and for
//! members of staff: everything held about them, and its erasure.

use herold_domain::{format_rfc3339, EmailAddress, Millis, Zone};
use herold_store::{
    AuditEntry, EmailSubjectData, Erasure, StaffErasure, StaffSubjectData, Store, SubjectData,
};
use maud::{html, DOCTYPE};

use crate::notice::{notice_sections, PrivacyNotice};
use crate::policy::Policies;
use crate::report::Texts;
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
            "{subject:?} is not an actor URI or a member of staff; name the subject as \
             https://server/users/name, or as staff:<number> (the audit trail's name for them)"
        )));
    }
    Ok(subject)
}

/// Who a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A remote actor, by actor URI.
    Actor(String),
    /// A member of staff, by the number the audit trail names them with (`staff:<id>`).
    Staff(i64),
    /// Someone subscribed by e-mail, by their address (`name@example.org`).
    Email(EmailAddress),
}

impl Subject {
    pub fn parse(text: &str) -> Result<Subject, ComplianceError> {
        let text = text.trim();
        if let Some(id) = text.strip_prefix("staff:") {
            return id.parse().map(Subject::Staff).map_err(|_| {
                ComplianceError::Malformed(format!("{text:?}: a member of staff is named staff:<number>"))
            });
        }
        // An address has its @ inside (a handle starts with one, an actor URI has a scheme).
        let address = text.strip_prefix("mailto:").unwrap_or(text);
        if !address.starts_with('@') && !address.contains("://") && address.contains('@') {
            return EmailAddress::parse(address).map(Subject::Email).map_err(|_| {
                ComplianceError::Malformed(format!(
                    "{text:?} is not an e-mail address such as name@example.org"
                ))
            });
        }
        Ok(Subject::Actor(check_subject(text)?.to_owned()))
    }
}

/// Everything held about a member of staff that is still within its retention.
pub async fn export_staff(
    store: &dyn Store,
    policies: &Policies,
    id: i64,
    now: Millis,
) -> Result<StaffSubjectData, ComplianceError> {
    store
        .staff_subject_data(id, &policies.visibility().at(now))
        .await?
        .ok_or_else(|| ComplianceError::Malformed(format!("there is no member of staff staff:{id}")))
}

/// Erases a member of staff, unless their organisation is under legal hold.
pub async fn erase_staff(
    store: &dyn Store,
    policies: &Policies,
    id: i64,
    by: &str,
) -> Result<StaffErasure, ComplianceError> {
    let member = store
        .staff_member(id)
        .await?
        .ok_or_else(|| ComplianceError::Malformed(format!("there is no member of staff staff:{id}")))?;
    if policies.on_hold(&member.org_slug) {
        return Err(ComplianceError::LegalHold(member.org_slug));
    }
    let audit = AuditEntry::new(by, "dsar.erase", "subject-request").in_org(&member.org_slug);
    Ok(store.erase_staff(id, audit).await?)
}

/// What one organisation holds about a remote actor: its follows, the messages its accounts
/// sent them, and its audit entries that name them. The key cache is the instance's and is
/// left out.
pub fn for_org(mut data: SubjectData, org: &str) -> SubjectData {
    let ours = |o: &Option<String>| o.as_deref() == Some(org);
    data.follows.retain(|f| f.org == org);
    data.actor_cache = None;
    data.relay_subscription = None;
    data.activities_to_them.retain(|a| ours(&a.org));
    data.deliveries_to_them.retain(|d| ours(&d.org));
    data.audit_entries.retain(|e| ours(&e.org));
    data.mentioned_in.retain(|m| m.org == org);
    data
}

/// Erases what one organisation holds about a remote actor (unless under legal hold).
pub async fn erase_for_org(
    store: &dyn Store,
    policies: &Policies,
    subject: &str,
    org: &str,
    by: &str,
) -> Result<Erasure, ComplianceError> {
    if policies.on_hold(org) {
        return Err(ComplianceError::LegalHold(org.to_owned()));
    }
    let audit = AuditEntry::new(by, "dsar.erase", "subject-request").in_org(org);
    Ok(store.erase_subject(check_subject(subject)?, &[], Some(org), audit).await?)
}

/// A readable summary of a staff export, for the person who asked.
pub fn staff_summary_html(data: &StaffSubjectData) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Data held about " (data.name) } }
            body {
                h1 { "Data held about " (data.name) }
                p { "Organisation " (data.org) "; signed in through " (data.issuer) " as " (data.subject)
                    "; e-mail " (data.email.as_deref().unwrap_or("none")) "; roles " (data.roles)
                    "; first sign-in " (format_rfc3339(data.first_sign_in_at)) ", last " (format_rfc3339(data.last_sign_in_at)) "." }
                p { "Settings: notifications by e-mail " (if data.notify_by_email { "on" } else { "off" })
                    "; language " (data.language.as_deref().unwrap_or("not known"))
                    "; time zone " (data.time_zone.as_deref().unwrap_or("the organisation's")) "." }
                h2 { "Sessions (" (data.sessions.len()) ")" }
                ul { @for s in &data.sessions { li { "from " (format_rfc3339(s.created_at)) ", last used " (format_rfc3339(s.last_seen_at)) } } }
                h2 { "Drafts written (" (data.drafts_written.len()) ")" }
                ul { @for d in &data.drafts_written { li { "@" (d.account) ": " (d.state) ", " (format_rfc3339(d.created_at)) } } }
                h2 { "Drafts reviewed (" (data.drafts_reviewed.len()) ")" }
                ul { @for d in &data.drafts_reviewed { li { "@" (d.account) ": " (d.state) ", " (format_rfc3339(d.updated_at)) } } }
                h2 { "Recorded actions (" (data.audit_entries.len()) ")" }
                ul { @for e in &data.audit_entries { li { (e.action) " on " (format_rfc3339(e.at)) } } }
            }
        }
    }
    .into_string()
}

/// Everything held about the subject that is still within its retention.
pub async fn export(
    store: &dyn Store,
    policies: &Policies,
    subject: &str,
    now: Millis,
) -> Result<SubjectData, ComplianceError> {
    Ok(store.subject_data(check_subject(subject)?, &policies.visibility().at(now)).await?)
}

/// A day as the reader says it ("7. Dezember 2026").
fn day(tr: Texts<'_>, zone: &Zone, at: Millis) -> String {
    let w = zone.wall_clock(at);
    tr("date_day")
        .replace("{day}", &w.day.to_string())
        .replace("{month}", tr(&format!("month_{}", w.month)))
        .replace("{year}", &w.year.to_string())
}

/// The answer to a request for access, as a letter the officer can send: the copy of the
/// data held (Art. 15(3) GDPR) and what Art. 15(1) asks to be told (purposes, kinds of
/// data, recipients, how long, the rights and the supervisory authority, where the data
/// came from), in the reader's language and on their calendar.
pub struct AccessLetter<'a> {
    pub tr: Texts<'a>,
    /// The language it is written in (`de`), for the document's `lang`.
    pub lang: &'a str,
    pub zone: &'a Zone,
    /// The organisation's privacy notice, whose sections answer Art. 15(1).
    pub notice: &'a PrivacyNotice,
    pub subject: &'a str,
    pub data: &'a SubjectData,
    pub today: Millis,
}

pub fn access_letter(l: &AccessLetter<'_>) -> String {
    let (tr, d) = (l.tr, l.data);
    let when = |at: Millis| day(tr, l.zone, at);
    let count = |text: &str, n: usize| text.replace("{n}", &n.to_string());
    let nothing = d.follows.is_empty()
        && d.messages.is_empty()
        && d.mentioned_in.is_empty()
        && d.consents.is_empty()
        && d.relay_subscription.is_none()
        && d.deliveries_to_them.is_empty()
        && d.activities_to_them.is_empty()
        && d.actor_cache.is_none()
        && d.blocks.is_empty()
        && d.audit_entries.is_empty();
    html! {
        (DOCTYPE)
        html lang=(l.lang) {
            head { meta charset="utf-8"; title { (tr("letter_title")) } }
            body {
                p { strong { (l.notice.controller) } br; (when(l.today)) }
                h1 { (tr("letter_title")) }
                p { (tr("letter_intro").replace("{subject}", l.subject)) }
                h2 { (tr("letter_data")) }
                @if nothing { p { (tr("letter_nothing")) } }
                @if !d.follows.is_empty() {
                    h3 { (count(tr("letter_follows"), d.follows.len())) }
                    ul { @for f in &d.follows { li { "@" (f.account) ", " (tr("letter_since")) " " (when(f.since)) "; " (tr("letter_inbox")) " " (f.inbox) } } }
                }
                @if !d.messages.is_empty() {
                    h3 { (count(tr("letter_messages"), d.messages.len())) }
                    ul { @for m in &d.messages { li { (when(m.received_at)) ", " (tr("letter_to")) " @" (m.account) ": " q { (m.text) } " (" (m.post) ")" } } }
                }
                @if !d.mentioned_in.is_empty() {
                    h3 { (count(tr("letter_mentions"), d.mentioned_in.len())) }
                    ul { @for m in &d.mentioned_in { li { (when(m.at)) ", @" (m.account) " (" (m.id) ")" } } }
                }
                @if !d.consents.is_empty() {
                    h3 { (count(tr("letter_consents"), d.consents.len())) }
                    ul { @for c in &d.consents { li { (when(c.created_at)) ", @" (c.account) ": " (c.interacting_object) } } }
                }
                @if let Some(r) = &d.relay_subscription {
                    h3 { (tr("letter_relay")) }
                    p { (tr("letter_since")) " " (when(r.since)) "; " (tr("letter_inbox")) " " (r.inbox) }
                }
                @if !d.deliveries_to_them.is_empty() || !d.activities_to_them.is_empty() {
                    h3 { (count(tr("letter_deliveries"), d.deliveries_to_them.len() + d.activities_to_them.len())) }
                    p { (tr("letter_deliveries_text")) }
                }
                @if let Some(a) = &d.actor_cache {
                    h3 { (tr("letter_actor")) }
                    p { (tr("letter_actor_text").replace("{day}", &when(a.fetched_at))) " " (a.key_id) }
                }
                @if !d.blocks.is_empty() {
                    h3 { (count(tr("letter_blocks"), d.blocks.len())) }
                    ul { @for b in &d.blocks { li { (when(b.since)) ": " (b.reason) } } }
                }
                @if !d.audit_entries.is_empty() {
                    h3 { (count(tr("letter_records"), d.audit_entries.len())) }
                    p { (tr("letter_records_text")) }
                }
                h2 { (tr("letter_source")) }
                p { (tr("letter_source_text")) }
                (notice_sections(l.notice, tr))
                p { (tr("letter_closing")) }
            }
        }
    }
    .into_string()
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
                h2 { "Your server's subscription to the relay" }
                @match &data.relay_subscription {
                    Some(r) => p { (r.state) " since " (format_rfc3339(r.since)) "; announcements go to " (r.inbox) },
                    None => p { "None." },
                }
                h2 { "Announcements and drafts that mention you (" (data.mentioned_in.len()) ")" }
                ul { @for m in &data.mentioned_in { li { (m.kind) " " (m.id) " of @" (m.account) " (" (m.org) "), " (format_rfc3339(m.at)) } } }
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
    let held = policies.held_orgs();
    let audit = AuditEntry::new(by, "dsar.erase", "subject-request");
    Ok(store.erase_subject(check_subject(subject)?, &held, None, audit).await?)
}

/// Everything held about an e-mail address: its subscriptions and what was mailed to it.
pub async fn export_email(
    store: &dyn Store,
    email: &EmailAddress,
) -> Result<EmailSubjectData, ComplianceError> {
    Ok(store.email_subject_data(email.as_str()).await?)
}

/// What one organisation holds about an address.
pub fn email_for_org(mut data: EmailSubjectData, org: &str) -> EmailSubjectData {
    data.subscriptions.retain(|s| s.org == org);
    data
}

/// Erases an address everywhere (or only in `only_org`) except under legal hold; how many
/// subscriptions went.
pub async fn erase_email(
    store: &dyn Store,
    policies: &Policies,
    email: &EmailAddress,
    only_org: Option<&str>,
    by: &str,
) -> Result<i64, ComplianceError> {
    if let Some(org) = only_org.filter(|o| policies.on_hold(o)) {
        return Err(ComplianceError::LegalHold(org.to_owned()));
    }
    let held = policies.held_orgs();
    let mut audit = AuditEntry::new(by, "dsar.erase", "subject-request");
    if let Some(org) = only_org {
        audit = audit.in_org(org);
    }
    Ok(store.erase_email(email.as_str(), &held, only_org, audit).await?)
}

/// A readable summary of what is held about an address, for the person who asked.
pub fn email_summary_html(email: &EmailAddress, data: &EmailSubjectData) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Data held about " (email) } }
            body {
                h1 { "Data held about " (email) }
                h2 { "Subscriptions by e-mail (" (data.subscriptions.len()) ")" }
                @if data.subscriptions.is_empty() { p { "None." } }
                @for s in &data.subscriptions {
                    h3 { "@" (s.account) " (" (s.org) ")" }
                    p {
                        "Requested " (format_rfc3339(s.created_at)) ", mails in " (s.language) "; "
                        @match s.confirmed_at {
                            Some(at) => { "confirmed " (format_rfc3339(at)) "." }
                            None => "never confirmed.",
                        }
                    }
                    @if !s.mailed.is_empty() {
                        p { "Announcements mailed:" }
                        ul { @for (id, at) in &s.mailed { li { (id) " on " (format_rfc3339(*at)) } } }
                    }
                }
            }
        }
    }
    .into_string()
}
