//! Domain types that validate themselves on construction, so that the rest of Herold can
//! rely on a `Username` or an `OrgSlug` being well-formed without checking again.

pub mod audit;
pub mod dialogue;
mod local_time;
mod names;
pub mod presence;
mod profile;
mod text;
mod time_util;
pub mod trust;
pub mod workflow;

pub use local_time::{LocalTimeError, WallClock, Zone};
pub use names::{EmailAddress, LanguageTag, OrgSlug, Username};
pub use profile::{link_of, Bio, LegalPage, LegalPages, ProfileField, ProfileFields};
pub use text::{AltText, AnnouncementText, DisplayName, Summary, TextTemplate, Translations};
pub use time_util::{format_rfc3339, now_millis, parse_day, parse_rfc3339, Millis};

/// Why a value was refused. The message is safe to show to the person who typed it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// `code` names the rule broken, for interfaces that say it in the reader's language
    /// (the staff catalogues' `invalid_<code>`); `why` says it in English.
    #[error("{what} {value:?} is invalid: {why}")]
    Invalid { what: &'static str, code: &'static str, value: String, why: &'static str },
}

impl DomainError {
    fn invalid(what: &'static str, code: &'static str, value: &str, why: &'static str) -> Self {
        // Cap the echoed value so a hostile megabyte does not end up in an error message.
        let value: String = value.chars().take(80).collect();
        DomainError::Invalid { what, code, value, why }
    }
}
