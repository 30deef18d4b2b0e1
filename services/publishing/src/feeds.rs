//! An account's newest announcements as web feeds, for people who follow without a
//! fediverse account: Atom (RFC 4287), RSS 2.0 and JSON Feed 1.1. Every feed reader reads at
//! least one of them; none of them needs a script, a cookie or a third party. Each names
//! Herold's WebSub hub, so that readers are told of new announcements instead of polling.

use herold_domain::{format_rfc3339, Millis};
use herold_federation::vocab::escape_html;
use herold_federation::Urls;
use herold_store::{Account, Announcement};
use serde_json::json;

use crate::pages::excerpt;

/// An entry's title: its content warning, else the start of its first line.
fn title(a: &Announcement) -> String {
    a.body
        .summary
        .clone()
        .unwrap_or_else(|| excerpt(a.body.source_text.lines().next().unwrap_or_default(), 80))
}

/// When the feed last changed: its newest publication or edit.
fn updated(account: &Account, items: &[Announcement]) -> Millis {
    items.iter().map(|a| a.updated_at.unwrap_or(a.published_at)).max().unwrap_or(account.created_at)
}

/// A date as RSS wants it (RFC 822, as updated by RFC 2822), in UTC.
fn rfc2822(at: Millis) -> String {
    let moment = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    moment.format(&time::format_description::well_known::Rfc2822).unwrap_or_default()
}

/// Atom (RFC 4287).
pub fn atom(urls: &Urls, account: &Account, items: &[Announcement]) -> String {
    let feed_url = urls.feed(&account.username);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    out.push_str(&format!(
        "<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"self\" href=\"{}\"/>\n<link rel=\"hub\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        escape_html(&feed_url),
        escape_html(&account.display_name),
        format_rfc3339(updated(account, items)),
        escape_html(&feed_url),
        escape_html(&urls.websub_hub()),
        escape_html(&urls.actor(&account.username)),
        escape_html(&account.org_name),
    ));
    for a in items {
        let url = urls.announcement(&account.username, &a.public_id);
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape_html(&url),
            escape_html(&title(a)),
            escape_html(&url),
            format_rfc3339(a.published_at),
            format_rfc3339(a.updated_at.unwrap_or(a.published_at)),
            escape_html(&a.body.content_html),
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// RSS 2.0, with the Atom `self` link feed readers look for.
pub fn rss(urls: &Urls, account: &Account, items: &[Announcement]) -> String {
    let feed_url = urls.feed_rss(&account.username);
    let profile = urls.actor(&account.username);
    let description = account.summary.clone().unwrap_or_else(|| account.org_name.clone());
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n",
    );
    out.push_str(&format!(
        "<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>{}</language>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n<atom:link href=\"{}\" rel=\"hub\"/>\n<lastBuildDate>{}</lastBuildDate>\n",
        escape_html(&account.display_name),
        escape_html(&profile),
        escape_html(&description),
        escape_html(&account.language),
        escape_html(&feed_url),
        escape_html(&urls.websub_hub()),
        rfc2822(updated(account, items)),
    ));
    for a in items {
        let url = urls.announcement(&account.username, &a.public_id);
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n<pubDate>{}</pubDate>\n<description>{}</description>\n</item>\n",
            escape_html(&title(a)),
            escape_html(&url),
            escape_html(&url),
            rfc2822(a.published_at),
            escape_html(&a.body.content_html),
        ));
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

/// JSON Feed 1.1.
pub fn json_feed(urls: &Urls, account: &Account, items: &[Announcement]) -> String {
    let items: Vec<_> = items
        .iter()
        .map(|a| {
            let url = urls.announcement(&account.username, &a.public_id);
            let mut item = json!({
                "id": url,
                "url": url,
                "title": title(a),
                "content_html": a.body.content_html,
                "date_published": format_rfc3339(a.published_at),
            });
            if let Some(edited) = a.updated_at {
                item["date_modified"] = json!(format_rfc3339(edited));
            }
            if let Some(language) = &a.body.language {
                item["language"] = json!(language);
            }
            item
        })
        .collect();
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": account.display_name,
        "home_page_url": urls.actor(&account.username),
        "feed_url": urls.feed_json(&account.username),
        "language": account.language,
        "authors": [{ "name": account.org_name, "url": urls.actor(&account.username) }],
        "hubs": [{ "type": "WebSub", "url": urls.websub_hub() }],
        "items": items,
    });
    if let Some(bio) = &account.summary {
        feed["description"] = json!(bio);
    }
    if let Some(avatar) = &account.profile.avatar {
        feed["icon"] = json!(urls.media(&avatar.public_id));
    }
    feed.to_string()
}

/// A feed in `format` (`atom`, `rss` or `json`): its content type and its text.
pub fn render(
    format: &str,
    urls: &Urls,
    account: &Account,
    items: &[Announcement],
) -> Option<(&'static str, String)> {
    Some(match format {
        "atom" => ("application/atom+xml; charset=utf-8", atom(urls, account, items)),
        "rss" => ("application/rss+xml; charset=utf-8", rss(urls, account, items)),
        "json" => ("application/feed+json; charset=utf-8", json_feed(urls, account, items)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn rss_dates_are_rfc_822() {
        // 2026-12-07 12:00:00 UTC.
        assert_eq!(super::rfc2822(1_796_644_800_000), "Mon, 07 Dec 2026 12:00:00 +0000");
    }
}
