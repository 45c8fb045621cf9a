//! The seam to the capture pipeline: the Recorder's capture commands go to a [`CaptureDriver`].
//!
//! The real driver (issue 4's capture session + encrypted spool) implements this trait and is
//! handed to [`crate::recorder_task::spawn`]. Until it is merged, [`UnavailableCapture`] answers
//! every start with a [`Input::CaptureFailed`] per source — exactly what a real failure looks
//! like to the Recorder, the tray and the server — and never pretends to record.

use agentrec_core::policy::CapturePolicy;
use agentrec_core::recorder::Source;
use agentrec_core::{CallId, Command, Input, MonitorId, RecordingId};

use crate::status::CaptureStatus;

/// A capture command from the Recorder, in the order it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureCommand {
    /// Open sources and capture into `recording` (a later start after a stop continues the
    /// same recording's timeline).
    Start {
        /// The recording.
        recording: RecordingId,
        /// Its call.
        call: CallId,
        /// Effective capture settings.
        settings: CapturePolicy,
        /// Monitors to capture.
        monitors: Vec<MonitorId>,
    },
    /// Capture nothing until resumed; sources stay open.
    Pause(RecordingId),
    /// Capture again.
    Resume(RecordingId),
    /// Close sources and flush; the recording goes on (finalize comes separately).
    Stop(RecordingId),
    /// Start a track for a monitor.
    AddMonitor(RecordingId, MonitorId),
    /// End a monitor's track.
    RemoveMonitor(RecordingId, MonitorId),
}

impl CaptureCommand {
    /// The capture part of a Recorder command, if it has one.
    pub fn from_command(command: &Command) -> Option<Self> {
        Some(match command {
            Command::StartCapture {
                recording,
                call,
                settings,
                monitors,
            } => CaptureCommand::Start {
                recording: *recording,
                call: call.clone(),
                settings: settings.clone(),
                monitors: monitors.clone(),
            },
            Command::PauseCapture { recording } => CaptureCommand::Pause(*recording),
            Command::ResumeCapture { recording } => CaptureCommand::Resume(*recording),
            Command::StopCapture { recording } => CaptureCommand::Stop(*recording),
            Command::AddMonitor { recording, monitor } => {
                CaptureCommand::AddMonitor(*recording, monitor.clone())
            }
            Command::RemoveMonitor { recording, monitor } => {
                CaptureCommand::RemoveMonitor(*recording, monitor.clone())
            }
            _ => return None,
        })
    }
}

/// Carries out capture commands.
///
/// `execute` runs on the Recorder's owner task: it must not block (hand heavy work to the
/// pipeline's own threads). What the Recorder must learn at once (a source that could not
/// open) is returned and fed back before the next input; what happens later (a monitor
/// unplugged mid-call, a device recovered, monitors found at start-up) the driver sends through
/// the [`crate::recorder_task::RecorderHandle`] it was built with.
pub trait CaptureDriver: Send + 'static {
    /// Carries out one command; returns inputs for the Recorder (e.g. `CaptureFailed`).
    fn execute(&mut self, command: CaptureCommand) -> Vec<Input>;

    /// Whether capture works, for the status window.
    fn status(&self) -> CaptureStatus;
}

/// The driver of a build without the capture pipeline: every source fails to open.
#[derive(Debug, Default)]
pub struct UnavailableCapture;

/// What agents, IT and the server see as the failure.
pub const CAPTURE_UNAVAILABLE: &str = "capture not available in this build";

impl CaptureDriver for UnavailableCapture {
    fn execute(&mut self, command: CaptureCommand) -> Vec<Input> {
        let failed = |source| Input::CaptureFailed {
            source,
            error: CAPTURE_UNAVAILABLE.to_owned(),
        };
        match command {
            CaptureCommand::Start {
                settings, monitors, ..
            } => {
                let mut inputs: Vec<Input> = monitors
                    .into_iter()
                    .map(|m| failed(Source::Monitor(m)))
                    .collect();
                if settings.audio.microphone {
                    inputs.push(failed(Source::Microphone));
                }
                if settings.audio.system {
                    inputs.push(failed(Source::System));
                }
                inputs
            }
            CaptureCommand::AddMonitor(_, monitor) => vec![failed(Source::Monitor(monitor))],
            CaptureCommand::Pause(_)
            | CaptureCommand::Resume(_)
            | CaptureCommand::Stop(_)
            | CaptureCommand::RemoveMonitor(..) => Vec::new(),
        }
    }

    fn status(&self) -> CaptureStatus {
        CaptureStatus {
            available: false,
            detail: CAPTURE_UNAVAILABLE.to_owned(),
        }
    }
}
