//! Announcements: turning what an official account says into a `Note`, its activities and
//! their deliveries (one transaction), and into public pages and feeds.

pub mod accounts;
pub mod editorial;
pub mod media;
pub mod pages;
mod render;

use std::sync::Arc;

use herold_domain::{now_millis, AnnouncementText, DomainError, LanguageTag, Summary, Translations};
use herold_federation::relay;
use herold_federation::vocab::{self, PUBLIC};
use herold_federation::Urls;
use herold_store::{
    Account, Announcement, AnnouncementEdit, Audience, AuditEntry, MediaInfo, NewActivity, NewAnnouncement,
    Priority, Store, StoreError, StoredTranslation,
};
use serde_json::{json, Value};

pub use render::render_text;

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
}

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
        })
    }

    fn stored_translations(&self) -> Vec<StoredTranslation> {
        self.translations
            .iter()
            .map(|(language, text)| StoredTranslation {
                language: language.to_string(),
                source_text: text.as_str().to_owned(),
                content_html: render_text(text.as_str()),
            })
            .collect()
    }
}

/// The account that publishes the audit trail's signed checkpoints, so that every server
/// following it keeps an independent copy.
pub const TRANSPARENCY_ACCOUNT: &str = "transparency";

#[derive(Clone)]
pub struct Publisher {
    store: Arc<dyn Store>,
    urls: Urls,
}

impl Publisher {
    pub fn new(store: Arc<dyn Store>, urls: Urls) -> Self {
        Publisher { store, urls }
    }

    async fn account(&self, username: &str) -> Result<Account, PublishError> {
        self.store
            .account_by_username(username)
            .await?
            .ok_or_else(|| PublishError::UnknownAccount(username.to_owned()))
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
        let account = self.account(username).await?;
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
        let new = NewAnnouncement {
            translations: draft.stored_translations(),
            attachments: draft.attachments.clone(),
            public_id: uuid::Uuid::new_v4().to_string(),
            account_id: account.id,
            content_html: render_text(draft.text.as_str()),
            source_text: draft.text.as_str().to_owned(),
            language: draft.language.map(|l| l.to_string()),
            summary: draft.summary.map(|s| s.as_str().to_owned()),
            urgent: draft.urgent,
            published_at: now_millis(),
        };
        let preview = Announcement {
            id: 0,
            public_id: new.public_id.clone(),
            account_id: account.id,
            source_text: new.source_text.clone(),
            content_html: new.content_html.clone(),
            language: new.language.clone(),
            summary: new.summary.clone(),
            urgent: new.urgent,
            published_at: new.published_at,
            updated_at: None,
            retracted_at: None,
            translations: new.translations.clone(),
            attachments: new.attachments.clone(),
        };
        let create = self.activity(account, "Create", note(&self.urls, account, &preview), new.urgent, None);
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
        let account = self.account(username).await?;
        let current = self.existing(&account, public_id).await?;
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
        let edit = AnnouncementEdit {
            translations: draft.stored_translations(),
            attachments: draft.attachments.clone(),
            id: current.id,
            content_html: render_text(draft.text.as_str()),
            source_text: draft.text.as_str().to_owned(),
            language: draft.language.map(|l| l.to_string()).or(current.language.clone()),
            summary: draft.summary.map(|s| s.as_str().to_owned()).or(current.summary.clone()),
            updated_at,
        };
        current.content_html = edit.content_html.clone();
        current.source_text = edit.source_text.clone();
        current.language = edit.language.clone();
        current.summary = edit.summary.clone();
        current.translations = edit.translations.clone();
        current.attachments = edit.attachments.clone();
        current.updated_at = Some(updated_at);
        let update = self.activity(
            account,
            "Update",
            note(&self.urls, account, &current),
            current.urgent,
            Some(current.id),
        );
        (edit, update)
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
        let delete =
            self.activity(&account, "Delete", vocab::tombstone(&url, at), current.urgent, Some(current.id));
        let audit = AuditEntry::new(by, "announcement.retract", format!("announcement:{public_id}"))
            .in_org(&account.org_slug)
            .with_detail(json!({ "reason": reason }));
        Ok(self.store.retract_announcement(current.id, at, delete, audit).await?)
    }

    /// Builds an activity for the account's followers. `about` names the announcement
    /// of an Update or Delete, which also goes wherever its earlier activities went.
    fn activity(
        &self,
        account: &Account,
        kind: &str,
        object: Value,
        urgent: bool,
        about: Option<i64>,
    ) -> NewActivity {
        let uri = self.urls.activity(&account.username, &uuid::Uuid::new_v4().to_string());
        let actor = self.urls.actor(&account.username);
        let activity = vocab::activity(&uri, kind, &actor, object, &self.urls.followers(&account.username));
        let audience = match about {
            Some(announcement_id) => {
                Audience::FollowersAndEarlierRecipients { account_id: account.id, announcement_id }
            }
            None => Audience::Followers { account_id: account.id },
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
pub fn note(urls: &Urls, account: &Account, a: &Announcement) -> Value {
    let url = urls.announcement(&account.username, &a.public_id);
    let mut note = json!({
        "id": url,
        "type": "Note",
        "attributedTo": urls.actor(&account.username),
        "content": a.content_html,
        "published": herold_domain::format_rfc3339(a.published_at),
        "url": url,
        "to": [PUBLIC],
        "cc": [urls.followers(&account.username)],
        "sensitive": a.summary.is_some(),
    });
    if let Some(lang) = &a.language {
        let mut map = serde_json::Map::new();
        map.insert(lang.clone(), Value::String(a.content_html.clone()));
        for t in &a.translations {
            map.insert(t.language.clone(), Value::String(t.content_html.clone()));
        }
        note["contentMap"] = Value::Object(map);
    }
    if let Some(summary) = &a.summary {
        note["summary"] = Value::String(summary.clone());
    }
    if !a.attachments.is_empty() {
        note["attachment"] = a
            .attachments
            .iter()
            .map(|m| {
                json!({
                    "type": "Image",
                    "mediaType": m.content_type,
                    "url": urls.media(&m.public_id),
                    "name": m.alt_text,
                    "width": m.width,
                    "height": m.height,
                })
            })
            .collect();
    }
    if let Some(updated) = a.updated_at {
        note["updated"] = Value::String(herold_domain::format_rfc3339(updated));
    }
    note
}
