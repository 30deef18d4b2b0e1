-- Feed readers' servers subscribed to an account's feed through Herold's WebSub hub: where
-- to send each new version (the callback, a URL of the subscriber's), the secret it is
-- signed with, and until when (its lease). Class websub_subscriptions: kept while the lease
-- runs.
CREATE TABLE websub_subscriptions (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    -- atom, rss or json.
    format          TEXT NOT NULL,
    callback        TEXT NOT NULL,
    secret          TEXT,
    expires_at      INTEGER NOT NULL,
    -- Announcements published up to here were sent.
    notified_until  INTEGER NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, format, callback)
);
