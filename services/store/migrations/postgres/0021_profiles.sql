-- What an official account says about itself besides its name and biography: profile
-- fields, avatar and header (each with its description), as JSON.
ALTER TABLE accounts ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';

-- An image an account shows as its avatar or header: public while it does.
ALTER TABLE media ADD COLUMN profile_of BIGINT REFERENCES accounts(id);

-- A change of an account's profile waiting for a second person (at most one per account).
-- Its proposer is a member of staff, or the operator (NULL); retention class
-- profile_proposals removes one left undecided.
CREATE TABLE profile_proposals (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id     TEXT NOT NULL UNIQUE,
    account_id    BIGINT NOT NULL UNIQUE REFERENCES accounts(id),
    display_name  TEXT NOT NULL,
    summary       TEXT,
    profile       TEXT NOT NULL,
    proposed_by   BIGINT REFERENCES staff(id),
    created_at    BIGINT NOT NULL
);
