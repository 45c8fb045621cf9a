//! Recording modes and start triggers, and which user actions they allow.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much control the agent has over the recording of a call.
///
/// The four modes of desktop call-recording clients: the org picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    /// Recording starts when the call is answered or initiated; no pause, no stop.
    #[default]
    AlwaysOn,
    /// Recording starts with the call; the agent may pause and resume, never stop.
    PauseResume,
    /// Off by default; the agent may start; once started, pause/resume but never stop.
    OnDemand,
    /// Off by default; start, pause, resume and stop at any time, and start again after a stop.
    OnDemandUis,
}

impl RecordingMode {
    /// Every mode, in the order the product documents them.
    pub const ALL: [RecordingMode; 4] = [
        RecordingMode::AlwaysOn,
        RecordingMode::PauseResume,
        RecordingMode::OnDemand,
        RecordingMode::OnDemandUis,
    ];

    /// Whether recording begins by itself when a voice call is answered.
    pub fn starts_with_call(self) -> bool {
        matches!(self, RecordingMode::AlwaysOn | RecordingMode::PauseResume)
    }

    /// Whether the agent may start the recording by hand.
    pub fn allows_manual_start(self) -> bool {
        matches!(self, RecordingMode::OnDemand | RecordingMode::OnDemandUis)
    }

    /// Whether the agent may pause and resume.
    pub fn allows_pause(self) -> bool {
        !matches!(self, RecordingMode::AlwaysOn)
    }

    /// Whether the agent may stop (and later start again).
    pub fn allows_stop(self) -> bool {
        matches!(self, RecordingMode::OnDemandUis)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            RecordingMode::AlwaysOn => "Always on",
            RecordingMode::PauseResume => "Pause/Resume",
            RecordingMode::OnDemand => "On-Demand",
            RecordingMode::OnDemandUis => "On-Demand UIS",
        }
    }
}

impl fmt::Display for RecordingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// When a live session (a call with participants joining a room) starts recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StartTrigger {
    /// The host starts it by hand.
    #[default]
    Manual,
    /// The first host to join is asked "Start recording this session?" (Start / Cancel); after
    /// Cancel the host can still start by hand.
    Prompt,
    /// Starts as soon as the first participant joins.
    AutoFirstParticipant,
    /// Starts when a second participant is present (the customer joins the host).
    AutoSecondParticipant,
}

impl StartTrigger {
    /// Whether the host may start the recording by hand under this trigger.
    pub fn allows_manual_start(self) -> bool {
        matches!(self, StartTrigger::Manual | StartTrigger::Prompt)
    }
}

/// Something the agent (or host) asks of the recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Start recording (or start again after a stop, in On-Demand UIS).
    Start,
    /// Pause: nothing is captured until resume.
    Pause,
    /// Resume after a pause.
    Resume,
    /// Stop recording for now (On-Demand UIS only).
    Stop,
    /// Answer "Start" to the live-session prompt.
    AcceptPrompt,
    /// Answer "Cancel" to the live-session prompt.
    DeclinePrompt,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::Start,
        Action::Pause,
        Action::Resume,
        Action::Stop,
        Action::AcceptPrompt,
        Action::DeclinePrompt,
    ];

    fn bit(self) -> u8 {
        match self {
            Action::Start => 1,
            Action::Pause => 2,
            Action::Resume => 4,
            Action::Stop => 8,
            Action::AcceptPrompt => 16,
            Action::DeclinePrompt => 32,
        }
    }
}

/// The actions offered right now; the UI shows exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActionSet(u8);

impl ActionSet {
    /// No action.
    pub const EMPTY: ActionSet = ActionSet(0);

    /// Whether `action` is in the set.
    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// The set with `action` added.
    #[must_use]
    pub fn with(self, action: Action) -> Self {
        ActionSet(self.0 | action.bit())
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions in the set, in [`Action::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Action> for ActionSet {
    fn from_iter<I: IntoIterator<Item = Action>>(iter: I) -> Self {
        iter.into_iter().fold(ActionSet::EMPTY, ActionSet::with)
    }
}

impl Serialize for ActionSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Action>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// Why a user action was refused. The state does not change on a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// There is no call (or live session) to record.
    #[error("there is no call to record")]
    NoCall,
    /// The org's recording mode does not offer this action.
    #[error("{mode} recording does not allow this")]
    NotAllowedByMode {
        /// The mode of the current call.
        mode: RecordingMode,
    },
    /// This call is not recorded (out of the policy's scope, or recording disabled).
    #[error("this call is not recorded by policy")]
    NotRecordedByPolicy,
    /// The action does not apply in the current state (e.g. pause while paused).
    #[error("not possible now: {detail}")]
    WrongState {
        /// What makes it impossible, for people.
        detail: String,
    },
    /// There is no pending prompt to answer.
    #[error("there is no recording prompt to answer")]
    NoPrompt,
    /// This call's recording already ended (limit reached, host left, transferred).
    #[error("the recording of this call has ended")]
    RecordingEnded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_wire_form_and_a_message() {
        let all = [
            Refusal::NoCall,
            Refusal::NotAllowedByMode {
                mode: RecordingMode::AlwaysOn,
            },
            Refusal::NotRecordedByPolicy,
            Refusal::WrongState {
                detail: "recording is already paused".into(),
            },
            Refusal::NoPrompt,
            Refusal::RecordingEnded,
        ];
        for r in all {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), r, "{json}");
            assert!(!r.to_string().is_empty());
        }
        assert_eq!(
            Refusal::NotAllowedByMode {
                mode: RecordingMode::PauseResume
            }
            .to_string(),
            "Pause/Resume recording does not allow this"
        );
    }

    #[test]
    fn action_sets_serialize_as_lists() {
        let set: ActionSet = [Action::Stop, Action::Pause].into_iter().collect();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["pause","stop"]"#);
        let back: ActionSet = serde_json::from_str(r#"["stop","pause"]"#).unwrap();
        assert_eq!(back, set);
        assert!(ActionSet::EMPTY.is_empty());
    }
}
