//! Data set up directly in the store, for tests and benchmarks that need many followers or
//! a look into every table.

use herold_store::{Audience, NewActivity, NewFollower, Priority, Store};

use crate::spawn::TestDatabase;

/// Adds a follower without the Follow handshake (so no Accept is queued).
pub async fn add_follower(store: &dyn Store, account_id: i64, actor: &str, inbox: &str) {
    let no_accept = NewActivity {
        signer: None,
        uri: format!("{actor}#accept-{}", uuid::Uuid::new_v4()),
        kind: "Accept".into(),
        account_id: Some(account_id),
        body: "{}".into(),
        audience: Audience::Inboxes(vec![]),
        priority: Priority::Routine,
    };
    let follower = NewFollower {
        account_id,
        actor_uri: actor.into(),
        inbox: inbox.into(),
        follow_id: format!("{actor}#follow"),
    };
    store.add_follower(follower, no_accept).await.expect("add follower");
}

/// Every `table.column` of the database whose text contains `needle`.
pub async fn columns_containing(db: &TestDatabase, needle: &str) -> Vec<String> {
    let pattern = format!("%{needle}%");
    let mut hits = Vec::new();
    macro_rules! scan {
        ($pool:expr, $catalog:expr) => {{
            let pool = $pool;
            let columns: Vec<(String, String)> =
                sqlx::query_as($catalog).fetch_all(&pool).await.expect("catalogue");
            assert!(columns.len() > 20, "the catalogue query sees the schema");
            for (table, column) in columns {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE $1");
                let (n,): (i64,) = sqlx::query_as(&sql).bind(&pattern).fetch_one(&pool).await.expect("scan");
                if n > 0 {
                    hits.push(format!("{table}.{column}"));
                }
            }
            pool.close().await;
        }};
    }
    if db.url.starts_with("sqlite:") {
        scan!(
            sqlx::SqlitePool::connect(&db.url).await.expect("sqlite"),
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        );
    } else {
        scan!(
            sqlx::PgPool::connect(&db.url).await.expect("postgres"),
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'"
        );
    }
    hits
}

/// Runs one statement on the test's database directly, as an operator (or an accident)
/// would: for ageing data and for tamper drills.
pub async fn execute(db: &TestDatabase, sql: &str) {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        sqlx::query(sql).execute(&pool).await.expect("statement");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
        sqlx::query(sql).execute(&pool).await.expect("statement");
        pool.close().await;
    }
}

/// The number one `SELECT COUNT(*) …` finds on the test's database.
pub async fn count(db: &TestDatabase, sql: &str) -> i64 {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.expect("count");
        pool.close().await;
        n
    }
}

/// A member of staff of `org` with one role, signed in through the store (no provider).
pub async fn staff_member(
    store: &dyn Store,
    org: &str,
    login: &str,
    role: herold_domain::workflow::Role,
) -> herold_store::StaffMember {
    use herold_domain::workflow::Roles;
    let now = herold_domain::now_millis();
    let who = herold_store::StaffSignIn {
        org_slug: org.into(),
        issuer: "https://idp.test".into(),
        subject: login.into(),
        name: login.into(),
        email: None,
        roles: Roles::new([role]),
    };
    let session = herold_store::NewSession {
        token_hash: format!("{login}-{}", uuid::Uuid::new_v4()),
        csrf: uuid::Uuid::new_v4().to_string(),
        provider_sid: None,
        id_token: None,
        idle_ms: 600_000,
        expires_at: now + 600_000,
    };
    store.sign_in(who, session, now).await.expect("staff sign-in").staff
}

/// A new announcement's draft in German, as `author_id` starts it.
pub fn new_draft(
    account_id: i64,
    author_id: i64,
    text: &str,
    publish_at: Option<herold_domain::Millis>,
) -> herold_store::NewDraft {
    herold_store::NewDraft {
        public_id: uuid::Uuid::new_v4().to_string(),
        account_id,
        kind: herold_store::DraftKind::Create,
        announcement_id: None,
        author_id,
        content: herold_store::DraftContent {
            source_text: text.into(),
            language: Some("de".into()),
            translations: Vec::new(),
            summary: None,
            urgent: false,
            publish_at,
            mentions: Vec::new(),
            in_reply_to: None,
            reply_audience: None,
        },
        media: Vec::new(),
        answers: None,
    }
}

/// An announcement of `account_id` written, submitted and approved by two people of `org`,
/// due at `publish_at`: for tests that run Herold as separate processes and so cannot sign
/// in through a browser. Returns the draft's public id.
pub async fn scheduled_draft(
    store: &dyn Store,
    org: &str,
    account_id: i64,
    text: &str,
    publish_at: herold_domain::Millis,
) -> String {
    use herold_domain::workflow::{Actor, DraftState, Role, Roles, Step, Transition};
    use herold_store::{staff_actor, AuditEntry, StepDetails};
    let author = staff_member(store, org, "scheduler-author", Role::Author).await;
    let approver = staff_member(store, org, "scheduler-approver", Role::Approver).await;
    let public_id = uuid::Uuid::new_v4().to_string();
    let audit = |by: i64, action: &str| {
        AuditEntry::new(&staff_actor(by), action, format!("draft:{public_id}")).in_org(org)
    };
    let mut draft = new_draft(account_id, author.id, text, Some(publish_at));
    draft.public_id = public_id.clone();
    let record = store.create_draft(draft, audit(author.id, "draft.create")).await.expect("draft");
    let as_author = Actor::Staff { id: author.id, roles: Roles::new([Role::Author]) };
    let submit = Transition::new(DraftState::Draft, Step::Submit, &as_author, author.id, true).unwrap();
    let nothing = StepDetails { content: None, review_comment: None, seen_revision: None, publish_at: None };
    let record = store
        .step_draft(record.id, &submit, nothing, audit(author.id, "draft.submit"))
        .await
        .expect("submit");
    let as_approver = Actor::Staff { id: approver.id, roles: Roles::new([Role::Approver]) };
    let approve =
        Transition::new(DraftState::Submitted, Step::Approve, &as_approver, author.id, true).unwrap();
    let seen = StepDetails {
        content: None,
        review_comment: None,
        seen_revision: Some(record.revision),
        publish_at: None,
    };
    store.step_draft(record.id, &approve, seen, audit(approver.id, "draft.approve")).await.expect("approve");
    public_id
}
