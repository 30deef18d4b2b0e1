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
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _web = process(&["serve", "--no-workers"]);
    wait_until_live(port).await;
    let started = Instant::now();
    let _worker_a = process(&["worker"]);
    let _worker_b = process(&["worker"]);
    run(&database, port, &["announce", "press", "--text", "Zwei Worker, eine Zustellung"]);

    let per_inbox = eventually(60, "every inbox to receive the announcement", || async {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in sink
            .received()
            .into_iter()
            .filter(|r| r.json()["type"] == "Create" && r.path.starts_with("/inbox/"))
        {
            *counts.entry(r.path).or_default() += 1;
        }
        (counts.len() == INBOXES).then_some(counts)
    })
    .await;
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

on_both_backends!(two_workers_share_the_queue_and_the_schedule);
