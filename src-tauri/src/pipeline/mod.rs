//! The recording pipeline of the app: the Recorder's capture commands drive capture sessions
//! (`agentrec-capture`) writing into the encrypted spool; their events come back to the
//! Recorder (monitors, source failures); finished recordings are finalized (or discarded) in
//! the spool for the uploader, which is kicked on every new segment.
//!
//! One task owns the sessions ([`run`]); the Recorder's owner task reaches it through
//! [`PipelineCapture`] and [`PipelineSink`] (the `CaptureDriver` and `RecordingSink` seams),
//! which only queue messages, so the Recorder never waits on the capture pipeline. Opening
//! sources (up to ~2 s for an audio device) and joining threads run on blocking threads.
//!
//! A recording is finalized in the spool only after its capture session stopped and flushed
//! its last segments, so the uploader's `last_seq` is final. At start-up, recordings the spool
//! holds unfinished (the app crashed, was killed or the PC lost power) are finalized as
//! partial with [`EndReason::Interrupted`] and uploaded.

mod driver;
mod sources;
mod timeline_log;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentrec_capture::error::SpoolError;
use agentrec_capture::session::{CaptureEvent, CaptureSession, SessionConfig, Sources, StopReason};
use agentrec_capture::source::MonitorInfo;
use agentrec_capture::spool::{Spool, SpoolKey};
use agentrec_core::recorder::{EndReason, Finalized, Outcome, Source, TimelineEvent};
use agentrec_core::wire::{CallMetadata, MonitorReport};
use agentrec_core::{CallId, Input, MonitorId, RecordingId};
use agentrec_uploader::UploaderHandle;
use agentrec_uploader::interrupted::finalize_from_spool;
use tokio::sync::{mpsc, oneshot};

pub use driver::{PipelineCapture, PipelineSink};
pub use timeline_log::TimelineLog;

use crate::capture_port::CaptureCommand;
use crate::recorder_task::RecorderHandle;
use crate::status::{AgentStatusBoard, CaptureStatus};

/// Messages the pipeline task takes, in order.
#[derive(Debug)]
pub(crate) enum Msg {
    Capture(CaptureCommand),
    Timeline(RecordingId, TimelineEvent),
    Finalize(Box<Finalized>),
    Discard(RecordingId),
    Event(RecordingId, CaptureEvent),
    Flush(oneshot::Sender<()>),
}

/// Queued messages at most (a burst of commands and capture events; the senders never wait).
const QUEUE: usize = 512;
/// How often monitors are listed while nothing is captured (hot-plug outside calls).
const MONITOR_POLL: Duration = Duration::from_secs(10);

/// Where the pipeline keeps things.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The spool directory.
    pub spool_dir: PathBuf,
    /// The spool's key (from the keyring).
    pub key: SpoolKey,
    /// The most bytes the spool may hold.
    pub quota_bytes: Option<u64>,
    /// Where timeline markers of recordings in progress are kept (for crash recovery).
    pub timelines_dir: PathBuf,
}

/// The uploader currently running, if any (replaced after a re-enrollment).
#[derive(Debug, Clone, Default)]
pub struct UploaderSlot(Arc<Mutex<Option<UploaderHandle>>>);

impl UploaderSlot {
    /// Installs (or removes) the running uploader.
    pub fn set(&self, handle: Option<UploaderHandle>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = handle;
    }

    /// Wakes the uploader, if one runs.
    pub fn kick(&self) {
        if let Some(h) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            h.kick();
        }
    }

    /// The running uploader.
    pub fn get(&self) -> Option<UploaderHandle> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The rest of the app's way into the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineHandle {
    tx: mpsc::Sender<Msg>,
    spool: Spool,
    uploader: UploaderSlot,
    monitors: Arc<Mutex<Vec<MonitorInfo>>>,
}

impl PipelineHandle {
    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// The uploader slot (the server link installs the uploader there).
    pub fn uploader(&self) -> &UploaderSlot {
        &self.uploader
    }

    /// The monitors connected, as the heartbeat reports them.
    pub fn monitors(&self) -> Vec<MonitorReport> {
        self.monitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|m| MonitorReport {
                monitor: m.id.clone(),
                width: m.rect.width,
                height: m.rect.height,
                primary: m.primary,
            })
            .collect()
    }

    /// The capture driver for the Recorder's owner task.
    pub fn capture(&self, status: CaptureStatus) -> PipelineCapture {
        PipelineCapture::new(self.tx.clone(), status)
    }

    /// The recording sink for the Recorder's owner task.
    pub fn sink(&self) -> PipelineSink {
        PipelineSink::new(self.tx.clone())
    }

    /// Waits (at most `timeout`) until every capture session has stopped and every recording
    /// the Recorder ended is finalized in the spool: call before exiting.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_err() {
            return false;
        }
        tokio::time::timeout(timeout, rx).await.is_ok()
    }
}

/// Opens the spool (recovering it after a crash), finalizes interrupted recordings as
/// partial, and returns the pipeline's handle and its task.
pub fn start(
    config: PipelineConfig,
    recorder: RecorderHandle,
    board: AgentStatusBoard,
) -> Result<(PipelineHandle, impl Future<Output = ()> + Send), SpoolError> {
    let (spool, report) = Spool::open(&config.spool_dir, config.key.clone(), config.quota_bytes)?;
    if report != Default::default() {
        tracing::warn!(?report, "spool recovered after an unclean stop");
    }
    let timelines = TimelineLog::new(config.timelines_dir.clone());
    recover_interrupted(&spool, &timelines);
    let (tx, rx) = mpsc::channel(QUEUE);
    let handle = PipelineHandle {
        tx: tx.clone(),
        spool: spool.clone(),
        uploader: UploaderSlot::default(),
        monitors: Arc::new(Mutex::new(Vec::new())),
    };
    let task = Task {
        spool,
        timelines,
        recorder,
        board,
        tx,
        uploader: handle.uploader.clone(),
        monitors: handle.monitors.clone(),
        sessions: HashMap::new(),
        flushes: Vec::new(),
    };
    Ok((handle, task.run(rx)))
}

/// Finalizes, as partial and interrupted, every recording the spool holds unfinished: the app
/// that recorded it is gone (this runs before any capture starts).
fn recover_interrupted(spool: &Spool, timelines: &TimelineLog) {
    for m in spool.recordings() {
        if m.finalized.is_some() || m.discarded {
            continue;
        }
        let markers = timelines.read(m.recording);
        let finalized = finalize_from_spool(&m, Outcome::Partial, EndReason::Interrupted, markers);
        match spool.finalize(finalized) {
            Ok(()) => {
                tracing::warn!(recording = %m.recording, call = %m.call,
                    "found unfinished after an unclean stop: finalized as partial (interrupted)");
                timelines.remove(m.recording);
            }
            Err(e) => {
                tracing::error!(recording = %m.recording, error = %e, "cannot finalize an interrupted recording")
            }
        }
    }
}

/// How a recording ends once its session has stopped.
#[derive(Debug)]
enum End {
    Finalize(Box<Finalized>),
    Discard,
}

struct Active {
    session: Option<CaptureSession>,
    sources: Vec<Source>,
    stopping: bool,
    end: Option<End>,
}

struct Task {
    spool: Spool,
    timelines: TimelineLog,
    recorder: RecorderHandle,
    board: AgentStatusBoard,
    tx: mpsc::Sender<Msg>,
    uploader: UploaderSlot,
    monitors: Arc<Mutex<Vec<MonitorInfo>>>,
    sessions: HashMap<RecordingId, Active>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        self.poll_monitors().await;
        self.uploader.kick();
        let mut tick = tokio::time::interval(MONITOR_POLL);
        tick.tick().await;
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                _ = tick.tick() => if self.sessions.is_empty() {
                    self.poll_monitors().await;
                },
            }
            if self.sessions.is_empty() {
                for f in self.flushes.drain(..) {
                    let _ = f.send(());
                }
            }
        }
        tracing::debug!("pipeline task ended");
    }

    async fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Capture(command) => self.capture(command).await,
            Msg::Timeline(recording, event) => {
                let log = self.timelines.clone();
                let _ = tokio::task::spawn_blocking(move || log.append(recording, &event)).await;
            }
            Msg::Finalize(finalized) => {
                self.end(finalized.recording, End::Finalize(finalized))
                    .await
            }
            Msg::Discard(recording) => self.end(recording, End::Discard).await,
            Msg::Event(recording, event) => self.event(recording, event).await,
            Msg::Flush(reply) => self.flushes.push(reply),
        }
    }

    async fn capture(&mut self, command: CaptureCommand) {
        match command {
            CaptureCommand::Start {
                recording,
                call,
                settings,
                monitors,
            } => {
                self.start_session(recording, call, settings, monitors)
                    .await
            }
            CaptureCommand::Pause(rec) => self.with_session(rec, |s| s.pause()),
            CaptureCommand::Resume(rec) => self.with_session(rec, |s| s.resume()),
            CaptureCommand::AddMonitor(rec, m) => self.with_session(rec, |s| s.add_monitor(m)),
            CaptureCommand::RemoveMonitor(rec, m) => {
                self.with_session(rec, |s| s.remove_monitor(m));
            }
            CaptureCommand::Stop(rec) => {
                if let Some(active) = self.sessions.get_mut(&rec) {
                    active.stopping = true;
                }
                self.with_session(rec, |s| s.stop());
            }
        }
    }

    fn with_session(
        &self,
        recording: RecordingId,
        f: impl FnOnce(&CaptureSession) -> Result<(), agentrec_capture::error::CaptureError>,
    ) {
        if let Some(session) = self
            .sessions
            .get(&recording)
            .and_then(|a| a.session.as_ref())
            && let Err(e) = f(session)
        {
            tracing::warn!(%recording, error = %e, "capture command not carried out");
        }
    }

    async fn start_session(
        &mut self,
        recording: RecordingId,
        call: CallId,
        settings: agentrec_core::policy::CapturePolicy,
        monitors: Vec<MonitorId>,
    ) {
        let metadata = self.metadata(&call);
        let spool = self.spool.clone();
        let wanted_audio = sources::audio_sources(&settings);
        let opened = tokio::task::spawn_blocking(move || {
            // The manifest first, with the call's details: whatever happens next, the
            // recording exists and can be finalized and uploaded.
            let manifest = spool.begin_recording(recording, call.clone(), unix_ms())?;
            if manifest.metadata.is_none() {
                spool.set_metadata(recording, metadata)?;
            }
            let sources::Opened {
                screen,
                audio,
                failures,
            } = sources::open(&settings);
            let mut config = SessionConfig::new(recording, call, settings);
            config.monitors = monitors;
            let session = match screen {
                Ok(screen) => Some(CaptureSession::start(
                    config,
                    Sources { screen, audio },
                    spool,
                )),
                Err(e) => {
                    let mut failures = failures;
                    failures.push((None, e.to_string()));
                    return Ok::<_, SpoolError>((None, failures));
                }
            };
            Ok((session, failures))
        })
        .await;
        let (session, failures) = match opened {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                tracing::error!(%recording, error = %e, "cannot create the recording in the spool");
                (None, vec![(None, format!("spool: {e}"))])
            }
            Err(e) => (None, vec![(None, format!("capture start failed: {e}"))]),
        };
        let mut reported: Vec<Source> = Vec::new();
        for (source, error) in &failures {
            // No screen at all: every monitor the Recorder asked for is failing.
            let sources = match source {
                Some(s) => vec![s.clone()],
                None => self.requested_monitors(),
            };
            for source in sources {
                tracing::warn!(%recording, ?source, %error, "capture source failed to open");
                reported.push(source.clone());
                self.report(Input::CaptureFailed {
                    source,
                    error: error.clone(),
                });
            }
        }
        let session = match session {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                let error = e.to_string();
                tracing::error!(%recording, %error, "capture session failed to start");
                for source in self
                    .requested_monitors()
                    .into_iter()
                    .chain(wanted_audio.clone())
                {
                    if !reported.contains(&source) {
                        self.report(Input::CaptureFailed {
                            source,
                            error: error.clone(),
                        });
                    }
                }
                None
            }
            None => None,
        };
        if let Some(session) = &session {
            let events = session.events();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                while let Ok(event) = events.recv_async().await {
                    let last = matches!(event, CaptureEvent::Stopped { .. });
                    if tx.send(Msg::Event(recording, event)).await.is_err() || last {
                        break;
                    }
                }
            });
            tracing::info!(%recording, "capture started");
            self.board.update(|s| {
                s.capture = CaptureStatus {
                    available: true,
                    detail: "capturing".to_owned(),
                }
            });
        }
        let sources = self
            .requested_monitors()
            .into_iter()
            .chain(wanted_audio)
            .collect();
        self.sessions.insert(
            recording,
            Active {
                stopping: session.is_none(),
                session,
                sources,
                end: None,
            },
        );
        if self
            .sessions
            .get(&recording)
            .is_some_and(|a| a.session.is_none())
        {
            // Nothing runs: the end, when it comes, is written at once.
            self.sessions.remove(&recording);
        }
    }

    fn requested_monitors(&self) -> Vec<Source> {
        let snapshot = self.recorder.snapshot();
        let known = self
            .monitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if !snapshot.monitors.is_empty() {
            return snapshot.monitors.into_iter().map(Source::Monitor).collect();
        }
        known.into_iter().map(|m| Source::Monitor(m.id)).collect()
    }

    fn metadata(&self, call: &CallId) -> CallMetadata {
        let answered = self.recorder.answered(call);
        CallMetadata {
            kind: answered.as_ref().map(|a| a.kind).unwrap_or_default(),
            direction: answered.as_ref().map(|a| a.direction).unwrap_or_default(),
            acd: answered.as_ref().is_some_and(|a| a.acd),
            queue: answered.and_then(|a| a.queue),
            timezone: iana_time_zone::get_timezone().ok(),
            ..CallMetadata::default()
        }
    }

    async fn event(&mut self, recording: RecordingId, event: CaptureEvent) {
        match event {
            CaptureEvent::TrackStarted { .. }
            | CaptureEvent::SegmentWritten { .. }
            | CaptureEvent::PosterWritten { .. } => self.uploader.kick(),
            CaptureEvent::MonitorAdded { monitor } => {
                self.note_monitor(monitor.clone());
                self.report(Input::MonitorAdded {
                    monitor: monitor.id,
                });
            }
            CaptureEvent::MonitorRemoved { monitor } => {
                self.monitors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .retain(|m| m.id != monitor);
                self.report(Input::MonitorRemoved { monitor });
            }
            CaptureEvent::SourceFailed { source, error } => {
                tracing::warn!(%recording, ?source, %error, "capture source failed");
                self.report(Input::CaptureFailed { source, error });
            }
            CaptureEvent::SourceRecovered { source } => {
                tracing::info!(%recording, ?source, "capture source recovered");
                self.report(Input::CaptureRecovered { source });
            }
            CaptureEvent::FramesDropped { track, total } => {
                tracing::debug!(%recording, track, total, "frames dropped: encoder behind");
            }
            CaptureEvent::TrackEnded { track, reason } => {
                tracing::debug!(%recording, track, ?reason, "track ended");
                self.uploader.kick();
            }
            CaptureEvent::Paused { at_ms } => tracing::debug!(%recording, at_ms, "capture paused"),
            CaptureEvent::Resumed { at_ms } => {
                tracing::debug!(%recording, at_ms, "capture resumed")
            }
            CaptureEvent::Stopped { reason, at_ms } => self.stopped(recording, reason, at_ms).await,
        }
    }

    async fn stopped(&mut self, recording: RecordingId, reason: StopReason, at_ms: u64) {
        let Some(mut active) = self.sessions.remove(&recording) else {
            return;
        };
        tracing::info!(%recording, at_ms, ?reason, "capture stopped");
        if !matches!(reason, StopReason::Requested) {
            // Out of space or the screen source died: the Recorder still thinks it records.
            let error = match &reason {
                StopReason::OutOfSpace(e) => format!("spool full: {e}"),
                StopReason::Failed(e) => e.clone(),
                StopReason::Requested => String::new(),
            };
            for source in active.sources.drain(..) {
                self.report(Input::CaptureFailed {
                    source,
                    error: error.clone(),
                });
            }
        }
        if let Some(session) = active.session.take() {
            // Joins the pipeline's threads; they have flushed already.
            let _ = tokio::task::spawn_blocking(move || session.wait()).await;
        }
        if let Some(end) = active.end.take() {
            self.write_end(recording, end).await;
        }
        self.board.update(|s| {
            s.capture = CaptureStatus {
                available: true,
                detail: "ready".to_owned(),
            }
        });
        self.uploader.kick();
    }

    async fn end(&mut self, recording: RecordingId, end: End) {
        match self.sessions.get_mut(&recording) {
            Some(active) => {
                // Written once the session has flushed its last segments (Stopped).
                if !active.stopping
                    && let Some(s) = &active.session
                {
                    let _ = s.stop();
                    active.stopping = true;
                }
                active.end = Some(end);
            }
            None => self.write_end(recording, end).await,
        }
    }

    async fn write_end(&mut self, recording: RecordingId, end: End) {
        let spool = self.spool.clone();
        let timelines = self.timelines.clone();
        let result = tokio::task::spawn_blocking(move || {
            let r = match end {
                End::Finalize(f) => {
                    tracing::info!(call = %f.call, outcome = ?f.outcome, reason = ?f.reason,
                        recorded_ms = f.recorded_ms, recording = %f.recording, "recording finalized");
                    spool.finalize(*f)
                }
                End::Discard => {
                    tracing::info!(%recording, "recording discarded (too short)");
                    spool.discard(recording)
                }
            };
            timelines.remove(recording);
            r
        })
        .await;
        match result {
            Ok(Ok(())) => self.uploader.kick(),
            Ok(Err(e)) => {
                tracing::error!(%recording, error = %e, "cannot end the recording in the spool")
            }
            Err(e) => tracing::error!(%recording, error = %e, "spool task failed"),
        }
    }

    fn report(&self, input: Input) {
        if let Err(e) = self.recorder.try_input(input) {
            tracing::warn!(error = %e, "the Recorder did not take a capture report");
        }
    }

    fn note_monitor(&self, monitor: MonitorInfo) {
        let mut known = self.monitors.lock().unwrap_or_else(|p| p.into_inner());
        known.retain(|m| m.id != monitor.id);
        known.push(monitor);
    }

    /// Lists the monitors and tells the Recorder what changed (outside capture sessions,
    /// which report hot-plugs themselves).
    async fn poll_monitors(&mut self) {
        let listed = tokio::task::spawn_blocking(sources::list_monitors).await;
        let now = match listed {
            Ok(Ok(now)) => now,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot list monitors");
                self.board.update(|s| {
                    s.capture = CaptureStatus {
                        available: false,
                        detail: format!("no screen to capture: {e}"),
                    }
                });
                return;
            }
            Err(_) => return,
        };
        let before = std::mem::replace(
            &mut *self.monitors.lock().unwrap_or_else(|p| p.into_inner()),
            now.clone(),
        );
        for m in &now {
            if !before.iter().any(|b| b.id == m.id) || before.is_empty() {
                self.report(Input::MonitorAdded {
                    monitor: m.id.clone(),
                });
            }
        }
        for b in before {
            if !now.iter().any(|m| m.id == b.id) {
                self.report(Input::MonitorRemoved { monitor: b.id });
            }
        }
        self.board.update(|s| {
            if !s.capture.available {
                s.capture = CaptureStatus {
                    available: true,
                    detail: "ready".to_owned(),
                };
            }
        });
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
