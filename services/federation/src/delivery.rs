//! The durable delivery worker: claims leased rows from the store, signs each request once,
//! sends it over pooled connections, and records the outcome. A crash loses nothing: an
//! unfinished row's lease expires and another worker (or the restarted one) takes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herold_domain::{now_millis, Millis};
use herold_store::{Claim, ClaimedDelivery, DeliveryOutcome, HostReport, Lane, Priority, Store};
use rand::Rng;
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::Instrument;
use url::Url;

use crate::fetch::{check_url, describe};
use crate::integrity::ProofKey;
use crate::keys::{KeyEncryptionKey, Signer};
use crate::metrics::Metrics;
use crate::signatures::{BodyDigest, Scheme, SigningPlan};
use crate::signing_pool::SigningPool;
use crate::vocab::AP_CONTENT_TYPE;
use crate::{FederationError, Urls};

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Requests in flight at once, across all hosts. Rows for busy hosts give their slot back
    /// after a second, so slow or dead servers cannot hold the slots healthy ones need.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host: usize,
    /// How long a delivery is retried before it becomes a dead letter.
    pub retry_horizon: Duration,
    pub lease: Duration,
    pub poll_interval: Duration,
    pub request_timeout: Duration,
    pub first_scheme: Scheme,
    pub allow_private: bool,
    /// Consecutive transient failures after which a host's breaker opens.
    pub breaker_threshold: i64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            concurrency: 128,
            per_host: 8,
            retry_horizon: Duration::from_secs(48 * 3600),
            lease: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(15),
            first_scheme: Scheme::Cavage,
            allow_private: false,
            breaker_threshold: 5,
        }
    }
}

/// What the worker signs with: the key that opens account keys, the instance actor's key,
/// and the pool that runs the signatures.
pub struct SigningKeys {
    pub kek: Arc<KeyEncryptionKey>,
    pub instance_signer: Arc<Signer>,
    /// The relay actor's key, for activities the relay sends (Accepts, relayed posts).
    pub relay_signer: Arc<Signer>,
    pub pool: SigningPool,
}

/// `StoredActivity::signer` of what the relay actor signs.
pub const RELAY_SIGNER: &str = "relay";

/// An activity ready to send: its bytes and digest computed once, shared by every delivery.
struct Prepared {
    body: bytes::Bytes,
    digest: BodyDigest,
    signer: Arc<Signer>,
    /// The account's Ed25519 key, for servers that take RFC 9421 signatures made with it;
    /// the instance and relay actors have none.
    ed25519: Option<Arc<ProofKey>>,
    /// When it was prepared: kept at most `PREPARED_TTL`, so that an activity still being
    /// retried after its account's keys were rotated is signed with the new key.
    at: std::time::Instant,
}

const PREPARED_TTL: Duration = Duration::from_secs(60);

/// What a worker knows of a server: its failures in a row, and the signature scheme it
/// took last (`None`: the configured first scheme, or not yet known).
#[derive(Default)]
struct HostMemory {
    failures: i64,
    scheme: Option<Scheme>,
}

pub struct Deliverer {
    /// This worker's name in its heartbeats and on the rows it leases.
    id: String,
    store: Arc<dyn Store>,
    client: reqwest::Client,
    keys: SigningKeys,
    metrics: Arc<Metrics>,
    urls: Urls,
    config: DeliveryConfig,
    global: Arc<Semaphore>,
    /// The share of the slots answers may take (`Priority::Answer`); the rest stay for
    /// announcements, however many remote requests queue answers to slow servers.
    answers: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
    prepared: Mutex<HashMap<i64, Arc<Prepared>>>,
    /// Each account's signers (RSA, and Ed25519 if it has one), with the sealed RSA key they
    /// were opened from.
    signers: Mutex<HashMap<i64, (String, AccountSigners)>>,
    hosts: Mutex<HashMap<String, HostMemory>>,
}

type Outcome = (i64, i64, DeliveryOutcome);

#[derive(Clone)]
struct AccountSigners {
    rsa: Arc<Signer>,
    ed25519: Option<Arc<ProofKey>>,
}

/// At most this many servers are remembered in memory; beyond it, those in good health are
/// forgotten (what matters of them is in the database and comes back with their next claim).
const REMEMBERED_HOSTS: usize = 4096;

impl Deliverer {
    pub fn new(
        store: Arc<dyn Store>,
        client: reqwest::Client,
        keys: SigningKeys,
        metrics: Arc<Metrics>,
        urls: Urls,
        config: DeliveryConfig,
    ) -> Arc<Self> {
        Arc::new(Deliverer {
            id: uuid::Uuid::new_v4().to_string(),
            global: Arc::new(Semaphore::new(config.concurrency)),
            answers: Arc::new(Semaphore::new((config.concurrency / ANSWER_SHARE).max(1))),
            store,
            client,
            keys,
            metrics,
            urls,
            config,
            per_host: Mutex::default(),
            prepared: Mutex::default(),
            signers: Mutex::default(),
            hosts: Mutex::default(),
        })
    }

    /// Runs until `shutdown` turns true; in-flight requests finish and are recorded.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        // Alive before the first claim, and every few seconds after, for as long as it runs.
        self.heartbeat().await;
        let heart = {
            let this = self.clone();
            let mut stop = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let stopping = tokio::select! {
                        _ = tokio::time::sleep(HEARTBEAT) => false,
                        _ = stop.wait_for(|s| *s) => true,
                    };
                    if stopping {
                        break;
                    }
                    this.heartbeat().await;
                }
            })
        };
        let (tx, rx) = mpsc::channel::<Outcome>(4096);
        let writer = tokio::spawn(Self::write_outcomes(self.store.clone(), rx));
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_INTERVAL) {
                last_sweep = Some(std::time::Instant::now());
                self.expire_unreachable().await;
            }
            let claimed = match self.claim_and_dispatch(&tx, &shutdown).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "claiming deliveries failed");
                    0
                }
            };
            if claimed == 0 {
                tokio::select! {
                    // The store says when a commit queued rows, so a publication does not
                    // wait for the next poll.
                    _ = self.store.deliveries_queued() => {}
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        // Wait for every in-flight delivery by taking all permits back.
        let _all = self.global.acquire_many(self.config.concurrency as u32).await;
        drop(tx);
        let _ = writer.await;
        let _ = heart.await;
    }

    async fn heartbeat(&self) {
        if let Err(e) = self.store.worker_heartbeat(&self.id, now_millis()).await {
            // Other workers take this one's rows over after DEAD_AFTER: delivered twice at
            // worst, never lost.
            tracing::warn!(error = %e, "the worker's heartbeat could not be recorded");
        }
    }

    /// Rows of a server whose breaker stays open are tried only when it closes, up to an hour
    /// apart and a few at a time: past their horizon they become dead letters here, on
    /// schedule, instead of one by one over the following hours.
    async fn expire_unreachable(&self) {
        let now = now_millis();
        let created_before = now - self.config.retry_horizon.as_millis() as i64;
        match self.store.expire_deliveries(created_before, now).await {
            Ok(0) => {}
            Ok(n) => {
                self.metrics.expired(n);
                tracing::warn!(count = n, "deliveries to unreachable servers gave up at their retry horizon");
            }
            Err(e) => tracing::error!(error = %e, "expiring deliveries failed"),
        }
    }

    async fn write_outcomes(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Outcome>) {
        let mut batch = Vec::with_capacity(512);
        while rx.recv_many(&mut batch, 512).await > 0 {
            // Batching turns a burst of 10,000 answers into a few dozen transactions.
            if let Err(e) = store.record_outcomes(&batch, now_millis()).await {
                // The rows keep their lease and are retried after it expires: at-least-once.
                tracing::error!(error = %e, count = batch.len(), "recording delivery outcomes failed");
            }
            batch.clear();
        }
    }

    async fn claim_and_dispatch(
        self: &Arc<Self>,
        tx: &mpsc::Sender<Outcome>,
        stop: &watch::Receiver<bool>,
    ) -> Result<usize, FederationError> {
        // Claim only what can start now, so leases do not run out while rows wait in memory.
        // While a fan-out runs, wait for a batch's worth of free slots (or a moment): claiming
        // each slot as it frees up would cost a claim query per delivery.
        let batch = (self.config.concurrency / 8).max(1);
        if self.global.available_permits() < batch {
            drop(self.global.acquire().await);
            let wait = self.global.acquire_many(batch as u32);
            if let Ok(Ok(permits)) = tokio::time::timeout(CLAIM_GATHER, wait).await {
                drop(permits);
            }
        }
        let free = self.global.available_permits();
        if free == 0 {
            return Ok(1);
        }
        let now = now_millis();
        let claim = |lane, limit: usize| Claim {
            now,
            lease_ms: self.config.lease.as_millis() as i64,
            limit: limit.min(512) as i64,
            worker: &self.id,
            alive_since: now - DEAD_AFTER.as_millis() as i64,
            lane,
        };
        let mut rows = self.store.claim_deliveries(claim(Lane::Announcements, free)).await?;
        // Answers take what is left, within their share.
        let room = free.saturating_sub(rows.len()).min(self.answers.available_permits());
        if room > 0 {
            rows.extend(self.store.claim_deliveries(claim(Lane::Answers, room)).await?);
        }
        let n = rows.len();
        // A connection is kept for reuse only while this claim holds more rows for its server:
        // in a fan-out every server takes one request, and 10,000 idle connections would
        // hold more memory than everything else the worker keeps.
        let mut left: HashMap<String, usize> = HashMap::new();
        for row in &rows {
            *left.entry(row.host.clone()).or_default() += 1;
        }
        for row in rows {
            let keep_alive = left.get_mut(&row.host).is_some_and(|n| {
                *n -= 1;
                *n > 0
            });
            let Ok(permit) = self.global.clone().acquire_owned().await else {
                break;
            };
            let answer_permit = if row.priority == Priority::Answer as i64 {
                match self.answers.clone().acquire_owned().await {
                    Ok(p) => Some(p),
                    Err(_) => break,
                }
            } else {
                None
            };
            let this = self.clone();
            let tx = tx.clone();
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let (id, lease) = (row.id, row.lease_until);
                // A row must not outwait its lease in memory behind a slow host: give it back.
                let host_sem = this.host_semaphore(&row.host);
                // A row whose host is busy (slow, or timing out) goes back to the queue after a
                // moment instead of holding a slot that healthy hosts could use.
                let wait = (this.config.lease / 3).min(Duration::from_secs(1));
                // Released at once on shutdown too, so a stopping worker does not sit on rows.
                let acquired = tokio::select! {
                    r = tokio::time::timeout(wait, host_sem.acquire()) => r.ok().and_then(Result::ok),
                    _ = stop.wait_for(|s| *s) => None,
                };
                let Some(_host) = acquired else {
                    this.metrics.delivery(&DeliveryOutcome::Released, 0.0, false);
                    let _ = tx.send((id, lease, DeliveryOutcome::Released)).await;
                    return;
                };
                let failing_host = this.failing(&row.host);
                let started = std::time::Instant::now();
                let span = tracing::info_span!("delivery", host = %row.host, attempt = row.attempts, outcome = tracing::field::Empty);
                let outcome = this.deliver(row, keep_alive).instrument(span.clone()).await;
                span.record("outcome", outcome.label());
                this.metrics.delivery(&outcome, started.elapsed().as_secs_f64(), failing_host);
                let _ = tx.send((id, lease, outcome)).await;
                drop(permit);
                drop(answer_permit);
            });
        }
        Ok(n)
    }

    /// Whether the host's last deliveries failed, as far as this worker knows.
    fn failing(&self, host: &str) -> bool {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner()).get(host).is_some_and(|m| m.failures > 0)
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut map = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, s| Arc::strong_count(s) > 1);
        }
        map.entry(host.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host))).clone()
    }

    async fn prepared(&self, activity_id: i64) -> Result<Arc<Prepared>, FederationError> {
        if let Some(p) = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(&activity_id) {
            if p.at.elapsed() < PREPARED_TTL {
                return Ok(p.clone());
            }
        }
        let activity = self.store.activity_for_delivery(activity_id).await?;
        let signers = match (activity.account_id, activity.signer.as_deref()) {
            (None, Some(RELAY_SIGNER)) => {
                AccountSigners { rsa: self.keys.relay_signer.clone(), ed25519: None }
            }
            (account_id, _) => self.signers(account_id).await?,
        };
        let body = bytes::Bytes::from(activity.body.into_bytes());
        let prepared = Arc::new(Prepared {
            digest: BodyDigest::of(&body),
            body,
            signer: signers.rsa,
            ed25519: signers.ed25519,
            at: std::time::Instant::now(),
        });
        let mut cache = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(activity_id, prepared.clone());
        Ok(prepared)
    }

    /// The account's signers, opened once per key: the account is read again for each new
    /// activity, so a key rotated by another process (the CLI) is used from its next
    /// activity on.
    async fn signers(&self, account_id: Option<i64>) -> Result<AccountSigners, FederationError> {
        let Some(id) = account_id else {
            return Ok(AccountSigners { rsa: self.keys.instance_signer.clone(), ed25519: None });
        };
        let account = self
            .store
            .account_by_id(id)
            .await?
            .ok_or_else(|| FederationError::Key(format!("account {id} is gone")))?;
        if let Some((sealed, s)) = self.signers.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            if *sealed == account.private_key_enc {
                return Ok(s.clone());
            }
        }
        let key_id = self.urls.key_id(&account.username);
        let rsa = Signer::open(
            &self.keys.kek,
            key_id,
            &account.private_key_enc,
            &self.urls.actor(&account.username),
        )?;
        // Rotation replaces both keys at once, so the RSA key says whether these are current.
        let ed25519 = match &account.proof_key_enc {
            Some(sealed) => {
                let key_id = self.urls.proof_key_id(&account.username);
                let der = self.keys.kek.open(sealed, &key_id)?;
                Some(Arc::new(ProofKey::from_pkcs8(key_id, &der)?))
            }
            None => None,
        };
        let signers = AccountSigners { rsa, ed25519 };
        self.signers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (account.private_key_enc, signers.clone()));
        Ok(signers)
    }

    /// How to sign for the row's server: what it took last time, as this worker remembers
    /// it or as the claim read it from the database, else the configured first scheme.
    fn scheme_for(&self, row: &ClaimedDelivery) -> Scheme {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = hosts.get(&row.host) {
            return m.scheme.unwrap_or(self.config.first_scheme);
        }
        if hosts.len() >= REMEMBERED_HOSTS {
            hosts.retain(|_, m| m.failures > 0);
        }
        let scheme = row.host_scheme.as_deref().and_then(Scheme::parse);
        hosts.insert(row.host.clone(), HostMemory { failures: row.host_failures, scheme });
        scheme.unwrap_or(self.config.first_scheme)
    }

    async fn deliver(&self, row: ClaimedDelivery, keep_alive: bool) -> DeliveryOutcome {
        let url = match Url::parse(&row.inbox) {
            Ok(u) => u,
            Err(_) => return dead(None, "the inbox is not a URL"),
        };
        if let Err(e) = check_url(&url, self.config.allow_private) {
            return dead(None, &e.to_string());
        }
        let prepared = match self.prepared(row.activity_id).await {
            Ok(p) => p,
            Err(e) => return self.retry(&row, None, format!("preparing the activity failed: {e}")),
        };
        let remembered = self.scheme_for(&row);
        // An activity without an Ed25519 key (the instance's or the relay's) is signed with
        // RSA, and what it shows of the server says nothing about Ed25519.
        let (first, learns) = match remembered {
            Scheme::Rfc9421Ed25519 if prepared.ed25519.is_none() => (Scheme::Cavage, false),
            scheme => (scheme, true),
        };
        let timeout = if row.priority == Priority::Answer as i64 {
            ANSWER_TIMEOUT.min(self.config.request_timeout)
        } else {
            self.config.request_timeout
        };
        let mut result = self.send(&url, &prepared, first, timeout, keep_alive).await;
        let mut learned = learns.then_some(first);
        if let Ok(status) = result {
            // A 4xx can mean the receiver does not speak this signature scheme (or key
            // type): knock once more with the other one.
            if (400..500).contains(&status) && !matches!(status, 408 | 410 | 429) {
                learned = Some(first.other());
                result = self.send(&url, &prepared, first.other(), timeout, keep_alive).await;
            }
        }
        match result {
            Ok(status) if (200..300).contains(&status) => {
                self.host_ok(&row.host, learned).await;
                DeliveryOutcome::Delivered { status }
            }
            Ok(410) => {
                self.host_ok(&row.host, learned).await;
                dead(Some(410), "the inbox is gone")
            }
            Ok(status @ (301 | 308)) => dead(Some(status), "the inbox redirects permanently"),
            Ok(status) if (300..400).contains(&status) => {
                self.retry(&row, Some(status), format!("HTTP {status} redirect"))
            }
            Ok(status) if (400..500).contains(&status) && !matches!(status, 401 | 408 | 429) => {
                self.host_ok(&row.host, learned).await;
                dead(Some(status), "the inbox refused the activity")
            }
            Ok(status) => {
                if status >= 500 {
                    self.host_failed(&row.host, format!("HTTP {status}")).await;
                }
                self.retry(&row, Some(status), format!("HTTP {status}"))
            }
            Err(e) => {
                self.host_failed(&row.host, e.clone()).await;
                self.retry(&row, None, e)
            }
        }
    }

    async fn send(
        &self,
        url: &Url,
        prepared: &Prepared,
        scheme: Scheme,
        timeout: Duration,
        keep_alive: bool,
    ) -> Result<u16, String> {
        let now = now_millis() / 1000;
        let sig = match (scheme.is_ed25519(), &prepared.ed25519) {
            (true, Some(key)) => {
                let plan = SigningPlan::new(scheme, key.key_id(), "POST", url, Some(&prepared.digest), now);
                let sig = key.sign_message(plan.base.as_bytes());
                (plan, sig)
            }
            _ => {
                let plan = SigningPlan::new(
                    scheme,
                    &prepared.signer.key_id,
                    "POST",
                    url,
                    Some(&prepared.digest),
                    now,
                );
                // RSA signing is CPU-bound: it runs on the signing pool, not the I/O threads.
                let sig = self
                    .keys
                    .pool
                    .sign(prepared.signer.clone(), plan.base.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                (plan, sig)
            }
        };
        let (plan, sig) = sig;
        let mut req = self
            .client
            .post(url.as_str())
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, AP_CONTENT_TYPE)
            .body(prepared.body.clone());
        if !keep_alive {
            req = req.header(reqwest::header::CONNECTION, "close");
        }
        for (name, value) in plan.finish(&sig) {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(describe)?;
        let status = resp.status().as_u16();
        // Drain a little of the body so the connection can be reused, but never much.
        let _ =
            tokio::time::timeout(Duration::from_secs(2), crate::fetch::read_capped(resp, 64 * 1024)).await;
        Ok(status)
    }

    fn retry(&self, row: &ClaimedDelivery, status: Option<u16>, error: String) -> DeliveryOutcome {
        let now = now_millis();
        let next = next_attempt_at(row.attempts, now);
        if next > row.created_at + self.config.retry_horizon.as_millis() as i64 {
            return dead(status, &format!("gave up after {} attempts: {error}", row.attempts));
        }
        DeliveryOutcome::Retry { status, error, next_attempt_at: next }
    }

    /// Records that the server took a delivery, signed in `learned` (`None`: a signature
    /// that shows nothing about what it takes). Written only when something changed: a
    /// server in good health that takes the first scheme costs no write.
    async fn host_ok(&self, host: &str, learned: Option<Scheme>) {
        let changed = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let m = hosts.entry(host.to_owned()).or_default();
            let was = m.scheme.unwrap_or(self.config.first_scheme);
            let changed = m.failures > 0 || learned.is_some_and(|s| s != was);
            m.failures = 0;
            if let Some(scheme) = learned {
                m.scheme = Some(scheme);
            }
            changed.then(|| m.scheme.unwrap_or(self.config.first_scheme))
        };
        if let Some(scheme) = changed {
            let report = HostReport::Success { scheme: scheme.as_str().to_owned() };
            if let Err(e) = self.store.record_host(host, report, now_millis()).await {
                tracing::warn!(error = %e, "recording host state failed");
            }
        }
    }

    async fn host_failed(&self, host: &str, error: String) {
        let failures = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let m = hosts.entry(host.to_owned()).or_default();
            m.failures += 1;
            m.failures
        };
        let open_until = breaker_open_until(failures, self.config.breaker_threshold, now_millis());
        if open_until.is_some() {
            tracing::warn!(host, failures, "circuit breaker open");
        }
        let report = HostReport::Failure { error, open_breaker_until: open_until };
        if let Err(e) = self.store.record_host(host, report, now_millis()).await {
            tracing::warn!(error = %e, "recording host state failed");
        }
    }
}

fn dead(status: Option<u16>, error: &str) -> DeliveryOutcome {
    DeliveryOutcome::Dead { status, error: error.to_owned() }
}

/// Exponential backoff from 30 s, capped at 6 h, with ±50 % jitter so that retries to a
/// recovering server do not arrive as one wave.
pub fn next_attempt_at(attempts: i64, now: Millis) -> Millis {
    let exp = (attempts - 1).clamp(0, 12) as u32;
    let base = (30_000_i64 << exp).min(6 * 3600 * 1000);
    let jitter: f64 = rand::thread_rng().gen_range(0.5..1.5);
    now + (base as f64 * jitter) as i64
}

/// How long a busy worker gathers free slots before it claims what is free anyway.
const CLAIM_GATHER: Duration = Duration::from_millis(5);
/// How often a worker looks for deliveries past their horizon behind an open breaker.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How often a running worker says it is alive, and after how long without a word its
/// leased rows are taken over by the others.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Answers get one slot in this many, and a request of theirs this long at most: a server
/// that asked for an answer and then does not take it holds little for little time.
const ANSWER_SHARE: usize = 8;
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
const DEAD_AFTER: Duration = Duration::from_secs(20);

/// Once a host has failed `threshold` times in a row, stop sending to it for 30 s, doubling
/// with each further failure up to an hour.
pub fn breaker_open_until(failures: i64, threshold: i64, now: Millis) -> Option<Millis> {
    (failures >= threshold).then(|| {
        let exp = (failures - threshold).clamp(0, 7) as u32;
        now + (30_000_i64 << exp).min(3600 * 1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let now = 0;
        let first = next_attempt_at(1, now);
        assert!((15_000..45_000).contains(&first));
        let capped = next_attempt_at(13, now);
        assert!((3 * 3600 * 1000..=9 * 3600 * 1000).contains(&capped), "6 h ± 50 %");
    }

    #[test]
    fn breaker_opens_at_threshold() {
        assert_eq!(breaker_open_until(4, 5, 0), None);
        assert_eq!(breaker_open_until(5, 5, 0), Some(30_000));
        assert_eq!(breaker_open_until(6, 5, 0), Some(60_000));
        assert_eq!(breaker_open_until(50, 5, 0), Some(3600 * 1000));
    }
}
