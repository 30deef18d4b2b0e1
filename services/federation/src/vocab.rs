//! The ActivityStreams documents Herold serves and sends, and the parsing of remote actors.
//! Only contexts that JSON-LD processors preload are used (ActivityStreams and security/v1,
//! plus DID, Multikey and data integrity where keys and proofs need them, which Fedify
//! preloads) and an inline object, so our documents can be read offline.

use herold_domain::format_rfc3339;
use herold_domain::presence::{Presence, QuoteAudience, ReplyAudience};
use herold_store::{Account, RemoteActor};
use serde_json::{json, Value};

use crate::{FederationError, Urls};

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an id names the public collection, in any of the forms JSON-LD allows
/// (compacting processors such as Fedify write `as:Public`).
pub fn is_public(id: &str) -> bool {
    matches!(id, PUBLIC | "as:Public" | "Public")
}
pub const AP_CONTENT_TYPE: &str = "application/activity+json";

pub fn context() -> Value {
    json!([
        AS_CONTEXT,
        "https://w3id.org/security/v1",
        {
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "attributionDomains": { "@id": "toot:attributionDomains", "@type": "@id" },
            "alsoKnownAs": { "@id": "as:alsoKnownAs", "@type": "@id" },
            "movedTo": { "@id": "as:movedTo", "@type": "@id" },
            "gts": "https://gotosocial.org/ns#",
            "interactionPolicy": { "@id": "gts:interactionPolicy", "@type": "@id" },
            "canLike": { "@id": "gts:canLike", "@type": "@id" },
            "canReply": { "@id": "gts:canReply", "@type": "@id" },
            "canAnnounce": { "@id": "gts:canAnnounce", "@type": "@id" },
            "canQuote": { "@id": "gts:canQuote", "@type": "@id" },
            "canFeature": { "@id": "gts:canFeature", "@type": "@id" },
            "automaticApproval": { "@id": "gts:automaticApproval", "@type": "@id" },
            "manualApproval": { "@id": "gts:manualApproval", "@type": "@id" },
            "always": { "@id": "gts:always", "@type": "@id" },
            "approvalRequired": { "@id": "gts:approvalRequired", "@type": "@id" },
            "interactingObject": { "@id": "gts:interactingObject", "@type": "@id" },
            "interactionTarget": { "@id": "gts:interactionTarget", "@type": "@id" },
            "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
            "quote": { "@id": "https://w3id.org/fep/044f#quote", "@type": "@id" },
            "FeatureAuthorization": "https://w3id.org/fep/7aa9#FeatureAuthorization",
            "ReplyAuthorization": "gts:ReplyAuthorization",
            "ReplyRequest": "gts:ReplyRequest"
        }
    ])
}

/// Minimal HTML escaping for text placed into `summary`/`content` HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One sub-policy of an `interactionPolicy`: these may interact without asking. Written in
/// both vocabularies GoToSocial has used (`automaticApproval` since v0.20, `always` before),
/// as GoToSocial v0.20 itself writes them.
fn approved(who: &[&str]) -> Value {
    json!({ "automaticApproval": who, "always": who })
}

/// A post's `interactionPolicy`, every sub-policy explicit: a missing `canQuote` means
/// "nobody" to Mastodon, and a partial policy meant "deny the rest" to GoToSocial before
/// v0.20. Liking, replying and boosting an official announcement are open to everyone.
pub fn post_interaction_policy(
    author: &str,
    followers: &str,
    quotes: QuoteAudience,
    replies: ReplyAudience,
    mentioned: &[&str],
) -> Value {
    let quoters = match quotes {
        QuoteAudience::Everyone => PUBLIC,
        QuoteAudience::Followers => followers,
        // The author alone: an empty list would read as no policy at all.
        QuoteAudience::Nobody => author,
    };
    let repliers: Vec<&str> = match replies {
        ReplyAudience::Everyone => vec![PUBLIC],
        ReplyAudience::Followers => vec![followers],
        ReplyAudience::Mentioned => std::iter::once(author).chain(mentioned.iter().copied()).collect(),
        ReplyAudience::Nobody => vec![author],
    };
    json!({
        "canLike": approved(&[PUBLIC]),
        "canReply": approved(&repliers),
        "canAnnounce": approved(&[PUBLIC]),
        "canQuote": approved(&[quoters]),
    })
}

/// An official account as an `Organization` actor.
pub fn account_actor(urls: &Urls, account: &Account, presence: &Presence) -> Value {
    let u = &account.username;
    let actor_id = urls.actor(u);
    let mut actor = json!({
        "@context": context(),
        "id": actor_id,
        "type": "Organization",
        "preferredUsername": u,
        // FEP-2c59: the address WebFinger answers for this actor (Mastodon 4.6 checks names
        // against it).
        "webfinger": format!("{u}@{}", urls.host()),
        "name": account.display_name,
        "url": urls.actor(u),
        "inbox": urls.inbox(u),
        "outbox": urls.outbox(u),
        "followers": urls.followers(u),
        "following": urls.following(u),
        "featured": urls.featured(u),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "manuallyApprovesFollowers": false,
        "discoverable": presence.discoverable,
        "indexable": presence.discoverable,
        // Whether others may put the account in their collections (FEP-7aa9): a missing
        // policy counts as no consent, so it is always stated.
        "interactionPolicy": {
            "canFeature": approved(&[if presence.featurable() { PUBLIC } else { &actor_id }]),
        },
        "published": format_rfc3339(account.created_at),
        "publicKey": {
            "id": urls.key_id(u),
            "owner": urls.actor(u),
            "publicKeyPem": account.public_key_pem,
        },
        "attachment": profile_fields(urls, account, presence),
    });
    for (key, image) in [("icon", &account.profile.avatar), ("image", &account.profile.header)] {
        if let Some(m) = image {
            // `name` is the description Mastodon (4.6) shows as the avatar's alt text.
            actor[key] = json!({
                "type": "Image",
                "mediaType": m.content_type,
                "url": urls.media(&m.public_id),
                "name": m.alt_text,
                "width": m.width,
                "height": m.height,
            });
        }
    }
    if !presence.attribution_domains.is_empty() {
        actor["attributionDomains"] = json!(presence.attribution_domains);
    }
    // A server moving an account's followers here (`Move`) checks that this account names
    // the old one.
    if !account.profile.also_known_as.is_empty() {
        actor["alsoKnownAs"] = json!(account.profile.also_known_as);
    }
    // Servers show a moved account as moved and point its visitors to the new one.
    if let Some(to) = &account.moved_to {
        actor["movedTo"] = json!(to);
    }
    // FEP-521a: the Ed25519 key its activities' integrity proofs verify with, beside the
    // RSA key that most servers still check signatures with.
    if let Some(multibase) = &account.proof_key_public {
        actor["assertionMethod"] = json!([{
            "id": urls.proof_key_id(u),
            "type": "Multikey",
            "controller": actor_id,
            "publicKeyMultibase": multibase,
        }]);
        if let Some(Value::Array(context)) = actor.get_mut("@context") {
            // The contexts that define Multikey (Fedify preloads both).
            context.insert(2, json!("https://www.w3.org/ns/did/v1"));
            context.insert(3, json!("https://w3id.org/security/multikey/v1"));
        }
    }
    if let Some(summary) = &account.summary {
        actor["summary"] = Value::String(bio_html(summary));
    }
    actor
}

/// The biography as HTML: a paragraph per blank-line-separated block, line breaks kept.
pub fn bio_html(bio: &str) -> String {
    bio.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", p.lines().map(escape_html).collect::<Vec<_>>().join("<br>")))
        .collect()
}

/// A profile field's value as HTML: an https address becomes the link Mastodon verifies
/// (`rel="me"`, shown without its scheme), anything else stays text.
pub fn field_html(value: &str) -> String {
    match herold_domain::link_of(value) {
        Some(url) => {
            let href = url.to_string();
            let shown = shown_address(&url);
            format!(
                "<a href=\"{}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
                escape_html(&href),
                escape_html(&shown)
            )
        }
        None => escape_html(value),
    }
}

/// An address as a profile shows it: without `https://` and a lone trailing slash.
pub fn shown_address(url: &url::Url) -> String {
    let href = url.as_str();
    href.trim_start_matches("https://").trim_end_matches('/').to_owned()
}

/// The profile fields Herold adds to every account: which body speaks (on a shared instance
/// the name of the account alone would not tell) and its body's legal pages (its own, or
/// the privacy notice Herold writes), named in the account's language.
pub fn added_fields(urls: &Urls, account: &Account, presence: &Presence) -> Vec<(String, String)> {
    let mut fields = vec![("Organisation".to_owned(), account.org_name.clone())];
    for page in herold_domain::LegalPage::ALL {
        if let Some(address) = legal_page_url(urls, presence, &account.org_slug, page) {
            fields.push((page.label(&account.language).to_owned(), address));
        }
    }
    fields
}

/// Where an organisation's legal page is: its own page, else the one Herold hosts from the
/// policy's text, else (for the privacy notice) the one Herold writes.
pub fn legal_page_url(
    urls: &Urls,
    presence: &Presence,
    org_slug: &str,
    page: herold_domain::LegalPage,
) -> Option<String> {
    match (presence.legal.get(page), presence.legal.hosted_text(page), page) {
        (Some(own), _, _) => Some(own.to_owned()),
        (None, Some(_), _) => Some(urls.hosted_legal_page(org_slug, page.key())),
        (None, None, herold_domain::LegalPage::PrivacyNotice) => Some(urls.privacy_notice(org_slug)),
        (None, None, _) => None,
    }
}

/// The profile fields an actor carries: the account's own, then those Herold adds.
pub fn profile_fields(urls: &Urls, account: &Account, presence: &Presence) -> Value {
    let own = account.profile.fields.iter().map(|f| (f.name.clone(), f.value.clone()));
    let added = added_fields(urls, account, presence);
    Value::Array(
        own.chain(added)
            .map(
                |(name, value)| json!({ "type": "PropertyValue", "name": name, "value": field_html(&value) }),
            )
            .collect(),
    )
}

/// The instance actor that signs our fetches; readable without a signature.
pub fn instance_actor(urls: &Urls, public_key_pem: &str) -> Value {
    json!({
        "@context": context(),
        "id": urls.instance_actor(),
        "type": "Application",
        "preferredUsername": urls.host(),
        "name": "Herold",
        "inbox": urls.shared_inbox(),
        "outbox": format!("{}/outbox", urls.instance_actor()),
        "url": urls.home(),
        "manuallyApprovesFollowers": true,
        "publicKey": {
            "id": urls.instance_key_id(),
            "owner": urls.instance_actor(),
            "publicKeyPem": public_key_pem,
        },
    })
}

/// The relay actor: an `Application` (what Mastodon, Friendica and the LitePub servers
/// expect of a relay) whose inbox and shared inbox are the URL admins enter.
pub fn relay_actor(urls: &Urls, public_key_pem: &str, manually_approves: bool) -> Value {
    json!({
        "@context": context(),
        "id": urls.relay_actor(),
        "type": "Application",
        "preferredUsername": "relay",
        "name": format!("Herold relay of {}", urls.host()),
        "summary": "Official announcements of public bodies. Subscribe by adding this relay's inbox to your server's relays.",
        "inbox": urls.relay_inbox(),
        "endpoints": { "sharedInbox": urls.relay_inbox() },
        "url": urls.relay_actor(),
        "manuallyApprovesFollowers": manually_approves,
        "publicKey": {
            "id": urls.relay_key_id(),
            "owner": urls.relay_actor(),
            "publicKeyPem": public_key_pem,
        },
    })
}

/// Wraps an object in an activity addressed like the object (public, and copied to the
/// followers and whoever the object mentions).
pub fn activity(id: &str, kind: &str, actor: &str, object: Value, followers: &str) -> Value {
    let published = object.get("updated").or_else(|| object.get("published")).cloned();
    let cc = object.get("cc").cloned().unwrap_or_else(|| json!([followers]));
    let mut a = json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "cc": cc,
        "object": object,
    });
    if let Some(published) = published {
        a["published"] = published;
    }
    a
}

/// An `Accept` or `Reject` of a Follow.
pub fn answer(kind: &str, id: &str, actor: &str, follow: &Value) -> Value {
    // Echo the Follow's identifying fields only; the rest of what a remote sent is not ours
    // to repeat.
    let object = json!({
        "id": follow.get("id"),
        "type": "Follow",
        "actor": follow.get("actor"),
        "object": follow.get("object"),
    });
    json!({ "@context": AS_CONTEXT, "id": id, "type": kind, "actor": actor, "object": object })
}

pub fn accept(id: &str, actor: &str, follow: &Value) -> Value {
    answer("Accept", id, actor, follow)
}

/// The `Accept` (with the stamp as its `result`) or `Reject` of a QuoteRequest or
/// FeatureRequest, echoing the request's identifying fields (its instrument by id: the
/// other server's post is not ours to repeat), addressed to the requester alone.
pub fn answer_request(
    kind: &str,
    id: &str,
    actor: &str,
    request: &Value,
    instrument: &str,
    result: Option<&str>,
) -> Value {
    let requester = request.get("actor").and_then(id_of).unwrap_or_default();
    let object = json!({
        "id": request.get("id"),
        "type": request.get("type"),
        "actor": requester,
        "object": request.get("object").and_then(id_of),
        "instrument": instrument,
    });
    let mut answer = json!({ "@context": context(), "id": id, "type": kind, "actor": actor, "to": [requester], "object": object });
    if let Some(result) = result {
        answer["result"] = Value::String(result.to_owned());
    }
    answer
}

/// The consent to a reply that arrived without asking (GoToSocial v0.20 sends a follower's
/// reply as a plain Create to the author alone and holds it back until this `Accept`):
/// `object` the reply, `target` the announcement, `result` the `ReplyAuthorization`.
pub fn accept_reply(
    id: &str,
    actor: &str,
    followers: &str,
    replier: &str,
    reply: &str,
    target: &str,
    result: &str,
) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": "Accept",
        "actor": actor,
        "to": [replier],
        "cc": [PUBLIC, followers],
        "object": reply,
        "target": target,
        "result": result,
    })
}

/// A consent to quote (`QuoteAuthorization`) or to feature (`FeatureAuthorization`): what
/// may interact (`interactingObject`) with what (`interactionTarget`), vouched for by the
/// author. Served from the author's origin, which is what makes it authentic.
pub fn authorization(kind: &str, id: &str, author: &str, interacting_object: &str, target: &str) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "attributedTo": author,
        "interactingObject": interacting_object,
        "interactionTarget": target,
    })
}

/// Takes a consent back: a `Delete` of the stamp, to the server it was given to.
pub fn revoke(id: &str, actor: &str, stamp: &str, to: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Delete", "actor": actor, "to": [to], "object": stamp })
}

/// A public `Announce` of a post by its id: what a relay sends so that receivers fetch the
/// post from its origin.
pub fn announce(id: &str, actor: &str, object: &str, published: i64) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Announce",
        "actor": actor,
        "object": object,
        "to": [PUBLIC],
        "published": format_rfc3339(published),
    })
}

pub fn tombstone(id: &str, deleted: i64) -> Value {
    json!({ "id": id, "type": "Tombstone", "formerType": "Note", "deleted": format_rfc3339(deleted) })
}

/// A paged `OrderedCollection`: the collection itself links to its first page.
pub fn ordered_collection(id: &str, total: i64, first: Option<String>) -> Value {
    let mut c = json!({ "@context": AS_CONTEXT, "id": id, "type": "OrderedCollection", "totalItems": total });
    if let Some(first) = first {
        c["first"] = Value::String(first);
    }
    c
}

pub fn ordered_collection_page(
    id: &str,
    part_of: &str,
    items: Vec<Value>,
    next: Option<String>,
    prev: Option<String>,
) -> Value {
    let mut p = json!({
        "@context": context(),
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    });
    if let Some(next) = next {
        p["next"] = Value::String(next);
    }
    if let Some(prev) = prev {
        p["prev"] = Value::String(prev);
    }
    p
}

/// The id of an `actor`/`object` field, whether given as a string or an embedded object.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn http_url(v: Option<&Value>, what: &str) -> Result<String, FederationError> {
    let s =
        v.and_then(Value::as_str).ok_or_else(|| FederationError::Invalid(format!("actor has no {what}")))?;
    let url =
        url::Url::parse(s).map_err(|_| FederationError::Invalid(format!("actor {what} is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FederationError::Invalid(format!("actor {what} is not http(s)")));
    }
    Ok(url.into())
}

/// The keys a document lists, each with its id: `publicKey` (one or several, as Mastodon,
/// GoToSocial, Misskey and Pleroma publish them) and `assertionMethod` (FEP-521a Multikeys,
/// as Fedify publishes every key), in that order.
pub fn listed_keys(doc: &Value) -> impl Iterator<Item = (&str, &Value)> {
    let entries = |field: &str| match doc.get(field) {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    let mut all = entries("publicKey");
    all.extend(entries("assertionMethod"));
    all.into_iter().filter_map(|k| k.get("id").and_then(Value::as_str).map(|id| (id, k)))
}

/// Who a key says it belongs to: `owner` (security v1) or `controller` (Multikey, FEP-521a).
pub fn key_controller(key: &Value) -> Option<&str> {
    key.get("owner").or_else(|| key.get("controller")).and_then(id_of)
}

/// The key material of a listed key: `publicKeyPem` or `publicKeyMultibase`.
pub fn key_material(key: &Value) -> Result<crate::keys::PublicKey, FederationError> {
    if let Some(pem) = key.get("publicKeyPem").and_then(Value::as_str) {
        crate::keys::PublicKey::from_pem(pem)
    } else if let Some(multibase) = key.get("publicKeyMultibase").and_then(Value::as_str) {
        crate::keys::PublicKey::from_multibase(multibase)
    } else {
        Err(FederationError::Invalid("the key has no publicKeyPem or publicKeyMultibase".into()))
    }
}

/// Whether two URLs share scheme, host and port.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Reads what we keep of a remote actor: its inboxes and one of its keys, the one named
/// `key_id` (it must be listed), or else the first.
pub fn parse_actor(
    doc: &Value,
    key_id: Option<&str>,
    fetched_at: i64,
) -> Result<RemoteActor, FederationError> {
    let uri = http_url(doc.get("id"), "id")?;
    let inbox = http_url(doc.get("inbox"), "inbox")?;
    let shared_inbox = doc
        .get("endpoints")
        .and_then(|e| e.get("sharedInbox"))
        .map(|v| http_url(Some(v), "sharedInbox"))
        .transpose()?;
    // Herold signs POSTs to these for as long as the actor follows: on another server they
    // would make it a reflector of signed requests to any URL the actor names.
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    for (what, target) in [("inbox", Some(&inbox)), ("sharedInbox", shared_inbox.as_ref())] {
        if let Some(target) = target {
            if host(target) != host(&uri) {
                return Err(FederationError::Invalid(format!("actor {what} is on another server")));
            }
        }
    }
    let (listed_id, key) = match key_id {
        Some(wanted) => listed_keys(doc).find(|(id, _)| *id == wanted),
        None => listed_keys(doc).next(),
    }
    .ok_or_else(|| FederationError::Invalid("the actor does not list the key".into()))?;
    if let Some(owner) = key_controller(key) {
        if owner != uri {
            return Err(FederationError::Invalid("actor key belongs to another actor".into()));
        }
    }
    // A key id must live with its actor (`actor#main-key`, or a key document on the same
    // origin); otherwise one server could claim another's key id and shadow it.
    if !same_origin(listed_id, &uri) {
        return Err(FederationError::Invalid("actor key id is on another server".into()));
    }
    let public_key_pem = key_material(key)?.to_pem()?;
    Ok(RemoteActor { uri, inbox, shared_inbox, key_id: listed_id.to_owned(), public_key_pem, fetched_at })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reply_policy_names_who_may_reply() {
        let (me, followers) = ("https://h.example/users/press", "https://h.example/users/press/followers");
        let mentioned = ["https://social.example/users/anna"];
        let can_reply = |replies| {
            let policy = post_interaction_policy(me, followers, QuoteAudience::Everyone, replies, &mentioned);
            policy["canReply"]["automaticApproval"].clone()
        };
        assert_eq!(can_reply(ReplyAudience::Everyone), serde_json::json!([PUBLIC]));
        assert_eq!(can_reply(ReplyAudience::Followers), serde_json::json!([followers]));
        assert_eq!(can_reply(ReplyAudience::Mentioned), serde_json::json!([me, mentioned[0]]));
        // The author alone: an empty list would read as no policy at all.
        assert_eq!(can_reply(ReplyAudience::Nobody), serde_json::json!([me]));
    }

    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn remote_actor_needs_inbox_and_its_own_key() {
        let key = crate::keys::generate_rsa_2048().unwrap();
        let mut doc = json!({
            "id": "https://m.example/users/a",
            "inbox": "https://m.example/users/a/inbox",
            "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "publicKey": {"id": "https://m.example/users/a#main-key", "owner": "https://m.example/users/a", "publicKeyPem": key.public_key_pem},
        });
        let a = parse_actor(&doc, None, 1).unwrap();
        assert_eq!(a.shared_inbox.as_deref(), Some("https://m.example/inbox"));
        doc["publicKey"]["owner"] = json!("https://evil.example/users/b");
        assert!(parse_actor(&doc, None, 1).is_err());
        doc["publicKey"]["owner"] = json!("https://m.example/users/a");
        doc["publicKey"]["id"] = json!("https://victim.example/users/bob#main-key");
        assert!(parse_actor(&doc, None, 1).is_err(), "a key id on another server");
        doc["publicKey"]["id"] = json!("https://m.example/users/a#main-key");
        doc["inbox"] = json!("javascript:alert(1)");
        assert!(parse_actor(&doc, None, 1).is_err());
        doc["inbox"] = json!("https://victim.example/any/path?x=1");
        assert!(parse_actor(&doc, None, 1).is_err(), "an inbox on another server");
        doc["inbox"] = json!("https://m.example/users/a/inbox");
        doc["endpoints"]["sharedInbox"] = json!("https://victim.example/inbox");
        assert!(parse_actor(&doc, None, 1).is_err(), "a shared inbox on another server");
    }
}
