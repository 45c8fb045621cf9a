//! Segment and poster upload: the hot path.
//!
//! Order of work, which is what makes it safe to retry and to crash at any point:
//! 1. check the caller, the recording, the headers and the size;
//! 2. read the body (bounded), hashing as it arrives, and check the SHA-256 the agent sent
//!    and the CMAF structure;
//! 3. if the catalog already has this (recording, track, seq): same checksum → 200, other
//!    checksum → 409, nothing written;
//! 4. store the object (durable: fsync locally, a completed PUT on S3) under a key that
//!    includes the checksum;
//! 5. insert the catalog row through the group-commit writer; the first row wins, so
//!    "exactly once" is decided by the catalog's primary key, not by conditional PUTs (which
//!    some S3 servers ignore). A loser with other bytes deletes its object and gets 409.
//!
//! A crash after 4 leaves an unreferenced object (harmless; the retry writes the same key),
//! never a row without its object.

use agentrec_core::wire::{DURATION_MS_HEADER, SHA256_HEADER, START_MS_HEADER, SegmentStored};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use object_store::PutPayload;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use uuid::Uuid;

use super::agent::{AgentTrackPath, own_recording};
use crate::AppState;
use crate::auth::Principal;
use crate::db::writer::{SegmentOutcome, SegmentRow};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::processing::mp4;
use crate::store;

const MEDIA_TYPES: &[&str] = &[
    "application/octet-stream",
    "video/mp4",
    "audio/mp4",
    "video/iso.segment",
];
const POSTER_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];
/// Largest poster.
pub const MAX_POSTER_BYTES: usize = 4 << 20;

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
}

fn header_u64(headers: &HeaderMap, name: &str) -> ApiResult<u64> {
    headers
        .get(name)
        .ok_or_else(|| ApiError::BadRequest(format!("missing header {name}")))?
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::BadRequest(format!("header {name}: expected an integer")))
}

fn expected_sha(headers: &HeaderMap) -> ApiResult<String> {
    let v = headers
        .get(SHA256_HEADER)
        .ok_or_else(|| ApiError::BadRequest(format!("missing header {SHA256_HEADER}")))?
        .to_str()
        .map_err(|_| ApiError::BadRequest(format!("header {SHA256_HEADER}: not text")))?;
    if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest(format!(
            "header {SHA256_HEADER}: expected 64 hex digits"
        )));
    }
    Ok(v.to_ascii_lowercase())
}

/// Reads a body of at most `limit` bytes, hashing it as it arrives.
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<(Bytes, String)> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || ApiError::PayloadTooLarge(format!("body larger than {limit} bytes"));
    let mut stream = body.into_data_stream();
    if let Some(n) = declared.filter(|n| *n > limit) {
        drain(&mut stream, n).await;
        return Err(too_large());
    }
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(64 << 10).min(limit));
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            drain(&mut stream, 0).await;
            return Err(too_large());
        }
        hasher.update(&chunk);
        buf.extend_from_slice(&chunk);
    }
    if buf.is_empty() {
        return Err(ApiError::BadRequest("empty body".to_owned()));
    }
    Ok((buf.freeze(), hex::encode(hasher.finalize())))
}

/// Most bytes read and discarded after refusing an oversized body. An HTTP/1.1 server that
/// answers before the body is read has to close the connection, and most clients then report
/// a broken connection instead of the 413; reading a bounded excess lets them see the answer.
const DRAIN_MAX: usize = 16 << 20;

async fn drain(stream: &mut axum::body::BodyDataStream, declared: usize) {
    if declared > DRAIN_MAX {
        return;
    }
    let mut read = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        read += chunk.len();
        if read > DRAIN_MAX {
            return;
        }
    }
}

/// Path of a media segment.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgentSegmentPath {
    /// The recording's UUID.
    pub uuid: Uuid,
    /// Track number.
    pub track: u32,
    /// Sequence number (from 1).
    pub seq: u32,
}

struct Upload {
    id: Uuid,
    track: u32,
    seq: u32,
    start_ms: u64,
    duration_ms: u64,
}

async fn store_segment(
    state: &AppState,
    principal: &Principal,
    up: Upload,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<SegmentStored>)> {
    match content_type(headers) {
        Some(t) if MEDIA_TYPES.contains(&t) => {}
        _ => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected content-type one of {}",
                MEDIA_TYPES.join(", ")
            )));
        }
    }
    let sha = expected_sha(headers)?;
    principal.require_device()?;
    let ctx = state
        .db
        .upload_context(up.id, up.track, up.seq)
        .await?
        .filter(|c| c.owner == principal.user.id)
        .ok_or_else(ApiError::recording_not_found)?;
    if !ctx.has_track {
        return Err(ApiError::NotFound(format!(
            "track {} is not registered for this recording",
            up.track
        )));
    }
    let (bytes, actual) = read_limited(headers, body, state.settings.max_segment_bytes).await?;
    if actual != sha {
        return Err(ApiError::Unprocessable(format!(
            "checksum mismatch: body hashes to {actual}, {SHA256_HEADER} says {sha}"
        )));
    }
    let media_offset = if up.seq == 0 {
        mp4::check_init(&bytes).map(|_| 0)
    } else {
        mp4::check_media(&bytes)
    }
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let stored = |duplicate: bool| SegmentStored {
        track: up.track,
        seq: up.seq,
        bytes: bytes.len() as u64,
        sha256: sha.clone(),
        duplicate,
    };
    if let Some(existing) = &ctx.existing_sha256 {
        return if *existing == sha {
            Ok((StatusCode::OK, ApiJson(stored(true))))
        } else {
            Err(conflict())
        };
    }
    if !ctx.open {
        return Err(ApiError::Conflict(
            "recording is finalized: no new segments".to_owned(),
        ));
    }
    let key = store::segment_key(up.id, up.track, up.seq, &sha);
    state
        .store
        .put(&key, PutPayload::from(bytes.clone()))
        .await?;
    let outcome = state
        .writer
        .insert_segment(SegmentRow {
            recording: up.id,
            track: up.track,
            seq: up.seq,
            start_ms: up.start_ms,
            duration_ms: up.duration_ms,
            bytes: bytes.len() as u64,
            media_offset: media_offset as u64,
            sha256: sha.clone(),
            object_key: key.to_string(),
        })
        .await?;
    match outcome {
        SegmentOutcome::Inserted => Ok((StatusCode::CREATED, ApiJson(stored(false)))),
        SegmentOutcome::Existing { sha256, .. } if sha256 == sha => {
            Ok((StatusCode::OK, ApiJson(stored(true))))
        }
        SegmentOutcome::Existing { object_key, .. } => {
            if object_key != key.as_ref()
                && let Err(e) = state.store.delete(&key).await
            {
                tracing::warn!(%key, error = %e, "could not delete the object of a lost race");
            }
            Err(conflict())
        }
    }
}

fn conflict() -> ApiError {
    ApiError::Conflict(
        "this segment is already stored with different bytes (checksum differs)".to_owned(),
    )
}

/// Upload a media segment.
///
/// Body: the fMP4 media segment (`styp`? `moof` `mdat`…). Headers: `x-agentrec-sha256` (hex
/// SHA-256 of the body), `x-agentrec-start-ms`, `x-agentrec-duration-ms`. Idempotent: the same
/// bytes again → 200 (`duplicate: true`); other bytes for the same (recording, track, seq) →
/// 409. Answers 2xx only once the object is durably stored and the catalog row committed.
/// Segments may arrive in any order.
#[utoipa::path(put, path = "/agent/recordings/{uuid}/tracks/{track}/segments/{seq}", operation_id = "agentUploadSegment", tag = "Agent",
    params(AgentSegmentPath,
        ("x-agentrec-sha256" = String, Header, description = "SHA-256 of the body, hex", pattern = "^[0-9a-f]{64}$"),
        ("x-agentrec-start-ms" = u64, Header, description = "Start on the recording's timeline, ms"),
        ("x-agentrec-duration-ms" = u64, Header, description = "Duration, ms")),
    request_body(content = crate::api::model::Binary, content_type = "application/octet-stream", description = "The segment; also accepted as video/iso.segment, video/mp4 or audio/mp4"),
    responses(
        (status = 201, description = "`core::wire::SegmentStored`", body = Object),
        (status = 200, description = "Already stored with these bytes", body = Object),
        (status = 400, description = "Missing or bad header, empty body", body = ErrorBody),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording or track", body = ErrorBody),
        (status = 409, description = "Stored with different bytes, or recording finalized", body = ErrorBody),
        (status = 413, description = "Too large", body = ErrorBody),
        (status = 415, description = "Wrong content type", body = ErrorBody),
        (status = 422, description = "Checksum mismatch or not a CMAF segment", body = ErrorBody),
        (status = 503, description = "Storage or catalog unavailable: retry", body = ErrorBody),
    ))]
pub async fn upload_segment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<AgentSegmentPath>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<SegmentStored>)> {
    principal.require_device()?;
    if p.seq == 0 {
        return Err(ApiError::BadRequest(
            "media segments are numbered from 1; upload the init segment to .../init".to_owned(),
        ));
    }
    let up = Upload {
        id: p.uuid,
        track: p.track,
        seq: p.seq,
        start_ms: header_u64(&headers, START_MS_HEADER)?,
        duration_ms: header_u64(&headers, DURATION_MS_HEADER)?,
    };
    store_segment(&state, &principal, up, &headers, body).await
}

/// Upload a track's init segment.
///
/// Body: the fMP4 init segment (`ftyp` `moov`). Header `x-agentrec-sha256`. Idempotent like
/// media segments.
#[utoipa::path(put, path = "/agent/recordings/{uuid}/tracks/{track}/init", operation_id = "agentUploadInit", tag = "Agent",
    params(AgentTrackPath,
        ("x-agentrec-sha256" = String, Header, description = "SHA-256 of the body, hex", pattern = "^[0-9a-f]{64}$")),
    request_body(content = crate::api::model::Binary, content_type = "application/octet-stream", description = "The init segment; also accepted as video/mp4 or audio/mp4"),
    responses(
        (status = 201, description = "`core::wire::SegmentStored`", body = Object),
        (status = 200, description = "Already stored with these bytes", body = Object),
        (status = 400, description = "Missing or bad header, empty body", body = ErrorBody),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording or track", body = ErrorBody),
        (status = 409, description = "Stored with different bytes", body = ErrorBody),
        (status = 413, description = "Too large", body = ErrorBody),
        (status = 415, description = "Wrong content type", body = ErrorBody),
        (status = 422, description = "Checksum mismatch or not a CMAF init segment", body = ErrorBody),
        (status = 503, description = "Storage or catalog unavailable: retry", body = ErrorBody),
    ))]
pub async fn upload_init(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<AgentTrackPath>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<SegmentStored>)> {
    principal.require_device()?;
    let up = Upload {
        id: p.uuid,
        track: p.track,
        seq: 0,
        start_ms: 0,
        duration_ms: 0,
    };
    store_segment(&state, &principal, up, &headers, body).await
}

/// Upload a track's poster.
///
/// A JPEG, PNG or WebP still of the track (≤ 4 MiB); replaces any earlier one.
#[utoipa::path(put, path = "/agent/recordings/{uuid}/tracks/{track}/poster", operation_id = "agentUploadPoster", tag = "Agent",
    params(AgentTrackPath),
    request_body(content = crate::api::model::Binary, content_type = "image/jpeg"),
    responses(
        (status = 204, description = "Stored"),
        (status = 401, description = "Invalid device token", body = ErrorBody),
        (status = 403, description = "Not a device token", body = ErrorBody),
        (status = 404, description = "No such recording or track", body = ErrorBody),
        (status = 413, description = "Too large", body = ErrorBody),
        (status = 415, description = "Not an image", body = ErrorBody),
    ))]
pub async fn upload_poster(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(p): ApiPath<AgentTrackPath>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    own_recording(&state, &principal, p.uuid).await?;
    let (ty, ext) = content_type(&headers)
        .and_then(|t| POSTER_TYPES.iter().find(|(m, _)| *m == t))
        .copied()
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "expected image/jpeg, image/png or image/webp".to_owned(),
            )
        })?;
    let (bytes, _) = read_limited(&headers, body, MAX_POSTER_BYTES).await?;
    if state.db.poster(p.uuid, p.track).await?.is_none()
        && !state
            .db
            .tracks_of(&[p.uuid])
            .await?
            .get(&p.uuid)
            .is_some_and(|t| t.iter().any(|(i, _)| i.track == p.track))
    {
        return Err(ApiError::NotFound(format!(
            "track {} is not registered",
            p.track
        )));
    }
    let key = store::poster_key(p.uuid, p.track, ext);
    state.store.put(&key, PutPayload::from(bytes)).await?;
    state
        .db
        .set_poster(p.uuid, p.track, key.as_ref(), ty)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
