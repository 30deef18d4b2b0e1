-- People who asked for an account's announcements by e-mail (double opt-in). Unconfirmed
-- requests expire (class unconfirmed_subscriptions); confirmed ones last until the person
-- unsubscribes (class email_subscriptions). The token is in every mail: it confirms and
-- unsubscribes this one subscription and nothing else.
CREATE TABLE email_subscribers (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    email            TEXT NOT NULL,
    language         TEXT NOT NULL,
    token            TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL,
    -- When the confirmation mail went out; NULL while it waits to be sent.
    confirm_sent_at  INTEGER,
    confirmed_at     INTEGER,
    UNIQUE (account_id, email)
);
CREATE INDEX email_subscribers_pending ON email_subscribers(confirm_sent_at) WHERE confirmed_at IS NULL;

-- Which announcement was mailed to which subscriber (class subscription_mail), so that
-- each goes out once.
CREATE TABLE email_sends (
    subscriber_id    INTEGER NOT NULL REFERENCES email_subscribers(id) ON DELETE CASCADE,
    announcement_id  INTEGER NOT NULL REFERENCES announcements(id),
    sent_at          INTEGER NOT NULL,
    PRIMARY KEY (subscriber_id, announcement_id)
);
