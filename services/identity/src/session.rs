//! Random tokens for session and sign-in cookies and CSRF fields. The database keeps only
//! the SHA-256 of a cookie token, so a copy of the database opens no session.

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::IdentityError;

/// The session cookie. `__Host-` pins it to this host, path `/`, and HTTPS.
pub const SESSION_COOKIE: &str = "__Host-herold-session";
/// The same on plain-HTTP development setups (`http://localhost`), where browsers refuse
/// `__Host-` cookies.
pub const SESSION_COOKIE_INSECURE: &str = "herold-session";
pub const ATTEMPT_COOKIE: &str = "__Host-herold-sign-in";
pub const ATTEMPT_COOKIE_INSECURE: &str = "herold-sign-in";

/// 256 random bits, URL-safe.
pub fn random_token() -> Result<String, IdentityError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| IdentityError::Config("the system has no randomness for session tokens".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database stores for a cookie token.
pub fn token_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_hashes_stable() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }
}
