//! How a recording's media is laid out, shared by the capture pipeline (which writes it), the
//! uploader and the ingest server (which store and serve it).
//!
//! A recording has one timeline starting at 0 ms when recording starts. It has tracks — one per
//! captured monitor, one for the call audio — each made of an init segment and numbered media
//! segments (fragmented MP4 / CMAF). Every media segment starts on a keyframe, so it is
//! independently decodable, and doubles as an HLS media segment. Pauses and stops are gaps on
//! the timeline: no samples, timestamps jump.

use serde::{Deserialize, Serialize};

use crate::ids::MonitorId;

/// A track's number within its recording. Numbers are never reused within a recording: a
/// monitor that comes back after being unplugged gets a new track.
pub type TrackNo = u32;

/// What a track carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrackMedia {
    /// One monitor's screen.
    Video {
        /// The monitor as the OS names it.
        monitor: MonitorId,
        /// Encoded width in pixels.
        width: u32,
        /// Encoded height in pixels.
        height: u32,
        /// The monitor's place on the desktop (captured size, before any scaling), so that a
        /// player can lay tracks out as the agent saw them.
        desktop: DesktopRect,
        /// Whether this is the primary monitor (the one downloads show).
        primary: bool,
    },
    /// The call audio: left channel the agent (microphone), right channel what the agent
    /// heard (system output).
    Audio {
        /// Samples per second.
        sample_rate: u32,
        /// Channels (2: agent left, customer right).
        channels: u8,
    },
}

/// A rectangle on the agent's desktop, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesktopRect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A track's description: what a player needs besides the segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInfo {
    /// The track's number.
    pub track: TrackNo,
    /// RFC 6381 codec string, e.g. `av01.0.08M.08` or `opus`.
    pub codec: String,
    /// Units per second of the track's timestamps.
    pub timescale: u32,
    /// Where on the recording's timeline the track begins (a monitor plugged in mid-call
    /// starts late).
    pub start_ms: u64,
    /// Video or audio specifics.
    #[serde(flatten)]
    pub media: TrackMedia,
}

impl TrackInfo {
    /// Whether this is a video track.
    pub fn is_video(&self) -> bool {
        matches!(self.media, TrackMedia::Video { .. })
    }
}

/// One media segment of a track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// The track it belongs to.
    pub track: TrackNo,
    /// Sequence number within the track, from 1, without holes once the track is complete.
    pub seq: u32,
    /// Presentation time of its first sample on the recording's timeline.
    pub start_ms: u64,
    /// Time it covers.
    pub duration_ms: u64,
    /// Size in bytes (plaintext, as uploaded).
    pub bytes: u64,
    /// SHA-256 of the plaintext bytes, lower-case hex.
    pub sha256: String,
}
