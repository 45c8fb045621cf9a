//! A CPU budget for encoding, shared by all of a session's encoders: a token bucket filled
//! at `cores` seconds of CPU per second. Encoders charge what each frame cost; while the
//! bucket is empty the screen loop captures nothing (changes stay pending), so a busy desktop
//! lowers the frame rate instead of taking the cores the softphone and CRM need. Pure: time
//! is an input.

use std::time::Duration;

/// The bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuBudget {
    cores: f64,
    capacity_s: f64,
    tokens_s: f64,
    last: Option<Duration>,
}

impl CpuBudget {
    /// `cores` of CPU on average (0 or less: unlimited), with bursts of up to
    /// `burst` seconds of CPU.
    pub fn new(cores: f64, burst: Duration) -> CpuBudget {
        CpuBudget {
            cores,
            capacity_s: burst.as_secs_f64(),
            tokens_s: burst.as_secs_f64(),
            last: None,
        }
    }

    fn refill(&mut self, now: Duration) {
        if let Some(last) = self.last {
            let dt = now.saturating_sub(last).as_secs_f64();
            self.tokens_s = (self.tokens_s + dt * self.cores).min(self.capacity_s);
        }
        self.last = Some(now);
    }

    /// Whether encoding may go on at `now` (time since any fixed origin).
    pub fn allows(&mut self, now: Duration) -> bool {
        if self.cores <= 0.0 {
            return true;
        }
        self.refill(now);
        self.tokens_s > 0.0
    }

    /// An encoder spent `cost` of CPU at `now`.
    pub fn charge(&mut self, now: Duration, cost: Duration) {
        if self.cores <= 0.0 {
            return;
        }
        self.refill(now);
        self.tokens_s -= cost.as_secs_f64();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unlimited_always_allows() {
        let mut b = CpuBudget::new(0.0, Duration::from_secs(1));
        b.charge(Duration::ZERO, Duration::from_secs(100));
        assert!(b.allows(Duration::ZERO));
    }

    proptest! {
        /// Whatever the encoders ask, the CPU granted over a long run stays within the
        /// budget plus the burst (and one frame of overshoot).
        #[test]
        fn long_run_cpu_stays_within_budget(
            costs_ms in proptest::collection::vec(10u64..300, 1..500),
            cores_tenths in 1u32..20,
        ) {
            let cores = f64::from(cores_tenths) / 10.0;
            let mut b = CpuBudget::new(cores, Duration::from_secs(2));
            let mut now = Duration::ZERO;
            let mut spent = 0.0;
            let mut max_cost: f64 = 0.0;
            for c in costs_ms {
                // Try every 50 ms until allowed.
                while !b.allows(now) {
                    now += Duration::from_millis(50);
                }
                let cost = Duration::from_millis(c);
                b.charge(now, cost);
                spent += cost.as_secs_f64();
                max_cost = max_cost.max(cost.as_secs_f64());
            }
            let elapsed = now.as_secs_f64();
            prop_assert!(spent <= elapsed * cores + 2.0 + max_cost + 1e-9, "{spent} in {elapsed} s");
        }
    }
}
