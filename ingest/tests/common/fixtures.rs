//! AV1 + Opus fMP4 segments made by Debian's ffmpeg (HLS muxer, fMP4 segments), once per
//! test binary: a 320x240 AV1 video track (3 segments of 2 s) and a stereo Opus track.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct Segment {
    pub seq: u32,
    pub start_ms: u64,
    pub duration_ms: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub init: Vec<u8>,
    pub segments: Vec<Segment>,
    pub timescale: u32,
}

impl Track {
    pub fn duration_ms(&self) -> u64 {
        self.segments
            .last()
            .map_or(0, |s| s.start_ms + s.duration_ms)
    }
}

#[derive(Debug)]
pub struct Fixtures {
    pub video: Track,
    pub audio: Track,
}

static FIXTURES: OnceLock<Fixtures> = OnceLock::new();

pub fn get() -> &'static Fixtures {
    FIXTURES.get_or_init(make)
}

fn ffmpeg(dir: &Path, args: &[&str]) {
    let out = Command::new("ffmpeg")
        .current_dir(dir)
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg not found: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_track(dir: &Path, prefix: &str) -> Track {
    let playlist = std::fs::read_to_string(dir.join(format!("{prefix}.m3u8"))).unwrap();
    let mut segments = Vec::new();
    let mut start_ms = 0;
    let mut duration = None;
    for line in playlist.lines() {
        if let Some(d) = line.strip_prefix("#EXTINF:") {
            let secs: f64 = d.trim_end_matches(',').parse().unwrap();
            duration = Some((secs * 1000.0).round() as u64);
        } else if !line.starts_with('#') && !line.is_empty() {
            let duration_ms = duration.take().unwrap();
            segments.push(Segment {
                seq: segments.len() as u32 + 1,
                start_ms,
                duration_ms,
                bytes: std::fs::read(dir.join(line)).unwrap(),
            });
            start_ms += duration_ms;
        }
    }
    let init = std::fs::read(dir.join(format!("{prefix}_init.mp4"))).unwrap();
    let timescale = agentrec_ingest::processing::mp4::check_init(&init)
        .unwrap()
        .timescale;
    Track {
        init,
        segments,
        timescale,
    }
}

fn make() -> Fixtures {
    let dir = std::env::temp_dir().join(format!("agentrec-fixtures-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let hls = |prefix: &str| {
        vec![
            "-f".to_owned(),
            "hls".to_owned(),
            "-hls_time".to_owned(),
            "2".to_owned(),
            "-hls_segment_type".to_owned(),
            "fmp4".to_owned(),
            "-hls_fmp4_init_filename".to_owned(),
            format!("{prefix}_init.mp4"),
            "-hls_segment_filename".to_owned(),
            format!("{prefix}_%d.m4s"),
            "-hls_playlist_type".to_owned(),
            "vod".to_owned(),
            format!("{prefix}.m3u8"),
        ]
    };
    let mut video: Vec<String> = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-t",
        "6",
        "-c:v",
        "libaom-av1",
        "-cpu-used",
        "8",
        "-usage",
        "realtime",
        "-g",
        "20",
        "-keyint_min",
        "20",
        "-pix_fmt",
        "yuv420p",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    video.extend(hls("v"));
    ffmpeg(&dir, &video.iter().map(String::as_str).collect::<Vec<_>>());
    let mut audio: Vec<String> = [
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "6",
        "-ac",
        "2",
        "-c:a",
        "libopus",
        "-b:a",
        "24k",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    audio.extend(hls("a"));
    ffmpeg(&dir, &audio.iter().map(String::as_str).collect::<Vec<_>>());
    let fixtures = Fixtures {
        video: read_track(&dir, "v"),
        audio: read_track(&dir, "a"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    fixtures
}
