use url::Url;

/// Every id Herold hands out is built here from the configured public base URL, so ids stay
/// stable and one place decides the URL layout.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    /// `base` must be an absolute http(s) URL; a path in it is ignored.
    pub fn new(mut base: Url) -> Self {
        base.set_path("");
        base.set_query(None);
        base.set_fragment(None);
        Urls { base }
    }

    fn at(&self, path: &str) -> String {
        let mut s = self.base.as_str().trim_end_matches('/').to_owned();
        s.push_str(path);
        s
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The host (with a non-default port) in handles: `press@<host>`.
    pub fn host(&self) -> String {
        match (self.base.host_str(), self.base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        }
    }

    pub fn home(&self) -> String {
        self.at("/")
    }
    pub fn actor(&self, username: &str) -> String {
        self.at(&format!("/users/{username}"))
    }
    pub fn key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }
    /// The Ed25519 key of integrity proofs: a fragment of the actor, as FEP-521a advises.
    pub fn proof_key_id(&self, username: &str) -> String {
        format!("{}#ed25519-key", self.actor(username))
    }
    pub fn inbox(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/inbox"))
    }
    pub fn outbox(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/outbox"))
    }
    pub fn followers(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/followers"))
    }
    pub fn following(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/following"))
    }
    pub fn featured(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/featured"))
    }
    pub fn feed(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/feed.atom"))
    }
    /// Herold's WebSub hub, which the feeds name.
    pub fn websub_hub(&self) -> String {
        self.at("/websub")
    }
    /// An account's feed in `format` (`atom`, `rss` or `json`).
    pub fn feed_in(&self, username: &str, format: &str) -> String {
        self.at(&format!("/users/{username}/feed.{format}"))
    }
    pub fn feed_rss(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/feed.rss"))
    }
    pub fn feed_json(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/feed.json"))
    }
    pub fn announcement(&self, username: &str, public_id: &str) -> String {
        self.at(&format!("/users/{username}/announcements/{public_id}"))
    }
    pub fn replies(&self, username: &str, public_id: &str) -> String {
        self.at(&format!("/users/{username}/announcements/{public_id}/replies"))
    }
    /// A consent given to quote an announcement or feature an account (FEP-044f, FEP-7aa9).
    pub fn stamp(&self, username: &str, id: &str) -> String {
        self.at(&format!("/users/{username}/stamps/{id}"))
    }
    /// The public page of a hashtag (lower case, without '#').
    pub fn tag(&self, tag: &str) -> String {
        let encoded: String = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect();
        self.at(&format!("/tags/{encoded}"))
    }
    /// An image attached to announcements.
    pub fn media(&self, public_id: &str) -> String {
        self.at(&format!("/media/{public_id}"))
    }
    /// A legal page Herold hosts from the text in an organisation's policy (`imprint`,
    /// `accessibility_statement`).
    pub fn hosted_legal_page(&self, org_slug: &str, key: &str) -> String {
        self.at(&format!("/legal/{org_slug}/{key}"))
    }
    /// The privacy notice Herold writes for an organisation's followers from its policies.
    pub fn privacy_notice(&self, org_slug: &str) -> String {
        self.at(&format!("/privacy/{org_slug}"))
    }
    /// Where people subscribe to an account's announcements by e-mail.
    pub fn subscribe(&self, username: &str) -> String {
        self.at(&format!("/users/{username}/subscribe"))
    }
    /// A subscription's confirmation (`confirm`) or end (`unsubscribe`), named by its token.
    pub fn subscription(&self, token: &str, step: &str) -> String {
        self.at(&format!("/subscriptions/{token}/{step}"))
    }
    pub fn activity(&self, username: &str, id: &str) -> String {
        self.at(&format!("/users/{username}/activities/{id}"))
    }
    pub fn shared_inbox(&self) -> String {
        self.at("/inbox")
    }
    pub fn instance_actor(&self) -> String {
        self.at("/actor")
    }
    pub fn instance_key_id(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }
    /// The relay actor, and the inbox URL server admins enter to subscribe.
    pub fn relay_actor(&self) -> String {
        self.at("/relay")
    }
    pub fn relay_inbox(&self) -> String {
        self.at("/relay/inbox")
    }
    pub fn relay_key_id(&self) -> String {
        format!("{}#main-key", self.relay_actor())
    }
    pub fn relay_activity(&self, id: &str) -> String {
        self.at(&format!("/relay/activities/{id}"))
    }
    pub fn instance_activity(&self, id: &str) -> String {
        self.at(&format!("/actor/activities/{id}"))
    }

    /// The username of one of our actors, if `uri` is one.
    pub fn username_of(&self, uri: &str) -> Option<String> {
        let prefix = self.at("/users/");
        let rest = uri.strip_prefix(&prefix)?;
        (!rest.is_empty() && !rest.contains(['/', '#', '?'])).then(|| rest.to_owned())
    }

    /// The username and public id of one of our announcements, if `uri` is one.
    pub fn announcement_of(&self, uri: &str) -> Option<(String, String)> {
        let rest = uri.strip_prefix(&self.at("/users/"))?;
        let (username, public_id) = rest.split_once("/announcements/")?;
        let plain = |s: &str| !s.is_empty() && !s.contains(['/', '#', '?']);
        (plain(username) && plain(public_id)).then(|| (username.to_owned(), public_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_actor_urls() {
        let u = Urls::new(Url::parse("https://herold.example.gov/ignored").unwrap());
        assert_eq!(u.actor("press"), "https://herold.example.gov/users/press");
        assert_eq!(u.username_of("https://herold.example.gov/users/press").as_deref(), Some("press"));
        assert_eq!(u.username_of("https://herold.example.gov/users/press/inbox"), None);
        assert_eq!(u.username_of("https://other.example/users/press"), None);
        assert_eq!(
            u.announcement_of(&u.announcement("press", "abc")),
            Some(("press".to_owned(), "abc".to_owned()))
        );
        assert_eq!(
            u.announcement_of("https://herold.example.gov/users/press/announcements/abc/replies"),
            None
        );
        assert_eq!(u.announcement_of("https://other.example/users/press/announcements/abc"), None);
        assert_eq!(u.host(), "herold.example.gov");
        let local = Urls::new(Url::parse("http://127.0.0.1:8080").unwrap());
        assert_eq!(local.host(), "127.0.0.1:8080");
    }
}
