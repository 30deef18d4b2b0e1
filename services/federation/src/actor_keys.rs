//! From a signature's key id to the actor who holds the key, whatever shape the key's server
//! publishes it in (`mastodon-4.7.md` §9 lists them):
//! - a fragment of the actor (`…/users/a#main-key`: Mastodon, Misskey, Pleroma, Akkoma,
//!   Fedify), the key in `publicKey` or, as a Multikey, in `assertionMethod`;
//! - a key document of its own naming its `owner` or `controller` (a `Key`,
//!   `CryptographicKey` or FEP-521a `Multikey`);
//! - a stub of the actor at the key's own URL (GoToSocial's `…/users/a/main-key`: `id` is the
//!   actor's, `publicKey.id` the key's, no inbox).
//!
//! Whatever the shape, the key's owner must be on the key's origin, and unless the key id
//! led straight to the full actor, the owner is fetched by its own id and must list the same
//! key. Every refusal is a signature failure (401): nothing about the request can be trusted.

use serde_json::Value;
use url::Url;

use herold_store::RemoteActor;

use crate::fetch::Fetcher;
use crate::vocab::{self, key_controller, key_material, listed_keys};
use crate::FederationError;

fn refused(why: &str) -> FederationError {
    FederationError::Signature(why.to_owned())
}

/// A document's own shape failing our checks is the sender's problem: 401, not 400.
fn as_signature_error(e: FederationError) -> FederationError {
    match e {
        FederationError::Invalid(m) => FederationError::Signature(m),
        other => other,
    }
}

/// The key `key_id` names, if `doc` lists it or is it.
fn find_key<'a>(doc: &'a Value, key_id: &str) -> Option<&'a Value> {
    let is_key_itself = doc.get("id").and_then(Value::as_str) == Some(key_id)
        && (doc.get("publicKeyPem").is_some() || doc.get("publicKeyMultibase").is_some());
    if is_key_itself {
        return Some(doc);
    }
    listed_keys(doc).find(|(id, _)| *id == key_id).map(|(_, key)| key)
}

/// Fetches the actor that holds `key_id`, with that key.
pub async fn key_owner(fetcher: &Fetcher, key_id: &str, now: i64) -> Result<RemoteActor, FederationError> {
    let key_url = Url::parse(key_id).map_err(|_| refused("the key id is not a URL"))?;
    let mut document_url = key_url.clone();
    document_url.set_fragment(None);
    let (doc, answered) = fetcher.get_document(key_id).await?;
    let doc_id =
        doc.get("id").and_then(Value::as_str).ok_or_else(|| refused("the key's document has no id"))?;

    // The key id led to the full actor: the key is a fragment of it.
    if doc_id == answered.as_str() && doc.get("inbox").is_some() {
        return vocab::parse_actor(&doc, Some(key_id), now).map_err(as_signature_error);
    }

    // A key document, or a stub of the actor: it names the owner, on the key's origin.
    let key = find_key(&doc, key_id).ok_or_else(|| refused("the key's document does not contain the key"))?;
    let owner = key_controller(key)
        .or_else(|| (doc_id != answered.as_str()).then_some(doc_id))
        .ok_or_else(|| refused("the key names no owner"))?;
    let owner_url = Url::parse(owner).map_err(|_| refused("the key's owner is not a URL"))?;
    if owner_url.origin() != answered.origin() {
        return Err(refused("the key's owner is on another server"));
    }
    // The document is the key itself (its own id) or speaks for the owner (the owner's id).
    if doc_id != answered.as_str() && doc_id != owner {
        return Err(refused("the key's document is neither the key nor its owner"));
    }
    let material = key_material(key).map_err(as_signature_error)?;

    // The owner, fetched strictly by its own id, must list the same key.
    let owner_doc = fetcher.get_object(owner).await.map_err(as_signature_error)?;
    let actor = vocab::parse_actor(&owner_doc, Some(key_id), now).map_err(as_signature_error)?;
    if crate::keys::PublicKey::from_pem(&actor.public_key_pem)? != material {
        return Err(refused("the key's document and its owner disagree about the key"));
    }
    Ok(actor)
}
