//! Fan-out benchmark: one announcement to followers on N distinct shared inboxes served by
//! a loopback sink in a separate process, with this machine's RSA-2048 signing rate
//! measured in the same run, so the ratio to that ceiling shows.
//!
//!     cargo bench -p herold-tests --bench fanout -- [N ...] [--postgres] [--worker-processes K] [--faults] [--relay M] [--shared-hosts]
//!
//! With `--relay M`, the N inboxes are relay subscribers instead of followers, and M
//! announcements are published at once: each reaches every subscriber as the relay's
//! Announce, N × M deliveries in all, the path every relayed activity takes once accepted.
//!
//! With `--faults`, 10 % of the inboxes answer 500, 5 % never answer and 5 % answer after
//! 3 s; the time is then until every healthy inbox has
//! the announcement. `--until-dead` then keeps the worker running until no faulty delivery
//! is left to retry and reports the dead letters per fault class (set
//! `HEROLD_DELIVERY_RETRY_HORIZON_HOURS=1` to see it within the hour).
//!
//! With `--worker-processes K`, delivery runs in K separate `herold worker` processes
//! sharing the database (scale-out) instead of inside the benchmark process.
//!
//! Every inbox is a server of its own, on a loopback address of its own (`127.<kind>.x.y`,
//! see `bench::server_address`), as shared inboxes are in the fediverse: no connection is
//! reused, and each fault class is spread over as many servers as it has inboxes.
//! `--shared-hosts` runs the old shape instead (250 healthy servers, 25 per fault class),
//! for comparison with older figures.
//!
//! With `--follows`, the followers arrive as the fediverse sends them: each server sends a
//! signed Follow to Herold's HTTP inbox, Herold fetches its key document and answers with
//! an Accept delivered to it, and the peak memory is reported once every Accept is out.
//!
//! Besides the time, a run reports where the CPU went while the announcement fanned out:
//! Herold's process per delivery (against the CPU of one RSA signature, measured in the
//! same run), the sink's share of the machine, and on PostgreSQL the database server's.
//! The signing limit is given twice: the library Herold signs with (ring) and OpenSSL's
//! `speed`, the hardware reference. Figures go to docs/benchmarks.md.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use herold::config::Config;
use herold::startup::Application;
use herold::state::Services;
use herold_domain::{AnnouncementText, DisplayName, OrgSlug, Username};
use herold_publishing::accounts::{self, AccountRequest};
use herold_publishing::Draft;
use herold_tests::bench::{
    cores, first_delivered_at, healthy_delivered, herold_vars, openssl_rate, peak_rss_mb,
    postgres_cpu_seconds, process_cpu_seconds, run_sink_if_asked, server_address, signing_rate, Kind,
    Servers, Sink, SinkOptions, UNLIMITED_INBOX,
};
use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

fn main() {
    if run_sink_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    let faults = args.iter().any(|a| a == "--faults");
    let shared = args.iter().any(|a| a == "--shared-hosts");
    let until_dead = faults && args.iter().any(|a| a == "--until-dead");
    let relay_arg = args.iter().position(|a| a == "--relay").map(|i| i + 1);
    let relayed: Option<usize> = relay_arg.and_then(|i| args.get(i)).and_then(|m| m.parse().ok());
    let processes: usize = args
        .iter()
        .position(|a| a == "--worker-processes")
        .and_then(|i| args.get(i + 1))
        .and_then(|k| k.parse().ok())
        .unwrap_or(0);
    let workers_arg = args.iter().position(|a| a == "--worker-processes").map(|i| i + 1);
    let mut sizes: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != workers_arg && Some(*i) != relay_arg)
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    let follows = args.iter().any(|a| a == "--follows");
    assert!(!(follows && (faults || shared || relayed.is_some())), "--follows runs the plain fan-out only");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let signing = signing_rate(Duration::from_secs(3));
    let openssl = openssl_rate(3);
    println!(
        "RSA-2048 signing limit on {} cores: ring {:.0}/s ({:.3} ms CPU per signature), OpenSSL speed {}",
        cores(),
        signing.per_second,
        signing.cpu_per_signature * 1000.0,
        openssl.map_or("not installed".to_owned(), |r| format!("{r:.0}/s"))
    );
    for n in sizes {
        let db = if postgres { Db::Postgres } else { Db::Sqlite };
        let run = Run { n, db, processes, faults, relayed, until_dead, shared, follows };
        let report = rt.block_on(fan_out(&run));
        let deliveries = n * relayed.unwrap_or(1);
        let rate = deliveries as f64 / report.elapsed.as_secs_f64();
        let per_delivery = report.herold_cpu / deliveries as f64;
        let machine = report.elapsed.as_secs_f64() * cores() as f64;
        println!(
            "N={n:>6}{} backend={} workers={} shape={} total={:.2}s first={:.0}ms deliveries/s={rate:.0} \
             ratio_to_ring={:.0}% ratio_to_openssl={} cpu_per_delivery={:.3}ms ({:.2}x a signature) \
             sink_cpu={:.0}% of the machine{} peak_rss={:.0}MB{}",
            relayed.map_or(String::new(), |m| format!(" relay subscribers, M={m} activities")),
            if postgres { "postgres" } else { "sqlite" },
            if processes == 0 { "in-process".to_owned() } else { format!("{processes} processes") },
            if shared { "shared-hosts" } else { "server-per-inbox" },
            report.elapsed.as_secs_f64(),
            report.first.as_secs_f64() * 1000.0,
            100.0 * rate / signing.per_second,
            openssl.map_or("-".to_owned(), |o| format!("{:.0}%", 100.0 * rate / o)),
            per_delivery * 1000.0,
            per_delivery / signing.cpu_per_signature,
            100.0 * report.sink_cpu / machine,
            if postgres {
                format!(" postgres_cpu={:.0}%", 100.0 * report.postgres_cpu / machine)
            } else {
                String::new()
            },
            report.peak_rss_mb,
            report
                .rss_after_follows_mb
                .map_or(String::new(), |mb| format!(" rss_after_{n}_follows={mb:.0}MB")),
        );
    }
}

struct Run {
    n: usize,
    db: Db,
    processes: usize,
    faults: bool,
    relayed: Option<usize>,
    until_dead: bool,
    shared: bool,
    follows: bool,
}

struct Report {
    /// From the publishing call until the last healthy delivery is recorded.
    elapsed: Duration,
    /// From the publishing call until the first delivery is recorded.
    first: Duration,
    /// CPU seconds while the announcement fanned out: Herold's process (the worker
    /// processes with `--worker-processes`), the sink, PostgreSQL's server processes.
    herold_cpu: f64,
    sink_cpu: f64,
    postgres_cpu: f64,
    peak_rss_mb: f64,
    rss_after_follows_mb: Option<f64>,
}

async fn fan_out(run: &Run) -> Report {
    let Run { n, db, processes, faults, relayed, until_dead, shared, follows } = *run;
    // Of every 20 inboxes with faults: 2 answer 500, 1 never answers, 1 is slow.
    let kind_of = |i: usize| match (faults, i % 20) {
        (true, 0 | 1) => Kind::Failing,
        (true, 2) => Kind::Silent,
        (true, 3) => Kind::Slow,
        _ => Kind::Healthy,
    };
    let count = |kind| (0..n).filter(|&i| kind_of(i) == kind).count();
    let servers = Servers {
        healthy: count(Kind::Healthy),
        failing: count(Kind::Failing),
        silent: count(Kind::Silent),
        slow: count(Kind::Slow),
        shared,
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let own = listener.local_addr().unwrap().port();
    let options = SinkOptions {
        follow: follows.then(|| format!("http://127.0.0.1:{own}")),
        report_every: servers.healthy,
        ..SinkOptions::default()
    };
    let mut sink = Sink::start(servers, options);
    let port = sink.port;

    let database = TestDatabase::create(db).await;
    let vars = herold_vars(&database, own, &UNLIMITED_INBOX);
    // Delivery settings may be varied from the environment (HEROLD_DELIVERY_*).
    let config = Config::load_from(None, |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .or_else(|| k.starts_with("HEROLD_DELIVERY_").then(|| std::env::var(k).ok()).flatten())
    })
    .unwrap();
    let services = Services::build(config).await.unwrap();
    let store = services.store.clone();
    accounts::create_org(
        store.as_ref(),
        &OrgSlug::parse("bench").unwrap(),
        &DisplayName::parse("Bench").unwrap(),
        "bench",
    )
    .await
    .unwrap();
    let request = AccountRequest {
        org: OrgSlug::parse("bench").unwrap(),
        username: Username::parse("press").unwrap(),
        name: DisplayName::parse("Press").unwrap(),
        summary: None,
        language: herold_domain::LanguageTag::parse("de").unwrap(),
    };
    let account = accounts::create_account(store.as_ref(), &services.kek, &services.urls, request, "bench")
        .await
        .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // The worker runs from the start, idle until a commit queues deliveries and wakes it.
    let worker = (processes == 0).then(|| tokio::spawn(services.deliverer.clone().run(stop_rx)));
    let server =
        tokio::spawn(Application::from_parts(listener, services.clone(), false).unwrap().run_until_stopped());
    let mut rss_after_follows_mb = None;
    // Deliveries to healthy servers before the announcement (the Accepts of the follows).
    let mut before = 0;
    if follows {
        let taken = tokio::task::block_in_place(|| sink.follow());
        assert_eq!(taken, n, "every follow must be taken");
        before = n;
        tokio::task::block_in_place(|| sink.wait_answered(n, Duration::from_secs(600)));
        wait_recorded(&database.url, n, false, &store).await;
        rss_after_follows_mb = Some(peak_rss_mb());
    } else {
        let mut next = [0usize; 5];
        for i in 0..n {
            let kind = kind_of(i);
            let host = format!("{}:{port}", server_address(kind, next[kind as usize], shared));
            next[kind as usize] += 1;
            let actor = format!("http://{host}/users/u{i}");
            let inbox = format!("http://{host}/inbox/{i}");
            if relayed.is_some() {
                let subscriber = herold_store::NewSubscriber {
                    follow_id: format!("{actor}/follow"),
                    actor_uri: actor,
                    host,
                    inbox,
                    style: herold_store::SubscriptionStyle::Mastodon,
                    state: herold_store::SubscriptionState::Active,
                    follow_back_id: None,
                };
                let audit = herold_store::AuditEntry::new("bench", "relay.subscribe", format!("relay:{i}"));
                store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
            } else {
                herold_tests::fixtures::add_follower(store.as_ref(), account.id, &actor, &inbox).await;
            }
        }
    }

    let draft = Draft {
        translations: Default::default(),
        attachments: Vec::new(),
        text: AnnouncementText::parse("Benchmark announcement").unwrap(),
        language: None,
        summary: None,
        urgent: false,
        mentions: Vec::new(),
        in_reply_to: None,
        replies: None,
    };
    let sink_pid = sink.pid();
    let cpu = || {
        let herold = process_cpu_seconds(std::process::id());
        (herold, process_cpu_seconds(sink_pid), if db == Db::Postgres { postgres_cpu_seconds() } else { 0.0 })
    };
    let cpu_before = cpu();
    let started = Instant::now();
    let started_ms = herold_domain::now_millis();
    let mut announcements = Vec::new();
    for _ in 0..relayed.unwrap_or(1) {
        announcements.push(services.publisher.publish("press", draft.clone(), "bench").await.unwrap());
    }
    let mut children: Vec<std::process::Child> = (0..processes)
        .map(|_| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_herold-under-test"));
            cmd.arg("worker").env("HEROLD_LOG", "error").stdout(Stdio::null());
            for (k, v) in &vars {
                cmd.env(k, v);
            }
            cmd.spawn().expect("start a worker process")
        })
        .collect();
    let healthy = before + servers.healthy * announcements.len();
    // Done when every healthy inbox has it; faulty ones go on retrying. Without faults the
    // sink says when it has answered them all, so that polling the database does not add
    // to the CPU measured.
    if !faults {
        tokio::task::block_in_place(|| sink.wait_answered(healthy, Duration::from_secs(600)));
    }
    wait_recorded(&database.url, healthy, faults, &store).await;
    let elapsed = started.elapsed();
    let cpu_after = cpu();
    let worker_cpu: f64 = children.iter().map(|c| process_cpu_seconds(c.id())).sum();
    let herold_cpu = if processes == 0 { cpu_after.0 - cpu_before.0 } else { worker_cpu };
    let first = Duration::from_millis(
        (first_delivered_at(&database.url, started_ms).await - started_ms).max(0) as u64,
    );
    if until_dead {
        // The faulty inboxes are retried on their backoff schedule until the horizon, then
        // become dead letters: wait for the last one.
        loop {
            let stats = store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
            if stats.pending == 0 && stats.retrying == 0 {
                println!("  after {:.1} min: {stats:?}", started.elapsed().as_secs_f64() / 60.0);
                break;
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        for (prefix, count, min, max, hours) in herold_tests::bench::dead_letters(&database.url).await {
            println!(
                "  dead letters on {prefix}x: {count}, after {min}–{max} attempts, the last {hours:.2} h after publishing"
            );
        }
    }
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    server.abort();
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    sink.stop();
    Report {
        elapsed,
        first,
        herold_cpu,
        sink_cpu: cpu_after.1 - cpu_before.1,
        postgres_cpu: cpu_after.2 - cpu_before.2,
        peak_rss_mb: peak_rss_mb(),
        rss_after_follows_mb,
    }
}

/// Waits until `count` deliveries to healthy servers are recorded as delivered.
async fn wait_recorded(
    url: &str,
    count: usize,
    faults: bool,
    store: &std::sync::Arc<dyn herold_store::Store>,
) {
    let started = Instant::now();
    loop {
        if healthy_delivered(url).await >= count {
            if faults {
                let stats =
                    store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
                println!("  at that moment: {stats:?}");
            }
            return;
        }
        if !faults {
            let stats = store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
            assert!(stats.dead == 0 && stats.retrying == 0, "deliveries failed: {stats:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the deliveries were not recorded in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
