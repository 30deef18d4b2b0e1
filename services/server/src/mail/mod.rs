//! Notifications by e-mail, through the operator's mail server (`[mail]`): plain text in the
//! person's language, links to Herold only, no images, no tracking. A notification whose
//! e-mail fails is tried again on the next runs, a few times, and stays in the workspace.

use std::time::Duration;

use herold_domain::trust::TrustAnchors;
use herold_store::{MailOut, Store};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;

mod subscriptions;
use crate::staff::i18n::Lang;

/// Only what is this recent is sent: notifications made while no mail server was
/// configured, or that failed for a day, are not sent late.
const FRESH_MS: i64 = 24 * 3_600_000;
/// Per run; a backlog goes out over the next runs.
const BATCH: i64 = 50;
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail server settings are unusable: {0}")]
    Settings(String),
    #[error("the message could not be built: {0}")]
    Message(String),
    #[error("the mail server did not take the message: {0}")]
    Send(String),
    /// Refused for this message or recipient alone (a 5xx reply, or an address the server
    /// cannot take): the next message may well go through.
    #[error("the mail server refused this message: {0}")]
    Refused(String),
}

impl MailError {
    /// Whether the failure is this message's own, so that the others need not wait.
    pub fn is_this_message(&self) -> bool {
        matches!(self, MailError::Refused(_) | MailError::Message(_))
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Herold's own address, for the links.
    base: url::Url,
}

impl Mailer {
    /// Trusts what outgoing TLS trusts (`outgoing_tls`), so that an internal CA's mail
    /// server is as reachable as its other servers.
    pub fn new(config: &MailConfig, trust: &TrustAnchors, base: url::Url) -> Result<Mailer, MailError> {
        let url = &config.smtp_url;
        let host = url.host_str().ok_or_else(|| MailError::Settings("no host".into()))?.to_owned();
        let tls = || -> Result<TlsParameters, MailError> {
            let store =
                if trust.builtin_roots { CertificateStore::WebpkiRoots } else { CertificateStore::None };
            let mut params = TlsParameters::builder(host.clone()).certificate_store(store);
            for der in &trust.certificates {
                let cert =
                    Certificate::from_der(der.clone()).map_err(|e| MailError::Settings(e.to_string()))?;
                params = params.add_root_certificate(cert);
            }
            params.build_rustls().map_err(|e| MailError::Settings(e.to_string()))
        };
        let (tls, default_port) = match url.scheme() {
            "smtps" => (Tls::Wrapper(tls()?), 465),
            "smtp+starttls" => (Tls::Required(tls()?), 587),
            // Startup allows this for a catcher on this machine only.
            _ => (Tls::None, 25),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(url.port().unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if !url.username().is_empty() {
            // The URL keeps them percent-encoded, as the operator wrote them.
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            builder = builder.credentials(Credentials::new(
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            ));
        }
        let from = config
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Settings(e.to_string()))?;
        Ok(Mailer { transport: builder.build(), from, base })
    }

    /// Sends the notifications that await their e-mail; how many went out.
    pub async fn send_pending(&self, store: &dyn Store) -> Result<usize, herold_store::StoreError> {
        let now = herold_domain::now_millis();
        let mut sent = 0;
        for out in store.unsent_mail(now - FRESH_MS, BATCH).await? {
            match self.send(&out).await {
                Ok(()) => {
                    store.mailed(out.notification.id, now).await?;
                    sent += 1;
                }
                Err(e) => {
                    // The address is personal data: the log names the notification only.
                    tracing::warn!(notification = out.notification.id, error = %e, "notification e-mail not sent");
                    store.mail_failed(out.notification.id).await?;
                    // A server that failed once is likely down: the rest waits for the next
                    // run instead of each waiting out its own timeout, which would outlast
                    // the job's lease and let another process send the same ones.
                    if !e.is_this_message() {
                        break;
                    }
                }
            }
        }
        Ok(sent)
    }

    async fn send(&self, out: &MailOut) -> Result<(), MailError> {
        let lang = out.language.as_deref().map_or(Lang::EN, Lang::from_code);
        let n = &out.notification;
        let who = match &n.by_name {
            Some(name) if !name.is_empty() => name.clone(),
            Some(_) => lang.t("former_staff").to_owned(),
            None => lang.t("by_herold").to_owned(),
        };
        let said = lang.t(&format!("notification_{}", n.kind.as_str())).replace("{who}", &who);
        let link = self.base.join(&n.kind.page(&n.draft)).map_err(|e| MailError::Message(e.to_string()))?;
        let settings = self.base.join("/staff/settings").map_err(|e| MailError::Message(e.to_string()))?;
        let mut body = format!("{said}\n\n„{}“\n", n.excerpt);
        if let Some(comment) = &n.comment {
            body.push_str(&format!("\n{}\n{comment}\n", lang.t("review_comment")));
        }
        body.push_str(&format!("\n{link}\n\n-- \n{}\n{settings}\n", lang.t("mail_footer")));
        let subject = format!("Herold: {}", said.trim_end_matches(':'));
        let to = Mailbox::new(
            Some(out.name.clone()),
            out.email
                .parse()
                .map_err(|e: lettre::address::AddressError| MailError::Message(e.to_string()))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Message(e.to_string()))?;
        self.deliver(message).await
    }

    async fn deliver(&self, message: Message) -> Result<(), MailError> {
        self.transport.send(message).await.map_err(|e| {
            // The server's reply can quote the address: only its code is kept.
            let code = e.status().map_or_else(|| "no reply code".to_owned(), |c| c.to_string());
            if e.is_permanent() || e.is_client() {
                MailError::Refused(code)
            } else {
                MailError::Send(code)
            }
        })?;
        Ok(())
    }
}
