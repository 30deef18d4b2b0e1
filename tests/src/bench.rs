//! What the benchmarks share: the loopback sink process that plays every remote server,
//! this machine's signing limit, and the figures they report.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Healthy sink servers: 127.0.1.1 to 127.0.1.250.
pub const SINK_HOSTS: u8 = 250;
/// Faulty sink servers, per kind: 127.0.2.x answer 500, 127.0.3.x never, 127.0.4.x after 3 s.
pub const FAULTY_HOSTS: u8 = 25;
/// Where the sink serves a publisher's actor document, if given one (`start_sink`).
pub const PUBLISHER_HOST: &str = "127.0.5.1";

const SINK_ENV: &str = "HEROLD_BENCH_SINK";
const PUBLISHER_ENV: &str = "HEROLD_BENCH_PUBLISHER";

/// The actor the sink plays when given a publisher key (`start_sink`).
pub fn publisher_actor(port: u16) -> String {
    format!("http://{PUBLISHER_HOST}:{port}/users/publisher")
}

/// Starts the sink as a separate process (this benchmark binary again), so that its work is
/// not counted as Herold's. With `publisher_key` (a public key PEM), it also serves a
/// publisher's actor document with that key at `publisher_actor(port)`. Returns the process
/// and its port.
pub fn start_sink(publisher_key: Option<&str>) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(SINK_ENV, port.to_string()).stdout(Stdio::piped());
    if let Some(pem) = publisher_key {
        command.env(PUBLISHER_ENV, pem);
    }
    let mut sink = command.spawn().expect("start sink");
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(sink.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("READY"), "sink did not start: {line}");
    (sink, port)
}

/// In a benchmark's `main`: when this process was started as the sink, runs it and returns
/// true.
pub fn run_sink_if_asked() -> bool {
    let Ok(port) = std::env::var(SINK_ENV) else { return false };
    run_sink(port.parse().unwrap(), std::env::var(PUBLISHER_ENV).ok());
    true
}

fn run_sink(port: u16, publisher_key: Option<String>) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let publisher = publisher_key.map(|pem| {
        let actor = publisher_actor(port);
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor, "type": "Service", "inbox": format!("{actor}/inbox"),
            "publicKey": { "id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem },
        })
        .to_string()
    });
    actix_web::rt::System::new().block_on(async move {
        let publisher = web::Data::new(publisher);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(web::PayloadConfig::new(1 << 20))
                .app_data(publisher.clone())
                .route(
                    "/users/publisher",
                    web::get().to(|doc: web::Data<Option<String>>| async move {
                        match doc.get_ref() {
                            Some(doc) => {
                                HttpResponse::Ok().content_type("application/activity+json").body(doc.clone())
                            }
                            None => HttpResponse::NotFound().finish(),
                        }
                    }),
                )
                .default_service(web::to(|req: HttpRequest, _: web::Bytes| async move {
                    let host = req.connection_info().host().to_owned();
                    if host.starts_with("127.0.2.") {
                        HttpResponse::InternalServerError().finish()
                    } else if host.starts_with("127.0.3.") {
                        tokio::time::sleep(Duration::from_secs(600)).await;
                        HttpResponse::Accepted().finish()
                    } else if host.starts_with("127.0.4.") {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        HttpResponse::Accepted().finish()
                    } else {
                        HttpResponse::Accepted().finish()
                    }
                }))
        })
        .workers(1)
        .backlog(4096);
        for i in 1..=SINK_HOSTS {
            server = server.bind((format!("127.0.1.{i}"), port)).unwrap();
        }
        for net in 2..=4 {
            for i in 1..=FAULTY_HOSTS {
                server = server.bind((format!("127.0.{net}.{i}"), port)).unwrap();
            }
        }
        server = server.bind((PUBLISHER_HOST, port)).unwrap();
        println!("READY");
        server.run().await.unwrap();
    });
}

/// The settings every benchmark gives Herold: its fresh database, its address on this
/// machine, private networks allowed (every peer is on loopback), then `extra`.
pub fn herold_vars(
    database: &crate::spawn::TestDatabase,
    port: u16,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("HEROLD_DATABASE_URL", database.url.clone()),
        ("HEROLD_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("HEROLD_DATA_DIR", database.dir.display().to_string()),
        ("HEROLD_POLICIES_DIR", crate::spawn::policies_dir()),
        ("HEROLD_ALLOW_PRIVATE_NETWORKS", "true".to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    vars
}

/// Herold's configuration from `vars` alone (the environment of the benchmark is not read).
pub fn config(vars: &[(&'static str, String)]) -> herold::config::Config {
    herold::config::Config::load_from(None, |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .unwrap()
}

/// Inboxes may take what a benchmark sends: no per-host rate limit in the way.
pub const UNLIMITED_INBOX: [(&str, &str); 3] = [
    ("HEROLD_INBOX_RATE_PER_HOST", "1000000"),
    ("HEROLD_INBOX_BURST_PER_HOST", "1000000"),
    ("HEROLD_LOG", "error"),
];

pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Signatures per second with every core signing, using the same key type and library as
/// the delivery path.
pub fn signing_rate(duration: Duration) -> f64 {
    let key = herold_federation::keys::generate_rsa_2048().unwrap();
    let message = "(request-target): post /inbox\nhost: example.org\ndate: Thu, 26 Nov 2026 10:00:00 GMT\ndigest: SHA-256=abc";
    let threads: Vec<_> = (0..cores())
        .map(|_| {
            let der = key.pkcs8_der.clone();
            std::thread::spawn(move || {
                let signer = herold_federation::keys::Signer::from_pkcs8("k".into(), &der).unwrap();
                let started = Instant::now();
                let mut count = 0u64;
                while started.elapsed() < duration {
                    signer.sign(message.as_bytes()).unwrap();
                    count += 1;
                }
                count as f64 / started.elapsed().as_secs_f64()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

/// The highest resident memory of this process so far.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Deliveries recorded as delivered to the healthy sink servers (127.0.1.x).
pub async fn healthy_delivered(url: &str) -> usize {
    let sql = "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND host LIKE '127.0.1.%'";
    let n: (i64,) = query_one(url, sql).await;
    n.0 as usize
}

/// The dead letters per fault class (127.0.2.x answers 500, 127.0.3.x never answers,
/// 127.0.4.x is slow): (host prefix, count, fewest attempts, most attempts, hours from
/// the first row's creation to the last one's death).
pub async fn dead_letters(url: &str) -> Vec<(String, i64, i64, i64, f64)> {
    let mut out = Vec::new();
    for prefix in ["127.0.2.", "127.0.3.", "127.0.4."] {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(MIN(attempts), 0), COALESCE(MAX(attempts), 0), \
             COALESCE(MAX(updated_at) - MIN(created_at), 0) FROM deliveries \
             WHERE state = 'dead' AND host LIKE '{prefix}%'"
        );
        let (n, min, max, span): (i64, i64, i64, i64) = query_one(url, &sql).await;
        out.push((prefix.to_owned(), n, min, max, span as f64 / 3_600_000.0));
    }
    out
}

async fn query_one<T>(url: &str, sql: &str) -> T
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let row = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        row
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let row = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        row
    }
}
