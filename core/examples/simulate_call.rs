//! Plays a scripted call through the Recorder under a given mode and prints what it decides.
//!
//! `cargo run -p agentrec-core --example simulate_call -- on_demand_uis`

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use agentrec_core::call::Answered;
use agentrec_core::{Action, CallEvent, Input, Policy, Recorder, RecordingMode};

fn main() -> Result<(), String> {
    let mode_arg = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "pause_resume".to_owned());
    let mode: RecordingMode = serde_json::from_value(serde_json::Value::String(mode_arg.clone()))
        .map_err(|_| {
        format!(
            "unknown mode {mode_arg:?}: use always_on, pause_resume, on_demand or on_demand_uis"
        )
    })?;
    let policy = Policy {
        mode,
        ..Policy::default()
    };
    let mut recorder = Recorder::new(policy, 1);
    let t0 = Instant::now();
    let call = "demo-call";
    let script: Vec<(u64, Input)> = vec![
        (
            0,
            Input::MonitorAdded {
                monitor: "MON0".into(),
            },
        ),
        (
            0,
            Input::MonitorAdded {
                monitor: "MON1".into(),
            },
        ),
        (
            0,
            Input::Call(CallEvent::Answered(Answered {
                call_id: call.into(),
                kind: Default::default(),
                acd: true,
                queue: Some("billing".into()),
                direction: Default::default(),
            })),
        ),
        (
            2,
            Input::User {
                action: Action::Start,
            },
        ),
        (
            10,
            Input::User {
                action: Action::Pause,
            },
        ),
        (
            15,
            Input::User {
                action: Action::Resume,
            },
        ),
        (
            18,
            Input::User {
                action: Action::Stop,
            },
        ),
        (
            20,
            Input::Call(CallEvent::Ended {
                call_id: call.into(),
                wrapup: true,
            }),
        ),
        (
            25,
            Input::Call(CallEvent::WrapUpCompleted {
                call_id: call.into(),
            }),
        ),
    ];
    println!("mode: {mode} — offered actions are listed after each step");
    for (secs, input) in script {
        let now = t0 + Duration::from_secs(secs);
        let label = serde_json::to_string(&input).map_err(|e| e.to_string())?;
        println!("\nt={secs:>3}s  {label}");
        for command in recorder.handle(input, now) {
            println!(
                "        -> {}",
                serde_json::to_string(&command).map_err(|e| e.to_string())?
            );
        }
        let allowed: Vec<_> = recorder.allowed().iter().collect();
        println!(
            "        status {:?}, offered {allowed:?}",
            recorder.state().status
        );
    }
    Ok(())
}
