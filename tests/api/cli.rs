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

on_both_backends!(the_cli_refuses_what_would_fail_later);
