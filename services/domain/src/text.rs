use crate::DomainError;

/// The body of an announcement as the author typed it (plain text; rendering to HTML is the
/// publishing layer's job). Bounded so that a single post stays within what Mastodon shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementText(String);

impl AnnouncementText {
    pub const MAX_CHARS: usize = 5000;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let normalised = raw.replace("\r\n", "\n");
        let s = normalised.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("announcement text", "text_empty", raw, "must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "announcement text",
                "text_length",
                raw,
                "must be at most 5000 characters",
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid(
                "announcement text",
                "text_control",
                raw,
                "must not contain control characters",
            ));
        }
        Ok(AnnouncementText(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A content warning / summary shown before the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary(String);

impl Summary {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 500 || s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "summary",
                "summary_length",
                raw,
                "must be 1 to 500 characters on one line",
            ));
        }
        Ok(Summary(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The human-readable name of an organisation or account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "name",
                "name_length",
                raw,
                "must be 1 to 100 characters on one line",
            ));
        }
        Ok(DisplayName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(AnnouncementText::parse("  hi \r\n there ").unwrap().as_str(), "hi \n there");
        assert!(AnnouncementText::parse("   ").is_err());
        assert!(AnnouncementText::parse(&"x".repeat(5001)).is_err());
        assert!(AnnouncementText::parse("bell\u{7}").is_err());
    }

    #[test]
    fn names_are_one_line() {
        assert!(DisplayName::parse("BfDI Press Office").is_ok());
        assert!(DisplayName::parse("a\nb").is_err());
        assert!(Summary::parse("").is_err());
    }
}

/// Further language versions of an announcement besides its primary text: each language at
/// most once, none the primary's, and only with a primary language to tell them apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translations(Vec<(crate::LanguageTag, AnnouncementText)>);

impl Translations {
    pub const MAX: usize = 4;

    pub fn parse(
        primary: Option<&crate::LanguageTag>,
        versions: Vec<(crate::LanguageTag, AnnouncementText)>,
    ) -> Result<Self, DomainError> {
        if versions.len() > Self::MAX {
            return Err(DomainError::invalid(
                "language versions",
                "versions_count",
                "",
                "at most 4 besides the primary text",
            ));
        }
        if !versions.is_empty() && primary.is_none() {
            return Err(DomainError::invalid(
                "language versions",
                "versions_primary",
                "",
                "need the primary text's language, so that readers can tell them apart",
            ));
        }
        for (i, (lang, _)) in versions.iter().enumerate() {
            if Some(lang) == primary || versions[..i].iter().any(|(l, _)| l == lang) {
                return Err(DomainError::invalid(
                    "language",
                    "language_twice",
                    &lang.to_string(),
                    "has two versions; keep one",
                ));
            }
        }
        Ok(Translations(versions))
    }

    pub fn iter(&self) -> impl Iterator<Item = &(crate::LanguageTag, AnnouncementText)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod translation_tests {
    use super::*;
    use crate::LanguageTag;

    fn v(lang: &str) -> (LanguageTag, AnnouncementText) {
        (LanguageTag::parse(lang).unwrap(), AnnouncementText::parse("Text").unwrap())
    }

    #[test]
    fn language_versions_are_distinct_and_labelled() {
        let de = LanguageTag::parse("de").unwrap();
        assert!(Translations::parse(Some(&de), vec![v("en"), v("fr")]).is_ok());
        assert!(Translations::parse(Some(&de), vec![v("de")]).is_err(), "the primary's language");
        assert!(Translations::parse(Some(&de), vec![v("en"), v("en")]).is_err(), "twice");
        assert!(Translations::parse(None, vec![v("en")]).is_err(), "no primary language");
        assert!(Translations::parse(Some(&de), vec![v("en"), v("fr"), v("it"), v("nl"), v("pl")]).is_err());
        assert!(Translations::parse(None, vec![]).is_ok());
    }
}

/// The text alternative of an image: what a screen-reader user hears instead. Required for
/// every image Herold publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltText(String);

impl AltText {
    pub const MAX_CHARS: usize = 1500;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::invalid(
                "alt text",
                "alt_required",
                raw,
                "is required: describe the image for people who cannot see it",
            ));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "alt text",
                "alt_length",
                raw,
                "must be at most 1500 characters",
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::invalid(
                "alt text",
                "alt_control",
                raw,
                "must not contain control characters",
            ));
        }
        Ok(AltText(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text of an organisation's that a person starts writing from: an announcement for a
/// recurring occasion (a service disruption, a press conference), or an answer to a
/// question the office is asked often.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TextTemplate {
    pub name: String,
    pub text: String,
}

impl TextTemplate {
    pub fn find<'a>(templates: &'a [TextTemplate], name: &str) -> Option<&'a TextTemplate> {
        templates.iter().find(|t| t.name == name)
    }
}
