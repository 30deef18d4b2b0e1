//! Object integrity proofs (FEP-8b32, the `eddsa-jcs-2022` cryptosuite): an activity signed
//! in its body with the author's Ed25519 key, so that it can be checked without asking the
//! server it came from: Mastodon accepts such an activity from a relay as it accepts one
//! with an LD signature, and anyone can verify an official announcement offline.

use herold_domain::{format_rfc3339, Millis};
use ring::digest::{digest, SHA256};
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Map, Value};

use crate::keys::{base58btc_encode, PublicKey};
use crate::FederationError;

/// The context that defines `proof` and `DataIntegrityProof`; Fedify preloads it.
pub const DATA_INTEGRITY_CONTEXT: &str = "https://w3id.org/security/data-integrity/v1";

/// An account's proof key, opened, with the id its actor lists it under.
pub struct ProofKey {
    verification_method: String,
    key: Ed25519KeyPair,
}

impl ProofKey {
    pub fn from_pkcs8(verification_method: String, der: &[u8]) -> Result<Self, FederationError> {
        let key = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|_| FederationError::Key(format!("unusable Ed25519 key for {verification_method}")))?;
        Ok(ProofKey { verification_method, key })
    }

    /// The key's id: a fragment of the actor, listed in its `assertionMethod`.
    pub fn key_id(&self) -> &str {
        &self.verification_method
    }

    /// A plain Ed25519 signature of `message`, as an RFC 9421 HTTP signature takes it. Tens
    /// of microseconds: cheap enough for the async threads.
    pub fn sign_message(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).as_ref().to_vec()
    }

    /// Adds a `proof` to `doc` (an activity with its `@context`), naming the context that
    /// defines it. A document with a fractional number cannot be canonicalised here and
    /// is returned as it was.
    pub fn prove(&self, mut doc: Value, created: Millis) -> Value {
        if let Some(Value::Array(context)) = doc.get_mut("@context") {
            if !context.iter().any(|c| c == DATA_INTEGRITY_CONTEXT) {
                context.insert(1, Value::String(DATA_INTEGRITY_CONTEXT.into()));
            }
        }
        let options = json!({
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "verificationMethod": self.verification_method,
            "proofPurpose": "assertionMethod",
            // Whole seconds: verifiers re-serialise the time, and must get these characters.
            "created": format_rfc3339(created - created.rem_euclid(1000)),
        });
        let Some(hashed) = hash_data(&doc, &options) else { return doc };
        let signature = self.key.sign(&hashed);
        // The proof carries the document's context, as FEP-8b32's examples do: verifiers that
        // hash the proof as given (without its value) then hash what the W3C cryptosuite
        // hashes, which puts the document's context into the proof options.
        let mut proof = options;
        proof["@context"] = doc.get("@context").cloned().unwrap_or(Value::Null);
        proof["proofValue"] = Value::String(format!("z{}", base58btc_encode(signature.as_ref())));
        doc["proof"] = proof;
        doc
    }
}

/// Whether `doc`'s `proof` is an `eddsa-jcs-2022` proof for assertion by `key`. Which key
/// the proof names (`verificationMethod`) is the caller's to check against the author.
pub fn verify(doc: &Value, key: &PublicKey) -> bool {
    let Some(proof) = doc.get("proof").and_then(Value::as_object) else { return false };
    let fields = |name: &str| proof.get(name).and_then(Value::as_str);
    if fields("type") != Some("DataIntegrityProof")
        || fields("cryptosuite") != Some("eddsa-jcs-2022")
        || fields("proofPurpose") != Some("assertionMethod")
    {
        return false;
    }
    let Some(signature) =
        fields("proofValue").and_then(|v| v.strip_prefix('z')).and_then(crate::keys::base58btc_decode)
    else {
        return false;
    };
    let mut unsecured = doc.clone();
    if let Some(o) = unsecured.as_object_mut() {
        o.remove("proof");
    }
    let mut options: Map<String, Value> = proof.clone();
    options.remove("proofValue");
    options.remove("@context");
    let Some(hashed) = hash_data(&unsecured, &Value::Object(options)) else { return false };
    key.is_ed25519() && key.verify(&hashed, &signature)
}

/// SHA-256 of the proof options (under the document's context), then of the document,
/// both canonicalised by JCS.
fn hash_data(doc: &Value, options: &Value) -> Option<Vec<u8>> {
    let mut config = options.clone();
    config["@context"] = doc.get("@context").cloned().unwrap_or(Value::Null);
    let mut hashed = digest(&SHA256, canonical(&config)?.as_bytes()).as_ref().to_vec();
    hashed.extend_from_slice(digest(&SHA256, canonical(doc)?.as_bytes()).as_ref());
    Some(hashed)
}

/// The largest integer an ECMAScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// RFC 8785 (JCS) for documents whose numbers are integers an ECMAScript number holds
/// exactly, which are all Herold signs; `None` for another number (its ECMAScript form is
/// not reproduced here).
pub fn canonical(value: &Value) -> Option<String> {
    let mut out = String::new();
    write_canonical(&mut out, value)?;
    Some(out)
}

fn write_canonical(out: &mut String, value: &Value) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // ECMAScript numbers are doubles: integers beyond 2^53 would be written rounded.
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => out.push_str(&i.to_string()),
            _ => return None,
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Member names in the order of their UTF-16 code units.
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_canonical(out, member)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// A string as ECMAScript's `JSON.stringify` writes it.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_ed25519;

    #[test]
    fn canonical_json_sorts_by_utf16_and_escapes_as_ecmascript() {
        // RFC 8785's sorting example (section 3.2.3): an astral character sorts by its
        // surrogates, so the emoji comes before U+FB33 although its code point is larger.
        let v: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",
                "1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control",
                "\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let text = canonical(&v).unwrap();
        let order: Vec<usize> = ["Carriage", "One", "Control", "Latin", "Euro", "Emoji", "Hebrew"]
            .iter()
            .map(|value| text.find(value).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(text.starts_with(r#"{"\r":"Carriage Return","1":"One","#), "{text}");
        assert_eq!(
            canonical(
                &json!({"b": [1, true, null, "a\u{1}\n\"/"], "a": {"z": -7, "y": 9007199254740991u64}})
            )
            .unwrap(),
            r#"{"a":{"y":9007199254740991,"z":-7},"b":[1,true,null,"a\u0001\n\"/"]}"#
        );
        assert_eq!(canonical(&json!({"x": 1.5})), None, "fractions are not canonicalised here");
        assert_eq!(canonical(&json!({"x": 9007199254740993u64})), None, "nor integers a double rounds");
    }

    #[test]
    fn proofs_verify_and_any_change_breaks_them() {
        let generated = generate_ed25519().unwrap();
        let key =
            ProofKey::from_pkcs8("https://h.example/users/press#ed25519-key".into(), &generated.pkcs8_der)
                .unwrap();
        let public = PublicKey::from_multibase(&generated.public_multibase).unwrap();
        let activity = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
            "id": "https://h.example/users/press/activities/1", "type": "Create",
            "actor": "https://h.example/users/press",
            "object": {"type": "Note", "content": "<p>Straße gesperrt</p>", "width": 640},
        });
        let signed = key.prove(activity, 1_800_000_000_123);
        assert_eq!(signed["@context"][1], DATA_INTEGRITY_CONTEXT);
        assert_eq!(signed["proof"]["created"], "2027-01-15T08:00:00Z");
        assert!(verify(&signed, &public));
        // Hashing the proof as given, less its value, hashes the same options.
        let mut as_given = signed["proof"].clone();
        as_given.as_object_mut().unwrap().remove("proofValue");
        let mut spec = as_given.clone();
        spec.as_object_mut().unwrap().remove("@context");
        spec["@context"] = signed["@context"].clone();
        assert_eq!(canonical(&as_given), canonical(&spec));
        // Member order and whitespace do not matter; content does.
        let reparsed: Value = serde_json::from_str(&serde_json::to_string_pretty(&signed).unwrap()).unwrap();
        assert!(verify(&reparsed, &public));
        let mut changed = signed.clone();
        changed["object"]["content"] = json!("<p>Straße frei</p>");
        assert!(!verify(&changed, &public));
        let mut redated = signed.clone();
        redated["proof"]["created"] = json!("2027-01-15T08:00:01Z");
        assert!(!verify(&redated, &public), "the proof's options are signed too");
        let other = PublicKey::from_multibase(&generate_ed25519().unwrap().public_multibase).unwrap();
        assert!(!verify(&signed, &other));
    }
}
