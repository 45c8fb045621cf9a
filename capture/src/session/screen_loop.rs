//! The session thread: owns the screen source, decides every tick which monitors to capture
//! (damage, fps cap, adaptive rate), feeds each monitor's track thread through a bounded
//! queue, follows monitor hot-plug, and carries out pause/resume/stop for every track.

use std::collections::HashMap;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use agentrec_core::MonitorId;

use super::audio_track::{AudioMsg, AudioTrack};
use super::budget::CpuBudget;
use super::rate::{MonitorRate, RateRule};
use super::video_track::{TrackMsg, VideoTrack, VideoTrackSetup};
use super::{
    CaptureEvent, Control, SessionConfig, Sources, StopReason, Timeline, TrackEndReason, source_of,
};
use crate::encode::yuv::fit_size;
use crate::error::SourceError;
use crate::mux::segmenter::SegmentRule;
use crate::source::{AudioSource, BgrxFrame, MonitorInfo, ScreenSource};
use crate::spool::Spool;

/// How often the monitor list is re-read (hot-plug).
const MONITOR_POLL: Duration = Duration::from_secs(1);

struct VideoHandle {
    monitor: MonitorInfo,
    track_no: Option<u32>,
    tx: flume::Sender<TrackMsg>,
    recycle: flume::Receiver<BgrxFrame>,
    thread: JoinHandle<()>,
    rate: MonitorRate,
    dropped: u64,
    last_drop_report: Option<u64>,
    failing: bool,
}

pub(crate) struct ScreenLoop {
    cfg: SessionConfig,
    screen: Box<dyn ScreenSource>,
    audio_sources: Vec<Box<dyn AudioSource>>,
    spool: Spool,
    timeline: Timeline,
    control_rx: flume::Receiver<Control>,
    control_tx: flume::Sender<Control>,
    events: flume::Sender<CaptureEvent>,
    tracks: Vec<VideoHandle>,
    audio: Option<(flume::Sender<AudioMsg>, JoinHandle<()>)>,
    known: Vec<MonitorInfo>,
    paused: bool,
    budget: SharedBudget,
    origin: Instant,
    round_robin: usize,
}

/// The session's CPU budget, charged by the encoder threads.
pub(crate) type SharedBudget = std::sync::Arc<std::sync::Mutex<CpuBudget>>;

impl ScreenLoop {
    pub fn new(
        cfg: SessionConfig,
        sources: Sources,
        spool: Spool,
        timeline: Timeline,
        control_rx: flume::Receiver<Control>,
        control_tx: flume::Sender<Control>,
        events: flume::Sender<CaptureEvent>,
    ) -> ScreenLoop {
        let cfg_budget = cfg.cpu_budget_cores;
        ScreenLoop {
            cfg,
            screen: sources.screen,
            audio_sources: sources.audio,
            spool,
            timeline,
            control_rx,
            control_tx,
            events,
            tracks: Vec::new(),
            audio: None,
            known: Vec::new(),
            paused: false,
            budget: std::sync::Arc::new(std::sync::Mutex::new(CpuBudget::new(
                cfg_budget,
                Duration::from_secs(2),
            ))),
            origin: Instant::now(),
            round_robin: 0,
        }
    }

    fn emit(&self, e: CaptureEvent) {
        let _ = self.events.try_send(e);
    }

    pub fn run(mut self) -> StopReason {
        let reason = self.run_inner();
        let at_ms = self.timeline.now_ms();
        self.end_all(at_ms);
        let _ = self.events.try_send(CaptureEvent::Stopped {
            reason: reason.clone(),
            at_ms,
        });
        reason
    }

    fn run_inner(&mut self) -> StopReason {
        let start_ms = self.timeline.now_ms();
        self.start_audio(start_ms);
        match self.screen.monitors() {
            Ok(monitors) => self.known = monitors,
            Err(e) => return StopReason::Failed(e.to_string()),
        }
        let wanted: Vec<MonitorInfo> = if self.cfg.monitors.is_empty() {
            self.known.clone()
        } else {
            self.cfg
                .monitors
                .iter()
                .filter_map(|id| self.known.iter().find(|m| m.id == *id).cloned())
                .collect()
        };
        for m in wanted {
            self.start_track(m, start_ms);
        }
        let tick = Duration::from_secs_f64(1.0 / f64::from(self.cfg.settings.fps_cap.max(1)));
        let mut next_tick = Instant::now();
        let mut next_monitor_poll = Instant::now() + MONITOR_POLL;
        loop {
            // Commands, waiting until the next tick.
            loop {
                match self.control_rx.recv_deadline(next_tick) {
                    Ok(Control::Stop) => return StopReason::Requested,
                    Ok(Control::OutOfSpace(why)) => return StopReason::OutOfSpace(why),
                    Ok(c) => self.command(c),
                    Err(flume::RecvTimeoutError::Timeout) => break,
                    Err(flume::RecvTimeoutError::Disconnected) => return StopReason::Requested,
                }
            }
            next_tick += tick;
            let now = Instant::now();
            if next_tick < now {
                next_tick = now + tick; // fell behind: skip ticks rather than burst
            }
            if now >= next_monitor_poll {
                next_monitor_poll = now + MONITOR_POLL;
                self.follow_hotplug();
            }
            if let Err(reason) = self.capture_tick(tick) {
                return reason;
            }
        }
    }

    fn command(&mut self, c: Control) {
        let at_ms = self.timeline.now_ms();
        match c {
            Control::Pause if !self.paused => {
                self.paused = true;
                // Audio first: it encodes up to the present until told, while a send to a
                // video track waits for room in its frame queue (see `end_all`).
                if let Some((tx, _)) = &self.audio {
                    let _ = tx.send(AudioMsg::Pause(at_ms));
                }
                for t in &self.tracks {
                    let _ = t.tx.send(TrackMsg::Pause(at_ms));
                }
                self.emit(CaptureEvent::Paused { at_ms });
            }
            Control::Resume if self.paused => {
                self.paused = false;
                for t in &mut self.tracks {
                    t.rate.force = true;
                    let _ = t.tx.send(TrackMsg::Resume);
                }
                if let Some((tx, _)) = &self.audio {
                    let _ = tx.send(AudioMsg::Resume(Instant::now()));
                }
                self.emit(CaptureEvent::Resumed { at_ms });
            }
            Control::AddMonitor(id) => {
                if let Some(m) = self.known.iter().find(|m| m.id == id).cloned() {
                    self.start_track(m, at_ms);
                }
            }
            Control::RemoveMonitor(id) => {
                self.end_track(&id, at_ms, TrackEndReason::MonitorRemoved)
            }
            Control::Pause | Control::Resume | Control::Stop | Control::OutOfSpace(_) => {}
        }
    }

    fn start_audio(&mut self, start_ms: u64) {
        // Only the sides the policy records.
        let policy = self.cfg.settings.audio;
        let sources: Vec<Box<dyn AudioSource>> = std::mem::take(&mut self.audio_sources)
            .into_iter()
            .filter(|s| match s.side() {
                crate::source::AudioSide::Microphone => policy.microphone,
                crate::source::AudioSide::System => policy.system,
            })
            .collect();
        if sources.is_empty() {
            return;
        }
        let track = AudioTrack::open(
            self.cfg.recording,
            start_ms,
            self.cfg.audio_bitrate,
            self.spool.clone(),
            self.timeline,
            self.cfg.segment_ms,
            self.events.clone(),
            self.control_tx.clone(),
            sources,
        );
        match track {
            Ok(track) => {
                let (tx, rx) = flume::bounded(16);
                match std::thread::Builder::new()
                    .name("capture-audio".into())
                    .spawn(move || track.run(rx))
                {
                    Ok(thread) => self.audio = Some((tx, thread)),
                    Err(e) => self.emit(CaptureEvent::SourceFailed {
                        source: agentrec_core::recorder::Source::Microphone,
                        error: e.to_string(),
                    }),
                }
            }
            Err(e) => self.emit(CaptureEvent::SourceFailed {
                source: agentrec_core::recorder::Source::Microphone,
                error: e.to_string(),
            }),
        }
    }

    fn start_track(&mut self, monitor: MonitorInfo, start_ms: u64) {
        if self.tracks.iter().any(|t| t.monitor.id == monitor.id)
            || self.tracks.len() >= usize::from(self.cfg.settings.max_monitors)
        {
            return;
        }
        let max = self
            .cfg
            .settings
            .max_resolution
            .map(|r| (r.width, r.height));
        let out_size = fit_size(monitor.rect.width, monitor.rect.height, max);
        let (recycle_tx, recycle_rx) = flume::bounded(self.cfg.queue_frames + 1);
        let setup = VideoTrackSetup {
            recording: self.cfg.recording,
            monitor: monitor.clone(),
            out_size,
            fps_cap: u32::from(self.cfg.settings.fps_cap),
            av1: self.cfg.av1,
            start_ms,
            spool: self.spool.clone(),
            timeline: self.timeline,
            rule: SegmentRule {
                segment_ms: self.cfg.segment_ms,
                max_segment_ms: self.cfg.max_segment_ms,
            },
            events: self.events.clone(),
            control: self.control_tx.clone(),
            recycle: recycle_tx,
            budget: (self.budget.clone(), self.origin),
        };
        let track = match VideoTrack::open(setup) {
            Ok(t) => t,
            Err(e) => {
                if let crate::error::CaptureError::Spool(s) = &e
                    && s.is_out_of_space()
                {
                    let _ = self.control_tx.try_send(Control::OutOfSpace(s.to_string()));
                }
                self.emit(CaptureEvent::SourceFailed {
                    source: source_of(&monitor.id),
                    error: e.to_string(),
                });
                return;
            }
        };
        let track_no = Some(track.info.track);
        let (tx, rx) = flume::bounded(self.cfg.queue_frames);
        let spawned = std::thread::Builder::new()
            .name(format!("encode-{}", monitor.id))
            .spawn(move || track.run(rx));
        match spawned {
            Ok(thread) => self.tracks.push(VideoHandle {
                monitor,
                track_no,
                tx,
                recycle: recycle_rx,
                thread,
                rate: MonitorRate::new(),
                dropped: 0,
                last_drop_report: None,
                failing: false,
            }),
            Err(e) => self.emit(CaptureEvent::SourceFailed {
                source: source_of(&monitor.id),
                error: e.to_string(),
            }),
        }
    }

    fn end_track(&mut self, id: &MonitorId, at_ms: u64, reason: TrackEndReason) {
        if let Some(i) = self.tracks.iter().position(|t| t.monitor.id == *id) {
            let t = self.tracks.remove(i);
            let _ = t.tx.send(TrackMsg::End(at_ms, reason));
            drop(t.tx);
            let _ = t.thread.join();
        }
    }

    fn end_all(&mut self, at_ms: u64) {
        // The audio track is told first: it keeps encoding up to the present until it gets
        // `End`, while a send to a video track waits for room in its frame queue and its join
        // for the encoder to flush, seconds on a loaded machine. Told after them, the audio
        // track ran 1.3 s past `at_ms` in a 25 s recording of the app (and the recording's duration
        // with it).
        let audio = self.audio.take().map(|(tx, thread)| {
            let _ = tx.send(AudioMsg::End(at_ms));
            thread
        });
        for t in &self.tracks {
            let _ =
                t.tx.send(TrackMsg::End(at_ms, TrackEndReason::SessionStopped));
        }
        for t in self.tracks.drain(..) {
            drop(t.tx);
            let _ = t.thread.join();
        }
        if let Some(thread) = audio {
            let _ = thread.join();
        }
    }

    fn follow_hotplug(&mut self) {
        let Ok(now) = self.screen.monitors() else {
            return;
        };
        let at_ms = self.timeline.now_ms();
        let gone: Vec<MonitorId> = self
            .known
            .iter()
            .filter(|k| !now.iter().any(|m| m.id == k.id && m.rect == k.rect))
            .map(|k| k.id.clone())
            .collect();
        let added: Vec<MonitorInfo> = now
            .iter()
            .filter(|m| !self.known.iter().any(|k| k.id == m.id && k.rect == m.rect))
            .cloned()
            .collect();
        self.known = now;
        for id in gone {
            self.end_track(&id, at_ms, TrackEndReason::MonitorRemoved);
            self.emit(CaptureEvent::MonitorRemoved { monitor: id });
        }
        for m in added {
            self.emit(CaptureEvent::MonitorAdded { monitor: m.clone() });
            if self.cfg.auto_add_monitors {
                self.start_track(m, at_ms);
            }
        }
    }

    fn capture_tick(&mut self, tick: Duration) -> Result<(), StopReason> {
        let damage = match self.screen.poll_damage() {
            Ok(d) => d,
            Err(e) => return Err(StopReason::Failed(e.to_string())),
        };
        let now_ms = self.timeline.now_ms();
        let damage_by_monitor: HashMap<&MonitorId, u64> =
            damage.iter().map(|d| (&d.monitor, d.pixels)).collect();
        let rule = RateRule {
            tick_ms: tick.as_millis() as u64,
            idle_interval_ms: self.cfg.idle_interval_ms,
            active_area_ppm: self.cfg.active_area_ppm,
        };
        let mut gone = Vec::new();
        // Start with a different monitor each tick, so that under the CPU budget no monitor
        // starves the others.
        self.round_robin = self.round_robin.wrapping_add(1);
        let n = self.tracks.len();
        for k in 0..n {
            let t = &mut self.tracks[(self.round_robin + k) % n];
            if let Some(px) = damage_by_monitor.get(&t.monitor.id) {
                let area = u64::from(t.monitor.rect.width) * u64::from(t.monitor.rect.height);
                t.rate.damaged(&rule, *px, area, now_ms);
            }
            if self.paused || !t.rate.due(&rule, now_ms) {
                continue;
            }
            let allowed = self
                .budget
                .lock()
                .map(|mut b| b.allows(self.origin.elapsed()))
                .unwrap_or(true);
            if !allowed {
                // Over the CPU budget: the change stays pending.
                continue;
            }
            let mut frame = t.recycle.try_recv().unwrap_or_default();
            let captured_at = Instant::now();
            match self.screen.capture(&t.monitor, &mut frame) {
                Ok(()) => {
                    if t.failing {
                        t.failing = false;
                        let _ = self.events.try_send(CaptureEvent::SourceRecovered {
                            source: source_of(&t.monitor.id),
                        });
                    }
                }
                Err(SourceError::MonitorGone(id)) => {
                    gone.push(id);
                    continue;
                }
                Err(e) => {
                    if !t.failing {
                        t.failing = true;
                        let _ = self.events.try_send(CaptureEvent::SourceFailed {
                            source: source_of(&t.monitor.id),
                            error: e.to_string(),
                        });
                    }
                    continue;
                }
            }
            let at_ms = self.timeline.ms_at(captured_at);
            let area = u64::from(t.monitor.rect.width) * u64::from(t.monitor.rect.height);
            let large = t.rate.is_large(&rule, area);
            match t.tx.try_send(TrackMsg::Frame(frame, at_ms, large)) {
                Ok(()) => t.rate.captured(at_ms),
                Err(flume::TrySendError::Full(_)) => {
                    // The encoder is behind: drop this frame; the change stays pending.
                    t.dropped += 1;
                    // Reported at most once a second per track.
                    let report = t.last_drop_report.is_none_or(|r| now_ms >= r + 1_000);
                    if report {
                        t.last_drop_report = Some(now_ms);
                    }
                    if let Some(track) = t.track_no.filter(|_| report) {
                        let _ = self.events.try_send(CaptureEvent::FramesDropped {
                            track,
                            total: t.dropped,
                        });
                    }
                }
                Err(flume::TrySendError::Disconnected(_)) => gone.push(t.monitor.id.clone()),
            }
        }
        let at_ms = self.timeline.now_ms();
        for id in gone {
            self.end_track(&id, at_ms, TrackEndReason::MonitorRemoved);
            self.known.retain(|m| m.id != id);
            self.emit(CaptureEvent::MonitorRemoved { monitor: id });
        }
        Ok(())
    }
}
