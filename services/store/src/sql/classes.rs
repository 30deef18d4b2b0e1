//! What each data class's retention means in SQL: which rows have expired, how they are
//! purged, and what an archive receives of them.

use crate::DataClass;

/// For a data class: the statement counting expired rows (`$1` cutoff, `$2` organisation
/// slug or '' for data without one) and the statements that purge them.
pub(crate) fn retention_sql(class: DataClass) -> (&'static str, &'static [&'static str]) {
    match class {
        // Followers are kept while the follow lasts: counted for inventories, never purged
        // by time (no cutoff is ever made for them).
        DataClass::Followers => (
            "SELECT COUNT(*) AS n, MIN(f.created_at) AS oldest FROM followers f \
             JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE f.created_at < $1 AND o.slug = $2",
            &[],
        ),
        DataClass::RemoteActorCache => (
            "SELECT COUNT(*) AS n, MIN(fetched_at) AS oldest FROM remote_actors WHERE fetched_at < $1 AND $2 = $2",
            &["DELETE FROM remote_actors WHERE fetched_at < $1 AND $2 = $2"],
        ),
        DataClass::DeliveryRecords => (
            "SELECT COUNT(*) AS n, MIN(d.updated_at) AS oldest FROM deliveries d \
             JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
             LEFT JOIN organizations o ON o.id = ac.org_id \
             WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2",
            &["DELETE FROM deliveries WHERE id IN (SELECT d.id FROM deliveries d \
               JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
               LEFT JOIN organizations o ON o.id = ac.org_id \
               WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2)"],
        ),
        DataClass::AuditPayloads => (
            "SELECT COUNT(*) AS n, MIN(l.at) AS oldest FROM audit_payloads p JOIN audit_log l ON l.seq = p.seq \
             WHERE l.at < $1 AND COALESCE(l.org, '') = $2",
            &["DELETE FROM audit_payloads WHERE seq IN \
               (SELECT seq FROM audit_log WHERE at < $1 AND COALESCE(org, '') = $2)"],
        ),
        DataClass::SecurityLog => (
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM security_log WHERE at < $1 AND $2 = $2",
            &["DELETE FROM security_log WHERE at < $1 AND $2 = $2"],
        ),
        // Staff are anonymised, not deleted: drafts and audit entries keep pointing at a row.
        DataClass::StaffDirectory => (
            "SELECT COUNT(*) AS n, MIN(st.last_sign_in_at) AS oldest FROM staff st \
             JOIN organizations o ON o.id = st.org_id \
             WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2",
            &[
                "DELETE FROM staff_sessions WHERE staff_id IN (SELECT st.id FROM staff st \
                 JOIN organizations o ON o.id = st.org_id \
                 WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2)",
                "UPDATE staff SET name = '', email = NULL, roles = '', subject = 'anonymised-' || CAST(id AS TEXT) \
                 WHERE id IN (SELECT st.id FROM staff st JOIN organizations o ON o.id = st.org_id \
                 WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2)",
            ],
        ),
        // A server's delivery health, unused since the cutoff; one with deliveries still
        // queued keeps its row (its breaker protects them).
        DataClass::DeliveryHosts => (
            "SELECT COUNT(*) AS n, MIN(updated_at) AS oldest FROM hosts h WHERE h.updated_at < $1 AND $2 = $2 \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state IN ('pending', 'retrying'))",
            &["DELETE FROM hosts WHERE updated_at < $1 AND $2 = $2 AND NOT EXISTS \
               (SELECT 1 FROM deliveries d WHERE d.host = hosts.host AND d.state IN ('pending', 'retrying'))"],
        ),
        // Kept while subscribed: counted for inventories, never purged by time.
        DataClass::RelaySubscribers => (
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM relay_subscribers WHERE created_at < $1 AND $2 = $2",
            &[],
        ),
        // Relay-signed activities no announcement owns: passed-on posts, Announces of them,
        // Accepts and Rejects; with their deliveries and the ids seen. An activity still
        // being delivered waits for its deliveries to finish. The newest activity stays:
        // SQLite would hand its id to the next activity, and workers cache bodies by id.
        DataClass::RelayTraffic => (
            "SELECT COUNT(*) AS n, MIN(t) AS oldest FROM (SELECT created_at AS t FROM activities \
             WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 \
             UNION ALL SELECT seen_at AS t FROM relay_seen WHERE seen_at < $1) expired WHERE $2 = $2",
            &[
                "DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND activity_id IN \
                 (SELECT id FROM activities WHERE signer = 'relay' AND announcement_id IS NULL \
                 AND created_at < $1 AND $2 = $2)",
                "DELETE FROM activities WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 \
                 AND $2 = $2 AND id < (SELECT MAX(id) FROM activities) \
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = activities.id)",
                "DELETE FROM relay_seen WHERE seen_at < $1 AND $2 = $2",
            ],
        ),
        // Drafts that stopped short of an announcement, by their last change. Submitted and
        // approved ones wait for a person or their time; published ones say who wrote and
        // approved an announcement and stay with it. Their images follow as unpublished media.
        DataClass::AbandonedDrafts => (
            "SELECT COUNT(*) AS n, MIN(d.updated_at) AS oldest FROM drafts d JOIN accounts a ON a.id = d.account_id \
             JOIN organizations o ON o.id = a.org_id \
             WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2",
            &["DELETE FROM drafts WHERE id IN (SELECT d.id FROM drafts d JOIN accounts a ON a.id = d.account_id \
               JOIN organizations o ON o.id = a.org_id \
               WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2)"],
        ),
        // Images no published announcement shows and no draft in progress still holds.
        DataClass::UnpublishedMedia => (
            "SELECT COUNT(*) AS n, MIN(m.created_at) AS oldest FROM media m JOIN accounts a ON a.id = m.account_id \
             JOIN organizations o ON o.id = a.org_id WHERE m.announcement_id IS NULL AND m.created_at < $1 \
             AND o.slug = $2 AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
             AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%')",
            &["DELETE FROM media WHERE id IN (SELECT m.id FROM media m JOIN accounts a ON a.id = m.account_id \
               JOIN organizations o ON o.id = a.org_id WHERE m.announcement_id IS NULL AND m.created_at < $1 \
               AND o.slug = $2 AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
               AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%'))"],
        ),
        // A session ends when signed out, at its absolute limit, or when it sits idle.
        DataClass::StaffSessions => (
            "SELECT COUNT(*) AS n, MIN(s.created_at) AS oldest FROM staff_sessions s \
             JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
             WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
             WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
             ELSE s.expires_at END) < $1 AND o.slug = $2",
            &[
                "DELETE FROM staff_sessions WHERE token_hash IN (SELECT s.token_hash FROM staff_sessions s \
                 JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
                 WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
                 WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
                 ELSE s.expires_at END) < $1 AND o.slug = $2)",
                "DELETE FROM sign_in_attempts WHERE created_at < $1 AND org_slug = $2",
            ],
        ),
        DataClass::RetractedAnnouncements => (
            "SELECT COUNT(*) AS n, MIN(an.retracted_at) AS oldest FROM announcements an \
             JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2",
            &[
                "UPDATE activities SET body = '{}' WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "DELETE FROM media WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "DELETE FROM announcement_tags WHERE announcement_id IN (SELECT an.id FROM announcements an \
                 JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
                "UPDATE announcements SET source_text = '', content_html = '', summary = NULL, translations = '[]', \
                 attachments = '[]', mentions = '[]' WHERE id IN \
                 (SELECT an.id FROM announcements an JOIN accounts ac ON ac.id = an.account_id \
                 JOIN organizations o ON o.id = ac.org_id \
                 WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2)",
            ],
        ),
    }
}

/// For a data class: what a retention run about to remove it hands to the archive, one
/// JSON object per row (`{json}` stands for the backend's JSON object builder; `$1`
/// cutoff, `$2` organisation slug or '').
pub(crate) fn retention_rows_sql(class: DataClass) -> &'static str {
    match class {
        DataClass::Followers => {
            "SELECT CAST({json}('actor', f.actor_uri, 'account', a.username, 'since', f.created_at) AS TEXT) AS row \
             FROM followers f JOIN accounts a ON a.id = f.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE f.created_at < $1 AND o.slug = $2"
        }
        DataClass::RemoteActorCache => {
            "SELECT CAST({json}('uri', uri, 'inbox', inbox, 'key_id', key_id, 'fetched_at', fetched_at) AS TEXT) AS row \
             FROM remote_actors WHERE fetched_at < $1 AND $2 = $2"
        }
        DataClass::DeliveryRecords => {
            "SELECT CAST({json}('activity', a.uri, 'inbox', d.inbox, 'state', d.state, 'attempts', d.attempts, \
             'last_status', d.last_status, 'last_error', d.last_error, 'created_at', d.created_at, \
             'finished_at', d.updated_at) AS TEXT) AS row FROM deliveries d \
             JOIN activities a ON a.id = d.activity_id LEFT JOIN accounts ac ON ac.id = a.account_id \
             LEFT JOIN organizations o ON o.id = ac.org_id \
             WHERE d.state IN ('delivered', 'dead') AND d.updated_at < $1 AND COALESCE(o.slug, '') = $2"
        }
        DataClass::AuditPayloads => {
            "SELECT CAST({json}('seq', l.seq, 'at', l.at, 'actor', l.actor, 'action', l.action, 'subject', l.subject, \
             'salt', p.salt, 'payload', p.payload) AS TEXT) AS row FROM audit_payloads p JOIN audit_log l ON l.seq = p.seq \
             WHERE l.at < $1 AND COALESCE(l.org, '') = $2"
        }
        DataClass::SecurityLog => {
            "SELECT CAST({json}('at', at, 'event', event, 'client', client, 'detail', detail) AS TEXT) AS row \
             FROM security_log WHERE at < $1 AND $2 = $2"
        }
        DataClass::RetractedAnnouncements => {
            "SELECT CAST({json}('id', an.public_id, 'account', ac.username, 'text', an.source_text, \
             'html', an.content_html, 'language', an.language, 'summary', an.summary, 'translations', an.translations, \
             'mentions', an.mentions, 'published_at', an.published_at, 'updated_at', an.updated_at, 'retracted_at', an.retracted_at) AS TEXT) AS row \
             FROM announcements an JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             WHERE an.retracted_at < $1 AND an.source_text <> '' AND o.slug = $2"
        }
        DataClass::StaffDirectory => {
            "SELECT CAST({json}('staff', st.id, 'name', st.name, 'email', st.email, 'roles', st.roles, \
             'first_sign_in_at', st.first_sign_in_at, 'last_sign_in_at', st.last_sign_in_at) AS TEXT) AS row \
             FROM staff st JOIN organizations o ON o.id = st.org_id \
             WHERE st.last_sign_in_at < $1 AND st.subject NOT LIKE 'anonymised-%' AND o.slug = $2"
        }
        DataClass::RelaySubscribers => {
            "SELECT CAST({json}('actor', actor_uri, 'inbox', inbox, 'state', state, 'since', created_at) AS TEXT) AS row \
             FROM relay_subscribers WHERE created_at < $1 AND $2 = $2"
        }
        DataClass::RelayTraffic => {
            "SELECT CAST({json}('activity', uri, 'kind', kind, 'body', body, 'created_at', created_at) AS TEXT) AS row \
             FROM activities WHERE signer = 'relay' AND announcement_id IS NULL AND created_at < $1 AND $2 = $2"
        }
        DataClass::DeliveryHosts => {
            "SELECT CAST({json}('host', h.host, 'failures', h.consecutive_failures, 'scheme', h.signature_scheme, \
             'last_error', h.last_error, 'updated_at', h.updated_at) AS TEXT) AS row FROM hosts h \
             WHERE h.updated_at < $1 AND $2 = $2 AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.host = h.host AND d.state IN ('pending', 'retrying'))"
        }
        DataClass::AbandonedDrafts => {
            "SELECT CAST({json}('draft', d.public_id, 'account', a.username, 'state', d.state, 'text', d.source_text, \
             'language', d.language, 'summary', d.summary, 'translations', d.translations, 'mentions', d.mentions, \
             'author', d.author_id, 'reviewer', d.reviewer_id, 'review_comment', d.review_comment, \
             'updated_at', d.updated_at) AS TEXT) AS row FROM drafts d JOIN accounts a ON a.id = d.account_id \
             JOIN organizations o ON o.id = a.org_id \
             WHERE d.state IN ('draft', 'rejected', 'withdrawn') AND d.updated_at < $1 AND o.slug = $2"
        }
        DataClass::UnpublishedMedia => {
            "SELECT CAST({json}('image', m.public_id, 'account', a.username, 'content_type', m.content_type, \
             'alt_text', m.alt_text, 'created_at', m.created_at) AS TEXT) AS row FROM media m \
             JOIN accounts a ON a.id = m.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE m.announcement_id IS NULL AND m.created_at < $1 AND o.slug = $2 AND NOT EXISTS \
             (SELECT 1 FROM drafts d WHERE d.account_id = m.account_id \
             AND d.state IN ('draft', 'submitted', 'approved', 'rejected') AND d.media LIKE '%' || m.public_id || '%')"
        }
        DataClass::StaffSessions => {
            "SELECT CAST({json}('staff', s.staff_id, 'created_at', s.created_at, 'last_seen_at', s.last_seen_at, \
             'ended_at', s.ended_at) AS TEXT) AS row FROM staff_sessions s \
             JOIN staff st ON st.id = s.staff_id JOIN organizations o ON o.id = st.org_id \
             WHERE (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at \
             WHEN s.last_seen_at + s.idle_ms < s.expires_at THEN s.last_seen_at + s.idle_ms \
             ELSE s.expires_at END) < $1 AND o.slug = $2"
        }
    }
}
