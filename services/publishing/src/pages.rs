//! Public pages: semantic, accessible HTML with no scripts and no third-party assets, and
//! an Atom feed per account. Styling comes from one local stylesheet so a strict CSP holds.

use herold_domain::format_rfc3339;
use herold_federation::vocab::escape_html;
use herold_federation::Urls;
use herold_store::{Account, Announcement};
use maud::{html, Markup, PreEscaped, DOCTYPE};

pub const STYLESHEET: &str = include_str!("site.css");

fn layout(title: &str, lang: &str, head_extra: Markup, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/static/site.css";
                (head_extra)
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header { p.site { a href="/" { "Herold" } } }
                main id="main" { (body) }
                footer { p { "Official announcements published with Herold. No tracking, no cookies." } }
            }
        }
    }
    .into_string()
}

pub fn home(urls: &Urls, accounts: &[Account]) -> String {
    layout(
        "Official accounts",
        "en",
        html! {},
        html! {
            h1 { "Official accounts" }
            @if accounts.is_empty() {
                p { "No official accounts yet." }
            } @else {
                ul.accounts {
                    @for a in accounts {
                        li {
                            a href=(urls.actor(&a.username)) { (a.display_name) }
                            " "
                            span.handle { "@" (a.username) "@" (urls.host()) }
                            " — " (a.org_name)
                        }
                    }
                }
            }
        },
    )
}

fn images(urls: &Urls, a: &Announcement) -> Markup {
    html! {
        @for m in &a.attachments {
            img.attachment src=(urls.media(&m.public_id)) alt=(m.alt_text) width=(m.width) height=(m.height) loading="lazy";
        }
    }
}

/// Further language versions, each marked with its language for screen readers.
fn translations(a: &Announcement) -> Markup {
    html! {
        @for t in &a.translations {
            div.translation lang=(t.language) {
                p.meta { "[" (t.language) "]" }
                div.content { (PreEscaped(&t.content_html)) }
            }
        }
    }
}

/// One announcement as followers see it (also the staff preview).
pub fn announcement_article(urls: &Urls, account: &Account, a: &Announcement, heading: bool) -> Markup {
    let url = urls.announcement(&account.username, &a.public_id);
    html! {
        article.announcement lang=[a.language.as_deref()] {
            @if heading {
                h1 { "Announcement by " (account.display_name) }
            }
            @if let Some(summary) = &a.summary {
                details {
                    summary { (summary) }
                    div.content { (PreEscaped(&a.content_html)) }
                    (images(urls, a))
                    (translations(a))
                }
            } @else {
                div.content { (PreEscaped(&a.content_html)) }
                (images(urls, a))
                (translations(a))
            }
            p.meta {
                @if a.urgent { strong.urgent { "Urgent" } " · " }
                a href=(url) {
                    time datetime=(format_rfc3339(a.published_at)) { (format_rfc3339(a.published_at)) }
                }
                @if let Some(updated) = a.updated_at {
                    " · edited "
                    time datetime=(format_rfc3339(updated)) { (format_rfc3339(updated)) }
                }
            }
        }
    }
}

pub fn profile(
    urls: &Urls,
    account: &Account,
    followers: i64,
    page: &[Announcement],
    page_no: i64,
    has_more: bool,
) -> String {
    let actor = urls.actor(&account.username);
    let handle = format!("@{}@{}", account.username, urls.host());
    layout(
        &format!("{} ({handle})", account.display_name),
        "en",
        html! {
            link rel="alternate" type="application/activity+json" href=(actor);
            link rel="alternate" type="application/atom+xml" title="Atom feed" href=(urls.feed(&account.username));
            meta name="fediverse:creator" content=(handle);
        },
        html! {
            h1 { (account.display_name) }
            p.handle { (handle) }
            p { "Official account of " (account.org_name) ". " (followers) " followers." }
            @if let Some(summary) = &account.summary { p.summary { (summary) } }
            p { "Follow it from any fediverse server by searching for " code { (handle) } ", or subscribe to the "
                a href=(urls.feed(&account.username)) { "Atom feed" } "." }
            h2 { "Announcements" }
            @if page.is_empty() { p { "No announcements yet." } }
            @for a in page { (announcement_article(urls, account, a, false)) }
            nav aria-label="Pages" {
                @if page_no > 1 { a rel="prev" href={ (actor) "?page=" (page_no - 1) } { "Newer announcements" } " " }
                @if has_more { a rel="next" href={ (actor) "?page=" (page_no + 1) } { "Older announcements" } }
            }
        },
    )
}

/// The announcements carrying a hashtag (`tag` in lower case), newest first.
pub fn tag(
    urls: &Urls,
    tag: &str,
    page: &[(&Account, &Announcement)],
    page_no: i64,
    has_more: bool,
) -> String {
    let here = urls.tag(tag);
    layout(
        &format!("#{tag}"),
        "en",
        html! {},
        html! {
            h1 { "Announcements tagged #" (tag) }
            @if page.is_empty() { p { "No announcements carry this tag." } }
            @for (account, a) in page {
                section.tagged aria-label=(account.display_name) {
                    p.handle {
                        a href=(urls.actor(&account.username)) { (account.display_name) }
                        " "
                        span.handle { "@" (account.username) "@" (urls.host()) }
                    }
                    (announcement_article(urls, account, a, false))
                }
            }
            nav aria-label="Pages" {
                @if page_no > 1 { a rel="prev" href={ (here) "?page=" (page_no - 1) } { "Newer announcements" } " " }
                @if has_more { a rel="next" href={ (here) "?page=" (page_no + 1) } { "Older announcements" } }
            }
        },
    )
}

pub fn announcement(urls: &Urls, account: &Account, a: &Announcement) -> String {
    let url = urls.announcement(&account.username, &a.public_id);
    layout(
        &format!("Announcement by {}", account.display_name),
        "en",
        html! { link rel="alternate" type="application/activity+json" href=(url); },
        html! {
            (announcement_article(urls, account, a, true))
            p { a href=(urls.actor(&account.username)) { "All announcements of " (account.display_name) } }
        },
    )
}

pub fn gone(title: &str) -> String {
    layout(
        title,
        "en",
        html! {},
        html! { h1 { (title) } p { "This announcement was retracted by its publisher." } },
    )
}

pub fn not_found() -> String {
    layout(
        "Not found",
        "en",
        html! {},
        html! { h1 { "Not found" } p { "There is nothing at this address." } },
    )
}

/// An Atom feed (RFC 4287) of the newest announcements.
pub fn atom(urls: &Urls, account: &Account, items: &[Announcement]) -> String {
    let feed_url = urls.feed(&account.username);
    let updated =
        items.iter().map(|a| a.updated_at.unwrap_or(a.published_at)).max().unwrap_or(account.created_at);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    out.push_str(&format!(
        "<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"self\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        escape_html(&feed_url),
        escape_html(&account.display_name),
        format_rfc3339(updated),
        escape_html(&feed_url),
        escape_html(&urls.actor(&account.username)),
        escape_html(&account.org_name),
    ));
    for a in items {
        let url = urls.announcement(&account.username, &a.public_id);
        let title: String = a
            .summary
            .clone()
            .unwrap_or_else(|| a.source_text.lines().next().unwrap_or_default().chars().take(80).collect());
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape_html(&url),
            escape_html(&title),
            escape_html(&url),
            format_rfc3339(a.published_at),
            format_rfc3339(a.updated_at.unwrap_or(a.published_at)),
            escape_html(&a.content_html),
        ));
    }
    out.push_str("</feed>\n");
    out
}
