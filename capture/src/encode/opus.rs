//! Opus for the call audio: stereo (agent left, customer right), 48 kHz, 20 ms frames,
//! VoIP mode.

use crate::audio::BLOCK_FRAMES;
use crate::error::EncodeError;
use crate::mux::CodecConfig;

/// Default bitrate for the stereo pair (bits per second): 12 kb/s per side of speech.
pub const DEFAULT_BITRATE: i32 = 24_000;

/// An Opus encoder for 20 ms stereo blocks.
pub struct OpusEncoder {
    inner: opus::Encoder,
    pre_skip: u16,
    out: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("pre_skip", &self.pre_skip)
            .finish_non_exhaustive()
    }
}

fn failed(e: opus::Error) -> EncodeError {
    EncodeError::Failed(format!("opus: {e}"))
}

impl OpusEncoder {
    /// A stereo encoder at `bitrate` bits per second.
    pub fn new(bitrate: i32) -> Result<OpusEncoder, EncodeError> {
        let mut inner = opus::Encoder::new(48_000, opus::Channels::Stereo, opus::Application::Voip)
            .map_err(|e| EncodeError::Config(format!("opus: {e}")))?;
        inner
            .set_bitrate(opus::Bitrate::Bits(bitrate))
            .map_err(failed)?;
        let pre_skip = u16::try_from(inner.get_lookahead().map_err(failed)?).unwrap_or(312);
        Ok(OpusEncoder {
            inner,
            pre_skip,
            out: vec![0; 4000],
        })
    }

    /// Encodes one block of `2 × BLOCK_FRAMES` interleaved samples into a packet.
    pub fn encode(&mut self, interleaved: &[f32]) -> Result<Vec<u8>, EncodeError> {
        if interleaved.len() != BLOCK_FRAMES * 2 {
            return Err(EncodeError::Failed(format!(
                "opus block of {} samples",
                interleaved.len()
            )));
        }
        let n = self
            .inner
            .encode_float(interleaved, &mut self.out)
            .map_err(failed)?;
        Ok(self.out[..n].to_vec())
    }

    /// The sample description for the init segment.
    pub fn codec_config(&self) -> CodecConfig {
        CodecConfig::Opus {
            channels: 2,
            pre_skip: self.pre_skip,
            input_sample_rate: 48_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_20ms_blocks_at_a_voice_bitrate() {
        let mut enc = OpusEncoder::new(DEFAULT_BITRATE).unwrap();
        let mut bytes = 0;
        for i in 0..50 {
            let block: Vec<f32> = (0..BLOCK_FRAMES * 2)
                .map(|k| ((i * BLOCK_FRAMES + k / 2) as f32 * 0.05).sin() * 0.3)
                .collect();
            bytes += enc.encode(&block).unwrap().len();
        }
        // One second at 24 kb/s ≈ 3000 bytes.
        assert!((1_000..8_000).contains(&bytes), "{bytes} bytes for 1 s");
        assert!(enc.encode(&[0.0; 10]).is_err());
        assert!(matches!(
            enc.codec_config(),
            CodecConfig::Opus { channels: 2, .. }
        ));
    }
}
