-- Notifications also go by e-mail (when the operator configured a mail server), unless the
-- person turned that off; in the language their browser asked for at their last sign-in.
ALTER TABLE notifications ADD COLUMN emailed_at BIGINT;
ALTER TABLE notifications ADD COLUMN mail_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN notify_by_email BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE staff ADD COLUMN language TEXT;
