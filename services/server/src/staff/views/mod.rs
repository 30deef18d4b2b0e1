//! Staff pages: server-rendered, usable without JavaScript, one local stylesheet, every
//! form field labelled, every form carrying its CSRF token.

use herold_domain::presence::ReplyAudience;
use herold_domain::workflow::{DraftState, Role};
use herold_domain::Zone;
use herold_publishing::editorial::{HistoryEntry, Review};
use herold_store::{
    Account, Announcement, AuditRecord, DeliveryStats, DraftKind, DraftRecord, StaffMember, StaffSession,
    Subscriber, SubscriptionState,
};
use maud::{html, Markup, DOCTYPE};

use super::i18n::Lang;

mod admin;
mod archive;
mod deliveries;
mod dialogue;
mod notifications;
mod oversight;
mod profile;
mod workflow;

pub use admin::*;
pub use archive::*;
pub use deliveries::*;
pub use dialogue::*;
pub use notifications::*;
pub use oversight::*;
pub use profile::*;
pub use workflow::*;

/// Who is looking, for the page header and the forms.
pub struct Viewer<'a> {
    pub session: &'a StaffSession,
    pub lang: Lang,
    /// The reader's clock (their own zone, else the organisation's).
    pub zone: &'a Zone,
    /// Messages from citizens waiting for the press office (for authors and approvers).
    pub open_messages: i64,
    /// Their unread notifications.
    pub unread: i64,
    /// What their last step did, said once (a catalogue key of `DONE`).
    pub done: Option<&'static str>,
    /// Their organisation has a logo (`/static/brand/<org>/logo`).
    pub logo: bool,
}

/// What a step can have done, said on the page it leads to: its code, and the catalogue key
/// that says it.
pub const DONE: &[(&str, &str)] = &[
    ("saved", "done_saved"),
    ("submit", "done_submit"),
    ("recall", "done_recall"),
    ("withdraw", "done_withdraw"),
    ("approve", "done_approve"),
    ("reject", "done_reject"),
    ("reschedule", "done_reschedule"),
    ("image_attached", "done_image_attached"),
    ("image_removed", "done_image_removed"),
    ("retracted", "done_retracted"),
    ("requeued", "done_requeued"),
    ("given_up", "done_given_up"),
    ("request_registered", "done_request_registered"),
    ("request_closed", "done_request_closed"),
    ("request_extended", "done_request_extended"),
    ("account_retired", "done_account_retired"),
    ("message_assigned", "done_message_assigned"),
    ("message_unassigned", "done_message_unassigned"),
    ("message_marked", "done_message_marked"),
    ("sender_blocked", "done_sender_blocked"),
    ("server_blocked", "done_server_blocked"),
    ("sender_unblocked", "done_sender_unblocked"),
    ("message_reported", "done_message_reported"),
    ("reply_shown", "done_reply_shown"),
    ("reply_hidden", "done_reply_hidden"),
];

impl Viewer<'_> {
    /// A moment in the reader's words, on their clock.
    fn when(&self, at: i64) -> Markup {
        herold_publishing::pages::time(&|key| self.lang.t(key), self.zone, at)
    }

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
                @if viewer.is_some() { script src="/static/compose.js" defer {} }
            }
            body {
                a.skip href="#main" { (lang.t("skip")) }
                header {
                    p.site {
                        @match viewer {
                            // The body whose workspace it is, with the product's name beside it.
                            // The logo is beside the name it stands for: it adds nothing to read.
                            Some(v) => {
                                a href="/staff" {
                                    @if v.logo { img.logo src={ "/static/brand/" (v.session.staff.org_slug) "/logo" } alt=""; }
                                    (v.session.staff.org_name)
                                }
                                " " span.product { "· Herold" }
                            },
                            None => a href="/" { "Herold" },
                        }
                    }
                    @if let Some(v) = viewer {
                        nav aria-label=(lang.t("dashboard")) {
                            ul.inline {
                                li { a href="/staff" { (lang.t("dashboard")) } }
                                li {
                                    a href="/staff/notifications" {
                                        (lang.t("notifications"))
                                        @if v.unread > 0 {
                                            " " span.count { (lang.t("unread_count").replace("{n}", &v.unread.to_string())) }
                                        }
                                    }
                                }
                                @if v.has(Role::Author) { li { a href="/staff/new" { (lang.t("new_announcement")) } } }
                                li { a href="/staff/announcements" { (lang.t("archive")) } }
                                @if v.has(Role::Author) || v.has(Role::Approver) {
                                    li {
                                        a href="/staff/dialogue" {
                                            (lang.t("dialogue"))
                                            @if v.open_messages > 0 {
                                                " " span.count { (lang.t("dialogue_open_count").replace("{n}", &v.open_messages.to_string())) }
                                            }
                                        }
                                    }
                                }
                                @if v.has(Role::Auditor) { li { a href="/staff/audit" { (lang.t("audit_trail")) } } }
                                @if v.has(Role::Auditor) { li { a href="/staff/report" { (lang.t("compliance_report")) } } }
                                @if v.has(Role::Auditor) { li { a href="/staff/dsar" { (lang.t("subject_requests")) } } }
                                @if v.has(Role::OrgAdmin) { li { a href="/staff/admin" { (lang.t("administration")) } } }
                                @if v.operates_instance() { li { a href="/staff/relay" { (lang.t("relay")) } } }
                                @if v.operates_instance() { li { a href="/staff/deliveries" { (lang.t("deliveries_queue")) } } }
                            }
                        }
                        form.signout method="post" action="/logout" {
                            (v.csrf())
                            span { (lang.t("signed_in_as")) " " strong { (v.session.staff.name) } " (" (v.session.staff.org_slug) ") " }
                            a href="/staff/settings" { (lang.t("settings")) }
                            " "
                            button type="submit" { (lang.t("sign_out")) }
                        }
                    }
                }
                main id="main" {
                    @if let Some(key) = viewer.and_then(|v| v.done) {
                        p.success role="status" { (lang.t(key)) }
                    }
                    (body)
                }
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

/// A refusal or failure for someone signed in: inside the workspace, with its navigation,
/// not on a dead end (the browser's back button keeps what they typed).
pub fn problem(v: &Viewer<'_>, text: &str) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("error_title"),
        Some(v),
        html! {
            h1 { (lang.t("error_title")) }
            p role="alert" { (text) }
            p { (lang.t("problem_help")) " " a href="/staff" { (lang.t("dashboard")) } }
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

/// A wide table in a region of its own that scrolls sideways on a narrow screen, as data
/// tables may under WCAG 1.4.10, so that words stay whole instead of breaking letter by
/// letter; focusable, so that keyboards scroll it too.
fn scrolling(label: &str, table: Markup) -> Markup {
    html! { div.table-scroll role="region" aria-label=(label) tabindex="0" { (table) } }
}

fn draft_list(v: &Viewer<'_>, heading: &str, drafts: &[DraftRecord]) -> Markup {
    let lang = v.lang;
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
                            @if let Some(at) = d.content.publish_at { ", " (lang.t("scheduled_for")) " " (v.when(at)) }
                        }
                    }
                }
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    herold_publishing::pages::excerpt(text.lines().next().unwrap_or(""), 80)
}
