-- Who may reply to one announcement (everyone, followers, mentioned or nobody), chosen by
-- its author; NULL: as the organisation's `[presence] replies` says.
ALTER TABLE drafts ADD COLUMN reply_audience TEXT;
ALTER TABLE announcements ADD COLUMN reply_audience TEXT;
