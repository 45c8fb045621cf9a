//! The HTTP surface, all under `/api/v2` except the probes:
//! - [`public`]: the Screendesk-compatible recordings API and playback (HLS, segments,
//!   posters, download);
//! - [`agent`] and [`upload`]: the desktop app's endpoints;
//! - [`integration`]: CTI call events;
//! - [`admin`]: users, teams, tokens, policy, fleet, audit, retention;
//! - the supervisor viewer's endpoints: [`me`], [`bookmarks`], [`labels`], [`shares`], and
//!   the page itself ([`viewer_page`]).

pub mod access;
pub mod admin;
pub mod agent;
pub mod bookmarks;
pub mod integration;
pub mod labels;
pub mod me;
pub mod model;
pub mod public;
pub mod shares;
pub mod upload;
pub mod viewer_page;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::{ApiError, ApiJson};

/// Largest JSON body.
const MAX_JSON_BYTES: usize = 1 << 20;

/// The whole server.
pub fn app(state: AppState) -> Router {
    let max_segment = state.settings.max_segment_bytes;
    let uploads = Router::new()
        .route(
            "/agent/recordings/{uuid}/tracks/{track}/segments/{seq}",
            put(upload::upload_segment),
        )
        .route(
            "/agent/recordings/{uuid}/tracks/{track}/init",
            put(upload::upload_init),
        )
        // The handler enforces the limit while streaming; this only stops axum's default.
        .layer(DefaultBodyLimit::max(max_segment.saturating_add(1)))
        .route(
            "/agent/recordings/{uuid}/tracks/{track}/poster",
            put(upload::upload_poster).layer(DefaultBodyLimit::max(upload::MAX_POSTER_BYTES + 1)),
        );
    let api = Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/recordings", get(public::list_recordings))
        .route(
            "/recordings/{uuid}",
            get(public::get_recording).patch(public::update_recording),
        )
        .route(
            "/recordings/{uuid}/download",
            get(public::download_recording),
        )
        .route(
            "/recordings/{uuid}/tracks/{track}/playlist.m3u8",
            get(public::track_playlist),
        )
        .route(
            "/recordings/{uuid}/tracks/{track}/init.mp4",
            get(public::track_init),
        )
        .route(
            "/recordings/{uuid}/tracks/{track}/segments/{file}",
            get(public::track_segment),
        )
        .route(
            "/recordings/{uuid}/tracks/{track}/poster",
            get(public::track_poster),
        )
        .route("/me", get(me::me))
        .route("/recording-filters", get(labels::filters))
        .route("/recordings/{uuid}/labels", put(labels::set))
        .route(
            "/recordings/{uuid}/bookmarks",
            get(bookmarks::list).post(bookmarks::create),
        )
        .route(
            "/recordings/{uuid}/bookmarks/{id}",
            delete(bookmarks::delete),
        )
        .route(
            "/recordings/{uuid}/share-links",
            get(shares::list).post(shares::create),
        )
        .route("/share-links/{id}", delete(shares::revoke))
        .route("/shared/{token}", get(shares::shared_recording))
        .route(
            "/shared/{token}/tracks/{track}/playlist.m3u8",
            get(shares::shared_playlist),
        )
        .route(
            "/shared/{token}/tracks/{track}/init.mp4",
            get(shares::shared_init),
        )
        .route(
            "/shared/{token}/tracks/{track}/segments/{file}",
            get(shares::shared_segment),
        )
        .route(
            "/shared/{token}/tracks/{track}/poster",
            get(shares::shared_poster),
        )
        .route(
            "/admin/sharing",
            get(shares::get_sharing).put(shares::put_sharing),
        )
        .route("/agent/enroll", post(agent::enroll))
        .route("/agent/heartbeat", post(agent::heartbeat))
        .route("/agent/policy", get(agent::policy))
        .route("/agent/events", get(agent::events))
        .route("/agent/recordings/{uuid}", put(agent::create_recording))
        .route("/agent/recordings/{uuid}/status", get(agent::status))
        .route(
            "/agent/recordings/{uuid}/tracks/{track}",
            put(agent::put_track),
        )
        .route("/agent/recordings/{uuid}/finalize", post(agent::finalize))
        .route(
            "/integrations/call-events",
            post(integration::post_call_event),
        )
        .route(
            "/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/admin/users/{id}/team", put(admin::set_user_team))
        .route("/admin/users/{id}/tokens", post(admin::issue_token))
        .route("/admin/tokens/{id}", delete(admin::revoke_token))
        .route("/admin/enrollment-tokens", post(admin::issue_enrollment))
        .route(
            "/admin/teams",
            get(admin::list_teams).post(admin::create_team),
        )
        .route("/admin/teams/{id}/supervisors", post(admin::add_supervisor))
        .route(
            "/admin/teams/{id}/policy",
            get(admin::get_team_policy)
                .put(admin::put_team_policy)
                .delete(admin::delete_team_policy),
        )
        .route(
            "/admin/policy",
            get(admin::get_policy).put(admin::put_policy),
        )
        .route("/admin/devices", get(admin::fleet))
        .route("/admin/devices/{id}", delete(admin::revoke_device))
        .route("/admin/audit", get(admin::audit_log))
        .route(
            "/admin/recordings/{uuid}/legal-hold",
            put(admin::legal_hold),
        )
        .route("/admin/recordings/{uuid}", delete(admin::delete_recording))
        .route("/admin/retention/run", post(admin::run_retention))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(uploads)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .merge(viewer_page::routes(&state))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .nest("/api/v2", api)
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::Internal(
                "handler panicked".to_owned(),
            ))
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".to_owned())
}

async fn method_not_allowed() -> (StatusCode, ApiJson<crate::error::ErrorBody>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        ApiJson(crate::error::ErrorBody {
            error: "method not allowed".to_owned(),
        }),
    )
}

async fn openapi_json() -> ApiJson<utoipa::openapi::OpenApi> {
    ApiJson(crate::openapi::document())
}

/// Ready when the catalog and the object store both answer.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.db.ping().await?;
    state.store.ping().await?;
    Ok("ready")
}
