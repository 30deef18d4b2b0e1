//! Subject requests: an export finds the person's data in every class; after erasure no
//! table holds anything of theirs, and the audit trail still verifies.

use herold_federation::signatures::Scheme;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::{eventually, spawn_app, Db};

fn shipped_policies() -> herold_compliance::policy::Policies {
    herold_compliance::policy::Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir()))
        .unwrap()
}

async fn export_finds_everything_and_erasure_leaves_nothing(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    app.create_account("bfdi", "presse-en").await;
    let fake = FakeRemote::start().await;
    // No shared inbox: announcements then go to the person's own inbox.
    let mut doc = fake.actor_doc();
    doc.as_object_mut().unwrap().remove("endpoints");
    fake.set_actor_doc(doc);
    for account in ["press", "presse-en"] {
        let follow = fake.follow(&app.url(&format!("/users/{account}")));
        assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    }
    eventually(10, "both Accepts delivered", || async {
        (app.store.delivery_stats(None).await.unwrap().delivered == 2).then_some(())
    })
    .await;
    // A staff note about this person (as moderation will write them).
    let note = herold_store::AuditEntry::new("operator", "moderation.note", "remote_actor")
        .with_detail(serde_json::json!({ "about": fake.actor, "note": "asked for a correction" }));
    app.store.record_audit(note).await.unwrap();
    app.publish("press", "Öffentliche Mitteilung").await;

    eventually(10, "the Create delivered to the personal inbox", || async {
        (app.store.delivery_stats(None).await.unwrap().delivered == 3).then_some(())
    })
    .await;
    let data = herold_compliance::dsar::export(
        app.store.as_ref(),
        &shipped_policies(),
        &fake.actor,
        herold_domain::now_millis(),
    )
    .await
    .unwrap();
    assert_eq!(data.deliveries_to_them.len(), 1, "the Create");
    // Another person whose address merely starts the same is not this person.
    let prefix = &fake.actor[..fake.actor.len() - 2];
    let other = herold_compliance::dsar::export(
        app.store.as_ref(),
        &shipped_policies(),
        prefix,
        herold_domain::now_millis(),
    )
    .await
    .unwrap();
    assert!(
        other.follows.is_empty() && other.activities_to_them.is_empty() && other.audit_entries.is_empty()
    );
    assert!(
        herold_compliance::dsar::export(
            app.store.as_ref(),
            &shipped_policies(),
            &fake.base,
            herold_domain::now_millis()
        )
        .await
        .is_err(),
        "a server is not a person"
    );
    assert_eq!(data.follows.len(), 2);
    assert!(data.actor_cache.is_some());
    assert_eq!(data.activities_to_them.len(), 2, "the two Accepts");
    assert_eq!(data.audit_entries.len(), 1);
    let html = herold_compliance::dsar::summary_html(&fake.actor, &data);
    assert!(html.contains("@press (bfdi)") && html.contains("moderation.note"));
    assert!(!herold_tests::fixtures::columns_containing(&app.db, &fake.actor).await.is_empty());

    let policies =
        herold_compliance::policy::Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir()))
            .unwrap();
    let erasure =
        herold_compliance::dsar::erase(app.store.as_ref(), &policies, &fake.actor, "test").await.unwrap();
    assert_eq!(
        (
            erasure.follows_removed,
            erasure.actor_cache_removed,
            erasure.activities_removed,
            erasure.audit_payloads_erased
        ),
        (2, 1, 2, 1)
    );
    assert_eq!(erasure.deliveries_removed, 1, "the Create to their own inbox");
    let left = herold_tests::fixtures::columns_containing(&app.db, &fake.actor).await;
    assert!(left.is_empty(), "still found in {left:?}");
    let keys = &app.services.audit;
    let report =
        herold_compliance::audit::verify(app.store.as_ref(), &keys.seal, &keys.trusted, &[]).await.unwrap();
    assert_eq!(report.problem, None, "erasure keeps the audit trail verifiable");
    let last = app.store.audit_entries(0, 1000).await.unwrap().pop().unwrap();
    assert_eq!(last.leaf.action, "dsar.erase");
    assert!(!last.payload.unwrap().1.contains("mallory"), "the record of the erasure names nobody");
}

async fn legal_hold_keeps_what_it_holds(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    let mut policies =
        herold_compliance::policy::Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir()))
            .unwrap();
    policies.add_org(std::path::Path::new("orgs/bfdi.toml"), "legal_hold = true\n").unwrap();
    let erasure =
        herold_compliance::dsar::erase(app.store.as_ref(), &policies, &fake.actor, "test").await.unwrap();
    assert_eq!((erasure.follows_removed, erasure.follows_held), (0, 1));
    assert_eq!(
        herold_compliance::dsar::export(
            app.store.as_ref(),
            &shipped_policies(),
            &fake.actor,
            herold_domain::now_millis()
        )
        .await
        .unwrap()
        .follows
        .len(),
        1
    );
    assert!(
        herold_compliance::dsar::export(
            app.store.as_ref(),
            &shipped_policies(),
            "press",
            herold_domain::now_millis()
        )
        .await
        .is_err(),
        "subjects are actor URIs"
    );
}

on_both_backends!(export_finds_everything_and_erasure_leaves_nothing, legal_hold_keeps_what_it_holds);
