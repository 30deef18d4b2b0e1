//! `herold org`, `herold account` and `herold announce`: the bodies, their accounts, and
//! what they publish from the command line.

use anyhow::bail;
use clap::{Args, Subcommand};
use herold_domain::{AnnouncementText, DisplayName, LanguageTag, OrgSlug, Summary, Username};
use herold_federation::signing_pool::SigningPool;
use herold_federation::Urls;
use herold_publishing::{accounts, Draft, Publisher};

use super::{load_kek, store, OPERATOR};
use crate::config::Config;

#[derive(Subcommand)]
pub(super) enum OrgCommand {
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
pub(super) enum AccountCommand {
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
    /// Give an account new keys (after a suspected leak, or on schedule) and tell its
    /// followers, e.g. `herold account rotate-keys press`.
    RotateKeys {
        username: String,
    },
}

#[derive(Args)]
pub(super) struct AnnounceArgs {
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

/// `herold org`: the public bodies.
pub(super) async fn org(config: Config, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create { slug, name, if_missing } => {
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
        OrgCommand::List => {
            for org in store(&config).await?.list_orgs().await? {
                println!("{}\t{}", org.slug, org.name);
            }
            Ok(())
        }
    }
}

/// `herold account`: their official accounts.
pub(super) async fn account(config: Config, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { org, username, name, summary, lang } => {
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
        AccountCommand::RotateKeys { username } => {
            let username = Username::parse(&username)?;
            let store = store(&config).await?;
            let urls = Urls::new(config.public_url.clone());
            let kek = load_kek(&config)?;
            let policies = crate::state::load_policies(&config)?;
            let account = store.account_by_username(username.as_str()).await?.ok_or_else(|| {
                anyhow::anyhow!("there is no account {username}; `herold account list` shows them")
            })?;
            let presence = policies.presences().of(&account.org_slug);
            accounts::rotate_keys(store.as_ref(), &kek, &urls, &presence, &username, OPERATOR).await?;
            println!(
                "new keys for @{}@{}; its followers are told with an Update of the actor",
                username,
                urls.host()
            );
            Ok(())
        }
        AccountCommand::List => {
            let urls = Urls::new(config.public_url.clone());
            for a in store(&config).await?.list_accounts().await? {
                println!("@{}@{}\t{}\t{}", a.username, urls.host(), a.org_slug, a.display_name);
            }
            Ok(())
        }
    }
}

pub(super) async fn announce(config: Config, args: AnnounceArgs) -> anyhow::Result<()> {
    let store = store(&config).await?;
    let urls = Urls::new(config.public_url.clone());
    let kek = load_kek(&config)?;
    let (signer, _) = crate::state::instance_signer(store.as_ref(), &kek, &urls).await?;
    let fetcher = crate::state::fetcher(&config, &urls, signer, SigningPool::new(1))?;
    let presences = crate::state::load_policies(&config)?.presences();
    let publisher = Publisher::new(store, urls.clone(), fetcher, presences, std::sync::Arc::new(kek));
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
        in_reply_to: None,
    };
    let a = match args.edit {
        Some(id) => publisher.edit(username.as_str(), &id, draft, OPERATOR).await?,
        None => publisher.publish(username.as_str(), draft, OPERATOR).await?,
    };
    println!("{}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
    Ok(())
}
