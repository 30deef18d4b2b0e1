//! The command line. Every subcommand loads the same configuration as the server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use herold_federation::keys::KeyEncryptionKey;
use herold_store::Store;

mod audit;
mod compliance;
mod deliveries;
mod orgs;
mod relay;

use audit::AuditCommand;
use compliance::{ComplianceCommand, DsarCommand, PolicyCommand, RetentionCommand};
use deliveries::DeliveriesCommand;
use orgs::{AccountCommand, AnnounceArgs, OrgCommand};
use relay::RelayCommand;

use crate::config::Config;
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

/// A result that maps to a specific exit code (monitoring conventions).
#[derive(Debug)]
struct Exit(u8, String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Exit {}

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
        Command::Org(command) => orgs::org(config, command).await,
        Command::Account(command) => orgs::account(config, command).await,
        Command::Announce(args) => orgs::announce(config, args).await,
        Command::Audit(command) => audit::audit(config, command).await,
        Command::Policy(command) => compliance::policy(config, command).await,
        Command::Retention(command) => compliance::retention(config, command).await,
        Command::Compliance(command) => compliance::compliance(config, command).await,
        Command::Dsar(command) => compliance::dsar(config, command).await,
        Command::Relay(command) => relay::relay(config, command).await,
        Command::Deliveries(command) => deliveries::deliveries(config, command).await,
    }
}

fn load_kek(config: &Config) -> anyhow::Result<KeyEncryptionKey> {
    Ok(match &config.key_encryption_key {
        Some(b64) => KeyEncryptionKey::from_base64(b64)?,
        None => KeyEncryptionKey::load_or_create(&config.data_dir.join("key-encryption.key"))?,
    })
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

/// `YYYY-MM-DD` (midnight UTC; with `end`, the following midnight) or RFC 3339.
fn parse_day(text: &str, end: bool) -> anyhow::Result<i64> {
    Ok(herold_domain::parse_day(text, end)?)
}
