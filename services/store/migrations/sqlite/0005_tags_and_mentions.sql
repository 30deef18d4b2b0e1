-- Accounts an announcement mentions, resolved (WebFinger) when the text was written:
-- JSON [{"name": "@user@domain", "href": actor URI, "inbox": inbox or null}]. Drafts keep
-- them too, so that approving and scheduled publishing need no network and the approver
-- sees the same addressees as the followers will.
ALTER TABLE drafts ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE announcements ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- Hashtags of published announcements (lower case, without '#'), for the public tag pages.
-- Rewritten on every edit; cleared with the text when a retracted announcement expires.
CREATE TABLE announcement_tags (
    tag              TEXT NOT NULL,
    announcement_id  INTEGER NOT NULL REFERENCES announcements(id),
    PRIMARY KEY (tag, announcement_id)
);
CREATE INDEX announcement_tags_announcement ON announcement_tags(announcement_id);
