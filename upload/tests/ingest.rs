//! The uploader against a real `agentrec-ingest` on 127.0.0.1, with recordings made by the
//! real capture pipeline: the happy path while the call goes on, and the faults — server down
//! then up, 503 with `Retry-After`, a restart that resumes from `/status`, a conflicting
//! segment, a revoked device.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use agentrec_capture::session::{CaptureEvent, StopReason};
use agentrec_capture::spool::{Spool, TrackFile};
use agentrec_testkit::ingest::Media;
use agentrec_testkit::s3::S3Server;
use agentrec_uploader::{ClientError, ErrorKind, UploadError, Uploader, UploaderConfig};
use common::*;
use tokio_util::sync::CancellationToken;

fn fast() -> UploaderConfig {
    UploaderConfig {
        concurrency: 4,
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        idle_poll: Duration::from_millis(500),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_while_the_call_goes_on_then_finalizes_and_empties_the_spool() {
    let server = Server::start(Media::Local).await;
    let (client, _) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let (uploader, handle) = Uploader::new(spool.clone(), client.clone(), fast());
    let stop = CancellationToken::new();
    let task = tokio::spawn(uploader.run(stop.clone()));

    let id = new_id();
    let session = start_capture(&spool, id);
    let events = session.events();
    // Kick on every finished segment, as the app does.
    let kicker = handle.clone();
    let forward = std::thread::spawn(move || {
        while let Ok(e) = events.recv() {
            if matches!(
                e,
                CaptureEvent::SegmentWritten { .. } | CaptureEvent::TrackStarted { .. }
            ) {
                kicker.kick();
            }
            if matches!(e, CaptureEvent::Stopped { .. }) {
                return;
            }
        }
    });
    // While still capturing, the server already holds segments of every track.
    wait_for(
        "segments on the server mid-call",
        Duration::from_secs(20),
        || async {
            client.status(id).await.ok().flatten().is_some_and(|s| {
                s.tracks.len() == 3 && s.tracks.iter().all(|t| t.init && !t.segments.is_empty())
            })
        },
    )
    .await;
    let recording_now = !spool.manifest(id).unwrap().tracks.iter().any(|t| t.ended);
    assert!(recording_now, "uploaded while the capture goes on");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let session_stop = tokio::task::spawn_blocking(move || session.wait());
    assert_eq!(session_stop.await.unwrap(), StopReason::Requested);
    forward.join().unwrap();
    let total = segment_count(&spool, id);
    finalize(&spool, id);
    handle.kick();
    wait_for("the spool to empty", Duration::from_secs(20), || async {
        spool.recordings().is_empty()
    })
    .await;
    assert_eq!(
        files_on_disk(dir.path()),
        0,
        "every acknowledged file is deleted"
    );

    let rec = server.recording(id).await;
    let a = &rec["agentrec"];
    assert_eq!(a["state"], "finalized", "{rec}");
    assert_eq!(a["outcome"], "complete", "{rec}");
    assert_eq!(
        a["tracks"].as_array().unwrap().len(),
        3,
        "2 monitors + audio"
    );
    assert_eq!(a["missing"].as_array().unwrap().len(), 0);
    assert_eq!(a["queue"], "billing");
    assert!(
        rec["title"].as_str().unwrap().ends_with("Refund request"),
        "{rec}"
    );
    assert_eq!(rec["customer"]["email"], "customer@example.com");
    assert_eq!(rec["technical_details"]["timezone"], "Europe/Paris");
    let progress = handle.progress();
    assert_eq!(progress.finalized, 1);
    assert!(progress.uploaded_files as usize >= total, "{progress:?}");
    assert_eq!((progress.waiting_segments, progress.waiting_bytes), (0, 0));
    let lag = progress.max_lag_ms.unwrap();
    eprintln!("upload lag while recording: max {lag} ms over {total} segments");
    assert!(
        lag < 5_000,
        "segments go up within seconds of being cut: {lag} ms"
    );
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_then_up_loses_nothing() {
    let mut server = Server::start(Media::Local).await;
    let (client, _) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    server.ingest.stop();
    let id = record_finalized(&spool, 3.0);
    let total = segment_count(&spool, id);
    let (uploader, handle) = Uploader::new(spool.clone(), client, fast());
    let stop = CancellationToken::new();
    let task = tokio::spawn(uploader.run(stop.clone()));
    wait_for(
        "the uploader to see the server down",
        Duration::from_secs(10),
        || async { handle.progress().reachable == Some(false) },
    )
    .await;
    let p = handle.progress();
    assert!(
        p.last_error.as_deref().unwrap().contains("cannot reach"),
        "{p:?}"
    );
    assert_eq!(
        p.waiting_segments as usize, total,
        "nothing is dropped while down"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(spool.recordings().len(), 1);
    server.ingest.start_again().unwrap();
    wait_for(
        "the spool to empty after the server came back",
        Duration::from_secs(20),
        || async { spool.recordings().is_empty() },
    )
    .await;
    let rec = server.recording(id).await;
    assert_eq!(rec["agentrec"]["outcome"], "complete", "{rec}");
    assert_eq!(rec["agentrec"]["missing"].as_array().unwrap().len(), 0);
    assert_eq!(handle.progress().reachable, Some(true));
    assert_eq!(handle.progress().last_error, None);
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_with_retry_after_is_waited_out() {
    let mut s3 = S3Server::start().unwrap();
    s3.create_bucket("rec").unwrap();
    let server = Server::start(Media::S3 {
        endpoint: s3.endpoint(),
        bucket: "rec".into(),
        access_key: s3.access_key.clone(),
        secret_key: s3.secret_key.clone(),
    })
    .await;
    let (client, _) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let id = record_finalized(&spool, 2.0);
    s3.stop(); // the server stays up but cannot store: 503 + Retry-After: 5
    let (uploader, handle) = Uploader::new(spool.clone(), client, fast());
    let stop = CancellationToken::new();
    let task = tokio::spawn(uploader.run(stop.clone()));
    wait_for("a 503", Duration::from_secs(10), || async {
        handle
            .progress()
            .last_error
            .is_some_and(|e| e.contains("503"))
    })
    .await;
    let failed_at = Instant::now();
    let p = handle.progress();
    assert_eq!(
        p.reachable,
        Some(true),
        "the server answered: it is reachable"
    );
    let delay = p.last_retry_delay_ms.unwrap();
    assert!(
        (5_000..=5_500).contains(&delay),
        "Retry-After: 5 is honoured (backoff alone would wait ≤ 1 s here): {delay} ms"
    );
    s3.restart().unwrap();
    wait_for("the spool to empty", Duration::from_secs(20), || async {
        spool.recordings().is_empty()
    })
    .await;
    assert!(
        failed_at.elapsed() >= Duration::from_millis(4_500),
        "not retried before Retry-After"
    );
    assert_eq!(
        server.recording(id).await["agentrec"]["outcome"],
        "complete"
    );
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_upload_resumes_from_status_without_sending_again() {
    let server = Server::start(Media::Local).await;
    let (client, _) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let id = record_finalized(&spool, 3.0);
    let total = segment_count(&spool, id);
    // A first process created the recording, sent the track, init and half the segments,
    // and died before it could mark any of them uploaded (the crash window).
    let m = spool.manifest(id).unwrap();
    let body = agentrec_core::wire::CreateRecording::new(
        m.call.clone(),
        m.metadata.clone().unwrap(),
        m.started_unix_ms as i64,
        vec![],
    );
    client.create_recording(id, &body).await.unwrap();
    let mut sent = 0;
    for t in &m.tracks {
        client.put_track(id, &t.info).await.unwrap();
        let init = spool.read_init(id, t.info.track).unwrap();
        client
            .upload_init(id, t.info.track, &t.init.as_ref().unwrap().sha256, init)
            .await
            .unwrap();
        sent += 1;
        for s in t.segments.iter().take(t.segments.len() / 2) {
            let bytes = spool.read_segment(id, t.info.track, s.info.seq).unwrap();
            client.upload_segment(id, &s.info, bytes).await.unwrap();
            sent += 1;
        }
    }
    assert!(
        sent > m.tracks.len(),
        "some segments were sent before the crash"
    );
    drop(spool);
    // The restart: the spool is opened again, a new uploader asks /status.
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let (mut uploader, handle) = Uploader::new(spool.clone(), client, fast());
    let report = uploader.pass().await.unwrap();
    let posters = m.tracks.iter().filter(|t| t.poster.is_some()).count();
    assert_eq!(
        report.uploaded_files as usize,
        total + m.tracks.len() + posters - sent,
        "only what the server did not hold was sent"
    );
    assert_eq!(report.finalized.len(), 1);
    assert!(report.finalized[0].missing.is_empty());
    assert!(spool.recordings().is_empty());
    assert_eq!(handle.progress().finalized, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflicting_segment_is_reported_and_kept_and_the_rest_is_finalized() {
    let server = Server::start(Media::Local).await;
    let (client, _) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let id = new_id();
    let session = start_capture(&spool, id);
    let events = session.events();
    wait_event(
        &events,
        |e| matches!(e, CaptureEvent::SegmentWritten { segment, .. } if segment.seq >= 2),
    );
    let (mut uploader, handle) = Uploader::new(spool.clone(), client.clone(), fast());
    uploader.pass().await.unwrap();
    // Someone else stores other (valid) bytes under a segment number the capture has not
    // reached yet.
    let m = spool.manifest(id).unwrap();
    let audio = m.tracks.iter().find(|t| !t.info.is_video()).unwrap();
    let track = audio.info.track;
    let first = audio.segments[0].info.clone();
    let target = audio.segments.last().unwrap().info.seq + 3;
    let mut planted = first.clone();
    planted.seq = target;
    let bytes = client.status(id).await.unwrap().unwrap();
    assert!(bytes.tracks.iter().any(|t| t.info.track == track));
    let other = {
        // Seq 1's bytes were uploaded and deleted from the spool; use the server's copy.
        let url = format!(
            "{}/recordings/{id}/tracks/{track}/segments/1.m4s",
            server.ingest.api()
        );
        server
            .http
            .get(url)
            .bearer_auth(&server.ingest.admin_token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    };
    planted.sha256 = agentrec_capture::spool::sha256_hex(&other);
    client.upload_segment(id, &planted, other).await.unwrap();
    wait_event(
        &events,
        |e| matches!(e, CaptureEvent::SegmentWritten { segment, .. } if segment.track == track && segment.seq > target),
    );
    let session_stop = tokio::task::spawn_blocking(move || session.wait());
    session_stop.await.unwrap();
    finalize(&spool, id);

    let report = uploader.pass().await.unwrap();
    assert_eq!(
        report.finalized.len(),
        1,
        "the rest is uploaded and finalized"
    );
    let p = handle.progress();
    assert_eq!(p.rejected.len(), 1, "{p:?}");
    assert!(
        p.rejected[0].contains(&format!("track {track} Segment({target})")),
        "{p:?}"
    );
    assert!(p.rejected[0].contains("conflict"), "{p:?}");
    // Never acknowledged, so never deleted.
    let left = spool.manifest(id).unwrap();
    let seg = left
        .track(track)
        .unwrap()
        .segments
        .iter()
        .find(|s| s.info.seq == target)
        .unwrap();
    assert!(!seg.uploaded);
    assert!(
        spool
            .file_path(id, track, TrackFile::Segment(target))
            .exists()
    );
    assert_eq!(
        spool.read_segment(id, track, target).unwrap().len() as u64,
        seg.info.bytes
    );
    // Not retried in this run.
    let again = uploader.pass().await.unwrap();
    assert_eq!((again.uploaded_files, again.finalized.len()), (0, 0));
    assert_eq!(server.recording(id).await["agentrec"]["state"], "finalized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_stops_uploading_and_a_new_enrollment_finishes_the_job() {
    let server = Server::start(Media::Local).await;
    let (client, device_id) = server.enroll().await;
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let id = record_finalized(&spool, 2.0);
    let files = files_on_disk(dir.path());
    let (s, _) = server
        .admin(
            reqwest::Method::DELETE,
            &format!("/admin/devices/{device_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (uploader, handle) = Uploader::new(spool.clone(), client, fast());
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        uploader.run(CancellationToken::new()),
    )
    .await
    .expect("a revoked credential ends the run at once, without retrying");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(matches!(
        err,
        UploadError::Client(ClientError::Unauthorized(_))
    ));
    assert!(handle.progress().unauthorized);
    assert_eq!(files_on_disk(dir.path()), files, "nothing deleted");

    let (client, _) = server.enroll().await;
    let (mut uploader, _) = Uploader::new(spool.clone(), client, fast());
    let report = uploader.pass().await.unwrap();
    assert_eq!(report.finalized.len(), 1);
    assert!(spool.recordings().is_empty());
    assert_eq!(
        server.recording(id).await["agentrec"]["outcome"],
        "complete"
    );
}
