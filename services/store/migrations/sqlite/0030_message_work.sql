-- Work on a citizen's message: who of the press office has it (a member of staff of the
-- organisation, notified when it is given to them and when the sender writes again), when it
-- was answered (for the median time to answer), and when Herold noted that its response
-- deadline (the organisation's [dialogue] answer_within) passed, so that it is noted once.
ALTER TABLE citizen_messages ADD COLUMN assignee_id INTEGER REFERENCES staff(id);
ALTER TABLE citizen_messages ADD COLUMN answered_at INTEGER;
ALTER TABLE citizen_messages ADD COLUMN overdue_at INTEGER;
UPDATE citizen_messages SET answered_at = updated_at WHERE state = 'answered';
CREATE INDEX citizen_messages_assignee ON citizen_messages(assignee_id, state);
-- What was open before deadlines existed is not reported late all at once.
UPDATE citizen_messages SET overdue_at = received_at WHERE state = 'open';
-- The deadline job looks at open messages not yet noted, often.
CREATE INDEX citizen_messages_due ON citizen_messages(received_at) WHERE state = 'open' AND overdue_at IS NULL;
-- A reply to an answer finds the message it answered through the answer's submission.
CREATE INDEX drafts_announcement ON drafts(announcement_id);
