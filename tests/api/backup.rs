//! The restore test of `deploy/BACKUP.md`, as written there: an online backup of the
//! database while Herold runs (`sqlite3 .backup`, `pg_dump -Fc`) and a copy of the key
//! files, restored into a fresh place, must verify (`herold audit verify` exits 0), serve the
//! same actors with the same keys, and hold what was published. Without the key-encryption
//! key the restored service must refuse to start rather than mint new identities.

use std::path::Path;
use std::process::{Command, Stdio};

use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

use crate::process::{free_port, herold, run, wait_until_live, Running};

const KEY_FILES: &[&str] =
    &["key-encryption.key", "audit-seal.key", "audit-signing.key", "audit-trusted.keys"];

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for the restore test (BACKUP.md uses it): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The key files and checkpoint copies of `from`'s data directory into `to`'s, leaving out
/// `skip`.
fn restore_keys(from: &Path, to: &Path, skip: Option<&str>) {
    std::fs::create_dir_all(to).unwrap();
    for name in KEY_FILES.iter().filter(|n| Some(**n) != skip) {
        std::fs::copy(from.join(name), to.join(name)).unwrap_or_else(|e| panic!("key file {name}: {e}"));
    }
    copy_dir(&from.join("audit-checkpoints"), &to.join("audit-checkpoints"));
}

/// An ActivityPub document the service at `port` serves.
async fn document(port: u16, path: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn actor_key(port: u16) -> String {
    document(port, "/users/press").await["publicKey"]["publicKeyPem"]
        .as_str()
        .expect("the actor's key")
        .to_owned()
}

async fn outbox_size(port: u16) -> i64 {
    document(port, "/users/press/outbox").await["totalItems"].as_i64().expect("totalItems")
}

/// Backs up `db` the way BACKUP.md says, while Herold runs; returns the backup file.
fn back_up(db: Db, original: &TestDatabase, to: &Path) -> std::path::PathBuf {
    match db {
        Db::Sqlite => {
            let file = to.join("herold-backup.db");
            let source = original.url.trim_start_matches("sqlite://");
            tool("sqlite3", &[source, &format!(".backup '{}'", file.display())]);
            assert_eq!(tool("sqlite3", &[file.to_str().unwrap(), "PRAGMA integrity_check"]).trim(), "ok");
            file
        }
        Db::Postgres => {
            let file = to.join("herold-backup.dump");
            tool("pg_dump", &["-Fc", "--no-owner", "-d", &original.url, "-f", file.to_str().unwrap()]);
            tool("pg_restore", &["--list", file.to_str().unwrap()]);
            file
        }
    }
}

/// Restores a backup into the fresh, empty `target` (database and data directory).
fn restore(db: Db, backup: &Path, target: &TestDatabase) {
    match db {
        Db::Sqlite => {
            std::fs::copy(backup, target.url.trim_start_matches("sqlite://")).unwrap();
        }
        Db::Postgres => {
            let args = [
                "-d",
                &target.url,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                backup.to_str().unwrap(),
            ];
            tool("pg_restore", &args);
        }
    }
}

async fn backup_restores_to_a_verified_working_service(db: Db) {
    let original = TestDatabase::create(db).await;
    let port = free_port();
    run(&original, port, &["org", "create", "bfdi", "--name", "Federal Commissioner for Data Protection"]);
    run(&original, port, &["account", "create", "bfdi", "press", "--name", "BfDI Press Office"]);
    run(&original, port, &["announce", "press", "--text", "Erste Mitteilung"]);
    run(&original, port, &["announce", "press", "--text", "Zweite Mitteilung"]);
    run(&original, port, &["audit", "checkpoint"]);

    // Online: the service keeps running while the backup is taken.
    let mut serving = Running(herold(&original, port, &["serve"]).stdout(Stdio::null()).spawn().unwrap());
    wait_until_live(port).await;
    let key_before = actor_key(port).await;
    let backups = tempfile_dir();
    // The key backup first: checkpoint copies newer than the database backup would (rightly)
    // make the restored trail look truncated.
    let keys = backups.join("keys");
    restore_keys(&original.dir, &keys, None);
    let backup = back_up(db, &original, &backups);
    serving.kill();

    // Into a fresh database and data directory, with the key files from the key backup.
    let restored = TestDatabase::create(db).await;
    restore(db, &backup, &restored);
    restore_keys(&keys, &restored.dir, None);
    port_free(port).await;
    // The same public URL as before: the sealed private keys are bound to their actors'
    // URLs, as BACKUP.md's restore test says.
    run(&restored, port, &["migrate"]);
    let verify = herold(&restored, port, &["audit", "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "audit verify: {}", String::from_utf8_lossy(&verify.stdout));
    assert!(run(&restored, port, &["account", "list"]).contains("press"));

    let mut serving =
        Running(herold(&restored, port, &["serve", "--no-workers"]).stdout(Stdio::null()).spawn().unwrap());
    wait_until_live(port).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status().as_u16(), 200, "the restored service is ready");
    assert_eq!(actor_key(port).await, key_before, "the same identity: its sealed key opened");
    assert_eq!(outbox_size(port).await, 2, "both announcements are back");
    serving.kill();

    // Without the key-encryption key nothing opens: the service must refuse to start.
    let keyless = TestDatabase::create(db).await;
    restore(db, &backup, &keyless);
    restore_keys(&keys, &keyless.dir, Some("key-encryption.key"));
    port_free(port).await;
    let refused = herold(&keyless, port, &["serve", "--no-workers"]).output().unwrap();
    assert!(!refused.status.success(), "a restore without the key-encryption key must not start");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("key-encryption key"), "the refusal names the missing key: {said}");
    let _ = std::fs::remove_dir_all(&backups);
}

/// Until a killed server's port can be bound again (its closed connections linger).
async fn port_free(port: u16) {
    herold_tests::eventually(30, "the port to be free", || async move {
        std::net::TcpListener::bind(("127.0.0.1", port)).ok().map(drop)
    })
    .await
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("herold-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

on_both_backends!(backup_restores_to_a_verified_working_service);
