//! The command line. Every subcommand loads the same configuration as the server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use herold_domain::{AnnouncementText, DisplayName, LanguageTag, OrgSlug, Summary, Username};
use herold_federation::keys::KeyEncryptionKey;
use herold_federation::Urls;
use herold_publishing::{accounts, Draft, Publisher};
use herold_store::Store;

use crate::config::Config;
use crate::startup::{Application, Services};

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
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create a public body, e.g. `herold org create bfdi --name "Federal Commissioner for Data Protection"`.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
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
            ExitCode::FAILURE
        }
    }
}

async fn store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = herold_store::connect(&config.database_url).await.with_context(|| {
        format!("cannot open the database {}", crate::config::redact_url(&config.database_url))
    })?;
    store.migrate().await.context("applying database migrations failed")?;
    Ok(store)
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { no_workers } => {
            let app = Application::build(config.clone(), !no_workers).await?;
            tracing::info!(listen = %config.listen, public_url = %config.public_url, workers = !no_workers, "herold serving");
            app.run_until_stopped().await
        }
        Command::Worker => {
            let services = Services::build(config).await?;
            let (tx, rx) = tokio::sync::watch::channel(false);
            let worker = tokio::spawn(services.deliverer.clone().run(rx));
            tracing::info!("herold worker delivering");
            tokio::signal::ctrl_c().await?;
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
        Command::Org(OrgCommand::Create { slug, name }) => {
            let slug = OrgSlug::parse(&slug)?;
            let name = DisplayName::parse(&name)?;
            let org = accounts::create_org(store(&config).await?.as_ref(), &slug, &name, OPERATOR).await?;
            println!("created organisation {} ({})", org.slug, org.name);
            Ok(())
        }
        Command::Org(OrgCommand::List) => {
            for org in store(&config).await?.list_orgs().await? {
                println!("{}\t{}", org.slug, org.name);
            }
            Ok(())
        }
        Command::Account(AccountCommand::Create { org, username, name, summary }) => {
            let org = OrgSlug::parse(&org)?;
            let username = Username::parse(&username)?;
            let name = DisplayName::parse(&name)?;
            let summary = summary.map(|s| Summary::parse(&s)).transpose()?;
            let store = store(&config).await?;
            let urls = Urls::new(config.public_url.clone());
            let kek = load_kek(&config)?;
            let request = accounts::AccountRequest { org, username, name, summary };
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
            let stats = store.delivery_stats(id).await?;
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
    let publisher = Publisher::new(store, urls.clone());
    let username = Username::parse(&args.account)?;
    if let Some(id) = args.retract {
        let a = publisher.retract(username.as_str(), &id, OPERATOR).await?;
        println!("retracted {}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
        return Ok(());
    }
    let Some(text) = args.text else {
        bail!("--text is required to publish or edit");
    };
    let draft = Draft {
        text: AnnouncementText::parse(&text)?,
        language: args.lang.map(|l| LanguageTag::parse(&l)).transpose()?,
        summary: args.summary.map(|s| Summary::parse(&s)).transpose()?,
        urgent: args.urgent,
    };
    let a = match args.edit {
        Some(id) => publisher.edit(username.as_str(), &id, draft, OPERATOR).await?,
        None => publisher.publish(username.as_str(), draft, OPERATOR).await?,
    };
    println!("{}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
    Ok(())
}
