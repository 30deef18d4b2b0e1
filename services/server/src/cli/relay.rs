//! `herold relay`: the relay's subscribers, blocks and publishers.

use anyhow::bail;
use clap::Subcommand;
use herold_federation::Urls;

use super::{store, OPERATOR};
use crate::config::Config;

#[derive(Subcommand)]
pub(super) enum RelayCommand {
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
pub(super) enum PublishersCommand {
    /// Allow a server (a domain, covering its subdomains) or one actor (its URI).
    Add {
        publisher: String,
    },
    Remove {
        publisher: String,
    },
    List,
}

pub(super) async fn relay(config: Config, command: RelayCommand) -> anyhow::Result<()> {
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
            if !relay.reject(&actor, OPERATOR, None).await? {
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
            let ended = relay.block(&domain, OPERATOR, None).await?;
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
            if !relay.remove_publisher(&publisher, OPERATOR, None).await? {
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
