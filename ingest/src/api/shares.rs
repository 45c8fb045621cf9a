//! Share links: an admin hands a recording to someone by URL, within the org's visibility
//! rules (Screendesk's "Anyone with link" / "Workspace members only", set separately for
//! live sessions and for call recordings), always with an expiry. The secret is shown once
//! and only its hash is stored; a revoked or expired link answers 404.
//!
//! A link opens the viewer (`/shared/{token}` redirects to it), which reads the recording and
//! plays its tracks through the `/shared/{token}/…` endpoints below. A "members only" link
//! also needs a user API token of the org.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::{self, Access};
use super::model::Recording;
use super::public;
use crate::AppState;
use crate::auth::{self, Principal, hash_secret};
use crate::clock::{now_ms, rfc3339};
use crate::db::recordings::RecordingRow;
use crate::db::shares::ShareRow;
use crate::db::users::{Role, TokenKind};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};

/// Longest expiry of a link.
pub const MAX_EXPIRY_HOURS: i64 = 24 * 90;
/// Expiry when none is asked for.
pub const DEFAULT_EXPIRY_HOURS: i64 = 24 * 7;
const SETTING: &str = "sharing";

/// Who may open a share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareVisibility {
    /// Anyone who has the link.
    AnyoneWithLink,
    /// Only users of the org (with their API token).
    MembersOnly,
}

impl ShareVisibility {
    fn as_str(self) -> &'static str {
        match self {
            ShareVisibility::AnyoneWithLink => "anyone_with_link",
            ShareVisibility::MembersOnly => "members_only",
        }
    }

    fn parse(s: &str) -> ShareVisibility {
        if s == "anyone_with_link" {
            ShareVisibility::AnyoneWithLink
        } else {
            ShareVisibility::MembersOnly
        }
    }
}

/// The org's share-link rules: the widest visibility a link may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharingSettings {
    /// For live sessions (Screendesk's default: anyone with link).
    pub live: ShareVisibility,
    /// For call recordings (default: members only: screen recordings are internal, as
    /// Genesys says).
    pub calls: ShareVisibility,
}

impl Default for SharingSettings {
    fn default() -> Self {
        SharingSettings {
            live: ShareVisibility::AnyoneWithLink,
            calls: ShareVisibility::MembersOnly,
        }
    }
}

impl SharingSettings {
    fn widest_for(&self, row: &RecordingRow) -> ShareVisibility {
        if row.create.kind == agentrec_core::CallKind::Live {
            self.live
        } else {
            self.calls
        }
    }
}

/// The org's sharing settings (defaults until an admin sets them).
pub async fn sharing_settings(state: &AppState) -> ApiResult<SharingSettings> {
    Ok(state
        .db
        .org_setting(SETTING)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// Body of a new share link.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShareLink {
    /// Who may open it (default: the widest the org allows for this recording).
    pub visibility: Option<ShareVisibility>,
    /// Hours until it stops working (1–2160, default 168).
    #[schema(minimum = 1, maximum = 2160)]
    pub expires_in_hours: Option<i64>,
}

/// A share link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareLink {
    /// Id.
    pub id: Uuid,
    /// Who may open it.
    pub visibility: ShareVisibility,
    /// Made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Stops working.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Revoked.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// The link to hand out; only in the answer that made it (the secret is not stored).
    #[schema(format = "uri")]
    pub url: Option<String>,
}

impl ShareLink {
    fn from_row(r: &ShareRow, url: Option<String>) -> ShareLink {
        ShareLink {
            id: r.id,
            visibility: ShareVisibility::parse(&r.visibility),
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            revoked_at: r.revoked_at.map(rfc3339),
            url,
        }
    }
}

/// The share links of a recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareLinkList {
    /// Newest first.
    pub links: Vec<ShareLink>,
}

/// Create a share link.
///
/// Makes a link to a recording, within the org's visibility rules and with an expiry. Admin
/// only. The answer's `url` is the only time the link is shown.
#[utoipa::path(post, path = "/recordings/{uuid}/share-links", operation_id = "createShareLink", tag = "Viewer",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body(content = NewShareLink, content_type = "application/json"),
    responses(
        (status = 201, description = "The new link", body = ShareLink),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
        (status = 415, description = "Not a JSON body", body = ErrorBody),
        (status = 422, description = "Validation error, or wider than the org allows", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewShareLink>,
) -> ApiResult<(StatusCode, ApiJson<ShareLink>)> {
    let row = access::recording(&state, &principal, id, Access::Edit).await?;
    let widest = sharing_settings(&state).await?.widest_for(&row);
    let visibility = body.visibility.unwrap_or(widest);
    if visibility == ShareVisibility::AnyoneWithLink && widest == ShareVisibility::MembersOnly {
        return Err(ApiError::Unprocessable(
            "visibility: the org allows only members_only links for this kind of recording"
                .to_owned(),
        ));
    }
    let hours = body.expires_in_hours.unwrap_or(DEFAULT_EXPIRY_HOURS);
    if !(1..=MAX_EXPIRY_HOURS).contains(&hours) {
        return Err(ApiError::Unprocessable(format!(
            "expires_in_hours: between 1 and {MAX_EXPIRY_HOURS}"
        )));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "ar_shr_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let stored = state
        .db
        .insert_share(
            id,
            &hash_secret(&secret),
            visibility.as_str(),
            principal.user.id,
            now_ms().saturating_add(hours * 3_600_000),
        )
        .await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.share",
            Some(&id.to_string()),
            Some(serde_json::json!({ "link": stored.id, "visibility": visibility, "expires_at": stored.expires_at })),
        )
        .await?;
    let url = format!("{}/shared/{secret}", state.settings.public_url);
    Ok((
        StatusCode::CREATED,
        ApiJson(ShareLink::from_row(&stored, Some(url))),
    ))
}

/// List share links.
///
/// The share links of a recording (without their secrets). Admin only.
#[utoipa::path(get, path = "/recordings/{uuid}/share-links", operation_id = "listShareLinks", tag = "Viewer",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses(
        (status = 200, description = "The links", body = ShareLinkList),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ShareLinkList>> {
    access::recording(&state, &principal, id, Access::Edit).await?;
    let links = state.db.shares(id).await?;
    Ok(ApiJson(ShareLinkList {
        links: links.iter().map(|l| ShareLink::from_row(l, None)).collect(),
    }))
}

/// Revoke a share link.
///
/// The link stops working at once. Admin only.
#[utoipa::path(delete, path = "/share-links/{id}", operation_id = "revokeShareLink", tag = "Viewer",
    params(("id" = Uuid, Path, description = "The link's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require_role(&[Role::Admin])?;
    let link = state
        .db
        .share(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("share link not found".to_owned()))?;
    state.db.revoke_share(id).await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.share_revoke",
            Some(&link.recording_id.to_string()),
            Some(serde_json::json!({ "link": id })),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get the sharing settings.
#[utoipa::path(get, path = "/admin/sharing", operation_id = "getSharing", tag = "Admin",
    responses(
        (status = 200, description = "The org's share-link rules", body = SharingSettings),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn get_sharing(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<ApiJson<SharingSettings>> {
    principal.require_role(&[Role::Admin])?;
    Ok(ApiJson(sharing_settings(&state).await?))
}

/// Set the sharing settings.
///
/// Existing links keep the visibility they were made with; revoke them to apply a stricter
/// rule at once.
#[utoipa::path(put, path = "/admin/sharing", operation_id = "putSharing", tag = "Admin",
    request_body(content = SharingSettings, content_type = "application/json"),
    responses(
        (status = 200, description = "The org's share-link rules", body = SharingSettings),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 415, description = "Not a JSON body", body = ErrorBody),
        (status = 422, description = "Validation error", body = ErrorBody),
    ))]
pub async fn put_sharing(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<SharingSettings>,
) -> ApiResult<ApiJson<SharingSettings>> {
    principal.require_role(&[Role::Admin])?;
    let text = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    state.db.set_org_setting(SETTING, &text).await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "sharing.update",
            None,
            Some(serde_json::json!(body)),
        )
        .await?;
    Ok(ApiJson(body))
}

/// The caller, when the request carries credentials.
#[derive(Debug)]
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybePrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            auth::authenticate(state, parts)
                .await
                .map(|p| MaybePrincipal(Some(p)))
        } else {
            Ok(MaybePrincipal(None))
        }
    }
}

/// Resolves a link's secret to its recording, or says why not.
async fn open(
    state: &AppState,
    token: &str,
    caller: &MaybePrincipal,
) -> ApiResult<(ShareRow, RecordingRow, String)> {
    let gone = || ApiError::NotFound("share link not found, revoked or expired".to_owned());
    if !token.starts_with("ar_shr_") || token.len() > 100 {
        return Err(gone());
    }
    let link = state
        .db
        .share_by_hash(&hash_secret(token))
        .await?
        .filter(|l| l.revoked_at.is_none() && l.expires_at > now_ms())
        .ok_or_else(gone)?;
    let actor = match (ShareVisibility::parse(&link.visibility), &caller.0) {
        (_, Some(p)) if p.kind == TokenKind::Api && p.user.role != Role::Integration => {
            format!("{} (share:{})", p.actor(), link.id)
        }
        (ShareVisibility::AnyoneWithLink, _) => format!("share:{}", link.id),
        (ShareVisibility::MembersOnly, None) => {
            return Err(ApiError::Unauthorized(
                "this link is for members of the workspace only: sign in with your API token"
                    .to_owned(),
            ));
        }
        (ShareVisibility::MembersOnly, Some(_)) => {
            return Err(ApiError::Forbidden(
                "this link is for members of the workspace only".to_owned(),
            ));
        }
    };
    let row = state
        .db
        .recording(link.recording_id)
        .await?
        .ok_or_else(gone)?;
    Ok((link, row, actor))
}

/// A share link's secret in a URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SharedPath {
    /// The link's secret.
    pub token: String,
}

/// A track of a shared recording.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SharedTrackPath {
    /// The link's secret.
    pub token: String,
    /// Track number.
    pub track: u32,
}

/// A segment of a shared recording.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SharedSegmentPath {
    /// The link's secret.
    pub token: String,
    /// Track number.
    pub track: u32,
    /// `<seq>.m4s`.
    pub file: String,
}

/// Open a share link.
///
/// The shared recording, with media URLs under this link. Counts a view. No credentials for
/// an "anyone with link" link; a user API token for a "members only" one.
#[utoipa::path(get, path = "/shared/{token}", operation_id = "getSharedRecording", tag = "Viewer",
    params(SharedPath),
    security((), ("BearerAuth" = [])),
    responses(
        (status = 200, description = "The recording", body = Recording),
        (status = 401, description = "Members-only link without a valid API token", body = ErrorBody),
        (status = 403, description = "Not a member's token", body = ErrorBody),
        (status = 404, description = "No such link, revoked or expired", body = ErrorBody),
    ))]
pub async fn shared_recording(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    ApiPath(p): ApiPath<SharedPath>,
) -> ApiResult<ApiJson<Recording>> {
    let (link, mut row, actor) = open(&state, &p.token, &caller).await?;
    state.db.add_impression(row.id).await?;
    row.impressions += 1;
    state
        .db
        .audit(
            Some(&actor),
            "recording.view",
            Some(&row.id.to_string()),
            Some(serde_json::json!({ "share_link": link.id })),
        )
        .await?;
    let mut rec = public::render_many(&state, None, std::slice::from_ref(&row))
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("rendering a recording gave nothing".to_owned()))?;
    let base = format!("{}/api/v2/shared/{}", state.settings.public_url, p.token);
    for t in &mut rec.agentrec.tracks {
        t.playlist_url = format!("{base}/tracks/{}/playlist.m3u8", t.track);
        if t.poster_url.is_some() {
            t.poster_url = Some(format!("{base}/tracks/{}/poster", t.track));
        }
    }
    // A link gives viewing only.
    rec.agentrec.download_url = String::new();
    rec.agentrec.actions = Default::default();
    Ok(ApiJson(rec))
}

/// Playlist of a shared recording's track.
#[utoipa::path(get, path = "/shared/{token}/tracks/{track}/playlist.m3u8", operation_id = "sharedTrackPlaylist", tag = "Viewer",
    params(SharedTrackPath),
    security((), ("BearerAuth" = [])),
    responses(
        (status = 200, description = "HLS media playlist", content_type = "application/vnd.apple.mpegurl", body = String),
        (status = 401, description = "Members-only link without a valid API token", body = ErrorBody),
        (status = 403, description = "Not a member's token", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn shared_playlist(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    ApiPath(p): ApiPath<SharedTrackPath>,
) -> ApiResult<Response> {
    let (link, row, actor) = open(&state, &p.token, &caller).await?;
    let body = public::playlist_body(&state, &row, p.track).await?;
    state
        .db
        .audit(
            Some(&actor),
            "recording.play",
            Some(&row.id.to_string()),
            Some(serde_json::json!({ "track": p.track, "share_link": link.id })),
        )
        .await?;
    Ok(public::playlist_response(body))
}

/// Init segment of a shared recording's track.
#[utoipa::path(get, path = "/shared/{token}/tracks/{track}/init.mp4", operation_id = "sharedTrackInit", tag = "Viewer",
    params(SharedTrackPath),
    security((), ("BearerAuth" = [])),
    responses(
        (status = 200, description = "fMP4 init segment", content_type = "video/mp4", body = crate::api::model::Binary),
        (status = 401, description = "Members-only link without a valid API token", body = ErrorBody),
        (status = 403, description = "Not a member's token", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn shared_init(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    ApiPath(p): ApiPath<SharedTrackPath>,
) -> ApiResult<Response> {
    let (_, row, _) = open(&state, &p.token, &caller).await?;
    public::serve_segment(&state, row.id, p.track, 0).await
}

/// Media segment of a shared recording's track.
#[utoipa::path(get, path = "/shared/{token}/tracks/{track}/segments/{file}", operation_id = "sharedTrackSegment", tag = "Viewer",
    params(SharedSegmentPath),
    security((), ("BearerAuth" = [])),
    responses(
        (status = 200, description = "fMP4 media segment", content_type = "video/iso.segment", body = crate::api::model::Binary),
        (status = 401, description = "Members-only link without a valid API token", body = ErrorBody),
        (status = 403, description = "Not a member's token", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn shared_segment(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    ApiPath(p): ApiPath<SharedSegmentPath>,
) -> ApiResult<Response> {
    let seq = public::segment_seq(&p.file)?;
    let (_, row, _) = open(&state, &p.token, &caller).await?;
    public::serve_segment(&state, row.id, p.track, seq).await
}

/// Poster of a shared recording's track.
#[utoipa::path(get, path = "/shared/{token}/tracks/{track}/poster", operation_id = "sharedTrackPoster", tag = "Viewer",
    params(SharedTrackPath),
    security((), ("BearerAuth" = [])),
    responses(
        (status = 200, description = "Poster image", content_type = "image/jpeg", body = crate::api::model::Binary),
        (status = 401, description = "Members-only link without a valid API token", body = ErrorBody),
        (status = 403, description = "Not a member's token", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn shared_poster(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    ApiPath(p): ApiPath<SharedTrackPath>,
) -> ApiResult<Response> {
    let (_, row, _) = open(&state, &p.token, &caller).await?;
    public::serve_poster(&state, row.id, p.track).await
}
