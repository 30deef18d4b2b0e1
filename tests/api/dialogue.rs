//! Citizen dialogue: replies and mentions from a real, independent ActivityPub server (the
//! Fedify peer) reach the organisation's dialogue inbox, follow their sender's changes and
//! deletions, are worked on by the press office, and leave no more personal data than the
//! retention policy allows.

use herold_compliance::policy::Policies;
use herold_compliance::retention;
use herold_domain::now_millis;
use herold_federation::signatures::Scheme;
use herold_store::{
    AuditEntry, ClassCount, DataClass, MessageFilter, MessageKind, MessageState, NewMessage, Visibility,
};
use herold_tests::fake_remote::FakeRemote;
use herold_tests::oidc::{field, Browser, OidcProvider};
use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::{eventually, Db, TestApp};
use serde_json::{json, Value};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const DAY: i64 = 86_400_000;

async fn dialogue_app(db: Db, provider: &OidcProvider) -> TestApp {
    let sign_in =
        vec![SignIn { org: "demo", issuer: provider.issuer(), extra_policy: "", discovery_url: None }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    app
}

async fn messages(app: &TestApp) -> Vec<herold_store::Message> {
    app.store.messages("demo", &MessageFilter::default(), None, 100, &Visibility::everything()).await.unwrap()
}

async fn replies_and_mentions_from_a_real_peer_reach_the_dialogue_inbox(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let announcement = app.publish("press", "Die Nordbrücke ist ab Montag gesperrt.").await;
    let announcement_url = app.url(&format!("/users/press/announcements/{}", announcement.public_id));
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let me = peer.actor();
    let note = |n: u32, content: &str| {
        format!("http://127.0.0.1:{}/notes/{n}-{content}", peer.port).replace(' ', "-")
    };

    // A public reply, a message to the account alone, and a post that claims to be someone
    // else's (never kept).
    let reply_id = note(1, "reply");
    let reply = json!({
        "type": "Create",
        "to": [PUBLIC],
        "object": {
            "type": "Note", "id": reply_id, "attributedTo": me, "inReplyTo": announcement_url,
            "content": "<p>Gilt das auch f&uuml;r Radfahrende?</p>", "to": [PUBLIC], "cc": [press],
            "tag": [{ "type": "Mention", "href": press, "name": "@press" }]
        }
    });
    peer.send(&press, reply).await;
    let direct_id = note(2, "direct");
    let direct = json!({
        "type": "Create",
        "to": [press],
        "object": {
            "type": "Note", "id": direct_id, "attributedTo": me, "content": "<p>Eine Frage nur an Sie.</p>",
            "to": [press], "tag": [{ "type": "Mention", "href": press, "name": "@press" }]
        }
    });
    peer.send(&press, direct).await;
    let forged = json!({
        "type": "Create",
        "object": {
            "type": "Note", "id": note(3, "forged"), "attributedTo": "https://elsewhere.example/users/x",
            "content": "Untergeschoben", "inReplyTo": announcement_url
        }
    });
    peer.send(&press, forged).await;

    let kept = eventually(20, "both messages arrive", || async {
        let m = messages(&app).await;
        (m.len() == 2).then_some(m)
    })
    .await;
    let reply = kept.iter().find(|m| m.object_uri == reply_id).expect("the reply");
    assert_eq!((reply.kind, reply.state), (MessageKind::Reply, MessageState::Open));
    assert_eq!(reply.content, "Gilt das auch für Radfahrende?");
    assert_eq!(reply.announcement_public_id.as_deref(), Some(announcement.public_id.as_str()));
    assert_eq!(reply.sender_uri, me);
    let direct = kept.iter().find(|m| m.object_uri == direct_id).expect("the direct message");
    assert_eq!((direct.kind, direct.visibility.as_str()), (MessageKind::Mention, "direct"));
    assert!(messages(&app).await.iter().all(|m| m.content != "Untergeschoben"));

    // The press office sees them, with a count in the navigation, and marks one answered.
    let alice = app.sign_in("demo", "alice").await.browser;
    let page = alice.get_in(&app.url("/staff/dialogue"), "de").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for shown in
        ["Gilt das auch für Radfahrende?", "Eine Frage nur an Sie.", "2 offen", "nur an das Konto gerichtet"]
    {
        assert!(page.body.contains(shown), "{shown:?} is not on the page: {}", page.body);
    }
    let token = field(&page.body, "csrf").unwrap();
    let marked = alice
        .post(
            &app.url(&format!("/staff/dialogue/{}", reply.public_id)),
            &[("csrf", token.as_str()), ("state", "answered"), ("filter", "open")],
        )
        .await;
    assert_eq!(marked.status, 303, "{}", marked.body);
    let open = app.store.open_messages("demo", &Visibility::everything()).await.unwrap();
    assert_eq!(open, 1);
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    let entry = trail.iter().find(|e| e.leaf.action == "message.mark").expect("audited");
    assert_eq!(entry.leaf.subject, format!("message:{}", reply.public_id));
    assert!(!entry.payload.as_ref().unwrap().1.contains(&me), "the trail does not name the citizen");
    // Another organisation's staff cannot mark it (it is not theirs to find).
    let forged_mark = alice
        .post(&app.url("/staff/dialogue/no-such-message"), &[("csrf", token.as_str()), ("state", "abusive")])
        .await;
    assert_eq!(forged_mark.status, 404);

    // The sender changes the reply, then deletes the direct message: Herold follows.
    let update = json!({
        "type": "Update",
        "object": {
            "type": "Note", "id": reply_id, "attributedTo": me, "inReplyTo": announcement_url,
            "content": "<p>Gilt das auch f&uuml;r Radfahrende und Fu&szlig;g&auml;nger?</p>", "to": [PUBLIC]
        }
    });
    peer.send(&press, update).await;
    peer.send(&press, json!({ "type": "Delete", "object": { "type": "Tombstone", "id": direct_id } })).await;
    eventually(20, "the change and the deletion arrive", || async {
        let m = messages(&app).await;
        (m.len() == 1 && m[0].content.ends_with("Fußgänger?")).then_some(())
    })
    .await;

    // The citizen's data, on request, and erased.
    let data = app.store.subject_data(&me, &Visibility::everything()).await.unwrap();
    assert_eq!(data.messages.len(), 1, "{data:?}");
    assert_eq!(data.messages[0].state, "answered");
    let erased = app
        .store
        .erase_subject(&me, &[], None, AuditEntry::new("dpo", "subject.erase", "remote"))
        .await
        .unwrap();
    assert_eq!(erased.messages_removed, 1);
    assert!(messages(&app).await.is_empty());
}

fn count(plan: &[ClassCount], org: &str) -> i64 {
    plan.iter()
        .filter(|c| c.class == DataClass::CitizenMessages && c.org.as_deref() == Some(org))
        .map(|c| c.count)
        .sum()
}

/// After `retention apply` no citizen message is older than its limit (90 days in the
/// shipped policy), whatever the press office did with it; a legal hold keeps them.
async fn citizen_messages_expire_with_their_retention_class(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let press = app.store.account_by_username("press").await.unwrap().unwrap();
    for n in 0..3 {
        let message = NewMessage {
            public_id: format!("m{n}"),
            account_id: press.id,
            announcement_id: None,
            kind: MessageKind::Mention,
            object_uri: format!("https://social.example/notes/{n}"),
            url: None,
            sender_uri: "https://social.example/users/anna".into(),
            content: format!("Nachricht {n}"),
            language: Some("de".into()),
            visibility: "public".into(),
        };
        assert!(app.store.receive_message(message.clone()).await.unwrap());
        assert!(!app.store.receive_message(message).await.unwrap(), "a repeated delivery is kept once");
    }
    let answered = AuditEntry::new("staff:1", "message.mark", "message:m0").in_org("demo");
    app.store.set_message_state("demo", "m0", MessageState::Answered, answered).await.unwrap();

    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let now = now_millis();
    let within = retention::plan(app.store.as_ref(), &policies, now + 89 * DAY).await.unwrap();
    assert_eq!(count(&within, "demo"), 0);
    let past = retention::plan(app.store.as_ref(), &policies, now + 91 * DAY).await.unwrap();
    assert_eq!(count(&past, "demo"), 3);
    // Hidden from the press office at once, before any purge.
    let seen = policies.visibility().at(now + 91 * DAY);
    assert!(app.store.messages("demo", &MessageFilter::default(), None, 10, &seen).await.unwrap().is_empty());
    assert_eq!(app.store.open_messages("demo", &seen).await.unwrap(), 0);

    let archive = app.db.dir.join("archive");
    let mut held = policies.clone();
    held.add_org(std::path::Path::new("orgs/demo.toml"), "legal_hold = true\n").unwrap();
    retention::apply(app.store.as_ref(), &held, now + 91 * DAY, "test", &archive).await.unwrap();
    assert_eq!(messages(&app).await.len(), 3, "a legal hold keeps them");
    retention::apply(app.store.as_ref(), &policies, now + 91 * DAY, "test", &archive).await.unwrap();
    assert!(messages(&app).await.is_empty(), "none older than its limit is left");
}

/// An answer goes through the same approval as any announcement and reaches the citizen's
/// server as a reply to their post, mentioning them; publishing it marks the message
/// answered. A message the citizen did not make public gets no public answer.
async fn an_approved_answer_reaches_the_citizen_as_a_reply(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let announcement = app.publish("press", "Die Nordbrücke ist ab Montag gesperrt.").await;
    let announcement_url = app.url(&format!("/users/press/announcements/{}", announcement.public_id));
    let press = app.url("/users/press");
    let peer = Peer::start("rfc9421");
    let me = peer.actor();
    let handle = format!("@peer@{}", me.split('/').nth(2).unwrap());
    let reply_id = format!("http://127.0.0.1:{}/notes/frage", peer.port);
    let direct_id = format!("http://127.0.0.1:{}/notes/privat", peer.port);
    for (id, to, text) in
        [(&reply_id, PUBLIC, "Gilt das auch für Radfahrende?"), (&direct_id, press.as_str(), "Privat")]
    {
        let post = json!({
            "type": "Create",
            "object": {
                "type": "Note", "id": id, "attributedTo": me, "inReplyTo": announcement_url,
                "content": text, "to": [to], "cc": [press],
                "tag": [{ "type": "Mention", "href": press, "name": "@press" }]
            }
        });
        peer.send(&press, post).await;
    }
    let kept = eventually(20, "both messages arrive", || async {
        let m = messages(&app).await;
        (m.len() == 2).then_some(m)
    })
    .await;
    let question = kept.iter().find(|m| m.object_uri == reply_id).unwrap().public_id.clone();
    let private = kept.iter().find(|m| m.object_uri == direct_id).unwrap().public_id.clone();

    let alice = app.sign_in("demo", "alice").await.browser;
    let listed = alice.get(&app.url("/staff/dialogue")).await.body;
    assert!(listed.contains(&format!("/staff/new?answer={question}")), "{listed}");
    assert!(
        !listed.contains(&format!("/staff/new?answer={private}")),
        "no public answer to a private message"
    );
    let compose = alice.get(&app.url(&format!("/staff/new?answer={question}"))).await;
    assert_eq!(compose.status, 200, "{}", compose.body);
    assert!(compose.body.contains("Gilt das auch für Radfahrende?"), "the question is beside the answer");
    assert!(
        compose.body.contains(&format!(">{handle} </textarea>")),
        "it starts with the sender's address: {}",
        compose.body
    );
    let token = field(&compose.body, "csrf").unwrap();
    let text = format!("{handle} Ja, auch für Radfahrende: bitte die Nordstraße nutzen.");
    let answer = |message: &str| {
        let form = [
            ("csrf".to_owned(), token.clone()),
            ("account".to_owned(), "press".to_owned()),
            ("text".to_owned(), text.clone()),
            ("language".to_owned(), "de".to_owned()),
            ("publish_at".to_owned(), String::new()),
            ("answer".to_owned(), message.to_owned()),
        ];
        let alice = &alice;
        let url = app.url("/staff/drafts");
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            alice.post(&url, &form).await
        }
    };
    assert_eq!(answer(&private).await.status, 400, "a private message is not answered in public");
    let saved = answer(&question).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let draft = saved.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    let page = alice.get(&app.url(&format!("/staff/drafts/{draft}"))).await.body;
    assert!(page.contains(&format!("href=\"{reply_id}\"")), "the draft says what it answers: {page}");
    // The author takes the address out of the text: the answer still reaches the person.
    let revised = [
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", "Ja, auch für Radfahrende: bitte die Nordstraße nutzen."),
        ("language", "de"),
        ("publish_at", ""),
    ];
    let revised = alice.post(&app.url(&format!("/staff/drafts/{draft}")), &revised).await;
    assert_eq!(revised.status, 303, "{}", revised.body);

    let bob = app.sign_in("demo", "bob").await.browser;
    for (who, step) in [(&alice, "submit"), (&bob, "approve")] {
        let page = who.get(&app.url(&format!("/staff/drafts/{draft}"))).await.body;
        let form = [
            ("csrf", field(&page, "csrf").unwrap()),
            ("step", step.to_owned()),
            ("revision", field(&page, "revision").unwrap_or_default()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = who.post(&app.url(&format!("/staff/drafts/{draft}/step")), &form).await;
        assert_eq!(done.status, 303, "{step}: {}", done.body);
    }
    let created = eventually(20, "the citizen's server receives the answer", || async {
        peer.received_of("Create")
            .await
            .into_iter()
            .find(|c| c["body"]["object"]["inReplyTo"] == reply_id.as_str())
    })
    .await;
    let note = &created["body"]["object"];
    assert!(note["content"].as_str().unwrap().contains("bitte die Nordstraße nutzen"), "{note}");
    let mentions: Vec<&Value> =
        note["tag"].as_array().unwrap().iter().filter(|t| t["type"] == "Mention").collect();
    assert_eq!(mentions.len(), 1, "{note}");
    assert_eq!(
        (mentions[0]["href"].as_str(), mentions[0]["name"].as_str()),
        (Some(me.as_str()), Some(handle.as_str()))
    );
    assert!(created["body"]["cc"].as_array().unwrap().iter().any(|c| c == me.as_str()), "{created}");
    let answered = messages(&app).await.into_iter().find(|m| m.public_id == question).unwrap();
    assert_eq!(answered.state, MessageState::Answered, "publishing the answer answers the message");
}

/// An approver blocks an abusive server, with a reason: what the organisation held from it
/// goes, and what it sends later is never stored, until the block is lifted. A blocked
/// person learns of the block in their subject access.
async fn a_blocked_server_s_messages_are_not_stored(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let mention = |n: u32| {
        json!({
            "type": "Create",
            "object": {
                "type": "Note", "id": format!("http://127.0.0.1:{}/notes/m{n}", peer.port), "attributedTo": peer.actor(),
                "content": format!("Beschimpfung {n}"), "to": [press.as_str()],
                "tag": [{ "type": "Mention", "href": press.as_str() }]
            }
        })
    };
    peer.send(&press, mention(1)).await;
    let first = messages(&app).await.into_iter().next().expect("the first message is kept");

    let bob = app.sign_in("demo", "bob").await.browser;
    let page = bob.get(&app.url("/staff/dialogue")).await.body;
    let token = field(&page, "csrf").unwrap();
    let block = |scope: &'static str, reason: &'static str| {
        let url = app.url(&format!("/staff/dialogue/{}/block", first.public_id));
        let token = token.clone();
        let bob = &bob;
        async move { bob.post(&url, &[("csrf", token.as_str()), ("scope", scope), ("reason", reason)]).await }
    };
    assert_eq!(block("server", "").await.status, 400, "a block needs a reason");
    let alice = app.sign_in("demo", "alice").await.browser;
    let by_author = alice
        .post(
            &app.url(&format!("/staff/dialogue/{}/block", first.public_id)),
            &[
                ("csrf", field(&alice.get(&app.url("/staff/dialogue")).await.body, "csrf").unwrap().as_str()),
                ("scope", "server"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(by_author.status, 403, "blocking is an approver's call");
    assert_eq!(block("server", "Beleidigungen in Serie").await.status, 303);
    assert!(messages(&app).await.is_empty(), "what the organisation held from the server goes");
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    assert!(trail.iter().any(|e| e.leaf.action == "dialogue.block" && e.leaf.org.as_deref() == Some("demo")));

    peer.send(&press, mention(2)).await;
    assert!(messages(&app).await.is_empty(), "a blocked server's messages are not stored");
    let page = bob.get(&app.url("/staff/dialogue")).await.body;
    assert!(page.contains("Beleidigungen in Serie"), "the block and its reason are listed: {page}");
    assert!(page.contains("The server is blocked:"), "the block is confirmed once: {page}");

    let blocks = app.store.blocks("demo").await.unwrap();
    let lift = app.url(&format!("/staff/dialogue/blocks/{}/remove", blocks[0].id));
    assert_eq!(bob.post(&lift, &[("csrf", token.as_str())]).await.status, 303);
    let page = bob.get_in(&app.url("/staff/dialogue"), "de").await.body;
    assert!(page.contains("Die Sperre ist aufgehoben."), "{page}");
    peer.send(&press, mention(3)).await;
    assert_eq!(messages(&app).await.len(), 1, "lifted, the server is heard again");

    // A person blocked alone sees it in their subject access.
    let second = messages(&app).await.remove(0);
    let url = app.url(&format!("/staff/dialogue/{}/block", second.public_id));
    let person = bob.post(&url, &[("csrf", token.as_str()), ("scope", "account"), ("reason", "Spam")]).await;
    assert_eq!(person.status, 303);
    let data = app.store.subject_data(&peer.actor(), &Visibility::everything()).await.unwrap();
    assert_eq!(data.blocks.iter().map(|b| b.reason.as_str()).collect::<Vec<_>>(), ["Spam"]);
}

/// An approver reports an abusive message to its sender's server: the server (the Fedify
/// peer) receives a verified `Flag` from Herold's instance actor naming the sender and the
/// post, with the reason; the message is marked abusive; authors may not report.
async fn abuse_is_reported_to_the_sender_s_server_with_a_flag(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let post = format!("http://127.0.0.1:{}/notes/abuse", peer.port);
    peer.send(
        &press,
        json!({
            "type": "Create",
            "object": {
                "type": "Note", "id": post, "attributedTo": peer.actor(), "content": "Beschimpfung",
                "to": [press.as_str()], "tag": [{ "type": "Mention", "href": press.as_str() }]
            }
        }),
    )
    .await;
    let message = messages(&app).await.into_iter().next().expect("the message is kept");
    let report = app.url(&format!("/staff/dialogue/{}/report", message.public_id));
    // The press office sees whom it deals with by their address, looked up after arrival.
    app.services.publisher.look_up_sender_handles().await.unwrap();
    let handle = format!("@peer@127.0.0.1:{}", peer.port);
    assert_eq!(messages(&app).await[0].sender_handle.as_deref(), Some(handle.as_str()));
    let alice = app.sign_in("demo", "alice").await.browser;
    let token = field(&alice.get(&app.url("/staff/dialogue")).await.body, "csrf").unwrap();
    let by_author = alice.post(&report, &[("csrf", token.as_str()), ("reason", "x")]).await;
    assert_eq!(by_author.status, 403, "reporting is an approver's call");
    let bob = app.sign_in("demo", "bob").await.browser;
    let page = bob.get(&app.url("/staff/dialogue")).await.body;
    assert!(page.contains("Report to their server") && page.contains(&handle), "{page}");
    let token = field(&page, "csrf").unwrap();
    assert_eq!(bob.post(&report, &[("csrf", token.as_str()), ("reason", " ")]).await.status, 400);
    let sent = bob.post(&report, &[("csrf", token.as_str()), ("reason", "Beleidigung einer Behörde")]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    let flag = eventually(20, "the Flag to reach the sender's server", || async {
        peer.received_of("Flag").await.into_iter().next()
    })
    .await;
    assert_eq!(flag["raw"]["actor"], app.url("/actor"), "{flag}");
    assert_eq!(flag["raw"]["content"], "Beleidigung einer Behörde");
    let objects = flag["raw"]["object"].to_string();
    assert!(objects.contains(&peer.actor()) && objects.contains(&post), "{objects}");
    assert_eq!(messages(&app).await[0].state, MessageState::Abusive);
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    assert!(trail.iter().any(|e| e.leaf.action == "dialogue.report"));
}

/// An organisation that takes replies from its followers only says so in every
/// announcement (`canReply`), and a reply from anyone else is not kept.
async fn replies_follow_the_published_reply_policy(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: "[presence]\nreplies = \"followers\"",
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let a = app.publish("press", "Bürgersprechstunde am Freitag").await;
    let object = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let (_, note) = app.get_json(&format!("/users/press/announcements/{}", a.public_id)).await;
    assert_eq!(
        note["interactionPolicy"]["canReply"]["automaticApproval"],
        json!([app.url("/users/press/followers")])
    );
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let reply = |n: u32| {
        json!({
            "type": "Create",
            "object": {
                "type": "Note", "id": format!("http://127.0.0.1:{}/notes/{n}", peer.port), "attributedTo": peer.actor(),
                "inReplyTo": object, "content": format!("Antwort {n}"), "to": [PUBLIC]
            }
        })
    };
    peer.send(&press, reply(1)).await;
    assert!(messages(&app).await.is_empty(), "not a follower: the reply is not kept");
    peer.follow(&press).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    eventually(20, "the peer follows", || async {
        app.store.is_follower(account.id, &peer.actor()).await.unwrap().then_some(())
    })
    .await;
    peer.send(&press, reply(2)).await;
    let kept = eventually(20, "a follower's reply is kept", || async {
        let m = messages(&app).await;
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert_eq!(kept.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(), ["Antwort 2"]);
}

/// An author chooses who may reply to one announcement, whatever the organisation's
/// setting: the approver sees the choice, the announcement publishes it (`canReply`), and a
/// reply it does not take is not kept, while replies to the organisation's other
/// announcements still are. A choice that is none is refused with the form kept.
async fn an_announcement_s_own_reply_policy_overrides_the_organisation_s(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let open = app.publish("press", "Sprechstunde am Freitag").await;
    let alice = app.sign_in("demo", "alice").await.browser;
    let compose = alice.get(&app.url("/staff/new?account=press")).await.body;
    assert!(compose.contains("name=\"replies\""), "the form asks who may reply: {compose}");
    let token = field(&compose, "csrf").unwrap();
    let save = |replies: &'static str| {
        let form = [
            ("csrf", token.as_str()),
            ("account", "press"),
            ("text", "Die Wahlergebnisse stehen fest."),
            ("language", "de"),
            ("publish_at", ""),
            ("replies", replies),
        ];
        let (alice, url) = (&alice, app.url("/staff/drafts"));
        async move { alice.post(&url, &form).await }
    };
    let refused = save("strangers").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Die Wahlergebnisse stehen fest."), "nothing typed is lost");
    let saved = save("nobody").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let draft = saved.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    let bob = app.sign_in("demo", "bob").await.browser;
    for (who, step) in [(&alice, "submit"), (&bob, "approve")] {
        let page = who.get(&app.url(&format!("/staff/drafts/{draft}"))).await.body;
        if step == "approve" {
            assert!(
                page.contains("Who may reply") && page.contains("Nobody"),
                "the approver sees it: {page}"
            );
        }
        let form = [
            ("csrf", field(&page, "csrf").unwrap()),
            ("step", step.to_owned()),
            ("revision", field(&page, "revision").unwrap_or_default()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = who.post(&app.url(&format!("/staff/drafts/{draft}/step")), &form).await;
        assert_eq!(done.status, 303, "{step}: {}", done.body);
    }
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    let closed = app.store.announcements(account.id, 10, 0).await.unwrap();
    let closed = closed.iter().find(|a| a.public_id != open.public_id).expect("published").clone();
    let (_, note) = app.get_json(&format!("/users/press/announcements/{}", closed.public_id)).await;
    assert_eq!(note["interactionPolicy"]["canReply"]["automaticApproval"], json!([app.url("/users/press")]));
    let (_, note) = app.get_json(&format!("/users/press/announcements/{}", open.public_id)).await;
    assert_eq!(note["interactionPolicy"]["canReply"]["automaticApproval"], json!([PUBLIC]));

    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let reply = |n: u32, to: &str| {
        json!({
            "type": "Create",
            "object": {
                "type": "Note", "id": format!("http://127.0.0.1:{}/notes/{n}", peer.port), "attributedTo": peer.actor(),
                "inReplyTo": app.url(&format!("/users/press/announcements/{to}")),
                "content": format!("Antwort {n}"), "to": [PUBLIC]
            }
        })
    };
    peer.send(&press, reply(1, &closed.public_id)).await;
    peer.send(&press, reply(2, &open.public_id)).await;
    let kept = eventually(20, "the reply to the open announcement is kept", || async {
        let m = messages(&app).await;
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert_eq!(kept.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(), ["Antwort 2"]);
}

async fn decide(app: &TestApp, who: &Browser, token: &str, message: &str, decision: &str) -> u16 {
    let url = app.url(&format!("/staff/dialogue/{message}/shown"));
    who.post(&url, &[("csrf", token), ("decision", decision)]).await.status
}

/// An approver shows a citizen's public reply under the announcement: it appears on the
/// announcement's public page and in its `replies` collection. The sender changing it takes
/// it down until someone chooses it again; taking it down keeps a reason code; an author
/// cannot show one, nor can anyone show a message that was not public.
async fn replies_an_approver_chooses_are_shown_under_the_announcement(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let a = app.publish("press", "Der Wochenmarkt zieht um.").await;
    let path = format!("/users/press/announcements/{}", a.public_id);
    let object = app.url(&path);
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let reply_id = format!("http://127.0.0.1:{}/notes/markt", peer.port);
    let direct_id = format!("http://127.0.0.1:{}/notes/privat", peer.port);
    let reply = |content: &str| {
        json!({
            "type": "Note", "id": reply_id, "attributedTo": peer.actor(), "inReplyTo": object,
            "content": content, "to": [PUBLIC], "cc": [press]
        })
    };
    peer.send(&press, json!({ "type": "Create", "to": [PUBLIC], "object": reply("<p>Wohin genau?</p>") }))
        .await;
    let direct = json!({
        "type": "Note", "id": direct_id, "attributedTo": peer.actor(), "inReplyTo": object,
        "content": "<p>Nur für Sie.</p>", "to": [press]
    });
    peer.send(&press, json!({ "type": "Create", "to": [press], "object": direct })).await;
    let kept = eventually(20, "both messages arrive", || async {
        let m = messages(&app).await;
        (m.len() == 2).then_some(m)
    })
    .await;
    let id_of = |uri: &str| kept.iter().find(|m| m.object_uri == uri).unwrap().public_id.clone();
    let (reply_msg, direct_msg) = (id_of(&reply_id), id_of(&direct_id));

    let collection = || async {
        let (status, c) = app.get_json(&format!("{path}/replies")).await;
        assert_eq!(status, 200, "{c}");
        c["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let page = || async {
        app.http.get(&object).header("accept", "text/html").send().await.unwrap().text().await.unwrap()
    };
    assert!(collection().await.is_empty(), "nothing is shown before someone chooses it");
    assert!(!page().await.contains("Wohin genau?"));

    let alice = app.sign_in("demo", "alice").await.browser;
    let inbox = alice.get(&app.url("/staff/dialogue")).await.body;
    assert!(inbox.contains("Under the announcement"), "{inbox}");
    let token = field(&inbox, "csrf").unwrap();
    assert_eq!(decide(&app, &alice, &token, &reply_msg, "show").await, 403, "an approver's call");
    let bob = app.sign_in("demo", "bob").await.browser;
    let token = field(&bob.get(&app.url("/staff/dialogue")).await.body, "csrf").unwrap();
    assert_eq!(decide(&app, &bob, &token, &direct_msg, "show").await, 400, "it was not public");
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "anything").await, 400, "a reason is one of the list");
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "show").await, 303);
    assert_eq!(collection().await, [reply_id.as_str()]);
    let shown = page().await;
    assert!(shown.contains("Wohin genau?") && shown.contains("Replies"), "{shown}");

    // The sender changes it: it is taken down until someone chooses it again.
    peer.send(&press, json!({ "type": "Update", "object": reply("<p>Zum Rathausplatz? Danke!</p>") })).await;
    eventually(20, "the change arrives", || async {
        messages(&app).await.iter().any(|m| m.content == "Zum Rathausplatz? Danke!").then_some(())
    })
    .await;
    assert!(collection().await.is_empty(), "a changed reply is not shown unchecked");
    assert!(!page().await.contains("Rathausplatz"));
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "show").await, 303);
    assert_eq!(collection().await, [reply_id.as_str()]);
    // Or narrows its audience, the words unchanged: it is no longer shown, nor can be.
    let mut narrowed = reply("<p>Zum Rathausplatz? Danke!</p>");
    narrowed["to"] = json!([format!("{}/followers", peer.actor())]);
    narrowed["cc"] = json!([press]);
    peer.send(&press, json!({ "type": "Update", "object": narrowed })).await;
    eventually(20, "the narrower audience arrives", || async {
        messages(&app)
            .await
            .iter()
            .any(|m| m.public_id == reply_msg && m.visibility == "followers")
            .then_some(())
    })
    .await;
    assert!(collection().await.is_empty(), "a reply its sender narrowed is not shown");
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "show").await, 400, "no longer public");
    peer.send(&press, json!({ "type": "Update", "object": reply("<p>Zum Rathausplatz? Danke!</p>") })).await;
    eventually(20, "public again", || async {
        messages(&app)
            .await
            .iter()
            .any(|m| m.public_id == reply_msg && m.visibility == "public")
            .then_some(())
    })
    .await;
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "show").await, 303);
    assert_eq!(decide(&app, &bob, &token, &reply_msg, "spam").await, 303);
    assert!(collection().await.is_empty());
    let taken_down = messages(&app).await.into_iter().find(|m| m.public_id == reply_msg).unwrap();
    assert_eq!((taken_down.shown_at, taken_down.hidden_reason.as_deref()), (None, Some("spam")));
    let inbox = bob.get(&app.url("/staff/dialogue")).await.body;
    assert!(inbox.contains("Not shown: advertising or spam"), "{inbox}");
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(trail.iter().filter(|e| e.leaf.action == "message.show").count(), 3);
    let hide = trail.iter().find(|e| e.leaf.action == "message.hide").expect("audited");
    assert!(hide.payload.as_ref().unwrap().1.contains("spam"), "the reason code is kept");
}

/// Likes and boosts from a real peer change the counters, a repeat counts once, an Undo
/// takes one back; who reacted is kept only as a keyed hash, which expires with its short
/// retention class while the counts stay, and which names nobody in the database.
async fn likes_and_boosts_are_counted_without_keeping_who(db: Db) {
    let provider = OidcProvider::start();
    let app = dialogue_app(db, &provider).await;
    let a = app.publish("press", "Der Stadtrat tagt am Donnerstag.").await;
    let object = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let me = peer.actor();
    let like_id = format!("http://127.0.0.1:{}/likes/1", peer.port);
    let like = json!({ "type": "Like", "id": like_id, "object": object });
    peer.send(&press, like.clone()).await;
    peer.send(&press, json!({ "type": "Like", "object": object })).await;
    peer.send(&press, json!({ "type": "Announce", "object": object, "to": [PUBLIC] })).await;
    let counted = |likes: i64, boosts: i64| {
        let store = app.store.clone();
        let id = a.id;
        async move {
            let r = store.reactions(id).await.unwrap();
            (r.likes == likes && r.boosts == boosts).then_some(())
        }
    };
    eventually(20, "one like (sent twice) and one boost", || counted(1, 1)).await;
    // Counting keeps nothing that names the reacting person, not even their key in the cache.
    let data = app.store.subject_data(&me, &Visibility::everything()).await.unwrap();
    assert!(data.actor_cache.is_none() && data.follows.is_empty() && data.messages.is_empty(), "{data:?}");
    let staff_page = format!("/staff/accounts/press/announcements/{}", a.public_id);
    let alice = app.sign_in("demo", "alice").await.browser;
    let page = alice.get_in(&app.url(&staff_page), "de").await.body;
    assert!(page.contains("Favorisiert") && page.contains("Geteilt"), "{page}");
    // The curve: today's row counts what arrived, on the announcement's page and the account's.
    let today = &herold_domain::format_rfc3339(now_millis())[..10];
    let row = format!("<tr><td>{today}</td><td>1</td><td>1</td></tr>");
    assert!(page.contains(&row) && page.contains("1-mal favorisiert und 1-mal geteilt"), "{page}");
    let account = alice.get(&app.url("/staff/accounts/press")).await.body;
    assert!(account.contains("Likes and boosts per day") && account.contains(&row), "{account}");
    peer.send(&press, json!({ "type": "Undo", "object": like })).await;
    eventually(20, "the like taken back", || counted(0, 1)).await;

    // Only a keyed hash per announcement is kept, in a short retention class.
    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let now = now_millis();
    let plan = retention::plan(app.store.as_ref(), &policies, now + 31 * DAY).await.unwrap();
    let hashes: i64 = plan.iter().filter(|c| c.class == DataClass::ReactionPseudonyms).map(|c| c.count).sum();
    assert_eq!(hashes, 1, "the boost's hash expires after 30 days: {plan:?}");
    let archive = app.db.dir.join("archive");
    retention::apply(app.store.as_ref(), &policies, now + 31 * DAY, "test", &archive).await.unwrap();
    assert_eq!(app.store.reactions(a.id).await.unwrap().boosts, 1, "the counts stay");
    // An Undo after the hash expired is no longer recognised: the count stays as it was.
    peer.send(
        &press,
        json!({ "type": "Undo", "object": { "type": "Announce", "actor": me, "object": object } }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.store.reactions(a.id).await.unwrap().boosts, 1);
}

/// A follower's reply to an announcement open to followers only: GoToSocial holds it back
/// until the author's server vouches for it, so Herold answers its plain Create (v0.20) and
/// its ReplyRequest (v0.21) with an Accept whose `result` is a `ReplyAuthorization` served
/// at its own address, and refuses a request its policy does not take. The shapes are
/// GoToSocial's, from its federation documentation and source.
async fn follower_replies_are_vouched_for_as_gotosocial_expects(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: "[presence]\nreplies = \"followers\"",
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let a = app.publish("press", "Bürgersprechstunde am Freitag").await;
    let object = app.url(&format!("/users/press/announcements/{}", a.public_id));
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let me = peer.actor();
    peer.follow(&press).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    eventually(20, "the peer follows", || async {
        app.store.is_follower(account.id, &me).await.unwrap().then_some(())
    })
    .await;
    let note = |id: &str| {
        json!({
            "type": "Note", "id": id, "attributedTo": me, "inReplyTo": object,
            "content": "<p><span class=\"h-card\"><a href=\"{press}\" class=\"u-url mention\">@<span>press</span></a></span> Auch online?</p>",
            "to": [PUBLIC], "cc": [format!("{me}/followers"), press], "sensitive": false,
            "tag": [{ "type": "Mention", "href": press, "name": "@press" }],
            "interactionPolicy": { "canReply": { "automaticApproval": [PUBLIC], "manualApproval": [] } }
        })
    };

    // v0.20: a plain Create, to the author's inbox alone.
    let reply_id = format!("http://127.0.0.1:{}/statuses/01REPLY", peer.port);
    let create = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://gotosocial.org/ns"],
        "type": "Create", "id": format!("{reply_id}/activity"), "actor": me,
        "to": [PUBLIC], "cc": [format!("{me}/followers"), press], "object": note(&reply_id)
    });
    peer.send(&press, create.clone()).await;
    let accept = eventually(20, "the reply is vouched for", || async {
        peer.received_of("Accept").await.into_iter().find(|x| x["body"]["object"] == reply_id.as_str())
    })
    .await;
    let accept = &accept["body"];
    assert_eq!(
        (accept["actor"].as_str(), accept["target"].as_str()),
        (Some(press.as_str()), Some(object.as_str()))
    );
    assert_eq!(accept["to"], json!([me]));
    let result = accept["result"].as_str().expect("a result").to_owned();
    assert!(result.starts_with(&app.url("/users/press/")), "on the author's own server: {result}");
    let (status, stamp) = app.get_json(result.trim_start_matches(&app.base)).await;
    assert_eq!(status, 200, "{stamp}");
    assert_eq!(stamp["type"], "ReplyAuthorization");
    assert_eq!(
        (&stamp["id"], &stamp["attributedTo"], &stamp["interactingObject"], &stamp["interactionTarget"]),
        (&json!(result), &json!(press), &json!(reply_id), &json!(object))
    );
    assert_eq!(messages(&app).await.len(), 1, "and kept in the dialogue inbox");
    // Approved, GoToSocial sends the Create again to everyone: nothing new is vouched for.
    let mut again = create.clone();
    again["object"]["approvedBy"] = json!(result);
    peer.send(&press, again).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let accepts = peer.received_of("Accept").await;
    assert_eq!(accepts.iter().filter(|x| x["body"]["object"] == reply_id.as_str()).count(), 1);

    // v0.21: a ReplyRequest with the reply as its instrument (sent by our signing test
    // server: Fedify knows no such type).
    let fake = FakeRemote::start().await;
    let inbox = app.url("/users/press/inbox");
    let follow = fake.follow(&press);
    assert_eq!(fake.post_json(&inbox, &follow, Scheme::Cavage).await.status(), 202);
    let request = |n: u32, in_reply_to: &str| {
        let mut reply = note(&format!("{}/statuses/{n}", fake.base));
        reply["attributedTo"] = json!(fake.actor);
        reply["inReplyTo"] = json!(in_reply_to);
        json!({
            "@context": ["https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"],
            "type": "ReplyRequest", "id": format!("{}/reply_requests/{n}", fake.base), "actor": fake.actor,
            "to": press, "object": object, "instrument": reply
        })
    };
    let answer = |id: Value| {
        let fake = &fake;
        eventually(10, "the answer to the request", move || {
            let id = id.clone();
            async move { fake.received().into_iter().map(|r| r.json()).find(|a| a["object"]["id"] == id) }
        })
    };
    let polite = request(1, &object);
    fake.post_json(&inbox, &polite, Scheme::Cavage).await;
    let accept = answer(polite["id"].clone()).await;
    assert_eq!(
        (accept["type"].as_str(), accept["object"]["type"].as_str()),
        (Some("Accept"), Some("ReplyRequest"))
    );
    assert_eq!(accept["object"]["instrument"], polite["instrument"]["id"]);
    let (status, stamp) =
        app.get_json(accept["result"].as_str().unwrap().trim_start_matches(&app.base)).await;
    assert_eq!((status, &stamp["interactingObject"]), (200, &polite["instrument"]["id"]));
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(trail.iter().filter(|e| e.leaf.action == "reply.authorize").count(), 2);

    // A reply that answers something else is not vouched for, nor is one from someone who
    // does not follow.
    let elsewhere = request(2, "https://elsewhere.example/notes/1");
    fake.post_json(&inbox, &elsewhere, Scheme::Cavage).await;
    assert_eq!(answer(elsewhere["id"].clone()).await["type"], "Reject");
    let undo = json!({ "type": "Undo", "id": fake.new_id(), "actor": fake.actor, "object": follow });
    fake.post_json(&inbox, &undo, Scheme::Cavage).await;
    eventually(10, "the follow ends", || async {
        (!app.store.is_follower(account.id, &fake.actor).await.unwrap()).then_some(())
    })
    .await;
    let stranger = request(3, &object);
    fake.post_json(&inbox, &stranger, Scheme::Cavage).await;
    assert_eq!(answer(stranger["id"].clone()).await["type"], "Reject", "not a follower");

    // Blocking the peer takes back the consent it was given, and it hears so.
    let bob = app.sign_in("demo", "bob").await.browser;
    let inbox_page = bob.get(&app.url("/staff/dialogue")).await.body;
    let message = messages(&app).await.into_iter().find(|m| m.object_uri == reply_id).unwrap();
    let blocked = bob
        .post(
            &app.url(&format!("/staff/dialogue/{}/block", message.public_id)),
            &[
                ("csrf", field(&inbox_page, "csrf").unwrap().as_str()),
                ("scope", "account"),
                ("reason", "Beleidigungen"),
            ],
        )
        .await;
    assert_eq!(blocked.status, 303, "{}", blocked.body);
    let delete = eventually(20, "the peer hears the consent is taken back", || async {
        peer.received_of("Delete").await.into_iter().find(|d| d["body"]["object"] == result.as_str())
    })
    .await;
    assert_eq!(delete["body"]["actor"], press.as_str());
    let (status, _) = app.get_json(result.trim_start_matches(&app.base)).await;
    assert_eq!(status, 410, "the stamp is gone");
}

const WORK_POLICY: &str = "[workflow]\nfour_eyes_answers = false\n[dialogue]\nanswer_within = \"2d\"\n\
    [[dialogue.templates]]\nname = \"Umleitung\"\ntext = \"Bitte nutzen Sie die Umleitung über die Nordstraße.\"\n\
    [[templates]]\nname = \"Störung\"\ntext = \"Die Linie 4 fällt heute aus.\"\n";

/// Steps a draft through the workflow as `who`; the response's status.
async fn take_step(app: &TestApp, who: &Browser, draft: &str, step: &str) -> u16 {
    let page = who.get(&app.url(&format!("/staff/drafts/{draft}"))).await.body;
    let form = [
        ("csrf", field(&page, "csrf").unwrap()),
        ("step", step.to_owned()),
        ("revision", field(&page, "revision").unwrap_or_default()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    who.post(&app.url(&format!("/staff/drafts/{draft}/step")), &form).await.status
}

/// A message is given to someone, who is told, answers from a template within the deadline
/// (alone, as the policy allows for answers only), hears when the citizen writes again, and
/// when a deadline passes; the inbox's figures count it all.
async fn messages_are_assigned_answered_from_templates_and_kept_to_deadlines(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: WORK_POLICY,
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let announcement = app.publish("press", "Die Nordbrücke ist ab Montag gesperrt.").await;
    let announcement_url = app.url(&format!("/users/press/announcements/{}", announcement.public_id));
    let press = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let me = peer.actor();
    let reply = |id: &str, in_reply_to: &str, text: &str| {
        json!({
            "type": "Create",
            "to": [PUBLIC],
            "object": {
                "type": "Note", "id": id, "attributedTo": me, "inReplyTo": in_reply_to,
                "content": text, "to": [PUBLIC], "cc": [press],
                "tag": [{ "type": "Mention", "href": press, "name": "@press" }]
            }
        })
    };
    let question_id = format!("http://127.0.0.1:{}/notes/frage", peer.port);
    peer.send(&press, reply(&question_id, &announcement_url, "Wie komme ich zum Bahnhof?")).await;
    let question = eventually(20, "the question arrives", || async { messages(&app).await.pop() }).await;
    assert_eq!(question.assignee_id, None);

    let erik = app.sign_in("demo", "erik").await.browser;
    let bob = app.sign_in("demo", "bob").await.browser;
    let staff = app.store.staff_of_org("demo").await.unwrap();
    let erik_id = staff.iter().find(|m| m.name == "Erik Editor").expect("erik signed in").id;
    let inbox = bob.get_in(&app.url("/staff/dialogue"), "de").await.body;
    for shown in ["Noch niemandem zugewiesen", "Antwort bis", "Erik Editor", "Die letzten 30 Tage"] {
        assert!(inbox.contains(shown), "{shown:?} is not in the inbox: {inbox}");
    }
    let token = field(&inbox, "csrf").unwrap();
    let assign = |to: String| {
        let (bob, token, url) =
            (&bob, token.clone(), app.url(&format!("/staff/dialogue/{}/assign", question.public_id)));
        async move {
            bob.post(&url, &[("csrf", token.as_str()), ("assignee", to.as_str()), ("filter", "open")]).await
        }
    };
    let refused = assign("999999".into()).await;
    assert_eq!(refused.status, 400, "nobody of the press office: {}", refused.body);
    let given = assign(erik_id.to_string()).await;
    assert_eq!(given.status, 303, "{}", given.body);
    assert_eq!(
        given.location.as_deref(),
        Some(format!("/staff/dialogue?state=open#m-{}", question.public_id).as_str())
    );
    let page = bob.get_in(&app.url("/staff/dialogue?state=open"), "de").await.body;
    assert!(page.contains("Die Nachricht ist zugewiesen."), "{page}");
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    let entry = trail.iter().find(|e| e.leaf.action == "message.assign").expect("audited");
    assert!(entry.payload.as_ref().unwrap().1.contains(&erik_id.to_string()));

    // Erik is told, and finds it among his own.
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = erik.get(&app.url("/staff/notifications")).await.body;
    let link = format!("/staff/dialogue/messages/{}", question.public_id);
    assert!(told.contains("gave you a citizen's message") && told.contains(&link), "{told}");
    assert!(!told.contains("Bahnhof"), "a notification does not carry the citizen's words: {told}");
    let one = erik.get(&app.url(&link)).await;
    assert_eq!(one.status, 200);
    assert!(one.body.contains("Wie komme ich zum Bahnhof?"), "{}", one.body);
    let mine = erik.get(&app.url("/staff/dialogue?state=mine")).await.body;
    assert!(mine.contains("Wie komme ich zum Bahnhof?"), "{mine}");
    let bobs = bob.get(&app.url("/staff/dialogue?state=mine")).await.body;
    assert!(!bobs.contains("Wie komme ich zum Bahnhof?"), "only the assignee's: {bobs}");

    // He answers from the organisation's template, and approves the answer himself.
    let compose = erik
        .get(&app.url(&format!("/staff/new?answer={}&template=Umleitung", question.public_id)))
        .await
        .body;
    assert!(!compose.contains("Störung"), "announcement templates are not offered for answers");
    let new = erik.get(&app.url("/staff/new?account=press&template=St%C3%B6rung")).await.body;
    assert!(new.contains(">Die Linie 4 fällt heute aus.</textarea>"), "{new}");
    assert!(!new.contains("Umleitung"), "answer templates are not offered for announcements");
    let handle = format!("@peer@{}", me.split('/').nth(2).unwrap());
    let text = format!("{handle} Bitte nutzen Sie die Umleitung über die Nordstraße.");
    assert!(
        compose.contains(&format!(">{text}</textarea>")),
        "the sender's address, then the template: {compose}"
    );
    assert!(compose.contains("approve their own answers"), "the form says who approves: {compose}");
    let token = field(&compose, "csrf").unwrap();
    let saved = erik
        .post(
            &app.url("/staff/drafts"),
            &[
                ("csrf", token.as_str()),
                ("account", "press"),
                ("text", text.as_str()),
                ("language", "de"),
                ("publish_at", ""),
                ("answer", question.public_id.as_str()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let draft = saved.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    assert_eq!(take_step(&app, &erik, &draft, "submit").await, 303);
    assert_eq!(take_step(&app, &erik, &draft, "approve").await, 303, "answers need no second person here");
    let created = eventually(20, "the citizen's server receives the answer", || async {
        peer.received_of("Create")
            .await
            .into_iter()
            .find(|c| c["body"]["object"]["inReplyTo"] == question_id.as_str())
    })
    .await;
    let answer_url = created["body"]["object"]["id"].as_str().unwrap().to_owned();
    let answered = messages(&app).await.into_iter().find(|m| m.public_id == question.public_id).unwrap();
    assert_eq!(answered.state, MessageState::Answered);
    assert!(answered.answered_at.is_some());

    // An announcement that answers nobody still needs a second person.
    let own = erik.get(&app.url("/staff/new?account=press")).await.body;
    let own = erik
        .post(
            &app.url("/staff/drafts"),
            &[
                ("csrf", field(&own, "csrf").unwrap().as_str()),
                ("account", "press"),
                ("text", "Eine eigene Mitteilung."),
                ("language", "de"),
                ("publish_at", ""),
            ],
        )
        .await;
    let own = own.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    assert_eq!(take_step(&app, &erik, &own, "submit").await, 303);
    assert_ne!(take_step(&app, &erik, &own, "approve").await, 303, "four eyes for announcements");

    // The citizen writes again, replying to the answer: it goes to Erik, who is told.
    let again_id = format!("http://127.0.0.1:{}/notes/nachfrage", peer.port);
    peer.send(&press, reply(&again_id, &answer_url, "Und mit dem Fahrrad?")).await;
    let again = eventually(20, "the follow-up arrives", || async {
        messages(&app).await.into_iter().find(|m| m.object_uri == again_id)
    })
    .await;
    assert_eq!(again.assignee_id, Some(erik_id), "a follow-up stays with whoever answered");
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = erik.get(&app.url("/staff/notifications")).await.body;
    assert!(told.contains("wrote again"), "{told}");
    // More of them are told once until read; someone else's reply to the answer is nobody's.
    let third_id = format!("http://127.0.0.1:{}/notes/noch-eine", peer.port);
    peer.send(&press, reply(&third_id, &answer_url, "Und zu Fuß?")).await;
    let third = eventually(20, "the third message arrives", || async {
        messages(&app).await.into_iter().find(|m| m.object_uri == third_id)
    })
    .await;
    assert_eq!(third.assignee_id, Some(erik_id));
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = erik.get(&app.url("/staff/notifications")).await.body;
    assert_eq!(told.matches("wrote again").count(), 1, "{told}");
    let other = Peer::start("draft-cavage-http-signatures-12");
    let other_id = format!("http://127.0.0.1:{}/notes/fremd", other.port);
    let mut foreign = reply(&other_id, &answer_url, "Ich auch!");
    foreign["object"]["attributedTo"] = json!(other.actor());
    other.send(&press, foreign).await;
    let foreign = eventually(20, "the other reply arrives", || async {
        messages(&app).await.into_iter().find(|m| m.object_uri == other_id)
    })
    .await;
    assert_eq!(foreign.assignee_id, None, "not the sender of the answered message");

    // Its deadline passes (it came in three days ago, as far as Herold knows): noted once.
    herold_tests::fixtures::execute(
        &app.db,
        &format!(
            "UPDATE citizen_messages SET received_at = received_at - {} WHERE object_uri = '{again_id}'",
            3 * DAY
        ),
    )
    .await;
    assert_eq!(app.services.editorial.note_overdue_messages().await.unwrap(), 1);
    assert_eq!(app.services.editorial.note_overdue_messages().await.unwrap(), 0, "once");
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = erik.get(&app.url("/staff/notifications")).await.body;
    assert!(told.contains("deadline to answer has passed"), "{told}");
    assert!(told.contains("/staff/dialogue?state=overdue"), "it leads to the list: {told}");
    let late = bob.get(&app.url("/staff/dialogue?state=overdue")).await.body;
    assert!(late.contains("Und mit dem Fahrrad?") && late.contains("Past its deadline"), "{late}");
    assert!(!late.contains("Wie komme ich zum Bahnhof?"), "answered, so not late: {late}");
    let figures = app
        .store
        .dialogue_figures("demo", 0, now_millis() - 2 * DAY, &Visibility::everything())
        .await
        .unwrap();
    assert_eq!((figures.received, figures.answer_times.len(), figures.open_past_deadline), (4, 1, 1));
    let inbox = bob.get(&app.url("/staff/dialogue?state=all")).await.body;
    assert!(inbox.contains("1 answered") && inbox.contains("Open past their deadline"), "{inbox}");
}

on_both_backends!(
    follower_replies_are_vouched_for_as_gotosocial_expects,
    messages_are_assigned_answered_from_templates_and_kept_to_deadlines,
    abuse_is_reported_to_the_sender_s_server_with_a_flag,
    a_blocked_server_s_messages_are_not_stored,
    replies_follow_the_published_reply_policy,
    an_announcement_s_own_reply_policy_overrides_the_organisation_s,
    replies_an_approver_chooses_are_shown_under_the_announcement,
    an_approved_answer_reaches_the_citizen_as_a_reply,
    likes_and_boosts_are_counted_without_keeping_who,
    replies_and_mentions_from_a_real_peer_reach_the_dialogue_inbox,
    citizen_messages_expire_with_their_retention_class,
);
