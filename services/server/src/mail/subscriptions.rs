//! Mail to people subscribed to an account's announcements by e-mail: the confirmation of
//! a request (double opt-in), then each announcement, urgent ones first. Plain text in the
//! language they subscribed in, links to Herold's own pages only, and a one-click
//! unsubscribe (RFC 8058) in every mail.

use std::collections::HashMap;

use herold_domain::presence::Presences;
use herold_domain::{now_millis, Millis};
use herold_federation::urls::Urls;
use herold_store::{Account, Announcement, EmailSubscriber, Store, StoreError};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::Message;

use super::{MailError, Mailer};
use crate::staff::i18n::Lang;

/// Announcements older than this are not mailed: a subscription confirmed today does not
/// bring last week's, and a mail server down for a day does not bring a flood.
const FRESH_MS: Millis = 24 * 3_600_000;
/// Per run; the rest goes out on the next ones.
const BATCH: i64 = 200;

/// The accounts a run mails for, each read once, and only while its organisation still
/// offers announcements by e-mail (`None` otherwise).
struct Offering<'a> {
    store: &'a dyn Store,
    presences: &'a Presences,
    known: HashMap<String, Option<Account>>,
}

impl Offering<'_> {
    async fn account(&mut self, username: &str) -> Result<Option<&Account>, StoreError> {
        if !self.known.contains_key(username) {
            let account = self.store.account_by_username(username).await?;
            let offered = account
                .filter(|a| a.ended_at.is_none() && self.presences.of(&a.org_slug).email_subscriptions);
            self.known.insert(username.to_owned(), offered);
        }
        Ok(self.known.get(username).and_then(Option::as_ref))
    }
}

impl Mailer {
    /// Sends the confirmations that wait, then the announcements due; how many mails went.
    /// Stops at the first failure: the mail server is likely down, and the rest waits.
    pub async fn send_subscription_mail(
        &self,
        store: &dyn Store,
        urls: &Urls,
        presences: &Presences,
    ) -> Result<usize, StoreError> {
        let mut sent = 0;
        let mut offering = Offering { store, presences, known: HashMap::new() };
        for subscriber in store.confirmations_due(BATCH).await? {
            let outcome = match offering.account(&subscriber.username).await? {
                Some(account) => self.confirmation(urls, &subscriber, account).await,
                // The organisation stopped offering mail: nothing more goes out, and the
                // request expires unconfirmed.
                None => Ok(()),
            };
            match outcome {
                Ok(()) => {
                    store.confirmation_sent(subscriber.id, now_millis()).await?;
                    sent += 1;
                }
                // Refused for this address alone (a mistyped or hostile one): it is not sent
                // again, and the others go on.
                Err(e) if e.is_this_message() => {
                    tracing::info!(account = %subscriber.username, error = %e, "confirmation mail refused");
                    store.confirmation_sent(subscriber.id, now_millis()).await?;
                }
                Err(e) => {
                    // The address is personal data: the log names the account only.
                    tracing::warn!(account = %subscriber.username, error = %e, "confirmation mail not sent");
                    return Ok(sent);
                }
            }
        }
        let mut announcements: HashMap<i64, Option<Announcement>> = HashMap::new();
        for due in store.subscription_mail_due(now_millis() - FRESH_MS, BATCH).await? {
            let s = &due.subscriber;
            let announcement = match announcements.entry(due.announcement_id) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(new) => {
                    new.insert(store.announcement(s.account_id, &due.announcement).await?)
                }
            };
            let Some(announcement) = announcement else { continue };
            let outcome = match offering.account(&s.username).await? {
                Some(account) => self.announcement(urls, s, account, announcement).await,
                None => Ok(()),
            };
            match outcome {
                Ok(()) => {
                    store.subscription_mailed(s.id, due.announcement_id, now_millis()).await?;
                    sent += 1;
                }
                Err(e) if e.is_this_message() => {
                    tracing::info!(account = %s.username, error = %e, "announcement mail refused");
                    store.subscription_mailed(s.id, due.announcement_id, now_millis()).await?;
                }
                Err(e) => {
                    tracing::warn!(account = %s.username, error = %e, "announcement mail not sent");
                    return Ok(sent);
                }
            }
        }
        Ok(sent)
    }

    async fn confirmation(
        &self,
        urls: &Urls,
        s: &EmailSubscriber,
        account: &Account,
    ) -> Result<(), MailError> {
        let lang = Lang::from_code(&s.language);
        let handle = format!("@{}@{}", account.username, urls.host());
        let body = lang
            .t("subscription_confirm_mail")
            .replace("{name}", &account.display_name)
            .replace("{handle}", &handle)
            .replace("{org}", &account.org_name)
            .replace("{confirm}", &urls.subscription(&s.token, "confirm"))
            .replace("{privacy}", &urls.privacy_notice(&account.org_slug));
        let subject = lang.t("subscription_confirm_subject").replace("{name}", &account.display_name);
        self.send_to_subscriber(s, urls, &subject, body).await
    }

    async fn announcement(
        &self,
        urls: &Urls,
        s: &EmailSubscriber,
        account: &Account,
        a: &Announcement,
    ) -> Result<(), MailError> {
        let lang = Lang::from_code(&s.language);
        // The subscriber's language where the announcement has it, else its first.
        let text = a
            .body
            .translations
            .iter()
            .find(|t| t.language == s.language)
            .map_or(a.body.source_text.as_str(), |t| t.source_text.as_str());
        let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let headline = herold_publishing::pages::excerpt(first_line, 80);
        let mut subject = format!("{}: {headline}", account.display_name);
        if a.urgent {
            subject = format!("{} {subject}", lang.t("subscription_urgent"));
        }
        let mut body = String::new();
        if let Some(warning) = &a.body.summary {
            body.push_str(&format!("{}: {warning}\n\n", lang.t("subscription_content_warning")));
        }
        body.push_str(text.trim_end());
        body.push_str("\n\n");
        for image in &a.body.attachments {
            body.push_str(&format!("[{}: {}]\n", lang.t("subscription_image"), image.alt_text));
        }
        if !a.body.attachments.is_empty() {
            body.push('\n');
        }
        body.push_str(&format!("{}\n", urls.announcement(&account.username, &a.public_id)));
        body.push_str(&format!(
            "\n-- \n{}\n",
            lang.t("subscription_mail_footer").replace("{name}", &account.display_name)
        ));
        body.push_str(&format!(
            "{}: {}\n",
            lang.t("subscription_unsubscribe"),
            urls.subscription(&s.token, "unsubscribe")
        ));
        self.send_to_subscriber(s, urls, &subject, body).await
    }

    /// Sends one plain-text mail with the headers that let a mail program offer
    /// unsubscribing in one click, without opening any page.
    async fn send_to_subscriber(
        &self,
        s: &EmailSubscriber,
        urls: &Urls,
        subject: &str,
        body: String,
    ) -> Result<(), MailError> {
        let to =
            s.email.parse().map_err(|e: lettre::address::AddressError| MailError::Message(e.to_string()))?;
        let unsubscribe = format!("<{}>", urls.subscription(&s.token, "unsubscribe"));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), unsubscribe))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            // Tells auto-responders not to answer: nobody reads replies to these.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .body(body)
            .map_err(|e| MailError::Message(e.to_string()))?;
        self.deliver(message).await
    }
}
