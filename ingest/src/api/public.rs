//! The Screendesk-compatible public API: list, get, update and download recordings, plus the
//! per-track HLS playlists, segments and posters a viewer plays.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::path::Path as ObjectPath;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access::{self, Access};
use super::model::{self, Pagination, Recording, RecordingList};
use crate::AppState;
use crate::auth::Principal;
use crate::db::recordings::ListFilter;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::processing::{download, hls};

/// Recordings per page.
pub const PAGE_ITEMS: i64 = 25;

/// Query of the recording list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number (defaults to 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Only recordings of this call (agentrec extension).
    pub call_id: Option<String>,
    /// Only recordings of this agent, by e-mail (agentrec extension).
    pub user_email: Option<String>,
    /// Words to find in the title, call title, agent, customer, call id or queue (agentrec
    /// extension).
    pub q: Option<String>,
    /// Agent whose e-mail address or name contains this (agentrec extension).
    pub agent: Option<String>,
    /// Customer whose e-mail address contains this (agentrec extension).
    pub customer: Option<String>,
    /// Created at or after this time (agentrec extension).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Created before this time (agentrec extension).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// At least this many seconds long (agentrec extension).
    #[param(minimum = 0)]
    pub min_duration: Option<i64>,
    /// At most this many seconds long (agentrec extension).
    #[param(minimum = 0)]
    pub max_duration: Option<i64>,
    /// Only this type of recording (agentrec extension).
    pub recording_type: Option<model::RecordingType>,
    /// Only this ACD queue (agentrec extension).
    pub queue: Option<String>,
    /// Only recordings with this label (agentrec extension).
    pub label: Option<String>,
    /// Only recordings in this folder (agentrec extension).
    pub folder: Option<String>,
    /// Order (agentrec extension; default newest first).
    pub sort: Option<SortOrder>,
}

/// Orders of the recording list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum SortOrder {
    /// Newest first.
    #[serde(rename = "-created_at")]
    NewestFirst,
    /// Oldest first.
    #[serde(rename = "created_at")]
    OldestFirst,
    /// Longest first.
    #[serde(rename = "-duration")]
    LongestFirst,
    /// Shortest first.
    #[serde(rename = "duration")]
    ShortestFirst,
    /// Title A–Z.
    #[serde(rename = "title")]
    Title,
    /// Agent e-mail A–Z.
    #[serde(rename = "agent")]
    Agent,
}

const MAX_FILTER_TEXT: usize = 200;

fn filter_text(name: &str, value: Option<String>) -> ApiResult<Option<String>> {
    match value {
        Some(v) if v.len() > MAX_FILTER_TEXT => Err(ApiError::BadRequest(format!(
            "{name}: longer than {MAX_FILTER_TEXT} bytes"
        ))),
        Some(v) if v.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn filter_time(name: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    value
        .map(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .map_err(|e| {
                    ApiError::BadRequest(format!("{name}: not an RFC 3339 date-time: {e}"))
                })
        })
        .transpose()
}

fn filter_seconds(name: &str, value: Option<i64>) -> ApiResult<Option<i64>> {
    match value {
        Some(v) if !(0..=100_000_000).contains(&v) => Err(ApiError::BadRequest(format!(
            "{name}: must be between 0 and 100000000 seconds"
        ))),
        other => Ok(other.map(|s| s * 1000)),
    }
}

impl ListQuery {
    fn filter(self) -> ApiResult<ListFilter> {
        use crate::db::recordings::{Sort, TypeFilter};
        Ok(ListFilter {
            created_from_ms: filter_time("from", self.from.as_deref())?,
            created_to_ms: filter_time("to", self.to.as_deref())?,
            min_duration_ms: filter_seconds("min_duration", self.min_duration)?,
            max_duration_ms: filter_seconds("max_duration", self.max_duration)?,
            call_id: self.call_id,
            user_email: self.user_email,
            search: filter_text("q", self.q)?,
            agent: filter_text("agent", self.agent)?,
            customer: filter_text("customer", self.customer)?,
            recording_type: self.recording_type.map(|t| match t {
                model::RecordingType::Live => TypeFilter::Live,
                model::RecordingType::Received => TypeFilter::Received,
                model::RecordingType::Sent => TypeFilter::Sent,
            }),
            queue: filter_text("queue", self.queue)?,
            label: filter_text("label", self.label)?,
            folder: filter_text("folder", self.folder)?,
            sort: match self.sort {
                None | Some(SortOrder::NewestFirst) => Sort::NewestFirst,
                Some(SortOrder::OldestFirst) => Sort::OldestFirst,
                Some(SortOrder::LongestFirst) => Sort::LongestFirst,
                Some(SortOrder::ShortestFirst) => Sort::ShortestFirst,
                Some(SortOrder::Title) => Sort::Title,
                Some(SortOrder::Agent) => Sort::Agent,
            },
        })
    }
}

/// List recordings.
///
/// Returns a paginated list of recordings. Members see only their own recordings (when the
/// policy lets agents view them); supervisors their teams'; admins all.
#[utoipa::path(get, path = "/recordings", operation_id = "listRecordings", tag = "Recordings",
    params(ListQuery),
    responses(
        (status = 200, description = "A paginated list of recordings", body = RecordingList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "API access not enabled or insufficient permissions", body = ErrorBody),
    ))]
pub async fn list_recordings(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<ApiJson<RecordingList>> {
    let visibility = access::visibility(&state, &principal).await?;
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::BadRequest(
            "page must be between 1 and 1000000".to_owned(),
        ));
    }
    let filter = q.filter()?;
    let (rows, count) = state
        .db
        .list_recordings(&visibility, &filter, (page - 1) * PAGE_ITEMS, PAGE_ITEMS)
        .await?;
    let records = render_many(&state, Some(&principal), &rows).await?;
    Ok(ApiJson(RecordingList {
        pagination: Pagination::new(count, page, PAGE_ITEMS, records.len() as i64),
        records,
    }))
}

/// The public JSON of recordings, with their labels and what `principal` may do with them.
pub(crate) async fn render_many(
    state: &AppState,
    principal: Option<&Principal>,
    rows: &[crate::db::recordings::RecordingRow],
) -> ApiResult<Vec<Recording>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let tracks = state.db.tracks_of(&ids).await?;
    let mut labels = state.db.labels_of(&ids).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let mut rec = model::recording(
                r,
                tracks.get(&r.id).map(Vec::as_slice).unwrap_or(&[]),
                &state.settings.public_url,
            );
            rec.agentrec.labels = labels.remove(&r.id).unwrap_or_default();
            if let Some(p) = principal {
                rec.agentrec.actions = access::actions(state, p, r);
            }
            rec
        })
        .collect())
}

async fn render(
    state: &AppState,
    principal: &Principal,
    row: &crate::db::recordings::RecordingRow,
) -> ApiResult<Recording> {
    render_many(state, Some(principal), std::slice::from_ref(row))
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("rendering a recording gave nothing".to_owned()))
}

/// Get a recording.
///
/// Returns a single recording by UUID and counts a view.
#[utoipa::path(get, path = "/recordings/{uuid}", operation_id = "getRecording", tag = "Recordings",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses(
        (status = 200, description = "Recording details", body = Recording),
        (status = 400, description = "Invalid UUID", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "API access not enabled or insufficient permissions", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn get_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Recording>> {
    let mut row = access::recording(&state, &principal, id, Access::View).await?;
    state.db.add_impression(id).await?;
    row.impressions += 1;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.view",
            Some(&id.to_string()),
            None,
        )
        .await?;
    Ok(ApiJson(render(&state, &principal, &row).await?))
}

/// Body of `PATCH /recordings/{uuid}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateRecording {
    /// The fields to change.
    pub recording: Option<UpdateFields>,
}

/// Fields of a recording an admin may change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFields {
    /// The recording title.
    pub title: Option<String>,
    /// A short summary.
    pub summary: Option<String>,
    /// A detailed description.
    pub description: Option<String>,
}

const MAX_TEXT: usize = 10_000;

/// Reads an optional text field: absent → unchanged; null → cleared (if allowed).
fn text_field(
    fields: &serde_json::Map<String, Value>,
    name: &str,
    nullable: bool,
) -> ApiResult<Option<Option<String>>> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(Some(None)),
        Some(Value::String(s)) if s.len() <= MAX_TEXT => Ok(Some(Some(s.clone()))),
        Some(Value::String(_)) => Err(ApiError::Unprocessable(format!(
            "recording.{name}: longer than {MAX_TEXT} bytes"
        ))),
        Some(_) => Err(ApiError::Unprocessable(format!(
            "recording.{name}: expected a string{}",
            if nullable { " or null" } else { "" }
        ))),
    }
}

/// Update a recording.
///
/// Updates a recording's title, summary, or description. Admin only.
#[utoipa::path(patch, path = "/recordings/{uuid}", operation_id = "updateRecording", tag = "Recordings",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body(content = UpdateRecording, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated recording", body = Recording),
        (status = 400, description = "Malformed JSON or invalid UUID", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "API access not enabled or insufficient permissions", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
        (status = 415, description = "Not a JSON body", body = ErrorBody),
        (status = 422, description = "Validation error", body = ErrorBody),
    ))]
pub async fn update_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<ApiJson<Recording>> {
    access::recording(&state, &principal, id, Access::Edit).await?;
    let Value::Object(top) = &body else {
        return Err(ApiError::Unprocessable("expected a JSON object".to_owned()));
    };
    let empty = serde_json::Map::new();
    let fields = match top.get("recording") {
        None => &empty,
        Some(Value::Object(f)) => f,
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "recording: expected a JSON object".to_owned(),
            ));
        }
    };
    let title = text_field(fields, "title", false)?;
    let summary = text_field(fields, "summary", true)?;
    let description = text_field(fields, "description", true)?;
    let changed: Vec<&str> = [
        ("title", title.is_some()),
        ("summary", summary.is_some()),
        ("description", description.is_some()),
    ]
    .iter()
    .filter(|(_, c)| *c)
    .map(|(n, _)| *n)
    .collect();
    if !changed.is_empty() {
        state
            .db
            .patch_recording(id, title, summary, description)
            .await?;
    }
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.update",
            Some(&id.to_string()),
            Some(serde_json::json!({ "fields": changed })),
        )
        .await?;
    let row = state
        .db
        .recording(id)
        .await?
        .ok_or_else(ApiError::recording_not_found)?;
    Ok(ApiJson(render(&state, &principal, &row).await?))
}

/// Download a recording video.
///
/// Streams one playable MP4: the primary monitor's track with the call audio, merged from the
/// stored segments without transcoding, with `Content-Length`. 409 while the recording is not
/// finalized.
#[utoipa::path(get, path = "/recordings/{uuid}/download", operation_id = "downloadRecording", tag = "Recordings",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses(
        (status = 200, description = "The recording video file", content_type = "video/mp4", body = crate::api::model::Binary,
            headers(
                ("Content-Disposition" = String, description = "Attachment filename for the downloaded video"),
                ("Content-Length" = i64, description = "File size in bytes"),
            )),
        (status = 400, description = "Invalid UUID", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "API access not enabled or insufficient permissions", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
        (status = 409, description = "Video file is not available yet", body = ErrorBody),
    ))]
pub async fn download_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let row = access::recording(&state, &principal, id, Access::Download).await?;
    if row.state != agentrec_core::wire::RecordingState::Finalized {
        return Err(ApiError::Conflict(
            "video file is not available yet: recording not finalized".to_owned(),
        ));
    }
    let tracks: Vec<_> = state
        .db
        .tracks_of(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let segments = state.db.segments(id, None).await?;
    let duration = u64::try_from(row.duration_ms.unwrap_or(0)).unwrap_or(0);
    let plan = download::plan(&state.store, &tracks, &segments, duration).await?;
    let length = plan.content_length;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.download",
            Some(&id.to_string()),
            Some(serde_json::json!({ "bytes": length })),
        )
        .await?;
    let body = Body::from_stream(download::stream(state.store.clone(), plan));
    let disposition = format!("attachment; filename=\"recording-{id}.mp4\"");
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "video/mp4")
        .header(header::CONTENT_LENGTH, length)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(body)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A track of a recording, in a media URL.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TrackPath {
    /// The recording's UUID.
    pub uuid: Uuid,
    /// Track number.
    pub track: u32,
}

/// HLS media playlist of one track.
///
/// Covers the whole timeline from 0 ms; pauses and missing media are `EXT-X-GAP` entries so
/// that several tracks played side by side stay aligned. A recording still open gets an EVENT
/// playlist that grows.
#[utoipa::path(get, path = "/recordings/{uuid}/tracks/{track}/playlist.m3u8", operation_id = "trackPlaylist", tag = "Playback",
    params(TrackPath),
    responses(
        (status = 200, description = "HLS media playlist", content_type = "application/vnd.apple.mpegurl", body = String),
        (status = 400, description = "Invalid path", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn track_playlist(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<TrackPath>,
) -> ApiResult<Response> {
    let row = access::recording(&state, &principal, p.uuid, Access::View).await?;
    let body = playlist_body(&state, &row, p.track).await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.play",
            Some(&p.uuid.to_string()),
            Some(serde_json::json!({ "track": p.track })),
        )
        .await?;
    Ok(playlist_response(body))
}

/// A playlist as an HTTP response.
pub(crate) fn playlist_response(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.apple.mpegurl"),
        )],
        body,
    )
        .into_response()
}

/// The media playlist of one track: stored at finalize, built from the segments while open.
pub(crate) async fn playlist_body(
    state: &AppState,
    row: &crate::db::recordings::RecordingRow,
    track: u32,
) -> ApiResult<Vec<u8>> {
    let p = TrackPath {
        uuid: row.id,
        track,
    };
    let finalized = row.state == agentrec_core::wire::RecordingState::Finalized;
    let body = if finalized {
        match state
            .store
            .get(&crate::store::playlist_key(p.uuid, p.track))
            .await
        {
            Ok(b) => b.to_vec(),
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ApiError::NotFound("track not found".to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        if !state
            .db
            .tracks_of(&[p.uuid])
            .await?
            .get(&p.uuid)
            .is_some_and(|t| t.iter().any(|(i, _)| i.track == p.track))
        {
            return Err(ApiError::NotFound("track not found".to_owned()));
        }
        let media: Vec<_> = state
            .db
            .segments(p.uuid, Some(p.track))
            .await?
            .into_iter()
            .filter(|s| s.seq > 0)
            .collect();
        hls::media_playlist(&media, row.create.started_at_ms, false).into_bytes()
    };
    Ok(body)
}

/// Init segment of one track (the playlist's `EXT-X-MAP`).
#[utoipa::path(get, path = "/recordings/{uuid}/tracks/{track}/init.mp4", operation_id = "trackInit", tag = "Playback",
    params(TrackPath),
    responses(
        (status = 200, description = "fMP4 init segment", content_type = "video/mp4", body = crate::api::model::Binary),
        (status = 400, description = "Invalid path", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn track_init(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<TrackPath>,
) -> ApiResult<Response> {
    access::recording(&state, &principal, p.uuid, Access::View).await?;
    serve_segment(&state, p.uuid, p.track, 0).await
}

/// A media segment in a media URL.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SegmentPath {
    /// The recording's UUID.
    pub uuid: Uuid,
    /// Track number.
    pub track: u32,
    /// `<seq>.m4s`.
    pub file: String,
}

/// One media segment of a track (as listed in the playlist).
#[utoipa::path(get, path = "/recordings/{uuid}/tracks/{track}/segments/{file}", operation_id = "trackSegment", tag = "Playback",
    params(SegmentPath),
    responses(
        (status = 200, description = "fMP4 media segment", content_type = "video/iso.segment", body = crate::api::model::Binary),
        (status = 400, description = "Invalid path", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn track_segment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<SegmentPath>,
) -> ApiResult<Response> {
    let seq = segment_seq(&p.file)?;
    access::recording(&state, &principal, p.uuid, Access::View).await?;
    serve_segment(&state, p.uuid, p.track, seq).await
}

/// The sequence number in a `<seq>.m4s` file name.
pub(crate) fn segment_seq(file: &str) -> ApiResult<u32> {
    file.strip_suffix(".m4s")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::BadRequest("segment file must be <seq>.m4s with seq ≥ 1".to_owned())
        })
}

/// Streams a stored segment (seq 0: the init segment).
pub(crate) async fn serve_segment(
    state: &AppState,
    id: Uuid,
    track: u32,
    seq: u32,
) -> ApiResult<Response> {
    let seg = state
        .db
        .segment(id, track, seq)
        .await?
        .ok_or_else(|| ApiError::NotFound("segment not found".to_owned()))?;
    let (size, stream) = state
        .store
        .get_stream(&ObjectPath::from(seg.object_key.as_str()))
        .await?;
    let content_type = if seq == 0 {
        "video/mp4"
    } else {
        "video/iso.segment"
    };
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, size)
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        )
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Poster image of one track.
#[utoipa::path(get, path = "/recordings/{uuid}/tracks/{track}/poster", operation_id = "trackPoster", tag = "Playback",
    params(TrackPath),
    responses(
        (status = 200, description = "Poster image", content_type = "image/jpeg", body = crate::api::model::Binary),
        (status = 400, description = "Invalid path", body = ErrorBody),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "Resource not found", body = ErrorBody),
    ))]
pub async fn track_poster(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<TrackPath>,
) -> ApiResult<Response> {
    access::recording(&state, &principal, p.uuid, Access::View).await?;
    serve_poster(&state, p.uuid, p.track).await
}

/// A track's poster image.
pub(crate) async fn serve_poster(state: &AppState, id: Uuid, track: u32) -> ApiResult<Response> {
    let p = TrackPath { uuid: id, track };
    let (key, content_type) = state
        .db
        .poster(p.uuid, p.track)
        .await?
        .ok_or_else(|| ApiError::NotFound("no poster for this track".to_owned()))?;
    let bytes = state.store.get(&ObjectPath::from(key.as_str())).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}
