-- An announcement brought over from the body's former account (its original address): read-
-- only history with its original date, never sent to followers; imported once.
ALTER TABLE announcements ADD COLUMN imported_from TEXT;
CREATE UNIQUE INDEX announcements_imported ON announcements(account_id, imported_from);
