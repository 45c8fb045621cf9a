//! Bookmarks: comments at a time position of a recording, stored on the server so that every
//! reviewer sees them. Whoever may view a recording may read and add them; the author or an
//! admin may delete one.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::{self, Access};
use crate::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::db::bookmarks::BookmarkRow;
use crate::db::users::Role;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};

/// Longest comment.
pub const MAX_BODY: usize = 2_000;
/// Most bookmarks on one recording.
pub const MAX_PER_RECORDING: usize = 1_000;

/// A bookmark.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bookmark {
    /// Id.
    pub id: Uuid,
    /// Position on the recording's timeline, ms from its start.
    pub offset_ms: i64,
    /// The comment.
    pub body: String,
    /// The author's e-mail address.
    pub author_email: String,
    /// The author's name.
    pub author_name: String,
    /// Written.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<BookmarkRow> for Bookmark {
    fn from(b: BookmarkRow) -> Self {
        Bookmark {
            id: b.id,
            offset_ms: b.offset_ms,
            body: b.body,
            author_email: b.author_email,
            author_name: b.author_name,
            created_at: rfc3339(b.created_at),
        }
    }
}

/// The bookmarks of a recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookmarkList {
    /// In timeline order.
    pub bookmarks: Vec<Bookmark>,
}

/// Body of a new bookmark.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookmark {
    /// Position on the recording's timeline, ms from its start (0 … its duration).
    #[schema(minimum = 0)]
    pub offset_ms: i64,
    /// The comment (1–2000 bytes).
    pub body: String,
}

/// A bookmark in a URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BookmarkPath {
    /// The recording's UUID.
    pub uuid: Uuid,
    /// The bookmark's id.
    pub id: Uuid,
}

/// List bookmarks.
///
/// The bookmarks/comments of a recording, in timeline order.
#[utoipa::path(get, path = "/recordings/{uuid}/bookmarks", operation_id = "listBookmarks", tag = "Viewer",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses(
        (status = 200, description = "The bookmarks", body = BookmarkList),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<BookmarkList>> {
    access::recording(&state, &principal, id, Access::View).await?;
    let bookmarks = state.db.bookmarks(id).await?;
    Ok(ApiJson(BookmarkList {
        bookmarks: bookmarks.into_iter().map(Bookmark::from).collect(),
    }))
}

/// Add a bookmark.
///
/// Stores a comment at a time position of the recording.
#[utoipa::path(post, path = "/recordings/{uuid}/bookmarks", operation_id = "createBookmark", tag = "Viewer",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body(content = NewBookmark, content_type = "application/json"),
    responses(
        (status = 201, description = "The new bookmark", body = Bookmark),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
        (status = 415, description = "Not a JSON body", body = ErrorBody),
        (status = 422, description = "Validation error", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewBookmark>,
) -> ApiResult<(StatusCode, ApiJson<Bookmark>)> {
    let row = access::recording(&state, &principal, id, Access::View).await?;
    let text = body.body.trim();
    if text.is_empty() || text.len() > MAX_BODY {
        return Err(ApiError::Unprocessable(format!(
            "body: between 1 and {MAX_BODY} bytes of text"
        )));
    }
    // An open recording grows: only its current length bounds the position once finalized.
    let longest = row.duration_ms.unwrap_or(i64::MAX);
    if body.offset_ms < 0 || body.offset_ms > longest {
        return Err(ApiError::Unprocessable(format!(
            "offset_ms: must be between 0 and the recording's duration ({longest} ms)"
        )));
    }
    if state.db.bookmarks(id).await?.len() >= MAX_PER_RECORDING {
        return Err(ApiError::Unprocessable(format!(
            "a recording holds at most {MAX_PER_RECORDING} bookmarks"
        )));
    }
    let stored = state
        .db
        .add_bookmark(id, principal.user.id, body.offset_ms, text)
        .await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.bookmark",
            Some(&id.to_string()),
            Some(serde_json::json!({ "bookmark": stored.id, "offset_ms": stored.offset_ms })),
        )
        .await?;
    Ok((StatusCode::CREATED, ApiJson(stored.into())))
}

/// Delete a bookmark.
///
/// The author or an admin may delete a bookmark.
#[utoipa::path(delete, path = "/recordings/{uuid}/bookmarks/{id}", operation_id = "deleteBookmark", tag = "Viewer",
    params(BookmarkPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<BookmarkPath>,
) -> ApiResult<StatusCode> {
    access::recording(&state, &principal, p.uuid, Access::View).await?;
    let bookmark = state
        .db
        .bookmark(p.uuid, p.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("bookmark not found".to_owned()))?;
    if bookmark.author_id != principal.user.id && principal.user.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only the author or an admin may delete a bookmark".to_owned(),
        ));
    }
    state.db.delete_bookmark(p.uuid, p.id).await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.bookmark_delete",
            Some(&p.uuid.to_string()),
            Some(serde_json::json!({ "bookmark": p.id })),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
