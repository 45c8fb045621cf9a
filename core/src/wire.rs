//! The agent ↔ ingest server protocol: request and response bodies, the server-sent event
//! envelope and the segment upload headers.
//!
//! Serde types only, shared by the app (which sends and reads them) and the server (which
//! reads and sends them), so that the two cannot drift apart. Everything reuses the domain types
//! of [`media`](crate::media), [`call`](crate::call), [`policy`](crate::policy) and
//! [`recorder`](crate::recorder) rather than restating them.
//!
//! Times on the wire are Unix milliseconds (`*_at_ms`), durations milliseconds (`*_ms`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::call::{CallEvent, CallKind, Direction, ParticipantEvent, ParticipantRole};
use crate::ids::{CallId, MonitorId, ParticipantId, RecordingId};
use crate::media::{TrackInfo, TrackNo};
use crate::policy::Policy;
use crate::recorder::Finalized;

/// Header carrying the SHA-256 (lower-case hex) of an uploaded segment's body.
pub const SHA256_HEADER: &str = "x-agentrec-sha256";
/// Header carrying a media segment's start on the recording's timeline, in ms.
pub const START_MS_HEADER: &str = "x-agentrec-start-ms";
/// Header carrying a media segment's duration, in ms.
pub const DURATION_MS_HEADER: &str = "x-agentrec-duration-ms";

/// `POST /api/v2/agent/enroll`, authorized by an admin-issued enrollment token (single use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The workstation's host name.
    pub hostname: String,
    /// Operating system and version, e.g. `Windows 11 23H2`.
    pub os: String,
    /// The app's version.
    pub app_version: String,
}

/// The answer to an enrollment: the device credential to keep in the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device's id.
    pub device_id: Uuid,
    /// Bearer token for every agent endpoint. Shown once; the server keeps only its hash.
    pub device_token: String,
    /// The agent the device records for.
    pub user: UserRef,
    /// The policy in force for that agent.
    pub policy: Policy,
}

/// A person, as the agent app shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    /// The user's id.
    pub id: Uuid,
    /// E-mail address (the login).
    pub email: String,
    /// Display name.
    pub name: String,
}

/// What the recorder is doing, as reported in heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecorderState {
    /// No call.
    #[default]
    Idle,
    /// In a call, not recording (waiting for a start, or out of scope).
    InCall,
    /// Capturing.
    Recording,
    /// Paused or stopped within a recorded call.
    Paused,
    /// A state this build does not know (sent by a newer app).
    #[serde(other)]
    Unknown,
}

/// One monitor as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// The monitor's name.
    pub monitor: MonitorId,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Whether it is the primary monitor.
    #[serde(default)]
    pub primary: bool,
}

/// `POST /api/v2/agent/heartbeat`, every 30 s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The app's version.
    pub app_version: String,
    /// Operating system and version.
    pub os: String,
    /// Connected monitors.
    #[serde(default)]
    pub monitors: Vec<MonitorReport>,
    /// What the recorder is doing.
    #[serde(default)]
    pub recorder_state: RecorderState,
    /// Bytes waiting in the spool for upload.
    #[serde(default)]
    pub spool_bytes: u64,
    /// Segments waiting in the spool for upload.
    #[serde(default)]
    pub spool_segments: u64,
    /// The last error the app met, if any (capture, upload, …).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    /// Version of the policy in force for this agent: if it differs from the one the app
    /// holds, its event stream missed an update and it should fetch `GET /agent/policy`.
    pub policy_version: u64,
    /// The server's clock, to spot a skewed workstation clock.
    pub server_time_ms: i64,
}

/// A call or live-session event, as a CTI connector posts it and as the app receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentEvent {
    /// A call lifecycle event.
    Call(CallEvent),
    /// A live-session participant joined or left.
    Participant(ParticipantEvent),
}

/// `POST /api/v2/integrations/call-events`: a contact-center platform reports an event of one
/// agent's call; the server relays it to that agent's app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEventPost {
    /// The agent, by e-mail address.
    pub agent: String,
    /// The event.
    pub event: AgentEvent,
}

/// The answer to a posted call event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEventAccepted {
    /// The event's id in the agent's stream (the SSE `id`).
    pub id: String,
    /// How many of the agent's connected apps it was sent to right away (0: agent offline).
    pub delivered: u32,
    /// Until when it is kept for an app that connects later, Unix ms.
    pub kept_until_ms: i64,
}

/// One event on the agent's stream (`GET /api/v2/agent/events`, `text/event-stream`).
///
/// The SSE `event:` field is the `type` below; `data:` is this value as JSON. Call and
/// participant events carry an `id:` that the app echoes in `Last-Event-ID` on reconnection;
/// events still buffered after that id are sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The full policy in force for this agent. Sent first on every connection and after every
    /// change; `policy.version` is persisted and only increases.
    Policy {
        /// The effective policy (org policy with the agent's team override applied).
        policy: Policy,
    },
    /// A relayed call or participant event.
    Agent {
        /// The event.
        event: AgentEvent,
        /// When the server received it, Unix ms (an app that was offline can ignore stale ones).
        received_at_ms: i64,
    },
}

impl ServerEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            ServerEvent::Policy { .. } => "policy",
            ServerEvent::Agent { .. } => "agent",
        }
    }
}

/// Helpdesk products a recording can be linked to (the Screendesk API's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum HelpdeskPlatform {
    /// Zendesk.
    #[serde(rename = "zendesk")]
    Zendesk,
    /// Intercom.
    #[serde(rename = "intercom")]
    Intercom,
    /// Freshdesk.
    #[serde(rename = "freshdesk")]
    Freshdesk,
    /// Freshdesk chat.
    #[serde(rename = "freshdesk_chat")]
    FreshdeskChat,
    /// Help Scout.
    #[serde(rename = "helpscout")]
    Helpscout,
    /// Jira.
    #[serde(rename = "jira")]
    Jira,
    /// No helpdesk: the recorder itself.
    #[default]
    #[serde(rename = "screendesk app")]
    App,
}

/// The helpdesk ticket or conversation a call belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HelpdeskRef {
    /// Which helpdesk.
    pub platform: HelpdeskPlatform,
    /// Conversation id.
    pub conversation_id: Option<String>,
    /// Ticket id.
    pub ticket_id: Option<String>,
    /// The helpdesk's id of the customer as a user.
    pub user_id: Option<String>,
    /// The helpdesk's id of the agent.
    pub operator_id: Option<String>,
    /// The helpdesk's id of the customer.
    pub customer_id: Option<String>,
    /// Issue id (Jira).
    pub issue_id: Option<String>,
}

/// A live-session participant, for the recording's room insights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantInfo {
    /// The session platform's id of the participant.
    pub participant_id: ParticipantId,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Host or guest.
    #[serde(default)]
    pub role: Option<ParticipantRole>,
    /// When they joined, Unix ms.
    #[serde(default)]
    pub joined_at_ms: Option<i64>,
    /// When they left, Unix ms.
    #[serde(default)]
    pub left_at_ms: Option<i64>,
    /// Browser, when the platform says.
    #[serde(default)]
    pub browser: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Device.
    #[serde(default)]
    pub device: Option<String>,
    /// Device type (desktop, mobile, …).
    #[serde(default)]
    pub device_type: Option<String>,
    /// User agent.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// `PUT /api/v2/agent/recordings/{id}`: the Recorder started a recording. The id is generated
/// by the app, so a retry after a crash is idempotent (same body → 200, other body → 409).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRecording {
    /// The call it belongs to.
    pub call_id: CallId,
    /// Phone call or live session.
    #[serde(default)]
    pub kind: CallKind,
    /// Who placed the call.
    #[serde(default)]
    pub direction: Direction,
    /// Whether the ACD routed the call.
    #[serde(default)]
    pub acd: bool,
    /// The queue, if any.
    #[serde(default)]
    pub queue: Option<String>,
    /// The call's title (subject, caller name, meeting title): used in the recording's title.
    #[serde(default)]
    pub call_title: Option<String>,
    /// The customer's e-mail address, when the platform knows it.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// The linked helpdesk ticket or conversation.
    #[serde(default)]
    pub helpdesk: Option<HelpdeskRef>,
    /// Live-session participants known so far.
    #[serde(default)]
    pub participants: Vec<ParticipantInfo>,
    /// Unix ms of the recording's timeline 0.
    pub started_at_ms: i64,
    /// The workstation's IANA time zone, e.g. `Europe/Paris`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Tracks known at start (more can be registered later).
    #[serde(default)]
    pub tracks: Vec<TrackInfo>,
}

/// What the app knows about a recording's call when it starts: everything of
/// [`CreateRecording`] but the timeline's start and the tracks, which the capture pipeline
/// decides. Kept with the spooled recording, so that a recording uploaded after a crash or a
/// reboot is created on the server with the same details (and the same body, so the create
/// stays idempotent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CallMetadata {
    /// Phone call or live session.
    pub kind: CallKind,
    /// Who placed the call.
    pub direction: Direction,
    /// Whether the ACD routed the call.
    pub acd: bool,
    /// The queue, if any.
    pub queue: Option<String>,
    /// The call's title (subject, caller name, meeting title).
    pub call_title: Option<String>,
    /// The customer's e-mail address, when the platform knows it.
    pub customer_email: Option<String>,
    /// The linked helpdesk ticket or conversation.
    pub helpdesk: Option<HelpdeskRef>,
    /// Live-session participants known so far.
    pub participants: Vec<ParticipantInfo>,
    /// The workstation's IANA time zone, e.g. `Europe/Paris`.
    pub timezone: Option<String>,
}

impl CreateRecording {
    /// The create request of a recording of `call_id` whose timeline starts at
    /// `started_at_ms`, with `metadata` and the tracks known now.
    pub fn new(
        call_id: CallId,
        metadata: CallMetadata,
        started_at_ms: i64,
        tracks: Vec<TrackInfo>,
    ) -> Self {
        let CallMetadata {
            kind,
            direction,
            acd,
            queue,
            call_title,
            customer_email,
            helpdesk,
            participants,
            timezone,
        } = metadata;
        CreateRecording {
            call_id,
            kind,
            direction,
            acd,
            queue,
            call_title,
            customer_email,
            helpdesk,
            participants,
            started_at_ms,
            timezone,
            tracks,
        }
    }
}

/// Where a recording is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    /// Being recorded or uploaded.
    Open,
    /// Finalized: complete or partial, processed, playable and downloadable.
    Finalized,
}

/// What the server holds of one track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackStatus {
    /// The track's description.
    pub info: TrackInfo,
    /// Whether its init segment is stored.
    pub init: bool,
    /// Sequence numbers of the media segments stored, ascending.
    pub segments: Vec<u32>,
}

/// `GET /api/v2/agent/recordings/{id}/status`: what the server holds, so an app can resume
/// uploading after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// The recording.
    pub recording: RecordingId,
    /// Open or finalized.
    pub state: RecordingState,
    /// Every registered track.
    pub tracks: Vec<TrackStatus>,
}

/// The answer to a segment, init or poster upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentStored {
    /// The track.
    pub track: TrackNo,
    /// The sequence number (0 for the init segment).
    pub seq: u32,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Whether the server already held these exact bytes (a retry).
    pub duplicate: bool,
}

/// `POST /api/v2/agent/recordings/{id}/finalize`: the Recorder's end of a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizeRequest {
    /// What the Recorder said.
    pub finalized: Finalized,
    /// The last media segment number of each track, so the server can tell what is missing.
    pub last_seq: BTreeMap<TrackNo, u32>,
}

/// Segments of one track the server does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingSegments {
    /// The track.
    pub track: TrackNo,
    /// Whether the init segment is missing.
    pub init: bool,
    /// Missing media segment numbers.
    pub seqs: Vec<u32>,
}

/// The answer to a finalize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizeResponse {
    /// The recording.
    pub recording: RecordingId,
    /// Complete or partial (partial as well when segments are missing).
    pub outcome: crate::recorder::Outcome,
    /// The recording's title after processing.
    pub title: String,
    /// Duration on the timeline, ms.
    pub duration_ms: u64,
    /// Total bytes stored.
    pub size_bytes: u64,
    /// What is missing; empty when everything arrived.
    pub missing: Vec<MissingSegments>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_events_are_tagged_by_type() {
        let e = ServerEvent::Agent {
            event: AgentEvent::Call(CallEvent::Held {
                call_id: "c1".into(),
            }),
            received_at_ms: 5,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "agent");
        assert_eq!(json["event"]["call"]["type"], "held");
        assert_eq!(e.name(), "agent");
        let back: ServerEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn unknown_recorder_state_from_a_newer_app_is_kept_as_unknown() {
        let hb: Heartbeat =
            serde_json::from_str(r#"{"app_version":"9","os":"x","recorder_state":"teleporting"}"#)
                .unwrap();
        assert_eq!(hb.recorder_state, RecorderState::Unknown);
    }

    #[test]
    fn call_metadata_fills_a_create_request_and_defaults_when_absent() {
        let meta: CallMetadata = serde_json::from_str(r#"{"queue":"billing","acd":true}"#).unwrap();
        let create = CreateRecording::new("c1".into(), meta, 1_700_000_000_000, vec![]);
        assert_eq!(create.queue.as_deref(), Some("billing"));
        assert!(create.acd);
        assert_eq!(create.kind, CallKind::Voice);
        assert_eq!(create.started_at_ms, 1_700_000_000_000);
        assert_eq!(
            serde_json::from_str::<CallMetadata>("{}").unwrap(),
            CallMetadata::default()
        );
    }

    #[test]
    fn helpdesk_platform_uses_screendesk_names() {
        let h: HelpdeskRef = serde_json::from_str(r#"{"platform":"freshdesk_chat"}"#).unwrap();
        assert_eq!(h.platform, HelpdeskPlatform::FreshdeskChat);
        assert_eq!(
            serde_json::to_value(HelpdeskPlatform::App).unwrap(),
            "screendesk app"
        );
        assert!(serde_json::from_str::<HelpdeskRef>(r#"{"platform":"myspace"}"#).is_err());
    }
}
