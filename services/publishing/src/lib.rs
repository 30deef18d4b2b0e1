//! Announcements: turning what an official account says into a `Note`, its activities and
//! their deliveries (one transaction), and into public pages and feeds.

pub mod accounts;
pub mod diff;
pub mod editorial;
pub mod feeds;
pub mod import;
pub mod media;
pub mod notify;
pub mod pages;
pub mod profiles;
mod render;

use std::sync::Arc;

use herold_domain::presence::{Presence, Presences, QuoteAudience, ReplyAudience};
use herold_domain::{now_millis, AnnouncementText, DomainError, LanguageTag, Millis, Summary, Translations};
use herold_federation::fetch::Fetcher;
use herold_federation::integrity::ProofKey;
use herold_federation::keys::KeyEncryptionKey;
use herold_federation::relay;
use herold_federation::vocab::{self, PUBLIC};
use herold_federation::{FederationError, Urls};
use herold_store::{
    Account, Announcement, AnnouncementBody, AnnouncementEdit, Audience, AuditEntry, MediaInfo, Mention,
    NewActivity, NewAnnouncement, Priority, Revocation, Stamp, StampKind, Store, StoreError,
    StoredTranslation,
};
use serde_json::{json, Value};

pub use render::{hashtags, is_tag, render_text};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("no account {0:?}")]
    UnknownAccount(String),
    #[error("no announcement {0:?} on this account")]
    UnknownAnnouncement(String),
    #[error("announcement {0:?} was retracted and cannot change any more")]
    Retracted(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] herold_federation::FederationError),
    #[error(transparent)]
    Workflow(#[from] herold_domain::workflow::WorkflowError),
    /// The person lacks the role, or the thing belongs to another organisation.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no submission {0:?}")]
    UnknownDraft(String),
    #[error("{0}")]
    Incomplete(&'static str),
    #[error("{0}")]
    Media(media::MediaError),
    /// A mention that cannot be addressed; the message names it and says why, for the
    /// author.
    #[error("{0}")]
    Mention(String),
    /// A publishing time that has already passed: approved, it would go out at once while
    /// the lists said "scheduled".
    #[error(
        "the publishing time {} (UTC) has passed: choose a later time, or leave it empty to publish on approval",
        herold_domain::format_rfc3339(*.0)
    )]
    PublishAtPassed(herold_domain::Millis),
    /// The account an account moves to could not be read.
    #[error("the new account could not be read: {0}")]
    MoveTarget(String),
    /// The account an account moves to does not name it (`alsoKnownAs`) yet.
    #[error(
        "the new account does not name this one as its alias yet: add {0} there first (on Mastodon: \
         Preferences, Account, Moving from a different account), then move"
    )]
    NoAlias(String),
    /// The account has moved or was retired: it publishes no more.
    #[error("@{0} has ended (moved or retired) and publishes no more")]
    Ended(String),
    /// A name kept for the server itself.
    #[error("the name {0:?} is reserved for the server itself; choose another")]
    ReservedName(String),
}

/// More addressees than this is a mass mailing, not an announcement.
pub const MAX_MENTIONS: usize = 20;

/// The address (`@name@host`) an actor document gives for `actor_uri`, if it is that
/// actor's and its parts are plain.
fn handle_in(doc: &Value, actor_uri: &str) -> Option<String> {
    let name = doc.get("preferredUsername").and_then(Value::as_str)?;
    let id = doc.get("id").and_then(Value::as_str).filter(|id| *id == actor_uri)?;
    let rest = id.strip_prefix("https://").or_else(|| id.strip_prefix("http://"))?;
    let host = rest.split('/').next()?.to_ascii_lowercase();
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "_.-:".contains(c));
    (plain(name) && plain(&host)).then(|| format!("@{name}@{host}"))
}

/// How long the lookups of one text's mentions may take together.
const MENTION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// What an author wants to say.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: AnnouncementText,
    pub language: Option<LanguageTag>,
    /// Further language versions, sent in `contentMap` beside the primary text.
    pub translations: Translations,
    /// Images, each with its alt text.
    pub attachments: Vec<MediaInfo>,
    pub summary: Option<Summary>,
    pub urgent: bool,
    /// The accounts the texts mention, as resolved (`Publisher::resolve_mentions`).
    pub mentions: Vec<Mention>,
    /// The citizen's post it answers.
    pub in_reply_to: Option<String>,
    /// Who may reply, if its author chose; otherwise the organisation's policy decides.
    pub replies: Option<ReplyAudience>,
}

impl Draft {
    /// Checks what an author typed (a form, the API, or a stored draft): the text, its
    /// language, further language versions as (language, text), a content warning.
    pub fn parse<'a>(
        text: &str,
        language: Option<&str>,
        versions: impl IntoIterator<Item = (&'a str, &'a str)>,
        summary: Option<&str>,
        urgent: bool,
    ) -> Result<Draft, DomainError> {
        let language = language.map(|l| LanguageTag::parse(l.trim())).transpose()?;
        let versions = versions
            .into_iter()
            .map(|(lang, text)| Ok((LanguageTag::parse(lang.trim())?, AnnouncementText::parse(text)?)))
            .collect::<Result<Vec<_>, DomainError>>()?;
        Ok(Draft {
            text: AnnouncementText::parse(text)?,
            translations: Translations::parse(language.as_ref(), versions)?,
            attachments: Vec::new(),
            language,
            summary: summary.map(str::trim).filter(|s| !s.is_empty()).map(Summary::parse).transpose()?,
            urgent,
            mentions: Vec::new(),
            in_reply_to: None,
            replies: None,
        })
    }

    /// The primary text and every language version.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str()).chain(self.translations.iter().map(|(_, t)| t.as_str()))
    }

    /// What followers get of this text: the HTML of every language version, with the
    /// mentions linked. The language stays as written (`None` if the author gave none).
    pub fn render(&self, urls: &Urls) -> AnnouncementBody {
        let mut body = render_body(
            urls,
            self.text.as_str(),
            self.language.as_ref().map(|l| l.to_string()),
            self.summary.as_ref().map(|s| s.as_str().to_owned()),
            self.translations.iter().map(|(language, text)| (language.to_string(), text.as_str())),
            self.attachments.clone(),
            self.mentions.clone(),
        );
        body.in_reply_to = self.in_reply_to.clone();
        body.reply_audience = self.replies.map(|r| r.as_str().to_owned());
        body
    }

    fn hashtags(&self) -> Vec<String> {
        render::hashtags(self.texts()).into_iter().map(|(_, lower)| lower).collect()
    }

    /// The inboxes of the mentioned accounts on other servers.
    fn mentioned_inboxes(&self) -> Vec<String> {
        inboxes_of(&self.mentions)
    }
}

/// The account that publishes the audit trail's signed checkpoints, so that every server
/// following it keeps an independent copy.
pub const TRANSPARENCY_ACCOUNT: &str = "transparency";

#[derive(Clone)]
pub struct Publisher {
    store: Arc<dyn Store>,
    urls: Urls,
    fetcher: Fetcher,
    presences: Presences,
    /// Opens the accounts' proof keys.
    kek: Arc<KeyEncryptionKey>,
}

impl Publisher {
    pub fn new(
        store: Arc<dyn Store>,
        urls: Urls,
        fetcher: Fetcher,
        presences: Presences,
        kek: Arc<KeyEncryptionKey>,
    ) -> Self {
        Publisher { store, urls, fetcher, presences, kek }
    }

    /// Signs an activity of the account with its proof key (FEP-8b32), so that it can be
    /// checked wherever it travels. A proof is an addition to the HTTP signature every
    /// delivery carries, so an account without a usable key sends the activity as it is
    /// rather than hold back an announcement (a key that does not open is logged).
    fn prove(&self, account: &Account, activity: Value) -> Value {
        let Some(sealed) = &account.proof_key_enc else { return activity };
        let key_id = self.urls.proof_key_id(&account.username);
        match self.kek.open(sealed, &key_id).and_then(|der| ProofKey::from_pkcs8(key_id, &der)) {
            Ok(key) => key.prove(activity, now_millis()),
            Err(e) => {
                tracing::error!(account = %account.username, error = %e, "the proof key does not open; sent without a proof");
                activity
            }
        }
    }

    /// The actor `Update` that tells the account's followers of its changed profile, with
    /// its proof.
    pub(crate) fn actor_update(&self, account: &Account) -> herold_store::NewActivity {
        let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let presence = self.presences.of(&account.org_slug);
        let body = accounts::actor_update_body(&self.urls, account, &presence, &uri);
        profiles::update_activity(account, uri, self.prove(account, body))
    }

    /// Looks up the address (`@name@server`) of a few citizens whose messages arrived since
    /// the last run, so that the press office sees whom it answers rather than an actor id.
    /// Done after the message arrived, never while a server waits for its inbox's answer.
    pub async fn look_up_sender_handles(&self) -> Result<usize, PublishError> {
        const PER_RUN: i64 = 10;
        let senders = self.store.senders_without_handle(PER_RUN).await?;
        for sender in &senders {
            let lookup = tokio::time::timeout(std::time::Duration::from_secs(10), self.handle_of(sender));
            let handle = lookup.await.ok().flatten().unwrap_or_default();
            self.store.set_sender_handle(sender, &handle).await?;
        }
        Ok(senders.len())
    }

    /// Checks the profile links that are due: never checked since the profile last changed,
    /// or not for a day. A few per run, so that one run stays short whatever the websites do.
    pub async fn check_profile_links(&self) -> Result<usize, PublishError> {
        const RECHECK_AFTER: herold_domain::Millis = 24 * 3_600_000;
        const PER_RUN: usize = 10;
        let now = now_millis();
        let checks = self.store.all_link_checks().await?;
        let mut due = Vec::new();
        for account in self.store.list_accounts().await? {
            for link in account.profile.fields.iter().filter_map(|f| f.link()) {
                let fresh = checks.iter().any(|c| {
                    c.account_id == account.id && c.url == link.as_str() && c.checked_at > now - RECHECK_AFTER
                });
                if !fresh {
                    due.push((account.id, account.username.clone(), link));
                }
            }
        }
        let checked = due.len().min(PER_RUN);
        for (account_id, username, link) in due.into_iter().take(PER_RUN) {
            let outcome = self.fetcher.check_link(link.as_str(), &self.urls.actor(&username)).await;
            let (verified, problem) = match outcome {
                herold_federation::links::LinkCheck::Verified => (true, None),
                herold_federation::links::LinkCheck::NotLinked => (false, None),
                herold_federation::links::LinkCheck::Unreachable(why) => (false, Some(why.code())),
            };
            let record = herold_store::LinkCheckRecord {
                account_id,
                url: link.to_string(),
                verified,
                problem,
                checked_at: now_millis(),
            };
            self.store.record_link_check(record).await?;
        }
        Ok(checked)
    }

    /// Finds the accounts the draft's texts mention: this server's accounts directly, others
    /// by WebFinger. Done when the text is written, so that its author hears at once of an
    /// address that does not exist, and approving needs no network.
    pub async fn resolve_mentions(&self, draft: &mut Draft) -> Result<(), PublishError> {
        let wanted = render::mentioned(draft.texts());
        if wanted.len() > MAX_MENTIONS {
            return Err(PublishError::Mention(format!(
                "an announcement can mention at most {MAX_MENTIONS} accounts; this one mentions {}",
                wanted.len()
            )));
        }
        // All at once, under one deadline: the author is waiting for the page.
        let lookups = wanted.into_iter().map(|(user, domain)| self.resolve_one(user, domain));
        let results = tokio::time::timeout(MENTION_DEADLINE, futures_util::future::join_all(lookups))
            .await
            .map_err(|_| {
            PublishError::Mention("looking up the mentioned accounts took too long; try again later".into())
        })?;
        let mut resolved: Vec<Mention> = Vec::new();
        for mention in results {
            let mention = mention?;
            // `@press` and `@press@<this host>` are one account.
            if !resolved.iter().any(|m| m.name == mention.name) {
                resolved.push(mention);
            }
        }
        draft.mentions = resolved;
        Ok(())
    }

    /// The address a person types to mention the author of a post (`@name@host`), from
    /// their actor document; `None` if it cannot be read now (the author then types it).
    pub async fn handle_of(&self, actor_uri: &str) -> Option<String> {
        handle_in(&self.fetcher.get_object(actor_uri).await.ok()?, actor_uri)
    }

    /// An actor's inbox (its shared one where it has one): from the cache of actors that
    /// wrote here, else asked of its server; `None` if neither knows it now.
    pub async fn inbox_of(&self, actor_uri: &str) -> Result<Option<String>, PublishError> {
        if let Some(known) = self.store.remote_actor(actor_uri).await? {
            return Ok(Some(known.shared_inbox.unwrap_or(known.inbox)));
        }
        let fetched = tokio::time::timeout(MENTION_DEADLINE, self.fetcher.get_object(actor_uri)).await;
        let actor =
            fetched.ok().and_then(Result::ok).and_then(|d| vocab::parse_actor(&d, None, now_millis()).ok());
        Ok(actor.filter(|a| a.uri == actor_uri).map(|a| a.shared_inbox.unwrap_or(a.inbox)))
    }

    /// A mention of the actor at `actor_uri`, for an answer to reach the person answered
    /// whatever its text says: named by their address where their server says it, else by
    /// the last part of their URI (the name only shows; servers go by `href`).
    pub async fn mention_of_actor(&self, actor_uri: &str) -> Result<Mention, PublishError> {
        let inbox = self.inbox_of(actor_uri).await?.ok_or(PublishError::Incomplete(
            "the server of the person answered cannot be reached now; try again later",
        ))?;
        let name = match self.handle_of(actor_uri).await {
            Some(handle) => handle,
            None => match url::Url::parse(actor_uri) {
                Ok(url) => {
                    let last = url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default();
                    format!("@{last}@{}", url.host_str().unwrap_or_default())
                }
                Err(_) => actor_uri.to_owned(),
            },
        };
        Ok(Mention { name, href: actor_uri.to_owned(), inbox: Some(inbox) })
    }

    /// The actor a fediverse address (`@name@server`) names, looked up as a mention is: for
    /// a subject request made by a person's address.
    pub async fn actor_of_handle(&self, handle: &str) -> Result<String, PublishError> {
        let refused = || PublishError::Mention(format!("{handle:?} is not an address such as @name@server"));
        let (user, domain) =
            handle.trim().strip_prefix('@').and_then(|h| h.split_once('@')).ok_or_else(refused)?;
        let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "_.-:".contains(c));
        if !plain(user) || !plain(domain) {
            return Err(refused());
        }
        let lookup = self.resolve_one(user.to_owned(), Some(domain.to_owned()));
        let mention = tokio::time::timeout(MENTION_DEADLINE, lookup).await.map_err(|_| {
            PublishError::Mention(format!("looking up {handle} took too long; try again later"))
        })??;
        Ok(mention.href)
    }

    async fn resolve_one(&self, user: String, domain: Option<String>) -> Result<Mention, PublishError> {
        let name = render::mention_name(&user, domain.as_deref(), &self.urls);
        let host = self.urls.host();
        match domain.as_deref().filter(|d| !d.eq_ignore_ascii_case(&host)) {
            None => match self.store.account_by_username(&user).await? {
                Some(a) => Ok(Mention { name, href: self.urls.actor(&a.username), inbox: None }),
                None => Err(PublishError::Mention(format!("{name}: there is no such account here"))),
            },
            Some(domain) => {
                let actor = self
                    .fetcher
                    .resolve_acct(&user, domain)
                    .await
                    .and_then(|doc| vocab::parse_actor(&doc, None, now_millis()))
                    .map_err(|e| {
                        tracing::info!(error = %e, "a mention could not be resolved");
                        PublishError::Mention(format!("{name}: {}", unresolved(&e)))
                    })?;
                let inbox = actor.shared_inbox.unwrap_or(actor.inbox);
                Ok(Mention { name, href: actor.uri, inbox: Some(inbox) })
            }
        }
    }

    async fn account(&self, username: &str) -> Result<Account, PublishError> {
        self.store
            .account_by_username(username)
            .await?
            .ok_or_else(|| PublishError::UnknownAccount(username.to_owned()))
    }

    /// The account, if it still publishes: one that moved or was retired does not.
    async fn live_account(&self, username: &str) -> Result<Account, PublishError> {
        let account = self.account(username).await?;
        match account.ended_at {
            Some(_) => Err(PublishError::Ended(account.username)),
            None => Ok(account),
        }
    }

    async fn existing(&self, account: &Account, public_id: &str) -> Result<Announcement, PublishError> {
        let a = self
            .store
            .announcement(account.id, public_id)
            .await?
            .ok_or_else(|| PublishError::UnknownAnnouncement(public_id.to_owned()))?;
        if a.retracted_at.is_some() {
            return Err(PublishError::Retracted(public_id.to_owned()));
        }
        Ok(a)
    }

    fn priority(urgent: bool) -> Priority {
        if urgent {
            Priority::Urgent
        } else {
            Priority::Routine
        }
    }

    /// Publishes now: the announcement, its `Create`, one delivery per follower inbox and
    /// the audit entry are committed together.
    pub async fn publish(
        &self,
        username: &str,
        draft: Draft,
        by: &str,
    ) -> Result<Announcement, PublishError> {
        let account = self.live_account(username).await?;
        let mut draft = draft;
        self.resolve_mentions(&mut draft).await?;
        let (new, activities) = self.prepare_create(&account, draft);
        let audit = AuditEntry::new(by, "announcement.publish", format!("announcement:{}", new.public_id))
            .in_org(&account.org_slug)
            .with_detail(json!({ "account": account.username, "urgent": new.urgent }));
        Ok(self.store.publish(new, activities, audit).await?)
    }

    /// The announcement, its `Create` and the relay's Announce of it, ready to be stored
    /// together. The relay announces rather than forwards: a Mastodon server takes a post
    /// from an account nobody there follows only through its relay, and fetches it here.
    /// Later Updates and Deletes reach the same inboxes as earlier recipients.
    pub(crate) fn prepare_create(
        &self,
        account: &Account,
        draft: Draft,
    ) -> (NewAnnouncement, Vec<NewActivity>) {
        let mut body = draft.render(&self.urls);
        // Every Note names its language: the draft's, or else the account's.
        body.language.get_or_insert_with(|| account.language.clone());
        let new = NewAnnouncement {
            public_id: uuid::Uuid::new_v4().to_string(),
            account_id: account.id,
            urgent: draft.urgent,
            published_at: now_millis(),
            hashtags: draft.hashtags(),
            body,
        };
        let create = self.activity(
            account,
            "Create",
            note_of(
                &self.urls,
                account,
                &self.presences.of(&account.org_slug),
                &new.public_id,
                new.published_at,
                None,
                &new.body,
            ),
            new.urgent,
            None,
            draft.mentioned_inboxes(),
        );
        let mut activities = vec![create];
        // The audit trail's checkpoints are for those who follow them, not for every relay
        // subscriber's timeline.
        if account.username != TRANSPARENCY_ACCOUNT {
            let object = self.urls.announcement(&account.username, &new.public_id);
            let everyone = Audience::RelaySubscribers { style: None, except_host: None };
            activities.push(relay::announce(&self.urls, &object, everyone, Self::priority(new.urgent)));
        }
        (new, activities)
    }

    /// Sends the full, changed `Note` as an `Update` with a newer `updated`, which is how
    /// Mastodon applies edits.
    pub async fn edit(
        &self,
        username: &str,
        public_id: &str,
        draft: Draft,
        by: &str,
    ) -> Result<Announcement, PublishError> {
        let account = self.live_account(username).await?;
        let current = self.existing(&account, public_id).await?;
        let mut draft = draft;
        self.resolve_mentions(&mut draft).await?;
        let (edit, update) = self.prepare_edit(&account, current, draft);
        let audit = AuditEntry::new(by, "announcement.edit", format!("announcement:{public_id}"))
            .in_org(&account.org_slug);
        Ok(self.store.edit_announcement(edit, update, audit).await?)
    }

    /// The changed announcement and its `Update`, ready to be stored together.
    pub(crate) fn prepare_edit(
        &self,
        account: &Account,
        mut current: Announcement,
        draft: Draft,
    ) -> (AnnouncementEdit, NewActivity) {
        // Mastodon ignores an Update whose `updated` is not newer than the last one it saw.
        let updated_at = now_millis().max(current.updated_at.unwrap_or(current.published_at) + 1000);
        let mut body = draft.render(&self.urls);
        body.language = body.language.or(current.body.language.clone());
        body.summary = body.summary.or(current.body.summary.clone());
        // An answer stays the answer to the same post.
        body.in_reply_to = body.in_reply_to.or(current.body.in_reply_to.clone());
        let edit = AnnouncementEdit { id: current.id, updated_at, hashtags: draft.hashtags(), body };
        let previous = std::mem::replace(&mut current.body, edit.body.clone()).mentions;
        current.updated_at = Some(updated_at);
        let update = self.activity(
            account,
            "Update",
            note(&self.urls, account, &self.presences.of(&account.org_slug), &current),
            current.urgent,
            Some(current.id),
            // Whoever the edit no longer mentions learns of the change too.
            inboxes_of(previous.iter().chain(&draft.mentions)),
        );
        (edit, update)
    }

    /// Pins an announcement to the account's profile (or unpins it), telling followers with
    /// an `Add` to (or `Remove` from) the `featured` collection, which is how Mastodon learns
    /// of pinned posts. `false` when it already was as asked.
    pub async fn pin(
        &self,
        username: &str,
        public_id: &str,
        pinned: bool,
        by: &str,
    ) -> Result<bool, PublishError> {
        let account = self.live_account(username).await?;
        let current = self.existing(&account, public_id).await?;
        let kind = if pinned { "Add" } else { "Remove" };
        let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let body = json!({
            "@context": vocab::context(),
            "id": uri,
            "type": kind,
            "actor": self.urls.actor(&account.username),
            "object": self.urls.announcement(&account.username, public_id),
            "target": self.urls.featured(&account.username),
            "to": [PUBLIC],
            "cc": [self.urls.followers(&account.username)],
        });
        let body = self.prove(&account, body);
        let activity = NewActivity {
            signer: None,
            uri,
            kind: kind.into(),
            account_id: Some(account.id),
            body: body.to_string(),
            audience: Audience::Followers { account_id: account.id, mentioned: Vec::new() },
            priority: Priority::Routine,
        };
        let action = if pinned { "announcement.pin" } else { "announcement.unpin" };
        let audit =
            AuditEntry::new(by, action, format!("announcement:{public_id}")).in_org(&account.org_slug);
        Ok(self.store.set_pinned(current.id, pinned, activity, audit).await?)
    }

    /// Retracts: the page answers 410 from now on and followers receive a `Delete` with a
    /// `Tombstone`. The id is never reused.
    pub async fn retract(
        &self,
        username: &str,
        public_id: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Result<Announcement, PublishError> {
        let account = self.account(username).await?;
        let current = self.existing(&account, public_id).await?;
        let at = now_millis();
        let url = self.urls.announcement(&account.username, public_id);
        // The mentioned accounts, besides the earlier recipients: the delivery records that
        // name them expire long before the announcement does.
        let delete = self.activity(
            &account,
            "Delete",
            vocab::tombstone(&url, at),
            current.urgent,
            Some(current.id),
            inboxes_of(&current.body.mentions),
        );
        let audit = AuditEntry::new(by, "announcement.retract", format!("announcement:{public_id}"))
            .in_org(&account.org_slug)
            .with_detail(json!({ "reason": reason }));
        // Every consent to quote it is taken back in the same transaction; one given while
        // this was prepared makes the store refuse, and the consents are read again.
        let mut attempts = 0;
        loop {
            let revocations = self.revocations(&account, current.id).await?;
            match self
                .store
                .retract_announcement(current.id, at, delete.clone(), revocations, audit.clone())
                .await
            {
                Err(StoreError::Conflict(_)) if attempts < 3 => attempts += 1,
                result => return Ok(result?),
            }
        }
    }

    /// A `Delete` of each consent the organisation's accounts gave that still stands and
    /// that `taken_back` picks, to whoever has it.
    pub async fn revocations_in(
        &self,
        org_slug: &str,
        taken_back: impl Fn(&Stamp) -> bool,
    ) -> Result<Vec<Revocation>, PublishError> {
        let mut revocations = Vec::new();
        for stamp in self.store.live_stamps_of_org(org_slug).await?.into_iter().filter(|s| taken_back(s)) {
            if let Some(account) = self.store.account_by_id(stamp.account_id).await? {
                revocations.push(self.revocation(&account, stamp));
            }
        }
        Ok(revocations)
    }

    /// A `Delete` of each standing consent to quote the announcement, to whoever has it.
    async fn revocations(
        &self,
        account: &Account,
        announcement_id: i64,
    ) -> Result<Vec<Revocation>, PublishError> {
        let stamps = self.store.live_stamps_of(announcement_id).await?;
        Ok(stamps.into_iter().map(|stamp| self.revocation(account, stamp)).collect())
    }

    fn revocation(&self, account: &Account, stamp: Stamp) -> Revocation {
        let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let stamp_url = self.urls.stamp(&account.username, &stamp.public_id);
        let body = vocab::revoke(&uri, &self.urls.actor(&account.username), &stamp_url, &stamp.requester);
        Revocation {
            stamp_id: stamp.id,
            delete: NewActivity {
                signer: None,
                uri,
                kind: "Delete".into(),
                account_id: Some(account.id),
                body: body.to_string(),
                audience: Audience::Inboxes(vec![stamp.requester_inbox]),
                priority: Priority::Answer,
            },
        }
    }

    /// Takes back the consents the organisations' `presences` no longer allow: quotes where
    /// nobody may quote now (or only followers, and the quoter has stopped following),
    /// features where the accounts keep out of collections, replies the announcement's
    /// policy no longer takes from their sender. Run at startup with the policies
    /// just loaded. Returns how many it took back.
    pub async fn withdraw_consents_beyond(&self, presences: &Presences) -> Result<u64, PublishError> {
        let mut by_account: std::collections::BTreeMap<i64, (Account, Vec<Revocation>)> = Default::default();
        let mut after = 0;
        loop {
            let page = self.store.live_stamps(after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for stamp in page {
                let Some(account) = self.store.account_by_id(stamp.account_id).await? else { continue };
                let presence = presences.of(&account.org_slug);
                let allowed = match stamp.kind {
                    StampKind::Quote => match presence.quotes {
                        QuoteAudience::Everyone => true,
                        QuoteAudience::Followers => {
                            self.store.is_follower(account.id, &stamp.requester).await?
                        }
                        QuoteAudience::Nobody => false,
                    },
                    StampKind::Feature => presence.featurable(),
                    StampKind::Reply => {
                        let announcement = match stamp.announcement_id {
                            Some(id) => self.store.announcement_with_id(id).await?,
                            None => None,
                        };
                        match announcement {
                            Some(a) => match a.body.replies(presence.replies) {
                                ReplyAudience::Everyone => true,
                                ReplyAudience::Followers => {
                                    self.store.is_follower(account.id, &stamp.requester).await?
                                }
                                ReplyAudience::Mentioned => {
                                    a.body.mentions.iter().any(|m| m.href == stamp.requester)
                                }
                                ReplyAudience::Nobody => false,
                            },
                            None => false,
                        }
                    }
                };
                if !allowed {
                    let revocation = self.revocation(&account, stamp);
                    by_account.entry(account.id).or_insert_with(|| (account, Vec::new())).1.push(revocation);
                }
            }
        }
        let mut revoked = 0;
        for (account, revocations) in by_account.into_values() {
            let audit = AuditEntry::new("system", "consent.revoke", format!("account:{}", account.username))
                .in_org(&account.org_slug);
            revoked += self.store.revoke_stamps(revocations, audit).await?;
        }
        Ok(revoked)
    }

    /// Builds an activity for the account's followers and the `mentioned` inboxes. `about`
    /// names the announcement of an Update or Delete, which also goes wherever its earlier
    /// activities went.
    fn activity(
        &self,
        account: &Account,
        kind: &str,
        object: Value,
        urgent: bool,
        about: Option<i64>,
        mentioned: Vec<String>,
    ) -> NewActivity {
        let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let actor = self.urls.actor(&account.username);
        let activity = vocab::activity(&uri, kind, &actor, object, &self.urls.followers(&account.username));
        let activity = self.prove(account, activity);
        let audience = match about {
            Some(announcement_id) => {
                Audience::FollowersAndEarlierRecipients { account_id: account.id, announcement_id, mentioned }
            }
            None => Audience::Followers { account_id: account.id, mentioned },
        };
        NewActivity {
            signer: None,
            uri,
            kind: kind.to_owned(),
            account_id: Some(account.id),
            body: activity.to_string(),
            audience,
            priority: Self::priority(urgent),
        }
    }
}

/// An announcement as a public `Note` (Mastodon shows `Article` as a bare link).
pub fn note(urls: &Urls, account: &Account, presence: &Presence, a: &Announcement) -> Value {
    note_of(urls, account, presence, &a.public_id, a.published_at, a.updated_at, &a.body)
}

/// The `Note` of an announcement that may not be stored yet.
fn note_of(
    urls: &Urls,
    account: &Account,
    presence: &Presence,
    public_id: &str,
    published: Millis,
    updated: Option<Millis>,
    body: &AnnouncementBody,
) -> Value {
    let url = urls.announcement(&account.username, public_id);
    let mut note = json!({
        "id": url,
        "type": "Note",
        "attributedTo": urls.actor(&account.username),
        "content": body.content_html,
        "published": herold_domain::format_rfc3339(published),
        "url": url,
        "to": [PUBLIC],
        "cc": std::iter::once(urls.followers(&account.username))
            .chain(body.mentions.iter().map(|m| m.href.clone()))
            .collect::<Vec<_>>(),
        "sensitive": body.summary.is_some(),
        "interactionPolicy": vocab::post_interaction_policy(
            &urls.actor(&account.username),
            &urls.followers(&account.username),
            presence.quotes,
            body.replies(presence.replies),
            &body.mentions.iter().map(|m| m.href.as_str()).collect::<Vec<_>>(),
        ),
        // Only the replies an approver chose are listed, so that servers which fill in
        // threads from the origin find nothing Herold has not vetted.
        "replies": urls.replies(&account.username, public_id),
    });
    if let Some(post) = &body.in_reply_to {
        note["inReplyTo"] = Value::String(post.clone());
    }
    let texts = std::iter::once(body.source_text.as_str())
        .chain(body.translations.iter().map(|t| t.source_text.as_str()));
    let tags: Vec<Value> = body
        .mentions
        .iter()
        .map(|m| json!({ "type": "Mention", "href": m.href, "name": m.name }))
        .chain(render::hashtags(texts).into_iter().map(|(shown, lower)| {
            json!({ "type": "Hashtag", "href": urls.tag(&lower), "name": format!("#{shown}") })
        }))
        .collect();
    if !tags.is_empty() {
        note["tag"] = Value::Array(tags);
    }
    if let Some(lang) = &body.language {
        let mut map = serde_json::Map::new();
        map.insert(lang.clone(), Value::String(body.content_html.clone()));
        for t in &body.translations {
            map.insert(t.language.clone(), Value::String(t.content_html.clone()));
        }
        note["contentMap"] = Value::Object(map);
    }
    if let Some(summary) = &body.summary {
        note["summary"] = Value::String(summary.clone());
    }
    let images = body.attachments.iter().map(|m| {
        json!({
            "type": "Image",
            "mediaType": m.content_type,
            "url": urls.media(&m.public_id),
            "name": m.alt_text,
            "width": m.width,
            "height": m.height,
        })
    });
    // FEP-8967: the link Mastodon 4.7 makes a preview card of, instead of guessing from the
    // HTML (which also holds the tag and mention links).
    let preview = render::first_link(&body.source_text)
        .map(|href| json!({ "type": "Link", "href": href, "mediaType": "text/html" }));
    let attachments: Vec<Value> = images.chain(preview).collect();
    if !attachments.is_empty() {
        note["attachment"] = Value::Array(attachments);
    }
    if let Some(updated) = updated {
        note["updated"] = Value::String(herold_domain::format_rfc3339(updated));
    }
    note
}

/// Puts announcements published before the tag pages existed on their tag pages (run at
/// startup). Texts with a '#' that is no tag (`#2026`, a URL fragment) are read again at
/// each start; they are few. Returns how many it placed.
pub async fn backfill_tags(store: &dyn Store) -> Result<usize, PublishError> {
    let mut placed = 0;
    let mut after = 0;
    loop {
        let page = store.announcements_without_tags(after, 200).await?;
        let Some(last) = page.last() else { return Ok(placed) };
        after = last.id;
        for a in &page {
            let texts = std::iter::once(a.body.source_text.as_str())
                .chain(a.body.translations.iter().map(|t| t.source_text.as_str()));
            let tags: Vec<String> = render::hashtags(texts).into_iter().map(|(_, lower)| lower).collect();
            if !tags.is_empty() {
                store.set_announcement_tags(a.id, &tags).await?;
                placed += 1;
            }
        }
    }
}

/// The inboxes of mentioned accounts on other servers, each once.
fn inboxes_of<'a>(mentions: impl IntoIterator<Item = &'a Mention>) -> Vec<String> {
    let mut inboxes: Vec<String> = Vec::new();
    for inbox in mentions.into_iter().filter_map(|m| m.inbox.as_ref()) {
        if !inboxes.contains(inbox) {
            inboxes.push(inbox.clone());
        }
    }
    inboxes
}

/// Why a mention could not be resolved, in words for its author (the cause is logged).
fn unresolved(e: &FederationError) -> &'static str {
    match e {
        FederationError::Gone(_) => "its server knows no such account",
        FederationError::Fetch(_) => "its server could not be reached; check the address or try again later",
        FederationError::Refused(why) if why.contains("certificate") => {
            "its server's TLS certificate is not trusted here; if an internal authority issued it, the operator can add that authority (outgoing_tls.extra_ca_file)"
        }
        FederationError::Refused(_) => "that server may not be contacted from here",
        _ => "its server's answer was not usable",
    }
}

/// The body of an announcement from its parts: a draft being published, or one shown for
/// review before it is.
pub fn render_body<'a>(
    urls: &Urls,
    text: &str,
    language: Option<String>,
    summary: Option<String>,
    translations: impl IntoIterator<Item = (String, &'a str)>,
    attachments: Vec<MediaInfo>,
    mentions: Vec<Mention>,
) -> AnnouncementBody {
    AnnouncementBody {
        source_text: text.to_owned(),
        content_html: render_text(text, urls, &mentions),
        language,
        summary,
        translations: translations
            .into_iter()
            .map(|(language, text)| StoredTranslation {
                language,
                source_text: text.to_owned(),
                content_html: render_text(text, urls, &mentions),
            })
            .collect(),
        attachments,
        mentions,
        in_reply_to: None,
        reply_audience: None,
    }
}
