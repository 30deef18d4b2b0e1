//! The audit trail's entry format: what a leaf of the Merkle tree commits to. Personal
//! details live in a separate, erasable payload; the leaf keeps only a salted commitment to
//! it, so erasing the payload never breaks verification.

use ring::hmac;

/// One audit entry as hashed into the tree (RFC 9162 leaf input).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditLeaf {
    pub seq: i64,
    pub at: i64,
    pub org: Option<String>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// Hex SHA-256 of `salt ‖ payload`.
    pub payload_commitment: String,
}

impl AuditLeaf {
    /// Canonical JSON (RFC 8785 for this shape: sorted ASCII keys, no whitespace, integers
    /// and strings only).
    pub fn canonical(&self) -> Vec<u8> {
        let mut map = serde_json::Map::new();
        map.insert("action".into(), self.action.clone().into());
        map.insert("actor".into(), self.actor.clone().into());
        map.insert("at".into(), self.at.into());
        map.insert("org".into(), self.org.clone().map_or(serde_json::Value::Null, Into::into));
        map.insert("payload_commitment".into(), self.payload_commitment.clone().into());
        map.insert("seq".into(), self.seq.into());
        map.insert("subject".into(), self.subject.clone().into());
        // serde_json's map is ordered by key, and compact output matches RFC 8785 for
        // these value types.
        serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or_default()
    }

    /// `SHA-256(0x00 ‖ canonical entry)`, the RFC 9162 leaf hash.
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&[0]);
        ctx.update(&self.canonical());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

/// `hex(SHA-256(salt ‖ payload))`.
pub fn payload_commitment(salt: &[u8], payload: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(salt);
    ctx.update(payload);
    hex(ctx.finish().as_ref())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A keyed seal on each leaf. The key lives outside the database, so whoever can edit rows
/// cannot re-seal an edited, swapped or inserted entry: the verifier names the first entry
/// whose seal fails.
#[derive(Clone)]
pub struct AuditSeal(hmac::Key);

impl std::fmt::Debug for AuditSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditSeal(<redacted>)")
    }
}

impl AuditSeal {
    pub fn new(key: &[u8]) -> Self {
        AuditSeal(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    pub fn seal(&self, leaf_hash: &[u8; 32]) -> String {
        hex(hmac::sign(&self.0, leaf_hash).as_ref())
    }

    pub fn check(&self, leaf_hash: &[u8; 32], seal: &str) -> bool {
        unhex(seal).is_some_and(|s| hmac::verify(&self.0, leaf_hash, &s).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> AuditLeaf {
        AuditLeaf {
            seq: 1,
            at: 1_764_000_000_000,
            org: Some("bfdi".into()),
            actor: "operator".into(),
            action: "org.create".into(),
            subject: "org:bfdi".into(),
            payload_commitment: payload_commitment(b"salt", b"{}"),
        }
    }

    #[test]
    fn canonical_form_is_sorted_and_compact() {
        let text = String::from_utf8(leaf().canonical()).unwrap();
        assert!(text.starts_with(
            "{\"action\":\"org.create\",\"actor\":\"operator\",\"at\":1764000000000,\"org\":\"bfdi\""
        ));
        assert!(!text.contains(' '));
    }

    #[test]
    fn every_field_changes_the_leaf() {
        let base = leaf().leaf_hash();
        let mut l = leaf();
        l.seq = 2;
        assert_ne!(l.leaf_hash(), base);
        let mut l = leaf();
        l.subject = "org:x".into();
        assert_ne!(l.leaf_hash(), base);
        let mut l = leaf();
        l.org = None;
        assert_ne!(l.leaf_hash(), base);
    }

    #[test]
    fn seals_need_the_key() {
        let seal = AuditSeal::new(b"k1");
        let h = leaf().leaf_hash();
        let s = seal.seal(&h);
        assert!(seal.check(&h, &s));
        assert!(!AuditSeal::new(b"k2").check(&h, &s));
        assert!(!seal.check(&leaf().leaf_hash().map(|b| b ^ 1), &s));
        assert_eq!(unhex(&hex(&[0, 255, 16])).unwrap(), vec![0, 255, 16]);
    }
}
