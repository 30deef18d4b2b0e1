//! Test support: spawning Herold on either backend, a remote actor we control, and the
//! Fedify peer.

pub mod bench;
pub mod bovine;
pub mod fake_remote;
pub mod fixtures;
pub mod hostile_op;
pub mod mail;
pub mod oidc;
pub mod peer;
pub mod pki;
pub mod spawn;

pub use spawn::{spawn_app, Db, TestApp};

/// Polls `check` until it returns `Some`, or panics after `secs` seconds with `what`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
