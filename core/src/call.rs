//! Call lifecycle events, as a contact-center platform or CTI connector reports them.
//!
//! These are the wire form too: the ingest server relays them to the agent app unchanged.

use serde::{Deserialize, Serialize};

use crate::ids::{CallId, ParticipantId};

/// What kind of contact a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// A phone call (inbound, outbound or internal).
    #[default]
    Voice,
    /// A live session: a room that participants join (video call, co-browsing, screen share).
    /// Its start follows the policy's start trigger.
    Live,
}

/// Who placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer called in.
    #[default]
    Inbound,
    /// The agent called out.
    Outbound,
    /// Between two people of the org.
    Internal,
}

/// The role of a live-session participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    /// Controls the session and its recording (the agent).
    Host,
    /// Anyone else (the customer).
    Guest,
}

/// A call was answered (inbound) or connected (outbound): the start of the agent's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    /// The platform's id of the call.
    pub call_id: CallId,
    /// Phone call or live session.
    #[serde(default)]
    pub kind: CallKind,
    /// Whether the ACD (a queue) routed this call to the agent.
    #[serde(default)]
    pub acd: bool,
    /// The queue it came from, if any.
    #[serde(default)]
    pub queue: Option<String>,
    /// Who placed the call.
    #[serde(default)]
    pub direction: Direction,
}

/// A change in a call's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEvent {
    /// The call was answered or connected.
    Answered(Answered),
    /// The agent put the call on hold.
    Held {
        /// The call.
        call_id: CallId,
    },
    /// The call came back from hold.
    Resumed {
        /// The call.
        call_id: CallId,
    },
    /// The call left this agent for another one (whose app records its own part).
    Transferred {
        /// The call.
        call_id: CallId,
        /// Who it went to, when the platform says.
        #[serde(default)]
        to_agent: Option<String>,
    },
    /// The conversation ended.
    Ended {
        /// The call.
        call_id: CallId,
        /// Whether wrap-up (after-call work) follows; if not, the call is over.
        #[serde(default = "default_true")]
        wrapup: bool,
    },
    /// The agent completed wrap-up: the call is over.
    WrapUpCompleted {
        /// The call.
        call_id: CallId,
    },
}

fn default_true() -> bool {
    true
}

impl CallEvent {
    /// The call this event is about.
    pub fn call_id(&self) -> &CallId {
        match self {
            CallEvent::Answered(a) => &a.call_id,
            CallEvent::Held { call_id }
            | CallEvent::Resumed { call_id }
            | CallEvent::Transferred { call_id, .. }
            | CallEvent::Ended { call_id, .. }
            | CallEvent::WrapUpCompleted { call_id } => call_id,
        }
    }
}

/// Someone joined or left a live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParticipantEvent {
    /// A participant entered the room.
    Joined {
        /// The session.
        call_id: CallId,
        /// Who.
        participant: ParticipantId,
        /// Host or guest.
        role: ParticipantRole,
    },
    /// A participant left the room.
    Left {
        /// The session.
        call_id: CallId,
        /// Who.
        participant: ParticipantId,
    },
}

impl ParticipantEvent {
    /// The session this event is about.
    pub fn call_id(&self) -> &CallId {
        match self {
            ParticipantEvent::Joined { call_id, .. } | ParticipantEvent::Left { call_id, .. } => {
                call_id
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_tagged_snake_case() {
        let e: CallEvent = serde_json::from_str(
            r#"{"type":"answered","call_id":"c1","acd":true,"queue":"billing"}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            CallEvent::Answered(Answered {
                call_id: "c1".into(),
                kind: CallKind::Voice,
                acd: true,
                queue: Some("billing".into()),
                direction: Direction::Inbound,
            })
        );
        let ended: CallEvent = serde_json::from_str(r#"{"type":"ended","call_id":"c1"}"#).unwrap();
        assert_eq!(
            ended,
            CallEvent::Ended {
                call_id: "c1".into(),
                wrapup: true
            }
        );
        assert!(
            serde_json::from_str::<CallEvent>(r#"{"type":"exploded","call_id":"c1"}"#).is_err()
        );
    }
}
