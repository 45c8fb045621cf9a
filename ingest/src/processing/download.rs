//! The download: the primary monitor's track and the call audio merged into one fragmented
//! MP4, streamed segment by segment with an exact `Content-Length` known up front.

use agentrec_core::media::TrackInfo;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;

use super::mp4;
use super::{audio_track, primary_video};
use crate::db::segments::StoredSegment;
use crate::error::ApiError;
use crate::store::MediaStore;

/// Everything needed to stream a download.
#[derive(Debug)]
pub struct DownloadPlan {
    /// The merged init segment.
    pub init: Bytes,
    parts: Vec<Part>,
    /// Exact size of the file.
    pub content_length: u64,
}

#[derive(Debug, Clone)]
struct Part {
    key: ObjectPath,
    bytes: u64,
    media_offset: u64,
    track_id: u32,
}

fn not_available(why: &str) -> ApiError {
    ApiError::Conflict(format!("video file is not available yet: {why}"))
}

/// Plans the download of a finalized recording.
pub async fn plan(
    store: &MediaStore,
    tracks: &[TrackInfo],
    segments: &[StoredSegment],
    duration_ms: u64,
) -> Result<DownloadPlan, ApiError> {
    let video = primary_video(tracks).ok_or_else(|| not_available("no video track"))?;
    let init_of = |track: u32| segments.iter().find(|s| s.track == track && s.seq == 0);
    let media_of = |track: u32| {
        segments
            .iter()
            .filter(move |s| s.track == track && s.seq > 0)
    };
    let v_init = init_of(video.track).ok_or_else(|| not_available("video init segment missing"))?;
    if media_of(video.track).next().is_none() {
        return Err(not_available("no video segments"));
    }
    let audio = audio_track(tracks).and_then(|a| init_of(a.track).map(|i| (a, i)));

    let v_init_bytes = store
        .get(&ObjectPath::from(v_init.object_key.as_str()))
        .await?;
    let corrupt = |e: mp4::Mp4Error| ApiError::Internal(format!("stored init segment: {e}"));
    let (init, video_id) = match audio {
        Some((_, a_init)) => {
            let a_init_bytes = store
                .get(&ObjectPath::from(a_init.object_key.as_str()))
                .await?;
            let merged =
                mp4::merge_inits(&v_init_bytes, &a_init_bytes, duration_ms).map_err(corrupt)?;
            (Bytes::from(merged), 1)
        }
        None => {
            let info = mp4::check_init(&v_init_bytes).map_err(corrupt)?;
            (v_init_bytes, info.track_id)
        }
    };

    let mut media: Vec<(&StoredSegment, u32)> =
        media_of(video.track).map(|s| (s, video_id)).collect();
    if let Some((a, _)) = audio {
        media.extend(media_of(a.track).map(|s| (s, 2)));
    }
    // Interleave by time so that a player reading the file front to back has audio and
    // video of the same moment close together.
    media.sort_by_key(|(s, id)| (s.start_ms, *id));
    let parts: Vec<Part> = media
        .into_iter()
        .map(|(s, track_id)| Part {
            key: ObjectPath::from(s.object_key.as_str()),
            bytes: s.bytes,
            media_offset: s.media_offset,
            track_id,
        })
        .collect();
    let content_length = init.len() as u64
        + parts
            .iter()
            .map(|p| p.bytes.saturating_sub(p.media_offset))
            .sum::<u64>();
    Ok(DownloadPlan {
        init,
        parts,
        content_length,
    })
}

/// The file's bytes: the init, then each segment fetched (a few ahead) and patched in order.
pub fn stream(
    store: MediaStore,
    plan: DownloadPlan,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let init = futures::stream::once(futures::future::ready(Ok(plan.init)));
    let mut next_fragment = 1u32;
    let segments = futures::stream::iter(plan.parts)
        .map(move |part| {
            let store = store.clone();
            async move {
                let data = store.get(&part.key).await.map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>((part, data))
            }
        })
        .buffered(4)
        .map(move |fetched| {
            let (part, data) = fetched?;
            if data.len() as u64 != part.bytes {
                return Err(std::io::Error::other(format!(
                    "{} is {} bytes, catalog says {}",
                    part.key,
                    data.len(),
                    part.bytes
                )));
            }
            let mut buf = BytesMut::from(&data[..]);
            let range = mp4::patch_media(&mut buf, part.track_id, &mut next_fragment)
                .map_err(std::io::Error::other)?;
            if range.start as u64 != part.media_offset {
                return Err(std::io::Error::other("segment layout changed since upload"));
            }
            Ok(buf.freeze().slice(range))
        });
    init.chain(segments)
}
