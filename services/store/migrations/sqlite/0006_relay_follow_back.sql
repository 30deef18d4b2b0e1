-- The Follow the relay sent back to a LitePub subscriber that may publish through it, so
-- that it can be undone when the subscription, or the server's place among the
-- publishers, ends.
ALTER TABLE relay_subscribers ADD COLUMN follow_back_id TEXT;
