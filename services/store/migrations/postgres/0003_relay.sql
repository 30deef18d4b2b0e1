-- The relay: servers subscribed to receive official announcements (Mastodon style, by
-- following the public collection, or LitePub style, by following the relay actor).
CREATE TABLE relay_subscribers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_uri   TEXT NOT NULL UNIQUE,
    host        TEXT NOT NULL,
    inbox       TEXT NOT NULL,
    follow_id   TEXT NOT NULL,
    style       TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX relay_subscribers_state ON relay_subscribers(state);

-- Domains (and their subdomains) the operator blocked from subscribing.
CREATE TABLE relay_blocks (
    domain      TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

-- Which of the instance's keys signs an activity that no account signs: NULL is the
-- instance actor, 'relay' the relay actor.
ALTER TABLE activities ADD COLUMN signer TEXT;
