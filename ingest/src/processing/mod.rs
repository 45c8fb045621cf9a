//! What happens to a recording's media on the server: checking uploaded segments, processing
//! at finalize (duration, resolution, size, title, HLS playlists) and the one-file download.
//! Nothing is transcoded: segments are stored once and served as they came.

pub mod download;
pub mod hls;
pub mod mp4;

use std::collections::{BTreeMap, BTreeSet};

use agentrec_core::media::{TrackInfo, TrackMedia, TrackNo};
use agentrec_core::recorder::{Finalized, Outcome};
use agentrec_core::wire::MissingSegments;

use crate::clock::title_stamp;
use crate::db::recordings::Processed;
use crate::db::segments::StoredSegment;

/// The default title, Kaltura's convention: `Rec - <date and time> - <call title>`.
pub fn default_title(started_at_ms: i64, call_title: Option<&str>, fallback: &str) -> String {
    let subject = call_title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(fallback);
    format!("Rec - {} - {subject}", title_stamp(started_at_ms))
}

/// The track a download shows: the primary monitor, else the first video track.
pub fn primary_video(tracks: &[TrackInfo]) -> Option<&TrackInfo> {
    tracks
        .iter()
        .find(|t| matches!(t.media, TrackMedia::Video { primary: true, .. }))
        .or_else(|| tracks.iter().find(|t| t.is_video()))
}

/// The call audio track.
pub fn audio_track(tracks: &[TrackInfo]) -> Option<&TrackInfo> {
    tracks.iter().find(|t| !t.is_video())
}

/// Computes what finalize stores: missing segments, duration, size, resolution, title.
pub fn process(
    tracks: &[TrackInfo],
    segments: &[StoredSegment],
    finalized: &Finalized,
    last_seq: &BTreeMap<TrackNo, u32>,
    title: String,
) -> Processed {
    let mut held: BTreeMap<TrackNo, BTreeSet<u32>> = BTreeMap::new();
    for s in segments {
        held.entry(s.track).or_default().insert(s.seq);
    }
    let mut missing = Vec::new();
    for t in tracks {
        let have = held.get(&t.track);
        let last = last_seq
            .get(&t.track)
            .copied()
            .or_else(|| have.and_then(|h| h.iter().next_back().copied()))
            .unwrap_or(0);
        let init = !have.is_some_and(|h| h.contains(&0));
        let seqs: Vec<u32> = (1..=last)
            .filter(|s| !have.is_some_and(|h| h.contains(s)))
            .collect();
        if init || !seqs.is_empty() {
            missing.push(MissingSegments {
                track: t.track,
                init,
                seqs,
            });
        }
    }
    let end_ms = segments
        .iter()
        .filter(|s| s.seq > 0)
        .map(|s| s.start_ms + s.duration_ms)
        .max();
    let resolution = primary_video(tracks).and_then(|t| match t.media {
        TrackMedia::Video { width, height, .. } => Some((width, height)),
        TrackMedia::Audio { .. } => None,
    });
    Processed {
        title,
        duration_ms: end_ms.unwrap_or(finalized.duration_ms),
        size_bytes: segments.iter().map(|s| s.bytes).sum(),
        resolution,
        partial: finalized.outcome == Outcome::Partial || !missing.is_empty(),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::media::DesktopRect;
    use agentrec_core::recorder::EndReason;

    fn video(track: u32, primary: bool) -> TrackInfo {
        TrackInfo {
            track,
            codec: "av01.0.08M.08".into(),
            timescale: 90_000,
            start_ms: 0,
            media: TrackMedia::Video {
                monitor: format!("MON{track}").as_str().into(),
                width: 1920,
                height: 1080,
                desktop: DesktopRect {
                    x: 0,
                    y: 0,
                    width: 1920,
                    height: 1080,
                },
                primary,
            },
        }
    }

    fn seg(track: u32, seq: u32) -> StoredSegment {
        StoredSegment {
            track,
            seq,
            start_ms: u64::from(seq.saturating_sub(1)) * 10_000,
            duration_ms: if seq == 0 { 0 } else { 10_000 },
            bytes: 100,
            media_offset: 0,
            sha256: String::new(),
            object_key: String::new(),
        }
    }

    fn finalized(outcome: Outcome) -> Finalized {
        Finalized {
            recording: agentrec_core::RecordingId(uuid::Uuid::nil()),
            call: "c".into(),
            outcome,
            reason: EndReason::CallEnded,
            capture_failed: false,
            recorded_ms: 30_000,
            duration_ms: 30_000,
            timeline: vec![],
        }
    }

    #[test]
    fn title_follows_the_kaltura_convention() {
        assert_eq!(
            default_title(1_700_000_000_000, Some("Billing dispute"), "c1"),
            "Rec - 2023-11-14 22:13 UTC - Billing dispute"
        );
        assert_eq!(
            default_title(0, Some("  "), "call c1"),
            "Rec - 1970-01-01 00:00 UTC - call c1"
        );
    }

    #[test]
    fn missing_segments_make_the_recording_partial() {
        let tracks = [video(1, false), video(2, true)];
        let segs = [
            seg(1, 0),
            seg(1, 1),
            seg(1, 2),
            seg(1, 3),
            seg(2, 1),
            seg(2, 3),
        ];
        let last = BTreeMap::from([(1, 3), (2, 3)]);
        let p = process(
            &tracks,
            &segs,
            &finalized(Outcome::Complete),
            &last,
            "t".into(),
        );
        assert!(p.partial);
        assert_eq!(
            p.missing,
            vec![MissingSegments {
                track: 2,
                init: true,
                seqs: vec![2]
            }]
        );
        assert_eq!(p.duration_ms, 30_000);
        assert_eq!(p.size_bytes, 600);
        assert_eq!(p.resolution, Some((1920, 1080)));
    }

    #[test]
    fn everything_present_is_complete() {
        let tracks = [video(1, true)];
        let segs = [seg(1, 0), seg(1, 1)];
        let p = process(
            &tracks,
            &segs,
            &finalized(Outcome::Complete),
            &BTreeMap::from([(1, 1)]),
            "t".into(),
        );
        assert!(!p.partial);
        assert!(p.missing.is_empty());
        assert_eq!(primary_video(&tracks).unwrap().track, 1);
    }
}
