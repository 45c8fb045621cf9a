//! The Recorder: a deterministic state machine deciding, for every moment of a call, whether
//! the agent's screens and audio are captured.
//!
//! Shaped like `quinn-proto`'s connection: [`Recorder::handle`] takes an [`Input`] and the
//! current time and returns the [`Command`]s for the shell to carry out, in order;
//! [`Recorder::poll_timeout`] says when to call back with [`Input::TimerFired`]. It does no
//! I/O and reads no clock, so every rule is tested on a simulated clock.
//!
//! Rules in brief:
//! - The policy in force when a call is answered governs that call to its end; updates wait.
//! - Voice calls in *Always on* and *Pause/Resume* start recording at answer; *On-Demand* and
//!   *On-Demand UIS* wait for the agent. Live sessions start by the policy's trigger.
//! - The recording ends at call end, or at wrap-up completed (or the wrap-up cap) when
//!   wrap-up is included; at a transfer away; at the length limit; or when the last host has
//!   been gone from a live session for the host-left time-out.
//! - Every started recording ends in exactly one [`Command::FinalizeRecording`] or
//!   [`Command::DiscardRecording`] (too short).

mod command;
mod input;
mod recording;
mod scope;
mod session;
mod snapshot;
mod timeline;

use std::time::{Duration, Instant};

pub use command::{Command, DiscardReason, EndReason, Finalized, Indicator, Notice, Outcome};
pub use input::{Input, Source};
pub use scope::NotRecordedReason;
pub use snapshot::{CallPhase, CallSnapshot, RecordingStatus, Snapshot};
pub use timeline::{TimelineEvent, TimelineKind};

use crate::call::{CallEvent, CallKind, ParticipantEvent};
use crate::ids::{MonitorId, RecordingId};
use crate::mode::{Action, ActionSet, Refusal};
use crate::policy::Policy;
use recording::millis;
use session::{CallState, Env};

/// The recording state machine of one agent workstation. See the [module docs](self).
#[derive(Debug)]
pub struct Recorder {
    /// The policy the next call will get.
    policy: Policy,
    /// Connected monitors, in the order they were reported.
    monitors: Vec<MonitorId>,
    call: Option<CallState>,
    ids: IdSource,
    /// The latest `now` seen; time never goes backwards inside the machine.
    now: Option<Instant>,
}

impl Recorder {
    /// A Recorder with no call, governed by `policy` from the next call on.
    ///
    /// `seed` feeds the recording ids; the shell passes OS randomness, tests a constant.
    pub fn new(policy: Policy, seed: u64) -> Self {
        Recorder {
            policy,
            monitors: Vec::new(),
            call: None,
            ids: IdSource(seed),
            now: None,
        }
    }

    /// Feeds one input at time `now` and returns what to do, in order.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Command> {
        let now = match self.now {
            Some(last) if now < last => last,
            _ => now,
        };
        self.now = Some(now);
        let mut out = Vec::new();
        self.expire(now, &mut out);
        match input {
            Input::Call(event) => self.call_event(event, now, &mut out),
            Input::Participant(event) => self.participant_event(event, now, &mut out),
            Input::User { action } => self.user(action, now, &mut out),
            Input::PolicyUpdated(policy) => {
                // Snapshots can arrive twice or out of order across reconnects.
                if policy.version >= self.policy.version {
                    self.policy = *policy;
                }
            }
            Input::TimerFired => {}
            Input::CaptureFailed { source, error } => {
                if let Some(call) = &mut self.call {
                    call.capture_failed(source, error, now, &mut out);
                }
            }
            Input::CaptureRecovered { source } => {
                if let Some(call) = &mut self.call {
                    call.capture_recovered(source, now, &mut out);
                }
            }
            Input::MonitorAdded { monitor } => {
                if !self.monitors.contains(&monitor) {
                    self.monitors.push(monitor);
                }
                self.monitors_changed(now, &mut out);
            }
            Input::MonitorRemoved { monitor } => {
                self.monitors.retain(|m| *m != monitor);
                self.monitors_changed(now, &mut out);
            }
            Input::Shutdown => self.end_call(now, EndReason::Shutdown, &mut out),
        }
        // An input may have set a time-out that is already due (e.g. a zero host-left time-out).
        self.expire(now, &mut out);
        out
    }

    /// When to feed [`Input::TimerFired`] next, if anything is waiting on time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.call
            .as_ref()
            .and_then(CallState::next_deadline)
            .map(|(t, _)| t)
    }

    /// The state, for display.
    pub fn state(&self) -> Snapshot {
        let call = self.call.as_ref();
        let recording = call.and_then(CallState::recording);
        Snapshot {
            call: call.map(|c| CallSnapshot {
                call_id: c.info.call_id.clone(),
                kind: c.info.kind,
                phase: c.phase,
                acd: c.info.acd,
                queue: c.info.queue.clone(),
                participants: c.participants.len(),
            }),
            status: call.map_or(RecordingStatus::Idle, CallState::status),
            recording: recording.map(|r| r.id),
            mode: call.map_or(self.policy.mode, |c| c.policy.mode),
            allowed: self.allowed(),
            prompt_pending: call.is_some_and(|c| c.prompt == session::Prompt::Pending),
            recorded_ms: match (recording, self.now) {
                (Some(r), Some(now)) => millis(r.recorded(now)),
                _ => 0,
            },
            monitors: recording.map(|r| r.monitors.clone()).unwrap_or_default(),
            failing: recording
                .map(|r| r.failing.iter().cloned().collect())
                .unwrap_or_default(),
            policy_version: self.policy.version,
        }
    }

    /// Exactly the actions the agent may take now.
    pub fn allowed(&self) -> ActionSet {
        self.call
            .as_ref()
            .map_or(ActionSet::EMPTY, CallState::allowed)
    }

    /// The policy the next call will get.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn expire(&mut self, now: Instant, out: &mut Vec<Command>) {
        while let Some(call) = &mut self.call {
            match call.next_deadline() {
                Some((at, deadline)) if at <= now => call.fire(at, deadline, out),
                _ => break,
            }
        }
    }

    fn call_event(&mut self, event: CallEvent, now: Instant, out: &mut Vec<Command>) {
        if let CallEvent::Answered(answered) = event {
            if let Some(call) = &self.call {
                if call.info.call_id == answered.call_id {
                    return; // delivered twice
                }
                // A new call while one is still open means its end event was missed.
                self.end_call(now, EndReason::NextCall, out);
            }
            let policy = self.policy.clone();
            let scope = scope::decide(&policy, &answered);
            let mut call = CallState::new(answered, policy, scope);
            call.note(now, TimelineKind::Answered, out);
            let starts_now = call.scope.is_ok()
                && call.info.kind == CallKind::Voice
                && call.policy.mode.starts_with_call();
            if starts_now {
                let mut env = Env {
                    next_id: &mut || self.ids.next(),
                    monitors: &self.monitors,
                };
                call.begin(&mut env, now, out);
            }
            self.call = Some(call);
            return;
        }
        let Some(call) = &mut self.call else {
            return;
        };
        if call.info.call_id != *event.call_id() {
            return; // about another (or an already finished) call
        }
        match event {
            CallEvent::Answered(_) => {}
            CallEvent::Held { .. } => {
                if call.phase == CallPhase::Active {
                    call.phase = CallPhase::Held;
                    call.note(now, TimelineKind::Held, out);
                }
            }
            CallEvent::Resumed { .. } => {
                if call.phase == CallPhase::Held {
                    call.phase = CallPhase::Active;
                    call.note(now, TimelineKind::Unheld, out);
                }
            }
            CallEvent::Transferred { to_agent, .. } => {
                call.note(now, TimelineKind::Transferred { to_agent }, out);
                self.end_call(now, EndReason::Transferred, out);
            }
            CallEvent::Ended { wrapup, .. } => {
                if call.phase == CallPhase::WrapUp {
                    return;
                }
                call.note(now, TimelineKind::CallEnded, out);
                if wrapup && call.policy.capture.include_wrapup {
                    call.phase = CallPhase::WrapUp;
                    call.note(now, TimelineKind::WrapUpStarted, out);
                    // The cap bounds how much of wrap-up is recordable, started or not yet;
                    // a call that cannot be recorded any more needs no timer.
                    let recordable = call.scope.is_ok() && !matches!(call.rec, session::Rec::Ended);
                    call.wrapup_deadline = call
                        .policy
                        .capture
                        .wrapup_cap_secs
                        .filter(|_| recordable)
                        .map(|cap| now + Duration::from_secs(u64::from(cap)));
                } else {
                    self.end_call(now, EndReason::CallEnded, out);
                }
            }
            CallEvent::WrapUpCompleted { .. } => {
                call.note(now, TimelineKind::WrapUpCompleted, out);
                self.end_call(now, EndReason::WrapUpCompleted, out);
            }
        }
    }

    fn participant_event(&mut self, event: ParticipantEvent, now: Instant, out: &mut Vec<Command>) {
        let Some(call) = &mut self.call else {
            return;
        };
        if call.info.call_id != *event.call_id() {
            return;
        }
        match event {
            ParticipantEvent::Joined {
                participant, role, ..
            } => {
                let mut env = Env {
                    next_id: &mut || self.ids.next(),
                    monitors: &self.monitors,
                };
                call.participant_joined(participant, role, &mut env, now, out);
            }
            ParticipantEvent::Left { participant, .. } => {
                call.participant_left(participant, now, out);
            }
        }
    }

    fn user(&mut self, action: Action, now: Instant, out: &mut Vec<Command>) {
        let Some(call) = &mut self.call else {
            out.push(Command::Refused {
                action,
                reason: Refusal::NoCall,
            });
            return;
        };
        if !call.allowed().contains(action) {
            out.push(Command::Refused {
                action,
                reason: call.refusal(action),
            });
            return;
        }
        let mut env = Env {
            next_id: &mut || self.ids.next(),
            monitors: &self.monitors,
        };
        call.act(action, &mut env, now, out);
    }

    fn monitors_changed(&mut self, now: Instant, out: &mut Vec<Command>) {
        if let Some(call) = &mut self.call {
            call.monitors_changed(&self.monitors, now, out);
        }
    }

    /// Ends the call: its recording (if still going) ends with `reason`.
    fn end_call(&mut self, now: Instant, reason: EndReason, out: &mut Vec<Command>) {
        if let Some(mut call) = self.call.take() {
            call.end_recording(now, reason, out);
        }
    }
}

/// Recording ids from a SplitMix64 stream: deterministic for a seed, and well spread so that
/// ids from differently seeded agents do not collide.
#[derive(Debug)]
struct IdSource(u64);

impl IdSource {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn next(&mut self) -> RecordingId {
        let hi = self.next_u64().to_le_bytes();
        let lo = self.next_u64().to_le_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi);
        bytes[8..].copy_from_slice(&lo);
        RecordingId::from_random_bytes(bytes)
    }
}
