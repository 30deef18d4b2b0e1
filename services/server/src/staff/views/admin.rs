//! The organisation administrator's and the relay operator's pages.

use super::*;

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
                thead { tr {
                    th scope="col" { (lang.t("account")) } th scope="col" { (lang.t("display_name")) }
                    th scope="col" { (lang.t("followers")) } th scope="col" { (lang.t("profile")) }
                    th scope="col" { (lang.t("account_state")) }
                } }
                tbody { @for (a, followers) in p.accounts { tr {
                    td { a href={ "/staff/accounts/" (a.username) } { "@" (a.username) "@" (p.host) } }
                    td { (a.display_name) } td { (followers) }
                    td { a href={ "/staff/accounts/" (a.username) "/profile" } { (lang.t("profile")) span.visually-hidden { " @" (a.username) } } }
                    td {
                        @match a.ended_at {
                            Some(at) => { (lang.t("account_retired")) " " (v.when(at)) },
                            None => a href={ "/staff/admin/accounts/" (a.username) "/retire" } {
                                (lang.t("retire")) "…" span.visually-hidden { " @" (a.username) }
                            },
                        }
                    }
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
                    td { (person(lang, &m.name)) } td { (m.roles.to_string()) } td { (v.when(m.last_sign_in_at)) }
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
    /// Subscriptions in all.
    pub total: i64,
    /// Where the next page starts, if there is one.
    pub more: Option<&'a str>,
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
                p { (lang.t("showing")) " " (p.subscribers.len()) " " (lang.t("of_total")) " " (p.total) "." }
                (scrolling(lang.t("relay_subscribers"), html! {
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
                            td { (s.style.as_str()) } td { (v.when(s.created_at)) }
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
                }))
                @if let Some(after) = p.more {
                    p { a href={ "/staff/relay?after=" (url_encoded(after)) } { (lang.t("relay_more_subscribers")) } }
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

/// Asks before an action that ends something for another server (ending a subscription,
/// blocking a domain, removing a publisher): what it does, for whom, and why.
pub fn relay_confirm(v: &Viewer<'_>, action: &str, target: &str, error: Option<&str>) -> String {
    let lang = v.lang;
    let title = lang.t(&format!("relay_confirm_{action}"));
    shell(
        lang,
        title,
        Some(v),
        html! {
            h1 { (title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { strong { (target) } }
            p { (lang.t(&format!("relay_confirm_{action}_text"))) }
            form method="post" action="/staff/relay" {
                (v.csrf())
                input type="hidden" name="action" value=(action);
                input type="hidden" name="target" value=(target);
                input type="hidden" name="confirm" value="yes";
                p {
                    label for="reason" { (lang.t("relay_reason")) }
                    textarea id="reason" name="reason" rows="3" required aria-describedby="reason-help" {}
                    span.help id="reason-help" { (lang.t("relay_reason_help")) }
                }
                p { button.primary type="submit" { (title) } }
            }
            p { a href="/staff/relay" { (lang.t("relay_confirm_cancel")) } }
        },
    )
}

fn url_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What retiring an account does, asked before it is done, with a reason for the trail.
pub fn retire_account(v: &Viewer<'_>, account: &Account, error: Option<&str>) -> String {
    let lang = v.lang;
    let title = lang.t("retire_title").replace("{account}", &format!("@{}", account.username));
    shell(
        lang,
        &title,
        Some(v),
        html! {
            h1 { (title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { (lang.t("retire_text")) }
            form method="post" action={ "/staff/admin/accounts/" (account.username) "/retire" } {
                (v.csrf())
                p {
                    label for="reason" { (lang.t("relay_reason")) }
                    textarea id="reason" name="reason" rows="3" required {}
                }
                p {
                    input id="confirm" type="checkbox" name="confirm" value="yes" required;
                    " "
                    label for="confirm" { (lang.t("retire_confirm")) }
                }
                p {
                    button.destructive type="submit" { (lang.t("retire")) }
                    " "
                    a href="/staff/admin" { (lang.t("retire_cancel")) }
                }
            }
        },
    )
}
