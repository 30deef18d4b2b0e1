//! What others may do with official announcements and accounts, as every document states
//! it (interaction policies, GoToSocial's vocabulary as Mastodon reads it), the replies
//! collection servers backfill threads from, and what a shared link previews.

use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{spawn_app, Db};
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

on_both_backends!(
    announcements_and_accounts_state_every_interaction_policy,
    an_organisations_presence_policy_reaches_its_documents,
);
