//! The one place where failures become HTTP responses.

use crate::envelope::{ErrorBody, ErrorEnvelope};
use actix_web::error::JsonPayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};
use castellan_application::{AppError, FieldError};
use std::borrow::Cow;
use std::cell::RefCell;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case failed.
    #[error(transparent)]
    App(#[from] AppError),
    /// The body is not JSON.
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is over the size limit.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not `application/json`.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// No route for this path.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// Over a rate limit.
    #[error("too many requests: try again in {} s", .0.decision_retry_after())]
    RateLimited(crate::rate_limit::Applied),
    /// The route exists but not for this method.
    #[error("method {method} is not allowed here; use {allow}")]
    MethodNotAllowed {
        /// The method the client used.
        method: String,
        /// The methods the route answers, for the `Allow` header.
        allow: String,
    },
}

impl ApiError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::App(AppError::field(field, message))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::App(app) => match app {
                AppError::Validation(_) => "validation_error",
                AppError::InvalidToken { code, .. } => code,
                AppError::InvalidCredentials => "invalid_credentials",
                AppError::Unauthenticated(_) => "unauthenticated",
                AppError::Forbidden(_) => "forbidden",
                AppError::NotFound(_) => "not_found",
                AppError::Conflict { .. } => "conflict",
                AppError::Unavailable(_) => "service_unavailable",
                AppError::Locked { .. } | AppError::RateLimited { .. } => "rate_limited",
                AppError::Internal(_) => "internal",
            },
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RouteNotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::RateLimited(_) => "rate_limited",
        }
    }

    /// The error's bodies, as the envelope lists them (internals never shown).
    pub(crate) fn bodies(&self) -> Vec<ErrorBody> {
        let code = self.code();
        let one = |message: Cow<'static, str>, field: Option<String>| {
            vec![ErrorBody {
                code,
                message,
                field,
            }]
        };
        match self {
            ApiError::App(AppError::Validation(errors)) => errors
                .iter()
                .map(|FieldError { field, message }| ErrorBody {
                    code,
                    message: message.clone().into(),
                    field: Some(field.clone()),
                })
                .collect(),
            ApiError::App(AppError::InvalidToken { message, field, .. }) => {
                one(Cow::Borrowed(message), Some(field.to_string()))
            }
            ApiError::App(AppError::Conflict { message, field }) => {
                one(message.clone().into(), field.clone())
            }
            ApiError::App(AppError::Unavailable(what)) => one(
                format!("{what} is unavailable, try again later").into(),
                Some(what.replace(' ', "_")),
            ),
            // Internals stay in the logs.
            ApiError::App(AppError::Internal(_)) => one("internal server error".into(), None),
            other => one(other.to_string().into(), None),
        }
    }

    /// The error envelope as JSON.
    fn envelope(&self) -> Result<Bytes, serde_json::Error> {
        let serialize = || {
            serde_json::to_vec(&ErrorEnvelope {
                data: None,
                errors: self.bodies(),
            })
            .map(Bytes::from)
        };
        let ApiError::App(AppError::Unauthenticated(message)) = self else {
            return serialize();
        };
        let key = (message.as_ptr() as usize, message.len());
        UNAUTHENTICATED_BODIES.with(|bodies| {
            if let Some((_, body)) = bodies.borrow().iter().find(|(k, _)| *k == key) {
                return Ok(body.clone());
            }
            let body = serialize()?;
            bodies.borrow_mut().push((key, body.clone()));
            Ok(body)
        })
    }
}

thread_local! {
    /// The envelopes of the 401s, which never vary with the request: serialized once per
    /// worker thread, keyed by their static message's address and length.
    static UNAUTHENTICATED_BODIES: RefCell<Vec<((usize, usize), Bytes)>> =
        const { RefCell::new(Vec::new()) };
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::App(app) => match app {
                AppError::Validation(_) | AppError::InvalidToken { .. } => StatusCode::BAD_REQUEST,
                AppError::InvalidCredentials | AppError::Unauthenticated(_) => {
                    StatusCode::UNAUTHORIZED
                }
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Conflict { .. } => StatusCode::CONFLICT,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Locked { .. } | AppError::RateLimited { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        let mut response = match self.envelope() {
            Ok(body) => response
                .insert_header(header::ContentType::json())
                .body(body),
            Err(err) => HttpResponse::from_error(JsonPayloadError::Serialize(err)),
        };
        if let ApiError::RateLimited(applied) = self {
            crate::rate_limit::annotate(response.headers_mut(), Some(*applied));
        }
        if let ApiError::App(
            AppError::Locked { retry_after_secs } | AppError::RateLimited { retry_after_secs },
        ) = self
        {
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.max(&1).to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let ApiError::App(AppError::Forbidden(denial)) = self {
            // For the request middleware, which records every refusal in the audit trail.
            response.extensions_mut().insert(denial.clone());
        }
        response
    }
}

/// Handler result.
pub type ApiResult<T = HttpResponse> = Result<T, ApiError>;
