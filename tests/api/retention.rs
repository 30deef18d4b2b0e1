//! Retention on an aged dataset: what `plan` shows is what `apply` removes; afterwards no
//! row of any class is older than its limit, legal hold keeps what it holds, and the audit
//! trail still verifies.

use herold_compliance::policy::Policies;
use herold_compliance::retention;
use herold_domain::now_millis;
use herold_federation::signatures::Scheme;
use herold_store::{ClassCount, DataClass};
use herold_tests::fake_remote::FakeRemote;
use herold_tests::{eventually, spawn_app, Db};

const DAY: i64 = 86_400_000;

fn count(plan: &[ClassCount], class: DataClass, org: Option<&str>) -> i64 {
    plan.iter().filter(|c| c.class == class && c.org.as_deref() == org).map(|c| c.count).sum()
}

async fn retention_removes_exactly_what_expired(db: Db) {
    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let fake = FakeRemote::start().await;
    let follow = fake.follow(&app.url("/users/press"));
    assert_eq!(fake.post_json(&app.url("/inbox"), &follow, Scheme::Cavage).await.status(), 202);
    let kept = app.publish("press", "Bleibt").await;
    let gone = app.publish("press", "Wird zurückgezogen").await;
    app.services.publisher.retract("press", &gone.public_id, "test", None).await.unwrap();
    eventually(10, "all deliveries finished", || async {
        let s = app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap();
        (s.delivered == 4 && s.pending == 0).then_some(())
    })
    .await;
    // A server has a row once something about it is worth keeping (a failure, a scheme other
    // than the first); a healthy one costs none. Here it failed once.
    let failure = herold_store::HostReport::Failure { error: "HTTP 503".into(), open_breaker_until: None };
    let host = fake.base.trim_start_matches("http://");
    app.store.record_host(host, failure, now_millis()).await.unwrap();

    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let now = now_millis();
    let today = retention::plan(app.store.as_ref(), &policies, now).await.unwrap();
    assert!(today.iter().all(|c| c.count == 0), "nothing has expired yet: {today:?}");

    let in_a_month = retention::plan(app.store.as_ref(), &policies, now + 31 * DAY).await.unwrap();
    assert_eq!(count(&in_a_month, DataClass::RemoteActorCache, None), 1);
    assert_eq!(count(&in_a_month, DataClass::DeliveryRecords, Some("bfdi")), 4, "Accept, 2 Creates, Delete");
    assert_eq!(count(&in_a_month, DataClass::RetractedAnnouncements, Some("bfdi")), 0);
    // The follower's server, as delivery health: a one-person server's name is personal data.
    assert_eq!(count(&in_a_month, DataClass::DeliveryHosts, None), 1);

    // Expired data is hidden from readers at once, before any purge.
    let in_a_month_seen = policies.visibility().at(now + 31 * DAY);
    assert_eq!(app.store.delivery_stats(None, &in_a_month_seen).await.unwrap().delivered, 0, "hidden");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        4,
        "but not yet purged"
    );
    let first = app.store.audit_entries(0, 1).await.unwrap().remove(0).leaf;
    let seen_at =
        |at| policies.visibility().at(at).shows(DataClass::AuditPayloads, first.org.as_deref(), first.at);
    assert!(seen_at(now));
    assert!(!seen_at(now + 3651 * DAY));

    // Under a legal hold, nothing of the organisation goes; instance data still does.
    let mut held = policies.clone();
    held.add_org(std::path::Path::new("orgs/bfdi.toml"), "legal_hold = true\n").unwrap();
    let removed =
        retention::apply(app.store.as_ref(), &held, now + 400 * DAY, "test", &app.db.dir.join("archive"))
            .await
            .unwrap();
    assert_eq!(count(&removed, DataClass::DeliveryRecords, Some("bfdi")), 0);
    assert_eq!(count(&removed, DataClass::RemoteActorCache, None), 1);
    assert_eq!(count(&removed, DataClass::DeliveryHosts, None), 1);
    assert!(app.store.remote_actor(&fake.actor).await.unwrap().is_none());
    assert!(app.store.host_state(host).await.unwrap().is_none(), "the server's row went with its class");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap().delivered,
        4,
        "held"
    );
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1, "followers stay while following");

    let removed =
        retention::apply(app.store.as_ref(), &policies, now + 400 * DAY, "test", &app.db.dir.join("archive"))
            .await
            .unwrap();
    assert_eq!(count(&removed, DataClass::DeliveryRecords, Some("bfdi")), 4);
    assert_eq!(count(&removed, DataClass::RetractedAnnouncements, Some("bfdi")), 1);
    let after = retention::plan(app.store.as_ref(), &policies, now + 400 * DAY).await.unwrap();
    assert!(after.iter().all(|c| c.count == 0), "no row older than its limit remains: {after:?}");
    assert_eq!(
        app.store.delivery_stats(None, &herold_store::Visibility::everything()).await.unwrap(),
        Default::default()
    );
    // Retracted announcements go to the archive before their text is removed.
    let archive = app.db.dir.join("archive/retracted_announcements/bfdi");
    let file = std::fs::read_dir(&archive).unwrap().next().unwrap().unwrap().path();
    let archived = std::fs::read_to_string(&file).unwrap();
    assert!(archived.contains("Wird zurückgezogen") && archived.lines().count() == 1, "{archived}");
    let anonymised = app.store.announcement(account.id, &gone.public_id).await.unwrap().unwrap();
    assert_eq!((anonymised.body.source_text.as_str(), anonymised.body.content_html.as_str()), ("", ""));
    assert!(anonymised.retracted_at.is_some(), "the tombstone stays");
    let untouched = app.store.announcement(account.id, &kept.public_id).await.unwrap().unwrap();
    assert_eq!(untouched.body.source_text, "Bleibt");

    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    // The scheduled run at startup is audited too, as "system".
    let runs =
        entries.iter().filter(|e| e.leaf.action == "retention.apply" && e.leaf.actor == "test").count();
    assert_eq!(runs, 2, "every run is audited");
    let keys = &app.services.audit;
    let report =
        herold_compliance::audit::verify(app.store.as_ref(), &keys.seal, &keys.trusted, &[]).await.unwrap();
    assert_eq!(report.problem, None);
}

/// Staff records: sessions go 30 days after they end, people are anonymised a year after
/// their last sign-in, and what they wrote still says a (former) member of staff wrote it.
async fn staff_data_is_kept_no_longer_than_its_policy(db: Db) {
    use herold_domain::workflow::{Role, Roles};
    use herold_store::{NewSession, StaffSignIn};

    let app = spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let now = now_millis();
    let person = StaffSignIn {
        org_slug: "bfdi".into(),
        issuer: "https://idp.example".into(),
        subject: "user-1".into(),
        name: "Erika Mustermann".into(),
        email: Some("erika@bfdi.example".into()),
        roles: Roles::new([Role::Author]),
    };
    let session = NewSession {
        token_hash: "a".repeat(64),
        csrf: "c".into(),
        provider_sid: Some("sid-1".into()),
        id_token: Some("header.payload.signature".into()),
        idle_ms: 30 * 60_000,
        expires_at: now + 10 * 3_600_000,
    };
    let signed_in = app.store.sign_in(person, session, now).await.unwrap();
    assert!(app.store.session(&signed_in.token_hash, now + 1000).await.unwrap().is_some());
    assert!(
        app.store.session(&signed_in.token_hash, now + 31 * 60_000).await.unwrap().is_none(),
        "idle timeout"
    );

    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let soon = retention::plan(app.store.as_ref(), &policies, now + 29 * DAY).await.unwrap();
    assert_eq!(count(&soon, DataClass::StaffSessions, Some("bfdi")), 0);
    let later =
        retention::apply(app.store.as_ref(), &policies, now + 31 * DAY, "test", &app.db.dir.join("archive"))
            .await
            .unwrap();
    assert_eq!(count(&later, DataClass::StaffSessions, Some("bfdi")), 1);
    assert_eq!(count(&later, DataClass::StaffDirectory, Some("bfdi")), 0);
    let member = app.store.staff_member(signed_in.staff.id).await.unwrap().unwrap();
    assert_eq!(member.name, "Erika Mustermann", "still within a year of the last sign-in");

    let removed =
        retention::apply(app.store.as_ref(), &policies, now + 366 * DAY, "test", &app.db.dir.join("archive"))
            .await
            .unwrap();
    assert_eq!(count(&removed, DataClass::StaffDirectory, Some("bfdi")), 1);
    let member = app.store.staff_member(signed_in.staff.id).await.unwrap().unwrap();
    assert_eq!((member.name.as_str(), member.email.as_deref()), ("", None));
    assert!(!member.subject.contains("user-1"), "the provider's identifier is gone too");
    let after = retention::plan(app.store.as_ref(), &policies, now + 366 * DAY).await.unwrap();
    assert_eq!(count(&after, DataClass::StaffDirectory, Some("bfdi")), 0, "anonymised once");
}

/// Drafts nobody finished (still being written, rejected, withdrawn) expire 180 days after
/// their last change: hidden from staff at once, then removed; submitted, approved and
/// published ones are not touched, and a legal hold keeps them all.
async fn abandoned_drafts_expire(db: Db) {
    use herold_domain::workflow::{Actor, DraftState, Role, Roles, Step, Transition};
    use herold_publishing::editorial::StaffActor;
    use herold_store::{AuditEntry, StepDetails};

    let app = spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let now = now_millis();
    let author =
        herold_tests::fixtures::staff_member(app.store.as_ref(), "bfdi", "author-1", Role::Author).await;
    let as_author = Actor::Staff { id: author.id, roles: Roles::new([Role::Author]) };
    let audit = |action: &str| AuditEntry::new("staff:test", action, "draft").in_org("bfdi");
    let draft = |text: &str| herold_tests::fixtures::new_draft(account.id, author.id, text, None);
    let nothing =
        || StepDetails { content: None, review_comment: None, seen_revision: None, publish_at: None };
    let step = |from, step| Transition::new(from, step, &as_author, author.id, true).unwrap();
    let writing = app.store.create_draft(draft("Angefangen"), audit("draft.create")).await.unwrap();
    let withdrawn = app.store.create_draft(draft("Verworfen"), audit("draft.create")).await.unwrap();
    app.store
        .step_draft(
            withdrawn.id,
            &step(DraftState::Draft, Step::Withdraw),
            nothing(),
            audit("draft.withdraw"),
        )
        .await
        .unwrap();
    let submitted = app.store.create_draft(draft("Eingereicht"), audit("draft.create")).await.unwrap();
    app.store
        .step_draft(submitted.id, &step(DraftState::Draft, Step::Submit), nothing(), audit("draft.submit"))
        .await
        .unwrap();
    let approved = herold_tests::fixtures::scheduled_draft(
        app.store.as_ref(),
        "bfdi",
        account.id,
        "Genehmigt, erscheint später",
        now + 1000 * DAY,
    )
    .await;

    let policies = Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir())).unwrap();
    let before = retention::plan(app.store.as_ref(), &policies, now + 179 * DAY).await.unwrap();
    assert_eq!(count(&before, DataClass::AbandonedDrafts, Some("bfdi")), 0);
    let after = retention::plan(app.store.as_ref(), &policies, now + 181 * DAY).await.unwrap();
    assert_eq!(count(&after, DataClass::AbandonedDrafts, Some("bfdi")), 2, "being written, withdrawn");

    // Half a year without a change: hidden from staff at once, before any purge.
    herold_tests::fixtures::execute(
        &app.db,
        &format!("UPDATE drafts SET updated_at = updated_at - {}", 200 * DAY),
    )
    .await;
    let staff = StaffActor { id: author.id, org: "bfdi".into(), roles: Roles::new([Role::Author]) };
    let editorial = &app.services.editorial;
    assert!(editorial.draft(&staff, &writing.public_id).await.is_err(), "expired: hidden");
    assert!(editorial.draft(&staff, &submitted.public_id).await.is_ok(), "waiting for an approver");
    assert!(
        app.store.draft(&writing.public_id, &herold_store::Visibility::everything()).await.unwrap().is_some(),
        "not yet purged"
    );

    let mut held = policies.clone();
    held.add_org(std::path::Path::new("orgs/bfdi.toml"), "legal_hold = true\n").unwrap();
    let archive = app.db.dir.join("archive");
    let removed = retention::apply(app.store.as_ref(), &held, now, "test", &archive).await.unwrap();
    assert_eq!(count(&removed, DataClass::AbandonedDrafts, Some("bfdi")), 0, "legal hold");
    let removed = retention::apply(app.store.as_ref(), &policies, now, "test", &archive).await.unwrap();
    assert_eq!(count(&removed, DataClass::AbandonedDrafts, Some("bfdi")), 2);
    for gone in [&writing.public_id, &withdrawn.public_id] {
        assert!(
            app.store.draft(gone, &herold_store::Visibility::everything()).await.unwrap().is_none(),
            "{gone} removed"
        );
    }
    for kept in [&submitted.public_id, &approved] {
        assert!(
            app.store.draft(kept, &herold_store::Visibility::everything()).await.unwrap().is_some(),
            "{kept} kept"
        );
    }
}

on_both_backends!(
    retention_removes_exactly_what_expired,
    staff_data_is_kept_no_longer_than_its_policy,
    abandoned_drafts_expire
);
