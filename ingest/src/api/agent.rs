//! Agent endpoints: what the desktop app calls with its device credential — enrollment,
//! heartbeat, policy, the event stream, recordings, segment upload and finalize.

use std::convert::Infallible;
use std::net::SocketAddr;

use agentrec_core::media::TrackInfo;
use agentrec_core::wire::{
    CreateRecording, EnrollRequest, EnrollResponse, FinalizeRequest, FinalizeResponse, Heartbeat,
    HeartbeatAck, RecordingState, ServerEvent, TrackStatus, UploadStatus, UserRef,
};
use agentrec_core::{Policy, RecordingId};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::upload;
use crate::AppState;
use crate::auth::{self, Principal};
use crate::clock::now_ms;
use crate::db::recordings::{Created, RecordingRow};
use crate::db::users::TokenKind;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::processing;

/// The caller's IP address: `X-Forwarded-For`'s first entry behind a proxy, else the peer.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(forwarded.or(peer)))
    }
}

fn check_text(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.len() > max {
        return Err(ApiError::Unprocessable(format!(
            "{field}: longer than {max} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(format!(
            "{field}: control characters"
        )));
    }
    Ok(())
}

/// Enroll a device.
///
/// Authorized by an admin-issued enrollment token (single use): returns the device
/// credential the app keeps in the OS keyring.
#[utoipa::path(post, path = "/agent/enroll", operation_id = "agentEnroll", tag = "Agent",
    request_body(content = Object, description = "`core::wire::EnrollRequest`: hostname, os, app_version", content_type = "application/json"),
    responses(
        (status = 201, description = "`core::wire::EnrollResponse`: device_id, device_token (shown once), user, policy", body = Object),
        (status = 401, description = "Invalid, used or expired enrollment token", body = ErrorBody),
        (status = 403, description = "Not an enrollment token", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<EnrollRequest>,
) -> ApiResult<(StatusCode, ApiJson<EnrollResponse>)> {
    if principal.kind != TokenKind::Enrollment {
        return Err(ApiError::Forbidden(
            "enrollment needs an enrollment token".to_owned(),
        ));
    }
    check_text("hostname", &body.hostname, 255)?;
    check_text("os", &body.os, 255)?;
    check_text("app_version", &body.app_version, 64)?;
    if !state.db.consume_token(principal.token_id).await? {
        return Err(ApiError::Unauthorized(
            "invalid API token: enrollment token already used".to_owned(),
        ));
    }
    let user = principal.user;
    let device = state
        .db
        .create_device(user.id, &body.hostname, &body.os, &body.app_version)
        .await?;
    let (_, secret) = auth::issue(
        &state,
        TokenKind::Device,
        user.id,
        Some(device),
        Some(&body.hostname),
        None,
    )
    .await?;
    state
        .db
        .audit(
            Some(&user.email),
            "device.enroll",
            Some(&device.to_string()),
            Some(serde_json::json!({ "hostname": body.hostname })),
        )
        .await?;
    let policy = state.hub.policies().effective(user.team_id).clone();
    Ok((
        StatusCode::CREATED,
        ApiJson(EnrollResponse {
            device_id: device,
            device_token: secret,
            user: UserRef {
                id: user.id,
                email: user.email,
                name: user.name,
            },
            policy,
        }),
    ))
}

/// Heartbeat.
///
/// Every 30 s: app version, OS, monitors, recorder state, spool size, last error. Feeds the
/// admins' fleet view.
#[utoipa::path(post, path = "/agent/heartbeat", operation_id = "agentHeartbeat", tag = "Agent",
    request_body(content = Object, description = "`core::wire::Heartbeat`", content_type = "application/json"),
    responses(
        (status = 200, description = "`core::wire::HeartbeatAck`: policy_version, server_time_ms", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn heartbeat(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<Heartbeat>,
) -> ApiResult<ApiJson<HeartbeatAck>> {
    let device = principal.require_device()?;
    check_text("app_version", &body.app_version, 64)?;
    check_text("os", &body.os, 255)?;
    if body.monitors.len() > 16 {
        return Err(ApiError::Unprocessable("monitors: more than 16".to_owned()));
    }
    if let Some(e) = &body.last_error
        && e.len() > 4096
    {
        return Err(ApiError::Unprocessable(
            "last_error: longer than 4096 bytes".to_owned(),
        ));
    }
    let json = crate::db::Db::heartbeat_json(&body);
    state
        .writer
        .heartbeat(device, json, body.app_version, body.os, now_ms())
        .await?;
    Ok(ApiJson(HeartbeatAck {
        policy_version: state.hub.policies().version,
        server_time_ms: now_ms(),
    }))
}

/// Current policy.
///
/// The effective policy for this agent (org policy with the team override), with its version.
#[utoipa::path(get, path = "/agent/policy", operation_id = "agentPolicy", tag = "Agent",
    responses(
        (status = 200, description = "`core::policy::Policy`", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
    ))]
pub async fn policy(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<ApiJson<Policy>> {
    principal.require_device()?;
    let team = current_team(&state, principal.user.id).await?;
    Ok(ApiJson(state.hub.policies().effective(team).clone()))
}

async fn current_team(state: &AppState, user: Uuid) -> ApiResult<Option<Uuid>> {
    Ok(state.db.user(user).await?.and_then(|u| u.team_id))
}

/// Event stream.
///
/// `text/event-stream`. Each event's `data` is a `core::wire::ServerEvent` (JSON, tagged by
/// `type`); the SSE `event` name is that type: `policy` (full snapshot: sent first and after
/// every change) or `agent` (a relayed call or participant event, with an `id`; send it back in
/// `Last-Event-ID` when reconnecting to get only what was missed). Comments keep it alive
/// every 15 s.
#[utoipa::path(get, path = "/agent/events", operation_id = "agentEvents", tag = "Agent",
    responses(
        (status = 200, description = "Server-sent events", content_type = "text/event-stream", body = String),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    principal.require_device()?;
    let user = principal.user.id;
    let team = current_team(&state, user).await?;
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let (missed, live) = state.hub.subscribe(user, last_event_id);
    let first_policy = policy_event(state.hub.policies().effective(team));
    let high_water = missed.iter().map(|r| r.seq).max().unwrap_or(0);
    let replay = futures::stream::iter(missed).map(|r| relayed_event(&r));
    let db = state.db.clone();
    let policy_changes = tokio_stream::wrappers::WatchStream::from_changes(
        state.hub.watch_policies(),
    )
    .then(move |set| {
        let db = db.clone();
        async move {
            // The agent may have moved team since it connected.
            let team = match db.user(user).await {
                Ok(u) => u.and_then(|u| u.team_id),
                Err(_) => team,
            };
            policy_event(set.effective(team))
        }
    });
    let live = tokio_stream::wrappers::BroadcastStream::new(live).filter_map(move |r| async move {
        match r {
            Ok(r) if r.seq > high_water => Some(relayed_event(&r)),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(%user, error = %e, "agent stream lagged; events dropped");
                None
            }
        }
    });
    let stream = futures::stream::once(async move { first_policy })
        .chain(replay)
        .chain(futures::stream::select(policy_changes, live))
        .filter_map(|e| async move { e.map(Ok) })
        .take_until(state.hub.shutdown().cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))))
}

fn policy_event(policy: &Policy) -> Option<Event> {
    let event = ServerEvent::Policy {
        policy: policy.clone(),
    };
    Event::default().event(event.name()).json_data(&event).ok()
}

fn relayed_event(r: &crate::events::Relayed) -> Option<Event> {
    Event::default()
        .event(r.event.name())
        .id(r.id.clone())
        .json_data(&r.event)
        .ok()
}

/// Loads a recording of the calling device's agent.
pub(super) async fn own_recording(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<RecordingRow> {
    principal.require_device()?;
    state
        .db
        .recording(id)
        .await?
        .filter(|r| r.owner.id == principal.user.id)
        .ok_or_else(ApiError::recording_not_found)
}

fn check_track(t: &TrackInfo) -> ApiResult<()> {
    if t.track == 0 {
        return Err(ApiError::Unprocessable(
            "track: numbers start at 1".to_owned(),
        ));
    }
    check_text("codec", &t.codec, 64)?;
    if t.timescale == 0 {
        return Err(ApiError::Unprocessable(
            "timescale: must be positive".to_owned(),
        ));
    }
    Ok(())
}

fn check_create(body: &CreateRecording) -> ApiResult<()> {
    check_text("call_id", body.call_id.as_str(), 255)?;
    if body.call_id.as_str().is_empty() {
        return Err(ApiError::Unprocessable("call_id: empty".to_owned()));
    }
    for (name, v) in [
        ("queue", &body.queue),
        ("call_title", &body.call_title),
        ("customer_email", &body.customer_email),
        ("timezone", &body.timezone),
    ] {
        if let Some(v) = v {
            check_text(name, v, 500)?;
        }
    }
    if let Some(email) = &body.customer_email
        && !email.contains('@')
    {
        return Err(ApiError::Unprocessable(
            "customer_email: not an e-mail address".to_owned(),
        ));
    }
    if body.started_at_ms <= 0 {
        return Err(ApiError::Unprocessable(
            "started_at_ms: must be a Unix time in ms".to_owned(),
        ));
    }
    if body.participants.len() > 1000 || body.tracks.len() > 16 {
        return Err(ApiError::Unprocessable(
            "too many participants or tracks".to_owned(),
        ));
    }
    for t in &body.tracks {
        check_track(t)?;
    }
    Ok(())
}

/// Create a recording.
///
/// The id is generated by the app, so retrying after a crash is safe: the same body again
/// answers 200; another body (or another agent) for that id answers 409.
#[utoipa::path(put, path = "/agent/recordings/{uuid}", operation_id = "agentCreateRecording", tag = "Agent",
    params(("uuid" = Uuid, Path, description = "The recording's UUID (generated by the app)")),
    request_body(content = Object, description = "`core::wire::CreateRecording`", content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Object),
        (status = 200, description = "Already created with this body", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 409, description = "Exists with another body", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn create_recording(
    State(state): State<AppState>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateRecording>,
) -> ApiResult<(StatusCode, ApiJson<UploadStatus>)> {
    let device = principal.require_device()?;
    check_create(&body)?;
    let created = state
        .db
        .create_recording(id, principal.user.id, device, &body, ip)
        .await?;
    let status = match created {
        Created::New => StatusCode::CREATED,
        Created::Same => StatusCode::OK,
        Created::Different => {
            return Err(ApiError::Conflict(
                "a recording with this id exists with other details".to_owned(),
            ));
        }
    };
    Ok((
        status,
        ApiJson(upload_status(&state, id, RecordingState::Open).await?),
    ))
}

async fn upload_status(state: &AppState, id: Uuid, st: RecordingState) -> ApiResult<UploadStatus> {
    let tracks = state
        .db
        .tracks_of(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let segments = state.db.segments(id, None).await?;
    Ok(UploadStatus {
        recording: RecordingId(id),
        state: st,
        tracks: tracks
            .into_iter()
            .map(|(info, _)| {
                let mine = segments.iter().filter(|s| s.track == info.track);
                TrackStatus {
                    init: mine.clone().any(|s| s.seq == 0),
                    segments: mine.filter(|s| s.seq > 0).map(|s| s.seq).collect(),
                    info,
                }
            })
            .collect(),
    })
}

/// Upload status.
///
/// Which init and media segments the server holds, per track, so an app can resume after a
/// restart.
#[utoipa::path(get, path = "/agent/recordings/{uuid}/status", operation_id = "agentUploadStatus", tag = "Agent",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses(
        (status = 200, description = "`core::wire::UploadStatus`", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording of this agent", body = ErrorBody),
    ))]
pub async fn status(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<UploadStatus>> {
    let row = own_recording(&state, &principal, id).await?;
    Ok(ApiJson(upload_status(&state, id, row.state).await?))
}

/// Path of a track.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgentTrackPath {
    /// The recording's UUID.
    pub uuid: Uuid,
    /// Track number (from 1).
    pub track: u32,
}

/// Register a track.
///
/// `core::media::TrackInfo`; idempotent (same description → 200, another → 409).
#[utoipa::path(put, path = "/agent/recordings/{uuid}/tracks/{track}", operation_id = "agentPutTrack", tag = "Agent",
    params(AgentTrackPath),
    request_body(content = Object, description = "`core::media::TrackInfo`", content_type = "application/json"),
    responses(
        (status = 200, description = "Registered", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording of this agent", body = ErrorBody),
        (status = 409, description = "Track exists with another description, or recording finalized", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn put_track(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<AgentTrackPath>,
    ApiJson(info): ApiJson<TrackInfo>,
) -> ApiResult<ApiJson<TrackInfo>> {
    let row = own_recording(&state, &principal, p.uuid).await?;
    if info.track != p.track {
        return Err(ApiError::Unprocessable(
            "track: differs from the path".to_owned(),
        ));
    }
    check_track(&info)?;
    if row.state != RecordingState::Open {
        return Err(ApiError::Conflict("recording is finalized".to_owned()));
    }
    if !state.db.put_track(p.uuid, &info).await? {
        return Err(ApiError::Conflict(
            "track exists with another description".to_owned(),
        ));
    }
    Ok(ApiJson(info))
}

pub use upload::{upload_init, upload_poster, upload_segment};

/// Finalize a recording.
///
/// The Recorder's `Finalized` and the last segment number of each track. The server computes
/// what is missing (a recording with missing segments is partial), the duration, size,
/// resolution and default title (`Rec - <date and time> - <call title>`), and writes the HLS
/// playlists. Idempotent: finalizing again answers the stored result.
#[utoipa::path(post, path = "/agent/recordings/{uuid}/finalize", operation_id = "agentFinalize", tag = "Agent",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body(content = Object, description = "`core::wire::FinalizeRequest`", content_type = "application/json"),
    responses(
        (status = 200, description = "`core::wire::FinalizeResponse`", body = Object),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording of this agent", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn finalize(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<FinalizeRequest>,
) -> ApiResult<ApiJson<FinalizeResponse>> {
    let row = own_recording(&state, &principal, id).await?;
    if body.finalized.recording.0 != id {
        return Err(ApiError::Unprocessable(
            "finalized.recording: differs from the path".to_owned(),
        ));
    }
    if row.state == RecordingState::Finalized {
        return Ok(ApiJson(FinalizeResponse {
            recording: RecordingId(id),
            outcome: if row.partial {
                agentrec_core::recorder::Outcome::Partial
            } else {
                agentrec_core::recorder::Outcome::Complete
            },
            title: row.title.unwrap_or_default(),
            duration_ms: u64::try_from(row.duration_ms.unwrap_or(0)).unwrap_or(0),
            size_bytes: u64::try_from(row.size_bytes.unwrap_or(0)).unwrap_or(0),
            missing: row.missing,
        }));
    }
    let tracks: Vec<TrackInfo> = state
        .db
        .tracks_of(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let segments = state.db.segments(id, None).await?;
    let fallback = row
        .create
        .queue
        .clone()
        .unwrap_or_else(|| format!("call {}", row.create.call_id));
    let title = row.title.clone().unwrap_or_else(|| {
        processing::default_title(
            row.create.started_at_ms,
            row.create.call_title.as_deref(),
            &fallback,
        )
    });
    let processed = processing::process(&tracks, &segments, &body.finalized, &body.last_seq, title);
    // Playlists first: a recording marked finalized always has its playlists.
    for t in &tracks {
        let media: Vec<_> = segments
            .iter()
            .filter(|s| s.track == t.track && s.seq > 0)
            .cloned()
            .collect();
        let playlist = processing::hls::media_playlist(&media, row.create.started_at_ms, true);
        state
            .store
            .put(
                &crate::store::playlist_key(id, t.track),
                object_store::PutPayload::from(playlist.into_bytes()),
            )
            .await?;
    }
    state
        .db
        .finalize_recording(id, &body.finalized, &processed)
        .await?;
    state
        .db
        .audit(
            Some(&principal.actor()),
            "recording.finalize",
            Some(&id.to_string()),
            Some(serde_json::json!({
                "partial": processed.partial,
                "missing": processed.missing.len(),
            })),
        )
        .await?;
    Ok(ApiJson(FinalizeResponse {
        recording: RecordingId(id),
        outcome: if processed.partial {
            agentrec_core::recorder::Outcome::Partial
        } else {
            agentrec_core::recorder::Outcome::Complete
        },
        title: row.title.unwrap_or(processed.title),
        duration_ms: processed.duration_ms,
        size_bytes: processed.size_bytes,
        missing: processed.missing,
    }))
}
