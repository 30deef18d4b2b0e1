use herold_domain::presence::ReplyAudience;
use herold_domain::Millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub org_id: i64,
    pub org_slug: String,
    pub org_name: String,
    pub username: String,
    pub display_name: String,
    pub summary: Option<String>,
    pub public_key_pem: String,
    /// The PKCS#8 private key, sealed with the instance's key-encryption key.
    pub private_key_enc: String,
    pub created_at: Millis,
    /// The language its announcements are in unless they say otherwise (a BCP 47 tag).
    pub language: String,
    /// The Ed25519 key its activities carry integrity proofs with (FEP-8b32): the public
    /// half as a multibase Multikey, the private half sealed.
    pub proof_key_public: Option<String>,
    pub proof_key_enc: Option<String>,
    #[sqlx(try_from = "crate::sql::JsonText<AccountProfile>")]
    pub profile: AccountProfile,
    /// When its body ended it (retired it, or moved it elsewhere): it publishes no more.
    pub ended_at: Option<Millis>,
    /// The account elsewhere it moved to (an actor id).
    pub moved_to: Option<String>,
}

/// What an account shows besides its name and biography.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountProfile {
    #[serde(default)]
    pub fields: Vec<herold_domain::ProfileField>,
    #[serde(default)]
    pub avatar: Option<MediaInfo>,
    #[serde(default)]
    pub header: Option<MediaInfo>,
    /// The body's accounts on other servers that may move their followers here
    /// (`alsoKnownAs`): actor ids, as their servers give them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<String>,
}

impl AccountProfile {
    /// Its images' ids (avatar, then header).
    pub fn image_ids(&self) -> impl Iterator<Item = &str> {
        self.avatar.iter().chain(&self.header).map(|m| m.public_id.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub org_slug: String,
    pub username: String,
    pub display_name: String,
    pub summary: Option<String>,
    pub public_key_pem: String,
    pub private_key_enc: String,
    pub language: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceKey {
    pub public_key_pem: String,
    pub private_key_enc: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemoteActor {
    pub uri: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub fetched_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewFollower {
    pub account_id: i64,
    pub actor_uri: String,
    /// Where deliveries go: the follower's shared inbox if it has one.
    pub inbox: String,
    pub follow_id: String,
}

/// An activity to store and deliver. `body` is the exact JSON that will be sent.
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub uri: String,
    pub kind: String,
    pub account_id: Option<i64>,
    /// Without an account: which instance key signs it (`None` the instance actor,
    /// `Some("relay")` the relay actor).
    pub signer: Option<String>,
    pub body: String,
    pub audience: Audience,
    pub priority: Priority,
}

/// Who receives an activity. Follower sets are read inside the transaction that stores the
/// activity, so nobody who followed before the commit is missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// These inboxes (an Accept to one follower).
    Inboxes(Vec<String>),
    /// The account's followers' (shared) inboxes, and the inboxes of the accounts the
    /// announcement mentions.
    Followers { account_id: i64, mentioned: Vec<String> },
    /// The followers, plus every inbox an earlier activity about this announcement went to:
    /// a server that received the Create must also receive its Update or Delete, even if
    /// its users have unfollowed since.
    FollowersAndEarlierRecipients { account_id: i64, announcement_id: i64, mentioned: Vec<String> },
    /// The (shared) inboxes of the relay's active subscribers: of one style only, if given,
    /// and never those on `except_host` (where a relayed activity came from).
    RelaySubscribers { style: Option<crate::SubscriptionStyle>, except_host: Option<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Urgent = 0,
    Routine = 1,
    /// What a remote server's request makes us send (the Accept of a Follow, the relay's
    /// answers and follow-backs): its own lane, with a small share of the slots, so that no
    /// number of remote requests can delay an announcement.
    Answer = 2,
}

/// An image as announcements and drafts list it (the bytes stay in the media table).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaInfo {
    pub public_id: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub alt_text: String,
}

/// A further language version of an announcement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredTranslation {
    pub language: String,
    pub source_text: String,
    pub content_html: String,
}

/// What an announcement says, in every language, with its images and the accounts it
/// mentions: the same for a new announcement, an edit and a stored one, so a new column of
/// content is one field here.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AnnouncementBody {
    pub source_text: String,
    pub content_html: String,
    pub language: Option<String>,
    /// The content warning.
    pub summary: Option<String>,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<StoredTranslation>>")]
    pub translations: Vec<StoredTranslation>,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<MediaInfo>>")]
    pub attachments: Vec<MediaInfo>,
    #[sqlx(try_from = "crate::sql::JsonText<Vec<Mention>>")]
    pub mentions: Vec<Mention>,
    /// The citizen's post it answers (`inReplyTo`).
    pub in_reply_to: Option<String>,
    /// Who may reply, as its author chose; `None`: as the organisation's policy says.
    pub reply_audience: Option<String>,
}

impl AnnouncementBody {
    /// Who may reply to it: its author's choice, else the organisation's.
    pub fn replies(&self, organisation: ReplyAudience) -> ReplyAudience {
        self.reply_audience.as_deref().and_then(ReplyAudience::parse).unwrap_or(organisation)
    }
}

#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    pub public_id: String,
    pub account_id: i64,
    pub urgent: bool,
    pub published_at: Millis,
    /// Lower case, without '#', for the tag pages.
    pub hashtags: Vec<String>,
    pub body: AnnouncementBody,
}

#[derive(Debug, Clone)]
pub struct AnnouncementEdit {
    pub id: i64,
    pub updated_at: Millis,
    pub hashtags: Vec<String>,
    pub body: AnnouncementBody,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Announcement {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub urgent: bool,
    pub published_at: Millis,
    pub updated_at: Option<Millis>,
    pub retracted_at: Option<Millis>,
    /// Pinned to the account's profile (and its `featured` collection) since then.
    pub pinned_at: Option<Millis>,
    /// Its address on the body's former account, for history brought over from there.
    pub imported_from: Option<String>,
    #[sqlx(flatten)]
    pub body: AnnouncementBody,
}

/// An account a text mentions, resolved when the text was written, so that approving and
/// publishing later need no network and address whom the approver saw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mention {
    /// As shown: `@user@domain`.
    pub name: String,
    /// The actor's id.
    pub href: String,
    /// Where it is delivered; `None` for this server's own accounts.
    pub inbox: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: String,
    pub host: String,
    /// Attempts including this one.
    pub attempts: i64,
    pub created_at: Millis,
    /// The lease this claim holds; outcomes are recorded only while it is still ours.
    pub lease_until: Millis,
    /// `Priority` as stored.
    pub priority: i64,
    /// What the `hosts` table knows of the row's server at the claim: the signature scheme
    /// it took last and its failures in a row, so that a worker needs no query of its own.
    pub host_scheme: Option<String>,
    pub host_failures: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredActivity {
    pub id: i64,
    pub uri: String,
    /// `None` for activities signed by an instance key (see `signer`).
    pub account_id: Option<i64>,
    pub signer: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    Retry {
        status: Option<u16>,
        error: String,
        next_attempt_at: Millis,
    },
    Dead {
        status: Option<u16>,
        error: String,
    },
    /// Not attempted (its host was saturated): back to the queue for two seconds, the
    /// attempt not counted.
    Released,
}

impl DeliveryOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered { .. } => "delivered",
            DeliveryOutcome::Retry { .. } => "retrying",
            DeliveryOutcome::Dead { .. } => "dead",
            DeliveryOutcome::Released => "released",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HostState {
    pub consecutive_failures: i64,
    pub breaker_open_until: Option<Millis>,
    pub signature_scheme: Option<String>,
}

#[derive(Debug, Clone)]
pub enum HostReport {
    /// A delivery succeeded with this signature scheme; the breaker closes.
    Success { scheme: String },
    /// A transient failure; after enough of them in a row the breaker opens.
    Failure { error: String, open_breaker_until: Option<Millis> },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    pub delivered: i64,
    pub pending: i64,
    pub retrying: i64,
    pub dead: i64,
    pub failing_hosts: Vec<FailingHost>,
    /// For one announcement: progress per receiving server, those with deliveries still
    /// outstanding or failed first (at most `HOSTS_SHOWN`).
    pub by_host: Vec<HostProgress>,
}

/// How many servers `DeliveryStats::by_host` lists.
pub const HOSTS_SHOWN: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HostProgress {
    pub host: String,
    pub delivered: i64,
    pub pending: i64,
    pub retrying: i64,
    pub dead: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailingHost {
    pub host: String,
    pub undelivered: i64,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
}

/// Who did what to which thing. `actor` is `operator`, `system`, or a staff subject;
/// `detail` is the erasable payload (kept apart from the hashed leaf).
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub org: Option<String>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(actor: &str, action: &str, subject: impl Into<String>) -> Self {
        AuditEntry {
            org: None,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: serde_json::Value::Null,
        }
    }

    /// Adds fields to the details the caller gave (such as the reason for a step), keeping
    /// those.
    pub fn with_more_detail(mut self, more: serde_json::Value) -> Self {
        match (&mut self.detail, more) {
            (serde_json::Value::Object(detail), serde_json::Value::Object(more)) => detail.extend(more),
            (detail, more) if detail.is_null() => *detail = more,
            (detail, more) => *detail = serde_json::json!({ "given": detail.take(), "step": more }),
        }
        self
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn in_org(mut self, org: &str) -> Self {
        self.org = Some(org.to_owned());
        self
    }
}

/// A stored entry: the leaf, its seal, and `(salt, payload)` unless erased.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub leaf: herold_domain::audit::AuditLeaf,
    pub seal: String,
    pub payload: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredCheckpoint {
    pub tree_size: i64,
    pub root_hash: String,
    pub note: String,
    pub created_at: Millis,
}

/// The kinds of data Herold keeps, each with a retention rule in `policies/retention.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Who follows which account; kept while the follow lasts.
    Followers,
    /// Keys and inboxes of remote actors that sent us signed requests.
    RemoteActorCache,
    /// Finished deliveries (delivered or dead) and their errors.
    DeliveryRecords,
    /// The erasable details of audit entries (the entries themselves stay).
    AuditPayloads,
    /// The text of retracted announcements (the tombstone stays).
    RetractedAnnouncements,
    /// Rejected requests with pseudonymised client addresses (only if switched on).
    SecurityLog,
    /// Names, e-mail addresses and roles of staff who signed in.
    StaffDirectory,
    /// Staff sessions (and sign-ins under way), kept a while after they end.
    StaffSessions,
    /// Images uploaded to drafts that were never published (published ones live and go
    /// with their announcement).
    UnpublishedMedia,
    /// Per remote server we deliver to: its health (failures, breaker), the signature scheme
    /// it takes and its last error. The host of a one-person server names that person.
    DeliveryHosts,
    /// Servers subscribed to the relay; kept while the subscription lasts.
    RelaySubscribers,
    /// What the relay passed on for other servers (their activities, its Announces, Accepts
    /// and Rejects) and the ids it saw, kept to deliver them and to send each once.
    RelayTraffic,
    /// Drafts nobody finished: withdrawn, rejected and not revised, or left unsubmitted.
    AbandonedDrafts,
    /// Consents given to other servers to quote an announcement or feature an account;
    /// standing ones are kept, revoked ones a while after.
    InteractionStamps,
    /// Replies, quotes and mentions citizens sent the official accounts, as plain text with
    /// the sender's address, in the dialogue inbox.
    CitizenMessages,
    /// Keyed hashes of who liked or boosted an announcement, per announcement, so that an
    /// Undo is recognised; the counts themselves are aggregates and stay.
    ReactionPseudonyms,
    /// What staff were told in the workspace (a submission waiting, theirs approved,
    /// rejected or published), with who took the step.
    StaffNotifications,
    /// Accounts and servers an organisation no longer takes messages from, with why; kept
    /// while the block stands.
    DialogueBlocks,
    /// Changes of an account's profile waiting for approval, with who proposed them; one
    /// nobody decided on goes after a while.
    ProfileProposals,
    /// E-mail addresses subscribed to an account's announcements; kept until the person
    /// unsubscribes.
    EmailSubscriptions,
    /// Requests to subscribe by e-mail that were never confirmed.
    UnconfirmedSubscriptions,
    /// Which announcement was mailed to which subscriber, so that each goes out once.
    SubscriptionMail,
    /// Feed readers' servers subscribed to a feed through Herold's WebSub hub; kept while
    /// their lease runs.
    WebsubSubscriptions,
    /// The register of data-subject requests: who asked for what, when, by when it is due
    /// and how it was closed; open ones stay until they are closed.
    SubjectRequests,
}

/// What happens to a data class's rows at expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtExpiry {
    Delete,
    Anonymise,
    /// The rows go to the archive directory first (public-records law may require offering
    /// them to an archive), then the class's own action removes them.
    Archive,
    /// Nothing expires (with `retention = "while-needed"`).
    Keep,
}

/// Everything else about each class is its entry in `sql/classes.rs`.
impl DataClass {
    pub const ALL: [DataClass; crate::sql::CLASSES.len()] = {
        let mut all = [DataClass::Followers; crate::sql::CLASSES.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = crate::sql::CLASSES[i].class;
            i += 1;
        }
        all
    };

    pub(crate) fn spec(self) -> &'static crate::sql::ClassSpec {
        &crate::sql::CLASSES[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    pub fn parse(s: &str) -> Option<DataClass> {
        DataClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the data belongs to one organisation (else it is the instance's).
    pub fn per_org(self) -> bool {
        self.spec().per_org
    }

    /// What the class's own purge does to expired rows (a policy may add archiving first).
    pub fn at_expiry(self) -> AtExpiry {
        self.spec().at_expiry
    }
}

/// Data of `class` (in `org`, or instance-wide / without organisation when `None`) older
/// than `cutoff` has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCutoff {
    pub class: DataClass,
    pub org: Option<String>,
    pub cutoff: Millis,
}

/// How much expired data a class holds: what a retention run removes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClassCount {
    pub class: DataClass,
    pub org: Option<String>,
    pub count: i64,
    pub oldest: Option<Millis>,
}

/// Everything held about one remote actor (a data subject), for an access request.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SubjectData {
    pub follows: Vec<SubjectFollow>,
    pub actor_cache: Option<SubjectActor>,
    /// Activities about the subject: the Accept or Reject of their follows, a Follow of
    /// them (the relay's follow-back) and its Undo.
    pub activities_to_them: Vec<SubjectActivity>,
    /// Deliveries of announcements to the subject's own inbox.
    pub deliveries_to_them: Vec<SubjectDelivery>,
    /// Audit entries that name the subject in their details.
    pub audit_entries: Vec<SubjectAudit>,
    /// Their server's subscription to the relay, if they are its subscribing actor.
    pub relay_subscription: Option<SubjectRelay>,
    /// Announcements and drafts that mention them.
    pub mentioned_in: Vec<SubjectMention>,
    /// Consents given to them: to quote an announcement, or to list an account in their
    /// collection.
    pub consents: Vec<SubjectConsent>,
    /// What they sent the official accounts (replies, quotes, mentions).
    pub messages: Vec<SubjectMessage>,
    /// Organisations that blocked them, and why (an erasure leaves these: they protect the
    /// service from the abuse that led to them).
    pub blocks: Vec<SubjectBlock>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectBlock {
    pub org: String,
    pub reason: String,
    pub since: Millis,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectMessage {
    pub account: String,
    pub org: String,
    /// `reply`, `quote` or `mention`.
    pub kind: String,
    /// Their post, at their server.
    pub post: String,
    pub text: String,
    pub language: Option<String>,
    /// Whom they addressed it to: public, unlisted, followers or direct.
    pub visibility: String,
    /// Where the press office stands with it.
    pub state: String,
    pub received_at: Millis,
    pub answered_at: Option<Millis>,
    /// Since when it is shown under the announcement it answers, on its public page.
    pub shown_at: Option<Millis>,
    /// Why it is not shown there (a reason code), if the press office decided so.
    pub hidden_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectConsent {
    /// `quote` or `feature`.
    pub kind: String,
    pub account: String,
    pub org: String,
    /// What they may quote or feature, and their post or collection that does.
    pub target: String,
    pub interacting_object: String,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectMention {
    /// `announcement` or `draft`.
    pub kind: String,
    pub id: String,
    pub account: String,
    pub org: String,
    pub at: Millis,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectRelay {
    pub inbox: String,
    pub state: String,
    pub since: Millis,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectFollow {
    pub account: String,
    pub org: String,
    pub since: Millis,
    pub inbox: String,
    pub follow_id: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectActor {
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub fetched_at: Millis,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectActivity {
    pub uri: String,
    pub kind: String,
    pub created_at: Millis,
    /// The organisation whose account sent it.
    pub org: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectDelivery {
    pub kind: String,
    pub state: String,
    pub created_at: Millis,
    pub org: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SubjectAudit {
    pub seq: i64,
    pub at: Millis,
    pub action: String,
    pub payload: String,
    pub org: Option<String>,
}

/// What an erasure removed, and what a legal hold kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erasure {
    pub follows_removed: i64,
    pub follows_held: i64,
    pub actor_cache_removed: i64,
    pub activities_removed: i64,
    pub deliveries_removed: i64,
    pub audit_payloads_erased: i64,
    pub relay_subscription_removed: i64,
    /// Consents given to them, withdrawn with the record of them.
    pub consents_removed: i64,
    /// What they sent the official accounts.
    pub messages_removed: i64,
    /// Records kept because their organisation is under legal hold.
    pub items_held: i64,
    /// Announcements and drafts that mention them: official texts change only through the
    /// editorial workflow, so erasure reports them for a decision instead of rewriting them.
    pub mentions_for_review: i64,
}

/// The delivery queue at a glance, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// `(priority, state, count)` of deliveries still to do (pending or retrying).
    pub waiting: Vec<(i64, String, i64)>,
    pub dead: i64,
    /// Hosts whose last deliveries failed but whose breaker is still closed.
    pub failing_hosts: i64,
    pub open_breakers: i64,
}
