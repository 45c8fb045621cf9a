//! Where media segments are cut on the recording's timeline, and unit conversions.
//!
//! Cuts fall on one grid (multiples of the segment length from the recording's start), so the
//! tracks' segments line up for HLS. A segment that would be shorter than half the length
//! (after a pause or a late start) is merged into the next one.
//!
//! Every segment starts with a keyframe, and on screens keyframes are what costs bytes (a
//! 1080p page of text is 50–200 KB as an AV1 keyframe, a clock tick 1 KB as an inter frame).
//! So a video segment is cut at a grid line only when a *large* change arrives (a new page:
//! it is nearly a keyframe's worth anyway) or when it reached [`SegmentRule::max_segment_ms`];
//! a monitor showing a ticking clock or someone typing gets one keyframe per minute, a busy
//! one a segment every ~10 s. Audio is cut at every grid line.

/// The first cut after a segment that starts at `start_ms`: the next grid line at least half
/// a segment away.
pub fn next_cut_ms(start_ms: u64, segment_ms: u64) -> u64 {
    let segment_ms = segment_ms.max(1);
    let mut cut = (start_ms / segment_ms + 1) * segment_ms;
    if cut - start_ms < segment_ms.div_ceil(2) {
        cut += segment_ms;
    }
    cut
}

/// When video segments are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRule {
    /// The grid (target segment length), ms.
    pub segment_ms: u64,
    /// Longest segment, ms (a grid multiple).
    pub max_segment_ms: u64,
}

impl SegmentRule {
    /// The grid line at which a segment that started at `start_ms` is closed even without a
    /// large change (its last frame is then re-encoded as the next segment's keyframe).
    pub fn forced_cut_ms(&self, start_ms: u64) -> u64 {
        let seg = self.segment_ms.max(1);
        let earliest = next_cut_ms(start_ms, seg);
        let by_max = (start_ms + self.max_segment_ms.max(seg)).div_ceil(seg) * seg;
        by_max.max(earliest)
    }

    /// Whether a new frame at `at_ms` starts a new segment (as its keyframe) when the open
    /// segment started at `start_ms`; `large` says whether the frame is a large change.
    pub fn frame_starts_segment(&self, start_ms: u64, at_ms: u64, large: bool) -> bool {
        at_ms >= next_cut_ms(start_ms, self.segment_ms)
            && (large || at_ms >= self.forced_cut_ms(start_ms))
    }
}

/// Milliseconds on the timeline → track units.
pub fn ms_to_units(ms: u64, timescale: u32) -> u64 {
    ms * u64::from(timescale) / 1000
}

/// Track units → milliseconds on the timeline (rounded down).
pub fn units_to_ms(units: u64, timescale: u32) -> u64 {
    units * 1000 / u64::from(timescale.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cuts_fall_on_the_grid() {
        assert_eq!(next_cut_ms(0, 10_000), 10_000);
        assert_eq!(next_cut_ms(10_000, 10_000), 20_000);
        assert_eq!(next_cut_ms(12_000, 10_000), 20_000);
        // 4 s before the grid line: too short, merged into the next segment.
        assert_eq!(next_cut_ms(16_000, 10_000), 30_000);
    }

    proptest! {
        #[test]
        fn segments_are_between_half_and_one_and_a_half_lengths(
            start in 0u64..10_000_000, seg in 1_000u64..60_000,
        ) {
            let cut = next_cut_ms(start, seg);
            prop_assert_eq!(cut % seg, 0);
            prop_assert!(cut - start >= seg.div_ceil(2));
            prop_assert!(cut - start <= seg + seg / 2);
        }

        #[test]
        fn forced_cuts_bound_segment_length(
            start in 0u64..10_000_000, seg in 1_000u64..20_000, max_mult in 1u64..10,
        ) {
            let rule = SegmentRule { segment_ms: seg, max_segment_ms: seg * max_mult };
            let forced = rule.forced_cut_ms(start);
            prop_assert_eq!(forced % seg, 0);
            prop_assert!(forced >= next_cut_ms(start, seg));
            prop_assert!(forced - start <= seg * max_mult + seg + seg / 2);
            // A small change never cuts before the forced line, a large one at the grid.
            prop_assert!(!rule.frame_starts_segment(start, forced - 1, false));
            prop_assert!(rule.frame_starts_segment(start, forced, false));
            let grid = next_cut_ms(start, seg);
            prop_assert!(rule.frame_starts_segment(start, grid, true));
            prop_assert!(!rule.frame_starts_segment(start, grid - 1, true));
        }

        #[test]
        fn unit_round_trip_loses_under_a_millisecond(ms in 0u64..100_000_000) {
            for ts in [1000u32, 48_000, 90_000] {
                prop_assert_eq!(units_to_ms(ms_to_units(ms, ts), ts), ms);
            }
        }
    }
}
