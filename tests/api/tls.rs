//! Herold terminating TLS itself: rustls, HSTS, and a certificate renewal picked up on SIGHUP
//! without a restart.

use std::process::{Command, Stdio};
use std::time::Duration;

use herold_tests::spawn::TestDatabase;
use herold_tests::{eventually, Db};

use crate::process::{free_port, herold, Running};

/// A self-signed certificate for `localhost` (the openssl command line only makes the test
/// material; Herold itself links no OpenSSL).
fn make_cert(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let (cert, key) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
        ])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        // A leaf, not a CA: webpki refuses a CA certificate as the server's own.
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    std::fs::read(cert).unwrap()
}

fn client(port: u16, trusted: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(trusted).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_tls_with_hsts_and_reloads_the_certificate_on_sighup() {
    let database = TestDatabase::create(Db::Sqlite).await;
    let dir = database.dir.clone();
    let first = make_cert(&dir, "first");
    std::fs::copy(dir.join("first.pem"), dir.join("live.pem")).unwrap();
    std::fs::copy(dir.join("first.key"), dir.join("live.key")).unwrap();
    let port = free_port();
    let server = Running(
        herold(&database, port, &["serve"])
            .env("HEROLD_PUBLIC_URL", format!("https://localhost:{port}"))
            .env("HEROLD_TLS_CERT_FILE", dir.join("live.pem"))
            .env("HEROLD_TLS_KEY_FILE", dir.join("live.key"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("https://localhost:{port}/livez");
    let resp =
        eventually(30, "herold to serve TLS", || async { client(port, &first).get(&url).send().await.ok() })
            .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");

    // Renewal: new files, then SIGHUP.
    let second = make_cert(&dir, "second");
    std::fs::copy(dir.join("second.pem"), dir.join("live.pem")).unwrap();
    std::fs::copy(dir.join("second.key"), dir.join("live.key")).unwrap();
    let hup = Command::new("kill").args(["-HUP", &server.0.id().to_string()]).status().unwrap();
    assert!(hup.success());
    eventually(10, "the renewed certificate", || async {
        client(port, &second).get(&url).send().await.ok().filter(|r| r.status() == 200)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(client(port, &first).get(&url).send().await.is_err(), "the old certificate is gone");
}
