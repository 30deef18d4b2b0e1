use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use herold_federation::FederationError;
use herold_publishing::PublishError;
use herold_store::StoreError;

/// The one mapping from failures to HTTP. The client sees a short, safe message; the full
/// cause chain goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Federation(#[from] FederationError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    fn safe_message(&self) -> String {
        match self {
            ApiError::NotFound => "not found".into(),
            ApiError::Federation(FederationError::Signature(m)) => {
                format!("signature rejected: {m}")
            }
            ApiError::Federation(FederationError::Invalid(m)) => format!("invalid activity: {m}"),
            ApiError::Federation(FederationError::Refused(_)) => {
                "the signing key's address is not allowed".into()
            }
            ApiError::Federation(FederationError::Fetch(_)) => {
                "could not fetch the signing key; try again later".into()
            }
            ApiError::Federation(FederationError::Gone(_)) => "the signing actor is gone".into(),
            ApiError::Publish(
                e @ (PublishError::Invalid(_)
                | PublishError::UnknownAccount(_)
                | PublishError::UnknownAnnouncement(_)
                | PublishError::Retracted(_)),
            ) => e.to_string(),
            _ => "internal error".into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Federation(e) => match e {
                FederationError::Signature(_) | FederationError::Refused(_) | FederationError::Gone(_) => {
                    StatusCode::UNAUTHORIZED
                }
                FederationError::Invalid(_) => StatusCode::BAD_REQUEST,
                FederationError::Fetch(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Publish(PublishError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ApiError::Publish(PublishError::UnknownAccount(_) | PublishError::UnknownAnnouncement(_)) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Publish(PublishError::Retracted(_)) => StatusCode::GONE,
            ApiError::Publish(PublishError::Store(_) | PublishError::Key(_)) | ApiError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %chain(self), "request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %chain(self), "request refused");
        }
        HttpResponse::build(status).json(serde_json::json!({ "error": self.safe_message() }))
    }
}

/// An error with all its causes, for logs.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
