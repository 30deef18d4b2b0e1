//! Staff sign-in against a real OpenID provider (deploy/dev/oidc) and the four-eyes
//! workflow through the staff pages, out to a real ActivityPub peer.

use herold_domain::workflow::DraftState;
use herold_store::Visibility;
use herold_tests::mail::MailCatcher;
use herold_tests::oidc::{field, form_action, Browser, OidcProvider, Page};
use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::{eventually, Db, TestApp};

pub(crate) async fn staff_app(db: Db, provider: &OidcProvider, orgs: &[&'static str]) -> TestApp {
    let sign_in = orgs
        .iter()
        .map(|org| SignIn { org, issuer: provider.issuer(), extra_policy: "", discovery_url: None })
        .collect();
    let options = AppOptions {
        sign_in,
        env: vec![
            ("HEROLD_SCHEDULED_PUBLISHING_INTERVAL_SECONDS", "1".into()),
            ("HEROLD_NOTIFICATIONS_INTERVAL_SECONDS", "1".into()),
        ],
        ..AppOptions::default()
    };
    let app = spawn_app_with(db, options).await;
    app.create_account("demo", "press").await;
    app
}

pub(crate) async fn signed_in(app: &TestApp, org: &str, login: &str) -> Browser {
    let s = app.sign_in(org, login).await;
    assert_eq!(s.answer.status, 303, "{login} should be signed in: {}", s.answer.body);
    assert_eq!(s.answer.location.as_deref(), Some("/staff"));
    s.browser
}

pub(crate) async fn csrf(app: &TestApp, b: &Browser, path: &str) -> String {
    let page = b.get(&app.url(path)).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    field(&page.body, "csrf").expect("a CSRF field")
}

/// Writes a draft for @press through the form; returns its id.
async fn write(app: &TestApp, b: &Browser, text: &str, publish_at: &str, edit_of: Option<&str>) -> String {
    let token = csrf(app, b, "/staff/new").await;
    let mut form = vec![
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", text),
        ("language", "de"),
        ("publish_at", publish_at),
    ];
    if let Some(id) = edit_of {
        form.push(("edit_of", id));
    }
    let page = b.post(&app.url("/staff/drafts"), &form).await;
    assert_eq!(page.status, 303, "draft not saved: {}", page.body);
    page.location.expect("to the draft").trim_start_matches("/staff/drafts/").to_owned()
}

/// Takes a step from the submission's page, as shown now (its CSRF token and revision).
async fn step(app: &TestApp, b: &Browser, id: &str, step: &str, comment: &str) -> Page {
    step_in(app, b, id, step, comment, "en").await
}

/// `step`, by someone whose browser asks for `language`.
async fn step_in(app: &TestApp, b: &Browser, id: &str, step: &str, comment: &str, language: &str) -> Page {
    let page = b.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = field(&page.body, "csrf").expect("a CSRF field");
    let revision = field(&page.body, "revision").unwrap_or_default();
    let form =
        [("csrf", token.as_str()), ("step", step), ("comment", comment), ("revision", revision.as_str())];
    b.post_in(&app.url(&format!("/staff/drafts/{id}/step")), &form, language).await
}

/// Withdraws a draft as a person does: the button asks first, and the confirmation does it.
async fn withdraw(app: &TestApp, b: &Browser, id: &str) {
    let asked = step(app, b, id, "withdraw", "").await;
    assert_eq!(asked.location.as_deref(), Some(format!("/staff/drafts/{id}/withdraw").as_str()));
    assert_eq!(state(app, id).await, DraftState::Draft, "not before it is confirmed");
    let page = b.get_in(&app.url(&format!("/staff/drafts/{id}/withdraw")), "de").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Diese Vorlage zurückziehen?") && page.body.contains("Tage aufbewahrt"),
        "{}",
        page.body
    );
    let form = [
        ("csrf", field(&page.body, "csrf").unwrap()),
        ("step", "withdraw".to_owned()),
        ("revision", field(&page.body, "revision").unwrap()),
        ("confirm", "yes".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app.url(&format!("/staff/drafts/{id}/step")), &form).await.status, 303);
    assert_eq!(state(app, id).await, DraftState::Withdrawn);
}

async fn state(app: &TestApp, id: &str) -> DraftState {
    app.store.draft(id, &herold_store::Visibility::everything()).await.unwrap().expect("draft").state
}

async fn four_eyes_workflow_reaches_a_real_peer(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let peer = Peer::start("draft-cavage-http-signatures-12");
    peer.follow(&app.url("/users/press")).await;
    let press = app.store.account_by_username("press").await.unwrap().unwrap();
    eventually(10, "the peer follows @press", || async {
        (app.store.follower_count(press.id).await.unwrap() == 1).then_some(())
    })
    .await;

    let alice = signed_in(&app, "demo", "alice").await;
    let overview = alice.get(&app.url("/staff")).await;
    assert!(overview.body.contains("Alice Author"), "{}", overview.body);
    // The account page counts the follower now, not at the last daily snapshot.
    let account = alice.get(&app.url("/staff/accounts/press")).await.body;
    let caption = account.split("id=\"followers-caption\">").nth(1).and_then(|c| c.split('<').next());
    assert!(caption.is_some_and(|c| c.ends_with(": 1")), "{account}");
    let id = write(&app, &alice, "Tag der offenen Tür am #Samstag", "", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    // An author cannot approve.
    let refused = step(&app, &alice, &id, "approve", "").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(state(&app, &id).await, DraftState::Submitted);

    let bob = signed_in(&app, "demo", "bob").await;
    let queue = bob.get(&app.url("/staff")).await;
    assert!(queue.body.contains(&id), "the approver sees the queue");
    let approved = step(&app, &bob, &id, "approve", "").await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(state(&app, &id).await, DraftState::Published);
    let created = eventually(20, "the peer receives the Create", || async {
        peer.received_of("Create").await.into_iter().next()
    })
    .await;
    assert!(created["object"]["content"].as_str().unwrap().contains("Tag der offenen"), "{created}");

    // The announcement page says who wrote and who approved it.
    let draft = app.store.draft(&id, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    let public_id = draft.announcement_public_id.expect("published");
    let page = bob.get(&app.url(&format!("/staff/accounts/press/announcements/{public_id}"))).await;
    assert!(page.body.contains("Alice Author") && page.body.contains("Bob Approver"), "{}", page.body);

    // An edit goes through approval and is sent as Update.
    let edit = write(&app, &alice, "Tag der offenen Tür am #Sonntag", "", Some(&public_id)).await;
    assert_eq!(step(&app, &alice, &edit, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &edit, "approve", "").await.status, 303);
    let updated = eventually(20, "the peer receives the Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    assert!(updated["object"]["content"].as_str().unwrap().contains("Sonntag"), "{updated}");

    // An approver pins it to the profile; followers are told with an Add to `featured`.
    let path = format!("/staff/accounts/press/announcements/{public_id}");
    let token = csrf(&app, &alice, &path).await;
    let pin = app.url(&format!("{path}/pin"));
    let by_author = alice.post(&pin, &[("csrf", token.as_str()), ("pinned", "true")]).await;
    assert_eq!(by_author.status, 403, "pinning is an approver's call");
    let token = csrf(&app, &bob, &path).await;
    assert_eq!(bob.post(&pin, &[("csrf", token.as_str()), ("pinned", "true")]).await.status, 303);
    let added = eventually(20, "the peer receives the Add", || async {
        peer.received_of("Add").await.into_iter().next()
    })
    .await;
    assert_eq!(added["raw"]["target"], app.url("/users/press/featured"), "{added}");
    let page = bob.get(&app.url(&path)).await;
    assert!(page.body.contains("Unpin") || page.body.contains("Lösen"), "{}", page.body);
    let (_, featured) = app.get_json("/users/press/featured").await;
    assert_eq!(featured["totalItems"], 1);

    // A retraction needs a reason and sends Delete.
    let retract = app.url(&format!("{path}/retract"));
    let no_reason = bob.post(&retract, &[("csrf", token.as_str()), ("reason", " ")]).await;
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let done = bob.post(&retract, &[("csrf", token.as_str()), ("reason", "Termin verschoben")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    eventually(20, "the peer receives the Delete", || async {
        peer.received_of("Delete").await.into_iter().next()
    })
    .await;

    // The account page charts followers per day, with the numbers as a table too.
    let today = herold_domain::format_rfc3339(herold_domain::now_millis())[..10].to_owned();
    app.store.record_follower_counts(&today).await.unwrap();
    let account_page = bob.get(&app.url("/staff/accounts/press")).await;
    assert!(account_page.body.contains("<svg"), "{}", account_page.body);
    assert!(account_page.body.contains(&format!("<td>{today}</td><td>1</td>")), "{}", account_page.body);

    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.leaf.action.as_str()).collect();
    for wanted in [
        "staff.sign_in",
        "staff.roles_changed",
        "draft.create",
        "draft.submit",
        "draft.approve",
        "announcement.publish",
        "announcement.edit",
        "announcement.retract",
    ] {
        assert!(actions.contains(&wanted), "{wanted} missing from {actions:?}");
    }
    let retraction = entries.iter().find(|e| e.leaf.action == "announcement.retract").unwrap();
    assert!(retraction.leaf.actor.starts_with("staff:"), "attributed to a person: {}", retraction.leaf.actor);
    assert!(retraction.payload.as_ref().unwrap().1.contains("Termin verschoben"));
}

/// An approval names the revision the approver saw: a change by the author in between
/// (recall, revise, resubmit) makes it fail instead of publishing text nobody reviewed.
async fn approvals_cover_exactly_what_was_reviewed(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let id = write(&app, &alice, "Harmlos", "", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    // Bob opens the submission ...
    let seen = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    let (token, revision) = (field(&seen.body, "csrf").unwrap(), field(&seen.body, "revision").unwrap());
    // ... while Alice takes it back, changes it and submits it again.
    assert_eq!(step(&app, &alice, &id, "recall", "").await.status, 303);
    let edit = alice.get(&app.url(&format!("/staff/drafts/{id}/edit"))).await;
    let edit_token = field(&edit.body, "csrf").unwrap();
    let revised = alice
        .post(
            &app.url(&format!("/staff/drafts/{id}")),
            &[
                ("csrf", edit_token.as_str()),
                ("account", "press"),
                ("text", "Etwas ganz anderes"),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(revised.status, 303, "{}", revised.body);
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    let stale = bob
        .post(
            &app.url(&format!("/staff/drafts/{id}/step")),
            &[("csrf", token.as_str()), ("step", "approve"), ("revision", revision.as_str())],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(state(&app, &id).await, DraftState::Submitted, "nothing was published");
    let blind = bob
        .post(&app.url(&format!("/staff/drafts/{id}/step")), &[("csrf", token.as_str()), ("step", "approve")])
        .await;
    assert_eq!(blind.status, 400, "an approval must name what it saw");
    // Approving what is there now works, and the trail records what was approved.
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    assert_eq!(state(&app, &id).await, DraftState::Published);
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let approval = entries.iter().find(|e| e.leaf.action == "draft.approve").unwrap();
    assert!(approval.payload.as_ref().unwrap().1.contains("text_sha256"));
}

async fn nobody_approves_their_own_draft(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    // Erik is both author and approver.
    let erik = signed_in(&app, "demo", "erik").await;
    let id = write(&app, &erik, "Eigene Freigabe?", "", None).await;
    assert_eq!(step(&app, &erik, &id, "submit", "").await.status, 303);
    // His own submission offers him to take it back, not to reject it as its reviewer.
    let own_page = erik.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    assert!(own_page.body.contains(r#"value="recall""#), "{}", own_page.body);
    assert!(!own_page.body.contains(r#"value="reject""#), "{}", own_page.body);
    let own = step(&app, &erik, &id, "approve", "").await;
    assert_eq!(own.status, 403, "{}", own.body);
    assert!(own.body.contains("four-eyes"), "the page says why: {}", own.body);
    assert_eq!(state(&app, &id).await, DraftState::Submitted);
    // A second version in the primary's language is refused; the form comes back as typed.
    let token = csrf(&app, &erik, "/staff/new").await;
    let typed = "Zweimal Deutsch";
    let form = [
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", typed),
        ("language", "de"),
        ("translation_language_1", "de"),
        ("translation_text_1", "Noch einmal"),
    ];
    let refused = erik.post(&app.url("/staff/drafts"), &form).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains(typed) && refused.body.contains("Noch einmal"), "nothing typed is lost");
    assert!(refused.body.contains("role=\"alert\""), "the error is announced");
    // A rejection needs a comment; with one, the author sees it.
    let bob = signed_in(&app, "demo", "bob").await;
    let review = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    assert!(review.body.contains(r#"value="reject""#), "the reviewer may reject: {}", review.body);
    assert_eq!(step(&app, &bob, &id, "reject", "").await.status, 400);
    assert_eq!(step(&app, &bob, &id, "reject", "Bitte Quelle nennen").await.status, 303);
    assert_eq!(state(&app, &id).await, DraftState::Rejected);
    let page = erik.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    assert!(page.body.contains("Bitte Quelle nennen"));
    assert_eq!(
        app.store
            .announcement_count(app.store.account_by_username("press").await.unwrap().unwrap().id)
            .await
            .unwrap(),
        0
    );
}

/// A refused step says why in the reader's language, in words a press officer uses.
async fn refusals_are_worded_in_the_readers_language(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let erik = signed_in(&app, "demo", "erik").await;
    let id = write(&app, &erik, "Zur Freigabe", "", None).await;
    assert_eq!(step(&app, &erik, &id, "submit", "").await.status, 303);
    let own = step_in(&app, &erik, &id, "approve", "", "de-DE,de;q=0.9").await;
    assert_eq!(own.status, 403);
    assert!(own.body.contains("Vier-Augen-Prinzip"), "{}", own.body);
    // What is wrong with a field is said in German too, in words a press officer uses, and
    // the form comes back as typed.
    let token = csrf(&app, &erik, "/staff/new").await;
    let form = [("csrf", token.as_str()), ("account", "press"), ("text", "Hallo"), ("language", "deutsch")];
    let wrong = erik.post_in(&app.url("/staff/drafts"), &form, "de").await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("„deutsch“ ist kein Sprachcode"), "{}", wrong.body);
    assert!(!wrong.body.contains("ISO 639"), "no machine wording: {}", wrong.body);
    // And so are the workflow's refusals.
    let not_theirs = erik.get_in(&app.url("/staff/audit"), "de").await;
    assert_eq!(not_theirs.status, 403);
    assert!(
        not_theirs.body.contains("Diese Seite ist für die Prüfung der Organisation."),
        "{}",
        not_theirs.body
    );
    // Two approvers on the same page: the second one's step comes after the first's.
    let bob = signed_in(&app, "demo", "bob").await;
    let stale = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await;
    let token = field(&stale.body, "csrf").unwrap();
    let revision = field(&stale.body, "revision").unwrap_or_default();
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    let url = app.url(&format!("/staff/drafts/{id}/step"));
    let late = |step: &'static str| {
        [("csrf", token.as_str()), ("step", step), ("comment", "Zu spät"), ("revision", revision.as_str())]
    };
    let Page { status, body, .. } = bob.post_in(&url, &late("reject"), "de").await;
    assert_eq!(status, 409, "{body}");
    let state = if body.contains("„Veröffentlicht“") { "Veröffentlicht" } else { "Freigegeben" };
    assert!(body.contains(&format!("steht auf „{state}“: Sie kann jetzt nicht abgelehnt werden")), "{body}");
    let english = bob.post_in(&url, &late("approve"), "en").await.body;
    assert!(english.contains("it cannot be approved now"), "{english}");
    assert!(!english.contains("approveed"));
}

/// A publishing time that has passed is refused with the reason, in the reader's language,
/// and the form comes back as typed: it would otherwise go out at once on approval while the
/// lists still said "scheduled".
async fn a_publishing_time_that_has_passed_is_refused(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let an_hour_ago = herold_domain::format_rfc3339(herold_domain::now_millis() - 3_600_000);
    let minute: String = an_hour_ago.chars().take(16).collect();
    for (language, says) in [("de-DE", "liegt in der Vergangenheit"), ("en", "has passed")] {
        let token = csrf(&app, &alice, "/staff/new").await;
        let typed = "Gestern um diese Zeit";
        let form = [
            ("csrf", token.as_str()),
            ("account", "press"),
            ("text", typed),
            ("language", "de"),
            ("publish_at", minute.as_str()),
        ];
        let Page { status, body, .. } = alice.post_in(&app.url("/staff/drafts"), &form, language).await;
        assert_eq!(status, 400);
        assert!(body.contains(says), "{language}: {body}");
        assert!(body.contains(typed) && body.contains(&minute), "nothing typed is lost: {body}");
    }
    // A time in the next minute is no mistake: it goes out once approved.
    let soon: String =
        herold_domain::format_rfc3339(herold_domain::now_millis() + 60_000).chars().take(16).collect();
    write(&app, &alice, "Gleich", &soon, None).await;
}

/// With several accounts, the form names none until the author chooses: a silent default
/// sent drafts to the wrong account. Choosing none is refused, in the reader's language,
/// and nothing typed is lost.
async fn the_account_is_chosen_never_defaulted(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    app.create_account("demo", "lagezentrum").await;
    let alice = signed_in(&app, "demo", "alice").await;
    let page = alice.get(&app.url("/staff/new")).await;
    assert!(page.body.contains(r#"<option value="" selected>"#), "{}", page.body);
    // Languages are offered by name, in the reader's language; any code can still be typed.
    assert!(
        page.body.contains(r#"list="languages""#)
            && page.body.contains(r#"<option value="uk" label="Ukrainian">"#)
    );
    let german = alice.get_in(&app.url("/staff/new"), "de").await.body;
    let (danish, german_name) =
        (german.find("label=\"Dänisch\"").unwrap(), german.find("label=\"Deutsch\"").unwrap());
    assert!(danish < german_name, "umlauts sort with their vowel");
    assert!(
        !page.body.contains(r#"value="lagezentrum" selected"#)
            && !page.body.contains(r#"value="press" selected"#)
    );
    let token = field(&page.body, "csrf").unwrap();
    let typed = "Für welches Konto?";
    let form = [("csrf", token.as_str()), ("account", ""), ("text", typed), ("language", "de")];
    let Page { status, body, .. } = alice.post_in(&app.url("/staff/drafts"), &form, "de").await;
    assert_eq!(status, 400);
    assert!(body.contains("Wählen Sie das Konto"), "{body}");
    assert!(body.contains(typed), "nothing typed is lost: {body}");
    // Once she wrote for one, it is offered first, and the form says why.
    write(&app, &alice, "Für die Pressestelle", "", None).await;
    let page = alice.get(&app.url("/staff/new")).await;
    assert!(page.body.contains(r#"value="press" selected"#), "{}", page.body);
    assert!(page.body.contains("the account you last wrote for"), "{}", page.body);
    // With one account there is nothing to choose.
    let single = staff_app(Db::Sqlite, &provider, &["demo"]).await;
    let alone = signed_in(&single, "demo", "alice").await;
    let page = alone.get(&single.url("/staff/new")).await;
    assert!(page.body.contains(r#"value="press" selected"#), "{}", page.body);
}

/// A press officer in Berlin types Berlin time and reads Berlin time, in words, with the
/// zone in force on that day; the hour the clocks skip in spring is refused, not shifted.
async fn times_are_typed_and_read_on_the_organisations_clock(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: "time_zone = \"Europe/Berlin\"",
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let alice = signed_in(&app, "demo", "alice").await;
    let at = |id: &str| {
        let store = app.store.clone();
        let id = id.to_owned();
        async move {
            let d = store.draft(&id, &herold_store::Visibility::everything()).await.unwrap().expect("draft");
            herold_domain::format_rfc3339(d.content.publish_at.expect("a publishing time"))
        }
    };
    let winter = write(&app, &alice, "Pressekonferenz im Winter", "2030-01-15T14:00", None).await;
    assert_eq!(at(&winter).await, "2030-01-15T13:00:00Z");
    let summer = write(&app, &alice, "Pressekonferenz im Sommer", "2030-07-15T14:00", None).await;
    assert_eq!(at(&summer).await, "2030-07-15T12:00:00Z");
    let german = alice.get_in(&app.url(&format!("/staff/drafts/{winter}")), "de").await.body;
    assert!(german.contains("15. Januar 2030, 14:00 Uhr MEZ"), "{german}");
    let english = alice.get_in(&app.url(&format!("/staff/drafts/{summer}")), "en").await.body;
    assert!(english.contains("15 July 2030, 14:00 CEST"), "{english}");
    let compose = alice.get(&app.url("/staff/new")).await.body;
    assert!(compose.contains("Europe/Berlin"), "the form names the zone: {compose}");
    let edit = alice.get(&app.url(&format!("/staff/drafts/{summer}/edit"))).await.body;
    assert!(edit.contains(r#"value="2030-07-15T14:00""#), "the form shows what was typed: {edit}");

    for (typed, language, says) in [
        ("2030-03-31T02:30", "de", "gibt es in Europe/Berlin nicht"),
        ("2030-03-31T02:30", "en", "does not exist in Europe/Berlin"),
        ("morgen früh", "de", "ist kein Datum mit Uhrzeit"),
    ] {
        let token = csrf(&app, &alice, "/staff/new").await;
        let form = [
            ("csrf", token.as_str()),
            ("account", "press"),
            ("text", "Zur Zeitumstellung"),
            ("language", "de"),
            ("publish_at", typed),
        ];
        let Page { status, body, .. } = alice.post_in(&app.url("/staff/drafts"), &form, language).await;
        assert_eq!(status, 400, "{typed}: {body}");
        assert!(body.contains(says) && body.contains("Zur Zeitumstellung"), "{typed} ({language}): {body}");
    }

    // Followers' pages show the organisation's clock too, in the reader's language.
    let bob = signed_in(&app, "demo", "bob").await;
    let now = write(&app, &alice, "Sofort", "", None).await;
    assert_eq!(step(&app, &alice, &now, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &now, "approve", "").await.status, 303);
    let public = alice.get_in(&app.url("/users/press"), "de").await.body;
    let stamp = public.split("<time datetime=\"").nth(1).expect("a time on the page");
    let shown = stamp.split('>').nth(1).unwrap_or_default();
    assert!(shown.contains(" Uhr ME"), "{shown}");
}

/// Four eyes mean something only if the second pair sees everything: the approver's page
/// shows the text behind a content warning, every language version, every image with its
/// description, when it goes out and to how many, the comments of earlier rounds, and for
/// an edit what changes.
async fn the_approver_sees_everything_before_approving(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: "time_zone = \"Europe/Berlin\"",
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let token = csrf(&app, &alice, "/staff/new").await;
    let form = [
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", "Die Brücke bleibt bis Freitag gesperrt."),
        ("language", "de"),
        ("summary", "Verkehr"),
        ("translation_language_1", "en"),
        ("translation_text_1", "The bridge stays closed until Friday."),
        ("publish_at", "2030-01-15T14:00"),
    ];
    let saved = alice.post(&app.url("/staff/drafts"), &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let id = saved.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    let alt = "Karte der Umleitung über die Nordstraße";
    assert_eq!(upload(&app, &alice, &id, png_with_metadata(), alt).await.0, 303);
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &id, "reject", "Bitte die Umleitung nennen").await.status, 303);
    let token = csrf(&app, &alice, &format!("/staff/drafts/{id}/edit")).await;
    let mut revised = form.to_vec();
    revised[0] = ("csrf", token.as_str());
    revised[2] = ("text", "Die Brücke bleibt bis Freitag gesperrt. Umleitung über die Nordstraße.");
    let saved = alice.post(&app.url(&format!("/staff/drafts/{id}")), &revised).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);

    let review = bob.get_in(&app.url(&format!("/staff/drafts/{id}")), "de").await.body;
    let preview = review.split("class=\"preview\"").nth(1).expect("a preview");
    assert!(!preview.contains("<details"), "nothing is folded away on the approver's page: {preview}");
    for shown in [
        "Umleitung über die Nordstraße.",
        "The bridge stays closed until Friday.",
        "Verkehr",
        alt,
        "15. Januar 2030, 14:00 Uhr MEZ",
        "Bitte die Umleitung nennen",
    ] {
        assert!(review.contains(shown), "the approver does not see {shown:?}: {review}");
    }
    assert!(review.contains("0 Folgende"), "how many it reaches: {review}");
    // The preview is a post as Mastodon shows it: the account's name and address, the
    // image with its description, and only the first language; the others apart, by name.
    let post = preview.split("class=\"post\"").nth(1).and_then(|p| p.split("</article>").next());
    let post = post.expect("a post in the preview");
    assert!(post.contains("@press@") && post.contains("press"), "who posts it: {post}");
    assert!(post.contains(&format!(r#"alt="{alt}""#)), "the image with its description: {post}");
    assert!(!post.contains("The bridge stays closed"), "Mastodon shows only the first language: {post}");
    assert!(preview.contains("zeigen nur die erste Fassung"), "the preview says so: {preview}");
    assert!(preview.contains("Englisch") && !preview.contains("[en]"), "other versions by name: {preview}");
    // The comment of the first round stays in the history, with who said it.
    let history = review.split("id=\"history\"").nth(1).and_then(|h| h.split("</section>").next());
    let history = history.expect("a history");
    assert!(history.contains("Bob Approver") && history.contains("Bitte die Umleitung nennen"), "{history}");
    assert_eq!(history.matches("Zur Freigabe vorgelegt").count(), 2, "both submissions: {history}");
    // Approve is the primary action.
    assert!(review.contains(r#"class="primary""#), "{review}");

    // An edit shows what changes against what followers have now.
    let now = write(&app, &alice, "Tag der offenen Tür am Samstag", "", None).await;
    assert_eq!(step(&app, &alice, &now, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &now, "approve", "").await.status, 303);
    let draft = app.store.draft(&now, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    let public_id = draft.announcement_public_id.expect("published");
    // Once published, the submission leads to the announcement's own page.
    let done = alice.get(&app.url(&format!("/staff/drafts/{now}"))).await.body;
    assert!(done.contains(&format!("href=\"/staff/accounts/press/announcements/{public_id}\"")), "{done}");
    let change = write(&app, &alice, "Tag der offenen Tür am Sonntag", "", Some(&public_id)).await;
    assert_eq!(step(&app, &alice, &change, "submit", "").await.status, 303);
    let review = bob.get(&app.url(&format!("/staff/drafts/{change}"))).await.body;
    // The overview lists what went out as announcements, linked to their pages, and says
    // which was retracted.
    let link = format!("href=\"/staff/accounts/press/announcements/{public_id}\"");
    let overview = bob.get(&app.url("/staff")).await.body;
    assert!(overview.contains(&link), "{overview}");
    let gone = app.publish("press", "Versehentlich veröffentlicht").await;
    app.services.publisher.retract("press", &gone.public_id, "test", None).await.unwrap();
    let overview = bob.get(&app.url("/staff")).await.body;
    assert!(overview.contains("[retracted] Versehentlich veröffentlicht"), "{overview}");
    let account = bob.get(&app.url("/staff/accounts/press")).await.body;
    assert!(account.contains("[retracted] Versehentlich veröffentlicht"), "{account}");
    assert!(review.contains("when approved"), "the preview's date is not the last change's: {review}");
    let changes = review.split("class=\"diff\"").nth(1).expect("what changes");
    assert!(changes.contains("Samstag</del>") && changes.contains("Sonntag</ins>"), "{changes}");
}

/// A person's notifications page (in German), if it says `says`.
async fn told(app: &TestApp, b: &Browser, says: &str) -> Option<String> {
    let page = b.get_in(&app.url("/staff/notifications"), "de").await.body;
    page.contains(says).then_some(page)
}

/// Approvers are told that something waits for them, authors what became of their work,
/// with the reviewer's reason; nobody is told of their own step, and the navigation counts
/// what is new.
async fn people_are_told_what_waits_for_them_and_what_became_of_their_work(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let id = write(&app, &alice, "Tag der offenen Tür im Rathaus", "", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    let page = eventually(20, "bob is told it waits", || {
        told(&app, &bob, "Alice Author hat eine Mitteilung zur Freigabe vorgelegt")
    })
    .await;
    assert!(page.contains(&format!("href=\"/staff/drafts/{id}\"")), "{page}");
    assert!(page.contains("1 neu"), "the navigation counts it: {page}");
    assert!(told(&app, &alice, "zur Freigabe vorgelegt").await.is_none(), "not told of her own step");

    assert_eq!(step(&app, &bob, &id, "reject", "Bitte die Uhrzeit nennen").await.status, 303);
    let page = eventually(20, "alice is told why", || {
        told(&app, &alice, "Bob Approver hat Ihre Mitteilung abgelehnt")
    })
    .await;
    assert!(page.contains("Bitte die Uhrzeit nennen"), "{page}");

    let token = csrf(&app, &alice, &format!("/staff/drafts/{id}/edit")).await;
    let form = [
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", "Tag der offenen Tür im Rathaus, ab 10 Uhr"),
        ("language", "de"),
        ("publish_at", ""),
    ];
    assert_eq!(alice.post(&app.url(&format!("/staff/drafts/{id}")), &form).await.status, 303);
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    eventually(20, "bob is told again", || async {
        let page = bob.get(&app.url("/staff/notifications")).await.body;
        (page.matches("submitted an announcement for your approval").count() == 2).then_some(())
    })
    .await;
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    let page = eventually(20, "alice is told it went out", || {
        told(&app, &alice, "Ihre Mitteilung wurde veröffentlicht")
    })
    .await;
    assert!(page.contains("Bob Approver hat Ihre Mitteilung freigegeben"), "{page}");

    let token = csrf(&app, &alice, "/staff/notifications").await;
    let read = alice.post(&app.url("/staff/notifications/read"), &[("csrf", token.as_str())]).await;
    assert_eq!(read.status, 303);
    let page = alice.get_in(&app.url("/staff/notifications"), "de").await.body;
    assert!(!page.contains(" neu<") && !page.contains("Alle als gelesen markieren"), "{page}");
}

/// Notifications also arrive by e-mail, through a real SMTP server, as plain text in the
/// language the person signs in with, with nothing but links to Herold; a person who turns
/// that off gets none, and finds them in the workspace still.
async fn notifications_arrive_by_email_unless_turned_off(db: Db) {
    let provider = OidcProvider::start();
    let mail = MailCatcher::start().await;
    let sign_in =
        vec![SignIn { org: "demo", issuer: provider.issuer(), extra_policy: "", discovery_url: None }];
    let env = vec![
        ("HEROLD_NOTIFICATIONS_INTERVAL_SECONDS", "1".into()),
        ("HEROLD_MAIL_SMTP_URL", mail.smtp_url()),
        ("HEROLD_MAIL_FROM", "Herold der Demo-Behörde <herold@demo.example>".into()),
    ];
    let app = spawn_app_with(db, AppOptions { sign_in, env, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let alice = signed_in(&app, "demo", "alice").await;
    // Bob's browser asks for German: Herold writes to him in German.
    let bob = app.sign_in_with(Browser::speaking("de-DE,de;q=0.9"), "demo", "bob").await.browser;
    let page = bob.get(&app.url("/staff/settings")).await;
    assert!(page.body.contains("bob@demo.example"), "{}", page.body);

    let id = write(&app, &alice, "Sprechstunde am Mittwoch", "", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    let sent = eventually(20, "bob's e-mail arrives", || async {
        mail.to("bob@demo.example").await.into_iter().next()
    })
    .await;
    let subject = sent["subject"].as_str().unwrap_or_default();
    let text = sent["text"].as_str().unwrap_or_default();
    assert!(subject.contains("Alice Author hat eine Mitteilung zur Freigabe vorgelegt"), "{sent}");
    assert!(text.contains(&app.url(&format!("/staff/drafts/{id}"))), "a link to the submission: {text}");
    assert!(text.contains("Sprechstunde am Mittwoch"), "{text}");
    assert!(sent["html"].is_null() || sent["html"] == false, "plain text, no HTML to track with: {sent}");
    assert!(sent["from"][0]["address"] == "herold@demo.example", "{sent}");
    assert!(mail.to("alice@demo.example").await.is_empty(), "not told of her own step");

    // Bob turns e-mail off: the next submission reaches his workspace, not his mailbox.
    let token = csrf(&app, &bob, "/staff/settings").await;
    let off = bob.post(&app.url("/staff/settings"), &[("csrf", token.as_str())]).await;
    assert_eq!(off.status, 200, "{}", off.body);
    let second = write(&app, &alice, "Sprechstunde am Donnerstag", "", None).await;
    assert_eq!(step(&app, &alice, &second, "submit", "").await.status, 303);
    eventually(20, "bob is told in the workspace", || async {
        let page = bob.get(&app.url("/staff/notifications")).await.body;
        page.contains("Sprechstunde am Donnerstag").then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(mail.to("bob@demo.example").await.len(), 1, "no e-mail once turned off");
}

async fn scheduled_publishing_fires_once(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let at = herold_domain::format_rfc3339(herold_domain::now_millis() + 3000);
    let id = write(&app, &alice, "Pünktlich um drei", at.trim_end_matches('Z'), None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    assert_eq!(state(&app, &id).await, DraftState::Approved, "not before its time");
    eventually(15, "the scheduler publishes it", || async {
        (state(&app, &id).await == DraftState::Published).then_some(())
    })
    .await;
    // More scheduler runs, also at once, change nothing.
    let e = &app.services.editorial;
    let (a, b, c) = tokio::join!(e.publish_due(), e.publish_due(), e.publish_due());
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 0);
    let press = app.store.account_by_username("press").await.unwrap().unwrap();
    assert_eq!(app.store.announcement_count(press.id).await.unwrap(), 1);
    let published = app
        .store
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.leaf.action == "announcement.publish" && e.leaf.org.as_deref() == Some("demo"))
        .count();
    assert_eq!(published, 1);
}

/// A session that ends while someone writes loses nothing: the text comes back with a way
/// to sign in again, and saving again after signing in works, although the form's token
/// belonged to the old session.
async fn an_ended_session_keeps_what_was_being_written(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let token = csrf(&app, &alice, "/staff/new").await;
    let typed = "Die Sitzung endete, während ich schrieb: dieser Text darf nicht verloren gehen.";
    let form = [
        ("csrf", token.as_str()),
        ("account", "press"),
        ("text", typed),
        ("language", "de"),
        ("summary", "Hinweis"),
        ("publish_at", ""),
    ];
    // Signed out meanwhile (in another tab, or the idle timeout).
    let token_now = csrf(&app, &alice, "/staff").await;
    assert_eq!(alice.post(&app.url("/logout"), &[("csrf", token_now.as_str())]).await.status, 303);

    let trail = app.store.audit_size().await.unwrap();
    let ended = alice.post_in(&app.url("/staff/drafts"), &form, "de").await;
    assert_eq!(ended.status, 401, "{}", ended.body);
    assert!(ended.body.contains(typed) && ended.body.contains("Hinweis"), "{}", ended.body);
    assert!(ended.body.contains("href=\"/login\""), "a way to sign in again: {}", ended.body);
    assert!(ended.body.contains("Sitzung"), "said in German: {}", ended.body);
    assert_eq!(app.store.audit_size().await.unwrap(), trail, "nothing was done without a session");

    // Signed in again in another tab; the kept form is sent again with its old token.
    let alice = app.sign_in_with(alice, "demo", "alice").await.browser;
    let again = alice.post_in(&app.url("/staff/drafts"), &form, "de").await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains(typed), "{}", again.body);
    let fresh = field(&again.body, "csrf").expect("a fresh token");
    assert_ne!(fresh, token);
    let mut resent = form.to_vec();
    resent[0] = ("csrf", fresh.as_str());
    let saved = alice.post(&app.url("/staff/drafts"), &resent).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // A cross-site post is no way to put text on a Herold page: it goes to sign-in.
    let stranger = herold_tests::oidc::Browser::new();
    let forged =
        stranger.http.post(app.url("/staff/drafts")).header("sec-fetch-site", "cross-site").form(&form);
    let forged = forged.send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 303);
}

async fn signing_out_ends_both_sessions(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let token = csrf(&app, &alice, "/staff").await;
    // Without the CSRF token nothing happens.
    let forged = alice.post(&app.url("/logout"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(alice.get(&app.url("/staff")).await.status, 200);

    let out = alice.post(&app.url("/logout"), &[("csrf", token.as_str())]).await;
    assert_eq!(out.status, 303);
    let end_session = out.location.expect("to the provider");
    assert!(end_session.starts_with(&provider.issuer()), "RP-initiated logout: {end_session}");
    assert_eq!(alice.get(&app.url("/staff")).await.location.as_deref(), Some("/login"));

    // The provider asks for confirmation, then returns to Herold's sign-in page.
    let confirm = alice.get(&end_session).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let action = form_action(&confirm.body, "/session/end/confirm").expect("confirmation form");
    let xsrf = field(&confirm.body, "xsrf").expect("xsrf");
    let done = alice.post(&action, &[("xsrf", xsrf.as_str()), ("logout", "yes")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location.unwrap().starts_with(&app.url("/login")));

    // The provider session is gone too: signing in asks for the password again.
    let again = alice.get(&app.url("/login/demo")).await;
    let (_, page) = alice.follow(again.location.unwrap(), |next| next.starts_with(&app.base)).await;
    assert_eq!(page.status, 200, "the provider shows its login form again");
    assert!(page.body.contains("name=\"password\""));

    // The other direction: signing out at the provider ends the Herold session through
    // back-channel logout; a forged logout token ends nothing.
    let bob = signed_in(&app, "demo", "bob").await;
    let forged = format!("eyJhbGciOiJub25lIn0.{}.", "eyJpc3MiOiJ4In0");
    let refused = bob.post(&app.url("/auth/backchannel-logout"), &[("logout_token", forged.as_str())]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(bob.get(&app.url("/staff")).await.status, 200);
    let confirm = bob.get(&format!("{}/session/end", provider.issuer())).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let action = form_action(&confirm.body, "/session/end/confirm").expect("confirmation form");
    let xsrf = field(&confirm.body, "xsrf").expect("xsrf");
    let done = bob.post(&action, &[("xsrf", xsrf.as_str()), ("logout", "yes")]).await;
    assert!(done.status < 400, "{}", done.body);
    eventually(10, "the provider's logout reaches Herold", || async {
        (bob.get(&app.url("/staff")).await.status == 303).then_some(())
    })
    .await;
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let outs: Vec<_> = entries.iter().filter(|e| e.leaf.action == "staff.sign_out").collect();
    assert_eq!(outs.len(), 2, "both sign-outs are audited");
    assert!(outs[1].payload.as_ref().unwrap().1.contains("back-channel"));
}

async fn sign_in_attacks_are_refused(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo", "other"]).await;

    // A person without a role gets a clear page and no session.
    let nora = app.sign_in("demo", "nora").await;
    assert_eq!(nora.answer.status, 403);
    assert!(nora.answer.body.contains("role"), "{}", nora.answer.body);
    assert_eq!(nora.browser.get(&app.url("/staff")).await.status, 303);

    // The answer is used once: a replayed callback is refused.
    let alice = app.sign_in("demo", "alice").await;
    assert_eq!(alice.answer.status, 303);
    let replay = alice.browser.get(&alice.callback).await;
    assert_eq!(replay.status, 400, "{}", replay.body);

    // A tampered state, or an answer claiming another issuer, is refused.
    for (from, to) in [("state=", "state=x"), ("iss=", "iss=https%3A%2F%2Fevil.example&x=")] {
        let bob = Browser::new();
        let start = bob.get(&app.url("/login/demo")).await;
        let (form_url, form) = bob.follow(start.location.unwrap(), |_| false).await;
        let action =
            url::Url::parse(&form_url).unwrap().join(&form_action(&form.body, "/login").unwrap()).unwrap();
        let posted = bob.post(action.as_str(), &[("login", "bob"), ("password", "demo")]).await;
        let next = action.join(&posted.location.unwrap()).unwrap().to_string();
        let (callback, _) = bob.follow(next, |n| n.starts_with(&app.base)).await;
        let tampered = callback.replacen(from, to, 1);
        assert_ne!(tampered, callback);
        let refused = bob.get(&tampered).await;
        assert_eq!(refused.status, 400, "{from}: {}", refused.body);
        assert_eq!(bob.get(&app.url("/staff")).await.status, 303, "no session after {from}");
    }

    // The session cookie opens the staff pages from any client; the same cookie with one
    // character changed, or a made-up one, opens nothing.
    let real = alice.browser.cookie(&app.url("/staff"), "herold-session").expect("alice's session cookie");
    let mut tampered = real.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with = |cookie: String| {
        let other = other.clone();
        let url = app.url("/staff");
        async move {
            other
                .get(url)
                .header("cookie", format!("herold-session={cookie}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(with(real).await, 200, "the genuine cookie works from another client");
    assert_eq!(with(tampered).await, 303, "a tampered cookie is refused");
    assert_eq!(with("A".repeat(43)).await, 303, "a made-up cookie is refused");

    // Forms need the session's CSRF token and must come from Herold's own pages.
    let b = alice.browser;
    let token = csrf(&app, &b, "/staff/new").await;
    let form = |csrf: &'static str| {
        vec![("csrf", csrf), ("account", "press"), ("text", "x"), ("language", "de"), ("publish_at", "")]
    };
    let cross_site =
        b.http.post(app.url("/staff/drafts")).header("sec-fetch-site", "cross-site").form(&form("wrong"));
    assert_eq!(cross_site.send().await.unwrap().status().as_u16(), 403);
    // From Herold's own page, a token that is not the session's saves nothing either: the
    // form comes back with the session's own.
    let stale = b.post(&app.url("/staff/drafts"), &form("wrong")).await;
    assert_eq!(stale.status, 400, "{}", stale.body);
    assert_eq!(field(&stale.body, "csrf").as_deref(), Some(token.as_str()));
    let missing = b
        .http
        .post(app.url("/staff/drafts"))
        .form(&[("account", "press"), ("text", "x")])
        .send()
        .await
        .unwrap();
    assert!(missing.status().is_client_error());
    let cross_site = b
        .http
        .post(app.url("/staff/drafts"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", token.as_str()), ("account", "press"), ("text", "x"), ("language", "de")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);

    // A session of one organisation reaches nothing of another's.
    let outsider = signed_in(&app, "other", "alice").await;
    assert_eq!(outsider.get(&app.url("/staff/accounts/press")).await.status, 404);
    let token = csrf(&app, &outsider, "/staff/new").await;
    let attempt = outsider
        .post(
            &app.url("/staff/drafts"),
            &[("csrf", token.as_str()), ("account", "press"), ("text", "Fremd"), ("language", "de")],
        )
        .await;
    assert_eq!(attempt.status, 404, "{}", attempt.body);
    let demo_drafts = app
        .store
        .drafts("demo", &DraftState::ALL, 10, &herold_store::Visibility::everything())
        .await
        .unwrap();
    assert!(demo_drafts.iter().all(|d| d.content.source_text != "Fremd"));
    assert!(app
        .store
        .drafts("other", &DraftState::ALL, 10, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .is_empty());
}

/// ID tokens that are wrong in one way each are refused, and open no session; the same
/// provider's valid token works (so the refusals are the checks, not the harness).
async fn forged_id_tokens_are_refused(db: Db) {
    use herold_tests::hostile_op::{Forgery, HostileOp};
    let op = HostileOp::start().await;
    let sign_in =
        vec![SignIn { org: "demo", issuer: op.base.clone(), extra_policy: "", discovery_url: None }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    for (forgery, accepted) in [
        (Forgery::None, true),
        (Forgery::WrongIssuer, false),
        (Forgery::WrongAudience, false),
        (Forgery::Expired, false),
        (Forgery::AlgNone, false),
        (Forgery::Hmac, false),
        (Forgery::WrongNonce, false),
        (Forgery::UnknownKey, false),
    ] {
        op.forge(forgery);
        let b = Browser::new();
        let start = b.get(&app.url("/login/demo")).await;
        let (callback, _) = b.follow(start.location.unwrap(), |n| n.starts_with(&app.base)).await;
        let answer = b.get(&callback).await;
        let session = b.get(&app.url("/staff")).await.status;
        if accepted {
            assert_eq!((answer.status, session), (303, 200), "{forgery:?}: {}", answer.body);
        } else {
            assert_eq!(answer.status, 400, "{forgery:?} must be refused: {}", answer.body);
            assert!(answer.body.contains("refused"), "{forgery:?}: {}", answer.body);
            assert_eq!(session, 303, "{forgery:?} opened a session");
            let why = match forgery {
                Forgery::WrongIssuer => "Invalid issuer",
                Forgery::WrongAudience => "Invalid audiences",
                Forgery::Expired => "expired",
                Forgery::AlgNone | Forgery::Hmac => "Signature verification failed",
                Forgery::WrongNonce => "nonce mismatch",
                Forgery::UnknownKey => "a key the provider does not publish",
                Forgery::None => unreachable!(),
            };
            assert!(answer.body.contains(why), "{forgery:?} refused for the wrong reason: {}", answer.body);
        }
    }
    let sign_ins = app.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(sign_ins.iter().filter(|e| e.leaf.action == "staff.sign_in").count(), 1);
}

/// A PNG of 3×2 pixels with a GPS position and an author in its metadata.
pub(crate) fn png_with_metadata() -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]);
        c
    }
    let mut ihdr = 3u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"eXIf", b"GPSLatitude 52.5200"));
    png.extend(chunk(b"tEXt", b"Author\0Erika Mustermann"));
    png.extend(chunk(b"IDAT", b"pixels"));
    png.extend(chunk(b"IEND", b""));
    png
}

async fn upload(app: &TestApp, b: &Browser, id: &str, bytes: Vec<u8>, alt: &str) -> (u16, String) {
    let token = csrf(app, b, &format!("/staff/drafts/{id}")).await;
    let form = reqwest::multipart::Form::new().text("csrf", token).text("alt", alt.to_owned()).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("photo.png").mime_str("image/png").unwrap(),
    );
    let resp =
        b.http.post(app.url(&format!("/staff/drafts/{id}/images"))).multipart(form).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap_or_default())
}

/// Images need alt text, lose their metadata, stay private until published, go out as
/// attachments, and disappear from public view with a retraction.
async fn images_are_described_stripped_and_private_until_published(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let id = write(&app, &alice, "Neues Dienstgebäude", "", None).await;

    let (status, body) = upload(&app, &alice, &id, png_with_metadata(), "  ").await;
    assert_eq!(status, 400, "alt text is required: {body}");
    assert!(body.contains("alternative text is required"), "{body}");
    let (status, _) = upload(&app, &alice, &id, b"GIF89a\x01\x00".to_vec(), "Ein GIF").await;
    assert_eq!(status, 415);
    let alt = "Das neue Dienstgebäude mit Glasfassade";
    let (status, body) = upload(&app, &alice, &id, png_with_metadata(), alt).await;
    assert_eq!(status, 303, "{body}");

    let draft = app.store.draft(&id, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    assert_eq!(draft.media.len(), 1);
    let image = app.url(&format!("/media/{}", draft.media[0].public_id));
    let anonymous = reqwest::get(&image).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 404, "private before publication");
    let own = alice.http.get(&image).send().await.unwrap();
    assert_eq!(own.status().as_u16(), 200);
    let stored = own.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&stored);
    assert!(!text.contains("GPS") && !text.contains("Erika"), "metadata removed");
    assert!(stored.starts_with(b"\x89PNG"));

    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    let bob = signed_in(&app, "demo", "bob").await;
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    let public_id = app
        .store
        .draft(&id, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .unwrap()
        .announcement_public_id
        .unwrap();
    let (_, note) = app.get_json(&format!("/users/press/announcements/{public_id}")).await;
    let attachment = &note["attachment"][0];
    assert_eq!(attachment["name"], alt, "{note}");
    assert_eq!((attachment["width"].as_i64(), attachment["height"].as_i64()), (Some(3), Some(2)));
    assert_eq!(attachment["mediaType"], "image/png");
    let public = reqwest::get(attachment["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(public.status().as_u16(), 200);
    // Cached briefly, never as immutable: a retraction must reach shared caches soon.
    let cache = public.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public, max-age=") && !cache.contains("immutable"), "{cache}");
    let max_age: u64 = cache.trim_start_matches("public, max-age=").parse().unwrap();
    assert!(max_age <= 3600, "{cache}");
    let page = reqwest::get(app.url(&format!("/users/press/announcements/{public_id}"))).await.unwrap();
    assert!(page.text().await.unwrap().contains(&format!("alt=\"{alt}\"")));

    app.services.publisher.retract("press", &public_id, "test", Some("test")).await.unwrap();
    assert_eq!(reqwest::get(&image).await.unwrap().status().as_u16(), 404, "gone with the retraction");

    // An edit that drops an image makes it private again.
    let second = write(&app, &alice, "Mit Bild", "", None).await;
    assert_eq!(upload(&app, &alice, &second, png_with_metadata(), "Ein Bild").await.0, 303);
    assert_eq!(step(&app, &alice, &second, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &second, "approve", "").await.status, 303);
    let shown = app.store.draft(&second, &herold_store::Visibility::everything()).await.unwrap().unwrap();
    let url = app.url(&format!("/media/{}", shown.media[0].public_id));
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 200);
    let edit = write(&app, &alice, "Ohne Bild", "", shown.announcement_public_id.as_deref()).await;
    let token = csrf(&app, &alice, &format!("/staff/drafts/{edit}")).await;
    let remove = app.url(&format!("/staff/drafts/{edit}/images/{}/remove", shown.media[0].public_id));
    let removed = alice.post(&remove, &[("csrf", token.as_str())]).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(step(&app, &alice, &edit, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &edit, "approve", "").await.status, 303);
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 404, "no longer shown, no longer public");

    // An image on a draft that was withdrawn goes when its retention ends, as does
    // the one the edit dropped; no other does.
    let abandoned = write(&app, &alice, "Verworfen", "", None).await;
    assert_eq!(upload(&app, &alice, &abandoned, png_with_metadata(), "Verworfenes Bild").await.0, 303);
    withdraw(&app, &alice, &abandoned).await;
    let orphan =
        app.store.draft(&abandoned, &herold_store::Visibility::everything()).await.unwrap().unwrap().media[0]
            .public_id
            .clone();
    let in_91_days = herold_domain::now_millis() + 91 * 86_400_000;
    let archive = app.db.dir.join("archive");
    let removed = herold_compliance::retention::apply(
        app.store.as_ref(),
        &app.services.policies,
        in_91_days,
        "test",
        &archive,
    )
    .await
    .unwrap();
    let count = |class| {
        removed
            .iter()
            .filter(|c| c.class == class && c.org.as_deref() == Some("demo"))
            .map(|c| c.count)
            .sum::<i64>()
    };
    assert_eq!(count(herold_store::DataClass::UnpublishedMedia), 2);
    assert!(app.store.media_file(&orphan).await.unwrap().is_none());
    assert!(
        app.store.media_file(&draft.media[0].public_id).await.unwrap().is_some(),
        "the published one stays"
    );
}

/// A provider inside a container network: Herold reads its metadata at an internal address
/// (`discovery_url`) while browsers use the issuer's; a document naming another issuer is
/// refused.
async fn discovery_can_use_an_internal_address(db: Db) {
    let provider = OidcProvider::start();
    let internal = format!("http://localhost:{}/.well-known/openid-configuration", provider.port);
    let sign_in = vec![
        SignIn {
            org: "demo",
            issuer: provider.issuer(),
            extra_policy: "",
            discovery_url: Some(internal.clone()),
        },
        SignIn {
            org: "other",
            issuer: format!("http://localhost:{}", provider.port),
            extra_policy: "",
            discovery_url: Some(internal),
        },
    ];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    signed_in(&app, "demo", "alice").await;
    let wrong = Browser::new().get(&app.url("/login/other")).await;
    assert_eq!(wrong.status, 502, "{}", wrong.body);
}

/// The relay is the instance's: its page is for the administrators of the organisation that
/// runs the server, and every action there is audited under the person's name.
async fn the_relay_is_moderated_by_the_operators_administrators(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo", "operator"]).await;
    let other_admin = signed_in(&app, "demo", "carol").await;
    let page = other_admin.get(&app.url("/staff/relay")).await;
    assert_eq!(page.status, 403, "another body's administrator: {}", page.body);
    assert!(!other_admin.get(&app.url("/staff")).await.body.contains("/staff/relay"));
    let author = signed_in(&app, "operator", "alice").await;
    assert_eq!(author.get(&app.url("/staff/relay")).await.status, 403, "an author of the operator");
    // Nor does the operator's staff write as @transparency: its posts are the audit trail's.
    let compose = author.get(&app.url("/staff/new")).await;
    assert!(!compose.body.contains("value=\"transparency\""), "{}", compose.body);
    let token = field(&compose.body, "csrf").expect("a CSRF field");
    let forged = author
        .post(
            &app.url("/staff/drafts"),
            &[
                ("csrf", &token),
                ("account", "transparency"),
                ("text", "Gefälscht"),
                ("language", "de"),
                ("publish_at", ""),
            ],
        )
        .await;
    assert_ne!(forged.status, 303, "no draft for @transparency: {}", forged.body);
    assert!(app
        .store
        .drafts("operator", &[DraftState::Draft], 10, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .is_empty());

    let operator = signed_in(&app, "operator", "carol").await;
    assert!(operator.get(&app.url("/staff")).await.body.contains("/staff/relay"), "linked in the menu");
    let token = csrf(&app, &operator, "/staff/relay").await;
    let act = |action: &'static str, target: &'static str| {
        let token = token.clone();
        let operator = &operator;
        let url = app.url("/staff/relay");
        async move { operator.post(&url, &[("csrf", &token), ("action", action), ("target", target)]).await }
    };
    assert_eq!(act("add_publisher", "Social.Bund.DE").await.status, 303);
    // Ending something for another server is asked again, and needs a reason.
    let asked = act("block", "spam.example").await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("Block this domain") && asked.body.contains("name=\"confirm\" value=\"yes\"")
    );
    assert!(app.store.relay_blocks().await.unwrap().is_empty(), "nothing is blocked before confirming");
    let confirm = |action: &'static str, target: &'static str, reason: &'static str| {
        let token = token.clone();
        let operator = &operator;
        let url = app.url("/staff/relay");
        async move {
            let form = [
                ("csrf", token.as_str()),
                ("action", action),
                ("target", target),
                ("confirm", "yes"),
                ("reason", reason),
            ];
            operator.post(&url, &form).await
        }
    };
    assert_eq!(confirm("block", "spam.example", "").await.status, 400, "a reason is required");
    assert_eq!(confirm("block", "spam.example", "Werbung in Serie").await.status, 303);
    assert_eq!(app.store.relay_publishers().await.unwrap(), vec!["social.bund.de".to_owned()]);
    assert_eq!(app.store.relay_blocks().await.unwrap(), vec!["spam.example".to_owned()]);
    let page = operator.get(&app.url("/staff/relay")).await;
    assert!(page.body.contains("social.bund.de") && page.body.contains("spam.example"), "{}", page.body);
    assert!(page.body.contains(&app.url("/relay/inbox")), "the inbox to give to admins");

    let bad = confirm("block", "not a domain", "Test").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("not a domain name"), "{}", bad.body);
    assert_eq!(act("unblock", "never-blocked.example").await.status, 409);
    let forged = operator
        .post(
            &app.url("/staff/relay"),
            &[("csrf", "forged"), ("action", "unblock"), ("target", "spam.example")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.store.relay_blocks().await.unwrap().len(), 1, "a forged form changes nothing");
    assert_eq!(confirm("remove_publisher", "social.bund.de", "Zugang beendet").await.status, 303);
    assert!(app.store.relay_publishers().await.unwrap().is_empty());

    let audit = app.store.audit_entries(0, 1000).await.unwrap();
    let by_staff =
        |action: &str| audit.iter().any(|e| e.leaf.action == action && e.leaf.actor.starts_with("staff:"));
    assert!(by_staff("relay.publisher_add") && by_staff("relay.block") && by_staff("relay.publisher_remove"));
    let block = audit.iter().find(|e| e.leaf.action == "relay.block").unwrap();
    assert!(
        block.payload.as_ref().unwrap().1.contains("Werbung in Serie"),
        "the reason is kept with the step: {block:?}"
    );
}

/// However many servers subscribe, the relay page reads one page of them.
async fn the_relay_list_is_paged(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["operator"]).await;
    for n in 0..205 {
        let subscriber = herold_store::NewSubscriber {
            actor_uri: format!("https://s{n:03}.example/actor"),
            host: format!("s{n:03}.example"),
            inbox: format!("https://s{n:03}.example/inbox"),
            follow_id: format!("https://s{n:03}.example/follow"),
            style: herold_store::SubscriptionStyle::Mastodon,
            state: herold_store::SubscriptionState::Active,
            follow_back_id: None,
        };
        let audit = herold_store::AuditEntry::new("system", "relay.subscribe", "-");
        app.store.relay_subscribe(subscriber, vec![], audit).await.unwrap();
    }
    let operator = signed_in(&app, "operator", "carol").await;
    let first = operator.get(&app.url("/staff/relay")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Showing 200 of 205."), "{}", first.body);
    assert!(first.body.contains("s199.example") && !first.body.contains("s200.example"));
    let next = first.body.split("href=\"/staff/relay?after=").nth(1).and_then(|r| r.split('"').next());
    let next = next.expect("a link to more subscribers");
    let second = operator.get(&app.url(&format!("/staff/relay?after={next}"))).await;
    assert!(
        second.body.contains("Showing 5 of 205.") && second.body.contains("s204.example"),
        "{}",
        second.body
    );
    assert!(!second.body.contains("s199.example") && !second.body.contains("/staff/relay?after="));
}

/// An author hears when the deliveries of their announcement are given up: once, after all
/// have finished, and only when it matters (one in twenty or more here).
async fn authors_are_told_when_deliveries_are_given_up(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    let gone = herold_tests::fake_remote::FakeRemote::start().await;
    gone.answer_with(410);
    let fine = herold_tests::fake_remote::FakeRemote::start().await;
    for fake in [&gone, &fine] {
        herold_tests::fixtures::add_follower(
            app.store.as_ref(),
            account.id,
            &fake.actor,
            &format!("{}/inbox", fake.base),
        )
        .await;
    }
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let id = write(&app, &alice, "Wasserleitung in der Parkstraße wird erneuert", "", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    let draft = app.store.draft(&id, &Visibility::everything()).await.unwrap().unwrap();
    let announcement = draft.announcement_id.expect("published");
    eventually(20, "one delivered, one given up", || async {
        let s = app.store.delivery_stats(Some(announcement), &Visibility::everything()).await.unwrap();
        (s.delivered == 1 && s.dead == 1).then_some(())
    })
    .await;
    assert_eq!(app.services.editorial.report_undelivered().await.unwrap(), 1);
    assert_eq!(app.services.editorial.report_undelivered().await.unwrap(), 0, "once");
    let page = eventually(20, "alice is told", || {
        told(&app, &alice, "Zustellungen Ihrer Mitteilung wurden aufgegeben")
    })
    .await;
    assert!(page.contains(&format!("href=\"/staff/drafts/{id}\"")), "{page}");
    assert!(told(&app, &bob, "Zustellungen").await.is_none(), "only the author");
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    let entry = trail.iter().find(|e| e.leaf.action == "announcement.undelivered").expect("audited");
    assert!(entry.payload.as_ref().unwrap().1.contains("\"given_up\":1"), "{:?}", entry.payload);
}

/// A sign-in begun at another loopback name of the public address (the log's listen address,
/// 127.0.0.1, where the public URL says localhost, or the other way round) is moved to the
/// public address first, so that its cookie and the provider's redirect agree.
async fn a_sign_in_begun_at_another_loopback_name_moves_to_the_public_address(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    for path in ["/login", "/login/demo", "/login?lang=de"] {
        let moved =
            app.http.get(app.url(path)).header("host", format!("localhost:{port}")).send().await.unwrap();
        assert_eq!(moved.status(), 303, "{path}");
        assert_eq!(moved.headers()["location"].to_str().unwrap(), app.url(path), "{path}");
    }
    // At the public address itself, and at a name that is not a loopback one (a proxy's),
    // nothing moves.
    assert_eq!(app.http.get(app.url("/login")).send().await.unwrap().status(), 200);
    let proxied =
        app.http.get(app.url("/login")).header("host", "herold.internal:8080").send().await.unwrap();
    assert_eq!(proxied.status(), 200);
}

/// The account page finds announcements by their words, in any case, retracted ones too,
/// a page at a time; what is typed is searched for as it is.
async fn announcements_are_found_by_their_words(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    for n in 0..52 {
        app.publish("press", &format!("Fahrplan Nummer {n}: die Linie fährt im neuen Takt.")).await;
    }
    app.publish("press", "Die NORDBRÜCKE ist gesperrt.").await;
    app.publish("press", "Zu 100% barrierefrei: das neue Rathaus.").await;
    let alice = signed_in(&app, "demo", "alice").await;
    let find = |words: &str, page: u32| {
        let url = app.url(&format!("/staff/accounts/press?q={}&page={page}", urlencoding(words)));
        let alice = &alice;
        async move { alice.get(&url).await.body }
    };
    let found = find("nordbrücke", 0).await;
    assert!(found.contains("NORDBRÜCKE") && !found.contains("Fahrplan"), "{found}");
    assert!(found.contains("role=\"search\""), "a search landmark");
    let percent = find("100%", 0).await;
    assert!(
        percent.contains("100% barrierefrei") && !percent.contains("Fahrplan"),
        "% is a character: {percent}"
    );
    let underscore = find("_", 0).await;
    assert!(!underscore.contains("Fahrplan") && !underscore.contains("barrierefrei"), "so is _");
    let first = find("takt", 0).await;
    assert_eq!(first.matches("Fahrplan Nummer").count(), 50);
    assert!(first.contains("page=1") && first.contains("Older announcements"), "{first}");
    let second = find("takt", 1).await;
    assert_eq!(second.matches("Fahrplan Nummer").count(), 2);
    assert!(second.contains("page=0") && second.contains("Newer"), "{second}");
    let everything = alice.get(&app.url("/staff/accounts/press")).await.body;
    assert!(everything.contains("100% barrierefrei"), "without words, all of them");
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Moves an approved submission's time from its page, as the reader's browser would.
async fn reschedule(app: &TestApp, b: &Browser, id: &str, typed: &str, language: &str) -> Page {
    let token = csrf(app, b, &format!("/staff/drafts/{id}")).await;
    let form = [("csrf", token.as_str()), ("publish_at", typed)];
    b.post_in(&app.url(&format!("/staff/drafts/{id}/reschedule")), &form, language).await
}

/// An approved announcement waiting for its time is moved by an approver as a step of its
/// own: it stays approved, the step is audited and its author told; a time that has passed
/// or was not given is refused with what was typed kept, and an author cannot move it.
async fn an_approved_time_is_moved_as_a_step_of_its_own(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let id = write(&app, &alice, "Pressekonferenz zum Haushalt", "2030-01-15T14:00", None).await;
    assert_eq!(step(&app, &alice, &id, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &id, "approve", "").await.status, 303);
    let at = || async {
        let d = app.store.draft(&id, &Visibility::everything()).await.unwrap().expect("draft");
        (d.state, d.content.publish_at.map(herold_domain::format_rfc3339))
    };
    let page = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await.body;
    assert!(page.contains(r#"value="2030-01-15T14:00""#) && page.contains(">Reschedule<"), "{page}");
    assert!(page.contains("Stop publication"), "stopping stays a step apart: {page}");
    let authors = alice.get(&app.url(&format!("/staff/drafts/{id}"))).await.body;
    assert!(!authors.contains("reschedule-at"), "only approvers move it: {authors}");
    assert_ne!(reschedule(&app, &alice, &id, "2030-03-01T10:00", "en").await.status, 303);

    let moved = reschedule(&app, &bob, &id, "2030-02-01T09:30", "en").await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    // The page it leads to says what was done, once.
    let said = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await.body;
    assert!(said.contains(r#"<p class="success" role="status">The time of publication was moved"#), "{said}");
    let again = bob.get(&app.url(&format!("/staff/drafts/{id}"))).await.body;
    assert!(!again.contains(r#"class="success""#), "said once: {again}");
    assert_eq!(at().await, (DraftState::Approved, Some("2030-02-01T09:30:00Z".to_owned())));
    let page = bob.get_in(&app.url(&format!("/staff/drafts/{id}")), "de").await.body;
    assert!(page.contains("1. Februar 2030, 09:30 Uhr") && page.contains("Verschoben"), "{page}");

    for (typed, says) in [
        ("2020-01-01T10:00", "liegt in der Vergangenheit"),
        ("", "Geben Sie den neuen Zeitpunkt der Veröffentlichung ein"),
        ("bald", "ist kein Datum mit Uhrzeit"),
    ] {
        let refused = reschedule(&app, &bob, &id, typed, "de").await;
        assert_eq!(refused.status, 400, "{typed}: {}", refused.body);
        assert!(refused.body.contains(says), "{typed}: {}", refused.body);
        assert!(
            refused.body.contains(&format!(r#"value="{typed}""#)),
            "what was typed is kept: {}",
            refused.body
        );
        assert_eq!(at().await, (DraftState::Approved, Some("2030-02-01T09:30:00Z".to_owned())));
    }

    let audit = app.store.audit_entries(0, 1000).await.unwrap();
    let entry = audit.iter().find(|e| e.leaf.action == "draft.reschedule").expect("the step is audited");
    let (_, detail) = entry.payload.as_ref().expect("details");
    assert!(
        detail.contains("2030-02-01T09:30:00Z") && detail.contains("2030-01-15T14:00:00Z"),
        "from and to: {detail}"
    );
    eventually(20, "alice is told", || {
        told(&app, &alice, "Bob Approver hat den Zeitpunkt Ihrer freigegebenen Mitteilung verschoben")
    })
    .await;

    // A time that has come publishes it at once, as an approval does.
    let minute = herold_domain::format_rfc3339(herold_domain::now_millis());
    let now = reschedule(&app, &bob, &id, &minute[..16], "en").await;
    assert_eq!(now.status, 303, "{}", now.body);
    assert_eq!(at().await.0, DraftState::Published);
}

/// Someone working from another time zone chooses their own in the settings: their forms
/// take and their pages show that clock, while colleagues keep the organisation's; a zone
/// Herold does not know is refused, and choosing none returns to the organisation's.
async fn a_person_may_work_on_their_own_clock(db: Db) {
    let provider = OidcProvider::start();
    let sign_in = vec![SignIn {
        org: "demo",
        issuer: provider.issuer(),
        extra_policy: "time_zone = \"Europe/Berlin\"",
        discovery_url: None,
    }];
    let app = spawn_app_with(db, AppOptions { sign_in, ..AppOptions::default() }).await;
    app.create_account("demo", "press").await;
    let alice = signed_in(&app, "demo", "alice").await;
    let bob = signed_in(&app, "demo", "bob").await;
    let settings = alice.get(&app.url("/staff/settings")).await.body;
    assert!(settings.contains("The organisation's (Europe/Berlin)"), "{settings}");
    let choose = |zone: &'static str| {
        let (app, alice) = (&app, &alice);
        async move {
            let token = csrf(app, alice, "/staff/settings").await;
            alice
                .post_in(&app.url("/staff/settings"), &[("csrf", token.as_str()), ("time_zone", zone)], "de")
                .await
        }
    };
    let saved = choose("America/New_York").await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains(r#"<option value="America/New_York" selected>"#), "{}", saved.body);

    let compose = alice.get(&app.url("/staff/new")).await.body;
    assert!(compose.contains("America/New_York"), "the form names her zone: {compose}");
    let id = write(&app, &alice, "Pressekonferenz in Washington", "2030-01-15T14:00", None).await;
    let d = app.store.draft(&id, &Visibility::everything()).await.unwrap().expect("draft");
    assert_eq!(herold_domain::format_rfc3339(d.content.publish_at.unwrap()), "2030-01-15T19:00:00Z");
    let hers = alice.get_in(&app.url(&format!("/staff/drafts/{id}")), "en").await.body;
    assert!(hers.contains("15 January 2030, 14:00 EST"), "{hers}");
    let his = bob.get_in(&app.url(&format!("/staff/drafts/{id}")), "de").await.body;
    assert!(his.contains("15. Januar 2030, 20:00 Uhr MEZ"), "{his}");

    let refused = choose("Mars/Olympus_Mons").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("keine Zeitzone, die Herold kennt"), "{}", refused.body);
    let member = app.store.staff_of_org("demo").await.unwrap();
    let her = member.iter().find(|m| m.name == "Alice Author").expect("alice");
    assert_eq!(her.time_zone.as_deref(), Some("America/New_York"), "nothing is saved when refused");

    assert_eq!(choose("").await.status, 200);
    let back = alice.get_in(&app.url(&format!("/staff/drafts/{id}")), "en").await.body;
    assert!(back.contains("15 January 2030, 20:00 CET"), "{back}");
}

/// Writes, submits and has bob approve a submission for `account`; returns the draft's id
/// and, once out, its announcement's.
async fn published_by(
    app: &TestApp,
    author: &Browser,
    bob: &Browser,
    account: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let token = csrf(app, author, "/staff/new").await;
    let mut form =
        vec![("csrf", token.as_str()), ("account", account), ("language", "de"), ("publish_at", "")];
    form.extend_from_slice(fields);
    let page = author.post(&app.url("/staff/drafts"), &form).await;
    assert_eq!(page.status, 303, "draft not saved: {}", page.body);
    let id = page.location.expect("to the draft").trim_start_matches("/staff/drafts/").to_owned();
    assert_eq!(step(app, author, &id, "submit", "").await.status, 303);
    assert_eq!(step(app, bob, &id, "approve", "").await.status, 303);
    let d = app.store.draft(&id, &Visibility::everything()).await.unwrap().expect("draft");
    (id, d.announcement_public_id.expect("published"))
}

/// The archive finds announcements across the organisation's accounts by words (in any
/// language version), account, status, author and dates; says who retracted one, when and
/// why; lists withdrawn submissions; and the calendar shows what is planned, by day.
async fn the_archive_and_the_calendar_find_everything(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    app.create_account("demo", "rathaus").await;
    let (alice, bob, erik) = (
        signed_in(&app, "demo", "alice").await,
        signed_in(&app, "demo", "bob").await,
        signed_in(&app, "demo", "erik").await,
    );
    published_by(
        &app,
        &alice,
        &bob,
        "press",
        &[
            ("text", "Die Brücke ist gesperrt."),
            ("translation_language_1", "en"),
            ("translation_text_1", "The BRIDGE is closed."),
        ],
    )
    .await;
    let (_, gone) =
        published_by(&app, &alice, &bob, "rathaus", &[("text", "Das Rathaus schließt früher.")]).await;
    published_by(&app, &erik, &bob, "press", &[("text", "Neue Sprechzeiten im Bürgerbüro.")]).await;
    let token = csrf(&app, &bob, &format!("/staff/accounts/rathaus/announcements/{gone}")).await;
    let form = [("csrf", token.as_str()), ("reason", "Falsche Uhrzeit genannt")];
    let retracted =
        bob.post(&app.url(&format!("/staff/accounts/rathaus/announcements/{gone}/retract")), &form).await;
    assert_eq!(retracted.status, 303, "{}", retracted.body);
    let dropped = write(&app, &alice, "Entwurf, der nie erschien", "", None).await;
    withdraw(&app, &alice, &dropped).await;
    let taken_back = write(&app, &alice, "Vorgelegt und zurückgezogen", "", None).await;
    assert_eq!(step(&app, &alice, &taken_back, "submit", "").await.status, 303);
    let page = alice.get(&app.url(&format!("/staff/drafts/{taken_back}/withdraw"))).await.body;
    let form = [
        ("csrf", field(&page, "csrf").unwrap()),
        ("step", "withdraw".to_owned()),
        ("revision", field(&page, "revision").unwrap()),
        ("confirm", "yes".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(alice.post(&app.url(&format!("/staff/drafts/{taken_back}/step")), &form).await.status, 303);
    // A colleague's draft that was never submitted stays hers; a withdrawn submission does not.
    let bobs = bob.get(&app.url("/staff/announcements")).await.body;
    assert!(
        bobs.contains("Vorgelegt und zurückgezogen") && !bobs.contains("Entwurf, der nie erschien"),
        "{bobs}"
    );

    let find = |query: &'static str| {
        let (app, alice) = (&app, &alice);
        async move { alice.get_in(&app.url(&format!("/staff/announcements?{query}")), "en").await }
    };
    let all = find("").await;
    assert_eq!(all.status, 200);
    for text in ["Die Brücke", "Das Rathaus schließt", "Neue Sprechzeiten", "Entwurf, der nie erschien"] {
        assert!(all.body.contains(text), "{text}: {}", all.body);
    }
    assert!(
        all.body.contains("by Bob Approver") && all.body.contains("Falsche Uhrzeit genannt"),
        "who retracted it and why: {}",
        all.body
    );
    assert!(all.body.contains(r#"href="/staff/announcements""#), "the navigation leads here");

    let english = find("q=bridge").await.body;
    assert!(english.contains("Die Brücke") && !english.contains("Sprechzeiten"), "{english}");
    let erik_id = app
        .store
        .staff_of_org("demo")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Erik Editor")
        .expect("erik")
        .id;
    let url = format!("/staff/announcements?author={erik_id}");
    let eriks = alice.get(&app.url(&url)).await.body;
    assert!(eriks.contains("Neue Sprechzeiten") && !eriks.contains("Die Brücke"), "{eriks}");
    let gone_only = find("status=retracted").await.body;
    assert!(gone_only.contains("Das Rathaus") && !gone_only.contains("Die Brücke"), "{gone_only}");
    assert!(!gone_only.contains("Entwurf, der nie"), "withdrawn ones only on the unfiltered list");
    let rathaus = find("account=rathaus").await.body;
    assert!(rathaus.contains("Das Rathaus") && !rathaus.contains("Sprechzeiten"), "{rathaus}");
    let old = find("from=2020-01-01&to=2020-12-31").await.body;
    assert!(old.contains("No announcement matches."), "{old}");
    let elsewhere = find("account=nobody").await.body;
    assert!(elsewhere.contains("No announcement matches."), "an unknown account finds nothing: {elsewhere}");
    let bad = alice.get_in(&app.url("/staff/announcements?from=gestern&q=Br%C3%BCcke"), "de").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains(r#"value="gestern""#) && bad.body.contains(r#"value="Brücke""#),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("role=\"alert\""), "{}", bad.body);

    let planned = write(&app, &alice, "Pressekonferenz zum Haushalt", "2030-01-15T14:00", None).await;
    assert_eq!(step(&app, &alice, &planned, "submit", "").await.status, 303);
    assert_eq!(step(&app, &bob, &planned, "approve", "").await.status, 303);
    let waiting = write(&app, &alice, "Tag der offenen Tür", "2030-01-20T10:30", None).await;
    assert_eq!(step(&app, &alice, &waiting, "submit", "").await.status, 303);
    let january = alice.get_in(&app.url("/staff/calendar?month=2030-01"), "de").await.body;
    let (fifteenth, twentieth) = (
        january.find("15. Januar 2030").expect("the 15th"),
        january.find("20. Januar 2030").expect("the 20th"),
    );
    assert!(fifteenth < twentieth, "{january}");
    assert!(
        january[fifteenth..twentieth].contains("14:00")
            && january[fifteenth..twentieth].contains("Freigegeben")
    );
    assert!(january[twentieth..].contains("10:30") && january[twentieth..].contains("Wartet auf Freigabe"));
    assert!(january.contains("month=2029-12") && january.contains("month=2030-02"), "{january}");
    let february = alice.get_in(&app.url("/staff/calendar?month=2030-02"), "en").await.body;
    assert!(february.contains("Nothing is planned for this month."), "{february}");
}

/// Sends the compose form as a browser does, with the files chosen for its image slots in
/// order (`None`: a slot left alone, sent as an empty part) and the rest left alone.
async fn compose_with_images(
    app: &TestApp,
    b: &Browser,
    fields: &[(&str, &str)],
    images: Vec<Option<Vec<u8>>>,
) -> Page {
    let token = csrf(app, b, "/staff/new").await;
    let mut form = reqwest::multipart::Form::new().text("csrf", token);
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    for n in 1..=4 {
        let file = match images.get(n - 1).cloned().flatten() {
            Some(bytes) => {
                reqwest::multipart::Part::bytes(bytes).file_name("karte.png").mime_str("image/png").unwrap()
            }
            None => reqwest::multipart::Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap(),
        };
        form = form.part(format!("image_{n}"), file);
    }
    let resp = b
        .http
        .post(app.url("/staff/drafts"))
        .header("accept-language", "de")
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    Page { status, location, body: resp.text().await.unwrap_or_default() }
}

/// Images are attached in the compose form itself, up to four, each with its description
/// beside it: the draft is saved with them in their order; an image without a description,
/// or a file that is no image, is refused before anything is saved, naming the image and
/// keeping the text and every description typed; the form without images works as before.
async fn images_are_attached_while_composing(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo"]).await;
    let alice = signed_in(&app, "demo", "alice").await;
    let compose = alice.get(&app.url("/staff/new")).await.body;
    assert!(compose.contains(r#"enctype="multipart/form-data""#), "{compose}");
    for n in 1..=4 {
        assert!(
            compose.contains(&format!(r#"id="image_{n}""#))
                && compose.contains(&format!(r#"id="image_alt_{n}""#)),
            "slot {n}: {compose}"
        );
    }
    assert!(!compose.contains(r#"id="image_5""#), "as many as a draft may have");
    let text = "Umleitung über die Nordstraße";
    let fields = |alts: [&'static str; 2]| {
        vec![
            ("account", "press"),
            ("text", text),
            ("language", "de"),
            ("image_alt_1", alts[0]),
            ("image_alt_3", alts[1]),
        ]
    };
    let count = || async {
        let press = app.store.account_by_username("press").await.unwrap().unwrap();
        app.store
            .drafts("demo", &herold_domain::workflow::DraftState::ALL, 100, &Visibility::everything())
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.account_id == press.id)
            .count()
    };

    let png = || Some(png_with_metadata());
    let undescribed =
        compose_with_images(&app, &alice, &fields(["Karte", ""]), vec![png(), None, png()]).await;
    assert_eq!(undescribed.status, 400, "{}", undescribed.body);
    assert!(undescribed.body.contains(text), "the text is kept: {}", undescribed.body);
    assert!(undescribed.body.contains("Bild 3:"), "the refusal names the image: {}", undescribed.body);
    assert!(undescribed.body.contains("Wählen Sie das Bild erneut"), "{}", undescribed.body);
    assert!(undescribed.body.contains(">Karte</textarea>"), "descriptions are kept: {}", undescribed.body);
    let not_an_image =
        compose_with_images(&app, &alice, &fields(["Karte", ""]), vec![Some(b"%PDF-1.7 no image".to_vec())])
            .await;
    assert_eq!(not_an_image.status, 400, "{}", not_an_image.body);
    assert!(
        not_an_image.body.contains(text) && not_an_image.body.contains("Bild 1:"),
        "{}",
        not_an_image.body
    );
    let fileless = compose_with_images(&app, &alice, &fields(["Karte", "Schild"]), vec![png()]).await;
    assert_eq!(fileless.status, 400, "{}", fileless.body);
    assert!(
        fileless.body.contains("Bild 3: Es hat eine Beschreibung, aber keine Datei"),
        "{}",
        fileless.body
    );
    assert!(fileless.body.contains("<details open"), "the slot is shown: {}", fileless.body);
    assert_eq!(count().await, 0, "nothing is saved when an image is refused");

    let saved = compose_with_images(
        &app,
        &alice,
        &fields(["Karte der Umleitung", "Schild an der Kreuzung"]),
        vec![png(), None, png()],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let id = saved.location.unwrap().trim_start_matches("/staff/drafts/").to_owned();
    let d = app.store.draft(&id, &Visibility::everything()).await.unwrap().expect("draft");
    let alts: Vec<&str> = d.media.iter().map(|m| m.alt_text.as_str()).collect();
    assert_eq!(alts, ["Karte der Umleitung", "Schild an der Kreuzung"], "in the order of their slots");
    assert_eq!(d.content.source_text, text);

    let plain = compose_with_images(&app, &alice, &fields(["", ""]), Vec::new()).await;
    assert_eq!(plain.status, 303, "without an image the form saves as before: {}", plain.body);

    // Each slot takes one file: a second file part for a slot is refused, not read on and on.
    let token = csrf(&app, &alice, "/staff/new").await;
    let part = || {
        reqwest::multipart::Part::bytes(png_with_metadata()).file_name("a.png").mime_str("image/png").unwrap()
    };
    let mut form = reqwest::multipart::Form::new().text("csrf", token);
    for (name, value) in fields(["Karte", ""]) {
        form = form.text(name, value);
    }
    let twice = alice
        .http
        .post(app.url("/staff/drafts"))
        .header("sec-fetch-site", "same-origin")
        .multipart(form.part("image_1", part()).part("image_1", part()))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status().as_u16(), 400);
}

/// The operator sees the servers that fail across every account and, with a reason each
/// time, gives up what waits for one or tries it again at once; both are audited, and
/// nobody else may.
async fn the_operator_tries_a_failing_server_again_or_gives_it_up(db: Db) {
    let provider = OidcProvider::start();
    let app = staff_app(db, &provider, &["demo", "operator"]).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    let down = herold_tests::fake_remote::FakeRemote::start().await;
    down.answer_with(503);
    let inbox = format!("{}/inbox", down.base);
    herold_tests::fixtures::add_follower(app.store.as_ref(), account.id, &down.actor, &inbox).await;
    let announcement = |text: &'static str| {
        let app = &app;
        async move {
            app.publish("press", text).await;
        }
    };
    announcement("Baustelle an der Nordbrücke").await;
    let host = eventually(20, "the server fails", || async {
        let s = app.store.delivery_stats(None, &Visibility::everything()).await.unwrap();
        (s.retrying == 1).then(|| s.failing_hosts[0].host.clone())
    })
    .await;

    let other_admin = signed_in(&app, "demo", "carol").await;
    assert_eq!(
        other_admin.get(&app.url("/staff/deliveries")).await.status,
        403,
        "another body's administrator"
    );
    let carol = signed_in(&app, "operator", "carol").await;
    let page = carol.get_in(&app.url("/staff/deliveries"), "de").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&host) && page.body.contains("Jetzt erneut versuchen"), "{}", page.body);
    let token = field(&page.body, "csrf").unwrap();
    let act = |action: &'static str, reason: &'static str| {
        let (app, carol, token, host) = (&app, &carol, token.clone(), host.clone());
        async move {
            let form =
                [("csrf", token.as_str()), ("action", action), ("host", host.as_str()), ("reason", reason)];
            carol.post(&app.url("/staff/deliveries"), &form).await
        }
    };
    let unexplained = act("give_up", " ").await;
    assert_eq!(unexplained.status, 400, "a reason first: {}", unexplained.body);
    assert_eq!(app.store.delivery_stats(None, &Visibility::everything()).await.unwrap().retrying, 1);
    assert_eq!(act("give_up", "Server ist abgeschaltet").await.status, 303);
    let stats = app.store.delivery_stats(None, &Visibility::everything()).await.unwrap();
    assert_eq!((stats.retrying, stats.dead), (0, 1));

    // The server is back: trying again sends what was given up.
    down.answer_with(202);
    assert_eq!(act("requeue", "Server läuft wieder").await.status, 303);
    eventually(20, "delivered after all", || async {
        let s = app.store.delivery_stats(None, &Visibility::everything()).await.unwrap();
        (s.delivered == 1 && s.dead == 0).then_some(())
    })
    .await;
    let trail = app.store.audit_entries(0, 1000).await.unwrap();
    for (action, reason) in
        [("delivery.give_up", "Server ist abgeschaltet"), ("delivery.requeue", "Server läuft wieder")]
    {
        let entry = trail.iter().find(|e| e.leaf.action == action).expect("audited");
        let detail = &entry.payload.as_ref().unwrap().1;
        assert!(detail.contains(reason) && detail.contains("\"deliveries\":1"), "{detail}");
    }
}

on_both_backends!(
    the_operator_tries_a_failing_server_again_or_gives_it_up,
    images_are_attached_while_composing,
    the_archive_and_the_calendar_find_everything,
    a_person_may_work_on_their_own_clock,
    an_approved_time_is_moved_as_a_step_of_its_own,
    announcements_are_found_by_their_words,
    a_sign_in_begun_at_another_loopback_name_moves_to_the_public_address,
    authors_are_told_when_deliveries_are_given_up,
    notifications_arrive_by_email_unless_turned_off,
    people_are_told_what_waits_for_them_and_what_became_of_their_work,
    an_ended_session_keeps_what_was_being_written,
    the_approver_sees_everything_before_approving,
    times_are_typed_and_read_on_the_organisations_clock,
    the_account_is_chosen_never_defaulted,
    a_publishing_time_that_has_passed_is_refused,
    refusals_are_worded_in_the_readers_language,
    the_relay_list_is_paged,
    the_relay_is_moderated_by_the_operators_administrators,
    approvals_cover_exactly_what_was_reviewed,
    discovery_can_use_an_internal_address,
    images_are_described_stripped_and_private_until_published,
    forged_id_tokens_are_refused,
    four_eyes_workflow_reaches_a_real_peer,
    nobody_approves_their_own_draft,
    scheduled_publishing_fires_once,
    signing_out_ends_both_sessions,
    sign_in_attacks_are_refused,
);
