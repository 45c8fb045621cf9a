//! AV1 with rav1e: one encoder per monitor on its own thread, single-threaded, tuned for
//! cost per frame (speed 10, low latency, no scene detection, 1-frame RDO look-ahead).
//!
//! rav1e costs ~96 ms of one core per 1080p frame whatever the content, so the pipeline
//! encodes only frames that changed; these settings shave the rest (see BENCHMARKS.md).
//! A fresh rav1e context per segment makes every segment start with a keyframe and lets the
//! segment be flushed completely when it ends; the contexts share one worker pool, whose
//! threads run at a lowered priority (rav1e encodes on its pool, not the calling thread).

use std::sync::Arc;

use rav1e::prelude::*;

use super::{EncodedPacket, VideoEncoder, Yuv420Frame};
use crate::error::EncodeError;
use crate::mux::CodecConfig;

/// rav1e settings the pipeline exposes (the benchmark tries variations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Av1Settings {
    /// rav1e speed preset, 0 (slowest) – 10 (fastest).
    pub speed: u8,
    /// Constant quantizer, 0–255 (lower is better quality).
    pub quantizer: u8,
    /// RDO look-ahead frames.
    pub rdo_lookahead_frames: usize,
    /// rav1e worker threads per encoder (1: one core per monitor at most).
    pub threads: usize,
    /// Tiles (more tiles → more parallelism, slightly larger output).
    pub tiles: usize,
}

impl Default for Av1Settings {
    fn default() -> Self {
        Av1Settings {
            speed: 10,
            quantizer: 100,
            rdo_lookahead_frames: 1,
            threads: 1,
            tiles: 1,
        }
    }
}

/// An AV1 encoder for one track.
pub struct Av1Encoder {
    config: Config,
    width: u32,
    height: u32,
    ctx: Option<Context<u8>>,
    /// Presentation time of each frame sent in this segment, by rav1e's input frame number.
    pts: Vec<u64>,
    av1c: Vec<u8>,
}

impl std::fmt::Debug for Av1Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Av1Encoder")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Av1Encoder {
    /// An encoder for `width`×`height` (even) frames at up to `fps_cap` frames per second.
    pub fn new(width: u32, height: u32, fps_cap: u32, s: Av1Settings) -> Result<Self, EncodeError> {
        let mut speed = SpeedSettings::from_preset(s.speed);
        speed.rdo_lookahead_frames = s.rdo_lookahead_frames;
        speed.scene_detection_mode = SceneDetectionSpeed::None;
        let enc = EncoderConfig {
            width: width as usize,
            height: height as usize,
            time_base: Rational::new(1, u64::from(fps_cap.max(1))),
            bit_depth: 8,
            chroma_sampling: ChromaSampling::Cs420,
            pixel_range: PixelRange::Limited,
            color_description: Some(ColorDescription {
                color_primaries: ColorPrimaries::BT709,
                transfer_characteristics: TransferCharacteristics::BT709,
                matrix_coefficients: MatrixCoefficients::BT709,
            }),
            low_latency: true,
            quantizer: usize::from(s.quantizer),
            min_key_frame_interval: 0,
            max_key_frame_interval: u64::from(u16::MAX),
            tune: Tune::Psnr,
            tiles: s.tiles,
            speed_settings: speed,
            ..EncoderConfig::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(s.threads.max(1))
            .thread_name(|i| format!("rav1e-{i}"))
            .start_handler(|_| crate::source::lower_thread_priority())
            .build()
            .map_err(|e| EncodeError::Config(format!("encoder threads: {e}")))?;
        let config = Config::new()
            .with_encoder_config(enc)
            .with_thread_pool(Arc::new(pool));
        let ctx: Context<u8> = config
            .new_context()
            .map_err(|e| EncodeError::Config(e.to_string()))?;
        let av1c = ctx.container_sequence_header();
        Ok(Av1Encoder {
            config,
            width,
            height,
            ctx: None,
            pts: Vec::new(),
            av1c,
        })
    }

    fn drain(&mut self, flushing: bool) -> Result<Vec<EncodedPacket>, EncodeError> {
        let mut out = Vec::new();
        let Some(ctx) = self.ctx.as_mut() else {
            return Ok(out);
        };
        loop {
            match ctx.receive_packet() {
                Ok(packet) => {
                    let pts = usize::try_from(packet.input_frameno)
                        .ok()
                        .and_then(|i| self.pts.get(i).copied())
                        .ok_or_else(|| EncodeError::Failed("packet for an unknown frame".into()))?;
                    out.push(EncodedPacket {
                        pts,
                        data: packet.data,
                        keyframe: packet.frame_type == FrameType::KEY,
                    });
                }
                Err(EncoderStatus::Encoded) => continue,
                Err(EncoderStatus::NeedMoreData) if !flushing => break,
                Err(EncoderStatus::NeedMoreData) => continue,
                Err(EncoderStatus::LimitReached) => break,
                Err(e) => return Err(EncodeError::Failed(e.to_string())),
            }
        }
        Ok(out)
    }
}

impl VideoEncoder for Av1Encoder {
    fn begin_segment(&mut self) -> Result<(), EncodeError> {
        self.ctx = Some(
            self.config
                .new_context()
                .map_err(|e| EncodeError::Config(e.to_string()))?,
        );
        self.pts.clear();
        Ok(())
    }

    fn encode(&mut self, frame: &Yuv420Frame, pts: u64) -> Result<Vec<EncodedPacket>, EncodeError> {
        if frame.width != self.width || frame.height != self.height {
            return Err(EncodeError::Failed(format!(
                "frame {}x{} for a {}x{} encoder",
                frame.width, frame.height, self.width, self.height
            )));
        }
        if self.ctx.is_none() {
            self.begin_segment()?;
        }
        let Some(ctx) = self.ctx.as_mut() else {
            return Err(EncodeError::Failed("no encoder context".into()));
        };
        let mut f = ctx.new_frame();
        let w = self.width as usize;
        f.planes[0].copy_from_raw_u8(&frame.y, w, 1);
        f.planes[1].copy_from_raw_u8(&frame.u, w / 2, 1);
        f.planes[2].copy_from_raw_u8(&frame.v, w / 2, 1);
        ctx.send_frame(f)
            .map_err(|e| EncodeError::Failed(e.to_string()))?;
        self.pts.push(pts);
        self.drain(false)
    }

    fn finish_segment(&mut self) -> Result<Vec<EncodedPacket>, EncodeError> {
        if let Some(ctx) = self.ctx.as_mut() {
            ctx.flush();
        }
        let packets = self.drain(true);
        self.ctx = None;
        packets
    }

    fn codec_config(&self) -> CodecConfig {
        CodecConfig::Av1 {
            width: self.width,
            height: self.height,
            av1c: self.av1c.clone(),
        }
    }

    fn codec_string(&self) -> String {
        // Main profile, 8-bit; level 4.0 up to 2048x1152, else 5.0.
        let level = if self.width * self.height <= 2048 * 1152 {
            8
        } else {
            12
        };
        format!("av01.0.{level:02}M.08")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_starts_with_a_keyframe_and_flushes_completely() {
        let mut enc = Av1Encoder::new(64, 64, 5, Av1Settings::default()).unwrap();
        let mut frame = Yuv420Frame {
            width: 64,
            height: 64,
            y: vec![16; 64 * 64],
            u: vec![128; 32 * 32],
            v: vec![128; 32 * 32],
        };
        for segment in 0..2u64 {
            enc.begin_segment().unwrap();
            let mut packets = Vec::new();
            for i in 0..4u64 {
                frame.y[(i as usize) * 100] = 200;
                packets.extend(enc.encode(&frame, segment * 100 + i * 10).unwrap());
            }
            packets.extend(enc.finish_segment().unwrap());
            let pts: Vec<u64> = packets.iter().map(|p| p.pts).collect();
            assert_eq!(
                pts,
                (0..4).map(|i| segment * 100 + i * 10).collect::<Vec<_>>()
            );
            assert!(packets[0].keyframe);
            assert!(packets[1..].iter().all(|p| !p.keyframe));
        }
        assert!(enc.codec_string().starts_with("av01.0.08M"));
    }
}
