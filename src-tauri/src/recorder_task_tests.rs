//! The owner task on a paused tokio clock: timers fire by themselves, inputs are answered with
//! the resulting state, a full queue pushes back, and every command reaches its consumer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentrec_core::call::Answered;
use agentrec_core::recorder::{
    DiscardReason, EndReason, Finalized, Indicator, Notice, Outcome, RecordingStatus, Source,
    TimelineEvent,
};
use agentrec_core::{
    Action, CallEvent, Input, MonitorId, Policy, Recorder, RecordingId, RecordingMode, Refusal,
};

use super::*;
use crate::capture_port::{CAPTURE_UNAVAILABLE, UnavailableCapture};
use crate::status::CaptureStatus;

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Capture(CaptureCommand),
    Finalized(Finalized),
    Discarded(RecordingId, DiscardReason),
    Timeline,
    Ui(UiEffect),
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// The real unavailable driver, with a log of what it was asked.
struct LoggedCapture(Log, UnavailableCapture);
impl CaptureDriver for LoggedCapture {
    fn execute(&mut self, command: CaptureCommand) -> Vec<Input> {
        self.0.lock().unwrap().push(Seen::Capture(command.clone()));
        self.1.execute(command)
    }
    fn status(&self) -> CaptureStatus {
        self.1.status()
    }
}
struct LoggedSink(Log);
impl RecordingSink for LoggedSink {
    fn timeline(&mut self, _: RecordingId, _: TimelineEvent) {
        self.0.lock().unwrap().push(Seen::Timeline);
    }
    fn finalize(&mut self, f: Finalized) {
        self.0.lock().unwrap().push(Seen::Finalized(f));
    }
    fn discard(&mut self, r: RecordingId, reason: DiscardReason) {
        self.0.lock().unwrap().push(Seen::Discarded(r, reason));
    }
}
struct LoggedUi(Log);
impl AgentUi for LoggedUi {
    fn show(&mut self, effect: UiEffect) {
        self.0.lock().unwrap().push(Seen::Ui(effect));
    }
}

fn start(policy: Policy) -> (RecorderHandle, Log) {
    let (handle, owner, log) = build(policy);
    tokio::spawn(owner);
    (handle, log)
}

fn build(policy: Policy) -> (RecorderHandle, impl Future<Output = ()> + Send, Log) {
    let log: Log = Arc::default();
    let consumers = Consumers {
        capture: Box::new(LoggedCapture(log.clone(), UnavailableCapture)),
        sink: Box::new(LoggedSink(log.clone())),
        ui: Box::new(LoggedUi(log.clone())),
    };
    let (handle, owner) = spawn(Recorder::new(policy, 7), consumers);
    (handle, owner, log)
}

fn policy(mode: RecordingMode) -> Policy {
    Policy {
        mode,
        ..Policy::default()
    }
}

fn answered(id: &str) -> Input {
    Input::Call(CallEvent::Answered(Answered {
        call_id: id.into(),
        kind: Default::default(),
        acd: true,
        queue: None,
        direction: Default::default(),
    }))
}

const WAIT: Duration = Duration::from_secs(1);

fn take(log: &Log) -> Vec<Seen> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test(start_paused = true)]
async fn answer_starts_capture_and_failures_come_back_before_the_reply() {
    let (h, log) = start(policy(RecordingMode::AlwaysOn));
    for m in ["MON0", "MON1"] {
        h.input(Input::MonitorAdded { monitor: m.into() }, WAIT)
            .await
            .unwrap();
    }
    let handled = h.input(answered("c1"), WAIT).await.unwrap();
    assert_eq!(handled.refused, None);
    let snap = handled.snapshot;
    assert_eq!(snap.status, RecordingStatus::Recording);
    assert_eq!(
        snap.failing,
        vec![
            Source::Monitor("MON0".into()),
            Source::Monitor("MON1".into()),
            Source::Microphone,
            Source::System
        ],
        "the unavailable driver fails every source, and the reply already shows it"
    );
    assert_eq!(h.snapshot(), snap, "the watch carries the same state");
    let seen: Vec<Seen> = take(&log)
        .into_iter()
        .filter(|s| *s != Seen::Timeline)
        .collect();
    let Seen::Capture(CaptureCommand::Start { monitors, .. }) = &seen[1] else {
        panic!("{seen:?}")
    };
    assert_eq!(monitors, &vec![MonitorId::from("MON0"), "MON1".into()]);
    assert!(matches!(
        &seen[0],
        Seen::Ui(UiEffect::Notify(Notice::Consent { .. }))
    ));
    assert_eq!(
        seen[2],
        Seen::Ui(UiEffect::ShowIndicator(Indicator::Recording))
    );
    assert_eq!(seen[3], Seen::Ui(UiEffect::Notify(Notice::Started)));
    let problems: Vec<_> = seen[4..]
        .iter()
        .filter_map(|s| match s {
            Seen::Ui(UiEffect::Notify(Notice::CaptureProblem { error, .. })) => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(problems.len(), 4);
    assert!(problems.iter().all(|e| *e == CAPTURE_UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn refusals_are_answered_with_the_recorders_reason() {
    let (h, log) = start(policy(RecordingMode::AlwaysOn));
    assert_eq!(
        h.act(Action::Pause, WAIT).await,
        Err(ActError::Refused(Refusal::NoCall))
    );
    h.input(answered("c1"), WAIT).await.unwrap();
    take(&log);
    assert_eq!(
        h.act(Action::Pause, WAIT).await,
        Err(ActError::Refused(Refusal::NotAllowedByMode {
            mode: RecordingMode::AlwaysOn
        }))
    );
    assert!(take(&log).is_empty(), "a refusal changes nothing");
    assert_eq!(h.snapshot().status, RecordingStatus::Recording);
}

#[tokio::test(start_paused = true)]
async fn allowed_actions_reach_capture_and_ui() {
    let (h, log) = start(policy(RecordingMode::PauseResume));
    h.input(answered("c1"), WAIT).await.unwrap();
    take(&log);
    let snap = h.act(Action::Pause, WAIT).await.unwrap();
    assert_eq!(snap.status, RecordingStatus::Paused);
    assert_eq!(
        snap.allowed.iter().collect::<Vec<_>>(),
        vec![Action::Resume]
    );
    let seen = take(&log);
    assert!(matches!(seen[0], Seen::Capture(CaptureCommand::Pause(_))));
    assert!(seen.contains(&Seen::Ui(UiEffect::ShowIndicator(Indicator::Paused))));
    assert!(seen.contains(&Seen::Ui(UiEffect::Notify(Notice::Paused))));
}

#[tokio::test(start_paused = true)]
async fn the_wrapup_cap_fires_on_time_without_any_input() {
    let mut p = policy(RecordingMode::AlwaysOn);
    p.capture.wrapup_cap_secs = Some(5);
    let (h, log) = start(p);
    h.input(answered("c1"), WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    h.input(
        Input::Call(CallEvent::Ended {
            call_id: "c1".into(),
            wrapup: true,
        }),
        WAIT,
    )
    .await
    .unwrap();
    take(&log);
    tokio::time::sleep(Duration::from_millis(4_900)).await;
    assert!(
        !take(&log).iter().any(|s| matches!(s, Seen::Finalized(_))),
        "not before the cap"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let finalized: Vec<Finalized> = take(&log)
        .into_iter()
        .filter_map(|s| match s {
            Seen::Finalized(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(finalized.len(), 1);
    assert_eq!(finalized[0].reason, EndReason::WrapUpCapReached);
    assert_eq!(finalized[0].recorded_ms, 15_000, "10 s talk + 5 s wrap-up");
    assert_eq!(h.snapshot().status, RecordingStatus::Ended);
}

#[tokio::test(start_paused = true)]
async fn the_length_limit_ends_the_recording_as_partial() {
    let mut p = policy(RecordingMode::AlwaysOn);
    p.limits.max_recording_secs = 60;
    let (h, log) = start(p);
    h.input(answered("c1"), WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_secs(61)).await;
    let finalized = take(&log).into_iter().find_map(|s| match s {
        Seen::Finalized(f) => Some(f),
        _ => None,
    });
    let f = finalized.expect("finalized by the timer");
    assert_eq!(f.reason, EndReason::MaxLengthReached);
    assert_eq!(f.outcome, Outcome::Partial);
    assert_eq!(f.recorded_ms, 60_000);
}

#[tokio::test(start_paused = true)]
async fn short_recordings_are_discarded() {
    let (h, log) = start(policy(RecordingMode::AlwaysOn));
    h.input(answered("c1"), WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    h.input(
        Input::Call(CallEvent::Ended {
            call_id: "c1".into(),
            wrapup: false,
        }),
        WAIT,
    )
    .await
    .unwrap();
    assert!(
        take(&log)
            .iter()
            .any(|s| matches!(s, Seen::Discarded(_, DiscardReason::TooShort { .. })))
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_pushes_back_and_nothing_is_lost() {
    let (h, owner, _log) = build(policy(RecordingMode::OnDemandUis));
    // The owner is not running yet: the queue fills up.
    for i in 0..INPUT_CAPACITY {
        h.try_input(Input::MonitorAdded {
            monitor: format!("M{i}").into(),
        })
        .unwrap();
    }
    assert_eq!(h.try_input(Input::TimerFired), Err(SendError::Busy));
    assert_eq!(
        h.input(Input::TimerFired, Duration::from_millis(300))
            .await
            .unwrap_err(),
        SendError::Busy,
        "a waiting sender gives up after its timeout"
    );
    tokio::spawn(owner);
    let handled = h.input(answered("c1"), WAIT).await.unwrap();
    assert_eq!(handled.snapshot.status, RecordingStatus::Waiting);
    let snap = h.act(Action::Start, WAIT).await.unwrap();
    assert_eq!(
        snap.monitors.len(),
        4,
        "all 64 monitors were handled in order; the policy caps capture at 4"
    );
    assert_eq!(snap.monitors[0], MonitorId::from("M0"));
}

#[tokio::test(start_paused = true)]
async fn a_stopped_owner_is_reported_as_closed() {
    let (h, owner, _log) = build(policy(RecordingMode::AlwaysOn));
    drop(owner);
    assert_eq!(h.try_input(Input::TimerFired), Err(SendError::Closed));
    assert_eq!(
        h.act(Action::Start, WAIT).await,
        Err(ActError::Unavailable(SendError::Closed))
    );
}

#[tokio::test(start_paused = true)]
async fn watchers_wake_on_change_only() {
    let (h, _log) = start(policy(RecordingMode::OnDemand));
    let mut rx = h.subscribe();
    rx.mark_unchanged();
    h.input(Input::TimerFired, WAIT).await.unwrap();
    assert!(!rx.has_changed().unwrap(), "nothing changed");
    h.input(answered("c1"), WAIT).await.unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(
        rx.borrow_and_update().allowed.iter().collect::<Vec<_>>(),
        vec![Action::Start]
    );
}
