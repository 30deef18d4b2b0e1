//! Incoming activities: `verify` proves who sent what (and writes only the sender's public
//! key to the cache); `receive` acts on a verified activity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herold_domain::now_millis;
use herold_store::{Audience, FollowOutcome, NewActivity, NewFollower, Priority, RemoteActor, Store};
use serde_json::Value;

use crate::fetch::Fetcher;
use crate::keys::PublicKey;
use crate::rate_limit::RateLimiter;
use crate::signatures::{parse_request_signature, RequestView};
use crate::vocab::{self, id_of};
use crate::{FederationError, Urls};

pub struct Verified {
    pub activity: Value,
    pub actor: RemoteActor,
    /// The sender's key was fetched for this request (not in the cache): the receiver
    /// stores it if it acts on the activity, so that a refused one leaves nothing behind.
    pub fresh: bool,
}

/// What happened to a received activity, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Followed,
    Unfollowed,
    ActorDeleted,
    ActorUpdated,
    Ignored,
}

/// Key fetches per key server: a burst, then this many a second.
const KEY_FETCH_BURST: f64 = 30.0;
const KEY_FETCHES_PER_SECOND: f64 = 2.0;
const MAX_REMEMBERED_KEYS: usize = 100_000;

/// Bounds the work an unverified request can make Herold do: fetching a key costs signed GETs
/// to a URL the sender picks. Each key id is fetched at most once per interval: what the
/// fetch found (the actor, or why there was none) is remembered that long and answers the
/// requests that follow, forged or not; and each key server has a budget of fetches.
struct KeyFetchGuard {
    interval: Duration,
    recent: Mutex<HashMap<String, (Instant, Found)>>,
    per_host: RateLimiter,
}

/// What the last fetch of a key found.
#[derive(Clone)]
enum Found {
    Actor(RemoteActor),
    /// 404 or 410 at this server (an actor that deleted itself, typically).
    Gone(String),
    /// The key server could not answer now (5xx, timeout): the sender may try again later.
    Unavailable(String),
    /// The key server refused, or its answer did not hold together.
    Failed,
}

impl KeyFetchGuard {
    fn new(interval: Duration) -> Self {
        KeyFetchGuard {
            interval,
            recent: Mutex::new(HashMap::new()),
            per_host: RateLimiter::new(KEY_FETCHES_PER_SECOND, KEY_FETCH_BURST),
        }
    }

    /// What a fetch of `key_id` found within the interval.
    fn recent(&self, key_id: &str, now: Instant) -> Option<Found> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.get(key_id).filter(|(at, _)| now.duration_since(*at) < self.interval).map(|(_, a)| a.clone())
    }

    /// Takes one fetch from the key server's budget.
    fn admit(&self, key_id: &str, now: Instant) -> Result<(), FederationError> {
        let host =
            url::Url::parse(key_id).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        self.per_host.check(&host, now).map_err(FederationError::RateLimited)
    }

    fn fetched(&self, key_id: &str, found: Found, now: Instant) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() >= MAX_REMEMBERED_KEYS {
            let interval = self.interval;
            recent.retain(|_, (at, _)| now.duration_since(*at) < interval);
            if recent.len() >= MAX_REMEMBERED_KEYS {
                recent.clear();
            }
        }
        recent.insert(key_id.to_owned(), (now, found));
    }
}

/// How long an activity is remembered: a signature is accepted up to an hour past its expiry,
/// which is at most 12 hours after it was made.
const REPLAY_WINDOW: Duration = Duration::from_secs(13 * 3600);
const MAX_REMEMBERED_ACTIVITIES: usize = 200_000;

/// Activities acted on lately, by sender and id: a captured request sent again within its
/// signature's window is acknowledged and not acted on a second time. In memory, per process.
#[derive(Default)]
struct ReplayGuard {
    seen: Mutex<HashMap<String, Instant>>,
}

impl ReplayGuard {
    fn seen(&self, key: &str, now: Instant) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(key).is_some_and(|at| now.duration_since(*at) < REPLAY_WINDOW)
    }

    fn remember(&self, key: String, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_REMEMBERED_ACTIVITIES {
            seen.retain(|_, at| now.duration_since(*at) < REPLAY_WINDOW);
            if seen.len() >= MAX_REMEMBERED_ACTIVITIES {
                seen.clear();
            }
        }
        seen.insert(key, now);
    }
}

#[derive(Clone)]
pub struct Inbox {
    store: Arc<dyn Store>,
    fetcher: Fetcher,
    key_fetches: Arc<KeyFetchGuard>,
    replays: Arc<ReplayGuard>,
    urls: Urls,
    /// Cached keys older than this are treated as absent (the retention policy of the
    /// remote actor cache): expired data is hidden at once, before the purge removes it.
    key_max_age: Option<i64>,
}

impl Inbox {
    /// `key_refetch_interval`: how long what a key fetch found answers for that key id.
    pub fn new(
        store: Arc<dyn Store>,
        fetcher: Fetcher,
        urls: Urls,
        key_max_age: Option<i64>,
        key_refetch_interval: Duration,
    ) -> Self {
        Inbox {
            store,
            fetcher,
            key_fetches: Arc::new(KeyFetchGuard::new(key_refetch_interval)),
            replays: Arc::default(),
            urls,
            key_max_age,
        }
    }

    /// Checks the body digest, the signature and its time window, and that the key's owner
    /// is the activity's actor. A failing signature with a cached key triggers one refetch
    /// of the key, which is how key rotation is picked up (at most once per refetch interval).
    pub async fn verify(&self, req: &RequestView, body: &[u8]) -> Result<Verified, FederationError> {
        let activity: Value = serde_json::from_slice(body)
            .map_err(|_| FederationError::Invalid("the body is not JSON".into()))?;
        if !activity.is_object() {
            return Err(FederationError::Invalid("the body is not a JSON object".into()));
        }
        let actor_id = activity
            .get("actor")
            .and_then(id_of)
            .ok_or_else(|| FederationError::Invalid("the activity has no actor".into()))?
            .to_owned();
        let sig = parse_request_signature(req, Some(body))?;
        sig.check_window(now_millis() / 1000)?;

        let now = now_millis();
        let cached = self
            .store
            .remote_actor_by_key_id(&sig.key_id)
            .await?
            .filter(|a| self.key_max_age.is_none_or(|max| now - a.fetched_at <= max));
        let (actor, fresh) = match cached {
            Some(a) if sig.verify(&PublicKey::from_pem(&a.public_key_pem)?) => (a, false),
            // Unknown key, or a cached key that fails (rotation): fetch the key, unless it
            // was fetched a moment ago.
            _ => {
                let started = Instant::now();
                let a = match self.key_fetches.recent(&sig.key_id, started) {
                    Some(Found::Actor(a)) => a,
                    Some(Found::Gone(server)) => return Err(FederationError::Gone(server)),
                    Some(Found::Unavailable(why)) => return Err(FederationError::Fetch(why)),
                    Some(Found::Failed) => {
                        return Err(FederationError::Signature(
                            "the signing key could not be fetched a moment ago".into(),
                        ))
                    }
                    None => {
                        self.key_fetches.admit(&sig.key_id, started)?;
                        let fetched =
                            crate::actor_keys::key_owner(&self.fetcher, &sig.key_id, now_millis()).await;
                        let found = match &fetched {
                            Ok(a) => Found::Actor(a.clone()),
                            Err(FederationError::Gone(server)) => Found::Gone(server.clone()),
                            Err(FederationError::Fetch(why)) => Found::Unavailable(why.clone()),
                            Err(_) => Found::Failed,
                        };
                        self.key_fetches.fetched(&sig.key_id, found, started);
                        fetched?
                    }
                };
                if !sig.verify(&PublicKey::from_pem(&a.public_key_pem)?) {
                    return Err(FederationError::Signature("the signature does not verify".into()));
                }
                (a, true)
            }
        };
        if actor.uri != actor_id {
            return Err(FederationError::Signature(
                "the signing key does not belong to the activity's actor".into(),
            ));
        }
        Ok(Verified { activity, actor, fresh })
    }

    /// Refetches an actor, keeping the key it signs with if it still lists it.
    async fn refresh(&self, known: &RemoteActor) -> Result<RemoteActor, FederationError> {
        let doc = self.fetcher.get_object(&known.uri).await?;
        let actor = vocab::parse_actor(&doc, Some(&known.key_id), now_millis())
            .or_else(|_| vocab::parse_actor(&doc, None, now_millis()))?;
        self.store.upsert_remote_actor(&actor).await?;
        Ok(actor)
    }

    /// Acts on a verified activity, once: a replay (the same activity from the same sender
    /// again, within its signature's window) is acknowledged and not acted on, so an old
    /// Undo cannot end a newer follow. It is remembered only once acted on: a retry after a
    /// failure still counts.
    pub async fn receive(&self, verified: Verified) -> Result<Received, FederationError> {
        let key = verified
            .activity
            .get("id")
            .and_then(Value::as_str)
            .map(|id| format!("{}\n{id}", verified.actor.uri));
        let now = Instant::now();
        if key.as_deref().is_some_and(|k| self.replays.seen(k, now)) {
            return Ok(Received::Ignored);
        }
        let received = self.act(verified).await?;
        if let Some(key) = key {
            self.replays.remember(key, now);
        }
        Ok(received)
    }

    /// Types Herold has no use for are accepted and dropped.
    async fn act(&self, verified: Verified) -> Result<Received, FederationError> {
        let Verified { activity, actor, fresh } = verified;
        let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default();
        // Only a verified sender whose activity we act on is remembered.
        if fresh && matches!(kind, "Follow" | "Undo" | "Update" | "Delete") {
            self.store.upsert_remote_actor(&actor).await?;
        }
        match kind {
            "Follow" => self.follow(&activity, &actor).await,
            "Undo" if activity.get("object").is_some_and(Value::is_string) => {
                let follow_id = activity.get("object").and_then(Value::as_str).unwrap_or_default();
                Ok(if self.store.remove_follow_by_id(&actor.uri, follow_id).await? {
                    Received::Unfollowed
                } else {
                    Received::Ignored
                })
            }
            "Undo" => {
                let object = activity.get("object").unwrap_or(&Value::Null);
                let is_follow = object.get("type").and_then(Value::as_str) == Some("Follow");
                let same_actor = object.get("actor").and_then(id_of) == Some(actor.uri.as_str());
                let target = object.get("object").and_then(id_of).and_then(|o| self.urls.username_of(o));
                match (is_follow && same_actor, target) {
                    // An Undo naming the Follow's id undoes only that follow: replayed after
                    // the person followed again, an old Undo must not end the new follow.
                    (true, Some(_)) if object.get("id").and_then(Value::as_str).is_some() => {
                        let follow_id = object.get("id").and_then(Value::as_str).unwrap_or_default();
                        Ok(if self.store.remove_follow_by_id(&actor.uri, follow_id).await? {
                            Received::Unfollowed
                        } else {
                            Received::Ignored
                        })
                    }
                    (true, Some(username)) => {
                        if let Some(account) = self.store.account_by_username(&username).await? {
                            self.store.remove_follower(account.id, &actor.uri).await?;
                            return Ok(Received::Unfollowed);
                        }
                        Ok(Received::Ignored)
                    }
                    _ => Ok(Received::Ignored),
                }
            }
            "Delete" if activity.get("object").and_then(id_of) == Some(actor.uri.as_str()) => {
                self.store.forget_remote_actor(&actor.uri).await?;
                Ok(Received::ActorDeleted)
            }
            "Update" if activity.get("object").and_then(id_of) == Some(actor.uri.as_str()) => {
                // Take the new key from the origin, not from the activity's copy.
                self.refresh(&actor).await?;
                Ok(Received::ActorUpdated)
            }
            _ => Ok(Received::Ignored),
        }
    }

    async fn follow(&self, follow: &Value, actor: &RemoteActor) -> Result<Received, FederationError> {
        let follow_id = follow
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| FederationError::Invalid("the Follow has no id".into()))?;
        let target = follow.get("object").and_then(id_of).unwrap_or_default();
        let username = self
            .urls
            .username_of(target)
            .ok_or_else(|| FederationError::Invalid("the Follow is not for an account here".into()))?;
        let account = self
            .store
            .account_by_username(&username)
            .await?
            .ok_or_else(|| FederationError::Invalid("the Follow is not for an account here".into()))?;
        let accept_id = self.urls.activity(&username, &uuid::Uuid::new_v4().to_string());
        let accept = vocab::accept(&accept_id, &self.urls.actor(&username), follow);
        let outcome = self
            .store
            .add_follower(
                NewFollower {
                    account_id: account.id,
                    actor_uri: actor.uri.clone(),
                    inbox: actor.shared_inbox.clone().unwrap_or_else(|| actor.inbox.clone()),
                    follow_id: follow_id.to_owned(),
                },
                NewActivity {
                    signer: None,
                    uri: accept_id,
                    kind: "Accept".into(),
                    account_id: Some(account.id),
                    body: accept.to_string(),
                    audience: Audience::Inboxes(vec![actor.inbox.clone()]),
                    priority: Priority::Answer,
                },
            )
            .await?;
        Ok(match outcome {
            FollowOutcome::New | FollowOutcome::Accepted => Received::Followed,
            FollowOutcome::Repeated => Received::Ignored,
        })
    }
}
