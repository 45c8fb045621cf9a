//! Crash safety and full disks with the real CLI: kill -9 in the middle of a recording and
//! find every finished segment after a restart; fill a small tmpfs and see a clean, typed
//! stop with no corrupt file.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentrec_capture::spool::Spool;
use agentrec_testkit::x11::{Xvfb, rgb};
use common::*;

fn files(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

#[test]
fn kill_9_loses_at_most_the_segment_being_written() {
    let x = Xvfb::four_monitors().unwrap();
    let mut painter = x.painter().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let mut child = Command::new(cli())
        .args([
            "record",
            "--seconds",
            "120",
            "--no-audio",
            "--monitors",
            "MON0,MON1",
            "--max-size",
            "960x540",
            "--segment-seconds",
            "1",
            "--max-segment-seconds",
            "1",
            "--out",
        ])
        .arg(&spool_dir)
        .arg("--key-file")
        .arg(key_file(dir.path()))
        .env("DISPLAY", x.display())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut k = 0u8;
    while files(&spool_dir, "seg-000003.arsp").len() < 2 {
        assert!(Instant::now() < deadline, "no segments written");
        k = k.wrapping_add(40);
        painter
            .fill(Xvfb::monitor_rect(0), rgb(k, 100, 200))
            .unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let on_disk = files(&spool_dir, ".arsp")
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("seg-"))
        .count();
    let (spool, report) = Spool::open(&spool_dir, key(), None).unwrap();
    assert!(report.unreadable.is_empty(), "{report:?}");
    assert!(
        files(&spool_dir, ".tmp").is_empty(),
        "temp files cleaned up"
    );
    let rec = only_recording(&spool);
    let m = spool.manifest(rec).unwrap();
    let in_manifest: usize = m.tracks.iter().map(|t| t.segments.len()).sum();
    assert_eq!(
        in_manifest, on_disk,
        "every finished segment is found after the restart"
    );
    assert!(in_manifest >= 6);
    for t in &m.tracks {
        export_and_check(&spool, rec, t.info.track, dir.path());
    }
}

#[test]
fn a_full_disk_stops_the_recording_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("tmpfs");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=400k", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "mounting a tmpfs needs root (CI runs as root)"
    );
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mnt);
    let spool_dir = mnt.join("spool");
    let out = Command::new(cli())
        .args([
            "record",
            "--seconds",
            "90",
            "--no-audio",
            "--synthetic",
            "busy",
            "--monitors",
            "SYN0,SYN1",
            "--max-size",
            "480x270",
            "--quantizer",
            "10",
            "--segment-seconds",
            "1",
            "--out",
        ])
        .arg(&spool_dir)
        .arg("--key-file")
        .arg(key_file(dir.path()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the recording cannot go on: {log}");
    assert!(
        log.contains("OutOfSpace") && log.contains("disk full"),
        "{log}"
    );

    let (spool, report) = Spool::open(&spool_dir, key(), None).unwrap();
    assert!(report.unreadable.is_empty(), "no corrupt file: {report:?}");
    assert!(files(&spool_dir, ".tmp").is_empty());
    let rec = only_recording(&spool);
    let m = spool.manifest(rec).unwrap();
    assert!(
        m.tracks.iter().map(|t| t.segments.len()).sum::<usize>() >= 1,
        "{m:?}"
    );
    for t in &m.tracks {
        for s in &t.segments {
            spool.read_segment(rec, t.info.track, s.info.seq).unwrap();
        }
    }
}
