//! Interop with Fedify, an independent ActivityPub implementation: it follows, takes our
//! Accept, and verifies our Create, Update and Delete, once per signature scheme.

use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, Db};

async fn fedify_follows_and_verifies_in(
    db: Db,
    peer_knock: &str,
    our_scheme: &'static str,
    peer_label: &str,
) {
    let app =
        spawn_app_with(db, AppOptions { first_signature_scheme: our_scheme, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    let peer = Peer::start(peer_knock);
    let actor = app.url("/users/press");

    let follow_id = peer.follow(&actor).await;
    let accept = eventually(15, "Fedify to receive and verify our Accept", || async {
        peer.received_of("Accept").await.into_iter().next()
    })
    .await;
    assert_eq!(accept["actor"], actor);
    assert_eq!(accept["body"]["object"]["id"], follow_id, "the Accept references the Follow's id");
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);

    let a = app.publish("press", "Amtliche Bekanntmachung für das Fediverse").await;
    let note_id = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let create = eventually(15, "Fedify to verify our Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;
    assert_eq!(create["body"]["object"]["id"], note_id);
    assert_eq!(create["body"]["object"]["type"], "Note");
    assert_eq!(create["signatureScheme"], peer_label, "signed with {our_scheme}");

    let draft = herold_tests::TestApp::draft("Amtliche Bekanntmachung (berichtigt)");
    app.services.publisher.edit("press", &a.public_id, draft, "test").await.unwrap();
    app.services.deliverer.wake();
    let update = eventually(15, "Fedify to verify our Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    assert_eq!(update["body"]["object"]["id"], note_id);
    assert!(update["body"]["object"]["updated"].is_string());

    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
    app.services.deliverer.wake();
    let delete = eventually(15, "Fedify to verify our Delete", || async {
        peer.received_of("Delete").await.into_iter().next()
    })
    .await;
    assert_eq!(delete["body"]["object"]["type"], "Tombstone");
    assert_eq!(delete["body"]["object"]["id"], note_id);

    peer.unfollow(&actor).await;
    eventually(15, "the Undo to remove the follower", || async {
        (app.store.follower_count(account.id).await.unwrap() == 0).then_some(())
    })
    .await;
}

async fn fedify_interop_with_draft_cavage(db: Db) {
    fedify_follows_and_verifies_in(db, "draft-cavage-http-signatures-12", "draft-cavage-12", "draft-cavage")
        .await;
}

async fn fedify_interop_with_rfc9421(db: Db) {
    fedify_follows_and_verifies_in(db, "rfc9421", "rfc9421", "rfc9421").await;
}

on_both_backends!(fedify_interop_with_draft_cavage, fedify_interop_with_rfc9421);
