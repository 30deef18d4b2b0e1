//! Announcements by e-mail for people without a fediverse account, against a real SMTP
//! server (MailDev): a request is confirmed through the link of a first mail (a link that is
//! only opened confirms nothing), each announcement is then mailed once, in plain text with a
//! one-click unsubscribe, and unsubscribing or an erasure removes the address.

use herold_compliance::policy::Policies;
use herold_compliance::{dsar, retention};
use herold_domain::{now_millis, EmailAddress};
use herold_store::{ClassCount, DataClass};
use herold_tests::mail::MailCatcher;
use herold_tests::spawn::{spawn_app_with, AppOptions};
use herold_tests::{eventually, Db, TestApp};
use serde_json::Value;

const DAY: i64 = 86_400_000;
const OFFERED: &str = "[presence]\nemail_subscriptions = true\n";

async fn app_offering_mail(db: Db, mail: &MailCatcher) -> TestApp {
    let env = vec![
        ("HEROLD_NOTIFICATIONS_INTERVAL_SECONDS", "1".into()),
        ("HEROLD_MAIL_SMTP_URL", mail.smtp_url()),
        ("HEROLD_MAIL_FROM", "Pressestelle <presse@demo.example>".into()),
    ];
    let options = AppOptions { env, policies: vec![("bfdi", OFFERED)], ..AppOptions::default() };
    spawn_app_with(db, options).await
}

/// Submits the subscription form as a browser in `language` would.
async fn subscribe(app: &TestApp, address: &str, language: &str) -> (u16, String) {
    let resp = app
        .http
        .post(app.url("/users/press/subscribe"))
        .header("accept-language", language)
        .form(&[("email", address)])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The first link in a mail's text to Herold's subscription pages.
fn link_in(mail: &Value, app: &TestApp) -> String {
    let text = mail["text"].as_str().unwrap_or_default();
    let start = text.find(&app.url("/subscriptions/")).unwrap_or_else(|| panic!("no link in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn subscribers(app: &TestApp, account_id: i64) -> i64 {
    app.store.subscriber_count(account_id).await.unwrap()
}

async fn a_citizen_subscribes_by_email_confirms_receives_and_unsubscribes_in_one_click(db: Db) {
    let mail = MailCatcher::start().await;
    let app = app_offering_mail(db, &mail).await;
    let account = app.create_account("bfdi", "press").await;

    let profile = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(
        profile.contains("href=\"/users/press/subscribe\"")
            || profile.contains(&app.url("/users/press/subscribe"))
    );
    let form = app.http.get(app.url("/users/press/subscribe")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains(&app.url("/privacy/bfdi")), "the notice before the address");

    // A hostile or mistyped address is refused in words and keeps what was typed.
    let (status, page) = subscribe(&app, "erika@example.org\r\nBcc: all@example.org", "de").await;
    assert_eq!(status, 400);
    assert!(page.contains("Das ist keine E-Mail-Adresse"), "{page}");

    let (status, page) = subscribe(&app, "Erika.Muster@Example.org", "de").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Bitte sehen Sie in Ihr Postfach"), "{page}");
    let address = "erika.muster@example.org";
    let confirmation =
        eventually(20, "the confirmation mail", || async { mail.to(address).await.into_iter().next() }).await;
    assert!(confirmation["subject"].as_str().unwrap().starts_with("Bitte bestätigen"), "{confirmation}");
    let confirm = link_in(&confirmation, &app);
    assert!(confirm.ends_with("/confirm"), "{confirm}");

    // Asking again while it waits sends no second mail: one address, one mail a day at most.
    let (status, _) = subscribe(&app, address, "de").await;
    assert_eq!(status, 200);

    // Published before confirming: never mailed.
    app.publish("press", "Vor der Bestätigung").await;
    // Opening the link (as a mail scanner does) confirms nothing; its button does.
    let opened = app.http.get(&confirm).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    assert!(opened.text().await.unwrap().contains("method=\"post\""));
    assert_eq!(subscribers(&app, account.id).await, 0);
    let confirmed = app.http.post(&confirm).header("accept-language", "de").send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.text().await.unwrap().contains("Bestätigt"));
    assert_eq!(subscribers(&app, account.id).await, 1);

    let published = app.publish("press", "Bürgersprechstunde am Mittwoch\n\nAb 10 Uhr im Rathaus.").await;
    let sent = eventually(20, "the announcement by mail", || async {
        mail.to(address)
            .await
            .into_iter()
            .find(|m| m["subject"].as_str().is_some_and(|s| s.contains("Bürgersprechstunde")))
    })
    .await;
    assert_eq!(mail.to(address).await.len(), 2, "one confirmation, one announcement");
    let text = sent["text"].as_str().unwrap();
    assert!(text.contains("Ab 10 Uhr im Rathaus."), "{text}");
    assert!(text.contains(&format!("/users/press/announcements/{}", published.public_id)));
    assert!(!text.contains("Vor der Bestätigung"));
    // No tracking: plain text only, every link to Herold's own pages.
    assert!(sent["html"].is_null() || sent["html"] == Value::Bool(false), "{sent}");
    for word in text.split_whitespace().filter(|w| w.starts_with("http")) {
        assert!(word.starts_with(&app.url("/")), "a link elsewhere: {word}");
    }
    let headers = &sent["headers"];
    let unsubscribe = headers["list-unsubscribe"].as_str().unwrap_or_default();
    assert!(unsubscribe.starts_with('<') && unsubscribe.contains("/unsubscribe"), "{headers}");
    assert_eq!(headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click");

    // What is held about the address, for a subject access request.
    let subject = dsar::Subject::parse("mailto:Erika.Muster@example.org").unwrap();
    let dsar::Subject::Email(email) = subject else { panic!("an address: {subject:?}") };
    let held = dsar::export_email(app.store.as_ref(), &email).await.unwrap();
    assert_eq!(held.subscriptions.len(), 1);
    assert_eq!(
        held.subscriptions[0].mailed,
        vec![(published.public_id.clone(), held.subscriptions[0].mailed[0].1)]
    );

    // A mail program unsubscribes in one click, from anywhere, with the token alone.
    let one_click = unsubscribe.trim_matches(['<', '>']);
    let resp = reqwest::Client::new()
        .post(one_click)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(subscribers(&app, account.id).await, 0);
    assert!(
        dsar::export_email(app.store.as_ref(), &email).await.unwrap().subscriptions.is_empty(),
        "deleted"
    );
    let again = reqwest::Client::new().post(one_click).send().await.unwrap();
    assert_eq!(again.status(), 200, "unsubscribing twice is no error");
    let spent = app.http.get(&confirm).send().await.unwrap();
    assert_eq!(spent.status(), 404, "a spent link leads nowhere");

    app.publish("press", "Nach der Abmeldung").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(mail.to(address).await.len(), 2, "nothing after unsubscribing");
}

/// Urgent announcements are mailed first; an unconfirmed request expires with its class;
/// an erasure removes a subscription except under legal hold. No mail server here: the
/// store is asked directly.
async fn subscriptions_follow_urgency_retention_and_erasure(db: Db) {
    let options = AppOptions { policies: vec![("bfdi", OFFERED)], ..AppOptions::default() };
    let app = spawn_app_with(db, options).await;
    let account = app.create_account("bfdi", "press").await;
    // Without a mail server, nobody is offered what could not be sent.
    let form = app.http.get(app.url("/users/press/subscribe")).send().await.unwrap();
    assert_eq!(form.status(), 404);

    let now = now_millis();
    let store = app.store.as_ref();
    let outcome =
        store.subscribe(account.id, "anna@example.org", "en", &"a".repeat(43), 100, now).await.unwrap();
    assert_eq!(outcome, herold_store::SubscribeOutcome::Requested);
    store.subscribe(account.id, "ben@example.org", "de", &"b".repeat(43), 100, now).await.unwrap();
    assert!(store.confirm_subscription(&"a".repeat(43), now).await.unwrap());
    // The hour's limit: a flood of requests stores nothing more.
    let flood = store.subscribe(account.id, "c@example.org", "de", &"c".repeat(43), 1, now).await.unwrap();
    assert_eq!(flood, herold_store::SubscribeOutcome::TooMany);
    // The same answer for an address already subscribed: a flood reveals nobody.
    let known = store.subscribe(account.id, "anna@example.org", "en", &"d".repeat(43), 1, now).await.unwrap();
    assert_eq!(known, herold_store::SubscribeOutcome::TooMany);

    let plain = app.publish("press", "Gewöhnlich").await;
    let mut draft = TestApp::draft("Dringend: Hochwasser");
    draft.urgent = true;
    let urgent = app.services.publisher.publish("press", draft, "test").await.unwrap();
    let due = store.subscription_mail_due(now - DAY, 10).await.unwrap();
    let order: Vec<&str> = due.iter().map(|d| d.announcement.as_str()).collect();
    assert_eq!(
        order,
        [urgent.public_id.as_str(), plain.public_id.as_str()],
        "urgent first, to the confirmed only"
    );
    store.subscription_mailed(due[0].subscriber.id, due[0].announcement_id, now).await.unwrap();
    assert_eq!(store.subscription_mail_due(now - DAY, 10).await.unwrap().len(), 1, "each once");

    // Ben never confirmed: his request goes after three days; Anna stays while subscribed.
    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let count =
        |plan: &[ClassCount], class| plan.iter().filter(|c| c.class == class).map(|c| c.count).sum::<i64>();
    let plan = retention::plan(store, &policies, now + 4 * DAY).await.unwrap();
    assert_eq!(count(&plan, DataClass::UnconfirmedSubscriptions), 1);
    assert_eq!(count(&plan, DataClass::EmailSubscriptions), 0, "kept while subscribed");
    let archive = app.db.dir.join("archive");
    retention::apply(store, &policies, now + 4 * DAY, "test", &archive).await.unwrap();
    let ben = EmailAddress::parse("ben@example.org").unwrap();
    assert!(dsar::export_email(store, &ben).await.unwrap().subscriptions.is_empty());
    let plan = retention::plan(store, &policies, now + 31 * DAY).await.unwrap();
    assert_eq!(count(&plan, DataClass::SubscriptionMail), 1, "the record of sending expires");

    // Erasure: not under legal hold; then everywhere else.
    let anna = EmailAddress::parse("anna@example.org").unwrap();
    let mut held = policies.clone();
    held.add_org(std::path::Path::new("orgs/bfdi.toml"), "legal_hold = true\n").unwrap();
    assert_eq!(dsar::erase_email(store, &held, &anna, None, "test").await.unwrap(), 0);
    assert_eq!(dsar::erase_email(store, &policies, &anna, None, "test").await.unwrap(), 1);
    assert!(dsar::export_email(store, &anna).await.unwrap().subscriptions.is_empty());
    assert_eq!(app.store.subscriber_count(account.id).await.unwrap(), 0);
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let erased = entries.iter().filter(|e| e.leaf.action == "dsar.erase").count();
    assert_eq!(erased, 2, "each erasure is recorded");
    assert!(!entries.iter().any(|e| format!("{:?}", e).contains("anna@")), "without the address");
}

on_both_backends!(
    a_citizen_subscribes_by_email_confirms_receives_and_unsubscribes_in_one_click,
    subscriptions_follow_urgency_retention_and_erasure
);
