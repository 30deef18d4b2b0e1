//! Logs, traces and metrics. Logs go to stderr (text or JSON) and carry method, route and
//! status, never client addresses. With an OTLP endpoint configured, spans (inbox handling,
//! deliveries) and metrics (the same ones `/metrics` serves) are exported over OTLP/HTTP as
//! well.

use std::sync::{Arc, Mutex};

use herold_federation::metrics::Metrics;
use herold_store::QueueDepth;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};
use url::Url;

use crate::config::LogFormat;

/// Keeps the exporters alive; dropping it flushes what is still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("herold: flushing traces failed: {e}");
            }
        }
        if let Some(meters) = self.meters.take() {
            if let Err(e) = meters.shutdown() {
                eprintln!("herold: flushing metrics failed: {e}");
            }
        }
    }
}

/// Installs the global subscriber. Call before the async runtime starts: the OTLP exporter
/// uses a blocking HTTP client on its own thread.
pub fn init(format: LogFormat, otlp_endpoint: Option<&Url>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_env("HEROLD_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    let resource = || Resource::builder().with_service_name("herold").build();
    let meters = match otlp_endpoint {
        Some(endpoint) => {
            let url = format!("{}/v1/metrics", endpoint.as_str().trim_end_matches('/'));
            let exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_endpoint(url)
                .with_timeout(std::time::Duration::from_secs(10))
                .build()?;
            // Exported every 60 s unless OTEL_METRIC_EXPORT_INTERVAL says otherwise.
            let meters = SdkMeterProvider::builder()
                .with_periodic_exporter(exporter)
                .with_resource(resource())
                .build();
            opentelemetry::global::set_meter_provider(meters.clone());
            Some(meters)
        }
        None => None,
    };
    let provider = match otlp_endpoint {
        Some(endpoint) => {
            let traces = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(traces)
                .with_timeout(std::time::Duration::from_secs(10))
                .build()?;
            Some(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource()).build())
        }
        None => None,
    };
    // Logs and traces are filtered apart: quiet logs must not starve the collector of spans.
    let trace_filter = EnvFilter::try_from_env("HEROLD_TRACE").unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("herold")).with_filter(trace_filter));
    tracing_subscriber::registry().with(fmt.with_filter(filter)).with(otel).try_init()?;
    Ok(Telemetry { provider, meters })
}

/// Publishes Herold's counters as OpenTelemetry instruments on the global meter provider
/// (a no-op without an OTLP endpoint). Queue gauges read `queue`, which the server refreshes
/// from the database.
pub fn export_metrics(metrics: &Arc<Metrics>, queue: Arc<Mutex<QueueDepth>>) {
    let meter = opentelemetry::global::meter("herold");
    let m = metrics.clone();
    meter
        .u64_observable_counter("herold.deliveries")
        .with_description("Delivery attempts by outcome.")
        .with_callback(move |o| {
            for (outcome, host_state, n) in m.snapshot().deliveries {
                o.observe(n, &[KeyValue::new("outcome", outcome), KeyValue::new("host_state", host_state)]);
            }
        })
        .build();
    let m = metrics.clone();
    meter
        .u64_observable_counter("herold.inbox.requests")
        .with_description("Inbox requests by outcome.")
        .with_callback(move |o| {
            for (outcome, n) in m.snapshot().inbox {
                o.observe(n, &[KeyValue::new("outcome", outcome)]);
            }
        })
        .build();
    let m = metrics.clone();
    meter
        .u64_observable_counter("herold.runs")
        .with_description("Scheduled runs completed: retention and audit checkpoints.")
        .with_callback(move |o| {
            let s = m.snapshot();
            o.observe(s.retention_runs, &[KeyValue::new("job", "retention")]);
            o.observe(s.checkpoints, &[KeyValue::new("job", "audit.checkpoint")]);
        })
        .build();
    let m = metrics.clone();
    meter
        .u64_observable_counter("herold.relay.relayed")
        .with_description("Activities the relay passed on to its subscribers.")
        .with_callback(move |o| o.observe(m.snapshot().relayed, &[]))
        .build();
    let latency = meter
        .f64_histogram("herold.delivery.duration")
        .with_unit("s")
        .with_description("Time from sending a delivery to its answer.")
        .with_boundaries(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
        .build();
    metrics.observe_latency(Box::new(move |seconds, outcome| {
        latency.record(seconds, &[KeyValue::new("outcome", outcome)]);
    }));
    let q = queue.clone();
    meter
        .i64_observable_gauge("herold.queue.depth")
        .with_description("Deliveries waiting, by priority (0 urgent) and state.")
        .with_callback(move |o| {
            let depth = q.lock().map(|d| d.clone()).unwrap_or_default();
            for (priority, state, n) in depth.waiting {
                o.observe(n, &[KeyValue::new("priority", priority), KeyValue::new("state", state)]);
            }
        })
        .build();
    meter
        .i64_observable_gauge("herold.hosts")
        .with_description("Dead letters kept visible, and remote hosts failing or with their breaker open.")
        .with_callback(move |o| {
            let depth = queue.lock().map(|d| d.clone()).unwrap_or_default();
            o.observe(depth.dead, &[KeyValue::new("kind", "dead_letters")]);
            o.observe(depth.failing_hosts, &[KeyValue::new("kind", "failing")]);
            o.observe(depth.open_breakers, &[KeyValue::new("kind", "breaker_open")]);
        })
        .build();
}
