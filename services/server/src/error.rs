use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use herold_domain::workflow::WorkflowError;
use herold_federation::FederationError;
use herold_identity::IdentityError;
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
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Compliance(#[from] herold_compliance::ComplianceError),
    /// A request body that is not what the API expects.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form without the session's CSRF token, or posted from another site.
    #[error("the form expired or did not come from this site")]
    Csrf,
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
    /// The client sent its body too slowly (or stalled): a slowloris, or a broken link.
    #[error("the request body did not arrive in time")]
    BodyTooSlow,
}

impl ApiError {
    /// For reads within an organisation: an account or announcement it does not have is a
    /// plain "not found", whether it exists elsewhere or nowhere.
    pub fn unknown_is_not_found(e: PublishError) -> ApiError {
        match e {
            PublishError::UnknownAccount(_) | PublishError::UnknownAnnouncement(_) => ApiError::NotFound,
            e => e.into(),
        }
    }

    pub fn safe_message(&self) -> String {
        match self {
            ApiError::BadRequest(m) => m.clone(),
            e @ (ApiError::BodyTooLarge(_) | ApiError::BodyTooSlow) => e.to_string(),
            ApiError::Compliance(
                e @ (herold_compliance::ComplianceError::LegalHold(_)
                | herold_compliance::ComplianceError::Malformed(_)),
            ) => e.to_string(),
            ApiError::Csrf => {
                "The form expired or did not come from this site. Go back, reload the page and try again."
                    .into()
            }
            ApiError::Identity(
                e @ (IdentityError::UnknownOrg(_)
                | IdentityError::Refused(_)
                | IdentityError::NoRole
                | IdentityError::InvalidToken(_)),
            ) => e.to_string(),
            ApiError::Identity(IdentityError::Provider(_)) => {
                "Your organisation's sign-in service could not be reached; try again later.".into()
            }
            ApiError::Publish(PublishError::Store(StoreError::Conflict(m)))
            | ApiError::Store(StoreError::Conflict(m)) => m.clone(),
            ApiError::NotFound => "not found".into(),
            ApiError::Federation(FederationError::Signature(m)) => {
                format!("signature rejected: {m}")
            }
            ApiError::Federation(FederationError::Invalid(m)) => format!("invalid activity: {m}"),
            ApiError::Federation(FederationError::NotAccepted(m)) => m.clone(),
            // Names the server and the reason (an address not allowed, an untrusted
            // certificate, a refusal), never a path: actor paths can name people.
            ApiError::Federation(FederationError::Refused(m)) => {
                format!("the signing key cannot be fetched: {m}")
            }
            ApiError::Federation(FederationError::Fetch(_)) => {
                "could not fetch the signing key; try again later".into()
            }
            ApiError::Federation(FederationError::Gone(_)) => "the signing actor is gone".into(),
            ApiError::Federation(e @ FederationError::RateLimited(_)) => e.to_string(),
            ApiError::Publish(
                e @ (PublishError::Invalid(_)
                | PublishError::UnknownAccount(_)
                | PublishError::UnknownAnnouncement(_)
                | PublishError::Retracted(_)
                | PublishError::Workflow(_)
                | PublishError::Forbidden(_)
                | PublishError::UnknownDraft(_)
                | PublishError::Incomplete(_)
                | PublishError::Media(_)
                | PublishError::Mention(_)
                | PublishError::ReservedName(_)
                | PublishError::PublishAtPassed(_)
                | PublishError::Ended(_)
                | PublishError::NoAlias(_)
                | PublishError::MoveTarget(_)),
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
                FederationError::NotAccepted(_) => StatusCode::FORBIDDEN,
                FederationError::Fetch(_) => StatusCode::SERVICE_UNAVAILABLE,
                FederationError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Publish(PublishError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ApiError::Publish(PublishError::UnknownAccount(_) | PublishError::UnknownAnnouncement(_)) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Publish(PublishError::Retracted(_)) => StatusCode::GONE,
            ApiError::Publish(PublishError::Store(StoreError::Conflict(_)))
            | ApiError::Store(StoreError::Conflict(_))
            | ApiError::Publish(PublishError::Workflow(WorkflowError::NotAllowedInState(..))) => {
                StatusCode::CONFLICT
            }
            ApiError::Publish(PublishError::Workflow(_) | PublishError::Forbidden(_)) => {
                StatusCode::FORBIDDEN
            }
            ApiError::Publish(PublishError::UnknownDraft(_)) => StatusCode::NOT_FOUND,
            ApiError::Publish(
                PublishError::Incomplete(_)
                | PublishError::ReservedName(_)
                | PublishError::PublishAtPassed(_),
            ) => StatusCode::BAD_REQUEST,
            ApiError::Publish(PublishError::Mention(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Publish(PublishError::Ended(_)) => StatusCode::CONFLICT,
            ApiError::Publish(PublishError::NoAlias(_)) => StatusCode::BAD_REQUEST,
            ApiError::Publish(PublishError::MoveTarget(_)) => StatusCode::BAD_GATEWAY,
            ApiError::Publish(PublishError::Media(herold_publishing::media::MediaError::TooLarge)) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Publish(PublishError::Media(herold_publishing::media::MediaError::UnsupportedType)) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::Publish(PublishError::Media(_)) => StatusCode::BAD_REQUEST,
            ApiError::Publish(PublishError::Store(_) | PublishError::Key(_)) | ApiError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Identity(e) => match e {
                IdentityError::UnknownOrg(_) => StatusCode::NOT_FOUND,
                IdentityError::Refused(_) => StatusCode::BAD_REQUEST,
                IdentityError::NoRole => StatusCode::FORBIDDEN,
                IdentityError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
                IdentityError::Provider(_) => StatusCode::BAD_GATEWAY,
                IdentityError::Config(_) | IdentityError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::Compliance(herold_compliance::ComplianceError::LegalHold(_)) => StatusCode::CONFLICT,
            ApiError::Compliance(herold_compliance::ComplianceError::Malformed(_)) => StatusCode::BAD_REQUEST,
            ApiError::Compliance(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTooSlow => StatusCode::REQUEST_TIMEOUT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.log();
        let mut response = HttpResponse::build(status);
        if let ApiError::Identity(IdentityError::InvalidToken(_)) = self {
            response
                .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
        }
        if let ApiError::Federation(FederationError::RateLimited(seconds)) = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(serde_json::json!({ "error": self.safe_message() }))
    }
}

impl ApiError {
    /// Logs the full cause (server errors loudly) and returns the status to send. A remote
    /// server that cannot be reached is the remote's trouble, not ours: a warning, so that a
    /// flood of forged requests cannot flood the alerts.
    pub fn log(&self) -> StatusCode {
        let status = self.status_code();
        if let ApiError::Federation(FederationError::Fetch(_)) = self {
            tracing::warn!(status = status.as_u16(), error = %chain(self), "remote server unavailable");
        } else if status.is_server_error() {
            tracing::error!(error = %chain(self), "request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %chain(self), "request refused");
        }
        status
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
