//! Aligns the two sides of the call on the timeline and interleaves them into stereo blocks.
//!
//! Positions are in samples at 48 kHz on the recording's timeline. Each side's chunks are
//! placed where their capture time says; consecutive chunks within [`JITTER_SAMPLES`] of the
//! expected position are taken as contiguous (timestamps jitter), a larger jump re-anchors
//! the side (device clock drift, dropped chunks). So a side never drifts more than the
//! jitter tolerance from the wall clock, which bounds A/V drift.

use std::collections::VecDeque;

use crate::source::AudioSide;

/// Frames per block: 20 ms at 48 kHz, one Opus frame.
pub const BLOCK_FRAMES: usize = 960;
/// Two chunk timestamps closer than this to contiguous are treated as contiguous (20 ms).
pub const JITTER_SAMPLES: u64 = 960;
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
}

impl Side {
    fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    fn push(&mut self, pts: u64, samples: &[f32]) {
        if !self.seen || self.buf.is_empty() && pts.abs_diff(self.end()) > JITTER_SAMPLES {
            self.start = pts;
            self.buf.clear();
            self.seen = true;
            self.buf.extend(samples);
            return;
        }
        let expected = self.end();
        if pts > expected + JITTER_SAMPLES {
            // A gap (lost chunks): fill it with silence.
            self.buf
                .extend(std::iter::repeat_n(0.0, (pts - expected) as usize));
            self.buf.extend(samples);
        } else if pts + JITTER_SAMPLES < expected {
            // Running ahead of the clock: drop what overlaps.
            let skip = ((expected - pts) as usize).min(samples.len());
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
    }
}
