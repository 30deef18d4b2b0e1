//! Herold as the WebSub hub of its accounts' feeds: feed readers' servers subscribe a
//! callback (checked by the challenge the spec asks for), and each new announcement sends
//! them the feed's new version, signed with their secret where they gave one.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use herold_domain::now_millis;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::Services;

const DEFAULT_LEASE: Duration = Duration::from_secs(7 * 86_400);
const MIN_LEASE: Duration = Duration::from_secs(3_600);
const MAX_LEASE: Duration = Duration::from_secs(30 * 86_400);
/// Deliveries that fail this often in a row end the subscription.
const GIVE_UP_AFTER: i64 = 10;
/// Subscriptions served per run; the rest on the next.
const BATCH: i64 = 50;
/// Callbacks sent to at once.
const CONCURRENCY: usize = 8;
/// Callbacks one account's feeds may have: enough for every reader service, too few for a
/// flood to make each announcement a flood of requests.
const MAX_PER_ACCOUNT: i64 = 1000;
/// Announcements a distributed feed holds, as the feed itself.
const FEED_SIZE: i64 = 20;

#[derive(Deserialize)]
pub struct HubRequest {
    #[serde(rename = "hub.mode")]
    mode: String,
    #[serde(rename = "hub.topic")]
    topic: String,
    #[serde(rename = "hub.callback")]
    callback: String,
    #[serde(rename = "hub.lease_seconds")]
    lease_seconds: Option<u64>,
    #[serde(rename = "hub.secret")]
    secret: Option<String>,
}

fn refused(why: &str) -> HttpResponse {
    HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body(why.to_owned())
}

/// A (un)subscription request. Answered at once; the callback is asked afterwards whether
/// it wants this (the challenge), so that nobody can subscribe someone else's address.
/// Each such check is a request Herold makes for an anonymous caller, so they share the
/// visitors' lookup budget (per server and overall).
#[post("/websub")]
pub async fn hub(s: web::Data<Services>, form: web::Form<HubRequest>) -> Result<HttpResponse, ApiError> {
    let subscribe = match form.mode.as_str() {
        "subscribe" => true,
        "unsubscribe" => false,
        _ => return Ok(refused("hub.mode must be subscribe or unsubscribe")),
    };
    // The topic is one of Herold's feeds.
    let feed = form
        .topic
        .strip_prefix(&format!("{}users/", s.urls.home()))
        .and_then(|rest| rest.split_once("/feed."))
        .filter(|(_, format)| matches!(*format, "atom" | "rss" | "json"));
    let Some((username, format)) = feed else {
        return Ok(refused("hub.topic must be the address of one of this server's feeds"));
    };
    let Some(account) = s.store.account_by_username(username).await? else {
        return Ok(refused("hub.topic names no account here"));
    };
    let callback = match url::Url::parse(&form.callback) {
        Ok(u)
            if form.callback.len() <= 2000
                && herold_federation::fetch::check_url(&u, s.config.allow_private_networks).is_ok() =>
        {
            u
        }
        _ => return Ok(refused("hub.callback must be an https address on the internet")),
    };
    let secret = form.secret.clone().filter(|x| !x.is_empty());
    if secret.as_ref().is_some_and(|x| x.len() >= 200) {
        return Ok(refused("hub.secret must be shorter than 200 bytes"));
    }
    if subscribe && s.store.websub_count(account.id).await? >= MAX_PER_ACCOUNT {
        return Ok(HttpResponse::build(StatusCode::TOO_MANY_REQUESTS).finish());
    }
    let host = callback.host_str().unwrap_or_default().to_owned();
    let now = Instant::now();
    if s.follow_lookups_all.check("all", now).and_then(|()| s.follow_lookups.check(&host, now)).is_err() {
        return Ok(HttpResponse::build(StatusCode::TOO_MANY_REQUESTS).finish());
    }
    let lease = form.lease_seconds.map_or(DEFAULT_LEASE, Duration::from_secs).clamp(MIN_LEASE, MAX_LEASE);
    let topic = form.topic.clone();
    let format = format.to_owned();
    let services = s.into_inner();
    tokio::spawn(async move {
        let challenge = uuid::Uuid::new_v4().simple().to_string();
        let lease_text = lease.as_secs().to_string();
        let mode = if subscribe { "subscribe" } else { "unsubscribe" };
        let mut params = vec![("hub.mode", mode), ("hub.topic", topic.as_str())];
        if subscribe {
            params.push(("hub.lease_seconds", lease_text.as_str()));
        }
        let check = services.fetcher.websub_verify(callback.as_str(), &params, &challenge);
        if let Err(e) = tokio::time::timeout(Duration::from_secs(10), check).await.unwrap_or_else(|_| {
            Err(herold_federation::FederationError::Fetch(format!("{host} did not answer in time")))
        }) {
            // The callback is the subscriber's address: the log names its server only.
            tracing::info!(server = %host, error = %e, "websub request not confirmed");
            return;
        }
        let done = if subscribe {
            let until = now_millis() + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
            let stored = services.store.websub_subscribe(
                account.id,
                &format,
                callback.as_str(),
                secret.as_deref(),
                until,
                now_millis(),
            );
            stored.await.map(|()| true)
        } else {
            services.store.websub_unsubscribe(account.id, &format, callback.as_str()).await
        };
        match done {
            Ok(_) => tracing::info!(server = %host, mode, "websub request confirmed"),
            Err(e) => tracing::warn!(server = %host, error = %e, "websub request not stored"),
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

/// Sends each subscribed callback whose feed has news the feed's new version; ends leases
/// that ran out. How many went out.
pub async fn distribute(s: &Services) -> Result<usize, ApiError> {
    use futures_util::StreamExt;
    let now = now_millis();
    s.store.websub_expire(now).await?;
    let due = s.store.websub_due(now, BATCH).await?;
    // A few at once: one slow callback does not hold up the rest.
    let outcomes: Vec<Result<bool, ApiError>> = futures_util::stream::iter(due)
        .map(|sub| send_one(s, sub))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut sent = 0;
    for outcome in outcomes {
        sent += usize::from(outcome?);
    }
    Ok(sent)
}

/// Sends one callback its feed; whether it took it.
async fn send_one(s: &Services, sub: herold_store::WebsubSubscription) -> Result<bool, ApiError> {
    let Some(account) = s.store.account_by_username(&sub.username).await? else { return Ok(false) };
    let items = s.store.announcements(account.id, FEED_SIZE, 0).await?;
    let Some((content_type, body)) = herold_publishing::feeds::render(&sub.format, &s.urls, &account, &items)
    else {
        return Ok(false);
    };
    let until = items
        .iter()
        .filter(|a| a.imported_from.is_none())
        .map(|a| a.published_at)
        .max()
        .unwrap_or(sub.notified_until);
    let link = herold_federation::websub::link_header(
        &s.urls.websub_hub(),
        &s.urls.feed_in(&account.username, &sub.format),
    );
    let delivery = s.fetcher.websub_deliver(
        &sub.callback,
        content_type,
        &link,
        body.into_bytes(),
        sub.secret.as_deref(),
    );
    match tokio::time::timeout(Duration::from_secs(15), delivery).await {
        Ok(Ok(())) => {
            s.store.websub_notified(sub.id, until).await?;
            Ok(true)
        }
        _ => {
            s.store.websub_failed(sub.id, GIVE_UP_AFTER).await?;
            Ok(false)
        }
    }
}
