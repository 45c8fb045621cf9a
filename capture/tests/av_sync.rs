//! Audio/video sync on the real servers: the test flashes monitor 0 white and plays a beep
//! into the speaker sink at the same moments, once a second for ~11 s (across several
//! segments), records through the CLI, and compares flash and beep times in the export.
//!
//! Bounds: the offset at every flash within 40 ms beyond the 33 ms capture tick at 30 fps,
//! and the drift (least-squares trend of the offset over the recording) within 40 ms.
//! Measured here: offsets −12…−41 ms (constant within a run: the tick phase), drift ≤ 1 ms.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentrec_capture::spool::Spool;
use agentrec_core::media::TrackMedia;
use agentrec_testkit::pulse::PulseServer;
use agentrec_testkit::x11::{Xvfb, rgb};
use common::*;

const EVENTS: usize = 11;
const FIRST_S: f64 = 0.5;
const PERIOD_S: f64 = 1.0;

/// Adds an onset unless it falls within half a period of the previous one: on a loaded
/// machine the test's own player can starve for a few ms mid-beep (seen in CI: onsets at
/// 6.93 and 6.98 s of one 100 ms beep), which must not count as a second event.
fn push_onset(onsets: &mut Vec<f64>, t: f64) {
    if onsets.last().is_none_or(|last| t - last >= PERIOD_S / 2.0) {
        onsets.push(t);
    }
}

#[test]
fn flashes_and_beeps_stay_in_sync() {
    let x = Xvfb::four_monitors().unwrap();
    let mut painter = x.painter().unwrap();
    painter.fill(Xvfb::monitor_rect(0), rgb(0, 0, 0)).unwrap();
    let pulse = PulseServer::start().unwrap();
    pulse.set_defaults().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let beeps = dir.path().join("beeps.wav");
    let total = ((FIRST_S + PERIOD_S * EVENTS as f64 + 0.5) * 48_000.0) as usize;
    let samples: Vec<f32> = (0..total)
        .map(|n| {
            let t = n as f64 / 48_000.0;
            let k = ((t - FIRST_S) / PERIOD_S).floor();
            let in_beep = t >= FIRST_S && k < EVENTS as f64 && t - FIRST_S - k * PERIOD_S < 0.1;
            if in_beep {
                ((t * 1000.0 * std::f64::consts::TAU).sin() * 0.5) as f32
            } else {
                0.0
            }
        })
        .collect();
    write_wav(&beeps, &samples);
    // Keep the null sink at low latency: on an idle null sink PulseAudio's first playback
    // sits in a ~2 s buffer (paplay of 0.1 s took 1.1–2.1 s here), which would shift the
    // beeps by an unknown constant.
    let silence = dir.path().join("silence.wav");
    write_wav(&silence, &vec![0.0; 48_000 * 30]);
    let _keeper = pulse.play("speaker", &silence).unwrap();

    let spool_dir = dir.path().join("spool");
    let mut cmd = Command::new(cli());
    cmd.args([
        "record",
        "--seconds",
        "17",
        "--monitors",
        "MON0",
        "--max-size",
        "640x360",
        "--fps",
        "30",
        "--segment-seconds",
        "4",
        "--max-segment-seconds",
        "4",
        "--out",
    ])
    .arg(&spool_dir)
    .arg("--key-file")
    .arg(key_file(dir.path()))
    .env("DISPLAY", x.display())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    pulse.apply_env(&mut cmd);
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(3_500));

    let _player = pulse.play("speaker", &beeps).unwrap();
    let start = Instant::now();
    for k in 0..EVENTS {
        let at = start + Duration::from_secs_f64(FIRST_S + PERIOD_S * k as f64);
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        painter
            .fill(Xvfb::monitor_rect(0), rgb(255, 255, 255))
            .unwrap();
        std::thread::sleep(Duration::from_millis(150));
        painter.fill(Xvfb::monitor_rect(0), rgb(0, 0, 0)).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");

    let (spool, _) = Spool::open(&spool_dir, key(), None).unwrap();
    let rec = only_recording(&spool);
    let m = spool.manifest(rec).unwrap();
    let track_of = |video: bool| {
        m.tracks
            .iter()
            .find(|t| matches!(t.info.media, TrackMedia::Video { .. }) == video)
            .unwrap()
    };
    let (video, audio) = (track_of(true), track_of(false));
    assert!(
        audio.segments.len() >= 3 && video.segments.len() >= 3,
        "several segments"
    );
    let v_mp4 = export_and_check(&spool, rec, video.info.track, dir.path());
    let a_mp4 = export_and_check(&spool, rec, audio.info.track, dir.path());

    // Flash onsets: frames turning bright.
    let times: Vec<f64> = packets(&v_mp4).iter().map(|p| p.0).collect();
    let frames = all_frames_small(&v_mp4, 16, 9);
    assert_eq!(times.len(), frames.len());
    let bright = |f: &Vec<u8>| f.iter().map(|&b| u32::from(b)).sum::<u32>() / f.len() as u32 > 128;
    let mut flashes = Vec::new();
    for i in 1..frames.len() {
        if bright(&frames[i]) && !bright(&frames[i - 1]) {
            push_onset(&mut flashes, times[i]);
        }
    }
    // Beep onsets: 5 ms windows going loud.
    let audio_start = start_time(&a_mp4);
    let pcm = decode_audio(&a_mp4);
    let mut beeps_at = Vec::new();
    let mut loud_before = false;
    for (i, w) in pcm.chunks(240).enumerate() {
        let loud = rms(w, 1) > 0.1;
        if loud && !loud_before {
            push_onset(&mut beeps_at, audio_start + i as f64 * 240.0 / 48_000.0);
        }
        loud_before = loud;
    }
    assert_eq!(flashes.len(), EVENTS, "flashes at {flashes:?}");
    assert_eq!(beeps_at.len(), EVENTS, "beeps at {beeps_at:?}");
    let offsets_ms: Vec<f64> = beeps_at
        .iter()
        .zip(&flashes)
        .map(|(a, v)| (a - v) * 1000.0)
        .collect();
    let mean = offsets_ms.iter().sum::<f64>() / offsets_ms.len() as f64;
    // Drift: the least-squares slope of the offset over the recording, times its span.
    let ts: Vec<f64> = flashes.clone();
    let tm = ts.iter().sum::<f64>() / ts.len() as f64;
    let slope = ts
        .iter()
        .zip(&offsets_ms)
        .map(|(t, o)| (t - tm) * (o - mean))
        .sum::<f64>()
        / ts.iter().map(|t| (t - tm) * (t - tm)).sum::<f64>();
    let drift_ms = slope * (ts[ts.len() - 1] - ts[0]);
    let spread = offsets_ms.iter().cloned().fold(f64::MIN, f64::max)
        - offsets_ms.iter().cloned().fold(f64::MAX, f64::min);
    eprintln!(
        "A/V offsets (audio − video, ms): {offsets_ms:.1?}; mean {mean:.1}, drift {drift_ms:.1}, spread {spread:.1}"
    );
    assert!(
        drift_ms.abs() <= 40.0,
        "drift {drift_ms:.1} ms over {:.1} s",
        ts[ts.len() - 1] - ts[0]
    );
    // A flash is seen at the next capture tick: the video onset trails the true flash by
    // 0–33 ms at 30 fps, more when a tick runs late on a busy machine, so single events
    // jitter by the tick while the sync itself must not: the mean offset is held to one tick
    // plus 40 ms, and no single event may stray beyond a second tick (a 250 ms audio jump,
    // say, fails here).
    let tick_ms = 1000.0 / 30.0;
    assert!(
        (-(tick_ms + 40.0)..=40.0).contains(&mean),
        "mean A/V offset {mean:.1} ms beyond 40 ms (plus one capture tick): {offsets_ms:?}"
    );
    assert!(
        offsets_ms
            .iter()
            .all(|o| (-(2.0 * tick_ms + 40.0)..=40.0 + tick_ms).contains(o)),
        "an A/V offset beyond 40 ms plus two capture ticks (spread {spread:.1} ms): {offsets_ms:?}"
    );
}
