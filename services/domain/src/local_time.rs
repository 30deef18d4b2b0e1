//! Wall-clock time in an organisation's time zone. People type and read local times
//! ("14:00" in Berlin); Herold stores instants in UTC. The conversion follows the IANA
//! time-zone database, so daylight-saving transitions fall where they do in law.

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

use crate::{DomainError, Millis};

/// An IANA time zone (`Europe/Berlin`), checked against the database when it is named.
#[derive(Clone)]
pub struct Zone(TimeZone);

/// A moment as a clock on the wall in a zone shows it, with the zone's abbreviation at
/// that moment (`CET` in winter, `CEST` in summer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallClock {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub abbreviation: String,
}

/// Why a typed local time names no moment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error("{0:?} is not a date and time of the form 2026-12-24T18:00")]
    Malformed(String),
    /// The clocks jump over it (the hour lost when daylight-saving time begins).
    #[error("{0} does not exist in {1}: the clocks skip it")]
    Skipped(String, String),
}

impl Zone {
    pub fn utc() -> Zone {
        Zone(TimeZone::UTC)
    }

    /// A zone by its IANA name. Fixed offsets and abbreviations (`CET`, `+01:00`) are
    /// refused: they do not follow daylight-saving time, so a schedule typed in one would be
    /// an hour off for half of the year.
    pub fn parse(name: &str) -> Result<Zone, DomainError> {
        let refused = || {
            DomainError::invalid(
                "time zone",
                "time_zone",
                name,
                "use an IANA name such as Europe/Berlin or UTC",
            )
        };
        let name = name.trim();
        let regional = name.contains('/') || name == "UTC";
        if !regional || name.starts_with("Etc/") {
            return Err(refused());
        }
        TimeZone::get(name).map(Zone).map_err(|_| refused())
    }

    /// Every zone `parse` takes, by name, sorted: what a person may choose from. Read from
    /// the time-zone database once.
    pub fn names() -> &'static [String] {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| {
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|name| name.to_string())
                .filter(|name| Zone::parse(name).is_ok())
                .collect();
            names.sort();
            names.dedup();
            names
        })
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    pub fn wall_clock(&self, at: Millis) -> WallClock {
        let ts = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
        let info = self.0.to_offset_info(ts);
        let dt = info.offset().to_datetime(ts);
        WallClock {
            year: dt.year(),
            month: dt.month(),
            day: dt.day(),
            hour: dt.hour(),
            minute: dt.minute(),
            abbreviation: info.abbreviation().to_owned(),
        }
    }

    /// What an `<input type="datetime-local">` shows for a moment: `2026-12-24T18:00`.
    pub fn input_value(&self, at: Millis) -> String {
        let w = self.wall_clock(at);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", w.year, w.month, w.day, w.hour, w.minute)
    }

    /// The moment a typed local time names: `2026-12-24T18:00` (what `datetime-local`
    /// sends; a space instead of the `T` and seconds are accepted too). When the clocks go
    /// back, the hour that occurs twice means its first occurrence, the one reached first.
    pub fn from_input(&self, typed: &str) -> Result<Millis, LocalTimeError> {
        let typed = typed.trim();
        let shown: String = typed.chars().take(40).collect();
        let normalised = typed.replacen(' ', "T", 1);
        let dt = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| DateTime::strptime(format, &normalised).ok())
            .ok_or_else(|| LocalTimeError::Malformed(shown.clone()))?;
        let ambiguous = self.0.to_ambiguous_timestamp(dt);
        if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
            return Err(LocalTimeError::Skipped(shown, self.name().to_owned()));
        }
        ambiguous.earlier().map(|ts| ts.as_millisecond()).map_err(|_| LocalTimeError::Malformed(shown))
    }
}

impl Zone {
    /// A day (`2026-11-01`) on this zone's clock, or an RFC 3339 time. A day means its
    /// first moment, or with `end` the first moment of the next day (the exclusive end of a
    /// period that includes it).
    pub fn day(&self, text: &str, end: bool) -> Result<Millis, DomainError> {
        let text = text.trim();
        if let Ok(ms) = crate::parse_rfc3339(text) {
            return Ok(ms);
        }
        let refused = || {
            DomainError::invalid("date", "date", text, "use a date such as 2026-11-01 or an RFC 3339 time")
        };
        let day = Date::strptime("%Y-%m-%d", text).map_err(|_| refused())?;
        let day = if end { day.tomorrow().map_err(|_| refused())? } else { day };
        let start =
            day.to_zoned_datetime(self.0.clone()).and_then(|z| z.start_of_day()).map_err(|_| refused())?;
        Ok(start.timestamp().as_millisecond())
    }

    /// `day` for a field that may be left empty: `None` then.
    pub fn day_if_given(&self, text: &str, end: bool) -> Result<Option<Millis>, DomainError> {
        let text = text.trim();
        (!text.is_empty()).then(|| self.day(text, end)).transpose()
    }

    /// The end of the day `months` months after `day` (`2026-11-01`) on this zone's clock:
    /// the exclusive end of a period of that many months from that day, as Art. 12(3) GDPR
    /// counts it. A day the later month lacks falls on its last day (31 January, one month:
    /// 28 February).
    pub fn months_after(&self, day: &str, months: i8) -> Result<Millis, DomainError> {
        let text = day.trim();
        let refused = || DomainError::invalid("date", "date", text, "use a date such as 2026-11-01");
        let day = Date::strptime("%Y-%m-%d", text).map_err(|_| refused())?;
        let later = day.checked_add(jiff::Span::new().months(months)).map_err(|_| refused())?;
        self.day(&later.to_string(), true)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_rfc3339;

    fn berlin() -> Zone {
        Zone::parse("Europe/Berlin").expect("Europe/Berlin")
    }

    fn at(rfc3339: &str) -> Millis {
        parse_rfc3339(rfc3339).expect("a test time")
    }

    #[test]
    fn a_berlin_afternoon_is_an_hour_before_utc_in_winter_and_two_in_summer() {
        assert_eq!(berlin().from_input("2026-12-02T14:00"), Ok(at("2026-12-02T13:00:00Z")));
        assert_eq!(berlin().from_input("2026-07-02T14:00"), Ok(at("2026-07-02T12:00:00Z")));
        assert_eq!(berlin().from_input(" 2026-12-02 14:00:30 "), Ok(at("2026-12-02T13:00:30Z")));
        assert_eq!(Zone::utc().from_input("2026-12-02T14:00"), Ok(at("2026-12-02T14:00:00Z")));
    }

    #[test]
    fn months_run_to_the_end_of_the_same_day_months_later() {
        // Received 15 November: due by the end of 15 December, Berlin time.
        assert_eq!(berlin().months_after("2026-11-15", 1), Ok(at("2026-12-15T23:00:00Z")));
        // 31 January has no 31 February: the month ends with February.
        assert_eq!(berlin().months_after("2027-01-31", 1), Ok(at("2027-02-28T23:00:00Z")));
        // Extended by two further months, it runs from the day it arrived, not from the
        // shortened February: to the end of 30 April, in summer time.
        assert_eq!(berlin().months_after("2027-01-31", 3), Ok(at("2027-04-30T22:00:00Z")));
        assert!(berlin().months_after("gestern", 1).is_err());
    }

    #[test]
    fn the_wall_clock_names_the_zone_as_it_is_at_that_moment() {
        let winter = berlin().wall_clock(at("2026-12-02T13:00:00Z"));
        assert_eq!((winter.day, winter.hour, winter.abbreviation.as_str()), (2, 14, "CET"));
        let summer = berlin().wall_clock(at("2026-07-02T12:00:00Z"));
        assert_eq!((summer.hour, summer.abbreviation.as_str()), (14, "CEST"));
        assert_eq!(berlin().input_value(at("2026-12-31T23:30:00Z")), "2027-01-01T00:30");
    }

    #[test]
    fn the_hour_skipped_in_spring_is_refused_and_the_doubled_hour_in_autumn_is_its_first() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST.
        assert_eq!(
            berlin().from_input("2026-03-29T02:30"),
            Err(LocalTimeError::Skipped("2026-03-29T02:30".into(), "Europe/Berlin".into()))
        );
        assert_eq!(berlin().from_input("2026-03-29T03:00"), Ok(at("2026-03-29T01:00:00Z")));
        // 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
        assert_eq!(berlin().from_input("2026-10-25T02:30"), Ok(at("2026-10-25T00:30:00Z")));
    }

    #[test]
    fn what_is_no_local_time_is_refused() {
        for typed in
            ["", "gestern", "24.12.2026 18:00", "2026-02-30T10:00", "2026-12-24T18:00Z", "2026-12-24"]
        {
            assert!(
                matches!(berlin().from_input(typed), Err(LocalTimeError::Malformed(_))),
                "{typed:?} was accepted"
            );
        }
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_on_the_zones_clock() {
        assert_eq!(berlin().day("2026-12-02", false), Ok(at("2026-12-01T23:00:00Z")));
        assert_eq!(berlin().day("2026-12-02", true), Ok(at("2026-12-02T23:00:00Z")));
        // The day the clocks go forward has 23 hours.
        assert_eq!(berlin().day("2026-03-29", true), Ok(at("2026-03-29T22:00:00Z")));
        assert_eq!(berlin().day("2026-12-02T16:00:00Z", true), Ok(at("2026-12-02T16:00:00Z")));
        assert!(berlin().day("02.12.2026", false).is_err());
    }

    #[test]
    fn only_iana_regions_are_zones() {
        assert_eq!(berlin().name(), "Europe/Berlin");
        assert_eq!(Zone::parse("UTC").map(|z| z.name().to_owned()), Ok("UTC".into()));
        for bad in ["Berlin", "CET", "+01:00", "Etc/GMT-1", "Europe/Atlantis", ""] {
            assert!(Zone::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
