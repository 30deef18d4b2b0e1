//! Counters for Prometheus, kept as atomics so the hot paths pay one relaxed add. The
//! server renders them (with gauges read from the database) on its metrics listener.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use herold_store::DeliveryOutcome;

/// Upper bounds (seconds) of the delivery latency histogram.
const BUCKETS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// A delivery's host as the worker saw it when it sent: answering (`healthy`), or with
/// failures in a row before this attempt (`failing`).
pub const HOST_STATES: [&str; 2] = ["healthy", "failing"];

#[derive(Default)]
pub struct Metrics {
    /// By host state (`HOST_STATES`).
    delivered: [AtomicU64; 2],
    retrying: [AtomicU64; 2],
    dead: [AtomicU64; 2],
    released: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    inbox_accepted: AtomicU64,
    inbox_refused: AtomicU64,
    inbox_failed: AtomicU64,
    pub retention_runs: AtomicU64,
    pub checkpoints: AtomicU64,
    /// Activities the relay passed on.
    pub relayed: AtomicU64,
    /// Also told of every delivery's latency (seconds) and outcome: the OTLP exporter's
    /// histogram, when one is configured.
    latency_observer: OnceLock<Box<dyn Fn(f64, &'static str) + Send + Sync>>,
}

/// The counters at one moment, for exporters that read rather than render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Deliveries by outcome and host state; `released` (not attempted) has no host state.
    pub deliveries: [(&'static str, &'static str, u64); 7],
    /// Inbox requests by outcome: accepted, refused, failed.
    pub inbox: [(&'static str, u64); 3],
    pub retention_runs: u64,
    pub checkpoints: u64,
    pub relayed: u64,
}

impl Metrics {
    /// Installs the latency observer (once; later calls are ignored).
    pub fn observe_latency(&self, observer: Box<dyn Fn(f64, &'static str) + Send + Sync>) {
        let _ = self.latency_observer.set(observer);
    }

    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            deliveries: [
                ("delivered", HOST_STATES[0], get(&self.delivered[0])),
                ("delivered", HOST_STATES[1], get(&self.delivered[1])),
                ("retrying", HOST_STATES[0], get(&self.retrying[0])),
                ("retrying", HOST_STATES[1], get(&self.retrying[1])),
                ("dead", HOST_STATES[0], get(&self.dead[0])),
                ("dead", HOST_STATES[1], get(&self.dead[1])),
                ("released", "", get(&self.released)),
            ],
            inbox: [
                ("accepted", get(&self.inbox_accepted)),
                ("refused", get(&self.inbox_refused)),
                ("failed", get(&self.inbox_failed)),
            ],
            retention_runs: get(&self.retention_runs),
            checkpoints: get(&self.checkpoints),
            relayed: get(&self.relayed),
        }
    }

    /// Deliveries given up without a last attempt (their server stayed unreachable past the
    /// retry horizon): dead letters of a failing host.
    pub fn expired(&self, n: u64) {
        self.dead[1].fetch_add(n, Ordering::Relaxed);
    }

    /// A delivery's outcome; `failing_host`: its host had failures in a row before it.
    pub fn delivery(&self, outcome: &DeliveryOutcome, seconds: f64, failing_host: bool) {
        let state = usize::from(failing_host);
        let counter = match outcome {
            DeliveryOutcome::Delivered { .. } => &self.delivered[state],
            DeliveryOutcome::Retry { .. } => &self.retrying[state],
            DeliveryOutcome::Dead { .. } => &self.dead[state],
            DeliveryOutcome::Released => {
                self.released.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Some(observe) = self.latency_observer.get() {
            observe(seconds, outcome.label());
        }
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// An inbox request by its HTTP status.
    pub fn inbox(&self, status: u16) {
        let counter = match status {
            200..=299 => &self.inbox_accepted,
            400..=499 => &self.inbox_refused,
            _ => &self.inbox_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP herold_deliveries_total Delivery attempts by outcome and the host's state when sent."
        );
        let _ = writeln!(out, "# TYPE herold_deliveries_total counter");
        for (outcome, host_state, n) in self.snapshot().deliveries {
            if host_state.is_empty() {
                let _ = writeln!(out, "herold_deliveries_total{{outcome=\"{outcome}\"}} {n}");
            } else {
                let _ = writeln!(
                    out,
                    "herold_deliveries_total{{outcome=\"{outcome}\",host_state=\"{host_state}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP herold_delivery_duration_seconds Time from sending a delivery to its answer."
        );
        let _ = writeln!(out, "# TYPE herold_delivery_duration_seconds histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ =
                writeln!(out, "herold_delivery_duration_seconds_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let count = get(&self.latency_count);
        let _ = writeln!(out, "herold_delivery_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "herold_delivery_duration_seconds_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "herold_delivery_duration_seconds_count {count}");
        let _ = writeln!(out, "# HELP herold_inbox_requests_total Inbox requests by outcome.");
        let _ = writeln!(out, "# TYPE herold_inbox_requests_total counter");
        for (outcome, c) in [
            ("accepted", &self.inbox_accepted),
            ("refused", &self.inbox_refused),
            ("failed", &self.inbox_failed),
        ] {
            let _ = writeln!(out, "herold_inbox_requests_total{{outcome=\"{outcome}\"}} {}", get(c));
        }
        let _ = writeln!(out, "# HELP herold_retention_runs_total Retention runs completed.");
        let _ = writeln!(out, "# TYPE herold_retention_runs_total counter");
        let _ = writeln!(out, "herold_retention_runs_total {}", get(&self.retention_runs));
        let _ = writeln!(out, "# HELP herold_audit_checkpoints_total Audit checkpoints signed.");
        let _ = writeln!(out, "# TYPE herold_audit_checkpoints_total counter");
        let _ = writeln!(out, "herold_audit_checkpoints_total {}", get(&self.checkpoints));
        let _ =
            writeln!(out, "# HELP herold_relayed_total Activities the relay passed on to its subscribers.");
        let _ = writeln!(out, "# TYPE herold_relayed_total counter");
        let _ = writeln!(out, "herold_relayed_total {}", get(&self.relayed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.delivery(&DeliveryOutcome::Delivered { status: 202 }, 0.07, false);
        m.delivery(&DeliveryOutcome::Dead { status: Some(410), error: "gone".into() }, 2.0, true);
        m.inbox(202);
        m.inbox(401);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("herold_deliveries_total{outcome=\"delivered\",host_state=\"healthy\"} 1"));
        assert!(out.contains("herold_deliveries_total{outcome=\"dead\",host_state=\"failing\"} 1"));
        assert!(out.contains("herold_deliveries_total{outcome=\"dead\",host_state=\"healthy\"} 0"));
        assert!(out.contains("herold_delivery_duration_seconds_bucket{le=\"0.05\"} 0"));
        assert!(out.contains("herold_delivery_duration_seconds_bucket{le=\"0.1\"} 1"));
        assert!(out.contains("herold_delivery_duration_seconds_bucket{le=\"2.5\"} 2"));
        assert!(out.contains("herold_delivery_duration_seconds_count 2"));
        assert!(out.contains("herold_inbox_requests_total{outcome=\"refused\"} 1"));
    }
}
