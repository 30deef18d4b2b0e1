use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use herold::config::Config;
use herold::startup::{Application, Services};
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

/// Options that differ between tests.
pub struct AppOptions {
    pub allow_private_networks: bool,
    pub first_signature_scheme: &'static str,
    pub workers: bool,
    pub security_log: bool,
    /// Further `HEROLD_*` settings.
    pub env: Vec<(&'static str, String)>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            allow_private_networks: true,
            first_signature_scheme: "draft-cavage-12",
            workers: true,
            security_log: false,
            env: Vec::new(),
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
    let mut vars = vec![
        ("HEROLD_DATABASE_URL", db.url.clone()),
        ("HEROLD_PUBLIC_URL", base.clone()),
        ("HEROLD_DATA_DIR", db.dir.display().to_string()),
        ("HEROLD_POLICIES_DIR", policies_dir()),
        ("HEROLD_SECURITY_LOG", options.security_log.to_string()),
        ("HEROLD_ALLOW_PRIVATE_NETWORKS", options.allow_private_networks.to_string()),
        ("HEROLD_DELIVERY_FIRST_SIGNATURE_SCHEME", options.first_signature_scheme.to_owned()),
    ];
    vars.extend(options.env);
    let config = Config::load_from(None, |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("test config");
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
            summary: None,
            urgent: false,
        }
    }

    pub async fn publish(&self, username: &str, text: &str) -> Announcement {
        let a = self.services.publisher.publish(username, Self::draft(text), "test").await.expect("publish");
        self.services.deliverer.wake();
        a
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
