//! Citizens' posts to official accounts: which accounts a post is for (a reply to one of
//! their announcements, a quote of one, a mention of the account), how it was addressed,
//! and its text as plain text. Pure: the inbox decides what to keep.

use herold_domain::dialogue::MessageKind;
use serde_json::Value;

use crate::vocab::{id_of, is_public, same_origin};
use crate::Urls;

/// The longest text kept of one post. Mastodon allows 500 characters by default, other
/// servers more; beyond this a post is cut, and the staff page links to the original.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// The most official accounts one post is kept for: a post naming every account on a
/// shared instance costs one row each, so a sender cannot multiply its work.
pub const MAX_TARGETS: usize = 4;

/// A post that concerns official accounts here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: String,
    /// Where a person reads it on the sender's server.
    pub url: Option<String>,
    pub text: String,
    pub language: Option<String>,
    /// `public`, `unlisted`, `followers` or `direct`.
    pub visibility: &'static str,
    pub targets: Vec<Target>,
}

/// One official account a post is for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub username: String,
    pub kind: MessageKind,
    /// The announcement it answers or quotes.
    pub announcement: Option<String>,
}

/// The types people post as (Mastodon and GoToSocial send Note, Misskey Note or Question,
/// blogs Article or Page).
const POST_TYPES: [&str; 4] = ["Note", "Article", "Page", "Question"];

/// Where servers name the quoted post: FEP-044f's `quote`, and the older fields.
const QUOTE_FIELDS: [&str; 4] = ["quote", "quoteUrl", "quoteUri", "_misskey_quote"];

/// Reads `object` (the post a Create or Update carries) sent by `sender`: `None` unless it
/// is a post of the sender's own, from their own server, for at least one account here.
pub fn post_of(object: &Value, sender: &str, urls: &Urls) -> Option<Post> {
    let kind = object.get("type").and_then(Value::as_str)?;
    if !POST_TYPES.contains(&kind) {
        return None;
    }
    let id = object.get("id").and_then(Value::as_str).filter(|id| same_origin(id, sender))?;
    if object.get("attributedTo").and_then(id_of) != Some(sender) {
        return None;
    }
    let mut targets: Vec<Target> = Vec::new();
    let mut add = |target: Target| {
        if targets.len() < MAX_TARGETS && !targets.iter().any(|t| t.username == target.username) {
            targets.push(target);
        }
    };
    if let Some((username, public_id)) =
        object.get("inReplyTo").and_then(id_of).and_then(|r| urls.announcement_of(r))
    {
        add(Target { username, kind: MessageKind::Reply, announcement: Some(public_id) });
    }
    for field in QUOTE_FIELDS {
        if let Some((username, public_id)) =
            object.get(field).and_then(id_of).and_then(|q| urls.announcement_of(q))
        {
            add(Target { username, kind: MessageKind::Quote, announcement: Some(public_id) });
        }
    }
    for tag in list(object.get("tag")) {
        let mention = tag.get("type").and_then(Value::as_str) == Some("Mention");
        if let Some(username) =
            tag.get("href").and_then(Value::as_str).filter(|_| mention).and_then(|h| urls.username_of(h))
        {
            add(Target { username, kind: MessageKind::Mention, announcement: None });
        }
    }
    if targets.is_empty() {
        return None;
    }
    let (html, language) = content_of(object);
    let summary = object.get("summary").and_then(Value::as_str).map(plain_text).filter(|s| !s.is_empty());
    let body = plain_text(&html);
    let text = match summary {
        Some(warning) => format!("{warning}\n\n{body}"),
        None => body,
    };
    Some(Post {
        id: id.to_owned(),
        // Only a web address is a link staff may follow (never `javascript:` and the like).
        url: object
            .get("url")
            .and_then(|u| id_of(u).or_else(|| u.get("href").and_then(Value::as_str)))
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned),
        text: cut(text),
        language,
        visibility: visibility(object),
        targets,
    })
}

/// The post's text and language: `contentMap`'s first entry (Mastodon sends the language
/// only there), else `content`.
fn content_of(object: &Value) -> (String, Option<String>) {
    if let Some((language, html)) = object
        .get("contentMap")
        .and_then(Value::as_object)
        .and_then(|m| m.iter().find_map(|(l, c)| c.as_str().map(|c| (l, c))))
    {
        let language = Some(language.chars().take(35).collect::<String>()).filter(|l| !l.is_empty());
        return (html.to_owned(), language);
    }
    (object.get("content").and_then(Value::as_str).unwrap_or_default().to_owned(), None)
}

/// The audiences a post can have: everyone (and listed), everyone (not listed), the
/// sender's followers, or only those it names.
pub const VISIBILITIES: [&str; 4] = ["public", "unlisted", "followers", "direct"];

/// How the sender addressed the post, so that an answer goes to the same audience.
fn visibility(object: &Value) -> &'static str {
    let (to, cc) = (list(object.get("to")), list(object.get("cc")));
    let ids = |l: &[&Value]| l.iter().filter_map(|v| id_of(v)).map(str::to_owned).collect::<Vec<_>>();
    let (to, cc) = (ids(&to), ids(&cc));
    let audience = if to.iter().any(|i| is_public(i)) {
        0
    } else if cc.iter().any(|i| is_public(i)) {
        1
    } else if to.iter().chain(&cc).any(|i| i.ends_with("/followers")) {
        2
    } else {
        3
    };
    VISIBILITIES[audience]
}

/// A JSON-LD value that may be one item or a list.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The text of a post's HTML, as a person reads it: tags dropped, paragraphs and line
/// breaks kept as line breaks, character references decoded. What is left is shown
/// escaped, so no markup of the sender's ever reaches a staff page.
pub fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            // An unclosed `<` is text.
            out.push_str(&decode(&rest[lt..]));
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        let name: String =
            tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        match name.as_str() {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "blockquote" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                if tag.starts_with('/') =>
            {
                out.push_str("\n\n")
            }
            _ => {}
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(&decode(rest));
    // No run of blank lines, and none at the ends.
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = String::new();
    let mut blank = 0;
    for line in lines {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(line);
    }
    text
}

/// HTML's names for U+00A0 to U+00FF, in order (German umlauts and ß among them).
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf", "laquo",
    "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
    "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",
    "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute",
    "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash",
    "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde",
    "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc",
    "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave",
    "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
];

/// Other names servers' HTML uses for punctuation.
const SPECIAL: [(&str, char); 12] = [
    ("hellip", '…'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("euro", '€'),
    ("bull", '•'),
    ("trade", '™'),
];

/// Decodes the character references a post's HTML uses; an unknown one stays as written.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if LATIN1.contains(&name) => {
                    LATIN1.iter().position(|n| *n == name).and_then(|i| char::from_u32(0xA0 + i as u32))
                }
                _ if name.starts_with('#') => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| !c.is_control() || *c == '\n')
                }
                _ => SPECIAL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c),
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn urls() -> Urls {
        Urls::new(url::Url::parse("https://herold.example").unwrap())
    }

    const ANNA: &str = "https://social.example/users/anna";

    /// A reply as Mastodon 4.x sends it (Create's object), to an announcement of @press.
    fn mastodon_reply() -> Value {
        json!({
            "id": "https://social.example/users/anna/statuses/113",
            "type": "Note",
            "summary": null,
            "inReplyTo": "https://herold.example/users/press/announcements/a1b2",
            "published": "2026-12-07T09:00:00Z",
            "url": "https://social.example/@anna/113",
            "attributedTo": ANNA,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://social.example/users/anna/followers", "https://herold.example/users/press"],
            "sensitive": false,
            "content": "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://herold.example/@press\" class=\"u-url mention\">@<span>press</span></a></span> Gilt das auch f&#252;r die Nordbr&uuml;cke?</p><p>Danke &amp; Gru&szlig;<br />Anna</p>",
            "contentMap": { "de": "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://herold.example/@press\" class=\"u-url mention\">@<span>press</span></a></span> Gilt das auch f&#252;r die Nordbrücke?</p><p>Danke &amp; Gruß<br />Anna</p>" },
            "tag": [{ "type": "Mention", "href": "https://herold.example/users/press", "name": "@press@herold.example" }]
        })
    }

    #[test]
    fn a_mastodon_reply_is_for_the_announcement_it_answers() {
        let post = post_of(&mastodon_reply(), ANNA, &urls()).expect("a post for @press");
        assert_eq!(
            post.targets,
            vec![Target {
                username: "press".into(),
                kind: MessageKind::Reply,
                announcement: Some("a1b2".into())
            }]
        );
        assert_eq!(post.text, "@press Gilt das auch für die Nordbrücke?\n\nDanke & Gruß\nAnna");
        assert_eq!(post.language.as_deref(), Some("de"));
        assert_eq!(post.visibility, "public");
        assert_eq!(post.url.as_deref(), Some("https://social.example/@anna/113"));
    }

    #[test]
    fn a_misskey_quote_and_a_direct_mention_are_recognised() {
        // Misskey: a quote of the announcement with its own field, addressed to followers.
        let quote = json!({
            "id": "https://misskey.example/notes/9xyz", "type": "Note",
            "attributedTo": "https://misskey.example/users/9abc",
            "content": "<p>Wichtig!</p>", "_misskey_quote": "https://herold.example/users/press/announcements/a1b2",
            "quoteUrl": "https://herold.example/users/press/announcements/a1b2",
            "to": ["https://misskey.example/users/9abc/followers"], "cc": []
        });
        let post = post_of(&quote, "https://misskey.example/users/9abc", &urls()).expect("a quote");
        assert_eq!(post.targets[0].kind, MessageKind::Quote);
        assert_eq!((post.targets.len(), post.visibility), (1, "followers"));
        // A direct message: only the account is addressed (a single object, not a list).
        let direct = json!({
            "id": "https://social.example/users/anna/statuses/114", "type": "Note", "attributedTo": ANNA,
            "content": "<p>Private Frage</p>", "to": "https://herold.example/users/press",
            "tag": { "type": "Mention", "href": "https://herold.example/users/press" }
        });
        let mut direct = direct;
        direct["url"] = json!("javascript:alert(1)");
        let post = post_of(&direct, ANNA, &urls()).expect("a mention");
        assert_eq!(post.url, None, "only web addresses are links");
        assert_eq!((post.targets[0].kind, post.visibility), (MessageKind::Mention, "direct"));
    }

    #[test]
    fn posts_of_others_or_for_nobody_here_are_not_messages() {
        let mut forged = mastodon_reply();
        forged["attributedTo"] = json!("https://social.example/users/bert");
        assert_eq!(post_of(&forged, ANNA, &urls()), None, "a post of someone else's");
        let mut elsewhere = mastodon_reply();
        elsewhere["id"] = json!("https://other.example/notes/1");
        assert_eq!(post_of(&elsewhere, ANNA, &urls()), None, "an id on another server");
        let unrelated = json!({ "id": "https://social.example/n/2", "type": "Note", "attributedTo": ANNA,
            "content": "Hallo", "inReplyTo": "https://social.example/n/1" });
        assert_eq!(post_of(&unrelated, ANNA, &urls()), None);
        let mut follow = mastodon_reply();
        follow["type"] = json!("Follow");
        assert_eq!(post_of(&follow, ANNA, &urls()), None);
    }

    #[test]
    fn one_post_is_kept_for_a_bounded_number_of_accounts() {
        let mut post = mastodon_reply();
        post["tag"] = Value::Array(
            (0..50)
                .map(|i| json!({ "type": "Mention", "href": format!("https://herold.example/users/a{i}") }))
                .collect(),
        );
        assert_eq!(post_of(&post, ANNA, &urls()).unwrap().targets.len(), MAX_TARGETS);
    }

    #[test]
    fn markup_never_survives_and_long_texts_are_cut() {
        assert_eq!(
            plain_text("<script>alert(1)</script><b>fett</b> &lt;i&gt; &#x1F600; &bogus; & x"),
            "alert(1)fett <i> 😀 &bogus; & x"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(
            plain_text("Gr&uuml;&szlig;e &bdquo;Stra&szlig;e&ldquo; &euro;&hellip;"),
            "Grüße „Straße“ €…"
        );
        assert_eq!(plain_text("<p>eins</p><p></p><p>zwei</p>"), "eins\n\nzwei");
        let long = json!({ "id": "https://social.example/n/3", "type": "Note", "attributedTo": ANNA,
            "content": "x".repeat(20_000), "inReplyTo": "https://herold.example/users/press/announcements/a1b2" });
        let post = post_of(&long, ANNA, &urls()).unwrap();
        assert_eq!(post.text.chars().count(), MAX_TEXT_CHARS + 1);
    }
}
