//! Call audio from a real PulseAudio server through cpal's PulseAudio host, via the CLI:
//! the agent's speech (microphone) lands in the left channel, the customer's (what the
//! agent hears) in the right.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use agentrec_capture::spool::Spool;
use agentrec_core::media::TrackMedia;
use agentrec_testkit::pulse::{PulseServer, speak_to_wav};
use agentrec_testkit::x11::Xvfb;
use common::*;

#[test]
fn agent_speech_is_left_and_customer_speech_is_right() {
    let x = Xvfb::four_monitors().unwrap();
    let pulse = PulseServer::start().unwrap();
    pulse.set_defaults().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let agent = dir.path().join("agent.wav");
    let customer = dir.path().join("customer.wav");
    speak_to_wav(
        "This is the agent speaking. Let me look at your account.",
        &agent,
    )
    .unwrap();
    speak_to_wav(
        "Hello, I am the customer, calling about my last bill.",
        &customer,
    )
    .unwrap();
    let spool_dir = dir.path().join("spool");
    let mut cmd = Command::new(cli());
    cmd.args([
        "record",
        "--seconds",
        "11",
        "--monitors",
        "MON0",
        "--max-size",
        "640x360",
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
    // The first stream start on an idle null sink can take up to ~2 s.
    std::thread::sleep(Duration::from_millis(3_000));
    let mut p = pulse.play("micsrc", &agent).unwrap();
    while !p.has_exited() {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut p = pulse.play("speaker", &customer).unwrap();
    while !p.has_exited() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(!log.contains("SourceFailed"), "{log}");

    let (spool, _) = Spool::open(&spool_dir, key(), None).unwrap();
    let rec = only_recording(&spool);
    let m = spool.manifest(rec).unwrap();
    let audio = m
        .tracks
        .iter()
        .find(|t| matches!(t.info.media, TrackMedia::Audio { .. }))
        .expect("an audio track");
    assert_eq!(audio.info.codec, "opus");
    assert!(audio.segments.len() >= 2, "{:?}", audio.segments);
    let mp4 = export_and_check(&spool, rec, audio.info.track, dir.path());
    let samples = decode_audio(&mp4);
    assert!(samples.len() > 48_000 * 8, "{} samples", samples.len());
    // 100 ms windows: who is talking?
    let (mut agent_only, mut customer_only, mut both) = (0, 0, 0);
    for w in samples.chunks(4_800) {
        let (l, r) = (rms(w, 0), rms(w, 1));
        match (l > 0.02, r > 0.02) {
            (true, false) if r < l / 10.0 => agent_only += 1,
            (false, true) if l < r / 10.0 => customer_only += 1,
            (true, true) => both += 1,
            _ => {}
        }
    }
    assert!(
        agent_only >= 10,
        "agent speech in the left channel: {agent_only} windows"
    );
    assert!(
        customer_only >= 10,
        "customer speech in the right channel: {customer_only} windows"
    );
    assert!(
        both <= 1,
        "the sides never speak together here: {both} windows"
    );
    drop(x);
}
