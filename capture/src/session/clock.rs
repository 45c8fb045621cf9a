//! The recording's one clock: milliseconds (or 48 kHz samples) from the timeline's 0, which
//! is when the recording first started. Every track stamps its samples with it; pauses and
//! stops are simply times at which nothing is stamped (gaps).

use std::time::{Duration, Instant};

/// Maps instants to the recording's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    origin: Instant,
    offset_ms: u64,
}

impl Timeline {
    /// A timeline at `offset_ms` now (0 for a new recording; the time since it first started
    /// for a capture run that continues it).
    pub fn starting_now(offset_ms: u64) -> Timeline {
        Timeline {
            origin: Instant::now(),
            offset_ms,
        }
    }

    /// A timeline whose `offset_ms` is at `origin` (tests).
    pub fn with_origin(origin: Instant, offset_ms: u64) -> Timeline {
        Timeline { origin, offset_ms }
    }

    /// Microseconds on the timeline at `at` (instants before the origin clamp to it).
    pub fn us_at(&self, at: Instant) -> u64 {
        self.offset_ms * 1000 + at.saturating_duration_since(self.origin).as_micros() as u64
    }

    /// Milliseconds on the timeline at `at`.
    pub fn ms_at(&self, at: Instant) -> u64 {
        self.us_at(at) / 1000
    }

    /// Milliseconds on the timeline now.
    pub fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// Position in `rate` units (e.g. 48 kHz samples) at `at`.
    pub fn units_at(&self, at: Instant, rate: u32) -> u64 {
        (u128::from(self.us_at(at)) * u128::from(rate) / 1_000_000) as u64
    }

    /// The instant at which the timeline reads `ms`.
    pub fn instant_of(&self, ms: u64) -> Instant {
        let since = ms.saturating_sub(self.offset_ms);
        self.origin + Duration::from_millis(since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_instants_with_an_offset() {
        let origin = Instant::now();
        let t = Timeline::with_origin(origin, 5_000);
        assert_eq!(t.ms_at(origin), 5_000);
        assert_eq!(t.ms_at(origin + Duration::from_millis(1_500)), 6_500);
        assert_eq!(
            t.units_at(origin + Duration::from_millis(1_000), 48_000),
            6 * 48_000
        );
        assert_eq!(t.instant_of(6_500), origin + Duration::from_millis(1_500));
        assert_eq!(t.ms_at(t.instant_of(9_000)), 9_000);
    }
}
