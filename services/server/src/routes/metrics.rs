//! Prometheus metrics, on their own listener (`metrics_listen`) so that operational data is
//! never served to the public internet by accident.

use std::fmt::Write;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};

use crate::state::Services;

async fn metrics(s: web::Data<Services>) -> HttpResponse {
    let mut out = String::with_capacity(4096);
    s.metrics.render(&mut out);
    match s.store.queue_depth(herold_domain::now_millis()).await {
        Ok(depth) => {
            let _ = writeln!(
                out,
                "# HELP herold_queue_depth Deliveries waiting, by priority (0 urgent) and state."
            );
            let _ = writeln!(out, "# TYPE herold_queue_depth gauge");
            for (priority, state, n) in &depth.waiting {
                let _ = writeln!(out, "herold_queue_depth{{priority=\"{priority}\",state=\"{state}\"}} {n}");
            }
            let _ = writeln!(out, "# HELP herold_dead_letters Deliveries given up on, kept visible.");
            let _ = writeln!(out, "# TYPE herold_dead_letters gauge");
            let _ = writeln!(out, "herold_dead_letters {}", depth.dead);
            let _ = writeln!(
                out,
                "# HELP herold_hosts Remote hosts by delivery state: failing (breaker still closed) or breaker_open."
            );
            let _ = writeln!(out, "# TYPE herold_hosts gauge");
            let _ = writeln!(out, "herold_hosts{{state=\"failing\"}} {}", depth.failing_hosts);
            let _ = writeln!(out, "herold_hosts{{state=\"breaker_open\"}} {}", depth.open_breakers);
        }
        Err(e) => tracing::warn!(error = %crate::error::chain(&e), "metrics: queue depth unavailable"),
    }
    match s.store.relay_counts().await {
        Ok(counts) => {
            let _ =
                writeln!(out, "# HELP herold_relay_subscribers Servers subscribed to the relay, by state.");
            let _ = writeln!(out, "# TYPE herold_relay_subscribers gauge");
            for state in ["active", "pending", "suspended"] {
                let n = counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
                let _ = writeln!(out, "herold_relay_subscribers{{state=\"{state}\"}} {n}");
            }
        }
        Err(e) => tracing::warn!(error = %crate::error::chain(&e), "metrics: relay counts unavailable"),
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(out)
}

pub fn metrics_server(listener: TcpListener, services: Arc<Services>) -> anyhow::Result<Server> {
    let data = web::Data::from(services);
    Ok(HttpServer::new(move || App::new().app_data(data.clone()).route("/metrics", web::get().to(metrics)))
        .workers(1)
        .listen(listener)?
        .run())
}
