//! HTTP message signatures in both schemes the fediverse speaks: draft-cavage-12 (what
//! Mastodon ≤ 4.5 sends) and RFC 9421 (its default from 4.5), plus the body digests they
//! cover (`Digest`, RFC 3230; `Content-Digest`, RFC 9530).
//!
//! Parsing and signature-base construction are pure functions over a `RequestView`, apart
//! from key lookup and from the policy checks in `verify_request`, so the published test
//! vectors exercise exactly the code that guards the inbox.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::digest::{digest, SHA256, SHA512};
use url::Url;

use crate::keys::PublicKey;
use crate::FederationError;

pub mod cavage;
pub mod rfc9421;
pub mod sf;

fn bad(msg: impl Into<String>) -> FederationError {
    FederationError::Signature(msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Cavage,
    Rfc9421,
    /// RFC 9421 with the account's Ed25519 key (FEP-521a `assertionMethod`): what Mastodon
    /// accepts from 4.7 on. Only for signing; a received RFC 9421 signature is `Rfc9421`
    /// whatever its algorithm.
    Rfc9421Ed25519,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Cavage => "draft-cavage-12",
            Scheme::Rfc9421 => "rfc9421",
            Scheme::Rfc9421Ed25519 => "rfc9421-ed25519",
        }
    }

    pub fn parse(s: &str) -> Option<Scheme> {
        match s {
            "draft-cavage-12" | "cavage" => Some(Scheme::Cavage),
            "rfc9421" => Some(Scheme::Rfc9421),
            "rfc9421-ed25519" => Some(Scheme::Rfc9421Ed25519),
            _ => None,
        }
    }

    /// What to knock with when a server refuses this: an Ed25519 signature falls back to
    /// RSA in the scheme every server speaks.
    pub fn other(self) -> Scheme {
        match self {
            Scheme::Cavage => Scheme::Rfc9421,
            Scheme::Rfc9421 | Scheme::Rfc9421Ed25519 => Scheme::Cavage,
        }
    }

    /// Whether a signature in this scheme is made with an Ed25519 key (else RSA).
    pub fn is_ed25519(self) -> bool {
        self == Scheme::Rfc9421Ed25519
    }
}

/// What signature code needs to see of an HTTP request (or, for `@status`, a response).
#[derive(Debug, Clone)]
pub struct RequestView {
    pub method: String,
    pub target: Url,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub status: Option<u16>,
}

impl RequestView {
    pub fn new(method: &str, target: Url, headers: Vec<(String, String)>) -> Self {
        let headers = headers.into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
        RequestView { method: method.to_owned(), target, headers, status: None }
    }

    /// All values of a header, trimmed and joined with ", " as both schemes require.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.trim()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    fn path_and_query(&self, with_query: bool) -> String {
        let mut s = self.target.path().to_owned();
        if with_query {
            if let Some(q) = self.target.query() {
                s.push('?');
                s.push_str(q);
            }
        }
        s
    }

    fn authority(&self) -> String {
        authority_of(&self.target)
    }
}

/// `host[:port]`, the port only when it is not the scheme's default (as `Host` carries it).
pub fn authority_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// The SHA-256 digest of a body in both header forms, computed once per activity.
#[derive(Debug, Clone)]
pub struct BodyDigest {
    /// `Digest: SHA-256=<b64>`
    pub digest: String,
    /// `Content-Digest: sha-256=:<b64>:`
    pub content_digest: String,
}

impl BodyDigest {
    pub fn of(body: &[u8]) -> Self {
        let b64 = B64.encode(digest(&SHA256, body));
        BodyDigest { digest: format!("SHA-256={b64}"), content_digest: format!("sha-256=:{b64}:") }
    }
}

/// Checks `Digest` (draft-cavage) against the body. At least one entry must be SHA-256 or
/// SHA-512, and every such entry must match.
pub fn check_digest_header(value: &str, body: &[u8]) -> Result<(), FederationError> {
    let mut matched = false;
    for entry in value.split(',') {
        let Some((alg, b64)) = entry.trim().split_once('=') else {
            return Err(bad("malformed Digest header"));
        };
        let expected = match alg.to_ascii_lowercase().as_str() {
            "sha-256" => digest(&SHA256, body),
            "sha-512" => digest(&SHA512, body),
            _ => continue,
        };
        let given = B64.decode(b64.trim()).map_err(|_| bad("malformed Digest header"))?;
        if given != expected.as_ref() {
            return Err(bad("the Digest header does not match the body"));
        }
        matched = true;
    }
    matched.then_some(()).ok_or_else(|| bad("the Digest header has no SHA-256 entry"))
}

/// Checks `Content-Digest` (RFC 9530) against the body, same rules as `check_digest_header`.
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), FederationError> {
    let mut matched = false;
    for (key, item) in sf::parse_dictionary(value)? {
        let expected = match key.as_str() {
            "sha-256" => digest(&SHA256, body),
            "sha-512" => digest(&SHA512, body),
            _ => continue,
        };
        let sf::Item::Bytes(given) = item.value else {
            return Err(bad("malformed Content-Digest header"));
        };
        if given != expected.as_ref() {
            return Err(bad("the Content-Digest header does not match the body"));
        }
        matched = true;
    }
    matched.then_some(()).ok_or_else(|| bad("the Content-Digest header has no sha-256 entry"))
}

/// A parsed signature, not yet checked against a key.
#[derive(Debug, Clone)]
pub struct ParsedSignature {
    pub scheme: Scheme,
    pub key_id: String,
    pub signature: Vec<u8>,
    /// The signed string; for draft-cavage a second, query-less variant is tried too,
    /// because some implementations sign `(request-target)` without the query.
    pub bases: Vec<String>,
    pub created: i64,
    pub expires: Option<i64>,
    /// The algorithm the signature names, if it names one (`hs2019` leaves it to the key).
    pub algorithm: Option<KeyAlgorithm>,
}

/// The kinds of key a signature can be made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa,
    Ed25519,
}

impl ParsedSignature {
    /// Whether the signature verifies with `key`, which must be of the algorithm the
    /// signature names, if any.
    pub fn verify(&self, key: &PublicKey) -> bool {
        let kind = if key.is_ed25519() { KeyAlgorithm::Ed25519 } else { KeyAlgorithm::Rsa };
        if self.algorithm.is_some_and(|a| a != kind) {
            return false;
        }
        self.bases.iter().any(|b| key.verify(b.as_bytes(), &self.signature))
    }

    /// Mastodon's window: `expires` defaults to `created + 5 min` and is capped at
    /// `created + 12 h`; a signature from more than an hour in the future, or more than an
    /// hour past its expiry, is refused.
    pub fn check_window(&self, now: i64) -> Result<(), FederationError> {
        let expires = self
            .expires
            .unwrap_or(self.created.saturating_add(300))
            .min(self.created.saturating_add(12 * 3600));
        if self.created > now.saturating_add(3600) {
            return Err(bad("the signature was made in the future"));
        }
        if now > expires.saturating_add(3600) {
            return Err(bad("the signature has expired (check the Date header and clock)"));
        }
        Ok(())
    }
}

/// Finds and parses the request's signature and enforces what must be covered: the method
/// and target, a creation time, the host for GET and the body digest for POST (which is
/// then checked against `body`).
pub fn parse_request_signature(
    req: &RequestView,
    body: Option<&[u8]>,
) -> Result<ParsedSignature, FederationError> {
    let is_post = req.method.eq_ignore_ascii_case("POST");
    if let (Some(input), Some(sig)) = (req.header("signature-input"), req.header("signature")) {
        let parsed = rfc9421::parse(&input, &sig)?;
        let covers = |c: &str| parsed.input.components.iter().any(|x| x.name == c && x.params.is_empty());
        // The whole target, or the path with the authority: a signature that leaves out
        // the server it was meant for could be replayed at another.
        if !covers("@method")
            || !(covers("@target-uri") || (covers("@request-target") && covers("@authority")))
        {
            return Err(bad("the signature must cover @method and @target-uri"));
        }
        let algorithm = match parsed.input.param_str("alg") {
            None => None,
            Some("rsa-v1_5-sha256") => Some(KeyAlgorithm::Rsa),
            Some("ed25519") => Some(KeyAlgorithm::Ed25519),
            Some(alg) => return Err(bad(format!("unsupported signature algorithm {alg:?}"))),
        };
        if is_post {
            if !covers("content-digest") {
                return Err(bad("a POST signature must cover content-digest"));
            }
            let value = req.header("content-digest").ok_or_else(|| bad("Content-Digest header missing"))?;
            check_content_digest(&value, body.unwrap_or_default())?;
        }
        let key_id = parsed.input.param_str("keyid").ok_or_else(|| bad("the signature has no keyid"))?;
        let created =
            parsed.input.param_int("created").ok_or_else(|| bad("the signature has no created time"))?;
        let base = rfc9421::signature_base(req, &parsed.input)?;
        return Ok(ParsedSignature {
            scheme: Scheme::Rfc9421,
            key_id: key_id.to_owned(),
            signature: parsed.signature,
            bases: vec![base],
            created,
            expires: parsed.input.param_int("expires"),
            algorithm,
        });
    }

    let header = match (req.header("signature"), req.header("authorization")) {
        (Some(s), _) => s,
        (None, Some(a)) if a.len() > 10 && a[..10].eq_ignore_ascii_case("signature ") => a[10..].to_owned(),
        _ => return Err(bad("the request is not signed")),
    };
    let params = cavage::parse(&header)?;
    let covers = |c: &str| params.headers.iter().any(|h| h == c);
    if !covers("date") && !covers("(created)") {
        return Err(bad("the signature must cover date or (created)"));
    }
    // Every fediverse server signs both; without them a signature could be replayed at
    // another path or another server.
    if !covers("(request-target)") || !covers("host") {
        return Err(bad("the signature must cover (request-target) and host"));
    }
    if is_post {
        if !covers("digest") {
            return Err(bad("a POST signature must cover digest"));
        }
        let value = req.header("digest").ok_or_else(|| bad("Digest header missing"))?;
        check_digest_header(&value, body.unwrap_or_default())?;
    }
    let created = if covers("(created)") {
        params.created.ok_or_else(|| bad("(created) is covered but not given"))?
    } else {
        let date = req.header("date").ok_or_else(|| bad("Date header missing"))?;
        httpdate::parse_http_date(&date)
            .map_err(|_| bad("malformed Date header"))?
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| bad("Date before 1970"))?
            .as_secs() as i64
    };
    let mut bases = vec![cavage::signing_string(req, &params, true)?];
    if req.target.query().is_some() && covers("(request-target)") {
        bases.push(cavage::signing_string(req, &params, false)?);
    }
    // An `expires` the signature does not cover could be anything: ignore it.
    let expires = if covers("(expires)") { params.expires } else { None };
    Ok(ParsedSignature {
        scheme: Scheme::Cavage,
        key_id: params.key_id,
        signature: params.signature,
        bases,
        created,
        expires,
        algorithm: params.algorithm.as_deref().and_then(|a| (a == "rsa-sha256").then_some(KeyAlgorithm::Rsa)),
    })
}

/// A request signature to be made: the base to sign and the headers that go with it. Building
/// it is cheap; `finish` takes the (expensive) RSA signature, made elsewhere.
#[derive(Debug, Clone)]
pub struct SigningPlan {
    pub scheme: Scheme,
    pub base: String,
    pub headers: Vec<(&'static str, String)>,
    key_id: String,
    cavage_headers: &'static str,
    rfc9421_params: String,
}

impl SigningPlan {
    /// Plans the signature of a POST (`digest` given) or GET (`digest` `None`) at `now`.
    pub fn new(
        scheme: Scheme,
        key_id: &str,
        method: &str,
        url: &Url,
        digest: Option<&BodyDigest>,
        now: i64,
    ) -> Self {
        let host = authority_of(url);
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(now.max(0) as u64),
        );
        let mut headers = vec![("date", date.clone())];
        let mut plan = SigningPlan {
            scheme,
            base: String::new(),
            headers: Vec::new(),
            key_id: key_id.to_owned(),
            cavage_headers: "",
            rfc9421_params: String::new(),
        };
        match scheme {
            Scheme::Cavage => {
                let mut target = url.path().to_owned();
                if let Some(q) = url.query() {
                    target.push('?');
                    target.push_str(q);
                }
                let mut base = format!(
                    "(request-target): {} {target}\nhost: {host}\ndate: {date}",
                    method.to_ascii_lowercase()
                );
                plan.cavage_headers = "(request-target) host date";
                if let Some(d) = digest {
                    base.push_str("\ndigest: ");
                    base.push_str(&d.digest);
                    headers.push(("digest", d.digest.clone()));
                    plan.cavage_headers = "(request-target) host date digest";
                }
                plan.base = base;
            }
            Scheme::Rfc9421 | Scheme::Rfc9421Ed25519 => {
                let mut base = format!(
                    "\"@method\": {}\n\"@target-uri\": {}\n\"@authority\": {host}\n",
                    method.to_ascii_uppercase(),
                    url.as_str()
                );
                let mut covered = "\"@method\" \"@target-uri\" \"@authority\"".to_owned();
                if let Some(d) = digest {
                    base.push_str("\"content-digest\": ");
                    base.push_str(&d.content_digest);
                    base.push('\n');
                    covered.push_str(" \"content-digest\"");
                    headers.push(("content-digest", d.content_digest.clone()));
                }
                let alg = if scheme.is_ed25519() { "ed25519" } else { "rsa-v1_5-sha256" };
                plan.rfc9421_params =
                    format!("({covered});created={now};keyid={};alg=\"{alg}\"", sf::serialize_string(key_id));
                base.push_str("\"@signature-params\": ");
                base.push_str(&plan.rfc9421_params);
                plan.base = base;
            }
        }
        plan.headers = headers;
        plan
    }

    /// The complete set of headers to send, given the signature over `self.base`.
    pub fn finish(mut self, signature: &[u8]) -> Vec<(&'static str, String)> {
        let sig = B64.encode(signature);
        match self.scheme {
            Scheme::Cavage => self.headers.push((
                "signature",
                format!(
                    "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{sig}\"",
                    self.key_id, self.cavage_headers
                ),
            )),
            Scheme::Rfc9421 | Scheme::Rfc9421Ed25519 => {
                self.headers.push(("signature-input", format!("sig1={}", self.rfc9421_params)));
                self.headers.push(("signature", format!("sig1=:{sig}:")));
            }
        }
        self.headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_rsa_2048, Signer};

    fn view_from(url: &Url, method: &str, headers: Vec<(&'static str, String)>) -> RequestView {
        let mut hs: Vec<(String, String)> = headers.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        hs.push(("host".into(), authority_of(url)));
        RequestView::new(method, url.clone(), hs)
    }

    #[test]
    fn outgoing_signatures_verify_with_our_own_parser_in_both_schemes() {
        let key = generate_rsa_2048().unwrap();
        let signer = Signer::from_pkcs8("https://a.example/users/x#main-key".into(), &key.pkcs8_der).unwrap();
        let public = PublicKey::from_pem(&key.public_key_pem).unwrap();
        let url = Url::parse("https://b.example/inbox?x=1").unwrap();
        let body = br#"{"type":"Create"}"#;
        let digest = BodyDigest::of(body);
        let now = 1_764_000_000;
        for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
            let plan = SigningPlan::new(scheme, &signer.key_id, "POST", &url, Some(&digest), now);
            let sig = signer.sign(plan.base.as_bytes()).unwrap();
            let req = view_from(&url, "POST", plan.finish(&sig));
            let parsed = parse_request_signature(&req, Some(body)).unwrap();
            assert_eq!(parsed.scheme, scheme);
            assert_eq!(parsed.key_id, signer.key_id);
            assert!(parsed.verify(&public), "{scheme:?} must verify");
            parsed.check_window(now + 60).unwrap();
            assert!(parsed.check_window(now + 2 * 3600).is_err(), "stale must fail");
            assert!(parsed.check_window(now - 2 * 3600).is_err(), "future must fail");
            assert!(parse_request_signature(&req, Some(b"{}")).is_err(), "tampered body must fail");
        }
    }

    #[test]
    fn ed25519_signatures_name_their_algorithm_and_verify_with_the_multikey() {
        let key = crate::keys::generate_ed25519().unwrap();
        let id = "https://a.example/users/x#ed25519-key".to_owned();
        let signer = crate::integrity::ProofKey::from_pkcs8(id.clone(), &key.pkcs8_der).unwrap();
        let public = PublicKey::from_multibase(&key.public_multibase).unwrap();
        let url = Url::parse("https://b.example/inbox").unwrap();
        let body = br#"{"type":"Create"}"#;
        let now = 1_764_000_000;
        let plan =
            SigningPlan::new(Scheme::Rfc9421Ed25519, &id, "POST", &url, Some(&BodyDigest::of(body)), now);
        let sig = signer.sign_message(plan.base.as_bytes());
        let req = view_from(&url, "POST", plan.finish(&sig));
        assert!(req.header("signature-input").unwrap().contains(r#"alg="ed25519""#));
        let parsed = parse_request_signature(&req, Some(body)).unwrap();
        assert_eq!((parsed.scheme, parsed.algorithm), (Scheme::Rfc9421, Some(KeyAlgorithm::Ed25519)));
        assert_eq!(parsed.key_id, id);
        assert!(parsed.verify(&public));
        let rsa = PublicKey::from_pem(&generate_rsa_2048().unwrap().public_key_pem).unwrap();
        assert!(!parsed.verify(&rsa), "an RSA key cannot stand in");
        assert_eq!(Scheme::parse(Scheme::Rfc9421Ed25519.as_str()), Some(Scheme::Rfc9421Ed25519));
        assert_eq!(Scheme::Rfc9421Ed25519.other(), Scheme::Cavage, "a refusal falls back to RSA");
    }

    #[test]
    fn signed_gets_cover_host() {
        let key = generate_rsa_2048().unwrap();
        let signer = Signer::from_pkcs8("k".into(), &key.pkcs8_der).unwrap();
        let public = PublicKey::from_pem(&key.public_key_pem).unwrap();
        let url = Url::parse("http://127.0.0.1:3000/users/x").unwrap();
        let plan = SigningPlan::new(Scheme::Cavage, "k", "GET", &url, None, 1_764_000_000);
        assert!(plan.base.contains("host: 127.0.0.1:3000"));
        let sig = signer.sign(plan.base.as_bytes()).unwrap();
        let req = view_from(&url, "GET", plan.finish(&sig));
        assert!(parse_request_signature(&req, None).unwrap().verify(&public));
    }

    #[test]
    fn signatures_must_name_the_target_and_the_server() {
        let url = Url::parse("https://b.example/inbox").unwrap();
        let body = br#"{"type":"Follow"}"#;
        let digest = BodyDigest::of(body);
        let date =
            httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000));
        let cavage = |covered: &str| {
            let header = format!(r#"keyId="k",algorithm="rsa-sha256",headers="{covered}",signature="AA==""#);
            let hs = vec![("date", date.clone()), ("digest", digest.digest.clone()), ("signature", header)];
            parse_request_signature(&view_from(&url, "POST", hs), Some(body))
        };
        assert!(cavage("(request-target) host date digest").is_ok());
        for weak in ["date digest", "(request-target) date digest", "host date digest"] {
            assert!(cavage(weak).is_err(), "{weak} must be refused");
        }
        let rfc9421 = |covered: &str| {
            let input = format!(r#"sig1=({covered});created=1764000000;keyid="k""#);
            let hs = vec![
                ("content-digest", digest.content_digest.clone()),
                ("signature-input", input),
                ("signature", "sig1=:AA==:".to_owned()),
            ];
            parse_request_signature(&view_from(&url, "POST", hs), Some(body))
        };
        assert!(rfc9421(r#""@method" "@target-uri" "content-digest""#).is_ok());
        assert!(rfc9421(r#""@method" "@request-target" "@authority" "content-digest""#).is_ok());
        for weak in [r#""@method" "@request-target" "content-digest""#, r#""@target-uri" "content-digest""#] {
            assert!(rfc9421(weak).is_err(), "{weak} must be refused");
        }
    }

    #[test]
    fn ed25519_signatures_verify_only_with_ed25519_keys() {
        use ring::signature::KeyPair;
        let pkcs8 =
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let ed = PublicKey::Ed25519(pair.public_key().as_ref().try_into().unwrap());
        let rsa = PublicKey::from_pem(&generate_rsa_2048().unwrap().public_key_pem).unwrap();
        let url = Url::parse("https://b.example/inbox").unwrap();
        let body = br#"{"type":"Follow"}"#;
        let digest = BodyDigest::of(body);
        for alg in [Some("ed25519"), None] {
            let alg_param = alg.map(|a| format!(r#";alg="{a}""#)).unwrap_or_default();
            let input = format!(
                r#"sig1=("@method" "@target-uri" "content-digest");created=1764000000;keyid="k"{alg_param}"#
            );
            let mut hs = vec![
                ("content-digest", digest.content_digest.clone()),
                ("signature-input", input),
                ("signature", "sig1=:AA==:".to_owned()),
            ];
            let unsigned = parse_request_signature(&view_from(&url, "POST", hs.clone()), Some(body)).unwrap();
            let sig = B64.encode(pair.sign(unsigned.bases[0].as_bytes()).as_ref());
            hs[2].1 = format!("sig1=:{sig}:");
            let parsed = parse_request_signature(&view_from(&url, "POST", hs), Some(body)).unwrap();
            assert!(parsed.verify(&ed), "{alg:?}");
            assert!(!parsed.verify(&rsa), "{alg:?}: not with an RSA key");
        }
    }

    #[test]
    fn duplicate_cavage_parameters_are_refused() {
        assert!(cavage::parse(r#"keyId="a",keyId="b",signature="AA==""#).is_err());
        assert!(cavage::parse(r#"keyId="a",algorithm="ed25519",signature="AA==""#).is_err());
        let p = cavage::parse(r#"keyId="a", headers="(request-target) Host", signature="AA==""#).unwrap();
        assert_eq!(p.headers, vec!["(request-target)", "host"]);
    }

    #[test]
    fn digests_are_checked() {
        let d = BodyDigest::of(b"{}");
        check_digest_header(&d.digest, b"{}").unwrap();
        assert!(check_digest_header(&d.digest, b"{ }").is_err());
        assert!(check_digest_header("MD5=abc", b"{}").is_err());
        check_content_digest(&d.content_digest, b"{}").unwrap();
        assert!(check_content_digest(&d.content_digest, b"[]").is_err());
    }

    #[test]
    fn structured_fields_round_trip() {
        let parsed = sf::parse_dictionary_of_inner_lists(
            r#"sig1=("@method" "@query-param";name="Pet");created=1618884473;keyid="test-key""#,
        )
        .unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].1.len(), 2);
        assert!(sf::parse_dictionary("a=:!!:").is_err());
        assert!(sf::parse_dictionary_of_inner_lists("sig1=(\"a\"").is_err());
    }
}
