//! The local API's one error type: every failure is JSON `{"error": {"kind", "message", …}}`
//! with a fitting 4xx/5xx status.

use agentrec_core::Refusal;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::recorder_task::{ActError, SendError};

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or wrong token.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The body is not JSON, or not the expected shape.
    #[error("{message}")]
    BadBody {
        /// The HTTP status (400 syntax, 415 content type, 422 shape).
        status: StatusCode,
        /// Which kind.
        kind: &'static str,
        /// What is wrong, for the client's developer.
        message: String,
    },
    /// The body is larger than the limit.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The Recorder refused the action; nothing changed.
    #[error("{0}")]
    Refused(Refusal),
    /// The Recorder's queue is full or it is shutting down.
    #[error("{0}")]
    Unavailable(SendError),
    /// No such route.
    #[error("no such endpoint")]
    NotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge(super::MAX_BODY_BYTES);
        }
        let kind = match rejection {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_body",
            _ => "bad_body",
        };
        ApiError::BadBody {
            status,
            kind,
            message: rejection.body_text(),
        }
    }
}

impl From<ActError> for ApiError {
    fn from(e: ActError) -> Self {
        match e {
            ActError::Refused(r) => ApiError::Refused(r),
            ActError::Unavailable(e) => ApiError::Unavailable(e),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(e: SendError) -> Self {
        ApiError::Unavailable(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, body) = match &self {
            ApiError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                json!({"kind": "unauthorized", "message": message}),
            ),
            ApiError::BadBody { status, kind, .. } => {
                (*status, json!({"kind": kind, "message": message}))
            }
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"kind": "payload_too_large", "message": message}),
            ),
            ApiError::Refused(refusal) => (
                StatusCode::CONFLICT,
                json!({"kind": "refused", "message": message, "refusal": refusal}),
            ),
            ApiError::Unavailable(SendError::Busy) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"kind": "busy", "message": message}),
            ),
            ApiError::Unavailable(SendError::Closed) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"kind": "shutting_down", "message": message}),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"kind": "not_found", "message": message}),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"kind": "method_not_allowed", "message": message}),
            ),
        };
        let mut response = (status, Json(json!({ "error": body }))).into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
