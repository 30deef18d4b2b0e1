//! The optional security log: rejected inbox requests, with a pseudonym of the client
//! address (an HMAC under a key that lives only in this process's memory, so pseudonyms
//! cannot be reversed from the database and do not link across restarts). Off by default;
//! kept for the `security_log` retention (7 days by default).

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

pub struct SecurityLog {
    key: hmac::Key,
}

impl SecurityLog {
    pub fn new() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("no system randomness"))?;
        Ok(SecurityLog { key: hmac::Key::new(hmac::HMAC_SHA256, &bytes) })
    }

    pub fn pseudonym(&self, address: std::net::IpAddr) -> String {
        let tag = hmac::sign(&self.key, address.to_string().as_bytes());
        tag.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}
