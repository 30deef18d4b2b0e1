//! The dialogue inbox.

use herold_store::{Message, MessageKind, MessageState};

use super::*;

pub struct DialoguePage<'a> {
    /// The state shown, or `all`.
    pub filter: &'a str,
    pub messages: &'a [Message],
    /// The last message shown, when older ones follow.
    pub older: Option<i64>,
}

fn kind_label(lang: Lang, kind: MessageKind) -> &'static str {
    lang.t(&format!("message_kind_{}", kind.as_str()))
}

fn state_of(lang: Lang, state: MessageState) -> &'static str {
    lang.t(&format!("message_state_{}", state.as_str()))
}

pub fn dialogue(v: &Viewer<'_>, p: DialoguePage<'_>) -> String {
    let lang = v.lang;
    let filters = MessageState::ALL
        .iter()
        .map(|s| (s.as_str(), state_of(lang, *s)))
        .chain([("all", lang.t("filter_all"))]);
    shell(
        lang,
        lang.t("dialogue"),
        Some(v),
        html! {
            h1 { (lang.t("dialogue")) }
            p { (lang.t("dialogue_intro")) }
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
            @if p.messages.is_empty() { p { (lang.t("nothing_here")) } }
            @for m in p.messages {
                article.message aria-labelledby={ "m-" (m.public_id) } {
                    h2.message-head id={ "m-" (m.public_id) } {
                        (kind_label(lang, m.kind)) " · @" (m.account_username) " · " (v.when(m.received_at))
                    }
                    p.meta {
                        (lang.t("message_from")) " "
                        a href=(m.sender_uri) rel="noreferrer" { (m.sender_uri) }
                        @if let Some(url) = &m.url { " · " a href=(url) rel="noreferrer" { (lang.t("message_original")) } }
                        @if let Some(id) = &m.announcement_public_id {
                            " · " a href={ "/staff/accounts/" (m.account_username) "/announcements/" (id) } { (lang.t("message_announcement")) }
                        }
                        " · " (lang.t(&format!("message_visibility_{}", m.visibility)))
                    }
                    div.message-text lang=[m.language.as_deref()] { (m.content) }
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
                }
            }
            @if let Some(before) = p.older {
                p { a href={ "/staff/dialogue?state=" (p.filter) "&before=" (before) } { (lang.t("pub_older")) } }
            }
        },
    )
}
