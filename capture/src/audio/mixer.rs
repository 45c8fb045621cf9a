//! Aligns the two sides of the call on the timeline and interleaves them into stereo blocks.
//!
//! Positions are in samples at 48 kHz on the recording's timeline. Each side's chunks are
//! taken as contiguous (sample counting is exact, per-chunk timestamps jitter), while a
//! moving average of how far the chunks' capture times are from their counted positions
//! tracks the wall clock: once it exceeds [`JITTER_SAMPLES`] the side is shifted by it
//! (silence inserted or samples dropped). A jump beyond [`RESYNC_SAMPLES`] (lost chunks, a
//! device restart) re-anchors at once. So a side stays within ~20 ms of the wall clock
//! whatever the device's clock or the audio server's buffering do, which bounds A/V drift.

use std::collections::VecDeque;

use crate::source::AudioSide;

/// Frames per block: 20 ms at 48 kHz, one Opus frame.
pub const BLOCK_FRAMES: usize = 960;
/// The averaged clock error tolerated before a side is shifted (20 ms).
pub const JITTER_SAMPLES: u64 = 960;
/// A single chunk this far from its counted position re-anchors the side at once (200 ms).
pub const RESYNC_SAMPLES: u64 = 9_600;
/// How long a block waits for a late side before that side is filled with silence (150 ms).
pub const MAX_WAIT_SAMPLES: u64 = 7_200;

/// A stereo block: left = microphone, right = system.
#[derive(Debug, Clone, PartialEq)]
pub struct StereoBlock {
    /// Timeline position of the first frame, in 48 kHz samples.
    pub pts: u64,
    /// `2 × BLOCK_FRAMES` interleaved samples.
    pub samples: Vec<f32>,
}

#[derive(Debug, Default)]
struct Side {
    enabled: bool,
    /// Position of `buf[0]`.
    start: u64,
    buf: VecDeque<f32>,
    seen: bool,
    /// Moving average of (chunk time − counted position), in samples.
    error_avg: f64,
}

impl Side {
    fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    fn push(&mut self, pts: u64, samples: &[f32]) {
        let expected = self.end();
        let far = pts.abs_diff(expected) > RESYNC_SAMPLES;
        if !self.seen || (self.buf.is_empty() && far) {
            self.start = pts;
            self.buf.clear();
            self.seen = true;
            self.error_avg = 0.0;
            self.buf.extend(samples);
            return;
        }
        let shift = if far {
            pts as f64 - expected as f64
        } else {
            self.error_avg = self.error_avg * 0.9 + (pts as f64 - expected as f64) * 0.1;
            if self.error_avg.abs() > JITTER_SAMPLES as f64 {
                self.error_avg
            } else {
                0.0
            }
        };
        if shift != 0.0 {
            self.error_avg = 0.0;
        }
        if shift > 0.0 {
            // Behind the clock (lost chunks, slow device clock): insert silence.
            self.buf.extend(std::iter::repeat_n(0.0, shift as usize));
            self.buf.extend(samples);
        } else if shift < 0.0 {
            // Ahead of the clock: drop samples.
            let skip = (-shift as usize).min(samples.len());
            self.buf.extend(&samples[skip..]);
        } else {
            self.buf.extend(samples);
        }
    }

    /// Takes the block `[pos, pos + BLOCK_FRAMES)`, silence where there is no data.
    fn take(&mut self, pos: u64, out: &mut [f32; BLOCK_FRAMES]) {
        out.fill(0.0);
        // Drop what is before the block.
        while self.start < pos && !self.buf.is_empty() {
            self.buf.pop_front();
            self.start += 1;
        }
        if self.buf.is_empty() {
            self.start = self.start.max(pos + BLOCK_FRAMES as u64);
            return;
        }
        let offset = self.start.saturating_sub(pos) as usize;
        for slot in out.iter_mut().skip(offset) {
            match self.buf.pop_front() {
                Some(s) => {
                    *slot = s;
                    self.start += 1;
                }
                None => break,
            }
        }
    }
}

/// Merges the microphone and system sides into stereo blocks.
#[derive(Debug)]
pub struct StereoMixer {
    mic: Side,
    system: Side,
    next: Option<u64>,
}

impl StereoMixer {
    /// A mixer for the enabled sides (a disabled side is silence).
    pub fn new(microphone: bool, system: bool) -> StereoMixer {
        StereoMixer {
            mic: Side {
                enabled: microphone,
                ..Side::default()
            },
            system: Side {
                enabled: system,
                ..Side::default()
            },
            next: None,
        }
    }

    /// Forgets buffered audio (after a pause): the next block starts at the next chunk.
    pub fn reset(&mut self) {
        let (m, s) = (self.mic.enabled, self.system.enabled);
        *self = StereoMixer::new(m, s);
    }

    /// Whether every enabled side has delivered its samples up to `pos` (a side not heard
    /// from yet has not).
    pub fn has_all_before(&self, pos: u64) -> bool {
        [&self.mic, &self.system]
            .iter()
            .all(|s| !s.enabled || (s.seen && s.end() >= pos))
    }

    /// Adds a chunk of one side, whose first sample is at timeline position `pts`.
    pub fn push(&mut self, side: AudioSide, pts: u64, samples: &[f32]) {
        let target = match side {
            AudioSide::Microphone => &mut self.mic,
            AudioSide::System => &mut self.system,
        };
        if target.enabled {
            target.push(pts, samples);
        }
    }

    /// The blocks that are complete, or whose late side waited long enough, given that the
    /// timeline is now at `now` (samples).
    pub fn pop_ready(&mut self, now: u64) -> Vec<StereoBlock> {
        let mut blocks = Vec::new();
        let Some(mut pos) = self.next.or_else(|| {
            [&self.mic, &self.system]
                .iter()
                .filter(|s| s.enabled && s.seen && !s.buf.is_empty())
                .map(|s| s.start)
                .min()
        }) else {
            return blocks;
        };
        loop {
            let block_end = pos + BLOCK_FRAMES as u64;
            let timed_out = now >= block_end + MAX_WAIT_SAMPLES;
            let ready = |s: &Side| !s.enabled || s.end() >= block_end || timed_out;
            if !(ready(&self.mic) && ready(&self.system)) {
                break;
            }
            let no_data = [&self.mic, &self.system]
                .iter()
                .all(|s| !s.enabled || s.end() <= pos);
            if no_data && now < block_end + MAX_WAIT_SAMPLES {
                break;
            }
            let mut left = [0.0f32; BLOCK_FRAMES];
            let mut right = [0.0f32; BLOCK_FRAMES];
            if self.mic.enabled {
                self.mic.take(pos, &mut left);
            }
            if self.system.enabled {
                self.system.take(pos, &mut right);
            }
            let mut samples = Vec::with_capacity(BLOCK_FRAMES * 2);
            for (l, r) in left.iter().zip(right.iter()) {
                samples.push(*l);
                samples.push(*r);
            }
            blocks.push(StereoBlock { pts: pos, samples });
            pos = block_end;
            if blocks.len() > 500 {
                break;
            }
        }
        self.next = Some(pos);
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tone(n: usize, v: f32) -> Vec<f32> {
        vec![v; n]
    }

    #[test]
    fn sides_land_left_and_right() {
        let mut m = StereoMixer::new(true, true);
        m.push(AudioSide::Microphone, 48_000, &tone(960, 0.5));
        m.push(AudioSide::System, 48_000, &tone(960, -0.25));
        let blocks = m.pop_ready(48_960);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].pts, 48_000);
        assert!(blocks[0].samples.chunks(2).all(|p| p == [0.5, -0.25]));
    }

    #[test]
    fn a_silent_side_does_not_stall_the_other() {
        let mut m = StereoMixer::new(true, true);
        m.push(AudioSide::Microphone, 0, &tone(960 * 3, 0.5));
        assert!(m.pop_ready(960).is_empty(), "waits for the late side first");
        let blocks = m.pop_ready(960 * 3 + MAX_WAIT_SAMPLES);
        assert_eq!(blocks.len(), 3);
        assert!(
            blocks
                .iter()
                .all(|b| b.samples.chunks(2).all(|p| p == [0.5, 0.0]))
        );
    }

    #[test]
    fn a_side_starting_late_is_aligned_by_its_timestamp() {
        let mut m = StereoMixer::new(true, true);
        m.push(AudioSide::Microphone, 0, &tone(1920, 0.5));
        m.push(AudioSide::System, 960, &tone(960, 0.25));
        let blocks = m.pop_ready(1920);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].samples.chunks(2).all(|p| p == [0.5, 0.0]));
        assert!(blocks[1].samples.chunks(2).all(|p| p == [0.5, 0.25]));
    }

    proptest! {
        /// Whatever the jitter of chunk timestamps, blocks are contiguous and every block's
        /// position stays within the jitter tolerance of the wall-clock position.
        #[test]
        fn blocks_are_contiguous_and_track_the_clock(
            jitters in proptest::collection::vec(-400i64..400, 10..200),
            chunk in 200usize..2000,
        ) {
            let mut m = StereoMixer::new(true, false);
            let mut all = Vec::new();
            for (i, j) in jitters.iter().enumerate() {
                let ideal = 10_000 + (i * chunk) as u64;
                let pts = (ideal as i64 + j) as u64;
                m.push(AudioSide::Microphone, pts, &tone(chunk, 0.1));
                all.extend(m.pop_ready(ideal + chunk as u64));
            }
            for w in all.windows(2) {
                prop_assert_eq!(w[1].pts, w[0].pts + BLOCK_FRAMES as u64);
            }
            if let Some(first) = all.first() {
                prop_assert!(first.pts.abs_diff(10_000) <= 400);
            }
        }

        /// A device clock running fast or slow by up to 2 % never puts the audio more than
        /// ~25 ms off the wall clock, over a minute.
        #[test]
        fn clock_skew_is_corrected(skew_ppm in -20_000i64..20_000) {
            let mut m = StereoMixer::new(false, true);
            let mut worst = 0u64;
            let mut sample = 0u64;
            for i in 0..3_000u64 {
                // Wall clock position of chunk i; the device delivers 960 of its own samples.
                let wall = 48_000 + i * 960 * (1_000_000 + skew_ppm) as u64 / 1_000_000;
                m.push(AudioSide::System, wall, &(0..960).map(|k| (sample + k) as f32).collect::<Vec<_>>());
                sample += 960;
                for b in m.pop_ready(wall + 960 + MAX_WAIT_SAMPLES) {
                    // The block's first sample value is its device sample index; where it
                    // lands on the timeline vs. where the wall clock put it:
                    let idx = b.samples[1];
                    if idx > 0.0 {
                        let dev = idx as u64;
                        let true_pos = 48_000 + dev * (1_000_000 + skew_ppm) as u64 / 1_000_000;
                        worst = worst.max(b.pts.abs_diff(true_pos));
                    }
                }
            }
            prop_assert!(worst <= 1_200, "{} samples off", worst);
        }
    }
}
