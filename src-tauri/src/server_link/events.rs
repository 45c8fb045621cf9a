//! The event stream (`GET /agent/events`, server-sent events): policy snapshots go to the
//! policy cache and the Recorder; relayed CTI events to the Recorder as call and participant
//! inputs. Reconnects with `Last-Event-ID` (kept on disk, so that a restart neither misses nor
//! replays events) and backoff; a stream silent for longer than three keep-alives is treated
//! as lost. Connectivity goes on the status board.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentrec_core::Input;
use agentrec_core::wire::{AgentEvent, ServerEvent};
use agentrec_uploader::backoff::Backoff;
use agentrec_uploader::{AgentClient, ErrorKind};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{QUEUE_TIMEOUT, apply_policy};
use crate::recorder_task::RecorderHandle;
use crate::status::{AgentStatusBoard, ServerStatus};

/// The server sends a keep-alive comment every 15 s; this much silence means a dead link.
const SILENCE: Duration = Duration::from_secs(45);
/// How often silence is checked.
const SILENCE_CHECK: Duration = Duration::from_secs(5);
/// Relayed events older than this are not acted on (the call is long over).
const STALE_MS: i64 = 120_000;
const CURSOR_FILE: &str = "events-cursor";

pub(super) struct Stream {
    pub client: AgentClient,
    pub recorder: RecorderHandle,
    pub board: AgentStatusBoard,
    pub data_dir: Option<PathBuf>,
    pub cancel: CancellationToken,
}

/// Runs until cancelled or the server refuses the credential (then returns).
pub(super) async fn run(s: Stream) {
    let url = s.client.server_url().to_owned();
    let cursor = s.data_dir.as_ref().map(|d| d.join(CURSOR_FILE));
    let mut last_id = cursor
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    loop {
        let opened = tokio::select! {
            () = s.cancel.cancelled() => return,
            r = s.client.open_events(last_id.as_deref()) => r,
        };
        let response = match opened {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Unauthorized => return,
            Err(e) => {
                s.board.update(|b| {
                    b.server = ServerStatus::NotConnected {
                        url: url.clone(),
                        detail: e.to_string(),
                    }
                });
                let wait = backoff.next_delay(e.retry_after(), rand::random::<f64>());
                tracing::debug!(error = %e, retry_in_ms = wait.as_millis() as u64, "event stream not connected");
                tokio::select! {
                    () = s.cancel.cancelled() => return,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        tracing::info!(server = %url, resume_after = ?last_id, "event stream connected");
        s.board
            .update(|b| b.server = ServerStatus::Connected { url: url.clone() });
        backoff.reset();
        // Keep-alives are SSE comments, which the parser swallows: silence is measured on
        // the bytes.
        let heard = Arc::new(Mutex::new(Instant::now()));
        let heard_bytes = heard.clone();
        let mut events = response
            .bytes_stream()
            .inspect(move |_| {
                *heard_bytes.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now()
            })
            .eventsource();
        let why = loop {
            let next = tokio::select! {
                () = s.cancel.cancelled() => return,
                n = tokio::time::timeout(SILENCE_CHECK, events.next()) => n,
            };
            let event = match next {
                Err(_) => {
                    let silent = heard.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                    if silent < SILENCE {
                        continue;
                    }
                    break "no keep-alive from the server".to_owned();
                }
                Ok(None) => break "the server closed the event stream".to_owned(),
                Ok(Some(Err(e))) => break format!("event stream broken: {e}"),
                Ok(Some(Ok(event))) => event,
            };
            if !event.id.is_empty() {
                last_id = Some(event.id.clone());
                if let Some(path) = &cursor
                    && let Err(e) = std::fs::write(path, &event.id)
                {
                    tracing::warn!(error = %e, "cannot keep the event cursor");
                }
            }
            match serde_json::from_str::<ServerEvent>(&event.data) {
                Ok(e) => deliver(&s, e).await,
                Err(e) => {
                    tracing::warn!(error = %e, name = %event.event, "unreadable event ignored")
                }
            }
        };
        tracing::warn!(reason = %why, "event stream lost; reconnecting");
        s.board.update(|b| {
            b.server = ServerStatus::NotConnected {
                url: url.clone(),
                detail: format!("{why}; reconnecting"),
            }
        });
        let wait = backoff.next_delay(None, rand::random::<f64>());
        tokio::select! {
            () = s.cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn deliver(s: &Stream, event: ServerEvent) {
    match event {
        ServerEvent::Policy { policy } => {
            apply_policy(&s.recorder, &s.board, s.data_dir.as_ref(), policy).await;
        }
        ServerEvent::Agent {
            event,
            received_at_ms,
        } => {
            let age = now_ms() - received_at_ms;
            if age > STALE_MS {
                tracing::info!(?event, age_ms = age, "stale relayed event ignored");
                return;
            }
            let input = match event {
                AgentEvent::Call(e) => Input::Call(e),
                AgentEvent::Participant(e) => Input::Participant(e),
            };
            tracing::info!(?input, "call event from the server");
            if let Err(e) = s.recorder.input(input, QUEUE_TIMEOUT).await {
                tracing::warn!(error = %e, "the Recorder did not take a relayed event");
            }
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
