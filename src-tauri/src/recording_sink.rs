//! The seam to the uploader: where finished recordings, discarded ones and timeline markers go.
//!
//! The uploader (issue 5's second part, over the capture pipeline's spool) implements
//! [`RecordingSink`]: on `finalize` it uploads what is left of the recording's segments and
//! then tells the server the recording is complete or partial, with the timeline; on `discard`
//! it deletes the spooled segments. Until then [`NoUploader`] logs what would have been sent.

use agentrec_core::RecordingId;
use agentrec_core::recorder::{DiscardReason, Finalized, TimelineEvent};

/// Receives the end of every recording. Runs on the owner task: must not block (queue the work).
pub trait RecordingSink: Send + 'static {
    /// A marker for the recording's timeline, as it happens (the server may show it live).
    fn timeline(&mut self, recording: RecordingId, event: TimelineEvent);
    /// The recording is over: upload the rest and finalize it on the server.
    fn finalize(&mut self, finalized: Finalized);
    /// The recording is over and too short to keep: delete its segments.
    fn discard(&mut self, recording: RecordingId, reason: DiscardReason);
}

/// The sink of a build without the uploader: it only logs.
#[derive(Debug, Default)]
pub struct NoUploader;

impl RecordingSink for NoUploader {
    fn timeline(&mut self, recording: RecordingId, event: TimelineEvent) {
        tracing::debug!(%recording, ?event, "timeline");
    }

    fn finalize(&mut self, finalized: Finalized) {
        tracing::warn!(
            recording = %finalized.recording,
            call = %finalized.call,
            outcome = ?finalized.outcome,
            reason = ?finalized.reason,
            recorded_ms = finalized.recorded_ms,
            "recording finalized, but this build has no uploader: nothing is sent"
        );
    }

    fn discard(&mut self, recording: RecordingId, reason: DiscardReason) {
        tracing::info!(%recording, ?reason, "recording discarded");
    }
}
