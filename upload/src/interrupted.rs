//! Finalizing a recording the app never ended: after a crash, a kill -9 or a reboot its spool
//! manifest has no `finalized`. What was captured is complete up to the last finished segment;
//! the Recorder's own timeline died with the process, so the end is taken from the segments.

use agentrec_capture::spool::RecordingManifest;
use agentrec_core::recorder::{EndReason, Finalized, Outcome, TimelineEvent, TimelineKind};

/// A `Finalized` for `manifest` from what the spool holds: duration = the end of its last
/// segment, recorded time = the longest track's segments added up (pauses are gaps), the
/// timeline = `timeline` (markers kept while recording, if any) then `RecordingEnded { reason }`
/// at the end.
pub fn finalize_from_spool(
    manifest: &RecordingManifest,
    outcome: Outcome,
    reason: EndReason,
    mut timeline: Vec<TimelineEvent>,
) -> Finalized {
    let end_ms = manifest.timeline_end_ms();
    let recorded_ms = manifest
        .tracks
        .iter()
        .map(|t| t.segments.iter().map(|s| s.info.duration_ms).sum::<u64>())
        .max()
        .unwrap_or(0);
    timeline.retain(|e| !matches!(e.kind, TimelineKind::RecordingEnded { .. }));
    timeline.push(TimelineEvent {
        offset_ms: i64::try_from(end_ms).unwrap_or(i64::MAX),
        kind: TimelineKind::RecordingEnded { reason },
    });
    Finalized {
        recording: manifest.recording,
        call: manifest.call.clone(),
        outcome,
        reason,
        capture_failed: false,
        recorded_ms,
        duration_ms: end_ms,
        timeline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_capture::spool::{SegmentEntry, TrackEntry};
    use agentrec_core::RecordingId;
    use agentrec_core::media::{SegmentInfo, TrackInfo, TrackMedia};

    #[test]
    fn end_and_recorded_time_come_from_the_segments() {
        let mut m = RecordingManifest::new(RecordingId::from_random_bytes([1; 16]), "c".into(), 5);
        let seg = |seq: u32, start_ms, duration_ms| SegmentEntry {
            info: SegmentInfo {
                track: 1,
                seq,
                start_ms,
                duration_ms,
                bytes: 1,
                sha256: String::new(),
            },
            uploaded: false,
        };
        m.tracks.push(TrackEntry {
            info: TrackInfo {
                track: 1,
                codec: "opus".into(),
                timescale: 48_000,
                start_ms: 0,
                media: TrackMedia::Audio {
                    sample_rate: 48_000,
                    channels: 2,
                },
            },
            init: None,
            poster: None,
            // 10 s, a 5 s pause, 7 s.
            segments: vec![seg(1, 0, 10_000), seg(2, 15_000, 7_000)],
            ended: false,
        });
        let paused = TimelineEvent {
            offset_ms: 10_000,
            kind: TimelineKind::Paused,
        };
        let f = finalize_from_spool(
            &m,
            Outcome::Partial,
            EndReason::Interrupted,
            vec![paused.clone()],
        );
        assert_eq!((f.duration_ms, f.recorded_ms), (22_000, 17_000));
        assert_eq!(f.timeline[0], paused);
        assert_eq!(
            f.timeline[1].kind,
            TimelineKind::RecordingEnded {
                reason: EndReason::Interrupted
            }
        );
        assert_eq!(f.outcome, Outcome::Partial);
        let empty = RecordingManifest::new(RecordingId::from_random_bytes([2; 16]), "c".into(), 5);
        let f = finalize_from_spool(&empty, Outcome::Partial, EndReason::Interrupted, vec![]);
        assert_eq!((f.duration_ms, f.recorded_ms), (0, 0));
    }
}
