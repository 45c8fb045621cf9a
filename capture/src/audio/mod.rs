//! Call audio: two mono sides (agent microphone, system output) → one stereo stream, left
//! agent and right customer, in fixed 20 ms blocks on the recording's timeline.
//!
//! - [`mixer`]: places each side's chunks on the timeline and emits aligned stereo blocks,
//!   padding a silent or late side so that one missing device never stalls the other.
//! - `cpal_input`: a cpal input stream on its own thread (all OSes).

#[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
pub mod cpal_input;
pub mod mixer;

pub use mixer::{BLOCK_FRAMES, StereoBlock, StereoMixer};
