//! Markers on a recording's timeline, for playback (answered, hold, pause gaps, wrap-up, …).

use serde::{Deserialize, Serialize};

use super::command::EndReason;
use super::input::Source;
use crate::call::ParticipantRole;
use crate::ids::{MonitorId, ParticipantId};

/// One marker on a recording's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Milliseconds from the start of the recording (wall time, pauses included). Events that
    /// happened before recording started (e.g. the answer, in On-Demand mode) are negative.
    pub offset_ms: i64,
    /// What happened.
    #[serde(flatten)]
    pub kind: TimelineKind,
}

/// What happened at a timeline marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TimelineKind {
    /// The call was answered or connected.
    Answered,
    /// The call was put on hold.
    Held,
    /// The call came back from hold.
    Unheld,
    /// The call was transferred away from this agent.
    Transferred {
        /// Who it went to, when known.
        to_agent: Option<String>,
    },
    /// The conversation ended.
    CallEnded,
    /// After-call work began.
    WrapUpStarted,
    /// After-call work was completed.
    WrapUpCompleted,
    /// Recording started.
    RecordingStarted,
    /// Recording paused: a gap follows.
    Paused,
    /// Recording resumed after a pause.
    Resumed,
    /// Recording stopped by the agent (On-Demand UIS); a gap follows.
    Stopped,
    /// Recording started again after a stop.
    Restarted,
    /// A live-session participant joined.
    ParticipantJoined {
        /// Who.
        participant: ParticipantId,
        /// Host or guest.
        role: ParticipantRole,
    },
    /// A live-session participant left.
    ParticipantLeft {
        /// Who.
        participant: ParticipantId,
    },
    /// A capture source failed; the rest kept recording.
    CaptureFailed {
        /// Which source.
        source: Source,
    },
    /// A failed capture source came back.
    CaptureRecovered {
        /// Which source.
        source: Source,
    },
    /// A monitor's track began.
    MonitorAdded {
        /// Which monitor.
        monitor: MonitorId,
    },
    /// A monitor's track ended.
    MonitorRemoved {
        /// Which monitor.
        monitor: MonitorId,
    },
    /// The recording ended.
    RecordingEnded {
        /// Why.
        reason: EndReason,
    },
}
