//! The capture session driven by the synthetic sources (in addition to the real-backend
//! tests): pause gaps on the common timeline, a later run continuing the same recording,
//! timestamps of variable-frame-rate video across many segments, the quota stop.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use agentrec_capture::session::{CaptureEvent, CaptureSession, SessionConfig, Sources, StopReason};
use agentrec_capture::source::synthetic::{SyntheticAudio, SyntheticScreen, Workload};
use agentrec_capture::source::{AudioSide, AudioSource};
use agentrec_capture::spool::{RecordingManifest, Spool};
use agentrec_core::policy::CapturePolicy;
use common::*;

fn sources(workload: Workload) -> Sources {
    let audio: Vec<Box<dyn AudioSource>> = vec![
        Box::new(SyntheticAudio::new(AudioSide::Microphone, 440.0)),
        Box::new(SyntheticAudio::new(AudioSide::System, 660.0)),
    ];
    Sources {
        screen: Box::new(SyntheticScreen::new(workload, 2, 320, 240)),
        audio,
    }
}

fn config(n: u8) -> SessionConfig {
    let mut cfg = SessionConfig::new(
        recording(n),
        "call".into(),
        CapturePolicy {
            fps_cap: 10,
            ..CapturePolicy::default()
        },
    );
    cfg.segment_ms = 1_000;
    cfg.max_segment_ms = 1_000;
    cfg
}

/// Gaps between consecutive segments of a track, as (end of one, start of next) in ms.
fn gaps(m: &RecordingManifest, track: u32) -> Vec<(u64, u64)> {
    let segs = &m.track(track).unwrap().segments;
    segs.windows(2)
        .map(|w| {
            (
                w[0].info.start_ms + w[0].info.duration_ms,
                w[1].info.start_ms,
            )
        })
        .filter(|(end, next)| next > end)
        .filter(|(end, next)| next - end > 100)
        .collect()
}

#[test]
fn pause_leaves_the_same_gap_in_every_track_and_a_later_run_continues_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path().join("spool"), key(), None).unwrap();
    let cfg = config(7);
    let rec = cfg.recording;
    let session =
        CaptureSession::start(cfg.clone(), sources(Workload::Busy), spool.clone()).unwrap();
    let events = session.events();
    std::thread::sleep(Duration::from_millis(2_500));
    session.pause().unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    session.resume().unwrap();
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(session.wait(), StopReason::Requested);
    let log = collect_for(&events, Duration::from_millis(100));
    let paused_at = log
        .iter()
        .find_map(|e| match e {
            CaptureEvent::Paused { at_ms } => Some(*at_ms),
            _ => None,
        })
        .unwrap();
    let resumed_at = log
        .iter()
        .find_map(|e| match e {
            CaptureEvent::Resumed { at_ms } => Some(*at_ms),
            _ => None,
        })
        .unwrap();
    assert!(resumed_at - paused_at >= 1_400);

    let m = spool.manifest(rec).unwrap();
    assert_eq!(m.tracks.len(), 3, "two monitors and the audio");
    for t in &m.tracks {
        let seqs: Vec<u32> = t.segments.iter().map(|s| s.info.seq).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u32).collect::<Vec<_>>(),
            "numbered from 1 without holes"
        );
        let g = gaps(&m, t.info.track);
        assert_eq!(
            g.len(),
            1,
            "track {}: one gap, the pause: {:?}",
            t.info.track,
            t.segments
        );
        let (end, next) = g[0];
        assert!(
            end.abs_diff(paused_at) <= 60,
            "track {} stops at {end}, paused at {paused_at}",
            t.info.track
        );
        assert!(
            next.abs_diff(resumed_at) <= 300,
            "track {} resumes at {next}, resumed at {resumed_at}",
            t.info.track
        );
        for w in t.segments.windows(2) {
            assert!(
                w[1].info.start_ms + 25 >= w[0].info.start_ms + w[0].info.duration_ms,
                "no overlap"
            );
        }
        let mp4 = export_and_check(&spool, rec, t.info.track, dir.path());
        // The export plays the gap: no packet inside the pause.
        let inside = packets(&mp4)
            .iter()
            .filter(|(pts, _)| {
                *pts * 1000.0 > end as f64 + 30.0 && *pts * 1000.0 < next as f64 - 30.0
            })
            .count();
        assert_eq!(inside, 0);
    }
    let first_end = m.timeline_end_ms();

    // On-Demand UIS: the same recording started again after a stop continues its tracks.
    std::thread::sleep(Duration::from_millis(1_000));
    let session = CaptureSession::start(cfg, sources(Workload::Busy), spool.clone()).unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    session.wait();
    let m2 = spool.manifest(rec).unwrap();
    assert_eq!(m2.tracks.len(), 3, "the same tracks continue");
    for t in &m2.tracks {
        let before = m.track(t.info.track).unwrap().segments.len();
        let new = &t.segments[before..];
        assert!(!new.is_empty());
        assert_eq!(new[0].info.seq as usize, before + 1);
        assert!(
            new[0].info.start_ms >= first_end + 900,
            "{} after {first_end}",
            new[0].info.start_ms
        );
        export_and_check(&spool, rec, t.info.track, dir.path());
    }
}

#[test]
fn the_quota_stops_the_session_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spool");
    let (spool, _) = Spool::open(
        &root,
        key(),
        Some(agentrec_capture::spool::MANIFEST_RESERVE_BYTES + 60_000),
    )
    .unwrap();
    let mut cfg = config(8);
    cfg.av1.quantizer = 20;
    let session = CaptureSession::start(cfg, sources(Workload::Busy), spool.clone()).unwrap();
    let events = session.events();
    let log = drain_until_stopped(&events, Duration::from_secs(60));
    let Some(CaptureEvent::Stopped { reason, .. }) = log.last() else {
        panic!("no Stopped event: {log:?}")
    };
    assert!(matches!(reason, StopReason::OutOfSpace(_)), "{reason:?}");
    drop(session);
    // Every file the spool kept is whole and readable after a reopen.
    drop(spool);
    let (spool, report) = Spool::open(&root, key(), None).unwrap();
    assert!(report.unreadable.is_empty(), "{report:?}");
    let m = spool.recordings().pop().unwrap();
    for t in &m.tracks {
        for s in &t.segments {
            spool
                .read_segment(m.recording, t.info.track, s.info.seq)
                .unwrap();
        }
    }
}
