//! Helpers shared by the integration tests: ffmpeg/ffprobe checks, exporting, decoding.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agentrec_capture::export::export_track;
use agentrec_capture::session::CaptureEvent;
use agentrec_capture::spool::{Spool, SpoolKey};
use agentrec_core::RecordingId;

pub fn key() -> SpoolKey {
    SpoolKey::from_bytes([42; 32])
}

pub fn recording(n: u8) -> RecordingId {
    RecordingId::from_random_bytes([n; 16])
}

/// `ffmpeg` decodes the whole file without a single error message. `-fps_mode passthrough
/// -enc_time_base -1`: by default the CLI re-times frames to its guessed frame rate (1/1 for
/// a mostly static screen) and then complains about the correct VFR timestamps colliding.
pub fn assert_decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(path)
        .args([
            "-map",
            "0",
            "-fps_mode:v",
            "passthrough",
            "-enc_time_base:v",
            "-1",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        path.display()
    );
}

/// Packets as (pts seconds, keyframe).
pub fn packets(path: &Path) -> Vec<(f64, bool)> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "0",
            "-show_entries",
            "packet=pts_time,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split(',');
            let pts: f64 = parts.next().unwrap().parse().unwrap();
            let key = parts.next().unwrap_or("").contains('K');
            (pts, key)
        })
        .collect()
}

/// Writes the track to `dir/track-N.mp4` and checks it decodes; also checks that every
/// media segment decodes on its own (init + that segment alone).
pub fn export_and_check(spool: &Spool, rec: RecordingId, track: u32, dir: &Path) -> PathBuf {
    let out = dir.join(format!("track-{track}.mp4"));
    export_track(spool, rec, track, &out).unwrap();
    assert_decodes_cleanly(&out);
    let init = spool.read_init(rec, track).unwrap();
    let manifest = spool.manifest(rec).unwrap();
    for seg in &manifest.track(track).unwrap().segments {
        let mut one = init.clone();
        one.extend(spool.read_segment(rec, track, seg.info.seq).unwrap());
        let p = dir.join(format!("track-{track}-seg-{}.mp4", seg.info.seq));
        std::fs::write(&p, one).unwrap();
        assert_decodes_cleanly(&p);
        let pk = packets(&p);
        assert!(
            pk.first().unwrap().1,
            "segment {} starts with a keyframe",
            seg.info.seq
        );
        let first = pk.first().unwrap().0;
        assert!(
            (first * 1000.0 - seg.info.start_ms as f64).abs() <= 1.5,
            "segment {} starts at {first} s, manifest says {} ms",
            seg.info.seq,
            seg.info.start_ms
        );
    }
    out
}

/// One decoded frame at `t` seconds as RGB24, `w`×`h`.
pub fn frame_at(path: &Path, t: f64, w: u32, h: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{t:.3}"), "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        (w * h * 3) as usize,
        "one {w}x{h} frame at {t}"
    );
    out.stdout
}

/// Every frame as RGB24 (decoded at its own timestamps), with the timestamps.
pub fn all_frames_small(path: &Path, w: u32, h: u32) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-fps_mode",
            "passthrough",
            "-vf",
            &format!("scale={w}:{h}"),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks((w * h * 3) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn pixel(frame: &[u8], w: u32, x: u32, y: u32) -> [u8; 3] {
    let o = ((y * w + x) * 3) as usize;
    [frame[o], frame[o + 1], frame[o + 2]]
}

pub fn close_to(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| x.abs_diff(*y) <= tol)
}

/// Collects events until `Stopped` (or the timeout).
pub fn drain_until_stopped(
    events: &flume::Receiver<CaptureEvent>,
    timeout: Duration,
) -> Vec<CaptureEvent> {
    let deadline = Instant::now() + timeout;
    let mut all = Vec::new();
    while let Ok(e) = events.recv_deadline(deadline) {
        let stop = matches!(e, CaptureEvent::Stopped { .. });
        all.push(e);
        if stop {
            break;
        }
    }
    all
}

/// Collects events for `d`.
pub fn collect_for(events: &flume::Receiver<CaptureEvent>, d: Duration) -> Vec<CaptureEvent> {
    let deadline = Instant::now() + d;
    let mut all = Vec::new();
    while let Ok(e) = events.recv_deadline(deadline) {
        all.push(e);
    }
    all
}

/// Decoded audio as interleaved stereo f32 at 48 kHz.
pub fn decode_audio(path: &Path) -> Vec<[f32; 2]> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(8)
        .map(|c| {
            [
                f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            ]
        })
        .collect()
}

pub fn rms(samples: &[[f32; 2]], ch: usize) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s[ch] * s[ch]).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Start time (s) of the first packet of a file.
pub fn start_time(path: &Path) -> f64 {
    packets(path).first().map_or(0.0, |p| p.0)
}

pub fn cli() -> &'static str {
    env!("CARGO_BIN_EXE_agentrec-capture")
}

/// Writes 48 kHz mono 16-bit PCM samples as a WAV file.
pub fn write_wav(path: &Path, samples: &[f32]) {
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    let data_len = (samples.len() * 2) as u32;
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&48_000u32.to_le_bytes());
    b.extend_from_slice(&96_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32_000.0) as i16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

/// The spool key as the CLI takes it (a key file).
pub fn key_file(dir: &Path) -> PathBuf {
    let p = dir.join("test.key");
    std::fs::write(&p, key().to_hex()).unwrap();
    p
}

/// The audio track's number in the spool's only recording.
pub fn only_recording(spool: &Spool) -> RecordingId {
    let all = spool.recordings();
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].recording
}
