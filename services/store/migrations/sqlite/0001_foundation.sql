-- Instants are INTEGER milliseconds since the Unix epoch on both backends.
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    summary          TEXT,
    public_key_pem   TEXT NOT NULL,
    private_key_enc  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

-- Keys of actors that belong to the instance rather than a public body (the instance actor
-- that signs our fetches; later the relay actor).
CREATE TABLE instance_keys (
    name             TEXT PRIMARY KEY,
    public_key_pem   TEXT NOT NULL,
    private_key_enc  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE remote_actors (
    uri             TEXT PRIMARY KEY,
    inbox           TEXT NOT NULL,
    shared_inbox    TEXT,
    key_id          TEXT NOT NULL,
    public_key_pem  TEXT NOT NULL,
    fetched_at      INTEGER NOT NULL
);
CREATE INDEX remote_actors_key_id ON remote_actors(key_id);

CREATE TABLE followers (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    actor_uri    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    follow_id    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, actor_uri)
);
CREATE INDEX followers_actor ON followers(actor_uri);

CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY,
    public_id     TEXT NOT NULL UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    source_text   TEXT NOT NULL,
    content_html  TEXT NOT NULL,
    language      TEXT,
    summary       TEXT,
    urgent        BOOLEAN NOT NULL,
    published_at  INTEGER NOT NULL,
    updated_at    INTEGER,
    retracted_at  INTEGER
);
CREATE INDEX announcements_account ON announcements(account_id, published_at);

-- Every activity we send, serialised once; deliveries send exactly these bytes.
CREATE TABLE activities (
    id               INTEGER PRIMARY KEY,
    uri              TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    account_id       INTEGER REFERENCES accounts(id),
    announcement_id  INTEGER REFERENCES announcements(id),
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX activities_announcement ON activities(announcement_id);

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    activity_id      INTEGER NOT NULL REFERENCES activities(id),
    inbox            TEXT NOT NULL,
    host             TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries(state, priority, next_attempt_at);
CREATE INDEX deliveries_host ON deliveries(host, state);

CREATE TABLE hosts (
    host                  TEXT PRIMARY KEY,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    breaker_open_until    INTEGER,
    signature_scheme      TEXT,
    last_error            TEXT,
    updated_at            INTEGER NOT NULL
);

-- Append-only record of staff, operator and system actions, written in the same transaction
-- as the action it records. Each row is a leaf of an RFC 9162 Merkle tree; `seal` is a keyed
-- hash of the leaf with a key kept outside the database. Personal details sit in
-- audit_payloads behind `payload_commitment` (SHA-256 of salt and payload), so erasing a
-- payload leaves the tree verifiable.
CREATE TABLE audit_log (
    seq                 INTEGER PRIMARY KEY,
    at                  INTEGER NOT NULL,
    org                 TEXT,
    actor               TEXT NOT NULL,
    action              TEXT NOT NULL,
    subject             TEXT NOT NULL,
    payload_commitment  TEXT NOT NULL,
    seal                TEXT NOT NULL
);

CREATE TABLE audit_payloads (
    seq      INTEGER PRIMARY KEY REFERENCES audit_log(seq),
    salt     TEXT NOT NULL,
    payload  TEXT NOT NULL
);

-- Signed tree heads (C2SP signed notes). Copies live outside the database too.
CREATE TABLE audit_checkpoints (
    tree_size   INTEGER PRIMARY KEY,
    root_hash   TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Off unless the operator turns the security log on; then rejected requests are kept with a
-- pseudonym of the client address (never the address), for the security_log retention.
CREATE TABLE security_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    client     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX security_log_at ON security_log(at);

-- Scheduled jobs (checkpoints, retention) run once per period across all processes: the
-- one holding a job's lease runs it.
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    lease_until  INTEGER NOT NULL
);
