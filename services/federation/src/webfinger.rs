//! WebFinger lookups (RFC 7033) of `acct:user@domain`: how an author's `@user@domain` becomes
//! an actor to address. The answer is remote input like any other: size-capped, fetched
//! through the SSRF guard, and only trusted as far as the actor's own server confirms it.

use reqwest::header::ACCEPT;
use serde_json::Value;
use url::Url;

use crate::fetch::{check_url, read_capped, redirect_target, request_failed, Fetcher, MAX_REDIRECTS};
use crate::FederationError;

/// A JRD names a handful of links; anything near this size is not one.
pub const MAX_JRD_BYTES: usize = 64 * 1024;

const AS_PROFILE: &str = "https://www.w3.org/ns/activitystreams";

/// What Herold reads from a WebFinger answer (JRD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jrd {
    /// The account's canonical address, as its server names it (`acct:user@domain`).
    pub subject: Option<String>,
    /// The `self` link of an ActivityPub type: the actor's id.
    pub actor: String,
    /// Where the account's own server lets its user follow someone: FEP-3b86's Follow
    /// intent (`{object}`), else the OStatus subscribe template (`{uri}`) Mastodon offers.
    pub follow_template: Option<String>,
}

const FOLLOW_INTENT: &str = "https://w3id.org/fep/3b86/Follow";
const OSTATUS_SUBSCRIBE: &str = "http://ostatus.org/schema/1.0/subscribe";

impl Jrd {
    /// The page of the person's own server where they confirm following `object`: the
    /// template with `object` filled in (percent-encoded) and any other variable left
    /// blank, as FEP-3b86 asks. `None` without a template or for one that is no https URL
    /// (http only where private networks are allowed).
    pub fn follow_url(&self, object: &str, allow_http: bool) -> Option<Url> {
        let template = self.follow_template.as_deref()?;
        let encoded: String = url::form_urlencoded::byte_serialize(object.as_bytes()).collect();
        // form_urlencoded writes spaces as '+'; an actor id has none.
        let mut out = String::with_capacity(template.len() + encoded.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}')? + open;
            if matches!(&rest[open + 1..close], "object" | "uri") {
                out.push_str(&encoded);
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        let url = Url::parse(&out).ok()?;
        (url.scheme() == "https" || (allow_http && url.scheme() == "http")).then_some(url)
    }
}

pub fn parse_jrd(body: &[u8]) -> Result<Jrd, FederationError> {
    let jrd: Value = serde_json::from_slice(body)
        .map_err(|_| FederationError::Invalid("the WebFinger answer is not JSON".into()))?;
    let links = jrd
        .get("links")
        .and_then(Value::as_array)
        .ok_or_else(|| FederationError::Invalid("the WebFinger answer has no links".into()))?;
    let href = links
        .iter()
        .filter(|l| l.get("rel").and_then(Value::as_str) == Some("self"))
        .filter(|l| l.get("type").and_then(Value::as_str).is_some_and(is_activitypub_type))
        .find_map(|l| l.get("href").and_then(Value::as_str))
        .ok_or_else(|| FederationError::Invalid("the WebFinger answer names no ActivityPub actor".into()))?;
    let url = Url::parse(href)
        .map_err(|_| FederationError::Invalid("the WebFinger answer's actor is not a URL".into()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(FederationError::Invalid("the WebFinger answer's actor is not an http(s) URL".into()));
    }
    let subject = jrd.get("subject").and_then(Value::as_str).map(str::to_owned);
    let template = |rel: &str| {
        links
            .iter()
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some(rel))
            .find_map(|l| l.get("template").and_then(Value::as_str))
            .map(str::to_owned)
    };
    let follow_template = template(FOLLOW_INTENT).or_else(|| template(OSTATUS_SUBSCRIBE));
    Ok(Jrd { subject, actor: url.into(), follow_template })
}

fn is_activitypub_type(t: &str) -> bool {
    let t = t.trim();
    t.eq_ignore_ascii_case("application/activity+json")
        || (t.to_ascii_lowercase().starts_with("application/ld+json") && t.contains(AS_PROFILE))
}

/// The authority (host and a non-default port) of a URL, as it appears in handles.
fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

impl Fetcher {
    /// The actor document `@user@domain` names. When the actor lives on another host than
    /// `domain` (an account at example.org served by social.example.org), the actor's own
    /// server must give `user@domain` as that actor's address: otherwise any server could
    /// point one of its names at someone else's account.
    pub async fn resolve_acct(&self, user: &str, domain: &str) -> Result<Value, FederationError> {
        let named = self.webfinger(domain, &format!("acct:{user}@{domain}")).await?;
        let actor_url = Url::parse(&named.actor)
            .map_err(|_| FederationError::Invalid("the actor id is not a URL".into()))?;
        let actor_host = authority(&actor_url);
        if !actor_host.eq_ignore_ascii_case(domain) {
            let own = self.webfinger(&actor_host, &named.actor).await.ok();
            let expected = format!("acct:{user}@{domain}");
            let confirmed = own.is_some_and(|own| {
                own.actor == named.actor && own.subject.is_some_and(|s| s.eq_ignore_ascii_case(&expected))
            });
            if !confirmed {
                return Err(FederationError::Invalid(format!(
                    "{domain} names an account on {actor_host}, which does not confirm the address"
                )));
            }
        }
        self.get_object(&named.actor).await
    }

    /// GETs `/.well-known/webfinger?resource=…` on `host` (unsigned: servers in
    /// authorized-fetch mode answer WebFinger to anyone).
    pub async fn webfinger(&self, host: &str, resource: &str) -> Result<Jrd, FederationError> {
        // Plain http only where private networks are allowed (tests, development), and only
        // for hosts that cannot have a public certificate, after https was tried: a server
        // there may have a certificate of an internal CA, and its problems must show.
        let local = host.starts_with("127.") || host.starts_with("localhost") || host.starts_with('[');
        match self.webfinger_over("https", host, resource).await {
            Err(FederationError::Fetch(_)) if self.allow_private && local => {
                self.webfinger_over("http", host, resource).await
            }
            answer => answer,
        }
    }

    async fn webfinger_over(&self, scheme: &str, host: &str, resource: &str) -> Result<Jrd, FederationError> {
        let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
            .map_err(|_| FederationError::Invalid(format!("{host:?} is not a host name")))?;
        url.query_pairs_mut().append_pair("resource", resource);
        check_url(&url, self.allow_private)?;
        // A domain may hand WebFinger on to the server that hosts its accounts (another
        // host): redirects are followed anywhere the SSRF guard allows, since the answer is
        // only trusted as far as the actor's own server confirms it.
        let mut hops = 0;
        let resp = loop {
            let resp = self
                .client
                .get(url.as_str())
                .header(ACCEPT, "application/jrd+json, application/json")
                .send()
                .await
                .map_err(|e| request_failed(host, e))?;
            if !resp.status().is_redirection() {
                break resp;
            }
            hops += 1;
            url = redirect_target(&resp, &url).filter(|_| hops <= MAX_REDIRECTS).ok_or_else(|| {
                FederationError::Fetch(format!("{host} redirected WebFinger too often or nowhere"))
            })?;
            check_url(&url, self.allow_private)?;
        };
        let status = resp.status().as_u16();
        if status == 404 || status == 410 {
            return Err(FederationError::Gone(format!("{host} knows no such account")));
        }
        if !(200..300).contains(&status) {
            return Err(FederationError::Fetch(format!("{host} answered {status} to WebFinger")));
        }
        parse_jrd(&read_capped(resp, MAX_JRD_BYTES).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_jrd;

    fn actor_from_jrd(body: &[u8]) -> Result<String, crate::FederationError> {
        parse_jrd(body).map(|j| j.actor)
    }

    #[test]
    fn follow_pages_come_from_the_intent_or_the_subscribe_template() {
        // Mastodon's JRD (OStatus subscribe), and one that also names FEP-3b86 intents.
        let mastodon = br#"{"subject":"acct:anna@social.example","links":[
            {"rel":"self","type":"application/activity+json","href":"https://social.example/users/anna"},
            {"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://social.example/authorize_interaction?uri={uri}"}]}"#;
        let object = "https://herold.example/users/press";
        let url = parse_jrd(mastodon).unwrap().follow_url(object, false).unwrap();
        assert_eq!(
            url.as_str(),
            "https://social.example/authorize_interaction?uri=https%3A%2F%2Fherold.example%2Fusers%2Fpress"
        );
        let intents = br#"{"links":[
            {"rel":"self","type":"application/activity+json","href":"https://s.example/u/a"},
            {"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://s.example/old?uri={uri}"},
            {"rel":"https://w3id.org/fep/3b86/Follow","template":"https://s.example/intent/follow?object={object}&on-success={on-success}"}]}"#;
        let url = parse_jrd(intents).unwrap().follow_url(object, false).unwrap();
        assert_eq!(
            url.as_str(),
            "https://s.example/intent/follow?object=https%3A%2F%2Fherold.example%2Fusers%2Fpress&on-success="
        );
        let plain =
            br#"{"links":[{"rel":"self","type":"application/activity+json","href":"https://s.example/u/a"},
            {"rel":"https://w3id.org/fep/3b86/Follow","template":"javascript:alert({object})"}]}"#;
        assert_eq!(parse_jrd(plain).unwrap().follow_url(object, true), None, "only web pages");
        let none = br#"{"links":[{"rel":"self","type":"application/activity+json","href":"https://s.example/u/a"}]}"#;
        assert_eq!(parse_jrd(none).unwrap().follow_url(object, false), None);
    }

    #[test]
    fn picks_the_activitypub_self_link() {
        let jrd = br#"{"subject":"acct:anna@social.example","links":[
            {"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://social.example/@anna"},
            {"rel":"self","type":"text/html","href":"https://social.example/@anna"},
            {"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://social.example/users/anna"}]}"#;
        assert_eq!(actor_from_jrd(jrd).unwrap(), "https://social.example/users/anna");
        assert_eq!(parse_jrd(jrd).unwrap().subject.as_deref(), Some("acct:anna@social.example"));
        let plain = br#"{"links":[{"rel":"self","type":"application/activity+json","href":"https://s.example/u/1"}]}"#;
        assert_eq!(actor_from_jrd(plain).unwrap(), "https://s.example/u/1");
    }

    #[test]
    fn refuses_answers_without_a_usable_actor() {
        for bad in [
            &b"not json"[..],
            br#"[]"#,
            br#"{"links":{}}"#,
            br#"{"links":[{"rel":"self","type":"text/html","href":"https://s.example/@a"}]}"#,
            br#"{"links":[{"rel":"self","type":"application/activity+json"}]}"#,
            br#"{"links":[{"rel":"self","type":"application/activity+json","href":"javascript:alert(1)"}]}"#,
            br#"{"links":[{"rel":"self","type":"application/activity+json","href":"file:///etc/passwd"}]}"#,
            br#"{"links":[{"rel":"self","type":"application/ld+json","href":"https://s.example/u/1"}]}"#,
        ] {
            assert!(actor_from_jrd(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
