//! The dialogue inbox.

use herold_domain::Millis;
use herold_store::{DialogueFigures, HideReason, Message, MessageKind, MessageState, StaffMember};

use super::*;

pub struct DialoguePage<'a> {
    pub blocks: &'a [herold_store::Block],
    /// The list shown (a state, `all`, `mine` or `overdue`), or `message` for one message.
    pub filter: &'a str,
    pub messages: &'a [Message],
    /// The last message shown, when older ones follow.
    pub older: Option<i64>,
    pub work: MessageWork<'a>,
    /// The organisation's figures over so many days, above a list.
    pub figures: Option<(i64, &'a DialogueFigures)>,
}

/// What working on a message needs: whom it can be given to, and its deadline.
pub struct MessageWork<'a> {
    pub people: &'a [StaffMember],
    pub answer_within: Millis,
    pub now: Millis,
}

/// A duration in hours or days, in words.
fn span(lang: Lang, ms: Millis) -> String {
    let hours = (ms + 1_800_000) / 3_600_000;
    match hours {
        0 => lang.t("span_under_hour").to_owned(),
        1..=47 => lang.t("span_hours").replace("{n}", &hours.to_string()),
        _ => lang.t("span_days").replace("{n}", &((hours + 12) / 24).to_string()),
    }
}

/// The press office's figures: what came in, how fast it was answered, what is late.
fn figures(v: &Viewer<'_>, days: i64, f: &DialogueFigures, answer_within: Millis) -> Markup {
    let lang = v.lang;
    let per_day = f.received as f64 / days as f64;
    let rate = match per_day {
        0.0 => None,
        r if r < 0.1 => Some(lang.t("figures_per_day_under").to_owned()),
        // One decimal, with the reader's decimal sign.
        r => Some(
            lang.t("figures_per_day").replace("{n}", &format!("{r:.1}").replace('.', lang.t("decimal_sign"))),
        ),
    };
    let median = match f.answer_times.len() {
        0 => None,
        n if n % 2 == 1 => Some(f.answer_times[n / 2]),
        n => Some((f.answer_times[n / 2 - 1] + f.answer_times[n / 2]) / 2),
    };
    html! {
        section aria-labelledby="figures" {
            h2 id="figures" { (lang.t("dialogue_figures").replace("{days}", &days.to_string())) }
            dl.fields {
                div { dt { (lang.t("figures_received")) } dd { (f.received) @if let Some(rate) = rate { " (" (rate) ")" } } }
                div { dt { (lang.t("figures_median")) } dd {
                    @match median {
                        Some(ms) => { (span(lang, ms)) " (" (lang.t("figures_answered").replace("{n}", &f.answer_times.len().to_string())) ")" }
                        None => (lang.t("figures_none_answered")),
                    }
                } }
                div { dt { (lang.t("figures_overdue")) } dd {
                    @if f.open_past_deadline > 0 {
                        a href="/staff/dialogue?state=overdue" { (f.open_past_deadline) }
                    } @else { "0" }
                    " (" (lang.t("figures_deadline").replace("{span}", &span(lang, answer_within))) ")"
                } }
            }
        }
    }
}

/// Who has a message, when it is due, and the way to give it to someone.
fn work_on(v: &Viewer<'_>, m: &Message, work: &MessageWork<'_>, list: &str) -> Markup {
    let lang = v.lang;
    let due = m.received_at.saturating_add(work.answer_within);
    let late = m.state == MessageState::Open && due < work.now;
    html! {
        p.meta {
            @if m.state == MessageState::Open {
                (lang.t("message_due")) " " (v.when(due))
                @if late { " · " strong.overdue { (lang.t("message_overdue")) } }
                " · "
            }
            @match m.assignee_name.as_deref() {
                Some(name) => { (lang.t("message_with")) " " strong { (person(lang, name)) } }
                None => (lang.t("message_with_nobody")),
            }
        }
        form.assign method="post" action={ "/staff/dialogue/" (m.public_id) "/assign" } {
            (v.csrf())
            input type="hidden" name="filter" value=(list);
            label for={ "assignee-" (m.public_id) } { (lang.t("message_assign_to")) }
            " "
            select id={ "assignee-" (m.public_id) } name="assignee" {
                option value="" selected[m.assignee_id.is_none()] { (lang.t("message_nobody")) }
                @for p in work.people {
                    option value=(p.id) selected[m.assignee_id == Some(p.id)] {
                        (p.name) @if p.id == v.session.staff.id { " (" (lang.t("message_me")) ")" }
                    }
                }
            }
            " "
            button type="submit" { (lang.t("message_assign")) }
        }
    }
}

fn kind_label(lang: Lang, kind: MessageKind) -> &'static str {
    lang.t(&format!("message_kind_{}", kind.as_str()))
}

fn hide_reason(lang: Lang, reason: HideReason) -> &'static str {
    match reason {
        HideReason::OffTopic => lang.t("hide_off_topic"),
        HideReason::PersonalData => lang.t("hide_personal_data"),
        HideReason::Abusive => lang.t("hide_abusive"),
        HideReason::Spam => lang.t("hide_spam"),
        HideReason::Unlawful => lang.t("hide_unlawful"),
    }
}

/// Whether a reply is shown under its announcement, and for approvers the way to change it.
fn public_display(v: &Viewer<'_>, m: &Message) -> Markup {
    let lang = v.lang;
    let hidden = m.hidden_reason.as_deref().and_then(HideReason::parse);
    let offered = m.state != MessageState::Abusive;
    html! {
        section.shown aria-labelledby={ "shown-" (m.public_id) } {
            h3 id={ "shown-" (m.public_id) } { (lang.t("shown_title")) }
            @match (m.shown_at, hidden) {
                (Some(at), _) => p { (lang.t("shown_since")) " " (v.when(at)) "." },
                (None, Some(reason)) => p { (lang.t("shown_not")) " " (hide_reason(lang, reason)) "." },
                (None, None) => p { (lang.t("shown_undecided")) },
            }
            @if v.has(Role::Approver) {
                @if m.shown_at.is_none() && offered {
                    form.inline method="post" action={ "/staff/dialogue/" (m.public_id) "/shown" } {
                        (v.csrf())
                        button type="submit" name="decision" value="show" { (lang.t("shown_show")) }
                    }
                }
                @if m.shown_at.is_some() || hidden.is_none() {
                    @let label = lang.t(if m.shown_at.is_some() { "shown_take_down" } else { "shown_hide" });
                    details.block {
                        summary { (label) "…" }
                        form method="post" action={ "/staff/dialogue/" (m.public_id) "/shown" } {
                            (v.csrf())
                            p {
                                label for={ "hide-" (m.public_id) } { (lang.t("shown_hide_reason")) }
                                select id={ "hide-" (m.public_id) } name="decision" required {
                                    option value="" { (lang.t("shown_choose_reason")) }
                                    @for reason in HideReason::ALL { option value=(reason.as_str()) { (hide_reason(lang, reason)) } }
                                }
                            }
                            p { button type="submit" { (label) } }
                        }
                    }
                }
            }
        }
    }
}

fn state_of(lang: Lang, state: MessageState) -> &'static str {
    lang.t(&format!("message_state_{}", state.as_str()))
}

pub fn dialogue(v: &Viewer<'_>, p: DialoguePage<'_>) -> String {
    let lang = v.lang;
    let filters = [("mine", lang.t("filter_mine")), ("overdue", lang.t("filter_overdue"))]
        .into_iter()
        .chain(MessageState::ALL.iter().map(|s| (s.as_str(), state_of(lang, *s))))
        .chain([("all", lang.t("filter_all"))]);
    let one = p.filter == "message";
    let title = lang.t(if one { "dialogue_message" } else { "dialogue" });
    shell(
        lang,
        title,
        Some(v),
        html! {
            h1 { (title) }
            @if one {
                p { a href="/staff/dialogue" { (lang.t("dialogue_back")) } }
            } @else {
                p { (lang.t("dialogue_intro")) }
                @if let Some((days, f)) = p.figures { (figures(v, days, f, p.work.answer_within)) }
                nav aria-label=(lang.t("dialogue_filter")) {
                    ul.inline {
                        @for (value, label) in filters {
                            li {
                                @if value == p.filter {
                                    a href={ "/staff/dialogue?state=" (value) } aria-current="page" { strong { (label) } }
                                } @else {
                                    a href={ "/staff/dialogue?state=" (value) } { (label) }
                                }
                            }
                        }
                    }
                }
            }
            @if p.messages.is_empty() { p { (lang.t("nothing_here")) } }
            @for m in p.messages {
                article.message aria-labelledby={ "m-" (m.public_id) } {
                    h2.message-head id={ "m-" (m.public_id) } {
                        (kind_label(lang, m.kind)) " · @" (m.account_username) " · " (v.when(m.received_at))
                    }
                    p.meta {
                        (lang.t("message_from")) " "
                        a href=(m.sender_uri) rel="noreferrer" {
                            (m.sender_handle.as_deref().filter(|h| !h.is_empty()).unwrap_or(&m.sender_uri))
                        }
                        @if let Some(url) = &m.url { " · " a href=(url) rel="noreferrer" { (lang.t("message_original")) } }
                        @if let Some(id) = &m.announcement_public_id {
                            " · " a href={ "/staff/accounts/" (m.account_username) "/announcements/" (id) } { (lang.t("message_announcement")) }
                        }
                        " · " (lang.t(&format!("message_visibility_{}", m.visibility)))
                    }
                    div.message-text lang=[m.language.as_deref()] { (m.content) }
                    (work_on(v, m, &p.work, p.filter))
                    @if m.may_be_shown() { (public_display(v, m)) }
                    @if v.has(Role::Author) {
                        @if matches!(m.visibility.as_str(), "public" | "unlisted") {
                            p { a href={ "/staff/new?answer=" (m.public_id) } { (lang.t("answer")) } }
                        } @else {
                            p.note { (lang.t("answer_not_public")) }
                        }
                    }
                    form.message-state method="post" action={ "/staff/dialogue/" (m.public_id) } {
                        (v.csrf())
                        input type="hidden" name="filter" value=(p.filter);
                        p {
                            (lang.t("message_stands")) " " strong { (state_of(lang, m.state)) } ". "
                            @for state in MessageState::ALL.iter().filter(|s| **s != m.state) {
                                button type="submit" name="state" value=(state.as_str()) { (lang.t(&format!("message_mark_{}", state.as_str()))) }
                                " "
                            }
                        }
                    }
                    @if v.has(Role::Approver) {
                        details.block {
                            summary { (lang.t("block_sender")) }
                            form method="post" action={ "/staff/dialogue/" (m.public_id) "/block" } {
                                (v.csrf())
                                fieldset {
                                    legend { (lang.t("block_what")) }
                                    p {
                                        input type="radio" name="scope" value="account" id={ "scope-a-" (m.public_id) } checked;
                                        " " label for={ "scope-a-" (m.public_id) } { (lang.t("block_account")) }
                                    }
                                    p {
                                        input type="radio" name="scope" value="server" id={ "scope-s-" (m.public_id) };
                                        " " label for={ "scope-s-" (m.public_id) } { (lang.t("block_server")) " " (herold_store::host_of(&m.sender_uri)) }
                                    }
                                }
                                p {
                                    label for={ "reason-" (m.public_id) } { (lang.t("block_reason")) }
                                    textarea id={ "reason-" (m.public_id) } name="reason" rows="2" required {}
                                }
                                p { button type="submit" { (lang.t("block")) } }
                            }
                        }
                        details.block {
                            summary { (lang.t("report_sender")) }
                            form method="post" action={ "/staff/dialogue/" (m.public_id) "/report" } {
                                (v.csrf())
                                p.help id={ "report-help-" (m.public_id) } {
                                    (lang.t("report_help").replace("{server}", &herold_store::host_of(&m.sender_uri)))
                                }
                                p {
                                    label for={ "report-" (m.public_id) } { (lang.t("report_reason")) }
                                    textarea id={ "report-" (m.public_id) } name="reason" rows="2" required
                                        aria-describedby={ "report-help-" (m.public_id) } {}
                                }
                                p { button type="submit" { (lang.t("report")) } }
                            }
                        }
                    }
                }
            }
            @if let Some(before) = p.older {
                p { a href={ "/staff/dialogue?state=" (p.filter) "&before=" (before) } { (lang.t("pub_older")) } }
            }
            @if !p.blocks.is_empty() {
                section aria-labelledby="blocked" {
                    h2 id="blocked" { (lang.t("blocked")) }
                    ul {
                        @for b in p.blocks {
                            li {
                                (lang.t(if b.kind == "server" { "blocked_server" } else { "blocked_account" })) " "
                                code { (b.target) } " · " (v.when(b.created_at)) ": " (b.reason)
                                @if v.has(Role::Approver) {
                                    form.inline method="post" action={ "/staff/dialogue/blocks/" (b.id) "/remove" } {
                                        (v.csrf())
                                        " " button type="submit" { (lang.t("unblock")) span.visually-hidden { ": " (b.target) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
