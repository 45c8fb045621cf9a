//! Bearer-token check, in constant time so that the token cannot be guessed byte by byte.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ApiError;

/// The local API's secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

impl ApiToken {
    /// A fresh random token (256 bits, hex).
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(ApiToken(hex::encode(bytes)))
    }

    /// A token with a known value (tests).
    pub fn from_value(value: impl Into<String>) -> Self {
        ApiToken(value.into())
    }

    /// The value, for the token file.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this token; the time taken does not depend on where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

/// Middleware: 401 unless the request has `Authorization: Bearer <token>`.
pub async fn require_token(
    State(token): State<ApiToken>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(candidate) if token.matches(candidate.trim()) => next.run(request).await,
        Some(_) => ApiError::Unauthorized("the token is wrong").into_response(),
        None => ApiError::Unauthorized("missing `Authorization: Bearer <token>`").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_token() {
        let t = ApiToken::from_value("abc123");
        assert!(t.matches("abc123"));
        assert!(!t.matches("abc124"));
        assert!(!t.matches("abc12"));
        assert!(!t.matches(""));
        assert_eq!(format!("{t:?}"), "ApiToken(..)");
    }

    #[test]
    fn random_tokens_differ() {
        let a = ApiToken::random().unwrap();
        let b = ApiToken::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
    }
}
