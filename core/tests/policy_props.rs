//! Property tests of the policy parser: valid policies round-trip, arbitrary JSON never
//! panics, and an out-of-range number is always blamed on the field that holds it.

use agentrec_core::policy::{CallScope, Resolution};
use agentrec_core::{Policy, RecordingMode, StartTrigger};
use proptest::prelude::*;
use serde_json::{Value, json};

fn arb_valid_policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(RecordingMode::ALL.to_vec()),
        prop::sample::select(vec![
            StartTrigger::Manual,
            StartTrigger::Prompt,
            StartTrigger::AutoFirstParticipant,
            StartTrigger::AutoSecondParticipant,
        ]),
        (
            1u8..=4,
            1u8..=30,
            prop::option::of((80u32..=3840, 80u32..=2160)),
        ),
        (any::<bool>(), prop::option::of(1u32..=3600)),
        (2u32..=259_200, 0u32..=259_200),
        (0u8..=100, prop::collection::vec("[a-z]{1,8}", 0..3)),
        (
            prop::option::of(1u32..=36_500),
            prop::option::of(1u32..=36_500),
        ),
        (any::<bool>(), any::<u64>(), any::<bool>()),
    )
        .prop_map(
            |(
                mode,
                trigger,
                (monitors, fps, res),
                (wrapup, cap),
                (max, host_left),
                (pct, queues),
                (live_days, other_days),
                (acd, version, view_own),
            )| {
                let mut p = Policy {
                    mode,
                    start_trigger: trigger,
                    version,
                    ..Policy::default()
                };
                p.capture.max_monitors = monitors;
                p.capture.fps_cap = fps;
                p.capture.max_resolution = res.map(|(w, h)| Resolution {
                    width: w * 2,
                    height: h * 2,
                });
                p.capture.include_wrapup = wrapup;
                p.capture.wrapup_cap_secs = cap.filter(|_| wrapup);
                p.limits.max_recording_secs = max;
                p.limits.host_left_timeout_secs = host_left;
                p.limits.min_recording_secs = max / 2;
                p.scope.sample_percent = pct;
                p.scope.queues = queues;
                p.scope.calls = if acd {
                    CallScope::AcdOnly
                } else {
                    CallScope::All
                };
                p.retention.live_days = live_days;
                p.retention.other_days = other_days;
                p.access.agents_view_own = view_own;
                p
            },
        )
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "mode",
                    "capture",
                    "max_monitors",
                    "limits",
                    "scope",
                    "consent",
                    "text",
                    "fps_cap",
                    "audio",
                    "queues",
                    "version",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Numeric fields and their valid ranges.
const NUMERIC_FIELDS: &[(&str, &str, i64, i64)] = &[
    ("capture", "max_monitors", 1, 4),
    ("capture", "fps_cap", 1, 30),
    ("scope", "sample_percent", 0, 100),
    ("limits", "max_recording_secs", 1, 259_200),
    ("limits", "host_left_timeout_secs", 0, 259_200),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_048, ..ProptestConfig::default() })]

    #[test]
    fn valid_policies_round_trip(policy in arb_valid_policy()) {
        prop_assert_eq!(policy.validate(), Ok(()));
        let json = serde_json::to_string(&policy).unwrap();
        prop_assert_eq!(Policy::from_json(&json).unwrap(), policy);
    }

    #[test]
    fn arbitrary_json_never_panics_and_errors_name_a_field(value in arb_json()) {
        let text = value.to_string();
        match Policy::from_json(&text) {
            Ok(p) => prop_assert_eq!(p.validate(), Ok(())),
            Err(e) => prop_assert!(!e.field().is_empty(), "{e}"),
        }
    }

    #[test]
    fn out_of_range_numbers_are_blamed_on_their_field(idx in 0..NUMERIC_FIELDS.len(), n in prop_oneof![-5i64..300, -1_000_000i64..1_000_000]) {
        let (section, field, lo, hi) = NUMERIC_FIELDS[idx];
        // Keep min below max so only the field under test can be wrong.
        let mut doc = json!({ "limits": { "min_recording_secs": 0 } });
        doc[section][field] = json!(n);
        let result = Policy::from_json(&doc.to_string());
        if (lo..=hi).contains(&n) {
            prop_assert!(result.is_ok(), "{section}.{field} = {n}: {result:?}");
        } else {
            let err = result.unwrap_err();
            prop_assert_eq!(err.field(), format!("{section}.{field}"), "{}", err);
        }
    }
}
