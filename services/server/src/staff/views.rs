//! Staff pages: server-rendered, usable without JavaScript, one local stylesheet, every
//! form field labelled, every form carrying its CSRF token.

use herold_domain::format_rfc3339;
use herold_domain::workflow::{DraftState, Role};
use herold_store::{
    Account, Announcement, AuditRecord, DeliveryStats, DraftKind, DraftRecord, StaffMember, StaffSession,
    Subscriber, SubscriptionState,
};
use maud::{html, Markup, DOCTYPE};

use super::i18n::Lang;

/// Who is looking, for the page header and the forms.
pub struct Viewer<'a> {
    pub session: &'a StaffSession,
    pub lang: Lang,
}

impl Viewer<'_> {
    fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf); }
    }

    pub fn has(&self, role: Role) -> bool {
        self.session.roles.has(role)
    }

    /// An administrator of the organisation that runs this instance: the relay is the
    /// instance's, so only they moderate it.
    pub fn operates_instance(&self) -> bool {
        self.has(Role::OrgAdmin) && self.session.staff.org_slug == crate::state::OPERATOR_ORG
    }
}

fn shell(lang: Lang, title: &str, viewer: Option<&Viewer<'_>>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Herold" }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                a.skip href="#main" { (lang.t("skip")) }
                header {
                    p.site { a href=(if viewer.is_some() { "/staff" } else { "/" }) { "Herold" } }
                    @if let Some(v) = viewer {
                        nav aria-label=(lang.t("dashboard")) {
                            ul.inline {
                                li { a href="/staff" { (lang.t("dashboard")) } }
                                @if v.has(Role::Author) { li { a href="/staff/new" { (lang.t("new_announcement")) } } }
                                @if v.has(Role::Auditor) { li { a href="/staff/audit" { (lang.t("audit_trail")) } } }
                                @if v.has(Role::Auditor) { li { a href="/staff/report" { (lang.t("compliance_report")) } } }
                                @if v.has(Role::Auditor) { li { a href="/staff/dsar" { (lang.t("subject_requests")) } } }
                                @if v.has(Role::OrgAdmin) { li { a href="/staff/admin" { (lang.t("administration")) } } }
                                @if v.operates_instance() { li { a href="/staff/relay" { (lang.t("relay")) } } }
                            }
                        }
                        form.signout method="post" action="/logout" {
                            (v.csrf())
                            span { (lang.t("signed_in_as")) " " strong { (v.session.staff.name) } " (" (v.session.staff.org_slug) ") " }
                            button type="submit" { (lang.t("sign_out")) }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
    .into_string()
}

pub fn login(lang: Lang, orgs: &[(String, String)]) -> String {
    shell(
        lang,
        lang.t("sign_in_title"),
        None,
        html! {
            h1 { (lang.t("sign_in_title")) }
            @if orgs.is_empty() {
                p { (lang.t("sign_in_none")) }
            } @else {
                p { (lang.t("sign_in_intro")) }
                ul {
                    @for (slug, name) in orgs {
                        li { a href={ "/login/" (slug) } { (lang.t("sign_in_with")) " " (name) } }
                    }
                }
            }
        },
    )
}

pub fn message(lang: Lang, title: &str, text: &str) -> String {
    shell(
        lang,
        title,
        None,
        html! {
            h1 { (title) }
            p role="alert" { (text) }
            p { a href="/login" { (lang.t("back_to_start")) } }
        },
    )
}

fn state_label(lang: Lang, state: DraftState) -> &'static str {
    lang.t(&format!("state_{}", state.as_str()))
}

/// A person's name, or a neutral stand-in once retention has anonymised them.
fn person(lang: Lang, name: &str) -> &str {
    if name.is_empty() {
        lang.t("former_staff")
    } else {
        name
    }
}

fn when(ms: i64) -> Markup {
    let stamp = format_rfc3339(ms);
    html! { time datetime=(stamp) { (stamp) } }
}

fn draft_list(lang: Lang, heading: &str, drafts: &[DraftRecord]) -> Markup {
    html! {
        section {
            h2 { (heading) }
            @if drafts.is_empty() {
                p { (lang.t("nothing_here")) }
            } @else {
                ul.drafts {
                    @for d in drafts {
                        li {
                            a href={ "/staff/drafts/" (d.public_id) } { (excerpt(&d.content.source_text)) }
                            " — @" (d.account_username) ", " (state_label(lang, d.state)) ", " (person(lang, &d.author_name))
                            @if let Some(at) = d.content.publish_at { ", " (lang.t("scheduled_for")) " " (when(at)) }
                        }
                    }
                }
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_owned()
    }
}

pub struct Dashboard<'a> {
    pub accounts: &'a [Account],
    pub mine: &'a [DraftRecord],
    pub queue: &'a [DraftRecord],
    pub scheduled: &'a [DraftRecord],
    pub recent: &'a [DraftRecord],
}

pub fn dashboard(v: &Viewer<'_>, d: Dashboard<'_>) -> String {
    let lang = v.lang;
    let roles: Vec<&str> = v.session.roles.iter().map(|r| r.as_str()).collect();
    shell(
        lang,
        lang.t("dashboard"),
        Some(v),
        html! {
            h1 { (lang.t("dashboard")) }
            p { (lang.t("roles")) ": " (roles.join(", ")) }
            @if v.has(Role::Author) { (draft_list(lang, lang.t("my_drafts"), d.mine)) }
            (draft_list(lang, lang.t("queue"), d.queue))
            (draft_list(lang, lang.t("scheduled"), d.scheduled))
            (draft_list(lang, lang.t("recent"), d.recent))
            section {
                h2 { (lang.t("accounts")) }
                ul {
                    @for a in d.accounts {
                        li { a href={ "/staff/accounts/" (a.username) } { (a.display_name) } " @" (a.username) }
                    }
                }
            }
        },
    )
}

/// What the compose form starts with.
pub struct ComposeForm<'a> {
    pub accounts: &'a [Account],
    pub account: &'a str,
    pub text: &'a str,
    pub language: &'a str,
    pub summary: &'a str,
    pub urgent: bool,
    pub publish_at: &'a str,
    /// Up to two further language versions: (language, text).
    pub versions: [(&'a str, &'a str); 2],
    /// Saving changes to this draft instead of making a new one.
    pub draft: Option<&'a str>,
    /// Proposing a change to this published announcement.
    pub edit_of: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn compose(v: &Viewer<'_>, f: ComposeForm<'_>) -> String {
    let lang = v.lang;
    let action = match f.draft {
        Some(id) => format!("/staff/drafts/{id}"),
        None => "/staff/drafts".to_owned(),
    };
    let title = if f.edit_of.is_some() { lang.t("kind_edit") } else { lang.t("new_announcement") };
    shell(
        lang,
        title,
        Some(v),
        html! {
            h1 { (title) }
            @if let Some(e) = f.error { p.error role="alert" id="form-error" { (e) } }
            form method="post" action=(action) {
                (v.csrf())
                @if let Some(edit_of) = f.edit_of { input type="hidden" name="edit_of" value=(edit_of); }
                @if f.draft.is_some() || f.edit_of.is_some() {
                    input type="hidden" name="account" value=(f.account);
                    p { (lang.t("account")) ": @" (f.account) }
                } @else {
                    p {
                        label for="account" { (lang.t("account")) }
                        select id="account" name="account" required {
                            @for a in f.accounts {
                                option value=(a.username) selected[a.username == f.account] { (a.display_name) " (@" (a.username) ")" }
                            }
                        }
                    }
                }
                p {
                    label for="text" { (lang.t("text")) }
                    textarea id="text" name="text" rows="8" required maxlength="5000" aria-describedby="text-help" { (f.text) }
                    span.help id="text-help" { (lang.t("text_help")) }
                }
                p {
                    label for="language" { (lang.t("language")) }
                    input id="language" name="language" value=(f.language) required size="8" aria-describedby="language-help";
                    span.help id="language-help" { (lang.t("language_help")) }
                }
                @for (i, (code, text)) in f.versions.iter().enumerate() {
                    fieldset {
                        legend { (lang.t("translation")) }
                        p {
                            label for={ "translation_language_" (i + 1) } { (lang.t("language")) }
                            input id={ "translation_language_" (i + 1) } name={ "translation_language_" (i + 1) } value=(code) size="8";
                        }
                        p {
                            label for={ "translation_text_" (i + 1) } { (lang.t("text")) }
                            textarea id={ "translation_text_" (i + 1) } name={ "translation_text_" (i + 1) } rows="5" maxlength="5000" { (text) }
                        }
                    }
                }
                p {
                    label for="summary" { (lang.t("content_warning")) }
                    input id="summary" name="summary" value=(f.summary) maxlength="500";
                }
                p {
                    input id="urgent" type="checkbox" name="urgent" value="on" checked[f.urgent];
                    " "
                    label for="urgent" { (lang.t("urgent")) }
                }
                p {
                    label for="publish_at" { (lang.t("publish_at")) }
                    input id="publish_at" type="datetime-local" name="publish_at" value=(f.publish_at) aria-describedby="publish-help";
                    span.help id="publish-help" { (lang.t("publish_at_help")) }
                }
                p { button type="submit" { (if f.draft.is_some() { lang.t("save_changes") } else { lang.t("save_draft") }) } }
            }
        },
    )
}

fn step_form(v: &Viewer<'_>, d: &DraftRecord, step: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/staff/drafts/" (d.public_id) "/step" } {
            (v.csrf())
            input type="hidden" name="step" value=(step);
            input type="hidden" name="revision" value=(d.revision);
            button type="submit" { (label) }
        }
    }
}

pub struct DraftPage<'a> {
    pub draft: &'a DraftRecord,
    pub preview: Markup,
    pub four_eyes: bool,
    pub error: Option<&'a str>,
}

pub fn draft(v: &Viewer<'_>, p: DraftPage<'_>) -> String {
    let lang = v.lang;
    let d = p.draft;
    let mine = d.author_id == v.session.staff.id;
    let author = mine && v.has(Role::Author);
    let may_approve = v.has(Role::Approver) && (!p.four_eyes || !mine);
    shell(
        lang,
        lang.t("submission"),
        Some(v),
        html! {
            h1 { (lang.t("submission")) ": " (if d.kind == DraftKind::Edit { lang.t("kind_edit") } else { lang.t("kind_create") }) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            dl {
                dt { (lang.t("state")) } dd { (state_label(lang, d.state)) }
                dt { (lang.t("account")) } dd { "@" (d.account_username) }
                dt { (lang.t("author")) } dd { (person(lang, &d.author_name)) }
                @if let Some(r) = &d.reviewer_name { dt { (lang.t("reviewer")) } dd { (person(lang, r)) } }
                @if let Some(c) = &d.review_comment { dt { (lang.t("review_comment")) } dd { (c) } }
                @if let Some(at) = d.content.publish_at { dt { (lang.t("scheduled_for")) } dd { (when(at)) } }
            }
            h2 { (lang.t("preview")) }
            div.preview { (p.preview) }
            @if author && d.state.editable() {
                h2 { (lang.t("images")) }
                @for m in &d.media {
                    form.inline method="post" action={ "/staff/drafts/" (d.public_id) "/images/" (m.public_id) "/remove" } {
                        (v.csrf())
                        span { (m.alt_text) " " }
                        button type="submit" { (lang.t("remove_image")) span.visually-hidden { ": " (m.alt_text) } }
                    }
                }
                @if d.media.len() < 4 {
                    form method="post" enctype="multipart/form-data" action={ "/staff/drafts/" (d.public_id) "/images" } {
                        (v.csrf())
                        p {
                            label for="file" { (lang.t("image_file")) }
                            input id="file" type="file" name="file" accept="image/jpeg,image/png" required aria-describedby="file-help";
                            span.help id="file-help" { (lang.t("image_file_help")) }
                        }
                        p {
                            label for="alt" { (lang.t("alt_text")) }
                            textarea id="alt" name="alt" rows="3" required maxlength="1500" aria-describedby="alt-help" {}
                            span.help id="alt-help" { (lang.t("alt_text_help")) }
                        }
                        p { button type="submit" { (lang.t("attach_image")) } }
                    }
                }
            }
            div.actions {
                @if author && d.state.editable() {
                    p { a href={ "/staff/drafts/" (d.public_id) "/edit" } { (lang.t("edit")) } }
                }
                @if author && d.state == DraftState::Draft { (step_form(v, d, "submit", lang.t("submit"))) }
                @if author && d.state == DraftState::Submitted { (step_form(v, d, "recall", lang.t("recall"))) }
                @if author && matches!(d.state, DraftState::Draft | DraftState::Rejected | DraftState::Submitted) {
                    (step_form(v, d, "withdraw", lang.t("withdraw")))
                }
                @if d.state == DraftState::Submitted && v.has(Role::Approver) {
                    @if may_approve {
                        (step_form(v, d, "approve", lang.t("approve")))
                    } @else {
                        p.note { (lang.t("four_eyes_note")) }
                    }
                }
                @if matches!(d.state, DraftState::Submitted | DraftState::Approved) && v.has(Role::Approver) {
                    form method="post" action={ "/staff/drafts/" (d.public_id) "/step" } {
                        (v.csrf())
                        input type="hidden" name="step" value="reject";
                        input type="hidden" name="revision" value=(d.revision);
                        p {
                            label for="comment" { (lang.t("reject_comment")) }
                            textarea id="comment" name="comment" rows="3" required {}
                        }
                        p { button type="submit" { (lang.t("reject")) } }
                    }
                }
            }
        },
    )
}

pub struct AnnouncementPage<'a> {
    pub account: &'a Account,
    pub announcement: &'a Announcement,
    pub article: Markup,
    pub stats: &'a DeliveryStats,
    pub drafts: &'a [DraftRecord],
    pub error: Option<&'a str>,
}

pub fn announcement(v: &Viewer<'_>, p: AnnouncementPage<'_>) -> String {
    let lang = v.lang;
    let a = p.announcement;
    let s = p.stats;
    shell(
        lang,
        lang.t("announcement"),
        Some(v),
        html! {
            h1 { (lang.t("announcement")) " · @" (p.account.username) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            @if a.retracted_at.is_some() { p.note { (lang.t("retracted")) } }
            (p.article)
            dl {
                dt { (lang.t("published_at")) } dd { (when(a.published_at)) }
                @if p.drafts.is_empty() {
                    dt { (lang.t("author")) } dd { (lang.t("published_by_operator")) }
                }
                @for d in p.drafts {
                    dt { (lang.t("author")) } dd { a href={ "/staff/drafts/" (d.public_id) } { (person(lang, &d.author_name)) } }
                    @if let Some(r) = &d.reviewer_name { dt { (lang.t("reviewer")) } dd { (person(lang, r)) } }
                }
            }
            h2 { (lang.t("deliveries")) }
            table {
                thead { tr { th scope="col" { (lang.t("delivered")) } th scope="col" { (lang.t("pending")) } th scope="col" { (lang.t("retrying")) } th scope="col" { (lang.t("failed")) } } }
                tbody { tr { td { (s.delivered) } td { (s.pending) } td { (s.retrying) } td { (s.dead) } } }
            }
            @if !s.by_host.is_empty() {
                h3 { (lang.t("by_server")) }
                table {
                    thead { tr {
                        th scope="col" { (lang.t("relay_server")) } th scope="col" { (lang.t("delivered")) }
                        th scope="col" { (lang.t("pending")) } th scope="col" { (lang.t("retrying")) }
                        th scope="col" { (lang.t("failed")) }
                    } }
                    tbody { @for h in &s.by_host { tr {
                        td { (h.host) } td { (h.delivered) } td { (h.pending) } td { (h.retrying) } td { (h.dead) }
                    } } }
                }
            }
            @if !s.failing_hosts.is_empty() {
                h3 { (lang.t("failing_hosts")) }
                ul {
                    @for h in &s.failing_hosts {
                        li { (h.host) ": " (h.undelivered) @if let Some(e) = &h.last_error { " (" (e) ")" } }
                    }
                }
            }
            @if a.retracted_at.is_none() {
                @if v.has(Role::Author) {
                    p { a href={ "/staff/new?account=" (p.account.username) "&edit_of=" (a.public_id) } { (lang.t("propose_edit")) } }
                }
                @if v.has(Role::Approver) {
                    form method="post" action={ "/staff/accounts/" (p.account.username) "/announcements/" (a.public_id) "/retract" } {
                        (v.csrf())
                        p {
                            label for="reason" { (lang.t("retract_reason")) }
                            textarea id="reason" name="reason" rows="3" required {}
                        }
                        p { button type="submit" { (lang.t("retract")) } }
                    }
                }
            }
        },
    )
}

/// Followers per day as bars, drawn on the server (no scripts), with the same numbers as a
/// table for screen readers and for copying.
fn follower_chart(lang: Lang, history: &[(String, i64)]) -> Markup {
    let max = history.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (width, height) = (600i64, 160i64);
    let bar = (width / history.len().max(1) as i64).clamp(2, 40);
    let title = lang.t("followers_over_time");
    html! {
        section {
            h2 { (title) }
            @if history.is_empty() {
                p { (lang.t("nothing_here")) }
            } @else {
                figure {
                    svg width=(width) height=(height + 20) viewBox={ "0 0 " (width) " " (height + 20) } role="img" aria-labelledby="followers-caption" xmlns="http://www.w3.org/2000/svg" {
                        @for (i, (day, n)) in history.iter().enumerate() {
                            @let h = (height * n / max).max(1);
                            rect x=(i as i64 * bar) y=(height - h) width=((bar - 1).max(1)) height=(h) fill="#1f5fa8" { title { (day) ": " (n) } }
                        }
                        text x="0" y=(height + 15) font-size="12" fill="currentColor" { (history[0].0) }
                        text x=(width) y=(height + 15) font-size="12" text-anchor="end" fill="currentColor" { (history[history.len() - 1].0) ": " (history[history.len() - 1].1) }
                    }
                    figcaption id="followers-caption" { (title) ": " (history[history.len() - 1].1) }
                }
                details {
                    summary { (lang.t("as_table")) }
                    table {
                        thead { tr { th scope="col" { (lang.t("day")) } th scope="col" { (lang.t("followers")) } } }
                        tbody { @for (day, n) in history { tr { td { (day) } td { (n) } } } }
                    }
                }
            }
        }
    }
}

pub fn account(
    v: &Viewer<'_>,
    account: &Account,
    announcements: &[Announcement],
    history: &[(String, i64)],
) -> String {
    let lang = v.lang;
    shell(
        lang,
        &account.display_name,
        Some(v),
        html! {
            h1 { (account.display_name) " · @" (account.username) }
            (follower_chart(lang, history))
            h2 { (lang.t("announcements")) }
            ul {
                @for a in announcements {
                    li {
                        a href={ "/staff/accounts/" (account.username) "/announcements/" (a.public_id) } { (excerpt(&a.body.source_text)) }
                        " — " (when(a.published_at))
                    }
                }
            }
            @if announcements.is_empty() { p { (lang.t("nothing_here")) } }
        },
    )
}

pub fn audit_trail(
    v: &Viewer<'_>,
    rows: &[&AuditRecord],
    total: usize,
    (action, from, to): (&str, &str, &str),
) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("audit_trail"),
        Some(v),
        html! {
            h1 { (lang.t("audit_trail")) }
            p { (lang.t("audit_intro")) }
            form method="get" action="/staff/audit" {
                p {
                    label for="action" { (lang.t("action")) }
                    input id="action" name="action" value=(action) aria-describedby="action-help";
                    span.help id="action-help" { (lang.t("action_help")) }
                }
                p { label for="from" { (lang.t("from_day")) } input id="from" type="date" name="from" value=(from); }
                p { label for="to" { (lang.t("to_day")) } input id="to" type="date" name="to" value=(to); }
                p { button type="submit" { (lang.t("filter")) } }
            }
            // Exports are POSTs: each is recorded in the trail, so no other site may start one.
            form method="post" action="/staff/audit/export" {
                (v.csrf())
                input type="hidden" name="action" value=(action);
                input type="hidden" name="from" value=(from);
                input type="hidden" name="to" value=(to);
                button type="submit" name="format" value="csv" { (lang.t("export_csv")) }
                " "
                button type="submit" name="format" value="json" { (lang.t("export_json")) }
            }
            p { a href="/staff/ropa" { (lang.t("ropa")) } }
            p { (lang.t("showing")) " " (rows.len()) " " (lang.t("of_total")) " " (total) "." }
            table.audit {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { (lang.t("when")) } th scope="col" { (lang.t("who")) }
                    th scope="col" { (lang.t("action")) } th scope="col" { (lang.t("subject")) } th scope="col" { (lang.t("details")) }
                } }
                tbody {
                    @for e in rows {
                        tr {
                            td { (e.leaf.seq) } td { (when(e.leaf.at)) } td { (e.leaf.actor) } td { (e.leaf.action) }
                            td { (e.leaf.subject) }
                            td { code { (e.payload.as_ref().map_or(lang.t("erased"), |(_, p)| p.as_str())) } }
                        }
                    }
                }
            }
        },
    )
}

pub struct AdminPage<'a> {
    pub accounts: &'a [(Account, i64)],
    pub staff: &'a [StaffMember],
    /// What was typed into the form: username, name, description, language.
    pub form: (&'a str, &'a str, &'a str, &'a str),
    pub error: Option<&'a str>,
    pub host: &'a str,
}

pub fn admin(v: &Viewer<'_>, p: AdminPage<'_>) -> String {
    let lang = v.lang;
    let (username, name, summary, language) = p.form;
    shell(
        lang,
        lang.t("administration"),
        Some(v),
        html! {
            h1 { (lang.t("administration")) }
            h2 { (lang.t("accounts")) }
            table {
                thead { tr { th scope="col" { (lang.t("account")) } th scope="col" { (lang.t("display_name")) } th scope="col" { (lang.t("followers")) } } }
                tbody { @for (a, followers) in p.accounts { tr {
                    td { a href={ "/staff/accounts/" (a.username) } { "@" (a.username) "@" (p.host) } }
                    td { (a.display_name) } td { (followers) }
                } } }
            }
            h2 { (lang.t("create_account")) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            form method="post" action="/staff/admin/accounts" {
                (v.csrf())
                p {
                    label for="username" { (lang.t("username")) }
                    input id="username" name="username" value=(username) required maxlength="30" aria-describedby="username-help";
                    span.help id="username-help" { (lang.t("username_help")) }
                }
                p { label for="name" { (lang.t("display_name")) } input id="name" name="name" value=(name) required maxlength="100"; }
                p { label for="summary" { (lang.t("description")) } textarea id="summary" name="summary" rows="3" maxlength="500" { (summary) } }
                p {
                    label for="account-language" { (lang.t("account_language")) }
                    input id="account-language" name="language" value=(language) required size="8" aria-describedby="account-language-help";
                    span.help id="account-language-help" { (lang.t("account_language_help")) }
                }
                p { button type="submit" { (lang.t("create_account")) } }
            }
            h2 { (lang.t("staff_members")) }
            table {
                thead { tr { th scope="col" { (lang.t("who")) } th scope="col" { (lang.t("roles")) } th scope="col" { (lang.t("last_sign_in")) } } }
                tbody { @for m in p.staff { tr {
                    td { (person(lang, &m.name)) } td { (m.roles.to_string()) } td { (when(m.last_sign_in_at)) }
                } } }
            }
            p { a href="/staff/ropa" { (lang.t("ropa")) } }
        },
    )
}

pub struct RelayPage<'a> {
    pub inbox: &'a str,
    pub mode: &'a str,
    pub subscribers: &'a [Subscriber],
    pub publishers: &'a [String],
    pub blocks: &'a [String],
    pub error: Option<&'a str>,
}

/// One button that posts an action on the relay page.
fn relay_button(v: &Viewer<'_>, action: &str, target: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action="/staff/relay" {
            (v.csrf())
            input type="hidden" name="action" value=(action);
            input type="hidden" name="target" value=(target);
            button type="submit" { (label) }
        }
    }
}

pub fn relay(v: &Viewer<'_>, p: RelayPage<'_>) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("relay"),
        Some(v),
        html! {
            h1 { (lang.t("relay")) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            p { (lang.t("relay_intro")) " " code { (p.inbox) } }
            p { (lang.t("relay_mode")) ": " (p.mode) }
            h2 { (lang.t("relay_subscribers")) }
            @if p.subscribers.is_empty() { p { (lang.t("nothing_here")) } } @else {
                table {
                    thead { tr {
                        th scope="col" { (lang.t("relay_server")) } th scope="col" { (lang.t("state")) }
                        th scope="col" { (lang.t("relay_style")) } th scope="col" { (lang.t("relay_since")) }
                        th scope="col" { (lang.t("action")) }
                    } }
                    tbody { @for s in p.subscribers { tr {
                        td { (s.host) br; small { (s.actor_uri) } }
                        td { (lang.t(match s.state {
                            SubscriptionState::Pending => "relay_state_pending",
                            SubscriptionState::Active => "relay_state_active",
                            SubscriptionState::Suspended => "relay_state_suspended",
                        })) }
                        td { (s.style.as_str()) } td { (when(s.created_at)) }
                        td {
                            @match s.state {
                                SubscriptionState::Pending => { (relay_button(v, "approve", &s.actor_uri, lang.t("approve"))) }
                                SubscriptionState::Suspended => { (relay_button(v, "resume", &s.actor_uri, lang.t("relay_resume"))) }
                                SubscriptionState::Active => {}
                            }
                            (relay_button(v, "reject", &s.actor_uri, lang.t("relay_end")))
                        }
                    } } }
                }
            }
            h2 { (lang.t("relay_publishers")) }
            p { (lang.t("relay_publishers_help")) }
            ul { @for entry in p.publishers { li { (entry) " " (relay_button(v, "remove_publisher", entry, lang.t("relay_remove"))) } } }
            form method="post" action="/staff/relay" {
                (v.csrf())
                input type="hidden" name="action" value="add_publisher";
                p {
                    label for="publisher" { (lang.t("relay_publisher")) }
                    input id="publisher" name="target" required maxlength="500";
                }
                p { button type="submit" { (lang.t("relay_add_publisher")) } }
            }
            h2 { (lang.t("relay_blocks")) }
            p { (lang.t("relay_blocks_help")) }
            ul { @for domain in p.blocks { li { (domain) " " (relay_button(v, "unblock", domain, lang.t("relay_unblock"))) } } }
            form method="post" action="/staff/relay" {
                (v.csrf())
                input type="hidden" name="action" value="block";
                p {
                    label for="domain" { (lang.t("relay_domain")) }
                    input id="domain" name="target" required maxlength="253";
                }
                p { button type="submit" { (lang.t("relay_block")) } }
            }
        },
    )
}

/// The compliance report, inside the staff pages (their stylesheet, their navigation).
pub fn report(v: &Viewer<'_>, r: &herold_compliance::report::Report) -> String {
    use herold_compliance::report;
    let tr = |key: &str| v.lang.t(key);
    shell(v.lang, &report::report_title(r, &tr), Some(v), report::report_body(r, &tr))
}

/// The record of processing, inside the staff pages.
pub fn ropa(v: &Viewer<'_>, r: &herold_compliance::report::Ropa) -> String {
    use herold_compliance::report;
    let tr = |key: &str| v.lang.t(key);
    shell(v.lang, &report::ropa_title(r, &tr), Some(v), report::ropa_body(r, &tr))
}

pub fn dsar(v: &Viewer<'_>, subject: &str, error: Option<&str>, erased: Option<&str>) -> String {
    let lang = v.lang;
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
                pre { (done) }
            }
            p { (lang.t("dsar_intro")) }
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
                p { button type="submit" { (lang.t("erase_data")) } }
            }
        },
    )
}
