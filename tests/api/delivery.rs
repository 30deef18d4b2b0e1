//! Durable delivery: fan-out rows, signatures, retries, dead letters, the urgent lane.

use herold_domain::now_millis;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, spawn_app, Db, TestApp};

use crate::inbox::assert_signed_by;

async fn add_follower(app: &TestApp, account_id: i64, actor: &str, inbox: &str) {
    herold_tests::fixtures::add_follower(app.store.as_ref(), account_id, actor, inbox).await;
}

async fn publish_delivers_one_signed_copy_per_shared_inbox(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    // Three followers on one server share its inbox: one delivery.
    for n in 0..3 {
        add_follower(&app, account.id, &format!("{}/users/f{n}", fake.base), &format!("{}/inbox", fake.base))
            .await;
    }
    let a = app.publish("press", "Pressemitteilung: Datenschutz ist Grundrecht.").await;
    let create = eventually(10, "the Create", || async {
        fake.received().into_iter().find(|r| r.json()["type"] == "Create")
    })
    .await;
    assert_eq!(create.path, "/inbox");
    assert_eq!(
        create.json()["object"]["id"],
        app.url(&format!("/users/press/announcements/{}", a.public_id))
    );
    assert_eq!(create.json()["object"]["type"], "Note");
    assert_signed_by(&app, "press", &create, &fake).await;
    let stats = eventually(10, "the delivery recorded", || async {
        let s = app.store.delivery_stats(Some(a.id), &herold_store::Visibility::everything()).await.unwrap();
        (s.delivered == 1).then_some(s)
    })
    .await;
    assert_eq!((stats.pending, stats.retrying, stats.dead), (0, 0, 0));
    // Recorded as delivered with nothing left to send: a second copy could only come from a
    // row still queued.
    assert_eq!(fake.received().iter().filter(|r| r.json()["type"] == "Create").count(), 1, "delivered once");
    let queued = app.store.queue_depth(herold_domain::now_millis()).await.unwrap();
    assert!(queued.waiting.is_empty(), "nothing queued to send again: {queued:?}");
}

async fn failures_are_retried_and_permanent_refusals_become_dead_letters(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let flaky = FakeRemote::start().await;
    flaky.answer_with(503);
    let gone = FakeRemote::start().await;
    gone.answer_with(410);
    let moved = FakeRemote::start().await;
    moved.answer_with(308);
    let redirecting = FakeRemote::start().await;
    redirecting.answer_with(302);
    let refusing = FakeRemote::start().await;
    refusing.answer_with(403);
    for fake in [&flaky, &gone, &moved, &redirecting, &refusing] {
        add_follower(&app, account.id, &fake.actor, &format!("{}/inbox", fake.base)).await;
    }
    let a = app.publish("press", "Hinweis").await;
    // 503 and a temporary redirect are retried; 410, a permanent redirect and a 403 (after
    // the second knock with the other signature scheme) are dead letters.
    let stats = eventually(10, "two retrying, three dead", || async {
        let s = app.store.delivery_stats(Some(a.id), &herold_store::Visibility::everything()).await.unwrap();
        (s.retrying == 2 && s.dead == 3).then_some(s)
    })
    .await;
    assert_eq!(stats.delivered, 0, "a redirect is never a delivery");
    assert_eq!(refusing.received().len(), 2, "a 4xx is answered with one more knock");
    let schemes: Vec<bool> =
        refusing.received().iter().map(|r| r.headers.iter().any(|(k, _)| k == "signature-input")).collect();
    assert_eq!(schemes, vec![false, true], "draft-cavage first, then RFC 9421");
    let failing: Vec<&str> = stats.failing_hosts.iter().map(|h| h.host.as_str()).collect();
    assert!(failing.contains(&flaky.base.trim_start_matches("http://")), "{failing:?}");
    let flaky_host = stats.failing_hosts.iter().find(|h| flaky.base.ends_with(&h.host)).unwrap();
    assert_eq!(flaky_host.last_error.as_deref(), Some("HTTP 503"));
    // Progress per receiving server: each of the five, with its own state.
    assert_eq!(stats.by_host.len(), 5, "{:?}", stats.by_host);
    let of = |fake: &FakeRemote| stats.by_host.iter().find(|h| fake.base.ends_with(&h.host)).unwrap().clone();
    assert_eq!((of(&flaky).retrying, of(&flaky).dead, of(&flaky).delivered), (1, 0, 0));
    assert_eq!((of(&gone).dead, of(&gone).retrying), (1, 0));
    // 410 is final after one request; 503 was tried once (its retry waits for backoff).
    assert_eq!(gone.received().len(), 1);
    assert_eq!(flaky.received().len(), 1);
    // The metrics count outcomes by the host's state when sent (all healthy on a first try),
    // and the hosts now failing.
    let mut text = String::new();
    app.services.metrics.render(&mut text);
    assert!(
        text.contains("herold_deliveries_total{outcome=\"retrying\",host_state=\"healthy\"} 2"),
        "{text}"
    );
    assert!(text.contains("herold_deliveries_total{outcome=\"dead\",host_state=\"healthy\"} 3"), "{text}");
    let depth = app.store.queue_depth(herold_domain::now_millis()).await.unwrap();
    // The 503 counts against its host; a redirect is retried but is no failure of the host.
    assert_eq!((depth.failing_hosts, depth.dead), (1, 3), "{depth:?}");
}

/// A host that keeps failing is retried until the retry horizon (48 h by default) and then
/// given up on: a dead letter that stays visible in the status and the metrics.
async fn failures_past_the_horizon_end_as_visible_dead_letters(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let flaky = FakeRemote::start().await;
    flaky.answer_with(500);
    add_follower(&app, account.id, &flaky.actor, &format!("{}/inbox", flaky.base)).await;
    let a = app.publish("press", "Hinweis").await;
    eventually(10, "the first attempt failed", || async {
        (app.store
            .delivery_stats(Some(a.id), &herold_store::Visibility::everything())
            .await
            .unwrap()
            .retrying
            == 1)
            .then_some(())
    })
    .await;
    // Two days on, the next retry is due: it fails again and is past the horizon.
    herold_tests::fixtures::execute(
        &app.db,
        "UPDATE deliveries SET created_at = created_at - 49 * 3600000, next_attempt_at = 0 WHERE state = 'retrying'",
    )
    .await;
    let stats = eventually(10, "a dead letter", || async {
        let s = app.store.delivery_stats(Some(a.id), &herold_store::Visibility::everything()).await.unwrap();
        (s.dead == 1).then_some(s)
    })
    .await;
    assert_eq!((stats.retrying, stats.pending), (0, 0));
    assert_eq!(flaky.received().len(), 2, "tried again before giving up");
    let host = &stats.failing_hosts[0];
    assert!(host.last_error.as_deref().is_some_and(|e| e.contains("500")), "{host:?}");
    let depth = app.store.queue_depth(herold_domain::now_millis()).await.unwrap();
    assert_eq!(depth.dead, 1, "visible as a dead letter");
    let mut text = String::new();
    app.services.metrics.render(&mut text);
    assert!(text.contains("herold_deliveries_total{outcome=\"dead\",host_state=\"failing\"} 1"), "{text}");
}

async fn urgent_announcements_are_claimed_before_routine_backlog(db: Db) {
    let app = spawn_app_with(db, AppOptions { workers: false, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    for n in 0..50 {
        add_follower(
            &app,
            account.id,
            &format!("https://s{n}.example/users/a"),
            &format!("https://s{n}.example/inbox"),
        )
        .await;
    }
    app.publish("press", "Routine").await;
    let mut draft = TestApp::draft("Unwetterwarnung");
    draft.urgent = true;
    let urgent = app.services.publisher.publish("press", draft, "test").await.unwrap();
    let claimed = claim(&app, now_millis(), 50).await;
    assert_eq!(claimed.len(), 50);
    let urgent_activity = app.store.activity_uri_for(urgent.id, "Create").await.unwrap().unwrap();
    for c in &claimed {
        let activity = app.store.activity_for_delivery(c.activity_id).await.unwrap();
        assert_eq!(activity.uri, urgent_activity, "all 50 urgent rows come before any routine row");
    }
    // Leased rows are not handed out twice.
    let more = claim(&app, now_millis(), 100).await;
    assert_eq!(more.len(), 50);
    assert!(more.iter().all(|m| claimed.iter().all(|c| c.id != m.id)));
    // An expired lease makes a row claimable again (a crashed worker's rows).
    let later = claim(&app, now_millis() + 61_000, 500).await;
    assert_eq!(later.len(), 100);
    // The worker that lost the lease cannot overwrite the outcome; the new holder can.
    let stale = &claimed[0];
    let delivered = herold_store::DeliveryOutcome::Delivered { status: 202 };
    app.store
        .record_outcomes(&[(stale.id, stale.lease_until, delivered.clone())], now_millis())
        .await
        .unwrap();
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        0,
        "stale lease ignored"
    );
    let current = later.iter().find(|l| l.id == stale.id).unwrap();
    app.store.record_outcomes(&[(current.id, current.lease_until, delivered)], now_millis()).await.unwrap();
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        1
    );
}

/// Claims as a live worker named "test".
async fn claim(app: &TestApp, now: herold_domain::Millis, limit: i64) -> Vec<herold_store::ClaimedDelivery> {
    app.store.worker_heartbeat("test", now).await.unwrap();
    let claim = herold_store::Claim {
        now,
        lease_ms: 60_000,
        limit,
        worker: "test",
        alive_since: now - 20_000,
        lane: herold_store::Lane::Announcements,
    };
    app.store.claim_deliveries(claim).await.unwrap()
}

/// A host whose breaker is open is skipped by every claim until it closes; the rest of
/// the queue moves on.
async fn open_breakers_hold_back_only_their_host(db: Db) {
    let app = spawn_app_with(db, AppOptions { workers: false, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    add_follower(&app, account.id, "https://down.example/users/a", "https://down.example/inbox").await;
    add_follower(&app, account.id, "https://up.example/users/a", "https://up.example/inbox").await;
    app.publish("press", "Hinweis").await;
    let now = now_millis();
    let report = herold_store::HostReport::Failure {
        error: "HTTP 503".into(),
        open_breaker_until: Some(now + 60_000),
    };
    app.store.record_host("down.example", report, now).await.unwrap();
    let claimed = claim(&app, now, 10).await;
    let hosts: Vec<&str> = claimed.iter().map(|c| c.host.as_str()).collect();
    assert_eq!(hosts, vec!["up.example"]);
    assert_eq!(app.store.queue_depth(now).await.unwrap().open_breakers, 1);
    let later = claim(&app, now + 61_000, 10).await;
    assert!(later.iter().any(|c| c.host == "down.example"), "claimable again once the breaker closes");
}

/// A server whose breaker stays open is tried only when it closes (up to an hour apart, a
/// few rows at a time); past their horizon its rows become dead letters all at once, while
/// rows of a server without an open breaker are left to their next attempt.
async fn rows_behind_an_open_breaker_expire_at_the_horizon(db: Db) {
    let app = spawn_app_with(db, AppOptions { workers: false, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    add_follower(&app, account.id, "https://down.example/users/a", "https://down.example/inbox").await;
    add_follower(&app, account.id, "https://flaky.example/users/a", "https://flaky.example/inbox").await;
    app.publish("press", "Hinweis").await;
    let now = now_millis();
    let horizon = 48 * 3_600_000;
    for host in ["down.example", "flaky.example"] {
        let report = herold_store::HostReport::Failure {
            error: "HTTP 503".into(),
            open_breaker_until: (host == "down.example").then_some(now + 3_600_000),
        };
        app.store.record_host(host, report, now).await.unwrap();
    }
    assert_eq!(app.store.expire_deliveries(now - horizon, now).await.unwrap(), 0, "within the horizon");
    herold_tests::fixtures::execute(
        &app.db,
        &format!("UPDATE deliveries SET created_at = created_at - {}", horizon + 1),
    )
    .await;
    assert_eq!(app.store.expire_deliveries(now - horizon, now).await.unwrap(), 1);
    let stats = app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
    assert_eq!((stats.dead, stats.pending), (1, 1), "only the unreachable server's row: {stats:?}");
    let down = stats.failing_hosts.iter().find(|h| h.host == "down.example").expect("listed");
    assert_eq!(down.undelivered, 1, "{down:?}");
}

/// Answers that remote servers ask for (the Accept of a Follow) go in their own lane with a
/// small share of the slots: servers that follow and then never take the Accept (tarpits)
/// cannot delay an announcement, however many they are.
async fn answers_to_tarpits_do_not_delay_announcements(db: Db) {
    use herold_federation::signatures::Scheme;
    let env = vec![
        ("HEROLD_DELIVERY_CONCURRENCY", "16".to_owned()),
        ("HEROLD_DELIVERY_PER_HOST_CONCURRENCY", "4".to_owned()),
    ];
    let app = spawn_app_with(db, AppOptions { env, ..AppOptions::default() }).await;
    let accounts = ["press", "presse", "amt", "buero"];
    for account in accounts {
        app.create_account("bfdi", account).await;
    }
    // Eight servers on hosts of their own answer fetches but hold every inbox POST.
    let mut tarpits = Vec::new();
    for n in 0..8 {
        let tarpit = FakeRemote::start_at(&format!("127.0.0.{}", 20 + n)).await;
        tarpit.delay_answers(std::time::Duration::from_secs(60));
        for account in accounts {
            let follow = tarpit.follow(&app.url(&format!("/users/{account}")));
            assert_eq!(tarpit.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
        }
        tarpits.push(tarpit);
    }
    let healthy = FakeRemote::start_at("127.0.0.40").await;
    let follow = healthy.follow(&app.url("/users/press"));
    assert_eq!(healthy.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    // Let the 32 Accepts take what slots they can.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let started = std::time::Instant::now();
    app.publish("press", "Warnung: Hochwasser").await;
    eventually(20, "the announcement at the healthy follower", || async {
        healthy.received().into_iter().find(|r| r.json()["type"] == "Create")
    })
    .await;
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(3),
        "the announcement took {took:?} behind the tarpits' Accepts"
    );
}

on_both_backends!(
    answers_to_tarpits_do_not_delay_announcements,
    rows_behind_an_open_breaker_expire_at_the_horizon,
    open_breakers_hold_back_only_their_host,
    publish_delivers_one_signed_copy_per_shared_inbox,
    failures_are_retried_and_permanent_refusals_become_dead_letters,
    urgent_announcements_are_claimed_before_routine_backlog,
    failures_past_the_horizon_end_as_visible_dead_letters,
);
