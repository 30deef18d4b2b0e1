//! Per-remote-host rate limits: a token bucket per host, so one flooding server cannot take
//! the inbox (or the key fetches behind it) from everyone else. Keyed by a host name (never
//! by client address), kept in memory only, and bounded.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
