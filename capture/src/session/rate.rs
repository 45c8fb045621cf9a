//! When to capture a monitor: the change-driven, adaptive frame-rate rule (pure, time is an
//! input), shared by the session's screen loop and the benchmark.
//!
//! A monitor is captured only when it changed (damage). While its last change covered at
//! least `active_area_ppm` of its area it may be captured every tick (the policy's fps cap);
//! small changes (a clock, a caret, typing) are captured at most once per `idle_interval_ms`.
//! A change is never lost: it stays pending until captured.

/// The rule's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    /// The tick (1 / fps cap), in ms.
    pub tick_ms: u64,
    /// Minimum interval for small changes, in ms.
    pub idle_interval_ms: u64,
    /// Share of the area (parts per million) from which a change counts as large.
    pub active_area_ppm: u64,
}

/// One monitor's state under the rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorRate {
    /// Changed pixels not captured yet.
    pub pending_px: u64,
    /// Large changes were seen until this time.
    active_until_ms: Option<u64>,
    last_capture_ms: Option<u64>,
    /// Capture at the next tick whatever happened (start, resume).
    pub force: bool,
}

impl MonitorRate {
    /// A monitor to be captured at the next tick.
    pub fn new() -> MonitorRate {
        MonitorRate {
            force: true,
            ..MonitorRate::default()
        }
    }

    /// Records damage of `pixels` on a monitor of `area` pixels at `now_ms`.
    pub fn damaged(&mut self, rule: &RateRule, pixels: u64, area: u64, now_ms: u64) {
        self.pending_px += pixels;
        if pixels * 1_000_000 >= area.max(1) * rule.active_area_ppm {
            self.active_until_ms = Some(now_ms + rule.idle_interval_ms);
        }
    }

    /// Whether to capture at `now_ms`.
    pub fn due(&self, rule: &RateRule, now_ms: u64) -> bool {
        if self.pending_px == 0 && !self.force {
            return false;
        }
        let active = self.active_until_ms.is_some_and(|u| now_ms < u);
        let interval = if active || self.force {
            rule.tick_ms
        } else {
            rule.idle_interval_ms
        };
        // 5 ms slack: ticks jitter.
        self.last_capture_ms
            .is_none_or(|last| now_ms + 5 >= last + interval)
    }

    /// Whether the pending change is large (a new page rather than a clock tick).
    pub fn is_large(&self, rule: &RateRule, area: u64) -> bool {
        self.force || self.pending_px * 1_000_000 >= area.max(1) * rule.active_area_ppm
    }

    /// The frame captured at `now_ms` was handed to the encoder.
    pub fn captured(&mut self, now_ms: u64) {
        self.pending_px = 0;
        self.force = false;
        self.last_capture_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULE: RateRule = RateRule {
        tick_ms: 200,
        idle_interval_ms: 1_000,
        active_area_ppm: 10_000,
    };
    const AREA: u64 = 1920 * 1080;

    #[test]
    fn static_monitor_is_captured_once() {
        let mut m = MonitorRate::new();
        let mut captures = 0;
        for t in (0..10_000).step_by(200) {
            if m.due(&RULE, t) {
                m.captured(t);
                captures += 1;
            }
        }
        assert_eq!(captures, 1);
    }

    #[test]
    fn large_changes_run_at_the_cap_small_ones_at_the_idle_rate() {
        let run = |px: u64| {
            let mut m = MonitorRate::new();
            let mut captures = 0;
            for t in (0..10_000).step_by(200) {
                m.damaged(&RULE, px, AREA, t);
                if m.due(&RULE, t) {
                    m.captured(t);
                    captures += 1;
                }
            }
            captures
        };
        assert_eq!(run(AREA / 2), 50, "5 fps for big changes");
        assert_eq!(run(8 * 16), 10, "1 fps for a clock");
    }

    proptest! {
        /// Whatever the damage pattern, captures never come faster than the tick, and a
        /// change is captured within the idle interval (plus a tick).
        #[test]
        fn never_faster_than_the_cap_and_never_loses_a_change(
            damage in proptest::collection::vec(proptest::option::of(1u64..3_000_000), 1..200),
        ) {
            let mut m = MonitorRate::new();
            let mut last: Option<u64> = None;
            let mut oldest_pending: Option<u64> = None;
            for (i, d) in damage.iter().enumerate() {
                let t = i as u64 * 200;
                if let Some(px) = d {
                    m.damaged(&RULE, *px, AREA, t);
                    oldest_pending.get_or_insert(t);
                }
                if m.due(&RULE, t) {
                    if let Some(l) = last { prop_assert!(t - l >= 200); }
                    m.captured(t);
                    last = Some(t);
                    oldest_pending = None;
                }
                if let Some(p) = oldest_pending {
                    prop_assert!(t - p <= 1_200, "pending since {p} at {t}");
                }
            }
        }
    }
}
