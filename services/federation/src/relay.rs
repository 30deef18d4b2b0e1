//! The relay: servers subscribe Mastodon style (a Follow of the public collection sent to
//! the relay inbox) or LitePub style (a Follow of the relay actor), are accepted at once or
//! after the operator approves, and leave with Undo or Delete. Publishers (the official
//! accounts, through `herold-publishing`, and the servers or actors the operator lists) have
//! their public activities passed on to every subscriber but their own server. The
//! signature on the relay inbox is checked by `Inbox::verify`, exactly as elsewhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herold_domain::now_millis;
use herold_store::{
    relay_blocked, relay_publisher_allowed, Audience, AuditEntry, FollowBackChange, NewActivity,
    NewSubscriber, Priority, RemoteActor, Store, Subscriber, SubscriptionState, SubscriptionStyle,
};
use serde_json::{json, Value};

use crate::delivery::RELAY_SIGNER;
use crate::fetch::Fetcher;
use crate::inbox::Verified;
use crate::incoming::{ContentKind, FollowRef, Incoming, Undone};
use crate::keys::PublicKey;
use crate::vocab::{self, PUBLIC};
use crate::{FederationError, Urls};

/// Subscriptions waiting for the operator at most; past it, servers are asked to try again
/// later (429), so that a flood of subscriptions cannot grow the list without end.
const MAX_PENDING: i64 = 500;

/// Who may subscribe, and whether it takes effect at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMode {
    /// Any server that is not blocked, at once.
    Open,
    /// Any server that is not blocked, once the operator approves.
    Approval,
    /// Only the servers on the relay's publisher list, at once.
    Allowlist,
}

impl RelayMode {
    pub fn parse(s: &str) -> Option<RelayMode> {
        match s {
            "open" => Some(RelayMode::Open),
            "approval" => Some(RelayMode::Approval),
            "allowlist" => Some(RelayMode::Allowlist),
            _ => None,
        }
    }
}

/// What a message to the relay inbox did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayReceived {
    Subscribed {
        pending: bool,
    },
    Unsubscribed,
    /// Passed on to the subscribers (their deliveries are queued).
    Relayed,
    /// Passed on before (the same activity, or the same post on another path).
    Duplicate,
    /// Nothing to do (an Undo of a subscription that does not exist).
    Ignored,
}

#[derive(Clone)]
pub struct Relay {
    store: Arc<dyn Store>,
    urls: Urls,
    mode: RelayMode,
    /// Fetches publishers' proof keys; without it (the CLI, which never forwards) integrity
    /// proofs are not checked.
    fetcher: Option<Fetcher>,
    /// Proof keys fetched lately, by key id.
    proof_keys: Arc<Mutex<HashMap<String, (Instant, PublicKey)>>>,
}

/// How long a publisher's proof key is used without fetching it again.
const PROOF_KEY_TTL: Duration = Duration::from_secs(600);
const MAX_PROOF_KEYS: usize = 10_000;

/// The host (with port) of a URI: the unit of blocks, and the origin a relayed activity is
/// never sent back to.
fn host_of(uri: &str) -> Result<String, FederationError> {
    let url = url::Url::parse(uri).map_err(|_| FederationError::Invalid(format!("{uri:?} is not a URL")))?;
    let host = url.host_str().ok_or_else(|| FederationError::Invalid(format!("{uri} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Public, not merely unlisted: the public collection in `to`, of the activity and of an
/// embedded object (Mastodon's unlisted posts have it only in `cc`).
fn is_addressed_publicly(activity: &Value) -> bool {
    let public_to = |v: &Value| match v.get("to") {
        Some(Value::String(s)) => vocab::is_public(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(vocab::is_public),
        _ => false,
    };
    let object = activity.get("object").filter(|o| o.is_object() && o.get("to").is_some());
    public_to(activity) && object.is_none_or(public_to)
}

/// Whether the body carries a Linked Data signature made with the key that signed the
/// request. Mastodon accepts a relayed body byte-for-byte only when such a signature
/// verifies; Herold does not canonicalise JSON-LD itself, but the request's signature by
/// the same key over these exact bytes shows the publisher's server put it there.
fn ld_signed_by(activity: &Value, key_id: &str) -> bool {
    let Some(signature) = activity.get("signature") else { return false };
    signature.get("type").and_then(Value::as_str) == Some("RsaSignature2017")
        && signature.get("creator").and_then(Value::as_str) == Some(key_id)
        && signature.get("signatureValue").and_then(Value::as_str).is_some_and(|v| !v.is_empty())
}

impl Relay {
    pub fn new(store: Arc<dyn Store>, urls: Urls, mode: RelayMode) -> Relay {
        Relay { store, urls, mode, fetcher: None, proof_keys: Arc::default() }
    }

    /// Lets the relay check publishers' integrity proofs (FEP-8b32), fetching their keys.
    pub fn with_fetcher(self, fetcher: Fetcher) -> Relay {
        Relay { fetcher: Some(fetcher), ..self }
    }

    /// Whether the activity carries an integrity proof by its actor (the publisher that sent
    /// it): a key of the actor's own document, listed in its `assertionMethod`. Such a body
    /// can go on verbatim, as one with the publisher's LD signature does: Mastodon checks
    /// the proof instead of fetching the post from its origin.
    async fn proven_by(&self, activity: &Value, actor: &RemoteActor) -> bool {
        let Some(fetcher) = &self.fetcher else { return false };
        let Some(method) = activity.pointer("/proof/verificationMethod").and_then(Value::as_str) else {
            return false;
        };
        if activity.get("actor").and_then(vocab::id_of) != Some(actor.uri.as_str())
            || method.split('#').next() != Some(actor.uri.as_str())
        {
            return false;
        }
        let now = Instant::now();
        let cached = self.proof_keys.lock().unwrap_or_else(|p| p.into_inner()).get(method).cloned();
        let key = match cached.filter(|(at, _)| now.duration_since(*at) < PROOF_KEY_TTL) {
            Some((_, key)) => key,
            None => {
                let doc = match fetcher.get_object(&actor.uri).await {
                    Ok(doc) => doc,
                    Err(e) => {
                        // The server, not the actor: actor ids can name people.
                        let server = host_of(&actor.uri).unwrap_or_default();
                        tracing::warn!(server, error = %e, "a publisher's proof key could not be fetched");
                        return false;
                    }
                };
                // Only a key meant for assertions, of this actor's.
                let assertion_keys = match doc.get("assertionMethod") {
                    Some(Value::Array(keys)) => keys.iter().collect(),
                    Some(key) => vec![key],
                    None => Vec::new(),
                };
                let key = assertion_keys
                    .into_iter()
                    .filter(|k| vocab::id_of(k) == Some(method))
                    .filter(|k| vocab::key_controller(k) == Some(actor.uri.as_str()))
                    .find_map(|k| vocab::key_material(k).ok());
                let Some(key) = key else { return false };
                let mut keys = self.proof_keys.lock().unwrap_or_else(|p| p.into_inner());
                if keys.len() >= MAX_PROOF_KEYS {
                    keys.clear();
                }
                keys.insert(method.to_owned(), (now, key.clone()));
                key
            }
        };
        crate::integrity::verify(activity, &key)
    }

    pub fn mode(&self) -> RelayMode {
        self.mode
    }

    /// Acts on a verified message to the relay inbox; `body` is the request body as it
    /// came, which is what a verbatim forward sends.
    pub async fn receive(&self, verified: Verified, body: &[u8]) -> Result<RelayReceived, FederationError> {
        let Verified { activity, actor, fresh } = verified;
        let received = match Incoming::classify(&activity, &actor.uri) {
            Incoming::Follow { .. } => self.subscribe(&activity, &actor).await?,
            // Undo of the subscription's Follow, embedded or by id.
            Incoming::Undo(Undone::Id(follow_id) | Undone::Follow(FollowRef { id: Some(follow_id), .. })) => {
                self.unsubscribe(&actor.uri, Some(follow_id), true).await?
            }
            Incoming::Undo(Undone::Follow(FollowRef { id: None, .. }) | Undone::Nothing) => {
                return Err(FederationError::Invalid("the Undo names no activity".into()))
            }
            Incoming::Undo(Undone::Other { .. }) => {
                return Err(FederationError::NotAccepted(
                    "the relay inbox takes an Undo of a subscription's Follow only".into(),
                ))
            }
            // The subscribing actor itself is gone.
            Incoming::DeleteSelf => self.unsubscribe(&actor.uri, None, false).await?,
            // A publisher's new name or key is passed on like its posts.
            Incoming::UpdateSelf => {
                self.forward(ContentKind::Update.as_str(), &activity, body, &actor).await?
            }
            Incoming::Content(kind) => self.forward(kind.as_str(), &activity, body, &actor).await?,
            // A subscriber answering the relay's follow-back: an Accept changes nothing, a
            // Reject ends the follow-back.
            Incoming::Answer { accepted, follow } if self.answers_our_follow(follow, &actor.uri) => {
                if !accepted {
                    if let Some(follow_id) = vocab::id_of(follow) {
                        let host = host_of(&actor.uri)?;
                        let audit =
                            AuditEntry::new("remote", "relay.follow_back_refused", format!("relay:{host}"))
                                .with_detail(json!({ "actor": actor.uri }));
                        self.store.relay_follow_back_refused(&actor.uri, follow_id, audit).await?;
                    }
                }
                RelayReceived::Ignored
            }
            Incoming::Answer { .. }
            | Incoming::Request { .. }
            | Incoming::Like { .. }
            | Incoming::Other(_) => {
                let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default();
                return Err(FederationError::NotAccepted(format!(
                    "the relay inbox takes subscriptions (Follow, Undo) and public Create, Update, Delete, \
                     Announce and Move from its publishers; a {} is not relayed",
                    if kind.is_empty() { "message without a type" } else { kind },
                )));
            }
        };
        // Only a sender the relay acted on is remembered, so that its next activity needs no
        // fetch from its origin; a refused one leaves nothing behind.
        if fresh && received != RelayReceived::Ignored {
            self.store.upsert_remote_actor(&actor).await?;
        }
        Ok(received)
    }

    async fn subscribe(&self, follow: &Value, actor: &RemoteActor) -> Result<RelayReceived, FederationError> {
        let style = match vocab::id_of(follow.get("object").unwrap_or(&Value::Null)) {
            Some(o) if vocab::is_public(o) => SubscriptionStyle::Mastodon,
            Some(o) if o == self.urls.relay_actor() => SubscriptionStyle::LitePub,
            _ => {
                return Err(FederationError::Invalid(
                    "to subscribe, follow the public collection (Mastodon) or the relay actor (LitePub)"
                        .into(),
                ))
            }
        };
        let follow_id = vocab::id_of(follow)
            .ok_or_else(|| FederationError::Invalid("the Follow has no id".into()))?
            .to_owned();
        let host = host_of(&actor.uri)?;
        if relay_blocked(&host, &self.store.relay_blocks().await?) {
            return Err(FederationError::NotAccepted(format!("{host} is blocked from this relay")));
        }
        // A server that turns the relay off and on again follows anew: a subscription the
        // relay had accepted (active, or suspended while unreachable) is active again and
        // accepted again, whatever the mode.
        let active = self
            .store
            .relay_subscriber(&actor.uri)
            .await?
            .is_some_and(|s| s.state != SubscriptionState::Pending);
        let state = match self.mode {
            _ if active => SubscriptionState::Active,
            RelayMode::Open => SubscriptionState::Active,
            RelayMode::Approval => {
                // A server subscribes once; more of its actors waiting would only fill the
                // operator's list and the audit trail. And the list has an end.
                if self.store.relay_pending_from_host(&host, &actor.uri).await? {
                    return Err(FederationError::NotAccepted(format!(
                        "a subscription from {host} already waits for the operator's approval"
                    )));
                }
                let counts = self.store.relay_counts().await?;
                let pending = counts.iter().find(|(s, _)| s == "pending").map_or(0, |(_, n)| *n);
                if pending >= MAX_PENDING {
                    return Err(FederationError::RateLimited(3600));
                }
                SubscriptionState::Pending
            }
            RelayMode::Allowlist => {
                if !relay_publisher_allowed(&actor.uri, &host, &self.store.relay_publishers().await?) {
                    return Err(FederationError::NotAccepted(format!(
                        "this relay takes subscriptions only from the servers its operator listed; {host} is not one"
                    )));
                }
                SubscriptionState::Active
            }
        };
        let inbox = actor.shared_inbox.clone().unwrap_or_else(|| actor.inbox.clone());
        let mut answers = Vec::new();
        let mut follow_back_id = None;
        if state == SubscriptionState::Active {
            answers.push(self.answer("Accept", follow, &inbox));
            if let Some(follow) = self.follow_back(style, &actor.uri, &host, &inbox).await? {
                follow_back_id = Some(follow.uri.clone());
                answers.push(follow);
            }
        }
        let audit =
            AuditEntry::new("remote", "relay.subscribe", format!("relay:{host}")).with_detail(json!({
                "actor": actor.uri,
                "style": style.as_str(),
                "state": state.as_str(),
            }));
        let subscriber = NewSubscriber {
            actor_uri: actor.uri.clone(),
            host,
            inbox,
            follow_id,
            style,
            state,
            follow_back_id,
        };
        self.store.relay_subscribe(subscriber, answers, audit).await?;
        Ok(RelayReceived::Subscribed { pending: state == SubscriptionState::Pending })
    }

    /// Ends a subscription at the subscriber's word; with `undo_follow_back`, the relay's own
    /// Follow of it (if any) is undone too (not for an actor that is gone).
    async fn unsubscribe(
        &self,
        actor_uri: &str,
        follow_id: Option<&str>,
        undo_follow_back: bool,
    ) -> Result<RelayReceived, FederationError> {
        let host = host_of(actor_uri)?;
        let audit = AuditEntry::new("remote", "relay.unsubscribe", format!("relay:{host}"))
            .with_detail(json!({ "actor": actor_uri }));
        let mut farewells = Vec::new();
        if undo_follow_back {
            if let Some(s) = self.store.relay_subscriber(actor_uri).await? {
                farewells.extend(self.undo_follow_back(&s));
            }
        }
        Ok(if self.store.relay_unsubscribe(actor_uri, follow_id, farewells, audit).await? {
            RelayReceived::Unsubscribed
        } else {
            RelayReceived::Ignored
        })
    }

    /// Passes a publisher's public activity on to every subscriber but its own server.
    /// Create and Announce go byte-for-byte (relay-signed) to Mastodon-style subscribers when
    /// the publisher signed them inside (Mastodon then needs no fetch from the origin), and
    /// otherwise, and always to LitePub subscribers (which cannot check such signatures), as
    /// the relay's Announce of the object. Update, Delete and Move mean nothing from a relay
    /// unless they are signed inside, so they are passed on only then, byte-for-byte.
    async fn forward(
        &self,
        kind: &str,
        activity: &Value,
        body: &[u8],
        actor: &RemoteActor,
    ) -> Result<RelayReceived, FederationError> {
        let origin = host_of(&actor.uri)?;
        if origin == self.urls.host() {
            return Err(FederationError::NotAccepted(
                "the relay does not take activities of its own server back".into(),
            ));
        }
        let blocks = self.store.relay_blocks().await?;
        if relay_blocked(&origin, &blocks) {
            return Err(FederationError::NotAccepted(format!("{origin} is blocked from this relay")));
        }
        let publishers = self.store.relay_publishers().await?;
        if !relay_publisher_allowed(&actor.uri, &origin, &publishers) {
            return Err(FederationError::NotAccepted(format!(
                "{} is not among this relay's publishers (the operator adds them with `herold relay publishers add`)",
                actor.uri
            )));
        }
        if !is_addressed_publicly(activity) {
            return Err(FederationError::NotAccepted("only public activities are relayed".into()));
        }
        let id = vocab::id_of(activity)
            .ok_or_else(|| FederationError::Invalid("the activity has no id".into()))?;
        let object = vocab::id_of(activity.get("object").unwrap_or(&Value::Null))
            .ok_or_else(|| FederationError::Invalid(format!("the {kind} names no object")))?;
        if host_of(id)? != origin {
            return Err(FederationError::Invalid("the activity's id is not on its actor's server".into()));
        }
        let object_host = host_of(object)?;
        // What is ours goes out through our own accounts; taking it back would loop.
        if object_host == self.urls.host() {
            return Err(FederationError::NotAccepted(
                "the relay does not pass on its own server's posts".into(),
            ));
        }
        // A Create, Update, Delete or Move speaks for its actor's own server. An Announce may
        // be of another publisher's post, but not of just any URL: every subscriber fetches
        // what the relay announces, which must not be turned on a third party.
        if object_host != origin {
            let publisher_post = kind == "Announce"
                && relay_publisher_allowed(object, &object_host, &publishers)
                && !relay_blocked(&object_host, &blocks);
            if !publisher_post {
                return Err(FederationError::NotAccepted(format!(
                    "the {kind}'s object is on {object_host}, which is neither its actor's server nor a publisher's"
                )));
            }
        }
        let signed = ld_signed_by(activity, &actor.key_id) || self.proven_by(activity, actor).await;
        let everyone = |style| Audience::RelaySubscribers { style, except_host: Some(origin.clone()) };
        let mut seen = vec![format!("activity:{id}")];
        let mut out = Vec::new();
        match kind {
            "Create" | "Announce" => {
                // The same post may come twice: from its author and in another relay's Announce.
                seen.push(format!("object:{object}"));
                if signed {
                    out.push(self.verbatim(kind, body, everyone(Some(SubscriptionStyle::Mastodon)))?);
                    out.push(announce(
                        &self.urls,
                        object,
                        everyone(Some(SubscriptionStyle::LitePub)),
                        Priority::Routine,
                    ));
                } else {
                    out.push(announce(&self.urls, object, everyone(None), Priority::Routine));
                }
            }
            _ if signed => out.push(self.verbatim(kind, body, everyone(None))?),
            _ => {
                return Err(FederationError::NotAccepted(format!(
                "a relayed {kind} must carry its publisher's Linked Data signature, which receivers check; \
                     this one has none"
            )))
            }
        }
        Ok(if self.store.relay_forward(&seen, &out).await? {
            RelayReceived::Relayed
        } else {
            RelayReceived::Duplicate
        })
    }

    /// The body as the publisher sent it, under an id of the relay's own (the activity's
    /// id stays in the body; receivers see only that).
    fn verbatim(&self, kind: &str, body: &[u8], audience: Audience) -> Result<NewActivity, FederationError> {
        let body = String::from_utf8(body.to_vec())
            .map_err(|_| FederationError::Invalid("the body is not UTF-8".into()))?;
        Ok(NewActivity {
            uri: self.urls.relay_activity(&uuid::Uuid::new_v4().to_string()),
            kind: kind.to_owned(),
            account_id: None,
            signer: Some(RELAY_SIGNER.into()),
            body,
            audience,
            priority: Priority::Routine,
        })
    }

    /// A message of the relay to one inbox (an answer, its own Follow or the Undo of it),
    /// under a new id that `body` builds the activity around.
    fn message(&self, kind: &str, inbox: &str, body: impl FnOnce(&str) -> Value) -> NewActivity {
        let uri = self.urls.relay_activity(&uuid::Uuid::new_v4().to_string());
        NewActivity {
            body: body(&uri).to_string(),
            uri,
            kind: kind.into(),
            account_id: None,
            signer: Some(RELAY_SIGNER.into()),
            audience: Audience::Inboxes(vec![inbox.to_owned()]),
            priority: Priority::Answer,
        }
    }

    /// The relay's Accept or Reject of a Follow, echoing the Follow's identifying fields.
    fn answer(&self, kind: &str, follow: &Value, inbox: &str) -> NewActivity {
        self.message(kind, inbox, |id| vocab::answer(kind, id, &self.urls.relay_actor(), follow))
    }

    /// A LitePub server sends its posts to the actors that follow it, so the relay follows
    /// back a LitePub subscriber that may publish through it (one on the publisher
    /// allow-list); others would only meet refusals. Mastodon relays need nothing of this.
    async fn follow_back(
        &self,
        style: SubscriptionStyle,
        actor_uri: &str,
        host: &str,
        inbox: &str,
    ) -> Result<Option<NewActivity>, FederationError> {
        if style != SubscriptionStyle::LitePub
            || !relay_publisher_allowed(actor_uri, host, &self.store.relay_publishers().await?)
        {
            return Ok(None);
        }
        Ok(Some(self.follow(actor_uri, inbox)))
    }

    /// The relay's Follow of a subscriber.
    fn follow(&self, actor_uri: &str, inbox: &str) -> NewActivity {
        self.message("Follow", inbox, |id| {
            json!({
                "@context": vocab::AS_CONTEXT,
                "id": id,
                "type": "Follow",
                "actor": self.urls.relay_actor(),
                "object": actor_uri,
            })
        })
    }

    /// The end of the relay's follow-back of `s`, if there is one.
    fn unfollow(&self, s: &Subscriber) -> Option<FollowBackChange> {
        Some(FollowBackChange {
            actor_uri: s.actor_uri.clone(),
            expected: s.follow_back_id.clone(),
            new: None,
            activity: self.undo_follow_back(s)?,
        })
    }

    /// The Undo of the relay's Follow of a subscriber, if it sent one.
    fn undo_follow_back(&self, s: &Subscriber) -> Option<NewActivity> {
        let follow_id = s.follow_back_id.as_ref()?;
        let relay = self.urls.relay_actor();
        Some(self.message("Undo", &s.inbox, |id| {
            json!({
                "@context": vocab::AS_CONTEXT,
                "id": id,
                "type": "Undo",
                "actor": relay,
                "object": { "id": follow_id, "type": "Follow", "actor": relay, "object": s.actor_uri },
            })
        }))
    }

    /// Whether an Accept's or Reject's object is a Follow the relay sent to `sender`: one of
    /// the relay's activity ids, and (when the Follow is embedded) the relay's Follow of the
    /// sender.
    fn answers_our_follow(&self, object: &Value, sender: &str) -> bool {
        let relay = self.urls.relay_actor();
        let ours = vocab::id_of(object).is_some_and(|id| id.starts_with(&self.urls.relay_activity("")));
        let embedded_matches = !object.is_object()
            || (object.get("actor").and_then(vocab::id_of) == Some(relay.as_str())
                && object.get("object").and_then(vocab::id_of) == Some(sender));
        ours && embedded_matches
    }

    /// The Follow a subscription was made with, as far as the relay keeps it.
    fn follow_of(&self, s: &Subscriber) -> Value {
        let object = match s.style {
            SubscriptionStyle::Mastodon => PUBLIC.to_owned(),
            SubscriptionStyle::LitePub => self.urls.relay_actor(),
        };
        json!({ "id": s.follow_id, "type": "Follow", "actor": s.actor_uri, "object": object })
    }

    /// Approves a pending subscription (relay mode `approval`): the subscriber receives its
    /// Accept. `None` if nothing is pending for that actor.
    pub async fn approve(&self, actor_uri: &str, by: &str) -> Result<Option<Subscriber>, FederationError> {
        let Some(pending) = self.store.relay_subscriber(actor_uri).await? else { return Ok(None) };
        let mut answers = vec![self.answer("Accept", &self.follow_of(&pending), &pending.inbox)];
        let follow = self.follow_back(pending.style, actor_uri, &pending.host, &pending.inbox).await?;
        let follow_back_id = follow.as_ref().map(|f| f.uri.clone());
        answers.extend(follow);
        let audit = AuditEntry::new(by, "relay.approve", format!("relay:{}", pending.host))
            .with_detail(json!({ "actor": actor_uri }));
        Ok(self.store.relay_approve(actor_uri, answers, follow_back_id.as_deref(), audit).await?)
    }

    /// Ends a subscription at the operator's word (pending or active) and tells the
    /// subscriber with a Reject, so that its server does not show the relay as waiting.
    pub async fn reject(
        &self,
        actor_uri: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Result<bool, FederationError> {
        let Some(s) = self.store.relay_subscriber(actor_uri).await? else { return Ok(false) };
        let mut farewells = vec![self.answer("Reject", &self.follow_of(&s), &s.inbox)];
        farewells.extend(self.undo_follow_back(&s));
        let audit = AuditEntry::new(by, "relay.reject", format!("relay:{}", s.host))
            .with_detail(json!({ "actor": actor_uri, "reason": reason }));
        Ok(self.store.relay_unsubscribe(actor_uri, Some(&s.follow_id), farewells, audit).await?)
    }

    /// Blocks a domain and its subdomains from subscribing and publishing; ends their
    /// subscriptions.
    pub async fn block(&self, domain: &str, by: &str, reason: Option<&str>) -> Result<u64, FederationError> {
        let domain = normalise_domain(domain)?;
        let unfollows = self
            .store
            .relay_subscribers()
            .await?
            .iter()
            .filter(|s| relay_blocked(&s.host, std::slice::from_ref(&domain)))
            .filter_map(|s| self.unfollow(s))
            .collect();
        let audit = AuditEntry::new(by, "relay.block", format!("relay:{domain}"))
            .with_detail(json!({ "reason": reason }));
        Ok(self.store.relay_block(&domain, unfollows, audit).await?)
    }

    pub async fn unblock(&self, domain: &str, by: &str) -> Result<bool, FederationError> {
        let domain = normalise_domain(domain)?;
        let audit = AuditEntry::new(by, "relay.unblock", format!("relay:{domain}"));
        Ok(self.store.relay_unblock(&domain, audit).await?)
    }

    /// Suspends the subscriptions whose inbox has failed without a success since before
    /// `cutoff`; they stay listed (`herold relay subscribers`) until resumed.
    pub async fn suspend_unreachable(&self, cutoff: i64) -> Result<Vec<Subscriber>, FederationError> {
        Ok(self.store.relay_suspend_unreachable(cutoff, "system").await?)
    }

    pub async fn resume(&self, actor_uri: &str, by: &str) -> Result<bool, FederationError> {
        let host = host_of(actor_uri)?;
        let audit = AuditEntry::new(by, "relay.resume", format!("relay:{host}"))
            .with_detail(json!({ "actor": actor_uri }));
        Ok(self.store.relay_resume(actor_uri, audit).await?)
    }

    /// Lists a publisher: a domain (with its subdomains) or one actor's URI.
    /// Lists a publisher; the relay follows back the active LitePub subscribers it lets
    /// publish, which subscribed before.
    pub async fn add_publisher(&self, entry: &str, by: &str) -> Result<bool, FederationError> {
        let entry = normalise_publisher(entry)?;
        let listed = std::slice::from_ref(&entry);
        let follows = self
            .store
            .relay_subscribers()
            .await?
            .into_iter()
            .filter(|s| s.style == SubscriptionStyle::LitePub && s.state == SubscriptionState::Active)
            .filter(|s| s.follow_back_id.is_none() && relay_publisher_allowed(&s.actor_uri, &s.host, listed))
            .map(|s| {
                let follow = self.follow(&s.actor_uri, &s.inbox);
                FollowBackChange {
                    new: Some(follow.uri.clone()),
                    expected: None,
                    actor_uri: s.actor_uri,
                    activity: follow,
                }
            })
            .collect();
        let audit = AuditEntry::new(by, "relay.publisher_add", publisher_subject(&entry)?);
        Ok(self.store.relay_publisher_add(&entry, follows, audit).await?)
    }

    /// Unlists a publisher; the relay stops following the LitePub subscribers that may no
    /// longer publish (their posts would only meet refusals).
    pub async fn remove_publisher(
        &self,
        entry: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Result<bool, FederationError> {
        let entry = normalise_publisher(entry)?;
        let remaining: Vec<String> =
            self.store.relay_publishers().await?.into_iter().filter(|p| *p != entry).collect();
        let unfollows = self
            .store
            .relay_subscribers()
            .await?
            .into_iter()
            .filter(|s| !relay_publisher_allowed(&s.actor_uri, &s.host, &remaining))
            .filter_map(|s| self.unfollow(&s))
            .collect();
        let audit = AuditEntry::new(by, "relay.publisher_remove", publisher_subject(&entry)?)
            .with_detail(json!({ "reason": reason }));
        Ok(self.store.relay_publisher_remove(&entry, unfollows, audit).await?)
    }
}

/// The relay's Announce of a post, which receivers fetch from its origin: how official
/// announcements reach subscribers, and publishers' posts those that cannot take them
/// byte-for-byte.
pub fn announce(urls: &Urls, object: &str, audience: Audience, priority: Priority) -> NewActivity {
    let uri = urls.relay_activity(&uuid::Uuid::new_v4().to_string());
    NewActivity {
        body: vocab::announce(&uri, &urls.relay_actor(), object, now_millis()).to_string(),
        uri,
        kind: "Announce".into(),
        account_id: None,
        signer: Some(RELAY_SIGNER.into()),
        audience,
        priority,
    }
}

/// The audit subject of a publisher: its server. An actor's URI may name a person, so it
/// goes only into the entry's erasable details.
fn publisher_subject(entry: &str) -> Result<String, FederationError> {
    Ok(format!("relay:{}", if entry.contains("://") { host_of(entry)? } else { entry.to_owned() }))
}

/// A publisher as the operator typed it: an actor's http(s) URI, or a domain name.
fn normalise_publisher(entry: &str) -> Result<String, FederationError> {
    let entry = entry.trim();
    if entry.contains("://") {
        let url = url::Url::parse(entry)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
            .ok_or_else(|| {
                FederationError::Invalid(format!(
                    "{entry:?} is not an actor URI such as https://social.example/users/press"
                ))
            })?;
        Ok(url.to_string())
    } else {
        normalise_domain(entry)
    }
}

/// A domain as the operator typed it, lower-cased, checked to be a host name.
fn normalise_domain(domain: &str) -> Result<String, FederationError> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(d)
    } else {
        Err(FederationError::Invalid(format!("{domain:?} is not a domain name such as social.example")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn domains_are_checked_and_normalised() {
        assert_eq!(super::normalise_domain(" Social.Example. ").unwrap(), "social.example");
        assert!(super::normalise_domain("bad domain").is_err());
        assert!(super::normalise_domain("").is_err());
        assert!(super::normalise_domain("a..b").is_err());
    }

    #[test]
    fn publishers_are_domains_or_actor_uris() {
        assert_eq!(super::normalise_publisher("Bund.DE").unwrap(), "bund.de");
        assert_eq!(
            super::normalise_publisher("https://social.bund.de/users/bfdi").unwrap(),
            "https://social.bund.de/users/bfdi"
        );
        assert!(super::normalise_publisher("ftp://social.bund.de/x").is_err());
        assert!(super::normalise_publisher("https://").is_err());
    }

    #[test]
    fn only_public_activities_and_the_signers_own_ld_signature_count() {
        assert!(super::is_addressed_publicly(&json!({ "to": ["as:Public"] })));
        assert!(super::is_addressed_publicly(
            &json!({ "to": "https://www.w3.org/ns/activitystreams#Public" })
        ));
        assert!(!super::is_addressed_publicly(&json!({ "to": ["https://a.example/users/x/followers"] })));
        // Unlisted: public only in cc, of the activity or of its post.
        let followers = "https://a.example/users/x/followers";
        assert!(!super::is_addressed_publicly(&json!({ "to": [followers], "cc": ["as:Public"] })));
        assert!(!super::is_addressed_publicly(
            &json!({ "to": ["as:Public"], "object": { "to": [followers], "cc": ["as:Public"] } })
        ));
        let signed = json!({ "signature": {
            "type": "RsaSignature2017", "creator": "https://a.example/users/x#main-key", "signatureValue": "c2ln" } });
        assert!(super::ld_signed_by(&signed, "https://a.example/users/x#main-key"));
        assert!(!super::ld_signed_by(&signed, "https://b.example/users/y#main-key"));
        assert!(!super::ld_signed_by(&json!({}), "https://a.example/users/x#main-key"));
    }
}
