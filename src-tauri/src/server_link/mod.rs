//! The link to the ingest server: enrollment (the one-time token exchanged for a device
//! credential kept in the keyring), then, while enrolled, three tasks — the event stream
//! ([`events`]: policy snapshots and relayed CTI events into the Recorder), the heartbeat
//! ([`heartbeat`]) and the uploader — until one of them meets a 401: the credential was
//! revoked, it is deleted, the app shows it and asks for a new enrollment token.

mod events;
mod heartbeat;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agentrec_core::Input;
use agentrec_core::wire::EnrollRequest;
use agentrec_uploader::backoff::Backoff;
use agentrec_uploader::uploader::backlog;
use agentrec_uploader::{AgentClient, ErrorKind, Uploader, UploaderConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config;
use crate::enrollment::EnrollmentTarget;
use crate::pipeline::PipelineHandle;
use crate::policy_cache::PolicyCache;
use crate::recorder_task::RecorderHandle;
use crate::secrets::Secrets;
use crate::status::{
    AgentStatusBoard, EnrollmentSource, EnrollmentStatus, PolicySource, ServerStatus, UploadBacklog,
};

/// How long an input to the Recorder may wait for room in its queue.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the link needs.
pub struct ServerLink {
    /// Where to enroll (`None` until the agent entered it in the first-run window).
    pub target: Option<EnrollmentTarget>,
    /// The managed config's enrollment token.
    pub managed_token: Option<String>,
    /// The per-user data directory (user enrollment, policy cache, event cursor).
    pub data_dir: Option<PathBuf>,
    /// The Recorder.
    pub recorder: RecorderHandle,
    /// The status board.
    pub board: AgentStatusBoard,
    /// The recording pipeline (spool, uploader slot, monitors).
    pub pipeline: PipelineHandle,
    /// Notified when the agent enters a server or token in the enrollment window.
    pub entered: Arc<Notify>,
    /// Opens the enrollment window (a new token is needed).
    pub ask_for_token: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for ServerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLink")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Keyring calls may block (D-Bus): off the async threads.
async fn keyring<T: Send + 'static>(f: impl FnOnce(&Secrets) -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(move || f(&Secrets::open()))
        .await
        .ok()
}

fn os() -> String {
    os_info::get().to_string()
}

impl ServerLink {
    /// Runs for the app's lifetime.
    pub async fn run(mut self) {
        tokio::spawn(publish_backlog(self.pipeline.clone(), self.board.clone()));
        let mut used: HashSet<String> = HashSet::new();
        loop {
            let Some(target) = self.target().await else {
                continue;
            };
            let credential = keyring(|s| s.device_credential()).await;
            let token = match credential {
                Some(Ok(Some(token))) => token,
                Some(Err(e)) => {
                    self.board.update(|s| {
                        s.enrollment = EnrollmentStatus::Failed {
                            detail: e.to_string(),
                        }
                    });
                    return;
                }
                _ => match self.enroll(&target, &mut used).await {
                    Some(token) => token,
                    None => continue,
                },
            };
            let client = match AgentClient::new(&target.server_url, Some(token)) {
                Ok(c) => c,
                Err(e) => {
                    self.board.update(|s| {
                        s.enrollment = EnrollmentStatus::Failed {
                            detail: e.to_string(),
                        }
                    });
                    return;
                }
            };
            self.board.update(|s| {
                s.enrollment = EnrollmentStatus::Enrolled {
                    server_url: target.server_url.clone(),
                    source: target.source,
                }
            });
            self.connected(client).await;
            // Only a revoked credential ends `connected`.
            tracing::error!("the server revoked this workstation's credential: enroll again");
            if let Some(Err(e)) = keyring(|s| s.delete_device_credential()).await {
                tracing::error!(error = %e, "cannot delete the revoked credential");
                self.needs_token(
                    &target,
                    "the server revoked this workstation's credential: enter a new enrollment token",
                );
                self.entered.notified().await;
            }
            // Enrolls again with a token not tried yet (the managed config's may be new: the
            // credential came from an earlier installation); else asks the agent for one.
        }
    }

    /// The enrollment target: known at start, or once the agent entered one.
    async fn target(&mut self) -> Option<EnrollmentTarget> {
        if self.target.is_none() {
            self.entered.notified().await;
            let entered = self
                .data_dir
                .as_deref()
                .and_then(|d| config::load_user_enrollment(d).ok().flatten());
            self.target = entered.map(|u| EnrollmentTarget {
                server_url: u.server_url,
                source: EnrollmentSource::User,
            });
        }
        self.target.clone()
    }

    fn needs_token(&self, target: &EnrollmentTarget, detail: &str) {
        self.board.update(|s| {
            s.enrollment = EnrollmentStatus::NeedsToken {
                server_url: target.server_url.clone(),
                source: target.source,
                detail: detail.to_owned(),
            };
            s.server = ServerStatus::NotConnected {
                url: target.server_url.clone(),
                detail: "not enrolled".to_owned(),
            };
        });
        (self.ask_for_token)();
    }

    /// Exchanges an enrollment token (the one typed in the window first, else the managed
    /// config's) for a device credential; `None` when the caller should look again (the
    /// agent entered a new server).
    async fn enroll(
        &mut self,
        target: &EnrollmentTarget,
        used: &mut HashSet<String>,
    ) -> Option<String> {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            let typed = keyring(|s| s.enrollment_token())
                .await
                .and_then(|r| r.ok())
                .flatten();
            let candidate = typed
                .into_iter()
                .chain(self.managed_token.clone())
                .find(|t| !used.contains(t));
            let Some(token) = candidate else {
                self.needs_token(target, "enter the enrollment token IT gave you");
                self.entered.notified().await;
                return None;
            };
            self.board.update(|s| {
                s.enrollment = EnrollmentStatus::Pending {
                    server_url: target.server_url.clone(),
                    source: target.source,
                    detail: "enrolling".to_owned(),
                }
            });
            let client = match AgentClient::new(&target.server_url, None) {
                Ok(c) => c,
                Err(e) => {
                    self.board.update(|s| {
                        s.enrollment = EnrollmentStatus::Failed {
                            detail: e.to_string(),
                        }
                    });
                    self.entered.notified().await;
                    return None;
                }
            };
            let request = EnrollRequest {
                hostname: gethostname::gethostname().to_string_lossy().into_owned(),
                os: os(),
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            match client.enroll(&token, &request).await {
                Ok(answer) => {
                    used.insert(token);
                    let credential = answer.device_token.clone();
                    if let Some(Err(e)) =
                        keyring(move |s| s.set_device_credential(&credential)).await
                    {
                        self.board.update(|s| {
                            s.enrollment = EnrollmentStatus::Failed {
                                detail: format!(
                                    "enrolled, but the keyring refused the credential: {e}"
                                ),
                            }
                        });
                        return Some(answer.device_token);
                    }
                    tracing::info!(device = %answer.device_id, agent = %answer.user.email,
                        server = %target.server_url, "enrolled");
                    self.apply_policy(answer.policy).await;
                    return Some(answer.device_token);
                }
                Err(e) if matches!(e.kind(), ErrorKind::Transient) => {
                    let wait = backoff.next_delay(e.retry_after(), rand::random::<f64>());
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "cannot enroll yet");
                    self.board.update(|s| {
                        s.enrollment = EnrollmentStatus::Pending {
                            server_url: target.server_url.clone(),
                            source: target.source,
                            detail: format!("cannot reach the server, retrying: {e}"),
                        };
                        s.server = ServerStatus::NotConnected {
                            url: target.server_url.clone(),
                            detail: e.to_string(),
                        };
                    });
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.entered.notified() => return None,
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "the server refused the enrollment token");
                    used.insert(token);
                    self.needs_token(
                        target,
                        &format!("the server refused the enrollment token ({e}): enter a new one"),
                    );
                    self.entered.notified().await;
                    return None;
                }
            }
        }
    }

    /// Keeps the policy for the next start and hands it to the Recorder.
    async fn apply_policy(&self, policy: agentrec_core::Policy) {
        apply_policy(&self.recorder, &self.board, self.data_dir.as_ref(), policy).await;
    }

    /// Runs the event stream, the heartbeat and the uploader until one meets a 401.
    async fn connected(&self, client: AgentClient) {
        let cancel = CancellationToken::new();
        let (uploader, handle) = Uploader::new(
            self.pipeline.spool().clone(),
            client.clone(),
            UploaderConfig::default(),
        );
        self.pipeline.uploader().set(Some(handle));
        let upload = tokio::spawn(uploader.run(cancel.clone()));
        let events = tokio::spawn(events::run(events::Stream {
            client: client.clone(),
            recorder: self.recorder.clone(),
            board: self.board.clone(),
            data_dir: self.data_dir.clone(),
            cancel: cancel.clone(),
        }));
        let beat = tokio::spawn(heartbeat::run(heartbeat::Beat {
            client,
            recorder: self.recorder.clone(),
            board: self.board.clone(),
            pipeline: self.pipeline.clone(),
            data_dir: self.data_dir.clone(),
            cancel: cancel.clone(),
        }));
        tokio::select! {
            r = upload => tracing::info!(result = ?r.map(|r| r.err().map(|e| e.to_string())), "uploader ended"),
            _ = events => tracing::info!("event stream ended"),
            _ = beat => tracing::info!("heartbeat ended"),
        }
        cancel.cancel();
        self.pipeline.uploader().set(None);
    }
}

/// Keeps `policy` in the cache and hands it to the Recorder (it applies from the next call).
pub(crate) async fn apply_policy(
    recorder: &RecorderHandle,
    board: &AgentStatusBoard,
    data_dir: Option<&PathBuf>,
    policy: agentrec_core::Policy,
) {
    if let Some(dir) = data_dir {
        let cache = PolicyCache::new(dir);
        let p = policy.clone();
        match tokio::task::spawn_blocking(move || cache.store(&p)).await {
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot keep the policy"),
            Err(e) => tracing::warn!(error = %e, "policy cache task failed"),
            Ok(Ok(())) => {}
        }
    }
    tracing::info!(version = policy.version, mode = %policy.mode, "policy from the server");
    if let Err(e) = recorder
        .input(Input::PolicyUpdated(Box::new(policy)), QUEUE_TIMEOUT)
        .await
    {
        tracing::warn!(error = %e, "the Recorder did not take the policy");
    }
    board.update(|s| s.policy_source = PolicySource::Cache);
}

/// Publishes the upload backlog every 2 s: the uploader's count when one runs, else the
/// spool's own (not enrolled, or revoked: segments still wait).
async fn publish_backlog(pipeline: PipelineHandle, board: AgentStatusBoard) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        let (segments, bytes) = match pipeline.uploader().get() {
            Some(h) => {
                let p = h.progress();
                (p.waiting_segments, p.waiting_bytes)
            }
            None => {
                let (s, b, _) = backlog(pipeline.spool());
                (s, b)
            }
        };
        board.update(|s| s.upload_backlog = UploadBacklog::Known { segments, bytes });
    }
}
