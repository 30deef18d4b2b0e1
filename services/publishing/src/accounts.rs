use herold_domain::presence::Presence;
use herold_domain::{DisplayName, LanguageTag, OrgSlug, Summary, Username};
use herold_federation::integrity::ProofKey;
use herold_federation::keys::{generate_ed25519, generate_rsa_2048, KeyEncryptionKey};
use herold_federation::vocab;
use herold_federation::{FederationError, Urls};
use herold_store::{Account, AccountKeys, AuditEntry, NewAccount, NewOrg, Organization, Store};
use serde_json::{json, Value};

use crate::PublishError;

pub async fn create_org(
    store: &dyn Store,
    slug: &OrgSlug,
    name: &DisplayName,
    by: &str,
) -> Result<Organization, PublishError> {
    Ok(store
        .create_org(
            NewOrg { slug: slug.to_string(), name: name.as_str().to_owned() },
            AuditEntry::new(by, "org.create", format!("org:{slug}")).in_org(slug.as_str()),
        )
        .await?)
}

/// What an operator asks for when creating an official account.
pub struct AccountRequest {
    pub org: OrgSlug,
    pub username: Username,
    pub name: DisplayName,
    pub summary: Option<Summary>,
    /// What its announcements are in unless they say otherwise.
    pub language: LanguageTag,
}

/// Creates an official account with a fresh RSA-2048 key, sealed before it is stored. Names
/// kept for the server itself (`Username::is_reserved`) are refused.
pub async fn create_account(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
    request: AccountRequest,
    by: &str,
) -> Result<Account, PublishError> {
    if request.username.is_reserved(&urls.host()) {
        return Err(PublishError::ReservedName(request.username.to_string()));
    }
    create_service_account(store, kek, urls, request, by).await
}

/// Creates one of the server's own accounts (the transparency log), whose name is reserved.
pub async fn create_service_account(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
    request: AccountRequest,
    by: &str,
) -> Result<Account, PublishError> {
    let AccountRequest { org, username, name, summary, language } = request;
    // Key generation takes a noticeable fraction of a second: keep it off the async workers.
    let key = tokio::task::spawn_blocking(generate_rsa_2048)
        .await
        .map_err(|_| PublishError::Key(FederationError::Key("key generation was cancelled".into())))??;
    let sealed = kek.seal(&key.pkcs8_der, &urls.actor(username.as_str()))?;
    let account = store
        .create_account(
            NewAccount {
                org_slug: org.to_string(),
                username: username.to_string(),
                display_name: name.as_str().to_owned(),
                summary: summary.map(|s| s.as_str().to_owned()),
                public_key_pem: key.public_key_pem,
                private_key_enc: sealed,
                language: language.to_string(),
            },
            AuditEntry::new(by, "account.create", format!("account:{username}"))
                .in_org(org.as_str())
                .with_detail(json!({ "org": org.to_string() })),
        )
        .await?;
    give_proof_key(store, kek, urls, account).await
}

/// Gives an account its Ed25519 key for integrity proofs, if it has none: every account made
/// before proofs existed, at startup, and each new one.
pub async fn give_proof_key(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
    account: Account,
) -> Result<Account, PublishError> {
    if account.proof_key_public.is_some() {
        return Ok(account);
    }
    let key = generate_ed25519()?;
    let sealed = kek.seal(&key.pkcs8_der, &urls.proof_key_id(&account.username))?;
    Ok(store.set_proof_key(account.id, &key.public_multibase, &sealed).await?)
}

/// The `Update` of an account's actor, as its followers receive it after a change.
pub(crate) fn actor_update_body(urls: &Urls, account: &Account, presence: &Presence, uri: &str) -> Value {
    // The actor's own context (with the DID and Multikey terms its keys need) goes to the
    // Update, so that JSON-LD processors keep the new key.
    let mut object = vocab::account_actor(urls, account, presence);
    let context = object.as_object_mut().and_then(|o| o.remove("@context")).unwrap_or_else(vocab::context);
    json!({
        "@context": context,
        "id": uri,
        "type": "Update",
        "actor": urls.actor(&account.username),
        "object": object,
        "to": [vocab::PUBLIC],
        "cc": [urls.followers(&account.username)],
    })
}

/// Gives an account new key pairs and tells its followers with an `Update` of the actor, so
/// that their servers take the new key at once (they would fetch it at the first signature
/// that fails with the old one anyway). Deliveries signed from now on use the new key.
pub async fn rotate_keys(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
    presence: &Presence,
    username: &Username,
    by: &str,
) -> Result<Account, PublishError> {
    let account = store
        .account_by_username(username.as_str())
        .await?
        .ok_or_else(|| PublishError::UnknownAccount(username.to_string()))?;
    let rsa = tokio::task::spawn_blocking(generate_rsa_2048)
        .await
        .map_err(|_| PublishError::Key(FederationError::Key("key generation was cancelled".into())))??;
    let ed25519 = generate_ed25519()?;
    let keys = AccountKeys {
        public_key_pem: rsa.public_key_pem,
        private_key_enc: kek.seal(&rsa.pkcs8_der, &urls.actor(&account.username))?,
        proof_key_public: ed25519.public_multibase,
        proof_key_enc: kek.seal(&ed25519.pkcs8_der, &urls.proof_key_id(&account.username))?,
    };
    let renewed = Account {
        public_key_pem: keys.public_key_pem.clone(),
        proof_key_public: Some(keys.proof_key_public.clone()),
        ..account.clone()
    };
    let uri = urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
    let update = actor_update_body(urls, &renewed, presence, &uri);
    // Proven with the new key, which the Update itself carries.
    let proof_key = ProofKey::from_pkcs8(urls.proof_key_id(&account.username), &ed25519.pkcs8_der)?;
    let update = proof_key.prove(update, herold_domain::now_millis());
    let activity = crate::profiles::update_activity(&account, uri, update);
    let audit = AuditEntry::new(by, "account.rotate_keys", format!("account:{}", account.username))
        .in_org(&account.org_slug);
    Ok(store.rotate_keys(account.id, keys, activity, audit).await?)
}

/// How an account ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Its followers move to the account elsewhere (an actor id, which must name this one
    /// in `alsoKnownAs`, as Mastodon checks before it moves anyone).
    Move { to: String },
    /// Its body ceased or no longer speaks through it.
    Retire,
}

impl crate::Publisher {
    /// Ends an account: it publishes no more, its followers' servers receive the actor
    /// `Update` (and, for a move, the `Move` that makes them follow the new account), and
    /// what it published stays readable, all in one transaction with the audit entry.
    pub async fn end_account(
        &self,
        username: &str,
        ending: Ending,
        by: &str,
        reason: Option<&str>,
    ) -> Result<Account, PublishError> {
        let account = self.account(username).await?;
        let actor_id = self.urls.actor(&account.username);
        if let Ending::Move { to } = &ending {
            let target =
                self.fetcher.get_object(to).await.map_err(|e| PublishError::MoveTarget(e.to_string()))?;
            let aliases = match target.get("alsoKnownAs") {
                Some(Value::Array(list)) => {
                    list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
                }
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            };
            if !aliases.contains(&actor_id) {
                return Err(PublishError::NoAlias(actor_id));
            }
        }
        let now = herold_domain::now_millis();
        let moved_to = match &ending {
            Ending::Move { to } => Some(to.clone()),
            Ending::Retire => None,
        };
        let ended = Account { ended_at: Some(now), moved_to: moved_to.clone(), ..account.clone() };
        let mut activities = vec![self.actor_update(&ended)];
        if let Some(to) = &moved_to {
            let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
            let body = json!({
                "@context": vocab::context(),
                "id": uri,
                "type": "Move",
                "actor": actor_id,
                "object": actor_id,
                "target": to,
                "to": [self.urls.followers(&account.username)],
            });
            let mut activity = crate::profiles::update_activity(&account, uri, self.prove(&account, body));
            activity.kind = "Move".into();
            activities.push(activity);
        }
        let (action, detail) = match &moved_to {
            Some(to) => ("account.move", json!({ "to": to, "reason": reason })),
            None => ("account.retire", json!({ "reason": reason })),
        };
        let audit = AuditEntry::new(by, action, format!("account:{}", account.username))
            .in_org(&account.org_slug)
            .with_detail(detail);
        Ok(self.store.end_account(account.id, moved_to.as_deref(), now, activities, audit).await?)
    }
}
