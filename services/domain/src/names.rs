use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// The local part of an official account's handle (`press` in `@press@herold.example.gov`).
///
/// Restricted to what Mastodon can mention (`[a-z0-9_]+([.-]+[a-z0-9_]+)*`), lower-cased so
/// that `Press` and `press` can never be two different accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() || s.len() > 30 {
            return Err(DomainError::invalid(
                "username",
                "username_length",
                raw,
                "must be 1 to 30 characters",
            ));
        }
        // `[a-z0-9_]+([.-]+[a-z0-9_]+)*` is the same as: only those characters, with a word
        // character at both ends.
        let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if !s.chars().all(|c| word(c) || c == '.' || c == '-') {
            return Err(DomainError::invalid(
                "username",
                "username_characters",
                raw,
                "may contain only a-z, 0-9, '_', '.' and '-'",
            ));
        }
        if !s.starts_with(word) || !s.ends_with(word) {
            return Err(DomainError::invalid(
                "username",
                "username_ends",
                raw,
                "must start and end with a letter, digit or underscore",
            ));
        }
        // WebFinger names the relay actor `acct:relay@<host>`.
        if s == "relay" {
            return Err(DomainError::invalid(
                "username",
                "username_reserved",
                raw,
                "is the relay's; choose another",
            ));
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is kept from official accounts: the instance's own host name, and
    /// names that read as the server's or its operator's (on a shared instance, no tenant may
    /// speak as the service itself).
    pub fn is_reserved(&self, host: &str) -> bool {
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        self.0 == host || RESERVED_USERNAMES.contains(&self.0.as_str())
    }

    /// Whether the name matches one of `patterns`: an exact name, or a prefix ending in `*`.
    pub fn matches_any(&self, patterns: &[String]) -> bool {
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => self.0.starts_with(prefix),
            None => self.0 == *p,
        })
    }
}

/// Names no organisation gets for an official account.
pub const RESERVED_USERNAMES: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "api",
    "herold",
    "hostmaster",
    "info",
    "instance",
    "mod",
    "moderator",
    "noreply",
    "operator",
    "postmaster",
    "relay",
    "root",
    "security",
    "server",
    "staff",
    "support",
    "system",
    "transparency",
    "webmaster",
];

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Username {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Username::parse(s)
    }
}

/// The short identifier of a public body (a tenant), used on the command line and in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if s.is_empty() || s.len() > 40 {
            return Err(DomainError::invalid(
                "organisation",
                "organisation_length",
                raw,
                "must be 1 to 40 characters",
            ));
        }
        if !s.chars().all(ok_char) || s.starts_with('-') || s.ends_with('-') {
            return Err(DomainError::invalid(
                "organisation",
                "organisation_characters",
                raw,
                "may contain only lower-case a-z, 0-9 and inner '-'",
            ));
        }
        Ok(OrgSlug(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrgSlug {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgSlug::parse(s)
    }
}

/// A BCP 47 language tag in its common shape: a 2–3 letter primary language, then optional
/// subtags of 1–8 alphanumerics (`de`, `en-GB`, `sr-Latn`). Normalised to lower-case
/// language and as-typed subtags with canonical casing for regions and scripts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(DomainError::invalid(
                "language",
                "language_code",
                raw,
                "must start with a 2 or 3 letter ISO 639 code, such as 'de' or 'en'",
            ));
        }
        let mut out = primary.to_ascii_lowercase();
        for sub in parts {
            if sub.is_empty() || sub.len() > 8 || !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(DomainError::invalid(
                    "language",
                    "language_subtags",
                    raw,
                    "subtags must be 1 to 8 letters or digits, such as 'de-AT'",
                ));
            }
            out.push('-');
            match sub.len() {
                2 if sub.chars().all(|c| c.is_ascii_alphabetic()) => out.push_str(&sub.to_ascii_uppercase()),
                4 if sub.chars().all(|c| c.is_ascii_alphabetic()) => {
                    out.push_str(&sub[..1].to_ascii_uppercase());
                    out.push_str(&sub[1..].to_ascii_lowercase());
                }
                _ => out.push_str(&sub.to_ascii_lowercase()),
            }
        }
        Ok(LanguageTag(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LanguageTag {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LanguageTag::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_and_granted_patterns() {
        let name = |n: &str| Username::parse(n).unwrap();
        assert!(name("admin").is_reserved("herold.example.gov"));
        assert!(name("herold.example.gov").is_reserved("herold.example.gov:443"), "the host itself");
        assert!(!name("bfdi").is_reserved("herold.example.gov"));
        let granted = ["bfdi".to_owned(), "bfdi_*".to_owned()];
        assert!(name("bfdi").matches_any(&granted) && name("bfdi_presse").matches_any(&granted));
        assert!(!name("bfdix").matches_any(&granted) && !name("polizei").matches_any(&granted));
        assert!(!name("bfdi").matches_any(&[]));
    }

    #[test]
    fn usernames_follow_mastodons_mention_grammar() {
        for ok in ["press", "Press", "bfdi_press", "press.office", "a-b", "x1", "a..b"] {
            assert!(Username::parse(ok).is_ok(), "{ok} should be accepted");
        }
        assert_eq!(Username::parse("Press").unwrap().as_str(), "press");
        for bad in ["", ".press", "press.", "-x", "pr ess", "prëss", "a@b", &"x".repeat(31)] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn org_slugs_are_lowercase_words() {
        assert!(OrgSlug::parse("bfdi").is_ok());
        assert!(OrgSlug::parse("stadt-koeln").is_ok());
        for bad in ["", "BfDI", "-x", "x-", "a b", "a_b"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn language_tags_are_normalised() {
        assert_eq!(LanguageTag::parse("DE").unwrap().as_str(), "de");
        assert_eq!(LanguageTag::parse("en-gb").unwrap().as_str(), "en-GB");
        assert_eq!(LanguageTag::parse("sr-latn").unwrap().as_str(), "sr-Latn");
        for bad in ["", "d", "deutsch", "de-", "de_AT", "12"] {
            assert!(LanguageTag::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

/// The address a citizen subscribes with (`name@example.org`), lower-cased so that one
/// mailbox is one subscription. Checked for the shape every mail server accepts; whether the
/// mailbox exists, only the confirmation mail shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let refused = || {
            DomainError::invalid(
                "e-mail address",
                "email_address",
                raw,
                "must be an address such as name@example.org",
            )
        };
        let lowered = raw.trim().to_lowercase();
        // A local part in ASCII: mail servers without SMTPUTF8 refuse any other. A domain
        // with umlauts is written as the DNS knows it (punycode).
        let (local, domain) = lowered.split_once('@').ok_or_else(refused)?;
        if !local.is_ascii() || domain.contains(['/', ':', '[', '%']) {
            return Err(refused());
        }
        let domain = match url::Host::parse(domain) {
            Ok(url::Host::Domain(d)) => d,
            _ => return Err(refused()),
        };
        let s = format!("{local}@{domain}");
        // RFC 5321's limits: 64 for the local part, 254 for the whole path.
        let shaped = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                let label = |l: &str| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                };
                !local.is_empty()
                    && local.len() <= 64
                    && !local.starts_with('.')
                    && !local.ends_with('.')
                    && !local.contains("..")
                    && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
                    && domain.contains('.')
                    && domain.split('.').all(label)
            });
        if !shaped {
            return Err(refused());
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod email_tests {
    use super::EmailAddress;

    #[test]
    fn addresses_are_checked_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Erika.Muster@Example.ORG ").unwrap().as_str(),
            "erika.muster@example.org"
        );
        assert_eq!(
            EmailAddress::parse("joerg+news@bürgeramt.de").unwrap().as_str(),
            "joerg+news@xn--brgeramt-65a.de"
        );
        assert!(EmailAddress::parse("jörg@example.org").is_err(), "not every mail server takes it");
        for bad in [
            "",
            "name",
            "name@",
            "@example.org",
            "name@localhost",
            "a b@example.org",
            "name@example..org",
            ".name@example.org",
            "name@-example.org",
            "na\"me@example.org",
            "name@example.org\r\nBcc: x@example.org",
            "a@b@example.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.org", "a".repeat(65))).is_err());
    }
}
