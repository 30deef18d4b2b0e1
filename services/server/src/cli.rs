//! The command line. Every subcommand loads the same configuration as the server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use herold_domain::{AnnouncementText, DisplayName, LanguageTag, OrgSlug, Summary, Username};
use herold_federation::keys::KeyEncryptionKey;
use herold_federation::signing_pool::SigningPool;
use herold_federation::Urls;
use herold_publishing::{accounts, Draft, Publisher};
use herold_store::Store;

use crate::config::Config;
use crate::staff::i18n::Lang;
use crate::startup::Application;
use crate::state::Services;

/// The operator acting from the command line, as the audit trail names them.
const OPERATOR: &str = "operator";

#[derive(Parser)]
#[command(name = "herold", version, about = "Official announcements of public bodies on the fediverse")]
struct Cli {
    /// TOML configuration file; HEROLD_* environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (and deliver, unless --no-workers).
    Serve {
        /// Leave delivery to separate `herold worker` processes.
        #[arg(long)]
        no_workers: bool,
    },
    /// Deliver queued activities without serving HTTP.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the configuration and exit.
    CheckConfig,
    /// Public bodies (tenants).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Official accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Publish, edit or retract an announcement of an account.
    Announce(AnnounceArgs),
    /// Delivery queue.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// The relay of official announcements: its inbox, subscribers and blocks.
    #[command(subcommand)]
    Relay(RelayCommand),
    /// The tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Data-protection policies (policies/).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Enforce retention: what has expired, and removing it.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Data-subject requests: access (export) and erasure.
    #[command(subcommand)]
    Dsar(DsarCommand),
    /// Documents for the data-protection officer.
    #[command(subcommand)]
    Compliance(ComplianceCommand),
}

#[derive(Subcommand)]
enum ComplianceCommand {
    /// The Art. 30 record of processing of an organisation, from the policy files (HTML).
    Ropa {
        #[arg(long)]
        org: String,
        /// JSON instead of HTML.
        #[arg(long)]
        json: bool,
    },
    /// The compliance report for a period: writes report.html and report.json.
    Report {
        #[arg(long)]
        org: String,
        /// First day (YYYY-MM-DD) or instant (RFC 3339).
        #[arg(long)]
        from: String,
        /// Last day, inclusive (YYYY-MM-DD), or instant (RFC 3339).
        #[arg(long)]
        to: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum DsarCommand {
    /// Write everything held about a person: subject.json and a readable subject.html.
    Export {
        /// The person's actor URI, e.g. https://mastodon.example/users/alice, or a member of
        /// staff as the audit trail names them, e.g. staff:12
        #[arg(long)]
        subject: String,
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Erase a person's data everywhere (except under legal hold), recording that it happened.
    Erase {
        #[arg(long)]
        subject: String,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate the policy files; prints what was clamped. Needs no database.
    Check,
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Show what has expired, per organisation and class, with counts and oldest ages.
    Plan {
        /// Plan as of this moment (RFC 3339), e.g. to see what next month's run removes.
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove what has expired now, and record the run in the audit trail.
    Apply,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole log. Exit 0: intact; 2: tampering found (the first bad entry is
    /// named); 3: the check could not run.
    Verify {
        /// Also check against these checkpoint copies (e.g. ones published elsewhere).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Trust the first N entries, vouched for by the signed checkpoint of size N, and
        /// check every entry after it (for monitoring that re-checks what is new).
        #[arg(long, value_name = "SIZE")]
        from_checkpoint: Option<u64>,
    },
    /// Write an offline proof bundle for entry SEQ (entry, inclusion proof, checkpoint, key).
    Prove {
        seq: i64,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof bundle without any database. Exit 0: valid; 2: invalid; 3: could not
    /// check.
    VerifyBundle {
        file: PathBuf,
        /// The verifier key you trust, as published by the operator (`name+id+key`). The key
        /// inside the bundle is never trusted on its own: anyone can sign a bundle.
        #[arg(long)]
        key: String,
    },
    /// Sign the current tree head now.
    Checkpoint,
    /// Export entries for auditors, filtered, as CSV or JSON (payloads included unless erased).
    Export {
        /// csv or json
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only this organisation's entries.
        #[arg(long)]
        org: Option<String>,
        /// Only this action, e.g. announcement.publish
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD) or instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// To this day, inclusive.
        #[arg(long)]
        to: Option<String>,
    },
    /// Replace the checkpoint signing key; the new key is added to the trusted keys.
    RotateKey,
}

/// A result that maps to a specific exit code (monitoring conventions).
#[derive(Debug)]
struct Exit(u8, String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Exit {}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create a public body, e.g. `herold org create bfdi --name "Federal Commissioner for Data Protection"`.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// Succeed without change if the organisation exists (for provisioning scripts).
        #[arg(long)]
        if_missing: bool,
    },
    List,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an official account, e.g. `herold account create bfdi press --name "BfDI Press Office"`.
    Create {
        org: String,
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        summary: Option<String>,
        /// The language its announcements are in unless they say otherwise.
        #[arg(long, default_value = "de")]
        lang: String,
    },
    List,
}

#[derive(Args)]
struct AnnounceArgs {
    /// The account's username, e.g. `press`.
    account: String,
    #[arg(long)]
    text: Option<String>,
    /// Language of the text (BCP 47, e.g. `de`).
    #[arg(long)]
    lang: Option<String>,
    /// Content warning shown before the text.
    #[arg(long)]
    summary: Option<String>,
    /// Deliver before routine announcements.
    #[arg(long)]
    urgent: bool,
    /// Edit the announcement with this id (sends an Update).
    #[arg(long, conflicts_with = "retract")]
    edit: Option<String>,
    /// Retract the announcement with this id (sends a Delete).
    #[arg(long, conflicts_with_all = ["text", "lang", "summary", "urgent"])]
    retract: Option<String>,
    /// Why it is retracted (kept in the audit trail).
    #[arg(long, requires = "retract")]
    reason: Option<String>,
}

#[derive(Subcommand)]
enum RelayCommand {
    /// The inbox URL to give server admins, the mode, and the counts.
    Info,
    /// Subscribed servers (and those waiting for approval).
    Subscribers,
    /// Accept a subscription waiting for approval (relay mode `approval`).
    Approve {
        actor: String,
    },
    /// End or refuse a subscription.
    Reject {
        actor: String,
    },
    /// Make a subscription suspended as unreachable active again.
    Resume {
        actor: String,
    },
    /// Block a domain and its subdomains: their subscriptions end, new ones are refused.
    Block {
        domain: String,
    },
    Unblock {
        domain: String,
    },
    /// Blocked domains.
    Blocks,
    /// Who may publish through the relay besides the official accounts (and, in mode
    /// `allowlist`, who may subscribe).
    #[command(subcommand)]
    Publishers(PublishersCommand),
}

#[derive(Subcommand)]
enum PublishersCommand {
    /// Allow a server (a domain, covering its subdomains) or one actor (its URI).
    Add {
        publisher: String,
    },
    Remove {
        publisher: String,
    },
    List,
}

#[derive(Subcommand)]
enum DeliveriesCommand {
    /// Delivered / pending / retrying / dead counts and failing hosts.
    Status {
        /// Only this announcement's deliveries.
        #[arg(long)]
        announcement: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("herold: configuration error: {e}");
            return ExitCode::from(78);
        }
    };
    let _telemetry = match crate::telemetry::init(config.log_format, config.otlp_endpoint.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("herold: cannot set up telemetry: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("herold: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herold: {e:#}");
            match e.downcast_ref::<Exit>() {
                Some(Exit(code, _)) => ExitCode::from(*code),
                None => ExitCode::FAILURE,
            }
        }
    }
}

/// Refuses to go on when the configured SQLite database does not exist.
fn require_database(config: &Config) -> anyhow::Result<()> {
    let Some(rest) =
        config.database_url.strip_prefix("sqlite://").or_else(|| config.database_url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = std::path::Path::new(rest.split('?').next().unwrap_or(rest));
    anyhow::ensure!(
        path.exists(),
        "there is no database at {} (database_url, from data_dir {}): run herold where its data directory \
         is, pass --config, or set HEROLD_DATA_DIR or HEROLD_DATABASE_URL; `herold migrate` creates a new one",
        path.display(),
        config.data_dir.display()
    );
    Ok(())
}

async fn store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(crate::state::open_store(config).await?.0)
}

/// Long-running commands must survive SIGHUP (its default action ends the process); with
/// TLS, the server additionally reloads its certificate on it.
#[cfg(unix)]
fn survive_sighup() -> std::io::Result<()> {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::spawn(async move { while hup.recv().await.is_some() {} });
    Ok(())
}

#[cfg(not(unix))]
fn survive_sighup() -> std::io::Result<()> {
    Ok(())
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    if matches!(command, Command::Serve { .. } | Command::Worker) {
        survive_sighup()?;
    }
    // Only these may bring a new database into being; any other command run in the wrong
    // directory would otherwise work on a new, empty one (with new audit keys) and report
    // that nothing exists.
    let creates = matches!(
        command,
        Command::Serve { .. }
            | Command::Worker
            | Command::Migrate
            | Command::CheckConfig
            | Command::Policy(_)
            | Command::Org(OrgCommand::Create { .. })
    );
    if !creates {
        require_database(&config)?;
    }
    match command {
        Command::Serve { no_workers } => {
            let app = Application::build(config.clone(), !no_workers).await?;
            tracing::info!(listen = %config.listen, public_url = %config.public_url, workers = !no_workers, "herold serving");
            app.run_until_stopped().await
        }
        Command::Worker => {
            let metrics = config
                .metrics_listen
                .map(|addr| {
                    std::net::TcpListener::bind(addr)
                        .with_context(|| format!("cannot listen on {addr} (metrics_listen)"))
                })
                .transpose()?;
            let services = Services::build(config).await?;
            if let Some(listener) = metrics {
                tokio::spawn(crate::routes::metrics_server(listener, services.clone())?);
            }
            let (tx, rx) = tokio::sync::watch::channel(false);
            let worker = tokio::spawn(services.run_background(rx));
            tracing::info!("herold worker delivering");
            shutdown_signal().await?;
            let _ = tx.send(true);
            worker.await?;
            Ok(())
        }
        Command::Migrate => {
            store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CheckConfig => {
            println!("configuration is valid: {config:?}");
            Ok(())
        }
        Command::Org(OrgCommand::Create { slug, name, if_missing }) => {
            let slug = OrgSlug::parse(&slug)?;
            let name = DisplayName::parse(&name)?;
            let store = store(&config).await?;
            if if_missing && store.list_orgs().await?.iter().any(|o| o.slug == slug.as_str()) {
                println!("organisation {slug} exists");
                return Ok(());
            }
            let org = accounts::create_org(store.as_ref(), &slug, &name, OPERATOR).await?;
            println!("created organisation {} ({})", org.slug, org.name);
            Ok(())
        }
        Command::Org(OrgCommand::List) => {
            for org in store(&config).await?.list_orgs().await? {
                println!("{}\t{}", org.slug, org.name);
            }
            Ok(())
        }
        Command::Account(AccountCommand::Create { org, username, name, summary, lang }) => {
            let org = OrgSlug::parse(&org)?;
            let username = Username::parse(&username)?;
            let name = DisplayName::parse(&name)?;
            let summary = summary.map(|s| Summary::parse(&s)).transpose()?;
            let language = LanguageTag::parse(&lang)?;
            let store = store(&config).await?;
            let urls = Urls::new(config.public_url.clone());
            let kek = load_kek(&config)?;
            let request = accounts::AccountRequest { org, username, name, summary, language };
            let account = accounts::create_account(store.as_ref(), &kek, &urls, request, OPERATOR).await?;
            println!("created @{}@{} ({})", account.username, urls.host(), urls.actor(&account.username));
            Ok(())
        }
        Command::Account(AccountCommand::List) => {
            let urls = Urls::new(config.public_url.clone());
            for a in store(&config).await?.list_accounts().await? {
                println!("@{}@{}\t{}\t{}", a.username, urls.host(), a.org_slug, a.display_name);
            }
            Ok(())
        }
        Command::Announce(args) => announce(config, args).await,
        Command::Audit(command) => audit(config, command).await,
        Command::Policy(PolicyCommand::Check) => {
            let policies = crate::state::load_policies(&config)?;
            for w in &policies.warnings {
                println!("warning: {w}");
            }
            // Against the database where there is one: `serve` would refuse the same.
            if require_database(&config).is_ok() {
                let store = store(&config).await?;
                crate::state::check_policy_orgs(&config, &policies, store.as_ref()).await?;
            } else {
                println!("note: no database here, so the organisations the policies name are not checked");
            }
            println!(
                "policies valid: {} data classes, {} organisation override(s) in {}",
                policies.classes.len(),
                policies.orgs.len(),
                config.policies_dir.display()
            );
            Ok(())
        }
        Command::Retention(command) => retention(config, command).await,
        Command::Compliance(command) => compliance(config, command).await,
        Command::Dsar(DsarCommand::Export { subject, out }) => {
            use herold_compliance::dsar::{self, Subject};
            let store = store(&config).await?;
            let policies = crate::state::load_policies(&config)?;
            let now = herold_domain::now_millis();
            let (json, html) = match Subject::parse(&subject)? {
                Subject::Actor(actor) => {
                    let data = dsar::export(store.as_ref(), &policies, &actor, now).await?;
                    (
                        serde_json::json!({ "subject": subject, "data": data }),
                        dsar::summary_html(&actor, &data),
                    )
                }
                Subject::Staff(id) => {
                    let data = dsar::export_staff(store.as_ref(), &policies, id, now).await?;
                    (serde_json::json!({ "subject": subject, "data": data }), dsar::staff_summary_html(&data))
                }
            };
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            std::fs::write(out.join("subject.json"), serde_json::to_string_pretty(&json)?)?;
            std::fs::write(out.join("subject.html"), html)?;
            store
                .record_audit(herold_store::AuditEntry::new(OPERATOR, "dsar.export", "subject-request"))
                .await?;
            println!(
                "wrote {} and {}",
                out.join("subject.json").display(),
                out.join("subject.html").display()
            );
            Ok(())
        }
        Command::Dsar(DsarCommand::Erase { subject }) => {
            use herold_compliance::dsar::{self, Subject};
            let policies = crate::state::load_policies(&config)?;
            let store = store(&config).await?;
            match Subject::parse(&subject)? {
                Subject::Actor(actor) => {
                    let erasure = dsar::erase(store.as_ref(), &policies, &actor, OPERATOR).await?;
                    println!("{}", serde_json::to_string_pretty(&erasure)?);
                    if erasure.follows_held > 0 {
                        println!(
                            "{} follow(s) kept under legal hold; nothing else was erased while they are held",
                            erasure.follows_held
                        );
                    }
                    if erasure.mentions_for_review > 0 {
                        println!(
                            "{} announcement(s) or draft(s) mention this person. Official texts change only through \
                             the editorial workflow: `herold dsar export` lists them; edit them (the edit is sent as an \
                             Update without the mention) or retract them",
                            erasure.mentions_for_review
                        );
                    } else {
                        println!(
                            "nothing about this person was federated by Herold, so no Delete needed to be sent"
                        );
                    }
                }
                Subject::Staff(id) => {
                    let erasure = dsar::erase_staff(store.as_ref(), &policies, id, OPERATOR).await?;
                    println!("{}", serde_json::to_string_pretty(&erasure)?);
                    println!(
                        "staff:{id} is anonymised; the official announcements they wrote or approved stay, \
                         attributed to an anonymous member of staff"
                    );
                }
            }
            Ok(())
        }
        Command::Relay(command) => relay(config, command).await,
        Command::Deliveries(DeliveriesCommand::Status { announcement }) => {
            let store = store(&config).await?;
            let id = match announcement {
                Some(public_id) => {
                    let mut found = None;
                    for account in store.list_accounts().await? {
                        if let Some(a) = store.announcement(account.id, &public_id).await? {
                            found = Some(a.id);
                        }
                    }
                    Some(found.with_context(|| format!("no announcement {public_id}"))?)
                }
                None => None,
            };
            let policies = crate::state::load_policies(&config)?;
            let since = policies.visible_since(
                herold_store::DataClass::DeliveryRecords,
                None,
                herold_domain::now_millis(),
            );
            let stats = store.delivery_stats_since(id, since).await?;
            println!("delivered\t{}", stats.delivered);
            println!("pending\t{}", stats.pending);
            println!("retrying\t{}", stats.retrying);
            println!("dead\t{}", stats.dead);
            if !stats.failing_hosts.is_empty() {
                println!("\nfailing hosts (undelivered, consecutive failures, last error):");
                for h in stats.failing_hosts {
                    println!(
                        "{}\t{}\t{}\t{}",
                        h.host,
                        h.undelivered,
                        h.consecutive_failures,
                        h.last_error.unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
    }
}

fn load_kek(config: &Config) -> anyhow::Result<KeyEncryptionKey> {
    Ok(match &config.key_encryption_key {
        Some(b64) => KeyEncryptionKey::from_base64(b64)?,
        None => KeyEncryptionKey::load_or_create(&config.data_dir.join("key-encryption.key"))?,
    })
}

async fn announce(config: Config, args: AnnounceArgs) -> anyhow::Result<()> {
    let store = store(&config).await?;
    let urls = Urls::new(config.public_url.clone());
    let kek = load_kek(&config)?;
    let (signer, _) = crate::state::instance_signer(store.as_ref(), &kek, &urls).await?;
    let fetcher = crate::state::fetcher(&config, &urls, signer, SigningPool::new(1))?;
    let publisher = Publisher::new(store, urls.clone(), fetcher);
    let username = Username::parse(&args.account)?;
    if let Some(id) = args.retract {
        let a = publisher.retract(username.as_str(), &id, OPERATOR, args.reason.as_deref()).await?;
        println!("retracted {}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
        return Ok(());
    }
    let Some(text) = args.text else {
        bail!("--text is required to publish or edit");
    };
    let draft = Draft {
        translations: Default::default(),
        attachments: Vec::new(),
        text: AnnouncementText::parse(&text)?,
        language: args.lang.map(|l| LanguageTag::parse(&l)).transpose()?,
        summary: args.summary.map(|s| Summary::parse(&s)).transpose()?,
        urgent: args.urgent,
        mentions: Vec::new(),
    };
    let a = match args.edit {
        Some(id) => publisher.edit(username.as_str(), &id, draft, OPERATOR).await?,
        None => publisher.publish(username.as_str(), draft, OPERATOR).await?,
    };
    println!("{}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
    Ok(())
}

async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<()> {
    use herold_compliance::audit;
    // Errors that stop a check from running are "unknown" (3) to monitoring, not "ok".
    let unknown = |e: anyhow::Error| anyhow::Error::new(Exit(3, format!("{e:#}")));
    match command {
        AuditCommand::Verify { checkpoints, json, from_checkpoint } => {
            let (store, keys) = crate::state::open_store(&config).await.map_err(unknown)?;
            let mut external = audit::external_checkpoints(&keys).map_err(|e| unknown(e.into()))?;
            for path in checkpoints {
                external.push(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))
                        .map_err(unknown)?,
                );
            }
            let from = from_checkpoint.unwrap_or(0);
            let report = audit::verify_from(store.as_ref(), &keys.seal, &keys.trusted, &external, from)
                .await
                .map_err(|e| unknown(e.into()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            match report.problem {
                None => {
                    if !json {
                        let scope =
                            if from > 0 { format!(" after checkpoint {from}") } else { String::new() };
                        println!(
                            "audit log intact{scope}: {} entries, {} checkpoint(s) matched, latest checkpoint covers {}",
                            report.entries,
                            report.checkpoints_checked,
                            report.latest_checkpoint.map_or("nothing yet".into(), |s| format!("{s} entries"))
                        );
                    }
                    Ok(())
                }
                Some(p) => {
                    Err(Exit(2, format!("audit log TAMPERED at entry {}: {}", p.first_bad_seq, p.message))
                        .into())
                }
            }
        }
        AuditCommand::Prove { seq, out } => {
            let (store, keys) = crate::state::open_store(&config).await?;
            let bundle = audit::prove(store.as_ref(), &keys, seq).await?;
            let text = serde_json::to_string_pretty(&bundle)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => println!("{text}"),
            }
            Ok(())
        }
        AuditCommand::VerifyBundle { file, key } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Exit(3, format!("cannot read {}: {e}", file.display())))?;
            let bundle: audit::Bundle =
                serde_json::from_str(&text).map_err(|e| Exit(2, format!("not a proof bundle: {e}")))?;
            audit::verify_bundle(&bundle, &key).map_err(|e| Exit(2, format!("proof INVALID: {e}")))?;
            println!(
                "proof valid: entry {} ({} by {}) is in the log of {} entries signed by {}",
                bundle.entry.seq, bundle.entry.action, bundle.entry.actor, bundle.tree_size, key
            );
            Ok(())
        }
        AuditCommand::Export { format, org, action, from, to } => {
            anyhow::ensure!(format == "csv" || format == "json", "--format must be csv or json");
            let filter = herold_compliance::export::Filter {
                org,
                action,
                from: from.map(|d| parse_day(&d, false)).transpose()?,
                to: to.map(|d| parse_day(&d, true)).transpose()?,
            };
            let (store, _) = crate::state::open_store(&config).await?;
            let policies = crate::state::load_policies(&config)?;
            let rows = herold_compliance::export::entries(
                store.as_ref(),
                &policies,
                &filter,
                herold_domain::now_millis(),
            )
            .await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&herold_compliance::export::to_json(&rows))?);
            } else {
                print!("{}", herold_compliance::export::to_csv(&rows));
            }
            Ok(())
        }
        AuditCommand::Checkpoint => {
            let (store, keys) = crate::state::open_store(&config).await?;
            let cp = audit::checkpoint(store.as_ref(), &keys).await?;
            print!("{}", cp.note);
            Ok(())
        }
        AuditCommand::RotateKey => {
            let name = format!("{}/audit", Urls::new(config.public_url.clone()).host());
            let store = store(&config).await?;
            let vkey = herold_compliance::audit::AuditKeys::rotate(&config.data_dir, &name)?;
            store
                .record_audit(
                    herold_store::AuditEntry::new(OPERATOR, "audit.rotate_key", "audit:signing-key")
                        .with_detail(serde_json::json!({ "verifier_key": vkey })),
                )
                .await?;
            println!("new checkpoint signing key; publish its verifier key:\n{vkey}");
            Ok(())
        }
    }
}

/// SIGINT or SIGTERM (what service managers send).
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

async fn retention(config: Config, command: RetentionCommand) -> anyhow::Result<()> {
    use herold_compliance::retention;
    let policies = crate::state::load_policies(&config)?;
    let store = store(&config).await?;
    let now = herold_domain::now_millis();
    let (at, counts) = match command {
        RetentionCommand::Plan { at } => {
            let at = match at {
                Some(text) => {
                    let t =
                        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                            .with_context(|| {
                                format!("--at {text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z")
                            })?;
                    (t.unix_timestamp_nanos() / 1_000_000) as i64
                }
                None => now,
            };
            (at, retention::plan(store.as_ref(), &policies, at).await?)
        }
        RetentionCommand::Apply => (
            now,
            retention::apply(store.as_ref(), &policies, now, OPERATOR, &config.retention_archive_dir).await?,
        ),
    };
    println!("class\torganisation\texpired\toldest age\tlimit");
    for c in counts {
        let org = c.org.as_deref().unwrap_or("-");
        let age = c.oldest.map_or("-".to_owned(), |o| format!("{}d", (at - o) / 86_400_000));
        let limit = policies.retention(c.class, c.org.as_deref()).describe();
        println!("{}\t{org}\t{}\t{age}\t{limit}", c.class.as_str(), c.count);
    }
    for org in policies.orgs.iter().filter(|(_, p)| p.legal_hold) {
        println!("{}: legal hold, nothing removed", org.0);
    }
    Ok(())
}

/// `YYYY-MM-DD` (midnight UTC; with `end`, the following midnight) or RFC 3339.
fn parse_day(text: &str, end: bool) -> anyhow::Result<i64> {
    Ok(herold_domain::parse_day(text, end)?)
}

async fn compliance(config: Config, command: ComplianceCommand) -> anyhow::Result<()> {
    use herold_compliance::report;
    let policies = crate::state::load_policies(&config)?;
    let (store, keys) = crate::state::open_store(&config).await?;
    let org_name = |slug: &str| {
        let slug = slug.to_owned();
        let store = store.clone();
        async move {
            store
                .list_orgs()
                .await?
                .into_iter()
                .find(|o| o.slug == slug)
                .map(|o| o.name)
                .with_context(|| format!("no organisation {slug}"))
        }
    };
    match command {
        ComplianceCommand::Ropa { org, json } => {
            let controller = org_name(&org).await?;
            let ropa = report::ropa(&policies, &org, &controller);
            if json {
                println!("{}", serde_json::to_string_pretty(&ropa)?);
            } else {
                println!("{}", report::ropa_html(&ropa, &|key| Lang::EN.t(key)));
            }
            Ok(())
        }
        ComplianceCommand::Report { org, from, to, out } => {
            org_name(&org).await?;
            let (from, to) = (parse_day(&from, false)?, parse_day(&to, true)?);
            anyhow::ensure!(from < to, "--from must be before --to");
            let r = report::report(store.as_ref(), &policies, &keys, &org, from, to).await?;
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&r)?)?;
            std::fs::write(out.join("report.html"), report::report_html(&r, &|key| Lang::EN.t(key)))?;
            println!("wrote {} and {}", out.join("report.html").display(), out.join("report.json").display());
            Ok(())
        }
    }
}

async fn relay(config: Config, command: RelayCommand) -> anyhow::Result<()> {
    let store = store(&config).await?;
    let urls = Urls::new(config.public_url.clone());
    let relay = herold_federation::relay::Relay::new(store.clone(), urls.clone(), config.relay_mode);
    match command {
        RelayCommand::Info => {
            let counts = store.relay_counts().await?;
            println!("inbox\t{}", urls.relay_inbox());
            println!("actor\t{}", urls.relay_actor());
            println!("mode\t{:?}", config.relay_mode);
            for (state, n) in counts {
                println!("{state}\t{n}");
            }
        }
        RelayCommand::Subscribers => {
            for s in store.relay_subscribers().await? {
                println!(
                    "{}\t{}\t{}\t{}\tsince {}",
                    s.state.as_str(),
                    s.style.as_str(),
                    s.host,
                    s.actor_uri,
                    herold_domain::format_rfc3339(s.created_at)
                );
            }
        }
        RelayCommand::Approve { actor } => match relay.approve(&actor, OPERATOR).await? {
            Some(s) => println!("approved {} ({}); its Accept is queued", s.actor_uri, s.host),
            None => bail!("nothing from {actor} waits for approval (see `herold relay subscribers`)"),
        },
        RelayCommand::Reject { actor } => {
            if !relay.reject(&actor, OPERATOR).await? {
                bail!("{actor} has no subscription (see `herold relay subscribers`)");
            }
            println!("ended the subscription of {actor}");
        }
        RelayCommand::Resume { actor } => {
            if !relay.resume(&actor, OPERATOR).await? {
                bail!("{actor} is not suspended (see `herold relay subscribers`)");
            }
            println!("resumed {actor}: it receives the relay's deliveries again");
        }
        RelayCommand::Block { domain } => {
            let ended = relay.block(&domain, OPERATOR).await?;
            println!("blocked {domain} and its subdomains; {ended} subscription(s) ended");
        }
        RelayCommand::Unblock { domain } => {
            if !relay.unblock(&domain, OPERATOR).await? {
                bail!("{domain} was not blocked");
            }
            println!("unblocked {domain}");
        }
        RelayCommand::Blocks => {
            for domain in store.relay_blocks().await? {
                println!("{domain}");
            }
        }
        RelayCommand::Publishers(PublishersCommand::Add { publisher }) => {
            if relay.add_publisher(&publisher, OPERATOR).await? {
                println!("{publisher} may publish through the relay");
            } else {
                println!("{publisher} was already a publisher");
            }
        }
        RelayCommand::Publishers(PublishersCommand::Remove { publisher }) => {
            if !relay.remove_publisher(&publisher, OPERATOR).await? {
                bail!("{publisher} is not a publisher (see `herold relay publishers list`)");
            }
            println!("{publisher} no longer publishes through the relay");
        }
        RelayCommand::Publishers(PublishersCommand::List) => {
            for publisher in store.relay_publishers().await? {
                println!("{publisher}");
            }
        }
    }
    Ok(())
}
