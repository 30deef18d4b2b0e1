//! C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, and the tlog checkpoint
//! body they carry (https://c2sp.org/tlog-checkpoint).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

use crate::merkle::Hash;
use crate::ComplianceError;

const ALG_ED25519: u8 = 0x01;

fn key_id(name: &str, public: &[u8]) -> [u8; 4] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(&[0x0a, ALG_ED25519]);
    ctx.update(public);
    let d = ctx.finish();
    [d.as_ref()[0], d.as_ref()[1], d.as_ref()[2], d.as_ref()[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// A note signer: an Ed25519 key with a name (`herold.example.gov/audit`).
pub struct NoteSigner {
    pub name: String,
    key: Ed25519KeyPair,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl NoteSigner {
    pub fn from_seed(name: &str, seed: &[u8]) -> Result<Self, ComplianceError> {
        if !valid_name(name) {
            return Err(ComplianceError::Key(format!("invalid key name {name:?}")));
        }
        let key = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| {
            ComplianceError::Key("the audit signing key must be a 32-byte Ed25519 seed".into())
        })?;
        Ok(NoteSigner { name: name.to_owned(), key })
    }

    /// The verifier key in C2SP form: `name+keyid+base64(0x01 ‖ public key)`.
    pub fn verifier_key(&self) -> String {
        let public = self.key.public_key().as_ref();
        let mut enc = vec![ALG_ED25519];
        enc.extend_from_slice(public);
        format!(
            "{}+{}+{}",
            self.name,
            herold_domain::audit::hex(&key_id(&self.name, public)),
            B64.encode(enc)
        )
    }

    fn signature_line(&self, text: &str) -> String {
        let public = self.key.public_key().as_ref();
        let mut blob = key_id(&self.name, public).to_vec();
        blob.extend_from_slice(self.key.sign(text.as_bytes()).as_ref());
        format!("\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

/// Signs `text` (which must end in a newline) with every signer.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> String {
    let mut note = format!("{text}\n");
    for s in signers {
        note.push_str(&s.signature_line(text));
    }
    note
}

#[derive(Debug, Clone)]
pub struct Verifier {
    pub name: String,
    id: [u8; 4],
    public: Vec<u8>,
}

impl Verifier {
    pub fn parse(vkey: &str) -> Result<Self, ComplianceError> {
        let bad = || ComplianceError::Malformed(format!("not a verifier key: {vkey:?}"));
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let key = B64.decode(key).map_err(|_| bad())?;
        if key.len() != 33 || key[0] != ALG_ED25519 || !valid_name(name) {
            return Err(bad());
        }
        let public = key[1..].to_vec();
        let expected = key_id(name, &public);
        if herold_domain::audit::hex(&expected) != id {
            return Err(bad());
        }
        Ok(Verifier { name: name.to_owned(), id: expected, public })
    }
}

/// Splits a note and returns its text if at least one signature is by a known verifier.
/// Signatures by unknown keys are ignored, as the format requires (cosigners, rotation).
pub fn open<'a>(note: &'a str, verifiers: &[Verifier]) -> Result<(&'a str, Vec<String>), ComplianceError> {
    let split = note.rfind("\n\n").ok_or_else(|| {
        ComplianceError::Malformed("a note needs a blank line before its signatures".into())
    })?;
    let text = &note[..split + 1];
    let mut verified_by = Vec::new();
    for line in note[split + 2..].lines() {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| ComplianceError::Malformed("malformed signature line".into()))?;
        let (name, sig) = rest
            .split_once(' ')
            .ok_or_else(|| ComplianceError::Malformed("malformed signature line".into()))?;
        let blob =
            B64.decode(sig).map_err(|_| ComplianceError::Malformed("signature is not base64".into()))?;
        if blob.len() != 4 + 64 {
            continue;
        }
        for v in verifiers.iter().filter(|v| v.name == name && v.id == blob[..4]) {
            if UnparsedPublicKey::new(&ED25519, &v.public).verify(text.as_bytes(), &blob[4..]).is_ok() {
                verified_by.push(v.name.clone());
            }
        }
    }
    if verified_by.is_empty() {
        return Err(ComplianceError::Key("no trusted signature on the checkpoint".into()));
    }
    Ok((text, verified_by))
}

/// The body of a tlog checkpoint: origin, tree size, root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    pub fn parse(text: &str) -> Result<Self, ComplianceError> {
        let bad = |m: &str| ComplianceError::Malformed(format!("checkpoint: {m}"));
        let mut lines = text.lines();
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or_else(|| bad("no origin"))?;
        let size = lines.next().and_then(|s| s.parse().ok()).ok_or_else(|| bad("no tree size"))?;
        let root: Hash = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("no root hash"))?;
        Ok(Checkpoint { origin: origin.to_owned(), size, root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::from_seed(name, &[seed; 32]).unwrap()
    }

    #[test]
    fn notes_verify_with_their_key_only() {
        let s = signer("example.org/audit", 1);
        let cp = Checkpoint { origin: "example.org/audit".into(), size: 5, root: [7; 32] };
        let note = sign(&cp.text(), &[&s]);
        let v = Verifier::parse(&s.verifier_key()).unwrap();
        let (text, by) = open(&note, std::slice::from_ref(&v)).unwrap();
        assert_eq!(Checkpoint::parse(text).unwrap(), cp);
        assert_eq!(by, vec!["example.org/audit".to_owned()]);

        let other = Verifier::parse(&signer("example.org/audit", 2).verifier_key()).unwrap();
        assert!(open(&note, &[other]).is_err(), "unknown key");
        let forged = note.replace("\n5\n", "\n6\n");
        assert!(open(&forged, std::slice::from_ref(&v)).is_err(), "edited body");
        assert!(open("no signatures", &[v]).is_err());
    }

    #[test]
    fn cosigned_notes_verify_with_either_key() {
        let (old, new) = (signer("h/audit", 1), signer("h/audit", 2));
        let note = sign("h/audit\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", &[&old, &new]);
        assert!(open(&note, &[Verifier::parse(&new.verifier_key()).unwrap()]).is_ok());
        assert!(open(&note, &[Verifier::parse(&old.verifier_key()).unwrap()]).is_ok());
    }

    #[test]
    fn verifier_keys_are_checked() {
        let vkey = signer("h/audit", 1).verifier_key();
        assert!(Verifier::parse(&vkey).is_ok());
        assert!(Verifier::parse(&vkey.replacen("h/audit", "x/audit", 1)).is_err(), "id must match name");
        assert!(Verifier::parse("garbage").is_err());
    }
}
