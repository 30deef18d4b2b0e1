mod actors;
mod body_deadline;
mod inbox;
mod legal;
mod media;
mod metrics;
mod relay;
mod subscriptions;
mod wellknown;

pub use body_deadline::body_deadline;
pub use metrics::metrics_server;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(wellknown::webfinger)
        .service(wellknown::host_meta)
        .service(wellknown::nodeinfo_links)
        .service(wellknown::nodeinfo)
        .service(actors::livez)
        .service(actors::readyz)
        .service(actors::stylesheet)
        .service(actors::brand_stylesheet)
        .service(actors::brand_logo)
        .service(actors::home)
        .service(actors::instance_actor)
        .service(inbox::shared_inbox)
        .service(inbox::relay_inbox)
        .service(relay::relay_actor)
        .service(inbox::actor_inbox)
        .service(actors::actor)
        .service(actors::outbox)
        .service(actors::followers)
        .service(actors::following)
        .service(actors::featured)
        .service(actors::feed)
        .service(actors::embed)
        .service(actors::announcement)
        .service(actors::replies)
        .service(actors::follow_form)
        .service(actors::follow_lookup)
        .service(actors::stamp)
        .service(actors::tag)
        .service(media::media)
        .service(legal::privacy_notice)
        .service(legal::hosted_page)
        .service(crate::websub::hub)
        .service(subscriptions::subscribe_form)
        .service(subscriptions::subscribe)
        .service(subscriptions::step_form)
        .service(subscriptions::take_step)
        .configure(crate::staff::configure)
        .configure(crate::api::configure)
        .default_service(web::to(actors::not_found));
}

/// Headers every response carries: no scripts, no third-party anything, no framing, no
/// referrers leaking where readers came from.
pub fn security_headers(hsts: bool) -> DefaultHeaders {
    let headers = if hsts {
        DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}

/// Request log without the client address: method, path, status, duration.
/// HEAD is GET without the body (RFC 9110 §9.3.2): uptime monitors and link checkers ask
/// with it. The routes are declared for GET; the connection still knows the request was a
/// HEAD and sends the headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    // A subscription's token confirms and ends it: it stays out of the logs.
    let path = match req.path().strip_prefix("/subscriptions/") {
        Some(rest) => format!("/subscriptions/…/{}", rest.rsplit('/').next().unwrap_or_default()),
        None => req.path().to_owned(),
    };
    let res = next.call(req).await?;
    tracing::info!(
        method,
        path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(res)
}

/// Whether the client asked for ActivityStreams JSON rather than a page.
pub fn wants_activity_json(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/activity+json") || v.contains("application/ld+json"))
}

pub fn activity_json(status: actix_web::http::StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(herold_federation::vocab::AP_CONTENT_TYPE),
        ))
        .insert_header((header::VARY, "Accept"))
        .body(body.to_string())
}

pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // The page depends on both: JSON or HTML, and the reader's language.
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .body(body)
}
