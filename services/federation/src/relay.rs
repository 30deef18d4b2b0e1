//! The relay's subscriptions: servers subscribe Mastodon style (a Follow of the public
//! collection sent to the relay inbox) or LitePub style (a Follow of the relay actor), are
//! accepted at once or after the operator approves, and leave with Undo or Delete. The
//! signature on the relay inbox is checked by `Inbox::verify`, exactly as elsewhere.

use std::sync::Arc;

use herold_store::{
    relay_blocked, Audience, AuditEntry, NewActivity, NewSubscriber, Priority, Store, Subscriber,
    SubscriptionState, SubscriptionStyle,
};
use serde_json::{json, Value};

use crate::delivery::RELAY_SIGNER;
use crate::inbox::Verified;
use crate::vocab::{self, PUBLIC};
use crate::{FederationError, Urls};

/// Whether subscriptions take effect at once or wait for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMode {
    Open,
    Approval,
}

impl RelayMode {
    pub fn parse(s: &str) -> Option<RelayMode> {
        match s {
            "open" => Some(RelayMode::Open),
            "approval" => Some(RelayMode::Approval),
            _ => None,
        }
    }
}

/// What a message to the relay inbox did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayReceived {
    Subscribed { pending: bool },
    Unsubscribed,
}

#[derive(Clone)]
pub struct Relay {
    store: Arc<dyn Store>,
    urls: Urls,
    mode: RelayMode,
}

/// The host (with port) of an actor URI: the unit of blocks.
fn host_of(uri: &str) -> Result<String, FederationError> {
    let url = url::Url::parse(uri).map_err(|_| FederationError::Invalid("the actor is not a URL".into()))?;
    let host = url.host_str().ok_or_else(|| FederationError::Invalid("the actor has no host".into()))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

impl Relay {
    pub fn new(store: Arc<dyn Store>, urls: Urls, mode: RelayMode) -> Relay {
        Relay { store, urls, mode }
    }

    pub async fn receive(&self, verified: Verified) -> Result<RelayReceived, FederationError> {
        let Verified { activity, actor } = verified;
        let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default();
        let object = activity.get("object").unwrap_or(&Value::Null);
        match kind {
            "Follow" => self.subscribe(&activity, &actor).await,
            // Undo of the subscription's Follow, embedded or by id.
            "Undo" => {
                let follow_id = vocab::id_of(object)
                    .ok_or_else(|| FederationError::Invalid("the Undo names no activity".into()))?;
                self.unsubscribe(&actor.uri, Some(follow_id), "relay.unsubscribe").await
            }
            // The subscribing actor itself is gone.
            "Delete" if vocab::id_of(object) == Some(actor.uri.as_str()) => {
                self.unsubscribe(&actor.uri, None, "relay.unsubscribe").await
            }
            other => Err(FederationError::NotAccepted(format!(
                "the relay inbox takes subscriptions (Follow, Undo); a {} is not relayed from {}",
                if other.is_empty() { "message without a type" } else { other },
                actor.uri
            ))),
        }
    }

    async fn subscribe(
        &self,
        follow: &Value,
        actor: &herold_store::RemoteActor,
    ) -> Result<RelayReceived, FederationError> {
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
        let inbox = actor.shared_inbox.clone().unwrap_or_else(|| actor.inbox.clone());
        let state = match self.mode {
            RelayMode::Open => SubscriptionState::Active,
            RelayMode::Approval => SubscriptionState::Pending,
        };
        let accept = (state == SubscriptionState::Active).then(|| self.accept(follow, &inbox));
        let audit =
            AuditEntry::new("remote", "relay.subscribe", format!("relay:{host}")).with_detail(json!({
                "actor": actor.uri,
                "style": style.as_str(),
                "state": state.as_str(),
            }));
        let subscriber = NewSubscriber { actor_uri: actor.uri.clone(), host, inbox, follow_id, style, state };
        self.store.relay_subscribe(subscriber, accept, audit).await?;
        Ok(RelayReceived::Subscribed { pending: state == SubscriptionState::Pending })
    }

    async fn unsubscribe(
        &self,
        actor_uri: &str,
        follow_id: Option<&str>,
        action: &str,
    ) -> Result<RelayReceived, FederationError> {
        let host = host_of(actor_uri)?;
        let audit = AuditEntry::new("remote", action, format!("relay:{host}"))
            .with_detail(json!({ "actor": actor_uri }));
        self.store.relay_unsubscribe(actor_uri, follow_id, audit).await?;
        Ok(RelayReceived::Unsubscribed)
    }

    /// The relay's Accept of a Follow, echoing the Follow's identifying fields.
    fn accept(&self, follow: &Value, inbox: &str) -> NewActivity {
        let uri = self.urls.relay_activity(&uuid::Uuid::new_v4().to_string());
        NewActivity {
            body: vocab::accept(&uri, &self.urls.relay_actor(), follow).to_string(),
            uri,
            kind: "Accept".into(),
            account_id: None,
            signer: Some(RELAY_SIGNER.into()),
            audience: Audience::Inboxes(vec![inbox.to_owned()]),
            priority: Priority::Urgent,
        }
    }

    /// Approves a pending subscription (relay mode `approval`): the subscriber receives its
    /// Accept. `None` if nothing is pending for that actor.
    pub async fn approve(&self, actor_uri: &str, by: &str) -> Result<Option<Subscriber>, FederationError> {
        let Some(pending) = self.store.relay_subscriber(actor_uri).await? else { return Ok(None) };
        let object = match pending.style {
            SubscriptionStyle::Mastodon => PUBLIC.to_owned(),
            SubscriptionStyle::LitePub => self.urls.relay_actor(),
        };
        let follow =
            json!({ "id": pending.follow_id, "type": "Follow", "actor": actor_uri, "object": object });
        let accept = self.accept(&follow, &pending.inbox);
        let audit = AuditEntry::new(by, "relay.approve", format!("relay:{}", pending.host))
            .with_detail(json!({ "actor": actor_uri }));
        Ok(self.store.relay_approve(actor_uri, accept, audit).await?)
    }

    /// Ends a subscription at the operator's word (pending or active).
    pub async fn reject(&self, actor_uri: &str, by: &str) -> Result<bool, FederationError> {
        let host = host_of(actor_uri)?;
        let audit = AuditEntry::new(by, "relay.reject", format!("relay:{host}"))
            .with_detail(json!({ "actor": actor_uri }));
        Ok(self.store.relay_unsubscribe(actor_uri, None, audit).await?)
    }

    /// Blocks a domain and its subdomains from subscribing; ends their subscriptions.
    pub async fn block(&self, domain: &str, by: &str) -> Result<u64, FederationError> {
        let domain = normalise_domain(domain)?;
        let audit = AuditEntry::new(by, "relay.block", format!("relay:{domain}"));
        Ok(self.store.relay_block(&domain, audit).await?)
    }

    pub async fn unblock(&self, domain: &str, by: &str) -> Result<bool, FederationError> {
        let domain = normalise_domain(domain)?;
        let audit = AuditEntry::new(by, "relay.unblock", format!("relay:{domain}"));
        Ok(self.store.relay_unblock(&domain, audit).await?)
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
    #[test]
    fn domains_are_checked_and_normalised() {
        assert_eq!(super::normalise_domain(" Social.Example. ").unwrap(), "social.example");
        assert!(super::normalise_domain("bad domain").is_err());
        assert!(super::normalise_domain("").is_err());
        assert!(super::normalise_domain("a..b").is_err());
    }
}
