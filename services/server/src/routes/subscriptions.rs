//! Subscribing to an account's announcements by e-mail, for people without a fediverse
//! account: the form, and the pages the mails' links lead to (confirm, unsubscribe). Mails
//! go out from the notifications job (`mail::subscriptions`). Offered where the
//! organisation's policy switches it on (`[presence] email_subscriptions`) and a mail
//! server is configured.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::EmailAddress;
use herold_publishing::pages;
use herold_store::{Account, SubscribeOutcome};
use serde::Deserialize;

use super::actors::{account, legal, readable, texts};
use super::html;
use crate::error::ApiError;
use crate::staff::i18n::Lang;
use crate::state::Services;

/// Unconfirmed requests per account and hour: beyond them, a flood of requests (each
/// costing someone a mail) is refused until the hour has passed.
const REQUESTS_PER_HOUR: i64 = 100;

/// The account, if it takes subscriptions by e-mail.
async fn offering(s: &Services, username: &str) -> Result<Account, ApiError> {
    let account = account(s, username).await?;
    let offered = s.mailer.is_some() && s.presences.of(&account.org_slug).email_subscriptions;
    if !offered || account.ended_at.is_some() {
        return Err(ApiError::NotFound);
    }
    Ok(account)
}

fn page(
    req: &HttpRequest,
    s: &Services,
    account: &Account,
    status: StatusCode,
    state: pages::SubscribeState<'_>,
) -> HttpResponse {
    let page = pages::subscribe(&texts(req), &legal(req, Some(account)), &s.urls, account, state);
    html(status, page)
}

#[get("/users/{username}/subscribe")]
pub async fn subscribe_form(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    match offering(&s, &path).await {
        Ok(account) => Ok(page(&req, &s, &account, StatusCode::OK, pages::SubscribeState::default())),
        Err(e) => readable(&req, Err(e)),
    }
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    email: String,
}

/// Takes a request and queues its confirmation mail. The answer is the same whether the
/// address was new, waits for confirmation or is subscribed already, so that the form tells
/// nobody who receives what.
#[post("/users/{username}/subscribe")]
pub async fn subscribe(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<SubscribeForm>,
) -> Result<HttpResponse, ApiError> {
    let account = match offering(&s, &path).await {
        Ok(a) => a,
        Err(e) => return readable(&req, Err(e)),
    };
    let typed: String = form.email.trim().chars().take(320).collect();
    let Ok(email) = EmailAddress::parse(&typed) else {
        let state = pages::SubscribeState {
            address: &typed,
            problem: Some("pub_subscribe_bad_address"),
            requested: false,
        };
        return Ok(page(&req, &s, &account, StatusCode::BAD_REQUEST, state));
    };
    let token = herold_identity::session::random_token()?;
    let lang = Lang::negotiate(&req);
    let now = herold_domain::now_millis();
    let outcome =
        s.store.subscribe(account.id, email.as_str(), lang.code(), &token, REQUESTS_PER_HOUR, now).await?;
    if outcome == SubscribeOutcome::TooMany {
        tracing::warn!(account = %account.username, "subscription requests refused: too many this hour");
        let state =
            pages::SubscribeState { address: &typed, problem: Some("pub_subscribe_busy"), requested: false };
        return Ok(page(&req, &s, &account, StatusCode::TOO_MANY_REQUESTS, state));
    }
    let state = pages::SubscribeState { address: "", problem: None, requested: true };
    Ok(page(&req, &s, &account, StatusCode::OK, state))
}

/// A token as `random_token` makes them; anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The subscription a link names and its account, or the page saying the link is spent.
async fn named(
    s: &Services,
    req: &HttpRequest,
    token: &str,
) -> Result<Result<Account, HttpResponse>, ApiError> {
    let subscriber = if plausible(token) { s.store.subscriber_by_token(token).await? } else { None };
    let Some(subscriber) = subscriber else {
        let tr = texts(req);
        let page = pages::document(
            &tr,
            &legal(req, None),
            tr("pub_subscription_gone_title"),
            maud::html! { h1 { (tr("pub_subscription_gone_title")) } p { (tr("pub_subscription_gone")) } },
        );
        return Ok(Err(html(StatusCode::NOT_FOUND, page)));
    };
    account(s, &subscriber.username).await.map(Ok)
}

#[derive(Deserialize)]
pub struct StepPath {
    token: String,
    step: String,
}

fn step_page(
    req: &HttpRequest,
    s: &Services,
    account: &Account,
    token: &str,
    step: &str,
    done: bool,
) -> HttpResponse {
    let page = pages::subscription_step(
        &texts(req),
        &legal(req, Some(account)),
        &s.urls,
        account,
        (token, step),
        done,
    );
    html(StatusCode::OK, page)
}

#[get("/subscriptions/{token}/{step}")]
pub async fn step_form(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<StepPath>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(path.step.as_str(), "confirm" | "unsubscribe") {
        return readable(&req, Err(ApiError::NotFound));
    }
    match named(&s, &req, &path.token).await? {
        Ok(account) => Ok(step_page(&req, &s, &account, &path.token, &path.step, false)),
        Err(gone) => Ok(gone),
    }
}

/// Confirms or unsubscribes. Also the target of a mail program's one-click unsubscribe
/// (RFC 8058), which posts `List-Unsubscribe=One-Click` from wherever it runs: the token
/// alone authorises it.
#[post("/subscriptions/{token}/{step}")]
pub async fn take_step(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<StepPath>,
) -> Result<HttpResponse, ApiError> {
    let account = match (path.step.as_str(), named(&s, &req, &path.token).await?) {
        // Unsubscribed already (perhaps by the mail program): what was asked for holds.
        ("unsubscribe", Err(_)) => {
            let tr = texts(&req);
            let page = pages::document(
                &tr,
                &legal(&req, None),
                tr("pub_unsubscribe_title"),
                maud::html! { h1 { (tr("pub_unsubscribe_title")) } p role="status" { (tr("pub_unsubscribe_done")) } },
            );
            return Ok(html(StatusCode::OK, page));
        }
        (_, Err(gone)) => return Ok(gone),
        // Confirming needs the offer to stand (the organisation may have withdrawn it, or
        // the account ended); unsubscribing always works.
        ("confirm", Ok(account)) if offering(&s, &account.username).await.is_err() => {
            return readable(&req, Err(ApiError::NotFound));
        }
        ("confirm" | "unsubscribe", Ok(account)) => account,
        _ => return readable(&req, Err(ApiError::NotFound)),
    };
    let now = herold_domain::now_millis();
    if path.step == "confirm" {
        s.store.confirm_subscription(&path.token, now).await?;
    } else {
        s.store.unsubscribe(&path.token).await?;
    }
    Ok(step_page(&req, &s, &account, &path.token, &path.step, true))
}
