-- An organisation's auditors page and export its trail, newest first: found by index, not by
-- reading every organisation's entries.
CREATE INDEX audit_log_org_seq ON audit_log(org, seq);
