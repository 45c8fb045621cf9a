//! Encoders: the [`VideoEncoder`] trait (so another AV1 encoder can be added next to rav1e),
//! [`av1`] (rav1e), [`yuv`] (BGRX → I420 with optional downscale) and [`opus`].

pub mod av1;
pub mod opus;
pub mod yuv;

use crate::error::EncodeError;
use crate::mux::CodecConfig;

pub use yuv::Yuv420Frame;

/// One encoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    /// The presentation time given with the frame (track units), passed through.
    pub pts: u64,
    /// The compressed bytes (for AV1: a temporal unit of OBUs).
    pub data: Vec<u8>,
    /// Whether the frame is a keyframe.
    pub keyframe: bool,
}

/// A video encoder used segment by segment: every segment starts with a keyframe and is
/// decodable on its own.
pub trait VideoEncoder: Send {
    /// Starts a new segment: the next frame is a keyframe that references nothing before.
    fn begin_segment(&mut self) -> Result<(), EncodeError>;
    /// Encodes a frame; returns the packets that are ready (possibly none yet).
    fn encode(&mut self, frame: &Yuv420Frame, pts: u64) -> Result<Vec<EncodedPacket>, EncodeError>;
    /// Ends the segment: returns every packet still inside the encoder.
    fn finish_segment(&mut self) -> Result<Vec<EncodedPacket>, EncodeError>;
    /// The sample description for the init segment.
    fn codec_config(&self) -> CodecConfig;
    /// The RFC 6381 codec string (`av01.…`).
    fn codec_string(&self) -> String;
}
