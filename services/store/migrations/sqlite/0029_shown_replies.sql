-- Replies the press office chose to show under their announcement (its public page and
-- its `replies` collection), and why one is not shown (a reason code). A reply whose sender
-- changes it is taken down until someone chooses it again. Kept and erased with the message.
ALTER TABLE citizen_messages ADD COLUMN shown_at INTEGER;
ALTER TABLE citizen_messages ADD COLUMN hidden_reason TEXT;
CREATE INDEX citizen_messages_shown ON citizen_messages(announcement_id, shown_at);
