-- What staff are told in the workspace: a submission waits for their approval, theirs was
-- approved, rejected or published. Made from the audit trail by the notifications job
-- (retention class staff_notifications).
CREATE TABLE notifications (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    kind        TEXT NOT NULL,
    -- The submission it is about (its public id), and who took the step (NULL: Herold).
    draft       TEXT NOT NULL,
    by_staff    BIGINT REFERENCES staff(id),
    excerpt     TEXT NOT NULL,
    comment     TEXT,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_staff ON notifications(staff_id, id);
-- How far the notifications job has read the audit trail; it starts at the present, not
-- with a flood of old news.
CREATE TABLE notification_cursor (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO notification_cursor (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_log;
