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

/// What a step concerns: a submission, or a change of an account's profile.
enum Subject {
    Draft(Box<DraftRecord>),
    Profile {
        org: String,
        username: String,
        /// Who proposed it (a member of staff); `None`: the operator.
        proposer: Option<i64>,
        /// The proposed display name, shown as the excerpt.
        name: String,
    },
    /// A citizen's message: the excerpt names the account it was sent to, never the
    /// citizen's words, which stay in the dialogue inbox under their own retention.
    Message {
        org: String,
        public_id: String,
        account: String,
        assignee: Option<i64>,
    },
}

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
        let Some((kind, subject)) = about(store, entry).await? else {
            continue;
        };
        let by = entry.leaf.actor.strip_prefix("staff:").and_then(|id| id.parse::<i64>().ok());
        let (org, page, excerpt, owner) = match &subject {
            Subject::Draft(d) => (
                d.org_slug.clone(),
                d.public_id.clone(),
                crate::pages::excerpt(d.content.source_text.lines().next().unwrap_or(""), 80),
                Some(d.author_id),
            ),
            Subject::Profile { org, username, proposer, name } => {
                (org.clone(), username.clone(), crate::pages::excerpt(name, 80), *proposer)
            }
            Subject::Message { org, public_id, account, assignee } => {
                (org.clone(), public_id.clone(), format!("@{account}"), *assignee)
            }
        };
        let tell = |staff_id: i64, comment: Option<String>| NewNotification {
            staff_id,
            kind,
            draft: page.clone(),
            by_staff: by,
            excerpt: excerpt.clone(),
            comment,
        };
        // A passed deadline of a message nobody has goes to those who can give it to someone.
        let to_approvers = matches!(kind, NotificationKind::Waiting | NotificationKind::ProfileWaiting)
            || (kind == NotificationKind::MessageOverdue && owner.is_none());
        match kind {
            _ if to_approvers => {
                if !staff.contains_key(&org) {
                    staff.insert(org.clone(), store.staff_of_org(&org).await?);
                }
                let approvers = staff[&org].iter().filter(|m| {
                    // Not the one who asked, and nobody whose record retention anonymised.
                    m.roles.has(Role::Approver)
                        && Some(m.id) != owner
                        && Some(m.id) != by
                        && !m.name.is_empty()
                });
                made.extend(approvers.map(|m| tell(m.id, None)));
            }
            _ => {
                // Nobody is told of their own step, and the operator reads no workspace.
                let Some(owner) = owner.filter(|o| by != Some(*o)) else { continue };
                let comment = match kind {
                    NotificationKind::Rejected => detail(entry, "comment"),
                    NotificationKind::ProfileRejected => detail(entry, "reason"),
                    _ => None,
                };
                made.push(tell(owner, comment));
            }
        }
    }
    // Deadlines and follow-ups can come in numbers: each person hears of them once until
    // they read it, and the notification leads to the list that holds them all.
    let mut kept = Vec::with_capacity(made.len());
    for n in made {
        if n.kind.gathers() {
            let repeated =
                kept.iter().any(|k: &NewNotification| k.staff_id == n.staff_id && k.kind == n.kind);
            if repeated || store.has_unread(n.staff_id, n.kind).await? {
                continue;
            }
        }
        kept.push(n);
    }
    let made = kept;
    let count = made.len();
    // Another process ran first: its notifications stand, these are dropped.
    Ok(if store.add_notifications(from, to, made).await? { count } else { 0 })
}

/// What an audit entry is news of, and what it concerns.
async fn about(
    store: &dyn Store,
    entry: &AuditRecord,
) -> Result<Option<(NotificationKind, Subject)>, PublishError> {
    let draft_id = || entry.leaf.subject.strip_prefix("draft:").map(str::to_owned);
    let (kind, draft) = match entry.leaf.action.as_str() {
        "draft.submit" => (NotificationKind::Waiting, draft_id()),
        "draft.approve" => (NotificationKind::Approved, draft_id()),
        "draft.reject" => (NotificationKind::Rejected, draft_id()),
        "draft.reschedule" => (NotificationKind::Rescheduled, draft_id()),
        // Publications made by the operator's command line have no submission.
        "announcement.publish" => (NotificationKind::Published, detail(entry, "draft")),
        "announcement.undelivered" => (NotificationKind::Undelivered, draft_id()),
        "profile.propose" | "profile.apply" | "profile.reject" => {
            return Ok(profile_step(entry));
        }
        "message.assign" | "message.overdue" | "message.follow_up" => {
            return message_step(store, entry).await;
        }
        _ => return Ok(None),
    };
    let Some(draft) = draft else {
        return Ok(None);
    };
    Ok(store.draft(&draft, &Visibility::everything()).await?.map(|d| (kind, Subject::Draft(Box::new(d)))))
}

/// A step of a profile change, from its entry alone: the details name the proposal's
/// author and the proposed name (erased details tell no one).
fn profile_step(entry: &AuditRecord) -> Option<(NotificationKind, Subject)> {
    let username = entry.leaf.subject.strip_prefix("account:")?.to_owned();
    let org = entry.leaf.org.clone()?;
    let (_, payload) = entry.payload.as_ref()?;
    let detail: Value = serde_json::from_str(payload).ok()?;
    let staff_id = |v: &Value| v.as_str()?.strip_prefix("staff:")?.parse::<i64>().ok();
    let name =
        detail.pointer("/profile/display_name").and_then(Value::as_str).unwrap_or(&username).to_owned();
    let (kind, proposer) = match entry.leaf.action.as_str() {
        "profile.propose" => {
            (NotificationKind::ProfileWaiting, staff_id(&Value::String(entry.leaf.actor.clone())))
        }
        "profile.apply" => (NotificationKind::ProfileApplied, detail.get("proposed_by").and_then(staff_id)),
        _ => (NotificationKind::ProfileRejected, detail.get("proposed_by").and_then(staff_id)),
    };
    Some((kind, Subject::Profile { org, username, proposer, name }))
}

/// A step of the work on a citizen's message; nobody is told of a message that is gone.
async fn message_step(
    store: &dyn Store,
    entry: &AuditRecord,
) -> Result<Option<(NotificationKind, Subject)>, PublishError> {
    let kind = match entry.leaf.action.as_str() {
        "message.assign" => NotificationKind::MessageAssigned,
        "message.overdue" => NotificationKind::MessageOverdue,
        _ => NotificationKind::MessageFollowUp,
    };
    let (Some(public_id), Some(org)) =
        (entry.leaf.subject.strip_prefix("message:"), entry.leaf.org.as_deref())
    else {
        return Ok(None);
    };
    let assignee = entry
        .payload
        .as_ref()
        .and_then(|(_, payload)| serde_json::from_str::<Value>(payload).ok())
        .and_then(|detail| detail.get("assignee")?.as_i64());
    // Given to nobody: nobody to tell.
    if kind == NotificationKind::MessageAssigned && assignee.is_none() {
        return Ok(None);
    }
    let Some(message) = store.message(org, public_id, &Visibility::everything()).await? else {
        return Ok(None);
    };
    Ok(Some((
        kind,
        Subject::Message {
            org: org.to_owned(),
            public_id: public_id.to_owned(),
            account: message.account_username,
            assignee,
        },
    )))
}

/// A field of the entry's details, while they are kept.
fn detail(entry: &AuditRecord, field: &str) -> Option<String> {
    let (_, payload) = entry.payload.as_ref()?;
    let detail: Value = serde_json::from_str(payload).ok()?;
    detail.get(field)?.as_str().map(str::to_owned)
}
