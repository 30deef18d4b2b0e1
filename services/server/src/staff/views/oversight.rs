//! What the data-protection officer reads: the audit trail, the compliance report, the
//! record of processing and subject requests.

use herold_domain::Millis;
use herold_store::{StaffMember, SubjectRequest};

use super::*;

/// The trail's filter as typed.
pub struct AuditTyped<'a> {
    pub action: &'a str,
    /// A member of staff's id.
    pub who: &'a str,
    pub subject: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

pub struct AuditPage<'a> {
    pub rows: &'a [AuditRecord],
    pub total: i64,
    /// The last entry shown, when older ones follow.
    pub older: Option<i64>,
    pub typed: AuditTyped<'a>,
    /// The organisation's staff, to name the trail's pseudonymous ids.
    pub people: &'a [StaffMember],
    pub error: Option<&'a str>,
}

/// The actions of the trail, which the filter offers by name (`audit_action_<code>` with the
/// dot an underscore); others are shown by their code.
pub const AUDIT_ACTIONS: &[&str] = &[
    "account.create",
    "account.move",
    "account.retire",
    "account.rotate_keys",
    "announcement.edit",
    "announcement.import",
    "announcement.pin",
    "announcement.publish",
    "announcement.retract",
    "announcement.undelivered",
    "announcement.unpin",
    "audit.export",
    "audit.rotate_key",
    "consent.revoke",
    "delivery.give_up",
    "delivery.requeue",
    "dialogue.block",
    "dialogue.report",
    "dialogue.unblock",
    "draft.approve",
    "draft.attach_image",
    "draft.create",
    "draft.detach_image",
    "draft.recall",
    "draft.reject",
    "draft.reschedule",
    "draft.revise",
    "draft.submit",
    "draft.withdraw",
    "dsar.close",
    "dsar.erase",
    "dsar.export",
    "dsar.extend",
    "dsar.register",
    "feature.authorize",
    "follow.accept",
    "follow.undo",
    "message.assign",
    "message.follow_up",
    "message.hide",
    "message.mark",
    "message.overdue",
    "message.show",
    "org.create",
    "org.export",
    "policy.change",
    "profile.apply",
    "profile.propose",
    "profile.reject",
    "profile.withdraw",
    "quote.authorize",
    "relay.approve",
    "relay.block",
    "relay.follow_back_refused",
    "relay.publisher_add",
    "relay.publisher_remove",
    "relay.reject",
    "relay.resume",
    "relay.subscribe",
    "relay.suspend",
    "relay.unblock",
    "relay.unsubscribe",
    "remote_actor.deleted",
    "reply.authorize",
    "retention.apply",
    "staff.roles_changed",
    "staff.sign_in",
    "staff.sign_out",
];

/// An action in the reader's words, where the catalogue has them.
fn action_label(lang: Lang, action: &str) -> Option<&'static str> {
    AUDIT_ACTIONS.contains(&action).then(|| lang.t(&format!("audit_action_{}", action.replace('.', "_"))))
}

/// Who took a step, by name: staff by the name they have now (or as former staff once
/// anonymised), Herold itself, or the operator's command line.
fn actor_name(lang: Lang, people: &[StaffMember], actor: &str) -> String {
    match actor {
        "system" => lang.t("audit_actor_system").to_owned(),
        "operator" => lang.t("audit_actor_operator").to_owned(),
        _ => match actor.strip_prefix("staff:").and_then(|id| id.parse::<i64>().ok()) {
            Some(id) => {
                person(lang, people.iter().find(|m| m.id == id).map_or("", |m| m.name.as_str())).to_owned()
            }
            None => actor.to_owned(),
        },
    }
}

/// An entry's details as fields (a value that is itself a list or record stays JSON).
fn details(lang: Lang, payload: Option<&(String, String)>) -> Markup {
    let Some((_, text)) = payload else {
        return html! { span.help { (lang.t("erased")) } };
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => html! {
            dl.fields {
                @for (name, value) in &fields {
                    @if !value.is_null() {
                        dt { (name) }
                        dd {
                            @match value {
                                serde_json::Value::String(text) => (text),
                                other => code { (other.to_string()) },
                            }
                        }
                    }
                }
            }
        },
        Ok(serde_json::Value::Null) => html! {},
        _ => html! { code { (text) } },
    }
}

pub fn audit_trail(v: &Viewer<'_>, p: AuditPage<'_>) -> String {
    let lang = v.lang;
    let t = &p.typed;
    shell(
        lang,
        lang.t("audit_trail"),
        Some(v),
        html! {
            h1 { (lang.t("audit_trail")) }
            p { (lang.t("audit_intro")) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            search role="search" {
                form.filters method="get" action="/staff/audit" {
                    p {
                        label for="action" { (lang.t("action")) }
                        select id="action" name="action" {
                            option value="" { (lang.t("any_action")) }
                            @for code in AUDIT_ACTIONS {
                                option value=(code) selected[*code == t.action] { (action_label(lang, code).unwrap_or(code)) }
                            }
                            // An action from an address that the list does not offer stays chosen.
                            @if !t.action.is_empty() && !AUDIT_ACTIONS.contains(&t.action) {
                                option value=(t.action) selected { (t.action) }
                            }
                        }
                    }
                    p {
                        label for="who" { (lang.t("audit_person")) }
                        select id="who" name="who" {
                            option value="" { (lang.t("anyone")) }
                            @for m in p.people.iter().filter(|m| !m.name.is_empty()) {
                                @let id = m.id.to_string();
                                option value=(id) selected[id == t.who] { (m.name) }
                            }
                        }
                    }
                    p {
                        label for="subject" { (lang.t("subject")) }
                        input id="subject" name="subject" value=(t.subject) aria-describedby="subject-help";
                        span.help id="subject-help" { (lang.t("audit_subject_help")) }
                    }
                    p { label for="from" { (lang.t("from_day")) } input id="from" type="date" name="from" value=(t.from); }
                    p { label for="to" { (lang.t("to_day")) } input id="to" type="date" name="to" value=(t.to); }
                    p { button.primary type="submit" { (lang.t("filter")) } " " a href="/staff/audit" { (lang.t("clear_filters")) } }
                }
            }
            // Exports are POSTs: each is recorded in the trail, so no other site may start one.
            form method="post" action="/staff/audit/export" {
                (v.csrf())
                input type="hidden" name="action" value=(t.action);
                input type="hidden" name="who" value=(t.who);
                input type="hidden" name="subject" value=(t.subject);
                input type="hidden" name="from" value=(t.from);
                input type="hidden" name="to" value=(t.to);
                button type="submit" name="format" value="csv" { (lang.t("export_csv")) }
                " "
                button type="submit" name="format" value="json" { (lang.t("export_json")) }
            }
            p { a href="/staff/ropa" { (lang.t("ropa")) } }
            @if p.error.is_none() {
                p {
                    (lang.t("showing")) " " (p.rows.len()) " " (lang.t("of_total")) " " (p.total) " "
                    (lang.t("matching_newest_first")) "."
                }
                (scrolling(lang.t("audit_trail"), html! {
                    table.audit {
                        thead { tr {
                            th scope="col" { "#" } th scope="col" { (lang.t("when")) } th scope="col" { (lang.t("who")) }
                            th scope="col" { (lang.t("action")) } th scope="col" { (lang.t("subject")) } th scope="col" { (lang.t("details")) }
                        } }
                        tbody {
                            @for e in p.rows {
                                tr {
                                    td { (e.leaf.seq) }
                                    td { (v.when(e.leaf.at)) }
                                    td { (actor_name(lang, p.people, &e.leaf.actor)) }
                                    td {
                                        @if let Some(label) = action_label(lang, &e.leaf.action) { (label) br; }
                                        code { (e.leaf.action) }
                                    }
                                    td {
                                        // A person the entry is about is named, as its author is.
                                        @if e.leaf.subject.starts_with("staff:") {
                                            (actor_name(lang, p.people, &e.leaf.subject)) br;
                                        }
                                        code { (e.leaf.subject) }
                                    }
                                    td { (details(lang, e.payload.as_ref())) }
                                }
                            }
                        }
                    }
                }))
                @if let Some(before) = p.older {
                    p { a href=(older_link(t, before)) { (lang.t("older_entries")) } }
                }
            }
        },
    )
}

/// The next page of the trail, with the same filter.
fn older_link(t: &AuditTyped<'_>, before: i64) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", t.action)
        .append_pair("who", t.who)
        .append_pair("subject", t.subject)
        .append_pair("from", t.from)
        .append_pair("to", t.to)
        .append_pair("before", &before.to_string())
        .finish();
    format!("/staff/audit?{query}")
}

/// The compliance report, inside the staff pages (their stylesheet, their navigation).
/// `period`: the days typed (empty: the last year up to now).
pub fn report(v: &Viewer<'_>, r: &herold_compliance::report::Report, period: (&str, &str)) -> String {
    use herold_compliance::report;
    let lang = v.lang;
    let tr = |key: &str| lang.t(key);
    let choose = html! {
        form.filters method="get" action="/staff/report" aria-label=(lang.t("dpo_period_choose")) {
            p { label for="from" { (lang.t("from_day")) } input id="from" type="date" name="from" value=(period.0); }
            p { label for="to" { (lang.t("to_day")) } input id="to" type="date" name="to" value=(period.1); }
            p { button.primary type="submit" { (lang.t("dpo_period_show")) } }
        }
    };
    shell(lang, &report::report_title(r, &tr), Some(v), report::report_body(r, &tr, choose))
}

/// The record of processing, inside the staff pages.
pub fn ropa(v: &Viewer<'_>, r: &herold_compliance::report::Ropa) -> String {
    use herold_compliance::report;
    let tr = |key: &str| v.lang.t(key);
    shell(v.lang, &report::ropa_title(r, &tr), Some(v), report::ropa_body(r, &tr))
}

/// What the subject-request page shows besides its forms.
pub struct DsarPage<'a> {
    /// The person last named, to fill the forms again.
    pub subject: &'a str,
    pub error: Option<&'a str>,
    /// What an erasure did.
    pub erased: Option<&'a str>,
    pub register: &'a [SubjectRequest],
    pub now: Millis,
}

/// The kinds of request the register takes (`dsar_kind_<kind>`), by the GDPR's articles.
pub const REQUEST_KINDS: &[&str] =
    &["access", "erasure", "rectification", "restriction", "objection", "portability"];

fn request_kind(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "access" => lang.t("dsar_kind_access"),
        "erasure" => lang.t("dsar_kind_erasure"),
        "rectification" => lang.t("dsar_kind_rectification"),
        "restriction" => lang.t("dsar_kind_restriction"),
        "objection" => lang.t("dsar_kind_objection"),
        _ => lang.t("dsar_kind_portability"),
    }
}

/// When and why a request's deadline was extended, if it was.
fn extension(v: &Viewer<'_>, r: &SubjectRequest) -> Markup {
    html! {
        @if let Some(at) = r.extended_at {
            br;
            (v.lang.t("dsar_extended_on")) " " (v.when(at))
            @if let Some(reason) = &r.extension_reason { ": " (reason) }
        }
    }
}

/// The register of requests: the open ones with their deadline and a way to close each,
/// then those closed.
fn request_register(v: &Viewer<'_>, requests: &[SubjectRequest], now: Millis) -> Markup {
    let lang = v.lang;
    let today = v.zone.input_value(now)[..10].to_owned();
    html! {
        section aria-labelledby="register" {
            h2 id="register" { (lang.t("dsar_register")) }
            p.help { (lang.t("dsar_register_help")) }
            @if requests.is_empty() { p { (lang.t("dsar_register_empty")) } }
            ul.drafts {
                @for r in requests {
                    li {
                        strong { (request_kind(lang, &r.kind)) } ": " code { (r.subject) }
                        br;
                        (lang.t("dsar_received")) " " (v.when(r.received_at))
                        @if r.state == "open" {
                            ", " (lang.t("dsar_due")) " " (v.when(r.due_at - 1))
                            @if r.due_at <= now { " " strong.urgent { (lang.t("dsar_overdue")) } }
                            (extension(v, r))
                            form.filters method="post" action={ "/staff/dsar/requests/" (r.public_id) "/close" } {
                                (v.csrf())
                                p {
                                    label for={ "state-" (r.public_id) } { (lang.t("dsar_close_state")) }
                                    select id={ "state-" (r.public_id) } name="state" {
                                        option value="answered" { (lang.t("dsar_state_answered")) }
                                        option value="refused" { (lang.t("dsar_state_refused")) }
                                    }
                                }
                                p {
                                    label for={ "note-" (r.public_id) } { (lang.t("dsar_note")) }
                                    input id={ "note-" (r.public_id) } name="note" required maxlength="1000";
                                }
                                p { button type="submit" { (lang.t("dsar_close_button")) } }
                            }
                            // Once, and only while the person can still be told in time.
                            @if r.extended_at.is_none() && r.due_at > now {
                                details {
                                    summary { (lang.t("dsar_extend_summary")) }
                                    form method="post" action={ "/staff/dsar/requests/" (r.public_id) "/extend" } {
                                        (v.csrf())
                                        p.help id={ "extend-help-" (r.public_id) } { (lang.t("dsar_extend_help")) }
                                        p {
                                            label for={ "reason-" (r.public_id) } { (lang.t("dsar_extension_reason")) }
                                            textarea id={ "reason-" (r.public_id) } name="reason" required maxlength="1000" rows="3"
                                                aria-describedby={ "extend-help-" (r.public_id) } {}
                                        }
                                        p { button type="submit" { (lang.t("dsar_extend_button")) } }
                                    }
                                }
                            }
                        } @else {
                            @let state = if r.state == "refused" { lang.t("dsar_state_refused") } else { lang.t("dsar_state_answered") };
                            ", " (state) " " @if let Some(at) = r.closed_at { (v.when(at)) }
                            @if let Some(note) = &r.note { ": " (note) }
                            (extension(v, r))
                        }
                    }
                }
            }
            h3 { (lang.t("dsar_register_new")) }
            form.filters method="post" action="/staff/dsar/requests" {
                (v.csrf())
                p {
                    label for="request-subject" { (lang.t("person")) }
                    input id="request-subject" name="subject" required maxlength="500";
                }
                p {
                    label for="request-kind" { (lang.t("dsar_request_kind")) }
                    select id="request-kind" name="kind" {
                        @for kind in REQUEST_KINDS { option value=(kind) { (request_kind(lang, kind)) } }
                    }
                }
                p {
                    label for="received" { (lang.t("dsar_received_on")) }
                    input id="received" type="date" name="received" value=(today) required;
                }
                p { button.primary type="submit" { (lang.t("dsar_register_button")) } }
            }
        }
    }
}

pub fn dsar(v: &Viewer<'_>, p: DsarPage<'_>) -> String {
    let lang = v.lang;
    let (subject, error, erased) = (p.subject, p.error, p.erased);
    shell(
        lang,
        lang.t("subject_requests"),
        Some(v),
        html! {
            h1 { (lang.t("subject_requests")) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if let Some(done) = erased {
                h2 { (lang.t("erased_title")) }
                p role="status" { (lang.t("erased_text")) }
                (details(lang, Some(&(String::new(), done.to_owned()))))
            }
            p { (lang.t("dsar_intro")) }
            h2 { (lang.t("dsar_kind_access")) }
            form method="post" action="/staff/dsar/export" {
                (v.csrf())
                p {
                    label for="subject" { (lang.t("person")) }
                    input id="subject" name="subject" value=(subject) required;
                }
                p {
                    button type="submit" name="format" value="json" { (lang.t("download_data")) }
                    " "
                    button type="submit" name="format" value="html" { (lang.t("download_summary")) }
                }
            }
            h2 { (lang.t("dsar_kind_erasure")) }
            form method="post" action="/staff/dsar/erase" {
                (v.csrf())
                p {
                    label for="erase-subject" { (lang.t("person")) }
                    input id="erase-subject" name="subject" value=(subject) required;
                }
                p {
                    input id="confirm" type="checkbox" name="confirm" value="yes" required;
                    " "
                    label for="confirm" { (lang.t("confirm_identity")) }
                }
                p { button.destructive type="submit" { (lang.t("erase_data")) } }
            }
            (request_register(v, p.register, p.now))
        },
    )
}
