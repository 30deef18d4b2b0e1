-- A person's own time zone (an IANA name), chosen in their settings; without one, the
-- organisation's applies. Forms take and pages show times on this clock.
ALTER TABLE staff ADD COLUMN time_zone TEXT;
