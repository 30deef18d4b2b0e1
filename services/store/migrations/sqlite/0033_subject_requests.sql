-- The register of data-subject requests (Art. 12(3) GDPR: an answer within one month of
-- receipt): who asked for what, when it arrived, by when it is due, and how it was closed
-- (retention class subject_requests; open ones are kept until they are closed).
CREATE TABLE subject_requests (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT NOT NULL UNIQUE,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    kind         TEXT NOT NULL,
    -- The person as the request names them (an address, an actor URI, staff:<n>).
    subject      TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    state        TEXT NOT NULL,
    note         TEXT,
    closed_at    INTEGER,
    created_by   INTEGER REFERENCES staff(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX subject_requests_org ON subject_requests(org_id, state, due_at);
