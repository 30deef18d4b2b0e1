//! Everything of one organisation as one archive (a plain tar file), for a body that leaves
//! the service or hands its records to an archive: its accounts and profiles, every
//! announcement with its images, its audit entries with their details, and the policies
//! Herold applied. Followers are other people's data and are not included: they move with
//! a `Move` (see `herold account move`).

use std::io::Write;
use std::path::Path;

use herold_domain::{format_rfc3339, Millis};
use herold_store::{Account, Announcement, Store};
use serde_json::{json, Value};

use crate::export::{self, Filter};
use crate::policy::Policies;
use crate::ComplianceError;

/// Announcements read per query.
const PAGE: i64 = 500;

/// What went into an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveSummary {
    pub accounts: usize,
    pub announcements: usize,
    pub images: usize,
    pub audit_entries: usize,
}

/// Writes the archive of `org` to `out`. `addresses` gives each account's actor address and
/// each announcement's, as followers know them.
pub async fn write_archive(
    store: &dyn Store,
    policies: &Policies,
    policies_dir: &Path,
    org: &str,
    addresses: &dyn Fn(&Account, Option<&Announcement>) -> String,
    out: impl Write,
    now: Millis,
) -> Result<ArchiveSummary, ComplianceError> {
    let organisation = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.slug == org)
        .ok_or_else(|| ComplianceError::Malformed(format!("there is no organisation {org}")))?;
    let root = format!("herold-{org}-{}", &format_rfc3339(now)[..10]);
    let mut tar = Archive { builder: tar::Builder::new(out), root, at: now };
    let mut summary = ArchiveSummary::default();
    let accounts: Vec<Account> =
        store.list_accounts().await?.into_iter().filter(|a| a.org_slug == org).collect();
    let mut listed = Vec::new();
    for account in &accounts {
        let mut items = Vec::new();
        let mut offset = 0;
        loop {
            let page = store.announcements(account.id, PAGE, offset).await?;
            let done = (page.len() as i64) < PAGE;
            offset += PAGE;
            for a in &page {
                let mut images = Vec::new();
                for m in &a.body.attachments {
                    if let Some(file) = store.media_file(&m.public_id).await? {
                        let name = format!("media/{}.{}", m.public_id, extension(&m.content_type));
                        tar.add(&name, &file.bytes)?;
                        summary.images += 1;
                        images.push(json!({ "file": name, "alt": m.alt_text, "type": m.content_type }));
                    }
                }
                items.push(json!({
                    "id": a.public_id,
                    "url": addresses(account, Some(a)),
                    "published_at": format_rfc3339(a.published_at),
                    "updated_at": a.updated_at.map(format_rfc3339),
                    "urgent": a.urgent,
                    "language": a.body.language,
                    "content_warning": a.body.summary,
                    "text": a.body.source_text,
                    "translations": a.body.translations.iter()
                        .map(|t| json!({ "language": t.language, "text": t.source_text }))
                        .collect::<Vec<_>>(),
                    "in_reply_to": a.body.in_reply_to,
                    "replies": a.body.reply_audience,
                    "images": images,
                }));
            }
            if done {
                break;
            }
        }
        summary.announcements += items.len();
        tar.add(
            &format!("accounts/{}/announcements.json", account.username),
            &pretty(&Value::Array(items))?,
        )?;
        for (kind, image) in [("avatar", &account.profile.avatar), ("header", &account.profile.header)] {
            if let Some(m) = image {
                if let Some(file) = store.media_file(&m.public_id).await? {
                    let name = format!("accounts/{}/{kind}.{}", account.username, extension(&m.content_type));
                    tar.add(&name, &file.bytes)?;
                    summary.images += 1;
                }
            }
        }
        listed.push(json!({
            "username": account.username,
            "address": addresses(account, None),
            "display_name": account.display_name,
            "bio": account.summary,
            "fields": account.profile.fields,
            "avatar_alt": account.profile.avatar.as_ref().map(|m| &m.alt_text),
            "header_alt": account.profile.header.as_ref().map(|m| &m.alt_text),
            "also_known_as": account.profile.also_known_as,
            "language": account.language,
            "created_at": format_rfc3339(account.created_at),
            "ended_at": account.ended_at.map(format_rfc3339),
            "moved_to": account.moved_to,
            "followers": store.follower_count(account.id).await?,
        }));
    }
    summary.accounts = accounts.len();
    let filter = Filter { org: Some(org.to_owned()), ..Filter::default() };
    let entries = export::entries(store, policies, &filter, now).await?;
    summary.audit_entries = entries.len();
    tar.add("audit.json", &pretty(&export::to_json(&entries))?)?;
    for policy in ["retention.toml".to_owned(), format!("orgs/{org}.toml")] {
        if let Ok(text) = std::fs::read(policies_dir.join(&policy)) {
            tar.add(&format!("policies/{policy}"), &text)?;
        }
    }
    let index = json!({
        "organisation": { "slug": organisation.slug, "name": organisation.name },
        "exported_at": format_rfc3339(now),
        "accounts": listed,
        "contents": {
            "accounts/<name>/announcements.json": "every announcement still published, newest first, with its language versions and images",
            "media/": "the announcements' images, as followers received them (metadata removed)",
            "accounts/<name>/avatar.*, header.*": "the profile images",
            "audit.json": "the organisation's audit entries with their details (erased or expired details left out)",
            "policies/": "the retention catalogue and the organisation's policy Herold applied",
        },
        "summary": {
            "accounts": summary.accounts,
            "announcements": summary.announcements,
            "images": summary.images,
            "audit_entries": summary.audit_entries,
        },
    });
    tar.add("organisation.json", &pretty(&index)?)?;
    tar.builder.into_inner()?.flush()?;
    Ok(summary)
}

fn pretty(value: &Value) -> Result<Vec<u8>, ComplianceError> {
    serde_json::to_vec_pretty(value).map_err(|e| ComplianceError::Malformed(e.to_string()))
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "bin",
    }
}

struct Archive<W: Write> {
    builder: tar::Builder<W>,
    root: String,
    at: Millis,
}

impl<W: Write> Archive<W> {
    /// Adds one file, readable by everyone, dated at the export.
    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), ComplianceError> {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(u64::try_from(self.at / 1000).unwrap_or(0));
        header.set_entry_type(tar::EntryType::Regular);
        self.builder.append_data(&mut header, format!("{}/{name}", self.root), bytes)?;
        Ok(())
    }
}
