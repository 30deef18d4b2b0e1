//! Logs and traces. Logs go to stderr (text or JSON) and carry method, route and status,
//! never client addresses. With an OTLP endpoint configured, spans (inbox handling,
//! deliveries) are exported over OTLP/HTTP as well.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};
use url::Url;

use crate::config::LogFormat;

/// Keeps the trace exporter alive; dropping it flushes what is still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("herold: flushing traces failed: {e}");
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
    let provider = match otlp_endpoint {
        Some(endpoint) => {
            let traces = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(traces)
                .with_timeout(std::time::Duration::from_secs(10))
                .build()?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(Resource::builder().with_service_name("herold").build())
                    .build(),
            )
        }
        None => None,
    };
    // Logs and traces are filtered apart: quiet logs must not starve the collector of spans.
    let trace_filter = EnvFilter::try_from_env("HEROLD_TRACE").unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("herold")).with_filter(trace_filter));
    tracing_subscriber::registry().with(fmt.with_filter(filter)).with(otel).try_init()?;
    Ok(Telemetry { provider })
}
