//! The capture pipeline of agentrec: up to four monitors and both sides of the call audio,
//! encoded on the agent's PC (AV1 with rav1e, Opus) into fragmented-MP4 (CMAF) segments on an
//! encrypted, crash-safe spool, for the uploader to send.
//!
//! ```text
//! source/ (ScreenSource, AudioSource: linux X11+PulseAudio, windows, macos, synthetic)
//!    │ BGRX frames (damage-driven)        │ mono chunks
//!    ▼                                    ▼
//! session/ (rate rule, one encoder thread per monitor, audio track)  ← the app drives this
//!    │ encode/ (yuv, av1 = rav1e, opus)   audio/ (stereo mixer: agent left, customer right)
//!    ▼
//! mux/ (fMP4 boxes, fragments with absolute timestamps, segment rule)
//!    ▼
//! spool/ (sealed files, manifests, fsync + rename, quota, recovery)  ← the uploader reads this
//! ```
//! Also [`poster`] (a JPEG per video track), [`export`] (a track as one MP4), and the
//! `agentrec-capture` CLI and `capture-bench` binaries.
#![deny(missing_docs)]

pub mod audio;
pub mod encode;
pub mod error;
pub mod export;
pub mod mux;
pub mod poster;
pub mod session;
pub mod source;
pub mod spool;
