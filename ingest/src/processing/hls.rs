//! HLS media playlists built from the stored segments, one per track, without transcoding.
//!
//! Every track's playlist covers the recording's whole timeline from 0 ms, so that a player
//! showing several monitors and the audio side by side keeps them aligned by playlist time:
//! where a track has no media (it started late, the agent paused, a segment never arrived)
//! the playlist has `EXT-X-GAP` entries of that length. The segments' own `tfdt` timestamps
//! are on the same timeline, so playlist time and media time agree. `EXT-X-PROGRAM-DATE-TIME`
//! after each gap gives the wall clock for a viewer's time axis.

use std::fmt::Write;

use crate::clock::rfc3339;
use crate::db::segments::StoredSegment;

/// Gaps shorter than this are encoder jitter, not pauses.
const GAP_TOLERANCE_MS: u64 = 250;
/// Longest gap entry; long pauses become several entries.
const MAX_GAP_ENTRY_MS: u64 = 10_000;

/// Builds a media playlist. `segments` are the track's media segments (seq ≥ 1) in order;
/// `ended` closes the playlist (finalized recording), otherwise it is an EVENT playlist that
/// grows while the call goes on.
pub fn media_playlist(segments: &[StoredSegment], started_at_ms: i64, ended: bool) -> String {
    let longest = segments
        .iter()
        .map(|s| s.duration_ms)
        .chain(std::iter::once(
            MAX_GAP_ENTRY_MS.min(segments.first().map_or(0, |s| s.start_ms)),
        ))
        .max()
        .unwrap_or(0);
    let target = longest.div_ceil(1000).max(1);
    let mut out = String::new();
    let _ = writeln!(out, "#EXTM3U");
    let _ = writeln!(out, "#EXT-X-VERSION:7");
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:0");
    let _ = writeln!(
        out,
        "#EXT-X-PLAYLIST-TYPE:{}",
        if ended { "VOD" } else { "EVENT" }
    );
    let _ = writeln!(out, "#EXT-X-INDEPENDENT-SEGMENTS");
    let _ = writeln!(out, "#EXT-X-MAP:URI=\"init.mp4\"");
    let mut cursor_ms = 0u64;
    let mut after_gap = true;
    let gap_limit = target * 1000;
    for s in segments {
        if s.start_ms > cursor_ms + GAP_TOLERANCE_MS {
            let mut left = s.start_ms - cursor_ms;
            while left > 0 {
                let chunk = left.min(gap_limit);
                let _ = writeln!(out, "#EXTINF:{},", secs(chunk));
                let _ = writeln!(out, "#EXT-X-GAP");
                let _ = writeln!(out, "gap.m4s");
                left -= chunk;
            }
            after_gap = true;
        }
        if after_gap {
            let _ = writeln!(
                out,
                "#EXT-X-PROGRAM-DATE-TIME:{}",
                rfc3339(started_at_ms.saturating_add(i64::try_from(s.start_ms).unwrap_or(0)))
            );
            after_gap = false;
        }
        let _ = writeln!(out, "#EXTINF:{},", secs(s.duration_ms));
        let _ = writeln!(out, "segments/{}.m4s", s.seq);
        cursor_ms = cursor_ms.max(s.start_ms + s.duration_ms);
    }
    if ended {
        let _ = writeln!(out, "#EXT-X-ENDLIST");
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, start_ms: u64, duration_ms: u64) -> StoredSegment {
        StoredSegment {
            track: 1,
            seq,
            start_ms,
            duration_ms,
            bytes: 1,
            media_offset: 0,
            sha256: String::new(),
            object_key: String::new(),
        }
    }

    #[test]
    fn contiguous_segments_play_back_to_back() {
        let p = media_playlist(&[seg(1, 0, 10_000), seg(2, 10_000, 9_500)], 0, true);
        assert!(p.contains("#EXT-X-MAP:URI=\"init.mp4\""));
        assert!(p.contains("#EXTINF:10.000,\nsegments/1.m4s\n#EXTINF:9.500,\nsegments/2.m4s"));
        assert!(!p.contains("EXT-X-GAP"));
        assert!(p.ends_with("#EXT-X-ENDLIST\n"));
        assert_eq!(p.matches("PROGRAM-DATE-TIME").count(), 1);
    }

    #[test]
    fn a_pause_becomes_gap_entries_so_tracks_stay_aligned() {
        // 10 s recorded, 25 s paused, 10 s recorded.
        let p = media_playlist(&[seg(1, 0, 10_000), seg(2, 35_000, 10_000)], 0, false);
        assert_eq!(p.matches("#EXT-X-GAP").count(), 3, "{p}");
        assert!(p.contains("#EXTINF:5.000,\n#EXT-X-GAP"));
        assert_eq!(p.matches("PROGRAM-DATE-TIME").count(), 2);
        assert!(p.contains("#EXT-X-PLAYLIST-TYPE:EVENT"));
        assert!(!p.contains("ENDLIST"));
        let total: f64 = p
            .lines()
            .filter_map(|l| l.strip_prefix("#EXTINF:"))
            .map(|l| l.trim_end_matches(',').parse::<f64>().unwrap())
            .sum();
        assert!(
            (total - 45.0).abs() < 1e-9,
            "playlist covers the timeline: {total}"
        );
    }

    #[test]
    fn a_track_that_starts_late_begins_with_a_gap() {
        let p = media_playlist(&[seg(1, 4_000, 10_000)], 1_700_000_000_000, true);
        assert!(
            p.contains(
                "#EXTINF:4.000,\n#EXT-X-GAP\ngap.m4s\n#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24Z"
            ),
            "{p}"
        );
    }
}
