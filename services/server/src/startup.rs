//! Builds the application from a `Config`: store, keys, federation and HTTP server. Binding
//! happens here, so tests pass port 0 and read back the port that was chosen.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use herold_compliance::audit::AuditKeys;
use herold_compliance::policy::{Policies, Retention};
use herold_domain::{AnnouncementText, DisplayName, LanguageTag, OrgSlug, Summary, Username};
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
use herold_publishing::{accounts, Draft, PublishError};
use herold_store::{DataClass, StoreError};
use herold_store::{InstanceKey, Store};
use tokio::sync::watch;

use crate::config::Config;
use crate::routes;

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
    pub metrics: Arc<Metrics>,
    /// Present only when the operator turned the security log on.
    pub security_log: Option<crate::security_log::SecurityLog>,
    pub inbox_limiter: herold_federation::rate_limit::RateLimiter,
    /// Each organisation's OpenID provider, for staff sign-in.
    pub providers: Providers,
    /// The delivery queue as last read from the database, for the OTLP gauges.
    pub queue_snapshot: Arc<std::sync::Mutex<herold_store::QueueDepth>>,
    pub editorial: Editorial,
}

/// The four-eyes rule as the organisations' policy files set it.
struct PolicyRules(Arc<Policies>);

impl OrgRules for PolicyRules {
    fn four_eyes(&self, org: &str, account: &str) -> bool {
        self.0.orgs.get(org).is_none_or(|p| p.workflow.four_eyes_for(account))
    }

    fn abandoned_drafts_since(&self, org: &str, now: herold_domain::Millis) -> herold_domain::Millis {
        self.0.visible_since(DataClass::AbandonedDrafts, Some(org), now)
    }
}

pub const INSTANCE_KEY: &str = "instance-actor";
/// The relay actor's key, in the same table.
pub const RELAY_KEY: &str = "relay";

type Job = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

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
    let client = http_client(&user_agent(urls), allow_private, Duration::from_secs(10), &config.trust)?;
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
            allow_private,
            ..DeliveryConfig::default()
        };
        let delivery_client =
            http_client(&user_agent, allow_private, delivery_config.request_timeout, &config.trust)?;
        let metrics = Arc::new(Metrics::default());
        let queue_snapshot = Arc::new(std::sync::Mutex::new(herold_store::QueueDepth::default()));
        if config.otlp_endpoint.is_some() {
            crate::telemetry::export_metrics(&metrics, queue_snapshot.clone());
        }
        let inbox_limiter = herold_federation::rate_limit::RateLimiter::new(
            config.inbox_rate_per_host,
            config.inbox_burst_per_host,
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
        let publisher = Publisher::new(store.clone(), urls.clone(), fetcher.clone());
        let editorial =
            Editorial::new(store.clone(), publisher.clone(), Arc::new(PolicyRules(policies.clone())));
        Ok(Arc::new(Services {
            inbox: Inbox::new(store.clone(), fetcher, urls.clone(), key_max_age, config.key_refetch_interval),
            publisher,
            providers,
            queue_snapshot,
            editorial,
            instance_public_key,
            relay_public_key: relay_key.public_key_pem,
            relay: herold_federation::relay::Relay::new(store.clone(), urls.clone(), config.relay_mode),
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
    /// Whether a second person must approve drafts of this account.
    pub fn four_eyes(&self, org: &str, account: &str) -> bool {
        PolicyRules(self.policies.clone()).four_eyes(org, account)
    }

    /// The work that runs beside (or instead of) the HTTP server: deliveries, and signed
    /// audit checkpoints on a schedule, also when nothing happened.
    pub async fn run_background(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let checkpoints =
            tokio::spawn(self.clone().every("audit.checkpoint", self.config.audit_checkpoint_interval, stop.clone(), |s| {
                Box::pin(async move {
                    let cp = herold_compliance::audit::checkpoint(s.store.as_ref(), &s.audit).await?;
                    let text = format!(
                        "Audit checkpoint: {} entries. Verify with `herold audit verify-bundle` and the key {}\n\n{}",
                        cp.tree_size,
                        s.audit.signer.verifier_key(),
                        cp.note
                    );
                    let draft = Draft {
                        text: AnnouncementText::parse(&text)?,
                        language: Some(LanguageTag::parse("en")?),
                        translations: Default::default(),
                        attachments: Vec::new(),
                        summary: None,
                        urgent: false,
                        mentions: Vec::new(),
                    };
                    s.publisher.publish(TRANSPARENCY_ACCOUNT, draft, "system").await?;
                    s.metrics.checkpoints.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    s.deliverer.wake();
                    tracing::info!(tree_size = cp.tree_size, "audit checkpoint signed and published");
                    Ok(())
                })
            }));
        let retention = tokio::spawn(self.clone().every(
            "retention",
            self.config.retention_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let now = herold_domain::now_millis();
                    let counts = herold_compliance::retention::apply(
                        s.store.as_ref(),
                        &s.policies,
                        now,
                        "system",
                        &s.config.retention_archive_dir,
                    )
                    .await?;
                    let removed: i64 = counts.iter().map(|c| c.count).sum();
                    s.metrics.retention_runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(removed, "retention run");
                    Ok(())
                })
            },
        ));
        let suspensions = tokio::spawn(self.clone().every(
            "relay.suspend",
            self.config.retention_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let after = i64::try_from(s.config.relay_suspend_after.as_millis()).unwrap_or(i64::MAX);
                    let cutoff = herold_domain::now_millis().saturating_sub(after);
                    let suspended = s.relay.suspend_unreachable(cutoff).await?;
                    if !suspended.is_empty() {
                        tracing::warn!(
                            suspended = suspended.len(),
                            "relay subscribers suspended as unreachable"
                        );
                    }
                    Ok(())
                })
            },
        ));
        let scheduled = tokio::spawn(self.clone().every(
            "publish.scheduled",
            self.config.scheduled_publishing_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let published = s.editorial.publish_due().await?;
                    if published > 0 {
                        s.deliverer.wake();
                        tracing::info!(published, "scheduled announcements published");
                    }
                    Ok(())
                })
            },
        ));
        let followers = tokio::spawn(self.clone().every(
            "followers.snapshot",
            Duration::from_secs(3600),
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let today = herold_domain::format_rfc3339(herold_domain::now_millis());
                    s.store.record_follower_counts(&today[..10]).await?;
                    Ok(())
                })
            },
        ));
        self.deliverer.clone().run(stop).await;
        let _ = followers.await;
        let _ = scheduled.await;
        let _ = checkpoints.await;
        let _ = retention.await;
        let _ = suspensions.await;
    }

    /// Runs `job` now and then every `period` until `stop`; a failure is logged and the
    /// next period tries again.
    /// When several processes share a database, only the one that takes the job's lease
    /// for the period runs it, so a checkpoint or retention run happens once per period.
    async fn every(
        self: Arc<Self>,
        name: &'static str,
        period: Duration,
        mut stop: watch::Receiver<bool>,
        job: fn(Arc<Services>) -> Job,
    ) {
        let mut ticks = tokio::time::interval(period);
        let holder = uuid::Uuid::new_v4().to_string();
        // Slightly shorter than the period, so the next tick (of any process) finds it free.
        let lease = (period.as_millis() as i64 * 9 / 10).max(1);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let now = herold_domain::now_millis();
                    match self.store.acquire_job(name, &holder, now, now + lease).await {
                        Ok(true) => {
                            if let Err(e) = job(self.clone()).await {
                                tracing::error!(job = name, error = format!("{e:#}"), "scheduled job failed");
                            }
                        }
                        Ok(false) => tracing::debug!(job = name, "another process runs this period's job"),
                        Err(e) => tracing::error!(job = name, error = %crate::error::chain(&e), "job lease unavailable"),
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<Server>,
    services: Arc<Services>,
    workers: bool,
}

impl Application {
    pub async fn build(config: Config, workers: bool) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let tls = config
            .tls
            .as_ref()
            .map(|(cert, key)| {
                crate::tls::ReloadableCert::load(cert, key).context("tls_cert_file/tls_key_file")
            })
            .transpose()?;
        let metrics = config
            .metrics_listen
            .map(|addr| {
                TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} (metrics_listen)"))
            })
            .transpose()?;
        let services = Services::build(config).await?;
        let mut app = Self::serve(listener, services, workers, tls)?;
        if let Some(listener) = metrics {
            app.metrics_server = Some(routes::metrics_server(listener, app.services.clone())?);
        }
        Ok(app)
    }

    /// Serves plain HTTP on `listener` (tests; behind a TLS-terminating proxy).
    pub fn from_parts(
        listener: TcpListener,
        services: Arc<Services>,
        workers: bool,
    ) -> anyhow::Result<Application> {
        Self::serve(listener, services, workers, None)
    }

    fn serve(
        listener: TcpListener,
        services: Arc<Services>,
        workers: bool,
        tls: Option<Arc<crate::tls::ReloadableCert>>,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let data = web::Data::from(services.clone());
        // HSTS whenever the public address is https, whoever terminates TLS.
        let hsts = tls.is_some() || services.config.public_url.scheme() == "https";
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(herold_federation::fetch::MAX_BODY_BYTES))
                .wrap(routes::security_headers(hsts))
                .wrap(middleware::from_fn(routes::body_deadline))
                .wrap(middleware::from_fn(routes::log_request))
                .configure(routes::configure)
        })
        // Slow or stalled clients (slowloris) are cut off instead of holding workers.
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(5))
        .shutdown_timeout(10);
        let server = match tls {
            Some(cert) => {
                #[cfg(unix)]
                cert.clone().reload_on_sighup()?;
                server.listen_rustls_0_23(listener, crate::tls::server_config(cert)?)?
            }
            None => server.listen(listener)?,
        }
        .run();
        Ok(Application { port, server, metrics_server: None, services, workers })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests; graceful shutdown).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    /// Serves until SIGINT/SIGTERM (or the server is stopped), then lets in-flight
    /// deliveries finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let gauges = self.services.config.otlp_endpoint.is_some().then(|| {
            let s = self.services.clone();
            tokio::spawn(async move {
                // As often as metrics are exported by default is more than enough.
                let mut ticks = tokio::time::interval(Duration::from_secs(15));
                loop {
                    ticks.tick().await;
                    if let Ok(depth) = s.store.queue_depth(herold_domain::now_millis()).await {
                        if let Ok(mut snapshot) = s.queue_snapshot.lock() {
                            *snapshot = depth;
                        }
                    }
                }
            })
        });
        let worker = self.workers.then(|| tokio::spawn(self.services.clone().run_background(stop_rx)));
        let metrics = self.metrics_server.map(tokio::spawn);
        let result = self.server.await;
        if let Some(m) = metrics {
            m.abort();
        }
        if let Some(g) = gauges {
            g.abort();
        }
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        Ok(result?)
    }
}
