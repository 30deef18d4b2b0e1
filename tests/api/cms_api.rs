//! The JSON API for content-management systems: bearer tokens from the organisation's own
//! provider (client credentials, the real development provider), limited to the
//! organisation and to the roles its policy grants the client.

use herold_domain::workflow::DraftState;
use herold_tests::oidc::OidcProvider;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::{Db, TestApp};
use serde_json::{json, Value};

/// The development provider issues API tokens for `http://localhost:8080/api` (its
/// default Herold); the policy names that audience, as a deployment behind another name
/// would.
const API_POLICY: &str =
    "[api]\naudience = \"http://localhost:8080/api\"\n\n[api.clients]\n\"herold-demo-cms\" = [\"author\"]\n";

async fn cms_token(provider: &OidcProvider) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/token", provider.issuer()))
        .basic_auth("herold-demo-cms", Some("herold-demo-cms-dev-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "publish"),
            ("resource", "http://localhost:8080/api"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("no token: {body}")).to_owned()
}

async fn a_cms_writes_drafts_that_people_approve(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![
        SignIn { org: "demo", issuer: provider.issuer(), extra_policy: API_POLICY, discovery_url: None },
        SignIn { org: "other", issuer: provider.issuer(), extra_policy: "", discovery_url: None },
    ];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    app.create_account("other", "elsewhere").await;
    let http = reqwest::Client::new();
    let token = cms_token(&provider).await;
    let api = |path: &str| app.url(&format!("/api/v1{path}"));

    // No token, a garbled one, or a tampered signature: 401 with a Bearer challenge.
    let none = http.get(api("/accounts")).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert!(none.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    // A character well inside the signature (the last one carries padding bits).
    let at = token.len() - 10;
    let flipped = if &token[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
    for bad in ["nonsense", tampered.as_str()] {
        let resp = http.get(api("/accounts")).bearer_auth(bad).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{bad}");
    }

    let accounts: Value =
        http.get(api("/accounts")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 1, "only its own organisation's: {accounts}");

    // Bad input: a clear 400 naming the problem.
    let bad = http
        .post(api("/drafts"))
        .bearer_auth(&token)
        .json(&json!({ "account": "press", "text": "x", "language": "not a tag!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("language"));

    let created = http
        .post(api("/drafts"))
        .bearer_auth(&token)
        .json(&json!({
            "account": "press",
            "text": "Aus dem CMS: Sprechstunde am Montag",
            "language": "de",
            "translations": [{ "language": "en", "text": "From the CMS: office hours on Monday" }],
            "replies": "followers",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let draft: Value = created.json().await.unwrap();
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!((&draft["state"], &draft["replies"]), (&json!("draft"), &json!("followers")));
    let no_such = json!({ "account": "press", "text": "x", "language": "de", "replies": "strangers" });
    let refused = http.post(api("/drafts")).bearer_auth(&token).json(&no_such).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 400, "who may reply is one of four");
    let submit = http.post(api(&format!("/drafts/{id}/submit"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(submit.status().as_u16(), 200);
    // The client has the author role only.
    let approve = http.post(api(&format!("/drafts/{id}/approve"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(approve.status().as_u16(), 403);

    // A person approves it in the staff interface.
    let bob = app.sign_in("demo", "bob").await;
    assert_eq!(bob.answer.status, 303);
    let page = bob.browser.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    let csrf = herold_tests::oidc::field(&page.body, "csrf").unwrap();
    let revision = herold_tests::oidc::field(&page.body, "revision").unwrap();
    let approved = bob
        .browser
        .post(
            &app.url(&format!("/staff/drafts/{id}/step")),
            &[("csrf", csrf.as_str()), ("step", "approve"), ("revision", revision.as_str())],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let draft: Value = http
        .get(api(&format!("/drafts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(draft["state"], "published");
    let announcement = draft["announcement"]["id"].as_str().unwrap();
    let (_, note) = app.get_json(&format!("/users/press/announcements/{announcement}")).await;
    let followers = json!([app.url("/users/press/followers")]);
    assert_eq!(note["interactionPolicy"]["canReply"]["automaticApproval"], followers, "as the CMS chose");
    let status = http
        .get(api(&format!("/announcements/press/{announcement}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status().as_u16(), 200);
    assert!(status.json::<Value>().await.unwrap()["deliveries"]["failed"].is_number());

    // Nothing of another organisation is reachable with this organisation's token.
    let foreign = http
        .post(api("/drafts"))
        .bearer_auth(&token)
        .json(&json!({ "account": "elsewhere", "text": "Fremd", "language": "de" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 404);
    assert!(app
        .store
        .drafts("other", &DraftState::ALL, 10, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .is_empty());

    // The client is attributed like a person, and the audit trail says so.
    let record = app.store.draft(&id, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    assert_eq!(record.author_name, "API client herold-demo-cms");
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let created = entries.iter().find(|e| e.leaf.action == "draft.create").unwrap();
    assert_eq!(created.leaf.actor, format!("staff:{}", record.author_id));
}

/// Herold with @press in an organisation whose CMS client may use the API, and its token
/// (the provider must outlive the test).
async fn api_app(db: Db) -> (TestApp, String, OidcProvider) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: API_POLICY,
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let token = cms_token(&provider).await;
    (app, token, provider)
}

/// A publishing time that has passed is refused through the API as on the form.
async fn a_publishing_time_that_has_passed_is_refused_by_the_api(db: Db) {
    let (app, token, _provider) = api_app(db).await;
    let past = herold_domain::format_rfc3339(herold_domain::now_millis() - 3_600_000);
    let body =
        serde_json::json!({"account": "press", "language": "de", "text": "Zu spät", "publish_at": past});
    let resp = app.http.post(app.url("/api/v1/drafts")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert!(answer["error"].as_str().unwrap_or_default().contains("has passed"), "{answer}");
}

/// The API description is served and names every route the API has.
/// A CMS with the org-admin role proposes a profile change; an author's token may only read
/// the profile; an approver applies the change in the workspace.
async fn a_cms_proposes_profile_changes_that_an_approver_applies(db: Db) {
    const ADMIN_POLICY: &str = "[api]\naudience = \"http://localhost:8080/api\"\n\n[api.clients]\n\
                                \"herold-demo-cms\" = [\"org-admin\"]\n";
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: ADMIN_POLICY,
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let http = reqwest::Client::new();
    let token = cms_token(&provider).await;
    let profile = app.url("/api/v1/accounts/press/profile");

    let bad = http
        .post(&profile)
        .bearer_auth(&token)
        .json(&json!({ "name": "Pressestelle", "fields": [{ "name": "Website", "value": "" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let proposed = http
        .post(&profile)
        .bearer_auth(&token)
        .json(&json!({
            "name": "Pressestelle der Demo-Behörde",
            "bio": "Amtliche Mitteilungen.",
            "fields": [{ "name": "Website", "value": "https://www.demo.example/" }],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(proposed.status().as_u16(), 201);
    let read: Value = http.get(&profile).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["name"], "press office", "nothing changes before an approver applies it");
    assert_eq!(read["proposal"]["name"], "Pressestelle der Demo-Behörde");
    assert_eq!(read["proposal"]["fields"][0]["value"], "https://www.demo.example/");

    let bob = app.sign_in("demo", "bob").await.browser;
    let page = bob.get(&app.url("/staff/accounts/press/profile")).await;
    let csrf = herold_tests::oidc::field(&page.body, "csrf").unwrap();
    let end = page.body.find("/apply\"").expect("an apply form");
    let start = page.body[..end].rfind("action=\"").unwrap() + "action=\"".len();
    let applied =
        bob.post(&app.url(&format!("{}/apply", &page.body[start..end])), &[("csrf", csrf.as_str())]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let read: Value = http.get(&profile).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["name"], "Pressestelle der Demo-Behörde");
    assert_eq!(read["fields"][0]["verified"], false, "not yet checked");
    assert!(read["proposal"].is_null());
    let elsewhere =
        http.get(app.url("/api/v1/accounts/nobody/profile")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(elsewhere.status().as_u16(), 404);
}

async fn the_openapi_document_describes_the_api(db: Db) {
    let app = herold_tests::spawn_app(db).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/{username}/profile",
        "/api/v1/drafts",
        "/api/v1/drafts/{id}",
        "/api/v1/drafts/{id}/{step}",
        "/api/v1/announcements/{account}/{id}",
    ] {
        assert!(paths.contains(&path), "{path} is not described");
    }
    assert_eq!(paths.len(), 6, "the document describes a route the API lacks: {paths:?}");
}

/// A malformed body makes the JSON extractor fail while the token extractor beside it may be
/// half-way into the database. Nothing it left behind may hold a transaction open: after
/// hundreds of bad requests a write succeeds at once and `/readyz` tells the truth.
async fn malformed_bodies_never_wedge_the_database(db: Db) {
    let (app, token, _provider) = api_app(db).await;
    let drafts = app.url("/api/v1/drafts");
    let oversized = format!(r#"{{"account":"press","language":"de","text":"{}"}}"#, "x".repeat(70 * 1024));
    let bodies = [
        r#"{"account":"press","text":"x","language":"de","colour":"red"}"#.to_owned(),
        r#"{"account":"press","text":"cut o"#.to_owned(),
        oversized,
    ];

    let mut senders = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (http, drafts, token, bodies) = (app.http.clone(), drafts.clone(), token.clone(), bodies.clone());
        senders.spawn(async move {
            for round in 0..60 {
                let body = bodies[(worker + round) % bodies.len()].clone();
                let resp = http
                    .post(&drafts)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_client_error(), "a malformed body: {}", resp.status());
            }
        });
    }
    // Bodies that stop half-way: the client hangs up before sending what it announced.
    let port = app.port;
    let token_for_raw = token.clone();
    senders.spawn(async move {
        use tokio::io::AsyncWriteExt;
        for _ in 0..60 {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let head = format!(
                "POST /api/v1/drafts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token_for_raw}\r\n\
                 Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{{\"account\":\"pr"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            drop(stream);
        }
    });
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }

    let started = std::time::Instant::now();
    let created = app
        .http
        .post(&drafts)
        .bearer_auth(&token)
        .json(&json!({ "account": "press", "text": "Nach dem Sturm: alles geht", "language": "de" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201, "{}", created.text().await.unwrap());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the write waited {:?}",
        started.elapsed()
    );
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    // Every connection of the pool still writes (one left inside a transaction would not).
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (http, drafts, token) = (app.http.clone(), drafts.clone(), token.clone());
        writers.spawn(async move {
            http.post(&drafts)
                .bearer_auth(&token)
                .json(&json!({ "account": "press", "text": format!("Meldung {i}"), "language": "de" }))
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    while let Some(done) = writers.join_next().await {
        assert_eq!(done.unwrap().expect("a write timed out"), 201);
    }
}

on_both_backends!(
    a_publishing_time_that_has_passed_is_refused_by_the_api,
    a_cms_writes_drafts_that_people_approve,
    the_openapi_document_describes_the_api,
    a_cms_proposes_profile_changes_that_an_approver_applies,
    malformed_bodies_never_wedge_the_database
);
