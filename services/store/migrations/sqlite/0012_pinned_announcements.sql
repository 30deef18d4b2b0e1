-- An account's pinned announcements: shown first on its profile and served in its
-- `featured` collection, which Mastodon and others show as pinned posts.
ALTER TABLE announcements ADD COLUMN pinned_at INTEGER;
