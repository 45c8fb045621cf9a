//! Deterministic per-call sampling.
//!
//! The same call id must give the same decision on every agent, on every release and on the
//! server (so a supervisor can tell why a call has no recording). `std`'s hasher is randomly
//! seeded and may change between releases, so a fixed FNV-1a is used: a dozen lines, no
//! dependency, stable forever.

/// The call's bucket in `0..100`.
pub(crate) fn bucket(call_id: &str) -> u8 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = call_id
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    // The remainder of a division by 100 always fits in a u8.
    (hash % 100) as u8
}

/// Whether a call falls inside a sample of `percent` % of calls.
pub(crate) fn is_sampled(call_id: &str, percent: u8) -> bool {
    bucket(call_id) < percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values_never_change() {
        // Published FNV-1a 64 test vectors: a change here would re-sample every org's calls.
        assert_eq!(bucket(""), (0xcbf2_9ce4_8422_2325_u64 % 100) as u8);
        assert_eq!(bucket("a"), (0xaf63_dc4c_8601_ec8c_u64 % 100) as u8);
        assert_eq!(bucket("foobar"), (0x8594_4171_f739_67e8_u64 % 100) as u8);
    }

    #[test]
    fn sampling_rate_is_close_to_the_percentage() {
        let hits = (0..10_000)
            .filter(|i| is_sampled(&format!("call-{i}"), 30))
            .count();
        assert!(
            (2_800..=3_200).contains(&hits),
            "{hits} of 10000 sampled at 30 %"
        );
    }

    #[test]
    fn zero_and_hundred_percent_are_absolute() {
        for i in 0..1_000 {
            let id = format!("c{i}");
            assert!(!is_sampled(&id, 0));
            assert!(is_sampled(&id, 100));
        }
    }
}
