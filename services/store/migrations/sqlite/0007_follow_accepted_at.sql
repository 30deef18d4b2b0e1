-- When the Accept of a follower's Follow was last queued. A repeated Follow (a retry, or a
-- replay of a captured one) re-sends the Accept at most once in a while and leaves the
-- audit trail alone: only changes to who follows are recorded there.
ALTER TABLE followers ADD COLUMN accepted_at INTEGER NOT NULL DEFAULT 0;
