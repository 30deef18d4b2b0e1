//! Public pages: semantic, accessible HTML with no scripts and no third-party assets, and
//! an Atom feed per account. Styling comes from one local stylesheet so a strict CSP holds.

use herold_domain::presence::{Presence, Presences};
use herold_domain::ProfileField;
use herold_domain::{format_rfc3339, LegalPage, Millis, Zone};
use herold_federation::vocab::bio_html;
use herold_federation::Urls;
use herold_store::{Account, Announcement, AnnouncementBody, DraftRecord, Message};
use maud::{html, Markup, PreEscaped, DOCTYPE};

pub const STYLESHEET: &str = include_str!("site.css");

/// The interface text of the public pages, by key (`pub_*`, and `lang_code` for the page's
/// language), in the reader's language: the server's catalogues supply it.
pub type Texts<'a> = &'a dyn Fn(&str) -> &'static str;

/// Zone abbreviations that some languages name in their own words (German says MEZ for
/// CET); the catalogues hold them as `zone_<abbreviation>`. Others show as the time-zone
/// database gives them.
pub const NAMED_ZONES: &[&str] = &["CET", "CEST", "WET", "WEST", "EET", "EEST"];

/// A moment as a reader says it: in their language, on the organisation's clock, with the
/// zone in force then ("2. Dezember 2026, 14:00 Uhr MEZ", "2 December 2026, 14:00 CET").
pub fn human_time(tr: Texts<'_>, zone: &Zone, at: Millis) -> String {
    let w = zone.wall_clock(at);
    let abbreviation = match NAMED_ZONES.contains(&w.abbreviation.as_str()) {
        true => tr(&format!("zone_{}", w.abbreviation)),
        false => &w.abbreviation,
    };
    tr("date_time")
        .replace("{day}", &w.day.to_string())
        .replace("{month}", tr(&format!("month_{}", w.month)))
        .replace("{year}", &w.year.to_string())
        .replace("{time}", &format!("{:02}:{:02}", w.hour, w.minute))
        .replace("{zone}", abbreviation)
}

/// The start of a text for a list, a feed title or a preview: whole words up to `max`
/// characters, ending in one ellipsis, never after a word's half or a full stop ("nötig.…").
pub fn excerpt(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some((hard, _)) = text.char_indices().nth(max) else {
        return text;
    };
    // The last space before the limit, unless that would leave too little.
    let cut = match text[..hard].rfind(' ') {
        Some(space) if text[..space].chars().count() >= max / 2 => space,
        _ => hard,
    };
    let kept = text[..cut].trim_end_matches(|c: char| c.is_whitespace() || ".,;:!?-–—…".contains(c));
    format!("{kept}…")
}

/// A `<time>` element: the human words, with the exact instant for machines.
pub fn time(tr: Texts<'_>, zone: &Zone, at: Millis) -> Markup {
    html! { time datetime=(format_rfc3339(at)) { (human_time(tr, zone, at)) } }
}

/// The body a public page belongs to, and the legal pages it links at its foot: its
/// imprint, privacy notice and accessibility statement (the privacy notice Herold writes
/// where the body names none). On pages of the whole instance, those of the body that runs
/// it, without its name.
#[derive(Default)]
pub struct Legal {
    links: Vec<(&'static str, String)>,
    owner: Option<Owner>,
}

struct Owner {
    slug: String,
    name: Option<String>,
    /// Its policy gives it a colour (served as `/static/brand/<slug>.css`).
    coloured: bool,
    /// Its policy gives it a logo (served as `/static/brand/<slug>/logo`).
    logo: bool,
}

impl Legal {
    pub fn of(tr: Texts<'_>, urls: &Urls, presence: &Presence, org_slug: &str) -> Legal {
        let mut links = Vec::new();
        for page in LegalPage::ALL {
            let key = match page {
                LegalPage::Imprint => "pub_imprint",
                LegalPage::PrivacyNotice => "pub_privacy_notice",
                LegalPage::AccessibilityStatement => "pub_accessibility",
            };
            if let Some(url) = herold_federation::vocab::legal_page_url(urls, presence, org_slug, page) {
                links.push((tr(key), url));
            }
        }
        let owner = Owner {
            slug: org_slug.to_owned(),
            name: None,
            coloured: presence.colour.is_some(),
            logo: presence.logo.is_some(),
        };
        Legal { links, owner: Some(owner) }
    }

    /// The page shows the body's name at its top.
    pub fn named(mut self, name: &str) -> Legal {
        if let Some(owner) = &mut self.owner {
            owner.name = Some(name.to_owned());
        }
        self
    }
}

/// The rules that give a body's pages its colour: its name on a band of it, in white
/// (the policy refuses colours white text is not readable on), with a white focus ring.
pub fn brand_stylesheet(colour: &herold_domain::presence::Colour) -> String {
    format!(
        "header.brand-band {{ background: {c}; color: #fff; padding: 0.4rem 1rem; border-radius: 0.4rem; }}\n\
         header.brand-band a {{ color: #fff; }}\n\
         header.brand-band a:focus {{ outline-color: #fff; }}\n",
        c = colour.hex()
    )
}

fn layout(tr: Texts<'_>, legal: &Legal, title: &str, head_extra: Markup, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(tr("lang_code")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/static/site.css";
                @if let Some(owner) = legal.owner.as_ref().filter(|o| o.coloured) {
                    link rel="stylesheet" href={ "/static/brand/" (owner.slug) ".css" };
                }
                (head_extra)
            }
            body {
                a.skip href="#main" { (tr("skip")) }
                header class=[legal.owner.as_ref().filter(|o| o.coloured).map(|_| "brand-band")] {
                    @if let Some(owner) = legal.owner.as_ref() {
                        @if let Some(name) = owner.name.as_deref() {
                            // The logo is beside the name it stands for: it adds nothing to read.
                            p.owner {
                                @if owner.logo { img.logo src={ "/static/brand/" (owner.slug) "/logo" } alt=""; }
                                (name)
                            }
                        }
                    }
                    p.site { a href="/" { "Herold" } }
                }
                main id="main" { (body) }
                footer {
                    @if !legal.links.is_empty() {
                        nav aria-label=(tr("pub_legal")) {
                            ul.inline { @for (label, href) in &legal.links { li { a href=(href) { (label) } } } }
                        }
                    }
                    p { (tr("pub_footer")) }
                }
            }
        }
    }
    .into_string()
}

/// An account's newest announcements for the body's own website to show in a frame: no
/// script, no cookie, links that open outside the frame, and a follow button that works
/// from any server.
pub fn embed(tr: Texts<'_>, urls: &Urls, zone: &Zone, account: &Account, items: &[Announcement]) -> String {
    let actor = urls.actor(&account.username);
    html! {
        (DOCTYPE)
        html lang=(tr("lang_code")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (account.display_name) }
                link rel="stylesheet" href="/static/site.css";
                // Every link leaves the frame: the page around it stays the body's own.
                base target="_blank";
            }
            body.embed {
                main {
                    div.embed-head {
                        @if let Some(m) = &account.profile.avatar {
                            img.avatar.small src=(urls.media(&m.public_id)) alt=(m.alt_text) width="48" height="48";
                        }
                        p {
                            a href=(actor) rel="noopener" { strong { (account.display_name) } }
                            br;
                            span.handle { "@" (account.username) "@" (urls.host()) }
                        }
                        @if account.ended_at.is_none() {
                            p { a.button href={ (actor) "/follow" } rel="noopener" { (tr("pub_follow_button_short")) } }
                        }
                    }
                    @if let Some(to) = &account.moved_to {
                        p.warning { (tr("pub_moved_to")) " " a href=(to) rel="noopener" { (to) } }
                    } @else if let Some(at) = account.ended_at {
                        p.warning { (tr("pub_retired").replace("{date}", &human_time(tr, zone, at))) }
                    }
                    @if items.is_empty() { p { (tr("pub_no_announcements")) } }
                    @for a in items { (announcement_article(tr, urls, zone, account, a, Shape::InList)) }
                    p.meta {
                        a href=(actor) rel="noopener" { (tr("pub_all_of")) " " (account.display_name) }
                        " · "
                        a href=(urls.privacy_notice(&account.org_slug)) rel="noopener" { (tr("pub_privacy_notice")) }
                    }
                }
            }
        }
    }
    .into_string()
}

/// A page of text (such as the privacy notice) in the public pages' frame.
pub fn document(tr: Texts<'_>, legal: &Legal, title: &str, body: Markup) -> String {
    layout(tr, legal, title, html! {}, body)
}

pub fn home(tr: Texts<'_>, legal: &Legal, urls: &Urls, accounts: &[Account]) -> String {
    layout(
        tr,
        legal,
        tr("pub_accounts"),
        html! {},
        html! {
            h1 { (tr("pub_accounts")) }
            @if accounts.is_empty() {
                p { (tr("pub_no_accounts")) }
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

fn images(urls: &Urls, body: &AnnouncementBody) -> Markup {
    html! {
        @for m in &body.attachments {
            img.attachment src=(urls.media(&m.public_id)) alt=(m.alt_text) width=(m.width) height=(m.height) loading="lazy";
        }
    }
}

/// Further language versions, each marked with its language for screen readers.
fn translations(body: &AnnouncementBody) -> Markup {
    html! {
        @for t in &body.translations {
            div.translation lang=(t.language) {
                p.meta { "[" (t.language) "]" }
                div.content { (PreEscaped(&t.content_html)) }
            }
        }
    }
}

/// Where an announcement is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Its own page, under a heading.
    Page,
    /// One of several, on a profile or a tag's page.
    InList,
    /// To staff, who must see everything: the text behind a content warning is unfolded
    /// and the warning shown as a label.
    Staff,
}

/// One announcement as followers see it.
pub fn announcement_article(
    tr: Texts<'_>,
    urls: &Urls,
    zone: &Zone,
    account: &Account,
    a: &Announcement,
    shape: Shape,
) -> Markup {
    let shown = Shown {
        public_id: &a.public_id,
        urgent: a.urgent,
        published_at: a.published_at,
        updated_at: a.updated_at,
        body: &a.body,
        imported_from: a.imported_from.as_deref(),
    };
    article(tr, urls, zone, account, &shown, shape)
}

/// A submission's text as it will go out (rendered, with its images and mentions), for
/// the staff's preview of it.
pub fn draft_body(urls: &Urls, d: &DraftRecord) -> AnnouncementBody {
    let c = &d.content;
    crate::render_body(
        urls,
        &c.source_text,
        c.language.clone(),
        c.summary.clone(),
        c.translations.iter().map(|t| (t.language.clone(), t.text.as_str())),
        d.media.clone(),
        c.mentions.clone(),
    )
}

/// What an article shows of a published announcement.
struct Shown<'a> {
    public_id: &'a str,
    urgent: bool,
    published_at: Millis,
    updated_at: Option<Millis>,
    body: &'a AnnouncementBody,
    /// Brought over from the body's former account, at this address.
    imported_from: Option<&'a str>,
}

fn article(
    tr: Texts<'_>,
    urls: &Urls,
    zone: &Zone,
    account: &Account,
    a: &Shown<'_>,
    shape: Shape,
) -> Markup {
    let url = urls.announcement(&account.username, a.public_id);
    let body = a.body;
    html! {
        article.announcement lang=[body.language.as_deref()] {
            @if shape == Shape::Page {
                h1 { (tr("pub_announcement_by")) " " (account.display_name) }
            }
            @if let (Some(summary), Shape::Staff) = (&body.summary, shape) {
                p.warning { strong { (tr("pub_content_warning")) ": " } (summary) }
                div.content { (PreEscaped(&body.content_html)) }
                (images(urls, body))
                (translations(body))
            } @else if let Some(summary) = &body.summary {
                details {
                    summary { (summary) }
                    div.content { (PreEscaped(&body.content_html)) }
                    (images(urls, body))
                    (translations(body))
                }
            } @else {
                div.content { (PreEscaped(&body.content_html)) }
                (images(urls, body))
                (translations(body))
            }
            p.meta {
                @if a.urgent { strong.urgent { (tr("pub_urgent")) } " · " }
                a href=(url) { (time(tr, zone, a.published_at)) }
                @if let Some(updated) = a.updated_at {
                    " · " (tr("pub_edited")) " " (time(tr, zone, updated))
                }
                @if let Some(original) = a.imported_from {
                    " · " (tr("pub_imported_from")) " " a href=(original) rel="nofollow noopener" { (tr("pub_imported_original")) }
                }
            }
        }
    }
}

/// What an account's public profile shows: its pinned announcements (on the first page)
/// and one page of the others.
pub struct Profile<'a> {
    pub account: &'a Account,
    /// Its organisation's clock.
    pub zone: &'a Zone,
    pub followers: i64,
    pub pinned: &'a [Announcement],
    pub page: &'a [Announcement],
    pub page_no: i64,
    pub has_more: bool,
    /// The fields Herold adds (organisation, legal pages), after the account's own.
    pub added_fields: &'a [(String, String)],
    /// The account's own links whose pages were last found linking back.
    pub verified: &'a [String],
    /// Whether people may subscribe by e-mail.
    pub email_subscriptions: bool,
}

/// A profile's links whose pages link back, and the words that say so.
#[derive(Clone, Copy)]
pub struct Verified<'a> {
    pub urls: &'a [String],
    pub label: &'a str,
}

/// Profile fields as a description list; an https address is a link marked `rel="me"`,
/// which is how Mastodon verifies that a website and an account belong together. A link
/// found to link back is marked in words as well as by its tint, as Mastodon marks it.
pub fn profile_fields(own: &[ProfileField], added: &[(String, String)], verified: Verified<'_>) -> Markup {
    // Herold's own addresses (the privacy notice it writes) are links on plain http too, as
    // on a development machine; what staff typed is a link only when Mastodon would verify it.
    let own = own.iter().map(|f| (f.name.as_str(), f.value.as_str(), f.link()));
    let added = added.iter().map(|(name, value)| {
        let link = url::Url::parse(value).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
        (name.as_str(), value.as_str(), link)
    });
    html! {
        dl.fields {
            @for (name, value, link) in own.chain(added) {
                @let is_verified = link.as_ref().is_some_and(|l| verified.urls.iter().any(|v| v == l.as_str()));
                div class=[is_verified.then_some("verified")] {
                    dt { (name) }
                    dd {
                        @match link {
                            Some(url) => a href=(url.as_str()) rel="me" { (herold_federation::vocab::shown_address(&url)) },
                            None => (value),
                        }
                        @if is_verified { " " span.verified-mark { "✓ " (verified.label) } }
                    }
                }
            }
        }
    }
}

pub fn profile(tr: Texts<'_>, legal: &Legal, urls: &Urls, p: Profile<'_>) -> String {
    let Profile {
        account,
        zone,
        followers,
        pinned,
        page,
        page_no,
        has_more,
        added_fields,
        verified,
        email_subscriptions,
    } = p;
    let actor = urls.actor(&account.username);
    let handle = format!("@{}@{}", account.username, urls.host());
    let title = format!("{} ({handle})", account.display_name);
    layout(
        tr,
        legal,
        &title,
        html! {
            link rel="alternate" type="application/activity+json" href=(actor);
            link rel="alternate" type="application/atom+xml" title=(tr("pub_atom_feed")) href=(urls.feed(&account.username));
            link rel="alternate" type="application/rss+xml" title=(tr("pub_rss_feed")) href=(urls.feed_rss(&account.username));
            link rel="alternate" type="application/feed+json" title=(tr("pub_json_feed")) href=(urls.feed_json(&account.username));
            meta name="fediverse:creator" content=(handle);
            meta property="og:type" content="profile";
            meta property="og:site_name" content=(urls.host());
            meta property="og:url" content=(actor);
            meta property="og:title" content=(title);
            @if let Some(bio) = &account.summary { meta property="og:description" content=(excerpt(bio, 300)); }
            @if let Some(m) = &account.profile.avatar {
                meta property="og:image" content=(urls.media(&m.public_id));
                meta property="og:image:alt" content=(m.alt_text);
            }
        },
        html! {
            @if let Some(m) = &account.profile.header {
                img.profile-header src=(urls.media(&m.public_id)) alt=(m.alt_text) width=(m.width) height=(m.height);
            }
            div.profile-head {
                @if let Some(m) = &account.profile.avatar {
                    img.avatar src=(urls.media(&m.public_id)) alt=(m.alt_text) width="96" height="96";
                }
                div {
                    h1 { (account.display_name) }
                    p.handle { (handle) }
                }
            }
            @if let Some(to) = &account.moved_to {
                p.warning role="note" { (tr("pub_moved_to")) " " a href=(to) { (to) } ". " (tr("pub_ended_kept")) }
            } @else if let Some(at) = account.ended_at {
                p.warning role="note" { (tr("pub_retired").replace("{date}", &human_time(tr, zone, at))) " " (tr("pub_ended_kept")) }
            }
            p { (tr("pub_account_of")) " " (account.org_name) ". " (followers) " " (tr("pub_followers")) "." }
            @if let Some(summary) = &account.summary { div.bio { (PreEscaped(bio_html(summary))) } }
            (profile_fields(&account.profile.fields, added_fields, Verified { urls: verified, label: tr("pub_link_verified") }))
            @if account.ended_at.is_none() {
                p { a href={ (actor) "/follow" } { (tr("pub_follow_link")) } }
            }
            p { (tr("pub_follow_search")) " " code { (handle) } (tr("pub_follow_or")) " "
                a href=(urls.feed(&account.username)) { (tr("pub_atom_feed")) } "." }
            @if email_subscriptions {
                p { a href=(urls.subscribe(&account.username)) { (tr("pub_subscribe_link")) } }
            }
            @if !pinned.is_empty() {
                h2 { (tr("pub_pinned")) }
                @for a in pinned { (announcement_article(tr, urls, zone, account, a, Shape::InList)) }
            }
            h2 { (tr("announcements")) }
            @if page.is_empty() { p { (tr("pub_no_announcements")) } }
            @for a in page { (announcement_article(tr, urls, zone, account, a, Shape::InList)) }
            (pager(tr, &actor, page_no, has_more))
        },
    )
}

fn pager(tr: Texts<'_>, here: &str, page_no: i64, has_more: bool) -> Markup {
    html! {
        nav aria-label=(tr("pub_pages")) {
            @if page_no > 1 { a rel="prev" href={ (here) "?page=" (page_no - 1) } { (tr("pub_newer")) } " " }
            @if has_more { a rel="next" href={ (here) "?page=" (page_no + 1) } { (tr("pub_older")) } }
        }
    }
}

/// The announcements carrying a hashtag (`tag` in lower case), newest first.
pub fn tag(
    tr: Texts<'_>,
    legal: &Legal,
    urls: &Urls,
    tag: &str,
    presences: &Presences,
    page: &[(&Account, &Announcement)],
    (page_no, has_more): (i64, bool),
) -> String {
    let here = urls.tag(tag);
    layout(
        tr,
        legal,
        &format!("#{tag}"),
        html! {},
        html! {
            h1 { (tr("pub_tagged")) " #" (tag) }
            @if page.is_empty() { p { (tr("pub_no_tagged")) } }
            @for (account, a) in page {
                section.tagged aria-label=(account.display_name) {
                    p.handle {
                        a href=(urls.actor(&account.username)) { (account.display_name) }
                        " "
                        span.handle { "@" (account.username) "@" (urls.host()) }
                    }
                    (announcement_article(tr, urls, &presences.of(&account.org_slug).time_zone, account, a, Shape::InList))
                }
            }
            (pager(tr, &here, page_no, has_more))
        },
    )
}

/// What a preview card shows when an announcement's address is shared (OpenGraph), and
/// whom Mastodon credits as its author (`fediverse:creator`).
fn open_graph(urls: &Urls, account: &Account, a: &Announcement) -> Markup {
    const DESCRIPTION_CHARS: usize = 300;
    let handle = format!("@{}@{}", account.username, urls.host());
    // Behind a content warning, the card shows the warning, not the text.
    let description: String = match &a.body.summary {
        Some(warning) => warning.clone(),
        None => excerpt(&a.body.source_text, DESCRIPTION_CHARS),
    };
    let image = a.body.attachments.first();
    html! {
        meta property="og:type" content="article";
        meta property="og:site_name" content=(urls.host());
        meta property="og:url" content=(urls.announcement(&account.username, &a.public_id));
        meta property="og:title" content=(format!("{} ({handle})", account.display_name));
        meta property="og:description" content=(description);
        @if let Some(lang) = &a.body.language { meta property="og:locale" content=(lang.replace('-', "_")); }
        meta property="article:published_time" content=(herold_domain::format_rfc3339(a.published_at));
        @if let Some(m) = image {
            meta property="og:image" content=(urls.media(&m.public_id));
            meta property="og:image:alt" content=(m.alt_text);
            meta property="og:image:width" content=(m.width);
            meta property="og:image:height" content=(m.height);
        }
        meta name="fediverse:creator" content=(handle);
    }
}

pub fn announcement(
    tr: Texts<'_>,
    legal: &Legal,
    urls: &Urls,
    zone: &Zone,
    account: &Account,
    a: &Announcement,
    replies: &[Message],
) -> String {
    let url = urls.announcement(&account.username, &a.public_id);
    layout(
        tr,
        legal,
        &format!("{} {}", tr("pub_announcement_by"), account.display_name),
        html! {
            link rel="alternate" type="application/activity+json" href=(url);
            (open_graph(urls, account, a))
        },
        html! {
            (announcement_article(tr, urls, zone, account, a, Shape::Page))
            @if !replies.is_empty() {
                section aria-labelledby="replies" {
                    h2 id="replies" { (tr("pub_replies")) }
                    p.help { (tr("pub_replies_intro")) }
                    @for r in replies {
                        article.message {
                            p.meta {
                                // A citizen's own words, on their server: no endorsement. The
                                // post's id, which is on the sender's server, never a `url`
                                // they chose, which could point anywhere.
                                a href=(r.object_uri) rel="nofollow ugc noreferrer" {
                                    (r.sender_handle.as_deref().filter(|h| !h.is_empty()).unwrap_or(&r.sender_uri))
                                }
                                " · " (time(tr, zone, r.received_at))
                            }
                            div.message-text lang=[r.language.as_deref()] { (r.content) }
                        }
                    }
                }
            }
            p { a href=(urls.actor(&account.username)) { (tr("pub_all_of")) " " (account.display_name) } }
        },
    )
}

/// A retracted announcement's page.
pub fn gone(tr: Texts<'_>, legal: &Legal) -> String {
    layout(
        tr,
        legal,
        tr("pub_retracted"),
        html! {},
        html! { h1 { (tr("pub_retracted")) } p { (tr("pub_retracted_text")) } },
    )
}

/// Where following from one's own server stands: the address as typed, and either what went
/// wrong (a text key) or the page of the person's server to confirm on.
#[derive(Default)]
pub struct FollowState<'a> {
    pub address: &'a str,
    pub problem: Option<&'static str>,
    /// The visitor's server, and its page to confirm on.
    pub destination: Option<(&'a str, &'a str)>,
}

/// Following an official account from any fediverse server: the visitor gives their
/// address, Herold asks their server (WebFinger) where they confirm a follow, and links
/// there. A link to this page is the "follow" button a body puts on its website.
pub fn follow(
    tr: Texts<'_>,
    legal: &Legal,
    urls: &Urls,
    account: &Account,
    state: FollowState<'_>,
) -> String {
    let handle = format!("@{}@{}", account.username, urls.host());
    let action = format!("{}/follow", urls.actor(&account.username));
    layout(
        tr,
        legal,
        &format!("{} {}", tr("pub_follow_title"), account.display_name),
        html! {},
        html! {
            h1 { (tr("pub_follow_title")) " " (account.display_name) }
            p.handle { (handle) }
            @if let Some((host, to)) = state.destination {
                p { (tr("pub_follow_confirm")) }
                p { a.button href=(to) { (tr("pub_follow_go")) " " (host) } }
            } @else {
                p { (tr("pub_follow_intro")) }
                @if let Some(problem) = state.problem {
                    p.error role="alert" id="follow-problem" { (tr(problem)) " " code { (handle) } }
                }
                form method="post" action=(action) {
                    p {
                        label for="address" { (tr("pub_follow_address")) }
                        input id="address" name="address" type="text" required autocomplete="username"
                            spellcheck="false" autocapitalize="none"
                            value=(state.address)
                            aria-describedby=[state.problem.map(|_| "follow-problem")];
                    }
                    p { button type="submit" { (tr("pub_follow_button")) } }
                }
                p { (tr("pub_follow_private")) }
            }
            p { a href=(urls.actor(&account.username)) { (tr("pub_all_of")) " " (account.display_name) } }
        },
    )
}

/// Where the subscription form stands: fresh, refused with a reason, or sent.
#[derive(Default)]
pub struct SubscribeState<'a> {
    pub address: &'a str,
    /// The key of the words that say what is wrong.
    pub problem: Option<&'static str>,
    /// The request was taken: the visitor is asked to confirm by mail.
    pub requested: bool,
}

/// The page where someone without a fediverse account asks for an account's announcements
/// by e-mail; it says before they type what happens with the address (Art. 13 GDPR).
pub fn subscribe(
    tr: Texts<'_>,
    legal: &Legal,
    urls: &Urls,
    account: &Account,
    state: SubscribeState<'_>,
) -> String {
    layout(
        tr,
        legal,
        &format!("{} {}", tr("pub_subscribe_title"), account.display_name),
        html! {},
        html! {
            h1 { (tr("pub_subscribe_title")) " " (account.display_name) }
            @if state.requested {
                p role="status" { strong { (tr("pub_subscribe_requested")) } }
                p { (tr("pub_subscribe_requested_text")) }
            } @else {
                p { (tr("pub_subscribe_intro")) }
                @if let Some(problem) = state.problem {
                    p.error role="alert" id="subscribe-problem" { (tr(problem)) }
                }
                form method="post" action=(urls.subscribe(&account.username)) {
                    p {
                        label for="email" { (tr("pub_subscribe_address")) }
                        input id="email" name="email" type="email" required autocomplete="email"
                            spellcheck="false" autocapitalize="none" maxlength="254"
                            value=(state.address)
                            aria-describedby=[state.problem.map(|_| "subscribe-problem")];
                    }
                    p { button.primary type="submit" { (tr("pub_subscribe_button")) } }
                }
                p { (tr("pub_subscribe_privacy")) " " a href=(urls.privacy_notice(&account.org_slug)) { (tr("pub_subscribe_notice")) } "." }
            }
            p { a href=(urls.actor(&account.username)) { (tr("pub_all_of")) " " (account.display_name) } }
        },
    )
}

/// A step a mail's link leads to: confirming a subscription or ending it. The link opens
/// this page; only its button takes the step, so that a mail program that opens links to
/// scan them neither confirms nor unsubscribes anyone.
pub fn subscription_step(
    tr: Texts<'_>,
    legal: &Legal,
    urls: &Urls,
    account: &Account,
    (token, step): (&str, &str),
    done: bool,
) -> String {
    layout(
        tr,
        legal,
        tr(&format!("pub_{step}_title")),
        html! {},
        html! {
            h1 { (tr(&format!("pub_{step}_title"))) }
            p.handle { (account.display_name) " · @" (account.username) "@" (urls.host()) }
            @if done {
                p role="status" { strong { (tr(&format!("pub_{step}_done"))) } }
            } @else {
                p { (tr(&format!("pub_{step}_intro"))) }
                form method="post" action=(urls.subscription(token, step)) {
                    p { button.primary type="submit" { (tr(&format!("pub_{step}_button"))) } }
                }
            }
            p { a href=(urls.actor(&account.username)) { (tr("pub_all_of")) " " (account.display_name) } }
        },
    )
}

pub fn not_found(tr: Texts<'_>, legal: &Legal) -> String {
    layout(
        tr,
        legal,
        tr("pub_not_found"),
        html! {},
        html! { h1 { (tr("pub_not_found")) } p { (tr("pub_not_found_text")) } },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_end_on_whole_words_with_one_ellipsis() {
        use super::excerpt;
        assert_eq!(excerpt("Kurz.", 80), "Kurz.");
        assert_eq!(excerpt("Ein  Text\nmit Umbruch", 80), "Ein Text mit Umbruch");
        let long =
            "Die Straße bleibt gesperrt. Eine Umleitung ist nicht nötig. Bitte beachten Sie die Hinweise.";
        assert_eq!(excerpt(long, 60), "Die Straße bleibt gesperrt. Eine Umleitung ist nicht nötig…");
        assert_eq!(excerpt(long, 30), "Die Straße bleibt gesperrt…");
        // One long word is cut where it must be.
        assert_eq!(excerpt(&"x".repeat(100), 10), format!("{}…", "x".repeat(10)));
    }

    use super::STYLESHEET;

    /// `--name: #rrggbb` as set in the stylesheet's `n`-th `:root` block (0: light, 1: dark).
    fn variable(name: &str, n: usize) -> [f64; 3] {
        let block = STYLESHEET.split(":root {").nth(n + 1).expect("a :root block");
        let value = block.split(&format!("--{name}: #")).nth(1).expect("the variable in the block");
        let digits: String = value.chars().take_while(char::is_ascii_hexdigit).collect();
        // `#fff` is `#ffffff`.
        let hex = if digits.len() == 3 { digits.chars().flat_map(|c| [c, c]).collect() } else { digits };
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
        [channel(0), channel(2), channel(4)]
    }

    /// WCAG 2.1's contrast ratio of two colours.
    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let luminance = |c: [f64; 3]| {
            let lin = |v: f64| if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) };
            0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
        };
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_focus_ring_stands_out_by_three_to_one_in_both_schemes() {
        for scheme in [0, 1] {
            let ratio = contrast(variable("focus", scheme), variable("bg", scheme));
            assert!(ratio >= 3.0, "scheme {scheme}: {ratio:.2}:1 (WCAG 1.4.11 asks 3:1)");
        }
        assert!(contrast([1.0, 0.75, 0.28], [1.0, 1.0, 1.0]) < 3.0, "the old #ffbf47 on white failed");
        let outlines: Vec<&str> = STYLESHEET.split("outline:").skip(1).collect();
        assert!(!outlines.is_empty());
        for rule in outlines {
            assert!(rule.trim_start().starts_with("3px solid var(--focus)"), "outline:{rule}");
        }
    }
}
