//! The real Linux screen backend on a real X server: Xvfb with one 7680×1080 screen split
//! into four RandR monitors, distinct content on each, through the whole pipeline.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use agentrec_capture::session::{
    CaptureEvent, CaptureSession, SessionConfig, Sources, StopReason, TrackEndReason,
};
use agentrec_capture::source::ScreenSource;
use agentrec_capture::source::linux::X11Screen;
use agentrec_capture::spool::Spool;
use agentrec_core::MonitorId;
use agentrec_core::media::TrackMedia;
use agentrec_core::policy::CapturePolicy;
use agentrec_testkit::x11::{Xvfb, rgb};
use common::*;

const COLOURS: [[u8; 3]; 4] = [[200, 30, 30], [30, 180, 40], [40, 60, 210], [220, 200, 30]];

fn paint_all(x: &Xvfb) -> agentrec_testkit::x11::Painter {
    let mut p = x.painter().unwrap();
    for (i, c) in COLOURS.iter().enumerate() {
        p.fill(Xvfb::monitor_rect(i), rgb(c[0], c[1], c[2]))
            .unwrap();
    }
    p
}

#[test]
fn randr_monitors_are_listed_and_damage_is_per_monitor() {
    let x = Xvfb::four_monitors().unwrap();
    assert_eq!(
        x.list_monitors().unwrap().lines().count(),
        5,
        "{}",
        x.list_monitors().unwrap()
    );
    let mut screen = X11Screen::connect(Some(x.display())).unwrap();
    let monitors = screen.monitors().unwrap();
    let names: Vec<&str> = monitors.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(names, ["MON0", "MON1", "MON2", "MON3"]);
    assert!(monitors[0].primary);
    assert_eq!(monitors[3].rect.x, 5760);
    assert_eq!(
        screen.poll_damage().unwrap().len(),
        4,
        "the first poll reports every monitor"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(screen.poll_damage().unwrap().is_empty(), "nothing changed");
    let mut p = x.painter().unwrap();
    let mut rect = Xvfb::monitor_rect(2);
    rect.x += 100;
    rect.width = 200;
    rect.height = 100;
    p.fill(rect, rgb(255, 0, 255)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let damage = screen.poll_damage().unwrap();
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(damage[0].monitor.as_str(), "MON2");
    assert!(damage[0].pixels >= 200 * 100);
    // And the SHM capture sees the new pixels.
    let mut frame = Default::default();
    screen.capture(&monitors[2], &mut frame).unwrap();
    let o = (50 * 1920 + 150) * 4;
    assert_eq!(&frame.data[o..o + 3], &[255, 0, 255]);
}

#[test]
fn four_monitors_record_their_own_content() {
    let x = Xvfb::four_monitors().unwrap();
    let mut painter = paint_all(&x);
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path().join("spool"), key(), None).unwrap();
    let rec = recording(1);
    let mut cfg = SessionConfig::new(rec, "call".into(), CapturePolicy::default());
    cfg.segment_ms = 2_000;
    cfg.max_segment_ms = 2_000;
    let screen = Box::new(X11Screen::connect(Some(x.display())).unwrap());
    let session = CaptureSession::start(
        cfg,
        Sources {
            screen,
            audio: vec![],
        },
        spool.clone(),
    )
    .unwrap();
    let events = session.events();
    std::thread::sleep(Duration::from_millis(2_500));
    // Mid-recording, monitor 2 changes colour.
    painter
        .fill(Xvfb::monitor_rect(2), rgb(230, 0, 230))
        .unwrap();
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(session.wait(), StopReason::Requested);
    let log = collect_for(&events, Duration::from_millis(200));
    assert!(
        log.iter()
            .any(|e| matches!(e, CaptureEvent::Stopped { .. })),
        "{log:?}"
    );

    let manifest = spool.manifest(rec).unwrap();
    assert_eq!(manifest.tracks.len(), 4);
    for t in &manifest.tracks {
        let TrackMedia::Video {
            monitor,
            width,
            height,
            ..
        } = &t.info.media
        else {
            panic!("audio track without audio sources")
        };
        assert_eq!((*width, *height), (1920, 1080));
        let i: usize = monitor.as_str()[3..].parse().unwrap();
        assert!(t.segments.len() >= 2, "MON{i}: {:?}", t.segments);
        assert!(t.poster.is_some());
        let mp4 = export_and_check(&spool, rec, t.info.track, dir.path());
        let frames = all_frames_small(&mp4, 64, 36);
        let c = pixel(&frames[0], 64, 32, 18);
        assert!(
            close_to(c, COLOURS[i], 12),
            "MON{i} shows {c:?}, painted {:?}",
            COLOURS[i]
        );
        let expect = if i == 2 { [230, 0, 230] } else { COLOURS[i] };
        let c = pixel(frames.last().unwrap(), 64, 32, 18);
        assert!(
            close_to(c, expect, 12),
            "MON{i} ends with {c:?}, expected {expect:?}"
        );
    }
}

#[test]
fn monitors_plugged_and_unplugged_mid_recording_start_and_end_their_tracks() {
    let x = Xvfb::start(7680, 1080).unwrap();
    for i in 0..3 {
        x.set_monitor(i).unwrap();
    }
    let _painter = paint_all(&x);
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path().join("spool"), key(), None).unwrap();
    let rec = recording(2);
    let mut cfg = SessionConfig::new(rec, "call".into(), CapturePolicy::default());
    cfg.segment_ms = 2_000;
    cfg.max_segment_ms = 2_000;
    let screen = Box::new(X11Screen::connect(Some(x.display())).unwrap());
    let session = CaptureSession::start(
        cfg,
        Sources {
            screen,
            audio: vec![],
        },
        spool.clone(),
    )
    .unwrap();
    let events = session.events();
    let started = collect_for(&events, Duration::from_millis(1_500));
    assert_eq!(
        started
            .iter()
            .filter(|e| matches!(e, CaptureEvent::TrackStarted { .. }))
            .count(),
        3,
        "{started:?}"
    );
    x.set_monitor(3).unwrap();
    let added = collect_for(&events, Duration::from_millis(1_500));
    assert!(
        added.iter().any(
            |e| matches!(e, CaptureEvent::MonitorAdded { monitor } if monitor.id.as_str() == "MON3")
        ),
        "{added:?}"
    );
    // The app (through the Recorder) decides to record it.
    session.add_monitor(MonitorId::from("MON3")).unwrap();
    x.delete_monitor(1).unwrap();
    let later = collect_for(&events, Duration::from_millis(2_500));
    assert!(
        later.iter().any(
            |e| matches!(e, CaptureEvent::MonitorRemoved { monitor } if monitor.as_str() == "MON1")
        ),
        "{later:?}"
    );
    assert!(later.iter().any(|e| matches!(
        e,
        CaptureEvent::TrackEnded {
            reason: TrackEndReason::MonitorRemoved,
            ..
        }
    )));
    session.wait();

    let m = spool.manifest(rec).unwrap();
    let by_monitor = |name: &str| {
        m.tracks
            .iter()
            .find(|t| matches!(&t.info.media, TrackMedia::Video { monitor, .. } if monitor.as_str() == name))
            .unwrap()
    };
    let mon1 = by_monitor("MON1");
    assert!(mon1.ended, "the unplugged monitor's track is ended");
    let mon3 = by_monitor("MON3");
    assert!(
        mon3.info.start_ms >= 1_500,
        "MON3 starts late: {}",
        mon3.info.start_ms
    );
    assert!(!mon3.segments.is_empty());
    // The others kept going after MON1 left.
    let mon1_end = mon1
        .segments
        .iter()
        .map(|s| s.info.start_ms + s.info.duration_ms)
        .max()
        .unwrap();
    let mon0_end = by_monitor("MON0")
        .segments
        .iter()
        .map(|s| s.info.start_ms + s.info.duration_ms)
        .max()
        .unwrap();
    assert!(
        mon0_end > mon1_end + 1_000,
        "MON0 ran on: {mon0_end} vs {mon1_end}"
    );
    for t in &m.tracks {
        export_and_check(&spool, rec, t.info.track, dir.path());
    }
}

#[test]
fn the_cli_lists_the_monitors() {
    let x = Xvfb::four_monitors().unwrap();
    let out = std::process::Command::new(cli())
        .arg("monitors")
        .env("DISPLAY", x.display())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "MON0\t1920x1080+0+0\tprimary");
    assert_eq!(lines[3], "MON3\t1920x1080+5760+0");
}
