//! The data classes Herold keeps, as one table: for each, its name, whose data it is, what
//! happens at expiry, and in SQL which rows it holds, when one has expired, what an archive
//! receives of it and how it goes. Counting, archiving and purging are built from these
//! entries, so a new class is one entry here (and its block in `policies/retention.toml`).

use crate::{AtExpiry, DataClass};

pub(crate) struct ClassSpec {
    pub class: DataClass,
    pub name: &'static str,
    /// Whether the data belongs to one organisation (else it is the instance's).
    pub per_org: bool,
    /// What this class's purge does; a policy may only add archiving before it.
    pub at_expiry: AtExpiry,
    /// The class's rows, with the joins that find their organisation (a `FROM` clause).
    rows: &'static str,
    /// When a row has expired: `$1` is the cutoff, `$2` the organisation's slug ('' for
    /// data without one).
    expired: &'static str,
    /// A row's age, for the oldest expired row.
    age: &'static str,
    /// What an archive receives of a row: `'name', value` pairs of a JSON object.
    archive: &'static str,
    /// The statements that remove expired rows, in order; `{expired}` stands for
    /// `FROM <rows> WHERE <expired>`.
    purge: &'static [&'static str],
}

impl ClassSpec {
    fn selection(&self) -> String {
        format!("FROM {} WHERE {}", self.rows, self.expired)
    }

    /// Counts the expired rows (`n`) and gives the oldest one's age (`oldest`).
    pub fn count_sql(&self) -> String {
        format!("SELECT COUNT(*) AS n, MIN({}) AS oldest {}", self.age, self.selection())
    }

    /// One JSON object (`row`) per expired row, built with the backend's `json_object`.
    pub fn archive_sql(&self, json_object: &str) -> String {
        format!("SELECT CAST({json_object}({}) AS TEXT) AS row {}", self.archive, self.selection())
    }

    pub fn purge_sql(&self) -> impl Iterator<Item = String> + '_ {
        let selection = self.selection();
        self.purge.iter().map(move |statement| statement.replace("{expired}", &selection))
    }
}

/// In the order of `DataClass`'s variants (checked when compiling), so that a class finds
/// its entry by its index.
pub(crate) const CLASSES: [ClassSpec; 24] = [
    // Kept while the follow lasts: counted for inventories, never purged by time.
    ClassSpec {
        class: DataClass::Followers,
        name: "followers",
        per_org: true,
        at_expiry: AtExpiry::Keep,
        rows: "followers f JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id",
        expired: "f.created_at < $1 AND o.slug = $2",
        age: "f.created_at",
        archive: "'actor', f.actor_uri, 'account', a.username, 'since', f.created_at",
        purge: &[],
    },
    ClassSpec {
        class: DataClass::RemoteActorCache,
        name: "remote_actor_cache",
        per_org: false,
        at_expiry: AtExpiry::Delete,
        rows: "remote_actors r",
        expired: "r.fetched_at < $1 AND $2 = $2",
        age: "r.fetched_at",
        archive: "'uri', r.uri, 'inbox', r.inbox, 'key_id', r.key_id, 'fetched_at', r.fetched_at",
        purge: &["DELETE FROM remote_actors WHERE uri IN (SELECT r.uri {expired})"],
    },
    ClassSpec {
        class: DataClass::DeliveryRecords,
        name: "delivery_records",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "deliveries d JOIN activities a ON a.id = d.activity_id \
               LEFT JOIN accounts ac ON ac.id = a.account_id LEFT JOIN organizations o ON o.id = ac.org_id",
        expired: "d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2",
        age: "d.updated_at",
        archive: "'activity', a.uri, 'inbox', d.inbox, 'state', d.state, 'attempts', d.attempts, \
                  'last_status', d.last_status, 'last_error', d.last_error, 'created_at', d.created_at, \
                  'finished_at', d.updated_at",
        purge: &["DELETE FROM deliveries WHERE id IN (SELECT d.id {expired})"],
    },
    ClassSpec {
        class: DataClass::AuditPayloads,
        name: "audit_payloads",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "audit_payloads p JOIN audit_log l ON l.seq = p.seq",
        expired: "l.at < $1 AND COALESCE(l.org, '') = $2",
        age: "l.at",
        archive: "'seq', l.seq, 'at', l.at, 'actor', l.actor, 'action', l.action, 'subject', l.subject, \
                  'salt', p.salt, 'payload', p.payload",
        purge: &["DELETE FROM audit_payloads WHERE seq IN (SELECT p.seq {expired})"],
    },
    // The text goes; the tombstone stays, so followers' servers still learn of the Delete.
    ClassSpec {
        class: DataClass::RetractedAnnouncements,
        name: "retracted_announcements",
        per_org: true,
        at_expiry: AtExpiry::Anonymise,
        rows: "announcements an JOIN accounts ac ON ac.id = an.account_id \
               JOIN organizations o ON o.id = ac.org_id",
        expired: "an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2",
        age: "an.retracted_at",
        archive: "'id', an.public_id, 'account', ac.username, 'text', an.source_text, \
                  'html', an.content_html, \
                  'language', an.language, 'summary', an.summary, 'translations', an.translations, \
                  'mentions', an.mentions, 'published_at', an.published_at, 'updated_at', an.updated_at, \
                  'retracted_at', an.retracted_at",
        purge: &[
            "UPDATE activities SET body = '{}' WHERE announcement_id IN (SELECT an.id {expired})",
            "DELETE FROM media WHERE announcement_id IN (SELECT an.id {expired})",
            "DELETE FROM announcement_tags WHERE announcement_id IN (SELECT an.id {expired})",
            "UPDATE announcements SET source_text = '', content_html = '', summary = NULL, \
             translations = '[]', \
             attachments = '[]', mentions = '[]' WHERE id IN (SELECT an.id {expired})",
        ],
    },
    ClassSpec {
        class: DataClass::SecurityLog,
        name: "security_log",
        per_org: false,
        at_expiry: AtExpiry::Delete,
        rows: "security_log s",
        expired: "s.at < $1 AND $2 = $2",
        age: "s.at",
        archive: "'at', s.at, 'event', s.event, 'client', s.client, 'detail', s.detail",
        purge: &["DELETE FROM security_log WHERE at < $1 AND $2 = $2"],
    },
    // Anonymised, not deleted: drafts and audit entries keep pointing at the row.
    ClassSpec {
        class: DataClass::StaffDirectory,
        name: "staff_directory",
        per_org: true,
        at_expiry: AtExpiry::Anonymise,
        rows: "staff st JOIN organizations o ON o.id = st.org_id",
        expired: "st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2",
        age: "st.last_sign_in_at",
        archive: "'staff', st.id, 'name', st.name, 'email', st.email, 'roles', st.roles, \
                  'first_sign_in_at', st.first_sign_in_at, 'last_sign_in_at', st.last_sign_in_at",
        purge: &[
            "DELETE FROM staff_sessions WHERE staff_id IN (SELECT st.id {expired})",
            // Messages they had go back to the press office as a whole.
            "UPDATE citizen_messages SET assignee_id = NULL WHERE assignee_id IN (SELECT st.id {expired})",
            "UPDATE staff SET name = '', email = NULL, roles = '', time_zone = NULL, subject = 'anonymised-' || \
             CAST(id AS TEXT) \
             WHERE id IN (SELECT st.id {expired})",
        ],
    },
    // A session ends when signed out, at its absolute limit, or when it sits idle.
    ClassSpec {
        class: DataClass::StaffSessions,
        name: "staff_sessions",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "staff_sessions s JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id",
        expired: "(CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
                  WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
                  ELSE s.expires_at END) < $1 AND o.slug = $2",
        age: "s.created_at",
        archive: "'staff', s.staff_id, 'created_at', s.created_at, 'last_seen_at', s.last_seen_at, \
                  'ended_at', s.ended_at",
        purge: &[
            "DELETE FROM staff_sessions WHERE token_hash IN (SELECT s.token_hash {expired})",
            "DELETE FROM sign_in_attempts WHERE created_at < $1 AND org_slug = $2",
        ],
    },
    // Images no published announcement shows and no draft in progress still holds.
    ClassSpec {
        class: DataClass::UnpublishedMedia,
        name: "unpublished_media",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "media m JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id",
        expired: "m.announcement_id IS NULL AND m.profile_of IS NULL AND m.created_at < $1 \
                  AND o.slug = $2 AND NOT EXISTS \
                  (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
                  AND d.state IN ('draft', 'submitted', 'approved', 'rejected') \
                  AND d.media LIKE '%' || m.public_id || '%') AND NOT EXISTS \
                  (SELECT 1 FROM profile_proposals p WHERE p.account_id = m.account_id \
                  AND p.profile LIKE '%' || m.public_id || '%')",
        age: "m.created_at",
        archive: "'image', m.public_id, 'account', a.username, 'content_type', m.content_type, \
                  'alt_text', m.alt_text, 'created_at', m.created_at",
        purge: &["DELETE FROM media WHERE id IN (SELECT m.id {expired})"],
    },
    // A server's delivery health, unused since the cutoff; one with deliveries still
    // queued keeps its row (its breaker protects them).
    ClassSpec {
        class: DataClass::DeliveryHosts,
        name: "delivery_hosts",
        per_org: false,
        at_expiry: AtExpiry::Delete,
        rows: "hosts h",
        expired: "h.updated_at < $1 AND $2 = $2 AND NOT EXISTS \
                  (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state IN ('pending', 'retrying'))",
        age: "h.updated_at",
        archive: "'host', h.host, 'failures', h.consecutive_failures, 'scheme', h.signature_scheme, \
                  'last_error', h.last_error, 'updated_at', h.updated_at",
        purge: &["DELETE FROM hosts WHERE host IN (SELECT h.host {expired})"],
    },
    // Kept while subscribed: counted for inventories, never purged by time.
    ClassSpec {
        class: DataClass::RelaySubscribers,
        name: "relay_subscribers",
        per_org: false,
        at_expiry: AtExpiry::Keep,
        rows: "relay_subscribers r",
        expired: "r.created_at < $1 AND $2 = $2",
        age: "r.created_at",
        archive: "'actor', r.actor_uri, 'inbox', r.inbox, 'state', r.state, 'since', r.created_at",
        purge: &[],
    },
    // Relay-signed activities no announcement owns (passed-on posts, Announces of them,
    // Accepts and Rejects) and the ids the relay saw, with the activities' deliveries. An
    // activity still being delivered waits for its deliveries to finish. The newest
    // activity stays: SQLite would hand its id to the next one, and workers cache bodies
    // by id.
    ClassSpec {
        class: DataClass::RelayTraffic,
        name: "relay_traffic",
        per_org: false,
        at_expiry: AtExpiry::Delete,
        rows: "(SELECT created_at AS at, uri AS id, kind, body FROM activities \
               WHERE signer = 'relay' AND announcement_id IS NULL \
               UNION ALL SELECT seen_at, key, 'seen', NULL FROM relay_seen) t",
        expired: "t.at < $1 AND $2 = $2",
        age: "t.at",
        archive: "'id', t.id, 'kind', t.kind, 'body', t.body, 'at', t.at",
        purge: &[
            "DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND activity_id IN \
             (SELECT id FROM activities WHERE signer = 'relay' AND announcement_id IS NULL \
             AND created_at < $1 AND $2 = $2)",
            "DELETE FROM activities WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 \
             AND $2 = $2 AND id < (SELECT MAX(id) FROM activities) \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = activities.id)",
            "DELETE FROM relay_seen WHERE seen_at < $1 AND $2 = $2",
        ],
    },
    // Drafts that stopped short of an announcement, by their last change. Submitted and
    // approved ones wait for a person or their time; published ones say who wrote and
    // approved an announcement and stay with it. Their images follow as unpublished media.
    ClassSpec {
        class: DataClass::AbandonedDrafts,
        name: "abandoned_drafts",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "drafts d JOIN accounts a ON a.id = d.account_id JOIN organizations o ON o.id = a.org_id",
        expired: "d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2",
        age: "d.updated_at",
        archive: "'draft', d.public_id, 'account', a.username, 'state', d.state, 'text', d.source_text, \
                  'language', d.language, 'summary', d.summary, 'translations', d.translations, \
                  'mentions', d.mentions, 'author', d.author_id, 'reviewer', d.reviewer_id, \
                  'review_comment', d.review_comment, 'updated_at', d.updated_at",
        purge: &["DELETE FROM drafts WHERE id IN (SELECT d.id {expired})"],
    },
    // A consent stands while its announcement (or account) does; once revoked, it stays a
    // while as a tombstone that tells the quoting server it is gone.
    ClassSpec {
        class: DataClass::InteractionStamps,
        name: "interaction_stamps",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "interaction_stamps s JOIN accounts a ON a.id = s.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "s.revoked_at IS NOT NULL AND s.revoked_at < $1 AND o.slug = $2",
        age: "s.revoked_at",
        archive: "'stamp', s.public_id, 'kind', s.kind, 'account', a.username, 'target', s.target, \
                  'interacting_object', s.interacting_object, 'requester', s.requester, \
                  'created_at', s.created_at, 'revoked_at', s.revoked_at",
        purge: &["DELETE FROM interaction_stamps WHERE id IN (SELECT s.id {expired})"],
    },
    // By when it arrived, whatever staff did with it: an answered message is no reason to
    // keep a citizen's words longer.
    ClassSpec {
        class: DataClass::CitizenMessages,
        name: "citizen_messages",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "citizen_messages m JOIN accounts a ON a.id = m.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "m.received_at < $1 AND o.slug = $2",
        age: "m.received_at",
        archive: "'message', m.public_id, 'account', a.username, 'kind', m.kind, 'post', m.object_uri, \
                  'sender', m.sender_uri, 'text', m.content, 'language', m.language, \
                  'visibility', m.visibility, 'state', m.state, 'received_at', m.received_at, \
                  'answered_at', m.answered_at, 'shown_at', m.shown_at, 'hidden_reason', m.hidden_reason",
        purge: &["DELETE FROM citizen_messages WHERE id IN (SELECT m.id {expired})"],
    },
    // Only the hashes go: an Undo after this is no longer recognised, and the counts stay.
    ClassSpec {
        class: DataClass::ReactionPseudonyms,
        name: "reaction_pseudonyms",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "reaction_pseudonyms r JOIN announcements an ON an.id = r.announcement_id \
               JOIN accounts a ON a.id = an.account_id JOIN organizations o ON o.id = a.org_id",
        expired: "r.at < $1 AND o.slug = $2",
        age: "r.at",
        archive: "'announcement', an.public_id, 'kind', r.kind, 'pseudonym', r.pseudonym, 'at', r.at",
        purge: &["DELETE FROM reaction_pseudonyms WHERE at < $1 AND announcement_id IN \
                  (SELECT an.id FROM announcements an JOIN accounts a ON a.id = an.account_id \
                  JOIN organizations o ON o.id = a.org_id WHERE o.slug = $2)"],
    },
    ClassSpec {
        class: DataClass::StaffNotifications,
        name: "staff_notifications",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "notifications n JOIN staff s ON s.id = n.staff_id JOIN organizations o ON o.id = s.org_id",
        expired: "n.created_at < $1 AND o.slug = $2",
        age: "n.created_at",
        archive: "'staff', n.staff_id, 'kind', n.kind, 'draft', n.draft, 'by', n.by_staff, \
                  'comment', n.comment, 'created_at', n.created_at, 'read_at', n.read_at",
        purge: &["DELETE FROM notifications WHERE id IN (SELECT n.id {expired})"],
    },
    // Kept while the block stands: lifting it removes it.
    ClassSpec {
        class: DataClass::DialogueBlocks,
        name: "dialogue_blocks",
        per_org: true,
        at_expiry: AtExpiry::Keep,
        rows: "dialogue_blocks b JOIN organizations o ON o.id = b.org_id",
        expired: "b.created_at < $1 AND o.slug = $2",
        age: "b.created_at",
        archive: "'kind', b.kind, 'target', b.target, 'reason', b.reason, 'created_at', b.created_at",
        purge: &[],
    },
    // A proposal nobody decided on; the images it brought then go as unpublished media.
    ClassSpec {
        class: DataClass::ProfileProposals,
        name: "profile_proposals",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "profile_proposals p JOIN accounts a ON a.id = p.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "p.created_at < $1 AND o.slug = $2",
        age: "p.created_at",
        archive: "'proposal', p.public_id, 'account', a.username, 'display_name', p.display_name, \
                  'summary', p.summary, 'profile', p.profile, 'proposed_by', p.proposed_by, \
                  'created_at', p.created_at",
        purge: &["DELETE FROM profile_proposals WHERE id IN (SELECT p.id {expired})"],
    },
    // Kept while subscribed: unsubscribing removes the address at once.
    ClassSpec {
        class: DataClass::EmailSubscriptions,
        name: "email_subscriptions",
        per_org: true,
        at_expiry: AtExpiry::Keep,
        rows: "email_subscribers s JOIN accounts a ON a.id = s.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "s.confirmed_at IS NOT NULL AND s.confirmed_at < $1 AND o.slug = $2",
        age: "s.confirmed_at",
        archive: "'account', a.username, 'email', s.email, 'language', s.language, \
                  'created_at', s.created_at, 'confirmed_at', s.confirmed_at",
        purge: &[],
    },
    // A request nobody confirmed: the address may not even be the requester's.
    ClassSpec {
        class: DataClass::UnconfirmedSubscriptions,
        name: "unconfirmed_subscriptions",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "email_subscribers s JOIN accounts a ON a.id = s.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "s.confirmed_at IS NULL AND s.created_at < $1 AND o.slug = $2",
        age: "s.created_at",
        archive: "'account', a.username, 'email', s.email, 'language', s.language, \
                  'created_at', s.created_at, 'confirm_sent_at', s.confirm_sent_at",
        purge: &["DELETE FROM email_subscribers WHERE id IN (SELECT s.id {expired})"],
    },
    // Only the record of sending goes; mail is sent for a day's announcements at most, so
    // an expired record can no longer make an announcement go out twice.
    ClassSpec {
        class: DataClass::SubscriptionMail,
        name: "subscription_mail",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "email_sends e JOIN email_subscribers s ON s.id = e.subscriber_id \
               JOIN accounts a ON a.id = s.account_id JOIN organizations o ON o.id = a.org_id",
        expired: "e.sent_at < $1 AND o.slug = $2",
        age: "e.sent_at",
        archive: "'account', a.username, 'email', s.email, 'announcement', e.announcement_id, \
                  'sent_at', e.sent_at",
        purge: &["DELETE FROM email_sends WHERE sent_at < $1 AND subscriber_id IN \
                  (SELECT s.id FROM email_subscribers s JOIN accounts a ON a.id = s.account_id \
                  JOIN organizations o ON o.id = a.org_id WHERE o.slug = $2)"],
    },
    // Kept while the lease runs: the hub ends it when it runs out or deliveries keep failing.
    ClassSpec {
        class: DataClass::WebsubSubscriptions,
        name: "websub_subscriptions",
        per_org: true,
        at_expiry: AtExpiry::Keep,
        rows: "websub_subscriptions w JOIN accounts a ON a.id = w.account_id \
               JOIN organizations o ON o.id = a.org_id",
        expired: "w.created_at < $1 AND o.slug = $2",
        age: "w.created_at",
        archive: "'account', a.username, 'format', w.format, 'callback', w.callback, \
                  'expires_at', w.expires_at, 'created_at', w.created_at",
        purge: &[],
    },
    // Kept while open; a closed request is the organisation's record of having answered.
    ClassSpec {
        class: DataClass::SubjectRequests,
        name: "subject_requests",
        per_org: true,
        at_expiry: AtExpiry::Delete,
        rows: "subject_requests r JOIN organizations o ON o.id = r.org_id",
        expired: "r.closed_at IS NOT NULL AND r.closed_at < $1 AND o.slug = $2",
        age: "r.closed_at",
        archive: "'kind', r.kind, 'subject', r.subject, 'received_at', r.received_at, 'due_at', r.due_at, \
                  'state', r.state, 'note', r.note, 'closed_at', r.closed_at",
        purge: &["DELETE FROM subject_requests WHERE id IN (SELECT r.id {expired})"],
    },
];

const _: () = {
    let mut i = 0;
    while i < CLASSES.len() {
        assert!(
            CLASSES[i].class as usize == i,
            "CLASSES must list the data classes in the order of DataClass"
        );
        i += 1;
    }
};
