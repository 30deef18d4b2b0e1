//! What the benchmarks share: the loopback sink process that plays every remote server,
//! this machine's signing limit, and the figures they report.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Healthy sink servers in the shared shape: 127.0.1.1 to 127.0.1.250.
pub const SINK_HOSTS: u8 = 250;
/// Faulty sink servers in the shared shape, per kind: 127.0.2.x answer 500, 127.0.3.x
/// never, 127.0.4.x after 3 s.
pub const FAULTY_HOSTS: u8 = 25;

/// What kind of server an inbox is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Healthy = 1,
    Failing = 2,
    Silent = 3,
    Slow = 4,
}

/// The address of the `index`-th server of a kind. In the real world's shape every inbox is a
/// server of its own: `127.<kind>.<index / 250>.<1 + index % 250>`. The old shared shape
/// (`shared`) puts the healthy inboxes on 250 addresses (`127.0.1.x`) and each fault class on
/// 25 (`127.0.<kind>.x`), so connections are reused and faults concentrated.
pub fn server_address(kind: Kind, index: usize, shared: bool) -> String {
    let k = kind as usize;
    match (shared, kind) {
        (true, Kind::Healthy) => format!("127.0.1.{}", 1 + index % SINK_HOSTS as usize),
        (true, _) => format!("127.0.{k}.{}", 1 + index % FAULTY_HOSTS as usize),
        (false, _) => format!("127.{k}.{}.{}", index / 250, 1 + index % 250),
    }
}

/// The kind of server an address plays (either shape).
fn kind_of(host: &str) -> u8 {
    let octets: Vec<u8> =
        host.split(':').next().unwrap_or(host).split('.').filter_map(|o| o.parse().ok()).collect();
    match octets.as_slice() {
        [127, 0, k, _] | [127, k, _, _] => *k,
        _ => 1,
    }
}

/// The servers a sink plays: how many of each kind, in which shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Servers {
    pub healthy: usize,
    pub failing: usize,
    pub silent: usize,
    pub slow: usize,
    pub shared: bool,
}

impl Servers {
    fn addresses(&self) -> Vec<String> {
        if self.shared {
            let mut all: Vec<String> = (1..=SINK_HOSTS).map(|i| format!("127.0.1.{i}")).collect();
            for k in 2..=4 {
                all.extend((1..=FAULTY_HOSTS).map(|i| format!("127.0.{k}.{i}")));
            }
            return all;
        }
        [
            (Kind::Healthy, self.healthy),
            (Kind::Failing, self.failing),
            (Kind::Silent, self.silent),
            (Kind::Slow, self.slow),
        ]
        .into_iter()
        .flat_map(|(kind, n)| (0..n).map(move |i| server_address(kind, i, false)))
        .collect()
    }

    fn to_env(self) -> String {
        format!("{},{},{},{},{}", self.healthy, self.failing, self.silent, self.slow, self.shared)
    }

    fn from_env(s: &str) -> Servers {
        let f: Vec<&str> = s.split(',').collect();
        let n = |i: usize| f.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
        Servers { healthy: n(0), failing: n(1), silent: n(2), slow: n(3), shared: f.get(4) == Some(&"true") }
    }
}
/// Where the sink serves a publisher's actor document, if given one (`start_sink`).
pub const PUBLISHER_HOST: &str = "127.0.5.1";

const SINK_ENV: &str = "HEROLD_BENCH_SINK";
const SERVERS_ENV: &str = "HEROLD_BENCH_SERVERS";
const PUBLISHER_ENV: &str = "HEROLD_BENCH_PUBLISHER";

/// The actor the sink plays when given a publisher key (`start_sink`).
pub fn publisher_actor(port: u16) -> String {
    format!("http://{PUBLISHER_HOST}:{port}/users/publisher")
}

/// Starts the sink as a separate process (this benchmark binary again), so that its work is
/// not counted as Herold's. With `publisher_key` (a public key PEM), it also serves a
/// publisher's actor document with that key at `publisher_actor(port)`. Returns the process
/// and its port.
pub fn start_sink(publisher_key: Option<&str>, servers: Servers) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(SINK_ENV, port.to_string()).env(SERVERS_ENV, servers.to_env()).stdout(Stdio::piped());
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
    let servers = Servers::from_env(&std::env::var(SERVERS_ENV).unwrap_or_default());
    run_sink(port.parse().unwrap(), std::env::var(PUBLISHER_ENV).ok(), servers);
    true
}

fn run_sink(port: u16, publisher_key: Option<String>, servers: Servers) {
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
                    let kind = kind_of(req.connection_info().host());
                    match kind {
                        2 => HttpResponse::InternalServerError().finish(),
                        3 => {
                            tokio::time::sleep(Duration::from_secs(600)).await;
                            HttpResponse::Accepted().finish()
                        }
                        4 => {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            HttpResponse::Accepted().finish()
                        }
                        _ => HttpResponse::Accepted().finish(),
                    }
                }))
        })
        .workers(1)
        .backlog(4096);
        for address in servers.addresses() {
            server = server.bind((address, port)).unwrap();
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

/// Deliveries recorded as delivered to the healthy sink servers (either shape).
pub async fn healthy_delivered(url: &str) -> usize {
    let sql = "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' \
               AND (host LIKE '127.0.1.%' OR host LIKE '127.1.%')";
    let n: (i64,) = query_one(url, sql).await;
    n.0 as usize
}

/// The dead letters per fault class (127.0.2.x answers 500, 127.0.3.x never answers,
/// 127.0.4.x is slow): (host prefix, count, fewest attempts, most attempts, hours from
/// the first row's creation to the last one's death).
pub async fn dead_letters(url: &str) -> Vec<(String, i64, i64, i64, f64)> {
    let mut out = Vec::new();
    for (prefix, spread) in [("127.0.2.", "127.2."), ("127.0.3.", "127.3."), ("127.0.4.", "127.4.")] {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(MIN(attempts), 0), COALESCE(MAX(attempts), 0), \
             COALESCE(MAX(updated_at) - MIN(created_at), 0) FROM deliveries \
             WHERE state = 'dead' AND (host LIKE '{prefix}%' OR host LIKE '{spread}%')"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inbox_is_a_server_of_its_own_and_says_what_it_plays() {
        assert_eq!(server_address(Kind::Silent, 260, false), "127.3.1.11");
        assert_eq!(server_address(Kind::Healthy, 0, false), "127.1.0.1");
        assert_eq!(server_address(Kind::Failing, 30, true), "127.0.2.6");
        let addresses: std::collections::HashSet<String> =
            (0..10_000).map(|i| server_address(Kind::Healthy, i, false)).collect();
        assert_eq!(addresses.len(), 10_000, "no address serves two inboxes");
        for (host, kind) in [("127.3.1.11:8080", 3), ("127.0.2.5:1", 2), ("127.1.39.250:9", 1)] {
            assert_eq!(kind_of(host), kind, "{host}");
        }
        let servers = Servers { healthy: 3, failing: 1, silent: 0, slow: 2, shared: false };
        assert_eq!(Servers::from_env(&servers.to_env()).addresses(), servers.addresses());
        assert_eq!(servers.addresses().len(), 6);
    }
}
