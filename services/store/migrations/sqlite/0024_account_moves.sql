-- When an account ended (its body retired it, or moved it elsewhere), and where it moved
-- to (the new account's actor id): it publishes nothing more, its pages say so, and what
-- it published stays.
ALTER TABLE accounts ADD COLUMN ended_at INTEGER;
ALTER TABLE accounts ADD COLUMN moved_to TEXT;
