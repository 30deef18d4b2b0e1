//! A hostile OpenID provider: it answers the code flow with ID tokens that are wrong in one
//! chosen way (issuer, audience, expiry, algorithm, nonce, key), which a real provider
//! never issues. The attack tests use it; everything else uses the real provider.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine;
use herold_federation::keys::generate_rsa_2048;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "herold";
pub const CLIENT_SECRET: &str = "hostile-client-secret";

/// How the next ID token is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// Nothing: a valid token (the control case).
    None,
    WrongIssuer,
    WrongAudience,
    Expired,
    /// `alg: none`, no signature.
    AlgNone,
    /// HS256 keyed with the client secret: the confusion attack.
    Hmac,
    /// A nonce from some other sign-in.
    WrongNonce,
    /// Signed with a key the provider does not publish.
    UnknownKey,
}

struct State {
    base: String,
    key: RsaKeyPair,
    other_key: RsaKeyPair,
    forgery: Mutex<Forgery>,
    /// code → nonce of the authorization request it answers.
    codes: Mutex<HashMap<String, String>>,
}

pub struct HostileOp {
    pub base: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn rsa_key() -> RsaKeyPair {
    let generated = generate_rsa_2048().expect("RSA key");
    RsaKeyPair::from_pkcs8(&generated.pkcs8_der).expect("PKCS#8")
}

impl State {
    fn jwk(&self) -> Value {
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = self.key.public().into();
        json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": b64(&public.n), "e": b64(&public.e) })
    }

    fn id_token(&self, nonce: &str) -> String {
        let forgery = *self.forgery.lock().unwrap();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut claims = json!({
            "iss": self.base, "sub": "hostile-1", "aud": CLIENT_ID, "iat": now, "exp": now + 600,
            "nonce": nonce, "name": "Mallory", "groups": ["herold-authors"],
        });
        match forgery {
            Forgery::WrongIssuer => claims["iss"] = json!("https://evil.example"),
            Forgery::WrongAudience => claims["aud"] = json!("another-client"),
            Forgery::Expired => {
                claims["iat"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Forgery::WrongNonce => claims["nonce"] = json!("nonce-of-another-sign-in"),
            _ => {}
        }
        let payload = b64(claims.to_string().as_bytes());
        let rng = ring::rand::SystemRandom::new();
        let rsa_signed = |key: &RsaKeyPair, kid: &str| {
            let signing_input =
                format!("{}.{payload}", b64(json!({"alg": "RS256", "kid": kid}).to_string().as_bytes()));
            let mut sig = vec![0; key.public().modulus_len()];
            key.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig).expect("sign");
            format!("{signing_input}.{}", b64(&sig))
        };
        match forgery {
            Forgery::AlgNone => format!("{}.{payload}.", b64(br#"{"alg":"none"}"#)),
            Forgery::Hmac => {
                let signing_input = format!("{}.{payload}", b64(br#"{"alg":"HS256"}"#));
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, CLIENT_SECRET.as_bytes());
                let tag = ring::hmac::sign(&key, signing_input.as_bytes());
                format!("{signing_input}.{}", b64(tag.as_ref()))
            }
            Forgery::UnknownKey => rsa_signed(&self.other_key, "k2"),
            _ => rsa_signed(&self.key, "k1"),
        }
    }
}

async fn discovery(state: web::Data<State>) -> HttpResponse {
    let b = &state.base;
    HttpResponse::Ok().json(json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/auth"),
        "token_endpoint": format!("{b}/token"),
        "jwks_uri": format!("{b}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
    }))
}

async fn jwks(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": [state.jwk()] }))
}

async fn register() -> HttpResponse {
    HttpResponse::Created().json(json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET }))
}

/// Signs everyone in at once: straight back to the client with a code.
async fn authorize(state: web::Data<State>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let code = uuid::Uuid::new_v4().simple().to_string();
    state.codes.lock().unwrap().insert(code.clone(), q.get("nonce").cloned().unwrap_or_default());
    let mut target = url::Url::parse(q.get("redirect_uri").map_or("", |s| s.as_str())).expect("redirect_uri");
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", q.get("state").map_or("", |s| s.as_str()));
    HttpResponse::SeeOther().insert_header(("location", target.to_string())).finish()
}

async fn token(state: web::Data<State>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(nonce) = state.codes.lock().unwrap().remove(&code) else {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" }));
    };
    HttpResponse::Ok().json(json!({
        "access_token": "opaque-access-token",
        "token_type": "Bearer",
        "expires_in": 600,
        "id_token": state.id_token(&nonce),
    }))
}

impl HostileOp {
    pub async fn start() -> HostileOp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (key, other_key) = tokio::task::spawn_blocking(|| (rsa_key(), rsa_key())).await.unwrap();
        let state = Arc::new(State {
            base: base.clone(),
            key,
            other_key,
            forgery: Mutex::new(Forgery::None),
            codes: Mutex::new(HashMap::new()),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/jwks", web::get().to(jwks))
                .route("/reg", web::post().to(register))
                .route("/auth", web::get().to(authorize))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        HostileOp { base, state, handle }
    }

    pub fn forge(&self, forgery: Forgery) {
        *self.state.forgery.lock().unwrap() = forgery;
    }
}

impl Drop for HostileOp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}
