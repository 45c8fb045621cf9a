//! Typed errors: what the server answered, sorted by what the caller should do about it.

use std::time::Duration;

use agentrec_capture::error::SpoolError;

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Try again later: network down, server restarting, 5xx, 503 with `Retry-After`, 429.
    Transient,
    /// The device credential is not (or no longer) valid: enroll again.
    Unauthorized,
    /// The server holds something else under this name (409): retrying cannot help.
    Conflict,
    /// The server refused this request for good (400, 404, 413, 415, 422, …).
    Permanent,
}

/// Why a request to the agent endpoints failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// The server answered that it cannot serve now (5xx, 408, 429).
    #[error("the server is unavailable ({status}): {message}")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
        /// How long the server asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// 401: the credential is invalid, expired or revoked.
    #[error("the server refused the credential: {0}")]
    Unauthorized(String),
    /// 409: something else is stored under this name.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Any other client error: the request will never succeed as it is.
    #[error("the server refused the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// A success whose body is not what the protocol says.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The server URL cannot be used.
    #[error("invalid server URL {0:?}")]
    BadUrl(String),
}

impl ClientError {
    /// What to do about it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Network(_) | ClientError::Unavailable { .. } => ErrorKind::Transient,
            // A garbled answer is most likely a proxy or a server mid-restart: try again.
            ClientError::Protocol(_) => ErrorKind::Transient,
            ClientError::Unauthorized(_) => ErrorKind::Unauthorized,
            ClientError::Conflict(_) => ErrorKind::Conflict,
            ClientError::Rejected { .. } | ClientError::BadUrl(_) => ErrorKind::Permanent,
        }
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Why uploading a recording stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The server failed or refused.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The spool could not be read or updated.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// A blocking spool task could not run (the runtime is shutting down).
    #[error("spool task failed: {0}")]
    Task(String),
}

impl UploadError {
    /// What to do about it: spool failures are local and permanent for the file concerned.
    pub fn kind(&self) -> ErrorKind {
        match self {
            UploadError::Client(e) => e.kind(),
            UploadError::Spool(_) => ErrorKind::Permanent,
            UploadError::Task(_) => ErrorKind::Transient,
        }
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            UploadError::Client(e) => e.retry_after(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_say_what_to_do() {
        let e = ClientError::Unavailable {
            status: 503,
            message: "retry later".into(),
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
        assert_eq!(
            ClientError::Unauthorized("revoked".into()).kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            ClientError::Rejected {
                status: 422,
                message: "not CMAF".into()
            }
            .kind(),
            ErrorKind::Permanent
        );
        assert_eq!(
            UploadError::from(e).retry_after(),
            Some(Duration::from_secs(5))
        );
    }
}
