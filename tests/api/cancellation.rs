//! A caller may give up on a store call at any moment: actix drops an extractor when the one
//! beside it fails, a deadline runs out, a client hangs up. Whatever point the call had
//! reached, no pooled connection may stay inside a transaction: on SQLite it would keep the
//! write lock (every later write fails), on PostgreSQL later writes on that connection would
//! wait for a commit that never comes.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use herold_domain::audit::AuditSeal;
use herold_store::{AuditEntry, NewOrg, Store};
use herold_tests::spawn::{postgres_admin_url, TestDatabase};
use herold_tests::Db;

/// Polls `fut` `polls` times, pausing between polls so that whatever it asked the database
/// for has been answered, then drops it unfinished.
async fn abandon_after<F: Future>(fut: F, polls: usize) -> bool {
    let mut fut = pin!(fut);
    for _ in 0..polls {
        let ready = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await;
        if ready {
            return true;
        }
        // Not polled meanwhile: an answer that arrives now waits unread, as it does for a
        // future actix is about to drop.
        std::thread::sleep(Duration::from_millis(30));
    }
    false
}

fn org(slug: String) -> (NewOrg, AuditEntry) {
    (NewOrg { slug: slug.clone(), name: slug.clone() }, AuditEntry::new("test", "org.create", slug))
}

async fn open_transactions(db: Db, url: &str) -> i64 {
    match db {
        // A leftover SQLite transaction shows as a write that cannot get the lock.
        Db::Sqlite => 0,
        Db::Postgres => {
            let name = url.rsplit('/').next().unwrap().to_owned();
            let admin = sqlx::PgPool::connect(&postgres_admin_url()).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
            )
            .bind(name)
            .fetch_one(&admin)
            .await
            .unwrap();
            admin.close().await;
            n
        }
    }
}

async fn a_write_abandoned_at_any_point_leaves_no_transaction_open(db: Db) {
    let database = TestDatabase::create(db).await;
    let store: std::sync::Arc<dyn Store> =
        herold_store::connect(&database.url, AuditSeal::new(b"test seal")).await.unwrap();
    store.migrate().await.unwrap();

    let mut finished = 0;
    for polls in 1..=12 {
        for round in 0..3 {
            let (new, audit) = org(format!("abandoned-{polls}-{round}"));
            if abandon_after(store.create_org(new, audit), polls).await {
                finished += 1;
            }
        }
        // Every connection the pool might hand out next must still write, at once.
        let (new, audit) = org(format!("after-{polls}"));
        let write = tokio::time::timeout(Duration::from_secs(3), store.create_org(new, audit)).await;
        assert!(matches!(write, Ok(Ok(_))), "a write after abandoning at poll {polls}: {write:?}");
        assert_eq!(open_transactions(db, &database.url).await, 0, "after abandoning at poll {polls}");
    }
    assert!(finished < 36, "some calls must have been abandoned part-way");
    let ready = tokio::time::timeout(Duration::from_secs(3), store.check_writable()).await;
    assert!(matches!(ready, Ok(Ok(()))), "{ready:?}");

    // The check on release closes only connections left in a transaction: ordinary work
    // keeps reusing the same ones.
    if db == Db::Postgres {
        let before = backends(&database.url).await;
        for n in 0..40 {
            let (new, audit) = org(format!("ordinary-{n}"));
            store.create_org(new, audit).await.unwrap();
            store.list_orgs().await.unwrap();
        }
        let after = backends(&database.url).await;
        assert!(!before.is_empty());
        assert!(
            before.iter().all(|pid| after.contains(pid)),
            "connections were closed: {before:?} → {after:?}"
        );
    }
}

/// The server processes serving one test database.
async fn backends(url: &str) -> Vec<i32> {
    let name = url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&postgres_admin_url()).await.unwrap();
    let pids = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_all(&admin)
        .await
        .unwrap();
    admin.close().await;
    pids
}

on_both_backends!(a_write_abandoned_at_any_point_leaves_no_transaction_open);
