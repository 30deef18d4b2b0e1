-- When Herold looked at how an announcement's activity fared once none of its deliveries
-- was outstanding any more (its author is told if many were given up): each is looked at
-- once. Activities from before this migration are taken as looked at.
ALTER TABLE activities ADD COLUMN deliveries_checked_at INTEGER;
UPDATE activities SET deliveries_checked_at = created_at;
-- Only announcements' Creates and Updates are looked at; the index holds those still to be.
CREATE INDEX activities_unchecked ON activities(id)
    WHERE deliveries_checked_at IS NULL AND kind IN ('Create', 'Update') AND announcement_id IS NOT NULL;
