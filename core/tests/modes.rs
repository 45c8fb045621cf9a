//! Table-driven tests: one table per recording mode (and per live-session trigger), each a
//! sequence of timed inputs with the expected status, offered actions and commands.

mod support;

use agentrec_core::recorder::RecordingStatus::{self, *};
use agentrec_core::{Action, Input, ParticipantRole, Policy, RecordingMode, StartTrigger};
use pretty_assertions::assert_eq;
use support::*;

use Action::{AcceptPrompt, DeclinePrompt, Pause, Resume, Start, Stop};
use ParticipantRole::{Guest, Host};

/// One row: at `ms`, feed `input`; then the status is `status`, the offered actions are
/// `offered`, and the commands (timeline markers left out) are `commands`.
struct Row {
    ms: u64,
    input: Input,
    status: RecordingStatus,
    offered: &'static [Action],
    commands: &'static [&'static str],
}

fn row(
    ms: u64,
    input: Input,
    status: RecordingStatus,
    offered: &'static [Action],
    commands: &'static [&'static str],
) -> Row {
    Row {
        ms,
        input,
        status,
        offered,
        commands,
    }
}

fn run_table(policy: Policy, rows: Vec<Row>) -> Sim {
    let mut sim = Sim::new(policy);
    sim.feed(0, monitor_added("MON0"));
    sim.feed(0, monitor_added("MON1"));
    for (i, r) in rows.into_iter().enumerate() {
        let label = format!("row {i} at {} ms: {:?}", r.ms, r.input);
        let got = sim.step(r.ms, r.input);
        assert_eq!(got, v(r.commands), "commands of {label}");
        let state = sim.recorder.state();
        assert_eq!(state.status, r.status, "status after {label}");
        let offered: Vec<Action> = state.allowed.iter().collect();
        assert_eq!(offered, r.offered.to_vec(), "offered actions after {label}");
    }
    sim
}

fn mode(m: RecordingMode) -> Policy {
    Policy {
        mode: m,
        ..Policy::default()
    }
}

const STARTED: &[&str] = &[
    "notify(consent)",
    "start_capture[MON0,MON1]",
    "indicator(recording)",
    "notify(started)",
];

#[test]
fn always_on_records_the_whole_call_and_offers_nothing() {
    let sim = run_table(
        mode(RecordingMode::AlwaysOn),
        vec![
            row(0, answer("c1"), Recording, &[], STARTED),
            row(
                5_000,
                user(Pause),
                Recording,
                &[],
                &["refused(pause,not_allowed_by_mode)"],
            ),
            row(
                6_000,
                user(Stop),
                Recording,
                &[],
                &["refused(stop,not_allowed_by_mode)"],
            ),
            row(
                7_000,
                user(Start),
                Recording,
                &[],
                &["refused(start,not_allowed_by_mode)"],
            ),
            row(10_000, held("c1"), Recording, &[], &[]),
            row(12_000, unheld("c1"), Recording, &[], &[]),
            row(20_000, ended("c1", true), Recording, &[], &[]),
            row(
                25_000,
                wrapup_done("c1"),
                Idle,
                &[],
                &[
                    "stop_capture",
                    "indicator(hidden)",
                    "notify(ended:wrap_up_completed)",
                    "finalize(complete,wrap_up_completed,25000ms)",
                ],
            ),
            row(26_000, user(Pause), Idle, &[], &["refused(pause,no_call)"]),
        ],
    );
    let f = &sim.finalized()[0];
    let markers: Vec<(i64, String)> = f
        .timeline
        .iter()
        .map(|e| {
            let v = serde_json::to_value(e).unwrap();
            (e.offset_ms, v["event"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected: Vec<(i64, String)> = [
        (0, "answered"),
        (0, "recording_started"),
        (10_000, "held"),
        (12_000, "unheld"),
        (20_000, "call_ended"),
        (20_000, "wrap_up_started"),
        (25_000, "wrap_up_completed"),
        (25_000, "recording_ended"),
    ]
    .iter()
    .map(|(t, s)| (*t, (*s).to_owned()))
    .collect();
    assert_eq!(markers, expected);
    assert_eq!(f.duration_ms, 25_000);
}

#[test]
fn pause_resume_pauses_and_resumes_but_never_stops() {
    let sim = run_table(
        mode(RecordingMode::PauseResume),
        vec![
            row(0, answer("c1"), Recording, &[Pause], STARTED),
            row(
                5_000,
                user(Pause),
                Paused,
                &[Resume],
                &["pause_capture", "indicator(paused)", "notify(paused)"],
            ),
            row(
                6_000,
                user(Pause),
                Paused,
                &[Resume],
                &["refused(pause,wrong_state)"],
            ),
            row(
                7_000,
                user(Stop),
                Paused,
                &[Resume],
                &["refused(stop,not_allowed_by_mode)"],
            ),
            row(
                10_000,
                user(Resume),
                Recording,
                &[Pause],
                &["resume_capture", "indicator(recording)", "notify(resumed)"],
            ),
            row(
                11_000,
                user(Resume),
                Recording,
                &[Pause],
                &["refused(resume,wrong_state)"],
            ),
            row(
                20_000,
                ended("c1", false),
                Idle,
                &[],
                &[
                    "stop_capture",
                    "indicator(hidden)",
                    "notify(ended:call_ended)",
                    "finalize(complete,call_ended,15000ms)",
                ],
            ),
        ],
    );
    let f = &sim.finalized()[0];
    assert_eq!(
        (f.recorded_ms, f.duration_ms),
        (15_000, 20_000),
        "the pause is a gap"
    );
}

#[test]
fn on_demand_waits_for_start_then_never_stops() {
    run_table(
        mode(RecordingMode::OnDemand),
        vec![
            row(0, answer("c1"), Waiting, &[Start], &[]),
            row(
                1_000,
                user(Pause),
                Waiting,
                &[Start],
                &["refused(pause,wrong_state)"],
            ),
            row(
                1_500,
                user(Stop),
                Waiting,
                &[Start],
                &["refused(stop,not_allowed_by_mode)"],
            ),
            row(2_000, user(Start), Recording, &[Pause], STARTED),
            row(
                5_000,
                user(Stop),
                Recording,
                &[Pause],
                &["refused(stop,not_allowed_by_mode)"],
            ),
            row(
                6_000,
                user(Pause),
                Paused,
                &[Resume],
                &["pause_capture", "indicator(paused)", "notify(paused)"],
            ),
            row(
                8_000,
                user(Resume),
                Recording,
                &[Pause],
                &["resume_capture", "indicator(recording)", "notify(resumed)"],
            ),
            row(
                9_000,
                user(Start),
                Recording,
                &[Pause],
                &["refused(start,wrong_state)"],
            ),
            row(12_000, ended("c1", true), Recording, &[Pause], &[]),
            row(
                14_000,
                wrapup_done("c1"),
                Idle,
                &[],
                &[
                    "stop_capture",
                    "indicator(hidden)",
                    "notify(ended:wrap_up_completed)",
                    "finalize(complete,wrap_up_completed,10000ms)",
                ],
            ),
        ],
    );
}

#[test]
fn on_demand_uis_starts_pauses_stops_and_starts_again_in_one_recording() {
    let sim = run_table(
        mode(RecordingMode::OnDemandUis),
        vec![
            row(0, answer("c1"), Waiting, &[Start], &[]),
            row(1_000, user(Start), Recording, &[Pause, Stop], STARTED),
            row(
                3_000,
                user(Pause),
                Paused,
                &[Resume, Stop],
                &["pause_capture", "indicator(paused)", "notify(paused)"],
            ),
            row(
                4_000,
                user(Resume),
                Recording,
                &[Pause, Stop],
                &["resume_capture", "indicator(recording)", "notify(resumed)"],
            ),
            row(
                6_000,
                user(Stop),
                Stopped,
                &[Start],
                &["stop_capture", "indicator(hidden)", "notify(stopped)"],
            ),
            row(
                7_000,
                user(Pause),
                Stopped,
                &[Start],
                &["refused(pause,wrong_state)"],
            ),
            row(
                7_500,
                user(Stop),
                Stopped,
                &[Start],
                &["refused(stop,wrong_state)"],
            ),
            row(
                8_000,
                user(Start),
                Recording,
                &[Pause, Stop],
                &[
                    "start_capture[MON0,MON1]",
                    "indicator(recording)",
                    "notify(started)",
                ],
            ),
            row(
                10_000,
                user(Stop),
                Stopped,
                &[Start],
                &["stop_capture", "indicator(hidden)", "notify(stopped)"],
            ),
            row(12_000, ended("c1", true), Stopped, &[Start], &[]),
            row(
                14_000,
                wrapup_done("c1"),
                Idle,
                &[],
                &[
                    "notify(ended:wrap_up_completed)",
                    "finalize(complete,wrap_up_completed,6000ms)",
                ],
            ),
        ],
    );
    // Both runs went into the same recording.
    let ids: std::collections::BTreeSet<_> = sim
        .log
        .iter()
        .filter_map(|c| match c {
            agentrec_core::Command::StartCapture { recording, .. } => Some(*recording),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(sim.finalized()[0].recording, *ids.iter().next().unwrap());
}

#[test]
fn live_session_manual_trigger_waits_for_the_host() {
    let policy = Policy {
        start_trigger: StartTrigger::Manual,
        ..mode(RecordingMode::AlwaysOn)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[Start], &[]),
            row(1_000, join("room", "agent", Host), Waiting, &[Start], &[]),
            row(
                2_000,
                join("room", "customer", Guest),
                Waiting,
                &[Start],
                &[],
            ),
            row(3_000, user(Start), Recording, &[], STARTED),
            // Always on: once started, the host can neither pause nor stop.
            row(
                4_000,
                user(Stop),
                Recording,
                &[],
                &["refused(stop,not_allowed_by_mode)"],
            ),
            row(
                10_000,
                ended("room", false),
                Idle,
                &[],
                &[
                    "stop_capture",
                    "indicator(hidden)",
                    "notify(ended:call_ended)",
                    "finalize(complete,call_ended,7000ms)",
                ],
            ),
        ],
    );
}

#[test]
fn live_session_prompt_asks_the_first_host_and_cancel_leaves_manual_start() {
    let policy = Policy {
        start_trigger: StartTrigger::Prompt,
        ..mode(RecordingMode::PauseResume)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[Start], &[]),
            // A guest is not asked.
            row(500, join("room", "customer", Guest), Waiting, &[Start], &[]),
            row(
                1_000,
                join("room", "agent", Host),
                Waiting,
                &[Start, AcceptPrompt, DeclinePrompt],
                &["prompt"],
            ),
            row(
                2_000,
                user(DeclinePrompt),
                Waiting,
                &[Start],
                &["dismiss_prompt"],
            ),
            row(
                2_500,
                user(AcceptPrompt),
                Waiting,
                &[Start],
                &["refused(accept_prompt,no_prompt)"],
            ),
            // A second host joining is not asked again.
            row(3_000, join("room", "agent-2", Host), Waiting, &[Start], &[]),
            row(5_000, user(Start), Recording, &[Pause], STARTED),
        ],
    );
}

#[test]
fn live_session_prompt_start_records_at_once() {
    let policy = Policy {
        start_trigger: StartTrigger::Prompt,
        ..mode(RecordingMode::OnDemandUis)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[Start], &[]),
            row(
                1_000,
                join("room", "agent", Host),
                Waiting,
                &[Start, AcceptPrompt, DeclinePrompt],
                &["prompt"],
            ),
            row(
                2_000,
                user(AcceptPrompt),
                Recording,
                &[Pause, Stop],
                &[
                    "notify(consent)",
                    "start_capture[MON0,MON1]",
                    "indicator(recording)",
                    "notify(started)",
                    "dismiss_prompt",
                ],
            ),
        ],
    );
}

#[test]
fn live_session_manual_start_while_prompted_dismisses_the_prompt() {
    let policy = Policy {
        start_trigger: StartTrigger::Prompt,
        ..mode(RecordingMode::PauseResume)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[Start], &[]),
            row(
                1_000,
                join("room", "agent", Host),
                Waiting,
                &[Start, AcceptPrompt, DeclinePrompt],
                &["prompt"],
            ),
            row(
                2_000,
                user(Start),
                Recording,
                &[Pause],
                &[
                    "notify(consent)",
                    "start_capture[MON0,MON1]",
                    "indicator(recording)",
                    "notify(started)",
                    "dismiss_prompt",
                ],
            ),
        ],
    );
}

#[test]
fn live_session_auto_first_participant() {
    let policy = Policy {
        start_trigger: StartTrigger::AutoFirstParticipant,
        ..mode(RecordingMode::PauseResume)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[], &[]),
            row(
                1_000,
                user(Start),
                Waiting,
                &[],
                &["refused(start,not_allowed_by_mode)"],
            ),
            row(
                2_000,
                join("room", "agent", Host),
                Recording,
                &[Pause],
                STARTED,
            ),
            row(
                3_000,
                join("room", "customer", Guest),
                Recording,
                &[Pause],
                &[],
            ),
        ],
    );
}

#[test]
fn live_session_auto_second_participant_skips_empty_rooms() {
    let policy = Policy {
        start_trigger: StartTrigger::AutoSecondParticipant,
        ..mode(RecordingMode::AlwaysOn)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[], &[]),
            row(1_000, join("room", "agent", Host), Waiting, &[], &[]),
            // The same participant joining twice is still one participant.
            row(1_500, join("room", "agent", Host), Waiting, &[], &[]),
            row(
                2_000,
                join("room", "customer", Guest),
                Recording,
                &[],
                STARTED,
            ),
        ],
    );
}

#[test]
fn on_demand_live_session_with_automatic_trigger_can_also_start_by_hand() {
    let policy = Policy {
        start_trigger: StartTrigger::AutoSecondParticipant,
        ..mode(RecordingMode::OnDemand)
    };
    run_table(
        policy,
        vec![
            row(0, open_live("room"), Waiting, &[Start], &[]),
            row(1_000, user(Start), Recording, &[Pause], STARTED),
            // Already recording: the trigger has nothing to start.
            row(2_000, join("room", "agent", Host), Recording, &[Pause], &[]),
            row(
                3_000,
                join("room", "customer", Guest),
                Recording,
                &[Pause],
                &[],
            ),
        ],
    );
}
