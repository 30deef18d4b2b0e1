-- Accounts and servers an organisation no longer takes messages from, with the reason
-- (retention class dialogue_blocks: kept while the block stands).
CREATE TABLE dialogue_blocks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    -- account: an actor id; server: a host name.
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, target)
);
