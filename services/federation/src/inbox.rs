//! Incoming activities: `verify` proves who sent what (and writes only the sender's public
//! key to the cache); `receive` acts on a verified activity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herold_domain::dialogue::MessageKind;
use herold_domain::now_millis;
use herold_domain::presence::{Presences, QuoteAudience, ReplyAudience};
use herold_store::{
    Audience, AuditEntry, FollowOutcome, NewActivity, NewFollower, NewMessage, NewStamp, Priority,
    ReactionKind, RemoteActor, StampKind, Store, StoreError,
};
use serde_json::Value;

use crate::dialogue;
use crate::fetch::Fetcher;
use crate::incoming::{ContentKind, Incoming, RequestKind, Undone};
use crate::keys::{KeyEncryptionKey, PublicKey};
use crate::rate_limit::SiteLimiter;
use crate::signatures::{parse_request_signature, RequestView};
use crate::vocab::{self, id_of, same_origin};
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
    /// A request to quote or feature, answered by the organisation's policy.
    Consented,
    /// A like or boost counted, or taken back.
    Reacted,
    /// A reply, quote or mention kept for the dialogue inbox (or changed or removed there,
    /// as its sender did).
    Message,
    Refused,
    Ignored,
}

/// Key fetches per key server: a burst, then this many a second.
const KEY_FETCH_BURST: f64 = 30.0;
const KEY_FETCHES_PER_SECOND: f64 = 2.0;
const MAX_REMEMBERED_KEYS: usize = 100_000;
/// How long an activity is remembered: a signature is accepted up to an hour past its expiry,
/// which is at most 12 hours after it was made.
const REPLAY_WINDOW: Duration = Duration::from_secs(13 * 3600);
const MAX_REMEMBERED_ACTIVITIES: usize = 200_000;

/// What happened to a key lately, in memory and bounded: entries count for `window`; at
/// `cap` entries the expired ones go, and if none has, all go rather than the map grow.
struct Recent<V> {
    window: Duration,
    cap: usize,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> Recent<V> {
    fn new(window: Duration, cap: usize) -> Self {
        Recent { window, cap, entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &str, now: Instant) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(at, _)| now.duration_since(*at) < self.window).map(|(_, v)| v.clone())
    }

    fn insert(&self, key: String, value: V, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.cap {
            let window = self.window;
            entries.retain(|_, (at, _)| now.duration_since(*at) < window);
            if entries.len() >= self.cap {
                entries.clear();
            }
        }
        entries.insert(key, (now, value));
    }
}

/// Bounds the work an unverified request can make Herold do: fetching a key costs signed GETs
/// to a URL the sender picks. Each key id is fetched at most once per interval: what the
/// fetch found (the actor, or why there was none) is remembered that long and answers the
/// requests that follow, forged or not; and each key server has a budget of fetches.
struct KeyFetchGuard {
    recent: Recent<Found>,
    budgets: SiteLimiter,
}

/// How often keys may be fetched, from the configuration's `inbox` section.
#[derive(Clone, Copy, Debug)]
pub struct KeyFetching {
    /// How long what a fetch of a key found answers for that key id.
    pub refetch_interval: Duration,
    /// How many key servers' budgets all the hosts of one registrable domain share.
    pub hosts_per_domain: f64,
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
    fn new(limits: KeyFetching) -> Self {
        KeyFetchGuard {
            recent: Recent::new(limits.refetch_interval, MAX_REMEMBERED_KEYS),
            budgets: SiteLimiter::new(KEY_FETCHES_PER_SECOND, KEY_FETCH_BURST, limits.hosts_per_domain),
        }
    }

    /// Takes one fetch from the key server's budget and its domain's.
    fn admit(&self, key_id: &str, now: Instant) -> Result<(), FederationError> {
        let host =
            url::Url::parse(key_id).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        self.budgets.check(&host, now).map_err(FederationError::RateLimited)
    }
}

#[derive(Clone)]
pub struct Inbox {
    store: Arc<dyn Store>,
    fetcher: Fetcher,
    key_fetches: Arc<KeyFetchGuard>,
    /// Activities acted on lately, by sender and id: a captured request sent again within
    /// its signature's window is acknowledged and not acted on a second time. Per process.
    replays: Arc<Recent<()>>,
    urls: Urls,
    /// Cached keys older than this are treated as absent (the retention policy of the
    /// remote actor cache): expired data is hidden at once, before the purge removes it.
    key_max_age: Option<i64>,
    /// Who may quote and feature each organisation's accounts.
    presences: Presences,
    /// Whose key also makes the pseudonyms of those who react to announcements.
    kek: Arc<KeyEncryptionKey>,
}

impl Inbox {
    /// `key_refetch_interval`: how long what a key fetch found answers for that key id.
    pub fn new(
        store: Arc<dyn Store>,
        fetcher: Fetcher,
        urls: Urls,
        key_max_age: Option<i64>,
        key_fetching: KeyFetching,
        presences: Presences,
        kek: Arc<KeyEncryptionKey>,
    ) -> Self {
        Inbox {
            store,
            fetcher,
            key_fetches: Arc::new(KeyFetchGuard::new(key_fetching)),
            replays: Arc::new(Recent::new(REPLAY_WINDOW, MAX_REMEMBERED_ACTIVITIES)),
            urls,
            key_max_age,
            presences,
            kek,
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
                let a = match self.key_fetches.recent.get(&sig.key_id, started) {
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
                        self.key_fetches.recent.insert(sig.key_id.clone(), found, started);
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
        if key.as_deref().is_some_and(|k| self.replays.get(k, now).is_some()) {
            return Ok(Received::Ignored);
        }
        let received = self.act(verified).await?;
        if let Some(key) = key {
            self.replays.insert(key, (), now);
        }
        Ok(received)
    }

    /// Types Herold has no use for are accepted and dropped.
    async fn act(&self, verified: Verified) -> Result<Received, FederationError> {
        let Verified { activity, actor, fresh } = verified;
        let incoming = Incoming::classify(&activity, &actor.uri);
        // Only a verified sender whose activity we act on is remembered.
        let acted_on = match incoming {
            Incoming::Follow { .. } | Incoming::Undo(_) | Incoming::UpdateSelf => true,
            Incoming::Request { .. } => true,
            // Those who react or write are counted or read, not remembered as actors.
            Incoming::DeleteSelf
            | Incoming::Content(_)
            | Incoming::Like { .. }
            | Incoming::Answer { .. }
            | Incoming::Other(_) => false,
        };
        if fresh && acted_on {
            self.store.upsert_remote_actor(&actor).await?;
        }
        match incoming {
            Incoming::Follow { id, object } => self.follow(&activity, id, object, &actor).await,
            // By the Follow's id (given alone, or in the Follow itself) only that follow ends:
            // an old Undo replayed after the person followed again leaves the new one.
            Incoming::Undo(Undone::Id(follow_id)) => self.unfollow(&actor, follow_id).await,
            Incoming::Undo(Undone::Follow(follow)) if follow.actor == Some(actor.uri.as_str()) => {
                if let Some(follow_id) = follow.id {
                    return self.unfollow(&actor, follow_id).await;
                }
                let username = follow.object.and_then(|o| self.urls.username_of(o));
                let Some(account) = (match username {
                    Some(username) => self.store.account_by_username(&username).await?,
                    None => None,
                }) else {
                    return Ok(Received::Ignored);
                };
                self.store.remove_follower(account.id, &actor.uri).await?;
                Ok(Received::Unfollowed)
            }
            Incoming::Undo(Undone::Other { kind: "Like" | "EmojiReact", object }) => {
                self.reaction(object, &actor, ReactionKind::Like, false).await
            }
            Incoming::Undo(Undone::Other { kind: "Announce", object }) => {
                self.reaction(object, &actor, ReactionKind::Boost, false).await
            }
            Incoming::Undo(Undone::Follow(_) | Undone::Other { .. } | Undone::Nothing) => {
                Ok(Received::Ignored)
            }
            Incoming::Like { object } => self.reaction(object, &actor, ReactionKind::Like, true).await,
            Incoming::DeleteSelf => {
                self.store.forget_remote_actor(&actor.uri).await?;
                Ok(Received::ActorDeleted)
            }
            Incoming::UpdateSelf => {
                // Take the new key from the origin, not from the activity's copy.
                self.refresh(&actor).await?;
                Ok(Received::ActorUpdated)
            }
            Incoming::Request { kind, id, object, instrument } => {
                self.request(&activity, kind, id, object, instrument, &actor).await
            }
            Incoming::Content(ContentKind::Create) => self.message(&activity, &actor).await,
            Incoming::Content(ContentKind::Update) => self.revise_message(&activity, &actor).await,
            Incoming::Content(ContentKind::Delete) => self.remove_message(&activity, &actor).await,
            Incoming::Content(ContentKind::Announce) => {
                let object = activity.get("object").and_then(id_of);
                self.reaction(object, &actor, ReactionKind::Boost, true).await
            }
            Incoming::Content(ContentKind::Move) | Incoming::Answer { .. } | Incoming::Other(_) => {
                Ok(Received::Ignored)
            }
        }
    }

    /// A citizen's post for official accounts here goes to each one's dialogue inbox. Only
    /// the copy in the activity is read (a post given by id alone is not fetched: one
    /// request must not make Herold fetch for it), and only a post of the sender's own.
    async fn message(&self, activity: &Value, actor: &RemoteActor) -> Result<Received, FederationError> {
        let object = activity.get("object").unwrap_or(&Value::Null);
        let Some(post) = dialogue::post_of(object, &actor.uri, &self.urls) else {
            return Ok(Received::Ignored);
        };
        let mut kept = false;
        for target in post.targets {
            let Some(account) = self.store.account_by_username(&target.username).await? else {
                continue;
            };
            // What a blocked account or server sends is never stored.
            if self.store.is_blocked(&account.org_slug, &actor.uri).await? {
                continue;
            }
            let announcement = match &target.announcement {
                Some(public_id) => match self.store.announcement(account.id, public_id).await? {
                    Some(a) if a.retracted_at.is_none() => {
                        // A reply the organisation's policy does not take is not kept, as its
                        // published `canReply` says.
                        if target.kind == MessageKind::Reply
                            && !self.may_reply(&account, &a, &actor.uri).await?
                        {
                            continue;
                        }
                        Some(a)
                    }
                    // What answers a retracted or unknown announcement concerns nothing here
                    // any more, unless it also names the account (then it is a mention).
                    _ => continue,
                },
                None => None,
            };
            let message = NewMessage {
                public_id: uuid::Uuid::new_v4().to_string(),
                account_id: account.id,
                announcement_id: announcement.as_ref().map(|a| a.id),
                kind: target.kind,
                object_uri: post.id.clone(),
                url: post.url.clone(),
                sender_uri: actor.uri.clone(),
                content: post.text.clone(),
                language: post.language.clone(),
                visibility: post.visibility.to_owned(),
            };
            let new = self.store.receive_message(message).await?;
            if let (true, MessageKind::Reply, Some(a)) = (new, target.kind, &announcement) {
                self.authorize_follower_reply(&account, a, &post.id, actor).await?;
            }
            kept |= new;
        }
        Ok(if kept { Received::Message } else { Received::Ignored })
    }

    /// A reply allowed because its sender follows the account: GoToSocial holds such a reply
    /// back until the author's server vouches for it, so Herold answers its arrival with an
    /// `Accept` carrying a `ReplyAuthorization` (replies open to everyone, or to the people
    /// an announcement mentions, need none).
    async fn authorize_follower_reply(
        &self,
        account: &herold_store::Account,
        announcement: &herold_store::Announcement,
        reply: &str,
        actor: &RemoteActor,
    ) -> Result<(), FederationError> {
        if announcement.body.replies(self.presences.of(&account.org_slug).replies) != ReplyAudience::Followers
        {
            return Ok(());
        }
        let target = self.urls.announcement(&account.username, &announcement.public_id);
        let stamp = NewStamp {
            public_id: uuid::Uuid::new_v4().to_string(),
            account_id: account.id,
            kind: StampKind::Reply,
            announcement_id: Some(announcement.id),
            target: target.clone(),
            interacting_object: reply.to_owned(),
            requester: actor.uri.clone(),
            requester_inbox: actor.inbox.clone(),
        };
        let audit =
            AuditEntry::new("remote", "reply.authorize", format!("announcement:{}", announcement.public_id))
                .in_org(&account.org_slug);
        let me = self.urls.actor(&account.username);
        let followers = self.urls.followers(&account.username);
        let answer_id = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let accept = |stored: &herold_store::Stamp| {
            let result = self.urls.stamp(&account.username, &stored.public_id);
            let body = vocab::accept_reply(&answer_id, &me, &followers, &actor.uri, reply, &target, &result);
            NewActivity {
                signer: None,
                uri: answer_id.clone(),
                kind: "Accept".to_owned(),
                account_id: Some(account.id),
                body: body.to_string(),
                audience: Audience::Inboxes(vec![actor.inbox.clone()]),
                priority: Priority::Answer,
            }
        };
        match self.store.grant_stamp(stamp, &accept, audit).await {
            // Retracted meanwhile, or the sender holds its share of consents: the reply is
            // kept here all the same, only not vouched for.
            Ok(_) | Err(StoreError::NotFound(_) | StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A like or boost of an announcement here (or, with `added` false, its Undo), counted
    /// under a keyed hash of the sender for that announcement: never who.
    async fn reaction(
        &self,
        object: Option<&str>,
        actor: &RemoteActor,
        kind: ReactionKind,
        added: bool,
    ) -> Result<Received, FederationError> {
        let Some((username, public_id)) = object.and_then(|o| self.urls.announcement_of(o)) else {
            return Ok(Received::Ignored);
        };
        let Some(account) = self.store.account_by_username(&username).await? else {
            return Ok(Received::Ignored);
        };
        let Some(announcement) = self.store.announcement(account.id, &public_id).await? else {
            return Ok(Received::Ignored);
        };
        if added && announcement.retracted_at.is_some() {
            return Ok(Received::Ignored);
        }
        let pseudonym = self.kek.pseudonym(&format!("reaction:{}", announcement.id), &actor.uri);
        let counted = if added {
            self.store.react(announcement.id, kind, &pseudonym, now_millis()).await?
        } else {
            self.store.unreact(announcement.id, kind, &pseudonym, now_millis()).await?
        };
        Ok(if counted { Received::Reacted } else { Received::Ignored })
    }

    /// Whether `sender` may reply to `announcement`: as its author chose, else as the
    /// organisation's `[presence] replies` says.
    async fn may_reply(
        &self,
        account: &herold_store::Account,
        announcement: &herold_store::Announcement,
        sender: &str,
    ) -> Result<bool, FederationError> {
        Ok(match announcement.body.replies(self.presences.of(&account.org_slug).replies) {
            ReplyAudience::Everyone => true,
            ReplyAudience::Followers => self.store.is_follower(account.id, sender).await?,
            ReplyAudience::Mentioned => announcement.body.mentions.iter().any(|m| m.href == sender),
            ReplyAudience::Nobody => false,
        })
    }

    /// The sender changed a post: its copies here follow.
    async fn revise_message(
        &self,
        activity: &Value,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError> {
        let object = activity.get("object").unwrap_or(&Value::Null);
        let Some(post) = dialogue::post_of(object, &actor.uri, &self.urls) else {
            return Ok(Received::Ignored);
        };
        let (text, language) = (&post.text, post.language.as_deref());
        let changed =
            self.store.revise_message(&actor.uri, &post.id, text, language, post.visibility).await?;
        Ok(if changed > 0 { Received::Message } else { Received::Ignored })
    }

    /// The sender deleted a post (by id, or as a Tombstone): so does Herold.
    async fn remove_message(
        &self,
        activity: &Value,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError> {
        let Some(id) = activity.get("object").and_then(id_of) else {
            return Ok(Received::Ignored);
        };
        let removed = self.store.remove_message(&actor.uri, id).await?;
        Ok(if removed > 0 { Received::Message } else { Received::Ignored })
    }

    async fn unfollow(&self, actor: &RemoteActor, follow_id: &str) -> Result<Received, FederationError> {
        let removed = self.store.remove_follow_by_id(&actor.uri, follow_id).await?;
        Ok(if removed { Received::Unfollowed } else { Received::Ignored })
    }

    async fn follow(
        &self,
        follow: &Value,
        id: Option<&str>,
        target: Option<&str>,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError> {
        let follow_id = id.ok_or_else(|| FederationError::Invalid("the Follow has no id".into()))?;
        let target = target.unwrap_or_default();
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

    /// A QuoteRequest or FeatureRequest: answered by the organisation's `[presence]` with an
    /// `Accept` that carries a stamp (`QuoteAuthorization`, `FeatureAuthorization`), or a
    /// `Reject`. As Mastodon does, a request whose id is not on its sender's server, or about
    /// something not here, is dropped unanswered.
    async fn request(
        &self,
        request: &Value,
        kind: RequestKind,
        id: Option<&str>,
        object: Option<&str>,
        instrument: &Value,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError> {
        if !id.is_some_and(|id| same_origin(id, &actor.uri)) {
            return Ok(Received::Ignored);
        }
        let object = object.unwrap_or_default();
        let (username, announcement) = match kind {
            RequestKind::Quote | RequestKind::Reply => match self.urls.announcement_of(object) {
                Some((username, public_id)) => (username, Some(public_id)),
                None => return Ok(Received::Ignored),
            },
            RequestKind::Feature => match self.urls.username_of(object) {
                Some(username) => (username, None),
                None => return Ok(Received::Ignored),
            },
        };
        let Some(account) = self.store.account_by_username(&username).await? else {
            return Ok(Received::Ignored);
        };
        let announcement = match announcement {
            Some(public_id) => match self.store.announcement(account.id, &public_id).await? {
                Some(a) if a.retracted_at.is_none() => Some(a),
                _ => return Ok(Received::Ignored),
            },
            None => None,
        };
        let Some(instrument_id) = id_of(instrument).filter(|i| same_origin(i, &actor.uri)) else {
            return Err(FederationError::Invalid(
                "the request's instrument is not on its sender's server".into(),
            ));
        };
        let presence = self.presences.of(&account.org_slug);
        // Whom the organisation blocked gets no consent of any kind.
        let blocked = self.store.is_blocked(&account.org_slug, &actor.uri).await?;
        let allowed = !blocked
            && match kind {
                RequestKind::Quote => match presence.quotes {
                    QuoteAudience::Everyone => true,
                    QuoteAudience::Followers => self.store.is_follower(account.id, &actor.uri).await?,
                    QuoteAudience::Nobody => false,
                },
                RequestKind::Feature => presence.featurable(),
                RequestKind::Reply => match &announcement {
                    Some(a) => self.may_reply(&account, a, &actor.uri).await?,
                    None => false,
                },
            };
        let me = self.urls.actor(&username);
        let answer_id = self.urls.activity(&username, &uuid::Uuid::new_v4().to_string());
        let answer = |kind: &str, body: Value| NewActivity {
            signer: None,
            uri: answer_id.clone(),
            kind: kind.to_owned(),
            account_id: Some(account.id),
            body: body.to_string(),
            audience: Audience::Inboxes(vec![actor.inbox.clone()]),
            priority: Priority::Answer,
        };
        // A post that cannot be fetched now is no reason to refuse: the sender tries again.
        let vouched =
            allowed && self.instrument_holds(kind, instrument, instrument_id, object, &actor.uri).await?;
        if !vouched {
            let reject = vocab::answer_request("Reject", &answer_id, &me, request, instrument_id, None);
            self.store.queue_answer(answer("Reject", reject)).await?;
            return Ok(Received::Refused);
        }
        let stamp = NewStamp {
            public_id: uuid::Uuid::new_v4().to_string(),
            account_id: account.id,
            kind: match kind {
                RequestKind::Quote => StampKind::Quote,
                RequestKind::Feature => StampKind::Feature,
                RequestKind::Reply => StampKind::Reply,
            },
            announcement_id: announcement.as_ref().map(|a| a.id),
            target: object.to_owned(),
            interacting_object: instrument_id.to_owned(),
            requester: actor.uri.clone(),
            requester_inbox: actor.inbox.clone(),
        };
        let (action, subject) = match (kind, &announcement) {
            (RequestKind::Reply, Some(a)) => ("reply.authorize", format!("announcement:{}", a.public_id)),
            (_, Some(a)) => ("quote.authorize", format!("announcement:{}", a.public_id)),
            (_, None) => ("feature.authorize", format!("account:{}", account.id)),
        };
        // The trail records the consent, not who received it (that is personal data, kept
        // with the stamp under its own retention).
        let audit = AuditEntry::new("remote", action, subject).in_org(&account.org_slug);
        let accept = |stored: &herold_store::Stamp| {
            let url = self.urls.stamp(&username, &stored.public_id);
            answer(
                "Accept",
                vocab::answer_request("Accept", &answer_id, &me, request, instrument_id, Some(&url)),
            )
        };
        match self.store.grant_stamp(stamp, &accept, audit).await {
            Ok(_) => Ok(Received::Consented),
            // Retracted meanwhile: nothing left to quote.
            Err(StoreError::NotFound(_)) => Ok(Received::Ignored),
            // The post vouched for to someone else, or the requester holds enough stamps.
            Err(StoreError::Conflict(_)) => {
                let reject = vocab::answer_request("Reject", &answer_id, &me, request, instrument_id, None);
                self.store.queue_answer(answer("Reject", reject)).await?;
                Ok(Received::Refused)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the quote post (or collection) is the sender's and points at `target`: the
    /// copy in the request is used if it is on the sender's server, else it is fetched.
    async fn instrument_holds(
        &self,
        kind: RequestKind,
        embedded: &Value,
        id: &str,
        target: &str,
        sender: &str,
    ) -> Result<bool, FederationError> {
        let fetched;
        let doc = if embedded.get("attributedTo").is_some() {
            embedded
        } else {
            match self.fetcher.get_object(id).await {
                Ok(doc) => {
                    fetched = doc;
                    &fetched
                }
                Err(e @ FederationError::Fetch(_)) => return Err(e),
                Err(e) => {
                    // Its server, not the post: post ids can name people.
                    let server = url::Url::parse(id).ok().and_then(|u| u.host_str().map(str::to_owned));
                    tracing::warn!(server, error = %e, "the request's instrument does not hold");
                    return Ok(false);
                }
            }
        };
        if doc.get("attributedTo").and_then(id_of) != Some(sender) {
            return Ok(false);
        }
        Ok(match kind {
            // FEP-044f's `quote`, and the older names servers still send beside it.
            RequestKind::Quote => ["quote", "quoteUrl", "quoteUri", "_misskey_quote"]
                .iter()
                .any(|field| doc.get(*field).and_then(id_of) == Some(target)),
            RequestKind::Feature => true,
            RequestKind::Reply => doc.get("inReplyTo").and_then(id_of) == Some(target),
        })
    }
}
