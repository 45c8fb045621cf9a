//! Opus for the call audio: stereo (agent left, customer right), 48 kHz, 20 ms frames,
//! VoIP mode.

use crate::audio::BLOCK_FRAMES;
use crate::error::EncodeError;
use crate::mux::CodecConfig;

/// Default bitrate for the stereo pair (bits per second). At 24 kb/s libopus starts coding
/// stereo jointly and one side leaks into the other (−25 dB measured); at 32 kb/s the sides
/// stay apart (−59 dB), which QA and transcription need.
pub const DEFAULT_BITRATE: i32 = 32_000;

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
    fn the_two_sides_stay_apart() {
        for right in [false, true] {
            let mut enc = OpusEncoder::new(DEFAULT_BITRATE).unwrap();
            let mut dec = opus::Decoder::new(48_000, opus::Channels::Stereo).unwrap();
            let mut energy = [0.0f64; 2];
            for i in 0..100 {
                let block: Vec<f32> = (0..BLOCK_FRAMES * 2)
                    .map(|k| {
                        let n = (i * BLOCK_FRAMES + k / 2) as f32;
                        let s = (n * 0.03).sin() * 0.3 + (n * 0.11).sin() * 0.1;
                        if (k % 2 == 1) == right { s } else { 0.0 }
                    })
                    .collect();
                let packet = enc.encode(&block).unwrap();
                let mut out = vec![0f32; BLOCK_FRAMES * 2];
                dec.decode_float(&packet, &mut out, false).unwrap();
                if i > 10 {
                    for c in out.chunks(2) {
                        energy[0] += f64::from(c[0] * c[0]);
                        energy[1] += f64::from(c[1] * c[1]);
                    }
                }
            }
            let (talk, other) = if right {
                (energy[1], energy[0])
            } else {
                (energy[0], energy[1])
            };
            assert!(
                other < talk * 1e-4,
                "crosstalk {other} vs {talk} (right: {right})"
            );
        }
    }

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
        // One second at 32 kb/s ≈ 4000 bytes.
        assert!((1_000..8_000).contains(&bytes), "{bytes} bytes for 1 s");
        assert!(enc.encode(&[0.0; 10]).is_err());
        assert!(matches!(
            enc.codec_config(),
            CodecConfig::Opus { channels: 2, .. }
        ));
    }
}
