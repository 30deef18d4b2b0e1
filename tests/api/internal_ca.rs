//! Public bodies run internal PKIs. A remote server or an OpenID provider whose certificate
//! comes from a CA that only the platform's store (or the operator's configured bundle) knows
//! is trusted exactly when Herold is told to, for federation and sign-in alike; otherwise the
//! connection fails, and the error names the certificate.

use herold_federation::signatures::Scheme;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::oidc::{Browser, OidcProvider};
use herold_tests::pki::TestPki;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::Db;

fn trusting(setting: Vec<(&'static str, String)>) -> AppOptions {
    AppOptions { env: setting, ..AppOptions::default() }
}

async fn federation_trusts_an_internal_ca_only_when_told(db: Db) {
    let dir = std::env::temp_dir().join(format!("herold-pki-{}", uuid::Uuid::new_v4().simple()));
    let pki = TestPki::create(&dir);
    let remote = FakeRemote::start_tls(&pki).await;
    let ca = pki.ca_file.display().to_string();

    for (what, env, expected) in [
        ("the public roots only", vec![("HEROLD_OUTGOING_TLS_ROOTS", "builtin".to_owned())], 401),
        ("the configured bundle", vec![("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", ca.clone())], 202),
        (
            "the platform's store",
            vec![("HEROLD_OUTGOING_TLS_ROOTS", "system".to_owned()), ("SSL_CERT_FILE", ca.clone())],
            202,
        ),
    ] {
        let app = spawn_app_with(db, trusting(env)).await;
        let account = app.create_account("bfdi", "press").await;
        let follow = remote.follow(&app.url("/users/press"));
        let resp = remote.post_json(&app.url("/users/press/inbox"), &follow, Scheme::Cavage).await;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_eq!(status, expected, "{what}: {body}");
        if expected == 401 {
            assert!(
                body.contains("certificate is not trusted"),
                "{what}: the answer names the problem: {body}"
            );
            assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0);
        } else {
            assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1, "{what}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

async fn sign_in_trusts_an_internal_ca_only_when_told(db: Db) {
    let dir = std::env::temp_dir().join(format!("herold-pki-{}", uuid::Uuid::new_v4().simple()));
    let pki = TestPki::create(&dir);
    let provider = OidcProvider::start_tls(&pki);
    let sign_in =
        || vec![SignIn { org: "demo", issuer: provider.issuer(), extra_policy: "", discovery_url: None }];

    let untrusting = spawn_app_with(
        db,
        AppOptions {
            sign_in: sign_in(),
            env: vec![("HEROLD_OUTGOING_TLS_ROOTS", "builtin".into())],
            ..AppOptions::default()
        },
    )
    .await;
    let refused = Browser::new().get(&untrusting.url("/login/demo")).await;
    assert_eq!(refused.status, 502, "the provider cannot be reached: {}", refused.body);

    let env = vec![("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", pki.ca_file.display().to_string())];
    let app = spawn_app_with(db, AppOptions { sign_in: sign_in(), env, ..AppOptions::default() }).await;
    let signed_in = app.sign_in("demo", "alice").await;
    assert_eq!(signed_in.answer.status, 303, "{}", signed_in.answer.body);
    let staff = signed_in.browser.get(&app.url("/staff")).await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    std::fs::remove_dir_all(dir).ok();
}

/// An author mentions an account on a server with an internal certificate: the WebFinger
/// lookup and the actor fetch go over https and trust the CA exactly when told to.
async fn mention_lookups_trust_an_internal_ca_only_when_told(db: Db) {
    let dir = std::env::temp_dir().join(format!("herold-pki-{}", uuid::Uuid::new_v4().simple()));
    let pki = TestPki::create(&dir);
    let remote = FakeRemote::start_tls(&pki).await;
    let handle = format!("@mallory@{}", remote.authority());
    remote.set_webfinger(serde_json::json!({
        "subject": format!("acct:mallory@{}", remote.authority()),
        "links": [{"rel": "self", "type": "application/activity+json", "href": remote.actor}],
    }));
    let ca = pki.ca_file.display().to_string();
    for (what, env, trusted) in [
        ("the public roots only", vec![("HEROLD_OUTGOING_TLS_ROOTS", "builtin".to_owned())], false),
        ("the configured bundle", vec![("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", ca.clone())], true),
    ] {
        let app = spawn_app_with(db, trusting(env)).await;
        app.create_account("bfdi", "press").await;
        let mut draft = herold_tests::TestApp::draft(&format!("Hinweis an {handle}"));
        let resolved = app.services.publisher.resolve_mentions(&mut draft).await;
        if trusted {
            resolved.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(draft.mentions.len(), 1, "{what}");
            assert_eq!(draft.mentions[0].href, remote.actor, "{what}");
        } else {
            let e = resolved.expect_err(what).to_string();
            assert!(e.contains("certificate is not trusted"), "{what}: the message names the problem: {e}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

on_both_backends!(
    federation_trusts_an_internal_ca_only_when_told,
    sign_in_trusts_an_internal_ca_only_when_told,
    mention_lookups_trust_an_internal_ca_only_when_told,
);
