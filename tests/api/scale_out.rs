//! Scale-out: a web process without workers and two worker processes share one database.
//! Every delivery is made by exactly one worker, and scheduled jobs run once per period
//! across the cluster, not once per process.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::TestDatabase;
use herold_tests::{eventually, Db};

use crate::process::{free_port, herold, press_with_followers, run, wait_until_live, Running};

const INBOXES: usize = 60;

async fn two_workers_share_the_queue_and_the_schedule(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    let sink = FakeRemote::start().await;
    sink.delay_answers(Duration::from_millis(20));
    let store = press_with_followers(&database, port, &sink, INBOXES).await;

    let process = |args: &[&str]| {
        Running(
            herold(&database, port, args)
                .env("HEROLD_AUDIT_CHECKPOINT_INTERVAL_SECONDS", "2")
                .env("HEROLD_RETENTION_INTERVAL_SECONDS", "2")
                .env("HEROLD_SCHEDULED_PUBLISHING_INTERVAL_SECONDS", "1")
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _web = process(&["serve", "--no-workers"]);
    wait_until_live(port).await;
    // An approved announcement falls due while both workers run their scheduler.
    let press = store.account_by_username("press").await.unwrap().unwrap();
    let due = herold_domain::now_millis() + 3000;
    let scheduled =
        herold_tests::fixtures::scheduled_draft(store.as_ref(), "bfdi", press.id, "Pünktlich, einmal", due)
            .await;
    let started = Instant::now();
    let _worker_a = process(&["worker"]);
    let _worker_b = process(&["worker"]);
    run(&database, port, &["announce", "press", "--text", "Zwei Worker, eine Zustellung"]);

    // Two announcements (the direct one and the scheduled one), each to every inbox.
    let per_inbox = eventually(60, "every inbox to receive both announcements", || async {
        let mut counts: HashMap<(String, String), usize> = HashMap::new();
        for r in sink
            .received()
            .into_iter()
            .filter(|r| r.json()["type"] == "Create" && r.path.starts_with("/inbox/"))
        {
            let object = r.json()["object"]["id"].as_str().unwrap_or_default().to_owned();
            *counts.entry((r.path, object)).or_default() += 1;
        }
        (counts.len() == 2 * INBOXES).then_some(counts)
    })
    .await;
    let draft = store.draft(&scheduled, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    assert_eq!(draft.state, herold_domain::workflow::DraftState::Published);
    assert_eq!(store.announcement_count(press.id).await.unwrap(), 2, "the scheduled one published once");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let duplicates: Vec<_> = per_inbox.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "delivered twice: {duplicates:?}");

    // Let a few checkpoint periods pass; each period signs (and posts) one checkpoint.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let periods = started.elapsed().as_secs() / 2 + 1;
    let transparency = store.account_by_username("transparency").await.unwrap().unwrap();
    let posts = store.announcement_count(transparency.id).await.unwrap() as u64;
    assert!(posts >= 2, "checkpoints run on schedule: {posts}");
    assert!(
        posts <= periods,
        "{posts} checkpoint posts in {periods} periods: the schedule ran more than once per period"
    );
    let runs = store
        .audit_entries(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.leaf.action == "retention.apply")
        .count() as u64;
    assert!((1..=periods).contains(&runs), "{runs} retention runs in {periods} periods");
}

/// A database whose press account has `INBOXES` followers on a server that answers slowly
/// (so that a fan-out is still under way when a test kills a worker).
async fn slow_followers(db: Db) -> (TestDatabase, u16, FakeRemote) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    let sink = FakeRemote::start().await;
    sink.delay_answers(Duration::from_millis(300));
    press_with_followers(&database, port, &sink, INBOXES).await;
    (database, port, sink)
}

/// A Herold process with four requests per host at most, and `env` besides.
fn spawn(database: &TestDatabase, port: u16, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = herold(database, port, args);
    command.env("HEROLD_DELIVERY_PER_HOST_CONCURRENCY", "4").stdout(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    Running(command.spawn().unwrap())
}

/// A worker killed mid-fan-out leaves leased rows behind; the other worker, which keeps
/// running (no restart, nobody wakes it), takes them over when the leases expire, and every
/// inbox receives the announcement.
async fn a_running_worker_takes_over_a_killed_ones_deliveries(db: Db) {
    let (database, port, sink) = slow_followers(db).await;
    // Leases long enough that the ones worker A took are still held when it is killed, even
    // on a loaded machine; short enough that B takes them over soon.
    let process = |args: &[&str]| spawn(&database, port, args, &[("HEROLD_DELIVERY_LEASE_SECONDS", "5")]);
    let _web = process(&["serve", "--no-workers"]);
    wait_until_live(port).await;
    let printed = run(&database, port, &["announce", "press", "--text", "Übernahme", "--lang", "de"]);
    let public_id = printed.split('\t').next().unwrap().trim().to_owned();

    let mut worker_a = process(&["worker"]);
    eventually(30, "worker A to start delivering", || async { (!sink.received().is_empty()).then_some(()) })
        .await;
    let _worker_b = process(&["worker"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    worker_a.kill(); // SIGKILL: its leases stay behind
    let at_kill = sink.received().len();
    assert!(at_kill < INBOXES, "the kill must land mid-fan-out ({at_kill} of {INBOXES} done)");
    let leased = herold_tests::fixtures::count(
        &database,
        &format!(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'retrying') AND lease_until > {}",
            herold_domain::now_millis()
        ),
    )
    .await;
    assert!(leased > 0, "rows were leased when the worker died (and only B can take them over)");

    eventually(60, "every inbox to receive the announcement", || async {
        let got: std::collections::HashSet<String> =
            sink.received().into_iter().filter(|r| r.json()["type"] == "Create").map(|r| r.path).collect();
        (got.len() == INBOXES).then_some(())
    })
    .await;
    let status = eventually(20, "all rows marked delivered", || async {
        let out = run(&database, port, &["deliveries", "status", "--announcement", &public_id]);
        out.contains(&format!("delivered\t{INBOXES}")).then_some(out)
    })
    .await;
    assert!(status.contains("dead\t0"), "{status}");
}

/// With the default lease (five minutes), a worker killed mid-fan-out does not make its rows
/// wait out their leases: its heartbeat stops, and the worker that starts after it takes them
/// over within seconds, as an urgent announcement needs.
async fn a_killed_workers_rows_do_not_wait_out_their_lease(db: Db) {
    let (database, port, sink) = slow_followers(db).await;
    let process = |args: &[&str]| spawn(&database, port, args, &[]);
    let _web = process(&["serve", "--no-workers"]);
    wait_until_live(port).await;
    run(&database, port, &["announce", "press", "--text", "Sofortmeldung", "--lang", "de", "--urgent"]);
    let mut first = process(&["worker"]);
    eventually(30, "the first worker to start delivering", || async {
        (!sink.received().is_empty()).then_some(())
    })
    .await;
    first.kill();
    let leased = herold_tests::fixtures::count(
        &database,
        &format!(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'retrying') AND lease_until > {}",
            herold_domain::now_millis() + 60_000
        ),
    )
    .await;
    assert!(leased > 0, "rows were leased for minutes when the worker died");
    let restarted = Instant::now();
    let _second = process(&["worker"]);
    eventually(45, "every inbox to receive the announcement", || async {
        let got: std::collections::HashSet<String> =
            sink.received().into_iter().filter(|r| r.json()["type"] == "Create").map(|r| r.path).collect();
        (got.len() == INBOXES).then_some(())
    })
    .await;
    assert!(restarted.elapsed() < Duration::from_secs(45), "taken over in {:?}", restarted.elapsed());
}

on_both_backends!(
    two_workers_share_the_queue_and_the_schedule,
    a_running_worker_takes_over_a_killed_ones_deliveries,
    a_killed_workers_rows_do_not_wait_out_their_lease
);
