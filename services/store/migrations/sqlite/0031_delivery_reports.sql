-- When Herold looked at how an announcement's activity fared once none of its deliveries
-- was outstanding any more (its author is told if many were given up): each is looked at
-- once. Activities from before this migration are taken as looked at.
ALTER TABLE activities ADD COLUMN deliveries_checked_at INTEGER;
UPDATE activities SET deliveries_checked_at = created_at;
CREATE INDEX activities_unchecked ON activities(deliveries_checked_at, id);
