-- Consents an official account gave to another server: to quote one of its announcements
-- (FEP-044f QuoteAuthorization) or to list the account in a collection (FEP-7aa9
-- FeatureAuthorization). Each is served at its own address while it stands; revoking it
-- (the announcement retracted) keeps the row as a tombstone until retention removes it.
CREATE TABLE interaction_stamps (
    id                 INTEGER PRIMARY KEY,
    public_id          TEXT NOT NULL UNIQUE,
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    kind               TEXT NOT NULL,
    -- The quoted announcement (NULL for a feature: the account itself is the target).
    announcement_id    INTEGER REFERENCES announcements(id),
    target             TEXT NOT NULL,
    -- The quote post or the collection, its owner, and where a revocation goes.
    interacting_object TEXT NOT NULL,
    requester          TEXT NOT NULL,
    requester_inbox    TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    UNIQUE (kind, target, interacting_object)
);
CREATE INDEX interaction_stamps_announcement ON interaction_stamps(announcement_id);
CREATE INDEX interaction_stamps_requester ON interaction_stamps(requester);
