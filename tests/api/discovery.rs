//! What a Mastodon user's server sees when it looks an official account up.

use herold_tests::{eventually, spawn_app, Db};
use serde_json::json;

async fn webfinger_finds_accounts_by_acct_and_url(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let host = format!("127.0.0.1:{}", app.port);
    for resource in [format!("acct:press@{host}"), format!("acct:Press@{host}"), app.url("/users/press")] {
        let resp = app
            .http
            .get(app.url("/.well-known/webfinger"))
            .query(&[("resource", &resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{resource}");
        assert_eq!(resp.headers()["content-type"], "application/jrd+json");
        let jrd: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:press@{host}"));
        let self_link = jrd["links"].as_array().unwrap().iter().find(|l| l["rel"] == "self").unwrap();
        assert_eq!(self_link["href"], app.url("/users/press"));
        assert_eq!(self_link["type"], "application/activity+json");
    }
    for missing in
        ["acct:nobody@".to_owned() + &host, "acct:press@elsewhere.example".into(), "garbage".into()]
    {
        let resp = app
            .http
            .get(app.url("/.well-known/webfinger"))
            .query(&[("resource", &missing)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{missing}");
    }
    // The instance actor, which signs Herold's fetches, is found the same way.
    let resp = app
        .http
        .get(app.url("/.well-known/webfinger"))
        .query(&[("resource", format!("acct:{host}@{host}"))])
        .send()
        .await
        .unwrap();
    let jrd: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(jrd["links"][0]["href"], app.url("/actor"));
    let meta = app.http.get(app.url("/.well-known/host-meta")).send().await.unwrap().text().await.unwrap();
    assert!(
        meta.contains("rel=\"lrdd\"") && meta.contains("/.well-known/webfinger?resource={uri}"),
        "{meta}"
    );
}

async fn actor_is_json_for_activitypub_and_html_for_browsers(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let resp = app.http.get(app.url("/users/press")).header("accept", accept).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/activity+json");
        let actor: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(actor["type"], "Organization");
        assert_eq!(actor["id"], app.url("/users/press"));
        assert_eq!(actor["preferredUsername"], "press");
        assert_eq!(actor["endpoints"]["sharedInbox"], app.url("/inbox"));
        assert_eq!(actor["publicKey"]["owner"], app.url("/users/press"));
        let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        herold_federation::keys::PublicKey::from_pem(pem).expect("an RSA key");
        assert_eq!(actor["featured"], app.url("/users/press/featured"));
        // FEP-2c59: the address, which WebFinger answers with this very actor.
        let address = actor["webfinger"].as_str().unwrap().to_owned();
        let (status, jrd) = app.get_json(&format!("/.well-known/webfinger?resource=acct:{address}")).await;
        assert_eq!(status, 200, "{jrd}");
        let links = jrd["links"].as_array().unwrap();
        assert!(links.iter().any(|l| l["rel"] == "self" && l["href"] == app.url("/users/press")), "{jrd}");
    }
    // Peers read the featured collection on every refresh: it exists, empty until pins.
    let (status, featured) = app.get_json("/users/press/featured").await;
    assert_eq!(status, 200);
    assert_eq!(
        (featured["type"].as_str(), featured["totalItems"].as_i64()),
        (Some("OrderedCollection"), Some(0))
    );
    assert_eq!(featured["orderedItems"], serde_json::json!([]));
    let page = app.http.get(app.url("/users/press")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(html.contains("<h1>press office</h1>"));
    assert!(!html.contains("<script"), "public pages carry no scripts");
    // In the reader's language, where Herold speaks it.
    let german = app
        .http
        .get(app.url("/users/press"))
        .header("accept", "text/html")
        .header("accept-language", "de-AT,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(german.starts_with("<!DOCTYPE html><html lang=\"de\">"), "{german}");
    assert!(german.contains("Amtliches Konto von") && german.contains("Atom-Feed"), "{german}");
    let missing = app.http.get(app.url("/users/nobody")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("There is nothing at this address."), "a page for people");
    let (_, instance) = app.get_json("/actor").await;
    assert_eq!(instance["type"], "Application");
    assert_eq!(app.get_json("/users/nobody").await.0, 404);
}

async fn announcements_appear_in_outbox_page_and_feed_and_retraction_leaves_a_tombstone(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let first = app.publish("press", "Erste Mitteilung").await;
    let second = app.publish("press", "Zweite Mitteilung <b>fett</b>").await;

    let (status, outbox) = app.get_json("/users/press/outbox").await;
    assert_eq!(status, 200);
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 2);
    let (_, page) = app.get_json(outbox["first"].as_str().unwrap().trim_start_matches(&app.base)).await;
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["type"], "Create");
    assert_eq!(items[0]["object"]["type"], "Note");
    assert_eq!(
        items[0]["object"]["id"],
        app.url(&format!("/users/press/announcements/{}", second.public_id))
    );
    assert_eq!(items[0]["object"]["contentMap"]["de"], items[0]["object"]["content"]);
    assert!(items[0]["object"]["content"].as_str().unwrap().contains("&lt;b&gt;"), "author HTML is escaped");

    let note_path = format!("/users/press/announcements/{}", first.public_id);
    let (status, note) = app.get_json(&note_path).await;
    assert_eq!(status, 200);
    assert_eq!(note["attributedTo"], app.url("/users/press"));
    assert_eq!(note["to"][0], "https://www.w3.org/ns/activitystreams#Public");
    let html = app.http.get(app.url(&note_path)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Erste Mitteilung") && html.contains("lang=\"de\""));

    let feed = app.http.get(app.url("/users/press/feed.atom")).send().await.unwrap();
    assert_eq!(feed.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let feed = feed.text().await.unwrap();
    assert_eq!(feed.matches("<entry>").count(), 2);
    // The same announcements for RSS readers and as JSON Feed, each with its own type.
    let rss = app.http.get(app.url("/users/press/feed.rss")).send().await.unwrap();
    assert_eq!(rss.headers()["content-type"], "application/rss+xml; charset=utf-8");
    let rss = rss.text().await.unwrap();
    assert_eq!(rss.matches("<item>").count(), 2);
    assert!(rss.contains(&format!("<guid isPermaLink=\"true\">{}</guid>", app.url(&note_path))), "{rss}");
    assert!(rss.contains("+0000</pubDate>"), "RFC 822 dates: {rss}");
    let json = app.http.get(app.url("/users/press/feed.json")).send().await.unwrap();
    assert_eq!(json.headers()["content-type"], "application/feed+json; charset=utf-8");
    let json: serde_json::Value = json.json().await.unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], app.url("/users/press/feed.json"));
    assert_eq!(json["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["items"][1]["url"], app.url(&note_path));
    assert_eq!(app.http.get(app.url("/users/press/feed.xml")).send().await.unwrap().status(), 404);

    // An edit without a new content warning keeps the old one.
    let mut draft = herold_tests::TestApp::draft("Mit Hinweis");
    draft.summary = Some(herold_domain::Summary::parse("Hinweis").unwrap());
    let warned = app.services.publisher.publish("press", draft, "test").await.unwrap();
    let edited = app
        .services
        .publisher
        .edit("press", &warned.public_id, herold_tests::TestApp::draft("Mit Hinweis, berichtigt"), "test")
        .await
        .unwrap();
    assert_eq!(edited.body.summary.as_deref(), Some("Hinweis"));
    assert!(edited.updated_at.unwrap() > edited.published_at);

    app.services.publisher.retract("press", &first.public_id, "test", None).await.unwrap();
    let (status, tomb) = app.get_json(&note_path).await;
    assert_eq!(status, 410);
    assert_eq!(tomb["type"], "Tombstone");
    assert_eq!(app.get_json("/users/press/outbox").await.1["totalItems"], 2);
    let again = app.services.publisher.retract("press", &first.public_id, "test", None).await;
    assert!(again.is_err(), "a retraction cannot be repeated");
    let audit = app.store.audit_entries(0, 100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.leaf.action.as_str()).collect();
    assert!(
        actions.contains(&"announcement.publish") && actions.contains(&"announcement.retract"),
        "{actions:?}"
    );
}

async fn followers_and_nodeinfo_publish_counts_only(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let (_, followers) = app.get_json("/users/press/followers").await;
    assert_eq!(followers["totalItems"], 0);
    assert!(followers.get("orderedItems").is_none() && followers.get("first").is_none());
    let links: serde_json::Value =
        app.http.get(app.url("/.well-known/nodeinfo")).send().await.unwrap().json().await.unwrap();
    let href = links["links"][0]["href"].as_str().unwrap().to_owned();
    let info: serde_json::Value = app.http.get(href).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "herold");
    assert_eq!(info["usage"]["users"]["total"], 2, "press, and the transparency log");
    assert!(!info.to_string().contains("follower"));
    // Anyone can raise a pending count by subscribing: it is the operator's figure only.
    let subscriber = herold_store::NewSubscriber {
        actor_uri: "https://spam.example/actor".into(),
        host: "spam.example".into(),
        inbox: "https://spam.example/inbox".into(),
        follow_id: "https://spam.example/follow".into(),
        style: herold_store::SubscriptionStyle::Mastodon,
        state: herold_store::SubscriptionState::Pending,
        follow_back_id: None,
    };
    let audit = herold_store::AuditEntry::new("test", "relay.subscribe", "relay:spam.example");
    app.store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
    let info: serde_json::Value =
        app.http.get(app.url("/nodeinfo/2.1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        info["metadata"]["relay"],
        serde_json::json!({ "inbox": app.url("/relay/inbox"), "subscribers": 0 })
    );
}

async fn health_endpoints_report_readiness(db: Db) {
    let app = spawn_app(db).await;
    assert_eq!(app.http.get(app.url("/livez")).send().await.unwrap().status(), 200);
    assert_eq!(app.http.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}

/// Uptime monitors and link checkers ask with HEAD: every page that answers GET answers HEAD
/// the same, without the body.
async fn head_is_answered_wherever_get_is(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    app.publish("press", "Erreichbar").await;
    for path in ["/", "/livez", "/readyz", "/login", "/users/press", "/users/press/feed.atom", "/site.css"] {
        let get = app.http.get(app.url(path)).send().await.unwrap();
        let head = app.http.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path} names the type GET sends"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} sends no body");
    }
    let missing = app.http.head(app.url("/users/niemand")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

/// Signed audit checkpoints are published by an account anyone can follow, so other
/// servers hold independent copies of them.
async fn checkpoints_are_published_by_the_transparency_account(db: Db) {
    let app = spawn_app(db).await;
    let (_, actor) = app.get_json("/users/transparency").await;
    assert_eq!(actor["type"], "Organization");
    let post = herold_tests::eventually(10, "the first checkpoint post", || async {
        let (_, page) = app.get_json("/users/transparency/outbox?page=1").await;
        page["orderedItems"].as_array().and_then(|items| items.first().cloned())
    })
    .await;
    let content = post["object"]["content"].as_str().unwrap().to_owned();
    assert!(content.contains(&format!("127.0.0.1:{}/audit", app.port)), "{content}");
    assert!(content.contains('\u{2014}'), "carries the signature line: {content}");
}

/// An address on one server (`@mallory@<first>`) may name an account served by another
/// (`<second>`), as when example.org's accounts live on social.example.org, but only if the
/// second server gives that address as the account's own. A server that points one of its
/// names at someone else's account is refused, and the author is told.
async fn split_domain_mentions_need_the_actors_server_to_confirm(db: Db) {
    use herold_tests::fake_remote::FakeRemote;
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let first = FakeRemote::start().await;
    let second = FakeRemote::start().await;
    let address = format!("acct:mallory@{}", first.authority());
    let self_link =
        |actor: &str| json!([{ "rel": "self", "type": "application/activity+json", "href": actor }]);
    first.set_webfinger(json!({ "subject": address, "links": self_link(&second.actor) }));

    // The second server does not know the account by that address: refused.
    second.set_webfinger(json!({
        "subject": format!("acct:mallory@{}", second.authority()),
        "links": self_link(&second.actor),
    }));
    let text = format!("Hallo @mallory@{}", first.authority());
    let err = app
        .services
        .publisher
        .publish("press", herold_tests::TestApp::draft(&text), "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&format!("@mallory@{}", first.authority())), "{err}");
    assert!(second.received().is_empty(), "nothing was sent to the account");

    // It does: the mention is the second server's account, delivered there.
    second.set_webfinger(json!({ "subject": address, "links": self_link(&second.actor) }));
    let a = app.publish("press", &text).await;
    assert_eq!(a.body.mentions.len(), 1);
    assert_eq!(a.body.mentions[0].href, second.actor);
    assert_eq!(a.body.mentions[0].name, format!("@mallory@{}", first.authority()));
    eventually(15, "the mentioned account's server to receive the Create", || async {
        second.received().into_iter().find(|r| r.json()["type"] == "Create").map(|_| ())
    })
    .await;
}

/// Announcements from before the tag pages (no tag rows) are put on them at startup, once.
async fn older_announcements_join_their_tag_pages(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let a = app.publish("press", "Alte Meldung zum #Hochwasser").await;
    app.publish("press", "Ohne Schlagwort, nur #2026").await;
    herold_tests::fixtures::execute(&app.db, "DELETE FROM announcement_tags").await;
    let page =
        || async { app.http.get(app.url("/tags/hochwasser")).send().await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains(&a.public_id), "as before the tag pages");
    assert_eq!(herold_publishing::backfill_tags(app.store.as_ref()).await.unwrap(), 1);
    assert!(page().await.contains(&a.public_id));
    assert_eq!(herold_publishing::backfill_tags(app.store.as_ref()).await.unwrap(), 0, "once");
}

/// An announcement given no language takes its account's: every Note names one.
async fn announcements_without_a_language_take_the_accounts(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let mut draft = herold_tests::TestApp::draft("Ohne Sprachangabe");
    draft.language = None;
    let a = app.services.publisher.publish("press", draft, "test").await.unwrap();
    let (_, note) = app.get_json(&format!("/users/press/announcements/{}", a.public_id)).await;
    assert_eq!(
        note["contentMap"]["de"].as_str().map(|c| c.contains("Ohne Sprachangabe")),
        Some(true),
        "{note}"
    );
}

/// A citizen on any server follows from the account's page (or a body's "follow" button that
/// links to it): Herold asks their server where they confirm, and links there.
async fn visitors_follow_from_their_own_server(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = herold_tests::fake_remote::FakeRemote::start().await;
    let address = format!("@mallory@{}", fake.authority());
    let ask = |address: String| {
        let app = &app;
        async move {
            let resp = app
                .http
                .post(app.url("/users/press/follow"))
                .header("accept-language", "en")
                .form(&[("address", address)])
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let profile = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(
        profile.contains(r#"href="/users/press/follow""#) || profile.contains("/users/press/follow\""),
        "{profile}"
    );
    let form = app.http.get(app.url("/users/press/follow")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains(r#"name="address""#));

    // Mastodon's JRD offers the OStatus subscribe template.
    let self_link = json!({"rel": "self", "type": "application/activity+json", "href": fake.actor});
    fake.set_webfinger(json!({"subject": format!("acct:mallory@{}", fake.authority()), "links": [self_link,
        {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{}/authorize_interaction?uri={{uri}}", fake.base)}]}));
    let (status, page) = ask(address.clone()).await;
    assert_eq!(status, 200);
    let expected = format!(
        "{}/authorize_interaction?uri={}",
        fake.base,
        url::form_urlencoded::byte_serialize(app.url("/users/press").as_bytes()).collect::<String>()
    );
    assert!(page.contains(&format!(r#"href="{expected}""#)), "{page}");

    // FEP-3b86's Follow intent is preferred where a server offers it.
    fake.set_webfinger(json!({"links": [self_link,
        {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{}/old?uri={{uri}}", fake.base)},
        {"rel": "https://w3id.org/fep/3b86/Follow", "template": format!("{}/intent?object={{object}}", fake.base)}]}));
    let (_, page) = ask(address.clone()).await;
    assert!(page.contains(&format!("{}/intent?object=", fake.base)), "{page}");

    // A page on another server than the visitor's is not linked: Herold's pages cannot be
    // made to send anyone elsewhere.
    fake.set_webfinger(json!({"links": [self_link,
        {"rel": "https://w3id.org/fep/3b86/Follow", "template": "https://phish.example/login?next={object}"}]}));
    let (_, page) = ask(address.clone()).await;
    assert!(!page.contains("phish.example"), "{page}");
    assert!(page.contains("offers no page for following"), "{page}");

    // What can go wrong is said in words, and the handle to search for is given.
    let (_, page) = ask("mallory".into()).await;
    assert!(page.contains("not an address of the form"), "{page}");
    fake.set_webfinger(json!({"links": [self_link]}));
    let (_, page) = ask(address.clone()).await;
    assert!(page.contains("offers no page for following"), "{page}");
    let (_, page) = ask(format!("@mallory@{}", "127.0.0.1:9")).await;
    assert!(page.contains("could not be reached"), "{page}");
    assert!(page.contains(&format!("@press@127.0.0.1:{}", app.port)), "the handle to search for: {page}");

    // Anyone can ask, so one server is asked only so often.
    let mut busy = 0;
    for _ in 0..15 {
        if ask(address.clone()).await.0 == 429 {
            busy += 1;
        }
    }
    assert!(busy > 0, "the lookups of one server are limited");
}

on_both_backends!(
    visitors_follow_from_their_own_server,
    announcements_without_a_language_take_the_accounts,
    older_announcements_join_their_tag_pages,
    split_domain_mentions_need_the_actors_server_to_confirm,
    checkpoints_are_published_by_the_transparency_account,
    webfinger_finds_accounts_by_acct_and_url,
    actor_is_json_for_activitypub_and_html_for_browsers,
    announcements_appear_in_outbox_page_and_feed_and_retraction_leaves_a_tombstone,
    followers_and_nodeinfo_publish_counts_only,
    health_endpoints_report_readiness,
    head_is_answered_wherever_get_is,
);
