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
        (app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered
            == 2)
            .then_some(())
    })
    .await;
    // A staff note about this person (as moderation will write them).
    let note = herold_store::AuditEntry::new("operator", "moderation.note", "remote_actor")
        .with_detail(serde_json::json!({ "about": fake.actor, "note": "asked for a correction" }));
    app.store.record_audit(note).await.unwrap();
    app.publish("press", "Öffentliche Mitteilung").await;

    eventually(10, "the Create delivered to the personal inbox", || async {
        (app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered
            == 3)
            .then_some(())
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
    // What a held organisation keeps is disclosed too, however old: an access request answers
    // with everything still held.
    let note = herold_store::AuditEntry::new("operator", "moderation.note", "remote_actor")
        .in_org("bfdi")
        .with_detail(serde_json::json!({ "about": fake.actor }));
    app.store.record_audit(note).await.unwrap();
    let in_twenty_years = herold_domain::now_millis() + 20 * 365 * 86_400_000;
    let export_then = |policies| {
        let (store, actor) = (app.store.clone(), fake.actor.clone());
        async move { herold_compliance::dsar::export(store.as_ref(), &policies, &actor, in_twenty_years).await }
    };
    let held = export_then(policies.clone()).await.unwrap();
    assert!(held.audit_entries.iter().any(|e| e.action == "moderation.note"), "held: {held:?}");
    let expired = export_then(shipped_policies()).await.unwrap();
    assert!(!expired.audit_entries.iter().any(|e| e.action == "moderation.note"), "expired without the hold");
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

/// The relay's own messages about a server's actor are that actor's data too: the Reject of
/// its subscription, the Follow the relay sent back and that Follow's Undo.
async fn erasure_covers_the_relays_messages(db: Db) {
    let options = herold_tests::spawn::AppOptions {
        env: vec![("HEROLD_RELAY_MODE", "approval".into())],
        ..Default::default()
    };
    let app = herold_tests::spawn::spawn_app_with(db, options).await;
    let relay = app.url("/relay");
    let inbox = app.url("/relay/inbox");
    let public = "https://www.w3.org/ns/activitystreams#Public";

    // Rejected: the relay's Reject names the actor.
    let rejected = FakeRemote::start().await;
    let follow = serde_json::json!({ "id": rejected.new_id(), "type": "Follow", "actor": rejected.actor, "object": public });
    assert_eq!(rejected.post_json(&inbox, &follow, Scheme::Cavage).await.status(), 202);
    assert!(app.services.relay.reject(&rejected.actor, "operator", None).await.unwrap());

    // A LitePub publisher: approved (Accept), followed back (Follow), then it leaves (Undo).
    let publisher = FakeRemote::start().await;
    // Listed by its server's name: the list is the operator's configuration, not the person's.
    assert!(app.services.relay.add_publisher("127.0.0.1", "operator").await.unwrap());
    let follow = serde_json::json!({ "id": publisher.new_id(), "type": "Follow", "actor": publisher.actor, "object": relay });
    assert_eq!(publisher.post_json(&inbox, &follow, Scheme::Cavage).await.status(), 202);
    app.services.relay.approve(&publisher.actor, "operator").await.unwrap().expect("was pending");
    let undo = serde_json::json!({ "id": publisher.new_id(), "type": "Undo", "actor": publisher.actor, "object": follow });
    assert_eq!(publisher.post_json(&inbox, &undo, Scheme::Cavage).await.status(), 202);

    let policies = shipped_policies();
    let now = herold_domain::now_millis();
    let data =
        herold_compliance::dsar::export(app.store.as_ref(), &policies, &rejected.actor, now).await.unwrap();
    let kinds = |d: &herold_store::SubjectData| {
        let mut k: Vec<String> = d.activities_to_them.iter().map(|a| a.kind.clone()).collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&data), vec!["Reject"]);
    let data =
        herold_compliance::dsar::export(app.store.as_ref(), &policies, &publisher.actor, now).await.unwrap();
    assert_eq!(kinds(&data), vec!["Accept", "Follow", "Undo"]);

    for actor in [&rejected.actor, &publisher.actor] {
        herold_compliance::dsar::erase(app.store.as_ref(), &policies, actor, "test").await.unwrap();
        let left = herold_tests::fixtures::columns_containing(&app.db, actor).await;
        assert!(left.is_empty(), "{actor} still found in {left:?}");
    }
}

on_both_backends!(
    export_finds_everything_and_erasure_leaves_nothing,
    legal_hold_keeps_what_it_holds,
    erasure_covers_the_relays_messages
);
