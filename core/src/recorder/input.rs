//! What the Recorder is told.

use serde::{Deserialize, Serialize};

use crate::call::{CallEvent, ParticipantEvent};
use crate::ids::MonitorId;
use crate::mode::Action;
use crate::policy::Policy;

/// A capture source that can fail on its own while the others keep recording.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "monitor", rename_all = "snake_case")]
pub enum Source {
    /// One monitor's screen.
    Monitor(MonitorId),
    /// The agent's microphone.
    Microphone,
    /// What the agent hears (system output).
    System,
}

/// An input to [`Recorder::handle`](super::Recorder::handle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A call lifecycle event (from CTI via the server, or the local API).
    Call(CallEvent),
    /// A live-session participant joined or left.
    Participant(ParticipantEvent),
    /// The agent (host) asked for an action from the tray, a window or the local API.
    User {
        /// What was asked.
        action: Action,
    },
    /// The org's policy changed; it applies from the next call.
    PolicyUpdated(Box<Policy>),
    /// The time returned by [`Recorder::poll_timeout`](super::Recorder::poll_timeout) passed.
    TimerFired,
    /// A capture source stopped delivering (monitor gone, audio device lost, permission).
    CaptureFailed {
        /// Which source.
        source: Source,
        /// What the backend said, for the tray and the server.
        error: String,
    },
    /// A failed capture source delivers again.
    CaptureRecovered {
        /// Which source.
        source: Source,
    },
    /// A monitor was connected (or found at start-up).
    MonitorAdded {
        /// Which monitor.
        monitor: MonitorId,
    },
    /// A monitor was disconnected.
    MonitorRemoved {
        /// Which monitor.
        monitor: MonitorId,
    },
    /// The app is quitting (logout, update, shutdown): end what is being recorded as partial.
    Shutdown,
}
