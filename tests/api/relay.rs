//! The relay, with Fedify as the subscribing and the publishing servers: subscriptions
//! Mastodon style (a Follow of the public collection) and LitePub style (a Follow of the
//! relay actor), approval, blocks and leaving; publishers' activities passed on to every
//! subscriber but their own server, once.

use herold_store::{SubscriptionState, SubscriptionStyle};
use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, Db, TestApp};
use serde_json::json;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn relay_app(db: Db, mode: &str) -> TestApp {
    let options = AppOptions { env: vec![("HEROLD_RELAY_MODE", mode.into())], ..AppOptions::default() };
    spawn_app_with(db, options).await
}

async fn accepted(peer: &Peer, follow_id: &str) {
    eventually(15, "the relay's Accept", || async {
        peer.received_of("Accept")
            .await
            .into_iter()
            .find(|a| a["object"]["id"] == follow_id || a["object"] == follow_id)
    })
    .await;
}

async fn servers_subscribe_mastodon_and_litepub_style(db: Db) {
    let app = relay_app(db, "open").await;
    let relay = app.url("/relay");
    // The actor is an Application whose inbox is the URL admins enter.
    let (status, actor) = app.get_json("/relay").await;
    assert_eq!(status, 200);
    assert_eq!(
        (actor["type"].as_str(), actor["inbox"].as_str()),
        (Some("Application"), Some(app.url("/relay/inbox").as_str()))
    );
    let (_, finger) =
        app.get_json(&format!("/.well-known/webfinger?resource=acct:relay@127.0.0.1:{}", app.port)).await;
    assert_eq!(finger["links"][0]["href"], relay.as_str());

    // Mastodon: its instance actor follows the public collection, at the relay inbox.
    let mastodon = Peer::start("draft-cavage-http-signatures-12");
    let follow_id = mastodon.send(&relay, json!({ "type": "Follow", "object": PUBLIC })).await;
    accepted(&mastodon, &follow_id).await;
    let s = app.store.relay_subscriber(&mastodon.actor()).await.unwrap().expect("subscribed");
    assert_eq!((s.style, s.state), (SubscriptionStyle::Mastodon, SubscriptionState::Active));
    assert_eq!(s.follow_id, follow_id);

    // LitePub: follows the relay actor itself.
    let litepub = Peer::start("rfc9421");
    let follow_id = litepub.follow(&relay).await;
    accepted(&litepub, &follow_id).await;
    let s = app.store.relay_subscriber(&litepub.actor()).await.unwrap().expect("subscribed");
    assert_eq!(s.style, SubscriptionStyle::LitePub);

    // Counts only, on the status page and in NodeInfo.
    let (_, nodeinfo) = app.get_json("/nodeinfo/2.1").await;
    assert_eq!(nodeinfo["metadata"]["relay"]["subscribers"], 2);
    let page = reqwest::get(app.url("/relay")).await.unwrap().text().await.unwrap();
    assert!(page.contains("2 servers subscribe") && !page.contains(&mastodon.actor()));

    // Anything but a subscription is refused and stored nowhere.
    let before = app.store.audit_size().await.unwrap();
    let like = json!({ "type": "Like", "object": "https://elsewhere.example/notes/1" });
    let why = mastodon.try_send(&relay, like).await.expect_err("refused");
    assert!(why.contains("403") && why.contains("not relayed"), "{why}");
    assert_eq!(app.store.audit_size().await.unwrap(), before);

    // Leaving: Undo of the Follow.
    litepub.unfollow(&relay).await;
    eventually(10, "the LitePub subscription ends", || async {
        app.store.relay_subscriber(&litepub.actor()).await.unwrap().is_none().then_some(())
    })
    .await;
    let audit: Vec<String> =
        app.store.audit_entries(0, 1000).await.unwrap().into_iter().map(|e| e.leaf.action).collect();
    assert!(audit.contains(&"relay.subscribe".to_owned()) && audit.contains(&"relay.unsubscribe".to_owned()));
}

async fn approval_and_blocks_are_the_operators(db: Db) {
    let app = relay_app(db, "approval").await;
    let relay = app.url("/relay");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let follow_id = peer.send(&relay, json!({ "type": "Follow", "object": PUBLIC })).await;
    let pending = eventually(10, "a pending subscription", || async {
        app.store.relay_subscriber(&peer.actor()).await.unwrap()
    })
    .await;
    assert_eq!(pending.state, SubscriptionState::Pending);
    // An Accept would have been queued in the transaction that recorded the subscription.
    let queued = app.store.queue_depth(herold_domain::now_millis()).await.unwrap();
    assert!(queued.waiting.is_empty(), "no Accept before approval: {queued:?}");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        0,
        "none sent either"
    );
    assert!(peer.received_of("Accept").await.is_empty(), "no Accept before approval");
    let approved = app.services.relay.approve(&peer.actor(), "operator").await.unwrap().expect("was pending");
    assert_eq!(approved.state, SubscriptionState::Active);
    accepted(&peer, &follow_id).await;

    // A block covers the domain and ends its subscriptions; new ones are refused.
    assert_eq!(app.services.relay.block("127.0.0.1", "operator", None).await.unwrap(), 1);
    assert!(app.store.relay_subscriber(&peer.actor()).await.unwrap().is_none());
    let refused = peer.try_send(&relay, json!({ "type": "Follow", "object": PUBLIC })).await;
    let why = refused.expect_err("blocked");
    assert!(why.contains("403") && why.contains("blocked"), "{why}");
    assert!(app.store.relay_subscriber(&peer.actor()).await.unwrap().is_none());
    assert!(app.services.relay.unblock("127.0.0.1", "operator").await.unwrap());
}

/// In approval mode a server waits with one subscription: a second actor of the same server
/// is refused, so a flood of actors cannot fill the operator's list or the audit trail.
async fn one_subscription_per_server_waits_for_approval(db: Db) {
    let app = relay_app(db, "approval").await;
    let inbox = app.url("/relay/inbox");
    let server = herold_tests::fake_remote::FakeRemote::start().await;
    let follow = json!({ "id": server.new_id(), "type": "Follow", "actor": server.actor, "object": PUBLIC });
    assert_eq!(
        server.post_json(&inbox, &follow, herold_federation::signatures::Scheme::Cavage).await.status(),
        202
    );

    let second = format!("{}/users/eve", server.base);
    let mut doc = server.actor_doc();
    doc["id"] = json!(second);
    doc["inbox"] = json!(format!("{second}/inbox"));
    doc["publicKey"] =
        json!({ "id": format!("{second}#main-key"), "owner": second, "publicKeyPem": server.public_key_pem });
    server.serve("/users/eve", doc);
    let signer = server.signer_as(&format!("{second}#main-key"));
    let follow = json!({ "id": server.new_id(), "type": "Follow", "actor": second, "object": PUBLIC });
    let now = herold_domain::now_millis() / 1000;
    let resp = server
        .post(
            &inbox,
            follow.to_string().as_bytes(),
            herold_federation::signatures::Scheme::Cavage,
            Some(&signer),
            now,
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("already waits"));
    assert!(app.store.relay_subscriber(&second).await.unwrap().is_none());
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.leaf.action == "relay.subscribe").count(), 1);
    // The first one may still renew its own request.
    let again = json!({ "id": server.new_id(), "type": "Follow", "actor": server.actor, "object": PUBLIC });
    assert_eq!(
        server.post_json(&inbox, &again, herold_federation::signatures::Scheme::Cavage).await.status(),
        202
    );
}

/// Subscribes a peer Mastodon style and waits for the relay's Accept.
async fn subscribed(relay: &str, peer: &Peer) {
    let follow_id = peer.send(relay, json!({ "type": "Follow", "object": PUBLIC })).await;
    accepted(peer, &follow_id).await;
}

/// What a peer received about a post: verbatim activities with that object, or the relay's
/// Announces of it.
async fn about(peer: &Peer, object: &str) -> Vec<serde_json::Value> {
    peer.received()
        .await
        .into_iter()
        .filter(|a| a["object"] == object || a["object"]["id"] == object)
        .collect()
}

/// The `nth` activity of `kind` the relay sent to `peer`, once it has arrived.
async fn from_relay(peer: &Peer, kind: &str, nth: usize, relay: &str) -> serde_json::Value {
    eventually(15, &format!("the relay's {kind} number {}", nth + 1), || async {
        peer.received_of(kind).await.into_iter().filter(|a| a["actor"] == relay).nth(nth)
    })
    .await
}

/// A LitePub server sends its posts to the actors following it, so the relay follows back
/// the LitePub subscribers on its publisher list, whichever came first, and no others; the
/// subscriber's Accept is taken at the relay inbox. The Follow is undone when the server
/// unsubscribes, leaves the publisher list or is blocked.
async fn litepub_publishers_are_followed_back(db: Db) {
    let app = relay_app(db, "open").await;
    let relay = app.url("/relay");
    let relay_ops = &app.services.relay;
    let follow_back = |peer: &Peer| {
        let actor = peer.actor();
        let store = app.store.clone();
        async move { store.relay_subscriber(&actor).await.unwrap().expect("subscribed").follow_back_id }
    };
    let follow_of = |peer, nth| from_relay(peer, "Follow", nth, &relay);
    let undo_of = |peer, nth| from_relay(peer, "Undo", nth, &relay);

    // Listed, then subscribed: followed back; its Accept is taken.
    let publishing = Peer::start("rfc9421");
    assert!(relay_ops.add_publisher(&publishing.actor(), "operator").await.unwrap());
    let follow_id = publishing.follow(&relay).await;
    accepted(&publishing, &follow_id).await;
    let follow = follow_of(&publishing, 0).await;
    assert_eq!(follow["actor"], relay);
    assert_eq!(follow["body"]["object"], publishing.actor());
    assert_eq!(follow_back(&publishing).await.as_deref(), follow["body"]["id"].as_str());
    eventually(15, "the subscriber's Accept taken by the relay inbox", || async {
        publishing.sent().await.into_iter().find(|r| {
            r["activityType"] == "Accept" && r["url"] == app.url("/relay/inbox") && r["status"] == 202
        })
    })
    .await;

    // Subscribed, not listed: not followed; listed later: followed then.
    let later = Peer::start("rfc9421");
    let follow_id = later.follow(&relay).await;
    accepted(&later, &follow_id).await;
    assert_eq!(follow_back(&later).await, None, "only publishers are followed back");
    assert!(relay_ops.add_publisher(&later.actor(), "operator").await.unwrap());
    let later_follow = follow_of(&later, 0).await;
    assert_eq!(follow_back(&later).await.as_deref(), later_follow["body"]["id"].as_str());

    // Unsubscribing undoes it.
    publishing.unfollow(&relay).await;
    let undo = undo_of(&publishing, 0).await;
    assert_eq!(undo["body"]["object"]["id"], follow["body"]["id"], "{undo}");

    // So does leaving the publisher list; the subscription stays.
    assert!(relay_ops.remove_publisher(&later.actor(), "operator", None).await.unwrap());
    assert_eq!(undo_of(&later, 0).await["body"]["object"]["id"], later_follow["body"]["id"]);
    assert_eq!(follow_back(&later).await, None);

    // And a block of its server, which also ends the subscription.
    assert!(relay_ops.add_publisher(&later.actor(), "operator").await.unwrap());
    let again = follow_of(&later, 1).await;
    relay_ops.block("127.0.0.1", "operator", None).await.unwrap();
    assert_eq!(undo_of(&later, 1).await["body"]["object"]["id"], again["body"]["id"]);
    assert!(app.store.relay_subscriber(&later.actor()).await.unwrap().is_none());
}

async fn publishers_reach_every_subscriber_but_their_own_server(db: Db) {
    let app = relay_app(db, "open").await;
    let relay = app.url("/relay");
    let mastodon = Peer::start("draft-cavage-http-signatures-12");
    subscribed(&relay, &mastodon).await;
    let litepub = Peer::start("rfc9421");
    let follow_id = litepub.follow(&relay).await;
    accepted(&litepub, &follow_id).await;
    // The publishing server subscribes too: what it sends must not come back to it.
    let publisher = Peer::start("draft-cavage-http-signatures-12");
    subscribed(&relay, &publisher).await;

    let note_id = format!("http://127.0.0.1:{}/notes/{}", publisher.port, uuid::Uuid::new_v4());
    let create = json!({
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "to": [PUBLIC],
        "object": { "id": note_id, "type": "Note", "attributedTo": publisher.actor(), "to": [PUBLIC],
                    "content": "Amtliche Warnung: Hochwasser an der Elbe" },
    });

    // Not a publisher yet: refused, and nothing is queued.
    let queued = || async {
        let s = app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
        s.delivered + s.pending + s.retrying + s.dead
    };
    let before = queued().await;
    let why = publisher.try_send(&relay, create.clone()).await.expect_err("not a publisher");
    assert!(why.contains("403") && why.contains("not among this relay's publishers"), "{why}");
    assert_eq!(queued().await, before);

    assert!(app.services.relay.add_publisher(&publisher.actor(), "operator").await.unwrap());
    assert_eq!(app.store.relay_publishers().await.unwrap(), vec![publisher.actor()]);
    publisher.send(&relay, create.clone()).await;

    // Fedify signs what it sends inside (RsaSignature2017): the Mastodon-style subscriber
    // gets the very Create, which it accepts on the publisher's signature although the relay
    // delivered it; the LitePub subscriber gets the relay's Announce of the note.
    let verbatim = eventually(15, "the Create, byte-for-byte, at the Mastodon-style subscriber", || async {
        about(&mastodon, &note_id).await.into_iter().find(|a| a["type"] == "Create")
    })
    .await;
    assert_eq!(verbatim["id"], create["id"]);
    assert_eq!(verbatim["actor"].as_str(), Some(publisher.actor().as_str()));
    assert!(verbatim["body"]["signature"]["signatureValue"].is_string(), "{verbatim}");
    let announce = eventually(15, "the relay's Announce at the LitePub subscriber", || async {
        about(&litepub, &note_id).await.into_iter().find(|a| a["type"] == "Announce")
    })
    .await;
    assert_eq!(announce["actor"].as_str(), Some(relay.as_str()));

    // The same activity again, and the same post in a publisher's Announce: nothing new.
    publisher.send(&relay, create.clone()).await;
    publisher.send(&relay, json!({ "type": "Announce", "to": [PUBLIC], "object": note_id })).await;
    // Something after them, to know that everything before has been through the queue.
    let marker = format!("http://127.0.0.1:{}/notes/{}", publisher.port, uuid::Uuid::new_v4());
    let mut later = create.clone();
    later["id"] = json!(format!("{marker}/activity"));
    later["object"]["id"] = json!(marker);
    publisher.send(&relay, later).await;
    eventually(15, "the later post at both subscribers", || async {
        (!about(&mastodon, &marker).await.is_empty() && !about(&litepub, &marker).await.is_empty())
            .then_some(())
    })
    .await;
    assert_eq!(about(&mastodon, &note_id).await.len(), 1, "passed on once");
    assert_eq!(about(&litepub, &note_id).await.len(), 1, "passed on once");
    assert!(about(&publisher, &note_id).await.is_empty(), "nothing back to its origin");

    // Not public, or a Like: refused.
    let private = json!({ "type": "Create", "to": [format!("{}/followers", publisher.actor())],
        "object": { "id": format!("{note_id}-private"), "type": "Note", "attributedTo": publisher.actor(), "content": "intern" } });
    let why = publisher.try_send(&relay, private).await.expect_err("not public");
    assert!(why.contains("403") && why.contains("only public"), "{why}");
    // Nor may a publisher make every subscriber fetch some third party's URL.
    let elsewhere = json!({ "type": "Announce", "to": [PUBLIC], "object": "http://127.0.0.9:9/victim" });
    let why = publisher.try_send(&relay, elsewhere).await.expect_err("not a publisher's post");
    assert!(why.contains("403") && why.contains("neither its actor's server nor a publisher's"), "{why}");

    // The official accounts publish through the relay too: every subscriber, the publishing
    // peer included, gets the relay's Announce, and fetches the post here.
    app.create_account("bfdi", "press").await;
    let own = app.publish("press", "Bekanntmachung für alle Abonnenten des Relays").await;
    let own_id = app.url(&format!("/users/press/announcements/{}", own.public_id));
    for peer in [&mastodon, &litepub, &publisher] {
        let a = eventually(15, "the relay's Announce of an official announcement", || async {
            about(peer, &own_id).await.into_iter().find(|a| a["type"] == "Announce")
        })
        .await;
        assert_eq!(a["actor"].as_str(), Some(relay.as_str()));
    }
    let counted = reqwest::get(app.url("/relay")).await.unwrap().text().await.unwrap();
    assert!(counted.contains("3 servers subscribe"), "{counted}");
}

/// A fake remote server, subscribed to the relay (active) as if it had followed.
async fn subscribed_sink(app: &TestApp) -> herold_tests::fake_remote::FakeRemote {
    let sink = herold_tests::fake_remote::FakeRemote::start().await;
    let subscriber = herold_store::NewSubscriber {
        actor_uri: sink.actor.clone(),
        host: "subscriber.example".into(),
        inbox: format!("{}/inbox", sink.base),
        follow_id: format!("{}/follow", sink.base),
        style: SubscriptionStyle::Mastodon,
        state: SubscriptionState::Active,
        follow_back_id: None,
    };
    let audit = herold_store::AuditEntry::new("test", "relay.subscribe", "relay:subscriber.example");
    app.store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
    sink
}

/// Relay traffic is a data class: once delivered and past its retention it goes, with its
/// deliveries and the ids seen; what is still being delivered, and what an official
/// announcement owns, stays.
async fn relay_traffic_is_purged_once_delivered(db: Db) {
    use herold_compliance::{policy::Policies, retention};
    use herold_store::{Audience, DataClass, Priority};

    let app = relay_app(db, "open").await;
    app.create_account("bfdi", "press").await;
    let sink = subscribed_sink(&app).await;
    let everyone = || Audience::RelaySubscribers { style: None, except_host: None };
    let post = "https://publisher.example/notes/1";
    let seen = vec![format!("object:{post}")];
    let first = herold_federation::relay::announce(&app.services.urls, post, everyone(), Priority::Routine);
    assert!(app.store.relay_forward(&seen, &[first]).await.unwrap());
    let again = herold_federation::relay::announce(&app.services.urls, post, everyone(), Priority::Routine);
    assert!(!app.store.relay_forward(&seen, &[again]).await.unwrap(), "a post goes out once");
    app.publish("press", "Bleibt, solange die Bekanntmachung steht").await;
    eventually(10, "the relay's deliveries", || async {
        (sink.received().iter().filter(|r| r.json()["type"] == "Announce").count() == 2).then_some(())
    })
    .await;
    eventually(10, "recorded as delivered", || async {
        (app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered
            == 2)
            .then_some(())
    })
    .await;

    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let later = herold_domain::now_millis() + 8 * 86_400_000;
    let plan = retention::plan(app.store.as_ref(), &policies, later).await.unwrap();
    let relay_traffic = |plan: &[herold_store::ClassCount]| {
        plan.iter().filter(|c| c.class == DataClass::RelayTraffic).map(|c| c.count).sum::<i64>()
    };
    assert_eq!(relay_traffic(&plan), 2, "the passed-on Announce and its seen id: {plan:?}");
    let archive = app.db.dir.join("archive");
    let removed = retention::apply(app.store.as_ref(), &policies, later, "test", &archive).await.unwrap();
    assert_eq!(relay_traffic(&removed), 2);
    let after = retention::plan(app.store.as_ref(), &policies, later).await.unwrap();
    assert_eq!(relay_traffic(&after), 0);
    // The official announcement's Announce is the announcement's, not relay traffic.
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        1
    );
    let third = herold_federation::relay::announce(&app.services.urls, post, everyone(), Priority::Routine);
    assert!(app.store.relay_forward(&seen, &[third]).await.unwrap(), "the seen id went with it");
}

/// An open redirect on an allow-listed publisher's host must not let another server publish
/// through the relay (the pattern of Mastodon's CVE-2024-23832): the actor's document is
/// fetched from the allow-listed host, which redirects to the attacker's server, whose
/// document claims the redirecting URL as its id.
async fn an_open_redirect_on_a_publishers_host_does_not_make_a_publisher(db: Db) {
    let app = relay_app(db, "open").await;
    let sink = subscribed_sink(&app).await;
    let trusted = herold_tests::fake_remote::FakeRemote::start_at("127.0.0.1").await;
    let attacker = herold_tests::fake_remote::FakeRemote::start_at("127.0.0.2").await;
    assert!(app.services.relay.add_publisher("127.0.0.1", "operator").await.unwrap());

    let forged = format!("{}/out?to={}/doc", trusted.base, attacker.base);
    trusted.redirect(&format!("/out?to={}/doc", attacker.base), &format!("{}/doc", attacker.base));
    attacker.serve(
        "/doc",
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": forged, "type": "Person", "inbox": format!("{}/inbox", trusted.base),
            "publicKey": { "id": format!("{forged}#main-key"), "owner": forged, "publicKeyPem": attacker.public_key_pem },
        }),
    );
    let note = format!("{}/notes/1", attacker.base);
    let create = json!({
        "id": format!("{note}/activity"), "type": "Create", "actor": forged, "to": [PUBLIC],
        "object": { "id": note, "type": "Note", "attributedTo": forged, "to": [PUBLIC], "content": "Gefälschte Warnung" },
    });
    let signer = attacker.signer_as(&format!("{forged}#main-key"));
    let now = herold_domain::now_millis() / 1000;
    let body = create.to_string();
    let resp = attacker
        .post(
            &app.url("/relay/inbox"),
            body.as_bytes(),
            herold_federation::signatures::Scheme::Cavage,
            Some(&signer),
            now,
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert!(attacker.fetched().is_empty(), "the redirect to another server is not followed");
    assert!(app.store.remote_actor(&forged).await.unwrap().is_none());
    let stats = app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
    assert_eq!(stats.pending + stats.retrying + stats.delivered, 0, "nothing is relayed");
    assert!(sink.received().is_empty());

    // A redirect within one server is still followed (a renamed path, say).
    let moved = herold_tests::fake_remote::FakeRemote::start_at("127.0.0.1").await;
    let mut doc = moved.actor_doc();
    doc["id"] = json!(format!("{}/people/mallory", moved.base));
    doc["inbox"] = json!(format!("{}/people/mallory/inbox", moved.base));
    doc["publicKey"]["id"] = json!(format!("{}/people/mallory#main-key", moved.base));
    doc["publicKey"]["owner"] = doc["id"].clone();
    moved.serve("/people/mallory", doc);
    moved.redirect("/users/mallory-old", &format!("{}/people/mallory", moved.base));
    let client = herold_federation::fetch::http_client(
        "test",
        true,
        std::time::Duration::from_secs(5),
        &Default::default(),
        0,
    )
    .unwrap();
    let signer = moved.signer_as("http://127.0.0.1/actor#main-key");
    let fetcher = herold_federation::fetch::Fetcher::new(
        client,
        signer,
        herold_federation::signing_pool::SigningPool::new(1),
        true,
    );
    let fetched = fetcher.get_object(&format!("{}/users/mallory-old", moved.base)).await.unwrap();
    assert_eq!(fetched["id"], format!("{}/people/mallory", moved.base));
}

/// A subscriber whose inbox keeps failing is suspended (not dropped): it stays listed,
/// receives nothing more, and the operator can resume it.
async fn unreachable_subscribers_are_suspended_not_dropped(db: Db) {
    use herold_store::{Audience, Priority};

    let app = relay_app(db, "open").await;
    let sink = subscribed_sink(&app).await;
    sink.answer_with(503);
    let forward = |n: u32| {
        let post = format!("https://publisher.example/notes/{n}");
        let everyone = Audience::RelaySubscribers { style: None, except_host: None };
        let announce =
            herold_federation::relay::announce(&app.services.urls, &post, everyone, Priority::Routine);
        (vec![format!("object:{post}")], announce)
    };
    let (seen, announce) = forward(1);
    assert!(app.store.relay_forward(&seen, &[announce]).await.unwrap());
    eventually(10, "a failed delivery", || async {
        (app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().retrying == 1)
            .then_some(())
    })
    .await;

    let now = herold_domain::now_millis();
    assert!(app.services.relay.suspend_unreachable(now - 3_600_000).await.unwrap().is_empty(), "not yet");
    let suspended = app.services.relay.suspend_unreachable(now + 1000).await.unwrap();
    assert_eq!(suspended.iter().map(|s| s.actor_uri.as_str()).collect::<Vec<_>>(), vec![sink.actor.as_str()]);
    let listed = app.store.relay_subscriber(&sink.actor).await.unwrap().expect("still listed");
    assert_eq!(listed.state, SubscriptionState::Suspended);
    let counts = app.store.relay_counts().await.unwrap();
    assert!(counts.contains(&("suspended".to_owned(), 1)), "the operator's count: {counts:?}");
    let (_, nodeinfo) = app.get_json("/nodeinfo/2.1").await;
    assert_eq!(nodeinfo["metadata"]["relay"]["subscribers"], 0, "the public figure counts active ones only");

    // Suspended: the next post queues nothing for it.
    let queued = || async {
        let s = app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
        s.delivered + s.pending + s.retrying + s.dead
    };
    let before = queued().await;
    let (seen, announce) = forward(2);
    assert!(app.store.relay_forward(&seen, &[announce]).await.unwrap());
    assert_eq!(queued().await, before);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let before_resume = herold_domain::now_millis();
    assert!(app.services.relay.resume(&sink.actor, "operator").await.unwrap());
    assert!(!app.services.relay.resume(&sink.actor, "operator").await.unwrap(), "resumed once");
    // Still failing since before, but resumed since: the next run leaves it alone.
    assert!(app.services.relay.suspend_unreachable(before_resume).await.unwrap().is_empty());
    let (seen, announce) = forward(3);
    assert!(app.store.relay_forward(&seen, &[announce]).await.unwrap());
    assert_eq!(queued().await, before + 1, "active again");
    let audit: Vec<String> =
        app.store.audit_entries(0, 1000).await.unwrap().into_iter().map(|e| e.leaf.action).collect();
    assert!(audit.contains(&"relay.suspend".to_owned()) && audit.contains(&"relay.resume".to_owned()));
}

/// A publisher whose activities carry an integrity proof (FEP-8b32) by a key of its own
/// actor, but no LD signature: the relay checks the proof and passes the very activity to
/// Mastodon-style subscribers, who accept it on the proof (Fedify here). A proof that does
/// not hold gets the relay's Announce instead.
async fn proof_carrying_activities_go_on_verbatim(db: Db) {
    use herold_federation::integrity::ProofKey;
    use herold_federation::signatures::Scheme;
    let app = relay_app(db, "open").await;
    let relay = app.url("/relay");
    let mastodon = Peer::start("draft-cavage-http-signatures-12");
    subscribed(&relay, &mastodon).await;

    let publisher = herold_tests::fake_remote::FakeRemote::start_at("127.0.0.3").await;
    let ed25519 = herold_federation::keys::generate_ed25519().unwrap();
    let key_id = format!("{}#ed25519-key", publisher.actor);
    let mut actor = publisher.actor_doc();
    actor["@context"] = json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1"
    ]);
    actor["assertionMethod"] = json!([{ "id": key_id, "type": "Multikey", "controller": publisher.actor,
        "publicKeyMultibase": ed25519.public_multibase }]);
    publisher.set_actor_doc(actor);
    assert!(app.services.relay.add_publisher(&publisher.actor, "operator").await.unwrap());
    let proof_key = ProofKey::from_pkcs8(key_id, &ed25519.pkcs8_der).unwrap();
    let create = |text: &str| {
        let note = format!("{}/notes/{}", publisher.base, uuid::Uuid::new_v4());
        let activity = json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": format!("{note}/activity"), "type": "Create", "actor": publisher.actor, "to": [PUBLIC],
            "object": { "id": note, "type": "Note", "attributedTo": publisher.actor, "to": [PUBLIC], "content": text },
        });
        (note, proof_key.prove(activity, herold_domain::now_millis()))
    };
    let inbox = app.url("/relay/inbox");

    let (note, proven) = create("Amtliche Warnung: Sturmflut");
    assert_eq!(publisher.post_json(&inbox, &proven, Scheme::Cavage).await.status(), 202);
    let verbatim =
        eventually(15, "the proven Create, as it was, at the Mastodon-style subscriber", || async {
            about(&mastodon, &note).await.into_iter().find(|a| a["type"] == "Create")
        })
        .await;
    assert_eq!(verbatim["actor"].as_str(), Some(publisher.actor.as_str()), "{verbatim}");
    assert_eq!(verbatim["raw"]["proof"], proven["proof"]);

    let (forged_note, mut forged) = create("Amtliche Warnung: Sturmflut");
    forged["object"]["content"] = json!("Entwarnung");
    assert_eq!(publisher.post_json(&inbox, &forged, Scheme::Cavage).await.status(), 202);
    let announce = eventually(15, "the relay's Announce of the post whose proof fails", || async {
        about(&mastodon, &forged_note).await.into_iter().find(|a| a["type"] == "Announce")
    })
    .await;
    assert_eq!(announce["actor"].as_str(), Some(relay.as_str()));
    assert!(
        about(&mastodon, &forged_note).await.iter().all(|a| a["type"] != "Create"),
        "not passed on as it was"
    );
}

on_both_backends!(
    proof_carrying_activities_go_on_verbatim,
    litepub_publishers_are_followed_back,
    unreachable_subscribers_are_suspended_not_dropped,
    relay_traffic_is_purged_once_delivered,
    servers_subscribe_mastodon_and_litepub_style,
    approval_and_blocks_are_the_operators,
    publishers_reach_every_subscriber_but_their_own_server,
    an_open_redirect_on_a_publishers_host_does_not_make_a_publisher,
    one_subscription_per_server_waits_for_approval
);
