//! `agentrec-upload` on a spool recorded as `agentrec-capture record` leaves it (open, no
//! call details): enroll with a one-time token, upload, finalize complete with a call title;
//! a bad key or a server that stays down are failures with a reason.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use agentrec_capture::session::StopReason;
use agentrec_capture::spool::Spool;
use agentrec_testkit::ingest::Media;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_agentrec-upload");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_finalizes_a_cli_recording_and_fails_clearly_on_bad_input() {
    let server = Server::start(Media::Local).await;
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
        let id = new_id();
        // As the capture CLI does: no call details, never finalized.
        let session =
            agentrec_capture::session::CaptureSession::start(config(id), sources(1), spool.clone())
                .unwrap();
        std::thread::sleep(std::time::Duration::from_secs(2));
        assert_eq!(session.wait(), StopReason::Requested);
        id
    };
    let key_hex = key().to_hex();

    let wrong = Command::new(BIN)
        .args(["--spool"])
        .arg(dir.path())
        .args([
            "--key-hex",
            &"00".repeat(32),
            "--server",
            &server.ingest.url(),
            "--token",
            "x",
            "--once",
        ])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("unreadable"),
        "a wrong key says so"
    );

    let enrollment = server.enrollment_token().await;
    let out = Command::new(BIN)
        .args(["--spool"])
        .arg(dir.path())
        .args(["--key-hex", &key_hex, "--server", &server.ingest.url()])
        .args([
            "--enrollment-token",
            &enrollment,
            "--call-title",
            "Fixture call",
            "--queue",
            "demo",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("device token"), "{stderr}");
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["recording"], id.to_string());
    assert_eq!(line["outcome"], "complete");
    let rec = server.recording(id).await;
    assert!(
        rec["title"].as_str().unwrap().ends_with("Fixture call"),
        "{rec}"
    );
    assert_eq!(rec["agentrec"]["queue"], "demo");
    assert_eq!(rec["agentrec"]["end_reason"], "call_ended");
    assert_eq!(files_on_disk(dir.path()), 0);

    let used = Command::new(BIN)
        .args(["--spool"])
        .arg(dir.path())
        .args([
            "--key-hex",
            &key_hex,
            "--server",
            &server.ingest.url(),
            "--enrollment-token",
            &enrollment,
        ])
        .output()
        .unwrap();
    assert_eq!(
        used.status.code(),
        Some(2),
        "a used enrollment token is refused"
    );
    assert!(String::from_utf8_lossy(&used.stderr).contains("enrolling"));

    let down = Command::new(BIN)
        .args(["--spool"])
        .arg(dir.path())
        .args([
            "--key-hex",
            &key_hex,
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "--once",
        ])
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "an empty spool has nothing to do: {}",
        String::from_utf8_lossy(&down.stderr)
    );
}
