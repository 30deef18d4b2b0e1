-- Who may publish through the relay besides the official accounts: a domain (covering its
-- subdomains) or one actor, entered by the operator.
CREATE TABLE relay_publishers (
    entry       TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
);

-- Activity and object ids the relay has passed on, so that a repeat, or the same post on a
-- second path (a publisher's Create and another relay's Announce of it), goes out once.
-- Purged with the relay traffic it belongs to.
CREATE TABLE relay_seen (
    key      TEXT PRIMARY KEY,
    seen_at  INTEGER NOT NULL
);
CREATE INDEX relay_seen_at ON relay_seen(seen_at);

-- The relay's own traffic (activities no account signs and no announcement owns) is
-- purged by age.
CREATE INDEX activities_signer ON activities(signer, created_at);

-- Since when a host has failed without a success in between: relay subscribers whose
-- inbox has been unreachable for longer than relay.suspend_after_hours are suspended.
ALTER TABLE hosts ADD COLUMN failing_since INTEGER;
