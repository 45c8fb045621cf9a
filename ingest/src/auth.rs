//! Bearer tokens: issuing, hashing, and resolving a request's caller.
//!
//! Tokens are 256-bit random secrets, so a plain SHA-256 is enough to store them safely (a
//! password hash like argon2 protects low-entropy secrets and would cost ~50 ms per request:
//! at 1,000 requests/s that is 50 cores). Resolved tokens are cached for a few seconds so the
//! upload path does not query the catalog for every segment; revocation clears the cache of
//! this instance at once (other instances within the TTL).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AppState;
use crate::clock::now_ms;
use crate::db::users::{Role, TokenKind, TokenRecord, User};
use crate::error::ApiError;

const CACHE_TTL: Duration = Duration::from_secs(10);

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user (for a device token: the agent it records for).
    pub user: User,
    /// Which kind of token was used.
    pub kind: TokenKind,
    /// The token's id.
    pub token_id: Uuid,
    /// The device, for device tokens.
    pub device_id: Option<Uuid>,
}

impl Principal {
    /// How the audit log names the caller.
    pub fn actor(&self) -> String {
        match self.device_id {
            Some(d) => format!("device:{d} ({})", self.user.email),
            None => self.user.email.clone(),
        }
    }

    /// Refuses unless this is a person's API token with one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.kind != TokenKind::Api {
            return Err(ApiError::Forbidden(
                "this endpoint needs a user API token".to_owned(),
            ));
        }
        if !roles.contains(&self.user.role) {
            return Err(ApiError::Forbidden(format!(
                "the {} role may not do this",
                self.user.role.as_str()
            )));
        }
        Ok(())
    }

    /// Refuses unless this is a device token; returns the device id.
    pub fn require_device(&self) -> Result<Uuid, ApiError> {
        match (self.kind, self.device_id) {
            (TokenKind::Device, Some(d)) => Ok(d),
            _ => Err(ApiError::Forbidden(
                "this endpoint needs a device token".to_owned(),
            )),
        }
    }
}

/// A new secret of `kind`: `ar_<kind>_<43 base64url chars>`.
pub fn new_secret(kind: TokenKind) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "ar_{}_{}",
        kind.as_str(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What the catalog stores of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Cache of resolved tokens.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (TokenRecord, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<TokenRecord> {
        let entries = self.entries.lock().ok()?;
        let (record, at) = entries.get(hash)?;
        (at.elapsed() < CACHE_TTL).then(|| record.clone())
    }

    fn put(&self, hash: String, record: TokenRecord) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 100_000 {
                entries.clear();
            }
            entries.insert(hash, (record, Instant::now()));
        }
    }

    /// Forgets everything (after a revocation or a change of users).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Issues a token and returns its secret (shown once).
pub async fn issue(
    state: &AppState,
    kind: TokenKind,
    user: Uuid,
    device: Option<Uuid>,
    label: Option<&str>,
    expires_at: Option<i64>,
) -> Result<(Uuid, String), ApiError> {
    let secret = new_secret(kind);
    let id = state
        .db
        .insert_token(&hash_secret(&secret), kind, user, device, label, expires_at)
        .await?;
    Ok((id, secret))
}

async fn failure(state: &AppState, reason: &str, secret: &str) -> ApiError {
    let shown: String = secret.chars().take(7).collect();
    if let Err(e) = state
        .db
        .audit(
            None,
            "auth.failure",
            None,
            Some(serde_json::json!({ "reason": reason, "token_prefix": shown })),
        )
        .await
    {
        tracing::warn!(error = %e, "could not audit an authentication failure");
    }
    ApiError::Unauthorized(format!("invalid API token: {reason}"))
}

/// Resolves a bearer token to its caller.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing bearer token".to_owned()))?;
    let secret = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::Unauthorized("expected `Authorization: Bearer <token>`".to_owned())
        })?;
    if !secret.starts_with("ar_") || secret.len() > 100 {
        return Err(failure(state, "malformed token", secret).await);
    }
    let hash = hash_secret(secret);
    let record = match state.tokens.get(&hash) {
        Some(r) => r,
        None => match state.db.token_by_hash(&hash).await? {
            Some(r) => {
                if r.kind != TokenKind::Enrollment {
                    state.tokens.put(hash, r.clone());
                }
                r
            }
            None => return Err(failure(state, "unknown token", secret).await),
        },
    };
    if record.revoked_at.is_some() {
        return Err(failure(state, "revoked", secret).await);
    }
    if record.expires_at.is_some_and(|t| t <= now_ms()) {
        return Err(failure(state, "expired", secret).await);
    }
    if record.kind == TokenKind::Enrollment && record.used_at.is_some() {
        return Err(failure(state, "enrollment token already used", secret).await);
    }
    Ok(Principal {
        user: record.user,
        kind: record.kind,
        token_id: record.id,
        device_id: record.device_id,
    })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(state, parts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hash_to_hex() {
        let a = new_secret(TokenKind::Device);
        let b = new_secret(TokenKind::Device);
        assert_ne!(a, b);
        assert!(a.starts_with("ar_dev_"));
        assert_eq!(a.len(), 7 + 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_eq!(hash_secret(&a), hash_secret(&a));
    }
}
