//! Builds the application from a `Config`: the shared services and the HTTP server. Binding
//! happens here, so tests pass port 0 and read back the port that was chosen.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::Config;
use crate::routes;
use crate::state::Services;

pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<Server>,
    services: Arc<Services>,
    workers: bool,
}

impl Application {
    pub async fn build(config: Config, workers: bool) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let tls = config
            .tls
            .as_ref()
            .map(|(cert, key)| {
                crate::tls::ReloadableCert::load(cert, key).context("tls_cert_file/tls_key_file")
            })
            .transpose()?;
        let metrics = config
            .metrics_listen
            .map(|addr| {
                TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} (metrics_listen)"))
            })
            .transpose()?;
        let services = Services::build(config).await?;
        let mut app = Self::serve(listener, services, workers, tls)?;
        if let Some(listener) = metrics {
            app.metrics_server = Some(routes::metrics_server(listener, app.services.clone())?);
        }
        Ok(app)
    }

    /// Serves plain HTTP on `listener` (tests; behind a TLS-terminating proxy).
    pub fn from_parts(
        listener: TcpListener,
        services: Arc<Services>,
        workers: bool,
    ) -> anyhow::Result<Application> {
        Self::serve(listener, services, workers, None)
    }

    fn serve(
        listener: TcpListener,
        services: Arc<Services>,
        workers: bool,
        tls: Option<Arc<crate::tls::ReloadableCert>>,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let data = web::Data::from(services.clone());
        // HSTS whenever the public address is https, whoever terminates TLS.
        let hsts = tls.is_some() || services.config.public_url.scheme() == "https";
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(herold_federation::fetch::MAX_BODY_BYTES))
                .wrap(middleware::from_fn(routes::head_as_get))
                .wrap(routes::security_headers(hsts))
                .wrap(middleware::from_fn(routes::body_deadline))
                .wrap(middleware::from_fn(routes::log_request))
                .configure(routes::configure)
        })
        // Slow or stalled clients (slowloris) are cut off instead of holding workers.
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(5))
        .shutdown_timeout(10);
        let server = match tls {
            Some(cert) => {
                #[cfg(unix)]
                cert.clone().reload_on_sighup()?;
                server.listen_rustls_0_23(listener, crate::tls::server_config(cert)?)?
            }
            None => server.listen(listener)?,
        }
        .run();
        Ok(Application { port, server, metrics_server: None, services, workers })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests; graceful shutdown).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    /// Serves until SIGINT/SIGTERM (or the server is stopped), then lets in-flight
    /// deliveries finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let gauges = self.services.config.otlp_endpoint.is_some().then(|| {
            let s = self.services.clone();
            tokio::spawn(async move {
                // As often as metrics are exported by default is more than enough.
                let mut ticks = tokio::time::interval(Duration::from_secs(15));
                loop {
                    ticks.tick().await;
                    if let Ok(depth) = s.store.queue_depth(herold_domain::now_millis()).await {
                        if let Ok(mut snapshot) = s.queue_snapshot.lock() {
                            *snapshot = depth;
                        }
                    }
                }
            })
        });
        let worker = self.workers.then(|| tokio::spawn(self.services.clone().run_background(stop_rx)));
        let metrics = self.metrics_server.map(tokio::spawn);
        let result = self.server.await;
        if let Some(m) = metrics {
            m.abort();
        }
        if let Some(g) = gauges {
            g.abort();
        }
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        Ok(result?)
    }
}
