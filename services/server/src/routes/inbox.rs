use actix_web::{post, web, HttpRequest, HttpResponse};
use herold_federation::relay::RelayReceived;
use herold_federation::signatures::RequestView;
use herold_federation::FederationError;
use url::Url;

use crate::state::Services;
use crate::ApiError;

/// The request as signed: the public scheme (TLS may end at a proxy), the `Host` the client
/// used, the path and query.
fn request_view(s: &Services, req: &HttpRequest) -> Result<RequestView, ApiError> {
    // A signature over another server's name must not be replayable here.
    let ours = s.urls.host();
    let host =
        req.headers().get(actix_web::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(&ours);
    if !host.eq_ignore_ascii_case(&ours) {
        return Err(FederationError::Signature(format!(
            "the request is addressed to {host:?}, not to this server"
        ))
        .into());
    }
    let target = Url::parse(&format!("{}://{ours}{}", s.urls.base().scheme(), req.uri()))
        .map_err(|_| FederationError::Invalid("unusable request target".into()))?;
    let headers = req
        .headers()
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_owned(), v.to_owned())))
        .collect();
    Ok(RequestView::new(req.method().as_str(), target, headers))
}

/// Reads an inbox body up to the size cap (its time limit is the `body_deadline`
/// middleware's).
async fn read_body(payload: web::Payload) -> Result<web::Bytes, ApiError> {
    let limit = herold_federation::fetch::MAX_BODY_BYTES;
    match payload.to_bytes_limited(limit).await {
        Err(_) => Err(ApiError::BodyTooLarge(limit)),
        Ok(Err(e)) => Err(ApiError::BadRequest(format!("the body could not be read: {e}"))),
        Ok(Ok(body)) => Ok(body),
    }
}

/// A `Delete` of its own actor: the one activity whose signer is expected to be gone.
fn is_self_delete(body: &[u8]) -> bool {
    let Ok(activity) = serde_json::from_slice::<serde_json::Value>(body) else { return false };
    let actor = activity.get("actor").and_then(herold_federation::vocab::id_of);
    activity.get("type").and_then(|t| t.as_str()) == Some("Delete")
        && actor.is_some()
        && activity.get("object").and_then(herold_federation::vocab::id_of) == actor
}

/// One span per inbox request: what kind of activity, and what became of it. Never who
/// sent it: actor URIs are personal data.
#[tracing::instrument(name = "inbox", skip_all, fields(kind = tracing::field::Empty, outcome = tracing::field::Empty))]
async fn handle(
    s: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
    to: Inbox,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let view = request_view(&s, &req)?;
    let verified = match s.inbox.verify(&view, &body).await {
        Ok(v) => v,
        // The actor is gone at its origin and unknown here (typically its own Delete):
        // nothing to verify against and nothing of it to remove.
        Err(FederationError::Gone(_)) if is_self_delete(&body) => {
            return Ok(HttpResponse::Accepted().finish())
        }
        Err(e) => return Err(e.into()),
    };
    // Charged to the verified sender's host only: a forged key id must not be able to spend
    // another server's budget.
    if let Some(host) =
        url::Url::parse(&verified.actor.uri).ok().and_then(|u| u.host_str().map(str::to_owned))
    {
        if let Err(retry_after) = s.inbox_limiter.check(&host, std::time::Instant::now()) {
            tracing::info!(host, "inbox rate limit");
            return Ok(HttpResponse::TooManyRequests()
                .insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()))
                .finish());
        }
    }
    let span = tracing::Span::current();
    span.record("kind", verified.activity.get("type").and_then(|t| t.as_str()).unwrap_or("unknown"));
    match to {
        Inbox::Accounts => {
            let outcome = s.inbox.receive(verified).await?;
            span.record("outcome", tracing::field::debug(outcome));
        }
        Inbox::Relay => {
            let outcome = s.relay.receive(verified, &body).await?;
            span.record("outcome", tracing::field::debug(outcome));
            if outcome == RelayReceived::Relayed {
                s.metrics.relayed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Whose inbox a request came to: the official accounts' (theirs and the shared one), or
/// the relay's.
#[derive(Debug, Clone, Copy)]
enum Inbox {
    Accounts,
    Relay,
}

/// Keeps a rejected request in the security log, if the operator turned it on.
async fn note(
    s: &Services,
    req: &HttpRequest,
    result: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    {
        use actix_web::ResponseError;
        s.metrics.inbox(match &result {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.status_code().as_u16(),
        });
    }
    if let (Some(log), Err(e), Some(peer)) = (&s.security_log, &result, req.peer_addr()) {
        use actix_web::ResponseError;
        let detail = format!("HTTP {}", e.status_code().as_u16());
        if let Err(err) =
            s.store.record_security_event("inbox.rejected", &log.pseudonym(peer.ip()), &detail).await
        {
            tracing::warn!(error = %crate::error::chain(&err), "security log write failed");
        }
    }
    result
}

#[post("/inbox")]
pub async fn shared_inbox(
    s: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let result = handle(s.clone(), req.clone(), payload, Inbox::Accounts).await;
    note(&s, &req, result).await
}

/// The URL server admins enter to subscribe to the relay.
#[post("/relay/inbox")]
pub async fn relay_inbox(
    s: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let result = handle(s.clone(), req.clone(), payload, Inbox::Relay).await;
    note(&s, &req, result).await
}

#[post("/users/{username}/inbox")]
pub async fn actor_inbox(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if s.store.account_by_username(&path.to_ascii_lowercase()).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let result = handle(s.clone(), req.clone(), payload, Inbox::Accounts).await;
    note(&s, &req, result).await
}
