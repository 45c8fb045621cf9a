//! What the Recorder asks its shell to do.

use serde::{Deserialize, Serialize};

use super::input::Source;
use super::timeline::TimelineEvent;
use crate::ids::{CallId, MonitorId, RecordingId};
use crate::mode::{Action, Refusal};
use crate::policy::CapturePolicy;

/// An output of [`Recorder::handle`](super::Recorder::handle), to be carried out in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Begin capturing into `recording`. The first one creates the recording; in On-Demand
    /// UIS a later one (after [`Command::StopCapture`]) continues the same recording's timeline.
    StartCapture {
        /// The recording to capture into.
        recording: RecordingId,
        /// The call it belongs to.
        call: CallId,
        /// The effective capture settings (the policy the call started with).
        settings: CapturePolicy,
        /// The monitors to capture, at most `settings.max_monitors`.
        monitors: Vec<MonitorId>,
    },
    /// Capture nothing until resumed; sources stay open.
    PauseCapture {
        /// The recording.
        recording: RecordingId,
    },
    /// Capture again after a pause.
    ResumeCapture {
        /// The recording.
        recording: RecordingId,
    },
    /// Stop capturing and flush what was captured; the recording is not over yet.
    StopCapture {
        /// The recording.
        recording: RecordingId,
    },
    /// Start a track for a monitor that appeared (within the monitor cap).
    AddMonitor {
        /// The recording.
        recording: RecordingId,
        /// The monitor.
        monitor: MonitorId,
    },
    /// End the track of a monitor that disappeared; the other tracks go on.
    RemoveMonitor {
        /// The recording.
        recording: RecordingId,
        /// The monitor.
        monitor: MonitorId,
    },
    /// The recording is over: upload what is left and mark it complete or partial.
    FinalizeRecording(Box<Finalized>),
    /// The recording is over but too short to keep: delete what was captured.
    DiscardRecording {
        /// The recording.
        recording: RecordingId,
        /// Why.
        reason: DiscardReason,
    },
    /// Show the always-visible recording indicator in this state.
    ShowIndicator {
        /// Recording or paused.
        state: Indicator,
    },
    /// Hide the recording indicator: nothing is being captured.
    HideIndicator,
    /// Tell the agent something (desktop notification / window banner).
    Notify(Notice),
    /// Ask the host "Start recording this session?" (Start / Cancel).
    PromptHost {
        /// The session.
        call: CallId,
    },
    /// Close the prompt: answered, started by hand, or the session ended.
    DismissPrompt {
        /// The session.
        call: CallId,
    },
    /// A marker for the recording's timeline (also part of [`Finalized::timeline`]).
    Timeline {
        /// The recording.
        recording: RecordingId,
        /// The marker.
        event: TimelineEvent,
    },
    /// A user action was refused; nothing changed. The UI shows the reason.
    Refused {
        /// What was asked.
        action: Action,
        /// Why not.
        reason: Refusal,
    },
}

/// The state the indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Capturing now.
    Recording,
    /// Paused: the recording goes on, nothing is captured.
    Paused,
}

/// A notice for the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// The policy's consent notice, shown before recording starts.
    Consent {
        /// The notice's text.
        text: String,
    },
    /// Recording started.
    Started,
    /// Recording paused.
    Paused,
    /// Recording resumed.
    Resumed,
    /// Recording stopped by the agent.
    Stopped,
    /// The recording ended.
    Ended {
        /// Why.
        reason: EndReason,
    },
    /// A capture source failed; the rest keeps recording.
    CaptureProblem {
        /// Which source.
        source: Source,
        /// What went wrong.
        error: String,
    },
    /// A failed capture source recovered.
    CaptureRecovered {
        /// Which source.
        source: Source,
    },
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The call ended and no wrap-up is recorded.
    CallEnded,
    /// Wrap-up was completed.
    WrapUpCompleted,
    /// The policy's wrap-up cap was reached.
    WrapUpCapReached,
    /// The call was transferred to another agent.
    Transferred,
    /// A new call was answered while this one was still open (a missed end event).
    NextCall,
    /// The policy's maximum recording length was reached.
    MaxLengthReached,
    /// The host left a live session and did not come back within the time-out.
    HostLeftTimeout,
    /// The app was shut down mid-recording.
    Shutdown,
    /// The app stopped without ending the recording (crash, kill -9, power loss); it was found
    /// unfinished in the spool at the next start and finalized with what had been captured.
    Interrupted,
}

impl EndReason {
    /// Whether a recording ending this way misses part of what policy meant to record.
    pub fn is_partial(self) -> bool {
        matches!(
            self,
            EndReason::MaxLengthReached
                | EndReason::HostLeftTimeout
                | EndReason::Shutdown
                | EndReason::Interrupted
        )
    }
}

/// Complete or partial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything policy meant to record was recorded.
    Complete,
    /// Something is missing: a limit, a time-out, a shutdown or a failed source.
    Partial,
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finalized {
    /// The recording.
    pub recording: RecordingId,
    /// The call it belongs to.
    pub call: CallId,
    /// Complete or partial.
    pub outcome: Outcome,
    /// Why it ended.
    pub reason: EndReason,
    /// Whether a capture source failed during the recording.
    pub capture_failed: bool,
    /// Time actually captured (pauses and stops excluded).
    pub recorded_ms: u64,
    /// Wall time from start to end (pauses included).
    pub duration_ms: u64,
    /// Every marker, in order.
    pub timeline: Vec<TimelineEvent>,
}

/// Why a recording was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscardReason {
    /// Less was captured than the policy's minimum length.
    TooShort {
        /// Time captured.
        recorded_ms: u64,
        /// The policy's minimum.
        min_ms: u64,
    },
}
