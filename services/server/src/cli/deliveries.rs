//! `herold deliveries`: the delivery queue as the operator sees it.

use anyhow::Context;
use clap::Subcommand;

use super::store;
use crate::config::Config;

#[derive(Subcommand)]
pub(super) enum DeliveriesCommand {
    /// Delivered / pending / retrying / dead counts and failing hosts.
    Status {
        /// Only this announcement's deliveries.
        #[arg(long)]
        announcement: Option<String>,
    },
}

/// `herold deliveries`: the delivery queue.
pub(super) async fn deliveries(config: Config, command: DeliveriesCommand) -> anyhow::Result<()> {
    match command {
        DeliveriesCommand::Status { announcement } => {
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
            let stats = store.delivery_stats(id, &policies.visibility()).await?;
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
