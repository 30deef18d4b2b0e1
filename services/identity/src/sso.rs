//! One OpenID provider per organisation, discovered lazily and cached; the authorization code
//! flow with PKCE (S256), `state` and `nonce`; ID-token checks; roles from a claim.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use base64::Engine;
use herold_compliance::policy::{ApiPolicy, OrgPolicy, SecretSource, SignInPolicy};
use herold_domain::trust::TrustAnchors;
use herold_domain::workflow::Roles;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, JsonWebKey, JsonWebKeySet, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError,
    Scope, SignatureVerificationError, TokenResponse,
};
use tokio::sync::RwLock;
use url::Url;

use crate::IdentityError;

/// Provider metadata and keys are fetched again after this long, and at once when a token
/// names a key we do not have (the provider rotated its keys).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// However many tokens name unknown keys, the provider's keys are fetched again at most this
/// often.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(60);

/// Asymmetric algorithms only: `none` is never accepted, and HMAC would let anyone holding
/// the client secret mint ID tokens.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

struct Provider {
    policy: SignInPolicy,
    api: Option<ApiPolicy>,
    secret: Option<ClientSecret>,
    metadata: RwLock<Option<(Instant, ProviderMetadataWithLogout)>>,
}

/// The organisations whose staff can sign in, each with its provider.
pub struct Providers {
    http: reqwest::Client,
    callback: RedirectUrl,
    /// What API tokens must be issued for, unless an organisation names another audience.
    api_audience: String,
    orgs: BTreeMap<String, Provider>,
}

/// Where to send the browser, and what the callback must see again.
#[derive(Debug)]
pub struct SignInStart {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A person the provider vouched for, with the roles its claims grant.
#[derive(Debug, Clone)]
pub struct VerifiedPerson {
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Roles,
    /// The provider's session id, for back-channel logout.
    pub sid: Option<String>,
    pub id_token: String,
    pub idle_timeout_ms: i64,
    pub absolute_timeout_ms: i64,
}

/// A client of an organisation's provider, vouched for by a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub org: String,
    pub issuer: String,
    pub client_id: String,
    pub roles: Roles,
}

/// A provider's word that one of its sessions (or everything of one person) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice {
    pub issuer: String,
    pub sid: Option<String>,
    pub subject: Option<String>,
}

fn read_secret(org: &str, source: &SecretSource) -> Result<Option<ClientSecret>, IdentityError> {
    let secret = match source {
        SecretSource::None => return Ok(None),
        SecretSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
            IdentityError::Config(format!(
                "policies/orgs/{org}.toml: sign_in.client_secret_file {} cannot be read ({e}); \
                 put the client secret from the provider there",
                path.display()
            ))
        })?,
        SecretSource::Env(var) => std::env::var(var).map_err(|_| {
            IdentityError::Config(format!(
                "policies/orgs/{org}.toml: sign_in.client_secret_env names {var}, which is not set; \
                 set it to the client secret from the provider"
            ))
        })?,
    };
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(IdentityError::Config(format!(
            "policies/orgs/{org}.toml: the client secret is empty; put the provider's client secret in it"
        )));
    }
    Ok(Some(ClientSecret::new(secret.to_owned())))
}

/// Follows a dotted path (`realm_access.roles`) to string values: an array of strings or
/// one string.
fn claim_values<'a>(claims: &'a serde_json::Value, path: &str) -> Vec<&'a str> {
    let mut node = claims;
    for part in path.split('.') {
        match node.get(part) {
            Some(next) => node = next,
            None => return Vec::new(),
        }
    }
    match node {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// A compact JWS taken apart; nothing in it is trusted until `Providers::signed_by` says so.
struct Jws<'a> {
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
    claims: serde_json::Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    fn parse(token: &'a str) -> Result<Jws<'a>, String> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or("not a compact JWS")?;
        let (header, payload) = signing_input.split_once('.').ok_or("not a compact JWS")?;
        let decode = |part: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| "not base64url".to_owned())
        };
        let header: serde_json::Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| "the header is not JSON")?;
        let claims = serde_json::from_slice(&decode(payload)?).map_err(|_| "the payload is not JSON")?;
        let alg = serde_json::from_value(header["alg"].clone())
            .ok()
            .filter(|a| ALLOWED_ALGS.contains(a))
            .ok_or("the algorithm is not allowed")?;
        Ok(Jws {
            alg,
            kid: header["kid"].as_str().map(str::to_owned),
            claims,
            signing_input,
            signature: decode(signature)?,
        })
    }
}

fn has_audience(claims: &serde_json::Value, wanted: &str) -> bool {
    match &claims["aud"] {
        serde_json::Value::String(a) => a == wanted,
        serde_json::Value::Array(all) => all.iter().any(|a| a.as_str() == Some(wanted)),
        _ => false,
    }
}

impl Providers {
    /// Sets up sign-in for every organisation whose policy has `[sign_in]`, reading the
    /// client secrets now so that a missing one stops startup rather than a sign-in.
    /// `trust`: the authorities the providers' certificates may come from (an internal
    /// provider's usually from the body's own PKI).
    pub fn new(
        orgs: &BTreeMap<String, OrgPolicy>,
        public_url: &Url,
        trust: &TrustAnchors,
    ) -> Result<Providers, IdentityError> {
        let callback = public_url
            .join("/auth/callback")
            .ok()
            .and_then(|u| RedirectUrl::new(u.to_string()).ok())
            .ok_or_else(|| IdentityError::Config("public_url cannot carry /auth/callback".into()))?;
        let client_error = |e: reqwest::Error| {
            IdentityError::Config(format!("cannot build the HTTP client for sign-in: {e}"))
        };
        let mut http = reqwest::Client::builder().tls_built_in_root_certs(trust.builtin_roots);
        for der in &trust.certificates {
            http = http.add_root_certificate(reqwest::Certificate::from_der(der).map_err(client_error)?);
        }
        let http = http
            // Following redirects from a token endpoint would open the door to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Herold/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(client_error)?;
        let mut providers = BTreeMap::new();
        for (slug, policy) in orgs {
            let Some(sign_in) = &policy.sign_in else { continue };
            providers.insert(
                slug.clone(),
                Provider {
                    secret: read_secret(slug, &sign_in.client_secret)?,
                    policy: sign_in.clone(),
                    api: policy.api.clone(),
                    metadata: RwLock::new(None),
                },
            );
        }
        let api_audience = format!("{}/api", public_url.as_str().trim_end_matches('/'));
        Ok(Providers { http, callback, api_audience, orgs: providers })
    }

    /// Organisations whose staff can sign in.
    pub fn org_slugs(&self) -> impl Iterator<Item = &str> {
        self.orgs.keys().map(String::as_str)
    }

    pub fn issuer(&self, org: &str) -> Option<&str> {
        self.orgs.get(org).map(|p| p.policy.issuer.as_str())
    }

    fn provider(&self, org: &str) -> Result<&Provider, IdentityError> {
        self.orgs.get(org).ok_or_else(|| IdentityError::UnknownOrg(org.to_owned()))
    }

    async fn metadata(
        &self,
        p: &Provider,
        refresh: bool,
    ) -> Result<ProviderMetadataWithLogout, IdentityError> {
        if let Some((at, md)) = p.metadata.read().await.as_ref() {
            // A forced refresh (a token names a key we lack) still waits a minute after the
            // last fetch: forged tokens must not make Herold hammer the provider.
            let limit = if refresh { REFRESH_AT_MOST_EVERY } else { METADATA_TTL };
            if at.elapsed() < limit {
                return Ok(md.clone());
            }
        }
        let md = match &p.policy.discovery_url {
            None => {
                let issuer = IssuerUrl::new(p.policy.issuer.clone()).map_err(|e| {
                    IdentityError::Config(format!("sign_in.issuer {:?}: {e}", p.policy.issuer))
                })?;
                ProviderMetadataWithLogout::discover_async(issuer, &self.http).await.map_err(|e| {
                    IdentityError::Provider(format!("discovery at {} failed: {e}", p.policy.issuer))
                })?
            }
            Some(url) => self.discover_at(url, &p.policy.issuer).await?,
        };
        *p.metadata.write().await = Some((Instant::now(), md.clone()));
        Ok(md)
    }

    /// Reads the metadata from `url` rather than from the issuer's own address, and its keys
    /// from wherever it says; the document must still name `issuer`.
    async fn discover_at(
        &self,
        url: &str,
        issuer: &str,
    ) -> Result<ProviderMetadataWithLogout, IdentityError> {
        let failed =
            |e: &dyn std::fmt::Display| IdentityError::Provider(format!("discovery at {url} failed: {e}"));
        let response = self.http.get(url).send().await.map_err(|e| failed(&e))?;
        if !response.status().is_success() {
            return Err(failed(&response.status()));
        }
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        if body.len() > 1024 * 1024 {
            return Err(failed(&"the document is larger than 1 MiB"));
        }
        let md: ProviderMetadataWithLogout = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
        if md.issuer().as_str() != issuer {
            return Err(IdentityError::Provider(format!(
                "the document at {url} names the issuer {}, not {issuer}: set sign_in.issuer to the issuer browsers see",
                md.issuer().as_str()
            )));
        }
        let jwks = JsonWebKeySet::fetch_async(md.jwks_uri(), &self.http).await.map_err(|e| failed(&e))?;
        Ok(md.set_jwks(jwks))
    }

    fn client(
        &self,
        p: &Provider,
        md: ProviderMetadataWithLogout,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(md, ClientId::new(p.policy.client_id.clone()), p.secret.clone())
            .set_redirect_uri(self.callback.clone())
    }

    /// Starts a sign-in: the provider's authorization URL with a fresh `state`, `nonce`
    /// and PKCE challenge.
    pub async fn begin(&self, org: &str) -> Result<SignInStart, IdentityError> {
        let p = self.provider(org)?;
        let client = self.client(p, self.metadata(p, false).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge);
        for scope in &p.policy.extra_scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(SignInStart {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier), checks the ID
    /// token (signature with an allowed algorithm, issuer, audience, expiry, nonce, access
    /// token hash) and maps the roles claim.
    pub async fn finish(
        &self,
        org: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<VerifiedPerson, IdentityError> {
        let p = self.provider(org)?;
        let client = self.client(p, self.metadata(p, false).await?);
        let token: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| IdentityError::Provider(format!("the provider has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    IdentityError::Refused(format!("the provider refused the code ({})", r.error()))
                }
                other => IdentityError::Provider(format!("the token request failed: {other}")),
            })?;
        let id_token =
            token.id_token().ok_or_else(|| IdentityError::Refused("the provider sent no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        // `Ok(None)`: signed with a key we do not have.
        let verify = |client: &CoreClient<_, _, _, _, _, _>| {
            let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
            let claims = match id_token.claims(&verifier, &nonce) {
                Ok(claims) => claims.clone(),
                Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )) => return Ok(None),
                Err(e) => return Err(IdentityError::Refused(format!("the ID token failed its checks: {e}"))),
            };
            if let Some(expected) = claims.access_token_hash() {
                let refused = |e: &dyn std::fmt::Display| IdentityError::Refused(e.to_string());
                let alg = id_token.signing_alg().map_err(|e| refused(&e))?;
                let key = id_token.signing_key(&verifier).map_err(|e| refused(&e))?;
                let actual =
                    AccessTokenHash::from_token(token.access_token(), alg, key).map_err(|e| refused(&e))?;
                if actual != *expected {
                    return Err(IdentityError::Refused(
                        "the access token does not match the ID token".into(),
                    ));
                }
            }
            Ok(Some(claims))
        };
        let claims = match verify(&client)? {
            Some(claims) => claims,
            // The provider may have rotated its keys since we last looked.
            None => verify(&self.client(p, self.metadata(p, true).await?))?.ok_or_else(|| {
                IdentityError::Refused(
                    "the ID token is signed with a key the provider does not publish".into(),
                )
            })?,
        };
        // The same bytes whose signature was just checked, read for the claims the typed
        // ID token does not carry (the roles claim, `sid`).
        let compact = id_token.to_string();
        let raw = Jws::parse(&compact).map_err(IdentityError::Refused)?.claims;
        let roles = Roles::new(p.policy.roles_for(claim_values(&raw, &p.policy.roles_claim)));
        if roles.is_empty() {
            return Err(IdentityError::NoRole);
        }
        let subject = claims.subject().as_str().to_owned();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
            .unwrap_or_else(|| subject.clone());
        Ok(VerifiedPerson {
            issuer: claims.issuer().as_str().to_owned(),
            subject,
            name,
            email: claims.email().map(|e| e.as_str().to_owned()),
            roles,
            sid: raw.get("sid").and_then(|s| s.as_str()).map(str::to_owned),
            id_token: id_token.to_string(),
            idle_timeout_ms: p.policy.idle_timeout_ms,
            absolute_timeout_ms: p.policy.absolute_timeout_ms,
        })
    }

    /// Checks a JWS signature (an allowed algorithm, a key the provider publishes, the keys
    /// fetched again once if none fits: they may have been rotated).
    async fn signed_by(&self, p: &Provider, jws: &Jws<'_>) -> Result<(), IdentityError> {
        let named = |k: &CoreJsonWebKey| {
            jws.kid.as_deref().is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid))
        };
        let check =
            |md: &ProviderMetadataWithLogout| {
                md.jwks().keys().iter().filter(|k| named(k)).any(|k| {
                    k.verify_signature(&jws.alg, jws.signing_input.as_bytes(), &jws.signature).is_ok()
                })
            };
        let md = self.metadata(p, false).await?;
        if check(&md) {
            return Ok(());
        }
        // Only a key we do not know yet (the provider rotated) is worth fetching again; a
        // bad signature by a known key is simply bad.
        let unknown_key = jws.kid.is_some() && !md.jwks().keys().iter().any(named);
        if unknown_key && check(&self.metadata(p, true).await?) {
            return Ok(());
        }
        Err(IdentityError::Refused("the signature does not verify with the provider's keys".into()))
    }

    /// Checks an API bearer token (a JWT access token, RFC 9068, from the client-credentials
    /// flow at an organisation's provider): signed by the provider, for Herold's API
    /// audience, current, and issued to a client the organisation's `[api]` lists.
    pub async fn verify_access_token(&self, token: &str, now_secs: i64) -> Result<ApiCaller, IdentityError> {
        let invalid = |why: &str| IdentityError::InvalidToken(why.to_owned());
        let jws = Jws::parse(token).map_err(|e| invalid(&e))?;
        let claims = &jws.claims;
        let issuer = claims["iss"].as_str().ok_or_else(|| invalid("the token has no issuer"))?;
        // An ID token is no access token.
        if claims.get("nonce").is_some() {
            return Err(invalid("this is an ID token, not an access token"));
        }
        // The signature first, so that nothing about configured clients leaks to forgers.
        let signer = self
            .orgs
            .values()
            .find(|p| p.policy.issuer == issuer && p.api.is_some())
            .ok_or_else(|| invalid("the token's issuer serves no organisation's API"))?;
        self.signed_by(signer, &jws).await.map_err(|e| invalid(&e.to_string()))?;
        let client = ["client_id", "azp", "appid"]
            .iter()
            .find_map(|c| claims[*c].as_str())
            .ok_or_else(|| invalid("the token names no client (client_id, azp or appid)"))?;
        let (org, provider, roles) = self
            .orgs
            .iter()
            .filter(|(_, p)| p.policy.issuer == issuer)
            .find_map(|(org, p)| Some((org, p, p.api.as_ref()?.clients.get(client)?)))
            .ok_or_else(|| invalid("no organisation allows this client to use the API"))?;
        let audience =
            provider.api.as_ref().and_then(|a| a.audience.as_deref()).unwrap_or(&self.api_audience);
        if !has_audience(claims, audience) {
            return Err(invalid("the token is not meant for this API (audience)"));
        }
        let exp = claims["exp"].as_i64().ok_or_else(|| invalid("the token has no expiry"))?;
        if exp <= now_secs {
            return Err(invalid("the token has expired"));
        }
        if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now_secs + 60)
            || claims["iat"].as_i64().is_some_and(|iat| iat > now_secs + 60)
        {
            return Err(invalid("the token is not valid yet"));
        }
        Ok(ApiCaller {
            org: org.clone(),
            issuer: issuer.to_owned(),
            client_id: client.to_owned(),
            roles: Roles::new(roles.iter().copied()),
        })
    }

    /// Checks a back-channel logout token (OpenID Connect Back-Channel Logout 1.0): signed
    /// by the provider of an organisation whose client it names, with the logout event,
    /// a `sid` or `sub`, no `nonce`, and issued recently.
    pub async fn verify_logout_token(
        &self,
        token: &str,
        now_secs: i64,
    ) -> Result<LogoutNotice, IdentityError> {
        let refused = |why: &str| IdentityError::Refused(format!("logout token: {why}"));
        let jws = Jws::parse(token).map_err(|e| refused(&e))?;
        let claims = &jws.claims;
        let issuer = claims["iss"].as_str().ok_or_else(|| refused("no issuer"))?;
        let provider = self
            .orgs
            .values()
            .find(|p| p.policy.issuer == issuer && has_audience(claims, &p.policy.client_id))
            .ok_or_else(|| refused("no organisation signs in with this issuer and audience"))?;
        self.signed_by(provider, &jws).await.map_err(|e| refused(&e.to_string()))?;
        let event = &claims["events"]["http://schemas.openid.net/event/backchannel-logout"];
        if !event.is_object() {
            return Err(refused("it carries no back-channel logout event"));
        }
        if claims.get("nonce").is_some() {
            return Err(refused("it carries a nonce, so it is an ID token"));
        }
        let iat = claims["iat"].as_i64().ok_or_else(|| refused("no iat"))?;
        if iat > now_secs + 300 || iat < now_secs - 600 {
            return Err(refused("it was not issued in the last ten minutes"));
        }
        if claims["exp"].as_i64().is_some_and(|exp| exp < now_secs) {
            return Err(refused("it has expired"));
        }
        let sid = claims["sid"].as_str().map(str::to_owned);
        let subject = claims["sub"].as_str().map(str::to_owned);
        if sid.is_none() && subject.is_none() {
            return Err(refused("it names neither a session nor a person"));
        }
        Ok(LogoutNotice { issuer: issuer.to_owned(), sid, subject })
    }

    /// The provider's end-session URL (RP-initiated logout), if it offers one, returning
    /// the browser to `after`.
    pub async fn logout_url(&self, org: &str, id_token: Option<&str>, after: &Url) -> Option<Url> {
        let p = self.orgs.get(org)?;
        let md = match self.metadata(p, false).await {
            Ok(md) => md,
            Err(e) => {
                // Signing out here still ends Herold's session; only the provider's own
                // session outlives it, which the person should hear about from the log.
                tracing::warn!(org, error = %e, "the provider's metadata could not be fetched: no single logout");
                return None;
            }
        };
        let endpoint = md.additional_metadata().end_session_endpoint.clone()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(p.policy.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(after.clone()));
        if let Some(token) = id_token.and_then(|t| CoreIdToken::from_str(t).ok()) {
            request = request.set_id_token_hint(&token);
        }
        Some(request.http_get_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_claims_are_found_by_dotted_path() {
        let claims = serde_json::json!({
            "groups": ["press", "other"],
            "realm_access": { "roles": ["herold-approver"] },
            "role": "auditor",
            "weird": 3
        });
        assert_eq!(claim_values(&claims, "groups"), ["press", "other"]);
        assert_eq!(claim_values(&claims, "realm_access.roles"), ["herold-approver"]);
        assert_eq!(claim_values(&claims, "role"), ["auditor"]);
        assert!(claim_values(&claims, "weird").is_empty());
        assert!(claim_values(&claims, "realm_access.missing").is_empty());
    }
}
