//! Incoming activities, classified once after their signature is verified. The inbox and
//! the relay each handle them with one exhaustive `match`, so a new kind shows the compiler
//! every place that must decide what to do with it. The activity's JSON (and, for the relay,
//! its exact bytes) stay with the caller for what needs more than the kind.

use serde_json::Value;

use crate::vocab::id_of;

/// What a verified activity asks for, as far as Herold tells kinds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A Follow of `object` (an account here, the relay actor, or the public collection).
    Follow { id: Option<&'a str>, object: Option<&'a str> },
    /// An Undo, and of what.
    Undo(Undone<'a>),
    /// The sender's own actor is deleted (the account is gone at its origin).
    DeleteSelf,
    /// The sender's own actor changed (a new key, a new name).
    UpdateSelf,
    /// Content of the sender's: a post created, changed, deleted, boosted, or an account moved.
    Content(ContentKind),
    /// An answer to a Follow of ours, with the Follow as the sender gives it (by id, or
    /// embedded).
    Answer { accepted: bool, follow: &'a Value },
    /// A request to quote one of our announcements (FEP-044f), to list one of our accounts
    /// in a collection (FEP-7aa9) or to reply to an announcement (GoToSocial): what, and the
    /// quote post, collection or reply.
    Request { kind: RequestKind, id: Option<&'a str>, object: Option<&'a str>, instrument: &'a Value },
    /// A Like of `object` (Misskey's and Pleroma's emoji reactions are likes too).
    Like { object: Option<&'a str> },
    /// Any other type, by name ("" when the activity has none).
    Other(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Quote,
    Feature,
    /// GoToSocial's polite reply (v0.21): the reply waits for our Accept.
    Reply,
}

/// What an Undo takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone<'a> {
    /// Only an id is given (a string, or an object without a type): that of a Follow, as
    /// far as the receiver knows one by that id.
    Id(&'a str),
    /// An embedded Follow.
    Follow(FollowRef<'a>),
    /// An embedded activity of another type (a Like, an Announce…), and what it was about.
    Other { kind: &'a str, object: Option<&'a str> },
    /// Nothing usable: no object, or one without id or type.
    Nothing,
}

/// A Follow as an Undo embeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowRef<'a> {
    pub id: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub object: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Create,
    Update,
    Delete,
    Announce,
    Move,
}

impl ContentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Create => "Create",
            ContentKind::Update => "Update",
            ContentKind::Delete => "Delete",
            ContentKind::Announce => "Announce",
            ContentKind::Move => "Move",
        }
    }
}

impl<'a> Incoming<'a> {
    /// Classifies `activity`, sent (and signed) by `sender`.
    pub fn classify(activity: &'a Value, sender: &str) -> Incoming<'a> {
        let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default();
        let object = activity.get("object").unwrap_or(&Value::Null);
        let about_sender = id_of(object) == Some(sender);
        match kind {
            "Follow" => Incoming::Follow { id: id_of(activity), object: id_of(object) },
            "Undo" => Incoming::Undo(Undone::of(object)),
            "Delete" if about_sender => Incoming::DeleteSelf,
            "Update" if about_sender => Incoming::UpdateSelf,
            "Create" => Incoming::Content(ContentKind::Create),
            "Update" => Incoming::Content(ContentKind::Update),
            "Delete" => Incoming::Content(ContentKind::Delete),
            "Announce" => Incoming::Content(ContentKind::Announce),
            "Move" => Incoming::Content(ContentKind::Move),
            "Accept" => Incoming::Answer { accepted: true, follow: object },
            "Reject" => Incoming::Answer { accepted: false, follow: object },
            "QuoteRequest" | "FeatureRequest" | "ReplyRequest" => Incoming::Request {
                kind: match kind {
                    "QuoteRequest" => RequestKind::Quote,
                    "ReplyRequest" => RequestKind::Reply,
                    _ => RequestKind::Feature,
                },
                id: id_of(activity),
                object: id_of(object),
                instrument: activity.get("instrument").unwrap_or(&Value::Null),
            },
            "Like" | "EmojiReact" => Incoming::Like { object: id_of(object) },
            other => Incoming::Other(other),
        }
    }
}

impl<'a> Undone<'a> {
    fn of(object: &'a Value) -> Undone<'a> {
        match object {
            Value::String(id) => Undone::Id(id),
            Value::Object(o) => match o.get("type").and_then(Value::as_str) {
                Some("Follow") => Undone::Follow(FollowRef {
                    id: o.get("id").and_then(Value::as_str),
                    actor: o.get("actor").and_then(id_of),
                    object: o.get("object").and_then(id_of),
                }),
                Some(other) => Undone::Other { kind: other, object: o.get("object").and_then(id_of) },
                None => o.get("id").and_then(Value::as_str).map_or(Undone::Nothing, Undone::Id),
            },
            _ => Undone::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ME: &str = "https://social.example/users/anna";

    fn classify(v: &Value) -> Incoming<'_> {
        Incoming::classify(v, ME)
    }

    #[test]
    fn kinds_are_told_apart_as_real_servers_send_them() {
        // Mastodon's Undo embeds the Follow; GoToSocial's too; some send the id alone.
        let undo = json!({"type": "Undo", "object": {"id": "https://social.example/f/1", "type": "Follow",
            "actor": ME, "object": "https://herold.example/users/press"}});
        assert_eq!(
            classify(&undo),
            Incoming::Undo(Undone::Follow(FollowRef {
                id: Some("https://social.example/f/1"),
                actor: Some(ME),
                object: Some("https://herold.example/users/press"),
            }))
        );
        let by_id = json!({"type": "Undo", "object": "https://social.example/f/1"});
        assert_eq!(classify(&by_id), Incoming::Undo(Undone::Id("https://social.example/f/1")));
        let untyped = json!({"type": "Undo", "object": {"id": "https://social.example/f/1"}});
        assert_eq!(classify(&untyped), Incoming::Undo(Undone::Id("https://social.example/f/1")));
        let like =
            json!({"type": "Undo", "object": {"type": "Like", "id": "x", "object": "https://h.example/n"}});
        assert_eq!(
            classify(&like),
            Incoming::Undo(Undone::Other { kind: "Like", object: Some("https://h.example/n") })
        );
        assert_eq!(classify(&json!({"type": "Undo"})), Incoming::Undo(Undone::Nothing));

        // Mastodon deletes an account with the actor as object; a post's Delete carries a
        // Tombstone.
        assert_eq!(classify(&json!({"type": "Delete", "object": ME})), Incoming::DeleteSelf);
        let tombstone =
            json!({"type": "Delete", "object": {"id": "https://social.example/n/1", "type": "Tombstone"}});
        assert_eq!(classify(&tombstone), Incoming::Content(ContentKind::Delete));
        assert_eq!(
            classify(&json!({"type": "Update", "object": {"id": ME, "type": "Person"}})),
            Incoming::UpdateSelf
        );
        assert_eq!(
            classify(&json!({"type": "Update", "object": {"id": "https://social.example/n/1"}})),
            Incoming::Content(ContentKind::Update)
        );
        assert_eq!(
            classify(&json!({"type": "Follow", "id": "f", "object": "https://herold.example/users/press"})),
            Incoming::Follow { id: Some("f"), object: Some("https://herold.example/users/press") }
        );
        assert!(matches!(
            classify(&json!({"type": "Reject", "object": "x"})),
            Incoming::Answer { accepted: false, .. }
        ));
        assert_eq!(classify(&json!({"type": "Like", "object": "n"})), Incoming::Like { object: Some("n") });
        assert_eq!(classify(&json!({"type": "Move"})), Incoming::Content(ContentKind::Move));
        assert_eq!(classify(&json!({"type": "Block"})), Incoming::Other("Block"));
        assert_eq!(classify(&json!({"id": "x"})), Incoming::Other(""));
    }
}
