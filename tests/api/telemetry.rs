//! Spans and metrics reach an OpenTelemetry collector over OTLP/HTTP when one is
//! configured; Prometheus metrics are served on their own listener.

use std::process::Stdio;

use crate::process::{free_port, herold, wait_until_live, Running};
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::TestDatabase;
use herold_tests::{eventually, Db};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_metrics_are_exported_over_otlp() {
    let database = TestDatabase::create(Db::Sqlite).await;
    let collector = FakeRemote::start().await;
    collector.answer_with(200);
    let port = free_port();
    let _server = Running(
        herold(&database, port, &["serve"])
            .env("HEROLD_OTLP_ENDPOINT", &collector.base)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("OTEL_METRIC_EXPORT_INTERVAL", "300")
            .stdout(Stdio::null())
            .spawn()
            .expect("start herold"),
    );
    wait_until_live(port).await;

    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/inbox"))
        .header("content-type", "application/activity+json")
        .body(r#"{"type":"Follow","actor":"https://unsigned.example/users/a"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let export = eventually(20, "an OTLP export with the inbox span", || async {
        collector
            .received()
            .into_iter()
            .find(|r| r.path == "/v1/traces" && r.body.windows(b"inbox".len()).any(|w| w == b"inbox"))
    })
    .await;
    let content_type = export.headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone());
    assert_eq!(content_type.as_deref(), Some("application/x-protobuf"));
    assert!(export.body.windows(b"herold".len()).any(|w| w == b"herold"), "service name in the resource");

    // Metrics too: the refused request is counted, and the queue gauges are there (the
    // depth has no points while nothing waits; dead letters and breakers always do).
    let has = |body: &[u8], name: &str| body.windows(name.len()).any(|w| w == name.as_bytes());
    let metrics = eventually(20, "an OTLP metrics export", || async {
        collector.received().into_iter().find(|r| {
            r.path == "/v1/metrics"
                && has(&r.body, "herold.inbox.requests")
                && has(&r.body, "refused")
                && has(&r.body, "herold.hosts")
        })
    })
    .await;
    assert!(has(&metrics.body, "herold.deliveries") && has(&metrics.body, "herold.runs"));
}

/// Prometheus metrics are served on their own listener, never on the public one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_listener() {
    let database = TestDatabase::create(Db::Sqlite).await;
    let (port, metrics_port) = (free_port(), free_port());
    let server = Running(
        herold(&database, port, &["serve"])
            .env("HEROLD_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start herold"),
    );
    wait_until_live(port).await;
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("http://127.0.0.1:{port}/inbox"))
        .body(r#"{"type":"Follow","actor":"https://unsigned.example/users/a"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let public = client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "metrics are not public");
    let text = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("herold_inbox_requests_total{outcome=\"refused\"} 1"), "{text}");
    assert!(text.contains("# TYPE herold_delivery_duration_seconds histogram"), "{text}");
    assert!(text.contains("herold_hosts{state=\"breaker_open\"} 0"), "{text}");
    assert!(text.contains("herold_hosts{state=\"failing\"} 0"), "{text}");
    assert!(text.contains("herold_audit_checkpoints_total"), "{text}");

    // SIGHUP (as log rotation or service managers send) must not end the process.
    let hup = std::process::Command::new("kill").args(["-HUP", &server.0.id().to_string()]).status().unwrap();
    assert!(hup.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(client.get(format!("http://127.0.0.1:{port}/livez")).send().await.unwrap().status(), 200);
}
