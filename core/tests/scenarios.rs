//! Scenarios across modes: wrap-up and its cap, transfers, limits, host-left time-out, scope,
//! policy changes mid-call, capture faults, monitors coming and going, missed events.

mod support;

use agentrec_core::recorder::{
    Command, DiscardReason, EndReason, Outcome, RecordingStatus, Source,
};
use agentrec_core::{
    Action, CallKind, Input, ParticipantRole, Policy, RecordingMode, StartTrigger,
};
use pretty_assertions::assert_eq;
use support::*;

fn policy(f: impl FnOnce(&mut Policy)) -> Policy {
    let mut p = Policy::default();
    f(&mut p);
    p.validate().expect("test policies are valid");
    p
}

#[test]
fn without_wrapup_the_recording_ends_with_the_call() {
    let mut sim = Sim::new(policy(|p| p.capture.include_wrapup = false));
    sim.step(0, answer("c1"));
    let out = sim.step(30_000, ended("c1", true));
    assert_eq!(out.last().unwrap(), "finalize(complete,call_ended,30000ms)");
    assert_eq!(sim.recorder.state().status, RecordingStatus::Idle);
    assert_eq!(sim.step(35_000, wrapup_done("c1")), Vec::<String>::new());
}

#[test]
fn a_call_ending_without_wrapup_ends_the_recording_even_when_wrapup_is_included() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    let out = sim.step(30_000, ended("c1", false));
    assert_eq!(out.last().unwrap(), "finalize(complete,call_ended,30000ms)");
}

#[test]
fn wrapup_cap_ends_the_recording_but_not_the_call() {
    let mut sim = Sim::new(policy(|p| p.capture.wrapup_cap_secs = Some(5)));
    sim.step(0, answer("c1"));
    sim.step(20_000, ended("c1", true));
    assert_eq!(sim.timeout_ms(), Some(25_000));
    let out = sim.step(25_000, Input::TimerFired);
    assert_eq!(
        out,
        v(&[
            "stop_capture",
            "indicator(hidden)",
            "notify(ended:wrap_up_cap_reached)",
            "finalize(complete,wrap_up_cap_reached,25000ms)"
        ])
    );
    assert_eq!(sim.recorder.state().status, RecordingStatus::Ended);
    assert_eq!(sim.timeout_ms(), None);
    assert_eq!(sim.step(40_000, wrapup_done("c1")), Vec::<String>::new());
    assert_eq!(sim.recorder.state().status, RecordingStatus::Idle);
}

#[test]
fn a_late_timer_still_ends_the_recording_at_the_deadline() {
    let mut sim = Sim::new(policy(|p| p.capture.wrapup_cap_secs = Some(5)));
    sim.step(0, answer("c1"));
    sim.step(20_000, ended("c1", true));
    // The shell was busy and feeds the next input much later, without TimerFired.
    let out = sim.step(90_000, wrapup_done("c1"));
    assert_eq!(
        out.iter().find(|c| c.starts_with("finalize")).unwrap(),
        "finalize(complete,wrap_up_cap_reached,25000ms)"
    );
}

#[test]
fn transfer_ends_this_agents_part() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    let out = sim.step(12_000, transferred("c1"));
    assert_eq!(
        out,
        v(&[
            "stop_capture",
            "indicator(hidden)",
            "notify(ended:transferred)",
            "finalize(complete,transferred,12000ms)"
        ])
    );
    assert_eq!(sim.recorder.state().status, RecordingStatus::Idle);
    // The call's later events reach this agent's app too; they change nothing here.
    assert!(sim.step(20_000, ended("c1", true)).is_empty());
    assert!(sim.step(25_000, wrapup_done("c1")).is_empty());
    let timeline = &sim.finalized()[0].timeline;
    assert!(timeline.iter().any(|e| matches!(
        &e.kind,
        agentrec_core::recorder::TimelineKind::Transferred { to_agent: Some(a) } if a == "agent-2"
    )));
}

#[test]
fn recordings_shorter_than_the_minimum_are_discarded() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    let out = sim.feed(2_999, ended("c1", false));
    assert!(out.iter().any(|c| matches!(
        c,
        Command::DiscardRecording {
            reason: DiscardReason::TooShort {
                recorded_ms: 2_999,
                min_ms: 3_000
            },
            ..
        }
    )));
    assert!(sim.finalized().is_empty());

    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c2"));
    let out = sim.step(3_000, ended("c2", false));
    assert_eq!(out.last().unwrap(), "finalize(complete,call_ended,3000ms)");
}

#[test]
fn minimum_length_counts_captured_time_not_wall_time() {
    let mut sim = Sim::new(policy(|p| p.mode = RecordingMode::PauseResume));
    sim.step(0, answer("c1"));
    sim.step(1_000, user(Action::Pause));
    let out = sim.step(60_000, ended("c1", false));
    assert!(out.contains(&"discard".to_owned()), "{out:?}");
}

#[test]
fn max_length_ends_the_recording_as_partial_and_pauses_do_not_count() {
    let mut sim = Sim::new(policy(|p| {
        p.mode = RecordingMode::PauseResume;
        p.limits.max_recording_secs = 60;
    }));
    sim.step(0, answer("c1"));
    assert_eq!(sim.timeout_ms(), Some(60_000));
    sim.step(30_000, user(Action::Pause));
    assert_eq!(sim.timeout_ms(), None, "no limit runs while paused");
    sim.step(50_000, user(Action::Resume));
    assert_eq!(sim.timeout_ms(), Some(80_000));
    let out = sim.step(80_000, Input::TimerFired);
    assert_eq!(
        out,
        v(&[
            "stop_capture",
            "indicator(hidden)",
            "notify(ended:max_length_reached)",
            "finalize(partial,max_length_reached,60000ms)"
        ])
    );
    assert_eq!(sim.recorder.state().status, RecordingStatus::Ended);
    assert_eq!(
        sim.step(81_000, user(Action::Pause)),
        v(&["refused(pause,recording_ended)"])
    );
    // The call goes on to its end without a second recording.
    assert!(sim.step(90_000, ended("c1", true)).is_empty());
    assert!(sim.step(95_000, wrapup_done("c1")).is_empty());
}

#[test]
fn calls_outside_the_scope_are_not_recorded_and_offer_nothing() {
    let mut sim = Sim::new(policy(|p| p.mode = RecordingMode::OnDemandUis));
    sim.step(0, answered("c1", CallKind::Voice, false, None));
    let state = sim.recorder.state();
    assert_eq!(
        state.status,
        RecordingStatus::NotRecorded {
            reason: agentrec_core::recorder::NotRecordedReason::NotAcd
        }
    );
    assert!(state.allowed.is_empty());
    assert_eq!(
        sim.step(1_000, user(Action::Start)),
        v(&["refused(start,not_recorded_by_policy)"])
    );
    assert!(sim.step(5_000, ended("c1", false)).is_empty());
    assert!(
        sim.log
            .iter()
            .all(|c| !matches!(c, Command::StartCapture { .. }))
    );
}

#[test]
fn queue_allow_list_and_disabled_policy() {
    let mut sim = Sim::new(policy(|p| p.scope.queues = vec!["billing".into()]));
    sim.step(0, answered("c1", CallKind::Voice, true, Some("sales")));
    assert!(matches!(
        sim.recorder.state().status,
        RecordingStatus::NotRecorded { .. }
    ));
    sim.step(1_000, ended("c1", false));
    sim.step(
        2_000,
        answered("c2", CallKind::Voice, true, Some("billing")),
    );
    assert_eq!(sim.recorder.state().status, RecordingStatus::Recording);

    let mut sim = Sim::new(policy(|p| p.enabled = false));
    sim.step(0, answer("c1"));
    assert!(matches!(
        sim.recorder.state().status,
        RecordingStatus::NotRecorded { .. }
    ));
}

#[test]
fn policy_changes_apply_to_the_next_call_only() {
    let mut sim = Sim::new(policy(|p| p.version = 3));
    sim.step(0, answer("c1"));
    let on_demand = policy(|p| {
        p.version = 4;
        p.mode = RecordingMode::OnDemandUis;
    });
    assert!(
        sim.step(1_000, Input::PolicyUpdated(Box::new(on_demand)))
            .is_empty()
    );
    let state = sim.recorder.state();
    assert_eq!(
        state.mode,
        RecordingMode::AlwaysOn,
        "the call keeps its policy"
    );
    assert_eq!(state.policy_version, 4);
    assert_eq!(
        sim.step(2_000, user(Action::Stop)),
        v(&["refused(stop,not_allowed_by_mode)"])
    );
    sim.step(10_000, ended("c1", false));
    sim.step(11_000, answer("c2"));
    let state = sim.recorder.state();
    assert_eq!(state.mode, RecordingMode::OnDemandUis);
    assert_eq!(state.status, RecordingStatus::Waiting);
}

#[test]
fn an_older_policy_snapshot_is_ignored() {
    let mut sim = Sim::new(policy(|p| p.version = 5));
    let older = policy(|p| {
        p.version = 4;
        p.mode = RecordingMode::OnDemand;
    });
    sim.step(0, Input::PolicyUpdated(Box::new(older)));
    assert_eq!(sim.recorder.policy().version, 5);
    assert_eq!(sim.recorder.policy().mode, RecordingMode::AlwaysOn);
}

#[test]
fn host_left_timeout_ends_a_live_recording_unless_the_host_returns() {
    let mut sim = Sim::new(policy(|p| {
        p.start_trigger = StartTrigger::AutoFirstParticipant;
        p.limits.host_left_timeout_secs = 900;
    }));
    sim.step(0, open_live("room"));
    sim.step(1_000, join("room", "agent", ParticipantRole::Host));
    sim.step(2_000, join("room", "customer", ParticipantRole::Guest));
    assert_eq!(sim.recorder.state().status, RecordingStatus::Recording);
    let max_length_deadline = 1_000 + 86_400_000;
    sim.step(10_000, leave("room", "agent"));
    assert_eq!(sim.timeout_ms(), Some(910_000));
    sim.step(100_000, join("room", "agent", ParticipantRole::Host));
    assert_eq!(sim.timeout_ms(), Some(max_length_deadline), "host is back");
    sim.step(200_000, leave("room", "agent"));
    // A guest leaving does not move the time-out.
    sim.step(300_000, leave("room", "customer"));
    assert_eq!(sim.timeout_ms(), Some(1_100_000));
    let out = sim.step(1_100_000, Input::TimerFired);
    assert_eq!(
        out,
        v(&[
            "stop_capture",
            "indicator(hidden)",
            "notify(ended:host_left_timeout)",
            "finalize(partial,host_left_timeout,1099000ms)"
        ])
    );
    assert_eq!(sim.recorder.state().status, RecordingStatus::Ended);
}

#[test]
fn another_host_present_keeps_the_recording_going() {
    let mut sim = Sim::new(policy(|p| {
        p.start_trigger = StartTrigger::AutoFirstParticipant
    }));
    sim.step(0, open_live("room"));
    sim.step(1_000, join("room", "agent", ParticipantRole::Host));
    sim.step(2_000, join("room", "supervisor", ParticipantRole::Host));
    sim.step(3_000, leave("room", "agent"));
    assert_eq!(sim.timeout_ms(), Some(1_000 + 86_400_000));
}

#[test]
fn zero_host_left_timeout_ends_at_once() {
    let mut sim = Sim::new(policy(|p| {
        p.start_trigger = StartTrigger::AutoFirstParticipant;
        p.limits.host_left_timeout_secs = 0;
    }));
    sim.step(0, open_live("room"));
    sim.step(1_000, join("room", "agent", ParticipantRole::Host));
    let out = sim.step(8_000, leave("room", "agent"));
    assert_eq!(
        out.last().unwrap(),
        "finalize(partial,host_left_timeout,7000ms)"
    );
}

#[test]
fn a_failed_source_is_reported_and_the_rest_keeps_recording() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, monitor_added("MON0"));
    sim.step(0, answer("c1"));
    let fail = Input::CaptureFailed {
        source: Source::Microphone,
        error: "device unplugged".into(),
    };
    assert_eq!(
        sim.step(5_000, fail.clone()),
        v(&["notify(capture_problem)"])
    );
    assert!(sim.step(5_500, fail).is_empty(), "reported once");
    let state = sim.recorder.state();
    assert_eq!(state.status, RecordingStatus::Recording);
    assert_eq!(state.failing, vec![Source::Microphone]);
    assert_eq!(
        sim.step(
            8_000,
            Input::CaptureRecovered {
                source: Source::Microphone
            }
        ),
        v(&["notify(capture_recovered)"])
    );
    assert!(sim.recorder.state().failing.is_empty());
    sim.step(20_000, ended("c1", false));
    let f = &sim.finalized()[0];
    assert_eq!(
        f.outcome,
        Outcome::Partial,
        "a gap in the audio makes it partial"
    );
    assert_eq!(f.reason, EndReason::CallEnded);
    assert!(f.capture_failed);
}

#[test]
fn monitors_follow_the_cap_as_they_come_and_go() {
    let mut sim = Sim::new(policy(|p| p.capture.max_monitors = 2));
    for m in ["MON0", "MON1", "MON2"] {
        sim.step(0, monitor_added(m));
    }
    assert_eq!(
        sim.step(0, answer("c1")),
        v(&[
            "notify(consent)",
            "start_capture[MON0,MON1]",
            "indicator(recording)",
            "notify(started)"
        ])
    );
    assert_eq!(
        sim.step(5_000, monitor_removed("MON0")),
        v(&["remove_monitor(MON0)", "add_monitor(MON2)"])
    );
    assert!(
        sim.step(6_000, monitor_added("MON3")).is_empty(),
        "cap reached"
    );
    assert_eq!(
        sim.step(7_000, monitor_removed("MON1")),
        v(&["remove_monitor(MON1)", "add_monitor(MON3)"])
    );
    assert!(
        sim.step(7_500, monitor_removed("MON9")).is_empty(),
        "unknown monitor"
    );
    let state = sim.recorder.state();
    assert_eq!(
        state.monitors,
        vec!["MON2".into(), "MON3".into()] as Vec<agentrec_core::MonitorId>
    );
    assert_eq!(
        sim.step(8_000, monitor_removed("MON2")),
        v(&["remove_monitor(MON2)"])
    );
    assert_eq!(
        sim.step(9_000, monitor_added("MON0")),
        v(&["add_monitor(MON0)"])
    );
}

#[test]
fn monitors_change_while_stopped_apply_at_restart() {
    let mut sim = Sim::new(policy(|p| p.mode = RecordingMode::OnDemandUis));
    sim.step(0, monitor_added("MON0"));
    sim.step(0, answer("c1"));
    sim.step(1_000, user(Action::Start));
    sim.step(2_000, user(Action::Stop));
    assert!(sim.step(3_000, monitor_added("MON1")).is_empty());
    assert_eq!(
        sim.step(4_000, user(Action::Start)),
        v(&[
            "start_capture[MON0,MON1]",
            "indicator(recording)",
            "notify(started)"
        ])
    );
}

#[test]
fn a_new_call_during_wrapup_finalizes_the_previous_one() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    sim.step(10_000, ended("c1", true));
    let out = sim.step(15_000, answer("c2"));
    assert_eq!(
        out,
        v(&[
            "stop_capture",
            "indicator(hidden)",
            "notify(ended:next_call)",
            "finalize(complete,next_call,15000ms)",
            "notify(consent)",
            "start_capture[]",
            "indicator(recording)",
            "notify(started)"
        ])
    );
    assert_eq!(sim.recorder.state().call.unwrap().call_id.as_str(), "c2");
}

#[test]
fn duplicate_and_foreign_events_change_nothing() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    let before = sim.recorder.state();
    assert!(
        sim.step(0, answer("c1")).is_empty(),
        "answered delivered twice"
    );
    assert!(sim.step(0, held("other")).is_empty());
    assert!(sim.step(0, ended("other", false)).is_empty());
    assert!(
        sim.step(0, join("other", "p", ParticipantRole::Guest))
            .is_empty()
    );
    assert!(sim.step(0, unheld("c1")).is_empty(), "not on hold");
    assert_eq!(sim.recorder.state(), before);
    assert!(sim.step(1_000, held("c1")).is_empty());
    assert!(sim.step(1_000, held("c1")).is_empty());
    sim.step(2_000, ended("c1", true));
    assert!(
        sim.step(2_500, ended("c1", true)).is_empty(),
        "already in wrap-up"
    );
}

#[test]
fn shutdown_finalizes_as_partial() {
    let mut sim = Sim::new(Policy::default());
    sim.step(0, answer("c1"));
    let out = sim.step(42_000, Input::Shutdown);
    assert_eq!(out.last().unwrap(), "finalize(partial,shutdown,42000ms)");
    assert_eq!(sim.recorder.state().status, RecordingStatus::Idle);
    assert!(sim.step(43_000, Input::Shutdown).is_empty());
}

#[test]
fn on_demand_timeline_places_the_answer_before_the_start() {
    let mut sim = Sim::new(policy(|p| p.mode = RecordingMode::OnDemand));
    sim.step(0, answer("c1"));
    sim.step(1_000, held("c1"));
    sim.step(3_000, unheld("c1"));
    sim.step(5_000, user(Action::Start));
    sim.step(9_000, user(Action::Pause));
    sim.step(12_000, user(Action::Resume));
    sim.step(20_000, ended("c1", false));
    let f = &sim.finalized()[0];
    let offsets: Vec<(i64, String)> = f
        .timeline
        .iter()
        .map(|e| {
            (
                e.offset_ms,
                serde_json::to_value(e).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        offsets,
        [
            (-5_000, "answered"),
            (-4_000, "held"),
            (-2_000, "unheld"),
            (0, "recording_started"),
            (4_000, "paused"),
            (7_000, "resumed"),
            (15_000, "call_ended"),
            (15_000, "recording_ended"),
        ]
        .iter()
        .map(|(t, s)| (*t, (*s).to_owned()))
        .collect::<Vec<_>>()
    );
    assert_eq!((f.recorded_ms, f.duration_ms), (12_000, 15_000));
}

#[test]
fn time_going_backwards_is_treated_as_no_time_passing() {
    let mut sim = Sim::new(Policy::default());
    sim.step(10_000, answer("c1"));
    sim.step(5_000, Input::TimerFired);
    let out = sim.step(20_000, ended("c1", false));
    assert_eq!(out.last().unwrap(), "finalize(complete,call_ended,10000ms)");
}

#[test]
fn the_snapshot_reports_the_call_and_recorded_time() {
    let mut sim = Sim::new(policy(|p| p.mode = RecordingMode::PauseResume));
    sim.step(0, monitor_added("MON0"));
    sim.step(0, answered("c1", CallKind::Voice, true, Some("billing")));
    sim.step(4_000, user(Action::Pause));
    sim.step(9_000, Input::TimerFired);
    let s = sim.recorder.state();
    assert_eq!(s.recorded_ms, 4_000);
    let call = s.call.unwrap();
    assert_eq!(call.queue.as_deref(), Some("billing"));
    assert_eq!(call.phase, agentrec_core::recorder::CallPhase::Active);
    assert!(s.recording.is_some());
    assert_eq!(s.monitors.len(), 1);
    let json = serde_json::to_value(sim.recorder.state()).unwrap();
    assert_eq!(json["status"]["status"], "paused");
    assert_eq!(json["allowed"], serde_json::json!(["resume"]));
}
