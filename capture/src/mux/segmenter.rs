//! Where media segments are cut on the recording's timeline, and unit conversions.
//!
//! Segments of every track are cut on one grid (multiples of the segment length from the
//! recording's start), so the tracks' segments line up for HLS. A segment that would be
//! shorter than half the length (after a pause or a late start) is merged into the next one.

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
        fn unit_round_trip_loses_under_a_millisecond(ms in 0u64..100_000_000) {
            for ts in [1000u32, 48_000, 90_000] {
                prop_assert_eq!(units_to_ms(ms_to_units(ms, ts), ts), ms);
            }
        }
    }
}
