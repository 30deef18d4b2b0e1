//! The storage contract, area by area, over `Arc<dyn Store>` as the rest of Herold holds it:
//! no HTTP, no services, the same stories on both backends. A new backend (or a rewrite of
//! one area's SQL) passes these before anything else is tried.

use std::sync::Arc;

use herold_domain::audit::AuditSeal;
use herold_domain::workflow::{Actor, DraftState, Role, Roles, Step, Transition};
use herold_store::*;
use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

on_both_backends!(
    schema_migrates_and_takes_writes,
    accounts_keep_orgs_accounts_and_one_instance_key,
    followers_are_recorded_once_and_counted_by_day,
    an_announcement_is_published_delivered_edited_and_retracted,
    the_audit_trail_grows_in_order_with_checkpoints,
    a_subject_is_found_and_erased,
    retention_counts_and_purges_what_expired,
    a_session_lives_from_sign_in_to_sign_out,
    a_draft_goes_through_four_eyes_to_publication,
    the_relay_subscribes_blocks_and_forwards_once,
    consents_are_given_once_and_taken_back_with_their_announcement,
    citizens_messages_arrive_change_go_and_are_worked_on,
    notifications_are_made_once_read_and_erased_with_their_reader,
);

const T0: i64 = 1_800_000_000_000;

struct Fixture {
    store: Arc<dyn Store>,
    _db: TestDatabase,
}

async fn open(db: Db) -> Fixture {
    let database = TestDatabase::create(db).await;
    let store =
        connect(&database.url, AuditSeal::new(b"store conformance test seal")).await.expect("connect");
    store.migrate().await.expect("migrate");
    Fixture { store, _db: database }
}

fn audit(action: &str, subject: &str) -> AuditEntry {
    AuditEntry::new("operator", action, subject).in_org("city")
}

async fn org_and_account(store: &dyn Store) -> Account {
    store
        .create_org(
            NewOrg { slug: "city".into(), name: "City of Testing".into() },
            audit("org.create", "city"),
        )
        .await
        .expect("org");
    store
        .create_account(
            NewAccount {
                org_slug: "city".into(),
                username: "press".into(),
                display_name: "Press office".into(),
                summary: Some("Official announcements".into()),
                public_key_pem: "-----BEGIN PUBLIC KEY-----".into(),
                private_key_enc: "sealed".into(),
                language: "de".into(),
            },
            audit("account.create", "press"),
        )
        .await
        .expect("account")
}

fn follower(account: &Account, n: u32) -> NewFollower {
    NewFollower {
        account_id: account.id,
        actor_uri: format!("https://server{n}.example/users/citizen"),
        inbox: format!("https://server{n}.example/inbox"),
        follow_id: format!("https://server{n}.example/follows/1"),
    }
}

fn accept(account: &Account, n: u32) -> NewActivity {
    NewActivity {
        uri: format!("https://herold.example/accept/{n}/{}", uuid::Uuid::new_v4()),
        kind: "Accept".into(),
        account_id: Some(account.id),
        signer: None,
        body: serde_json::json!({
            "type": "Accept",
            "object": {"type": "Follow", "actor": format!("https://server{n}.example/users/citizen")},
        })
        .to_string(),
        audience: Audience::Inboxes(vec![format!("https://server{n}.example/inbox")]),
        priority: Priority::Answer,
    }
}

fn to_followers(account: &Account, kind: &str) -> NewActivity {
    NewActivity {
        uri: format!("https://herold.example/activities/{}", uuid::Uuid::new_v4()),
        kind: kind.into(),
        account_id: Some(account.id),
        signer: None,
        body: format!(r#"{{"type":"{kind}"}}"#),
        audience: Audience::Followers { account_id: account.id, mentioned: vec![] },
        priority: Priority::Routine,
    }
}

fn announcement(account: &Account, text: &str) -> NewAnnouncement {
    NewAnnouncement {
        public_id: uuid::Uuid::new_v4().to_string(),
        account_id: account.id,
        urgent: false,
        published_at: T0,
        hashtags: vec!["strasse".into()],
        body: AnnouncementBody {
            source_text: text.into(),
            content_html: format!("<p>{text}</p>"),
            language: Some("de".into()),
            summary: None,
            translations: vec![StoredTranslation {
                language: "en".into(),
                source_text: "Road closed".into(),
                content_html: "<p>Road closed</p>".into(),
            }],
            attachments: vec![],
            mentions: vec![Mention {
                name: "@mayor@town.example".into(),
                href: "https://town.example/users/mayor".into(),
                inbox: Some("https://town.example/users/mayor/inbox".into()),
            }],
            in_reply_to: None,
            reply_audience: None,
        },
    }
}

async fn claim_all(store: &dyn Store, lane: Lane, now: i64) -> Vec<ClaimedDelivery> {
    store.worker_heartbeat("w1", now).await.expect("heartbeat");
    store
        .claim_deliveries(Claim {
            now,
            lease_ms: 60_000,
            limit: 100,
            worker: "w1",
            alive_since: now - 60_000,
            lane,
        })
        .await
        .expect("claim")
}

/// Whether the store told the delivery worker that deliveries were queued (since it last did).
async fn signalled(store: &dyn Store) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(200), store.deliveries_queued()).await.is_ok()
}

async fn deliver_everything(store: &dyn Store, now: i64) {
    for lane in [Lane::Announcements, Lane::Answers] {
        let claimed = claim_all(store, lane, now).await;
        let outcomes: Vec<_> = claimed
            .iter()
            .map(|d| (d.id, d.lease_until, DeliveryOutcome::Delivered { status: 202 }))
            .collect();
        store.record_outcomes(&outcomes, now).await.expect("outcomes");
    }
}

async fn schema_migrates_and_takes_writes(db: Db) {
    let f = open(db).await;
    let expected = match db {
        Db::Sqlite => Backend::Sqlite,
        Db::Postgres => Backend::Postgres,
    };
    assert_eq!(f.store.backend(), expected);
    assert!(f.store.migrations_current().await.unwrap());
    f.store.migrate().await.expect("migrating twice changes nothing");
    f.store.check_writable().await.expect("writable");
}

async fn accounts_keep_orgs_accounts_and_one_instance_key(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    assert_eq!((account.org_slug.as_str(), account.org_name.as_str()), ("city", "City of Testing"));
    assert_eq!(account.language, "de");

    let by_name = store.account_by_username("press").await.unwrap().expect("by name");
    assert_eq!(by_name.id, account.id);
    assert_eq!(store.account_by_id(account.id).await.unwrap().unwrap().username, "press");
    assert!(store.account_by_username("nobody").await.unwrap().is_none());
    assert_eq!(store.list_orgs().await.unwrap().len(), 1);
    assert_eq!(store.list_accounts().await.unwrap().len(), 1);

    let again = store
        .create_account(
            NewAccount {
                org_slug: "city".into(),
                username: "press".into(),
                display_name: "Twin".into(),
                summary: None,
                public_key_pem: "k".into(),
                private_key_enc: "k".into(),
                language: "en".into(),
            },
            audit("account.create", "press"),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let first = InstanceKey { public_key_pem: "public one".into(), private_key_enc: "sealed one".into() };
    let second = InstanceKey { public_key_pem: "public two".into(), private_key_enc: "sealed two".into() };
    assert_eq!(store.put_instance_key("instance", first).await.unwrap().public_key_pem, "public one");
    assert_eq!(store.put_instance_key("instance", second).await.unwrap().public_key_pem, "public one");
    assert_eq!(store.instance_key("instance").await.unwrap().unwrap().public_key_pem, "public one");
    assert!(store.instance_key("relay").await.unwrap().is_none());
}

async fn followers_are_recorded_once_and_counted_by_day(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    let actor = RemoteActor {
        uri: "https://server1.example/users/citizen".into(),
        inbox: "https://server1.example/users/citizen/inbox".into(),
        shared_inbox: Some("https://server1.example/inbox".into()),
        key_id: "https://server1.example/users/citizen#main-key".into(),
        public_key_pem: "pem".into(),
        fetched_at: T0,
    };
    store.upsert_remote_actor(&actor).await.unwrap();
    let cached = store.remote_actor_by_key_id(&actor.key_id).await.unwrap().expect("cached");
    assert_eq!(cached.shared_inbox.as_deref(), Some("https://server1.example/inbox"));

    assert_eq!(
        store.add_follower(follower(&account, 1), accept(&account, 1)).await.unwrap(),
        FollowOutcome::New
    );
    assert_eq!(
        store.add_follower(follower(&account, 1), accept(&account, 1)).await.unwrap(),
        FollowOutcome::Repeated,
        "an Accept queued a moment ago is not queued again"
    );
    store.add_follower(follower(&account, 2), accept(&account, 2)).await.unwrap();
    assert_eq!(store.follower_count(account.id).await.unwrap(), 2);
    assert_eq!(
        claim_all(store, Lane::Answers, T0 + 1_000_000_000_000).await.len(),
        2,
        "one Accept per new follower"
    );

    store.record_follower_counts("2027-01-01").await.unwrap();
    assert!(!store
        .remove_follow_by_id("https://server9.example/users/other", "https://server1.example/follows/1")
        .await
        .unwrap());
    assert!(store.remove_follow_by_id(&actor.uri, "https://server1.example/follows/1").await.unwrap());
    store.record_follower_counts("2027-01-02").await.unwrap();
    store.record_follower_counts("2027-01-02").await.unwrap();
    assert_eq!(
        store.follower_history(account.id, "2027-01-01").await.unwrap(),
        vec![("2027-01-01".to_owned(), 2), ("2027-01-02".to_owned(), 1)]
    );

    assert_eq!(store.forget_remote_actor("https://server2.example/users/citizen").await.unwrap(), 1);
    assert_eq!(store.follower_count(account.id).await.unwrap(), 0);
    assert!(!store.remove_follower(account.id, &actor.uri).await.unwrap());
}

async fn an_announcement_is_published_delivered_edited_and_retracted(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    for n in 1..=3 {
        store.add_follower(follower(&account, n), accept(&account, n)).await.unwrap();
    }
    assert!(signalled(store).await, "a commit that queued Accepts tells the delivery worker");
    store.announcement_count(account.id).await.unwrap();
    assert!(!signalled(store).await, "reads do not");
    let mut create = to_followers(&account, "Create");
    create.audience = Audience::Followers {
        account_id: account.id,
        mentioned: vec!["https://town.example/users/mayor/inbox".into()],
    };
    let published = store
        .publish(
            announcement(&account, "Straße gesperrt #Strasse"),
            vec![create],
            audit("announcement.publish", "a"),
        )
        .await
        .unwrap();
    assert!(signalled(store).await, "nor does a publication wait for the worker's next poll");
    assert_eq!(published.body.translations.len(), 1);
    assert_eq!(published.body.mentions[0].href, "https://town.example/users/mayor");
    assert_eq!(store.announcement_count(account.id).await.unwrap(), 1);
    assert_eq!(store.tagged_announcements("strasse", 10, 0).await.unwrap().len(), 1);
    assert!(store.activity_uri_for(published.id, "Create").await.unwrap().is_some());

    let claimed = claim_all(store, Lane::Announcements, T0).await;
    assert_eq!(claimed.len(), 4, "three followers' servers and the mentioned account's inbox");
    assert!(claim_all(store, Lane::Announcements, T0).await.is_empty(), "leased rows are not claimed twice");
    let activity = store.activity_for_delivery(claimed[0].activity_id).await.unwrap();
    assert_eq!(activity.body, r#"{"type":"Create"}"#);
    let mut outcomes: Vec<_> = claimed[..3]
        .iter()
        .map(|d| (d.id, d.lease_until, DeliveryOutcome::Delivered { status: 202 }))
        .collect();
    outcomes.push((
        claimed[3].id,
        claimed[3].lease_until,
        DeliveryOutcome::Dead { status: Some(410), error: "gone".into() },
    ));
    store.record_outcomes(&outcomes, T0 + 1).await.unwrap();
    let stats =
        store.delivery_stats(Some(published.id), &herold_store::Visibility::everything()).await.unwrap();
    assert_eq!((stats.delivered, stats.pending, stats.retrying, stats.dead), (3, 0, 0, 1));

    store
        .record_host("server1.example", HostReport::Success { scheme: "draft-cavage".into() }, T0)
        .await
        .unwrap();
    store
        .record_host(
            "server2.example",
            HostReport::Failure { error: "timeout".into(), open_breaker_until: Some(T0 + 60_000) },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.host_state("server1.example").await.unwrap().unwrap().signature_scheme.as_deref(),
        Some("draft-cavage")
    );
    assert_eq!(
        store.host_state("server2.example").await.unwrap().unwrap().breaker_open_until,
        Some(T0 + 60_000)
    );
    assert_eq!(store.queue_depth(T0).await.unwrap().open_breakers, 1);

    let edited = store
        .edit_announcement(
            AnnouncementEdit {
                id: published.id,
                updated_at: T0 + 10,
                hashtags: vec![],
                body: AnnouncementBody {
                    source_text: "Straße wieder frei".into(),
                    content_html: "<p>Straße wieder frei</p>".into(),
                    language: Some("de".into()),
                    summary: None,
                    translations: vec![],
                    attachments: vec![],
                    mentions: vec![],
                    in_reply_to: None,
                    reply_audience: None,
                },
            },
            to_followers(&account, "Update"),
            audit("announcement.edit", "a"),
        )
        .await
        .unwrap();
    assert_eq!((edited.body.source_text.as_str(), edited.updated_at), ("Straße wieder frei", Some(T0 + 10)));
    assert!(edited.body.translations.is_empty());

    let retracted = store
        .retract_announcement(
            published.id,
            T0 + 20,
            to_followers(&account, "Delete"),
            vec![],
            audit("announcement.retract", "a"),
        )
        .await
        .unwrap();
    assert_eq!(retracted.retracted_at, Some(T0 + 20));
    assert!(store.announcements(account.id, 10, 0).await.unwrap().is_empty(), "retracted ones are left out");
    assert!(store.announcement_with_id(published.id).await.unwrap().is_some());
    // Staff lists keep them, marked; for its organisation only.
    let listed = store.recent_announcements("city", Some(account.id), 10).await.unwrap();
    assert_eq!(listed.iter().map(|a| a.retracted_at).collect::<Vec<_>>(), [Some(T0 + 20)]);
    assert_eq!(store.recent_announcements("city", None, 10).await.unwrap().len(), 1);
    assert!(store.recent_announcements("other", None, 10).await.unwrap().is_empty());
    assert!(store.acquire_job("retention", "node-a", T0, T0 + 1_000).await.unwrap());
    assert!(!store.acquire_job("retention", "node-b", T0 + 1, T0 + 1_000).await.unwrap());
    assert!(store.acquire_job("retention", "node-b", T0 + 1_001, T0 + 2_000).await.unwrap());
}

async fn the_audit_trail_grows_in_order_with_checkpoints(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    org_and_account(store).await;
    store
        .record_audit(
            AuditEntry::new("operator", "audit.verify", "trail").with_detail(serde_json::json!({"ok": true})),
        )
        .await
        .unwrap();
    assert_eq!(store.audit_size().await.unwrap(), 3);
    let entries = store.audit_entries(0, 10).await.unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.leaf.action.as_str()).collect();
    assert_eq!(actions, ["org.create", "account.create", "audit.verify"]);
    assert!(entries.windows(2).all(|w| w[0].leaf.seq < w[1].leaf.seq));
    assert_eq!(store.audit_entries(2, 10).await.unwrap().len(), 1);
    assert_eq!(store.last_audit_payload("audit.verify").await.unwrap().as_deref(), Some(r#"{"ok":true}"#));

    let checkpoint = StoredCheckpoint {
        tree_size: 3,
        root_hash: "abc".into(),
        note: "signed note".into(),
        created_at: T0,
    };
    store.save_checkpoint(&checkpoint).await.unwrap();
    assert_eq!(store.checkpoints().await.unwrap(), vec![checkpoint]);
    store.record_security_event("inbox.rejected", "pseudonym", "bad signature").await.unwrap();
}

async fn a_subject_is_found_and_erased(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    store.add_follower(follower(&account, 1), accept(&account, 1)).await.unwrap();
    let uri = "https://server1.example/users/citizen";
    let data = store.subject_data(uri, &herold_store::Visibility::everything()).await.unwrap();
    assert_eq!(data.follows.len(), 1);
    assert_eq!(data.follows[0].org, "city");
    assert_eq!(data.activities_to_them.len(), 1, "the Accept of their Follow");

    let held =
        store.erase_subject(uri, &["city".to_owned()], None, audit("subject.erase", "-")).await.unwrap();
    assert_eq!((held.follows_removed, held.follows_held), (0, 1), "a legal hold keeps the follow");
    let erased = store.erase_subject(uri, &[], None, audit("subject.erase", "-")).await.unwrap();
    assert_eq!(erased.follows_removed, 1);
    let after = store.subject_data(uri, &herold_store::Visibility::everything()).await.unwrap();
    assert!(after.follows.is_empty() && after.activities_to_them.is_empty(), "{after:?}");
}

async fn retention_counts_and_purges_what_expired(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    store.add_follower(follower(&account, 1), accept(&account, 1)).await.unwrap();
    let published = store
        .publish(
            announcement(&account, "Hinweis"),
            vec![to_followers(&account, "Create")],
            audit("announcement.publish", "a"),
        )
        .await
        .unwrap();
    let finished_at = herold_domain::now_millis();
    deliver_everything(store, finished_at).await;

    // What has expired is hidden from readers before any purge, unless held.
    let everything = Visibility::everything();
    let expired =
        Visibility::everything().limit(DataClass::DeliveryRecords, None, Some(0)).at(finished_at + 1);
    assert_eq!(store.delivery_stats(None, &everything).await.unwrap().delivered, 2);
    assert_eq!(store.delivery_stats(None, &expired).await.unwrap().delivered, 0, "hidden before the purge");
    let held = expired.clone().hold("city");
    assert_eq!(store.delivery_stats(Some(published.id), &held).await.unwrap().delivered, 1, "legal hold");

    let cutoffs = [ClassCutoff {
        class: DataClass::DeliveryRecords,
        org: Some("city".into()),
        cutoff: finished_at + 1,
    }];
    let plan = store.retention_plan(&cutoffs).await.unwrap();
    let count = |counts: &[ClassCount]| counts.iter().map(|c| c.count).sum::<i64>();
    assert_eq!(count(&plan), 2, "the Accept and the Create, both delivered: {plan:?}");
    let rows = store.retention_rows(&cutoffs[0]).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| serde_json::from_str::<serde_json::Value>(row).unwrap().is_object()));

    let earlier = [ClassCutoff { cutoff: finished_at - 1, ..cutoffs[0].clone() }];
    assert_eq!(
        count(&store.retention_plan(&earlier).await.unwrap()),
        0,
        "nothing finished before the cutoff"
    );

    // For every class, what a run counts is what the archive receives, row for row.
    let everything: Vec<ClassCutoff> = DataClass::ALL
        .into_iter()
        .map(|class| ClassCutoff {
            class,
            org: class.per_org().then(|| "city".to_owned()),
            cutoff: finished_at + 1,
        })
        .collect();
    for (cutoff, counted) in everything.iter().zip(store.retention_plan(&everything).await.unwrap()) {
        let archived = store.retention_rows(cutoff).await.unwrap();
        assert_eq!(archived.len() as i64, counted.count, "{:?}: {archived:?}", cutoff.class);
    }

    let applied = store.retention_apply(&cutoffs, audit("retention.apply", "run")).await.unwrap();
    assert_eq!(count(&applied), 2);
    assert_eq!(count(&store.retention_plan(&cutoffs).await.unwrap()), 0);
    assert!(store.last_audit_payload("retention.apply").await.unwrap().is_some(), "the run is audited");
}

fn person(subject: &str, roles: &[Role]) -> StaffSignIn {
    StaffSignIn {
        org_slug: "city".into(),
        issuer: "https://sso.example".into(),
        subject: subject.into(),
        name: format!("Person {subject}"),
        email: Some(format!("{subject}@city.example")),
        roles: Roles::new(roles.iter().copied()),
    }
}

fn session(token: &str, sid: Option<&str>) -> NewSession {
    NewSession {
        token_hash: token.into(),
        csrf: format!("csrf-{token}"),
        provider_sid: sid.map(str::to_owned),
        id_token: None,
        idle_ms: 3_600_000,
        expires_at: T0 + 8 * 3_600_000,
    }
}

async fn a_session_lives_from_sign_in_to_sign_out(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    org_and_account(store).await;
    let attempt = SignInAttempt {
        token_hash: "attempt".into(),
        org_slug: "city".into(),
        state: "state".into(),
        nonce: "nonce".into(),
        pkce_verifier: "verifier".into(),
        created_at: T0,
    };
    store.start_sign_in(attempt.clone(), T0 - 600_000).await.unwrap();
    assert_eq!(store.take_sign_in("attempt", T0 - 1).await.unwrap(), Some(attempt));
    assert_eq!(store.take_sign_in("attempt", T0 - 1).await.unwrap(), None, "a callback works once");

    let live =
        store.sign_in(person("anna", &[Role::Author]), session("t1", Some("sid-1")), T0).await.unwrap();
    assert!(live.roles.has(Role::Author) && !live.roles.has(Role::Approver));
    assert_eq!(live.staff.name, "Person anna");
    let promoted = store
        .sign_in(person("anna", &[Role::Author, Role::Approver]), session("t2", Some("sid-2")), T0 + 1)
        .await
        .unwrap();
    assert_eq!(promoted.staff.id, live.staff.id, "the same person signs in again");
    assert!(promoted.roles.has(Role::Approver));

    let seen = store.session("t1", T0 + 60_000).await.unwrap().expect("live");
    assert_eq!(seen.csrf, "csrf-t1");
    assert!(store.session("t1", T0 + 60_000 + 3_600_001).await.unwrap().is_none(), "idle too long");
    assert!(store.end_session("t2", T0 + 2).await.unwrap().is_some());
    assert!(store.session("t2", T0 + 3).await.unwrap().is_none());

    store.sign_in(person("anna", &[Role::Author]), session("t3", Some("sid-3")), T0 + 4).await.unwrap();
    assert_eq!(
        store.end_provider_sessions("https://sso.example", Some("sid-3"), None, T0 + 5).await.unwrap(),
        1
    );
    assert!(store.session("t3", T0 + 6).await.unwrap().is_none());

    let cms = store.api_client(person("cms", &[Role::Author]), T0).await.unwrap();
    let staff = store.staff_of_org("city").await.unwrap();
    assert_eq!(staff.len(), 2);
    assert_eq!(store.staff_member(cms.id).await.unwrap().unwrap().subject, "cms");
}

async fn a_draft_goes_through_four_eyes_to_publication(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    let author = store.sign_in(person("anna", &[Role::Author]), session("a", None), T0).await.unwrap().staff;
    let approver =
        store.sign_in(person("ben", &[Role::Approver]), session("b", None), T0).await.unwrap().staff;
    let content = DraftContent {
        source_text: "Bürgeramt geschlossen".into(),
        language: Some("de".into()),
        translations: vec![DraftTranslation {
            language: "en".into(),
            text: "Citizens' office closed".into(),
        }],
        summary: None,
        urgent: true,
        publish_at: None,
        mentions: vec![],
        in_reply_to: None,
        reply_audience: None,
    };
    let draft = store
        .create_draft(
            NewDraft {
                public_id: "d1".into(),
                account_id: account.id,
                kind: DraftKind::Create,
                announcement_id: None,
                author_id: author.id,
                content: content.clone(),
                media: vec![],
                answers: None,
            },
            audit("draft.create", "d1"),
        )
        .await
        .unwrap();
    assert_eq!(
        (draft.state, draft.kind, draft.account_username.as_str()),
        (DraftState::Draft, DraftKind::Create, "press")
    );
    assert_eq!(draft.content, content);

    let as_author = Actor::Staff { id: author.id, roles: author.roles.clone() };
    let as_approver = Actor::Staff { id: approver.id, roles: approver.roles.clone() };
    let submit = Transition::new(DraftState::Draft, Step::Submit, &as_author, author.id, true).unwrap();
    let submitted = store
        .step_draft(draft.id, &submit, StepDetails::default(), audit("draft.submit", "d1"))
        .await
        .unwrap();
    assert_eq!(submitted.state, DraftState::Submitted);
    let again =
        store.step_draft(draft.id, &submit, StepDetails::default(), audit("draft.submit", "d1")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "someone moved it first: {again:?}");
    assert_eq!(
        store
            .drafts("city", &[DraftState::Submitted], 10, &herold_store::Visibility::everything())
            .await
            .unwrap()
            .len(),
        1
    );

    let approve =
        Transition::new(DraftState::Submitted, Step::Approve, &as_approver, author.id, true).unwrap();
    let stale = StepDetails { seen_revision: Some(submitted.revision - 1), ..StepDetails::default() };
    assert!(
        store.step_draft(draft.id, &approve, stale, audit("draft.approve", "d1")).await.is_err(),
        "an approval names what it saw"
    );
    let seen = StepDetails { seen_revision: Some(submitted.revision), ..StepDetails::default() };
    let approved = store.step_draft(draft.id, &approve, seen, audit("draft.approve", "d1")).await.unwrap();
    assert_eq!((approved.state, approved.reviewer_id), (DraftState::Approved, Some(approver.id)));
    assert_eq!(store.due_drafts(T0, 10).await.unwrap().len(), 1);

    // Moved to a later time after the scheduler read it as due: the scheduler's stale
    // publication is refused, and it goes out at the new time.
    let publish =
        Transition::new(DraftState::Approved, Step::Publish, &Actor::System, author.id, true).unwrap();
    let reschedule =
        Transition::new(DraftState::Approved, Step::Reschedule, &as_approver, author.id, true).unwrap();
    let later = StepDetails { publish_at: Some(T0 * 2), ..StepDetails::default() };
    let moved =
        store.step_draft(draft.id, &reschedule, later, audit("draft.reschedule", "d1")).await.unwrap();
    assert_eq!((moved.state, moved.content.publish_at), (DraftState::Approved, Some(T0 * 2)));
    let stale = store
        .publish_draft(
            draft.id,
            &publish,
            announcement(&account, "Bürgeramt geschlossen"),
            vec![to_followers(&account, "Create")],
            audit("draft.publish", "d1"),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "not before its new time: {stale:?}");
    let now = StepDetails { publish_at: Some(herold_domain::now_millis()), ..StepDetails::default() };
    store.step_draft(draft.id, &reschedule, now, audit("draft.reschedule", "d1")).await.unwrap();

    let published = store
        .publish_draft(
            draft.id,
            &publish,
            announcement(&account, "Bürgeramt geschlossen"),
            vec![to_followers(&account, "Create")],
            audit("draft.publish", "d1"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.draft("d1", &herold_store::Visibility::everything()).await.unwrap().unwrap().state,
        DraftState::Published
    );
    assert!(store.due_drafts(T0, 10).await.unwrap().is_empty());
    let history = store.drafts_of_announcement(published.id).await.unwrap();
    assert_eq!(history.iter().map(|d| d.public_id.as_str()).collect::<Vec<_>>(), ["d1"]);
}

fn subscriber(host: &str, state: SubscriptionState) -> NewSubscriber {
    NewSubscriber {
        actor_uri: format!("https://{host}/actor"),
        host: host.into(),
        inbox: format!("https://{host}/inbox"),
        follow_id: format!("https://{host}/follows/relay"),
        style: SubscriptionStyle::Mastodon,
        state,
        follow_back_id: None,
    }
}

fn relay_activity(kind: &str) -> NewActivity {
    NewActivity {
        uri: format!("https://herold.example/relay/{}", uuid::Uuid::new_v4()),
        kind: kind.into(),
        account_id: None,
        signer: Some("relay".into()),
        body: "{}".into(),
        audience: Audience::RelaySubscribers { style: None, except_host: Some("origin.example".into()) },
        priority: Priority::Routine,
    }
}

async fn the_relay_subscribes_blocks_and_forwards_once(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let relay_audit = || AuditEntry::new("system", "relay.subscribe", "-");
    let active = store
        .relay_subscribe(subscriber("one.example", SubscriptionState::Active), vec![], relay_audit())
        .await
        .unwrap();
    assert_eq!(active.state, SubscriptionState::Active);
    store
        .relay_subscribe(subscriber("two.social", SubscriptionState::Active), vec![], relay_audit())
        .await
        .unwrap();
    store
        .relay_subscribe(subscriber("origin.example", SubscriptionState::Active), vec![], relay_audit())
        .await
        .unwrap();
    store
        .relay_subscribe(subscriber("wait.example", SubscriptionState::Pending), vec![], relay_audit())
        .await
        .unwrap();
    assert!(store.relay_pending_from_host("wait.example", "https://wait.example/other").await.unwrap());
    let mut counts = store.relay_counts().await.unwrap();
    counts.sort();
    assert_eq!(counts, vec![("active".to_owned(), 3), ("pending".to_owned(), 1)]);

    let approved =
        store.relay_approve("https://wait.example/actor", vec![], None, relay_audit()).await.unwrap();
    assert_eq!(approved.map(|s| s.state), Some(SubscriptionState::Active));

    assert_eq!(store.relay_block("social", vec![], relay_audit()).await.unwrap(), 1, "two.social ends");
    assert_eq!(store.relay_blocks().await.unwrap(), vec!["social".to_owned()]);
    assert!(store.relay_subscriber("https://two.social/actor").await.unwrap().is_none());
    assert!(store.relay_unblock("social", relay_audit()).await.unwrap());

    let seen = ["https://origin.example/notes/1".to_owned()];
    assert!(store.relay_forward(&seen, &[relay_activity("Announce")]).await.unwrap());
    assert!(!store.relay_forward(&seen, &[relay_activity("Announce")]).await.unwrap(), "sent once");
    let claimed = claim_all(store, Lane::Announcements, herold_domain::now_millis()).await;
    let mut hosts: Vec<_> = claimed.iter().map(|d| d.host.as_str()).collect();
    hosts.sort();
    assert_eq!(hosts, ["one.example", "wait.example"], "never back to where it came from");

    assert!(store.relay_publisher_add("origin.example", vec![], relay_audit()).await.unwrap());
    assert_eq!(store.relay_publishers().await.unwrap(), vec!["origin.example".to_owned()]);
    assert!(store
        .relay_unsubscribe(
            "https://one.example/actor",
            Some("https://one.example/follows/relay"),
            vec![],
            relay_audit()
        )
        .await
        .unwrap());
    assert_eq!(store.relay_subscribers().await.unwrap().len(), 2);
}

fn quote_stamp(account: &Account, announcement: &Announcement, requester: &str) -> NewStamp {
    NewStamp {
        public_id: uuid::Uuid::new_v4().to_string(),
        account_id: account.id,
        kind: StampKind::Quote,
        announcement_id: Some(announcement.id),
        target: format!("https://herold.example/users/press/announcements/{}", announcement.public_id),
        interacting_object: "https://quoter.example/notes/1".into(),
        requester: requester.into(),
        requester_inbox: "https://quoter.example/inbox".into(),
    }
}

fn stamp_accept(stamp: &Stamp) -> NewActivity {
    NewActivity {
        uri: format!("https://herold.example/activities/{}", uuid::Uuid::new_v4()),
        kind: "Accept".into(),
        account_id: Some(stamp.account_id),
        signer: None,
        body: serde_json::json!({ "type": "Accept", "result": stamp.public_id }).to_string(),
        audience: Audience::Inboxes(vec![stamp.requester_inbox.clone()]),
        priority: Priority::Answer,
    }
}

async fn consents_are_given_once_and_taken_back_with_their_announcement(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    let published = store
        .publish(announcement(&account, "Straße gesperrt"), vec![], audit("announcement.publish", "a"))
        .await
        .unwrap();
    let quoter = "https://quoter.example/users/anna";
    let granted = |action: &'static str| async move {
        store
            .audit_count(&AuditFilter { action: Some(action.into()), ..AuditFilter::default() })
            .await
            .unwrap()
    };

    let first = store
        .grant_stamp(quote_stamp(&account, &published, quoter), &stamp_accept, audit("quote.authorize", "a"))
        .await
        .unwrap();
    assert!(signalled(store).await, "the Accept is queued");
    assert_eq!(granted("quote.authorize").await, 1);
    // Asked again (a retry), the same stamp is accepted again and nothing new is recorded.
    let again = store
        .grant_stamp(quote_stamp(&account, &published, quoter), &stamp_accept, audit("quote.authorize", "a"))
        .await
        .unwrap();
    assert_eq!(again.public_id, first.public_id);
    assert_eq!(granted("quote.authorize").await, 1);
    assert_eq!(claim_all(store, Lane::Answers, T0 + 1).await.len(), 2, "two Accepts, one stamp");
    let other = "https://elsewhere.example/users/mallory";
    let taken = store
        .grant_stamp(quote_stamp(&account, &published, other), &stamp_accept, audit("quote.authorize", "a"))
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "another server cannot claim the quote: {taken:?}"
    );
    // A server minting quote posts gets a few stamps per announcement, not an audit entry each.
    for n in 2..=StampKind::Quote.max_per_requester() + 1 {
        let mut more = quote_stamp(&account, &published, quoter);
        more.interacting_object = format!("https://quoter.example/notes/{n}");
        let granted = store.grant_stamp(more, &stamp_accept, audit("quote.authorize", "a")).await;
        assert!(granted.is_ok() == (n <= StampKind::Quote.max_per_requester()), "stamp {n}: {granted:?}");
    }
    assert_eq!(granted("quote.authorize").await, StampKind::Quote.max_per_requester());
    assert_eq!(store.stamp(&first.public_id).await.unwrap(), Some(first.clone()));
    let live = store.live_stamps_of(published.id).await.unwrap();
    assert_eq!(live.len() as i64, StampKind::Quote.max_per_requester());
    assert_eq!(live[0], first);
    let consents = store.subject_data(quoter, &Visibility::everything()).await.unwrap().consents;
    assert_eq!(consents.len() as i64, StampKind::Quote.max_per_requester());
    assert_eq!((consents[0].kind.as_str(), consents[0].org.as_str()), ("quote", "city"));

    // A retraction that does not take back every standing consent changes nothing.
    let unaware = store
        .retract_announcement(published.id, T0 + 5, to_followers(&account, "Delete"), vec![], audit("r", "a"))
        .await;
    assert!(matches!(unaware, Err(StoreError::Conflict(_))), "{unaware:?}");
    assert!(store.announcements(account.id, 10, 0).await.unwrap().len() == 1, "still published");
    let revocations = live.iter().map(|s| Revocation { stamp_id: s.id, delete: stamp_accept(s) }).collect();
    store
        .retract_announcement(
            published.id,
            T0 + 5,
            to_followers(&account, "Delete"),
            revocations,
            audit("announcement.retract", "a"),
        )
        .await
        .unwrap();
    assert!(store.stamp(&first.public_id).await.unwrap().unwrap().revoked_at.is_some());
    assert!(store.live_stamps_of(published.id).await.unwrap().is_empty());
    let late = store
        .grant_stamp(quote_stamp(&account, &published, quoter), &stamp_accept, audit("quote.authorize", "a"))
        .await;
    assert!(matches!(late, Err(StoreError::NotFound(_))), "a retracted announcement is not quoted: {late:?}");

    let erased = store.erase_subject(quoter, &[], None, audit("subject.erase", "-")).await.unwrap();
    assert_eq!(erased.consents_removed, StampKind::Quote.max_per_requester());
    assert!(store.stamp(&first.public_id).await.unwrap().is_none());
}

fn message(account: &Account, n: u32, sender: &str, announcement: Option<i64>) -> NewMessage {
    NewMessage {
        public_id: format!("message-{n}"),
        account_id: account.id,
        announcement_id: announcement,
        kind: if announcement.is_some() { MessageKind::Reply } else { MessageKind::Mention },
        object_uri: format!("{sender}/statuses/{n}"),
        url: None,
        sender_uri: sender.to_owned(),
        content: format!("Frage {n}"),
        language: Some("de".into()),
        visibility: "public".into(),
    }
}

async fn citizens_messages_arrive_change_go_and_are_worked_on(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    let account = org_and_account(store).await;
    let published = store
        .publish(announcement(&account, "Straße gesperrt"), vec![], audit("announcement.publish", "a"))
        .await
        .unwrap();
    let anna = "https://social.example/users/anna";
    let everything = Visibility::everything();
    let seen = &everything;
    let all = |states: &'static [MessageState]| {
        let filter = MessageFilter { states: states.to_vec(), ..MessageFilter::default() };
        async move { store.messages("city", &filter, None, 10, seen).await }
    };

    assert!(store.receive_message(message(&account, 1, anna, Some(published.id))).await.unwrap());
    assert!(store.receive_message(message(&account, 2, anna, None)).await.unwrap());
    assert!(!store.receive_message(message(&account, 1, anna, Some(published.id))).await.unwrap(), "once");
    let listed = all(&[]).await.unwrap();
    assert_eq!(listed.iter().map(|m| m.public_id.as_str()).collect::<Vec<_>>(), ["message-2", "message-1"]);
    assert_eq!(listed[1].announcement_public_id.as_deref(), Some(published.public_id.as_str()));
    let none = MessageFilter::default();
    assert!(store.messages("other", &none, None, 10, &Visibility::everything()).await.unwrap().is_empty());
    // Paged by id, newest first.
    let older =
        store.messages("city", &none, Some(listed[0].id), 10, &Visibility::everything()).await.unwrap();
    assert_eq!(older.len(), 1);

    // Only the sender changes or removes their post.
    let mallory = "https://elsewhere.example/users/mallory";
    assert_eq!(
        store
            .revise_message(mallory, &format!("{anna}/statuses/1"), "Gefälscht", None, "public")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .revise_message(anna, &format!("{anna}/statuses/1"), "Frage 1, genauer", None, "public")
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.remove_message(mallory, &format!("{anna}/statuses/2")).await.unwrap(), 0);
    assert_eq!(store.remove_message(anna, &format!("{anna}/statuses/2")).await.unwrap(), 1);

    let marked = store
        .set_message_state(
            "city",
            "message-1",
            MessageState::Answered,
            audit("message.mark", "message:message-1"),
        )
        .await
        .unwrap();
    assert_eq!((marked.state, marked.content.as_str()), (MessageState::Answered, "Frage 1, genauer"));
    assert_eq!(store.open_messages("city", &Visibility::everything()).await.unwrap(), 0);
    assert_eq!(all(&[MessageState::Answered]).await.unwrap().len(), 1);
    let elsewhere = store
        .set_message_state(
            "other",
            "message-1",
            MessageState::Abusive,
            audit("message.mark", "message:message-1"),
        )
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound(_))),
        "another organisation's message: {elsewhere:?}"
    );
    let marks = AuditFilter { action: Some("message.mark".into()), ..AuditFilter::default() };
    assert_eq!(store.audit_count(&marks).await.unwrap(), 1, "audited with the change, and only then");
    let answered_at = marked.answered_at.expect("answered when marked so");
    assert!(answered_at >= marked.received_at);

    // Given to someone of the organisation, never of another.
    let anna_staff =
        store.sign_in(person("anna", &[Role::Author]), session("a", None), T0).await.unwrap().staff;
    let given = store
        .assign_message(
            "city",
            "message-1",
            Some(anna_staff.id),
            audit("message.assign", "message:message-1"),
        )
        .await
        .unwrap();
    assert_eq!(
        (given.assignee_id, given.assignee_name.as_deref()),
        (Some(anna_staff.id), Some("Person anna"))
    );
    let hers = MessageFilter { assignee: Some(anna_staff.id), ..MessageFilter::default() };
    assert_eq!(store.messages("city", &hers, None, 10, &everything).await.unwrap().len(), 1);
    let elsewhere = store.assign_message("other", "message-1", None, audit("message.assign", "m")).await;
    assert!(matches!(elsewhere, Err(StoreError::NotFound(_))), "{elsewhere:?}");
    store
        .create_org(NewOrg { slug: "town".into(), name: "Town".into() }, audit("org.create", "town"))
        .await
        .unwrap();
    let mut stranger = person("sam", &[Role::Author]);
    stranger.org_slug = "town".into();
    let sam = store.sign_in(stranger, session("s", None), T0).await.unwrap().staff;
    let foreign = store.assign_message("city", "message-1", Some(sam.id), audit("message.assign", "m")).await;
    assert!(matches!(foreign, Err(StoreError::NotFound(_))), "staff of another organisation: {foreign:?}");

    // Figures: one message left, answered once; open again, it is past any deadline from now.
    let figures = store.dialogue_figures("city", 0, 0, &everything).await.unwrap();
    assert_eq!((figures.received, figures.answer_times.len(), figures.open_past_deadline), (1, 1, 0));
    let reopened = store
        .set_message_state(
            "city",
            "message-1",
            MessageState::Open,
            audit("message.mark", "message:message-1"),
        )
        .await
        .unwrap();
    assert_eq!(reopened.answered_at, None, "opened again, no longer answered");
    let later = herold_domain::now_millis() + 1;
    let figures = store.dialogue_figures("city", 0, later, &everything).await.unwrap();
    assert_eq!((figures.answer_times.len(), figures.open_past_deadline), (0, 1));

    // A passed deadline is noted once, with its audit entry.
    assert!(store.unnoted_overdue("city", 0, 10, &everything).await.unwrap().is_empty(), "none due yet");
    let due = store.unnoted_overdue("city", later, 10, &everything).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(store.note_overdue(due[0].id, audit("message.overdue", "message:message-1")).await.unwrap());
    assert!(!store.note_overdue(due[0].id, audit("message.overdue", "message:message-1")).await.unwrap());
    assert!(store.unnoted_overdue("city", later, 10, &everything).await.unwrap().is_empty());
    let overdue = AuditFilter { action: Some("message.overdue".into()), ..AuditFilter::default() };
    assert_eq!(store.audit_count(&overdue).await.unwrap(), 1);

    // Someone erased gives back what they had.
    store.erase_staff(anna_staff.id, audit("staff.erase", "staff")).await.unwrap();
    assert_eq!(store.message("city", "message-1", &everything).await.unwrap().unwrap().assignee_id, None);
}

async fn notifications_are_made_once_read_and_erased_with_their_reader(db: Db) {
    let f = open(db).await;
    let store = &*f.store;
    org_and_account(store).await;
    let anna = store.sign_in(person("anna", &[Role::Author]), session("a", None), T0).await.unwrap().staff;
    let ben = store.sign_in(person("ben", &[Role::Approver]), session("b", None), T0).await.unwrap().staff;
    let everything = Visibility::everything();
    let told = |kind| NewNotification {
        staff_id: anna.id,
        kind,
        draft: "d1".into(),
        by_staff: Some(ben.id),
        excerpt: "Bürgeramt geschlossen".into(),
        comment: Some("Bitte kürzen".into()),
    };
    let from = store.notification_cursor().await.unwrap();
    assert!(store.add_notifications(from, from + 3, vec![told(NotificationKind::Rejected)]).await.unwrap());
    // A second process that read from the same place adds nothing.
    assert!(!store.add_notifications(from, from + 3, vec![told(NotificationKind::Rejected)]).await.unwrap());
    assert_eq!(store.notification_cursor().await.unwrap(), from + 3);
    let listed = store.notifications(anna.id, "city", 10, &everything).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].by_name.as_deref(), listed[0].comment.as_deref()),
        (Some("Person ben"), Some("Bitte kürzen"))
    );
    assert_eq!(store.unread_notifications(anna.id, "city", &everything).await.unwrap(), 1);
    assert!(store.notifications(ben.id, "city", 10, &everything).await.unwrap().is_empty(), "each their own");
    assert_eq!(store.read_notifications(anna.id, T0 + 1).await.unwrap(), 1);
    assert_eq!(store.unread_notifications(anna.id, "city", &everything).await.unwrap(), 0);
    store.erase_staff(anna.id, audit("staff.erase", "staff")).await.unwrap();
    assert!(store.notifications(anna.id, "city", 10, &everything).await.unwrap().is_empty());
}
