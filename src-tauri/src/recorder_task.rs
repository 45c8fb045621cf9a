//! The one task that owns the [`Recorder`].
//!
//! Everything else — local API, tray, windows, the server link, the capture driver's late
//! reports — sends it inputs over a bounded channel through a [`RecorderHandle`] and watches
//! its [`Snapshot`]. The task sleeps until the Recorder's `poll_timeout` and feeds
//! `TimerFired`; it carries out every command in order by handing it to its consumer: the
//! [`CaptureDriver`], the [`RecordingSink`] or the [`AgentUi`].
//!
//! Time comes from `tokio::time::Instant`, so tests drive it with `tokio::time::pause`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentrec_core::call::Answered;
use agentrec_core::{Action, CallEvent, CallId, Command, Input, Recorder, Refusal, Snapshot};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use crate::capture_port::{CaptureCommand, CaptureDriver};
use crate::recording_sink::RecordingSink;
use crate::ui_port::{AgentUi, UiEffect};

/// Inputs waiting for the owner at most; senders wait (or fail fast with `try_input`) beyond.
pub const INPUT_CAPACITY: usize = 64;

/// Why the Recorder did not take an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SendError {
    /// Its queue is full: the caller should retry later (HTTP 503).
    #[error("the recorder is busy; try again")]
    Busy,
    /// The owner task has ended (the app is shutting down).
    #[error("the recorder has shut down")]
    Closed,
}

/// Why a user action did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActError {
    /// The Recorder refused it; nothing changed.
    #[error("{0}")]
    Refused(Refusal),
    /// The Recorder could not be asked.
    #[error(transparent)]
    Unavailable(#[from] SendError),
}

#[derive(Debug)]
struct Request {
    input: Input,
    reply: Option<oneshot::Sender<Handled>>,
}

/// The result of one input, with everything it caused.
#[derive(Debug, Clone)]
pub struct Handled {
    /// The state after it.
    pub snapshot: Snapshot,
    /// Set when the input was a user action the Recorder refused.
    pub refused: Option<Refusal>,
}

/// A cheap, cloneable way to talk to the owner task.
#[derive(Debug, Clone)]
pub struct RecorderHandle {
    tx: mpsc::Sender<Request>,
    snapshot: watch::Receiver<Snapshot>,
    calls: Arc<Mutex<VecDeque<Answered>>>,
}

/// How many answered calls [`RecorderHandle::answered`] remembers.
const CALLS_KEPT: usize = 16;

impl RecorderHandle {
    /// Remembers the details of answered calls as they pass (from any source: server, local
    /// API), for the recording's metadata — the Recorder's commands carry only the call id.
    fn note(&self, input: &Input) {
        if let Input::Call(CallEvent::Answered(answered)) = input {
            let mut calls = self
                .calls
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            calls.retain(|a| a.call_id != answered.call_id);
            if calls.len() == CALLS_KEPT {
                calls.pop_front();
            }
            calls.push_back(answered.clone());
        }
    }

    /// The answer event of `call`, if it passed through a handle recently.
    pub fn answered(&self, call: &CallId) -> Option<Answered> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .find(|a| &a.call_id == call)
            .cloned()
    }

    /// Sends `input` and waits until it is handled (waiting for queue space first, at most
    /// `queue_timeout`).
    pub async fn input(&self, input: Input, queue_timeout: Duration) -> Result<Handled, SendError> {
        self.note(&input);
        let (reply, handled) = oneshot::channel();
        let request = Request {
            input,
            reply: Some(reply),
        };
        match tokio::time::timeout(queue_timeout, self.tx.send(request)).await {
            Err(_) => return Err(SendError::Busy),
            Ok(Err(_)) => return Err(SendError::Closed),
            Ok(Ok(())) => {}
        }
        handled.await.map_err(|_| SendError::Closed)
    }

    /// Queues `input` without waiting (for callers that cannot await, e.g. a tray click or the
    /// capture pipeline's threads).
    pub fn try_input(&self, input: Input) -> Result<(), SendError> {
        self.note(&input);
        self.tx
            .try_send(Request { input, reply: None })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => SendError::Busy,
                mpsc::error::TrySendError::Closed(_) => SendError::Closed,
            })
    }

    /// Asks for a user action; a refusal comes back as [`ActError::Refused`] with the
    /// Recorder's reason.
    pub async fn act(&self, action: Action, queue_timeout: Duration) -> Result<Snapshot, ActError> {
        let handled = self.input(Input::User { action }, queue_timeout).await?;
        match handled.refused {
            Some(reason) => Err(ActError::Refused(reason)),
            None => Ok(handled.snapshot),
        }
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// A receiver that wakes whenever the snapshot changes.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }
}

/// The consumers of the Recorder's commands.
pub struct Consumers {
    /// Capture commands.
    pub capture: Box<dyn CaptureDriver>,
    /// Finalize, discard, timeline.
    pub sink: Box<dyn RecordingSink>,
    /// Indicator, notifications, prompt.
    pub ui: Box<dyn AgentUi>,
}

impl std::fmt::Debug for Consumers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Consumers { .. }")
    }
}

/// Creates the owner task's channels and runs it with `consumers` once the returned future is
/// spawned (or awaited). It ends when every handle is dropped.
pub fn spawn(
    recorder: Recorder,
    consumers: Consumers,
) -> (RecorderHandle, impl Future<Output = ()> + Send) {
    let (handle, owner) = prepare(recorder);
    (handle, owner.run(consumers))
}

/// Creates the channels first, for consumers that need a [`RecorderHandle`] to be built (a
/// capture driver reporting monitors and faults later): build them, then
/// [`PreparedOwner::run`].
pub fn prepare(recorder: Recorder) -> (RecorderHandle, PreparedOwner) {
    let (tx, rx) = mpsc::channel(INPUT_CAPACITY);
    let (snapshot_tx, snapshot_rx) = watch::channel(recorder.state());
    (
        RecorderHandle {
            tx,
            snapshot: snapshot_rx,
            calls: Arc::new(Mutex::new(VecDeque::new())),
        },
        PreparedOwner {
            recorder,
            rx,
            snapshot_tx,
        },
    )
}

/// The owner task before its consumers are known.
#[derive(Debug)]
pub struct PreparedOwner {
    recorder: Recorder,
    rx: mpsc::Receiver<Request>,
    snapshot_tx: watch::Sender<Snapshot>,
}

impl PreparedOwner {
    /// The owner task, handing commands to `consumers`.
    pub fn run(self, consumers: Consumers) -> impl Future<Output = ()> + Send {
        Owner {
            recorder: self.recorder,
            rx: self.rx,
            snapshot_tx: self.snapshot_tx,
            consumers,
        }
        .run()
    }
}

struct Owner {
    recorder: Recorder,
    rx: mpsc::Receiver<Request>,
    snapshot_tx: watch::Sender<Snapshot>,
    consumers: Consumers,
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

impl Owner {
    async fn run(mut self) {
        loop {
            let deadline = self
                .recorder
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            let request = match deadline {
                Some(at) => tokio::select! {
                    request = self.rx.recv() => request,
                    () = tokio::time::sleep_until(at) => Some(Request { input: Input::TimerFired, reply: None }),
                },
                None => self.rx.recv().await,
            };
            let Some(Request { input, reply }) = request else {
                break;
            };
            let handled = self.handle(input);
            if let Some(reply) = reply {
                // The asker may have given up (timed out); the input was handled all the same.
                let _ = reply.send(handled);
            }
        }
        tracing::debug!("recorder owner task ended");
    }

    /// Handles one input and the inputs its commands feed back, then publishes the snapshot.
    fn handle(&mut self, input: Input) -> Handled {
        let mut refused = None;
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            tracing::debug!(?input, "recorder input");
            for command in self.recorder.handle(input, now()) {
                if let Command::Refused { action, reason } = &command {
                    tracing::info!(?action, %reason, "action refused");
                    refused.get_or_insert_with(|| reason.clone());
                    continue;
                }
                queue.extend(self.dispatch(command));
            }
        }
        let snapshot = self.recorder.state();
        self.snapshot_tx.send_if_modified(|current| {
            let changed = *current != snapshot;
            if changed {
                *current = snapshot.clone();
            }
            changed
        });
        Handled { snapshot, refused }
    }

    /// Hands one command to its consumer; returns inputs the consumer reports back at once.
    fn dispatch(&mut self, command: Command) -> Vec<Input> {
        if let Some(capture) = CaptureCommand::from_command(&command) {
            return self.consumers.capture.execute(capture);
        }
        let ui = &mut self.consumers.ui;
        let sink = &mut self.consumers.sink;
        match command {
            Command::FinalizeRecording(finalized) => sink.finalize(*finalized),
            Command::DiscardRecording { recording, reason } => sink.discard(recording, reason),
            Command::Timeline { recording, event } => sink.timeline(recording, event),
            Command::ShowIndicator { state } => ui.show(UiEffect::ShowIndicator(state)),
            Command::HideIndicator => ui.show(UiEffect::HideIndicator),
            Command::Notify(notice) => ui.show(UiEffect::Notify(notice)),
            Command::PromptHost { call } => ui.show(UiEffect::Prompt(call)),
            Command::DismissPrompt { call } => ui.show(UiEffect::DismissPrompt(call)),
            // Capture commands went to the driver above; refusals are answered to the asker.
            Command::StartCapture { .. }
            | Command::PauseCapture { .. }
            | Command::ResumeCapture { .. }
            | Command::StopCapture { .. }
            | Command::AddMonitor { .. }
            | Command::RemoveMonitor { .. }
            | Command::Refused { .. } => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
#[path = "recorder_task_tests.rs"]
mod tests;
