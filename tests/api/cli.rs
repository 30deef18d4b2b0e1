//! The command line refuses what would go wrong later: reading a database that is not there
//! (it would make an empty one with new audit keys), and a policy for an organisation that
//! does not exist (`serve` would refuse to start; a typo in a file name voids a legal hold).

use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

use crate::process::{free_port, herold, run};

async fn the_cli_refuses_what_would_fail_later(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    if db == Db::Sqlite {
        let out = herold(&database, port, &["org", "list"]).output().unwrap();
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("there is no database at") && said.contains("HEROLD_DATA_DIR"), "{said}");
        assert!(!database.dir.join("herold.db").exists(), "no empty database was made");
    }
    run(&database, port, &["org", "create", "demo", "--name", "Demo Authority"]);

    let policies = database.dir.join("policies");
    std::fs::create_dir_all(policies.join("orgs")).unwrap();
    std::fs::copy(
        format!("{}/retention.toml", herold_tests::spawn::policies_dir()),
        policies.join("retention.toml"),
    )
    .unwrap();
    std::fs::write(policies.join("orgs/demo.toml"), "legal_hold = true\n").unwrap();
    let check = || {
        herold(&database, port, &["policy", "check"]).env("HEROLD_POLICIES_DIR", &policies).output().unwrap()
    };
    assert!(check().status.success(), "{}", String::from_utf8_lossy(&check().stderr));
    std::fs::write(policies.join("orgs/dmeo.toml"), "legal_hold = true\n").unwrap();
    let out = check();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("dmeo.toml names no organisation"), "{said}");
}

/// The operator proposes a profile from the command line; it waits for an approver of the
/// organisation like any other, and a malformed field is refused before anything is stored.
async fn the_operator_proposes_a_profile_for_an_approver(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    run(&database, port, &["org", "create", "demo", "--name", "Demo Authority"]);
    run(&database, port, &["account", "create", "demo", "press", "--name", "Pressestelle"]);
    let out =
        herold(&database, port, &["account", "profile", "press", "--field", "Website https://x.example/"])
            .output()
            .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Name=Value"));
    let said = run(
        &database,
        port,
        &[
            "account",
            "profile",
            "press",
            "--bio",
            "Pressestelle der Demo-Behörde",
            "--field",
            "Website=https://www.demo.example/",
        ],
    );
    assert!(said.contains("an approver of demo applies it at"), "{said}");

    // Only read here: the seal of audit entries is not needed.
    let store = herold_store::connect(&database.url, herold_domain::audit::AuditSeal::new(b"read only"))
        .await
        .unwrap();
    let account = store.account_by_username("press").await.unwrap().unwrap();
    assert_eq!(account.summary, None, "nothing changes before an approver applies it");
    let proposal = store
        .profile_proposal(account.id, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .expect("the proposal waits");
    assert_eq!(proposal.proposed_by, None);
    assert_eq!(proposal.content.display_name, "Pressestelle");
    assert_eq!(proposal.content.summary.as_deref(), Some("Pressestelle der Demo-Behörde"));
    assert_eq!(proposal.content.profile.fields[0].value, "https://www.demo.example/");
}

on_both_backends!(the_cli_refuses_what_would_fail_later, the_operator_proposes_a_profile_for_an_approver);
