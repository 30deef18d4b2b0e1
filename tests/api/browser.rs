//! A real browser (Debian's Chromium, driven by playwright-core from tests/browser) signs in
//! through the real provider, writes, approves and reads an announcement, signs out, and
//! visits the auditor and administrator pages, and axe-core checks every Herold page it
//! passes for WCAG 2.1 AA: zero violations allowed.

use std::process::Command;

use herold_tests::oidc::OidcProvider;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::Db;

async fn a_browser_publishes_and_every_page_is_accessible(db: Db) {
    // Every page the walk checks is kept as a screenshot for a reviewer to look at, under
    // target/ui-shots unless HEROLD_UI_SHOTS names another folder. The pages are the same on
    // both backends, and full-page screenshots cost minutes on two cores: one walk takes them.
    let shots = match (std::env::var("HEROLD_UI_SHOTS"), &db) {
        (Ok(dir), _) => Some(dir),
        (Err(_), Db::Sqlite) => {
            let dir = format!("{}/../target/ui-shots", env!("CARGO_MANIFEST_DIR"));
            let _ = std::fs::remove_dir_all(&dir);
            Some(dir)
        }
        (Err(_), Db::Postgres) => None,
    };
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).expect("the screenshot folder");
    }
    let browser_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/browser");
    assert!(
        std::path::Path::new(browser_dir).join("node_modules/playwright-core").exists(),
        "the browser test is not installed: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Chromium is needed: apt-get install chromium (.ci/run does)"
    );
    let provider = OidcProvider::start();
    // The demo body keeps Berlin time (the walk types and reads local time), names its imprint and accessibility statement (the
    // walk follows the privacy notice Herold writes), has its logo, and has a template for answers.
    const DEMO_POLICY: &str = concat!(
        "time_zone = \"Europe/Berlin\"\n\n[legal]\n\
         imprint = \"https://www.demo.example/impressum\"\n\
         accessibility_statement = \"https://www.demo.example/barrierefreiheit\"\n\n\
         [presence]\nemail_subscriptions = true\ncolour = \"#0b5394\"\nlogo = \"",
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/dev/demo-logo.svg\"\n\n\
         [[dialogue.templates]]\nname = \"Danke\"\n\
         text = \"Vielen Dank für Ihre Nachricht. Wir antworten Ihnen hier.\"\n\n\
         [[templates]]\nname = \"Störung im Bürgeramt\"\n\
         text = \"Das Bürgeramt ist heute wegen einer technischen Störung geschlossen.\"\n"
    );
    let sign_in = [("demo", DEMO_POLICY), ("operator", "")]
        .into_iter()
        .map(|(org, extra_policy)| SignIn {
            org,
            issuer: provider.issuer(),
            extra_policy,
            discovery_url: None,
        })
        .collect();
    // A citizen subscribes by e-mail and confirms from the mail catcher.
    let mail = herold_tests::mail::MailCatcher::start().await;
    let env = vec![
        ("HEROLD_NOTIFICATIONS_INTERVAL_SECONDS", "1".into()),
        ("HEROLD_MAIL_SMTP_URL", mail.smtp_url()),
        ("HEROLD_MAIL_FROM", "Herold <herold@demo.example>".into()),
    ];
    let app = spawn_app_with(db, AppOptions { sign_in, env, ..AppOptions::default() }).await;
    let press = app.create_account("demo", "press").await;
    // So that the dialogue inbox shows a citizen's reply to axe-core, and an approver can show
    // it under the announcement.
    let answered = app.publish("press", "Das Bürgeramt zieht in die Marktstraße 4.").await;
    let message = herold_store::NewMessage {
        public_id: "browser-message".into(),
        account_id: press.id,
        announcement_id: Some(answered.id),
        kind: herold_store::MessageKind::Reply,
        object_uri: "https://social.example/users/anna/statuses/1".into(),
        url: Some("https://social.example/@anna/1".into()),
        sender_uri: "https://social.example/users/anna".into(),
        content: "@press Wann öffnet das Bürgeramt wieder?\n\nDanke, Anna".into(),
        language: Some("de".into()),
        visibility: "public".into(),
    };
    app.store.receive_message(message).await.unwrap();
    // So that the relay page shows every table and button to axe-core.
    let relay = &app.services.relay;
    relay.add_publisher("social.bund.de", "test").await.unwrap();
    relay.block("spam.example", "test", None).await.unwrap();
    for (n, state) in [herold_store::SubscriptionState::Pending, herold_store::SubscriptionState::Active]
        .into_iter()
        .enumerate()
    {
        let subscriber = herold_store::NewSubscriber {
            actor_uri: format!("https://server{n}.example/actor"),
            host: format!("server{n}.example"),
            inbox: format!("https://server{n}.example/inbox"),
            follow_id: format!("https://server{n}.example/follows/1"),
            style: herold_store::SubscriptionStyle::Mastodon,
            state,
            follow_back_id: None,
        };
        let audit =
            herold_store::AuditEntry::new("test", "relay.subscribe", format!("relay:server{n}.example"));
        app.store.relay_subscribe(subscriber, Vec::new(), audit).await.unwrap();
    }
    // So that the account page shows its follower chart to axe-core.
    let today = herold_domain::format_rfc3339(herold_domain::now_millis())[..10].to_owned();
    app.store.record_follower_counts(&today).await.unwrap();
    let base = app.base.clone();
    let mail_web = mail.url("");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(format!("{browser_dir}/ui.mjs"))
            .args(["--herold", &base, "--org", "demo", "--account", "press", "--operator-org", "operator"])
            .args(["--time-zone", "Europe/Berlin", "--mail", &mail_web])
            .env("HEROLD_UI_SHOTS", shots.unwrap_or_default())
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no report; stderr:\n{}", String::from_utf8_lossy(&output.stderr)));
    let details = String::from_utf8_lossy(&output.stderr);
    assert_eq!(report["flow"], "ok", "{report}\n{details}");
    assert_eq!(report["violations"], 0, "{report}\n{details}");
    assert!(report["pages"].as_array().is_some_and(|p| p.len() >= 24), "pages checked: {report}");
    assert!(output.status.success(), "{details}");
}

on_both_backends!(a_browser_publishes_and_every_page_is_accessible);
