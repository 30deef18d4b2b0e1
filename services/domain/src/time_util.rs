use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch. Both database backends store instants this way, which
/// keeps SQL identical across SQLite and PostgreSQL and comparisons cheap.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as Millis
}

/// RFC 3339 in UTC with second precision, as ActivityPub servers expect in `published`.
pub fn format_rfc3339(ms: Millis) -> String {
    let t = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Parses an RFC 3339 timestamp (any offset) to milliseconds.
pub fn parse_rfc3339(text: &str) -> Result<Millis, time::error::Parse> {
    let t = OffsetDateTime::parse(text, &Rfc3339)?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as Millis)
}

/// A day (`2026-11-01`, UTC) or an RFC 3339 time; see [`crate::Zone::day`].
pub fn parse_day(text: &str, end: bool) -> Result<Millis, crate::DomainError> {
    crate::Zone::utc().day(text, end)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_seconds() {
        assert_eq!(super::format_rfc3339(1_764_000_000_123), "2025-11-24T16:00:00Z");
    }

    #[test]
    fn parses_what_it_formats() {
        assert_eq!(super::parse_rfc3339("2025-11-24T16:00:00Z"), Ok(1_764_000_000_000));
        assert_eq!(super::parse_rfc3339("2025-11-24T17:00:00+01:00"), Ok(1_764_000_000_000));
        assert!(super::parse_rfc3339("2025-11-24 16:00").is_err());
    }

    #[test]
    fn days_start_and_end_at_midnight_utc() {
        assert_eq!(super::parse_day("2025-11-24", false), Ok(1_763_942_400_000));
        assert_eq!(super::parse_day("2025-11-24", true), Ok(1_763_942_400_000 + 86_400_000));
        assert_eq!(super::parse_day("2025-11-24T16:00:00Z", true), Ok(1_764_000_000_000));
        assert!(super::parse_day("24.11.2025", false).is_err());
    }
}
