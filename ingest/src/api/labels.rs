//! Labels and folders: how admins organise recordings, and what the viewer's filters offer.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::{self, Access};
use super::model::Recording;
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};

/// Most labels on one recording.
pub const MAX_LABELS: usize = 20;
/// Longest label or folder name.
pub const MAX_NAME: usize = 64;

/// Labels and folder of a recording.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLabels {
    /// The labels (replaces the current ones; at most 20, each 1–64 bytes).
    pub labels: Vec<String>,
    /// The folder (null: none).
    pub folder: Option<String>,
}

/// What the viewer's filters can offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FilterOptions {
    /// Labels in use.
    pub labels: Vec<String>,
    /// Folders in use.
    pub folders: Vec<String>,
    /// Queues recordings were made in.
    pub queues: Vec<String>,
}

fn name(field: &str, s: &str) -> ApiResult<String> {
    let t = s.trim();
    if t.is_empty() || t.len() > MAX_NAME || t.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(format!(
            "{field}: 1–{MAX_NAME} bytes of printable text"
        )));
    }
    Ok(t.to_owned())
}

/// Set labels and folder.
///
/// Replaces a recording's labels and folder. Admin only.
#[utoipa::path(put, path = "/recordings/{uuid}/labels", operation_id = "setRecordingLabels", tag = "Viewer",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body(content = SetLabels, content_type = "application/json"),
    responses(
        (status = 200, description = "The recording", body = Recording),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
        (status = 415, description = "Not a JSON body", body = ErrorBody),
        (status = 422, description = "Validation error", body = ErrorBody),
    ))]
pub async fn set(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetLabels>,
) -> ApiResult<ApiJson<Recording>> {
    access::recording(&state, &principal, id, Access::Edit).await?;
    if body.labels.len() > MAX_LABELS {
        return Err(ApiError::Unprocessable(format!(
            "labels: at most {MAX_LABELS}"
        )));
    }
    let mut labels = body
        .labels
        .iter()
        .map(|l| name("labels", l))
        .collect::<ApiResult<Vec<_>>>()?;
    labels.sort();
    labels.dedup();
    let folder = body
        .folder
        .as_deref()
        .map(|f| name("folder", f))
        .transpose()?;
    state.db.set_labels(id, &labels, folder.as_deref()).await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.labels",
            Some(&id.to_string()),
            Some(serde_json::json!({ "labels": labels, "folder": folder })),
        )
        .await?;
    let row = state
        .db
        .recording(id)
        .await?
        .ok_or_else(ApiError::recording_not_found)?;
    let mut rendered = super::public::render_many(&state, Some(&principal), &[row]).await?;
    rendered
        .pop()
        .map(ApiJson)
        .ok_or_else(|| ApiError::Internal("rendering a recording gave nothing".to_owned()))
}

/// Filter options.
///
/// The labels, folders and queues in use, for the viewer's filters.
#[utoipa::path(get, path = "/recording-filters", operation_id = "recordingFilters", tag = "Viewer",
    responses(
        (status = 200, description = "Filter options", body = FilterOptions),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
    ))]
pub async fn filters(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<ApiJson<FilterOptions>> {
    access::visibility(&state, &principal).await?;
    let (labels, folders) = state.db.label_catalog().await?;
    Ok(ApiJson(FilterOptions {
        labels,
        folders,
        queues: state.db.queues().await?,
    }))
}
