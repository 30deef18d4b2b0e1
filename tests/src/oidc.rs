//! The development OpenID provider (deploy/dev/oidc, built on the certified `oidc-provider`)
//! as a real provider for sign-in tests, and a cookie-keeping client that walks through
//! its pages the way a browser would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub struct OidcProvider {
    pub port: u16,
    scheme: &'static str,
    child: Child,
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/dev/oidc")
}

/// A client registered for one Herold instance.
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
}

impl OidcProvider {
    pub fn start() -> OidcProvider {
        OidcProvider::start_with(&[])
    }

    /// The provider on https, with a certificate of `pki`'s (an internal CA's).
    pub fn start_tls(pki: &crate::pki::TestPki) -> OidcProvider {
        let (cert, key) = (pki.cert_file.display().to_string(), pki.key_file.display().to_string());
        OidcProvider::start_with(&["--tls-cert", &cert, "--tls-key", &key])
    }

    fn start_with(args: &[&str]) -> OidcProvider {
        let dir = provider_dir();
        assert!(
            dir.join("node_modules").exists(),
            "the development OpenID provider is not installed: run `npm ci --prefix deploy/dev/oidc` (scripts/test does)"
        );
        let mut child = Command::new(dir.join("run.sh"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("provider output");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the OpenID provider did not start: {line:?}"));
        OidcProvider { port, scheme: if args.is_empty() { "http" } else { "https" }, child }
    }

    pub fn issuer(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }
}

/// The test harness's own client for the provider. It accepts any certificate: what is under
/// test is whether Herold trusts the provider's, not whether the harness does.
fn harness_client() -> reqwest::Client {
    reqwest::Client::builder().danger_accept_invalid_certs(true).build().expect("client")
}

/// Registers a confidential client for the Herold at `base` with the provider at `issuer`
/// (dynamic client registration, RFC 7591), with its exact redirect and logout URIs.
pub async fn register_client(issuer: &str, base: &str) -> RegisteredClient {
    let resp = harness_client()
        .post(format!("{issuer}/reg"))
        .json(&json!({
            "redirect_uris": [format!("{base}/auth/callback")],
            "post_logout_redirect_uris": [format!("{base}/login")],
            "backchannel_logout_uri": format!("{base}/auth/backchannel-logout"),
            "backchannel_logout_session_required": true,
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .expect("client registration");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "registration failed: {status} {body}");
    RegisteredClient {
        client_id: body["client_id"].as_str().expect("client_id").to_owned(),
        client_secret: body["client_secret"].as_str().expect("client_secret").to_owned(),
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a hidden form field, or of any `name="…" value="…"` pair, in a page.
pub fn field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].replace("&amp;", "&").replace("&quot;", "\""))
}

/// The `action` of the first form posting to a path containing `needle`.
pub fn form_action(html: &str, needle: &str) -> Option<String> {
    html.match_indices("action=\"").find_map(|(at, m)| {
        let start = at + m.len();
        let end = html[start..].find('"')?;
        let action = &html[start..start + end];
        action.contains(needle).then(|| action.replace("&amp;", "&"))
    })
}

/// A browser: keeps cookies, follows nothing on its own.
pub struct Browser {
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        Self::speaking("en")
    }

    /// A browser whose every request asks for `language` (`Accept-Language`), as a
    /// person's browser does.
    pub fn speaking(language: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_str(language).expect("a language"),
        );
        Browser {
            http: reqwest::Client::builder()
                .default_headers(headers)
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                // Like `harness_client`: the person trusts their organisation's provider.
                .danger_accept_invalid_certs(true)
                .build()
                .expect("browser"),
            jar,
        }
    }

    /// The value of the cookie `name` the browser would send to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&url::Url::parse(url).ok()?)?;
        header.to_str().ok()?.split("; ").find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        Page { status, location, body: resp.text().await.unwrap_or_default() }
    }

    pub async fn get(&self, url: &str) -> Page {
        Self::page(self.http.get(url).send().await.expect("GET")).await
    }

    /// `get` from a browser that asks for `language` (`Accept-Language`).
    pub async fn get_in(&self, url: &str, language: &str) -> Page {
        Self::page(self.http.get(url).header("accept-language", language).send().await.expect("GET")).await
    }

    /// A form sent from a page of the same site, as browsers label it (`Sec-Fetch-Site`).
    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(url).header("sec-fetch-site", "same-origin").form(form);
        Self::page(request.send().await.expect("POST")).await
    }

    /// `post` from a browser that asks for `language` (`Accept-Language`).
    pub async fn post_in(&self, url: &str, form: &[(&str, &str)], language: &str) -> Page {
        let request =
            self.http.post(url).header("accept-language", language).header("sec-fetch-site", "same-origin");
        Self::page(request.form(form).send().await.expect("POST")).await
    }

    /// Follows redirects (resolving relative ones against the last URL) until a page that
    /// is not a redirect, or until `stop` says the next location is far enough.
    pub async fn follow(&self, mut url: String, stop: impl Fn(&str) -> bool) -> (String, Page) {
        for _ in 0..10 {
            let page = self.get(&url).await;
            match page.location.clone() {
                Some(next) if (300..400).contains(&page.status) => {
                    let next = url::Url::parse(&url).expect("url").join(&next).expect("location").to_string();
                    if stop(&next) {
                        return (next, page);
                    }
                    url = next;
                }
                _ => return (url, page),
            }
        }
        panic!("too many redirects from {url}");
    }
}
