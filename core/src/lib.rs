//! The pure domain of agentrec, shared by the agent app and the ingest server.
//!
//! - [`policy`]: what an organisation decides — recording mode, start trigger, scope, capture
//!   limits, consent, retention and access — as versioned serde types with validation.
//! - [`mode`]: which user actions each mode allows, and why an action is refused.
//! - [`call`]: the call lifecycle events a contact-center platform reports.
//! - [`media`]: how a recording's tracks and segments are described, for capture, upload
//!   and serving.
//! - [`wire`]: the agent ↔ ingest server protocol types.
//! - [`recorder`]: the state machine that decides, for every moment of a call, whether the
//!   agent's screens and audio are recorded. Time is an input; it does no I/O.
//!
//! Nothing here touches the OS, the network or a clock: every rule can be tested exhaustively.
#![deny(missing_docs)]

pub mod call;
pub mod ids;
pub mod media;
pub mod mode;
pub mod policy;
pub mod recorder;
mod sampling;
pub mod wire;

pub use call::{CallEvent, CallKind, Direction, ParticipantEvent, ParticipantRole};
pub use ids::{CallId, MonitorId, ParticipantId, RecordingId};
pub use mode::{Action, ActionSet, RecordingMode, Refusal, StartTrigger};
pub use policy::{Policy, PolicyError};
pub use recorder::{Command, Input, Recorder, Snapshot};
