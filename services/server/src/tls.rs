//! TLS termination with rustls, for deployments without a proxy in front. The certificate
//! is read from files and re-read on SIGHUP (how certificate renewal tools signal), without
//! dropping connections; a renewal that fails to load keeps the current certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

#[derive(Debug)]
pub struct ReloadableCert {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<CertifiedKey> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .with_context(|| format!("cannot read the certificate file {}", cert_file.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert_file.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", cert_file.display());
    let key = PrivateKeyDer::from_pem_file(key_file)
        .with_context(|| format!("cannot read a PEM private key from {}", key_file.display()))?;
    let signing_key = default_provider()
        .key_provider
        .load_private_key(key)
        .with_context(|| format!("{} is not a usable private key", key_file.display()))?;
    let certified = CertifiedKey::new(certs, signing_key);
    certified.keys_match().with_context(|| "the private key does not belong to the certificate")?;
    Ok(certified)
}

impl ReloadableCert {
    pub fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<Arc<Self>> {
        let current = RwLock::new(Arc::new(load(cert_file, key_file)?));
        Ok(Arc::new(ReloadableCert {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            current,
        }))
    }

    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = Arc::new(load(&self.cert_file, &self.key_file)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// Re-reads the files on every SIGHUP until the process ends.
    #[cfg(unix)]
    pub fn reload_on_sighup(self: Arc<Self>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        Ok(tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match self.reload() {
                    Ok(()) => tracing::info!("TLS certificate reloaded"),
                    Err(e) => tracing::error!(
                        error = format!("{e:#}"),
                        "TLS certificate reload failed; keeping the old one"
                    ),
                }
            }
        }))
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

pub fn server_config(cert: Arc<ReloadableCert>) -> anyhow::Result<ServerConfig> {
    // No ALPN list here: actix-web sets the protocols it actually serves.
    Ok(ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(cert))
}
