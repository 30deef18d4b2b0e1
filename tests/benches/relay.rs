//! Relay benchmark: a remote publisher sends signed public `Create`s to the relay inbox, M
//! per second for T seconds, and Herold passes each on to N subscribers (its Announce of the
//! post) on a loopback sink in a separate process. Reports the activities accepted, the
//! deliveries per second until the last one is recorded, and their ratio to this machine's
//! RSA-2048 signing limit, measured in the same run.
//!
//!     cargo bench -p herold-tests --bench relay -- [--subscribers N] [--rate M] [--seconds T] [--postgres] [--shared-hosts]
//!
//! Every subscriber is a server of its own (one loopback address each), as relay subscribers
//! are in the fediverse; `--shared-hosts` puts them on the old 250 addresses instead, where
//! connections are reused and the figures are not comparable.
//!
//! The publisher is this process (it signs each request once, before the clock starts, so
//! keep T well under the hour a signature stays valid); its actor document is served by the
//! sink, so Herold fetches the key once and caches it. At M per second a run can show at
//! most M × N deliveries per second: choose M so that this exceeds the signing limit.
//! Figures go to docs/benchmarks.md.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use herold::startup::Application;
use herold::state::Services;
use herold_federation::keys::{generate_rsa_2048, Signer};
use herold_federation::signatures::{BodyDigest, Scheme, SigningPlan};
use herold_store::{AuditEntry, NewSubscriber, SubscriptionState, SubscriptionStyle};
use herold_tests::bench::{
    config, cores, healthy_delivered, herold_vars, peak_rss_mb, publisher_actor, run_sink_if_asked,
    server_address, signing_rate, Kind, Servers, Sink, SinkOptions, PUBLISHER_HOST, UNLIMITED_INBOX,
};
use herold_tests::spawn::TestDatabase;
use herold_tests::Db;
use serde_json::json;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if run_sink_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    let subscribers: usize = arg(&args, "--subscribers", 1_000);
    let rate: f64 = arg(&args, "--rate", 2.0);
    let seconds: u64 = arg(&args, "--seconds", 10);
    let shared = args.iter().any(|a| a == "--shared-hosts");
    let signing = signing_rate(Duration::from_secs(3)).per_second;
    println!("RSA-2048 signing limit on {} cores: {signing:.0} signatures/s", cores());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let db = if postgres { Db::Postgres } else { Db::Sqlite };
    let (accepted, elapsed, rss) = rt.block_on(relay(db, subscribers, rate, seconds, shared));
    let deliveries = accepted * subscribers;
    let per_second = deliveries as f64 / elapsed.as_secs_f64();
    println!(
        "backend={} shape={} subscribers={subscribers} incoming={rate}/s for {seconds}s accepted={accepted} deliveries={deliveries} \
         total={:.2}s deliveries/s={per_second:.0} ratio_to_signing_limit={:.0}% peak_rss={rss:.0}MB",
        if postgres { "postgres" } else { "sqlite" },
        if shared { "shared-hosts" } else { "server-per-inbox" },
        elapsed.as_secs_f64(),
        100.0 * per_second / signing,
    );
}

async fn relay(db: Db, subscribers: usize, rate: f64, seconds: u64, shared: bool) -> (usize, Duration, f64) {
    let key = generate_rsa_2048().unwrap();
    let servers = Servers { healthy: subscribers, shared, ..Default::default() };
    let options = SinkOptions { publisher_key: Some(key.public_key_pem.clone()), ..SinkOptions::default() };
    let sink = Sink::start(servers, options);
    let port = sink.port;
    let actor = publisher_actor(port);

    let database = TestDatabase::create(db).await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let own = listener.local_addr().unwrap().port();
    let mut extra = UNLIMITED_INBOX.to_vec();
    extra.push(("HEROLD_RELAY_MODE", "open"));
    let services = Services::build(config(&herold_vars(&database, own, &extra))).await.unwrap();
    let store = services.store.clone();
    for i in 0..subscribers {
        let host = format!("{}:{port}", server_address(Kind::Healthy, i, shared));
        let subscriber = NewSubscriber {
            actor_uri: format!("http://{host}/servers/{i}/actor"),
            host: host.clone(),
            inbox: format!("http://{host}/inbox/{i}"),
            follow_id: format!("http://{host}/servers/{i}/follow"),
            style: SubscriptionStyle::Mastodon,
            state: SubscriptionState::Active,
            follow_back_id: None,
        };
        let audit = AuditEntry::new("bench", "relay.subscribe", format!("relay:{host}"));
        store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
    }
    services.relay.add_publisher(&actor, "bench").await.unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(services.deliverer.clone().run(stop_rx));
    let app = Application::from_parts(listener, services, false).unwrap();
    let server = tokio::spawn(app.run_until_stopped());

    // Every request signed before the clock starts: the publisher's cost is not Herold's.
    let inbox = url::Url::parse(&format!("http://127.0.0.1:{own}/relay/inbox")).unwrap();
    let signer = Signer::from_pkcs8(format!("{actor}#main-key"), &key.pkcs8_der).unwrap();
    let count = (rate * seconds as f64).ceil() as usize;
    let requests: Vec<_> = (0..count)
        .map(|n| {
            let note = format!("http://{PUBLISHER_HOST}:{port}/notes/{n}");
            let body = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{note}/activity"), "type": "Create", "actor": actor, "to": [PUBLIC],
                "object": { "id": note, "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                            "content": format!("Amtliche Mitteilung {n}") },
            })
            .to_string();
            let digest = BodyDigest::of(body.as_bytes());
            let now = herold_domain::now_millis() / 1000;
            let plan = SigningPlan::new(Scheme::Cavage, &signer.key_id, "POST", &inbox, Some(&digest), now);
            let signature = signer.sign(plan.base.as_bytes()).unwrap();
            (body, plan.finish(&signature))
        })
        .collect();

    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut accepted = 0;
    for (n, (body, headers)) in requests.into_iter().enumerate() {
        let due = started + Duration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let mut request =
            client.post(inbox.as_str()).header("content-type", "application/activity+json").body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 202, "refused: {}", response.text().await.unwrap_or_default());
        accepted += 1;
    }
    loop {
        if healthy_delivered(&database.url).await == accepted * subscribers {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "relay fan-out did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop_tx.send(true);
    let _ = worker.await;
    server.abort();
    sink.stop();
    (accepted, elapsed, peak_rss_mb())
}
