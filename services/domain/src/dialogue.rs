//! Citizen dialogue: what citizens send an official account, and where each message stands
//! in the press office's work.

/// How a message reached the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A reply to one of its announcements.
    Reply,
    /// A post that quotes one of its announcements.
    Quote,
    /// A post that mentions the account.
    Mention,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Open,
    Answered,
    NoActionNeeded,
    Abusive,
}

impl MessageKind {
    pub const ALL: [MessageKind; 3] = [MessageKind::Reply, MessageKind::Quote, MessageKind::Mention];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Reply => "reply",
            MessageKind::Quote => "quote",
            MessageKind::Mention => "mention",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl MessageState {
    pub const ALL: [MessageState; 4] =
        [MessageState::Open, MessageState::Answered, MessageState::NoActionNeeded, MessageState::Abusive];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Open => "open",
            MessageState::Answered => "answered",
            MessageState::NoActionNeeded => "no_action_needed",
            MessageState::Abusive => "abusive",
        }
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        MessageState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why the press office does not show a citizen's reply under its announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HideReason {
    OffTopic,
    /// It discloses personal data of the sender or of others.
    PersonalData,
    Abusive,
    /// Advertising or repeated posts.
    Spam,
    /// Its content is against the law.
    Unlawful,
}

impl HideReason {
    pub const ALL: [HideReason; 5] = [
        HideReason::OffTopic,
        HideReason::PersonalData,
        HideReason::Abusive,
        HideReason::Spam,
        HideReason::Unlawful,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HideReason::OffTopic => "off_topic",
            HideReason::PersonalData => "personal_data",
            HideReason::Abusive => "abusive",
            HideReason::Spam => "spam",
            HideReason::Unlawful => "unlawful",
        }
    }

    pub fn parse(s: &str) -> Option<HideReason> {
        HideReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A reaction to an announcement, counted without keeping who reacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    /// A Like (and Misskey's and Pleroma's emoji reactions, which are likes with a face).
    Like,
    /// An Announce: passed on to the booster's followers.
    Boost,
}

impl ReactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Like => "like",
            ReactionKind::Boost => "boost",
        }
    }
}

impl TryFrom<String> for MessageKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        MessageKind::parse(&s).ok_or_else(|| format!("unknown message kind {s:?}"))
    }
}

impl TryFrom<String> for MessageState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        MessageState::parse(&s).ok_or_else(|| format!("unknown message state {s:?}"))
    }
}

/// How an organisation works on what citizens send (`[dialogue]` in its policy).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DialoguePolicy {
    /// How long the press office has to answer a message, from its arrival.
    pub answer_within: crate::Millis,
    /// Texts an answer may start from, in the order the policy lists them.
    pub templates: Vec<crate::TextTemplate>,
}

/// A week, as German administrative practice expects a first reply within.
const DEFAULT_ANSWER_WITHIN: crate::Millis = 7 * 24 * 3_600_000;

impl Default for DialoguePolicy {
    fn default() -> Self {
        DialoguePolicy { answer_within: DEFAULT_ANSWER_WITHIN, templates: Vec::new() }
    }
}
