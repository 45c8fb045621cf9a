//! The seams the Recorder's owner task calls: [`PipelineCapture`] (`CaptureDriver`) and
//! [`PipelineSink`] (`RecordingSink`). Both only queue a message for the pipeline task.

use agentrec_core::recorder::{DiscardReason, Finalized, TimelineEvent};
use agentrec_core::{Input, RecordingId};
use tokio::sync::mpsc;

use super::Msg;
use crate::capture_port::{CaptureCommand, CaptureDriver};
use crate::recording_sink::RecordingSink;
use crate::status::CaptureStatus;

/// Queues without waiting; if the queue is full (a stuck pipeline), the message is sent from
/// a task so that nothing is lost and the owner task still does not wait.
fn post(tx: &mpsc::Sender<Msg>, msg: Msg) {
    match tx.try_send(msg) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(msg)) => {
            tracing::warn!("pipeline queue full; sending in the background");
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(msg).await;
            });
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            tracing::error!("the pipeline task has ended: capture command lost");
        }
    }
}

/// The capture driver over the pipeline task.
#[derive(Debug)]
pub struct PipelineCapture {
    tx: mpsc::Sender<Msg>,
    status: CaptureStatus,
}

impl PipelineCapture {
    pub(crate) fn new(tx: mpsc::Sender<Msg>, status: CaptureStatus) -> Self {
        PipelineCapture { tx, status }
    }
}

impl CaptureDriver for PipelineCapture {
    fn execute(&mut self, command: CaptureCommand) -> Vec<Input> {
        // Failures to open a source come back later through the RecorderHandle.
        post(&self.tx, Msg::Capture(command));
        Vec::new()
    }

    fn status(&self) -> CaptureStatus {
        self.status.clone()
    }
}

/// The recording sink over the pipeline task (which finalizes into the spool for the
/// uploader).
#[derive(Debug)]
pub struct PipelineSink {
    tx: mpsc::Sender<Msg>,
}

impl PipelineSink {
    pub(crate) fn new(tx: mpsc::Sender<Msg>) -> Self {
        PipelineSink { tx }
    }
}

impl RecordingSink for PipelineSink {
    fn timeline(&mut self, recording: RecordingId, event: TimelineEvent) {
        post(&self.tx, Msg::Timeline(recording, event));
    }

    fn finalize(&mut self, finalized: Finalized) {
        post(&self.tx, Msg::Finalize(Box::new(finalized)));
    }

    fn discard(&mut self, recording: RecordingId, reason: DiscardReason) {
        tracing::info!(%recording, ?reason, "recording to be discarded");
        post(&self.tx, Msg::Discard(recording));
    }
}
