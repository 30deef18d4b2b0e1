//! What others may do with official announcements and accounts, as every document states
//! it (interaction policies, GoToSocial's vocabulary as Mastodon reads it), the replies
//! collection servers backfill threads from, and what a shared link previews.

use herold_domain::presence::{Presence, Presences, QuoteAudience};
use herold_federation::signatures::Scheme;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, spawn_app, Db, TestApp};
use serde_json::{json, Value};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Who a sub-policy approves automatically, in both of GoToSocial's vocabularies.
fn approved(policy: &Value, sub: &str) -> Value {
    let p = &policy[sub];
    assert_eq!(p["automaticApproval"], p["always"], "{sub}: both vocabularies say the same");
    p["automaticApproval"].clone()
}

async fn announcements_and_accounts_state_every_interaction_policy(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let a = app
        .publish(
            "press",
            "#Hochwasser: Lage unter (https://www.bund.example/lage?ort=1). Karte: https://b.example/k",
        )
        .await;
    let path = format!("/users/press/announcements/{}", a.public_id);
    let (status, note) = app.get_json(&path).await;
    assert_eq!(status, 200);
    let policy = &note["interactionPolicy"];
    for sub in ["canLike", "canReply", "canAnnounce", "canQuote"] {
        assert_eq!(approved(policy, sub), json!([PUBLIC]), "{sub} is explicit and open: {policy}");
    }
    // FEP-8967: the text's first link is the one to preview, beside the tag's link.
    let links: Vec<&Value> =
        note["attachment"].as_array().unwrap().iter().filter(|a| a["type"] == "Link").collect();
    assert_eq!(links.len(), 1, "{}", note["attachment"]);
    assert_eq!(links[0]["href"], "https://www.bund.example/lage?ort=1");
    assert_eq!(links[0]["mediaType"], "text/html");

    let replies = note["replies"].as_str().expect("a replies collection").to_owned();
    let (status, collection) = app.get_json(replies.trim_start_matches(&app.base)).await;
    assert_eq!(status, 200);
    assert_eq!(collection["id"], replies.as_str());
    assert_eq!(collection["totalItems"], 0);
    assert_eq!(collection["orderedItems"], json!([]));

    // The Create in the outbox carries the same Note.
    let (_, page) = app.get_json("/users/press/outbox?page=1").await;
    assert_eq!(page["orderedItems"][0]["object"]["interactionPolicy"], *policy);

    let (_, actor) = app.get_json("/users/press").await;
    assert_eq!(approved(&actor["interactionPolicy"], "canFeature"), json!([PUBLIC]));
    assert_eq!(actor["discoverable"], true);
    assert_eq!(actor["indexable"], true);
    assert!(actor.get("attributionDomains").is_none());
    let context = actor["@context"].to_string();
    for term in ["interactionPolicy", "canQuote", "canFeature", "automaticApproval", "attributionDomains"] {
        assert!(context.contains(&format!("\"{term}\"")), "{term} is defined in the context");
    }

    // Someone who shares the page's address sees a card that credits the account.
    let page = app.http.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    let host = app.base.trim_start_matches("http://");
    assert!(page.contains(&format!(r#"<meta name="fediverse:creator" content="@press@{host}">"#)), "{page}");
    assert!(page.contains(r#"<meta property="og:type" content="article">"#));
    assert!(page.contains(r##"property="og:description" content="#Hochwasser: Lage unter"##), "{page}");

    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
    let (status, _) = app.get_json(replies.trim_start_matches(&app.base)).await;
    assert_eq!(status, 410);
}

async fn an_organisations_presence_policy_reaches_its_documents(db: Db) {
    let policies = vec![
        (
            "bfdi",
            "[presence]\nquotes = \"nobody\"\ncollections = false\n\
             attribution_domains = [\"www.bfdi.bund.de\", \"Presse.BfDI.bund.de\"]\n",
        ),
        ("stadt", "[presence]\nquotes = \"followers\"\ndiscoverable = false\n"),
    ];
    let app = spawn_app_with(db, AppOptions { policies, ..AppOptions::default() }).await;
    app.create_account("bfdi", "bfdi").await;
    app.create_account("stadt", "stadt").await;

    let a = app.publish("bfdi", "Tätigkeitsbericht 2026").await;
    let (_, note) = app.get_json(&format!("/users/bfdi/announcements/{}", a.public_id)).await;
    let actor_id = app.url("/users/bfdi");
    assert_eq!(approved(&note["interactionPolicy"], "canQuote"), json!([actor_id]), "nobody but the author");
    assert_eq!(approved(&note["interactionPolicy"], "canReply"), json!([PUBLIC]));
    assert!(note.get("attachment").is_none(), "no link, no preview: {note}");
    let (_, actor) = app.get_json("/users/bfdi").await;
    assert_eq!(approved(&actor["interactionPolicy"], "canFeature"), json!([actor_id]));
    assert_eq!(actor["attributionDomains"], json!(["www.bfdi.bund.de", "presse.bfdi.bund.de"]));
    assert_eq!(actor["discoverable"], true);

    let a = app.publish("stadt", "Straßensperrung").await;
    let (_, note) = app.get_json(&format!("/users/stadt/announcements/{}", a.public_id)).await;
    assert_eq!(approved(&note["interactionPolicy"], "canQuote"), json!([app.url("/users/stadt/followers")]));
    let (_, actor) = app.get_json("/users/stadt").await;
    assert_eq!(actor["discoverable"], false);
    assert_eq!(actor["indexable"], false);
    // Kept out of directories, kept out of others' collections too.
    assert_eq!(approved(&actor["interactionPolicy"], "canFeature"), json!([app.url("/users/stadt")]));
}

/// A QuoteRequest as Mastodon sends it: the quote post embedded as its instrument.
fn quote_request(fake: &FakeRemote, quoted: &str, note: &str, quotes: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"}],
        "id": format!("{note}/quote"), "type": "QuoteRequest", "actor": fake.actor, "object": quoted,
        "instrument": {
            "id": note, "type": "Note", "attributedTo": fake.actor, "quote": quotes,
            "content": "<p>Wichtig!</p><span class=\"quote-inline\"><br/>RE: …</span>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })
}

/// The answer (Accept or Reject) the fake server received to request `id`.
async fn answer_to(fake: &FakeRemote, id: &Value) -> Value {
    eventually(10, "the answer to the request", || async {
        fake.received().into_iter().map(|r| r.json()).find(|a| a["object"]["id"] == *id)
    })
    .await
}

fn path_of<'a>(app: &TestApp, url: &'a str) -> &'a str {
    url.strip_prefix(&app.base).expect("a URL of ours")
}

async fn quote_requests_are_answered_by_policy_and_revoked_with_the_announcement(db: Db) {
    let policies = vec![("stadt", "[presence]\nquotes = \"followers\"\ncollections = false\n")];
    let app = spawn_app_with(db, AppOptions { policies, ..AppOptions::default() }).await;
    app.create_account("bfdi", "press").await;
    app.create_account("stadt", "stadt").await;
    let fake = FakeRemote::start().await;
    let a = app.publish("press", "Neue Leitlinien zum Datenschutz").await;
    let quoted = app.url(&format!("/users/press/announcements/{}", a.public_id));

    // Everyone may quote the BfDI's announcements: an Accept carrying a stamp.
    let note = format!("{}/notes/1", fake.base);
    let request = quote_request(&fake, &quoted, &note, &quoted);
    assert_eq!(fake.post_json(&app.url("/users/press/inbox"), &request, Scheme::Cavage).await.status(), 202);
    let accept = answer_to(&fake, &request["id"]).await;
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["actor"], app.url("/users/press"));
    assert_eq!(accept["to"], json!([fake.actor]));
    assert_eq!(accept["object"]["type"], "QuoteRequest");
    assert_eq!(accept["object"]["instrument"], note.as_str(), "the quote by id, not a copy");
    let stamp_url = accept["result"].as_str().expect("a stamp").to_owned();
    let (status, stamp) = app.get_json(path_of(&app, &stamp_url)).await;
    assert_eq!(status, 200);
    assert_eq!(stamp["type"], "QuoteAuthorization");
    assert_eq!(stamp["id"], stamp_url.as_str());
    assert_eq!(stamp["attributedTo"], app.url("/users/press"));
    assert_eq!(stamp["interactingObject"], note.as_str());
    assert_eq!(stamp["interactionTarget"], quoted.as_str());

    // Asked again for the same post (a retry with a new id): the same stamp.
    let mut retry = request.clone();
    retry["id"] = json!(format!("{note}/quote-again"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &retry, Scheme::Rfc9421).await.status(), 202);
    assert_eq!(answer_to(&fake, &retry["id"]).await["result"], stamp_url.as_str());

    // A post that quotes something else, or someone else's post, gets no stamp.
    let elsewhere = quote_request(&fake, &quoted, &format!("{}/notes/2", fake.base), "https://x.example/1");
    fake.post_json(&app.url("/users/press/inbox"), &elsewhere, Scheme::Cavage).await;
    let reject = answer_to(&fake, &elsewhere["id"]).await;
    assert_eq!(reject["type"], "Reject");
    assert!(reject.get("result").is_none());
    let mut foreign = quote_request(&fake, &quoted, &format!("{}/notes/3", fake.base), &quoted);
    foreign["instrument"]["attributedTo"] = json!("https://other.example/users/eve");
    fake.post_json(&app.url("/users/press/inbox"), &foreign, Scheme::Cavage).await;
    assert_eq!(answer_to(&fake, &foreign["id"]).await["type"], "Reject");

    // Given by id only, the quote post is fetched from its server.
    let fetched_note = format!("{}/notes/4", fake.base);
    fake.serve(
        "/notes/4",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fetched_note, "type": "Note",
               "attributedTo": fake.actor, "quote": quoted, "content": "<p>Siehe</p>"}),
    );
    let mut by_id = quote_request(&fake, &quoted, &fetched_note, &quoted);
    by_id["instrument"] = json!(fetched_note);
    fake.post_json(&app.url("/users/press/inbox"), &by_id, Scheme::Cavage).await;
    assert_eq!(answer_to(&fake, &by_id["id"]).await["type"], "Accept");
    assert!(fake.fetched().contains(&"/notes/4".to_owned()));

    // The city lets only its followers quote.
    let s = app.publish("stadt", "Straßensperrung Hauptstraße").await;
    let city_post = app.url(&format!("/users/stadt/announcements/{}", s.public_id));
    let stranger = quote_request(&fake, &city_post, &format!("{}/notes/5", fake.base), &city_post);
    fake.post_json(&app.url("/users/stadt/inbox"), &stranger, Scheme::Cavage).await;
    assert_eq!(answer_to(&fake, &stranger["id"]).await["type"], "Reject", "not a follower");
    let follow = fake.follow(&app.url("/users/stadt"));
    assert_eq!(fake.post_json(&app.url("/users/stadt/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    let follower = quote_request(&fake, &city_post, &format!("{}/notes/6", fake.base), &city_post);
    fake.post_json(&app.url("/users/stadt/inbox"), &follower, Scheme::Cavage).await;
    assert_eq!(answer_to(&fake, &follower["id"]).await["type"], "Accept", "a follower");

    // Retracting the announcement takes its consents back: a Delete of each stamp.
    app.services.publisher.retract("press", &a.public_id, "test", None).await.unwrap();
    let revoked = eventually(10, "the stamp's Delete", || async {
        fake.received()
            .into_iter()
            .map(|r| r.json())
            .find(|d| d["type"] == "Delete" && d["object"] == stamp_url)
    })
    .await;
    assert_eq!(revoked["actor"], app.url("/users/press"));
    let (status, gone) = app.get_json(path_of(&app, &stamp_url)).await;
    assert_eq!((status, gone["type"].as_str()), (410, Some("Tombstone")));
    let deletes = fake.received().iter().filter(|r| r.json()["type"] == "Delete").count();
    assert_eq!(deletes, 2, "both stamps of the announcement (embedded and fetched quote)");
}

async fn feature_requests_are_answered_by_policy(db: Db) {
    let policies = vec![("stadt", "[presence]\ncollections = false\n")];
    let app = spawn_app_with(db, AppOptions { policies, ..AppOptions::default() }).await;
    app.create_account("bfdi", "press").await;
    app.create_account("stadt", "stadt").await;
    let fake = FakeRemote::start().await;
    let collection = format!("{}/collections/behoerden", fake.base);
    fake.serve(
        "/collections/behoerden",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": collection,
               "type": "FeaturedCollection", "name": "Behörden im Fediverse", "attributedTo": fake.actor,
               "orderedItems": []}),
    );
    let request = |target: &str| {
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{collection}/requests/{}", uuid::Uuid::new_v4()),
               "type": "FeatureRequest", "actor": fake.actor, "object": target, "instrument": collection})
    };
    let to_bfdi = request(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/users/press/inbox"), &to_bfdi, Scheme::Cavage).await.status(), 202);
    let accept = answer_to(&fake, &to_bfdi["id"]).await;
    assert_eq!(accept["type"], "Accept");
    let stamp_url = accept["result"].as_str().expect("a stamp").to_owned();
    let (status, stamp) = app.get_json(path_of(&app, &stamp_url)).await;
    assert_eq!(status, 200);
    assert_eq!(stamp["type"], "FeatureAuthorization");
    assert_eq!(stamp["interactingObject"], collection.as_str());
    assert_eq!(stamp["interactionTarget"], app.url("/users/press"));

    let to_city = request(&app.url("/users/stadt"));
    fake.post_json(&app.url("/users/stadt/inbox"), &to_city, Scheme::Cavage).await;
    assert_eq!(answer_to(&fake, &to_city["id"]).await["type"], "Reject", "the city keeps out of collections");

    // A request whose id is on another server than its sender is dropped unanswered.
    let mut spoofed = request(&app.url("/users/press"));
    spoofed["id"] = json!("https://other.example/requests/1");
    assert_eq!(fake.post_json(&app.url("/users/press/inbox"), &spoofed, Scheme::Cavage).await.status(), 202);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(fake.received().iter().all(|r| r.json()["object"]["id"] != spoofed["id"]));
}

/// A body that stops allowing quotes (or leaves collections) takes back what it gave: at
/// the next start, each stamp is deleted and the quoting server told.
async fn consents_a_changed_policy_no_longer_allows_are_taken_back(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let a = app.publish("press", "Jahresbericht").await;
    let quoted = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let quote = quote_request(&fake, &quoted, &format!("{}/notes/1", fake.base), &quoted);
    fake.post_json(&app.url("/users/press/inbox"), &quote, Scheme::Cavage).await;
    let quote_stamp = answer_to(&fake, &quote["id"]).await["result"].as_str().unwrap().to_owned();
    let collection = format!("{}/collections/1", fake.base);
    fake.serve(
        "/collections/1",
        json!({"id": collection, "type": "FeaturedCollection", "attributedTo": fake.actor}),
    );
    let feature = json!({"id": format!("{collection}/requests/1"), "type": "FeatureRequest", "actor": fake.actor,
                         "object": app.url("/users/press"), "instrument": collection});
    fake.post_json(&app.url("/users/press/inbox"), &feature, Scheme::Cavage).await;
    let feature_stamp = answer_to(&fake, &feature["id"]).await["result"].as_str().unwrap().to_owned();

    let publisher = &app.services.publisher;
    let unchanged = Presences::default();
    assert_eq!(publisher.withdraw_consents_beyond(&unchanged).await.unwrap(), 0, "still allowed");
    let closed = Presence { quotes: QuoteAudience::Nobody, ..Presence::default() };
    let changed = Presences::new([("bfdi".to_owned(), closed)].into());
    assert_eq!(publisher.withdraw_consents_beyond(&changed).await.unwrap(), 1, "the quote, not the feature");
    eventually(10, "the quote stamp's Delete", || async {
        fake.received()
            .into_iter()
            .find(|r| r.json()["type"] == "Delete" && r.json()["object"] == quote_stamp)
    })
    .await;
    assert_eq!(app.get_json(path_of(&app, &quote_stamp)).await.0, 410);
    assert_eq!(app.get_json(path_of(&app, &feature_stamp)).await.0, 200);
    let revocations = app
        .store
        .audit_count(&herold_store::AuditFilter {
            action: Some("consent.revoke".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(revocations, 1, "audited once for the account");
}

/// Pinned announcements are what the `featured` collection holds, whole; followers hear of
/// each pin and unpin once; five at most; the profile shows them first.
async fn pins_are_featured_limited_and_told_once(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/users/press/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    let mut published = Vec::new();
    for n in 0..6 {
        published.push(app.publish("press", &format!("Mitteilung {n}")).await.public_id);
    }
    let publisher = &app.services.publisher;
    assert!(publisher.pin("press", &published[0], true, "test").await.unwrap());
    assert!(!publisher.pin("press", &published[0], true, "test").await.unwrap(), "already pinned");
    let added = eventually(10, "the Add", || async {
        fake.received().into_iter().map(|r| r.json()).find(|a| a["type"] == "Add")
    })
    .await;
    assert_eq!(added["object"], app.url(&format!("/users/press/announcements/{}", published[0])));
    assert_eq!(added["target"], app.url("/users/press/featured"));
    let (_, featured) = app.get_json("/users/press/featured").await;
    assert_eq!(featured["totalItems"], 1);
    assert_eq!(featured["orderedItems"][0]["type"], "Note");
    assert_eq!(featured["orderedItems"][0]["content"], "<p>Mitteilung 0</p>");

    for id in &published[1..5] {
        assert!(publisher.pin("press", id, true, "test").await.unwrap());
    }
    let sixth = publisher.pin("press", &published[5], true, "test").await;
    assert!(
        matches!(sixth, Err(herold_publishing::PublishError::Store(herold_store::StoreError::Conflict(_)))),
        "{sixth:?}"
    );
    let page = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<h2>Pinned</h2>") || page.contains("<h2>Angeheftet</h2>"), "{page}");

    assert!(publisher.pin("press", &published[0], false, "test").await.unwrap());
    eventually(10, "the Remove", || async {
        fake.received().into_iter().map(|r| r.json()).find(|a| a["type"] == "Remove")
    })
    .await;
    publisher.retract("press", &published[1], "test", None).await.unwrap();
    let (_, featured) = app.get_json("/users/press/featured").await;
    assert_eq!(featured["totalItems"], 3, "unpinned and retracted ones leave");
    let adds = fake.received().iter().filter(|r| r.json()["type"] == "Add").count();
    assert_eq!(adds, 5, "one Add per pin, none for the repeat or the refused sixth");
}

on_both_backends!(
    announcements_and_accounts_state_every_interaction_policy,
    an_organisations_presence_policy_reaches_its_documents,
    quote_requests_are_answered_by_policy_and_revoked_with_the_announcement,
    feature_requests_are_answered_by_policy,
    consents_a_changed_policy_no_longer_allows_are_taken_back,
    pins_are_featured_limited_and_told_once,
);
