//! Actor keys: RSA-2048 generation, sealing private keys at rest, and signing.

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_SHA256};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::FederationError;

/// The key that seals every actor's private key in the database (AES-256-GCM). A database
/// dump alone therefore cannot sign as a public body.
pub struct KeyEncryptionKey(LessSafeKey);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

impl KeyEncryptionKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FederationError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| FederationError::Key("the key-encryption key must be 32 bytes".into()))?;
        Ok(KeyEncryptionKey(LessSafeKey::new(key)))
    }

    pub fn from_base64(text: &str) -> Result<Self, FederationError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| FederationError::Key("the key-encryption key must be base64".into()))?;
        Self::from_bytes(&bytes)
    }

    /// Reads the key file, or creates it with fresh random bytes and mode 0600.
    pub fn load_or_create(path: &Path) -> Result<Self, FederationError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| FederationError::Key("no system randomness".into()))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private_file(path, B64.encode(bytes).as_bytes())?;
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Seals `plaintext`; `context` (the key's owner) is bound in, so a sealed key copied to
    /// another row does not open.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, FederationError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| FederationError::Key("no system randomness".into()))?;
        let mut buf = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| FederationError::Key("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(B64.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, FederationError> {
        let bad = || {
            FederationError::Key(format!(
                "the private key of {context} does not open with this key-encryption key"
            ))
        };
        let raw = B64.decode(sealed).map_err(|_| bad())?;
        if raw.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut buf = ct.to_vec();
        let plain =
            self.0.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).map_err(|_| bad())?;
        Ok(plain.to_vec())
    }
}

#[cfg(unix)]
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A freshly generated RSA-2048 key: PKCS#8 DER (to seal) and SPKI PEM (to publish).
pub struct GeneratedKey {
    pub pkcs8_der: Vec<u8>,
    pub public_key_pem: String,
}

pub fn generate_rsa_2048() -> Result<GeneratedKey, FederationError> {
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .map_err(|e| FederationError::Key(format!("RSA key generation failed: {e}")))?;
    let pkcs8_der = private
        .to_pkcs8_der()
        .map_err(|e| FederationError::Key(format!("PKCS#8 encoding failed: {e}")))?
        .as_bytes()
        .to_vec();
    let public_key_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| FederationError::Key(format!("public key encoding failed: {e}")))?;
    Ok(GeneratedKey { pkcs8_der, public_key_pem })
}

/// A private key ready to sign, with the `keyId` remote servers fetch it under.
pub struct Signer {
    pub key_id: String,
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl Signer {
    pub fn from_pkcs8(key_id: String, der: &[u8]) -> Result<Arc<Self>, FederationError> {
        let key = RsaKeyPair::from_pkcs8(der)
            .map_err(|e| FederationError::Key(format!("unusable private key for {key_id}: {e}")))?;
        Ok(Arc::new(Signer { key_id, key, rng: SystemRandom::new() }))
    }

    /// Opens a sealed key and prepares it for signing.
    pub fn open(
        kek: &KeyEncryptionKey,
        key_id: String,
        sealed: &str,
        context: &str,
    ) -> Result<Arc<Self>, FederationError> {
        let der = kek.open(sealed, context)?;
        Self::from_pkcs8(key_id, &der)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256. CPU-bound (about a millisecond): call it off the
    /// async runtime's worker threads.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, FederationError> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
            .map_err(|_| FederationError::Key("signing failed".into()))?;
        Ok(sig)
    }
}

/// A remote actor's RSA public key, parsed once.
#[derive(Clone)]
pub struct PublicKey {
    pkcs1_der: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} bytes)", self.pkcs1_der.len())
    }
}

impl PublicKey {
    /// Accepts SPKI (`BEGIN PUBLIC KEY`, what ActivityPub servers publish) and PKCS#1.
    pub fn from_pem(pem: &str) -> Result<Self, FederationError> {
        let pem = pem.trim();
        let key = rsa::RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| FederationError::Signature("the public key is not an RSA key in PEM".into()))?;
        let pkcs1_der = key
            .to_pkcs1_der()
            .map_err(|_| FederationError::Signature("the public key does not encode".into()))?
            .as_bytes()
            .to_vec();
        Ok(PublicKey { pkcs1_der })
    }

    /// Verifies RSASSA-PKCS1-v1_5 SHA-256 for keys of 2048 to 8192 bits.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verify_with(&ring::signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
    }

    pub fn verify_with(
        &self,
        algorithm: &'static dyn ring::signature::VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        UnparsedPublicKey::new(algorithm, &self.pkcs1_der).verify(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_context_and_key() {
        let kek = KeyEncryptionKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = kek.seal(b"secret", "acct:press").unwrap();
        assert_eq!(kek.open(&sealed, "acct:press").unwrap(), b"secret");
        assert!(kek.open(&sealed, "acct:other").is_err());
        let other = KeyEncryptionKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.open(&sealed, "acct:press").is_err());
        assert!(KeyEncryptionKey::from_bytes(&[0u8; 16]).is_err());
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let generated = generate_rsa_2048().unwrap();
        let signer = Signer::from_pkcs8("k".into(), &generated.pkcs8_der).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        let public = PublicKey::from_pem(&generated.public_key_pem).unwrap();
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellp", &sig));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("herold-kek-{}", uuid::Uuid::new_v4()));
        let path = dir.join("key-encryption.key");
        let first = KeyEncryptionKey::load_or_create(&path).unwrap();
        let sealed = first.seal(b"x", "c").unwrap();
        let second = KeyEncryptionKey::load_or_create(&path).unwrap();
        assert_eq!(second.open(&sealed, "c").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
