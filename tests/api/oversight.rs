//! The auditor's and the administrator's pages: the audit trail filtered and exported (and
//! the export audited), the compliance report and Art. 30 record, account creation; each
//! only for its role.

use herold_tests::oidc::{field, Browser, OidcProvider};
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::{Db, TestApp};

/// The names the demo organisation's administrators may give accounts themselves.
const ACCOUNTS_POLICY: &str = "[accounts]\nusernames = [\"news\", \"demo_*\", \"support\"]\n\n\
                               [legal]\ncontroller_contact = \"Rathausplatz 1, 12345 Beispielstadt\"\n\
                               dpo_contact = \"datenschutz@demo.example\"\n\
                               transfers = \"Backups at Example Cloud Inc. (USA) under the EU-US Data Privacy Framework.\"\n";

async fn app(db: Db, provider: &OidcProvider) -> TestApp {
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: ACCOUNTS_POLICY,
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    app
}

async fn signed_in(app: &TestApp, login: &str) -> Browser {
    let s = app.sign_in("demo", login).await;
    assert_eq!(s.answer.status, 303, "{}", s.answer.body);
    s.browser
}

async fn auditors_read_filter_and_export_the_trail(db: Db) {
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    let alice = signed_in(&app, "alice").await;
    let dana = signed_in(&app, "dana").await;

    assert_eq!(alice.get(&app.url("/staff/audit")).await.status, 403, "authors do not read the trail");
    assert_eq!(alice.get(&app.url("/staff/report")).await.status, 403);

    let trail = dana.get(&app.url("/staff/audit")).await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    assert!(trail.body.contains("staff.sign_in") && trail.body.contains("account.create"));
    let filtered = dana.get(&app.url("/staff/audit?action=staff.sign_in&from=&to=")).await;
    let rows = filtered.body.split("<tbody>").nth(1).expect("a table");
    assert!(rows.contains("staff.sign_in") && !rows.contains("account.create"), "{rows}");
    let bad = dana.get(&app.url("/staff/audit?from=yesterday&subject=draft%3Ax")).await;
    assert_eq!(bad.status, 400, "a clear error for a bad date: {}", bad.body);
    assert!(
        bad.body.contains(r#"value="yesterday""#) && bad.body.contains(r#"value="draft:x""#),
        "the form comes back with what was typed: {}",
        bad.body
    );

    // People by name, actions in words, details as fields; filtered by person and subject.
    let german = dana.get_in(&app.url("/staff/audit"), "de").await.body;
    assert!(german.contains("Alice Author") && german.contains("Angemeldet"), "{german}");
    assert!(!german.contains("<td>staff:"), "no pseudonymous ids where a name is known: {german}");
    assert!(german.contains(r#"<dl class="fields">"#), "details as fields: {german}");
    let alice_id = app
        .store
        .staff_of_org("demo")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Alice Author")
        .expect("alice")
        .id;
    let hers = dana.get(&app.url(&format!("/staff/audit?who={alice_id}"))).await.body;
    assert!(hers.contains("Alice Author") && !hers.contains("Dana Auditor</td>"), "{hers}");
    let subject = dana.get(&app.url("/staff/audit?subject=account%3Apress")).await.body;
    let rows = subject.split("<tbody>").nth(1).expect("a table");
    assert!(rows.contains("account.create") && !rows.contains("staff.sign_in"), "{rows}");

    // Exports are POSTs with the session's CSRF token: another site cannot start one.
    let token = field(&trail.body, "csrf").unwrap();
    let export =
        |form: Vec<(&'static str, String)>| dana.http.post(app.url("/staff/audit/export")).form(&form).send();
    let forged = export(vec![("format", "csv".into())]).await.unwrap();
    assert_eq!(forged.status().as_u16(), 403, "no CSRF token, no export");
    let csv =
        export(vec![("csrf", token.clone()), ("format", "csv".into()), ("action", "staff.sign_in".into())])
            .await
            .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("seq,at,org,actor,action,subject,detail\n"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header and two sign-ins: {csv}");
    let json: serde_json::Value =
        export(vec![("csrf", token.clone()), ("format", "json".into())]).await.unwrap().json().await.unwrap();
    assert!(
        json.as_array().unwrap().iter().all(|e| e["org"] == "demo"),
        "only the organisation's own entries"
    );

    // The exports are in the trail, attributed to the auditor.
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let exports: Vec<_> = entries.iter().filter(|e| e.leaf.action == "audit.export").collect();
    assert_eq!(exports.len(), 2);
    let dana_id = app
        .store
        .staff_of_org("demo")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Dana Auditor")
        .unwrap()
        .id;
    assert_eq!(exports[0].leaf.actor, format!("staff:{dana_id}"));

    let report = dana.get(&app.url("/staff/report?from=2026-01-01&to=2030-12-31")).await;
    assert_eq!(report.status, 200);
    assert!(
        report.body.contains("Verified intact") && report.body.contains("Dana Auditor"),
        "{}",
        report.body
    );
    assert!(
        report.body.contains("/static/site.css") && !report.body.contains("<style"),
        "inside the staff pages"
    );
    assert!(
        report.body.contains(r#"name="from" value="2026-01-01""#),
        "the period as chosen: {}",
        report.body
    );
    // The policy the server started with is recorded as settings, not as JSON.
    let changes = report.body.split("Policy changes").nth(1).expect("a section of policy changes");
    assert!(changes.contains("<th>Setting</th>") && !changes.contains("{&quot;"), "{changes}");
    let ropa = dana.get(&app.url("/staff/ropa")).await;
    assert_eq!(ropa.status, 200);
    assert!(ropa.body.contains("sign-in dates of staff"), "{}", ropa.body);
    // Art. 30(1): the controller's and the officer's contact details, whose data each
    // class holds, and the transfers to third countries.
    for said in [
        "Rathausplatz 1, 12345 Beispielstadt",
        "datenschutz@demo.example",
        "<dd>People who subscribe by e-mail</dd>",
        "1. Followers of the official accounts",
        "<dd>The organisation's staff; People on the fediverse who follow, write to, mention or react to the accounts, or whose servers contact the service; Operators of fediverse servers (the name of a server one person runs names that person)</dd>",
        "Transfers to third countries (Art. 30(1)(e))",
        "These servers can be in any country",
        "The organisation states these further transfers: Backups at Example Cloud Inc. (USA)",
    ] {
        assert!(ropa.body.contains(said), "{said}: {}", ropa.body);
    }
    // In the staff interface's other language too.
    let german = dana
        .http
        .get(app.url("/staff/ropa"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(german.contains("Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)"), "{german}");
    assert!(german.contains("lang=\"de\""));
    // The catalogue's own German texts, marked as German, and the record's own words in
    // German too.
    assert!(
        german.contains(
            r#"<dd lang="de">DSGVO Art. 6 Abs. 1 lit. e: Wahrnehmung einer öffentlichen Aufgabe</dd>"#
        ),
        "{german}"
    );
    assert!(german.contains(r#"<dd lang="de">Zustellung der Mitteilungen"#), "{german}");
    for said in [
        "<dd>niemand außer dem Betrieb des Dienstes</dd>",
        "<dd>30 Tage</dd>",
        "<dd>gelöscht</dd>",
        "<dd>anonymisiert</dd>",
    ] {
        assert!(german.contains(said), "{said}: {german}");
    }
    assert!(!german.contains(r#"lang="en""#), "the shipped catalogue speaks German throughout");
    let notice = app.http.get(app.url("/privacy/demo")).header("accept-language", "de").send().await.unwrap();
    let notice = notice.text().await.unwrap();
    assert!(notice.contains(r#"<dd lang="de">DSGVO Art. 6 Abs. 1 lit. e"#), "{notice}");
    // The notice gives the controller's contact details and the stated transfers, and no
    // longer claims that nothing leaves the European Union.
    assert!(notice.contains("Kontakt: Rathausplatz 1, 12345 Beispielstadt"), "{notice}");
    assert!(notice.contains("Weitere Übermittlungen, wie die Organisation sie angibt: Backups"), "{notice}");
    assert!(notice.contains("außerhalb des Europäischen Wirtschaftsraums"), "{notice}");
    assert!(!notice.contains("übermittelt Ihre Daten nicht"), "{notice}");
}

async fn administrators_create_accounts(db: Db) {
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    let alice = signed_in(&app, "alice").await;
    assert_eq!(alice.get(&app.url("/staff/admin")).await.status, 403);
    let carol = signed_in(&app, "carol").await;
    // An administrator who does not write is told so before typing anything.
    let compose = carol.get(&app.url("/staff/new")).await;
    assert_eq!(compose.status, 403, "{}", compose.body);
    assert!(compose.body.contains("“author”") && !compose.body.contains("<textarea"), "{}", compose.body);
    let page = carol.get(&app.url("/staff/admin")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf").unwrap();
    let create = |username: &'static str| {
        let csrf = csrf.clone();
        let carol = &carol;
        let url = app.url("/staff/admin/accounts");
        async move {
            carol
                .post(
                    &url,
                    &[("csrf", csrf.as_str()), ("username", username), ("name", "Pressestelle Nachrichten")],
                )
                .await
        }
    };
    let invalid = create("Not Valid").await;
    assert_eq!(invalid.status, 400);
    assert!(invalid.body.contains("Pressestelle Nachrichten"), "the form keeps what was typed");
    assert_eq!(create("news").await.status, 303);
    let account = app.store.account_by_username("news").await.unwrap().expect("created");
    assert_eq!(account.org_slug, "demo");
    let taken = create("news").await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("“news” is taken"), "in words: {}", taken.body);
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let created = entries.iter().find(|e| e.leaf.subject == "account:news").unwrap();
    assert!(created.leaf.actor.starts_with("staff:"), "{}", created.leaf.actor);
    // The account federates at once.
    let (status, actor) = app.get_json("/users/news").await;
    assert_eq!(status, 200);
    assert_eq!(actor["type"], "Organization");
    // Which body speaks is part of the account, as a profile field.
    assert_eq!(actor["attachment"][0]["type"], "PropertyValue");
    assert_eq!(actor["attachment"][0]["value"], "Test Authority");

    // Retiring is asked first, with a reason, and cannot be done by an author or to
    // another organisation's account.
    let asked = carol.get_in(&app.url("/staff/admin/accounts/news/retire"), "de").await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("@news stilllegen?") && asked.body.contains("nicht rückgängig"),
        "{}",
        asked.body
    );
    let retire = |reason: &'static str, confirm: &'static str| {
        let (app, carol, csrf) = (&app, &carol, csrf.clone());
        async move {
            let form = [("csrf", csrf.as_str()), ("reason", reason), ("confirm", confirm)];
            carol.post(&app.url("/staff/admin/accounts/news/retire"), &form).await
        }
    };
    assert_eq!(retire(" ", "yes").await.status, 400, "a reason first");
    assert_eq!(retire("Referat aufgelöst", "").await.status, 400, "confirmed first");
    assert!(app.store.account_by_username("news").await.unwrap().unwrap().ended_at.is_none());
    assert_eq!(alice.get(&app.url("/staff/admin/accounts/news/retire")).await.status, 403);
    app.create_account("other", "theirs").await;
    assert_eq!(carol.get(&app.url("/staff/admin/accounts/theirs/retire")).await.status, 404);
    assert_eq!(retire("Referat aufgelöst", "yes").await.status, 303);
    assert!(app.store.account_by_username("news").await.unwrap().unwrap().ended_at.is_some());
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let retired = entries.iter().find(|e| e.leaf.action == "account.retire").expect("audited");
    assert!(retired.payload.as_ref().unwrap().1.contains("Referat aufgelöst"));
    let admin = carol.get(&app.url("/staff/admin")).await.body;
    assert!(admin.contains("The account is retired") && admin.contains("retired "), "{admin}");

    // Names are governed on a shared instance: only those the policy grants, and never one
    // that reads as the server's own, even if a policy grants it.
    assert_eq!(create("demo_presse").await.status, 303);
    let ungranted = create("bundesregierung").await;
    assert_eq!(ungranted.status, 403, "{}", ungranted.body);
    assert!(
        ungranted.body.contains("[accounts] usernames"),
        "the refusal says what to do: {}",
        ungranted.body
    );
    assert!(
        ungranted.body.contains("news, demo_*, support"),
        "the refusal lists the granted names: {}",
        ungranted.body
    );
    assert!(app.store.account_by_username("bundesregierung").await.unwrap().is_none());
    let reserved = create("support").await;
    assert_eq!(reserved.status, 400, "{}", reserved.body);
    assert!(reserved.body.contains("reserved"), "{}", reserved.body);
}

/// Subject requests from the auditor's page: a follower's data (only what this
/// organisation holds) and a member of staff's, exported and erased; the trail still
/// verifies and records the erasure without the identity.
async fn auditors_answer_subject_requests(db: Db) {
    use herold_federation::signatures::Scheme;
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    app.create_account("other", "elsewhere").await;
    let fake = herold_tests::fake_remote::FakeRemote::start().await;
    for account in ["press", "elsewhere"] {
        let follow = fake.follow(&app.url(&format!("/users/{account}")));
        assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    }
    let alice = signed_in(&app, "alice").await;
    drop(alice);
    let dana = signed_in(&app, "dana").await;
    let page = dana.get(&app.url("/staff/dsar")).await;
    assert_eq!(page.status, 200);
    let token = field(&page.body, "csrf").unwrap();
    let subject_export = |subject: String| {
        dana.http
            .post(app.url("/staff/dsar/export"))
            .form(&[("csrf", token.clone()), ("subject", subject)])
            .send()
    };

    // A follower: only this organisation's part.
    let export: serde_json::Value = subject_export(fake.actor.clone()).await.unwrap().json().await.unwrap();
    let follows = export["data"]["follows"].as_array().unwrap();
    assert_eq!(follows.len(), 1, "{export}");
    assert_eq!(follows[0]["account"], "press");
    // The same person named by their address, as people give it: looked up to the actor.
    let handle = format!("@mallory@{}", fake.authority());
    let unknown = subject_export(handle.clone()).await.unwrap();
    assert_eq!(unknown.status().as_u16(), 400, "no webfinger answer yet");
    assert!(unknown.text().await.unwrap().contains("could not be looked up"));
    fake.set_webfinger(serde_json::json!({
        "subject": format!("acct:mallory@{}", fake.authority()),
        "links": [{ "rel": "self", "type": "application/activity+json", "href": fake.actor }],
    }));
    let by_handle: serde_json::Value = subject_export(handle).await.unwrap().json().await.unwrap();
    assert_eq!(by_handle["data"], export["data"], "the same data as by actor URI");
    // The same as a readable summary for the person, as a download.
    let summary = dana
        .http
        .post(app.url("/staff/dsar/export"))
        .form(&[("csrf", token.clone()), ("subject", fake.actor.clone()), ("format", "html".into())])
        .send()
        .await
        .unwrap();
    assert!(summary.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert!(summary.headers()["content-disposition"].to_str().unwrap().contains("subject-access.html"));
    assert!(summary.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(
        summary.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"),
        "shown by mistake, it still runs nothing and reaches nothing"
    );
    let summary = summary.text().await.unwrap();
    // A letter to send: the copy of the data and what Art. 15(1) GDPR asks to be told.
    assert!(summary.contains("Our accounts you follow (1)") && summary.contains("@press"), "{summary}");
    assert!(!summary.contains("@elsewhere"), "only this organisation's part");
    for part in ["Where the data comes from", "Your rights", "<h1>Your request for access"] {
        assert!(summary.contains(part), "{part}: {summary}");
    }
    let german = dana
        .http
        .post(app.url("/staff/dsar/export"))
        .header("accept-language", "de")
        .form(&[("csrf", token.clone()), ("subject", fake.actor.clone()), ("format", "html".into())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        german.contains(r#"<html lang="de">"#) && german.contains("Unsere Konten, denen Sie folgen (1)"),
        "{german}"
    );

    let page = dana.get(&app.url("/staff/dsar")).await;
    let csrf = field(&page.body, "csrf").unwrap();
    let unconfirmed = dana
        .post(&app.url("/staff/dsar/erase"), &[("csrf", csrf.as_str()), ("subject", fake.actor.as_str())])
        .await;
    assert_eq!(unconfirmed.status, 400);
    let erased = dana
        .post(
            &app.url("/staff/dsar/erase"),
            &[("csrf", csrf.as_str()), ("subject", fake.actor.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    let press = app.store.account_by_username("press").await.unwrap().unwrap();
    let elsewhere = app.store.account_by_username("elsewhere").await.unwrap().unwrap();
    assert_eq!(app.store.follower_count(press.id).await.unwrap(), 0, "this organisation's follow is gone");
    assert_eq!(app.store.follower_count(elsewhere.id).await.unwrap(), 1, "the other organisation's stays");

    // A subscriber by e-mail, named by their address; a name that is none is explained.
    let now = herold_domain::now_millis();
    app.store.subscribe(press.id, "anna@example.org", "de", &"f".repeat(43), 100, now).await.unwrap();
    let export: serde_json::Value =
        subject_export("Anna@Example.org".into()).await.unwrap().json().await.unwrap();
    assert_eq!(export["data"]["subscriptions"].as_array().map(Vec::len), Some(1), "{export}");
    let bad = subject_export("anna at example".into()).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("the e-mail address they subscribed with"));
    let erased = dana
        .post(
            &app.url("/staff/dsar/erase"),
            &[("csrf", csrf.as_str()), ("subject", "anna@example.org"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert!(app.store.email_subject_data("anna@example.org").await.unwrap().subscriptions.is_empty());

    // A member of staff: everything about them, then anonymised.
    let alice_id = app
        .store
        .staff_of_org("demo")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Alice Author")
        .unwrap()
        .id;
    let subject = format!("staff:{alice_id}");
    let export: serde_json::Value = subject_export(subject.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(export["data"]["email"], "alice@demo.example", "{export}");
    assert_eq!(export["data"]["sessions"].as_array().unwrap().len(), 1);
    let erased = dana
        .post(
            &app.url("/staff/dsar/erase"),
            &[("csrf", csrf.as_str()), ("subject", subject.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    let member = app.store.staff_member(alice_id).await.unwrap().unwrap();
    assert_eq!((member.name.as_str(), member.email.as_deref()), ("", None));
    for trace in ["alice@demo.example", "Alice Author", "demo-alice"] {
        let left = herold_tests::fixtures::columns_containing(&app.db, trace).await;
        assert!(left.is_empty(), "{trace} still found in {left:?}");
    }
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let by_alice: Vec<_> = entries.iter().filter(|e| e.leaf.actor == subject).collect();
    assert!(!by_alice.is_empty() && by_alice.iter().all(|e| e.payload.is_none()), "her details are erased");
    let erasures: Vec<_> = entries.iter().filter(|e| e.leaf.action == "dsar.erase").collect();
    assert_eq!(erasures.len(), 3, "the follower, the subscriber, the member of staff");
    assert!(
        erasures
            .iter()
            .all(|e| e.payload.as_ref().is_none_or(|p| !p.1.contains("alice") && !p.1.contains("anna"))),
        "no identity recorded"
    );
    // Staff of another organisation do not exist for this auditor.
    let foreign = subject_export("staff:999".into()).await.unwrap();
    assert_eq!(foreign.status().as_u16(), 404);
    let keys = &app.services.audit;
    let report =
        herold_compliance::audit::verify(app.store.as_ref(), &keys.seal, &keys.trusted, &[]).await.unwrap();
    assert_eq!(report.problem, None, "the trail still verifies");
}

/// A long trail is read a page at a time, only the organisation's own entries counted, and
/// an export still holds every matching entry.
async fn a_long_trail_is_paged_and_exported_whole(db: Db) {
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    let dana = signed_in(&app, "dana").await;
    for n in 0..230 {
        let entry = herold_store::AuditEntry::new("operator", "test.noise", format!("n:{n}")).in_org("demo");
        app.store.record_audit(entry).await.unwrap();
        let elsewhere =
            herold_store::AuditEntry::new("operator", "test.noise", format!("n:{n}")).in_org("other");
        app.store.record_audit(elsewhere).await.unwrap();
    }
    let first = dana.get(&app.url("/staff/audit?action=test.noise")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Showing 200 of 230 matching entries"), "{}", first.body);
    assert!(first.body.contains("n:229") && !first.body.contains("n:29<"), "the newest 200 first");
    let older = first.body.split("href=\"/staff/audit?").nth(1).and_then(|rest| rest.split('"').next());
    let older = older.expect("a link to the older entries").replace("&amp;", "&");
    let second = dana.get(&app.url(&format!("/staff/audit?{older}"))).await;
    assert!(second.body.contains("Showing 30 of 230"), "{}", second.body);
    assert!(second.body.contains("n:0<") && second.body.contains("n:29<") && !second.body.contains("n:30<"));
    assert!(!second.body.contains("href=\"/staff/audit?"), "the last page links no further");

    let token = field(&first.body, "csrf").unwrap();
    let form = vec![("csrf", token), ("action", "test.noise".into()), ("format", "csv".to_owned())];
    let export = dana.http.post(app.url("/staff/audit/export")).form(&form).send().await.unwrap();
    let csv = export.text().await.unwrap();
    assert_eq!(
        csv.lines().filter(|l| l.contains("test.noise")).count(),
        230,
        "every matching entry, only demo's"
    );

    // Longer than one batch of the stream: still one whole document, every entry once.
    for n in 0..2050 {
        let entry = herold_store::AuditEntry::new("operator", "test.bulk", format!("b:{n}")).in_org("demo");
        app.store.record_audit(entry).await.unwrap();
    }
    let form = vec![
        ("csrf", field(&first.body, "csrf").unwrap()),
        ("action", "test.bulk".into()),
        ("format", "json".into()),
    ];
    let export = dana.http.post(app.url("/staff/audit/export")).form(&form).send().await.unwrap();
    let entries: serde_json::Value = export.json().await.expect("one JSON document");
    let subjects: std::collections::BTreeSet<&str> =
        entries.as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects.len(), 2050, "each entry once");
}

/// The officer enters each request when it arrives; the register holds it to the month
/// Art. 12(3) GDPR allows, says when that has passed, and keeps how it was closed. The
/// trail records the steps without naming the person.
async fn the_register_holds_each_request_to_its_month(db: Db) {
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    let alice = signed_in(&app, "alice").await;
    let dana = signed_in(&app, "dana").await;
    let token = field(&dana.get(&app.url("/staff/dsar")).await.body, "csrf").unwrap();
    let register = |subject: &'static str, kind: &'static str, received: &'static str| {
        let (app, dana, token) = (&app, &dana, token.clone());
        async move {
            let form =
                [("csrf", token.as_str()), ("subject", subject), ("kind", kind), ("received", received)];
            dana.post_in(&app.url("/staff/dsar/requests"), &form, "de").await
        }
    };
    assert_eq!(register("@mallory@example.org", "access", "2026-10-01").await.status, 303);
    assert_eq!(register("bob@example.org", "erasure", "2026-11-30").await.status, 303);
    for (subject, kind, received) in
        [("", "access", "2026-10-01"), ("x", "access", "2999-01-01"), ("x", "access", "gestern")]
    {
        let refused = register(subject, kind, received).await;
        assert_eq!(refused.status, 400, "{subject} {received}: {}", refused.body);
    }
    assert_eq!(register("x", "telepathy", "2026-10-01").await.status, 400);
    let form = [("csrf", token.as_str()), ("subject", "x"), ("kind", "access"), ("received", "2026-10-01")];
    assert_eq!(alice.post(&app.url("/staff/dsar/requests"), &form).await.status, 403, "auditors only");

    let page = dana.get_in(&app.url("/staff/dsar"), "de").await.body;
    let register_part = page.split("id=\"register\"").nth(1).expect("the register");
    let (first, second) =
        (register_part.find("@mallory@").unwrap(), register_part.find("bob@example.org").unwrap());
    assert!(first < second, "the earliest deadline first: {register_part}");
    assert!(
        register_part.contains("1. November 2026, 23:59 Uhr")
            && register_part.contains("Frist überschritten")
    );
    assert!(
        register_part.contains("30. Dezember 2026, 23:59 Uhr"),
        "a month from 30 November: {register_part}"
    );

    let id = register_part.split("/staff/dsar/requests/").nth(1).and_then(|r| r.split('/').next()).unwrap();
    let close = |note: &'static str| {
        let (app, dana, token, id) = (&app, &dana, token.clone(), id.to_owned());
        async move {
            let form = [("csrf", token.as_str()), ("state", "answered"), ("note", note)];
            dana.post(&app.url(&format!("/staff/dsar/requests/{id}/close")), &form).await
        }
    };
    assert_eq!(close(" ").await.status, 400, "what was done, first");
    assert_eq!(close("Auskunft per Post am 28. Oktober").await.status, 303);
    assert_eq!(close("again").await.status, 404, "closed once");
    let page = dana.get_in(&app.url("/staff/dsar"), "de").await.body;
    assert!(page.contains("beantwortet") && page.contains("Auskunft per Post am 28. Oktober"), "{page}");

    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    let steps: Vec<_> = trail.iter().filter(|e| e.leaf.action.starts_with("dsar.")).collect();
    assert_eq!(steps.iter().filter(|e| e.leaf.action == "dsar.register").count(), 2);
    assert_eq!(steps.iter().filter(|e| e.leaf.action == "dsar.close").count(), 1);
    for e in steps {
        let detail = e.payload.as_ref().map(|(_, p)| p.as_str()).unwrap_or_default();
        assert!(!detail.contains("mallory") && !e.leaf.subject.contains("mallory"), "{detail}");
    }
}

/// A complex request may take two further months (Art. 12(3) GDPR): once, with the reason
/// the person is told, and only while the first month runs. The deadline becomes three
/// months from the day the request arrived.
async fn a_deadline_is_extended_once_with_a_reason_within_the_first_month(db: Db) {
    let provider = OidcProvider::start();
    let app = app(db, &provider).await;
    let alice = signed_in(&app, "alice").await;
    let dana = signed_in(&app, "dana").await;
    let page = dana.get(&app.url("/staff/dsar")).await.body;
    let token = field(&page, "csrf").unwrap();
    let today = field(&page, "received").expect("today, filled in");
    for (subject, received) in
        [("@anna@social.example", today.as_str()), ("@late@social.example", "2026-01-05")]
    {
        let form =
            [("csrf", token.as_str()), ("subject", subject), ("kind", "access"), ("received", received)];
        assert_eq!(dana.post(&app.url("/staff/dsar/requests"), &form).await.status, 303);
    }
    let page = dana.get(&app.url("/staff/dsar")).await.body;
    let id_of = |page: &str, subject: &str| {
        let item = page.split("<li>").find(|item| item.contains(subject)).expect("the request");
        item.split("/staff/dsar/requests/").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned()
    };
    let (current, late) = (id_of(&page, "@anna@"), id_of(&page, "@late@"));
    assert!(page.contains(&format!("/staff/dsar/requests/{current}/extend")), "offered while the month runs");
    assert!(!page.contains(&format!("/staff/dsar/requests/{late}/extend")), "not once it has passed");
    let extend = |b: &'static str, id: String, reason: &'static str| {
        let (app, b, token) = (&app, if b == "dana" { &dana } else { &alice }, token.clone());
        async move {
            let form = [("csrf", token.as_str()), ("reason", reason)];
            b.post_in(&app.url(&format!("/staff/dsar/requests/{id}/extend")), &form, "de").await
        }
    };
    let reason = "Die Daten liegen in drei Archiven; wir haben Frau Anna am selben Tag geschrieben.";
    // The officer who extends it keeps another clock than the organisation's: the deadline
    // is still counted on the organisation's, as it was registered.
    let zone = [("csrf", token.as_str()), ("time_zone", "America/Los_Angeles")];
    assert_eq!(dana.post(&app.url("/staff/settings"), &zone).await.status, 200);
    assert_eq!(extend("alice", current.clone(), reason).await.status, 403, "auditors only");
    let missing = extend("dana", current.clone(), "  ").await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("Geben Sie den Grund der Verlängerung an"), "{}", missing.body);
    assert_eq!(extend("dana", current.clone(), reason).await.status, 303);
    let page = dana.get_in(&app.url("/staff/dsar"), "de").await.body;
    assert!(page.contains("Die Frist ist um zwei Monate verlängert."), "confirmed once: {page}");
    let again = extend("dana", current.clone(), reason).await;
    assert_eq!(again.status, 409, "once");
    assert!(again.body.contains("lässt sich nicht verlängern"), "{}", again.body);
    assert_eq!(extend("dana", late.clone(), reason).await.status, 409, "the first month has passed");
    assert_eq!(extend("dana", "no-such-request".into(), reason).await.status, 404);

    let page = dana.get_in(&app.url("/staff/dsar"), "de").await.body;
    let item = page.split("<li>").find(|item| item.contains("@anna@")).unwrap();
    assert!(item.contains("Frist verlängert am") && item.contains(reason), "{item}");
    assert!(!item.contains("/extend"), "{item}");

    let due = herold_domain::Zone::utc().months_after(&today, 3).unwrap();
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    let extended: Vec<_> = trail.iter().filter(|e| e.leaf.action == "dsar.extend").collect();
    assert_eq!(extended.len(), 1);
    let detail = extended[0].payload.as_ref().map(|(_, p)| p.as_str()).unwrap_or_default();
    assert!(detail.contains(&herold_domain::format_rfc3339(due)), "{detail}");
    // The reason may name the person: it stays in the register, which is kept for less long.
    assert!(!detail.contains("Anna") && !extended[0].leaf.subject.contains("anna"), "{detail}");
}

on_both_backends!(
    a_deadline_is_extended_once_with_a_reason_within_the_first_month,
    the_register_holds_each_request_to_its_month,
    a_long_trail_is_paged_and_exported_whole,
    auditors_read_filter_and_export_the_trail,
    administrators_create_accounts,
    auditors_answer_subject_requests
);
