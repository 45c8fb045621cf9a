//! The org's recording policy: versioned serde types, defaults taken from the products the
//! spec was drawn from, and validation that names the offending field.
//!
//! Every struct is `#[serde(default)]`, so a partial document fills in the defaults; agents
//! parse leniently (an older agent ignores fields a newer server adds), while admin input goes
//! through [`Policy::from_json`], which also refuses unknown fields so a typo is not silently
//! ignored.

mod validate;

use serde::{Deserialize, Serialize};

use crate::mode::{RecordingMode, StartTrigger};

pub use validate::PolicyError;

/// The format version of [`Policy`] this build writes and understands.
pub const POLICY_SCHEMA: u32 = 1;

/// What the org decided about recording, as pushed to every agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Format version of this document ([`POLICY_SCHEMA`]).
    pub schema: u32,
    /// Revision number assigned by the server; strictly increases with each change.
    pub version: u64,
    /// Master switch: when off, nothing is recorded.
    pub enabled: bool,
    /// How much control the agent has.
    pub mode: RecordingMode,
    /// When live sessions start recording.
    pub start_trigger: StartTrigger,
    /// Which calls are recorded.
    pub scope: ScopePolicy,
    /// What is captured, and how much of it.
    pub capture: CapturePolicy,
    /// Length limits and time-outs.
    pub limits: LimitsPolicy,
    /// The notice shown before recording starts.
    pub consent: ConsentPolicy,
    /// How long recordings are kept.
    pub retention: RetentionPolicy,
    /// Who may view and download recordings.
    pub access: AccessPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            schema: POLICY_SCHEMA,
            version: 0,
            enabled: true,
            mode: RecordingMode::default(),
            start_trigger: StartTrigger::default(),
            scope: ScopePolicy::default(),
            capture: CapturePolicy::default(),
            limits: LimitsPolicy::default(),
            consent: ConsentPolicy::default(),
            retention: RetentionPolicy::default(),
            access: AccessPolicy::default(),
        }
    }
}

/// Which kinds of calls are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallScope {
    /// Only calls routed by the ACD (queue calls), as Genesys screen recording does.
    #[default]
    AcdOnly,
    /// Every call, including direct and outbound non-queue calls.
    All,
}

/// Which calls are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScopePolicy {
    /// ACD calls only, or all calls.
    pub calls: CallScope,
    /// Share of in-scope calls recorded, 0–100; the choice is deterministic per call id.
    pub sample_percent: u8,
    /// When non-empty, only calls from these queues are recorded.
    pub queues: Vec<String>,
    /// Whether live sessions (rooms with participants) are recorded.
    pub live_sessions: bool,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        ScopePolicy {
            calls: CallScope::AcdOnly,
            sample_percent: 100,
            queues: Vec::new(),
            live_sessions: true,
        }
    }
}

/// A width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Which audio sides are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioPolicy {
    /// The agent's microphone (left channel).
    pub microphone: bool,
    /// What the agent hears: the system output (right channel).
    pub system: bool,
}

impl Default for AudioPolicy {
    fn default() -> Self {
        AudioPolicy {
            microphone: true,
            system: true,
        }
    }
}

/// What is captured. Also the effective settings handed to the capture pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CapturePolicy {
    /// Monitors recorded at most, 1–4.
    pub max_monitors: u8,
    /// Frames per second at most, 1–30. Screens are encoded only when they change, so the
    /// cap bounds the busiest moments, not the average.
    pub fps_cap: u8,
    /// Larger monitors are scaled down to fit inside this size; `None` keeps native size.
    pub max_resolution: Option<Resolution>,
    /// Which audio sides are recorded.
    pub audio: AudioPolicy,
    /// Whether recording continues through wrap-up (after-call work) until it is completed.
    pub include_wrapup: bool,
    /// Wrap-up is recorded for at most this long; `None` means until wrap-up is completed.
    pub wrapup_cap_secs: Option<u32>,
}

impl Default for CapturePolicy {
    fn default() -> Self {
        CapturePolicy {
            max_monitors: 4,
            fps_cap: 5,
            max_resolution: None,
            audio: AudioPolicy::default(),
            include_wrapup: true,
            wrapup_cap_secs: None,
        }
    }
}

/// Length limits and time-outs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsPolicy {
    /// Recorded time at most; recording ends (partial) when reached. Default 24 h.
    pub max_recording_secs: u32,
    /// How long recording continues after the last host left a live session. Default 15 min.
    pub host_left_timeout_secs: u32,
    /// Recordings with less recorded time than this are discarded. Default 3 s.
    pub min_recording_secs: u32,
}

impl Default for LimitsPolicy {
    fn default() -> Self {
        LimitsPolicy {
            max_recording_secs: 24 * 3600,
            host_left_timeout_secs: 15 * 60,
            min_recording_secs: 3,
        }
    }
}

/// The notice shown when recording starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsentPolicy {
    /// Whether the notice is shown before recording starts.
    pub notice_required: bool,
    /// The notice's text.
    pub text: String,
}

impl Default for ConsentPolicy {
    fn default() -> Self {
        ConsentPolicy {
            notice_required: true,
            text: "This call is being recorded for quality and training purposes.".to_owned(),
        }
    }
}

/// How long recordings are kept before the server deletes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Days a live-session recording is kept; `None` keeps it until deleted by hand.
    pub live_days: Option<u32>,
    /// Days any other recording is kept; `None` keeps it until deleted by hand.
    pub other_days: Option<u32>,
}

/// Who may reach a share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShareVisibility {
    /// Only signed-in members of the org. The default: screen recordings are internal.
    #[default]
    MembersOnly,
    /// Anyone who has the link.
    AnyoneWithLink,
}

/// Which roles may download (not just view) recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DownloadPolicy {
    /// Admins.
    pub admin: bool,
    /// Supervisors (for their teams' recordings).
    pub supervisor: bool,
    /// Agents (for their own recordings, when they may view them).
    pub agent: bool,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        // As Genesys: screen recordings can be reviewed by supervisors but not downloaded.
        DownloadPolicy {
            admin: true,
            supervisor: false,
            agent: false,
        }
    }
}

/// Who may view and download recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AccessPolicy {
    /// Whether agents may view their own recordings (off by default, as Genesys).
    pub agents_view_own: bool,
    /// Which roles may download.
    pub download: DownloadPolicy,
    /// Who may open a share link.
    pub share_links: ShareVisibility,
}

impl Policy {
    /// Parses and validates an admin-supplied policy document.
    ///
    /// Unlike plain `serde_json::from_str`, it refuses unknown fields and names the offending
    /// field in every error.
    pub fn from_json(json: &str) -> Result<Policy, PolicyError> {
        let mut unknown = Vec::new();
        let mut record_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
        let mut de = serde_json::Deserializer::from_str(json);
        let ignoring = serde_ignored::Deserializer::new(&mut de, &mut record_unknown);
        let policy: Policy =
            serde_path_to_error::deserialize(ignoring).map_err(|e| PolicyError::Malformed {
                field: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        de.end().map_err(|e| PolicyError::Malformed {
            field: ".".to_owned(),
            message: e.to_string(),
        })?;
        if let Some(field) = unknown.into_iter().next() {
            return Err(PolicyError::UnknownField { field });
        }
        // serde's derive also accepts a struct written as an array (`[]` is a default policy);
        // an admin never means that, so every object of ours must be written as an object.
        let written: serde_json::Value =
            serde_json::from_str(json).map_err(|e| PolicyError::Malformed {
                field: ".".to_owned(),
                message: e.to_string(),
            })?;
        let canonical = serde_json::to_value(&policy).map_err(|e| PolicyError::Malformed {
            field: ".".to_owned(),
            message: e.to_string(),
        })?;
        check_objects(&written, &canonical, "")?;
        policy.validate()?;
        Ok(policy)
    }
}

/// Fails where `canonical` has an object and `written` has something else.
fn check_objects(
    written: &serde_json::Value,
    canonical: &serde_json::Value,
    path: &str,
) -> Result<(), PolicyError> {
    let serde_json::Value::Object(fields) = canonical else {
        return Ok(());
    };
    let serde_json::Value::Object(written_fields) = written else {
        return Err(PolicyError::Malformed {
            field: if path.is_empty() {
                ".".to_owned()
            } else {
                path.to_owned()
            },
            message: "expected a JSON object".to_owned(),
        });
    };
    for (name, value) in written_fields {
        if let Some(canonical_value) = fields.get(name) {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if !value.is_null() {
                check_objects(value, canonical_value, &child)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_source_products() {
        let p = Policy::default();
        assert_eq!(
            p.scope.calls,
            CallScope::AcdOnly,
            "Genesys records ACD calls only"
        );
        assert_eq!(p.limits.max_recording_secs, 86_400, "Kaltura: 24 h");
        assert_eq!(p.limits.host_left_timeout_secs, 900, "Kaltura: 15 min");
        assert_eq!(p.limits.min_recording_secs, 3, "Screendesk: a few seconds");
        assert!(p.capture.include_wrapup, "Genesys records through wrap-up");
        assert!(
            !p.access.agents_view_own,
            "Genesys: agents do not see their own"
        );
        assert!(!p.access.download.supervisor, "Genesys: view, not download");
        assert_eq!(p.capture.max_monitors, 4);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn empty_document_is_the_default_policy() {
        assert_eq!(Policy::from_json("{}").unwrap(), Policy::default());
    }

    #[test]
    fn round_trips_through_json() {
        let mut p = Policy {
            mode: RecordingMode::OnDemandUis,
            start_trigger: StartTrigger::AutoSecondParticipant,
            ..Policy::default()
        };
        p.capture.max_resolution = Some(Resolution {
            width: 1920,
            height: 1080,
        });
        p.retention.live_days = Some(30);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(Policy::from_json(&json).unwrap(), p);
    }

    #[test]
    fn lenient_parse_ignores_fields_from_newer_servers() {
        let p: Policy =
            serde_json::from_str(r#"{"mode":"pause_resume","future_field":{"x":1}}"#).unwrap();
        assert_eq!(p.mode, RecordingMode::PauseResume);
    }
}
