//! The writing and approving pages: the dashboard, compose, a submission, an announcement
//! and an account.

use herold_domain::TextTemplate;
use herold_store::ReactionDay;
use maud::PreEscaped;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::*;

pub struct Dashboard<'a> {
    pub accounts: &'a [Account],
    pub mine: &'a [DraftRecord],
    pub queue: &'a [DraftRecord],
    pub scheduled: &'a [DraftRecord],
    pub recent: &'a [Announcement],
    /// Profile changes waiting for approval.
    pub profiles: &'a [herold_store::ProfileProposal],
}

pub fn dashboard(v: &Viewer<'_>, d: Dashboard<'_>) -> String {
    let lang = v.lang;
    let roles: Vec<&str> = v.session.roles.iter().map(|r| lang.t(&format!("role_{}", r.as_str()))).collect();
    shell(
        lang,
        lang.t("dashboard"),
        Some(v),
        html! {
            h1 { (lang.t("dashboard")) }
            p { (lang.t("roles")) ": " (roles.join(", ")) }
            @if v.has(Role::Author) { (draft_list(v, lang.t("my_drafts"), d.mine)) }
            (draft_list(v, lang.t("queue"), d.queue))
            @if !d.profiles.is_empty() && (v.has(Role::Approver) || v.has(Role::OrgAdmin)) {
                section {
                    h2 { (lang.t("profile_changes_waiting")) }
                    ul.drafts {
                        @for p in d.profiles {
                            li { a href={ "/staff/accounts/" (p.username) "/profile" } { (lang.t("profile_of")) " @" (p.username) } ", " (v.when(p.created_at)) }
                        }
                    }
                }
            }
            (draft_list(v, lang.t("scheduled"), d.scheduled))
            section {
                h2 { (lang.t("recent")) }
                @if d.recent.is_empty() { p { (lang.t("nothing_here")) } }
                ul.drafts {
                    @for a in d.recent {
                        @if let Some(account) = d.accounts.iter().find(|acc| acc.id == a.account_id) {
                            (announcement_item(v, account, a))
                        }
                    }
                }
            }
            section {
                h2 { (lang.t("accounts")) }
                ul {
                    @for a in d.accounts {
                        li {
                            a href={ "/staff/accounts/" (a.username) } { (a.display_name) } " @" (a.username)
                            @if v.has(Role::Approver) || v.has(Role::OrgAdmin) {
                                " · " a href={ "/staff/accounts/" (a.username) "/profile" } { (lang.t("profile")) span.visually-hidden { " @" (a.username) } }
                            }
                        }
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
    /// Who may reply, as chosen (`""`: as the organisation decided, which is `org_replies`).
    pub replies: &'a str,
    pub org_replies: ReplyAudience,
    pub publish_at: &'a str,
    /// Up to two further language versions: (language, text).
    pub versions: [(&'a str, &'a str); 2],
    /// Saving changes to this draft instead of making a new one.
    pub draft: Option<&'a str>,
    /// Proposing a change to this published announcement.
    pub edit_of: Option<&'a str>,
    /// Answering this citizen's message.
    pub answering: Option<&'a herold_store::Message>,
    /// The organisation's templates (for answers while answering, else for announcements),
    /// and the one chosen.
    pub templates: &'a [TextTemplate],
    pub template: &'a str,
    /// The organisation's policy lets an approver approve their own answer.
    pub answer_alone: bool,
    /// `account` is the one the person last wrote for (the form says so).
    pub remembered: bool,
    /// The descriptions typed for the images, kept when a refused form comes back.
    pub alts: [&'a str; COMPOSE_IMAGES],
    /// A file was chosen in one of the further image slots of the form that came back.
    pub more_images: bool,
    pub error: Option<&'a str>,
}

/// The languages the compose form offers by name: the EU's official ones, and those of
/// large communities public bodies also write for. Any other code can be typed.
const OFFERED_LANGUAGES: [&str; 28] = [
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt",
    "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ar", "ru", "tr", "uk",
];

fn language_name(lang: Lang, code: &str) -> &'static str {
    match code {
        "bg" => lang.t("language_name_bg"),
        "cs" => lang.t("language_name_cs"),
        "da" => lang.t("language_name_da"),
        "de" => lang.t("language_name_de"),
        "el" => lang.t("language_name_el"),
        "en" => lang.t("language_name_en"),
        "es" => lang.t("language_name_es"),
        "et" => lang.t("language_name_et"),
        "fi" => lang.t("language_name_fi"),
        "fr" => lang.t("language_name_fr"),
        "ga" => lang.t("language_name_ga"),
        "hr" => lang.t("language_name_hr"),
        "hu" => lang.t("language_name_hu"),
        "it" => lang.t("language_name_it"),
        "lt" => lang.t("language_name_lt"),
        "lv" => lang.t("language_name_lv"),
        "mt" => lang.t("language_name_mt"),
        "nl" => lang.t("language_name_nl"),
        "pl" => lang.t("language_name_pl"),
        "pt" => lang.t("language_name_pt"),
        "ro" => lang.t("language_name_ro"),
        "sk" => lang.t("language_name_sk"),
        "sl" => lang.t("language_name_sl"),
        "sv" => lang.t("language_name_sv"),
        "ar" => lang.t("language_name_ar"),
        "ru" => lang.t("language_name_ru"),
        "tr" => lang.t("language_name_tr"),
        "uk" => lang.t("language_name_uk"),
        _ => "",
    }
}

/// The offered languages, named in the reader's language, for the form's language fields.
fn language_list(lang: Lang) -> Markup {
    let mut named: Vec<(&str, &str)> =
        OFFERED_LANGUAGES.iter().map(|c| (*c, language_name(lang, c))).collect();
    // Umlauts sort with their vowel, as German dictionaries do.
    let key = |name: &str| name.replace('ä', "a").replace('ö', "o").replace('ü', "u");
    named.sort_by_key(|(_, name)| key(name));
    html! {
        datalist id="languages" {
            @for (code, name) in named { option value=(code) label=(name) { (name) } }
        }
    }
}

pub fn compose(v: &Viewer<'_>, f: ComposeForm<'_>) -> String {
    let lang = v.lang;
    let action = match f.draft {
        Some(id) => format!("/staff/drafts/{id}"),
        None => "/staff/drafts".to_owned(),
    };
    let title = match (f.edit_of, f.answering) {
        (Some(_), _) => lang.t("kind_edit"),
        (None, Some(_)) => lang.t("answer_title"),
        (None, None) => lang.t("new_announcement"),
    };
    // Where this browser keeps what is typed until it is saved (see compose.js).
    let keep = match (f.draft, f.edit_of, f.answering) {
        (Some(id), _, _) => format!("draft:{id}"),
        (None, Some(id), _) => format!("edit:{id}"),
        (None, None, Some(m)) => format!("answer:{}", m.public_id),
        (None, None, None) => "new".to_owned(),
    };
    shell(
        lang,
        title,
        Some(v),
        html! {
            h1 { (title) }
            @if let Some(e) = f.error { p.error role="alert" id="form-error" { (e) } }
            @if let Some(m) = f.answering {
                section aria-labelledby="answering" {
                    h2 id="answering" { (lang.t("answering")) }
                    p.meta { (lang.t("message_from")) " " (m.sender_uri) " · " (v.when(m.received_at)) }
                    div.message-text lang=[m.language.as_deref()] { (m.content) }
                    p.help { (lang.t(if f.answer_alone { "answer_help_alone" } else { "answer_help" })) }
                }
            }
            @if !f.templates.is_empty() {
                form method="get" action="/staff/new" {
                    @if let Some(m) = f.answering { input type="hidden" name="answer" value=(m.public_id); }
                    @if f.answering.is_none() && !f.account.is_empty() { input type="hidden" name="account" value=(f.account); }
                    p {
                        label for="template" { (lang.t("template_start")) }
                        " "
                        select id="template" name="template" {
                            option value="" { (lang.t("template_none")) }
                            @for t in f.templates {
                                option value=(t.name) selected[t.name == f.template] { (t.name) }
                            }
                        }
                        " "
                        button type="submit" { (lang.t("template_use")) }
                    }
                    p.help { (lang.t("template_help")) }
                }
            }
            // A new announcement or answer brings its images here. A draft's images, and a
            // change's (it starts with the published ones), are kept on the draft's page, which
            // knows how many more fit.
            @let with_image = f.draft.is_none() && f.edit_of.is_none();
            form method="post" action=(action) enctype=[with_image.then_some("multipart/form-data")] data-keep=(keep) data-kept-text=(lang.t("kept_text"))
                data-kept-restore=(lang.t("kept_restore")) data-kept-discard=(lang.t("kept_discard"))
                data-count-text=(lang.t("count_text")) data-count-over=(lang.t("count_over")) {
                (v.csrf())
                @if let Some(edit_of) = f.edit_of { input type="hidden" name="edit_of" value=(edit_of); }
                @if let Some(m) = f.answering { input type="hidden" name="answer" value=(m.public_id); }
                @if f.draft.is_some() || f.edit_of.is_some() || f.answering.is_some() {
                    input type="hidden" name="account" value=(f.account);
                    p { (lang.t("account")) ": @" (f.account) }
                } @else {
                    p {
                        label for="account" { (lang.t("account")) }
                        select id="account" name="account" required aria-describedby=[f.remembered.then_some("account-help")] {
                            // With several accounts nothing is chosen for the author but the
                            // one they last wrote for, and the form says so: a silent
                            // default sends drafts to the wrong one.
                            @let only = f.accounts.len() == 1;
                            @if !only {
                                option value="" selected[f.account.is_empty()] { (lang.t("choose_account")) }
                            }
                            @for a in f.accounts {
                                option value=(a.username) selected[a.username == f.account || only] { (a.display_name) " (@" (a.username) ")" }
                            }
                        }
                        @if f.remembered { span.help id="account-help" { (lang.t("account_remembered")) } }
                    }
                }
                p {
                    label for="text" { (lang.t("text")) }
                    textarea id="text" name="text" rows="8" required maxlength="5000" aria-describedby="text-help" data-count { (f.text) }
                    span.help id="text-help" { (lang.t("text_help")) }
                }
                p {
                    label for="language" { (lang.t("language")) }
                    input id="language" name="language" value=(f.language) required size="8" list="languages" aria-describedby="language-help";
                    (language_list(lang))
                    span.help id="language-help" { (lang.t("language_help")) }
                }
                @for (i, (code, text)) in f.versions.iter().enumerate() {
                    fieldset {
                        legend { (lang.t("translation")) }
                        p {
                            label for={ "translation_language_" (i + 1) } { (lang.t("language")) }
                            input id={ "translation_language_" (i + 1) } name={ "translation_language_" (i + 1) } value=(code) size="8" list="languages";
                        }
                        p {
                            label for={ "translation_text_" (i + 1) } { (lang.t("text")) }
                            textarea id={ "translation_text_" (i + 1) } name={ "translation_text_" (i + 1) } rows="5" maxlength="5000" data-count { (text) }
                        }
                    }
                }
                p {
                    label for="summary" { (lang.t("content_warning")) }
                    input id="summary" name="summary" value=(f.summary) maxlength="500";
                }
                @if with_image {
                    (image_slot(lang, 1, f.alts[0]))
                    // Most announcements have one image or none: the further slots wait
                    // behind a summary, open when the form comes back with one used.
                    details open[f.more_images || f.alts[1..].iter().any(|a| !a.is_empty())] {
                        summary { (lang.t("images_more")) }
                        @for n in 2..=COMPOSE_IMAGES { (image_slot(lang, n, f.alts[n - 1])) }
                    }
                }
                p {
                    input id="urgent" type="checkbox" name="urgent" value="on" checked[f.urgent];
                    " "
                    label for="urgent" { (lang.t("urgent")) }
                }
                p {
                    label for="replies" { (lang.t("replies")) }
                    select id="replies" name="replies" aria-describedby="replies-help" {
                        option value="" selected[f.replies.is_empty()] { (replies_default(lang, f.org_replies)) }
                        @for audience in ReplyAudience::ALL {
                            option value=(audience.as_str()) selected[f.replies == audience.as_str()] { (replies_label(lang, audience)) }
                        }
                    }
                    span.help id="replies-help" { (lang.t("replies_help")) }
                }
                p {
                    label for="publish_at" { (lang.t("publish_at")) }
                    input id="publish_at" type="datetime-local" name="publish_at" value=(f.publish_at) aria-describedby="publish-help";
                    span.help id="publish-help" { (lang.t("publish_at_help").replace("{zone}", v.zone.name())) }
                }
                p { button type="submit" { (if f.draft.is_some() { lang.t("save_changes") } else { lang.t("save_draft") }) } }
            }
        },
    )
}

/// The session ended while someone wrote: what they typed, kept, with the way back. The
/// sign-in opens in a new tab so that this page, with the text, stays.
pub fn session_ended(lang: Lang, action: &str, text: &str, kept: &[(&str, &str)]) -> String {
    shell(
        lang,
        lang.t("session_ended"),
        None,
        html! {
            h1 { (lang.t("session_ended")) }
            p role="alert" { (lang.t("session_ended_text")) }
            ol {
                li { a href="/login" target="_blank" rel="noopener" { (lang.t("session_ended_sign_in")) } }
                li { (lang.t("session_ended_return")) }
            }
            form method="post" action=(action) {
                @for (name, value) in kept { input type="hidden" name=(name) value=(value); }
                p {
                    label for="text" { (lang.t("text")) }
                    textarea id="text" name="text" rows="8" required maxlength="5000" { (text) }
                }
                p.help { (lang.t("session_ended_kept")) }
                p { button.primary type="submit" { (lang.t("save_again")) } }
            }
        },
    )
}

/// Withdrawing, asked once more: what it does, and the button that does it.
pub fn confirm_withdraw(v: &Viewer<'_>, d: &DraftRecord, kept_days: Option<i64>) -> String {
    let lang = v.lang;
    let title = lang.t("withdraw_title");
    shell(
        lang,
        title,
        Some(v),
        html! {
            h1 { (title) }
            p { "„" (excerpt(&d.content.source_text)) "“ · @" (d.account_username) }
            p {
                (lang.t("withdraw_explained")) " "
                @match kept_days {
                    Some(days) => (lang.t("withdraw_kept").replace("{days}", &days.to_string())),
                    None => (lang.t("withdraw_kept_while_needed")),
                }
            }
            form method="post" action={ "/staff/drafts/" (d.public_id) "/step" } {
                (v.csrf())
                input type="hidden" name="step" value="withdraw";
                input type="hidden" name="revision" value=(d.revision);
                input type="hidden" name="confirm" value="yes";
                p {
                    button.primary type="submit" { (lang.t("withdraw")) }
                    " "
                    a href={ "/staff/drafts/" (d.public_id) } { (lang.t("keep_it")) }
                }
            }
        },
    )
}

/// One step as a button; the step the page exists for is the primary one.
fn step_form(v: &Viewer<'_>, d: &DraftRecord, step: &str, label: &str, primary: bool) -> Markup {
    html! {
        form.inline method="post" action={ "/staff/drafts/" (d.public_id) "/step" } {
            (v.csrf())
            input type="hidden" name="step" value=(step);
            input type="hidden" name="revision" value=(d.revision);
            button.primary[primary] type="submit" { (label) }
        }
    }
}

pub struct DraftPage<'a> {
    pub review: &'a Review,
    /// Who may reply where the draft leaves it to the organisation.
    pub org_replies: ReplyAudience,
    pub preview: Markup,
    pub four_eyes: bool,
    /// The time in the reschedule form, as the reader's clock shows it.
    pub rescheduling: &'a str,
    pub error: Option<&'a str>,
}

pub fn draft(v: &Viewer<'_>, p: DraftPage<'_>) -> String {
    let lang = v.lang;
    let d = &p.review.draft;
    let mine = d.author_id == v.session.staff.id;
    let author = mine && v.has(Role::Author);
    let may_approve = v.has(Role::Approver) && (!p.four_eyes || !mine);
    let decided = matches!(d.state, DraftState::Submitted | DraftState::Approved);
    shell(
        lang,
        lang.t("submission"),
        Some(v),
        html! {
            h1 { (lang.t("submission")) ": " (if d.kind == DraftKind::Edit { lang.t("kind_edit") } else { lang.t("kind_create") }) }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            dl {
                dt { (lang.t("state")) } dd { (state_label(lang, d.state)) }
                dt { (lang.t("account")) } dd { (p.review.account.display_name) " (@" (d.account_username) ")" }
                dt { (lang.t("author")) } dd { (person(lang, &d.author_name)) }
                @if let Some(r) = &d.reviewer_name { dt { (lang.t("reviewer")) } dd { (person(lang, r)) } }
                @if let Some(c) = &d.review_comment { dt { (lang.t("review_comment")) } dd { (c) } }
                @if let Some(at) = d.content.publish_at { dt { (lang.t("scheduled_for")) } dd { (v.when(at)) } }
                @if let Some(post) = &d.content.in_reply_to {
                    dt { (lang.t("in_reply_to")) } dd { a href=(post) rel="noreferrer" { (post) } }
                }
                dt { (lang.t("replies")) }
                dd {
                    @match d.content.reply_audience.as_deref().and_then(ReplyAudience::parse) {
                        Some(chosen) => (replies_label(lang, chosen)),
                        None => (replies_default(lang, p.org_replies)),
                    }
                }
                @if let (DraftState::Published, Some(id)) = (d.state, &d.announcement_public_id) {
                    dt { (lang.t("announcement")) }
                    dd { a href={ "/staff/accounts/" (d.account_username) "/announcements/" (id) } { (lang.t("open_announcement")) } }
                }
            }
            @if let Some(current) = &p.review.current { (changes(v, current, d)) }
            h2 { (lang.t("preview")) }
            div.preview { (p.preview) }
            (images(v, d, author && d.state.editable()))
            (history(v, &p.review.history))
            @if decided { (on_approval(v, p.review)) }
            div.actions {
                @if author && d.state.editable() {
                    p { a href={ "/staff/drafts/" (d.public_id) "/edit" } { (lang.t("edit")) } }
                }
                @if d.state == DraftState::Submitted && v.has(Role::Approver) {
                    @if may_approve {
                        (step_form(v, d, "approve", lang.t("approve"), true))
                    } @else {
                        p.note { (lang.t("four_eyes_note")) }
                    }
                }
                @if author && d.state == DraftState::Draft { (step_form(v, d, "submit", lang.t("submit"), true)) }
                @if author && d.state == DraftState::Submitted { (step_form(v, d, "recall", lang.t("recall"), false)) }
                @if author && matches!(d.state, DraftState::Draft | DraftState::Rejected | DraftState::Submitted) {
                    // Asked first: a withdrawn submission leaves every list.
                    p { a href={ "/staff/drafts/" (d.public_id) "/withdraw" } { (lang.t("withdraw")) "…" } }
                }
                // The time is part of what was approved, so moving it is an approver's step
                // of its own, apart from stopping it.
                @if d.state == DraftState::Approved && may_approve {
                    form method="post" action={ "/staff/drafts/" (d.public_id) "/reschedule" } {
                        (v.csrf())
                        p {
                            label for="reschedule-at" { (lang.t("reschedule_at")) }
                            input id="reschedule-at" type="datetime-local" name="publish_at" value=(p.rescheduling) required aria-describedby="reschedule-help";
                            span.help id="reschedule-help" { (lang.t("reschedule_help").replace("{zone}", v.zone.name())) }
                        }
                        p { button type="submit" { (lang.t("reschedule")) } }
                    }
                }
                // A reviewer rejects; the author of a submission under four eyes takes it back
                // instead. An approved one waiting for its time may still be stopped.
                @if v.has(Role::Approver)
                    && (d.state == DraftState::Approved || (d.state == DraftState::Submitted && may_approve)) {
                    @let (button, why) = if d.state == DraftState::Approved {
                        (lang.t("stop_publication"), lang.t("stop_comment"))
                    } else {
                        (lang.t("reject"), lang.t("reject_comment"))
                    };
                    form method="post" action={ "/staff/drafts/" (d.public_id) "/step" } {
                        (v.csrf())
                        input type="hidden" name="step" value="reject";
                        input type="hidden" name="revision" value=(d.revision);
                        p {
                            label for="comment" { (why) }
                            textarea id="comment" name="comment" rows="3" required {}
                        }
                        p { button type="submit" { (button) } }
                    }
                }
            }
        },
    )
}

/// A submission as a Mastodon reader will see it in their timeline: the account's picture,
/// name and address, the content warning (which Mastodon folds, unfolded here because an
/// approver must read what is behind it), the text in its first language, the images with
/// their descriptions, and when it goes out. Mastodon shows a post's first language only,
/// so the other versions follow apart, by name, and the preview says why.
pub fn post_preview(
    v: &Viewer<'_>,
    account: &Account,
    handle: &str,
    body: &herold_store::AnnouncementBody,
    d: &DraftRecord,
) -> Markup {
    let lang = v.lang;
    let first = body.language.as_deref().unwrap_or("");
    html! {
        article.post {
            div.post-head {
                @match &account.profile.avatar {
                    Some(m) => img.avatar src={ "/media/" (m.public_id) } alt="" width="48" height="48";
                    None => span.avatar aria-hidden="true" { (account.display_name.chars().next().map_or(String::new(), |c| c.to_uppercase().collect())) },
                }
                p { strong { (account.display_name) } br; span.handle { (handle) } }
            }
            @if let Some(summary) = &body.summary {
                p.post-warning { strong { (lang.t("pub_content_warning")) ": " } (summary) }
                p.help { (lang.t("preview_folded")) }
            }
            div.content lang=[body.language.as_deref()] { (PreEscaped(&body.content_html)) }
            @if !body.attachments.is_empty() {
                ul.post-media {
                    @for m in &body.attachments {
                        li {
                            img src={ "/media/" (m.public_id) } alt=(m.alt_text) width=(m.width) height=(m.height);
                            // Seen, as Mastodon shows it; screen readers have it as the alt text.
                            p.alt aria-hidden="true" { span.badge lang="en" { "ALT" } " " (m.alt_text) }
                        }
                    }
                }
            }
            p.meta {
                @if d.content.urgent { strong.urgent { (lang.t("pub_urgent")) } " · " }
                @match d.content.publish_at {
                    Some(at) => (v.when(at)),
                    None => (lang.t("pub_when_approved")),
                }
                " · " (lang.t("preview_public"))
            }
        }
        @if !body.translations.is_empty() {
            @if !first.is_empty() {
                p.help { (lang.t("preview_first_language").replace("{language}", &language_label(lang, first))) }
            }
            @for t in &body.translations {
                section.translation lang=(t.language) aria-label=(language_label(lang, &t.language)) {
                    p.meta lang=(lang.code()) { (language_label(lang, &t.language)) }
                    div.content { (PreEscaped(&t.content_html)) }
                }
            }
        }
    }
}

/// A language by name where the compose form offers it, else by its code.
fn language_label(lang: Lang, code: &str) -> String {
    match OFFERED_LANGUAGES.contains(&code) {
        true => language_name(lang, code).to_owned(),
        false => code.to_owned(),
    }
}

/// For an edit: what changes against what followers have now, word by word.
fn changes(v: &Viewer<'_>, current: &Announcement, d: &DraftRecord) -> Markup {
    let lang = v.lang;
    let text = herold_publishing::diff::words(&current.body.source_text, &d.content.source_text);
    let (old_warning, new_warning) = (current.body.summary.as_deref(), d.content.summary.as_deref());
    html! {
        section aria-labelledby="changes" {
            h2 id="changes" { (lang.t("what_changes")) }
            p.help { (lang.t("diff_help")) }
            div.diff { (diff_markup(v, &text)) }
            @if old_warning != new_warning {
                p {
                    strong { (lang.t("pub_content_warning")) ": " }
                    (diff_markup(v, &herold_publishing::diff::words(old_warning.unwrap_or(""), new_warning.unwrap_or(""))))
                }
            }
        }
    }
}

pub(super) fn diff_markup(v: &Viewer<'_>, changes: &[herold_publishing::diff::Change]) -> Markup {
    use herold_publishing::diff::Change;
    let lang = v.lang;
    html! {
        @for c in changes {
            @match c {
                Change::Same(t) => (t),
                Change::Removed(t) => del { span.visually-hidden { "[" (lang.t("diff_removed")) "] " } (t) },
                Change::Added(t) => ins { span.visually-hidden { "[" (lang.t("diff_added")) "] " } (t) },
            }
        }
    }
}

/// How many images the compose form takes: as many as a draft may have.
pub const COMPOSE_IMAGES: usize = herold_publishing::editorial::MAX_IMAGES;

/// One image of the compose form, with its description beside it (`image_<n>`,
/// `image_alt_<n>`); the browser shows a thumbnail once a file is chosen.
fn image_slot(lang: Lang, n: usize, alt: &str) -> Markup {
    html! {
        fieldset {
            legend { (lang.t("image_numbered_optional").replace("{n}", &n.to_string())) }
            p {
                label for={ "image_" (n) } { (lang.t("image_file")) }
                input id={ "image_" (n) } type="file" name={ "image_" (n) } accept="image/jpeg,image/png"
                    aria-describedby={ "image-help-" (n) } data-thumbnail;
                span.help id={ "image-help-" (n) } { (lang.t("image_file_help")) }
            }
            p {
                label for={ "image_alt_" (n) } { (lang.t("compose_alt_text")) }
                textarea id={ "image_alt_" (n) } name={ "image_alt_" (n) } rows="3" maxlength="1500"
                    aria-describedby={ "image-alt-help-" (n) } { (alt) }
                span.help id={ "image-alt-help-" (n) } { (lang.t("alt_text_help")) }
            }
        }
    }
}

/// Every image with the description followers' screen readers will read; its author may
/// remove images and add more while it is editable.
fn images(v: &Viewer<'_>, d: &DraftRecord, editable: bool) -> Markup {
    let lang = v.lang;
    html! {
        @if !d.media.is_empty() || editable {
            section aria-labelledby="images" {
                h2 id="images" { (lang.t("images_described")) }
                @for m in &d.media {
                    figure.image {
                        // The description is the caption beside it, so the thumbnail itself is
                        // not read out twice.
                        img src={ "/media/" (m.public_id) } alt="" width=(m.width) height=(m.height);
                        figcaption {
                            strong { (lang.t("image_description")) ": " } (m.alt_text)
                            @if editable {
                                form.inline method="post" action={ "/staff/drafts/" (d.public_id) "/images/" (m.public_id) "/remove" } {
                                    (v.csrf())
                                    " "
                                    button type="submit" { (lang.t("remove_image")) span.visually-hidden { ": " (m.alt_text) } }
                                }
                            }
                        }
                    }
                }
                @if editable && d.media.len() < 4 {
                    form method="post" enctype="multipart/form-data" action={ "/staff/drafts/" (d.public_id) "/images" } {
                        (v.csrf())
                        p {
                            label for="file" { (lang.t("image_file")) }
                            input id="file" type="file" name="file" accept="image/jpeg,image/png" required aria-describedby="file-help" data-thumbnail;
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
        }
    }
}

/// Each round so far, with who took each step and what reviewers said.
fn history(v: &Viewer<'_>, entries: &[HistoryEntry]) -> Markup {
    let lang = v.lang;
    html! {
        @if !entries.is_empty() {
            section id="history" aria-labelledby="history-heading" {
                h2 id="history-heading" { (lang.t("history")) }
                ol.history {
                    @for e in entries {
                        li {
                            (v.when(e.at)) ": "
                            strong { (history_step(lang, &e.step)) }
                            " · "
                            @match &e.by {
                                Some(name) => (person(lang, name)),
                                None => (lang.t("by_herold")),
                            }
                            @if let Some(c) = &e.comment { blockquote { p { (c) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The audited steps a submission's history names in words (`history_<step>`).
pub const HISTORY_STEPS: &[&str] = &[
    "create",
    "revise",
    "submit",
    "recall",
    "withdraw",
    "approve",
    "reject",
    "reschedule",
    "attach_image",
    "detach_image",
];

fn history_step(lang: Lang, step: &str) -> &str {
    match HISTORY_STEPS.contains(&step) {
        true => lang.t(&format!("history_{step}")),
        false => step,
    }
}

/// What pressing Approve sets in motion: when, to whom, and who is notified.
fn on_approval(v: &Viewer<'_>, r: &Review) -> Markup {
    let lang = v.lang;
    let d = &r.draft;
    let fill = |text: &str| {
        text.replace("{followers}", &r.followers.to_string()).replace("{account}", &d.account_username)
    };
    let scheduled = d.content.publish_at.filter(|at| *at > herold_domain::now_millis());
    html! {
        section aria-labelledby="on-approval" {
            h2 id="on-approval" { (lang.t(if d.state == DraftState::Approved { "when_approved" } else { "on_approval" })) }
            @if d.kind == DraftKind::Edit {
                p { (fill(lang.t("edit_goes_out"))) }
            } @else if let Some(at) = scheduled {
                @let (before, after) = lang.t("goes_out_at").split_once("{time}").unwrap_or(("", ""));
                p { (fill(before)) (v.when(at)) (fill(after)) }
            } @else {
                p { (fill(lang.t("goes_out_now"))) }
            }
            @if d.content.urgent { p { strong.urgent { (lang.t("urgent")) } } }
            @if !d.content.mentions.is_empty() {
                p {
                    (lang.t("notified")) " "
                    @for (i, m) in d.content.mentions.iter().enumerate() {
                        @if i > 0 { ", " }
                        span.handle { (m.name) }
                    }
                }
            }
        }
    }
}

pub struct AnnouncementPage<'a> {
    pub account: &'a Account,
    pub announcement: &'a Announcement,
    pub article: Markup,
    pub stats: &'a DeliveryStats,
    pub drafts: &'a [DraftRecord],
    pub reactions: herold_store::Reactions,
    /// Reactions per day, as a chart.
    pub reaction_curve: Markup,
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
                dt { (lang.t("published_at")) } dd { (v.when(a.published_at)) }
                dt { (lang.t("likes")) } dd { (p.reactions.likes) }
                dt { (lang.t("boosts")) } dd { (p.reactions.boosts) }
                @if p.drafts.is_empty() {
                    dt { (lang.t("author")) } dd { (lang.t("published_by_operator")) }
                }
                @for d in p.drafts {
                    dt { (lang.t("author")) } dd { a href={ "/staff/drafts/" (d.public_id) } { (person(lang, &d.author_name)) } }
                    @if let Some(r) = &d.reviewer_name { dt { (lang.t("reviewer")) } dd { (person(lang, r)) } }
                }
            }
            (p.reaction_curve)
            h2 { (lang.t("deliveries")) }
            p.help { (lang.t("deliveries_help")) }
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
                        li {
                            (h.host) ": " (h.undelivered) " " (lang.t("undelivered"))
                            @if let Some(e) = &h.last_error {
                                ". " (lang.t(delivery_problem(e)))
                                details { summary { (lang.t("technical_detail")) } code { (e) } }
                            }
                        }
                    }
                }
            }
            @if a.retracted_at.is_none() {
                @if v.has(Role::Author) {
                    p { a href={ "/staff/new?account=" (p.account.username) "&edit_of=" (a.public_id) } { (lang.t("propose_edit")) } }
                }
                @if v.has(Role::Approver) {
                    h2 { (lang.t("pin_heading")) }
                    form method="post" action={ "/staff/accounts/" (p.account.username) "/announcements/" (a.public_id) "/pin" } {
                        (v.csrf())
                        @if let Some(since) = a.pinned_at {
                            p { (lang.t("pinned_since")) " " (v.when(since)) "." }
                            input type="hidden" name="pinned" value="false";
                            p { button type="submit" { (lang.t("unpin")) } }
                        } @else {
                            p { (lang.t("pin_hint")) }
                            input type="hidden" name="pinned" value="true";
                            p { button type="submit" { (lang.t("pin")) } }
                        }
                    }
                    h2 { (lang.t("retract")) }
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

/// What a delivery's last error means for a press officer, by words in it, first match
/// first (the catalogue key); the error itself is for the operator, behind "Technical
/// detail". Anything else is `delivery_problem_other`.
pub const DELIVERY_PROBLEMS: &[(&str, &[&str])] = &[
    ("delivery_problem_gone", &["gone", "http 410", "http 404"]),
    ("delivery_problem_redirect", &["redirect"]),
    ("delivery_problem_unavailable", &["http 5", "http 429"]),
    ("delivery_problem_refused", &["http 4", "refused the activity"]),
    ("delivery_problem_timeout", &["timed out", "timeout", "deadline"]),
    ("delivery_problem_unknown_server", &["dns", "resolve", "lookup", "no such host"]),
    ("delivery_problem_tls", &["certificate", "tls", "ssl", "handshake"]),
    ("delivery_problem_blocked", &["private", "not allowed", "blocked", "loopback"]),
    ("delivery_problem_unreachable", &["connect", "refused", "reset", "unreachable", "broken pipe"]),
];

pub(super) fn delivery_problem(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    DELIVERY_PROBLEMS
        .iter()
        .find(|(_, words)| words.iter().any(|w| e.contains(w)))
        .map_or("delivery_problem_other", |(key, _)| key)
}

/// One announcement in a staff list: linked to its page (deliveries, edits, retraction),
/// with when it went out and whether it was edited or retracted since.
fn announcement_item(v: &Viewer<'_>, account: &Account, a: &Announcement) -> Markup {
    let lang = v.lang;
    html! {
        li {
            a href={ "/staff/accounts/" (account.username) "/announcements/" (a.public_id) } {
                @if a.retracted_at.is_some() { "[" (lang.t("state_retracted")) "] " }
                (excerpt(&a.body.source_text))
            }
            " — @" (account.username) ", " (lang.t("published_on")) " " (v.when(a.published_at))
            @if let (Some(at), None) = (a.updated_at, a.retracted_at) { ", " (lang.t("pub_edited")) " " (v.when(at)) }
            @if let Some(at) = a.retracted_at { ", " (lang.t("retracted_at")) " " (v.when(at)) }
        }
    }
}

/// Values per day as bars, drawn on the server (no scripts), with the same numbers as a
/// table (`table`) for screen readers and for copying.
fn day_chart(
    lang: Lang,
    id: &str,
    title: &str,
    bars: &[(String, i64)],
    caption: &str,
    table: Markup,
) -> Markup {
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (width, height) = (600i64, 160i64);
    let bar = (width / bars.len().max(1) as i64).clamp(2, 40);
    let caption_id = format!("{id}-caption");
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (title) }
            @match (bars.first(), bars.last()) {
                // Nothing to draw: the numbers say it.
                _ if bars.iter().all(|(_, n)| *n == 0) => p { (caption) },
                (Some((first, _)), Some((last, last_n))) => {
                    figure {
                        svg width=(width) height=(height + 20) viewBox={ "0 0 " (width) " " (height + 20) } role="img" aria-labelledby=(caption_id) xmlns="http://www.w3.org/2000/svg" {
                            @for (i, (day, n)) in bars.iter().enumerate() {
                                @let h = if *n == 0 { 0 } else { (height * n / max).max(1) };
                                rect x=(i as i64 * bar) y=(height - h) width=((bar - 1).max(1)) height=(h) fill="#1f5fa8" { title { (day) ": " (n) } }
                            }
                            text x="0" y=(height + 15) font-size="12" fill="currentColor" { (first) }
                            text x=(width) y=(height + 15) font-size="12" text-anchor="end" fill="currentColor" { (last) ": " (last_n) }
                        }
                        figcaption id=(caption_id) { (caption) }
                    }
                    details {
                        summary { (lang.t("as_table")) }
                        (table)
                    }
                }
                _ => p { (lang.t("nothing_here")) },
            }
        }
    }
}

fn follower_chart(lang: Lang, history: &[(String, i64)]) -> Markup {
    let title = lang.t("followers_over_time");
    let caption = format!("{title}: {}", history.last().map_or(0, |(_, n)| *n));
    let table = html! {
        table {
            thead { tr { th scope="col" { (lang.t("day")) } th scope="col" { (lang.t("followers")) } } }
            tbody { @for (day, n) in history { tr { td { (day) } td { (n) } } } }
        }
    };
    day_chart(lang, "followers", title, history, &caption, table)
}

/// Likes and boosts that arrived per day from `since` to today, days without any included,
/// so that the bars keep time.
pub fn reaction_chart(lang: Lang, since: herold_domain::Millis, days: &[ReactionDay]) -> Markup {
    let day_of = |at: herold_domain::Millis| herold_domain::format_rfc3339(at)[..10].to_owned();
    let today = day_of(herold_domain::now_millis());
    let mut every = Vec::new();
    let mut at = since;
    loop {
        let day = day_of(at);
        let found = days.iter().find(|d| d.day == day);
        every.push((day.clone(), found.map_or(0, |d| d.likes), found.map_or(0, |d| d.boosts)));
        if day >= today || every.len() >= 400 {
            break;
        }
        at += 86_400_000;
    }
    let bars: Vec<(String, i64)> = every.iter().map(|(day, l, b)| (day.clone(), l + b)).collect();
    let (likes, boosts) = every.iter().fold((0, 0), |(l, b), (_, dl, db)| (l + dl, b + db));
    let title = lang.t("reactions_over_time");
    let caption = lang
        .t("reactions_caption")
        .replace("{likes}", &likes.to_string())
        .replace("{boosts}", &boosts.to_string());
    let table = html! {
        table {
            thead { tr {
                th scope="col" { (lang.t("day")) } th scope="col" { (lang.t("likes")) } th scope="col" { (lang.t("boosts")) }
            } }
            tbody { @for (day, l, b) in every.iter().filter(|(_, l, b)| l + b > 0) { tr { td { (day) } td { (l) } td { (b) } } } }
        }
    };
    day_chart(lang, "reactions", title, &bars, &caption, table)
}

/// What the account page's list of announcements shows.
pub struct AnnouncementList<'a> {
    /// The words searched for (empty: all).
    pub words: &'a str,
    pub page: u32,
    /// Another page follows.
    pub more: bool,
}

pub fn account(
    v: &Viewer<'_>,
    account: &Account,
    (announcements, list): (&[Announcement], AnnouncementList<'_>),
    history: &[(String, i64)],
    reactions: Markup,
    email_subscribers: Option<i64>,
) -> String {
    let lang = v.lang;
    shell(
        lang,
        &account.display_name,
        Some(v),
        html! {
            h1 { (account.display_name) " · @" (account.username) }
            (follower_chart(lang, history))
            (reactions)
            @if let Some(n) = email_subscribers {
                p { (lang.t("email_subscribers")) ": " span.count { (n) } }
            }
            h2 id="announcements" { (lang.t("announcements")) }
            form.search method="get" action={ "/staff/accounts/" (account.username) "#announcements" } role="search" {
                label for="q" { (lang.t("search_announcements")) }
                " "
                input id="q" name="q" type="search" value=(list.words) maxlength="200";
                " "
                button type="submit" { (lang.t("search")) }
            }
            @if !list.words.is_empty() {
                p role="status" { (lang.t("search_for").replace("{words}", list.words)) " " a href={ "/staff/accounts/" (account.username) } { (lang.t("search_all")) } }
            }
            ul {
                @for a in announcements { (announcement_item(v, account, a)) }
            }
            @if announcements.is_empty() { p { (lang.t("nothing_here")) } }
            @let q = utf8_percent_encode(list.words, NON_ALPHANUMERIC).to_string();
            @if list.page > 0 || list.more {
                nav aria-label=(lang.t("pages")) {
                    ul.inline {
                        @if list.page > 0 {
                            li { a href={ "/staff/accounts/" (account.username) "?q=" (q) "&page=" (list.page - 1) "#announcements" } { (lang.t("newer")) } }
                        }
                        @if list.more {
                            li { a href={ "/staff/accounts/" (account.username) "?q=" (q) "&page=" (list.page + 1) "#announcements" } { (lang.t("pub_older")) } }
                        }
                    }
                }
            }
        },
    )
}

fn replies_label(lang: Lang, audience: ReplyAudience) -> &'static str {
    match audience {
        ReplyAudience::Everyone => lang.t("replies_everyone"),
        ReplyAudience::Followers => lang.t("replies_followers"),
        ReplyAudience::Mentioned => lang.t("replies_mentioned"),
        ReplyAudience::Nobody => lang.t("replies_nobody"),
    }
}

/// The organisation's setting, named, for a draft that leaves the choice to it.
fn replies_default(lang: Lang, organisation: ReplyAudience) -> String {
    lang.t("replies_default").replace("{audience}", replies_label(lang, organisation))
}

#[cfg(test)]
mod tests {
    use super::delivery_problem;

    #[test]
    fn delivery_problems_are_told_apart_in_a_press_officers_terms() {
        for (error, key) in [
            ("HTTP 503", "delivery_problem_unavailable"),
            ("gave up after 12 attempts: HTTP 429", "delivery_problem_unavailable"),
            ("the inbox is gone", "delivery_problem_gone"),
            ("the inbox refused the activity", "delivery_problem_refused"),
            ("error sending request: connection refused", "delivery_problem_unreachable"),
            ("operation timed out", "delivery_problem_timeout"),
            ("dns error: failed to lookup address information", "delivery_problem_unknown_server"),
            ("invalid peer certificate: UnknownIssuer", "delivery_problem_tls"),
            ("something else entirely", "delivery_problem_other"),
        ] {
            assert_eq!(delivery_problem(error), key, "{error}");
        }
    }
}
