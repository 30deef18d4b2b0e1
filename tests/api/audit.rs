//! Tamper drills on a real database: each kind of tampering is detected and the first bad
//! sequence number is named; honest changes (payload erasure, key rotation done right) pass.

use std::process::Stdio;

use herold_compliance::audit::{self, AuditKeys, Verification};
use herold_compliance::note::{self, Checkpoint, NoteSigner};
use herold_store::StoredCheckpoint;
use herold_tests::{spawn_app, Db, TestApp};

use crate::process::{free_port, herold, run};

async fn exec(app: &TestApp, sql: &str) {
    if app.db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

fn key_name(app: &TestApp) -> String {
    format!("127.0.0.1:{}/audit", app.port)
}

/// An app with a few audited actions (org, account, five announcements) and a checkpoint.
async fn app_with_history(db: Db) -> TestApp {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    for n in 0..5 {
        app.publish("press", &format!("Mitteilung {n}")).await;
    }
    audit::checkpoint(app.store.as_ref(), &app.services.audit).await.unwrap();
    app
}

async fn verify(app: &TestApp) -> Verification {
    let keys = AuditKeys::load(&app.db.dir, &key_name(app)).unwrap().expect("audit keys");
    let external = audit::external_checkpoints(&keys).unwrap();
    audit::verify(app.store.as_ref(), &keys.seal, &keys.trusted, &external).await.unwrap()
}

async fn first_bad(app: &TestApp) -> Option<i64> {
    verify(app).await.problem.map(|p| p.first_bad_seq)
}

async fn audit_trail_detects_tampering(db: Db) {
    let app = app_with_history(db).await;
    let intact = verify(&app).await;
    assert_eq!(intact.problem, None);
    let n = intact.entries;
    assert!(n >= 7, "org, account and five announcements: {n}");
    assert!(intact.checkpoints_checked >= 1);

    // Erasing a payload (a subject request) leaves the tree verifiable.
    exec(&app, "DELETE FROM audit_payloads WHERE seq = 2").await;
    assert_eq!(first_bad(&app).await, None, "erasure must not break verification");

    exec(&app, "UPDATE audit_payloads SET payload = '{\"forged\":true}' WHERE seq = 4").await;
    assert_eq!(first_bad(&app).await, Some(4), "edited payload");
}

async fn edited_swapped_and_deleted_entries_are_named(db: Db) {
    let app = app_with_history(db).await;
    exec(&app, "UPDATE audit_log SET subject = 'account:mallory' WHERE seq = 3").await;
    assert_eq!(first_bad(&app).await, Some(3), "edited entry");

    let app = app_with_history(db).await;
    exec(
        &app,
        "UPDATE audit_log SET subject = CASE seq WHEN 4 THEN (SELECT subject FROM audit_log WHERE seq = 5) \
         ELSE (SELECT subject FROM audit_log WHERE seq = 4) END WHERE seq IN (4, 5)",
    )
    .await;
    assert_eq!(first_bad(&app).await, Some(4), "swapped entries");

    let app = app_with_history(db).await;
    exec(&app, "DELETE FROM audit_payloads WHERE seq = 5; DELETE FROM audit_log WHERE seq = 5").await;
    assert_eq!(first_bad(&app).await, Some(5), "deleted entry");
}

async fn truncation_and_restored_backups_are_caught_by_checkpoints(db: Db) {
    let app = app_with_history(db).await;
    let n = verify(&app).await.entries;
    exec(
        &app,
        &format!(
            "DELETE FROM audit_payloads WHERE seq > {}; DELETE FROM audit_log WHERE seq > {}",
            n - 2,
            n - 2
        ),
    )
    .await;
    assert_eq!(first_bad(&app).await, Some(n - 1), "truncated tail");

    // An old backup: the database (its checkpoints included) goes back in time, but the
    // checkpoint copy outside the database remembers.
    let app = app_with_history(db).await;
    let n = verify(&app).await.entries;
    exec(
        &app,
        &format!(
            "DELETE FROM audit_checkpoints WHERE tree_size > {k}; DELETE FROM audit_payloads WHERE seq > {k}; \
             DELETE FROM audit_log WHERE seq > {k}",
            k = n - 3
        ),
    )
    .await;
    assert_eq!(first_bad(&app).await, Some(n - 2), "old backup restored over a newer checkpoint");
}

async fn forged_checkpoints_and_key_rotation(db: Db) {
    let app = app_with_history(db).await;
    let n = verify(&app).await.entries;
    let forger = NoteSigner::from_seed(&key_name(&app), &[42; 32]).unwrap();
    let cp = Checkpoint { origin: key_name(&app), size: n as u64 + 5, root: [9; 32] };
    let forged = StoredCheckpoint {
        tree_size: n + 5,
        root_hash: "00".repeat(32),
        note: note::sign(&cp.text(), &[&forger]),
        created_at: 0,
    };
    app.store.save_checkpoint(&forged).await.unwrap();
    let report = verify(&app).await;
    assert_eq!(report.problem.map(|p| p.first_bad_seq), Some(n + 5), "forged checkpoint");

    // Rotation done right: the new key is trusted, old checkpoints still verify.
    let app = app_with_history(db).await;
    AuditKeys::rotate(&app.db.dir, &key_name(&app)).unwrap();
    let rotated = AuditKeys::load(&app.db.dir, &key_name(&app)).unwrap().expect("audit keys");
    app.publish("press", "Nach der Schlüsselrotation").await;
    audit::checkpoint(app.store.as_ref(), &rotated).await.unwrap();
    assert_eq!(verify(&app).await.problem, None, "rotation done right");

    // Rotation done wrong: a new signing key nobody was told to trust.
    std::fs::write(app.db.dir.join("audit-signing.key"), "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
        .unwrap();
    let rogue = AuditKeys::load(&app.db.dir, &key_name(&app)).unwrap().expect("audit keys");
    app.publish("press", "Noch eine").await;
    let cp = audit::checkpoint(app.store.as_ref(), &rogue).await.unwrap();
    let report = verify(&app).await;
    assert_eq!(report.problem.map(|p| p.first_bad_seq), Some(cp.tree_size), "rotation done wrong");
}

on_both_backends!(
    audit_trail_detects_tampering,
    edited_swapped_and_deleted_entries_are_named,
    truncation_and_restored_backups_are_caught_by_checkpoints,
    forged_checkpoints_and_key_rotation,
);

/// The command line: exit codes fit monitoring, and a proof bundle checks offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_commands_verify_prove_and_check_bundles() {
    let database = herold_tests::spawn::TestDatabase::create(Db::Sqlite).await;
    let port = free_port();
    run(&database, port, &["org", "create", "bfdi", "--name", "BfDI"]);
    run(&database, port, &["account", "create", "bfdi", "press", "--name", "Press"]);
    run(&database, port, &["announce", "press", "--text", "Eins"]);
    let note = run(&database, port, &["audit", "checkpoint"]);
    assert!(note.starts_with(&format!("127.0.0.1:{port}/audit\n3\n")), "{note}");
    assert!(note.contains("\n\n\u{2014} "), "a signed note: {note}");

    let csv = run(&database, port, &["audit", "export", "--action", "account.create"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,at,org,actor,action,subject,detail");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(",bfdi,operator,account.create,account:press,"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&run(
        &database,
        port,
        &["audit", "export", "--format", "json", "--org", "bfdi"],
    ))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3, "org, account, announcement: {json}");
    let status = |args: &[&str]| {
        herold(&database, port, args).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap().code()
    };
    assert_eq!(status(&["audit", "verify"]), Some(0));
    assert_eq!(status(&["audit", "verify", "--from-checkpoint", "3"]), Some(0));
    let none = herold(&database, port, &["audit", "verify", "--from-checkpoint", "2"]).output().unwrap();
    assert_eq!(none.status.code(), Some(3), "{}", String::from_utf8_lossy(&none.stderr));

    let bundle_path = database.dir.join("bundle.json");
    run(&database, port, &["audit", "prove", "2", "--out", bundle_path.to_str().unwrap()]);
    // The bundle is checked with no database at all, against the published key.
    let trusted = std::fs::read_to_string(database.dir.join("audit-trusted.keys")).unwrap();
    let key = trusted.lines().next().unwrap().to_owned();
    let offline = std::process::Command::new(env!("CARGO_BIN_EXE_herold-under-test"))
        .args(["audit", "verify-bundle", bundle_path.to_str().unwrap(), "--key", &key])
        .env("HEROLD_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(offline.status.success(), "{}", String::from_utf8_lossy(&offline.stderr));
    let bundle = std::fs::read_to_string(&bundle_path).unwrap();
    assert_eq!(
        status(&["audit", "verify-bundle", bundle_path.to_str().unwrap()]),
        Some(2),
        "a key is required"
    );
    let tampered = bundle.replace("account:press", "account:mallory");
    assert_ne!(tampered, bundle);
    std::fs::write(&bundle_path, &tampered).unwrap();
    assert_eq!(status(&["audit", "verify-bundle", bundle_path.to_str().unwrap(), "--key", &key]), Some(2));

    // A bundle forged whole, signed with the forger's own key (and carrying that key), fails
    // against the published key.
    let mut forged: herold_compliance::audit::Bundle = serde_json::from_str(&tampered).unwrap();
    let forger = NoteSigner::from_seed(&format!("127.0.0.1:{port}/audit"), &[7; 32]).unwrap();
    forged.entry.seq = 1;
    let leaf = forged.entry.clone();
    let cp = Checkpoint { origin: format!("127.0.0.1:{port}/audit"), size: 1, root: leaf.leaf_hash() };
    forged.tree_size = 1;
    forged.inclusion_proof = vec![];
    forged.checkpoint = note::sign(&cp.text(), &[&forger]);
    forged.verifier_key = forger.verifier_key();
    // Self-consistent under the forger's own key: exactly why that key is never trusted.
    assert!(herold_compliance::audit::verify_bundle(&forged, &forger.verifier_key()).is_ok());
    assert!(
        herold_compliance::audit::verify_bundle(&forged, &key).is_err(),
        "the forger's key is not the published key"
    );

    let pool = sqlx::SqlitePool::connect(&database.url).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1").execute(&pool).await.unwrap();
    pool.close().await;
    let out = herold(&database, port, &["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TAMPERED at entry 1"));
    // Starting from the checkpoint skips the seals before it, not the tree: the change
    // still shows, as a tree that no longer matches its signed checkpoint.
    let out = herold(&database, port, &["audit", "verify", "--from-checkpoint", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match its signed checkpoint"));
}
