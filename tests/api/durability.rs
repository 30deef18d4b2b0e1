//! A `kill -9` in the middle of a fan-out (to followers, or the relay's to its subscribers)
//! loses no delivery: after a restart every inbox receives the activity (at least once).

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use crate::process::{free_port, herold, press_with_followers, run, Running};
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::TestDatabase;
use herold_tests::{eventually, Db};

const INBOXES: usize = 120;

fn serve(db: &TestDatabase, port: u16) -> Running {
    Running(
        herold(db, port, &["serve"])
            .env("HEROLD_DELIVERY_LEASE_SECONDS", "2")
            .env("HEROLD_DELIVERY_PER_HOST_CONCURRENCY", "4")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start herold"),
    )
}

async fn kill_during_fan_out_loses_nothing(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    let sink = FakeRemote::start().await;
    sink.delay_answers(Duration::from_millis(40));
    press_with_followers(&database, port, &sink, INBOXES).await;

    let printed = run(&database, port, &["announce", "press", "--text", "Durability drill", "--lang", "de"]);
    let public_id = printed.split('\t').next().unwrap().trim().to_owned();

    let mut first = serve(&database, port);
    eventually(30, "some deliveries before the kill", || async {
        (sink.received().len() >= 10).then_some(())
    })
    .await;
    first.kill(); // SIGKILL: no shutdown, no flush, leases left behind
    let at_kill = sink.received().len();
    assert!(at_kill < INBOXES, "the kill must land mid-fan-out ({at_kill} of {INBOXES} done)");

    let _second = serve(&database, port);
    let inboxes = eventually(60, "every inbox to receive the announcement", || async {
        let got: HashSet<String> =
            sink.received().into_iter().filter(|r| r.json()["type"] == "Create").map(|r| r.path).collect();
        (got.len() == INBOXES).then_some(got)
    })
    .await;
    assert_eq!(inboxes.len(), INBOXES);
    let status = eventually(20, "all rows marked delivered", || async {
        let out = run(&database, port, &["deliveries", "status", "--announcement", &public_id]);
        out.contains(&format!("delivered\t{INBOXES}")).then_some(out)
    })
    .await;
    assert!(status.contains("dead\t0"), "{status}");
}

async fn kill_during_relay_fan_out_loses_nothing(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    let sink = FakeRemote::start().await;
    sink.delay_answers(Duration::from_millis(40));
    let store = press_with_followers(&database, port, &sink, 0).await;
    for n in 0..INBOXES {
        let subscriber = herold_store::NewSubscriber {
            actor_uri: format!("{}/servers/{n}/actor", sink.base),
            host: format!("subscriber{n}.example"),
            inbox: format!("{}/inbox/{n}", sink.base),
            follow_id: format!("{}/servers/{n}/follow", sink.base),
            style: herold_store::SubscriptionStyle::Mastodon,
            state: herold_store::SubscriptionState::Active,
            follow_back_id: None,
        };
        let audit = herold_store::AuditEntry::new("test", "relay.subscribe", format!("relay:{n}"));
        store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
    }

    run(&database, port, &["announce", "press", "--text", "Relay drill", "--lang", "de"]);
    let mut first = serve(&database, port);
    eventually(30, "some relay deliveries before the kill", || async {
        (sink.received().len() >= 10).then_some(())
    })
    .await;
    first.kill();
    let at_kill = sink.received().len();
    assert!(at_kill < INBOXES, "the kill must land mid-fan-out ({at_kill} of {INBOXES} done)");

    let _second = serve(&database, port);
    let inboxes = eventually(60, "every subscriber to receive the relay's Announce", || async {
        let got: HashSet<String> =
            sink.received().into_iter().filter(|r| r.json()["type"] == "Announce").map(|r| r.path).collect();
        (got.len() == INBOXES).then_some(got)
    })
    .await;
    assert_eq!(inboxes.len(), INBOXES);
}

/// An announcement made from the command line (another process) wakes the running server's
/// worker at once: with its fallback poll a minute long, the deliveries still leave within
/// seconds, so the wake crossed the process boundary.
async fn a_commit_in_another_process_wakes_the_worker(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    let sink = FakeRemote::start().await;
    press_with_followers(&database, port, &sink, 3).await;
    let _server = Running(
        herold(&database, port, &["serve"])
            .env("HEROLD_DELIVERY_POLL_SECONDS", "60")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start herold"),
    );
    crate::process::wait_until_live(port).await;
    // The worker has made its first claim and now waits.
    tokio::time::sleep(Duration::from_secs(2)).await;
    run(&database, port, &["announce", "press", "--text", "Aus der Kommandozeile", "--lang", "de"]);
    let announced = std::time::Instant::now();
    eventually(15, "the three deliveries, woken across processes", || async {
        (sink.received().iter().filter(|r| r.json()["type"] == "Create").count() == 3).then_some(())
    })
    .await;
    assert!(announced.elapsed() < Duration::from_secs(30), "woken, not polled: {:?}", announced.elapsed());
}

on_both_backends!(
    kill_during_fan_out_loses_nothing,
    kill_during_relay_fan_out_loses_nothing,
    a_commit_in_another_process_wakes_the_worker,
);
