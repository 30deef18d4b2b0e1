//! A fixed pool of signing threads, one per core. RSA signing is the delivery path's one
//! CPU-heavy step; running it on `spawn_blocking` would start a thread per in-flight
//! delivery (up to hundreds), which then fight over the cores. A pool the size of the
//! machine keeps the cores busy with signatures and leaves the async runtime responsive.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::keys::Signer;
use crate::FederationError;

type Job = (Arc<Signer>, String, oneshot::Sender<Result<Vec<u8>, FederationError>>);

#[derive(Clone)]
pub struct SigningPool {
    jobs: SyncSender<Job>,
}

impl SigningPool {
    pub fn new(threads: usize) -> Self {
        let (jobs, rx) = sync_channel::<Job>(threads * 64);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let _ = std::thread::Builder::new().name(format!("herold-sign-{i}")).spawn(move || work(&rx));
        }
        SigningPool { jobs }
    }

    /// One thread per available core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub async fn sign(&self, signer: Arc<Signer>, message: String) -> Result<Vec<u8>, FederationError> {
        let (tx, rx) = oneshot::channel();
        let jobs = self.jobs.clone();
        // The queue is bounded; when it is full, wait without holding a runtime thread.
        let job = (signer, message, tx);
        match jobs.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|_| FederationError::Key("signing pool is gone".into()))?
                    .map_err(|_| FederationError::Key("signing pool is gone".into()))?;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(FederationError::Key("signing pool is gone".into()));
            }
        }
        rx.await.map_err(|_| FederationError::Key("signing thread failed".into()))?
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((signer, message, reply)) = job else { return };
        let _ = reply.send(signer.sign(message.as_bytes()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn signs_concurrently_and_correctly() {
        let key = crate::keys::generate_rsa_2048().unwrap();
        let signer = Signer::from_pkcs8("k".into(), &key.pkcs8_der).unwrap();
        let public = crate::keys::PublicKey::from_pem(&key.public_key_pem).unwrap();
        let pool = SigningPool::new(2);
        let sigs = futures_join(&pool, &signer).await;
        for (i, sig) in sigs.into_iter().enumerate() {
            assert!(public.verify(format!("m{i}").as_bytes(), &sig));
        }
    }

    async fn futures_join(pool: &SigningPool, signer: &Arc<Signer>) -> Vec<Vec<u8>> {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let pool = pool.clone();
                let signer = signer.clone();
                tokio::spawn(async move { pool.sign(signer, format!("m{i}")).await.unwrap() })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
