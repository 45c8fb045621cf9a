//! The heartbeat: every 30 s the app's version, OS, monitors, recorder state, spool backlog
//! and last error; when the server's policy version differs from the Recorder's, the policy is
//! fetched (the event stream missed an update).

use std::path::PathBuf;
use std::time::Duration;

use agentrec_core::recorder::RecordingStatus;
use agentrec_core::wire::{Heartbeat, RecorderState};
use agentrec_uploader::uploader::backlog;
use agentrec_uploader::{AgentClient, ErrorKind};
use tokio_util::sync::CancellationToken;

use super::apply_policy;
use crate::pipeline::PipelineHandle;
use crate::recorder_task::RecorderHandle;
use crate::status::AgentStatusBoard;

/// Between two heartbeats.
pub const INTERVAL: Duration = Duration::from_secs(30);

pub(super) struct Beat {
    pub client: AgentClient,
    pub recorder: RecorderHandle,
    pub board: AgentStatusBoard,
    pub pipeline: PipelineHandle,
    pub data_dir: Option<PathBuf>,
    pub cancel: CancellationToken,
}

/// Beats until cancelled or the server refuses the credential.
pub(super) async fn run(b: Beat) {
    loop {
        let beat = heartbeat(&b);
        match b.client.heartbeat(&beat).await {
            Ok(ack) => {
                let ours = b.recorder.snapshot().policy_version;
                if ack.policy_version != ours {
                    tracing::info!(
                        ours,
                        server = ack.policy_version,
                        "policy out of date: fetching it"
                    );
                    match b.client.policy().await {
                        Ok(policy) => {
                            apply_policy(&b.recorder, &b.board, b.data_dir.as_ref(), policy).await;
                        }
                        Err(e) if e.kind() == ErrorKind::Unauthorized => return,
                        Err(e) => tracing::warn!(error = %e, "cannot fetch the policy"),
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::Unauthorized => return,
            Err(e) => tracing::debug!(error = %e, "heartbeat not delivered"),
        }
        tokio::select! {
            () = b.cancel.cancelled() => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

fn heartbeat(b: &Beat) -> Heartbeat {
    let snapshot = b.recorder.snapshot();
    let recorder_state = match snapshot.status {
        RecordingStatus::Idle => RecorderState::Idle,
        RecordingStatus::Recording => RecorderState::Recording,
        RecordingStatus::Paused | RecordingStatus::Stopped => RecorderState::Paused,
        _ => RecorderState::InCall,
    };
    let progress = b.pipeline.uploader().get().map(|h| h.progress());
    let (spool_segments, spool_bytes) = match &progress {
        Some(p) => (p.waiting_segments, p.waiting_bytes),
        None => {
            let (s, bytes, _) = backlog(b.pipeline.spool());
            (s, bytes)
        }
    };
    let failing = (!snapshot.failing.is_empty())
        .then(|| format!("capture sources failing: {:?}", snapshot.failing));
    let last_error = failing
        .or_else(|| progress.and_then(|p| p.last_error))
        .or_else(|| b.board.get().last_problem)
        .map(|e| e.chars().take(4000).collect());
    Heartbeat {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        os: super::os(),
        monitors: b.pipeline.monitors().into_iter().take(16).collect(),
        recorder_state,
        spool_bytes,
        spool_segments,
        last_error,
    }
}
