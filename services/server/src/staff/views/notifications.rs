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

/// What the settings page offers: notifications by e-mail, and a person's own time zone.
pub struct Settings<'a> {
    pub mail_configured: bool,
    /// The organisation's zone, which applies unless the person chooses their own.
    pub org_zone: String,
    pub zones: &'a [String],
}

/// `outcome`: saved, or refused with the reason (nothing is saved then).
pub fn settings(v: &Viewer<'_>, o: &Settings<'_>, outcome: Option<Result<(), &str>>) -> String {
    let lang = v.lang;
    let me = &v.session.staff;
    let own = me.time_zone.as_deref().unwrap_or("");
    shell(
        lang,
        lang.t("settings"),
        Some(v),
        html! {
            h1 { (lang.t("settings")) }
            @match outcome {
                Some(Ok(())) => p role="status" { (lang.t("settings_saved")) },
                Some(Err(why)) => p.error role="alert" { (why) },
                None => {},
            }
            @if !o.mail_configured { p.note { (lang.t("mail_not_configured")) } }
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
                p {
                    label for="time_zone" { (lang.t("own_time_zone")) }
                    select id="time_zone" name="time_zone" aria-describedby="time-zone-help" {
                        option value="" selected[own.is_empty()] {
                            (lang.t("org_time_zone").replace("{zone}", &o.org_zone))
                        }
                        @for name in o.zones {
                            option value=(name) selected[name == own] { (name) }
                        }
                    }
                    span.help id="time-zone-help" { (lang.t("own_time_zone_help")) }
                }
                p { button.primary type="submit" { (lang.t("save_changes")) } }
            }
        },
    )
}
