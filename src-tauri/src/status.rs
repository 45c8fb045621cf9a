//! What the app shows of itself besides the Recorder: capture availability, server link,
//! upload backlog, enrollment, configuration problems. Components publish their part on a
//! `watch` channel ([`AgentStatusBoard`]); the tray, the windows and the local API read
//! [`StatusView`], the two combined.
//!
//! Parts whose components are not in this build (uploader, server link) say so instead of
//! pretending: `unknown` and `not connected`, with the reason.

use std::sync::Arc;

use agentrec_core::Snapshot;
use agentrec_core::recorder::RecordingStatus;
use serde::Serialize;
use tokio::sync::watch;

/// Whether screens and audio can be captured in this build / on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureStatus {
    /// Whether a capture pipeline is plugged in.
    pub available: bool,
    /// For people.
    pub detail: String,
}

/// The link to the ingest server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ServerStatus {
    /// No server URL (not enrolled).
    NotConfigured,
    /// A server is configured but there is no live link to it.
    NotConnected {
        /// The server.
        url: String,
        /// Why not.
        detail: String,
    },
    /// The policy/event stream is up.
    Connected {
        /// The server.
        url: String,
    },
}

/// Spooled segments waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UploadBacklog {
    /// Nobody measures it (no uploader in this build).
    Unknown {
        /// Why.
        detail: String,
    },
    /// As the uploader last counted.
    Known {
        /// Segments waiting.
        segments: u64,
        /// Their size.
        bytes: u64,
    },
}

/// Where the enrollment material came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentSource {
    /// The managed config file IT installed.
    Managed,
    /// The first-run window.
    User,
}

/// Whether this workstation is enrolled with a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// No managed config and nothing entered: the first-run window asks.
    NeedsInput,
    /// Server and token known; the exchange for a device credential has not happened.
    Pending {
        /// The server.
        server_url: String,
        /// Where the material came from.
        source: EnrollmentSource,
        /// Why it is still pending.
        detail: String,
    },
    /// A new enrollment token is needed: the server revoked the credential, or refused the
    /// token (used, expired); the enrollment window asks the agent for one.
    NeedsToken {
        /// The server.
        server_url: String,
        /// Where the server URL came from.
        source: EnrollmentSource,
        /// Why, for people.
        detail: String,
    },
    /// A device credential is in the keyring.
    Enrolled {
        /// The server.
        server_url: String,
        /// Where the material came from.
        source: EnrollmentSource,
    },
    /// Enrollment cannot proceed (keyring unavailable, server refused).
    Failed {
        /// Why.
        detail: String,
    },
}

/// Whether the Recorder runs on a policy from the server or on the built-in default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    /// The last policy the server pushed (policy cache).
    Cache,
    /// No policy was ever received: the built-in default.
    Default,
}

/// Everything the app shows besides the Recorder's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentStatus {
    /// Capture pipeline.
    pub capture: CaptureStatus,
    /// Server link.
    pub server: ServerStatus,
    /// Upload backlog.
    pub upload_backlog: UploadBacklog,
    /// Enrollment.
    pub enrollment: EnrollmentStatus,
    /// A configuration problem (managed config, policy cache), shown until fixed.
    pub config_error: Option<String>,
    /// Where the policy came from.
    pub policy_source: PolicySource,
    /// The consent notice of the recording in progress, if any.
    pub consent_notice: Option<String>,
    /// The last problem worth telling the agent (a notification that failed, a keyring error).
    pub last_problem: Option<String>,
}

impl AgentStatus {
    /// The status before any component reported: nothing known, nothing connected.
    pub fn initial(capture: CaptureStatus) -> Self {
        AgentStatus {
            capture,
            server: ServerStatus::NotConfigured,
            upload_backlog: UploadBacklog::Unknown {
                detail: "not counted yet".to_owned(),
            },
            enrollment: EnrollmentStatus::NeedsInput,
            config_error: None,
            policy_source: PolicySource::Default,
            consent_notice: None,
            last_problem: None,
        }
    }
}

/// The shared, watchable [`AgentStatus`]: components update their part with [`Self::update`].
#[derive(Debug, Clone)]
pub struct AgentStatusBoard {
    tx: Arc<watch::Sender<AgentStatus>>,
}

impl AgentStatusBoard {
    /// A board starting at `initial`.
    pub fn new(initial: AgentStatus) -> Self {
        AgentStatusBoard {
            tx: Arc::new(watch::Sender::new(initial)),
        }
    }

    /// Changes the status; watchers wake only if something changed.
    pub fn update(&self, change: impl FnOnce(&mut AgentStatus)) {
        self.tx.send_if_modified(|status| {
            let before = status.clone();
            change(status);
            *status != before
        });
    }

    /// The status now.
    pub fn get(&self) -> AgentStatus {
        self.tx.borrow().clone()
    }

    /// A receiver that wakes on every change.
    pub fn subscribe(&self) -> watch::Receiver<AgentStatus> {
        self.tx.subscribe()
    }
}

/// The state the tray icon shows at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    /// Nothing recorded now, nothing waiting.
    Idle,
    /// Capturing.
    Recording,
    /// Paused.
    Paused,
    /// Not recording, segments still uploading.
    Uploading,
    /// Something needs attention: a failing capture source, a broken config, enrollment.
    Error,
}

impl TrayState {
    /// Derives the state. Recording and paused come first: the agent must always see that they
    /// are being recorded; a problem during a recording is a mark on that icon
    /// ([`StatusView::needs_attention`]), and the icon turns to *error* only outside one.
    pub fn of(recorder: &Snapshot, agent: &AgentStatus) -> Self {
        match recorder.status {
            RecordingStatus::Recording => TrayState::Recording,
            RecordingStatus::Paused => TrayState::Paused,
            _ if needs_attention(recorder, agent) => TrayState::Error,
            _ => match agent.upload_backlog {
                UploadBacklog::Known { segments, .. } if segments > 0 => TrayState::Uploading,
                _ => TrayState::Idle,
            },
        }
    }

    /// For people (tray tooltip and menu header).
    pub fn label(self) -> &'static str {
        match self {
            TrayState::Idle => "Idle",
            TrayState::Recording => "Recording",
            TrayState::Paused => "Paused",
            TrayState::Uploading => "Uploading backlog",
            TrayState::Error => "Problem",
        }
    }
}

/// Whether something needs the agent's or IT's attention: a failing capture source, a broken
/// config, a failed enrollment.
pub fn needs_attention(recorder: &Snapshot, agent: &AgentStatus) -> bool {
    !recorder.failing.is_empty()
        || agent.config_error.is_some()
        || matches!(
            agent.enrollment,
            EnrollmentStatus::Failed { .. } | EnrollmentStatus::NeedsToken { .. }
        )
}

/// The Recorder's snapshot and the app's status together: what windows and the local API show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusView {
    /// The Recorder's state.
    pub recorder: Snapshot,
    /// The rest of the app.
    pub agent: AgentStatus,
    /// The tray icon's state.
    pub tray_state: TrayState,
    /// Whether something needs attention (see [`needs_attention`]).
    pub needs_attention: bool,
}

impl StatusView {
    /// Combines the two.
    pub fn new(recorder: Snapshot, agent: AgentStatus) -> Self {
        let tray_state = TrayState::of(&recorder, &agent);
        let needs_attention = needs_attention(&recorder, &agent);
        StatusView {
            recorder,
            agent,
            tray_state,
            needs_attention,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::recorder::Source;
    use agentrec_core::{Policy, Recorder};

    fn idle() -> Snapshot {
        Recorder::new(Policy::default(), 1).state()
    }

    fn agent() -> AgentStatus {
        AgentStatus::initial(CaptureStatus {
            available: true,
            detail: String::new(),
        })
    }

    #[test]
    fn recording_stays_visible_and_problems_are_marked() {
        assert_eq!(TrayState::of(&idle(), &agent()), TrayState::Idle);
        let mut recording = idle();
        recording.status = RecordingStatus::Recording;
        assert_eq!(TrayState::of(&recording, &agent()), TrayState::Recording);
        recording.failing = vec![Source::Microphone];
        let view = StatusView::new(recording, agent());
        assert_eq!(
            (view.tray_state, view.needs_attention),
            (TrayState::Recording, true),
            "a failing source marks the recording icon, it does not hide that recording goes on"
        );
        let mut broken = agent();
        broken.config_error = Some("bad".into());
        let view = StatusView::new(idle(), broken);
        assert_eq!(
            (view.tray_state, view.needs_attention),
            (TrayState::Error, true)
        );
    }

    #[test]
    fn tray_state_shows_a_backlog_only_when_known_and_not_recording() {
        let mut a = agent();
        a.upload_backlog = UploadBacklog::Known {
            segments: 3,
            bytes: 10,
        };
        assert_eq!(TrayState::of(&idle(), &a), TrayState::Uploading);
        let mut paused = idle();
        paused.status = RecordingStatus::Paused;
        assert_eq!(TrayState::of(&paused, &a), TrayState::Paused);
    }

    #[test]
    fn board_wakes_watchers_only_on_change() {
        let board = AgentStatusBoard::new(agent());
        let mut rx = board.subscribe();
        rx.mark_unchanged();
        board.update(|s| s.last_problem = None);
        assert!(!rx.has_changed().unwrap());
        board.update(|s| s.last_problem = Some("x".into()));
        assert!(rx.has_changed().unwrap());
    }
}
