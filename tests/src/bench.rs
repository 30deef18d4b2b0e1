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
/// Where the sink serves a publisher's actor document, if given one (`SinkOptions::publisher_key`).
pub const PUBLISHER_HOST: &str = "127.0.5.1";

const SINK_ENV: &str = "HEROLD_BENCH_SINK";
const SERVERS_ENV: &str = "HEROLD_BENCH_SERVERS";
const PUBLISHER_ENV: &str = "HEROLD_BENCH_PUBLISHER";
const FOLLOW_ENV: &str = "HEROLD_BENCH_FOLLOW";
const REPORT_ENV: &str = "HEROLD_BENCH_REPORT_EVERY";

/// The actor the sink plays when given a publisher key (`SinkOptions::publisher_key`).
pub fn publisher_actor(port: u16) -> String {
    format!("http://{PUBLISHER_HOST}:{port}/users/publisher")
}

/// What else the sink does besides answering deliveries.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// A public key PEM: the sink also serves a publisher's actor document with that key at
    /// `publisher_actor(port)`.
    pub publisher_key: Option<String>,
    /// Herold's base URL: every healthy server plays a follower (`/users/u<index>`, its key
    /// document and inbox) and, on `Sink::follow`, sends Herold a signed Follow from each.
    pub follow: Option<String>,
    /// Print `ANSWERED <count>` each time this many more deliveries to healthy servers have
    /// been answered (0: never), so a benchmark can wait without polling the database.
    pub report_every: usize,
}

/// The sink process and what it says.
pub struct Sink {
    pub process: Child,
    pub port: u16,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Sink {
    /// Starts the sink as a separate process (this benchmark binary again), so that its work
    /// is not counted as Herold's.
    pub fn start(servers: Servers, options: SinkOptions) -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(SINK_ENV, port.to_string())
            .env(SERVERS_ENV, servers.to_env())
            .env(REPORT_ENV, options.report_every.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some(pem) = options.publisher_key {
            command.env(PUBLISHER_ENV, pem);
        }
        if let Some(herold) = options.follow {
            command.env(FOLLOW_ENV, herold);
        }
        let mut process = command.spawn().expect("start sink");
        let stdout = process.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sink = Sink { process, port, lines };
        let ready = sink.next_line(Duration::from_secs(600));
        assert!(ready.starts_with("READY"), "sink did not start: {ready}");
        sink
    }

    /// The next line the sink prints.
    pub fn next_line(&mut self, within: Duration) -> String {
        self.lines.recv_timeout(within).expect("the sink said nothing in time")
    }

    /// Waits until the sink has answered `count` deliveries to healthy servers in all.
    pub fn wait_answered(&mut self, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line =
                self.lines.recv_timeout(left).expect("the sink did not answer enough deliveries in time");
            if line
                .strip_prefix("ANSWERED ")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n >= count)
            {
                return;
            }
        }
    }

    /// Sends Herold a Follow from every healthy server and waits until each was taken (202);
    /// returns how many were.
    pub fn follow(&mut self) -> usize {
        use std::io::Write;
        let stdin = self.process.stdin.as_mut().unwrap();
        stdin.write_all(b"FOLLOW\n").unwrap();
        stdin.flush().unwrap();
        loop {
            let line = self.next_line(Duration::from_secs(900));
            if let Some(n) = line.strip_prefix("FOLLOWED ") {
                return n.parse().unwrap();
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    pub fn stop(mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// In a benchmark's `main`: when this process was started as the sink, runs it and returns
/// true.
pub fn run_sink_if_asked() -> bool {
    let Ok(port) = std::env::var(SINK_ENV) else { return false };
    let servers = Servers::from_env(&std::env::var(SERVERS_ENV).unwrap_or_default());
    let options = SinkOptions {
        publisher_key: std::env::var(PUBLISHER_ENV).ok(),
        follow: std::env::var(FOLLOW_ENV).ok(),
        report_every: std::env::var(REPORT_ENV).ok().and_then(|n| n.parse().ok()).unwrap_or(0),
    };
    run_sink(port.parse().unwrap(), options, servers);
    true
}

fn run_sink(port: u16, options: SinkOptions, servers: Servers) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let publisher = options.publisher_key.map(|pem| {
        let actor = publisher_actor(port);
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor, "type": "Service", "inbox": format!("{actor}/inbox"),
            "publicKey": { "id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem },
        })
        .to_string()
    });
    // Every follower shares one key (making 10,000 RSA keys would take minutes); Herold
    // still fetches, parses and caches each follower's key document separately.
    let followers = options.follow.map(|herold| {
        let key = herold_federation::keys::generate_rsa_2048().unwrap();
        let pem = key.public_key_pem.clone();
        let follows =
            std::thread::spawn(move || sign_follows(&herold, &key.pkcs8_der, servers.healthy, port));
        (pem, follows)
    });
    let follower_pem = web::Data::new(FollowerKey(followers.as_ref().map(|(pem, _)| pem.clone())));
    if let Some((_, follows)) = followers {
        std::thread::spawn(move || {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                if line.trim() == "FOLLOW" {
                    println!("FOLLOWED {}", send_follows(follows.join().unwrap()));
                    return;
                }
                line.clear();
            }
        });
    }
    let every = options.report_every;
    let answered = web::Data::new(AtomicUsize::new(0));
    actix_web::rt::System::new().block_on(async move {
        let publisher = web::Data::new(publisher);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(web::PayloadConfig::new(1 << 20))
                .app_data(publisher.clone())
                .app_data(follower_pem.clone())
                .app_data(answered.clone())
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
                .route(
                    "/users/{name}",
                    web::get().to(|req: HttpRequest, pem: web::Data<FollowerKey>| async move {
                        let (Some(pem), Some(name)) = (&pem.0, req.match_info().get("name")) else {
                            return HttpResponse::NotFound().finish();
                        };
                        let host = req.connection_info().host().to_owned();
                        let doc = follower_document(&host, name, pem);
                        HttpResponse::Ok().content_type("application/activity+json").body(doc.to_string())
                    }),
                )
                .default_service(web::to(
                    move |req: HttpRequest, answered: web::Data<AtomicUsize>, _: web::Bytes| async move {
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
                            _ => {
                                let n = answered.fetch_add(1, Ordering::Relaxed) + 1;
                                if every > 0 && n.is_multiple_of(every) {
                                    println!("ANSWERED {n}");
                                }
                                HttpResponse::Accepted().finish()
                            }
                        }
                    },
                ))
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

/// The public key PEM the sink's followers share (a type of its own: actix tells app data
/// apart by type, and the publisher's document is an `Option<String>` too).
struct FollowerKey(Option<String>);

/// The actor document of a follower the sink plays, as Mastodon shapes it.
fn follower_document(host: &str, name: &str, pem: &str) -> serde_json::Value {
    let actor = format!("http://{host}/users/{name}");
    let index = name.trim_start_matches('u');
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor, "type": "Person", "preferredUsername": name,
        "inbox": format!("http://{host}/inbox/{index}"),
        "endpoints": {"sharedInbox": format!("http://{host}/inbox/{index}")},
        "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem},
    })
}

/// A signed Follow of Herold's `press` account from every healthy server, signed before
/// anything is measured (on both cores).
fn sign_follows(
    herold: &str,
    key_der: &[u8],
    count: usize,
    port: u16,
) -> Vec<(String, Vec<(&'static str, String)>)> {
    use herold_federation::signatures::{BodyDigest, Scheme, SigningPlan};
    let inbox = url::Url::parse(&format!("{herold}/users/press/inbox")).unwrap();
    let object = format!("{herold}/users/press");
    let chunks: Vec<Vec<usize>> = {
        let per = count.div_ceil(cores()).max(1);
        (0..count).collect::<Vec<_>>().chunks(per).map(<[usize]>::to_vec).collect()
    };
    let threads: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (inbox, object, der) = (inbox.clone(), object.clone(), key_der.to_vec());
            std::thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|i| {
                        let host = format!("{}:{port}", server_address(Kind::Healthy, i, false));
                        let actor = format!("http://{host}/users/u{i}");
                        let signer =
                            herold_federation::keys::Signer::from_pkcs8(format!("{actor}#main-key"), &der)
                                .unwrap();
                        let body = serde_json::json!({
                            "@context": "https://www.w3.org/ns/activitystreams",
                            "id": format!("{actor}/follows/1"), "type": "Follow",
                            "actor": actor, "object": object,
                        })
                        .to_string();
                        let digest = BodyDigest::of(body.as_bytes());
                        let now = herold_domain::now_millis() / 1000;
                        let plan = SigningPlan::new(
                            Scheme::Cavage,
                            &signer.key_id,
                            "POST",
                            &inbox,
                            Some(&digest),
                            now,
                        );
                        let signature = signer.sign(plan.base.as_bytes()).unwrap();
                        (body, plan.finish(&signature))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

/// Sends the signed Follows, 32 at a time; returns how many Herold took (202).
fn send_follows(follows: Vec<(String, Vec<(&'static str, String)>)>) -> usize {
    let Some((body, _)) = follows.first() else { return 0 };
    let object: serde_json::Value = serde_json::from_str(body).unwrap();
    let object = object["object"].as_str().unwrap().to_owned();
    let inbox = format!("{object}/inbox");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let client = reqwest::Client::new();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(follows));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (client, queue, inbox) = (client.clone(), queue.clone(), inbox.clone());
                tokio::spawn(async move {
                    let mut taken = 0;
                    loop {
                        let Some((body, headers)) = queue.lock().unwrap().pop() else { return taken };
                        let mut req = client
                            .post(&inbox)
                            .header("content-type", "application/activity+json")
                            .body(body);
                        for (name, value) in headers {
                            req = req.header(name, value);
                        }
                        match req.send().await {
                            Ok(r) if r.status() == 202 => taken += 1,
                            Ok(r) => eprintln!("a follow was refused: {}", r.status()),
                            Err(e) => eprintln!("a follow failed: {e}"),
                        }
                    }
                })
            })
            .collect();
        let mut taken = 0;
        for t in tasks {
            taken += t.await.unwrap();
        }
        taken
    })
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

/// What signing costs on this machine, measured in the same run as a benchmark.
#[derive(Debug, Clone, Copy)]
pub struct SigningLimit {
    /// Signatures per second with every core signing.
    pub per_second: f64,
    /// CPU time of one signature, in seconds (measured per thread, so a busy machine
    /// does not inflate it).
    pub cpu_per_signature: f64,
}

/// RSA-2048 PKCS#1 v1.5 signatures with every core signing, using the same key type and
/// library as the delivery path.
pub fn signing_rate(duration: Duration) -> SigningLimit {
    let key = herold_federation::keys::generate_rsa_2048().unwrap();
    let message = "(request-target): post /inbox\nhost: example.org\ndate: Thu, 26 Nov 2026 10:00:00 GMT\ndigest: SHA-256=abc";
    let threads: Vec<_> = (0..cores())
        .map(|_| {
            let der = key.pkcs8_der.clone();
            std::thread::spawn(move || {
                let signer = herold_federation::keys::Signer::from_pkcs8("k".into(), &der).unwrap();
                let (started, cpu) = (Instant::now(), thread_cpu_seconds());
                let mut count = 0u64;
                while started.elapsed() < duration {
                    signer.sign(message.as_bytes()).unwrap();
                    count += 1;
                }
                let cpu = thread_cpu_seconds() - cpu;
                (count as f64 / started.elapsed().as_secs_f64(), cpu / count as f64)
            })
        })
        .collect();
    let results: Vec<(f64, f64)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    SigningLimit {
        per_second: results.iter().map(|r| r.0).sum(),
        cpu_per_signature: results.iter().map(|r| r.1).sum::<f64>() / results.len() as f64,
    }
}

/// The hardware reference: RSA-2048 signatures per second that OpenSSL's `speed` makes
/// with every core signing, if the `openssl` command is installed.
pub fn openssl_rate(seconds: u32) -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "-multi", &cores().to_string(), "rsa2048"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // The summary line: `rsa 2048 bits <s/sign> <s/verify> <sign/s> <verify/s>`.
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with("rsa 2048 bits"))?;
    line.split_whitespace().nth(5)?.parse().ok()
}

/// CPU time (user and system) of the calling thread so far, in seconds, at nanosecond
/// resolution (the scheduler's own account).
pub fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    stat.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()).map_or(0.0, |ns| ns / 1e9)
}

/// CPU time (user and system, all threads) of a process so far, in seconds.
pub fn process_cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    cpu_of_stat(&stat)
}

/// CPU time of every PostgreSQL server process on this machine so far, in seconds: the
/// database's share of a benchmark on PostgreSQL.
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| cpu_of_stat(&stat))
        .sum()
}

/// Fields 14 and 15 of `/proc/<pid>/stat` (utime, stime), counted from after the command
/// name, which may itself contain spaces.
fn cpu_of_stat(stat: &str) -> f64 {
    let Some((_, rest)) = stat.rsplit_once(") ") else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields counted from 3 (the state) here; clock ticks are 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
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

/// When the first delivery queued at or after `since` (milliseconds) was recorded as
/// delivered.
pub async fn first_delivered_at(url: &str, since: i64) -> i64 {
    let sql = format!("SELECT COALESCE(MIN(updated_at), 0) FROM deliveries WHERE state = 'delivered' AND created_at >= {since}");
    let n: (i64,) = query_one(url, &sql).await;
    n.0
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
