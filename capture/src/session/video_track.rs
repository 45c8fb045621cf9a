//! One monitor's track on its own thread: BGRX frames → I420 → rav1e → fMP4 segments → spool.
//!
//! Segments are cut by [`SegmentRule`]: at a grid line when a large change arrives (that
//! frame becomes the keyframe), or at the longest-segment line, where the last frame is
//! re-encoded as the next segment's keyframe, so every segment decodes on its own. When the
//! monitor has been idle for [`IDLE_FLUSH_MS`], the encoder is flushed and dropped (rav1e
//! holds ~85 MB per 1080p context); the next frame starts a new encoder run with a keyframe
//! inside the same segment.

use agentrec_core::RecordingId;
use agentrec_core::media::{SegmentInfo, TrackInfo, TrackMedia};

use std::time::Instant;

use super::screen_loop::SharedBudget;
use super::{CaptureEvent, Control, Timeline, TrackEndReason};
use crate::encode::av1::{Av1Encoder, Av1Settings};
use crate::encode::{VideoEncoder, Yuv420Frame};
use crate::error::{CaptureError, EncodeError};
use crate::mux::InitParams;
use crate::mux::boxes::init_segment;
use crate::mux::fragment::{Fragment, FragmentSample};
use crate::mux::segmenter::{SegmentRule, ms_to_units};
use crate::poster::{POSTER_WIDTH, poster_jpeg};
use crate::source::{BgrxFrame, MonitorInfo};
use crate::spool::Spool;

/// Video timestamps: 90 kHz.
pub const VIDEO_TIMESCALE: u32 = 90_000;
/// An encoder idle this long is flushed and its memory released.
pub const IDLE_FLUSH_MS: u64 = 3_000;

/// Messages to a video track thread.
#[derive(Debug)]
pub(crate) enum TrackMsg {
    /// A captured frame, its timeline time, and whether it is a large change.
    Frame(BgrxFrame, u64, bool),
    /// Close the segment at this time; wait for `Resume`.
    Pause(u64),
    /// Frames come again.
    Resume,
    /// Close the segment at this time and exit; `permanent` marks the track ended.
    End(u64, TrackEndReason),
}

pub(crate) struct VideoTrack {
    pub recording: RecordingId,
    pub info: TrackInfo,
    pub spool: Spool,
    pub timeline: Timeline,
    pub rule: SegmentRule,
    pub events: flume::Sender<CaptureEvent>,
    pub control: flume::Sender<Control>,
    pub recycle: flume::Sender<BgrxFrame>,
    budget: (SharedBudget, Instant),
    encoder: Box<dyn VideoEncoder>,
    /// An encoder run is open (frames may be inside rav1e).
    encoding: bool,
    next_seq: u32,
    yuv: Yuv420Frame,
    have_frame: bool,
    segment: Option<OpenSegment>,
    poster_done: bool,
    paused: bool,
    last_ms: Option<u64>,
}

struct OpenSegment {
    start_ms: u64,
    /// Closed here at the latest.
    forced_cut_ms: u64,
    fragment: Fragment,
}

/// What `open` needs.
pub(crate) struct VideoTrackSetup {
    pub recording: RecordingId,
    pub monitor: MonitorInfo,
    pub out_size: (u32, u32),
    pub fps_cap: u32,
    pub av1: Av1Settings,
    pub start_ms: u64,
    pub spool: Spool,
    pub timeline: Timeline,
    pub rule: SegmentRule,
    pub events: flume::Sender<CaptureEvent>,
    pub control: flume::Sender<Control>,
    pub recycle: flume::Sender<BgrxFrame>,
    pub budget: (SharedBudget, Instant),
}

impl VideoTrack {
    /// Creates the encoder and opens (or continues) the track in the spool.
    pub fn open(s: VideoTrackSetup) -> Result<VideoTrack, CaptureError> {
        let (w, h) = s.out_size;
        let encoder = Av1Encoder::new(w, h, s.fps_cap, s.av1)?;
        let init = init_segment(&InitParams {
            track_id: 1,
            timescale: VIDEO_TIMESCALE,
            codec: encoder.codec_config(),
        });
        let wanted = TrackInfo {
            track: 0,
            codec: encoder.codec_string(),
            timescale: VIDEO_TIMESCALE,
            start_ms: s.start_ms,
            media: TrackMedia::Video {
                monitor: s.monitor.id.clone(),
                width: w,
                height: h,
                desktop: s.monitor.rect,
                primary: s.monitor.primary,
            },
        };
        let (info, next_seq) = s.spool.open_track(s.recording, wanted, &init)?;
        let poster_done = s
            .spool
            .manifest(s.recording)
            .and_then(|m| m.track(info.track).map(|t| t.poster.is_some()))
            .unwrap_or(false);
        Ok(VideoTrack {
            recording: s.recording,
            info,
            spool: s.spool,
            timeline: s.timeline,
            rule: s.rule,
            events: s.events,
            control: s.control,
            recycle: s.recycle,
            budget: s.budget,
            encoder: Box::new(encoder),
            encoding: false,
            next_seq,
            yuv: Yuv420Frame::default(),
            have_frame: false,
            segment: None,
            poster_done,
            paused: false,
            last_ms: None,
        })
    }

    fn out_size(&self) -> (u32, u32) {
        match self.info.media {
            TrackMedia::Video { width, height, .. } => (width, height),
            TrackMedia::Audio { .. } => (0, 0),
        }
    }

    /// Runs until `End` (or the session goes away).
    pub fn run(mut self, rx: flume::Receiver<TrackMsg>) {
        crate::source::lower_thread_priority();
        let _ = self.events.try_send(CaptureEvent::TrackStarted {
            track: self.info.clone(),
        });
        let end_reason = loop {
            let msg = match &self.segment {
                Some(seg) => {
                    let mut deadline_ms = seg.forced_cut_ms;
                    if self.encoding
                        && let Some(last) = self.last_ms
                    {
                        deadline_ms = deadline_ms.min(last + IDLE_FLUSH_MS);
                    }
                    let deadline = self.timeline.instant_of(deadline_ms);
                    match rx.recv_deadline(deadline) {
                        Ok(m) => Some(m),
                        Err(flume::RecvTimeoutError::Timeout) => None,
                        Err(flume::RecvTimeoutError::Disconnected) => {
                            break TrackEndReason::SessionStopped;
                        }
                    }
                }
                None => match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => break TrackEndReason::SessionStopped,
                },
            };
            let result = match msg {
                None => self.on_timer(),
                Some(TrackMsg::Frame(frame, at_ms, large)) => self.on_frame(frame, at_ms, large),
                Some(TrackMsg::Pause(at_ms)) => {
                    self.paused = true;
                    self.close_segment(at_ms)
                }
                Some(TrackMsg::Resume) => {
                    self.paused = false;
                    Ok(())
                }
                Some(TrackMsg::End(at_ms, reason)) => match self.close_segment(at_ms) {
                    Err(e) if !self.out_of_space(&e) => {
                        break TrackEndReason::Failed(e.to_string());
                    }
                    _ => break reason,
                },
            };
            if let Err(e) = result {
                if !self.out_of_space(&e) {
                    break TrackEndReason::Failed(e.to_string());
                }
                // Out of space: the session stops everything; wait for its End.
                self.segment = None;
            }
        };
        if matches!(end_reason, TrackEndReason::MonitorRemoved) {
            let _ = self.spool.end_track(self.recording, self.info.track);
        }
        let _ = self.events.try_send(CaptureEvent::TrackEnded {
            track: self.info.track,
            reason: end_reason,
        });
    }

    /// Whether `e` is a full disk or quota; if so, tells the session to stop everything.
    fn out_of_space(&self, e: &CaptureError) -> bool {
        match e {
            CaptureError::Spool(s) if s.is_out_of_space() => {
                let _ = self.control.try_send(Control::OutOfSpace(s.to_string()));
                true
            }
            _ => false,
        }
    }

    /// The forced cut or the idle flush is due.
    fn on_timer(&mut self) -> Result<(), CaptureError> {
        let now_ms = self.timeline.now_ms();
        match &self.segment {
            Some(seg) if now_ms >= seg.forced_cut_ms => self.cut_static(),
            Some(_) if self.encoding => self.flush_encoder(),
            _ => Ok(()),
        }
    }

    /// Ends the encoder run: its remaining packets go into the open segment, its memory is
    /// released.
    fn flush_encoder(&mut self) -> Result<(), CaptureError> {
        if !self.encoding {
            return Ok(());
        }
        self.encoding = false;
        let started = Instant::now();
        let packets = self.encoder.finish_segment()?;
        // Flushing encodes the frames rav1e still held: charge them too.
        self.charge(started);
        self.push_packets(packets);
        crate::source::release_free_memory();
        Ok(())
    }

    fn on_frame(&mut self, frame: BgrxFrame, at_ms: u64, large: bool) -> Result<(), CaptureError> {
        if self.paused {
            let _ = self.recycle.try_send(frame);
            return Ok(());
        }
        // Cross every forced cut passed since the last frame; a frame exactly on the line
        // starts the next segment itself.
        while let Some(cut) = self.segment.as_ref().map(|s| s.forced_cut_ms)
            && at_ms >= cut
        {
            if at_ms == cut {
                self.close_segment(cut)?;
            } else {
                self.cut_static()?;
            }
        }
        if let Some(seg) = &self.segment
            && self.rule.frame_starts_segment(seg.start_ms, at_ms, large)
        {
            self.close_segment(at_ms)?;
        }
        if !self.poster_done {
            self.poster_done = true;
            if let Ok(jpeg) = poster_jpeg(&frame, POSTER_WIDTH) {
                let path = self
                    .spool
                    .write_poster(self.recording, self.info.track, &jpeg)?;
                let _ = self.events.try_send(CaptureEvent::PosterWritten {
                    track: self.info.track,
                    path,
                });
            }
        }
        let (w, h) = self.out_size();
        self.yuv.convert_from(&frame, w, h);
        self.have_frame = true;
        let _ = self.recycle.try_send(frame);
        self.encode_current(at_ms)
    }

    /// The grid line was reached: close the segment there and start the next one with the
    /// last frame as its keyframe.
    fn cut_static(&mut self) -> Result<(), CaptureError> {
        let Some(cut) = self.segment.as_ref().map(|s| s.forced_cut_ms) else {
            return Ok(());
        };
        self.close_segment(cut)?;
        if self.have_frame && !self.paused {
            self.encode_current(cut)?;
        }
        Ok(())
    }

    fn encode_current(&mut self, at_ms: u64) -> Result<(), CaptureError> {
        // Strictly increasing times: a repeated time would make the muxer drop a packet that
        // later frames reference.
        let at_ms = match self.last_ms {
            Some(last) if at_ms <= last => last + 1,
            _ => at_ms,
        };
        self.last_ms = Some(at_ms);
        if self.segment.is_none() {
            self.flush_encoder()?;
            self.segment = Some(OpenSegment {
                start_ms: at_ms,
                forced_cut_ms: self.rule.forced_cut_ms(at_ms),
                fragment: Fragment::new(),
            });
        }
        if !self.encoding {
            // A new run: its first frame is a keyframe (the segment's first, or one inside
            // the segment after an idle flush).
            self.encoder.begin_segment()?;
            self.encoding = true;
        }
        let started = Instant::now();
        let packets = self
            .encoder
            .encode(&self.yuv, ms_to_units(at_ms, VIDEO_TIMESCALE))?;
        self.charge(started);
        self.push_packets(packets);
        Ok(())
    }

    /// Charges the CPU budget with the wall time since `started` of a synchronous encoder
    /// call: the CPU it took, or more under contention.
    fn charge(&self, started: Instant) {
        let (budget, origin) = &self.budget;
        if let Ok(mut b) = budget.lock() {
            b.charge(origin.elapsed(), started.elapsed());
        }
    }

    fn push_packets(&mut self, packets: Vec<crate::encode::EncodedPacket>) {
        if let Some(seg) = &mut self.segment {
            for p in packets {
                seg.fragment.push(FragmentSample {
                    pts: p.pts,
                    data: p.data,
                    sync: p.keyframe,
                });
            }
        }
    }

    fn close_segment(&mut self, end_ms: u64) -> Result<(), CaptureError> {
        if self.segment.is_none() {
            return Ok(());
        }
        self.flush_encoder()?;
        let Some(seg) = self.segment.take() else {
            return Ok(());
        };
        let end_units = ms_to_units(end_ms.max(seg.start_ms + 1), VIDEO_TIMESCALE);
        let Some(done) = seg.fragment.finish(1, self.next_seq, end_units) else {
            return Err(EncodeError::Failed("segment without frames".into()).into());
        };
        let info = SegmentInfo {
            track: self.info.track,
            seq: self.next_seq,
            start_ms: seg.start_ms,
            duration_ms: end_ms.max(seg.start_ms + 1) - seg.start_ms,
            bytes: 0,
            sha256: String::new(),
        };
        let (info, path) = self
            .spool
            .write_segment(self.recording, info, &done.bytes)?;
        self.next_seq += 1;
        let _ = self.events.try_send(CaptureEvent::SegmentWritten {
            segment: info,
            path,
        });
        Ok(())
    }
}
