//! The call-audio track on its own thread: both sides' chunks → stereo mixer (timeline
//! aligned) → Opus → fMP4 segments on the same grid as the video → spool.

use std::time::{Duration, Instant};

use agentrec_core::RecordingId;
use agentrec_core::media::{SegmentInfo, TrackInfo, TrackMedia};
use agentrec_core::recorder::Source;

use super::{CaptureEvent, Control, Timeline, TrackEndReason};
use crate::audio::mixer::MAX_WAIT_SAMPLES;
use crate::audio::{BLOCK_FRAMES, StereoMixer};
use crate::encode::opus::OpusEncoder;
use crate::error::CaptureError;
use crate::mux::InitParams;
use crate::mux::boxes::init_segment;
use crate::mux::fragment::{Fragment, FragmentSample};
use crate::mux::segmenter::{next_cut_ms, units_to_ms};
use crate::source::{AUDIO_RATE, AudioChunk, AudioSide, AudioSource};
use crate::spool::Spool;

/// How often failed audio sources are reopened.
const RETRY: Duration = Duration::from_secs(3);

/// Messages to the audio track thread.
#[derive(Debug)]
pub(crate) enum AudioMsg {
    Pause(u64),
    Resume(Instant),
    End(u64),
}

pub(crate) struct AudioTrack {
    pub recording: RecordingId,
    pub info: TrackInfo,
    pub spool: Spool,
    pub timeline: Timeline,
    pub segment_ms: u64,
    pub events: flume::Sender<CaptureEvent>,
    pub control: flume::Sender<Control>,
    pub sources: Vec<Box<dyn AudioSource>>,
    encoder: OpusEncoder,
    mixer: StereoMixer,
    next_seq: u32,
    segment: Option<(u64, u64, Fragment)>,
    paused: bool,
    /// Chunks captured before this instant are dropped (they belong to a pause).
    accept_from: Instant,
    failed: Vec<AudioSide>,
}

fn source_of(side: AudioSide) -> Source {
    match side {
        AudioSide::Microphone => Source::Microphone,
        AudioSide::System => Source::System,
    }
}

impl AudioTrack {
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        recording: RecordingId,
        start_ms: u64,
        bitrate: i32,
        spool: Spool,
        timeline: Timeline,
        segment_ms: u64,
        events: flume::Sender<CaptureEvent>,
        control: flume::Sender<Control>,
        sources: Vec<Box<dyn AudioSource>>,
    ) -> Result<AudioTrack, CaptureError> {
        let encoder = OpusEncoder::new(bitrate)?;
        let init = init_segment(&InitParams {
            track_id: 1,
            timescale: AUDIO_RATE,
            codec: encoder.codec_config(),
        });
        let wanted = TrackInfo {
            track: 0,
            codec: "opus".into(),
            timescale: AUDIO_RATE,
            start_ms,
            media: TrackMedia::Audio {
                sample_rate: AUDIO_RATE,
                channels: 2,
            },
        };
        let (info, next_seq) = spool.open_track(recording, wanted, &init)?;
        let mic = sources.iter().any(|s| s.side() == AudioSide::Microphone);
        let system = sources.iter().any(|s| s.side() == AudioSide::System);
        Ok(AudioTrack {
            recording,
            info,
            spool,
            timeline,
            segment_ms,
            events,
            control,
            sources,
            encoder,
            mixer: StereoMixer::new(mic, system),
            next_seq,
            segment: None,
            paused: false,
            accept_from: Instant::now(),
            failed: Vec::new(),
        })
    }

    pub fn run(mut self, rx: flume::Receiver<AudioMsg>) {
        let _ = self.events.try_send(CaptureEvent::TrackStarted {
            track: self.info.clone(),
        });
        let (chunk_tx, chunk_rx) = flume::bounded::<AudioChunk>(256);
        for source in &mut self.sources {
            // A busy audio server can be slow to open the first stream: one more try before
            // reporting.
            let started = source
                .start(chunk_tx.clone())
                .or_else(|_| source.start(chunk_tx.clone()));
            if let Err(e) = started {
                self.failed.push(source.side());
                let _ = self.events.try_send(CaptureEvent::SourceFailed {
                    source: source_of(source.side()),
                    error: e.to_string(),
                });
            }
        }
        let mut next_retry = Instant::now() + RETRY;
        let end = loop {
            match rx.try_recv() {
                Ok(AudioMsg::Pause(at_ms)) => {
                    self.take_chunks_until(&chunk_rx, at_ms);
                    let r = self
                        .flush_until(at_ms)
                        .and_then(|()| self.close_segment(at_ms));
                    self.paused = true;
                    self.mixer.reset();
                    if let Err(e) = r
                        && !self.out_of_space(&e)
                    {
                        break TrackEndReason::Failed(e.to_string());
                    }
                }
                Ok(AudioMsg::Resume(at)) => {
                    self.paused = false;
                    self.accept_from = at;
                }
                Ok(AudioMsg::End(at_ms)) => {
                    self.take_chunks_until(&chunk_rx, at_ms);
                    let r = self
                        .flush_until(at_ms)
                        .and_then(|()| self.close_segment(at_ms));
                    break match r {
                        Err(e) if !self.out_of_space(&e) => TrackEndReason::Failed(e.to_string()),
                        _ => TrackEndReason::SessionStopped,
                    };
                }
                Err(flume::TryRecvError::Disconnected) => break TrackEndReason::SessionStopped,
                Err(flume::TryRecvError::Empty) => {}
            }
            if let Ok(chunk) = chunk_rx.recv_timeout(Duration::from_millis(20)) {
                self.take_chunk(chunk);
                while let Ok(chunk) = chunk_rx.try_recv() {
                    self.take_chunk(chunk);
                }
            }
            self.check_sources();
            if !self.failed.is_empty() && Instant::now() >= next_retry {
                next_retry = Instant::now() + RETRY;
                self.retry_failed(&chunk_tx);
            }
            if !self.paused {
                let now = self.timeline.units_at(Instant::now(), AUDIO_RATE);
                if let Err(e) = self.encode_ready(now)
                    && !self.out_of_space(&e)
                {
                    break TrackEndReason::Failed(e.to_string());
                }
            }
        };
        for source in &mut self.sources {
            source.stop();
        }
        let _ = self.events.try_send(CaptureEvent::TrackEnded {
            track: self.info.track,
            reason: end,
        });
    }

    fn out_of_space(&mut self, e: &CaptureError) -> bool {
        match e {
            CaptureError::Spool(s) if s.is_out_of_space() => {
                let _ = self.control.try_send(Control::OutOfSpace(s.to_string()));
                self.segment = None;
                true
            }
            _ => false,
        }
    }

    /// Tries to reopen failed sources (device back, server restarted).
    fn retry_failed(&mut self, chunk_tx: &flume::Sender<AudioChunk>) {
        let failed = std::mem::take(&mut self.failed);
        for side in failed {
            let Some(source) = self.sources.iter_mut().find(|s| s.side() == side) else {
                continue;
            };
            if source.start(chunk_tx.clone()).is_ok() {
                let _ = self.events.try_send(CaptureEvent::SourceRecovered {
                    source: source_of(side),
                });
            } else {
                self.failed.push(side);
            }
        }
    }

    fn check_sources(&mut self) {
        for source in &mut self.sources {
            if let Some(e) = source.poll_error() {
                source.stop();
                if !self.failed.contains(&source.side()) {
                    self.failed.push(source.side());
                }
                let _ = self.events.try_send(CaptureEvent::SourceFailed {
                    source: source_of(source.side()),
                    error: e.to_string(),
                });
            }
        }
    }

    fn take_chunk(&mut self, chunk: AudioChunk) {
        if self.paused || chunk.captured_at < self.accept_from {
            return;
        }
        let pts = self.timeline.units_at(chunk.captured_at, AUDIO_RATE);
        self.mixer.push(chunk.side, pts, &chunk.samples);
    }

    /// Before a cut at `at_ms` (pause/stop): takes the chunks captured before it that are
    /// still on their way (audio arrives some ms after capture), waiting at most until
    /// [`MAX_WAIT_SAMPLES`] past the cut, the patience of normal recording. Without this, a cut
    /// that arrives promptly would time out the last blocks and end the track on silence.
    fn take_chunks_until(&mut self, chunk_rx: &flume::Receiver<AudioChunk>, at_ms: u64) {
        if self.paused {
            return;
        }
        let wait = Duration::from_micros(MAX_WAIT_SAMPLES * 1_000_000 / u64::from(AUDIO_RATE));
        let deadline = self.timeline.instant_of(at_ms) + wait;
        let at = at_ms * u64::from(AUDIO_RATE) / 1000;
        while !self.mixer.has_all_before(at) {
            match chunk_rx.recv_deadline(deadline) {
                Ok(chunk) => self.take_chunk(chunk),
                Err(_) => break,
            }
        }
    }

    /// Encodes what is buffered before `at_ms` (pause/stop), and nothing after it: blocks
    /// already encoded past the cut (the message reaches this thread some time after `at_ms`
    /// while it keeps encoding up to the present; seconds when the session thread was held up
    /// on a loaded machine) are dropped from the open segment, so that the track ends where
    /// the video tracks and the recording's timeline end.
    fn flush_until(&mut self, at_ms: u64) -> Result<(), CaptureError> {
        if self.paused {
            return Ok(());
        }
        let at = at_ms * u64::from(AUDIO_RATE) / 1000;
        self.encode_ready_before(at + MAX_WAIT_SAMPLES, at)?;
        if let Some((_, _, fragment)) = &mut self.segment {
            // A block at `pts` ends at `pts + BLOCK_FRAMES`: keep those ending by `at`.
            fragment.drop_from(at.saturating_sub(BLOCK_FRAMES as u64 - 1));
        }
        Ok(())
    }

    fn encode_ready(&mut self, now: u64) -> Result<(), CaptureError> {
        self.encode_ready_before(now, u64::MAX)
    }

    fn encode_ready_before(&mut self, now: u64, limit: u64) -> Result<(), CaptureError> {
        for block in self.mixer.pop_ready(now) {
            if block.pts + BLOCK_FRAMES as u64 > limit {
                break;
            }
            let block_ms = units_to_ms(block.pts, AUDIO_RATE);
            if let Some((_, cut_ms, _)) = &self.segment
                && block_ms >= *cut_ms
            {
                self.close_segment(block_ms)?;
            }
            if self.segment.is_none() {
                self.segment = Some((
                    block_ms,
                    next_cut_ms(block_ms, self.segment_ms),
                    Fragment::new(),
                ));
            }
            let packet = self.encoder.encode(&block.samples)?;
            if let Some((_, _, fragment)) = &mut self.segment {
                fragment.push(FragmentSample {
                    pts: block.pts,
                    data: packet,
                    sync: true,
                });
            }
        }
        Ok(())
    }

    fn close_segment(&mut self, _end_ms: u64) -> Result<(), CaptureError> {
        let Some((_, _, fragment)) = self.segment.take() else {
            return Ok(());
        };
        let Some(last) = fragment.last_pts() else {
            return Ok(());
        };
        // The segment ends where its last block ends (audio has no gaps inside a run).
        let end_units = last + BLOCK_FRAMES as u64;
        let Some(done) = fragment.finish(1, self.next_seq, end_units) else {
            return Ok(());
        };
        let info = SegmentInfo {
            track: self.info.track,
            seq: self.next_seq,
            start_ms: units_to_ms(done.start, AUDIO_RATE),
            duration_ms: units_to_ms(done.duration, AUDIO_RATE).max(1),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::source::synthetic::SyntheticAudio;
    use crate::spool::SpoolKey;

    /// Records synthetic audio, tells the track to end at `at_ms` once the timeline reads
    /// `told_ms`, and returns the track's segments as (start, end) ms.
    fn record_and_end(at_ms: u64, told_ms: u64) -> Vec<(u64, u64)> {
        let dir = tempfile::tempdir().unwrap();
        let (spool, _) = Spool::open(dir.path(), SpoolKey::from_bytes([7; 32]), None).unwrap();
        let recording = RecordingId::from_random_bytes([7; 16]);
        spool.begin_recording(recording, "call".into(), 0).unwrap();
        let timeline = Timeline::starting_now(0);
        let (events, _events_rx) = flume::bounded(1024);
        let (control, _control_rx) = flume::bounded(16);
        let sources: Vec<Box<dyn AudioSource>> = vec![
            Box::new(SyntheticAudio::new(AudioSide::Microphone, 440.0)),
            Box::new(SyntheticAudio::new(AudioSide::System, 660.0)),
        ];
        let track = AudioTrack::open(
            recording,
            0,
            32_000,
            spool.clone(),
            timeline,
            10_000,
            events,
            control,
            sources,
        )
        .unwrap();
        let (tx, rx) = flume::bounded(16);
        let thread = std::thread::spawn(move || track.run(rx));
        std::thread::sleep(
            timeline
                .instant_of(told_ms)
                .saturating_duration_since(Instant::now()),
        );
        tx.send(AudioMsg::End(at_ms)).unwrap();
        thread.join().unwrap();
        let manifest = spool.manifest(recording).unwrap();
        manifest.tracks[0]
            .segments
            .iter()
            .map(|s| (s.info.start_ms, s.info.start_ms + s.info.duration_ms))
            .collect()
    }

    /// The session stops at 1.0 s but the message reaches the audio thread 0.8 s later (the
    /// session thread was held up by the video tracks): the track still ends at 1.0 s, like
    /// the timeline and the video tracks, not when it was told (it ran on to 1.8 s).
    #[test]
    fn a_late_end_does_not_extend_the_track_past_the_stop() {
        let segments = record_and_end(1_000, 1_800);
        let end = segments.last().unwrap().1;
        assert!(
            (1_000 - 20..=1_000).contains(&end),
            "ends at {end} ms: {segments:?}"
        );
    }

    /// An end that arrives at once (the chunks up to the stop still in flight) also ends the
    /// track at the stop.
    #[test]
    fn a_prompt_end_ends_the_track_at_the_stop() {
        let segments = record_and_end(1_000, 1_000);
        let end = segments.last().unwrap().1;
        assert!(
            (1_000 - 20..=1_000).contains(&end),
            "ends at {end} ms: {segments:?}"
        );
    }
}
