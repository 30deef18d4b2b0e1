//! Which certificate authorities Herold's outgoing connections trust: the web's public roots
//! built into Herold, the platform's store (where a public body's internal PKI lives), and
//! any further authorities the operator names. One value, handed to every outgoing client
//! (federation, WebFinger, sign-in), so that all of them trust the same.

/// Trust anchors for outgoing TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchors {
    /// Whether the built-in public web roots are trusted.
    pub builtin_roots: bool,
    /// Further root certificates (DER): the platform's store and the operator's bundle.
    pub certificates: Vec<Vec<u8>>,
}

impl Default for TrustAnchors {
    /// The built-in public roots only.
    fn default() -> Self {
        TrustAnchors { builtin_roots: true, certificates: Vec::new() }
    }
}
