use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use herold::config::Config;
use herold::startup::Application;
use herold::state::Services;
use herold_domain::{AnnouncementText, DisplayName, LanguageTag, OrgSlug, Username};
use herold_publishing::{accounts, Draft};
use herold_store::{Account, Announcement, Store};

/// Which backend a test runs on. Every integration test runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The repository's own policies.
pub fn policies_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../policies").to_owned()
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("HEROLD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database just for one test: a temporary SQLite file or a fresh PostgreSQL database,
/// removed when dropped (also when the test panics).
pub struct TestDatabase {
    pub url: String,
    pub dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub async fn create(db: Db) -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("herold-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match db {
            Db::Sqlite => {
                TestDatabase { url: format!("sqlite://{}/herold.db", dir.display()), dir, pg_name: None }
            }
            Db::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("herold_test_{}", uuid::Uuid::new_v4().simple());
                let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is needed for the PostgreSQL half of the suite ({admin}): {e}")
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .expect("create database");
                pool.close().await;
                let mut url = url::Url::parse(&admin).expect("admin URL");
                url.set_path(&format!("/{name}"));
                TestDatabase { url: url.to_string(), dir, pg_name: Some(name) }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Drop cannot await; a short-lived runtime on its own thread does the cleanup.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async move {
                    let pool = sqlx::PgPool::connect(&admin).await.ok()?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub port: u16,
    pub base: String,
    pub services: Arc<Services>,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    pub db: TestDatabase,
    server: actix_web::dev::ServerHandle,
}

/// Staff sign-in for an organisation through a provider (the development one in tests):
/// a client is registered for the spawned Herold and the organisation's policy points to it.
pub struct SignIn {
    pub org: &'static str,
    pub issuer: String,
    /// More policy lines, e.g. `time_zone = …` or a `[workflow]` table; they come first.
    pub extra_policy: &'static str,
    /// `sign_in.discovery_url`, if Herold reads the metadata elsewhere.
    pub discovery_url: Option<String>,
}

/// Options that differ between tests.
pub struct AppOptions {
    pub allow_private_networks: bool,
    pub first_signature_scheme: &'static str,
    pub workers: bool,
    pub security_log: bool,
    /// Further `HEROLD_*` settings.
    pub env: Vec<(&'static str, String)>,
    /// Organisations whose staff sign in (created before Herold starts).
    pub sign_in: Vec<SignIn>,
    /// Organisations with a policy file but no sign-in: (slug, the file's text). Created
    /// before Herold starts, as policies may only name organisations that exist.
    pub policies: Vec<(&'static str, &'static str)>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            allow_private_networks: true,
            first_signature_scheme: "draft-cavage-12",
            workers: true,
            security_log: false,
            env: Vec::new(),
            sign_in: Vec::new(),
            policies: Vec::new(),
        }
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, AppOptions::default()).await
}

/// Starts Herold on a random port against a fresh database, the way `herold serve` does.
pub async fn spawn_app_with(db: Db, options: AppOptions) -> TestApp {
    let db = TestDatabase::create(db).await;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let policies = if options.sign_in.is_empty() && options.policies.is_empty() {
        policies_dir()
    } else {
        org_policies(&db.dir, &base, &options.sign_in, &options.policies).await
    };
    let mut vars = vec![
        ("HEROLD_DATABASE_URL", db.url.clone()),
        ("HEROLD_PUBLIC_URL", base.clone()),
        ("HEROLD_DATA_DIR", db.dir.display().to_string()),
        ("HEROLD_POLICIES_DIR", policies),
        ("HEROLD_SECURITY_LOG", options.security_log.to_string()),
        ("HEROLD_ALLOW_PRIVATE_NETWORKS", options.allow_private_networks.to_string()),
        ("HEROLD_DELIVERY_FIRST_SIGNATURE_SCHEME", options.first_signature_scheme.to_owned()),
    ];
    vars.extend(options.env);
    let config = Config::load_from(None, |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("test config");
    if !options.sign_in.is_empty() || !options.policies.is_empty() {
        // Policies may only name organisations that exist.
        let (store, _) = herold::state::open_store(&config).await.expect("store");
        let orgs = options.sign_in.iter().map(|s| s.org).chain(options.policies.iter().map(|(org, _)| *org));
        for org in orgs {
            let slug = OrgSlug::parse(org).expect("org");
            let name = DisplayName::parse("Test Authority").expect("name");
            accounts::create_org(store.as_ref(), &slug, &name, "test").await.expect("create org");
        }
    }
    let services = Services::build(config).await.expect("services");
    let app = Application::from_parts(listener, services.clone(), options.workers).expect("app");
    let server = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        port,
        base,
        store: services.store.clone(),
        services,
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        db,
        server,
    }
}

/// A copy of the repository's policies plus, per organisation, a `[sign_in]` pointing to
/// a client registered for this Herold at the provider, and the other organisations' files.
async fn org_policies(
    dir: &std::path::Path,
    base: &str,
    sign_in: &[SignIn],
    others: &[(&str, &str)],
) -> String {
    let policies = dir.join("policies");
    std::fs::create_dir_all(policies.join("orgs")).expect("policies dir");
    std::fs::copy(format!("{}/retention.toml", policies_dir()), policies.join("retention.toml"))
        .expect("copy retention.toml");
    for s in sign_in {
        let client = crate::oidc::register_client(&s.issuer, base).await;
        let secret = dir.join(format!("{}.client-secret", s.org));
        std::fs::write(&secret, &client.client_secret).expect("secret file");
        let discovery =
            s.discovery_url.as_ref().map(|u| format!("discovery_url = \"{u}\"\n")).unwrap_or_default();
        let policy = format!(
            "{}\n[sign_in]\n{discovery}issuer = \"{}\"\nclient_id = \"{}\"\nclient_secret_file = \"{}\"\n\
             extra_scopes = [\"groups\"]\nshared_groups = true\n\n[sign_in.roles]\nauthor = [\"herold-authors\"]\n\
             approver = [\"herold-approvers\"]\norg-admin = [\"herold-admins\"]\nauditor = [\"herold-auditors\"]\n",
            s.extra_policy,
            s.issuer,
            client.client_id,
            secret.display(),
        );
        std::fs::write(policies.join("orgs").join(format!("{}.toml", s.org)), policy).expect("org policy");
    }
    for (org, text) in others {
        std::fs::write(policies.join("orgs").join(format!("{org}.toml")), text).expect("org policy");
    }
    policies.display().to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create_account(&self, org: &str, username: &str) -> Account {
        let org = OrgSlug::parse(org).expect("org");
        if self.store.list_orgs().await.expect("orgs").iter().all(|o| o.slug != org.as_str()) {
            accounts::create_org(
                self.store.as_ref(),
                &org,
                &DisplayName::parse("Test Authority").unwrap(),
                "test",
            )
            .await
            .expect("create org");
        }
        let request = accounts::AccountRequest {
            org,
            username: Username::parse(username).expect("username"),
            name: DisplayName::parse(&format!("{username} office")).unwrap(),
            summary: None,
            language: herold_domain::LanguageTag::parse("de").unwrap(),
        };
        accounts::create_account(
            self.store.as_ref(),
            &self.services.kek,
            &self.services.urls,
            request,
            "test",
        )
        .await
        .expect("create account")
    }

    pub fn draft(text: &str) -> Draft {
        Draft {
            text: AnnouncementText::parse(text).expect("text"),
            language: Some(LanguageTag::parse("de").unwrap()),
            translations: Default::default(),
            attachments: Vec::new(),
            summary: None,
            urgent: false,
            mentions: Vec::new(),
            in_reply_to: None,
            replies: None,
        }
    }

    pub async fn publish(&self, username: &str, text: &str) -> Announcement {
        self.services.publisher.publish(username, Self::draft(text), "test").await.expect("publish")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .get(self.url(path))
            .header("accept", "application/activity+json")
            .send()
            .await
            .expect("GET");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    pub async fn stop(&self) {
        self.server.stop(true).await;
    }
}

/// A browser after a sign-in attempt: the callback URL the provider sent it to, and
/// Herold's answer to it.
pub struct SignedIn {
    pub browser: crate::oidc::Browser,
    pub callback: String,
    pub answer: crate::oidc::Page,
}

impl TestApp {
    /// Signs `login` (password `demo`) in to `org` through the provider's real pages.
    pub async fn sign_in(&self, org: &str, login: &str) -> SignedIn {
        self.sign_in_with(crate::oidc::Browser::new(), org, login).await
    }

    /// Signs in again in a browser that was signed in before (its other tabs keep their
    /// pages). A provider that still knows the browser sends it straight back.
    pub async fn sign_in_with(&self, browser: crate::oidc::Browser, org: &str, login: &str) -> SignedIn {
        let start = browser.get(&self.url(&format!("/login/{org}"))).await;
        assert_eq!(start.status, 303, "sign-in start: {}", start.body);
        let auth = start.location.expect("to the provider");
        let (form_url, form) = browser.follow(auth, |n| n.starts_with(&self.base)).await;
        if form_url.starts_with(&self.url("/auth/callback")) {
            let answer = browser.get(&form_url).await;
            return SignedIn { browser, callback: form_url, answer };
        }
        assert_eq!(form.status, 200, "provider login page: {}", form.body);
        let action = crate::oidc::form_action(&form.body, "/login").expect("login form");
        let action = url::Url::parse(&form_url).unwrap().join(&action).unwrap().to_string();
        let posted = browser.post(&action, &[("login", login), ("password", "demo")]).await;
        assert_eq!(posted.status, 303, "login POST: {}", posted.body);
        let next = url::Url::parse(&action).unwrap().join(&posted.location.unwrap()).unwrap().to_string();
        let (callback, _) = browser.follow(next, |n| n.starts_with(&self.base)).await;
        assert!(callback.starts_with(&self.url("/auth/callback")), "not sent back to Herold: {callback}");
        let answer = browser.get(&callback).await;
        SignedIn { browser, callback, answer }
    }
}
