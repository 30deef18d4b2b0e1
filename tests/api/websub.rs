//! Herold as the WebSub hub of its feeds: a subscriber's callback is asked whether it wants
//! the subscription (and one that does not answer the challenge gets nothing), each new
//! announcement then sends it the feed, signed with its secret, and unsubscribing stops it.

use herold_federation::websub::signature;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, Db, TestApp};

async fn hub(app: &TestApp, fields: &[(&str, &str)]) -> u16 {
    app.http.post(app.url("/websub")).form(fields).send().await.unwrap().status().as_u16()
}

async fn posts_to(remote: &FakeRemote, path: &str) -> Vec<herold_tests::fake_remote::ReceivedRequest> {
    remote.received().into_iter().filter(|r| r.path == path).collect()
}

async fn a_feed_reader_subscribes_through_the_hub_and_is_sent_each_announcement(db: Db) {
    let env = vec![("HEROLD_NOTIFICATIONS_INTERVAL_SECONDS", "1".to_owned())];
    let app = spawn_app_with(db, AppOptions { env, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    let topic = app.url("/users/press/feed.atom");
    let feed = app.http.get(&topic).send().await.unwrap();
    let link = feed.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(link, format!("<{}>; rel=\"hub\", <{topic}>; rel=\"self\"", app.url("/websub")));
    assert!(feed
        .text()
        .await
        .unwrap()
        .contains(&format!("<link rel=\"hub\" href=\"{}\"/>", app.url("/websub"))));

    let reader = FakeRemote::start().await;
    let callback = format!("{}/websub-callback", reader.base);
    let stranger = format!("{}/not-mine", reader.base);
    for bad in [
        vec![
            ("hub.mode", "subscribe"),
            ("hub.topic", "https://elsewhere.example/feed"),
            ("hub.callback", callback.as_str()),
        ],
        vec![("hub.mode", "maybe"), ("hub.topic", topic.as_str()), ("hub.callback", callback.as_str())],
        vec![("hub.mode", "subscribe"), ("hub.topic", topic.as_str()), ("hub.callback", "ftp://x.example/")],
    ] {
        assert_eq!(hub(&app, &bad).await, 400, "{bad:?}");
    }
    let subscribe = |cb: &str| {
        [
            ("hub.mode", "subscribe".to_owned()),
            ("hub.topic", topic.clone()),
            ("hub.callback", cb.to_owned()),
            ("hub.secret", "geheim".to_owned()),
        ]
    };
    let fields =
        |owned: &[(&'static str, String)]| owned.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let status = |owned: Vec<(&'static str, String)>| {
        let request = app.http.post(app.url("/websub")).form(&owned);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(fields(&subscribe(&callback))).await, 202);
    assert_eq!(status(fields(&subscribe(&stranger))).await, 202, "answered before the check");
    let asked = eventually(15, "the callback to be asked", || async {
        reader.fetched().into_iter().find(|p| p.starts_with("/websub-callback?"))
    })
    .await;
    assert!(asked.contains("hub.mode=subscribe") && asked.contains("hub.challenge="), "{asked}");
    assert!(asked.contains("hub.lease_seconds=604800"), "{asked}");
    // The subscription is stored once confirmed; what is published afterwards is sent.
    eventually(15, "the confirmed subscription", || async {
        (app.store.websub_count(account.id).await.unwrap() == 1).then_some(())
    })
    .await;

    app.publish("press", "Neue Mitteilung für Feedreader").await;
    let sent = eventually(20, "the feed to reach the callback", || async {
        posts_to(&reader, "/websub-callback").await.into_iter().next()
    })
    .await;
    let body = String::from_utf8(sent.body.clone()).unwrap();
    assert!(body.contains("Neue Mitteilung für Feedreader"), "{body}");
    let header =
        |name: &str| sent.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(header("content-type"), "application/atom+xml; charset=utf-8");
    assert_eq!(header("x-hub-signature"), signature("geheim", &sent.body));
    assert!(header("link").contains("rel=\"hub\""));
    assert!(posts_to(&reader, "/not-mine").await.is_empty(), "an unconfirmed callback gets nothing");

    let unsubscribe = vec![
        ("hub.mode", "unsubscribe".to_owned()),
        ("hub.topic", topic.clone()),
        ("hub.callback", callback.clone()),
    ];
    assert_eq!(status(unsubscribe).await, 202);
    eventually(15, "the unsubscription to be confirmed", || async {
        (app.store.websub_count(account.id).await.unwrap() == 0).then_some(())
    })
    .await;
    app.publish("press", "Nach der Abbestellung").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(posts_to(&reader, "/websub-callback").await.len(), 1, "nothing after unsubscribing");
}

on_both_backends!(a_feed_reader_subscribes_through_the_hub_and_is_sent_each_announcement);
