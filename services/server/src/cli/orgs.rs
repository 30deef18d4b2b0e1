//! `herold org`, `herold account` and `herold announce`: the bodies, their accounts, and
//! what they publish from the command line.

use anyhow::bail;
use clap::{Args, Subcommand};
use herold_domain::presence::ReplyAudience;
use herold_domain::{
    AnnouncementText, Bio, DisplayName, LanguageTag, OrgSlug, ProfileFields, Summary, Username,
};
use herold_federation::signing_pool::SigningPool;
use herold_federation::Urls;
use herold_publishing::editorial::Editorial;
use herold_publishing::profiles::{ImageChoice, ProfileRequest, Proposer};
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
    /// Write everything of an organisation to one tar archive: its accounts and profiles,
    /// every announcement with its images, its audit entries and its policies, e.g.
    /// `herold org export bfdi --out bfdi.tar`. Followers are not included: they move with
    /// `herold account move`.
    Export {
        slug: String,
        /// The archive to write (not overwritten if it exists).
        #[arg(long)]
        out: std::path::PathBuf,
    },
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
    /// Propose a change of an account's profile, which an approver of its organisation then
    /// applies in the workspace, e.g. `herold account profile press --bio "…"
    /// --field "Website=https://www.bfdi.bund.de/" --avatar logo.png --avatar-alt "Logo"`.
    /// What is not given stays as it is.
    Profile(ProfileArgs),
    /// Move an account's followers to the body's account on another server, which must name
    /// this one as its alias first; the account then publishes no more, and what it
    /// published stays. E.g. `herold account move press --to @presse@social.bund.de`.
    Move {
        username: String,
        /// The new account: `@name@server`, or its address.
        #[arg(long)]
        to: String,
    },
    /// Retire an account whose body ceased or no longer speaks through it: it publishes no
    /// more, its followers' servers and its pages say so, and what it published stays (and
    /// follows the retention policy).
    Retire {
        username: String,
    },
    /// Bring over the public posts of the body's former Mastodon account, from its archive
    /// (Preferences, Import and export, Request your archive) unpacked into a directory, as
    /// read-only history with their original dates and images; nothing is sent to anyone.
    /// Repeating it imports only what is new.
    Import {
        username: String,
        /// The unpacked archive: the directory with outbox.json.
        #[arg(long)]
        archive: std::path::PathBuf,
    },
}

#[derive(Args)]
pub(super) struct ProfileArgs {
    username: String,
    #[arg(long)]
    name: Option<String>,
    /// The biography (empty: none).
    #[arg(long)]
    bio: Option<String>,
    /// A profile field as `Name=Value`; repeat for up to four. Given, they replace all.
    #[arg(long = "field")]
    fields: Vec<String>,
    /// Remove every profile field.
    #[arg(long, conflicts_with = "fields")]
    no_fields: bool,
    /// A JPEG or PNG of at most 2 MiB.
    #[arg(long, requires = "avatar_alt")]
    avatar: Option<std::path::PathBuf>,
    /// The avatar's description (with `--avatar`, or for the current one).
    #[arg(long)]
    avatar_alt: Option<String>,
    #[arg(long, conflicts_with_all = ["avatar", "avatar_alt"])]
    remove_avatar: bool,
    #[arg(long, requires = "header_alt")]
    header: Option<std::path::PathBuf>,
    #[arg(long)]
    header_alt: Option<String>,
    #[arg(long, conflicts_with_all = ["header", "header_alt"])]
    remove_header: bool,
    /// The body's account on another server that moves its followers here: `@name@server`
    /// or its address. Mastodon's move then finds this account naming it (`alsoKnownAs`).
    #[arg(long)]
    moved_from: Option<String>,
    /// Name no former account any more.
    #[arg(long, conflicts_with = "moved_from")]
    no_moved_from: bool,
}

/// What one image's options ask for.
fn image_choice(
    file: Option<std::path::PathBuf>,
    alt: Option<String>,
    remove: bool,
) -> anyhow::Result<ImageChoice> {
    Ok(match (file, remove) {
        (_, true) => ImageChoice::Remove,
        (Some(path), false) => {
            let bytes =
                std::fs::read(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            ImageChoice::Replace { bytes, alt: alt.unwrap_or_default() }
        }
        (None, false) => ImageChoice::Keep(alt),
    })
}

async fn propose_profile(config: Config, args: ProfileArgs) -> anyhow::Result<()> {
    let store = store(&config).await?;
    let urls = Urls::new(config.public_url.clone());
    let kek = std::sync::Arc::new(load_kek(&config)?);
    let policies = std::sync::Arc::new(crate::state::load_policies(&config)?);
    let account = store.account_by_username(&args.username).await?.ok_or_else(|| {
        anyhow::anyhow!("there is no account {}; `herold account list` shows them", args.username)
    })?;
    let name = DisplayName::parse(args.name.as_deref().unwrap_or(&account.display_name))?;
    let bio = match args.bio.or(account.summary.clone()) {
        Some(b) if !b.trim().is_empty() => Some(Bio::parse(&b)?),
        _ => None,
    };
    let rows: Vec<(String, String)> = if args.no_fields {
        Vec::new()
    } else if args.fields.is_empty() {
        account.profile.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect()
    } else {
        let mut rows = Vec::new();
        for f in &args.fields {
            let Some((name, value)) = f.split_once('=') else {
                bail!("--field {f:?}: give it as Name=Value, e.g. \"Website=https://www.bfdi.bund.de/\"");
            };
            rows.push((name.to_owned(), value.to_owned()));
        }
        rows
    };
    let fields = ProfileFields::parse(&rows)?;
    let (signer, _) = crate::state::instance_signer(store.as_ref(), &kek, &urls).await?;
    let fetcher = crate::state::fetcher(&config, &urls, signer, SigningPool::new(1))?;
    let publisher = Publisher::new(store.clone(), urls.clone(), fetcher, policies.presences(), kek);
    let also_known_as = match (&args.moved_from, args.no_moved_from) {
        (_, true) => Some(Vec::new()),
        (Some(address), false) => Some(vec![publisher.resolve_alias(address).await.map_err(|p| {
            anyhow::anyhow!(
                "--moved-from {address:?}: {}",
                crate::staff::alias_problem_text(crate::staff::i18n::Lang::EN, p)
            )
        })?]),
        (None, false) => None,
    };
    let request = ProfileRequest {
        name,
        bio,
        fields,
        avatar: image_choice(args.avatar, args.avatar_alt, args.remove_avatar)?,
        header: image_choice(args.header, args.header_alt, args.remove_header)?,
        also_known_as,
    };
    let rules = std::sync::Arc::new(crate::state::PolicyRules::new(policies));
    let editorial = Editorial::new(store, publisher, rules);
    let proposal = editorial.propose_profile(Proposer::Operator, &account.username, request).await?;
    println!(
        "proposed a new profile for @{}@{} ({}); an approver of {} applies it at {}staff/accounts/{}/profile",
        account.username,
        urls.host(),
        proposal.public_id,
        account.org_slug,
        urls.home(),
        account.username,
    );
    Ok(())
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
    /// Who may reply: everyone, followers, mentioned or nobody (default: as the
    /// organisation's `[presence] replies` says, for an edit too).
    #[arg(long, value_parser = parse_replies)]
    replies: Option<ReplyAudience>,
    /// Edit the announcement with this id (sends an Update).
    #[arg(long, conflicts_with = "retract")]
    edit: Option<String>,
    /// Retract the announcement with this id (sends a Delete).
    #[arg(long, conflicts_with_all = ["text", "lang", "summary", "urgent", "replies"])]
    retract: Option<String>,
    /// Why it is retracted (kept in the audit trail).
    #[arg(long, requires = "retract")]
    reason: Option<String>,
}

fn parse_replies(typed: &str) -> Result<ReplyAudience, String> {
    ReplyAudience::parse(typed)
        .ok_or_else(|| format!("{typed:?} is none of: everyone, followers, mentioned, nobody"))
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
        OrgCommand::Export { slug, out } => {
            let slug = OrgSlug::parse(&slug)?;
            let (store, _) = crate::state::open_store(&config).await?;
            let policies = crate::state::load_policies(&config)?;
            let urls = Urls::new(config.public_url.clone());
            let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&out).map_err(|e| {
                anyhow::anyhow!("cannot create {} ({e}); choose a new file name", out.display())
            })?;
            let addresses = |a: &herold_store::Account, n: Option<&herold_store::Announcement>| match n {
                Some(n) => urls.announcement(&a.username, &n.public_id),
                None => urls.actor(&a.username),
            };
            let now = herold_domain::now_millis();
            let summary = herold_compliance::archive::write_archive(
                store.as_ref(),
                &policies,
                &config.policies_dir,
                slug.as_str(),
                &addresses,
                std::io::BufWriter::new(file),
                now,
            )
            .await?;
            store
                .record_audit(
                    herold_store::AuditEntry::new(OPERATOR, "org.export", format!("org:{slug}"))
                        .in_org(slug.as_str())
                        .with_detail(serde_json::json!({
                            "accounts": summary.accounts,
                            "announcements": summary.announcements,
                            "images": summary.images,
                            "audit_entries": summary.audit_entries,
                        })),
                )
                .await?;
            println!(
                "wrote {}: {} account(s), {} announcement(s), {} image(s), {} audit entries",
                out.display(),
                summary.accounts,
                summary.announcements,
                summary.images,
                summary.audit_entries
            );
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
        AccountCommand::Profile(args) => propose_profile(config, args).await,
        AccountCommand::Move { username, to } => {
            let publisher = publisher(&config).await?;
            let target = publisher.resolve_alias(&to).await.map_err(|p| {
                anyhow::anyhow!(
                    "--to {to:?}: {}",
                    crate::staff::alias_problem_text(crate::staff::i18n::Lang::EN, p)
                )
            })?;
            let ending = accounts::Ending::Move { to: target.clone() };
            let account = publisher.end_account(&username, ending, OPERATOR, None).await?;
            println!(
                "@{} moved to {target}: its followers' servers receive the Move and follow the new account",
                account.username
            );
            Ok(())
        }
        AccountCommand::Import { username, archive } => {
            let account = store(&config).await?.account_by_username(&username).await?.ok_or_else(|| {
                anyhow::anyhow!("there is no account {username}; `herold account list` shows them")
            })?;
            let missing_alt = crate::staff::i18n::Lang::from_code(&account.language).t("import_missing_alt");
            let publisher = publisher(&config).await?;
            let s = publisher.import_mastodon_archive(&username, &archive, missing_alt, OPERATOR).await?;
            println!(
                "imported {} post(s) with {} image(s) into @{username}; {} imported before, {} left out \
                 (not public, boosts, replies to others), {} unreadable, {} image(s) missing or not JPEG/PNG",
                s.imported, s.images, s.already, s.left_out, s.unreadable, s.images_left_out
            );
            Ok(())
        }
        AccountCommand::Retire { username } => {
            let account = publisher(&config)
                .await?
                .end_account(&username, accounts::Ending::Retire, OPERATOR, None)
                .await?;
            println!(
                "@{} is retired: it publishes no more, and what it published stays readable",
                account.username
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

/// A publisher for one command, signing its fetches as the instance actor.
async fn publisher(config: &Config) -> anyhow::Result<Publisher> {
    let store = store(config).await?;
    let urls = Urls::new(config.public_url.clone());
    let kek = load_kek(config)?;
    let (signer, _) = crate::state::instance_signer(store.as_ref(), &kek, &urls).await?;
    let fetcher = crate::state::fetcher(config, &urls, signer, SigningPool::new(1))?;
    let presences = crate::state::load_policies(config)?.presences();
    Ok(Publisher::new(store, urls, fetcher, presences, std::sync::Arc::new(kek)))
}

pub(super) async fn announce(config: Config, args: AnnounceArgs) -> anyhow::Result<()> {
    let urls = Urls::new(config.public_url.clone());
    let publisher = publisher(&config).await?;
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
        replies: args.replies,
    };
    let a = match args.edit {
        Some(id) => publisher.edit(username.as_str(), &id, draft, OPERATOR).await?,
        None => publisher.publish(username.as_str(), draft, OPERATOR).await?,
    };
    println!("{}\t{}", a.public_id, urls.announcement(username.as_str(), &a.public_id));
    Ok(())
}
