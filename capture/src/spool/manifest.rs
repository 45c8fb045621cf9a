//! The manifest of one spooled recording: its tracks, every finished segment, what was
//! uploaded, and how the recording ended. Also the headers that make each spool file
//! self-describing, so a lost manifest update can be rebuilt from the files.

use agentrec_core::media::{SegmentInfo, TrackInfo, TrackNo};
use agentrec_core::recorder::Finalized;
use agentrec_core::wire::CallMetadata;
use agentrec_core::{CallId, RecordingId};
use serde::{Deserialize, Serialize};

/// The manifest format this build writes.
pub const MANIFEST_FORMAT: u32 = 1;

/// Everything the spool knows about one recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingManifest {
    /// Format version ([`MANIFEST_FORMAT`]).
    pub format: u32,
    /// The recording.
    pub recording: RecordingId,
    /// The call it belongs to.
    pub call: CallId,
    /// Wall-clock time of the timeline's 0 ms, Unix milliseconds. A later capture run of the
    /// same recording (On-Demand UIS restart) continues the timeline from here.
    pub started_unix_ms: u64,
    /// The tracks, by number.
    pub tracks: Vec<TrackEntry>,
    /// Set when the Recorder finalized the recording; the uploader then completes it.
    #[serde(default)]
    pub finalized: Option<Finalized>,
    /// Set when the Recorder discarded the recording; everything may be deleted.
    #[serde(default)]
    pub discarded: bool,
    /// The call's details the uploader creates the recording with on the server (kept here so
    /// that they survive a crash or a reboot); `None` for recordings made without a call
    /// (the CLI).
    #[serde(default)]
    pub metadata: Option<CallMetadata>,
}

/// One track of a spooled recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackEntry {
    /// What the track is.
    pub info: TrackInfo,
    /// The init segment, once written.
    pub init: Option<FileEntry>,
    /// The poster image (video tracks), once written.
    #[serde(default)]
    pub poster: Option<FileEntry>,
    /// Finished media segments, in order.
    pub segments: Vec<SegmentEntry>,
    /// No more segments will come (monitor removed, or the recording ended).
    pub ended: bool,
}

/// A file of a track that is not a media segment (init segment, poster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Plaintext size.
    pub bytes: u64,
    /// SHA-256 of the plaintext, lower-case hex.
    pub sha256: String,
    /// Whether the uploader has it acknowledged and the spool file was deleted.
    #[serde(default)]
    pub uploaded: bool,
}

/// A finished media segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentEntry {
    /// Its description (the shared contract).
    #[serde(flatten)]
    pub info: SegmentInfo,
    /// Whether the uploader has it acknowledged and the spool file was deleted.
    #[serde(default)]
    pub uploaded: bool,
}

impl RecordingManifest {
    /// A new manifest with no tracks.
    pub fn new(recording: RecordingId, call: CallId, started_unix_ms: u64) -> Self {
        RecordingManifest {
            format: MANIFEST_FORMAT,
            recording,
            call,
            started_unix_ms,
            tracks: Vec::new(),
            finalized: None,
            discarded: false,
            metadata: None,
        }
    }

    /// The track with this number.
    pub fn track(&self, track: TrackNo) -> Option<&TrackEntry> {
        self.tracks.iter().find(|t| t.info.track == track)
    }

    /// The track with this number, mutably.
    pub fn track_mut(&mut self, track: TrackNo) -> Option<&mut TrackEntry> {
        self.tracks.iter_mut().find(|t| t.info.track == track)
    }

    /// The number the next new track gets (numbers are never reused).
    pub fn next_track_no(&self) -> TrackNo {
        self.tracks
            .iter()
            .map(|t| t.info.track)
            .max()
            .map_or(1, |n| n + 1)
    }

    /// Records a finished segment; ignores a duplicate (same track and sequence). Returns
    /// whether it was new.
    pub fn add_segment(&mut self, info: SegmentInfo) -> bool {
        let Some(track) = self.track_mut(info.track) else {
            return false;
        };
        if track.segments.iter().any(|s| s.info.seq == info.seq) {
            return false;
        }
        let at = track.segments.partition_point(|s| s.info.seq < info.seq);
        track.segments.insert(
            at,
            SegmentEntry {
                info,
                uploaded: false,
            },
        );
        true
    }

    /// Whether every file of the recording was uploaded and it was finalized or discarded:
    /// the uploader may remove it from the spool.
    pub fn is_done(&self) -> bool {
        self.discarded
            || (self.finalized.is_some()
                && self.tracks.iter().all(|t| {
                    t.init.as_ref().is_none_or(|i| i.uploaded)
                        && t.poster.as_ref().is_none_or(|p| p.uploaded)
                        && t.segments.iter().all(|s| s.uploaded)
                }))
    }

    /// The end of the recorded timeline so far (ms): where a restart must not go back to.
    pub fn timeline_end_ms(&self) -> u64 {
        self.tracks
            .iter()
            .flat_map(|t| t.segments.iter())
            .map(|s| s.info.start_ms + s.info.duration_ms)
            .max()
            .unwrap_or(0)
    }
}

/// What a spool file holds; stored in its authenticated header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "file", rename_all = "snake_case")]
pub enum FileHeader {
    /// A recording's manifest.
    Manifest {
        /// The recording.
        recording: RecordingId,
    },
    /// A track's init segment.
    Init {
        /// The recording.
        recording: RecordingId,
        /// Also the manifest's track entry, for recovery.
        info: TrackInfo,
    },
    /// A media segment.
    Segment {
        /// The recording.
        recording: RecordingId,
        /// The segment.
        info: SegmentInfo,
    },
    /// A poster image (JPEG).
    Poster {
        /// The recording.
        recording: RecordingId,
        /// The track.
        track: TrackNo,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::media::TrackMedia;
    use proptest::prelude::*;

    fn manifest() -> RecordingManifest {
        let mut m = RecordingManifest::new(
            RecordingId::from_random_bytes([3; 16]),
            CallId::from("call-1"),
            1_700_000_000_000,
        );
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
            segments: vec![],
            ended: false,
        });
        m
    }

    fn seg(seq: u32) -> SegmentInfo {
        SegmentInfo {
            track: 1,
            seq,
            start_ms: u64::from(seq) * 10_000,
            duration_ms: 10_000,
            bytes: 10,
            sha256: "00".into(),
        }
    }

    #[test]
    fn segments_stay_ordered_and_unique() {
        let mut m = manifest();
        assert!(m.add_segment(seg(2)));
        assert!(m.add_segment(seg(1)));
        assert!(!m.add_segment(seg(2)));
        let seqs: Vec<u32> = m.tracks[0].segments.iter().map(|s| s.info.seq).collect();
        assert_eq!(seqs, [1, 2]);
        assert_eq!(m.timeline_end_ms(), 30_000);
        assert_eq!(m.next_track_no(), 2);
        assert!(!m.is_done());
    }

    proptest! {
        #[test]
        fn manifest_json_round_trips(seqs in proptest::collection::vec(1u32..1000, 0..50),
                                     uploaded in any::<bool>()) {
            let mut m = manifest();
            for s in seqs { m.add_segment(seg(s)); }
            for s in &mut m.tracks[0].segments { s.uploaded = uploaded; }
            let json = serde_json::to_string(&m).unwrap();
            let back: RecordingManifest = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, m);
        }

        #[test]
        fn garbage_never_parses_as_a_manifest_silently(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Either an error or a manifest; never a panic.
            let _ = serde_json::from_slice::<RecordingManifest>(&bytes);
        }
    }
}
