//! A deadline for every request body. Headers have their own limit
//! (`client_request_timeout`); without this one, a client trickling a body byte by byte
//! (slowloris) would hold its connection for as long as it likes, on any route that reads
//! one: the inboxes, the staff forms, the API, the provider's back-channel logout.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use tokio::time::Sleep;

use crate::error::ApiError;

/// How long any client may take to send a body once its headers are in, and how much more
/// it gets for the length it declares, read at the slowest rate we wait for (100 kB/s).
/// Declared lengths count up to the largest body a route takes: an image upload (multipart)
/// or 1 MiB, so a false `Content-Length` buys little.
const BASE: Duration = Duration::from_secs(10);
const SLOWEST_BYTES_PER_SECOND: u64 = 100_000;
const LARGEST_BODY: u64 = herold_federation::fetch::MAX_BODY_BYTES as u64;
const LARGEST_UPLOAD: u64 = herold_publishing::media::MAX_BYTES as u64 + 64 * 1024;

fn deadline_for(req: &ServiceRequest) -> Duration {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let cap = if multipart { LARGEST_UPLOAD } else { LARGEST_BODY };
    BASE + Duration::from_millis(declared.min(cap) * 1000 / SLOWEST_BYTES_PER_SECOND)
}

/// The request's body, cut off at the deadline.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired.store(true, Ordering::Relaxed);
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the body came too slowly");
                Poll::Ready(Some(Err(PayloadError::Io(late))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Wraps the body in the deadline; a request whose body ran out of time is answered 408,
/// whatever the route made of the cut-off body.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Most requests (every GET) carry no body: nothing to time, and no timer to make.
    let headers = req.headers();
    let has_body = headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if !has_body {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let expired = Arc::new(AtomicBool::new(false));
    let sleep = Box::pin(tokio::time::sleep(deadline_for(&req)));
    let deadline = Deadline { inner: req.take_payload(), sleep, expired: expired.clone() };
    req.set_payload(Payload::Stream { payload: Box::pin(deadline) });
    let res = next.call(req).await?;
    if expired.load(Ordering::Relaxed) {
        let (req, _) = res.into_parts();
        let late = actix_web::ResponseError::error_response(&ApiError::BodyTooSlow);
        return Ok(ServiceResponse::new(req, late));
    }
    Ok(res.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn declared_lengths_buy_time_up_to_the_largest_body() {
        let with = |length: &str, content_type: &str| {
            deadline_for(
                &TestRequest::post()
                    .insert_header(("content-length", length))
                    .insert_header(("content-type", content_type))
                    .to_srv_request(),
            )
        };
        assert_eq!(deadline_for(&TestRequest::post().to_srv_request()), BASE);
        assert_eq!(with("100000", "application/json"), BASE + Duration::from_secs(1));
        let form_cap = with("999999999", "application/x-www-form-urlencoded");
        assert!(form_cap < Duration::from_secs(21), "{form_cap:?}");
        let upload = with("8000000", "multipart/form-data; boundary=x");
        assert_eq!(upload, BASE + Duration::from_secs(80));
        assert!(with("999999999", "multipart/form-data; boundary=x") < Duration::from_secs(100));
    }
}
