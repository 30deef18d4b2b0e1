//! Plain text to the HTML subset Mastodon keeps, and the hashtags and mentions in it. One
//! tokenizer serves rendering and extraction, so a tag the page links is a tag the `Note`
//! carries and a mention shown is a mention addressed.

use herold_federation::vocab::escape_html;
use herold_federation::Urls;
use herold_store::Mention;

/// A hashtag longer than this is text, as on Mastodon.
const MAX_TAG_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Text(&'a str),
    Link(&'a str),
    /// Without the '#', as written.
    Hashtag(&'a str),
    /// `@user` (this server) or `@user@domain`, without the first '@'.
    Mention {
        user: &'a str,
        domain: Option<&'a str>,
    },
}

/// Opening and closing punctuation around a word that is not part of a link, tag or
/// mention: "(see #Flood)" tags "Flood".
const LEADING: &[char] = &['(', '[', '"', '\'', '«', '„', '“', '‚'];
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'', '»', '“', '”', '‘', '’'];

/// A word split into leading punctuation, what it says, and trailing punctuation.
fn word_tokens(word: &str) -> Vec<Token<'_>> {
    let core_start = word.len() - word.trim_start_matches(LEADING).len();
    let (lead, rest) = word.split_at(core_start);
    let core = rest.trim_end_matches(TRAILING);
    let trail = &rest[core.len()..];
    let token = if (core.starts_with("https://") || core.starts_with("http://")) && url_ok(core) {
        // Links keep their opening punctuation: "(https://x)" links https://x.
        Some(Token::Link(core))
    } else if let Some(tag) = core.strip_prefix('#').filter(|t| tag_ok(t) && tag_ok(&t.to_lowercase())) {
        Some(Token::Hashtag(tag))
    } else {
        core.strip_prefix('@').and_then(parse_mention)
    };
    match token {
        Some(t) => {
            [Token::Text(lead), t, Token::Text(trail)].into_iter().filter(|t| *t != Token::Text("")).collect()
        }
        None => vec![Token::Text(word)],
    }
}

fn url_ok(s: &str) -> bool {
    s.len() > "https://".len() && !s.contains(['<', '>', '"', '\''])
}

fn tag_ok(tag: &str) -> bool {
    !tag.is_empty()
        && tag.chars().count() <= MAX_TAG_CHARS
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        && tag.chars().any(char::is_alphabetic)
}

/// `user` or `user@domain`: Mastodon's user names (letters, digits, '_', and '.' or '-'
/// inside) and a host name with an optional port.
fn parse_mention(s: &str) -> Option<Token<'_>> {
    let (user, domain) = match s.split_once('@') {
        Some((u, d)) => (u, Some(d)),
        None => (s, None),
    };
    let user_ok = !user.is_empty()
        && user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !user.starts_with(['.', '-'])
        && !user.ends_with(['.', '-']);
    let domain_ok = domain.is_none_or(|d| {
        let (host, port) = d.split_once(':').map_or((d, None), |(h, p)| (h, Some(p)));
        !host.is_empty()
            && host.contains('.')
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-'])
            && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
    });
    (user_ok && domain_ok).then_some(Token::Mention { user, domain })
}

/// The paragraphs of a text, each as its lines: the one split that rendering and extraction
/// share, so both see the same words.
fn paragraphs(text: &str) -> impl Iterator<Item = std::str::Lines<'_>> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::lines)
}

fn tokens(text: &str) -> impl Iterator<Item = Token<'_>> {
    paragraphs(text).flatten().flat_map(|line| line.split(' ')).flat_map(word_tokens)
}

/// What a mention is called on the wire and matched by: `@user@domain` in lower case, with
/// this server's host for a bare `@user`.
pub fn mention_name(user: &str, domain: Option<&str>, urls: &Urls) -> String {
    let host = urls.host();
    format!("@{}@{}", user, domain.unwrap_or(&host)).to_lowercase()
}

/// The addresses a text mentions, each once, as (user, domain).
pub fn mentioned<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for text in texts {
        for t in tokens(text) {
            if let Token::Mention { user, domain } = t {
                let key = (user.to_lowercase(), domain.map(str::to_lowercase));
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
    }
    out
}

/// Whether `tag` (lower case, without '#') is one the renderer would link: the tag pages
/// serve exactly these.
pub fn is_tag(tag: &str) -> bool {
    tag_ok(tag) && tag.to_lowercase() == tag
}

/// The hashtags of the texts, each once: (as first written, lower case).
pub fn hashtags<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for text in texts {
        for t in tokens(text) {
            if let Token::Hashtag(tag) = t {
                let lower = tag.to_lowercase();
                if !out.iter().any(|(_, l)| *l == lower) {
                    out.push((tag.to_owned(), lower));
                }
            }
        }
    }
    out
}

/// The first link a text makes: the one Mastodon shows a preview card of (FEP-8967).
pub fn first_link(text: &str) -> Option<&str> {
    tokens(text).find_map(|t| match t {
        Token::Link(href) => Some(href),
        _ => None,
    })
}

/// Paragraphs on blank lines, `<br>` on single newlines, links, hashtags (to this server's
/// tag page) and the mentions that were resolved; everything else is escaped. A mention
/// nobody resolved stays text rather than pointing at a guess.
pub fn render_text(text: &str, urls: &Urls, mentions: &[Mention]) -> String {
    let mut out = String::new();
    for lines in paragraphs(text) {
        out.push_str("<p>");
        for (i, line) in lines.enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            for (j, word) in line.split(' ').enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                for token in word_tokens(word) {
                    render_token(&mut out, token, urls, mentions);
                }
            }
        }
        out.push_str("</p>");
    }
    out
}

fn render_token(out: &mut String, token: Token<'_>, urls: &Urls, mentions: &[Mention]) {
    match token {
        Token::Text(t) => out.push_str(&escape_html(t)),
        Token::Link(url) => {
            let href = escape_html(url);
            out.push_str(&format!(
                "<a href=\"{href}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{href}</a>"
            ));
        }
        Token::Hashtag(tag) => out.push_str(&format!(
            "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
            escape_html(&urls.tag(&tag.to_lowercase())),
            escape_html(tag)
        )),
        Token::Mention { user, domain } => {
            let name = mention_name(user, domain, urls);
            match mentions.iter().find(|m| m.name == name) {
                Some(m) => out.push_str(&format!(
                    "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape_html(&m.href),
                    escape_html(user)
                )),
                None => {
                    out.push('@');
                    out.push_str(&escape_html(user));
                    if let Some(d) = domain {
                        out.push('@');
                        out.push_str(&escape_html(d));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Urls {
        Urls::new(url::Url::parse("https://herold.example").unwrap())
    }

    fn render(text: &str) -> String {
        render_text(text, &urls(), &[])
    }

    #[test]
    fn the_first_link_is_found_past_tags_and_mentions() {
        assert_eq!(
            first_link(
                "#Hochwasser @lagezentrum: (https://www.bund.example/lage?x=1). Mehr: https://b.example"
            ),
            Some("https://www.bund.example/lage?x=1")
        );
        assert_eq!(first_link("Keine Links hier, nur #Tags."), None);
    }

    #[test]
    fn paragraphs_breaks_links_and_escaping() {
        assert_eq!(render("a\nb\n\nc"), "<p>a<br>b</p><p>c</p>");
        assert_eq!(render("<script>"), "<p>&lt;script&gt;</p>");
        assert_eq!(
            render("See https://bfdi.bund.de."),
            "<p>See <a href=\"https://bfdi.bund.de\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://bfdi.bund.de</a>.</p>"
        );
        assert_eq!(render("javascript:alert(1)"), "<p>javascript:alert(1)</p>");
    }

    #[test]
    fn hashtags_link_to_the_tag_page_and_keep_their_spelling() {
        assert_eq!(
            render("(#Hochwasser)"),
            "<p>(<a href=\"https://herold.example/tags/hochwasser\" class=\"mention hashtag\" rel=\"tag\">#<span>Hochwasser</span></a>)</p>"
        );
        assert_eq!(
            render("#Straßenbau."),
            "<p><a href=\"https://herold.example/tags/stra%C3%9Fenbau\" class=\"mention hashtag\" rel=\"tag\">#<span>Straßenbau</span></a>.</p>"
        );
        // At a paragraph's edge (trimmed there), a tag is still one tag, on the page and in
        // the extraction alike.
        assert!(render("\t#Flut").contains("hashtag"));
        assert_eq!(hashtags(["\t#Flut\u{a0}"]), vec![("Flut".to_owned(), "flut".to_owned())]);
        // Numbers, fragments, markup, and tags whose lower case is no tag are not tags.
        for text in ["#2026", "page#top", "#", "#a<b", "##x", "#İzmir", &format!("#{}", "a".repeat(101))] {
            assert!(!render(text).contains("hashtag"), "{text:?} is not a tag");
        }
        assert_eq!(
            hashtags(["#Klima und #klima, #Wahl_2026", "#Umwelt #KLIMA"]),
            vec![
                ("Klima".to_owned(), "klima".to_owned()),
                ("Wahl_2026".to_owned(), "wahl_2026".to_owned()),
                ("Umwelt".to_owned(), "umwelt".to_owned()),
            ]
        );
    }

    #[test]
    fn only_resolved_mentions_become_links() {
        let resolved = vec![Mention {
            name: "@anna@social.example".into(),
            href: "https://social.example/users/anna".into(),
            inbox: Some("https://social.example/inbox".into()),
        }];
        assert_eq!(
            render_text("Hello @Anna@social.example!", &urls(), &resolved),
            "<p>Hello <span class=\"h-card\" translate=\"no\"><a href=\"https://social.example/users/anna\" class=\"u-url mention\">@<span>Anna</span></a></span>!</p>"
        );
        assert_eq!(render("Hello @bob@social.example"), "<p>Hello @bob@social.example</p>");
        assert_eq!(
            mentioned(["@Anna@Social.Example, @press and @anna@social.example", "mail@example.org @x@y @-a"]),
            vec![("anna".to_owned(), Some("social.example".to_owned())), ("press".to_owned(), None)]
        );
        assert_eq!(mention_name("Press", None, &urls()), "@press@herold.example");
        assert_eq!(
            mentioned(["@peer@127.0.0.1:3000"]),
            vec![("peer".to_owned(), Some("127.0.0.1:3000".to_owned()))]
        );
    }
}
