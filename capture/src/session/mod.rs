//! The capture session the app drives: one per capture run of a recording.
//!
//! [`CaptureSession::start`] spawns the pipeline and returns at once; its methods only send
//! a command (never block, so they are safe on a tokio task); what happens comes back on
//! [`CaptureSession::events`] (a flume channel: `recv_async` from async code). The threads:
//!
//! ```text
//! session thread (screen loop): damage → capture → ─try_send─► video track thread ×N (rav1e → fMP4 → spool)
//!   owns the ScreenSource, monitors hot-plug, pause/resume/stop   (bounded queue; full → frame dropped, counted)
//! audio sources (cpal threads) ─try_send─► audio track thread (mixer → Opus → fMP4 → spool)
//! ```
//! All tracks stamp samples with one [`Timeline`]; pause and stop close every track's
//! segment (a gap on the timeline); resume opens new segments starting on keyframes.

mod audio_track;
pub mod budget;
pub mod clock;
pub mod rate;
mod screen_loop;
mod video_track;

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use agentrec_core::media::{SegmentInfo, TrackInfo, TrackNo};
use agentrec_core::policy::CapturePolicy;
use agentrec_core::recorder::Source;
use agentrec_core::{CallId, MonitorId, RecordingId};

pub use clock::Timeline;
pub use video_track::{IDLE_FLUSH_MS, VIDEO_TIMESCALE};

use crate::encode::av1::Av1Settings;
use crate::error::CaptureError;
use crate::source::{AudioSource, MonitorInfo, ScreenSource};
use crate::spool::Spool;

/// How a capture run is set up.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The recording to capture into (created in the spool, or continued).
    pub recording: RecordingId,
    /// Its call.
    pub call: CallId,
    /// The effective capture settings (monitor cap, fps cap, max resolution, audio sides).
    pub settings: CapturePolicy,
    /// The monitors to capture; empty means every monitor, up to the cap.
    pub monitors: Vec<MonitorId>,
    /// Start tracks by itself for monitors plugged in mid-run (the CLI); the app leaves this
    /// off and answers [`CaptureEvent::MonitorAdded`] through the Recorder instead.
    pub auto_add_monitors: bool,
    /// Target segment length (ms): the grid segments are cut on.
    pub segment_ms: u64,
    /// Longest video segment (ms): a monitor without large changes gets a keyframe this
    /// often (see `mux::segmenter`).
    pub max_segment_ms: u64,
    /// rav1e settings.
    pub av1: Av1Settings,
    /// Opus bitrate (bits per second).
    pub audio_bitrate: i32,
    /// Frames waiting for a monitor's encoder at most; beyond, frames are dropped.
    pub queue_frames: usize,
    /// Adaptive frame rate: a monitor whose last change covered less than this share of its
    /// area (parts per million) is captured at most once per `idle_interval_ms`.
    pub active_area_ppm: u64,
    /// See `active_area_ppm`.
    pub idle_interval_ms: u64,
    /// CPU the encoders may use on average, in cores (0: unlimited); beyond it the frame
    /// rate drops (see `session::budget`).
    pub cpu_budget_cores: f64,
}

impl SessionConfig {
    /// Defaults for a recording: 10 s segments, adaptive rate (≤1 fps below 1 % change).
    pub fn new(recording: RecordingId, call: CallId, settings: CapturePolicy) -> SessionConfig {
        SessionConfig {
            recording,
            call,
            settings,
            monitors: Vec::new(),
            auto_add_monitors: false,
            segment_ms: 10_000,
            max_segment_ms: 60_000,
            av1: Av1Settings::default(),
            audio_bitrate: crate::encode::opus::DEFAULT_BITRATE,
            queue_frames: 2,
            active_area_ppm: 10_000,
            idle_interval_ms: 1_000,
            cpu_budget_cores: 1.0,
        }
    }
}

/// The sources a session captures from.
pub struct Sources {
    /// The screens.
    pub screen: Box<dyn ScreenSource>,
    /// The audio sides (microphone and/or system); empty for no audio track.
    pub audio: Vec<Box<dyn AudioSource>>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("audio", &self.audio.len())
            .finish_non_exhaustive()
    }
}

/// Why a session stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// [`CaptureSession::stop`] was called (or the session was dropped).
    Requested,
    /// The disk or the spool quota is full: every finished segment is safe, nothing
    /// partial was written.
    OutOfSpace(String),
    /// The screen source failed for good.
    Failed(String),
}

/// Why a track ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackEndReason {
    /// The session stopped.
    SessionStopped,
    /// Its monitor was removed (unplugged, or by command).
    MonitorRemoved,
    /// Its encoder failed.
    Failed(String),
}

/// What the pipeline reports.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureEvent {
    /// A track started (or was continued) and its init segment is in the spool.
    TrackStarted {
        /// The track.
        track: TrackInfo,
    },
    /// A media segment is finished and durable in the spool.
    SegmentWritten {
        /// The segment.
        segment: SegmentInfo,
        /// Its spool file (encrypted).
        path: PathBuf,
    },
    /// A video track's poster image is in the spool.
    PosterWritten {
        /// The track.
        track: TrackNo,
        /// Its spool file (encrypted).
        path: PathBuf,
    },
    /// A track ended.
    TrackEnded {
        /// The track.
        track: TrackNo,
        /// Why.
        reason: TrackEndReason,
    },
    /// A monitor appeared (feed the Recorder `Input::MonitorAdded`).
    MonitorAdded {
        /// The monitor.
        monitor: MonitorInfo,
    },
    /// A monitor disappeared; its track (if any) ended (feed `Input::MonitorRemoved`).
    MonitorRemoved {
        /// The monitor.
        monitor: MonitorId,
    },
    /// A source stopped delivering (feed `Input::CaptureFailed`).
    SourceFailed {
        /// Which.
        source: Source,
        /// What the backend said.
        error: String,
    },
    /// A failed source delivers again (feed `Input::CaptureRecovered`).
    SourceRecovered {
        /// Which.
        source: Source,
    },
    /// Frames of a monitor were dropped because its encoder fell behind.
    FramesDropped {
        /// The track.
        track: TrackNo,
        /// Frames dropped so far in this run.
        total: u64,
    },
    /// Capture paused at this timeline time.
    Paused {
        /// Timeline ms.
        at_ms: u64,
    },
    /// Capture resumed at this timeline time.
    Resumed {
        /// Timeline ms.
        at_ms: u64,
    },
    /// The session stopped; every track is flushed. The last event.
    Stopped {
        /// Why.
        reason: StopReason,
        /// The timeline time it stopped at.
        at_ms: u64,
    },
}

/// Commands to the session thread.
#[derive(Debug)]
pub(crate) enum Control {
    Pause,
    Resume,
    Stop,
    AddMonitor(MonitorId),
    RemoveMonitor(MonitorId),
    /// A track thread hit a fatal spool error.
    OutOfSpace(String),
}

/// A running capture of one recording.
#[derive(Debug)]
pub struct CaptureSession {
    recording: RecordingId,
    control: flume::Sender<Control>,
    events: flume::Receiver<CaptureEvent>,
    timeline: Timeline,
    thread: Option<JoinHandle<StopReason>>,
}

/// Events buffered for the app at most; beyond, events are dropped (the spool manifest
/// still has every segment).
pub const EVENT_QUEUE: usize = 1024;

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl CaptureSession {
    /// Starts capturing `config.recording` into `spool`. Returns once the threads run; the
    /// spool entry exists. A recording already in the spool is continued on its timeline.
    pub fn start(
        config: SessionConfig,
        sources: Sources,
        spool: Spool,
    ) -> Result<CaptureSession, CaptureError> {
        let s = &config.settings;
        if !(1..=4).contains(&s.max_monitors) || !(1..=30).contains(&s.fps_cap) {
            return Err(CaptureError::InvalidSettings(format!(
                "max_monitors {} (1–4), fps_cap {} (1–30)",
                s.max_monitors, s.fps_cap
            )));
        }
        if config.segment_ms < 1_000 || config.max_segment_ms < config.segment_ms {
            return Err(CaptureError::InvalidSettings("segments under 1 s".into()));
        }
        crate::source::tune_allocator();
        let now_unix = unix_ms();
        let manifest = spool.begin_recording(config.recording, config.call.clone(), now_unix)?;
        let offset_ms = now_unix
            .saturating_sub(manifest.started_unix_ms)
            .max(manifest.timeline_end_ms());
        let timeline = Timeline::starting_now(offset_ms);
        let (control_tx, control_rx) = flume::bounded(64);
        let (events_tx, events_rx) = flume::bounded(EVENT_QUEUE);
        let recording = config.recording;
        let worker = screen_loop::ScreenLoop::new(
            config,
            sources,
            spool,
            timeline,
            control_rx,
            control_tx.clone(),
            events_tx,
        );
        let thread = std::thread::Builder::new()
            .name("capture-session".into())
            .spawn(move || worker.run())
            .map_err(|e| CaptureError::Thread(e.to_string()))?;
        Ok(CaptureSession {
            recording,
            control: control_tx,
            events: events_rx,
            timeline,
            thread: Some(thread),
        })
    }

    /// The recording being captured.
    pub fn recording(&self) -> RecordingId {
        self.recording
    }

    /// The session's clock.
    pub fn timeline(&self) -> Timeline {
        self.timeline
    }

    /// The events channel (clone it freely; `recv_async` in async code).
    pub fn events(&self) -> flume::Receiver<CaptureEvent> {
        self.events.clone()
    }

    fn send(&self, c: Control) -> Result<(), CaptureError> {
        self.control.try_send(c).map_err(|e| match e {
            flume::TrySendError::Full(_) => CaptureError::Busy,
            flume::TrySendError::Disconnected(_) => CaptureError::Stopped,
        })
    }

    /// Pauses: every track closes its segment; nothing is captured until resumed.
    pub fn pause(&self) -> Result<(), CaptureError> {
        self.send(Control::Pause)
    }

    /// Resumes after a pause: new segments start with keyframes.
    pub fn resume(&self) -> Result<(), CaptureError> {
        self.send(Control::Resume)
    }

    /// Starts a track for a monitor (within the cap).
    pub fn add_monitor(&self, monitor: MonitorId) -> Result<(), CaptureError> {
        self.send(Control::AddMonitor(monitor))
    }

    /// Ends a monitor's track; the others go on.
    pub fn remove_monitor(&self, monitor: MonitorId) -> Result<(), CaptureError> {
        self.send(Control::RemoveMonitor(monitor))
    }

    /// Asks the session to stop and flush; [`CaptureEvent::Stopped`] follows.
    pub fn stop(&self) -> Result<(), CaptureError> {
        self.send(Control::Stop)
    }

    /// Stops (if not yet stopping) and waits for the threads (blocking).
    pub fn wait(mut self) -> StopReason {
        let _ = self.control.send(Control::Stop);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_else(|| StopReason::Failed("session thread panicked".into()))
    }
}

impl Drop for CaptureSession {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.control.send(Control::Stop);
            let _ = thread.join();
        }
    }
}

pub(crate) fn source_of(monitor: &MonitorId) -> Source {
    Source::Monitor(monitor.clone())
}
