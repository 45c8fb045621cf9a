//! A simulated clock and compact names for inputs and commands, shared by the Recorder tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use agentrec_core::call::Answered;
use agentrec_core::recorder::{Command, Indicator, Notice, Outcome};
use agentrec_core::{
    Action, CallEvent, CallKind, Direction, Input, ParticipantEvent, ParticipantRole, Policy,
    Recorder,
};

/// A Recorder on a simulated clock that starts at t = 0.
pub struct Sim {
    pub recorder: Recorder,
    pub t0: Instant,
    pub log: Vec<Command>,
}

impl Sim {
    pub fn new(policy: Policy) -> Self {
        Sim {
            recorder: Recorder::new(policy, 7),
            t0: Instant::now(),
            log: Vec::new(),
        }
    }

    pub fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Feeds `input` at `ms` and returns the commands.
    pub fn feed(&mut self, ms: u64, input: Input) -> Vec<Command> {
        let out = self.recorder.handle(input, self.at(ms));
        self.log.extend(out.iter().cloned());
        out
    }

    /// Feeds `input` at `ms` and returns the commands' short names, timeline markers left out.
    pub fn step(&mut self, ms: u64, input: Input) -> Vec<String> {
        self.feed(ms, input).iter().filter_map(short).collect()
    }

    /// The time-out, in ms from t = 0.
    pub fn timeout_ms(&self) -> Option<u64> {
        self.recorder
            .poll_timeout()
            .map(|t| (t - self.t0).as_millis() as u64)
    }

    /// Every finalized recording so far.
    pub fn finalized(&self) -> Vec<agentrec_core::recorder::Finalized> {
        self.log
            .iter()
            .filter_map(|c| match c {
                Command::FinalizeRecording(f) => Some((**f).clone()),
                _ => None,
            })
            .collect()
    }
}

/// A compact, readable name for a command; `None` for timeline markers.
pub fn short(c: &Command) -> Option<String> {
    Some(match c {
        Command::StartCapture { monitors, .. } => {
            let m: Vec<&str> = monitors.iter().map(|m| m.as_str()).collect();
            format!("start_capture[{}]", m.join(","))
        }
        Command::PauseCapture { .. } => "pause_capture".into(),
        Command::ResumeCapture { .. } => "resume_capture".into(),
        Command::StopCapture { .. } => "stop_capture".into(),
        Command::AddMonitor { monitor, .. } => format!("add_monitor({monitor})"),
        Command::RemoveMonitor { monitor, .. } => format!("remove_monitor({monitor})"),
        Command::FinalizeRecording(f) => format!(
            "finalize({},{},{}ms)",
            match f.outcome {
                Outcome::Complete => "complete",
                Outcome::Partial => "partial",
            },
            json_name(&f.reason),
            f.recorded_ms
        ),
        Command::DiscardRecording { .. } => "discard".into(),
        Command::ShowIndicator { state } => match state {
            Indicator::Recording => "indicator(recording)".into(),
            Indicator::Paused => "indicator(paused)".into(),
        },
        Command::HideIndicator => "indicator(hidden)".into(),
        Command::Notify(n) => match n {
            Notice::Consent { .. } => "notify(consent)".into(),
            Notice::Ended { reason } => format!("notify(ended:{})", json_name(reason)),
            Notice::CaptureProblem { .. } => "notify(capture_problem)".into(),
            Notice::CaptureRecovered { .. } => "notify(capture_recovered)".into(),
            other => format!(
                "notify({})",
                serde_json::to_value(other).unwrap()["notice"]
                    .as_str()
                    .unwrap()
            ),
        },
        Command::PromptHost { .. } => "prompt".into(),
        Command::DismissPrompt { .. } => "dismiss_prompt".into(),
        Command::Timeline { .. } => return None,
        Command::Refused { action, reason } => format!(
            "refused({},{})",
            json_name(action),
            serde_json::to_value(reason).unwrap()["kind"]
                .as_str()
                .unwrap()
        ),
    })
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn answered(call: &str, kind: CallKind, acd: bool, queue: Option<&str>) -> Input {
    Input::Call(CallEvent::Answered(Answered {
        call_id: call.into(),
        kind,
        acd,
        queue: queue.map(str::to_owned),
        direction: Direction::Inbound,
    }))
}

/// An ACD voice call answered.
pub fn answer(call: &str) -> Input {
    answered(call, CallKind::Voice, true, Some("support"))
}

/// A live session opened.
pub fn open_live(call: &str) -> Input {
    answered(call, CallKind::Live, false, None)
}

pub fn ended(call: &str, wrapup: bool) -> Input {
    Input::Call(CallEvent::Ended {
        call_id: call.into(),
        wrapup,
    })
}

pub fn wrapup_done(call: &str) -> Input {
    Input::Call(CallEvent::WrapUpCompleted {
        call_id: call.into(),
    })
}

pub fn held(call: &str) -> Input {
    Input::Call(CallEvent::Held {
        call_id: call.into(),
    })
}

pub fn unheld(call: &str) -> Input {
    Input::Call(CallEvent::Resumed {
        call_id: call.into(),
    })
}

pub fn transferred(call: &str) -> Input {
    Input::Call(CallEvent::Transferred {
        call_id: call.into(),
        to_agent: Some("agent-2".into()),
    })
}

pub fn user(action: Action) -> Input {
    Input::User { action }
}

pub fn join(call: &str, who: &str, role: ParticipantRole) -> Input {
    Input::Participant(ParticipantEvent::Joined {
        call_id: call.into(),
        participant: who.into(),
        role,
    })
}

pub fn leave(call: &str, who: &str) -> Input {
    Input::Participant(ParticipantEvent::Left {
        call_id: call.into(),
        participant: who.into(),
    })
}

pub fn monitor_added(m: &str) -> Input {
    Input::MonitorAdded { monitor: m.into() }
}

pub fn monitor_removed(m: &str) -> Input {
    Input::MonitorRemoved { monitor: m.into() }
}

/// Shorthand for expected command lists.
pub fn v(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}
