//! A person's notifications.

use herold_store::Notification;

use super::*;

pub fn notifications(v: &Viewer<'_>, items: &[Notification]) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("notifications"),
        Some(v),
        html! {
            h1 { (lang.t("notifications")) }
            @if items.is_empty() { p { (lang.t("nothing_here")) } }
            @if items.iter().any(|n| n.read_at.is_none()) {
                form method="post" action="/staff/notifications/read" {
                    (v.csrf())
                    p { button type="submit" { (lang.t("mark_all_read")) } }
                }
            }
            ul.notifications {
                @for n in items {
                    li.unread[n.read_at.is_none()] {
                        @if n.read_at.is_none() { strong { (lang.t("unread")) ": " } }
                        (said(lang, n)) " "
                        a href=(n.kind.page(&n.draft)) { "„" (n.excerpt) "“" }
                        " · " (v.when(n.created_at))
                        @if let Some(c) = &n.comment { blockquote { p { (c) } } }
                    }
                }
            }
        },
    )
}

/// "Bob Approver approved your announcement", in the reader's language.
fn said(lang: Lang, n: &Notification) -> String {
    let who = match &n.by_name {
        Some(name) => person(lang, name).to_owned(),
        None => lang.t("by_herold").to_owned(),
    };
    lang.t(&format!("notification_{}", n.kind.as_str())).replace("{who}", &who)
}

/// A person's own settings: whether notifications also come by e-mail.
pub fn settings(v: &Viewer<'_>, mail_configured: bool, saved: bool) -> String {
    let lang = v.lang;
    let me = &v.session.staff;
    shell(
        lang,
        lang.t("settings"),
        Some(v),
        html! {
            h1 { (lang.t("settings")) }
            @if saved { p role="status" { (lang.t("settings_saved")) } }
            @if !mail_configured { p.note { (lang.t("mail_not_configured")) } }
            @match &me.email {
                Some(address) => p { (lang.t("mail_address")) " " strong { (address) } },
                None => p.note { (lang.t("mail_no_address")) },
            }
            form method="post" action="/staff/settings" {
                (v.csrf())
                p {
                    input id="email" type="checkbox" name="email" value="on" checked[me.notify_by_email];
                    " "
                    label for="email" { (lang.t("mail_notifications")) }
                }
                p.help { (lang.t("mail_notifications_help")) }
                p { button.primary type="submit" { (lang.t("save_changes")) } }
            }
        },
    )
}
