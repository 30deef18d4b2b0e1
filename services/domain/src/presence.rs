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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyAudience {
    Everyone,
    Followers,
    /// The accounts an announcement mentions.
    Mentioned,
    Nobody,
}

impl ReplyAudience {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "everyone" => Some(ReplyAudience::Everyone),
            "followers" => Some(ReplyAudience::Followers),
            "mentioned" => Some(ReplyAudience::Mentioned),
            "nobody" => Some(ReplyAudience::Nobody),
            _ => None,
        }
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
