//! Property tests of the Recorder's invariants over random policies and random sequences of
//! timed inputs. A shadow model follows the commands alone (what the shell would see) and
//! checks them against the Recorder's own account.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use agentrec_core::call::Answered;
use agentrec_core::recorder::{Command, Notice, RecordingStatus, Source};
use agentrec_core::{
    Action, CallEvent, CallKind, Direction, Input, ParticipantEvent, ParticipantRole, Policy,
    Recorder, RecordingId, RecordingMode, StartTrigger,
};
use proptest::prelude::*;

const CASES: u32 = 4_096;

fn arb_policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(RecordingMode::ALL.to_vec()),
        prop::sample::select(vec![
            StartTrigger::Manual,
            StartTrigger::Prompt,
            StartTrigger::AutoFirstParticipant,
            StartTrigger::AutoSecondParticipant,
        ]),
        any::<bool>(),
        prop::option::of(1u32..40),
        1u8..=4,
        (5u32..120, 0u32..60, 0u32..5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                mode,
                trigger,
                include_wrapup,
                cap,
                monitors,
                (max, host_left, min),
                acd_only,
                consent,
            )| {
                let mut p = Policy {
                    mode,
                    start_trigger: trigger,
                    ..Policy::default()
                };
                p.capture.include_wrapup = include_wrapup;
                p.capture.wrapup_cap_secs = cap.filter(|_| include_wrapup);
                p.capture.max_monitors = monitors;
                p.limits.max_recording_secs = max;
                p.limits.host_left_timeout_secs = host_left;
                p.limits.min_recording_secs = min;
                p.consent.notice_required = consent;
                if !acd_only {
                    p.scope.calls = agentrec_core::policy::CallScope::All;
                }
                p
            },
        )
}

fn arb_input() -> impl Strategy<Value = Input> {
    let call = prop::sample::select(vec!["c1", "c2"]);
    let who = prop::sample::select(vec!["p1", "p2", "p3"]);
    let monitor = prop::sample::select(vec!["M0", "M1", "M2", "M3", "M4"]);
    prop_oneof![
        3 => (call.clone(), any::<bool>(), any::<bool>()).prop_map(|(c, live, acd)| {
            Input::Call(CallEvent::Answered(Answered {
                call_id: c.into(),
                kind: if live { CallKind::Live } else { CallKind::Voice },
                acd,
                queue: None,
                direction: Direction::Inbound,
            }))
        }),
        1 => call.clone().prop_map(|c| Input::Call(CallEvent::Held { call_id: c.into() })),
        1 => call.clone().prop_map(|c| Input::Call(CallEvent::Resumed { call_id: c.into() })),
        1 => call.clone().prop_map(|c| Input::Call(CallEvent::Transferred { call_id: c.into(), to_agent: None })),
        2 => (call.clone(), any::<bool>()).prop_map(|(c, w)| Input::Call(CallEvent::Ended { call_id: c.into(), wrapup: w })),
        2 => call.clone().prop_map(|c| Input::Call(CallEvent::WrapUpCompleted { call_id: c.into() })),
        3 => (call.clone(), who.clone(), any::<bool>()).prop_map(|(c, p, host)| {
            Input::Participant(ParticipantEvent::Joined {
                call_id: c.into(),
                participant: p.into(),
                role: if host { ParticipantRole::Host } else { ParticipantRole::Guest },
            })
        }),
        2 => (call, who).prop_map(|(c, p)| Input::Participant(ParticipantEvent::Left { call_id: c.into(), participant: p.into() })),
        8 => prop::sample::select(Action::ALL.to_vec()).prop_map(|action| Input::User { action }),
        2 => arb_policy().prop_map(|p| Input::PolicyUpdated(Box::new(p))),
        3 => Just(Input::TimerFired),
        1 => prop::sample::select(vec![Source::Microphone, Source::System, Source::Monitor("M0".into())])
            .prop_map(|source| Input::CaptureFailed { source, error: "gone".into() }),
        1 => prop::sample::select(vec![Source::Microphone, Source::System, Source::Monitor("M0".into())])
            .prop_map(|source| Input::CaptureRecovered { source }),
        1 => monitor.clone().prop_map(|m| Input::MonitorAdded { monitor: m.into() }),
        1 => monitor.prop_map(|m| Input::MonitorRemoved { monitor: m.into() }),
        1 => Just(Input::Shutdown),
    ]
}

/// Time steps in ms: mostly short, sometimes long enough to hit limits and time-outs.
fn arb_dt() -> impl Strategy<Value = u64> {
    prop_oneof![6 => 0u64..3_000, 2 => 0u64..40_000, 1 => 0u64..200_000]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cap {
    Running { since_ms: u64 },
    Paused,
    Stopped,
}

#[derive(Debug)]
struct Shadow {
    capture: Cap,
    captured_ms: u64,
    mode: RecordingMode,
    ended: u32,
    monitors: Vec<String>,
    max_monitors: usize,
    min_ms: u64,
}

/// Follows the commands of one step and checks them against what came before.
fn follow(
    shadows: &mut BTreeMap<RecordingId, Shadow>,
    commands: &[Command],
    now_ms: u64,
    call_policy: &Policy,
) -> Result<(), TestCaseError> {
    let mode_of_call = call_policy.mode;
    let max_monitors = usize::from(call_policy.capture.max_monitors);
    let min_ms = u64::from(call_policy.limits.min_recording_secs) * 1000;
    for (i, c) in commands.iter().enumerate() {
        match c {
            Command::StartCapture {
                recording,
                monitors,
                settings,
                ..
            } => {
                prop_assert!(monitors.len() <= usize::from(settings.max_monitors));
                let names = monitors.iter().map(|m| m.0.clone()).collect();
                match shadows.get_mut(recording) {
                    None => {
                        shadows.insert(
                            *recording,
                            Shadow {
                                capture: Cap::Running { since_ms: now_ms },
                                captured_ms: 0,
                                mode: mode_of_call,
                                ended: 0,
                                monitors: names,
                                max_monitors,
                                min_ms,
                            },
                        );
                    }
                    Some(s) => {
                        prop_assert_eq!(s.capture, Cap::Stopped, "restart only after a stop");
                        prop_assert_eq!(s.mode, RecordingMode::OnDemandUis, "only UIS restarts");
                        prop_assert_eq!(s.ended, 0);
                        s.capture = Cap::Running { since_ms: now_ms };
                        s.monitors = names;
                    }
                }
            }
            Command::PauseCapture { recording } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("pause of unknown recording"))?;
                prop_assert!(s.mode != RecordingMode::AlwaysOn, "Always on never pauses");
                let Cap::Running { since_ms } = s.capture else {
                    return Err(TestCaseError::fail("pause while not running"));
                };
                s.captured_ms += now_ms - since_ms;
                s.capture = Cap::Paused;
            }
            Command::ResumeCapture { recording } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("resume of unknown recording"))?;
                prop_assert_eq!(s.capture, Cap::Paused, "resume only after pause");
                s.capture = Cap::Running { since_ms: now_ms };
            }
            Command::StopCapture { recording } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("stop of unknown recording"))?;
                let is_user_stop = commands[i..]
                    .iter()
                    .any(|c| matches!(c, Command::Notify(Notice::Stopped)));
                if is_user_stop {
                    prop_assert_eq!(s.mode, RecordingMode::OnDemandUis, "only UIS stops by hand");
                }
                match s.capture {
                    Cap::Running { since_ms } => s.captured_ms += now_ms - since_ms,
                    Cap::Paused => {}
                    Cap::Stopped => return Err(TestCaseError::fail("stop while stopped")),
                }
                s.capture = Cap::Stopped;
            }
            Command::AddMonitor { recording, monitor } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("unknown recording"))?;
                prop_assert!(s.capture != Cap::Stopped);
                prop_assert!(!s.monitors.contains(&monitor.0), "monitor added twice");
                s.monitors.push(monitor.0.clone());
                prop_assert!(s.monitors.len() <= s.max_monitors, "monitor cap exceeded");
            }
            Command::RemoveMonitor { recording, monitor } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("unknown recording"))?;
                prop_assert!(
                    s.monitors.contains(&monitor.0),
                    "removing a monitor not captured"
                );
                s.monitors.retain(|m| *m != monitor.0);
            }
            Command::FinalizeRecording(f) => {
                let s = shadows
                    .get_mut(&f.recording)
                    .ok_or_else(|| TestCaseError::fail("finalize of unknown recording"))?;
                prop_assert_eq!(s.capture, Cap::Stopped, "capture stopped before finalize");
                s.ended += 1;
                prop_assert_eq!(s.ended, 1, "finalized or discarded exactly once");
                prop_assert_eq!(
                    f.recorded_ms,
                    s.captured_ms,
                    "recorded time = time spent capturing"
                );
                prop_assert!(
                    f.recorded_ms >= s.min_ms,
                    "kept a recording shorter than the minimum"
                );
                prop_assert!(f.recorded_ms <= f.duration_ms);
                let sorted = f
                    .timeline
                    .windows(2)
                    .all(|w| w[0].offset_ms <= w[1].offset_ms);
                prop_assert!(sorted, "timeline in order: {:?}", f.timeline);
            }
            Command::DiscardRecording { recording, .. } => {
                let s = shadows
                    .get_mut(recording)
                    .ok_or_else(|| TestCaseError::fail("discard of unknown recording"))?;
                prop_assert_eq!(s.capture, Cap::Stopped);
                prop_assert!(
                    s.captured_ms < s.min_ms,
                    "discarded a recording long enough to keep"
                );
                s.ended += 1;
                prop_assert_eq!(s.ended, 1, "finalized or discarded exactly once");
            }
            Command::Timeline { recording, .. } => {
                let s = shadows
                    .get(recording)
                    .ok_or_else(|| TestCaseError::fail("marker of unknown recording"))?;
                prop_assert_eq!(s.ended, 0, "no marker after the end");
            }
            _ => {}
        }
    }
    Ok(())
}

fn snapshot_without_time(r: &Recorder) -> agentrec_core::Snapshot {
    let mut s = r.state();
    s.recorded_ms = 0;
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, max_shrink_iters: 20_000, ..ProptestConfig::default() })]

    /// Every invariant, over random policies and input sequences.
    #[test]
    fn invariants_hold(policy in arb_policy(), steps in prop::collection::vec((arb_dt(), arb_input()), 1..80)) {
        let t0 = Instant::now();
        let mut recorder = Recorder::new(policy.clone(), 1);
        let mut shadows: BTreeMap<RecordingId, Shadow> = BTreeMap::new();
        let mut now_ms = 0u64;
        // The policy the current call got at answer, as the test sees it.
        let mut next_policy = policy;
        let mut call_policy = next_policy.clone();
        let mut started: Vec<RecordingId> = Vec::new();

        for (dt, input) in steps {
            now_ms += dt;
            let now = t0 + Duration::from_millis(now_ms);

            // Fire due time-outs at their own instants, as the shell does, so that a refused
            // action below can be compared like for like.
            while let Some(deadline) = recorder.poll_timeout().filter(|t| *t <= now) {
                let at_ms = u64::try_from((deadline - t0).as_millis()).unwrap();
                let fired = recorder.handle(Input::TimerFired, deadline);
                follow(&mut shadows, &fired, at_ms, &call_policy)?;
            }
            let before = snapshot_without_time(&recorder);
            let allowed_before = recorder.allowed();

            if let Input::PolicyUpdated(p) = &input
                && p.version >= next_policy.version
            {
                next_policy = (**p).clone();
            }
            let is_answer_of_new_call = matches!(&input, Input::Call(CallEvent::Answered(a))
                if before.call.as_ref().map(|c| &c.call_id) != Some(&a.call_id));
            let user_action = match &input { Input::User { action } => Some(*action), _ => None };
            let policy_mid_call = matches!(input, Input::PolicyUpdated(_)) && before.call.is_some();

            let commands = recorder.handle(input, now);
            // A new call's answer first ends the previous call (its policy), then may start the
            // new one (the pending policy): split the commands there.
            let split = commands.iter().position(|c| matches!(c, Command::FinalizeRecording(_) | Command::DiscardRecording { .. })).map_or(0, |i| i + 1);
            let (old_part, new_part) = if is_answer_of_new_call { commands.split_at(split) } else { commands.split_at(commands.len()) };
            follow(&mut shadows, old_part, now_ms, &call_policy)?;
            if is_answer_of_new_call {
                call_policy = next_policy.clone();
            }
            follow(&mut shadows, new_part, now_ms, &call_policy)?;
            for c in &commands {
                if let Command::StartCapture { recording, .. } = c
                    && !started.contains(recording)
                {
                    started.push(*recording);
                }
            }

            let after = recorder.state();
            // Refusals change nothing, and happen exactly for the actions not offered.
            if let Some(action) = user_action {
                let refused = commands.iter().any(|c| matches!(c, Command::Refused { .. }));
                prop_assert_eq!(refused, !allowed_before.contains(action), "offered {:?}, asked {:?}", allowed_before, action);
                if refused {
                    prop_assert_eq!(commands.len(), 1);
                    prop_assert_eq!(snapshot_without_time(&recorder), before.clone());
                }
            }
            // The call keeps the policy it started with.
            if policy_mid_call {
                prop_assert_eq!(after.mode, before.mode);
            }
            // No capture outside a call, and the state agrees with the commands.
            let capturing_by_commands = shadows.values().filter(|s| matches!(s.capture, Cap::Running { .. })).count();
            prop_assert!(capturing_by_commands <= 1, "one recording at a time");
            prop_assert_eq!(after.status == RecordingStatus::Recording, capturing_by_commands == 1);
            if after.status != RecordingStatus::Idle {
                prop_assert!(after.call.is_some());
            } else {
                prop_assert!(after.call.is_none());
                prop_assert!(after.allowed.is_empty());
            }
            // Mode rules on what is offered.
            let offered = after.allowed;
            match after.mode {
                RecordingMode::AlwaysOn => prop_assert!(!offered.contains(Action::Pause) && !offered.contains(Action::Resume) && !offered.contains(Action::Stop)),
                RecordingMode::PauseResume | RecordingMode::OnDemand => prop_assert!(!offered.contains(Action::Stop)),
                RecordingMode::OnDemandUis => {}
            }
            if after.mode == RecordingMode::AlwaysOn {
                prop_assert!(after.status != RecordingStatus::Paused && after.status != RecordingStatus::Stopped);
            }
            if after.mode != RecordingMode::OnDemandUis {
                prop_assert!(after.status != RecordingStatus::Stopped, "only UIS stops");
            }
            // Within the length limit.
            prop_assert!(after.recorded_ms <= u64::from(call_policy.limits.max_recording_secs) * 1000);
        }

        // However the sequence ended, a shutdown closes everything exactly once.
        now_ms += 1;
        if let Some(deadline) = recorder.poll_timeout().filter(|t| *t <= t0 + Duration::from_millis(now_ms)) {
            let at_ms = u64::try_from((deadline - t0).as_millis()).unwrap();
            let fired = recorder.handle(Input::TimerFired, deadline);
            follow(&mut shadows, &fired, at_ms, &call_policy)?;
        }
        let out = recorder.handle(Input::Shutdown, t0 + Duration::from_millis(now_ms));
        follow(&mut shadows, &out, now_ms, &call_policy)?;
        prop_assert_eq!(recorder.state().status, RecordingStatus::Idle);
        prop_assert_eq!(recorder.poll_timeout(), None);
        for id in started {
            prop_assert_eq!(shadows[&id].ended, 1, "recording {} not finalized or discarded exactly once", id);
        }
    }

    /// The deadline the Recorder announces is when it acts: not earlier, not later.
    #[test]
    fn timeouts_fire_exactly_at_poll_timeout(policy in arb_policy(), steps in prop::collection::vec((arb_dt(), arb_input()), 1..40)) {
        let t0 = Instant::now();
        let mut recorder = Recorder::new(policy, 2);
        let mut now = t0;
        for (dt, input) in steps {
            let next = now + Duration::from_millis(dt);
            if let Some(deadline) = recorder.poll_timeout().filter(|d| *d <= next) {
                let just_before = deadline.checked_sub(Duration::from_millis(1)).filter(|t| *t >= now);
                if let Some(t) = just_before {
                    let state = snapshot_without_time(&recorder);
                    prop_assert!(recorder.handle(Input::TimerFired, t).is_empty(), "acted before its deadline");
                    prop_assert_eq!(snapshot_without_time(&recorder), state);
                }
                let state = snapshot_without_time(&recorder);
                let fired = recorder.handle(Input::TimerFired, deadline);
                prop_assert!(!fired.is_empty() || snapshot_without_time(&recorder) != state, "a deadline passed without effect");
                prop_assert!(recorder.poll_timeout().is_none_or(|t| t > deadline));
            }
            recorder.handle(input, next);
            now = next;
        }
    }
}
