//! What the handlers and the background jobs share (`Services`), and how it is built from a
//! `Config`: the store, the keys, federation, the editorial workflow and the policies.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herold_compliance::audit::AuditKeys;
use herold_compliance::policy::{Policies, Retention};
use herold_domain::dialogue::DialoguePolicy;
use herold_domain::presence::Presences;
use herold_domain::{DisplayName, LanguageTag, OrgSlug, Summary, Username};
use herold_federation::delivery::{Deliverer, DeliveryConfig, SigningKeys};
use herold_federation::fetch::{http_client, Fetcher};
use herold_federation::inbox::Inbox;
use herold_federation::keys::{generate_rsa_2048, KeyEncryptionKey, Signer};
use herold_federation::metrics::Metrics;
use herold_federation::signing_pool::SigningPool;
use herold_federation::Urls;
use herold_identity::Providers;
use herold_publishing::editorial::{Editorial, OrgRules};
use herold_publishing::Publisher;
use herold_publishing::{accounts, PublishError};
use herold_store::{DataClass, StoreError};
use herold_store::{DraftRecord, InstanceKey, Store, Visibility};

use crate::config::Config;

/// Everything the handlers and workers share, built once outside `HttpServer::new`.
pub struct Services {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub urls: Urls,
    pub kek: Arc<KeyEncryptionKey>,
    pub instance_public_key: String,
    pub relay_public_key: String,
    pub relay: herold_federation::relay::Relay,
    pub inbox: Inbox,
    pub publisher: Publisher,
    pub deliverer: Arc<Deliverer>,
    pub audit: Arc<AuditKeys>,
    pub policies: Arc<Policies>,
    /// How each organisation's accounts present themselves (`[presence]` in its policy).
    pub presences: Presences,
    pub metrics: Arc<Metrics>,
    /// Present only when the operator turned the security log on.
    pub security_log: Option<crate::security_log::SecurityLog>,
    pub inbox_limiter: herold_federation::rate_limit::SiteLimiter,
    /// Fetches on behalf of a visitor (where their own server lets them follow), and the
    /// budget of such lookups per server: anyone can ask, so each server is asked rarely.
    pub fetcher: Fetcher,
    pub follow_lookups: herold_federation::rate_limit::SiteLimiter,
    /// All such lookups together.
    pub follow_lookups_all: herold_federation::rate_limit::RateLimiter,
    /// Each organisation's OpenID provider, for staff sign-in.
    pub providers: Providers,
    /// The delivery queue as last read from the database, for the OTLP gauges.
    pub queue_snapshot: Arc<std::sync::Mutex<herold_store::QueueDepth>>,
    pub editorial: Editorial,
    /// Sends notifications by e-mail, when `[mail]` names a server.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
}

/// The four-eyes rule, the dialogue's deadlines and what readers see, as the organisations'
/// policy files set them.
pub(crate) struct PolicyRules {
    policies: Arc<Policies>,
    visibility: Visibility,
    /// For an organisation without a policy file.
    default_dialogue: DialoguePolicy,
}

/// Whether a second person must approve the draft: yes, unless its organisation's policy
/// says otherwise.
fn four_eyes(policies: &Policies, draft: &DraftRecord) -> bool {
    policies
        .orgs
        .get(&draft.org_slug)
        .is_none_or(|p| p.workflow.four_eyes_for(&draft.account_username, draft.answers.is_some()))
}

impl PolicyRules {
    pub(crate) fn new(policies: Arc<Policies>) -> PolicyRules {
        PolicyRules {
            visibility: policies.visibility(),
            policies,
            default_dialogue: DialoguePolicy::default(),
        }
    }
}

impl OrgRules for PolicyRules {
    fn four_eyes(&self, draft: &DraftRecord) -> bool {
        four_eyes(&self.policies, draft)
    }

    fn dialogue(&self, org: &str) -> &DialoguePolicy {
        self.policies.orgs.get(org).map_or(&self.default_dialogue, |p| &p.dialogue)
    }

    fn four_eyes_for_profiles(&self, org: &str) -> bool {
        self.policies.orgs.get(org).is_none_or(|p| p.workflow.four_eyes_profiles)
    }

    fn visibility(&self) -> &Visibility {
        &self.visibility
    }
}

pub const INSTANCE_KEY: &str = "instance-actor";
/// The relay actor's key, in the same table.
pub const RELAY_KEY: &str = "relay";

pub use herold_publishing::TRANSPARENCY_ACCOUNT;
/// The organisation that runs the instance: it holds `@transparency`, and its
/// administrators moderate the relay.
pub const OPERATOR_ORG: &str = "operator";

async fn ensure_transparency_account(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
) -> anyhow::Result<()> {
    if store.account_by_username(TRANSPARENCY_ACCOUNT).await?.is_some() {
        return Ok(());
    }
    let org = OrgSlug::parse(OPERATOR_ORG)?;
    if !store.list_orgs().await?.iter().any(|o| o.slug == OPERATOR_ORG) {
        let name = DisplayName::parse("Operator of this Herold server")?;
        match accounts::create_org(store, &org, &name, "system").await {
            Ok(_) | Err(PublishError::Store(StoreError::Conflict(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let request = accounts::AccountRequest {
        org,
        username: Username::parse(TRANSPARENCY_ACCOUNT)?,
        name: DisplayName::parse("Audit transparency log")?,
        summary: Some(Summary::parse(
            "Signed checkpoints of this server's tamper-evident audit trail. Follow to keep an independent copy.",
        )?),
        language: LanguageTag::parse("en")?,
    };
    match accounts::create_service_account(store, kek, urls, request, "system").await {
        // Another process created it first.
        Ok(_) | Err(PublishError::Store(StoreError::Conflict(_))) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// An instance key (the instance actor's, the relay's), made on first start. Concurrent
/// first starts agree on one key: the store keeps whichever was stored first.
async fn instance_key(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    name: &str,
    actor: &str,
) -> anyhow::Result<InstanceKey> {
    if let Some(k) = store.instance_key(name).await? {
        return Ok(k);
    }
    let generated = tokio::task::spawn_blocking(generate_rsa_2048).await??;
    let candidate = InstanceKey {
        public_key_pem: generated.public_key_pem,
        private_key_enc: kek.seal(&generated.pkcs8_der, actor)?,
    };
    Ok(store.put_instance_key(name, candidate).await?)
}

/// Loads `policies/`; an invalid file stops Herold with the file, line and fix.
pub fn load_policies(config: &Config) -> anyhow::Result<Policies> {
    let policies = Policies::load(&config.policies_dir).map_err(|e| {
        anyhow::anyhow!("invalid policy: {e} (policies_dir = {})", config.policies_dir.display())
    })?;
    for warning in &policies.warnings {
        tracing::warn!("{warning}");
    }
    Ok(policies)
}

/// Refuses a policy file for an organisation the database does not know: a typo in a file
/// name would silently void a legal hold. The operator's organisation is made at startup if
/// it is missing, so its policy may come first.
pub async fn check_policy_orgs(
    config: &Config,
    policies: &Policies,
    store: &dyn Store,
) -> anyhow::Result<()> {
    let orgs: Vec<String> = store.list_orgs().await?.into_iter().map(|o| o.slug).collect();
    if let Some(unknown) = policies.orgs.keys().find(|o| !orgs.contains(o) && o.as_str() != OPERATOR_ORG) {
        anyhow::bail!(
            "invalid policy: {}/orgs/{unknown}.toml names no organisation; create it first or rename the file",
            config.policies_dir.display()
        );
    }
    Ok(())
}

/// The instance actor's signer (it signs Herold's own fetches) and its public key.
pub async fn instance_signer(
    store: &dyn Store,
    kek: &KeyEncryptionKey,
    urls: &Urls,
) -> anyhow::Result<(Arc<Signer>, String)> {
    let instance = instance_key(store, kek, INSTANCE_KEY, &urls.instance_actor()).await?;
    let signer = Signer::open(kek, urls.instance_key_id(), &instance.private_key_enc, &urls.instance_actor())
        .context(
            "the instance key does not open: is this the key-encryption key the database was created with?",
        )?;
    Ok((signer, instance.public_key_pem))
}

fn user_agent(urls: &Urls) -> String {
    format!("Herold/{} (+{})", env!("CARGO_PKG_VERSION"), urls.home())
}

/// Herold's reads of remote documents (actors, keys, WebFinger), signed as the instance
/// actor, through the SSRF guard.
pub fn fetcher(
    config: &Config,
    urls: &Urls,
    signer: Arc<Signer>,
    signing: SigningPool,
) -> anyhow::Result<Fetcher> {
    let allow_private = config.allow_private_networks;
    // The fetcher follows redirects itself (within one origin, each hop signed).
    // Reads go to each server rarely (a key, an actor, a WebFinger answer, then cached):
    // no connection is kept for them.
    let client = http_client(&user_agent(urls), allow_private, Duration::from_secs(10), &config.trust, 0)?;
    Ok(Fetcher::new(client, signer, signing, allow_private))
}

/// Opens and migrates the database, with the audit trail sealed by the audit keys (kept in
/// the data directory, outside the database, named after the host). New keys are made only
/// for an empty trail: for an existing one they would make every entry look tampered.
pub async fn open_store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, AuditKeys)> {
    let name = format!("{}/audit", Urls::new(config.public_url.clone()).host());
    let dir = &config.data_dir;
    let connect = |seal| async move {
        let store = herold_store::connect(&config.database_url, seal).await.with_context(|| {
            format!("cannot open the database {}", crate::config::redact_url(&config.database_url))
        })?;
        store.migrate().await.context("applying database migrations failed")?;
        anyhow::Ok(store)
    };
    let keys = match AuditKeys::load(dir, &name)
        .with_context(|| format!("cannot read the audit keys in {}", dir.display()))?
    {
        Some(keys) => keys,
        None => {
            let probe = connect(herold_domain::audit::AuditSeal::new(b"probe: never used to seal")).await?;
            let entries = probe.audit_size().await?;
            anyhow::ensure!(
                entries == 0,
                "the audit keys are missing from {} but the audit trail has {entries} entries: restore audit-seal.key, \
                 audit-signing.key and audit-trusted.keys from the backup",
                dir.display()
            );
            AuditKeys::create(dir, &name)?
        }
    };
    let store = connect(keys.seal.clone()).await?;
    Ok((store, keys))
}

/// Lookups for visitors who follow from their own server: per server, a burst, then this
/// many a second.
const FOLLOW_LOOKUP_BURST: f64 = 10.0;
const FOLLOW_LOOKUPS_PER_SECOND: f64 = 0.5;
/// And for all servers together: a page anyone can post to must not become a scanner.
const FOLLOW_LOOKUPS_ALL_BURST: f64 = 100.0;
const FOLLOW_LOOKUPS_ALL_PER_SECOND: f64 = 10.0;

impl Services {
    /// Connects, migrates, and loads or creates the keys.
    pub async fn build(config: Config) -> anyhow::Result<Arc<Services>> {
        let policies = load_policies(&config)?;
        let (store, audit) = open_store(&config).await?;
        check_policy_orgs(&config, &policies, store.as_ref()).await?;
        if herold_compliance::retention::record_policy_change(store.as_ref(), &policies, "system").await? {
            tracing::info!("policy change recorded in the audit trail");
        }
        let kek = Arc::new(match &config.key_encryption_key {
            Some(b64) => KeyEncryptionKey::from_base64(b64)?,
            None => KeyEncryptionKey::load_or_create(&config.data_dir.join("key-encryption.key"))
                .with_context(|| {
                    format!("cannot read or create the key file in {}", config.data_dir.display())
                })?,
        });
        let key_max_age = match policies.retention(DataClass::RemoteActorCache, None) {
            Retention::Millis(ms) => Some(ms),
            Retention::WhileNeeded => None,
        };
        let config_security_log =
            config.security_log.then(crate::security_log::SecurityLog::new).transpose()?;
        let urls = Urls::new(config.public_url.clone());
        ensure_transparency_account(store.as_ref(), &kek, &urls).await?;
        // Accounts made before integrity proofs existed get their key now.
        for account in store.list_accounts().await?.into_iter().filter(|a| a.proof_key_public.is_none()) {
            herold_publishing::accounts::give_proof_key(store.as_ref(), &kek, &urls, account).await?;
        }
        let placed = herold_publishing::backfill_tags(store.as_ref()).await?;
        if placed > 0 {
            tracing::info!(placed, "announcements from before the tag pages put on them");
        }
        let relay_key = instance_key(store.as_ref(), &kek, RELAY_KEY, &urls.relay_actor()).await?;
        let relay_signer =
            Signer::open(&kek, urls.relay_key_id(), &relay_key.private_key_enc, &urls.relay_actor())
                .context(
                "the relay key does not open: is this the key-encryption key the database was created with?",
            )?;
        let (instance_signer, instance_public_key) = instance_signer(store.as_ref(), &kek, &urls).await?;
        let user_agent = user_agent(&urls);
        let allow_private = config.allow_private_networks;
        let signing = SigningPool::per_core();
        let fetcher = fetcher(&config, &urls, instance_signer.clone(), signing.clone())?;
        let delivery_config = DeliveryConfig {
            concurrency: config.delivery_concurrency,
            per_host: config.delivery_per_host_concurrency,
            retry_horizon: config.delivery_retry_horizon,
            first_scheme: config.delivery_first_scheme,
            lease: config.delivery_lease,
            poll_interval: config.delivery_poll,
            allow_private,
            ..DeliveryConfig::default()
        };
        let delivery_client =
            http_client(&user_agent, allow_private, delivery_config.request_timeout, &config.trust, 16)?;
        let metrics = Arc::new(Metrics::default());
        let queue_snapshot = Arc::new(std::sync::Mutex::new(herold_store::QueueDepth::default()));
        if config.otlp_endpoint.is_some() {
            crate::telemetry::export_metrics(&metrics, queue_snapshot.clone());
        }
        let inbox_limiter = herold_federation::rate_limit::SiteLimiter::new(
            config.inbox_rate_per_host,
            config.inbox_burst_per_host,
            config.inbox_hosts_per_domain,
        );
        let keys = SigningKeys { kek: kek.clone(), instance_signer, relay_signer, pool: signing };
        let deliverer = Deliverer::new(
            store.clone(),
            delivery_client,
            keys,
            metrics.clone(),
            urls.clone(),
            delivery_config,
        );
        let providers = Providers::new(&policies.orgs, &config.public_url, &config.trust)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let policies = Arc::new(policies);
        let presences = policies.presences();
        let publisher =
            Publisher::new(store.clone(), urls.clone(), fetcher.clone(), presences.clone(), kek.clone());
        let withdrawn = publisher.withdraw_consents_beyond(&presences).await?;
        if withdrawn > 0 {
            tracing::info!(
                withdrawn,
                "consents to quote or feature that the policies no longer allow taken back"
            );
        }
        let editorial =
            Editorial::new(store.clone(), publisher.clone(), Arc::new(PolicyRules::new(policies.clone())));
        let mailer = match &config.mail {
            Some(mail) => Some(Arc::new(
                crate::mail::Mailer::new(mail, &config.trust, config.public_url.clone())
                    .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?,
            )),
            None => None,
        };
        Ok(Arc::new(Services {
            follow_lookups: herold_federation::rate_limit::SiteLimiter::new(
                FOLLOW_LOOKUPS_PER_SECOND,
                FOLLOW_LOOKUP_BURST,
                config.inbox_hosts_per_domain,
            ),
            follow_lookups_all: herold_federation::rate_limit::RateLimiter::new(
                FOLLOW_LOOKUPS_ALL_PER_SECOND,
                FOLLOW_LOOKUPS_ALL_BURST,
            ),
            fetcher: fetcher.clone(),
            inbox: Inbox::new(
                store.clone(),
                fetcher.clone(),
                urls.clone(),
                key_max_age,
                herold_federation::inbox::KeyFetching {
                    refetch_interval: config.key_refetch_interval,
                    hosts_per_domain: config.inbox_hosts_per_domain,
                },
                presences.clone(),
                kek.clone(),
            ),
            publisher,
            presences,
            providers,
            queue_snapshot,
            editorial,
            mailer,
            instance_public_key,
            relay_public_key: relay_key.public_key_pem,
            relay: herold_federation::relay::Relay::new(store.clone(), urls.clone(), config.relay_mode)
                .with_fetcher(fetcher),
            config,
            store,
            urls,
            kek,
            deliverer,
            audit: Arc::new(audit),
            policies,
            metrics,
            security_log: config_security_log,
            inbox_limiter,
        }))
    }
}

impl Services {
    /// Whether a second person must approve the draft.
    pub fn four_eyes(&self, draft: &DraftRecord) -> bool {
        four_eyes(&self.policies, draft)
    }

    /// Whether an approver may approve their own answer to this message.
    pub fn answers_alone(&self, message: &herold_store::Message) -> bool {
        self.policies
            .orgs
            .get(&message.org_slug)
            .is_some_and(|p| !p.workflow.four_eyes_for(&message.account_username, true))
    }
}
