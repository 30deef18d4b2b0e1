//! The four-eyes workflow: authors write and submit, approvers approve or reject, and
//! Herold publishes approved submissions when their time comes. Every step is checked by
//! the domain's state machine and recorded in the audit trail with the step itself.

use std::collections::HashMap;
use std::sync::Arc;

use herold_domain::dialogue::DialoguePolicy;
use herold_domain::presence::ReplyAudience;
use herold_domain::workflow::{Actor, DraftState, Role, Roles, Step, Transition};
use herold_domain::{format_rfc3339, now_millis, AltText, Millis};
use herold_store::{
    staff_actor, Account, Announcement, AnnouncementQuery, AuditEntry, AuditFilter, DeliveryStats,
    DialogueFigures, DraftContent, DraftKind, DraftRecord, DraftTranslation, HideReason, MediaInfo, Message,
    MessageFilter, MessageState, NewDraft, NewMedia, Notification, ReactionDay, Reactions, StaffMember,
    StepDetails, Store, StoreError, Visibility,
};
use serde_json::json;

use crate::{media, Draft, PublishError, Publisher};

/// At most this many replies are shown under an announcement (Mastodon reads up to 500 when
/// it fills in a thread from its origin).
pub const SHOWN_REPLIES: i64 = 200;

/// What Mastodon shows of a post's images.
pub const MAX_IMAGES: usize = 4;

/// A signed-in member of staff, as a session vouches for them.
#[derive(Debug, Clone)]
pub struct StaffActor {
    pub id: i64,
    pub org: String,
    pub roles: Roles,
}

impl StaffActor {
    fn actor(&self) -> Actor {
        Actor::Staff { id: self.id, roles: self.roles.clone() }
    }

    fn audit_name(&self) -> String {
        staff_actor(self.id)
    }

    fn require(&self, role: Role) -> Result<(), PublishError> {
        if self.roles.has(role) {
            Ok(())
        } else {
            Err(PublishError::Forbidden(match role {
                Role::Author => "this needs the author role",
                Role::Approver => "this needs the approver role",
                Role::OrgAdmin => "this needs the org-admin role",
                Role::Auditor => "this needs the auditor role",
            }))
        }
    }
}

/// What an organisation's policy decides for the workflow.
pub trait OrgRules: Send + Sync {
    /// Whether a second person must approve the draft.
    fn four_eyes(&self, draft: &DraftRecord) -> bool;
    /// How the organisation works on what citizens send.
    fn dialogue(&self, org: &str) -> &DialoguePolicy;
    /// Whether someone other than its proposer must apply a change of a profile.
    fn four_eyes_for_profiles(&self, org: &str) -> bool;
    /// What readers see of each class of records: what has expired is hidden at once, and
    /// purged by the next retention run.
    fn visibility(&self) -> &Visibility;
}

/// What a member of staff sees first: the accounts they write for, their own unfinished
/// submissions, what waits for approval, what is scheduled, and what went out lately.
pub struct Dashboard {
    pub accounts: Vec<Account>,
    pub mine: Vec<DraftRecord>,
    pub queue: Vec<DraftRecord>,
    pub scheduled: Vec<DraftRecord>,
    /// What went out lately, retracted announcements included.
    pub recent: Vec<Announcement>,
}

/// A page of an organisation's announcements as a search found them, with who took back the
/// retracted ones, when and why.
pub struct Archive {
    pub announcements: Vec<Announcement>,
    /// By announcement id (public): who retracted it (a name; empty for someone whose record
    /// was anonymised), when, and the reason given.
    pub retractions: HashMap<String, Retraction>,
    /// Another page follows.
    pub more: bool,
}

/// An image `Editorial::prepare_image` accepted.
pub struct PreparedImage {
    info: MediaInfo,
    bytes: Vec<u8>,
}

pub struct Retraction {
    pub by: Option<String>,
    pub at: Millis,
    pub reason: Option<String>,
}

/// A published announcement and how far it got.
pub struct AnnouncementStatus {
    pub account: Account,
    pub announcement: Announcement,
    pub stats: DeliveryStats,
    /// The submissions that published or changed it, oldest first.
    pub drafts: Vec<DraftRecord>,
    /// How often it was liked and boosted.
    pub reactions: Reactions,
    /// What arrived per day, from its publication on (at most `REACTION_DAYS` days back).
    pub reaction_days: Vec<ReactionDay>,
}

/// How far back the curves of reactions reach.
pub const REACTION_DAYS: i64 = 90;

/// One step in a submission's life, as the audit trail recorded it.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub at: Millis,
    /// Who took it: a person's name (empty once retention anonymised them), or `None` for
    /// Herold itself (a scheduled publication it could not make).
    pub by: Option<String>,
    /// The step as audited, without `draft.`: `create`, `submit`, `reject`, ….
    pub step: String,
    /// What a reviewer said, while the entry's details are kept.
    pub comment: Option<String>,
}

/// What an approver decides on: the submission and everything approving it sets in motion.
pub struct Review {
    pub draft: DraftRecord,
    pub account: Account,
    /// Who would receive it now.
    pub followers: i64,
    /// For an edit: the announcement as followers have it now.
    pub current: Option<Announcement>,
    /// Every round so far, oldest first, with the reviewers' comments.
    pub history: Vec<HistoryEntry>,
}

/// How many messages one page of the dialogue inbox shows.
pub const MESSAGES_PAGE: i64 = 50;

/// The most history a submission's page shows; a submission that went back and forth more
/// often than this shows its latest steps.
const HISTORY_LIMIT: i64 = 200;

#[derive(Clone)]
pub struct Editorial {
    store: Arc<dyn Store>,
    publisher: Publisher,
    rules: Arc<dyn OrgRules>,
}

/// A publishing time may lie up to a minute back (the time it took to fill in the form);
/// anything older is a mistake.
fn not_passed(publish_at: Option<Millis>) -> Result<(), PublishError> {
    match publish_at {
        Some(at) if at < now_millis() - 60_000 => Err(PublishError::PublishAtPassed(at)),
        _ => Ok(()),
    }
}

fn content_of(draft: &Draft, publish_at: Option<Millis>) -> DraftContent {
    DraftContent {
        source_text: draft.text.as_str().to_owned(),
        language: draft.language.as_ref().map(|l| l.to_string()),
        translations: draft
            .translations
            .iter()
            .map(|(language, text)| DraftTranslation {
                language: language.to_string(),
                text: text.as_str().to_owned(),
            })
            .collect(),
        summary: draft.summary.as_ref().map(|s| s.as_str().to_owned()),
        urgent: draft.urgent,
        publish_at,
        mentions: draft.mentions.clone(),
        in_reply_to: draft.in_reply_to.clone(),
        reply_audience: draft.replies.map(|r| r.as_str().to_owned()),
    }
}

/// What an approver saw, as a digest for the audit trail: text, language versions, images.
fn text_digest(d: &DraftRecord) -> String {
    let seen = json!({
        "text": d.content.source_text,
        "language": d.content.language,
        "summary": d.content.summary,
        "translations": d.content.translations,
        "mentions": d.content.mentions.iter().map(|m| (&m.name, &m.href)).collect::<Vec<_>>(),
        "replies": d.content.reply_audience,
        "images": d.media.iter().map(|m| (&m.public_id, &m.alt_text)).collect::<Vec<_>>(),
    });
    let digest = ring::digest::digest(&ring::digest::SHA256, seen.to_string().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Stored text was validated when it was written; it is checked again on the way out all
/// the same, since rules may have tightened since.
fn draft_of(content: &DraftContent) -> Result<Draft, PublishError> {
    let mut draft = Draft::parse(
        &content.source_text,
        content.language.as_deref(),
        content.translations.iter().map(|t| (t.language.as_str(), t.text.as_str())),
        content.summary.as_deref(),
        content.urgent,
    )?;
    draft.mentions = content.mentions.clone();
    draft.in_reply_to = content.in_reply_to.clone();
    draft.replies = content.reply_audience.as_deref().and_then(ReplyAudience::parse);
    Ok(draft)
}

impl Editorial {
    pub fn new(store: Arc<dyn Store>, publisher: Publisher, rules: Arc<dyn OrgRules>) -> Editorial {
        Editorial { store, publisher, rules }
    }

    /// An account of the person's own organisation; others' accounts do not exist for them.
    /// Nor does `@transparency`, whose posts are the audit trail's checkpoints and nobody's
    /// words, even for the operator's staff.
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(crate) fn rules(&self) -> &dyn OrgRules {
        self.rules.as_ref()
    }

    pub(crate) fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    pub async fn account(&self, org: &str, username: &str) -> Result<Account, PublishError> {
        match self.store.account_by_username(username).await? {
            Some(a) if a.org_slug == org && a.username != crate::TRANSPARENCY_ACCOUNT => Ok(a),
            _ => Err(PublishError::UnknownAccount(username.to_owned())),
        }
    }

    /// The accounts the organisation's staff write for (`@transparency` is nobody's).
    pub async fn accounts(&self, org: &str) -> Result<Vec<Account>, PublishError> {
        Ok(self
            .store
            .list_accounts()
            .await?
            .into_iter()
            .filter(|a| a.org_slug == org && a.username != crate::TRANSPARENCY_ACCOUNT)
            .collect())
    }

    /// What a member of staff sees first. Their own unfinished submissions are listed while
    /// within their retention.
    pub async fn dashboard(&self, who: &StaffActor) -> Result<Dashboard, PublishError> {
        const OPEN: [DraftState; 3] = [DraftState::Draft, DraftState::Rejected, DraftState::Submitted];
        let visible = self.rules.visibility();
        let drafts =
            |states: &'static [DraftState], limit| self.store.drafts(&who.org, states, limit, visible);
        let mine = drafts(&OPEN, 100).await?.into_iter().filter(|d| d.author_id == who.id).collect();
        Ok(Dashboard {
            accounts: self.accounts(&who.org).await?,
            mine,
            queue: drafts(&[DraftState::Submitted], 100).await?,
            scheduled: drafts(&[DraftState::Approved], 100).await?,
            recent: self.store.recent_announcements(&who.org, None, 10).await?,
        })
    }

    /// A page of the organisation's announcements found by `query` (its organisation is the
    /// reader's, whatever it says).
    /// `staff`: the organisation's staff, who name those who retracted.
    pub async fn archive(
        &self,
        who: &StaffActor,
        staff: &[StaffMember],
        mut query: AnnouncementQuery,
        limit: i64,
        offset: i64,
    ) -> Result<Archive, PublishError> {
        query.org_slug = who.org.clone();
        let announcements = self.store.search_announcements(&query, limit, offset).await?;
        let more = announcements.len() as i64 == limit;
        let mut retractions = HashMap::new();
        for a in announcements.iter().filter(|a| a.retracted_at.is_some()) {
            let filter = AuditFilter {
                org: Some(who.org.clone()),
                action: Some("announcement.retract".to_owned()),
                subject: Some(format!("announcement:{}", a.public_id)),
                ..AuditFilter::default()
            };
            let Some(entry) = self.store.audit_search(&filter, None, 1).await?.into_iter().next() else {
                continue;
            };
            let by = entry.leaf.actor.strip_prefix("staff:").and_then(|id| id.parse::<i64>().ok());
            let by = by.map(|id| staff.iter().find(|m| m.id == id).map_or(String::new(), |m| m.name.clone()));
            let reason = entry
                .payload
                .as_ref()
                .and_then(|(_, p)| serde_json::from_str::<serde_json::Value>(p).ok())
                .and_then(|d| d.get("reason").and_then(|r| r.as_str()).map(str::to_owned));
            retractions.insert(a.public_id.clone(), Retraction { by, at: entry.leaf.at, reason });
        }
        Ok(Archive { announcements, retractions, more })
    }

    /// Submissions their authors withdrew after submitting them, and the reader's own
    /// withdrawn drafts, newest first, as long as they are kept. A colleague's draft that
    /// was never submitted stays theirs, as it was while they wrote it.
    pub async fn withdrawn(&self, who: &StaffActor, limit: i64) -> Result<Vec<DraftRecord>, PublishError> {
        let filter = AuditFilter {
            org: Some(who.org.clone()),
            action: Some("draft.withdraw".to_owned()),
            ..AuditFilter::default()
        };
        let mine = staff_actor(who.id);
        let mut shown = Vec::new();
        for entry in self.store.audit_search(&filter, None, limit * 4).await? {
            let submitted = entry
                .payload
                .as_ref()
                .and_then(|(_, p)| serde_json::from_str::<serde_json::Value>(p).ok())
                .is_some_and(|d| d.get("from").and_then(|f| f.as_str()) == Some("submitted"));
            let Some(id) = entry.leaf.subject.strip_prefix("draft:") else { continue };
            if !(submitted || entry.leaf.actor == mine)
                || shown.iter().any(|d: &DraftRecord| d.public_id == id)
            {
                continue;
            }
            // Gone once retention removed it.
            if let Some(d) = self.store.draft(id, self.rules.visibility()).await? {
                shown.push(d);
            }
            if shown.len() as i64 == limit {
                break;
            }
        }
        Ok(shown)
    }

    /// Submissions with a time to go out in `[from, to)`, waiting for approval or approved,
    /// earliest first: the organisation's calendar.
    pub async fn calendar(
        &self,
        who: &StaffActor,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<DraftRecord>, PublishError> {
        // More than a thousand in a month is no calendar a person reads.
        Ok(self.store.planned_drafts(&who.org, from, to, 1000).await?)
    }

    /// Whether someone answers citizens for the organisation: its press office, authors and
    /// approvers.
    pub fn reads_dialogue(who: &StaffActor) -> bool {
        who.roles.has(Role::Author) || who.roles.has(Role::Approver)
    }

    /// Refuses whoever does not answer citizens for the organisation.
    fn require_dialogue(who: &StaffActor) -> Result<(), PublishError> {
        match Self::reads_dialogue(who) {
            true => Ok(()),
            false => Err(PublishError::Forbidden("this needs the author or approver role")),
        }
    }

    /// The organisation's dialogue inbox: the messages the filter lets through, newest
    /// first, a page of them before message `before` (its id).
    pub async fn messages(
        &self,
        who: &StaffActor,
        filter: &MessageFilter,
        before: Option<i64>,
    ) -> Result<Vec<Message>, PublishError> {
        Self::require_dialogue(who)?;
        Ok(self.store.messages(&who.org, filter, before, MESSAGES_PAGE, self.rules.visibility()).await?)
    }

    /// How the organisation works on what citizens send: deadlines and answer templates.
    pub fn dialogue_policy(&self, org: &str) -> &DialoguePolicy {
        self.rules.dialogue(org)
    }

    /// Whom a message can be given to: the organisation's staff who answer citizens, and who
    /// still have a name (retention anonymises those long gone).
    pub async fn dialogue_staff(&self, who: &StaffActor) -> Result<Vec<StaffMember>, PublishError> {
        Self::require_dialogue(who)?;
        let mut staff = self.store.staff_of_org(&who.org).await?;
        staff.retain(|m| !m.name.is_empty() && (m.roles.has(Role::Author) || m.roles.has(Role::Approver)));
        staff.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(staff)
    }

    /// Gives a message to a member of the press office (`None`: to nobody), who is told;
    /// audited with their id, as the workflow's steps are.
    pub async fn assign_message(
        &self,
        who: &StaffActor,
        public_id: &str,
        assignee: Option<i64>,
    ) -> Result<Message, PublishError> {
        if let Some(id) = assignee {
            if !self.dialogue_staff(who).await?.iter().any(|m| m.id == id) {
                return Err(PublishError::Incomplete("choose someone of the press office"));
            }
        } else {
            Self::require_dialogue(who)?;
        }
        let audit = AuditEntry::new(&who.audit_name(), "message.assign", format!("message:{public_id}"))
            .in_org(&who.org)
            .with_detail(json!({ "assignee": assignee }));
        Ok(self.store.assign_message(&who.org, public_id, assignee, audit).await?)
    }

    /// Notes every open message whose deadline passed, once each, so that whoever has it (or,
    /// if nobody has it, the approvers) is told; how many were noted.
    pub async fn note_overdue_messages(&self) -> Result<usize, PublishError> {
        let now = now_millis();
        let mut noted = 0;
        for org in self.store.list_orgs().await? {
            let within = self.rules.dialogue(&org.slug).answer_within;
            let due_before = now.saturating_sub(within);
            for m in self.store.unnoted_overdue(&org.slug, due_before, 100, self.rules.visibility()).await? {
                let audit = AuditEntry::new("system", "message.overdue", format!("message:{}", m.public_id))
                    .in_org(&org.slug)
                    .with_detail(json!({ "assignee": m.assignee_id, "due": m.received_at + within }));
                noted += usize::from(self.store.note_overdue(m.id, audit).await?);
            }
        }
        Ok(noted)
    }

    /// Tells the author of an announcement whose deliveries have all finished when one in
    /// twenty or more was given up (servers of followers come and go: one gone server among
    /// many is no news). Each Create and Update is looked at once, within two weeks of going
    /// out; how many authors were told.
    pub async fn report_undelivered(&self) -> Result<usize, PublishError> {
        const LOOK_BACK: Millis = 14 * 86_400_000;
        let mut told = 0;
        for fate in self.store.finished_activities(now_millis() - LOOK_BACK, 200).await? {
            let worth_telling = fate.dead > 0 && fate.dead * 20 >= fate.delivered + fate.dead;
            let audit = fate.draft.as_ref().filter(|_| worth_telling).map(|draft| {
                AuditEntry::new("system", "announcement.undelivered", format!("draft:{draft}"))
                    .in_org(&fate.org_slug)
                    .with_detail(
                        json!({ "activity": fate.kind, "delivered": fate.delivered, "given_up": fate.dead }),
                    )
            });
            let telling = audit.is_some();
            if self.store.deliveries_checked(fate.activity_id, audit).await? && telling {
                told += 1;
            }
        }
        Ok(told)
    }

    /// The organisation's dialogue figures for the last `days` days.
    pub async fn dialogue_figures(
        &self,
        who: &StaffActor,
        days: i64,
    ) -> Result<DialogueFigures, PublishError> {
        Self::require_dialogue(who)?;
        let now = now_millis();
        let since = now - days * 86_400_000;
        let due_before = now.saturating_sub(self.rules.dialogue(&who.org).answer_within);
        Ok(self.store.dialogue_figures(&who.org, since, due_before, self.rules.visibility()).await?)
    }

    /// How many messages wait for the organisation's press office (none for others).
    pub async fn open_messages(&self, who: &StaffActor) -> Result<i64, PublishError> {
        if !Self::reads_dialogue(who) {
            return Ok(0);
        }
        Ok(self.store.open_messages(&who.org, self.rules.visibility()).await?)
    }

    /// The person's notifications, newest first, as far as their retention still shows them.
    pub async fn notifications(
        &self,
        who: &StaffActor,
        limit: i64,
    ) -> Result<Vec<Notification>, PublishError> {
        Ok(self.store.notifications(who.id, &who.org, limit, self.rules.visibility()).await?)
    }

    /// How many of the person's notifications are new.
    pub async fn unread_notifications(&self, who: &StaffActor) -> Result<i64, PublishError> {
        Ok(self.store.unread_notifications(who.id, &who.org, self.rules.visibility()).await?)
    }

    /// Records where a message stands (answered, no action needed, abusive, open again),
    /// audited without the sender: who wrote is personal data, kept with the message under
    /// its own retention.
    pub async fn mark_message(
        &self,
        who: &StaffActor,
        public_id: &str,
        state: MessageState,
    ) -> Result<Message, PublishError> {
        Self::require_dialogue(who)?;
        let audit = AuditEntry::new(&who.audit_name(), "message.mark", format!("message:{public_id}"))
            .in_org(&who.org)
            .with_detail(json!({ "state": state.as_str() }));
        Ok(self.store.set_message_state(&who.org, public_id, state, audit).await?)
    }

    /// Shows a citizen's public reply under the announcement it answers (on its public page
    /// and in its `replies` collection), or (`hidden`, with a reason code) stops showing it.
    /// An approver's call, since it puts a citizen's words on the body's own pages; audited.
    pub async fn show_reply(
        &self,
        who: &StaffActor,
        public_id: &str,
        hidden: Option<HideReason>,
    ) -> Result<Message, PublishError> {
        who.require(Role::Approver)?;
        let message = self.message(who, public_id).await?;
        if hidden.is_none() {
            if !message.may_be_shown() {
                return Err(PublishError::Incomplete(
                    "only a public reply to an announcement can be shown under it",
                ));
            }
            if message.state == MessageState::Abusive {
                return Err(PublishError::Incomplete("a message marked abusive is not shown"));
            }
        }
        let (action, detail) = match hidden {
            None => ("message.show", json!({ "announcement": message.announcement_public_id })),
            Some(reason) => ("message.hide", json!({ "reason": reason.as_str() })),
        };
        let audit = AuditEntry::new(&who.audit_name(), action, format!("message:{public_id}"))
            .in_org(&who.org)
            .with_detail(detail);
        Ok(self.store.set_reply_shown(&who.org, public_id, hidden, audit).await?)
    }

    /// The replies the press office shows under an announcement, oldest first: for its public
    /// page and its `replies` collection, which anyone may read, so bounded.
    pub async fn shown_replies(
        &self,
        account: &Account,
        announcement_id: i64,
    ) -> Result<Vec<Message>, PublishError> {
        Ok(self
            .store
            .shown_replies(&account.org_slug, announcement_id, SHOWN_REPLIES, self.rules.visibility())
            .await?)
    }

    /// Blocks the sender of a message, or (`whole_server`) their server, for the
    /// organisation: an approver's call, with a reason, audited; what the organisation held
    /// from them goes, and so do the consents it gave them. How many messages went.
    pub async fn block_sender(
        &self,
        who: &StaffActor,
        message: &str,
        whole_server: bool,
        reason: &str,
    ) -> Result<u64, PublishError> {
        who.require(Role::Approver)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PublishError::Incomplete("say why, so that others can judge the block later"));
        }
        let message = self.message(who, message).await?;
        let (kind, target) = match whole_server {
            true => ("server", herold_store::host_of(&message.sender_uri)),
            false => ("account", message.sender_uri.clone()),
        };
        // What they were allowed to quote or reply is allowed no longer.
        let revocations = self
            .publisher
            .revocations_in(&who.org, |stamp| match whole_server {
                true => herold_store::host_of(&stamp.requester) == target,
                false => stamp.requester == target,
            })
            .await?;
        let audit = AuditEntry::new(&who.audit_name(), "dialogue.block", format!("{kind}:{target}"))
            .in_org(&who.org)
            .with_detail(json!({ "reason": reason }));
        Ok(self.store.block(&who.org, kind, &target, reason, revocations, audit).await?)
    }

    /// Reports a message to its sender's server as abuse (a `Flag` from this server's
    /// instance actor, as Mastodon sends reports, naming the sender and the post, with the
    /// reason, which that server's moderators read): an approver's call, audited, and the
    /// message is marked abusive in the same transaction.
    pub async fn report_message(
        &self,
        who: &StaffActor,
        message: &str,
        reason: &str,
    ) -> Result<Message, PublishError> {
        who.require(Role::Approver)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PublishError::Incomplete(
                "say why, so that the other server's moderators can judge it",
            ));
        }
        let message = self.message(who, message).await?;
        // Writers are not remembered as actors: their inbox is looked up now.
        let inbox =
            self.publisher.inbox_of(&message.sender_uri).await?.ok_or(PublishError::Incomplete(
                "the sender's server cannot be reached now; try again later",
            ))?;
        let urls = &self.publisher.urls;
        let uri = urls.instance_activity(&uuid::Uuid::new_v4().to_string());
        let flag = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": uri,
            "type": "Flag",
            "actor": urls.instance_actor(),
            "content": reason,
            "object": [message.sender_uri, message.object_uri],
        });
        let activity = herold_store::NewActivity {
            uri,
            kind: "Flag".into(),
            account_id: None,
            signer: None,
            body: flag.to_string(),
            audience: herold_store::Audience::Inboxes(vec![inbox]),
            priority: herold_store::Priority::Answer,
        };
        let audit =
            AuditEntry::new(&who.audit_name(), "dialogue.report", format!("message:{}", message.public_id))
                .in_org(&who.org)
                .with_detail(
                    json!({ "server": herold_store::host_of(&message.sender_uri), "reason": reason }),
                );
        Ok(self.store.report_message(&who.org, &message.public_id, activity, audit).await?)
    }

    /// Lifts one of the organisation's blocks.
    pub async fn unblock(&self, who: &StaffActor, id: i64) -> Result<bool, PublishError> {
        who.require(Role::Approver)?;
        let audit =
            AuditEntry::new(&who.audit_name(), "dialogue.unblock", format!("block:{id}")).in_org(&who.org);
        Ok(self.store.unblock(&who.org, id, audit).await?)
    }

    /// A published (or retracted) announcement of the organisation, how far its deliveries
    /// got and the submissions behind it, each as far as its retention still shows it.
    pub async fn announcement_status(
        &self,
        org: &str,
        username: &str,
        public_id: &str,
    ) -> Result<AnnouncementStatus, PublishError> {
        let account = self.account(org, username).await?;
        let announcement = self
            .store
            .announcement(account.id, public_id)
            .await?
            .ok_or_else(|| PublishError::UnknownAnnouncement(public_id.to_owned()))?;
        let stats = self.store.delivery_stats(Some(announcement.id), self.rules.visibility()).await?;
        // Published submissions never expire on their own: they go with their announcement.
        let drafts = self.store.drafts_of_announcement(announcement.id).await?;
        let reactions = self.store.reactions(announcement.id).await?;
        let since = announcement.published_at.max(now_millis() - REACTION_DAYS * 86_400_000);
        let since_day = &herold_domain::format_rfc3339(since)[..10];
        let reaction_days = self.store.reaction_days(account.id, Some(announcement.id), since_day).await?;
        Ok(AnnouncementStatus { account, announcement, stats, drafts, reactions, reaction_days })
    }

    /// A submission of the person's own organisation.
    pub async fn draft(&self, who: &StaffActor, public_id: &str) -> Result<DraftRecord, PublishError> {
        match self.store.draft(public_id, self.rules.visibility()).await? {
            Some(d) if d.org_slug == who.org => Ok(d),
            _ => Err(PublishError::UnknownDraft(public_id.to_owned())),
        }
    }

    /// A submission of the person's own organisation with what its approval would do: its
    /// account and reach, for an edit the version it replaces, and its history.
    pub async fn review(&self, who: &StaffActor, public_id: &str) -> Result<Review, PublishError> {
        let draft = self.draft(who, public_id).await?;
        let account = self.account(&who.org, &draft.account_username).await?;
        let followers = self.store.follower_count(account.id).await?;
        let current = match &draft.announcement_public_id {
            Some(id) if draft.kind == DraftKind::Edit => self.store.announcement(account.id, id).await?,
            _ => None,
        };
        let filter = herold_store::AuditFilter {
            org: Some(who.org.clone()),
            subject: Some(format!("draft:{public_id}")),
            ..Default::default()
        };
        let mut entries = self.store.audit_search(&filter, None, HISTORY_LIMIT).await?;
        entries.reverse();
        let names: std::collections::HashMap<String, String> = self
            .store
            .staff_of_org(&who.org)
            .await?
            .into_iter()
            .map(|m| (staff_actor(m.id), m.name))
            .collect();
        let history = entries
            .into_iter()
            .map(|e| {
                let detail: Option<serde_json::Value> =
                    e.payload.and_then(|(_, payload)| serde_json::from_str(&payload).ok());
                HistoryEntry {
                    at: e.leaf.at,
                    by: (e.leaf.actor != "system")
                        .then(|| names.get(&e.leaf.actor).cloned().unwrap_or_default()),
                    step: e.leaf.action.trim_start_matches("draft.").to_owned(),
                    comment: detail
                        .as_ref()
                        .and_then(|d| d["comment"].as_str())
                        .map(str::to_owned)
                        .filter(|c| !c.is_empty()),
                }
            })
            .collect();
        Ok(Review { draft, account, followers, current, history })
    }

    /// Starts a new announcement, or (with `edit_of`) a change to a published one.
    pub async fn create(
        &self,
        who: &StaffActor,
        username: &str,
        draft: Draft,
        publish_at: Option<Millis>,
        edit_of: Option<&str>,
    ) -> Result<DraftRecord, PublishError> {
        let account = self.account(&who.org, username).await?;
        self.begin(who, &account, draft, publish_at, edit_of, None).await
    }

    /// The account the person last wrote for, to offer it first (never a silent default:
    /// the form says so).
    pub async fn last_account(&self, who: &StaffActor) -> Result<Option<String>, PublishError> {
        let recent = self.store.drafts(&who.org, &DraftState::ALL, 50, self.rules.visibility()).await?;
        Ok(recent.into_iter().find(|d| d.author_id == who.id).map(|d| d.account_username))
    }

    /// A citizen's message of the organisation, as the dialogue inbox shows it.
    pub async fn message(&self, who: &StaffActor, public_id: &str) -> Result<Message, PublishError> {
        Self::require_dialogue(who)?;
        self.store
            .message(&who.org, public_id, self.rules.visibility())
            .await?
            .ok_or_else(|| PublishError::Store(StoreError::NotFound(format!("message {public_id}"))))
    }

    /// Starts an answer to a citizen's message: a reply from the account they wrote to, to
    /// their post, through the same approval as any announcement. It is public, so only a
    /// message its sender made public is answered this way.
    pub async fn answer(
        &self,
        who: &StaffActor,
        message: &str,
        draft: Draft,
        publish_at: Option<Millis>,
    ) -> Result<DraftRecord, PublishError> {
        let message = self.message(who, message).await?;
        if !matches!(message.visibility.as_str(), "public" | "unlisted") {
            return Err(PublishError::Incomplete(
                "this message was not public: a public answer would disclose it; answer the sender another way",
            ));
        }
        let account = self.account(&who.org, &message.account_username).await?;
        self.begin(who, &account, draft, publish_at, None, Some(&message)).await
    }

    /// An answer reaches the person answered even when its text does not name them (the
    /// author removed the address, or it could not be looked up when the form opened):
    /// their servers notify whom a post's tags mention.
    async fn address_sender(&self, draft: &mut Draft, sender_uri: &str) -> Result<(), PublishError> {
        if !draft.mentions.iter().any(|m| m.href == sender_uri) {
            draft.mentions.push(self.publisher.mention_of_actor(sender_uri).await?);
        }
        Ok(())
    }

    async fn begin(
        &self,
        who: &StaffActor,
        account: &Account,
        mut draft: Draft,
        publish_at: Option<Millis>,
        edit_of: Option<&str>,
        answering: Option<&Message>,
    ) -> Result<DraftRecord, PublishError> {
        who.require(Role::Author)?;
        not_passed(publish_at)?;
        self.publisher.resolve_mentions(&mut draft).await?;
        if let Some(message) = answering {
            self.address_sender(&mut draft, &message.sender_uri).await?;
        }
        draft.in_reply_to = answering.map(|m| m.object_uri.clone());
        // A change starts with the announcement's images.
        let (announcement_id, media) = match edit_of {
            Some(public_id) => {
                let current = self.publisher.existing(account, public_id).await?;
                (Some(current.id), current.body.attachments)
            }
            None => (None, Vec::new()),
        };
        let public_id = uuid::Uuid::new_v4().to_string();
        let kind = if announcement_id.is_some() { DraftKind::Edit } else { DraftKind::Create };
        let audit = AuditEntry::new(&who.audit_name(), "draft.create", format!("draft:{public_id}"))
            .in_org(&who.org)
            .with_detail(json!({
                "account": account.username,
                "kind": kind.as_str(),
                "edit_of": edit_of,
                "answers": answering.map(|m| &m.public_id),
            }));
        let new = NewDraft {
            public_id,
            account_id: account.id,
            kind,
            announcement_id,
            author_id: who.id,
            content: content_of(&draft, publish_at),
            media,
            answers: answering.map(|m| m.public_id.clone()),
        };
        Ok(self.store.create_draft(new, audit).await?)
    }

    /// An image checked and cleaned of its metadata, with its description, ready to be
    /// attached: done before anything is saved, so that a bad one is refused first.
    pub fn prepare_image(bytes: &[u8], alt_text: &str) -> Result<PreparedImage, PublishError> {
        let alt = AltText::parse(alt_text)?;
        let image = media::clean(bytes).map_err(PublishError::Media)?;
        let info = MediaInfo {
            public_id: uuid::Uuid::new_v4().to_string(),
            content_type: image.content_type.to_owned(),
            width: i64::from(image.width),
            height: i64::from(image.height),
            alt_text: alt.as_str().to_owned(),
        };
        Ok(PreparedImage { info, bytes: image.bytes })
    }

    /// Attaches an image to one's own draft, at most four.
    pub async fn attach_image(
        &self,
        who: &StaffActor,
        public_id: &str,
        image: PreparedImage,
    ) -> Result<DraftRecord, PublishError> {
        let current = self.own_draft(who, public_id).await?;
        let PreparedImage { info, bytes } = image;
        let audit = AuditEntry::new(&who.audit_name(), "draft.attach_image", format!("draft:{public_id}"))
            .in_org(&who.org)
            .with_detail(json!({ "image": info.public_id, "bytes": bytes.len(), "alt_text": info.alt_text }));
        let new = NewMedia { info, account_id: current.account_id, bytes };
        Ok(self.store.attach_media(current.id, new, MAX_IMAGES, audit).await?)
    }

    pub async fn detach_image(
        &self,
        who: &StaffActor,
        public_id: &str,
        image: &str,
    ) -> Result<DraftRecord, PublishError> {
        let current = self.own_draft(who, public_id).await?;
        let audit = AuditEntry::new(&who.audit_name(), "draft.detach_image", format!("draft:{public_id}"))
            .in_org(&who.org)
            .with_detail(json!({ "image": image }));
        Ok(self.store.detach_media(current.id, image, audit).await?)
    }

    /// A draft of the person's own that is still being written.
    async fn own_draft(&self, who: &StaffActor, public_id: &str) -> Result<DraftRecord, PublishError> {
        who.require(Role::Author)?;
        let current = self.draft(who, public_id).await?;
        if current.author_id != who.id {
            return Err(PublishError::Forbidden("only the author changes a draft"));
        }
        if !current.state.editable() {
            return Err(PublishError::Incomplete("take the draft back to edit it first"));
        }
        Ok(current)
    }

    /// Changes the text of one's own draft (a rejected one becomes a draft again).
    pub async fn revise(
        &self,
        who: &StaffActor,
        public_id: &str,
        mut draft: Draft,
        publish_at: Option<Millis>,
    ) -> Result<DraftRecord, PublishError> {
        let current = self.draft(who, public_id).await?;
        // Only its author may change a draft; nobody else gets to make Herold look up
        // addresses (the state machine checks the rest).
        who.require(Role::Author)?;
        if current.author_id != who.id {
            return Err(PublishError::Forbidden("only the author changes a draft"));
        }
        not_passed(publish_at)?;
        self.publisher.resolve_mentions(&mut draft).await?;
        // A message answered may be gone since (its sender deleted it, or it expired): the
        // answer then keeps the mentions its text makes.
        let answered = match &current.answers {
            Some(id) => self.store.message(&current.org_slug, id, self.rules.visibility()).await?,
            None => None,
        };
        if let Some(message) = answered {
            self.address_sender(&mut draft, &message.sender_uri).await?;
        }
        let details = StepDetails {
            content: Some(content_of(&draft, publish_at)),
            review_comment: None,
            seen_revision: None,
            publish_at: None,
        };
        self.apply(who, current, Step::Revise, details).await
    }

    /// Submit, recall, withdraw, approve or reject. A rejection needs a comment; an
    /// approval of something due publishes it at once.
    /// An approval names the revision the approver saw (`seen_revision`): if the author
    /// changed anything since, it fails instead of approving what nobody reviewed.
    pub async fn step(
        &self,
        who: &StaffActor,
        public_id: &str,
        step: Step,
        comment: Option<String>,
        seen_revision: Option<i64>,
    ) -> Result<DraftRecord, PublishError> {
        let current = self.draft(who, public_id).await?;
        let comment = comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if step == Step::Reject && comment.is_none() {
            return Err(PublishError::Incomplete("say why it is rejected, so that the author can fix it"));
        }
        let details = StepDetails { content: None, review_comment: comment, seen_revision, publish_at: None };
        let record = self.apply(who, current, step, details).await?;
        self.publish_if_due(who, record).await
    }

    /// Moves the time an approved submission goes out, which an approver decides (a
    /// different one than its author under four eyes). A time that has come publishes it.
    pub async fn reschedule(
        &self,
        who: &StaffActor,
        public_id: &str,
        publish_at: Millis,
    ) -> Result<DraftRecord, PublishError> {
        let current = self.draft(who, public_id).await?;
        not_passed(Some(publish_at))?;
        let details = StepDetails {
            content: None,
            review_comment: None,
            seen_revision: None,
            publish_at: Some(publish_at),
        };
        let record = self.apply(who, current, Step::Reschedule, details).await?;
        self.publish_if_due(who, record).await
    }

    /// Publishes an approved submission whose time has come, at once rather than at the
    /// scheduler's next round.
    async fn publish_if_due(
        &self,
        who: &StaffActor,
        record: DraftRecord,
    ) -> Result<DraftRecord, PublishError> {
        if record.state == DraftState::Approved
            && record.content.publish_at.is_none_or(|at| at <= now_millis())
        {
            // Someone else's scheduler run may win the race; either way it goes out once.
            match self.publish_one(&record).await {
                Ok(_) | Err(PublishError::Store(StoreError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
            return self.draft(who, &record.public_id).await;
        }
        Ok(record)
    }

    async fn apply(
        &self,
        who: &StaffActor,
        current: DraftRecord,
        step: Step,
        details: StepDetails,
    ) -> Result<DraftRecord, PublishError> {
        let four_eyes = self.rules.four_eyes(&current);
        let transition = Transition::new(current.state, step, &who.actor(), current.author_id, four_eyes)?;
        if step == Step::Approve && details.seen_revision.is_none() {
            return Err(PublishError::Incomplete(
                "name the revision you reviewed, so that no later change slips through",
            ));
        }
        let audit = AuditEntry::new(
            &who.audit_name(),
            &format!("draft.{}", step.as_str()),
            format!("draft:{}", current.public_id),
        )
        .in_org(&current.org_slug);
        let mut detail = json!({
            "account": current.account_username,
            "from": transition.from().as_str(),
            "to": transition.to().as_str(),
            "comment": details.review_comment,
            "revision": current.revision,
            "text_sha256": text_digest(&current),
        });
        if let Some(at) = details.publish_at {
            detail["publish_at"] = json!(format_rfc3339(at));
            detail["was_at"] = json!(current.content.publish_at.map(format_rfc3339));
        }
        let audit = audit.with_detail(detail);
        Ok(self.store.step_draft(current.id, &transition, details, audit).await?)
    }

    /// Publishes every approved submission whose time has come; returns how many went out.
    pub async fn publish_due(&self) -> Result<usize, PublishError> {
        let mut published = 0;
        for draft in self.store.due_drafts(now_millis(), 50).await? {
            match self.publish_one(&draft).await {
                Ok(_) => published += 1,
                // Another process published it first.
                Err(PublishError::Store(StoreError::Conflict(_))) => {}
                // It can never go out as it is: back to its author, with the reason.
                Err(
                    e @ (PublishError::Retracted(_)
                    | PublishError::Invalid(_)
                    | PublishError::UnknownAccount(_)
                    | PublishError::Ended(_)),
                ) => {
                    tracing::warn!(draft = %draft.public_id, error = %e, "approved draft cannot be published");
                    self.send_back(&draft, &e.to_string()).await?;
                }
                Err(e) => {
                    tracing::error!(draft = %draft.public_id, error = %e, "scheduled publishing failed")
                }
            }
        }
        Ok(published)
    }

    async fn send_back(&self, draft: &DraftRecord, why: &str) -> Result<(), PublishError> {
        let four_eyes = self.rules.four_eyes(draft);
        let transition =
            Transition::new(draft.state, Step::Reject, &Actor::System, draft.author_id, four_eyes)?;
        let comment = format!("Herold could not publish this: {why}");
        let audit = AuditEntry::new("system", "draft.reject", format!("draft:{}", draft.public_id))
            .in_org(&draft.org_slug)
            .with_detail(json!({ "account": draft.account_username, "comment": comment }));
        let details = StepDetails {
            content: None,
            review_comment: Some(comment),
            seen_revision: None,
            publish_at: None,
        };
        match self.store.step_draft(draft.id, &transition, details, audit).await {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn publish_one(&self, draft: &DraftRecord) -> Result<Announcement, PublishError> {
        let four_eyes = self.rules.four_eyes(draft);
        let transition =
            Transition::new(draft.state, Step::Publish, &Actor::System, draft.author_id, four_eyes)?;
        let account = self
            .store
            .account_by_id(draft.account_id)
            .await?
            .ok_or_else(|| PublishError::UnknownAccount(draft.account_username.clone()))?;
        if account.ended_at.is_some() {
            return Err(PublishError::Ended(account.username));
        }
        let mut content = draft_of(&draft.content)?;
        content.attachments = draft.media.clone();
        let attribution = json!({
            "account": account.username,
            "draft": draft.public_id,
            "author": staff_actor(draft.author_id),
            "approver": draft.reviewer_id.map(staff_actor),
            "urgent": content.urgent,
        });
        match draft.kind {
            DraftKind::Create => {
                let (new, activities) = self.publisher.prepare_create(&account, content);
                let audit = AuditEntry::new(
                    "system",
                    "announcement.publish",
                    format!("announcement:{}", new.public_id),
                )
                .in_org(&account.org_slug)
                .with_detail(attribution);
                Ok(self.store.publish_draft(draft.id, &transition, new, activities, audit).await?)
            }
            DraftKind::Edit => {
                let target = draft
                    .announcement_id
                    .ok_or_else(|| PublishError::UnknownDraft(draft.public_id.clone()))?;
                let current = self
                    .store
                    .announcement_with_id(target)
                    .await?
                    .filter(|a| a.retracted_at.is_none())
                    .ok_or_else(|| PublishError::Retracted(draft.public_id.clone()))?;
                let public_id = current.public_id.clone();
                let (edit, update) = self.publisher.prepare_edit(&account, current, content);
                let audit =
                    AuditEntry::new("system", "announcement.edit", format!("announcement:{public_id}"))
                        .in_org(&account.org_slug)
                        .with_detail(attribution);
                Ok(self.store.publish_draft_edit(draft.id, &transition, edit, update, audit).await?)
            }
        }
    }

    /// Pins an announcement to its account's profile, or unpins it: an approver's call, as
    /// it changes what the account shows first.
    pub async fn pin(
        &self,
        who: &StaffActor,
        username: &str,
        public_id: &str,
        pinned: bool,
    ) -> Result<bool, PublishError> {
        who.require(Role::Approver)?;
        self.account(&who.org, username).await?;
        self.publisher.pin(username, public_id, pinned, &who.audit_name()).await
    }

    /// Retracts a published announcement: sends `Delete`. Needs the approver role and a
    /// reason, which the audit trail keeps.
    pub async fn retract(
        &self,
        who: &StaffActor,
        username: &str,
        public_id: &str,
        reason: &str,
    ) -> Result<Announcement, PublishError> {
        who.require(Role::Approver)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PublishError::Incomplete("give a reason for the retraction"));
        }
        self.account(&who.org, username).await?;
        self.publisher.retract(username, public_id, &who.audit_name(), Some(reason)).await
    }
}
