-- An announcement can answer a citizen: the post it replies to (its `inReplyTo`), and, on
-- the submission, the dialogue message it answers (marked answered when it is published).
ALTER TABLE drafts ADD COLUMN in_reply_to TEXT;
ALTER TABLE drafts ADD COLUMN answers TEXT;
ALTER TABLE announcements ADD COLUMN in_reply_to TEXT;
