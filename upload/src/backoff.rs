//! Waiting between retries: exponential backoff with jitter, and the server's `Retry-After`.
//!
//! Pure: the caller supplies the random number, so tests are exact and agents that lost the
//! server together do not come back in lock-step (the jitter spreads them out).

use std::time::Duration;

/// The longest `Retry-After` honoured as given; a larger one is capped (a misconfigured
/// proxy must not park uploads for a day).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Backoff state across consecutive failures.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `base`, doubles per failure, never above `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max: max.max(base),
            failures: 0,
        }
    }

    /// A success: the next failure starts over at `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait after one more failure. `unit` is a random number in `0.0..1.0`.
    ///
    /// Without `retry_after`: "equal jitter", a uniform wait between half and all of
    /// `min(max, base·2ⁿ)`, so it never collapses to zero. With it: that wait exactly (capped
    /// at [`MAX_RETRY_AFTER`]) plus up to 10 % jitter — never sooner than the server asked.
    pub fn next_delay(&mut self, retry_after: Option<Duration>, unit: f64) -> Duration {
        let unit = unit.clamp(0.0, 1.0);
        let exp = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        match retry_after {
            Some(ra) => {
                let ra = ra.min(MAX_RETRY_AFTER);
                ra + ra.mul_f64(0.1 * unit)
            }
            None => {
                let ceiling = self.base.saturating_mul(1 << exp).min(self.max);
                ceiling.mul_f64(0.5 + 0.5 * unit)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn doubles_up_to_the_cap_and_never_drops_below_half() {
        let mut b = Backoff::new(Duration::from_millis(500), S(30));
        let lows: Vec<Duration> = (0..8).map(|_| b.next_delay(None, 0.0)).collect();
        assert_eq!(lows[0], Duration::from_millis(250));
        assert_eq!(lows[1], Duration::from_millis(500));
        assert_eq!(lows[6], S(15), "capped at 30 s, half of it at the low end");
        let mut b = Backoff::new(Duration::from_millis(500), S(30));
        assert_eq!(b.next_delay(None, 0.999_999).as_millis(), 499);
        assert_eq!(b.failures(), 1);
        b.reset();
        assert_eq!(b.failures(), 0);
    }

    #[test]
    fn retry_after_is_a_floor_with_a_little_jitter_and_a_cap() {
        let mut b = Backoff::new(Duration::from_millis(500), S(30));
        assert_eq!(b.next_delay(Some(S(5)), 0.0), S(5));
        assert_eq!(b.next_delay(Some(S(5)), 1.0), Duration::from_millis(5_500));
        assert_eq!(b.next_delay(Some(S(86_400)), 0.0), MAX_RETRY_AFTER);
        // Out-of-range randomness is clamped, not trusted.
        assert_eq!(b.next_delay(Some(S(10)), 7.0), S(11));
    }
}
