//! Per-remote-server rate limits: a token bucket per host, so one flooding server cannot take
//! the inbox (or the key fetches behind it) from everyone else, and a larger one per
//! registrable domain, because whoever owns a domain can give themselves any number of host
//! names. Keyed by names (never by client address), kept in memory only, and bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

const MAX_HOSTS: usize = 100_000;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: f64) -> Self {
        RateLimiter { per_second, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `host`; `Err(seconds)` says when the next one is due.
    pub fn check(&self, host: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_HOSTS {
            // Forget hosts whose buckets have refilled (indistinguishable from new ones);
            // if that frees nothing, start over rather than grow.
            let (full, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < full);
            if buckets.len() >= MAX_HOSTS {
                buckets.clear();
            }
        }
        let (tokens, at) = buckets.entry(host.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The registrable domain a host belongs to ("social.example.gv.at" → "example.gv.at"), by the
/// public-suffix list, so that subdomains of a hosting provider listed there (say
/// "*.github.io") stay apart. Names under a suffix the list does not know (no real
/// top-level domain, or a private one) all share that top-level name: anyone can make up
/// as many second-level names there as they like. An IP address, or a bare suffix, is its
/// own domain.
pub fn registrable_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    match psl::suffix(host.as_bytes()) {
        Some(suffix) if !suffix.is_known() => host.rsplit('.').next().unwrap_or_default().to_owned(),
        _ => psl::domain_str(&host).map(str::to_owned).unwrap_or(host),
    }
}

/// A budget for each host and a larger one for each registrable domain; a request must find
/// a token in both.
pub struct SiteLimiter {
    hosts: RateLimiter,
    domains: RateLimiter,
}

impl SiteLimiter {
    /// `domain_share`: how many hosts' budgets one registrable domain gets in all.
    pub fn new(per_second: f64, burst: f64, domain_share: f64) -> Self {
        SiteLimiter {
            hosts: RateLimiter::new(per_second, burst),
            domains: RateLimiter::new(per_second * domain_share, burst * domain_share),
        }
    }

    /// Takes one token for `host` and one for its domain; `Err(seconds)` says when to retry.
    pub fn check(&self, host: &str, now: Instant) -> Result<(), u64> {
        self.hosts.check(host, now)?;
        self.domains.check(&registrable_domain(host), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn domains_follow_the_public_suffix_list() {
        assert_eq!(registrable_domain("social.bund.de"), "bund.de");
        assert_eq!(registrable_domain("Social.Example.gv.AT."), "example.gv.at");
        assert_eq!(registrable_domain("mastodon.social"), "mastodon.social");
        assert_eq!(registrable_domain("a.b.example.co.uk"), "example.co.uk");
        // Listed hosting suffixes keep their customers apart.
        assert_eq!(registrable_domain("alice.github.io"), "alice.github.io");
        assert_eq!(registrable_domain("192.0.2.7"), "192.0.2.7");
        assert_eq!(registrable_domain("[2001:db8::1]"), "[2001:db8::1]");
        assert_eq!(registrable_domain("localhost"), "localhost");
        // Unlisted suffixes: every name under them shares one budget.
        assert_eq!(registrable_domain("s1.flood.invalid"), "invalid");
        assert_eq!(registrable_domain("x.r1.zzz"), registrable_domain("y.r2.zzz"));
    }

    #[test]
    fn subdomains_share_their_domains_budget() {
        let limiter = SiteLimiter::new(1.0, 2.0, 3.0);
        let t0 = Instant::now();
        let passed = (0..20).filter(|n| limiter.check(&format!("s{n}.example.org"), t0).is_ok()).count();
        assert_eq!(passed, 6, "three hosts' worth for the domain");
        assert!(limiter.check("social.example.net", t0).is_ok(), "other domains are not affected");
        assert!(limiter.check("s0.example.org", t0 + Duration::from_secs(1)).is_ok(), "refilled");
    }

    #[test]
    fn buckets_refill_per_host() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a.example", t0).is_ok());
        }
        assert_eq!(limiter.check("a.example", t0), Err(1));
        assert!(limiter.check("b.example", t0).is_ok(), "other hosts are not affected");
        assert!(limiter.check("a.example", t0 + Duration::from_millis(600)).is_ok(), "refilled");
    }
}
