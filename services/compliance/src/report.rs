//! Documents for the data-protection officer: the Art. 30 record of processing (from the
//! policy files) and the compliance report for a period (from the database and the audit
//! trail). Both render to self-contained HTML (charts as inline SVG) and to JSON.

use std::collections::BTreeMap;

use herold_domain::{format_rfc3339, Millis};
use herold_store::{AtExpiry, ClassCutoff, DataClass, Store};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Serialize;

use crate::audit::{verify, AuditKeys};
use crate::policy::{Policies, Retention};
use crate::ComplianceError;

const DAY: i64 = 86_400_000;

/// Whose data a class holds (Art. 30(1)(c) GDPR), in the words `dpo_subjects_<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSubjects {
    /// People on the fediverse who follow, answer, mention or react to the accounts.
    FediversePeople,
    /// Those who run fediverse servers: a one-person server names its owner.
    ServerOperators,
    Staff,
    EmailSubscribers,
    /// People who exercise their rights under the GDPR.
    Requesters,
    /// Whoever an image shows.
    PeopleInImages,
}

impl DataSubjects {
    pub const ALL: [DataSubjects; 6] = [
        DataSubjects::FediversePeople,
        DataSubjects::ServerOperators,
        DataSubjects::Staff,
        DataSubjects::EmailSubscribers,
        DataSubjects::Requesters,
        DataSubjects::PeopleInImages,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DataSubjects::FediversePeople => "fediverse_people",
            DataSubjects::ServerOperators => "server_operators",
            DataSubjects::Staff => "staff",
            DataSubjects::EmailSubscribers => "email_subscribers",
            DataSubjects::Requesters => "requesters",
            DataSubjects::PeopleInImages => "people_in_images",
        }
    }

    /// Whose data `class` holds. Exhaustive on purpose: a new class does not compile until
    /// someone decides whose data it is.
    pub fn of(class: DataClass) -> &'static [DataSubjects] {
        use DataSubjects::*;
        match class {
            DataClass::Followers
            | DataClass::InteractionStamps
            | DataClass::CitizenMessages
            | DataClass::ReactionPseudonyms => &[FediversePeople],
            // Blocks name accounts, or servers by name.
            DataClass::DialogueBlocks => &[FediversePeople, ServerOperators],
            DataClass::RemoteActorCache | DataClass::DeliveryRecords | DataClass::SecurityLog => {
                &[FediversePeople, ServerOperators]
            }
            DataClass::DeliveryHosts | DataClass::RelaySubscribers | DataClass::WebsubSubscriptions => {
                &[ServerOperators]
            }
            // What the relay passes on are other people's posts.
            DataClass::RelayTraffic => &[ServerOperators, FediversePeople],
            DataClass::AuditPayloads => &[Staff, FediversePeople, ServerOperators],
            DataClass::EmailSubscriptions
            | DataClass::UnconfirmedSubscriptions
            | DataClass::SubscriptionMail => &[EmailSubscribers],
            // A request may be about a member of staff, and says who registered it.
            DataClass::SubjectRequests => &[Requesters, Staff],
            // A retracted announcement keeps its author, and the people it mentioned.
            DataClass::RetractedAnnouncements => &[Staff, FediversePeople],
            DataClass::UnpublishedMedia => &[Staff, PeopleInImages],
            // A draft names the accounts it mentions.
            DataClass::AbandonedDrafts => &[Staff, FediversePeople],
            DataClass::StaffDirectory
            | DataClass::StaffSessions
            | DataClass::StaffNotifications
            | DataClass::ProfileProposals => &[Staff],
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RopaEntry {
    pub class: &'static str,
    /// Whose data it is; empty for data that names nobody.
    pub data_subjects: Vec<DataSubjects>,
    pub description: String,
    pub location: String,
    pub personal_data: bool,
    pub purpose: String,
    pub legal_basis: String,
    /// `None`: nobody outside those who run the service.
    pub recipients: Option<String>,
    pub retention: String,
    pub at_expiry: String,
    /// The language of `description`, `purpose`, `legal_basis` and `recipients`, each.
    #[serde(skip)]
    pub langs: [String; 4],
    /// `retention` and `at_expiry`, to be said in the reader's words.
    #[serde(skip)]
    pub kept: Retention,
    #[serde(skip)]
    pub expiry: AtExpiry,
}

#[derive(Debug, Serialize)]
pub struct Ropa {
    pub controller: String,
    pub org: String,
    /// How to reach the controller and its data-protection officer (Art. 30(1)(a)), as the
    /// organisation's policy gives them; the imprint is where a body's contact details are.
    pub controller_contact: Option<String>,
    pub imprint: Option<String>,
    pub dpo_contact: Option<String>,
    /// Transfers to third countries the organisation states beyond Herold's own (Art. 30(1)(e)).
    pub transfers: Option<String>,
    pub legal_hold: bool,
    pub entries: Vec<RopaEntry>,
    pub security_measures: Vec<&'static str>,
}

pub const MEASURES: &[&str] = &[
    "No IP addresses stored or logged; no third-party assets or trackers on any page",
    "Private signing keys sealed with AES-256-GCM under a key kept outside the database",
    "Every incoming activity verified by HTTP signature; remote fetches guarded against internal addresses",
    "Tamper-evident audit trail: RFC 9162 Merkle tree, keyed entry seals, signed checkpoints kept outside the database",
    "Retention enforced by scheduled runs per the policy files; every run recorded in the audit trail",
];

/// The Art. 30 record of processing for one organisation, drawn from the policy files, with
/// their texts in `language` where they give them.
pub fn ropa(policies: &Policies, org: &str, controller: &str, language: &str) -> Ropa {
    let entries = policies
        .classes
        .values()
        .map(|c| {
            let t = c.texts_in(language);
            let recipients_lang = t.recipients.as_ref().map_or_else(|| "en".to_owned(), |r| r.1.clone());
            let kept = policies.retention(c.class, Some(org));
            RopaEntry {
                class: c.class.as_str(),
                data_subjects: if c.personal_data { DataSubjects::of(c.class).to_vec() } else { Vec::new() },
                description: t.description.0,
                location: c.location.clone(),
                personal_data: c.personal_data,
                purpose: t.purpose.0,
                legal_basis: t.legal_basis.0,
                recipients: t.recipients.map(|r| r.0),
                retention: kept.describe(),
                at_expiry: format!("{:?}", c.at_expiry).to_lowercase(),
                langs: [t.description.1, t.purpose.1, t.legal_basis.1, recipients_lang],
                kept,
                expiry: c.at_expiry,
            }
        })
        .collect();
    let legal = policies.orgs.get(org).map(|o| o.presence.legal.clone()).unwrap_or_default();
    Ropa {
        controller: controller.to_owned(),
        org: org.to_owned(),
        controller_contact: legal.controller_contact,
        imprint: legal.imprint,
        dpo_contact: legal.dpo_contact,
        transfers: legal.transfers,
        legal_hold: policies.on_hold(org),
        entries,
        security_measures: MEASURES.to_vec(),
    }
}

/// The interface text of the documents, by key (the staff interface's catalogues supply it;
/// `herold compliance` uses English). Keys: `dpo_*`.
pub type Texts<'a> = &'a dyn Fn(&str) -> &'static str;

/// A self-contained document (a file for the officer): the style is inline, as no server
/// sends it.
fn page(tr: Texts<'_>, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(tr("lang_code")) {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped("body{font:1rem/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3rem;text-align:left;vertical-align:top}caption{text-align:left;font-weight:bold}dt{font-weight:bold}dd{margin:0 0 .4rem 1.5rem}")) }
            }
            body { (body) }
        }
    }
    .into_string()
}

pub fn ropa_title(r: &Ropa, tr: Texts<'_>) -> String {
    format!("{}: {}", tr("dpo_ropa_title"), r.controller)
}

/// The record of processing as a part of a page.
pub fn ropa_body(r: &Ropa, tr: Texts<'_>) -> Markup {
    let yes_no = |b: bool| if b { tr("dpo_yes") } else { tr("dpo_no") };
    html! {
        h1 { (tr("dpo_ropa_heading")) }
        h2 { (tr("dpo_controller_heading")) }
        dl.fields {
            div { dt { (tr("dpo_controller")) } dd { strong { (r.controller) } " (" (r.org) ")" } }
            div {
                dt { (tr("dpo_contact")) }
                dd {
                    @if let Some(contact) = &r.controller_contact { (contact) " " }
                    @if let Some(imprint) = &r.imprint { a href=(imprint) { (tr("dpo_see_imprint")) } }
                    @if r.controller_contact.is_none() && r.imprint.is_none() { (tr("dpo_contact_missing")) }
                }
            }
            div {
                dt { (tr("dpo_dpo")) }
                dd {
                    @match &r.dpo_contact {
                        Some(contact) => (contact),
                        None => (tr("dpo_dpo_missing")),
                    }
                }
            }
        }
        @if r.legal_hold { p { strong { (tr("dpo_legal_hold")) } } }
        // One section per activity: nine long fields read better one under the other than
        // as columns, on a phone and on paper alike.
        h2 { (tr("dpo_categories")) }
        @for (i, e) in r.entries.iter().enumerate() {
            section.ropa-entry aria-labelledby={ "activity-" (e.class) } {
                h3 id={ "activity-" (e.class) } {
                    (i + 1) ". " (tr(&format!("dpo_class_{}", e.class))) " " small { code { (e.class) } }
                }
                dl.fields {
                    div { dt { (tr("dpo_col_data")) } dd lang=(e.langs[0]) { (e.description) } }
                    div {
                        dt { (tr("dpo_col_subjects")) }
                        dd {
                            @for (i, who) in e.data_subjects.iter().enumerate() {
                                @if i > 0 { "; " }
                                (tr(&format!("dpo_subjects_{}", who.code())))
                            }
                            @if e.data_subjects.is_empty() { (tr("dpo_subjects_none")) }
                        }
                    }
                    div { dt { (tr("dpo_col_purpose")) } dd lang=(e.langs[1]) { (e.purpose) } }
                    div { dt { (tr("dpo_col_legal_basis")) } dd lang=(e.langs[2]) { (e.legal_basis) } }
                    div {
                        dt { (tr("dpo_col_recipients")) }
                        @match &e.recipients {
                            Some(recipients) => dd lang=(e.langs[3]) { (recipients) },
                            None => dd { (tr("dpo_no_recipients")) },
                        }
                    }
                    div { dt { (tr("dpo_col_kept")) } dd { (crate::notice::kept(tr, e.kept)) } }
                    div { dt { (tr("dpo_col_at_expiry")) } dd { (at_expiry(tr, e.expiry)) } }
                    div { dt { (tr("dpo_col_where")) } dd { (e.location) } }
                    div { dt { (tr("dpo_col_personal")) } dd { (yes_no(e.personal_data)) } }
                }
            }
        }
        h2 { (tr("dpo_transfers")) }
        p { (tr("dpo_transfers_herold")) }
        @match &r.transfers {
            Some(stated) => p { (tr("dpo_transfers_stated")) " " (stated) },
            None => p { (tr("dpo_transfers_none_stated")) },
        }
        h2 { (tr("dpo_measures")) }
        ul { @for i in 1..=MEASURES.len() { li { (tr(&format!("dpo_measure_{i}"))) } } }
    }
}

fn at_expiry(tr: Texts<'_>, action: AtExpiry) -> &'static str {
    match action {
        AtExpiry::Delete => tr("dpo_at_expiry_delete"),
        AtExpiry::Anonymise => tr("dpo_at_expiry_anonymise"),
        AtExpiry::Archive => tr("dpo_at_expiry_archive"),
        AtExpiry::Keep => tr("dpo_at_expiry_keep"),
    }
}

pub fn ropa_html(r: &Ropa, tr: Texts<'_>) -> String {
    page(tr, &ropa_title(r, tr), ropa_body(r, tr))
}

#[derive(Debug, Serialize)]
pub struct InventoryRow {
    pub class: &'static str,
    pub count: i64,
    pub oldest_age_days: Option<i64>,
    pub limit: String,
    pub within_limit: bool,
}

#[derive(Debug, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// A member of staff as the report lists them: who holds which role.
#[derive(Debug, Serialize)]
pub struct StaffRow {
    /// As the audit trail names them (`staff:<id>`).
    pub actor: String,
    pub name: String,
    pub roles: String,
    pub first_sign_in: String,
    pub last_sign_in: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub org: String,
    pub from: String,
    pub to: String,
    pub inventory: Vec<InventoryRow>,
    pub retention_runs: Vec<EventRow>,
    pub subject_requests: Vec<EventRow>,
    pub policy_changes: Vec<EventRow>,
    /// Who acted in the period and how often (staff, operator, system).
    pub actors: BTreeMap<String, i64>,
    pub actions_per_day: BTreeMap<String, i64>,
    /// Everyone who has signed in (or used the API) for the organisation.
    pub staff: Vec<StaffRow>,
    pub audit_intact: bool,
    pub audit_problem: Option<String>,
    pub audit_entries: i64,
    pub latest_checkpoint: Option<u64>,
}

/// The compliance report for `org` between `from` and `to` (milliseconds).
pub async fn report(
    store: &dyn Store,
    policies: &Policies,
    keys: &AuditKeys,
    org: &str,
    from: Millis,
    to: Millis,
) -> Result<Report, ComplianceError> {
    let now = herold_domain::now_millis();
    // Everything stored before now: an inventory of every class with its oldest row.
    let everything: Vec<ClassCutoff> = DataClass::ALL
        .iter()
        .map(|&class| ClassCutoff { class, org: class.per_org().then(|| org.to_owned()), cutoff: now + 1 })
        .collect();
    let inventory = store
        .retention_plan(&everything)
        .await?
        .into_iter()
        .map(|c| {
            let limit = policies.retention(c.class, c.org.as_deref());
            let age = c.oldest.map(|o| now - o);
            InventoryRow {
                class: c.class.as_str(),
                count: c.count,
                oldest_age_days: age.map(|a| a / DAY),
                limit: limit.describe(),
                within_limit: match (limit, age) {
                    (Retention::Millis(ms), Some(a)) => a <= ms || policies.on_hold(org),
                    _ => true,
                },
            }
        })
        .collect();

    let mut r = Report {
        org: org.to_owned(),
        from: format_rfc3339(from),
        to: format_rfc3339(to),
        inventory,
        retention_runs: Vec::new(),
        subject_requests: Vec::new(),
        policy_changes: Vec::new(),
        actors: BTreeMap::new(),
        actions_per_day: BTreeMap::new(),
        staff: store
            .staff_of_org(org)
            .await?
            .into_iter()
            .map(|m| StaffRow {
                actor: m.audit_actor(),
                name: if m.name.is_empty() { "(anonymised)".into() } else { m.name },
                roles: m.roles.to_string(),
                first_sign_in: format_rfc3339(m.first_sign_in_at),
                last_sign_in: format_rfc3339(m.last_sign_in_at),
            })
            .collect(),
        audit_intact: false,
        audit_problem: None,
        audit_entries: 0,
        latest_checkpoint: None,
    };
    let visibility = policies.visibility().at(now);
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 2000).await?;
        let Some(last) = page.last() else { break };
        after = last.leaf.seq;
        for e in page {
            let l = &e.leaf;
            let ours = l.org.as_deref().is_none_or(|o| o == org);
            if l.at < from || l.at >= to || !ours {
                continue;
            }
            *r.actors.entry(l.actor.clone()).or_default() += 1;
            *r.actions_per_day.entry(format_rfc3339(l.at)[..10].to_owned()).or_default() += 1;
            let row = || EventRow {
                seq: l.seq,
                at: format_rfc3339(l.at),
                actor: l.actor.clone(),
                action: l.action.clone(),
                detail: e
                    .payload
                    .as_ref()
                    .filter(|_| visibility.shows(DataClass::AuditPayloads, l.org.as_deref(), l.at))
                    .map(|(_, p)| p.clone()),
            };
            match l.action.as_str() {
                "retention.apply" => r.retention_runs.push(row()),
                a if a.starts_with("dsar.") => r.subject_requests.push(row()),
                "policy.change" => r.policy_changes.push(row()),
                _ => {}
            }
        }
    }
    let verification =
        verify(store, &keys.seal, &keys.trusted, &crate::audit::external_checkpoints(keys)?).await?;
    r.audit_intact = verification.problem.is_none();
    r.audit_problem = verification.problem.map(|p| format!("entry {}: {}", p.first_bad_seq, p.message));
    r.audit_entries = verification.entries;
    r.latest_checkpoint = verification.latest_checkpoint;
    Ok(r)
}

/// A horizontal bar chart as inline SVG, with a text alternative.
fn bars(title: &str, rows: &[(String, i64)]) -> Markup {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = 22 * rows.len() as i64 + 10;
    html! {
        figure {
            svg width="600" height=(height) viewBox={ "0 0 600 " (height) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                @for (i, (label, value)) in rows.iter().enumerate() {
                    @let y = 5 + 22 * i as i64;
                    text x="0" y=(y + 15) font-size="13" { (label) }
                    rect x="220" y=(y) height="16" width=(1 + 300 * value / max) fill="#1f5fa8" {}
                    text x=(226 + 300 * value / max) y=(y + 13) font-size="12" { (value) }
                }
            }
            figcaption { (title) }
        }
    }
}

/// A policy change's details (`{"old": …, "new": …}`) as the settings that differ: each
/// setting's path (`retention.citizen_messages`), its value before and after ("" where
/// there was none), sorted by path.
pub fn policy_diff(detail: &str) -> Vec<(String, String, String)> {
    fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, v) in fields {
                    let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                    flatten(&path, v, out);
                }
            }
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let Ok(detail) = serde_json::from_str::<serde_json::Value>(detail) else {
        return Vec::new();
    };
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &detail["old"], &mut old);
    flatten("", &detail["new"], &mut new);
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter(|p| old.get(*p) != new.get(*p))
        .map(|p| {
            (p.clone(), old.get(p).cloned().unwrap_or_default(), new.get(p).cloned().unwrap_or_default())
        })
        .collect()
}

/// Policy changes as what changed, setting by setting.
fn policy_changes(tr: Texts<'_>, rows: &[EventRow]) -> Markup {
    html! {
        h2 { (tr("dpo_policy_changes")) " (" (rows.len()) ")" }
        @if rows.is_empty() { p { (tr("dpo_none_in_period")) } }
        @for e in rows {
            h3 { "#" (e.seq) ", " (e.at) ", " (e.actor) }
            @match e.detail.as_deref().map(policy_diff) {
                None => p { (tr("dpo_erased")) },
                Some(changes) if changes.is_empty() => p { (tr("dpo_policy_unchanged")) },
                Some(changes) => table {
                    thead { tr { th { (tr("dpo_col_setting")) } th { (tr("dpo_col_before")) } th { (tr("dpo_col_after")) } } }
                    tbody {
                        @for (path, before, after) in &changes {
                            tr { td { code { (path) } } td { (before) } td { (after) } }
                        }
                    }
                },
            }
        }
    }
}

fn events(tr: Texts<'_>, title: &str, rows: &[EventRow]) -> Markup {
    html! {
        h2 { (title) " (" (rows.len()) ")" }
        @if rows.is_empty() { p { (tr("dpo_none_in_period")) } } @else {
            table {
                thead { tr { th { "#" } th { (tr("dpo_col_when")) } th { (tr("dpo_col_by")) } th { (tr("dpo_col_what")) } th { (tr("dpo_col_details")) } } }
                tbody { @for e in rows { tr { td { (e.seq) } td { (e.at) } td { (e.actor) } td { (e.action) } td { (e.detail.as_deref().unwrap_or(tr("dpo_erased"))) } } } }
            }
        }
    }
}

pub fn report_title(r: &Report, tr: Texts<'_>) -> String {
    format!("{} {}: {} – {}", tr("dpo_report_title"), r.org, r.from, r.to)
}

/// The compliance report as a part of a page; `controls` (such as a form to choose the
/// period) follow the period it covers.
pub fn report_body(r: &Report, tr: Texts<'_>, controls: Markup) -> Markup {
    let inventory: Vec<(String, i64)> = r.inventory.iter().map(|i| (i.class.to_owned(), i.count)).collect();
    let per_day: Vec<(String, i64)> = r.actions_per_day.iter().map(|(d, n)| (d.clone(), *n)).collect();
    let latest = r.latest_checkpoint.map_or_else(|| tr("dpo_no_checkpoint").to_owned(), |s| s.to_string());
    html! {
        h1 { (tr("dpo_report_title")) ": " (r.org) }
        p { (tr("dpo_period")) " " (r.from) " – " (r.to) }
        (controls)
        h2 { (tr("audit_trail")) }
        @if r.audit_intact {
            p { (tr("dpo_intact")) " " (r.audit_entries) ". " (tr("dpo_latest_checkpoint")) " " (latest) }
        } @else {
            p { strong { (tr("dpo_tampered")) " " (r.audit_problem.as_deref().unwrap_or("")) } }
        }
        h2 { (tr("dpo_inventory")) }
        table {
            thead { tr { th { (tr("dpo_col_class")) } th { (tr("dpo_col_records")) } th { (tr("dpo_col_oldest")) } th { (tr("dpo_col_limit")) } th { (tr("dpo_col_within")) } } }
            tbody { @for i in &r.inventory { tr { td { (i.class) } td { (i.count) } td { (i.oldest_age_days.map_or("-".to_owned(), |d| d.to_string())) } td { (i.limit) } td { @if i.within_limit { (tr("dpo_yes")) } @else { strong { (tr("dpo_no")) } } } } } }
        }
        (bars(tr("dpo_records_chart"), &inventory))
        h2 { (tr("dpo_activity")) }
        (bars(tr("dpo_actions_chart"), &per_day))
        table {
            thead { tr { th { (tr("dpo_col_who")) } th { (tr("dpo_col_actions")) } } }
            tbody { @for (who, n) in &r.actors { tr { td { (who) } td { (n) } } } }
        }
        h2 { (tr("dpo_staff")) }
        @if r.staff.is_empty() { p { (tr("dpo_nobody")) } } @else {
            table {
                thead { tr { th { (tr("dpo_col_audit_name")) } th { (tr("dpo_col_name")) } th { (tr("roles")) } th { (tr("dpo_col_first_sign_in")) } th { (tr("last_sign_in")) } } }
                tbody { @for m in &r.staff { tr { td { (m.actor) } td { (m.name) } td { (m.roles) } td { (m.first_sign_in) } td { (m.last_sign_in) } } } }
            }
        }
        (events(tr, tr("dpo_retention_runs"), &r.retention_runs))
        (events(tr, tr("subject_requests"), &r.subject_requests))
        (policy_changes(tr, &r.policy_changes))
    }
}

pub fn report_html(r: &Report, tr: Texts<'_>) -> String {
    page(tr, &report_title(r, tr), report_body(r, tr, html! {}))
}

#[cfg(test)]
mod policy_diff_tests {
    use super::policy_diff;

    #[test]
    fn a_policy_change_reads_as_the_settings_that_differ() {
        let detail = r#"{"old": {"retention": {"messages": "90d", "drafts": "180d"}, "orgs": ["a"]},
            "new": {"retention": {"messages": "30d", "drafts": "180d"}, "orgs": ["a", "b"], "hold": true}}"#;
        let s = |t: &str| t.to_owned();
        assert_eq!(
            policy_diff(detail),
            vec![
                (s("hold"), s(""), s("true")),
                (s("orgs"), s(r#"["a"]"#), s(r#"["a","b"]"#)),
                (s("retention.messages"), s("90d"), s("30d")),
            ]
        );
        // The first one recorded had nothing before it.
        assert_eq!(policy_diff(r#"{"old": null, "new": {"a": 1}}"#), vec![(s("a"), s(""), s("1"))]);
        assert!(policy_diff("not json").is_empty());
    }
}
