//! Whether a call is recorded at all, before any mode rule applies.

use serde::{Deserialize, Serialize};

use crate::call::{Answered, CallKind};
use crate::policy::{CallScope, Policy};
use crate::sampling;

/// Why a call is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotRecordedReason {
    /// Recording is switched off for the org.
    Disabled,
    /// Only ACD calls are recorded and this one is not.
    NotAcd,
    /// The call's queue is not in the policy's allow-list.
    QueueNotListed,
    /// The call fell outside the sampling percentage.
    NotSampled,
    /// Live sessions are not recorded.
    LiveSessionsOff,
}

/// Decides whether `call` is recorded under `policy`.
pub(crate) fn decide(policy: &Policy, call: &Answered) -> Result<(), NotRecordedReason> {
    if !policy.enabled {
        return Err(NotRecordedReason::Disabled);
    }
    let scope = &policy.scope;
    match call.kind {
        CallKind::Live => {
            if !scope.live_sessions {
                return Err(NotRecordedReason::LiveSessionsOff);
            }
        }
        CallKind::Voice => {
            if scope.calls == CallScope::AcdOnly && !call.acd {
                return Err(NotRecordedReason::NotAcd);
            }
            if !scope.queues.is_empty() {
                let listed = call
                    .queue
                    .as_deref()
                    .is_some_and(|q| scope.queues.iter().any(|allowed| allowed == q));
                if !listed {
                    return Err(NotRecordedReason::QueueNotListed);
                }
            }
        }
    }
    if !sampling::is_sampled(call.call_id.as_str(), scope.sample_percent) {
        return Err(NotRecordedReason::NotSampled);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Direction;

    fn voice(id: &str, acd: bool, queue: Option<&str>) -> Answered {
        Answered {
            call_id: id.into(),
            kind: CallKind::Voice,
            acd,
            queue: queue.map(str::to_owned),
            direction: Direction::Inbound,
        }
    }

    #[test]
    fn acd_only_by_default() {
        let p = Policy::default();
        assert_eq!(decide(&p, &voice("a", true, None)), Ok(()));
        assert_eq!(
            decide(&p, &voice("a", false, None)),
            Err(NotRecordedReason::NotAcd)
        );
        let mut all = p.clone();
        all.scope.calls = CallScope::All;
        assert_eq!(decide(&all, &voice("a", false, None)), Ok(()));
    }

    #[test]
    fn queue_allow_list() {
        let mut p = Policy::default();
        p.scope.queues = vec!["billing".into(), "sales".into()];
        assert_eq!(decide(&p, &voice("a", true, Some("sales"))), Ok(()));
        assert_eq!(
            decide(&p, &voice("a", true, Some("support"))),
            Err(NotRecordedReason::QueueNotListed)
        );
        assert_eq!(
            decide(&p, &voice("a", true, None)),
            Err(NotRecordedReason::QueueNotListed)
        );
    }

    #[test]
    fn disabled_and_live_switches() {
        let mut p = Policy::default();
        let mut live = voice("a", false, None);
        live.kind = CallKind::Live;
        assert_eq!(decide(&p, &live), Ok(()), "live sessions are not ACD calls");
        p.scope.live_sessions = false;
        assert_eq!(decide(&p, &live), Err(NotRecordedReason::LiveSessionsOff));
        p.enabled = false;
        assert_eq!(
            decide(&p, &voice("a", true, None)),
            Err(NotRecordedReason::Disabled)
        );
    }

    #[test]
    fn sampling_is_deterministic_per_call() {
        let mut p = Policy::default();
        p.scope.sample_percent = 50;
        let decisions: Vec<_> = (0..200)
            .map(|i| decide(&p, &voice(&format!("call-{i}"), true, None)).is_ok())
            .collect();
        let again: Vec<_> = (0..200)
            .map(|i| decide(&p, &voice(&format!("call-{i}"), true, None)).is_ok())
            .collect();
        assert_eq!(decisions, again);
        let kept = decisions.iter().filter(|k| **k).count();
        assert!((70..=130).contains(&kept), "{kept} of 200 at 50 %");
    }
}
