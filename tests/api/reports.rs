//! The documents a data-protection officer hands on: the Art. 30 record and the period
//! report, produced by the command line from a real database.

use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

use crate::process::{free_port, run};

async fn ropa_and_compliance_report(db: Db) {
    let database = TestDatabase::create(db).await;
    let port = free_port();
    run(&database, port, &["org", "create", "bfdi", "--name", "Federal Commissioner for Data Protection"]);
    run(&database, port, &["account", "create", "bfdi", "press", "--name", "BfDI Press Office"]);
    run(&database, port, &["announce", "press", "--text", "Bericht"]);
    run(&database, port, &["retention", "apply"]);
    let out = database.dir.join("export");
    run(
        &database,
        port,
        &["dsar", "export", "--subject", "https://m.example/users/alice", "--out", out.to_str().unwrap()],
    );
    run(&database, port, &["audit", "checkpoint"]);

    let ropa: serde_json::Value =
        serde_json::from_str(&run(&database, port, &["compliance", "ropa", "--org", "bfdi", "--json"]))
            .unwrap();
    assert_eq!(ropa["controller"], "Federal Commissioner for Data Protection");
    let followers = ropa["entries"].as_array().unwrap().iter().find(|e| e["class"] == "followers").unwrap();
    assert!(followers["legal_basis"].as_str().unwrap().contains("Art. 6(1)(e)"));
    assert_eq!(followers["personal_data"], true);
    let html = run(&database, port, &["compliance", "ropa", "--org", "bfdi"]);
    assert!(html.contains("Record of processing activities (GDPR Art. 30)"));

    let today = &herold_domain::format_rfc3339(herold_domain::now_millis())[..10];
    let dir = database.dir.join("report");
    run(
        &database,
        port,
        &[
            "compliance",
            "report",
            "--org",
            "bfdi",
            "--from",
            "2026-01-01",
            "--to",
            today,
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["audit_intact"], true);
    assert!(report["latest_checkpoint"].as_u64().unwrap() >= 5);
    assert_eq!(report["retention_runs"].as_array().unwrap().len(), 1);
    assert_eq!(report["subject_requests"].as_array().unwrap().len(), 1);
    assert!(report["actors"]["operator"].as_i64().unwrap() >= 4);
    let inventory = report["inventory"].as_array().unwrap();
    assert_eq!(inventory.len(), herold_store::DataClass::ALL.len(), "every data class");
    assert!(report["staff"].as_array().is_some(), "staff with roles and last sign-in");
    assert!(inventory.iter().all(|i| i["within_limit"] == true));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Verified intact"));
}

on_both_backends!(ropa_and_compliance_report);
