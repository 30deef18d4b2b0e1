//! Verified profile links: a website named in an account's profile belongs to the same
//! body when the page links back to the account with `rel="me"` (how Mastodon verifies
//! it). Herold checks this itself, so that an administrator sees the result and the exact
//! snippet to place before followers' servers look.

use url::Url;

use crate::fetch::{check_url, read_capped, redirect_target, request_failed, Fetcher, MAX_REDIRECTS};
use crate::FederationError;

/// Mastodon reads at most this much of the page.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCheck {
    /// The page links back with `rel="me"`.
    Verified,
    /// The page was read, and links back nowhere.
    NotLinked,
    /// The page could not be read.
    Unreachable(LinkProblem),
}

/// Why a page could not be read, in terms an administrator can act on; stored by its code
/// and shown in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// The server answered with this HTTP status.
    Status(u16),
    /// It redirected to another server (Mastodon does not follow those either), nowhere, or
    /// too often.
    Redirected,
    /// Its TLS certificate is not trusted.
    Certificate,
    /// No answer: the name does not resolve, the connection failed or timed out.
    NoAnswer,
    /// The address may not be fetched (a private network, another scheme).
    NotAllowed,
    /// The page is larger than Mastodon reads.
    TooLarge,
}

impl LinkProblem {
    /// One of each kind (any status stands for all), for the tests that ask for their words.
    pub const ALL: [LinkProblem; 6] = [
        LinkProblem::Status(404),
        LinkProblem::Redirected,
        LinkProblem::Certificate,
        LinkProblem::NoAnswer,
        LinkProblem::NotAllowed,
        LinkProblem::TooLarge,
    ];

    pub fn code(self) -> String {
        match self {
            LinkProblem::Status(status) => format!("status_{status}"),
            LinkProblem::Redirected => "redirected".into(),
            LinkProblem::Certificate => "certificate".into(),
            LinkProblem::NoAnswer => "no_answer".into(),
            LinkProblem::NotAllowed => "not_allowed".into(),
            LinkProblem::TooLarge => "too_large".into(),
        }
    }

    /// The problem a stored code names; `None` for a code this version does not know.
    pub fn from_code(code: &str) -> Option<LinkProblem> {
        Some(match code {
            "redirected" => LinkProblem::Redirected,
            "certificate" => LinkProblem::Certificate,
            "no_answer" => LinkProblem::NoAnswer,
            "not_allowed" => LinkProblem::NotAllowed,
            "too_large" => LinkProblem::TooLarge,
            other => LinkProblem::Status(other.strip_prefix("status_")?.parse().ok()?),
        })
    }
}

/// Whether `html` has an `<a>` or `<link>` whose `rel` includes `me` and whose `href` is
/// `profile` (a trailing slash aside).
pub fn links_back(html: &str, profile: &str) -> bool {
    let wanted = profile.trim_end_matches('/');
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
        let name = &rest[..name_end];
        if !(name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("link")) {
            continue;
        }
        // A tag the page never closes is no link a browser would show.
        let Some((attributes, after)) = split_tag(&rest[name_end..]) else { break };
        rest = after;
        let rel = attribute(attributes, "rel").unwrap_or_default();
        let is_me = rel.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case("me"));
        let href = attribute(attributes, "href").map(|h| h.replace("&amp;", "&"));
        if is_me && href.is_some_and(|h| h.trim().trim_end_matches('/') == wanted) {
            return true;
        }
    }
    false
}

/// A tag's attribute text (up to its closing `>`, quotes respected) and what follows it.
fn split_tag(s: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a tag's attribute text.
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attributes;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let key_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>').unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = after[1..].find(q).map_or(after.len(), |e| e + 1);
                    (&after[1..end], after.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            rest = next;
            Some(value)
        } else {
            None
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value.unwrap_or(""));
        }
        if key.is_empty() {
            // Stray characters: skip one, so the loop always moves on.
            rest = rest.get(1..).unwrap_or("");
        }
    }
}

impl Fetcher {
    /// GETs a web page as a browser would (no signature), following redirects within its
    /// origin only, behind the same guard as every other fetch, and reads at most 1 MiB.
    pub async fn get_page(&self, page: &str) -> Result<String, LinkProblem> {
        let mut url = Url::parse(page).map_err(|_| LinkProblem::NotAllowed)?;
        check_url(&url, self.allow_private).map_err(|_| LinkProblem::NotAllowed)?;
        let origin = url.origin();
        for _ in 0..=MAX_REDIRECTS {
            let resp = self
                .client
                .get(url.as_str())
                .header(reqwest::header::ACCEPT, "text/html, application/xhtml+xml")
                .send()
                .await
                .map_err(|e| match request_failed("", e) {
                    FederationError::Refused(_) => LinkProblem::Certificate,
                    _ => LinkProblem::NoAnswer,
                })?;
            if resp.status().is_redirection() {
                let next = redirect_target(&resp, &url).ok_or(LinkProblem::Redirected)?;
                if next.origin() != origin {
                    return Err(LinkProblem::Redirected);
                }
                url = next;
                continue;
            }
            if !resp.status().is_success() {
                return Err(LinkProblem::Status(resp.status().as_u16()));
            }
            let body = read_capped(resp, MAX_PAGE_BYTES).await.map_err(|e| match e {
                FederationError::Refused(_) => LinkProblem::TooLarge,
                _ => LinkProblem::NoAnswer,
            })?;
            return Ok(String::from_utf8_lossy(&body).into_owned());
        }
        Err(LinkProblem::Redirected)
    }

    /// Checks that `page` links back to `profile`.
    pub async fn check_link(&self, page: &str, profile: &str) -> LinkCheck {
        match self.get_page(page).await {
            Ok(html) if links_back(&html, profile) => LinkCheck::Verified,
            Ok(_) => LinkCheck::NotLinked,
            Err(problem) => LinkCheck::Unreachable(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{links_back, LinkProblem};

    #[test]
    fn problems_survive_their_codes() {
        for p in LinkProblem::ALL {
            assert_eq!(LinkProblem::from_code(&p.code()), Some(p));
        }
        assert_eq!(LinkProblem::from_code("status_x"), None);
        assert_eq!(LinkProblem::from_code("new_kind"), None);
    }

    const ME: &str = "https://herold.bund.example/users/press";

    #[test]
    fn a_rel_me_link_to_the_profile_is_found_however_it_is_written() {
        for html in [
            r#"<a href="https://herold.bund.example/users/press" rel="me">Mastodon</a>"#,
            r#"<A REL='nofollow me noopener' HREF='https://herold.bund.example/users/press/'>x</A>"#,
            r#"<link rel=me href=https://herold.bund.example/users/press>"#,
            "<p>text</p><a\n  class=\"x\"\n  rel=\"me\"\n  href=\"https://herold.bund.example/users/press\"\n>Mastodon</a>",
        ] {
            assert!(links_back(html, ME), "{html}");
        }
    }

    #[test]
    fn other_links_do_not_verify() {
        for html in [
            r#"<a href="https://herold.bund.example/users/press">no rel</a>"#,
            r#"<a rel="mention" href="https://herold.bund.example/users/press">x</a>"#,
            r#"<a rel="me" href="https://herold.bund.example/users/other">x</a>"#,
            r#"<a rel="me" href="https://herold.bund.example/users/press-office">x</a>"#,
            r#"<img rel="me" src="https://herold.bund.example/users/press">"#,
            r#"<a title="rel=me href=https://herold.bund.example/users/press">x</a>"#,
            "<a rel=\"me\" href=\"https://herold.bund.example/users/press",
            "",
            "<<<<>>>>< a",
        ] {
            assert!(!links_back(html, ME), "{html}");
        }
    }
}
