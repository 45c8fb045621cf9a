//! One call, from answer to wrap-up completed, and the recording it may produce.
//!
//! The rules of modes, triggers and limits live here; [`super::Recorder`] routes inputs to
//! the current call and owns what outlives calls (the pending policy, connected monitors).

use std::collections::BTreeMap;
use std::mem;
use std::time::{Duration, Instant};

use super::command::{Command, DiscardReason, EndReason, Finalized, Indicator, Notice, Outcome};
use super::input::Source;
use super::recording::{Capture, Recording, millis};
use super::scope::NotRecordedReason;
use super::snapshot::{CallPhase, RecordingStatus};
use super::timeline::TimelineKind;
use crate::call::{Answered, CallKind, ParticipantRole};
use crate::ids::{MonitorId, ParticipantId, RecordingId};
use crate::mode::{Action, ActionSet, Refusal};
use crate::policy::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prompt {
    /// Not asked (yet).
    NotAsked,
    /// Waiting for Start / Cancel.
    Pending,
    /// Answered, or made moot by a start.
    Done,
}

#[derive(Debug)]
pub(super) enum Rec {
    NotStarted,
    Started(Recording),
    /// This call's recording is over; the call may go on (host-left time-out, caps).
    Ended,
}

/// What the call needs from the Recorder to start or extend a recording.
pub(super) struct Env<'a> {
    pub(super) next_id: &'a mut dyn FnMut() -> RecordingId,
    pub(super) monitors: &'a [MonitorId],
}

#[derive(Debug)]
pub(super) struct CallState {
    pub(super) info: Answered,
    /// The policy in force when the call was answered; later updates wait for the next call.
    pub(super) policy: Policy,
    pub(super) scope: Result<(), NotRecordedReason>,
    pub(super) phase: CallPhase,
    pub(super) participants: BTreeMap<ParticipantId, ParticipantRole>,
    pub(super) prompt: Prompt,
    pub(super) host_left_deadline: Option<Instant>,
    pub(super) wrapup_deadline: Option<Instant>,
    /// Call events before recording began, replayed at negative offsets when it begins.
    early: Vec<(Instant, TimelineKind)>,
    pub(super) rec: Rec,
}

/// A time-out the call is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deadline {
    MaxLength,
    WrapUpCap,
    HostLeft,
}

impl CallState {
    pub(super) fn new(
        info: Answered,
        policy: Policy,
        scope: Result<(), NotRecordedReason>,
    ) -> Self {
        CallState {
            info,
            policy,
            scope,
            phase: CallPhase::Active,
            participants: BTreeMap::new(),
            prompt: Prompt::NotAsked,
            host_left_deadline: None,
            wrapup_deadline: None,
            early: Vec::new(),
            rec: Rec::NotStarted,
        }
    }

    pub(super) fn status(&self) -> RecordingStatus {
        if let Err(reason) = self.scope {
            return RecordingStatus::NotRecorded { reason };
        }
        match &self.rec {
            Rec::NotStarted => RecordingStatus::Waiting,
            Rec::Ended => RecordingStatus::Ended,
            Rec::Started(r) => match r.capture {
                Capture::Running { .. } => RecordingStatus::Recording,
                Capture::Paused => RecordingStatus::Paused,
                Capture::Stopped => RecordingStatus::Stopped,
            },
        }
    }

    pub(super) fn recording(&self) -> Option<&Recording> {
        match &self.rec {
            Rec::Started(r) => Some(r),
            Rec::NotStarted | Rec::Ended => None,
        }
    }

    fn is_live(&self) -> bool {
        self.info.kind == CallKind::Live
    }

    /// Whether the agent may start by hand: the mode allows it, or this is a live session
    /// whose trigger leaves the start to the host.
    fn may_start_by_hand(&self) -> bool {
        self.policy.mode.allows_manual_start()
            || (self.is_live() && self.policy.start_trigger.allows_manual_start())
    }

    /// Exactly the actions the agent may take now.
    pub(super) fn allowed(&self) -> ActionSet {
        let mode = self.policy.mode;
        let mut set = ActionSet::EMPTY;
        if self.prompt == Prompt::Pending {
            set = set.with(Action::AcceptPrompt).with(Action::DeclinePrompt);
        }
        match self.status() {
            RecordingStatus::Waiting if self.may_start_by_hand() => set.with(Action::Start),
            RecordingStatus::Recording if mode.allows_pause() => {
                let set = set.with(Action::Pause);
                if mode.allows_stop() {
                    set.with(Action::Stop)
                } else {
                    set
                }
            }
            RecordingStatus::Paused => {
                let set = set.with(Action::Resume);
                if mode.allows_stop() {
                    set.with(Action::Stop)
                } else {
                    set
                }
            }
            RecordingStatus::Stopped => set.with(Action::Start),
            _ => set,
        }
    }

    /// Why `action` is not allowed now (called only when it is not).
    pub(super) fn refusal(&self, action: Action) -> Refusal {
        let mode = self.policy.mode;
        let status = self.status();
        if let RecordingStatus::NotRecorded { .. } = status {
            return Refusal::NotRecordedByPolicy;
        }
        if status == RecordingStatus::Ended {
            return Refusal::RecordingEnded;
        }
        let mode_allows = match action {
            Action::AcceptPrompt | Action::DeclinePrompt => return Refusal::NoPrompt,
            Action::Start => self.may_start_by_hand() || status == RecordingStatus::Stopped,
            Action::Pause | Action::Resume => mode.allows_pause(),
            Action::Stop => mode.allows_stop(),
        };
        if !mode_allows {
            return Refusal::NotAllowedByMode { mode };
        }
        let why = match (action, status) {
            (Action::Start, _) => "recording is already on",
            (Action::Pause, RecordingStatus::Paused) => "recording is already paused",
            (Action::Resume, RecordingStatus::Recording) => "recording is not paused",
            (Action::Stop, RecordingStatus::Stopped) => "recording is already stopped",
            _ => "recording has not started",
        };
        Refusal::WrongState {
            detail: why.to_owned(),
        }
    }

    /// Records a call-level event: on the timeline if recording, else kept for later.
    pub(super) fn note(&mut self, at: Instant, kind: TimelineKind, out: &mut Vec<Command>) {
        match &mut self.rec {
            Rec::Started(r) => r.mark(at, kind, out),
            Rec::NotStarted => self.early.push((at, kind)),
            Rec::Ended => {}
        }
    }

    /// Starts the call's recording (first start only).
    pub(super) fn begin(&mut self, env: &mut Env<'_>, now: Instant, out: &mut Vec<Command>) {
        debug_assert!(matches!(self.rec, Rec::NotStarted) && self.scope.is_ok());
        let id = (env.next_id)();
        let monitors = self.select_monitors(env.monitors);
        if self.policy.consent.notice_required {
            out.push(Command::Notify(Notice::Consent {
                text: self.policy.consent.text.clone(),
            }));
        }
        out.push(Command::StartCapture {
            recording: id,
            call: self.info.call_id.clone(),
            settings: self.policy.capture.clone(),
            monitors: monitors.clone(),
        });
        out.push(Command::ShowIndicator {
            state: Indicator::Recording,
        });
        out.push(Command::Notify(Notice::Started));
        let mut r = Recording::new(id, now, monitors);
        for (at, kind) in self.early.drain(..) {
            r.mark(at, kind, out);
        }
        r.mark(now, TimelineKind::RecordingStarted, out);
        self.rec = Rec::Started(r);
        self.dismiss_prompt(out);
    }

    fn select_monitors(&self, connected: &[MonitorId]) -> Vec<MonitorId> {
        connected
            .iter()
            .take(usize::from(self.policy.capture.max_monitors))
            .cloned()
            .collect()
    }

    pub(super) fn dismiss_prompt(&mut self, out: &mut Vec<Command>) {
        if self.prompt == Prompt::Pending {
            self.prompt = Prompt::Done;
            out.push(Command::DismissPrompt {
                call: self.info.call_id.clone(),
            });
        }
    }

    /// Carries out an allowed user action.
    pub(super) fn act(
        &mut self,
        action: Action,
        env: &mut Env<'_>,
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        debug_assert!(self.allowed().contains(action));
        if action == Action::DeclinePrompt {
            self.dismiss_prompt(out);
            return;
        }
        let call = self.info.call_id.clone();
        let monitors = self.select_monitors(env.monitors);
        let settings = self.policy.capture.clone();
        let Rec::Started(r) = &mut self.rec else {
            // Start or AcceptPrompt before the first start.
            self.begin(env, now, out);
            return;
        };
        let recording = r.id;
        match action {
            Action::Pause => {
                r.close_run(now, Capture::Paused);
                out.push(Command::PauseCapture { recording });
                out.push(Command::ShowIndicator {
                    state: Indicator::Paused,
                });
                out.push(Command::Notify(Notice::Paused));
                r.mark(now, TimelineKind::Paused, out);
            }
            Action::Resume => {
                r.capture = Capture::Running { since: now };
                out.push(Command::ResumeCapture { recording });
                out.push(Command::ShowIndicator {
                    state: Indicator::Recording,
                });
                out.push(Command::Notify(Notice::Resumed));
                r.mark(now, TimelineKind::Resumed, out);
            }
            Action::Stop => {
                r.close_run(now, Capture::Stopped);
                out.push(Command::StopCapture { recording });
                out.push(Command::HideIndicator);
                out.push(Command::Notify(Notice::Stopped));
                r.mark(now, TimelineKind::Stopped, out);
            }
            Action::Start | Action::AcceptPrompt => {
                // Start again after a stop: same recording, a new run on its timeline.
                r.capture = Capture::Running { since: now };
                r.monitors = monitors.clone();
                r.failing.clear();
                out.push(Command::StartCapture {
                    recording,
                    call,
                    settings,
                    monitors,
                });
                out.push(Command::ShowIndicator {
                    state: Indicator::Recording,
                });
                out.push(Command::Notify(Notice::Started));
                r.mark(now, TimelineKind::Restarted, out);
            }
            Action::DeclinePrompt => {}
        }
    }

    /// Ends this call's recording (if any) at `at`; the call itself may go on.
    pub(super) fn end_recording(&mut self, at: Instant, reason: EndReason, out: &mut Vec<Command>) {
        self.host_left_deadline = None;
        self.wrapup_deadline = None;
        self.dismiss_prompt(out);
        let Rec::Started(mut r) = mem::replace(&mut self.rec, Rec::Ended) else {
            return;
        };
        if r.is_open() {
            r.close_run(at, Capture::Stopped);
            out.push(Command::StopCapture { recording: r.id });
            out.push(Command::HideIndicator);
        }
        out.push(Command::Notify(Notice::Ended { reason }));
        r.mark(at, TimelineKind::RecordingEnded { reason }, out);
        let recorded_ms = millis(r.recorded_before);
        let min_ms = u64::from(self.policy.limits.min_recording_secs) * 1000;
        if recorded_ms < min_ms {
            out.push(Command::DiscardRecording {
                recording: r.id,
                reason: DiscardReason::TooShort {
                    recorded_ms,
                    min_ms,
                },
            });
            return;
        }
        let partial = reason.is_partial() || r.capture_failed;
        out.push(Command::FinalizeRecording(Box::new(Finalized {
            recording: r.id,
            call: self.info.call_id.clone(),
            outcome: if partial {
                Outcome::Partial
            } else {
                Outcome::Complete
            },
            reason,
            capture_failed: r.capture_failed,
            recorded_ms,
            duration_ms: millis(at.saturating_duration_since(r.started_at)),
            timeline: r.timeline,
        })));
    }

    /// The earliest time-out this call waits for.
    pub(super) fn next_deadline(&self) -> Option<(Instant, Deadline)> {
        let max_length = self.recording().and_then(|r| match r.capture {
            Capture::Running { since } => {
                let limit = Duration::from_secs(u64::from(self.policy.limits.max_recording_secs));
                Some((
                    since + limit.saturating_sub(r.recorded_before),
                    Deadline::MaxLength,
                ))
            }
            Capture::Paused | Capture::Stopped => None,
        });
        [
            max_length,
            self.wrapup_deadline.map(|t| (t, Deadline::WrapUpCap)),
            self.host_left_deadline.map(|t| (t, Deadline::HostLeft)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(t, _)| *t)
    }

    /// Fires a due time-out at its own instant.
    pub(super) fn fire(&mut self, at: Instant, deadline: Deadline, out: &mut Vec<Command>) {
        let reason = match deadline {
            Deadline::MaxLength => EndReason::MaxLengthReached,
            Deadline::WrapUpCap => EndReason::WrapUpCapReached,
            Deadline::HostLeft => EndReason::HostLeftTimeout,
        };
        self.end_recording(at, reason, out);
    }

    pub(super) fn participant_joined(
        &mut self,
        participant: ParticipantId,
        role: ParticipantRole,
        env: &mut Env<'_>,
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        if self.participants.contains_key(&participant) {
            return;
        }
        self.participants.insert(participant.clone(), role);
        self.note(
            now,
            TimelineKind::ParticipantJoined { participant, role },
            out,
        );
        if role == ParticipantRole::Host {
            self.host_left_deadline = None;
        }
        if !self.is_live() || self.scope.is_err() || !matches!(self.rec, Rec::NotStarted) {
            return;
        }
        use crate::mode::StartTrigger as T;
        match self.policy.start_trigger {
            T::AutoFirstParticipant => self.begin(env, now, out),
            T::AutoSecondParticipant if self.participants.len() >= 2 => self.begin(env, now, out),
            T::Prompt if role == ParticipantRole::Host && self.prompt == Prompt::NotAsked => {
                self.prompt = Prompt::Pending;
                out.push(Command::PromptHost {
                    call: self.info.call_id.clone(),
                });
            }
            T::Manual | T::Prompt | T::AutoSecondParticipant => {}
        }
    }

    pub(super) fn participant_left(
        &mut self,
        participant: ParticipantId,
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        let Some(role) = self.participants.remove(&participant) else {
            return;
        };
        self.note(now, TimelineKind::ParticipantLeft { participant }, out);
        let hosts_left = role == ParticipantRole::Host
            && !self
                .participants
                .values()
                .any(|r| *r == ParticipantRole::Host);
        let recording_open = self.recording().is_some_and(Recording::is_open);
        if hosts_left && recording_open && self.host_left_deadline.is_none() {
            let timeout = u64::from(self.policy.limits.host_left_timeout_secs);
            self.host_left_deadline = Some(now + Duration::from_secs(timeout));
        }
    }

    pub(super) fn capture_failed(
        &mut self,
        source: Source,
        error: String,
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        let Rec::Started(r) = &mut self.rec else {
            return;
        };
        if !r.is_open() || !r.failing.insert(source.clone()) {
            return;
        }
        r.capture_failed = true;
        out.push(Command::Notify(Notice::CaptureProblem {
            source: source.clone(),
            error,
        }));
        r.mark(now, TimelineKind::CaptureFailed { source }, out);
    }

    pub(super) fn capture_recovered(
        &mut self,
        source: Source,
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        let Rec::Started(r) = &mut self.rec else {
            return;
        };
        if !r.failing.remove(&source) {
            return;
        }
        out.push(Command::Notify(Notice::CaptureRecovered {
            source: source.clone(),
        }));
        r.mark(now, TimelineKind::CaptureRecovered { source }, out);
    }

    /// Re-balances the captured monitors after the connected set changed.
    pub(super) fn monitors_changed(
        &mut self,
        connected: &[MonitorId],
        now: Instant,
        out: &mut Vec<Command>,
    ) {
        let max = usize::from(self.policy.capture.max_monitors);
        let Rec::Started(r) = &mut self.rec else {
            return;
        };
        if !r.is_open() {
            return;
        }
        let gone: Vec<MonitorId> = r
            .monitors
            .iter()
            .filter(|m| !connected.contains(m))
            .cloned()
            .collect();
        for monitor in gone {
            r.monitors.retain(|m| *m != monitor);
            r.failing.remove(&Source::Monitor(monitor.clone()));
            out.push(Command::RemoveMonitor {
                recording: r.id,
                monitor: monitor.clone(),
            });
            r.mark(now, TimelineKind::MonitorRemoved { monitor }, out);
        }
        for monitor in connected {
            if r.monitors.len() >= max {
                break;
            }
            if r.monitors.contains(monitor) {
                continue;
            }
            r.monitors.push(monitor.clone());
            out.push(Command::AddMonitor {
                recording: r.id,
                monitor: monitor.clone(),
            });
            r.mark(
                now,
                TimelineKind::MonitorAdded {
                    monitor: monitor.clone(),
                },
                out,
            );
        }
    }
}
