//! Inbox ingest benchmark: a separate load process sends signed activities (keys already
//! cached by Herold) for a fixed time with a fixed number of connections, and reports
//! requests per second, p50/p99 latency and errors.
//!
//!     cargo bench -p herold-tests --bench inbox -- [--seconds 60] [--connections 32] [--postgres]
//!
//! The load process serves its own actors (so Herold can fetch their keys once) and
//! pre-signs a pool of requests, so its CPU goes to sending, not signing.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herold::startup::Application;
use herold::state::Services;
use herold_domain::{DisplayName, OrgSlug, Username};
use herold_federation::keys::{generate_rsa_2048, Signer};
use herold_federation::signatures::{BodyDigest, Scheme, SigningPlan};
use herold_publishing::accounts::{self, AccountRequest};
use herold_tests::bench::{config, herold_vars, UNLIMITED_INBOX};
use herold_tests::spawn::TestDatabase;
use herold_tests::Db;
use serde_json::json;

const ACTORS: usize = 8;
const SIGNED_PER_ACTOR: usize = 64;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    if let Ok(target) = std::env::var("HEROLD_BENCH_LOAD") {
        return run_load(&target);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    let seconds = arg(&args, "--seconds").and_then(|s| s.parse().ok()).unwrap_or(60u64);
    let connections = arg(&args, "--connections").and_then(|s| s.parse().ok()).unwrap_or(32usize);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let database = TestDatabase::create(if postgres { Db::Postgres } else { Db::Sqlite }).await;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let vars = herold_vars(&database, port, &UNLIMITED_INBOX);
        let services = Services::build(config(&vars)).await.unwrap();
        let slug = OrgSlug::parse("bench").unwrap();
        accounts::create_org(services.store.as_ref(), &slug, &DisplayName::parse("Bench").unwrap(), "bench")
            .await
            .unwrap();
        let request = AccountRequest {
            org: slug,
            username: Username::parse("press").unwrap(),
            name: DisplayName::parse("Press").unwrap(),
            summary: None,
            language: herold_domain::LanguageTag::parse("de").unwrap(),
        };
        accounts::create_account(services.store.as_ref(), &services.kek, &services.urls, request, "bench")
            .await
            .unwrap();
        let app = Application::from_parts(listener, services, true).unwrap();
        let server = tokio::spawn(app.run_until_stopped());

        let out = Command::new(std::env::current_exe().unwrap())
            .env("HEROLD_BENCH_LOAD", format!("http://127.0.0.1:{port}"))
            .env("HEROLD_BENCH_SECONDS", seconds.to_string())
            .env("HEROLD_BENCH_CONNECTIONS", connections.to_string())
            .stderr(Stdio::inherit())
            .output()
            .expect("load process");
        let report = String::from_utf8_lossy(&out.stdout);
        println!("backend={} {}", if postgres { "postgres" } else { "sqlite" }, report.trim());
        server.abort();
    });
}

/// The load process: serves its actors, follows once per actor (Herold caches the keys),
/// then sends pre-signed activities from `connections` loops for the given time.
fn run_load(target: &str) {
    let seconds: u64 = std::env::var("HEROLD_BENCH_SECONDS").unwrap().parse().unwrap();
    let connections: usize = std::env::var("HEROLD_BENCH_CONNECTIONS").unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        use actix_web::{web, App, HttpResponse, HttpServer};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut docs = Vec::new();
        let mut signers = Vec::new();
        for i in 0..ACTORS {
            let key = generate_rsa_2048().unwrap();
            let actor = format!("{base}/users/load{i}");
            signers.push((actor.clone(), Signer::from_pkcs8(format!("{actor}#main-key"), &key.pkcs8_der).unwrap()));
            docs.push(json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": actor, "type": "Service", "inbox": format!("{actor}/inbox"),
                "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": key.public_key_pem},
            }));
        }
        let docs = web::Data::new(docs);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(docs.clone())
                .route(
                    "/users/{name}",
                    web::get().to(|docs: web::Data<Vec<serde_json::Value>>, name: web::Path<String>| async move {
                        let i: usize = name.trim_start_matches("load").parse().unwrap_or(usize::MAX);
                        match docs.get(i) {
                            Some(doc) => HttpResponse::Ok().content_type("application/activity+json").body(doc.to_string()),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }),
                )
                .default_service(web::to(HttpResponse::Accepted))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);

        let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build().unwrap();
        let inbox = url::Url::parse(&format!("{target}/inbox")).unwrap();
        let sign = |signer: &Signer, body: &str| {
            let digest = BodyDigest::of(body.as_bytes());
            let plan = SigningPlan::new(Scheme::Cavage, &signer.key_id, "POST", &inbox, Some(&digest), herold_domain::now_millis() / 1000);
            let sig = signer.sign(plan.base.as_bytes()).unwrap();
            (body.to_owned(), plan.finish(&sig))
        };
        // One Follow per actor makes Herold fetch and cache its key.
        for (actor, signer) in &signers {
            let follow = json!({"id": format!("{actor}/follow"), "type": "Follow", "actor": actor, "object": format!("{target}/users/press")});
            let (body, headers) = sign(signer, &follow.to_string());
            let mut req = client.post(inbox.as_str()).header("content-type", "application/activity+json").body(body);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            assert_eq!(req.send().await.unwrap().status(), 202, "the follow that caches the key");
        }
        let mut pool = Vec::new();
        for (actor, signer) in &signers {
            for n in 0..SIGNED_PER_ACTOR {
                let like = json!({"id": format!("{actor}/likes/{n}"), "type": "Like", "actor": actor, "object": format!("{target}/users/press")});
                pool.push(sign(signer, &like.to_string()));
            }
        }
        let pool = Arc::new(pool);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let tasks: Vec<_> = (0..connections)
            .map(|c| {
                let (client, pool, inbox) = (client.clone(), pool.clone(), inbox.clone());
                tokio::spawn(async move {
                    let (mut latencies, mut errors, mut i) = (Vec::new(), 0u64, c);
                    while Instant::now() < deadline {
                        let (body, headers) = &pool[i % pool.len()];
                        i += connections;
                        let mut req = client.post(inbox.as_str()).header("content-type", "application/activity+json").body(body.clone());
                        for (k, v) in headers {
                            req = req.header(*k, v.clone());
                        }
                        let t = Instant::now();
                        match req.send().await {
                            Ok(r) if r.status() == 202 => latencies.push(t.elapsed()),
                            _ => errors += 1,
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let (mut all, mut errors) = (Vec::new(), 0);
        for t in tasks {
            let (l, e) = t.await.unwrap();
            all.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        println!(
            "seconds={seconds} connections={connections} requests={} errors={errors} requests/s={:.0} p50={:.1}ms p99={:.1}ms",
            all.len(),
            all.len() as f64 / elapsed,
            pct(0.50),
            pct(0.99)
        );
    });
}
