//! The inbox: follows, unfollows, remote actor changes, and every kind of bad request.

use herold_federation::keys::{generate_rsa_2048, PublicKey, Signer};
use herold_federation::signatures::{parse_request_signature, RequestView, Scheme};
use herold_tests::fake_remote::{FakeRemote, ReceivedRequest};
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, spawn_app, Db, TestApp};
use serde_json::json;

/// Checks a request Herold sent with the account's published key.
pub async fn assert_signed_by(app: &TestApp, username: &str, req: &ReceivedRequest, fake: &FakeRemote) {
    let (_, actor) = app.get_json(&format!("/users/{username}")).await;
    let key = PublicKey::from_pem(actor["publicKey"]["publicKeyPem"].as_str().unwrap()).unwrap();
    let target = url::Url::parse(&format!("{}{}", fake.base, req.path)).unwrap();
    let view = RequestView::new("POST", target, req.headers.clone());
    let sig = parse_request_signature(&view, Some(&req.body)).expect("a well-formed signature");
    assert_eq!(sig.key_id, format!("{}#main-key", app.url(&format!("/users/{username}"))));
    assert!(sig.verify(&key), "Herold's signature must verify with the published key");
}

async fn follow_is_accepted_and_undo_removes_the_follower(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    let resp = fake.post_json(&app.url("/users/press/inbox"), &follow, Scheme::Cavage).await;
    assert_eq!(resp.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);

    let accept = eventually(10, "the Accept", || async {
        fake.received().into_iter().find(|r| r.json()["type"] == "Accept")
    })
    .await;
    assert_eq!(accept.path, "/users/mallory/inbox", "Accept goes to the follower's own inbox");
    assert_eq!(accept.json()["object"]["id"], follow["id"]);
    assert_eq!(accept.json()["actor"], app.url("/users/press"));
    assert_signed_by(&app, "press", &accept, &fake).await;

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": fake.new_id(), "type": "Undo", "actor": fake.actor, "object": follow,
    });
    let resp = fake.post_json(&app.url("/inbox"), &undo, Scheme::Rfc9421).await;
    assert_eq!(resp.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);

    // Some servers undo a follow by naming only its id.
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);
    let undo = json!({"id": fake.new_id(), "type": "Undo", "actor": fake.actor, "object": follow["id"]});
    assert_eq!(fake.post_json(&app.url("/inbox"), &undo, Scheme::Cavage).await.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
}

async fn remote_actor_delete_and_key_rotation(db: Db) {
    // A key is fetched again at most once per interval: a second here, a minute by default.
    let env = vec![("HEROLD_INBOX_KEY_REFETCH_SECONDS", "1".to_owned())];
    let app = spawn_app_with(db, AppOptions { env, ..AppOptions::default() }).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);

    // A cached key past its retention is hidden at once: Herold fetches it anew.
    let stale_at = 1_000;
    let mut stale = app.store.remote_actor(&fake.actor).await.unwrap().unwrap();
    stale.fetched_at = stale_at;
    app.store.upsert_remote_actor(&stale).await.unwrap();
    let again = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &again, Scheme::Cavage).await.status(), 202);
    let refreshed = app.store.remote_actor(&fake.actor).await.unwrap().unwrap();
    assert!(refreshed.fetched_at > stale_at, "an expired cache entry is not used");

    // The remote rotates its key: the cached key fails, Herold refetches once and accepts.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let new_key = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
    let new_signer = Signer::from_pkcs8(fake.signer.key_id.clone(), &new_key.pkcs8_der).unwrap();
    let mut doc = fake.actor_doc();
    doc["publicKey"]["publicKeyPem"] = json!(new_key.public_key_pem);
    fake.set_actor_doc(doc);
    let update =
        json!({"id": fake.new_id(), "type": "Update", "actor": fake.actor, "object": fake.actor_doc()});
    let now = herold_domain::now_millis() / 1000;
    let resp = fake
        .post(&app.url("/inbox"), update.to_string().as_bytes(), Scheme::Cavage, Some(&new_signer), now)
        .await;
    assert_eq!(resp.status(), 202);
    let cached = app.store.remote_actor(&fake.actor).await.unwrap().unwrap();
    assert_eq!(cached.public_key_pem, new_key.public_key_pem);

    let delete = json!({"id": fake.new_id(), "type": "Delete", "actor": fake.actor, "object": fake.actor});
    let resp = fake
        .post(&app.url("/inbox"), delete.to_string().as_bytes(), Scheme::Rfc9421, Some(&new_signer), now)
        .await;
    assert_eq!(resp.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
    assert!(app.store.remote_actor(&fake.actor).await.unwrap().is_none(), "a deleted actor is forgotten");
}

async fn bad_requests_are_refused_and_nothing_is_stored(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let inbox = app.url("/users/press/inbox");
    let follow = fake.follow(&app.url("/users/press"));
    let body = follow.to_string();
    let now = herold_domain::now_millis() / 1000;

    let huge = format!("{{\"type\":\"Note\",\"content\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let resp = app.http.post(&inbox).body(huge).send().await.unwrap();
    assert_eq!(resp.status(), 413, "oversize");

    let resp = fake.post(&inbox, b"{not json", Scheme::Cavage, None, now).await;
    assert_eq!(resp.status(), 400, "malformed JSON");

    let resp = app
        .http
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "unsigned");

    let other = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
    let forger = Signer::from_pkcs8(fake.signer.key_id.clone(), &other.pkcs8_der).unwrap();
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let resp = fake.post(&inbox, body.as_bytes(), scheme, Some(&forger), now).await;
        assert_eq!(resp.status(), 401, "wrong key, {scheme:?}");
        let resp = fake.post(&inbox, body.as_bytes(), scheme, None, now - 2 * 3600).await;
        assert_eq!(resp.status(), 401, "replayed with a stale date, {scheme:?}");
        let resp = fake.post(&inbox, body.as_bytes(), scheme, None, now + 2 * 3600).await;
        assert_eq!(resp.status(), 401, "dated in the future, {scheme:?}");
    }

    // A signature made for another server, replayed here.
    let elsewhere = url::Url::parse("http://other.example/users/press/inbox").unwrap();
    let digest = herold_federation::signatures::BodyDigest::of(body.as_bytes());
    let plan = herold_federation::signatures::SigningPlan::new(
        Scheme::Cavage,
        &fake.signer.key_id,
        "POST",
        &elsewhere,
        Some(&digest),
        now,
    );
    let sig = fake.signer.sign(plan.base.as_bytes()).unwrap();
    let mut req = app.http.post(&inbox).header("host", "other.example").body(body.clone());
    for (k, v) in plan.finish(&sig) {
        req = req.header(k, v);
    }
    assert_eq!(req.send().await.unwrap().status(), 401, "signed for another host");

    // A creation time at the end of time must be refused, not overflow.
    let resp = app
        .http
        .post(&inbox)
        .header("digest", &digest.digest)
        .header(
            "signature",
            format!("keyId=\"{}\",algorithm=\"hs2019\",headers=\"(request-target) (created) digest\",created=9223372036854775807,signature=\"AAAA\"", fake.signer.key_id),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "created = i64::MAX");

    // Signed correctly, but the activity claims to come from someone else.
    let mut impostor = follow.clone();
    impostor["actor"] = json!("https://bund.example/users/minister");
    let resp = fake.post_json(&inbox, &impostor, Scheme::Cavage).await;
    assert_eq!(resp.status(), 401, "signer is not the actor");

    // The body is swapped after signing: the digest no longer matches.
    let url = url::Url::parse(&inbox).unwrap();
    let digest = herold_federation::signatures::BodyDigest::of(body.as_bytes());
    let plan = herold_federation::signatures::SigningPlan::new(
        Scheme::Cavage,
        &fake.signer.key_id,
        "POST",
        &url,
        Some(&digest),
        now,
    );
    let sig = fake.signer.sign(plan.base.as_bytes()).unwrap();
    let mut req = app.http.post(&inbox).body(body.replace("Follow", "Block"));
    for (k, v) in plan.finish(&sig) {
        req = req.header(k, v);
    }
    assert_eq!(req.send().await.unwrap().status(), 401, "tampered body");

    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0, "nothing was followed");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap(),
        Default::default(),
        "nothing was queued"
    );
    assert_eq!(app.http.get(app.url("/livez")).send().await.unwrap().status(), 200, "still serving");
}

async fn ssrf_targets_are_refused(db: Db) {
    let app = spawn_app_with(db, AppOptions { allow_private_networks: false, ..AppOptions::default() }).await;
    app.create_account("bfdi", "press").await;
    let key = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
    let now = herold_domain::now_millis() / 1000;
    for target in [
        "http://127.0.0.1:9/users/x",
        "https://127.0.0.1/users/x",
        "https://[::1]/users/x",
        "https://[::ffff:127.0.0.1]/users/x",
        "https://10.0.0.1/users/x",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/users/x",
        "https://0.0.0.0/users/x",
    ] {
        let signer = Signer::from_pkcs8(format!("{target}#main-key"), &key.pkcs8_der).unwrap();
        let activity = json!({"id": format!("{target}/follow"), "type": "Follow", "actor": target, "object": app.url("/users/press")});
        let url = url::Url::parse(&app.url("/inbox")).unwrap();
        let body = activity.to_string();
        let digest = herold_federation::signatures::BodyDigest::of(body.as_bytes());
        let plan = herold_federation::signatures::SigningPlan::new(
            Scheme::Cavage,
            &signer.key_id,
            "POST",
            &url,
            Some(&digest),
            now,
        );
        let sig = signer.sign(plan.base.as_bytes()).unwrap();
        let mut req = app.http.post(url.as_str()).body(body);
        for (k, v) in plan.finish(&sig) {
            req = req.header(k, v);
        }
        let started = std::time::Instant::now();
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{target} must be refused");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{target} was refused without trying it"
        );
    }
    assert!(herold_federation::fetch::is_forbidden_ip("::ffff:10.0.0.1".parse().unwrap()));
}

/// One flooding server is slowed down without affecting others.
async fn inbox_requests_are_rate_limited_per_signing_host(db: Db) {
    let env = vec![
        ("HEROLD_INBOX_RATE_PER_HOST", "0.5".to_owned()),
        ("HEROLD_INBOX_BURST_PER_HOST", "2".to_owned()),
    ];
    let app = spawn_app_with(db, AppOptions { env, ..AppOptions::default() }).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    // Forged requests naming this server's key cannot spend its budget: they fail first.
    let other = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
    let forger = Signer::from_pkcs8(fake.signer.key_id.clone(), &other.pkcs8_der).unwrap();
    let now = herold_domain::now_millis() / 1000;
    for _ in 0..3 {
        let body = fake.follow(&app.url("/users/press")).to_string();
        assert_eq!(
            fake.post(&app.url("/inbox"), body.as_bytes(), Scheme::Cavage, Some(&forger), now).await.status(),
            401
        );
    }
    for _ in 0..2 {
        let follow = fake.follow(&app.url("/users/press"));
        assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    }
    let follow = fake.follow(&app.url("/users/press"));
    let resp = fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
}

/// Unverified requests cannot make Herold fetch keys again and again: forged signatures
/// naming a known server's key are checked against what the last fetch found, a key that
/// could not be fetched is not tried again at once, and each key server has a budget.
async fn forged_signatures_cause_no_fetch_storm(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let other = tokio::task::spawn_blocking(generate_rsa_2048).await.unwrap().unwrap();
    let forger = Signer::from_pkcs8(fake.signer.key_id.clone(), &other.pkcs8_der).unwrap();
    let now = herold_domain::now_millis() / 1000;
    let inbox = app.url("/inbox");
    let actor_fetches = || fake.fetched().iter().filter(|p| *p == "/users/mallory").count();

    // The genuine server follows (its key is fetched and cached), then forgeries arrive.
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&inbox, &follow, Scheme::Cavage).await.status(), 202);
    assert_eq!(actor_fetches(), 1);
    for _ in 0..20 {
        let body = fake.follow(&app.url("/users/press")).to_string();
        assert_eq!(
            fake.post(&inbox, body.as_bytes(), Scheme::Cavage, Some(&forger), now).await.status(),
            401
        );
    }
    assert!(actor_fetches() <= 2, "{} fetches for 20 forgeries", actor_fetches());
    assert_eq!(
        fake.post_json(&inbox, &fake.follow(&app.url("/users/press")), Scheme::Cavage).await.status(),
        202
    );

    // Key ids nobody serves: each is tried once, and the server's budget runs out.
    let mut statuses = Vec::new();
    for n in 0..60 {
        let signer = fake.signer_as(&format!("{}/keys/{n}", fake.base));
        let body = fake.follow(&app.url("/users/press")).to_string();
        statuses.push(
            fake.post(&inbox, body.as_bytes(), Scheme::Cavage, Some(&signer), now).await.status().as_u16(),
        );
        let body = fake.follow(&app.url("/users/press")).to_string();
        let again =
            fake.post(&inbox, body.as_bytes(), Scheme::Cavage, Some(&signer), now).await.status().as_u16();
        assert_ne!(again, 202, "an unknown key");
    }
    let key_fetches = fake.fetched().iter().filter(|p| p.starts_with("/keys/")).count();
    assert!(key_fetches <= 40, "{key_fetches} fetches for 120 requests naming 60 unknown keys");
    assert!(statuses.contains(&429), "the budget ran out: {statuses:?}");
}

/// A server that owns a domain can give itself any number of host names: key ids on many
/// subdomains of one registrable domain share that domain's budget of key fetches, and a
/// server on another domain keeps its own.
async fn key_ids_on_many_subdomains_share_their_domains_budget(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let now = herold_domain::now_millis() / 1000;
    let inbox = app.url("/inbox");
    let mut statuses = Vec::new();
    for n in 0..300 {
        let signer = fake.signer_as(&format!("https://s{n}.flood.invalid/key"));
        let body = fake.follow(&app.url("/users/press")).to_string();
        statuses.push(
            fake.post(&inbox, body.as_bytes(), Scheme::Cavage, Some(&signer), now).await.status().as_u16(),
        );
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 100, "{limited} of 300 requests on 300 subdomains of one domain were limited");
    let signer = fake.signer_as("https://127.0.0.9/key");
    let body = fake.follow(&app.url("/users/press")).to_string();
    let other = fake.post(&inbox, body.as_bytes(), Scheme::Cavage, Some(&signer), now).await.status();
    assert_ne!(other, 429, "another domain keeps its budget");
}

/// A Follow repeated (a retry, or a captured one replayed) changes nothing: no second audit
/// entry in the permanent trail, one Accept; an old Undo replayed after the person followed
/// again does not end the new follow.
async fn repeated_follows_and_replayed_undos_change_nothing(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    for _ in 0..40 {
        assert_eq!(
            fake.post_json(&app.url("/users/press/inbox"), &follow, Scheme::Cavage).await.status(),
            202
        );
    }
    let count = |sql: &'static str| herold_tests::fixtures::count(&app.db, sql);
    let audited = || async {
        app.store
            .audit_entries(0, 10_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.leaf.action == "follow.accept")
            .count()
    };
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);
    assert_eq!(audited().await, 1, "one entry for one new follower");
    assert_eq!(count("SELECT COUNT(*) FROM activities WHERE kind = 'Accept'").await, 1, "one Accept");

    // Unfollow, follow again (a new Follow), then the old Undo comes back.
    let undo = json!({ "id": fake.new_id(), "type": "Undo", "actor": fake.actor, "object": follow });
    assert_eq!(fake.post_json(&app.url("/inbox"), &undo, Scheme::Cavage).await.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
    let again = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &again, Scheme::Cavage).await.status(), 202);
    assert_eq!(fake.post_json(&app.url("/inbox"), &undo, Scheme::Cavage).await.status(), 202);
    assert_eq!(
        app.store.follower_count(account.id).await.unwrap(),
        1,
        "the replayed Undo names the old follow"
    );
    assert_eq!(audited().await, 2, "following again is a change");
}

/// A captured request replayed within its signature's window is acknowledged and not acted
/// on: here an Undo that names no Follow id, replayed after the person followed again.
async fn replayed_activities_are_not_acted_on_twice(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let inbox = app.url("/users/press/inbox");
    let now = herold_domain::now_millis() / 1000;
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&inbox, &follow, Scheme::Cavage).await.status(), 202);
    let undo = json!({
        "id": fake.new_id(), "type": "Undo", "actor": fake.actor,
        "object": { "type": "Follow", "actor": fake.actor, "object": app.url("/users/press") },
    })
    .to_string();
    assert_eq!(fake.post(&inbox, undo.as_bytes(), Scheme::Cavage, None, now).await.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
    let again = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&inbox, &again, Scheme::Cavage).await.status(), 202);
    // The captured Undo, byte for byte, with its signature.
    assert_eq!(fake.post(&inbox, undo.as_bytes(), Scheme::Cavage, None, now).await.status(), 202);
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1, "the replay changed nothing");
}

on_both_backends!(
    replayed_activities_are_not_acted_on_twice,
    forged_signatures_cause_no_fetch_storm,
    key_ids_on_many_subdomains_share_their_domains_budget,
    repeated_follows_and_replayed_undos_change_nothing,
    inbox_requests_are_rate_limited_per_signing_host,
    follow_is_accepted_and_undo_removes_the_follower,
    remote_actor_delete_and_key_rotation,
    bad_requests_are_refused_and_nothing_is_stored,
    ssrf_targets_are_refused,
);

/// Slow clients (slowloris) are cut off: one that never finishes its headers, and ones that
/// send headers and then trickle their body. Both lose their connection within the limits
/// (10 s each, plus the disconnect grace), while the server keeps answering others.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app(Db::Sqlite).await;
    let authority = app.url("/").split('/').nth(2).unwrap().to_owned();
    let started = Instant::now();
    let slow = |request: String| {
        let authority = authority.clone();
        async move {
            let mut conn = tokio::net::TcpStream::connect(&authority).await.unwrap();
            conn.write_all(request.as_bytes()).await.unwrap();
            // Keep the connection open, sending nothing more, until the server ends it.
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut answer)).await;
            (read.is_ok(), String::from_utf8_lossy(&answer).into_owned())
        }
    };
    let headers = slow(format!(
        "POST /inbox HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/activity+json\r\n"
    ));
    let body = slow(format!(
        "POST /inbox HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/activity+json\r\nContent-Length: 1000\r\n\r\n{{\"type\":"
    ));
    // Every route that reads a body has the deadline, not only the inboxes: here the
    // provider's back-channel logout, a form anyone may post to.
    let form = slow(format!(
        "POST /auth/backchannel-logout HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 65536\r\n\r\nlogout_token="
    ));
    let other = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        app.http.get(app.url("/livez")).send().await.unwrap().status().as_u16()
    };
    let ((headers_closed, headers_answer), (body_closed, body_answer), (form_closed, form_answer), other) =
        tokio::join!(headers, body, form, other);
    assert!(form_closed, "a form whose body never ends is disconnected");
    assert!(form_answer.starts_with("HTTP/1.1 408"), "the body deadline answers 408: {form_answer}");
    assert_eq!(other, 200, "others are served meanwhile");
    assert!(headers_closed, "a client that never finishes its headers is disconnected");
    assert!(body_closed, "a client that never finishes its body is disconnected");
    assert!(headers_answer.is_empty() || headers_answer.starts_with("HTTP/1.1 408"), "{headers_answer}");
    assert!(body_answer.starts_with("HTTP/1.1 408"), "the body deadline answers 408: {body_answer}");
    assert!(started.elapsed() < Duration::from_secs(25), "cut off in {:?}", started.elapsed());
}
