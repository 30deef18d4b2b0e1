//! Privacy by default: a full run of the service leaves no client IP address in the
//! database or in the logs.

use std::process::Stdio;

use herold_federation::signatures::Scheme;
use herold_tests::fake_remote::{FakeRemote, CLIENT_ADDRESS};
use herold_tests::fixtures::columns_containing;
use herold_tests::spawn::TestDatabase;
use herold_tests::{eventually, Db};

use crate::process::{free_port, herold, run, wait_until_live, Running};

async fn a_full_run_keeps_no_client_address(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    run(&database, port, &["org", "create", "bfdi", "--name", "BfDI"]);
    run(&database, port, &["account", "create", "bfdi", "press", "--name", "Press"]);
    let log = database.dir.join("herold.log");
    let server = Running(
        herold(&database, port, &["serve"])
            .env("HEROLD_LOG", "debug")
            .env("HEROLD_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_until_live(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&format!("{base}/users/press"));
    assert_eq!(fake.post_json(&format!("{base}/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    let unsigned = fake.follow(&format!("{base}/users/press")).to_string();
    let now = herold_domain::now_millis() / 1000;
    let stale =
        fake.post(&format!("{base}/inbox"), unsigned.as_bytes(), Scheme::Rfc9421, None, now - 7200).await;
    assert_eq!(stale.status(), 401);
    run(&database, port, &["announce", "press", "--text", "Ohne IP-Adressen"]);
    eventually(20, "the Accept and the Create", || async { (fake.received().len() >= 2).then_some(()) })
        .await;
    drop(server);

    let address = CLIENT_ADDRESS.to_string();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("\"path\":\"/inbox\""), "requests were logged: {logs}");
    assert!(!logs.contains(&address), "a client address in the logs");
    let hits = columns_containing(&database, &address).await;
    assert!(hits.is_empty(), "a client address in {hits:?}");
    assert!(columns_containing(&database, "HTTP 401").await.is_empty(), "the security log is off by default");
}

/// With the security log switched on, rejected requests are kept under a pseudonym of the
/// client address, and the retention policy purges them.
async fn security_log_keeps_pseudonyms_only(db: Db) {
    let options = herold_tests::spawn::AppOptions { security_log: true, ..Default::default() };
    let app = herold_tests::spawn::spawn_app_with(db, options).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let now = herold_domain::now_millis() / 1000;
    let body = fake.follow(&app.url("/users/press")).to_string();
    for _ in 0..2 {
        let resp = fake.post(&app.url("/inbox"), body.as_bytes(), Scheme::Cavage, None, now - 7200).await;
        assert_eq!(resp.status(), 401);
    }
    let policies =
        herold_compliance::policy::Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir()))
            .unwrap();
    // Eight days on, past the security log's seven-day limit.
    let later = herold_domain::now_millis() + 8 * 86_400_000;
    let expired = || async {
        let plan = herold_compliance::retention::plan(app.store.as_ref(), &policies, later).await.unwrap();
        plan.iter().filter(|c| c.class == herold_store::DataClass::SecurityLog).map(|c| c.count).sum::<i64>()
    };
    assert_eq!(expired().await, 2, "both rejections kept");
    let hits = columns_containing(&app.db, &CLIENT_ADDRESS.to_string()).await;
    assert!(hits.is_empty(), "the address itself is never stored: {hits:?}");
    let same = columns_containing(&app.db, "HTTP 401").await;
    assert_eq!(same, vec!["security_log.detail".to_owned()]);
    herold_compliance::retention::apply(
        app.store.as_ref(),
        &policies,
        later,
        "test",
        &app.db.dir.join("archive"),
    )
    .await
    .unwrap();
    assert_eq!(expired().await, 0, "purged by its retention");
}

on_both_backends!(a_full_run_keeps_no_client_address, security_log_keeps_pseudonyms_only);
