//! Who is told what in the workspace: made from the audit trail, which records every step
//! of the workflow in the step's own transaction. A job runs this in one process at a time;
//! the cursor moves with the notifications it adds, so each step is told once.

use std::collections::HashMap;

use herold_domain::workflow::Role;
use herold_store::{
    AuditRecord, DraftRecord, NewNotification, NotificationKind, StaffMember, Store, Visibility,
};
use serde_json::Value;

use crate::PublishError;

/// Audit entries read per run; a longer backlog is worked off over the next runs.
const BATCH: i64 = 500;

/// Makes the notifications the steps since the last run call for; how many.
pub async fn notify(store: &dyn Store) -> Result<usize, PublishError> {
    let from = store.notification_cursor().await?;
    let entries = store.audit_entries(from, BATCH).await?;
    let Some(to) = entries.last().map(|e| e.leaf.seq) else {
        return Ok(0);
    };
    let mut staff: HashMap<String, Vec<StaffMember>> = HashMap::new();
    let mut made = Vec::new();
    for entry in &entries {
        let Some((kind, draft)) = about(store, entry).await? else {
            continue;
        };
        let by = entry.leaf.actor.strip_prefix("staff:").and_then(|id| id.parse::<i64>().ok());
        let excerpt = crate::pages::excerpt(draft.content.source_text.lines().next().unwrap_or(""), 80);
        let tell = |staff_id: i64, comment: Option<String>| NewNotification {
            staff_id,
            kind,
            draft: draft.public_id.clone(),
            by_staff: by,
            excerpt: excerpt.clone(),
            comment,
        };
        match kind {
            NotificationKind::Waiting => {
                if !staff.contains_key(&draft.org_slug) {
                    staff.insert(draft.org_slug.clone(), store.staff_of_org(&draft.org_slug).await?);
                }
                let approvers = staff[&draft.org_slug].iter().filter(|m| {
                    // Not the author (they submitted it), and nobody whose record retention
                    // anonymised.
                    m.roles.has(Role::Approver) && m.id != draft.author_id && !m.name.is_empty()
                });
                made.extend(approvers.map(|m| tell(m.id, None)));
            }
            // Nobody is told of their own step.
            _ if by == Some(draft.author_id) => {}
            NotificationKind::Rejected => made.push(tell(draft.author_id, detail(entry, "comment"))),
            NotificationKind::Approved | NotificationKind::Published => {
                made.push(tell(draft.author_id, None))
            }
        }
    }
    let count = made.len();
    // Another process ran first: its notifications stand, these are dropped.
    Ok(if store.add_notifications(from, to, made).await? { count } else { 0 })
}

/// What an audit entry is news of, and the submission it concerns.
async fn about(
    store: &dyn Store,
    entry: &AuditRecord,
) -> Result<Option<(NotificationKind, DraftRecord)>, PublishError> {
    let (kind, draft) = match entry.leaf.action.as_str() {
        "draft.submit" => {
            (NotificationKind::Waiting, entry.leaf.subject.strip_prefix("draft:").map(str::to_owned))
        }
        "draft.approve" => {
            (NotificationKind::Approved, entry.leaf.subject.strip_prefix("draft:").map(str::to_owned))
        }
        "draft.reject" => {
            (NotificationKind::Rejected, entry.leaf.subject.strip_prefix("draft:").map(str::to_owned))
        }
        // Publications made by the operator's command line have no submission.
        "announcement.publish" => (NotificationKind::Published, detail(entry, "draft")),
        _ => return Ok(None),
    };
    let Some(draft) = draft else {
        return Ok(None);
    };
    Ok(store.draft(&draft, &Visibility::everything()).await?.map(|d| (kind, d)))
}

/// A field of the entry's details, while they are kept.
fn detail(entry: &AuditRecord, field: &str) -> Option<String> {
    let (_, payload) = entry.payload.as_ref()?;
    let detail: Value = serde_json::from_str(payload).ok()?;
    detail.get(field)?.as_str().map(str::to_owned)
}
