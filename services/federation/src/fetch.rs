//! Outgoing HTTP with rails: the SSRF guard (checked after DNS resolution, and on every
//! redirect), size caps, timeouts, and signed GETs for servers in authorized-fetch mode.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use herold_domain::trust::TrustAnchors;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use serde_json::Value;
use url::Url;

use crate::keys::Signer;
use crate::signatures::{Scheme, SigningPlan};
use crate::signing_pool::SigningPool;
use crate::FederationError;

pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_REDIRECTS: usize = 3;

/// Whether an address is one a remote-controlled URL must never make us reach.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // deprecated site-local
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 can reach private IPv4
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
                || (s[0..6] == [0, 0, 0, 0, 0xffff, 0]) // IPv4-translated (SIIT, RFC 6052)
        }
    }
}

fn forbidden_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_multicast()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240
}

/// Resolves names and drops forbidden addresses, so a public name pointing at 127.0.0.1
/// (DNS rebinding included) cannot be used to reach internal services.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_forbidden_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves only to private or reserved addresses").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Special-use names no public DNS answers for.
const NEVER_RESOLVED: [&str; 3] = ["invalid", "onion", "alt"];
/// Names that only a private network resolves (RFC 6761, RFC 6762, RFC 8375, ICANN's
/// `.internal`): allowed only where private networks are.
const PRIVATE_USE: [&str; 5] = ["test", "example", "local", "internal", "home.arpa"];

/// Checks the parts of a URL that do not need DNS: scheme and literal IP hosts.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), FederationError> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => return Err(FederationError::Refused(format!("scheme {other} is not allowed"))),
    }
    if let Some(url::Host::Domain(d)) = url.host() {
        // The URL parser has lower-cased the name already.
        let d = d.trim_end_matches('.');
        let under = |suffix: &str| d == suffix || d.ends_with(&format!(".{suffix}"));
        // Names that can never resolve (RFC 6761, RFC 7686) are refused without asking DNS,
        // so a sender cannot make Herold's resolver wait on them.
        if let Some(tld) = NEVER_RESOLVED.iter().find(|t| under(t)) {
            return Err(FederationError::Refused(format!("names under .{tld} are not on the internet")));
        }
        if !allow_private {
            if let Some(tld) = PRIVATE_USE.iter().find(|t| under(t)) {
                return Err(FederationError::Refused(format!("names under .{tld} are for private networks")));
            }
        }
    }
    if allow_private {
        return Ok(());
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) if is_forbidden_ip(IpAddr::V4(ip)) => {
            Err(FederationError::Refused(format!("{ip} is a private or reserved address")))
        }
        Some(url::Host::Ipv6(ip)) if is_forbidden_ip(IpAddr::V6(ip)) => {
            Err(FederationError::Refused(format!("{ip} is a private or reserved address")))
        }
        Some(url::Host::Domain(d)) if d == "localhost" || d.ends_with(".localhost") => {
            Err(FederationError::Refused("localhost is not allowed".into()))
        }
        None => Err(FederationError::Refused("the URL has no host".into())),
        _ => Ok(()),
    }
}

/// Builds the HTTP client Herold uses for federation: rustls, connection reuse, the guarded
/// resolver (unless private networks are allowed). It never follows a redirect by itself: a
/// redirected POST would be replayed as a GET (or with a signature for the wrong URL), and its
/// 2xx would look like a delivery; reads follow redirects where each kind of read allows
/// (`get_document`, `webfinger`), checking every hop.
///
/// `idle_per_host` bounds the connections kept open for reuse per server. There is no bound
/// across servers, and each idle connection holds its buffers: a client that talks to
/// thousands of servers once each (documents, keys) should keep none.
pub fn http_client(
    user_agent: &str,
    allow_private: bool,
    timeout: Duration,
    trust: &TrustAnchors,
    idle_per_host: usize,
) -> Result<reqwest::Client, FederationError> {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(trust.builtin_roots)
        .user_agent(user_agent)
        // A proxy from the environment would resolve names itself, past the SSRF guard.
        .no_proxy()
        .redirect(Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(idle_per_host);
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    for der in &trust.certificates {
        let root = reqwest::Certificate::from_der(der)
            .map_err(|e| FederationError::Fetch(format!("a trusted CA: {e}")))?;
        builder = builder.add_root_certificate(root);
    }
    builder.build().map_err(|e| FederationError::Fetch(format!("HTTP client: {e}")))
}

/// Reads a response body, giving up past `limit` bytes without buffering the rest.
pub async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, FederationError> {
    if resp.content_length().is_some_and(|n| n as usize > limit) {
        return Err(FederationError::Refused(format!("response larger than {limit} bytes")));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| FederationError::Fetch(e.to_string()))? {
        if buf.len() + chunk.len() > limit {
            return Err(FederationError::Refused(format!("response larger than {limit} bytes")));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Fetches ActivityPub documents with signed GETs as the instance actor.
#[derive(Clone)]
pub struct Fetcher {
    pub(crate) client: reqwest::Client,
    signer: Arc<Signer>,
    signing: SigningPool,
    pub(crate) allow_private: bool,
}

impl Fetcher {
    pub fn new(
        client: reqwest::Client,
        signer: Arc<Signer>,
        signing: SigningPool,
        allow_private: bool,
    ) -> Self {
        Fetcher { client, signer, signing, allow_private }
    }

    /// GETs an ActivityPub object. The document's `id` must be the URL that answered, so a
    /// server cannot pass off an object as another's.
    pub async fn get_object(&self, url: &str) -> Result<Value, FederationError> {
        let (doc, answered) = self.get_document(url).await?;
        if doc.get("id").and_then(Value::as_str) != Some(answered.as_str()) {
            let server = answered.host_str().unwrap_or_default();
            return Err(FederationError::Invalid(format!(
                "a document from {server} has a different id than its URL"
            )));
        }
        Ok(doc)
    }

    /// GETs an ActivityPub document (without fragment) and says which URL answered. Redirects
    /// are followed only within the origin asked: one to another server would let an open
    /// redirect on a trusted host vouch for an attacker's document (the pattern of Mastodon's
    /// CVE-2024-23832). Each hop is signed for its own URL. The caller checks the `id`.
    pub async fn get_document(&self, url: &str) -> Result<(Value, Url), FederationError> {
        let mut url =
            Url::parse(url).map_err(|_| FederationError::Invalid("the key id is not a URL".into()))?;
        url.set_fragment(None);
        check_url(&url, self.allow_private)?;
        let origin = url.origin();
        // Errors name the server, not the path: actor URLs identify people, and these
        // messages reach the logs.
        let server = url.host_str().unwrap_or_default().to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let resp = self.signed_get_either_scheme(&url, &server).await?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() {
                let next = redirect_target(&resp, &url)
                    .ok_or_else(|| FederationError::Refused(format!("{server} redirected nowhere")))?;
                if next.origin() != origin {
                    return Err(FederationError::Refused(format!("{server} redirected to another server")));
                }
                check_url(&next, self.allow_private)?;
                url = next;
                url.set_fragment(None);
                continue;
            }
            if status == 404 || status == 410 {
                return Err(FederationError::Gone(server));
            }
            // A server error or an overloaded server may answer next time; a refusal will not.
            if resp.status().is_server_error() || status == 429 || status == 408 {
                return Err(FederationError::Fetch(format!("{server} answered {status}")));
            }
            if !resp.status().is_success() {
                return Err(FederationError::Refused(format!(
                    "{server} refused our signed fetch ({status})"
                )));
            }
            let ct = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !(ct.starts_with("application/activity+json")
                || ct.starts_with("application/ld+json")
                || ct.starts_with("application/json"))
            {
                return Err(FederationError::Refused(format!(
                    "{server} did not answer with ActivityPub JSON ({ct})"
                )));
            }
            let body = read_capped(resp, MAX_BODY_BYTES).await?;
            let doc: Value = serde_json::from_slice(&body)
                .map_err(|_| FederationError::Invalid(format!("{server} returned malformed JSON")))?;
            return Ok((doc, url));
        }
        Err(FederationError::Refused(format!("{server} redirected too often")))
    }

    /// Servers in authorized-fetch mode may only accept one scheme: knock twice, but only
    /// when the first answer was a refusal.
    async fn signed_get_either_scheme(
        &self,
        url: &Url,
        server: &str,
    ) -> Result<reqwest::Response, FederationError> {
        let first = self.signed_get(url, Scheme::Cavage, server).await?;
        if matches!(first.status().as_u16(), 401 | 403) {
            return self.signed_get(url, Scheme::Rfc9421, server).await;
        }
        Ok(first)
    }

    async fn signed_get(
        &self,
        url: &Url,
        scheme: Scheme,
        server: &str,
    ) -> Result<reqwest::Response, FederationError> {
        let plan = SigningPlan::new(
            scheme,
            &self.signer.key_id,
            "GET",
            url,
            None,
            herold_domain::now_millis() / 1000,
        );
        let sig = self.signing.sign(self.signer.clone(), plan.base.clone()).await?;
        let mut req = self.client.get(url.as_str()).header(
            reqwest::header::ACCEPT,
            "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        );
        for (name, value) in plan.finish(&sig) {
            req = req.header(name, value);
        }
        req.send().await.map_err(|e| request_failed(server, e))
    }
}

/// Where a redirect points, resolved against the URL that answered it.
pub fn redirect_target(resp: &reqwest::Response, url: &Url) -> Option<Url> {
    let location = resp.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
    url.join(location).ok()
}

/// A failed request: temporary (try again later) unless the server's certificate is not
/// trusted, which the next attempt will not change.
pub fn request_failed(server: &str, e: reqwest::Error) -> FederationError {
    let text = describe(e);
    if text.contains("certificate") {
        FederationError::Refused(format!("{server}'s TLS certificate is not trusted: {text}"))
    } else {
        FederationError::Fetch(format!("{server}: {text}"))
    }
}

/// A reqwest error as one line with its causes, without the URL: inbox paths can name
/// people, and this text ends up in logs and delivery records.
pub fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut s = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "ff02::1",
        ] {
            assert!(is_forbidden_ip(bad.parse().unwrap()), "{bad} must be forbidden");
        }
        for good in ["93.184.216.34", "2a00:1450:4001:80b::200e", "::ffff:93.184.216.34"] {
            assert!(!is_forbidden_ip(good.parse().unwrap()), "{good} must be allowed");
        }
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        use std::str::FromStr;
        let resolved = GuardedResolver.resolve(Name::from_str("localhost").unwrap()).await;
        assert!(resolved.is_err(), "localhost resolves to loopback only");
    }

    #[test]
    fn urls_are_checked_before_resolution() {
        let check = |u: &str, allow| check_url(&Url::parse(u).unwrap(), allow);
        assert!(check("https://mastodon.social/users/a", false).is_ok());
        assert!(check("http://mastodon.social/users/a", false).is_err());
        assert!(check("https://127.0.0.1/x", false).is_err());
        assert!(check("https://[::1]/x", false).is_err());
        assert!(check("https://localhost/x", false).is_err());
        assert!(check("file:///etc/passwd", false).is_err());
        assert!(check("http://127.0.0.1:3000/x", true).is_ok());
        assert!(check("https://s1.flood.invalid/key", true).is_err(), "never resolved");
        assert!(check("https://INVALID./key", true).is_err());
        assert!(check("https://hidden.onion/key", false).is_err());
        assert!(check("https://intranet.example/key", false).is_err());
        assert!(check("https://git.corp.internal/key", false).is_err());
        assert!(check("https://git.corp.internal/key", true).is_ok(), "private networks allowed");
        assert!(check("https://invalid.de/key", false).is_ok(), "only the top-level name counts");
        assert!(check("https://notinvalid/key", true).is_ok());
    }
}
