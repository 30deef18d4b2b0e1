//! Interop with Fedify, an independent ActivityPub implementation: it follows, takes our
//! Accept, and verifies our Create, Update and Delete, once per signature scheme.

use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app, spawn_app_with, AppOptions};
use herold_tests::{eventually, Db};
use serde_json::json;

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
    // The Create carries an integrity proof by the account's Ed25519 key, which Fedify
    // verifies on its own (fetching the key from the actor), and which breaks on any change.
    let raw = &create["raw"];
    assert_eq!(raw["proof"]["cryptosuite"], "eddsa-jcs-2022", "{raw}");
    assert_eq!(raw["proof"]["verificationMethod"], format!("{actor}#ed25519-key"));
    peer.verify_object(raw).await.unwrap_or_else(|e| panic!("Fedify does not verify our proof: {e}\n{raw}"));
    let mut tampered = raw.clone();
    tampered["object"]["content"] = serde_json::json!("<p>Gefälscht</p>");
    assert!(peer.verify_object(&tampered).await.is_err(), "a changed text still verified");

    let draft = herold_tests::TestApp::draft("Amtliche Bekanntmachung (berichtigt)");
    app.services.publisher.edit("press", &a.public_id, draft, "test").await.unwrap();
    let update = eventually(15, "Fedify to verify our Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    assert_eq!(update["body"]["object"]["id"], note_id);
    assert!(update["body"]["object"]["updated"].is_string());

    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
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

/// An announcement that mentions the Fedify peer's account (found by WebFinger) reaches it
/// although it follows nobody, with a `Mention` it can match; hashtags link to a public tag
/// page and travel as `Hashtag`s. An address nobody answers for is refused with a message
/// for the author, and nothing is published.
/// With Ed25519 first (`rfc9421-ed25519`): Fedify 1.10 looks for the keys of RFC 9421
/// signatures only in `publicKey` (where Herold keeps RSA, since Pleroma and Akkoma read it
/// as one object), not in `assertionMethod` where Mastodon 4.7 finds them, so it refuses.
/// Herold knocks once more with RSA, and remembers: the Create goes with RSA at once.
async fn a_refused_ed25519_signature_falls_back_to_rsa_and_is_remembered(db: Db) {
    let options = AppOptions { first_signature_scheme: "rfc9421-ed25519", ..AppOptions::default() };
    let app = spawn_app_with(db, options).await;
    app.create_account("bfdi", "press").await;
    let peer = Peer::start("rfc9421");
    let actor = app.url("/users/press");
    peer.follow(&actor).await;
    eventually(15, "Fedify to verify our Accept", || async {
        peer.received_of("Accept").await.into_iter().next()
    })
    .await;
    app.publish("press", "Bekanntmachung").await;
    eventually(15, "Fedify to verify our Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;
    let log = peer.inbox_log().await;
    let input =
        |e: &serde_json::Value| e["headers"]["signature-input"].as_str().unwrap_or_default().to_owned();
    let requests: Vec<(String, bool, bool)> = log
        .iter()
        .filter(|e| matches!(e["activityType"].as_str(), Some("Accept" | "Create")))
        .map(|e| {
            (
                e["activityType"].as_str().unwrap().to_owned(),
                e["recorded"] == true,
                input(e).contains("alg=\"ed25519\""),
            )
        })
        .collect();
    assert_eq!(
        requests,
        [("Accept".into(), false, true), ("Accept".into(), true, false), ("Create".into(), true, false)],
        "Ed25519 refused, RSA taken and remembered: {log:#?}"
    );
    let first = log.iter().find(|e| e["activityType"] == "Accept").unwrap();
    assert!(input(first).contains(&format!("keyid=\"{actor}#ed25519-key\"")), "{first:#}");
}

/// An RFC 9421 implementation of its own (http-message-signatures, from PyPI, in the
/// Python peer) verifies Herold's Ed25519 signatures with the key of the actor's
/// `assertionMethod`, as Mastodon 4.7 finds it, at the first request; a changed body fails.
async fn an_independent_rfc9421_implementation_verifies_ed25519_signatures(db: Db) {
    let options = AppOptions { first_signature_scheme: "rfc9421-ed25519", ..AppOptions::default() };
    let app = spawn_app_with(db, options).await;
    app.create_account("bfdi", "press").await;
    let peer = herold_tests::bovine::BovinePeer::start();
    let actor = app.url("/users/press");
    peer.follow(&actor).await;
    app.publish("press", "Bekanntmachung, mit Ed25519 signiert").await;
    let signatures = eventually(15, "the peer to verify our Accept and Create", || async {
        let s = peer.signatures().await;
        (s.len() == 2).then_some(s)
    })
    .await;
    for (signature, kind) in signatures.iter().zip(["Accept", "Create"]) {
        assert_eq!(signature["type"], kind);
        assert_eq!(signature["alg"], "ed25519", "{signature}");
        assert_eq!(signature["checker"], "http-message-signatures");
    }
    // The same signature over another body: refused (Herold's request, replayed and changed).
    let url = format!("{}/inbox", peer.base());
    let key = herold_federation::keys::generate_ed25519().unwrap();
    let forger =
        herold_federation::integrity::ProofKey::from_pkcs8(format!("{actor}#ed25519-key"), &key.pkcs8_der)
            .unwrap();
    let body = json!({"id": format!("{actor}#forged"), "type": "Create", "actor": actor}).to_string();
    let parsed = url::Url::parse(&url).unwrap();
    let digest = herold_federation::signatures::BodyDigest::of(body.as_bytes());
    let now = herold_domain::now_millis() / 1000;
    let plan = herold_federation::signatures::SigningPlan::new(
        herold_federation::signatures::Scheme::Rfc9421Ed25519,
        forger.key_id(),
        "POST",
        &parsed,
        Some(&digest),
        now,
    );
    let signature = forger.sign_message(plan.base.as_bytes());
    let mut request =
        reqwest::Client::new().post(&url).header("content-type", "application/activity+json").body(body);
    for (name, value) in plan.finish(&signature) {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 401, "a key that is not the actor's");
    assert_eq!(peer.signatures().await.len(), 2);
}

async fn fedify_is_mentioned_and_hashtags_have_pages(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let peer = Peer::start("rfc9421");
    let peer_actor = peer.actor();
    let peer_host = peer_actor.split('/').nth(2).unwrap().to_owned();
    let handle = format!("@peer@{peer_host}");

    let text = format!(
        "Hinweis für {handle}: #Hochwasser und #Klima, siehe https://bfdi.example/x.\n\n#hochwasser @press"
    );
    let a = app.publish("press", &text).await;
    assert_eq!(a.body.mentions.len(), 2, "the peer and our own account: {:?}", a.body.mentions);
    assert!(
        a.body.content_html.contains(&format!("href=\"{peer_actor}\" class=\"u-url mention\"")),
        "{}",
        a.body.content_html
    );
    assert!(a.body.content_html.contains("class=\"mention hashtag\" rel=\"tag\">#<span>Hochwasser</span>"));

    let create = eventually(15, "Fedify, mentioned but not following, to receive the Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;
    let note = &create["body"]["object"];
    let tags = note["tag"].as_array().expect("tag array");
    let mention = tags.iter().find(|t| t["type"] == "Mention").expect("a Mention");
    assert_eq!(mention["href"], peer_actor.as_str());
    assert_eq!(mention["name"], handle.as_str());
    let hashtags: Vec<&str> =
        tags.iter().filter(|t| t["type"] == "Hashtag").map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(hashtags, ["#Hochwasser", "#Klima"], "each tag once, as first written");
    assert!(note["cc"].as_array().unwrap().iter().any(|c| c == peer_actor.as_str()), "the peer is addressed");
    assert!(create["body"]["cc"].as_array().unwrap().iter().any(|c| c == peer_actor.as_str()));

    let page = app.http.get(app.url("/tags/hochwasser")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&a.public_id), "the tag page lists the announcement");
    let other = app.http.get(app.url("/tags/wahl")).send().await.unwrap().text().await.unwrap();
    assert!(!other.contains(&a.public_id) && other.contains("No announcements carry this tag"));
    assert_eq!(app.http.get(app.url("/tags/2026")).send().await.unwrap().status().as_u16(), 404);

    let mut draft = herold_tests::TestApp::draft(&format!("Hallo @niemand@{peer_host} und @fehlt"));
    let err = app.services.publisher.publish("press", draft.clone(), "test").await.unwrap_err();
    assert!(err.to_string().contains(&format!("@niemand@{peer_host}")), "{err}");
    draft = herold_tests::TestApp::draft("Hallo @fehlt");
    let err = app.services.publisher.publish("press", draft, "test").await.unwrap_err();
    assert!(err.to_string().contains("no such account"), "{err}");
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    assert_eq!(app.store.announcement_count(account.id).await.unwrap(), 1, "refused drafts publish nothing");

    // The mentioned person's data request finds the announcement; erasure leaves the
    // official text to the editorial workflow and says so.
    let now = herold_domain::now_millis();
    let data = herold_compliance::dsar::export(app.store.as_ref(), &app.services.policies, &peer_actor, now)
        .await
        .unwrap();
    assert!(data.mentioned_in.iter().any(|m| m.kind == "announcement" && m.id == a.public_id), "{data:?}");
    let erasure =
        herold_compliance::dsar::erase(app.store.as_ref(), &app.services.policies, &peer_actor, "test")
            .await
            .unwrap();
    assert_eq!(erasure.mentions_for_review, 1);

    // The retraction reaches the mentioned account after the delivery records are gone (as
    // retention removes them after a month): mentions are addressed from the announcement.
    herold_tests::fixtures::execute(&app.db, "DELETE FROM deliveries").await;
    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
    let delete = eventually(15, "Fedify, mentioned, to receive the Delete", || async {
        peer.received_of("Delete").await.into_iter().next()
    })
    .await;
    assert_eq!(
        delete["body"]["object"]["id"],
        app.url(&format!("/users/press/announcements/{}", a.public_id))
    );
    let page = app.http.get(app.url("/tags/hochwasser")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains(&a.public_id), "a retracted announcement leaves the tag page");
}

/// Rotating an account's keys (`herold account rotate-keys`) keeps its followers: Fedify is
/// told with an Update of the actor, and verifies what comes after with the new keys.
async fn fedify_keeps_following_across_a_key_rotation(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let actor = app.url("/users/press");
    peer.follow(&actor).await;
    eventually(15, "the follow", || async {
        (app.store.follower_count(account.id).await.unwrap() == 1).then_some(())
    })
    .await;
    app.publish("press", "Vor dem Schlüsselwechsel").await;
    eventually(15, "Fedify to verify the first Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;

    let username = herold_domain::Username::parse("press").unwrap();
    let presence = herold_domain::presence::Presence::default();
    let s = &app.services;
    let rotated = herold_publishing::accounts::rotate_keys(
        s.store.as_ref(),
        &s.kek,
        &s.urls,
        &presence,
        &username,
        "test",
    )
    .await
    .unwrap();
    assert_ne!(rotated.public_key_pem, account.public_key_pem);
    assert_ne!(rotated.proof_key_public, account.proof_key_public);
    let update = eventually(15, "Fedify to verify the actor's Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    assert_eq!(update["raw"]["object"]["publicKey"]["publicKeyPem"], rotated.public_key_pem.as_str());
    assert!(update["raw"]["@context"].to_string().contains("multikey"), "the Multikey's terms are defined");
    peer.verify_object(&update["raw"])
        .await
        .unwrap_or_else(|e| panic!("the Update's proof, by the new key: {e}"));

    app.publish("press", "Nach dem Schlüsselwechsel").await;
    let after = eventually(15, "Fedify to verify a Create signed with the new key", || async {
        peer.received_of("Create").await.into_iter().nth(1)
    })
    .await;
    assert!(after["raw"]["object"]["content"].as_str().unwrap().contains("Nach dem"));
    peer.verify_object(&after["raw"]).await.unwrap_or_else(|e| panic!("the new proof key: {e}"));
}

/// The same story against a second implementation, bovine (Python): it verifies every
/// signature of ours with its own checker and our integrity proofs with its own JCS, and it
/// asks to quote an announcement and to feature the account.
async fn bovine_follows_quotes_features_and_verifies(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let peer = herold_tests::bovine::BovinePeer::start();
    let actor = app.url("/users/press");

    let follow_id = peer.follow(&actor).await;
    let accept = eventually(15, "bovine to verify our Accept", || async {
        peer.received_of("Accept").await.into_iter().next()
    })
    .await;
    assert_eq!(accept["object"]["id"], follow_id.as_str());
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);

    let a = app.publish("press", "Amtliche Bekanntmachung, auch für Python-Server").await;
    let note_id = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let create = eventually(15, "bovine to verify our Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;
    assert_eq!(create["object"]["id"], note_id.as_str());
    peer.verify_proof(&create).await.unwrap_or_else(|e| panic!("bovine does not verify our proof: {e}"));
    let mut tampered = create.clone();
    tampered["object"]["content"] = json!("<p>Gefälscht</p>");
    assert!(peer.verify_proof(&tampered).await.is_err(), "a changed text still verified");

    // It asks to quote the announcement, embedding its quote post, and gets a stamp.
    let quote_post = format!("{}/notes/1", peer.base());
    let request = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{quote_post}/quote-request"), "type": "QuoteRequest", "actor": peer.actor(),
        "object": note_id, "instrument": {"id": quote_post, "type": "Note", "attributedTo": peer.actor(),
            "quote": note_id, "content": "<p>Bitte beachten</p>"},
    });
    peer.send(&actor, request.clone()).await;
    let answer = eventually(15, "bovine to verify the answer to its QuoteRequest", || async {
        peer.received_of("Accept").await.into_iter().find(|a| a["object"]["id"] == request["id"])
    })
    .await;
    let stamp = answer["result"].as_str().expect("a stamp").to_owned();
    let (status, doc) = app.get_json(stamp.strip_prefix(&app.base).unwrap()).await;
    assert_eq!((status, doc["type"].as_str()), (200, Some("QuoteAuthorization")));

    // And to feature the account in a collection of its own.
    let feature = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/collections/1/requests/1", peer.base()), "type": "FeatureRequest",
        "actor": peer.actor(), "object": actor,
        "instrument": {"id": format!("{}/collections/1", peer.base()), "type": "FeaturedCollection",
            "attributedTo": peer.actor()},
    });
    peer.send(&actor, feature.clone()).await;
    eventually(15, "bovine to verify the answer to its FeatureRequest", || async {
        peer.received_of("Accept").await.into_iter().find(|a| a["object"]["id"] == feature["id"])
    })
    .await;

    let draft = herold_tests::TestApp::draft("Amtliche Bekanntmachung (berichtigt)");
    app.services.publisher.edit("press", &a.public_id, draft, "test").await.unwrap();
    let update = eventually(15, "bovine to verify our Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    peer.verify_proof(&update).await.unwrap();
    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
    let deletes = eventually(15, "bovine to verify our Delete and the stamp's", || async {
        let deletes = peer.received_of("Delete").await;
        (deletes.len() == 2).then_some(deletes)
    })
    .await;
    assert!(deletes.iter().any(|d| d["object"]["type"] == "Tombstone"));
    assert!(deletes.iter().any(|d| d["object"] == stamp.as_str()), "the stamp is revoked");

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{follow_id}/undo"), "type": "Undo", "actor": peer.actor(),
        "object": {"id": follow_id, "type": "Follow", "actor": peer.actor(), "object": actor},
    });
    peer.send(&actor, undo).await;
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
}

on_both_backends!(
    a_refused_ed25519_signature_falls_back_to_rsa_and_is_remembered,
    an_independent_rfc9421_implementation_verifies_ed25519_signatures,
    fedify_interop_with_draft_cavage,
    fedify_interop_with_rfc9421,
    fedify_is_mentioned_and_hashtags_have_pages,
    bovine_follows_quotes_features_and_verifies,
    fedify_keeps_following_across_a_key_rotation,
);
