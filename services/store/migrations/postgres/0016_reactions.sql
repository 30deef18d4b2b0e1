-- Likes and boosts of announcements, counted without storing who: per day the number that
-- arrived and the number taken back (aggregates, kept with the announcement) ...
CREATE TABLE reaction_counts (
    announcement_id  BIGINT NOT NULL REFERENCES announcements(id),
    kind             TEXT NOT NULL,
    day              TEXT NOT NULL,
    added            BIGINT NOT NULL,
    removed          BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, kind, day)
);
-- ... and, so that an Undo is recognised and a repeated Like counts once, a keyed hash of
-- the reacting actor per announcement (retention class reaction_pseudonyms, short).
CREATE TABLE reaction_pseudonyms (
    announcement_id  BIGINT NOT NULL REFERENCES announcements(id),
    kind             TEXT NOT NULL,
    pseudonym        TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, kind, pseudonym)
);
CREATE INDEX reaction_pseudonyms_at ON reaction_pseudonyms(at);
