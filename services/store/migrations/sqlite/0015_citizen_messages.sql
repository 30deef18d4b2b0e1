-- What citizens send an official account: replies to its announcements, mentions and
-- quotes of it, as plain text. The dialogue inbox of its organisation (retention class
-- citizen_messages); the sender's server is the source, so an Update or Delete by the
-- sender changes or removes the copy here.
CREATE TABLE citizen_messages (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    -- The announcement it answers or quotes (NULL for a mention alone).
    announcement_id  INTEGER REFERENCES announcements(id),
    kind             TEXT NOT NULL,
    object_uri       TEXT NOT NULL,
    -- Where a person reads it on the sender's server.
    url              TEXT,
    sender_uri       TEXT NOT NULL,
    content          TEXT NOT NULL,
    language         TEXT,
    -- public, unlisted, followers or direct: an answer is addressed as the citizen addressed it.
    visibility       TEXT NOT NULL,
    state            TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (account_id, object_uri)
);
CREATE INDEX citizen_messages_account_received ON citizen_messages(account_id, received_at);
CREATE INDEX citizen_messages_sender ON citizen_messages(sender_uri);
CREATE INDEX citizen_messages_object ON citizen_messages(object_uri);
