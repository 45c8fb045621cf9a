//! Muxing: encoded samples → fragmented MP4 (CMAF) init and media segments.
//!
//! - [`boxes`]: a small ISO-BMFF box writer for exactly what we emit (AV1 and Opus tracks).
//! - [`fragment`]: collects one segment's samples and turns absolute timestamps into sample
//!   durations, so that variable frame rate never drifts across segments.
//! - [`segmenter`]: where segments are cut on the recording's timeline.

pub mod boxes;
pub mod fragment;
pub mod segmenter;

pub use boxes::{CodecConfig, InitParams};
pub use fragment::{Fragment, FragmentSample};
