-- A submission's page shows its history (each round, with the reviewers' comments) from the
-- audit trail: found by subject, not by reading the whole trail.
CREATE INDEX audit_log_subject_seq ON audit_log(subject, seq);
