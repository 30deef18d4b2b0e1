//! Herold as a separate process: the real command line, killable, against a test database.

use std::process::Command;

use herold_tests::spawn::TestDatabase;

/// The `herold` binary (built in this package) configured for `db`, listening on `port`.
pub fn herold(db: &TestDatabase, port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herold-under-test"));
    cmd.args(args)
        .env("HEROLD_DATABASE_URL", &db.url)
        .env("HEROLD_DATA_DIR", &db.dir)
        .env("HEROLD_POLICIES_DIR", herold_tests::spawn::policies_dir())
        .env("HEROLD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEROLD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("HEROLD_ALLOW_PRIVATE_NETWORKS", "true")
        .env("HEROLD_LOG", "warn");
    cmd
}

/// Runs a command to completion and returns what it printed, failing the test on error.
pub fn run(db: &TestDatabase, port: u16, args: &[&str]) -> String {
    let out = herold(db, port, args).output().expect("run herold");
    assert!(out.status.success(), "herold {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A port for a Herold process to listen on, kept across its restarts. Taken below the
/// kernel's ephemeral range (32768 and up), where port 0 listeners and outgoing connections
/// get theirs: a port from there could be in use again before the process binds it.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..1000 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        let port = 20_000 + (h.finish() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000")
}

/// Waits until the process answers `/livez`.
pub async fn wait_until_live(port: u16) {
    herold_tests::eventually(30, "herold to start", || async move {
        let resp = reqwest::get(format!("http://127.0.0.1:{port}/livez")).await.ok()?;
        resp.status().is_success().then_some(())
    })
    .await
}

/// A child process that is killed when the test ends, also when it panics, so no server
/// outlives its test.
pub struct Running(pub std::process::Child);

impl Running {
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An organisation and `@press` made with the command line, `inboxes` followers of it on
/// `sink` (one inbox each), and a store handle on the same database.
pub async fn press_with_followers(
    database: &TestDatabase,
    port: u16,
    sink: &herold_tests::fake_remote::FakeRemote,
    inboxes: usize,
) -> std::sync::Arc<dyn herold_store::Store> {
    run(database, port, &["org", "create", "bfdi", "--name", "Federal Commissioner for Data Protection"]);
    run(database, port, &["account", "create", "bfdi", "press", "--name", "BfDI Press Office"]);
    let keys =
        herold_compliance::audit::AuditKeys::load(&database.dir, "test/audit").unwrap().expect("audit keys");
    let store = herold_store::connect(&database.url, keys.seal.clone()).await.unwrap();
    let account = store.account_by_username("press").await.unwrap().unwrap();
    for n in 0..inboxes {
        let actor = format!("{}/users/f{n}", sink.base);
        let inbox = format!("{}/inbox/{n}", sink.base);
        herold_tests::fixtures::add_follower(store.as_ref(), account.id, &actor, &inbox).await;
    }
    store
}
