-- Whether the web pages named in an account's profile fields link back to it (rel="me"),
-- as Herold last found. Official websites only; nobody's personal data.
CREATE TABLE link_checks (
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    url         TEXT NOT NULL,
    verified    BOOLEAN NOT NULL,
    -- Why it could not be read, naming the server only; NULL when it was read.
    problem     TEXT,
    checked_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, url)
);
