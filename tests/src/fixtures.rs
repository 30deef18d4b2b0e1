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
