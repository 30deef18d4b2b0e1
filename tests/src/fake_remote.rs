//! A remote server under the test's control: it serves one actor with a key the test holds,
//! records what arrives at its inboxes, and signs requests as that actor. Used where a
//! test must forge, tamper with or fault requests, which a real peer would never do.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use herold_federation::keys::{generate_rsa_2048, Signer};
use herold_federation::signatures::{BodyDigest, Scheme, SigningPlan};
use serde_json::{json, Value};
use url::Url;

/// Remote servers connect from this address, never used for anything else, so a test can
/// prove that Herold keeps no client address anywhere.
pub const CLIENT_ADDRESS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 55);

fn client() -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::V4(CLIENT_ADDRESS)).build().expect("client")
}

#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedRequest>>,
    status: AtomicU16,
    delay_ms: AtomicU64,
    actor_doc: Mutex<Value>,
    /// What `/.well-known/webfinger` answers (whatever the resource); 404 if unset.
    webfinger: Mutex<Option<Value>>,
    /// Further GET paths: a document, or where to redirect.
    documents: Mutex<HashMap<String, Served>>,
    /// The paths of every GET, in order.
    fetched: Mutex<Vec<String>>,
}

#[derive(Clone)]
enum Served {
    Document(Value),
    Page(String),
    Redirect(String),
}

pub struct FakeRemote {
    pub base: String,
    pub actor: String,
    pub signer: Arc<Signer>,
    pub public_key_pem: String,
    pkcs8_der: Vec<u8>,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

async fn record(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let delay = shared.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    shared.received.lock().unwrap().push(ReceivedRequest {
        path: req.path().to_owned(),
        headers,
        body: body.to_vec(),
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(shared.status.load(Ordering::Relaxed)).unwrap())
        .finish()
}

async fn actor_doc(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    shared.fetched.lock().unwrap().push(req.path().to_owned());
    let doc = shared.actor_doc.lock().unwrap().clone();
    HttpResponse::Ok().content_type("application/activity+json").body(doc.to_string())
}

async fn any_other(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    if req.method() == actix_web::http::Method::GET {
        document(req, shared).await
    } else {
        record(req, body, shared).await
    }
}

async fn document(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.uri().path_and_query().map_or(req.path(), |p| p.as_str()).to_owned();
    shared.fetched.lock().unwrap().push(path.clone());
    match shared.documents.lock().unwrap().get(&path).cloned() {
        Some(Served::Document(doc)) => {
            HttpResponse::Ok().content_type("application/activity+json").body(doc.to_string())
        }
        Some(Served::Page(html)) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Some(Served::Redirect(to)) => HttpResponse::Found().insert_header(("location", to)).finish(),
        None => HttpResponse::NotFound().finish(),
    }
}

/// A WebSub subscriber's callback that wants the subscription: it echoes the challenge.
async fn echo_challenge(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.uri().path_and_query().map_or(req.path(), |p| p.as_str()).to_owned();
    shared.fetched.lock().unwrap().push(path);
    let challenge = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "hub.challenge")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain").body(challenge)
}

async fn webfinger(shared: web::Data<Shared>) -> HttpResponse {
    match shared.webfinger.lock().unwrap().clone() {
        Some(jrd) => HttpResponse::Ok().content_type("application/jrd+json").body(jrd.to_string()),
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakeRemote {
    pub async fn start() -> FakeRemote {
        FakeRemote::start_at("127.0.0.1").await
    }

    /// A server at another loopback address (`127.x.y.z`): another host, as far as host
    /// names go.
    pub async fn start_at(ip: &str) -> FakeRemote {
        FakeRemote::start_with(ip, None).await
    }

    /// A server speaking https with a certificate of `pki`'s (an internal CA's).
    pub async fn start_tls(pki: &crate::pki::TestPki) -> FakeRemote {
        FakeRemote::start_with("127.0.0.1", Some(pki.server_config())).await
    }

    async fn start_with(ip: &str, tls: Option<rustls::ServerConfig>) -> FakeRemote {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{ip}:{port}");
        let actor = format!("{base}/users/mallory");
        let key = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
        let signer = Signer::from_pkcs8(format!("{actor}#main-key"), &key.pkcs8_der).unwrap();
        let shared = Arc::new(Shared::default());
        shared.status.store(202, Ordering::Relaxed);
        *shared.actor_doc.lock().unwrap() = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "mallory",
            "inbox": format!("{actor}/inbox"),
            "endpoints": { "sharedInbox": format!("{base}/inbox") },
            "publicKey": { "id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": key.public_key_pem },
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .route("/users/mallory", web::get().to(actor_doc))
                .route("/.well-known/webfinger", web::get().to(webfinger))
                .route("/websub-callback", web::get().to(echo_challenge))
                .default_service(web::to(any_other))
        })
        .workers(2);
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeRemote {
            base,
            actor,
            signer,
            public_key_pem: key.public_key_pem,
            pkcs8_der: key.pkcs8_der,
            shared,
            handle,
        }
    }

    /// Serves `doc` at `path` (path and query) from now on.
    pub fn serve(&self, path: &str, doc: Value) {
        self.shared.documents.lock().unwrap().insert(path.to_owned(), Served::Document(doc));
    }

    /// Serves the web page `html` at `path` (path and query) from now on.
    pub fn serve_page(&self, path: &str, html: &str) {
        self.shared.documents.lock().unwrap().insert(path.to_owned(), Served::Page(html.to_owned()));
    }

    /// Answers GETs of `path` (path and query) with a redirect to `to`.
    pub fn redirect(&self, path: &str, to: &str) {
        self.shared.documents.lock().unwrap().insert(path.to_owned(), Served::Redirect(to.to_owned()));
    }

    /// The paths (and queries) of every GET so far.
    pub fn fetched(&self) -> Vec<String> {
        self.shared.fetched.lock().unwrap().clone()
    }

    /// This actor's key, published under another key id.
    pub fn signer_as(&self, key_id: &str) -> Arc<Signer> {
        Signer::from_pkcs8(key_id.to_owned(), &self.pkcs8_der).unwrap()
    }

    /// Answers WebFinger with this JRD from now on.
    pub fn set_webfinger(&self, jrd: Value) {
        *self.shared.webfinger.lock().unwrap() = Some(jrd);
    }

    /// `host:port`, as in an address `@user@host:port`.
    pub fn authority(&self) -> String {
        self.base.split_once("://").map_or(self.base.as_str(), |(_, rest)| rest).to_owned()
    }

    /// The status every inbox POST is answered with (default 202).
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::Relaxed);
    }

    pub fn delay_answers(&self, delay: Duration) {
        self.shared.delay_ms.store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Replaces the served actor document (e.g. to rotate its key).
    pub fn set_actor_doc(&self, doc: Value) {
        *self.shared.actor_doc.lock().unwrap() = doc;
    }

    pub fn actor_doc(&self) -> Value {
        self.shared.actor_doc.lock().unwrap().clone()
    }

    pub fn new_id(&self) -> String {
        format!("{}/activities/{}", self.base, uuid::Uuid::new_v4())
    }

    pub fn follow(&self, target: &str) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.new_id(), "type": "Follow", "actor": self.actor, "object": target,
        })
    }

    /// POSTs `body` signed as this actor (or with `signer`, to forge) at time `now`.
    pub async fn post(
        &self,
        url: &str,
        body: &[u8],
        scheme: Scheme,
        signer: Option<&Signer>,
        now: i64,
    ) -> reqwest::Response {
        let signer = signer.unwrap_or(&self.signer);
        let url = Url::parse(url).unwrap();
        let digest = BodyDigest::of(body);
        let plan = SigningPlan::new(scheme, &signer.key_id, "POST", &url, Some(&digest), now);
        let sig = signer.sign(plan.base.as_bytes()).unwrap();
        let mut req = client()
            .post(url.as_str())
            .header("content-type", "application/activity+json")
            .body(body.to_vec());
        for (k, v) in plan.finish(&sig) {
            req = req.header(k, v);
        }
        req.send().await.expect("POST to herold")
    }

    pub async fn post_json(&self, url: &str, activity: &Value, scheme: Scheme) -> reqwest::Response {
        let now = herold_domain::now_millis() / 1000;
        self.post(url, activity.to_string().as_bytes(), scheme, None, now).await
    }
}

impl Drop for FakeRemote {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}
