//! Bringing over the history of a body's former account: the archive Mastodon exports
//! (Preferences, Import and export, Request your archive), once unpacked. Its public posts
//! become read-only announcements with their original dates and images; nothing is sent to
//! anyone. Followers-only posts, direct messages, boosts and replies to other people stay
//! behind: they were not the body's public statements.

use std::path::{Path, PathBuf};

use herold_domain::{parse_rfc3339, AltText};
use herold_store::{AuditEntry, MediaInfo, NewAnnouncement, NewMedia};
use serde_json::{json, Value};

use crate::{media, Draft, PublishError, Publisher};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Mastodon's outbox of a long-lived account is large, but not this large.
const MAX_OUTBOX_BYTES: u64 = 512 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    /// Imported before (an import can be repeated).
    pub already: usize,
    /// Not public, boosts, or replies to others.
    pub left_out: usize,
    /// Posts whose text or date could not be read.
    pub unreadable: usize,
    pub images: usize,
    /// Images that are missing from the archive, or not JPEG or PNG.
    pub images_left_out: usize,
}

/// Whether the activity was addressed to everyone (public or unlisted).
fn public(activity: &Value) -> bool {
    let listed = |v: &Value, key: &str| match v.get(key) {
        Some(Value::Array(list)) => {
            list.iter().any(|a| a.as_str() == Some(PUBLIC) || a.as_str() == Some("as:Public"))
        }
        Some(Value::String(one)) => one == PUBLIC || one == "as:Public",
        _ => false,
    };
    let object = activity.get("object").unwrap_or(&Value::Null);
    ["to", "cc"].iter().any(|key| listed(activity, key) || listed(object, key))
}

/// A file the archive names, only if it lies inside the archive: a path from the archive
/// is not trusted to stay there.
fn inside(root: &Path, name: &str) -> Option<PathBuf> {
    let relative = name.trim_start_matches('/');
    if relative.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let path = root.join(relative);
    let real = path.canonicalize().ok()?;
    real.starts_with(root.canonicalize().ok()?).then_some(real)
}

impl Publisher {
    /// Imports the public posts of an unpacked Mastodon archive (the directory holding
    /// `outbox.json`) as history of `username`. Images the old account left undescribed get
    /// `missing_alt`, in the account's language, saying so.
    pub async fn import_mastodon_archive(
        &self,
        username: &str,
        archive: &Path,
        missing_alt: &str,
        by: &str,
    ) -> Result<ImportSummary, PublishError> {
        let account = self.account(username).await?;
        let outbox_path = inside(archive, "outbox.json")
            .ok_or(PublishError::Incomplete("the archive has no outbox.json"))?;
        let size = std::fs::metadata(&outbox_path).map(|m| m.len()).unwrap_or(u64::MAX);
        if size > MAX_OUTBOX_BYTES {
            return Err(PublishError::Incomplete("the archive's outbox.json is larger than 512 MiB"));
        }
        let outbox: Value = std::fs::read(&outbox_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(PublishError::Incomplete("the archive's outbox.json is not readable JSON"))?;
        let items = outbox.get("orderedItems").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut summary = ImportSummary::default();
        for activity in &items {
            let note = activity.get("object").unwrap_or(&Value::Null);
            let actor = activity.get("actor").and_then(Value::as_str).unwrap_or_default();
            let own_thread = note
                .get("inReplyTo")
                .and_then(Value::as_str)
                .is_none_or(|r| !actor.is_empty() && r.starts_with(&format!("{actor}/")));
            let is_post = activity.get("type").and_then(Value::as_str) == Some("Create")
                && note.get("type").and_then(Value::as_str) == Some("Note");
            if !is_post || !public(activity) || !own_thread {
                summary.left_out += 1;
                continue;
            }
            let (Some(id), Some(published)) = (
                note.get("id").and_then(Value::as_str),
                note.get("published").and_then(Value::as_str).and_then(|p| parse_rfc3339(p).ok()),
            ) else {
                summary.unreadable += 1;
                continue;
            };
            // Every language version the post had; the first is its main text.
            let mut versions: Vec<(String, String)> = match note.get("contentMap").and_then(Value::as_object)
            {
                Some(map) => map
                    .iter()
                    .filter_map(|(lang, html)| {
                        Some((lang.clone(), herold_federation::dialogue::plain_text(html.as_str()?)))
                    })
                    .collect(),
                None => Vec::new(),
            };
            if versions.is_empty() {
                let html = note.get("content").and_then(Value::as_str).unwrap_or_default();
                versions.push((account.language.clone(), herold_federation::dialogue::plain_text(html)));
            }
            let (language, text) = versions.remove(0);
            let summary_text = note.get("summary").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
            let others = versions.iter().map(|(l, t)| (l.as_str(), t.as_str()));
            let Ok(mut draft) = Draft::parse(&text, Some(&language), others, summary_text, false) else {
                summary.unreadable += 1;
                continue;
            };
            let mut images = Vec::new();
            for attachment in note.get("attachment").and_then(Value::as_array).into_iter().flatten() {
                let file = attachment.get("url").and_then(Value::as_str).and_then(|u| inside(archive, u));
                let cleaned = file.and_then(|f| std::fs::read(f).ok()).and_then(|b| media::clean(&b).ok());
                let Some(image) = cleaned else {
                    summary.images_left_out += 1;
                    continue;
                };
                let described =
                    attachment.get("name").and_then(Value::as_str).and_then(|a| AltText::parse(a).ok());
                let alt = described.map_or_else(|| missing_alt.to_owned(), |alt| alt.as_str().to_owned());
                let info = MediaInfo {
                    public_id: uuid::Uuid::new_v4().to_string(),
                    content_type: image.content_type.to_owned(),
                    width: i64::from(image.width),
                    height: i64::from(image.height),
                    alt_text: alt,
                };
                images.push(NewMedia { info, account_id: account.id, bytes: image.bytes });
            }
            draft.attachments = images.iter().map(|m| m.info.clone()).collect();
            let mut body = draft.render(&self.urls);
            body.language.get_or_insert_with(|| account.language.clone());
            let new = NewAnnouncement {
                public_id: uuid::Uuid::new_v4().to_string(),
                account_id: account.id,
                urgent: false,
                published_at: published,
                hashtags: draft.hashtags(),
                body,
            };
            let audit = AuditEntry::new(by, "announcement.import", format!("announcement:{}", new.public_id))
                .in_org(&account.org_slug)
                .with_detail(json!({ "account": account.username, "from": id }));
            let image_count = images.len();
            match self.store.import_announcement(new, id, images, audit).await? {
                Some(_) => {
                    summary.imported += 1;
                    summary.images += image_count;
                }
                None => summary.already += 1,
            }
        }
        Ok(summary)
    }
}
