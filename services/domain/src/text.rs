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
            return Err(DomainError::invalid("announcement text", raw, "must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid("announcement text", raw, "must be at most 5000 characters"));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid(
                "announcement text",
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
            return Err(DomainError::invalid("summary", raw, "must be 1 to 500 characters on one line"));
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
            return Err(DomainError::invalid("name", raw, "must be 1 to 100 characters on one line"));
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
