//! `GET /me`: who the caller is and what the viewer may offer them (sign-in check of the
//! supervisor viewer).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access;
use super::shares::{SharingSettings, sharing_settings};
use crate::AppState;
use crate::auth::Principal;
use crate::db::users::{Role, TokenKind};
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};

/// The signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// E-mail address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Whether the caller may list recordings at all (members only if the policy lets agents
    /// view their own).
    pub can_view_recordings: bool,
    /// Whether the caller may change recordings and make share links (admins).
    pub can_edit: bool,
    /// The org's share-link rules.
    pub sharing: SharingSettings,
}

/// The caller.
///
/// Who the API token belongs to and what they may do; the viewer's sign-in check.
#[utoipa::path(get, path = "/me", operation_id = "getMe", tag = "Viewer",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not a user API token", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<ApiJson<Me>> {
    if principal.kind != TokenKind::Api {
        return Err(ApiError::Forbidden(
            "the viewer needs a user API token".to_owned(),
        ));
    }
    let can_view_recordings = access::visibility(&state, &principal).await.is_ok();
    Ok(ApiJson(Me {
        email: principal.user.email.clone(),
        name: principal.user.name.clone(),
        role: principal.user.role,
        can_view_recordings,
        can_edit: principal.user.role == Role::Admin,
        sharing: sharing_settings(&state).await?,
    }))
}
