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
