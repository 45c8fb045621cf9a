//! The supervisor viewer as a web page: the same build of `ui/` that the desktop app embeds
//! (`viewer.html` and its assets), served from the directory given by `--viewer-dir`, for
//! supervisors without the app. The links in API answers point here too: a recording's
//! `metadata.url` (`/recordings/{uuid}`) and a share link (`/shared/{token}`) redirect to the
//! viewer page, which routes by the URL fragment.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;

const PAGE: &str = "/viewer/viewer.html";

/// The viewer's routes (outside `/api/v2`; they carry no data: the page signs in and reads
/// the API like any client).
pub fn routes(state: &AppState) -> Router<AppState> {
    let router = Router::new()
        .route("/recordings/{uuid}", get(recording_page))
        .route("/shared/{token}", get(shared_page))
        .route("/viewer", get(|| async { Redirect::to(PAGE) }))
        .route("/viewer/", get(|| async { Redirect::to(PAGE) }));
    // Only the viewer's page and the assets it loads: the other windows' pages in the same
    // build are the desktop app's.
    match &state.settings.viewer_dir {
        Some(dir) => router
            .route_service(
                "/viewer/viewer.html",
                ServeFile::new(dir.join("viewer.html")),
            )
            .nest_service(
                "/viewer/assets",
                ServeDir::new(dir.join("assets")).append_index_html_on_directories(false),
            ),
        None => router.route("/viewer/{*rest}", get(not_installed)),
    }
}

async fn not_installed() -> ApiError {
    ApiError::NotFound(
        "the viewer page is not installed on this server (start it with --viewer-dir)".to_owned(),
    )
}

async fn recording_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if state.settings.viewer_dir.is_none() {
        return not_installed().await.into_response();
    }
    match id.parse::<Uuid>() {
        Ok(id) => Redirect::to(&format!("{PAGE}#/recordings/{id}")).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such recording").into_response(),
    }
}

async fn shared_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if state.settings.viewer_dir.is_none() {
        return not_installed().await.into_response();
    }
    if token.len() > 100
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return (StatusCode::NOT_FOUND, "no such link").into_response();
    }
    Redirect::to(&format!("{PAGE}#/shared/{token}")).into_response()
}
