-- Art. 12(3) GDPR lets a controller extend the month by two further months where a request
-- is complex, if it tells the person why within the first month: when it was extended and
-- the reason given (the new deadline replaces due_at).
ALTER TABLE subject_requests ADD COLUMN extended_at BIGINT;
ALTER TABLE subject_requests ADD COLUMN extension_reason TEXT;
