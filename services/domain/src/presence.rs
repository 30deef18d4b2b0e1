//! How an organisation's accounts present themselves to the fediverse, and what others may do
//! with their announcements: the `[presence]` table of its policy file. A public body decides
//! this once, for all its accounts, and every document Herold serves states it explicitly.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Who may quote an organisation's announcements (FEP-044f `canQuote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteAudience {
    Everyone,
    Followers,
    Nobody,
}

impl QuoteAudience {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "everyone" => Some(QuoteAudience::Everyone),
            "followers" => Some(QuoteAudience::Followers),
            "nobody" => Some(QuoteAudience::Nobody),
            _ => None,
        }
    }
}

/// Who may reply to an organisation's announcements (GoToSocial's `canReply`): replies from
/// others are not kept in the dialogue inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyAudience {
    Everyone,
    Followers,
    /// The accounts an announcement mentions.
    Mentioned,
    Nobody,
}

impl ReplyAudience {
    pub const ALL: [ReplyAudience; 4] =
        [ReplyAudience::Everyone, ReplyAudience::Followers, ReplyAudience::Mentioned, ReplyAudience::Nobody];

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyAudience::Everyone => "everyone",
            ReplyAudience::Followers => "followers",
            ReplyAudience::Mentioned => "mentioned",
            ReplyAudience::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ReplyAudience::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Presence {
    /// Official announcements are meant to be passed on, so by default everyone may quote.
    pub quotes: QuoteAudience,
    /// Who may reply; by default everyone, as on the platforms bodies come from.
    pub replies: ReplyAudience,
    /// Whether others may add the accounts to their collections (FEP-7aa9 `canFeature`).
    pub collections: bool,
    /// Listed in directories and full-text search (`discoverable`, `indexable`).
    pub discoverable: bool,
    /// Websites whose articles may name the accounts as their author (`attributionDomains`).
    pub attribution_domains: Vec<String>,
    /// The organisation's local time (`time_zone`), in which its staff type schedules and
    /// its pages show dates.
    pub time_zone: crate::Zone,
    /// Its imprint, privacy notice and accessibility statement (`[legal]`).
    pub legal: crate::LegalPages,
    /// Whether people may subscribe to the accounts' announcements by e-mail: off unless
    /// the organisation decides to keep subscribers' addresses.
    pub email_subscriptions: bool,
    /// The body's colour, behind its name at the top of its public pages (`colour`).
    pub colour: Option<Colour>,
    /// The body's logo beside its name, on its public pages and in its staff workspace
    /// (`logo`).
    pub logo: Option<Logo>,
}

/// A body's logo: a PNG or SVG file its policy names, read once at startup.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
}

impl Logo {
    /// Large enough for any emblem; a logo is sent with every first page view.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Checks the file's bytes, not its name; `Err` says why it is refused.
    pub fn parse(bytes: &[u8]) -> Result<Logo, String> {
        if bytes.len() > Logo::MAX_BYTES {
            return Err(format!(
                "the file has {} KiB, and a logo may have at most {} KiB",
                bytes.len().div_ceil(1024),
                Logo::MAX_BYTES / 1024
            ));
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            if bytes.get(12..16) != Some(b"IHDR") {
                return Err("the PNG file is damaged (it does not begin with its header)".to_owned());
            }
            "image/png"
        } else if let Some(text) = svg_text(bytes) {
            // A script never runs in an <img>, and the file is served sandboxed; refusing
            // it still tells the operator at once that the file is not a plain drawing.
            let lower = text.to_ascii_lowercase();
            if lower.contains("<script") || lower.contains("javascript:") {
                return Err("the SVG file contains a script; export the logo as a plain drawing".to_owned());
            }
            "image/svg+xml"
        } else {
            return Err("the file is neither PNG nor SVG".to_owned());
        };
        Ok(Logo { content_type, bytes: bytes.into() })
    }
}

/// The text of an SVG file: UTF-8 whose first element is `<svg`, after an optional
/// byte-order mark, XML declaration, comments and doctype.
fn svg_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if rest.starts_with("<svg") {
            return Some(text);
        }
        let close = if rest.starts_with("<?") {
            "?>"
        } else if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<!") {
            ">"
        } else {
            return None;
        };
        let end = rest.find(close)? + close.len();
        rest = rest[end..].trim_start();
    }
}

/// The bytes stay out of the policy snapshots the compliance report compares: a logo
/// reads there as its kind and size.
impl serde::Serialize for Logo {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}, {} bytes", self.content_type, self.bytes.len()))
    }
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

#[cfg(test)]
mod logo_tests {
    use super::Logo;

    #[test]
    fn logos_are_png_or_svg_without_scripts_and_small() {
        let png = [b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".as_slice(), &[0; 17]].concat();
        assert_eq!(Logo::parse(&png).unwrap().content_type, "image/png");
        let svg = "\u{feff}<?xml version=\"1.0\"?>\n<!-- Wappen -->\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert_eq!(Logo::parse(svg.as_bytes()).unwrap().content_type, "image/svg+xml");

        let scripted = "<svg xmlns=\"http://www.w3.org/2000/svg\"><SCRIPT>alert(1)</SCRIPT></svg>";
        assert!(Logo::parse(scripted.as_bytes()).unwrap_err().contains("script"));
        let linked = "<svg><a href=\"JavaScript:alert(1)\"><rect/></a></svg>";
        assert!(Logo::parse(linked.as_bytes()).unwrap_err().contains("script"));
        for other in [b"GIF89a".as_slice(), b"<html><svg/></html>", b"<!-- unclosed <svg/>", b"\xff\xd8\xff"]
        {
            assert!(Logo::parse(other).unwrap_err().contains("neither PNG nor SVG"), "{other:?}");
        }
        assert!(Logo::parse(b"\x89PNG\r\n\x1a\nnothing else").unwrap_err().contains("damaged"));
        let huge = [png.as_slice(), &vec![0; Logo::MAX_BYTES]].concat();
        assert!(Logo::parse(&huge).unwrap_err().contains("at most 256 KiB"));
    }
}

/// A colour that white text stays readable on (WCAG 2.1 contrast of at least 4.5:1), as
/// `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Colour([u8; 3]);

impl Colour {
    /// What WCAG 2.1 (1.4.3) asks of normal text.
    pub const MIN_CONTRAST: f64 = 4.5;

    /// Parses `#rrggbb`; `Err` says why it is refused (the shape, or the contrast found).
    pub fn parse(raw: &str) -> Result<Colour, String> {
        let hex =
            raw.trim().strip_prefix('#').filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(hex) = hex else {
            return Err(format!("{raw:?} is not a colour as #rrggbb, e.g. \"#004b87\""));
        };
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        let colour = Colour([byte(0), byte(2), byte(4)]);
        let contrast = colour.contrast_with_white();
        if contrast < Colour::MIN_CONTRAST {
            return Err(format!(
                "white text on {raw} has a contrast of {contrast:.2}:1, and WCAG 2.1 asks for {}:1; choose a darker colour",
                Colour::MIN_CONTRAST
            ));
        }
        Ok(colour)
    }

    /// Relative luminance (WCAG 2.1).
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    pub fn contrast_with_white(self) -> f64 {
        1.05 / (self.luminance() + 0.05)
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

#[cfg(test)]
mod colour_tests {
    use super::Colour;

    #[test]
    fn colours_are_refused_where_white_text_would_not_be_read() {
        assert_eq!(Colour::parse("#004B87").unwrap().hex(), "#004b87");
        assert!((Colour::parse("#000000").unwrap().contrast_with_white() - 21.0).abs() < 0.01);
        // #767676 is the lightest grey that passes on white.
        assert!(Colour::parse("#767676").is_ok());
        let yellow = Colour::parse("#ffcc00").unwrap_err();
        assert!(yellow.contains("1.51:1") && yellow.contains("darker"), "{yellow}");
        for bad in ["004b87", "#04b87", "#00gg87", "red", ""] {
            assert!(Colour::parse(bad).unwrap_err().contains("#rrggbb"), "{bad}");
        }
    }
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            quotes: QuoteAudience::Everyone,
            replies: ReplyAudience::Everyone,
            collections: true,
            discoverable: true,
            attribution_domains: Vec::new(),
            time_zone: crate::Zone::utc(),
            legal: crate::LegalPages::default(),
            email_subscriptions: false,
            colour: None,
            logo: None,
        }
    }
}

impl Presence {
    /// Collections show accounts to people browsing them; one kept out of directories is
    /// kept out of collections too, as Mastodon does.
    pub fn featurable(&self) -> bool {
        self.collections && self.discoverable
    }
}

/// Every organisation's presence, by slug; an organisation without a `[presence]` table
/// has the defaults.
#[derive(Debug, Clone, Default)]
pub struct Presences(Arc<BTreeMap<String, Presence>>);

impl Presences {
    pub fn new(by_org: BTreeMap<String, Presence>) -> Self {
        Presences(Arc::new(by_org))
    }

    pub fn of(&self, org: &str) -> Presence {
        self.0.get(org).cloned().unwrap_or_default()
    }
}
