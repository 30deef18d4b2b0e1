//! What an official account says about itself besides its name: a biography and profile
//! fields ("Website", "Impressum"), and the legal pages its organisation links from every
//! presence. Each checks itself, so a profile that reaches the store is one Mastodon and
//! GoToSocial show as it was meant.

use crate::DomainError;

/// The biography: a few lines about the account, as Mastodon's profile "note" (its limit,
/// 500 characters). Line breaks are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.replace("\r\n", "\n");
        let s = s.trim();
        if s.is_empty() || s.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid("biography", "bio_length", raw, "must be 1 to 500 characters"));
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::invalid(
                "biography",
                "bio_control",
                raw,
                "must not contain control characters",
            ));
        }
        Ok(Bio(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One name/value pair of a profile ("Website" → "https://www.bfdi.bund.de/"). A value that
/// is an https address is shown as a link, which Mastodon verifies when the page links back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileField {
    pub name: String,
    pub value: String,
}

impl ProfileField {
    /// Mastodon's limits for a field's name and value.
    pub const MAX_NAME: usize = 255;
    pub const MAX_VALUE: usize = 255;

    /// The address the value names, if it is one (https only: a verified link must be).
    pub fn link(&self) -> Option<url::Url> {
        link_of(&self.value)
    }
}

/// An https address with a host name, as a profile link must be to be verified.
pub fn link_of(value: &str) -> Option<url::Url> {
    let url = url::Url::parse(value.trim()).ok()?;
    (url.scheme() == "https" && matches!(url.host(), Some(url::Host::Domain(_))) && url.username().is_empty())
        .then_some(url)
}

/// A profile's own fields, besides those Herold adds (the organisation and its legal pages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFields(Vec<ProfileField>);

impl ProfileFields {
    /// Mastodon offers four; more would be cut off or crowd out the legal pages.
    pub const MAX: usize = 4;

    /// Checks the rows of a form: wholly empty rows are skipped, a row with only a name or
    /// only a value is refused.
    pub fn parse(rows: &[(String, String)]) -> Result<Self, DomainError> {
        let mut fields = Vec::new();
        for (name, value) in rows {
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() && value.is_empty() {
                continue;
            }
            if name.is_empty() || value.is_empty() {
                let given = if name.is_empty() { value } else { name };
                return Err(DomainError::invalid(
                    "profile field",
                    "field_half",
                    given,
                    "needs both a name and a value",
                ));
            }
            if name.chars().count() > ProfileField::MAX_NAME
                || value.chars().count() > ProfileField::MAX_VALUE
            {
                return Err(DomainError::invalid(
                    "profile field",
                    "field_length",
                    name,
                    "names and values are at most 255 characters",
                ));
            }
            if name.chars().chain(value.chars()).any(char::is_control) {
                return Err(DomainError::invalid(
                    "profile field",
                    "field_control",
                    name,
                    "must be on one line, without control characters",
                ));
            }
            fields.push(ProfileField { name: name.to_owned(), value: value.to_owned() });
        }
        if fields.len() > Self::MAX {
            return Err(DomainError::invalid(
                "profile fields",
                "fields_count",
                &fields.len().to_string(),
                "at most 4 fields",
            ));
        }
        Ok(ProfileFields(fields))
    }

    pub fn into_vec(self) -> Vec<ProfileField> {
        self.0
    }
}

/// The pages a German public body must link from every presence (§ 5 DDG, Art. 13 GDPR,
/// § 12b BGG / BITV 2.0), and every EU body in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalPage {
    Imprint,
    PrivacyNotice,
    AccessibilityStatement,
}

impl LegalPage {
    pub const ALL: [LegalPage; 3] =
        [LegalPage::Imprint, LegalPage::PrivacyNotice, LegalPage::AccessibilityStatement];

    /// The key in the policy file's `[legal]` table.
    pub fn key(self) -> &'static str {
        match self {
            LegalPage::Imprint => "imprint",
            LegalPage::PrivacyNotice => "privacy_notice",
            LegalPage::AccessibilityStatement => "accessibility_statement",
        }
    }

    /// Its name as a profile field, in the account's language: the terms German readers
    /// look for, else English.
    pub fn label(self, language: &str) -> &'static str {
        let german = language.split('-').next().is_some_and(|l| l.eq_ignore_ascii_case("de"));
        match (self, german) {
            (LegalPage::Imprint, true) => "Impressum",
            (LegalPage::PrivacyNotice, true) => "Datenschutz",
            (LegalPage::AccessibilityStatement, true) => "Barrierefreiheit",
            (LegalPage::Imprint, false) => "Imprint",
            (LegalPage::PrivacyNotice, false) => "Privacy notice",
            (LegalPage::AccessibilityStatement, false) => "Accessibility",
        }
    }
}

/// Where an organisation's legal pages are. Without a privacy notice of its own, Herold's
/// generated one is linked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LegalPages {
    pub imprint: Option<String>,
    pub privacy_notice: Option<String>,
    pub accessibility_statement: Option<String>,
    /// How to reach the organisation's data-protection officer (an address, e-mail or web
    /// page), for the privacy notice.
    pub dpo_contact: Option<String>,
    /// How to reach the organisation itself as controller (Art. 13(1)(a) and 30(1)(a)
    /// GDPR): its postal address, e-mail or web page.
    pub controller_contact: Option<String>,
    /// What the organisation transfers to third countries besides what Herold itself sends
    /// (e.g. through its hosting or mail provider), with the safeguards (Art. 13(1)(f) and
    /// 30(1)(e)).
    pub transfers: Option<String>,
    /// The imprint's text, for a body without a page of its own: Herold hosts it.
    pub imprint_text: Option<String>,
    /// The accessibility statement's text, hosted likewise.
    pub accessibility_statement_text: Option<String>,
}

impl LegalPages {
    /// The text Herold hosts for `page` (the privacy notice it always writes itself).
    pub fn hosted_text(&self, page: LegalPage) -> Option<&str> {
        match page {
            LegalPage::Imprint => self.imprint_text.as_deref(),
            LegalPage::AccessibilityStatement => self.accessibility_statement_text.as_deref(),
            LegalPage::PrivacyNotice => None,
        }
    }

    pub fn get(&self, page: LegalPage) -> Option<&str> {
        match page {
            LegalPage::Imprint => self.imprint.as_deref(),
            LegalPage::PrivacyNotice => self.privacy_notice.as_deref(),
            LegalPage::AccessibilityStatement => self.accessibility_statement.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fields_need_both_halves_and_stay_within_limits() {
        let f = ProfileFields::parse(&rows(&[("Website", " https://www.bfdi.bund.de/ "), ("", "")])).unwrap();
        assert_eq!(f.clone().into_vec().len(), 1);
        assert_eq!(f.into_vec()[0].value, "https://www.bfdi.bund.de/");
        assert!(ProfileFields::parse(&rows(&[("Website", "")])).is_err());
        assert!(ProfileFields::parse(&rows(&[("", "https://x.example/")])).is_err());
        assert!(ProfileFields::parse(&rows(&[("a\tb", "c")])).is_err());
        assert!(ProfileFields::parse(&rows(&[("n", &"v".repeat(256))])).is_err());
        let five: Vec<_> = (0..5).map(|i| (format!("n{i}"), "v".to_owned())).collect();
        assert!(ProfileFields::parse(&five).is_err());
    }

    #[test]
    fn only_https_addresses_with_a_host_name_are_links() {
        let link = |v: &str| ProfileField { name: "W".into(), value: v.into() }.link().map(|u| u.to_string());
        assert_eq!(link("https://www.bfdi.bund.de"), Some("https://www.bfdi.bund.de/".into()));
        assert_eq!(link("http://www.bfdi.bund.de/"), None);
        assert_eq!(link("https://192.0.2.1/"), None);
        assert_eq!(link("https://user@bfdi.bund.de/"), None);
        assert_eq!(link("Pressestelle, Raum 4"), None);
    }

    #[test]
    fn the_biography_keeps_its_lines() {
        assert_eq!(Bio::parse(" Zeile 1\r\nZeile 2 ").unwrap().as_str(), "Zeile 1\nZeile 2");
        assert!(Bio::parse("").is_err());
        assert!(Bio::parse(&"x".repeat(501)).is_err());
        assert!(Bio::parse("bell\u{7}").is_err());
    }

    #[test]
    fn legal_pages_are_named_in_the_accounts_language() {
        assert_eq!(LegalPage::Imprint.label("de-AT"), "Impressum");
        assert_eq!(LegalPage::Imprint.label("fr"), "Imprint");
    }
}
