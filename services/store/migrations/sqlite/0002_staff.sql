-- Staff who signed in through their organisation's OpenID provider. Name and e-mail are
-- personal data (class staff_directory); the row itself stays so that drafts and the audit
-- trail keep pointing at someone, anonymised once the retention has passed.
CREATE TABLE staff (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    issuer           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT,
    roles            TEXT NOT NULL,
    first_sign_in_at INTEGER NOT NULL,
    last_sign_in_at  INTEGER NOT NULL,
    UNIQUE (org_id, issuer, subject)
);

-- Server-side sessions; the cookie carries a random token whose SHA-256 is the key here.
CREATE TABLE staff_sessions (
    token_hash    TEXT PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff(id),
    roles         TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    provider_sid  TEXT,
    id_token      TEXT,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    idle_ms       INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);
CREATE INDEX staff_sessions_sid ON staff_sessions(provider_sid);

-- A sign-in under way: what the callback must see again (state, nonce, PKCE verifier),
-- bound to the browser by a cookie whose SHA-256 is the key. Used once.
CREATE TABLE sign_in_attempts (
    token_hash     TEXT PRIMARY KEY,
    org_slug       TEXT NOT NULL,
    state          TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

-- Submissions moving through the editorial workflow: a new announcement, or an edit of a
-- published one (announcement_id set from the start).
CREATE TABLE drafts (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    announcement_id  INTEGER REFERENCES announcements(id),
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    -- Counts changes to what an approver sees (text, images, each submission): an approval
    -- names the revision it saw, so a change in between cannot slip through.
    revision         INTEGER NOT NULL DEFAULT 1,
    source_text      TEXT NOT NULL,
    language         TEXT,
    summary          TEXT,
    urgent           BOOLEAN NOT NULL,
    -- Further language versions: JSON [{"language", "text"}].
    translations     TEXT NOT NULL DEFAULT '[]',
    -- Attached images: JSON [{"public_id", "content_type", "width", "height", "alt_text"}].
    media            TEXT NOT NULL DEFAULT '[]',
    publish_at       INTEGER,
    author_id        INTEGER NOT NULL REFERENCES staff(id),
    reviewer_id      INTEGER REFERENCES staff(id),
    review_comment   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX drafts_account_state ON drafts(account_id, state);
CREATE INDEX drafts_due ON drafts(state, publish_at);

-- Further language versions of a published announcement: JSON [{"language",
-- "source_text", "content_html"}], sent in contentMap beside the primary text.
ALTER TABLE announcements ADD COLUMN translations TEXT NOT NULL DEFAULT '[]';

-- Images attached to announcements, with their metadata already stripped. Public once an
-- announcement that shows them is published (announcement_id), until it is retracted.
CREATE TABLE media (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    announcement_id  INTEGER REFERENCES announcements(id),
    content_type     TEXT NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    alt_text         TEXT NOT NULL,
    bytes            BLOB NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX media_announcement ON media(announcement_id);

-- The images of a published announcement, as in drafts.media.
ALTER TABLE announcements ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

-- Follower counts per account and day (UTC), for the chart on the staff account page.
-- Aggregates only: nobody is named.
CREATE TABLE follower_counts (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    day         TEXT NOT NULL,
    followers   INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
);
