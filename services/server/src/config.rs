//! Configuration: defaults, then a TOML file, then `HEROLD_*` environment variables (the
//! environment wins). Every value is checked at startup; a bad one stops Herold with a
//! message that names the key, where it came from, and what would be valid.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use herold_domain::trust::TrustAnchors;
use herold_federation::signatures::Scheme;
use url::Url;

/// One configurable key: its name in the TOML file, its environment variable, and a word on
/// what it takes. `deploy/config.example.toml` documents the same list.
struct Key {
    toml: &'static str,
    env: &'static str,
    secret: bool,
}

const KEYS: &[Key] = &[
    Key { toml: "database_url", env: "HEROLD_DATABASE_URL", secret: true },
    Key { toml: "listen", env: "HEROLD_LISTEN", secret: false },
    Key { toml: "metrics_listen", env: "HEROLD_METRICS_LISTEN", secret: false },
    Key { toml: "tls_cert_file", env: "HEROLD_TLS_CERT_FILE", secret: false },
    Key { toml: "tls_key_file", env: "HEROLD_TLS_KEY_FILE", secret: false },
    Key { toml: "public_url", env: "HEROLD_PUBLIC_URL", secret: false },
    Key { toml: "data_dir", env: "HEROLD_DATA_DIR", secret: false },
    Key { toml: "policies_dir", env: "HEROLD_POLICIES_DIR", secret: false },
    Key { toml: "allow_private_networks", env: "HEROLD_ALLOW_PRIVATE_NETWORKS", secret: false },
    Key { toml: "otlp_endpoint", env: "HEROLD_OTLP_ENDPOINT", secret: false },
    Key { toml: "key_encryption_key", env: "HEROLD_KEY_ENCRYPTION_KEY", secret: true },
    Key { toml: "log_format", env: "HEROLD_LOG_FORMAT", secret: false },
    Key { toml: "security_log", env: "HEROLD_SECURITY_LOG", secret: false },
    Key { toml: "outgoing_tls.roots", env: "HEROLD_OUTGOING_TLS_ROOTS", secret: false },
    Key { toml: "outgoing_tls.extra_ca_file", env: "HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", secret: false },
    Key { toml: "inbox.rate_per_host", env: "HEROLD_INBOX_RATE_PER_HOST", secret: false },
    Key { toml: "inbox.burst_per_host", env: "HEROLD_INBOX_BURST_PER_HOST", secret: false },
    Key { toml: "inbox.hosts_per_domain", env: "HEROLD_INBOX_HOSTS_PER_DOMAIN", secret: false },
    Key { toml: "inbox.key_refetch_seconds", env: "HEROLD_INBOX_KEY_REFETCH_SECONDS", secret: false },
    Key { toml: "delivery.concurrency", env: "HEROLD_DELIVERY_CONCURRENCY", secret: false },
    Key { toml: "delivery.per_host_concurrency", env: "HEROLD_DELIVERY_PER_HOST_CONCURRENCY", secret: false },
    Key { toml: "delivery.retry_horizon_hours", env: "HEROLD_DELIVERY_RETRY_HORIZON_HOURS", secret: false },
    Key { toml: "delivery.lease_seconds", env: "HEROLD_DELIVERY_LEASE_SECONDS", secret: false },
    Key { toml: "delivery.poll_seconds", env: "HEROLD_DELIVERY_POLL_SECONDS", secret: false },
    Key { toml: "retention.interval_seconds", env: "HEROLD_RETENTION_INTERVAL_SECONDS", secret: false },
    Key { toml: "retention.archive_dir", env: "HEROLD_RETENTION_ARCHIVE_DIR", secret: false },
    Key { toml: "relay.mode", env: "HEROLD_RELAY_MODE", secret: false },
    Key { toml: "relay.suspend_after_hours", env: "HEROLD_RELAY_SUSPEND_AFTER_HOURS", secret: false },
    Key {
        toml: "scheduled_publishing.interval_seconds",
        env: "HEROLD_SCHEDULED_PUBLISHING_INTERVAL_SECONDS",
        secret: false,
    },
    // May carry the SMTP user and password.
    Key { toml: "mail.smtp_url", env: "HEROLD_MAIL_SMTP_URL", secret: true },
    Key { toml: "mail.from", env: "HEROLD_MAIL_FROM", secret: false },
    Key {
        toml: "notifications.interval_seconds",
        env: "HEROLD_NOTIFICATIONS_INTERVAL_SECONDS",
        secret: false,
    },
    Key { toml: "links.check_interval_seconds", env: "HEROLD_LINKS_CHECK_INTERVAL_SECONDS", secret: false },
    Key {
        toml: "audit.checkpoint_interval_seconds",
        env: "HEROLD_AUDIT_CHECKPOINT_INTERVAL_SECONDS",
        secret: false,
    },
    Key {
        toml: "delivery.first_signature_scheme",
        env: "HEROLD_DELIVERY_FIRST_SIGNATURE_SCHEME",
        secret: false,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("unknown key `{key}` in {path}; known keys: {known}")]
    UnknownKey { key: String, path: PathBuf, known: String },
    #[error("{key} ({source_name}) = {value:?} is invalid: {fix}")]
    Invalid { key: String, source_name: String, value: String, fix: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration. Secrets are kept out of `Debug`.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    /// Certificate chain and key (PEM) when Herold terminates TLS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub policies_dir: PathBuf,
    pub allow_private_networks: bool,
    /// The authorities outgoing TLS connections trust (`outgoing_tls.*`), read at startup.
    pub trust: TrustAnchors,
    pub otlp_endpoint: Option<Url>,
    pub key_encryption_key: Option<String>,
    pub log_format: LogFormat,
    pub security_log: bool,
    pub inbox_rate_per_host: f64,
    pub inbox_burst_per_host: f64,
    /// How many hosts' budgets all the hosts of one registrable domain share.
    pub inbox_hosts_per_domain: f64,
    /// How long what a key fetch found answers for that key id (the rotation delay too).
    pub key_refetch_interval: Duration,
    pub delivery_concurrency: usize,
    pub delivery_per_host_concurrency: usize,
    pub delivery_retry_horizon: Duration,
    pub delivery_first_scheme: Scheme,
    pub delivery_lease: Duration,
    /// How often a worker looks for due retries; new deliveries wake it at once, whichever
    /// process queued them.
    pub delivery_poll: Duration,
    pub audit_checkpoint_interval: Duration,
    pub retention_interval: Duration,
    /// Whether relay subscriptions take effect at once or wait for the operator.
    pub relay_mode: herold_federation::relay::RelayMode,
    /// How long a subscriber's inbox may fail without a success before it is suspended.
    pub relay_suspend_after: Duration,
    /// Where classes with `at_expiry = "archive"` are written before their purge.
    pub retention_archive_dir: PathBuf,
    /// How often approved announcements are checked for their publishing time.
    pub scheduled_publishing_interval: Duration,
    /// How often staff notifications are made from the audit trail.
    pub notifications_interval: Duration,
    /// How often profile links due for a check (new, or not checked for a day) are checked.
    pub links_check_interval: Duration,
    /// Where notifications are sent by e-mail; `None`: only in the workspace.
    pub mail: Option<MailConfig>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("tls", &self.tls)
            .field("public_url", &self.public_url.as_str())
            .field("data_dir", &self.data_dir)
            .field("policies_dir", &self.policies_dir)
            .field("allow_private_networks", &self.allow_private_networks)
            .field("trusted_extra_roots", &self.trust.certificates.len())
            .field("trust_builtin_roots", &self.trust.builtin_roots)
            .field("otlp_endpoint", &self.otlp_endpoint.as_ref().map(Url::as_str))
            .field("key_encryption_key", &self.key_encryption_key.as_ref().map(|_| "<redacted>"))
            .field("log_format", &self.log_format)
            .field("security_log", &self.security_log)
            .field("inbox_rate_per_host", &self.inbox_rate_per_host)
            .field("inbox_burst_per_host", &self.inbox_burst_per_host)
            .field("inbox_hosts_per_domain", &self.inbox_hosts_per_domain)
            .field("delivery_concurrency", &self.delivery_concurrency)
            .field("delivery_per_host_concurrency", &self.delivery_per_host_concurrency)
            .field("delivery_retry_horizon", &self.delivery_retry_horizon)
            .field("delivery_first_scheme", &self.delivery_first_scheme)
            .field("delivery_lease", &self.delivery_lease)
            .field("delivery_poll", &self.delivery_poll)
            .field("audit_checkpoint_interval", &self.audit_checkpoint_interval)
            .field("retention_interval", &self.retention_interval)
            .field("retention_archive_dir", &self.retention_archive_dir)
            .field("relay_mode", &self.relay_mode)
            .field("relay_suspend_after", &self.relay_suspend_after)
            .field("scheduled_publishing_interval", &self.scheduled_publishing_interval)
            .field("notifications_interval", &self.notifications_interval)
            .field("links_check_interval", &self.links_check_interval)
            .field("mail", &self.mail.as_ref().map(|m| redact_url(m.smtp_url.as_str())))
            .finish()
    }
}

/// Hides the password of a database URL (`postgres://user:secret@host/db`).
/// Plain http on this machine (development and tests), where browsers accept cookies
/// without `Secure`.
pub fn is_local_http(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// The operator's mail server (`[mail]`): `smtps://` (TLS from the start) or
/// `smtp+starttls://` (STARTTLS required), with `user:password@` if it asks for them;
/// `smtp://` without encryption only to a mail catcher on this machine.
#[derive(Clone)]
pub struct MailConfig {
    pub smtp_url: Url,
    /// The sender, as `Name <address>` or an address.
    pub from: String,
}

fn mail(raw: &Raw) -> Result<Option<MailConfig>, ConfigError> {
    let fix_url =
        "use smtps://HOST:465 or smtp+starttls://HOST:587 (with USER:PASSWORD@ if the server asks), \
                   or smtp://127.0.0.1:PORT for a mail catcher on this machine";
    let smtp_url = raw.parse(
        "mail.smtp_url",
        None,
        |s| match Url::parse(s) {
            Ok(u) if u.host_str().is_some() && matches!(u.scheme(), "smtps" | "smtp+starttls") => {
                Some(Some(u))
            }
            Ok(u)
                if u.scheme() == "smtp"
                    && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) =>
            {
                Some(Some(u))
            }
            _ if s.is_empty() => Some(None),
            _ => None,
        },
        fix_url,
    )?;
    let Some(smtp_url) = smtp_url else {
        return Ok(None);
    };
    let from = raw.parse(
        "mail.from",
        None,
        |s| s.parse::<lettre::message::Mailbox>().ok().map(|_| Some(s.to_owned())),
        "give the sender, e.g. \"Herold <herold@ministry.example>\"",
    )?;
    let from = from.ok_or_else(|| ConfigError::Invalid {
        key: "mail.from".into(),
        source_name: raw.source_of("mail.from"),
        value: String::new(),
        fix: "mail.smtp_url is set: give the sender too, e.g. \"Herold <herold@ministry.example>\"".into(),
    })?;
    Ok(Some(MailConfig { smtp_url, from }))
}

pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

struct Raw {
    values: BTreeMap<&'static str, (String, String)>,
}

impl Raw {
    fn get(&self, key: &str) -> Option<&(String, String)> {
        self.values.get(key)
    }

    /// Where a key's value came from, for error messages.
    fn source_of(&self, key: &str) -> String {
        self.get(key).map_or_else(|| "default".to_owned(), |(_, source)| source.clone())
    }

    fn parse<T>(
        &self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> Option<T>,
        fix: &str,
    ) -> Result<T, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some((value, source)) => parse(value.trim()).ok_or_else(|| ConfigError::Invalid {
                key: key.to_owned(),
                source_name: source.clone(),
                value: if KEYS.iter().any(|k| k.toml == key && k.secret) {
                    "<redacted>".into()
                } else {
                    value.clone()
                },
                fix: fix.to_owned(),
            }),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Loads from the process environment and, if given, a TOML file.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, |name| std::env::var(name).ok())
    }

    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            let mut flat = Vec::new();
            for (k, v) in table {
                match v {
                    toml::Value::Table(section) => {
                        for (sk, sv) in section {
                            flat.push((format!("{k}.{sk}"), sv));
                        }
                    }
                    other => flat.push((k, other)),
                }
            }
            for (key, value) in flat {
                let known = KEYS.iter().find(|k| k.toml == key).ok_or_else(|| ConfigError::UnknownKey {
                    key: key.clone(),
                    path: path.to_owned(),
                    known: KEYS.iter().map(|k| k.toml).collect::<Vec<_>>().join(", "),
                })?;
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    _ => {
                        return Err(ConfigError::Invalid {
                            key: key.clone(),
                            source_name: format!("in {}", path.display()),
                            value: "(table or array)".into(),
                            fix: "give a string, number or boolean".into(),
                        })
                    }
                };
                values.insert(known.toml, (text, format!("in {}", path.display())));
            }
        }
        for key in KEYS {
            if let Some(v) = env(key.env) {
                values.insert(key.toml, (v, format!("environment variable {}", key.env)));
            }
        }
        Self::validate(Raw { values }, env("SSL_CERT_FILE").map(PathBuf::from))
    }

    /// `ssl_cert_file`: where the platform's CA bundle is, if the environment says.
    fn validate(raw: Raw, ssl_cert_file: Option<PathBuf>) -> Result<Config, ConfigError> {
        let data_dir = raw.parse(
            "data_dir",
            PathBuf::from("./data"),
            |s| (!s.is_empty()).then(|| PathBuf::from(s)),
            "give a directory path",
        )?;
        let default_db = format!("sqlite://{}/herold.db", data_dir.display());
        let database_url = raw.parse(
            "database_url",
            default_db,
            |s| herold_store::Backend::from_url(s).ok().map(|_| s.to_owned()),
            "use sqlite://PATH (embedded) or postgres://USER@HOST:PORT/DB",
        )?;
        let listen = raw.parse(
            "listen",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            |s| s.parse().ok(),
            "use HOST:PORT, e.g. 127.0.0.1:8080",
        )?;
        let public_url = raw.parse(
            "public_url",
            Url::parse("http://localhost:8080").expect("static URL"),
            |s| {
                Url::parse(s).ok().filter(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.host_str().is_some()
                        && u.path() == "/"
                        && u.query().is_none()
                })
            },
            "use the external base URL without a path, e.g. https://herold.example.gov",
        )?;
        let allow_private_networks =
            raw.parse("allow_private_networks", false, parse_bool, "use true or false")?;
        let otlp_endpoint = raw.parse(
            "otlp_endpoint",
            None,
            |s| {
                if s.is_empty() {
                    return Some(None);
                }
                Url::parse(s).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(Some)
            },
            "use the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318",
        )?;
        let key_encryption_key = raw.parse(
            "key_encryption_key",
            None,
            |s| herold_federation::keys::KeyEncryptionKey::from_base64(s).ok().map(|_| Some(s.to_owned())),
            "give 32 random bytes in base64 (e.g. `openssl rand -base64 32`), or leave unset to use a key file in data_dir",
        )?;
        let log_format = raw.parse(
            "log_format",
            LogFormat::Text,
            |s| match s {
                "text" => Some(LogFormat::Text),
                "json" => Some(LogFormat::Json),
                _ => None,
            },
            "use text or json",
        )?;
        let positive = |max: usize| move |s: &str| s.parse::<usize>().ok().filter(|n| (1..=max).contains(n));
        let delivery_concurrency =
            raw.parse("delivery.concurrency", 128, positive(4096), "use a whole number from 1 to 4096")?;
        let delivery_per_host_concurrency =
            raw.parse("delivery.per_host_concurrency", 8, positive(256), "use a whole number from 1 to 256")?;
        let hours = raw.parse(
            "delivery.retry_horizon_hours",
            48,
            |s| s.parse::<u64>().ok().filter(|h| (1..=720).contains(h)),
            "use hours from 1 to 720",
        )?;
        let delivery_first_scheme = raw.parse(
            "delivery.first_signature_scheme",
            Scheme::Cavage,
            Scheme::parse,
            "use draft-cavage-12, rfc9421 or rfc9421-ed25519",
        )?;
        let lease = raw.parse(
            "delivery.lease_seconds",
            300,
            |s| s.parse::<u64>().ok().filter(|n| (1..=3600).contains(n)),
            "use seconds from 1 to 3600 (longer than the slowest delivery)",
        )?;
        let poll = raw.parse(
            "delivery.poll_seconds",
            1,
            |s| s.parse::<u64>().ok().filter(|n| (1..=300).contains(n)),
            "use seconds from 1 to 300",
        )?;
        let checkpoint_secs = raw.parse(
            "audit.checkpoint_interval_seconds",
            3600,
            |s| s.parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)),
            "use seconds from 1 to 86400",
        )?;
        let retention_secs = raw.parse(
            "retention.interval_seconds",
            3600,
            |s| s.parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)),
            "use seconds from 1 to 86400",
        )?;
        let relay_mode = raw.parse(
            "relay.mode",
            herold_federation::relay::RelayMode::Approval,
            herold_federation::relay::RelayMode::parse,
            "use open (subscriptions take effect at once), approval (the operator approves each) or \
             allowlist (only servers on the relay's publisher list may subscribe)",
        )?;
        let suspend_hours = raw.parse(
            "relay.suspend_after_hours",
            168,
            |s| s.parse::<u64>().ok().filter(|h| (1..=8760).contains(h)),
            "use hours from 1 to 8760",
        )?;
        let retention_archive_dir = raw.parse(
            "retention.archive_dir",
            data_dir.join("archive"),
            |s| (!s.is_empty()).then(|| PathBuf::from(s)),
            "give a directory for archived records, e.g. /var/lib/herold/archive",
        )?;
        let scheduled_secs = raw.parse(
            "scheduled_publishing.interval_seconds",
            10,
            |s| s.parse::<u64>().ok().filter(|n| (1..=3600).contains(n)),
            "use seconds from 1 to 3600",
        )?;
        let notifications_secs = raw.parse(
            "notifications.interval_seconds",
            5,
            |s| s.parse::<u64>().ok().filter(|n| (1..=3600).contains(n)),
            "use seconds from 1 to 3600",
        )?;
        let links_secs = raw.parse(
            "links.check_interval_seconds",
            60,
            |s| s.parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)),
            "use seconds from 1 to 86400",
        )?;
        let mail = mail(&raw)?;
        let policies_dir = raw.parse(
            "policies_dir",
            PathBuf::from("./policies"),
            |s| (!s.is_empty()).then(|| PathBuf::from(s)),
            "give the directory holding retention.toml",
        )?;
        let security_log = raw.parse("security_log", false, parse_bool, "use true or false")?;
        let metrics_listen = raw.parse(
            "metrics_listen",
            None,
            |s| if s.is_empty() { Some(None) } else { s.parse().ok().map(Some) },
            "use HOST:PORT for the Prometheus listener, e.g. 127.0.0.1:9464, or leave it empty",
        )?;
        let per_sec = |s: &str| s.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0);
        let inbox_rate_per_host =
            raw.parse("inbox.rate_per_host", 50.0, per_sec, "use requests per second above 0, e.g. 50")?;
        let inbox_burst_per_host = raw.parse(
            "inbox.burst_per_host",
            500.0,
            |s| per_sec(s).filter(|n| *n >= 1.0),
            "use a request count of at least 1, e.g. 500",
        )?;
        let inbox_hosts_per_domain = raw.parse(
            "inbox.hosts_per_domain",
            4.0,
            |s| per_sec(s).filter(|n| *n >= 1.0),
            "use a number of hosts of at least 1, e.g. 4",
        )?;
        let key_refetch_secs = raw.parse(
            "inbox.key_refetch_seconds",
            60,
            |s| s.parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)),
            "use seconds from 1 to 86400, e.g. 60",
        )?;
        let file = |s: &str| (!s.is_empty()).then(|| Some(PathBuf::from(s)));
        let trust = trust_anchors(&raw, ssl_cert_file)?;
        let cert = raw.parse("tls_cert_file", None, file, "give the PEM certificate chain file")?;
        let key = raw.parse("tls_key_file", None, file, "give the PEM private key file")?;
        let tls = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "tls_cert_file/tls_key_file".into(),
                    source_name: "configuration".into(),
                    value: "only one of the two".into(),
                    fix: "set both (Herold terminates TLS) or neither (a proxy does)".into(),
                })
            }
        };
        Ok(Config {
            tls,
            trust,
            inbox_rate_per_host,
            inbox_burst_per_host,
            inbox_hosts_per_domain,
            key_refetch_interval: Duration::from_secs(key_refetch_secs),
            metrics_listen,
            security_log,
            policies_dir,
            retention_interval: Duration::from_secs(retention_secs),
            retention_archive_dir,
            relay_mode,
            relay_suspend_after: Duration::from_secs(suspend_hours * 3600),
            scheduled_publishing_interval: Duration::from_secs(scheduled_secs),
            notifications_interval: Duration::from_secs(notifications_secs),
            links_check_interval: Duration::from_secs(links_secs),
            mail,
            audit_checkpoint_interval: Duration::from_secs(checkpoint_secs),
            delivery_lease: Duration::from_secs(lease),
            delivery_poll: Duration::from_secs(poll),
            database_url,
            listen,
            public_url,
            data_dir,
            allow_private_networks,
            otlp_endpoint,
            key_encryption_key,
            log_format,
            delivery_concurrency,
            delivery_per_host_concurrency,
            delivery_retry_horizon: Duration::from_secs(hours * 3600),
            delivery_first_scheme,
        })
    }
}

/// Where Linux distributions keep the platform's CA bundle (Debian and Ubuntu, Fedora and
/// RHEL, openSUSE, Alpine), unless `SSL_CERT_FILE` names it.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Roots {
    Builtin,
    System,
    Both,
}

/// Reads `outgoing_tls.*`: which roots to trust, and the certificates of the platform's store
/// and of the operator's bundle, so that a missing or unreadable file stops startup.
fn trust_anchors(raw: &Raw, ssl_cert_file: Option<PathBuf>) -> Result<TrustAnchors, ConfigError> {
    let roots = raw.parse(
        "outgoing_tls.roots",
        Roots::Both,
        |s| match s {
            "builtin" => Some(Roots::Builtin),
            "system" => Some(Roots::System),
            "both" => Some(Roots::Both),
            _ => None,
        },
        "use builtin (the public web roots), system (the platform's store) or both",
    )?;
    let extra = raw.parse(
        "outgoing_tls.extra_ca_file",
        None,
        |s| (!s.is_empty()).then(|| Some(PathBuf::from(s))),
        "give a PEM file of CA certificates",
    )?;
    let invalid = |key: &str, value: &Path, fix: String| ConfigError::Invalid {
        key: key.into(),
        source_name: raw.source_of(key),
        value: value.display().to_string(),
        fix,
    };
    let mut certificates = Vec::new();
    if roots != Roots::Builtin {
        let bundle = ssl_cert_file.or_else(|| SYSTEM_BUNDLES.iter().map(PathBuf::from).find(|p| p.exists()));
        match bundle {
            Some(path) => certificates.extend(read_certificates(&path).map_err(|why| {
                invalid(
                    "outgoing_tls.roots",
                    &path,
                    format!("the platform's CA bundle {why}; set SSL_CERT_FILE to it, or use builtin"),
                )
            })?),
            None if roots == Roots::System => {
                return Err(invalid(
                    "outgoing_tls.roots",
                    Path::new("system"),
                    format!(
                        "no CA bundle found at {}; install ca-certificates or set SSL_CERT_FILE",
                        SYSTEM_BUNDLES.join(", ")
                    ),
                ))
            }
            None => {}
        }
    }
    if let Some(path) = extra {
        let found = read_certificates(&path).map_err(|why| {
            invalid(
                "outgoing_tls.extra_ca_file",
                &path,
                format!("the file {why}; give a PEM file of CA certificates"),
            )
        })?;
        certificates.extend(found);
    }
    Ok(TrustAnchors { builtin_roots: roots != Roots::System, certificates })
}

/// The certificates of a PEM file, at least one.
fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot be read ({e})"))?
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("is not PEM ({e})"))?;
    if certs.is_empty() {
        return Err("holds no certificate".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn outgoing_trust_reads_the_platforms_store_and_the_extra_bundle() {
        let dir = std::env::temp_dir().join(format!("herold-trust-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("bundle.pem");
        // Reading only counts PEM blocks (a DER SEQUENCE here); the TLS tests use real CAs.
        let pem = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        std::fs::write(&bundle, pem.repeat(2)).unwrap();
        let load = |pairs: Vec<(&'static str, String)>| {
            Config::load_from(None, move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        };
        let path = bundle.display().to_string();

        let system =
            load(vec![("HEROLD_OUTGOING_TLS_ROOTS", "system".into()), ("SSL_CERT_FILE", path.clone())])
                .unwrap();
        assert_eq!((system.trust.builtin_roots, system.trust.certificates.len()), (false, 2));
        let extra = load(vec![
            ("HEROLD_OUTGOING_TLS_ROOTS", "builtin".into()),
            ("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", path.clone()),
        ])
        .unwrap();
        assert_eq!((extra.trust.builtin_roots, extra.trust.certificates.len()), (true, 2));

        let err = load(vec![("HEROLD_OUTGOING_TLS_ROOTS", "everything".into())]).unwrap_err().to_string();
        assert!(err.contains("outgoing_tls.roots") && err.contains("builtin"), "{err}");
        let missing = dir.join("missing.pem").display().to_string();
        let err = load(vec![("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", missing)]).unwrap_err().to_string();
        assert!(err.contains("outgoing_tls.extra_ca_file") && err.contains("cannot be read"), "{err}");
        std::fs::write(&bundle, "no certificate here").unwrap();
        let err = load(vec![("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", path)]).unwrap_err().to_string();
        assert!(err.contains("holds no certificate"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn example_config_documents_every_key_and_is_valid() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/config.example.toml"));
        let text = std::fs::read_to_string(path).unwrap();
        for key in KEYS {
            let leaf = key.toml.rsplit('.').next().unwrap();
            assert!(text.contains(&format!("{leaf} =")), "{} is not in the example", key.toml);
            assert!(text.contains(key.env), "{} is not in the example", key.env);
        }
        Config::load_from(Some(path), |_| None).unwrap();
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let c = Config::load_from(None, |_| None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url.as_str(), "http://localhost:8080/");
        assert_eq!(c.database_url, "sqlite://./data/herold.db");
        assert!(!c.allow_private_networks);
        // Ed25519 first is opt-in: Pleroma and Akkoma answer 2xx to a signature they cannot
        // check, so a refusal cannot be relied on to fall back.
        assert_eq!(c.delivery_first_scheme, Scheme::Cavage);
    }

    #[test]
    fn environment_overrides_file() {
        let dir = std::env::temp_dir().join(format!("herold-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\n[delivery]\nconcurrency = 7\n").unwrap();
        let c = Config::load_from(Some(&file), env_of(&[("HEROLD_LISTEN", "127.0.0.1:9001")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.delivery_concurrency, 7);
        std::fs::write(&file, "lisen = 1\n").unwrap();
        let err = Config::load_from(Some(&file), |_| None).unwrap_err().to_string();
        assert!(err.contains("unknown key `lisen`"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_values_name_the_key_and_hide_secrets() {
        let err = Config::load_from(None, env_of(&[("HEROLD_LISTEN", "nonsense")])).unwrap_err().to_string();
        assert!(err.contains("listen (environment variable HEROLD_LISTEN)"), "{err}");
        assert!(err.contains("HOST:PORT"), "{err}");
        let err = Config::load_from(None, env_of(&[("HEROLD_DATABASE_URL", "mysql://root:hunter2@x/db")]))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let err = Config::load_from(None, env_of(&[("HEROLD_PUBLIC_URL", "https://x.example/sub")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("public_url"), "{err}");
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let c = Config::load_from(
            None,
            env_of(&[
                ("HEROLD_DATABASE_URL", "postgres://herold:hunter2@db/herold"),
                ("HEROLD_KEY_ENCRYPTION_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("AAAAAAAA"), "{shown}");
    }
}
