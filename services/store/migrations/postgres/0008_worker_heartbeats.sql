-- Delivery workers announce themselves while they run. A row leased by a worker whose
-- heartbeat has stopped (a crash, kill -9) is taken over at once, instead of waiting out
-- its lease: an urgent announcement caught in flight is late by seconds, not minutes.
CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN leased_by TEXT;
