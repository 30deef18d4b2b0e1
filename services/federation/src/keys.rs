//! Actor keys: RSA-2048 generation, sealing private keys at rest, signing, and the public
//! keys of remote actors (RSA or Ed25519, as PEM or FEP-521a multikey).

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_SHA256};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::der::{pem, Decode};
use rsa::pkcs8::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::FederationError;

/// The key that seals every actor's private key in the database (AES-256-GCM). A database
/// dump alone therefore cannot sign as a public body.
pub struct KeyEncryptionKey {
    aead: LessSafeKey,
    /// Derived from the same secret, for pseudonyms that must stay stable across restarts
    /// (who reacted to an announcement) and mean nothing without the server's key.
    pseudonyms: ring::hmac::Key,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

impl KeyEncryptionKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FederationError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| FederationError::Key("the key-encryption key must be 32 bytes".into()))?;
        let pseudonyms: ring::hmac::Key = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"herold")
            .extract(bytes)
            .expand(&[b"pseudonyms"], ring::hmac::HMAC_SHA256)
            .map_err(|_| FederationError::Key("deriving the pseudonym key failed".into()))?
            .into();
        Ok(KeyEncryptionKey { aead: LessSafeKey::new(key), pseudonyms })
    }

    /// A pseudonym of `value` within `context` (hex): the same pair gives the same
    /// pseudonym on this server, and different contexts unrelated ones.
    pub fn pseudonym(&self, context: &str, value: &str) -> String {
        let tag = ring::hmac::sign(&self.pseudonyms, format!("{context}\0{value}").as_bytes());
        tag.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
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
        self.aead
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
            self.aead.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).map_err(|_| bad())?;
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

/// A freshly generated Ed25519 key for integrity proofs: PKCS#8 DER (to seal) and the
/// public key as a FEP-521a multibase (to publish).
pub struct GeneratedEd25519 {
    pub pkcs8_der: Vec<u8>,
    pub public_multibase: String,
}

pub fn generate_ed25519() -> Result<GeneratedEd25519, FederationError> {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| FederationError::Key("Ed25519 key generation failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| FederationError::Key("Ed25519 key generation failed".into()))?;
    Ok(GeneratedEd25519 {
        pkcs8_der: pkcs8.as_ref().to_vec(),
        public_multibase: ed25519_multibase(pair.public_key().as_ref()),
    })
}

/// An Ed25519 public key as FEP-521a publishes it: base58btc (`z…`) of the multicodec
/// prefix `0xed 0x01` and the 32 key bytes.
pub fn ed25519_multibase(public: &[u8]) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(public);
    format!("z{}", base58btc_encode(&bytes))
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

/// A remote actor's public key, parsed once: RSA (2048 to 8192 bits) or Ed25519.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa { pkcs1_der: Vec<u8> },
    Ed25519([u8; 32]),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublicKey::Rsa { pkcs1_der } => write!(f, "PublicKey(RSA, {} bytes)", pkcs1_der.len()),
            PublicKey::Ed25519(_) => f.write_str("PublicKey(Ed25519)"),
        }
    }
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// Multicodec prefixes (unsigned varints) of FEP-521a's `publicKeyMultibase`.
const MULTICODEC_ED25519: [u8; 2] = [0xed, 0x01];
const MULTICODEC_RSA: [u8; 2] = [0x85, 0x24];

fn not_a_key(what: &str) -> FederationError {
    FederationError::Signature(format!("the public key is not {what}"))
}

impl PublicKey {
    /// Accepts SPKI (`BEGIN PUBLIC KEY`, what ActivityPub servers publish) of an RSA or
    /// Ed25519 key, and PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, FederationError> {
        let (label, der) =
            pem::decode_vec(pem.trim().as_bytes()).map_err(|_| not_a_key("an RSA or Ed25519 key in PEM"))?;
        match label {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::rsa(der),
            _ => Err(not_a_key("an RSA or Ed25519 key in PEM")),
        }
    }

    fn from_spki_der(der: &[u8]) -> Result<Self, FederationError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| not_a_key("a key in SPKI form"))?;
        let bits = spki.subject_public_key.as_bytes().ok_or_else(|| not_a_key("a key in SPKI form"))?;
        match spki.algorithm.oid {
            OID_RSA => Self::rsa(bits.to_vec()),
            OID_ED25519 => Self::ed25519(bits),
            _ => Err(not_a_key("an RSA or Ed25519 key")),
        }
    }

    /// FEP-521a's `publicKeyMultibase`: base58btc (`z…`) of a multicodec-prefixed key.
    pub fn from_multibase(text: &str) -> Result<Self, FederationError> {
        let bytes = text
            .strip_prefix('z')
            .and_then(base58btc_decode)
            .ok_or_else(|| not_a_key("a base58btc multibase key"))?;
        match bytes.split_at_checked(2) {
            Some((codec, key)) if codec == MULTICODEC_ED25519 => Self::ed25519(key),
            Some((codec, key)) if codec == MULTICODEC_RSA => Self::rsa(key.to_vec()),
            _ => Err(not_a_key("an RSA or Ed25519 multikey")),
        }
    }

    fn rsa(pkcs1_der: Vec<u8>) -> Result<Self, FederationError> {
        let bits = rsa_modulus_bits(&pkcs1_der).ok_or_else(|| not_a_key("an RSA key"))?;
        // Verification takes 2048 bits and more; shorter keys parse so that the draft's own
        // 1024-bit test vectors can be checked with the legacy algorithm.
        if !(1024..=8192).contains(&bits) {
            return Err(not_a_key("an RSA key of 2048 to 8192 bits"));
        }
        Ok(PublicKey::Rsa { pkcs1_der })
    }

    fn ed25519(bytes: &[u8]) -> Result<Self, FederationError> {
        Ok(PublicKey::Ed25519(bytes.try_into().map_err(|_| not_a_key("an Ed25519 key"))?))
    }

    /// The key as SPKI PEM (PKCS#1 for RSA keys too large for the `rsa` crate's encoder), the
    /// form the remote actor cache keeps.
    pub fn to_pem(&self) -> Result<String, FederationError> {
        let encoded = match self {
            PublicKey::Rsa { pkcs1_der } => match rsa::RsaPublicKey::from_pkcs1_der(pkcs1_der) {
                Ok(key) => return key.to_public_key_pem(LineEnding::LF).map_err(|_| not_a_key("encodable")),
                Err(_) => pem::encode_string("RSA PUBLIC KEY", LineEnding::LF, pkcs1_der),
            },
            PublicKey::Ed25519(key) => {
                let mut der = ED25519_SPKI_PREFIX.to_vec();
                der.extend_from_slice(key);
                pem::encode_string("PUBLIC KEY", LineEnding::LF, &der)
            }
        };
        encoded.map_err(|_| not_a_key("encodable"))
    }

    pub fn is_ed25519(&self) -> bool {
        matches!(self, PublicKey::Ed25519(_))
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 for RSA keys, EdDSA for Ed25519 keys.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Rsa { .. } => {
                self.verify_with(&ring::signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
            }
            PublicKey::Ed25519(_) => self.verify_with(&ring::signature::ED25519, message, signature),
        }
    }

    pub fn verify_with(
        &self,
        algorithm: &'static dyn ring::signature::VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let bytes: &[u8] = match self {
            PublicKey::Rsa { pkcs1_der } => pkcs1_der,
            PublicKey::Ed25519(key) => key,
        };
        UnparsedPublicKey::new(algorithm, bytes).verify(message, signature).is_ok()
    }
}

/// SPKI of an Ed25519 key, up to the 32 key bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The modulus length of a PKCS#1 `RSAPublicKey`, if it is one.
fn rsa_modulus_bits(pkcs1_der: &[u8]) -> Option<usize> {
    use rsa::pkcs1::der::asn1::UintRef;
    use rsa::pkcs1::der::{Decode as _, Reader as _, SliceReader};
    let mut reader = SliceReader::new(pkcs1_der).ok()?;
    let (modulus, _exponent) =
        reader.sequence(|seq| Ok((UintRef::decode(seq)?, UintRef::decode(seq)?))).ok()?;
    reader.finish(()).ok()?;
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

/// Encodes in base58 with the Bitcoin alphabet (multibase `z`, without the `z`).
pub(crate) fn base58btc_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-58 digits
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    std::iter::repeat_n(b'1', zeros)
        .chain(digits.iter().rev().map(|&d| ALPHABET[d as usize]))
        .map(char::from)
        .collect()
}

/// Decodes base58 in the Bitcoin alphabet (multibase `z`); `None` for any other character.
pub(crate) fn base58btc_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    // Keys are short; a longer text is no key and would only cost quadratic time.
    if text.len() > 2048 {
        return None;
    }
    let mut number: Vec<u8> = Vec::new(); // little-endian base-256 digits
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for digit in number.iter_mut() {
            carry += u32::from(*digit) * 58;
            *digit = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = text.bytes().take_while(|&c| c == b'1').count();
    let mut out = vec![0u8; zeros];
    out.extend(number.iter().rev());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_context_and_key_and_name_nobody_without_it() {
        let kek = KeyEncryptionKey::from_bytes(&[7u8; 32]).unwrap();
        let anna = "https://social.example/users/anna";
        let first = kek.pseudonym("reaction:1", anna);
        assert_eq!(first, kek.pseudonym("reaction:1", anna), "the same after a restart");
        assert_eq!(first.len(), 32);
        assert!(!first.contains("anna"));
        assert_ne!(first, kek.pseudonym("reaction:2", anna), "unlinkable across announcements");
        let other = KeyEncryptionKey::from_bytes(&[8u8; 32]).unwrap();
        assert_ne!(first, other.pseudonym("reaction:1", anna), "another server's key, another pseudonym");
    }

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

    /// A PKCS#1 `RSAPublicKey` with a modulus of `bits` bits (top bit set) and e = 65537.
    fn pkcs1_of_bits(bits: usize) -> Vec<u8> {
        let mut modulus = vec![0u8; 1 + bits / 8];
        modulus[1] = 0x80;
        *modulus.last_mut().unwrap() = 1;
        let der_len = |n: usize| if n < 128 { vec![n as u8] } else { vec![0x82, (n >> 8) as u8, n as u8] };
        let mut body = vec![0x02];
        body.extend(der_len(modulus.len()));
        body.extend(&modulus);
        body.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut der = vec![0x30];
        der.extend(der_len(body.len()));
        der.extend(body);
        der
    }

    #[test]
    fn rsa_keys_up_to_8192_bits_parse_and_round_trip() {
        for bits in [2048, 4096, 8192] {
            let pem = pem::encode_string("RSA PUBLIC KEY", LineEnding::LF, &pkcs1_of_bits(bits)).unwrap();
            let key = PublicKey::from_pem(&pem).unwrap_or_else(|e| panic!("{bits} bits: {e}"));
            assert_eq!(PublicKey::from_pem(&key.to_pem().unwrap()).unwrap(), key, "{bits} bits");
        }
        let pem = pem::encode_string("RSA PUBLIC KEY", LineEnding::LF, &pkcs1_of_bits(8200)).unwrap();
        assert!(PublicKey::from_pem(&pem).is_err(), "over 8192 bits");
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }

    #[test]
    fn base58_round_trips_and_keys_publish_as_multikeys() {
        for bytes in [&b""[..], &[0, 0, 1], &[0xed, 0x01, 0xff, 0x00, 0x10], &[255; 40]] {
            assert_eq!(base58btc_decode(&base58btc_encode(bytes)).unwrap(), bytes);
        }
        // FEP-521a's own example key decodes and encodes to itself.
        let example = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
        let raw = base58btc_decode(&example[1..]).unwrap();
        assert_eq!(raw[..2], [0xed, 0x01]);
        assert_eq!(ed25519_multibase(&raw[2..]), example);
        let generated = generate_ed25519().unwrap();
        assert!(PublicKey::from_multibase(&generated.public_multibase).unwrap().is_ed25519());
    }

    #[test]
    fn ed25519_keys_from_multibase_and_pem_verify() {
        // The did:key specification's example Ed25519 key.
        let key = PublicKey::from_multibase("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
        assert!(key.is_ed25519());
        assert_eq!(PublicKey::from_pem(&key.to_pem().unwrap()).unwrap(), key);
        for bad in ["6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "z0OIl", "z6Mkha", ""] {
            assert!(PublicKey::from_multibase(bad).is_err(), "{bad:?}");
        }

        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        use ring::signature::KeyPair;
        let public = PublicKey::Ed25519(pair.public_key().as_ref().try_into().unwrap());
        let public = PublicKey::from_pem(&public.to_pem().unwrap()).unwrap();
        let sig = pair.sign(b"message");
        assert!(public.verify(b"message", sig.as_ref()));
        assert!(!public.verify(b"massage", sig.as_ref()));
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
