//! WebSub (W3C Recommendation) from the hub's side, for the feeds of Herold's accounts: a
//! feed reader's server subscribes a callback and is sent each new version of the feed
//! instead of polling. Herold is its own hub. This module speaks to the callbacks; what is
//! subscribed lives in the store.

use ring::hmac;
use url::Url;

use crate::fetch::{check_url, read_capped, request_failed, Fetcher};
use crate::FederationError;

/// A callback's answer to the intent check is the challenge; nothing bigger is read.
const MAX_CHALLENGE_ANSWER: usize = 1024;

/// The `X-Hub-Signature` of a content distribution: HMAC-SHA256 of the body with the
/// subscriber's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The `Link` header naming the hub and the topic, which WebSub asks for on every feed and
/// every distribution.
pub fn link_header(hub: &str, topic: &str) -> String {
    format!("<{hub}>; rel=\"hub\", <{topic}>; rel=\"self\"")
}

impl Fetcher {
    /// Checks that the callback asked for this (un)subscription: it must echo the challenge.
    /// Unsigned, no redirects, behind the same guard as every other request.
    pub async fn websub_verify(
        &self,
        callback: &str,
        params: &[(&str, &str)],
        challenge: &str,
    ) -> Result<(), FederationError> {
        let mut url =
            Url::parse(callback).map_err(|_| FederationError::Invalid("the callback is not a URL".into()))?;
        check_url(&url, self.allow_private)?;
        url.query_pairs_mut().extend_pairs(params).append_pair("hub.challenge", challenge);
        let server = url.host_str().unwrap_or_default().to_owned();
        let resp = self.client.get(url.as_str()).send().await.map_err(|e| request_failed(&server, e))?;
        if !resp.status().is_success() {
            return Err(FederationError::Refused(format!("{server} answered {}", resp.status().as_u16())));
        }
        let body = read_capped(resp, MAX_CHALLENGE_ANSWER).await?;
        if body.trim_ascii() != challenge.as_bytes() {
            return Err(FederationError::Refused(format!("{server} did not echo the challenge")));
        }
        Ok(())
    }

    /// Sends the feed's new version to a callback; `Ok` once it answered 2xx.
    pub async fn websub_deliver(
        &self,
        callback: &str,
        content_type: &str,
        link: &str,
        body: Vec<u8>,
        secret: Option<&str>,
    ) -> Result<(), FederationError> {
        let url =
            Url::parse(callback).map_err(|_| FederationError::Invalid("the callback is not a URL".into()))?;
        check_url(&url, self.allow_private)?;
        let server = url.host_str().unwrap_or_default().to_owned();
        let mut request = self
            .client
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::LINK, link);
        if let Some(secret) = secret {
            request = request.header("X-Hub-Signature", signature(secret, &body));
        }
        let resp = request.body(body).send().await.map_err(|e| request_failed(&server, e))?;
        if !resp.status().is_success() {
            return Err(FederationError::Fetch(format!("{server} answered {}", resp.status().as_u16())));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        let sig = super::signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
