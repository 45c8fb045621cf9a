//! What the Recorder shows of itself: the tray, status window and heartbeat read this.

use serde::{Deserialize, Serialize};

use super::input::Source;
use super::scope::NotRecordedReason;
use crate::call::CallKind;
use crate::ids::{CallId, MonitorId, RecordingId};
use crate::mode::{ActionSet, RecordingMode};

/// Where a call is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallPhase {
    /// Talking.
    Active,
    /// On hold.
    Held,
    /// After-call work.
    WrapUp,
}

/// Whether, and how, the current call is being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordingStatus {
    /// No call.
    Idle,
    /// The call is outside the policy's scope: nothing will be recorded.
    NotRecorded {
        /// Why.
        reason: NotRecordedReason,
    },
    /// In a call, recording not started (On-Demand, or a live session waiting for its trigger).
    Waiting,
    /// Capturing.
    Recording,
    /// Paused: the recording goes on, nothing is captured.
    Paused,
    /// Stopped by the agent (On-Demand UIS); can start again.
    Stopped,
    /// This call's recording is over (limit, host left, wrap-up cap); the call goes on.
    Ended,
}

impl RecordingStatus {
    /// Whether screens and audio are being captured right now.
    pub fn is_capturing(self) -> bool {
        self == RecordingStatus::Recording
    }
}

/// The call as the Recorder knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSnapshot {
    /// The platform's id.
    pub call_id: CallId,
    /// Phone call or live session.
    pub kind: CallKind,
    /// Lifecycle phase.
    pub phase: CallPhase,
    /// Whether the ACD routed it.
    pub acd: bool,
    /// Its queue.
    pub queue: Option<String>,
    /// Live-session participants present now.
    pub participants: usize,
}

/// The Recorder's state, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The current call, if any.
    pub call: Option<CallSnapshot>,
    /// Recording status of the current call.
    pub status: RecordingStatus,
    /// The current call's recording, once started.
    pub recording: Option<RecordingId>,
    /// The mode in force: the current call's, or the one the next call will get.
    pub mode: RecordingMode,
    /// Exactly the actions the agent may take now.
    pub allowed: ActionSet,
    /// Whether the live-session prompt is waiting for an answer.
    pub prompt_pending: bool,
    /// Time captured so far in this recording, as of the last input.
    pub recorded_ms: u64,
    /// Monitors being captured.
    pub monitors: Vec<MonitorId>,
    /// Capture sources failing now.
    pub failing: Vec<Source>,
    /// Version of the policy the next call will get.
    pub policy_version: u64,
}
