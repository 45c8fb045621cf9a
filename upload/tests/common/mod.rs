//! Helpers of the uploader's tests: a real ingest server with an enrolled agent, and real
//! spooled recordings made by the capture pipeline (synthetic sources, small monitors, 1 s
//! segments, so that a few seconds give many segments).
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use agentrec_capture::session::{CaptureEvent, CaptureSession, SessionConfig, Sources, StopReason};
use agentrec_capture::source::synthetic::{SyntheticAudio, SyntheticScreen, Workload};
use agentrec_capture::source::{AudioSide, AudioSource};
use agentrec_capture::spool::{Spool, SpoolKey};
use agentrec_core::RecordingId;
use agentrec_core::policy::CapturePolicy;
use agentrec_core::recorder::{EndReason, Finalized, Outcome};
use agentrec_core::wire::{CallMetadata, EnrollRequest};
use agentrec_testkit::ingest::{IngestServer, Media};
use agentrec_uploader::AgentClient;
use agentrec_uploader::interrupted::finalize_from_spool;
use serde_json::{Value, json};

pub fn key() -> SpoolKey {
    SpoolKey::from_bytes([7; 32])
}

pub fn new_id() -> RecordingId {
    let mut b = [0u8; 16];
    getrandom(&mut b);
    RecordingId::from_random_bytes(b)
}

fn getrandom(b: &mut [u8]) {
    // Tests only need distinct ids: time and a counter.
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let v = t ^ (N.fetch_add(1, Ordering::Relaxed) << 48) ^ u64::from(std::process::id());
    b[..8].copy_from_slice(&v.to_le_bytes());
    b[8..].copy_from_slice(&v.rotate_left(17).to_le_bytes());
}

/// A real ingest server with one agent.
pub struct Server {
    pub ingest: IngestServer,
    pub http: reqwest::Client,
    pub agent_email: String,
    pub agent_id: String,
}

impl Server {
    pub async fn start(media: Media) -> Server {
        let ingest = IngestServer::start_with(media).unwrap();
        let http = reqwest::Client::new();
        let user: Value = http
            .post(format!("{}/admin/users", ingest.api()))
            .bearer_auth(&ingest.admin_token)
            .json(&json!({"email": "agent@example.com", "name": "Agent", "role": "member"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Server {
            agent_id: user["id"].as_str().unwrap().to_owned(),
            agent_email: "agent@example.com".into(),
            ingest,
            http,
        }
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.ingest.api()))
            .bearer_auth(&self.ingest.admin_token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn enrollment_token(&self) -> String {
        let (s, b) = self
            .admin(
                reqwest::Method::POST,
                "/admin/enrollment-tokens",
                Some(json!({"user_id": self.agent_id})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b["token"].as_str().unwrap().to_owned()
    }

    /// Enrolls a device; returns its client and device id.
    pub async fn enroll(&self) -> (AgentClient, String) {
        let token = self.enrollment_token().await;
        let client = AgentClient::new(&self.ingest.url(), None).unwrap();
        let answer = client
            .enroll(
                &token,
                &EnrollRequest {
                    hostname: "test-host".into(),
                    os: "Linux".into(),
                    app_version: "test".into(),
                },
            )
            .await
            .unwrap();
        (
            client.with_device_token(answer.device_token),
            answer.device_id.to_string(),
        )
    }

    /// The public JSON of a recording.
    pub async fn recording(&self, id: RecordingId) -> Value {
        let (s, b) = self
            .admin(reqwest::Method::GET, &format!("/recordings/{id}"), None)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }
}

pub fn sources(monitors: usize) -> Sources {
    let audio: Vec<Box<dyn AudioSource>> = vec![
        Box::new(SyntheticAudio::new(AudioSide::Microphone, 440.0)),
        Box::new(SyntheticAudio::new(AudioSide::System, 660.0)),
    ];
    Sources {
        screen: Box::new(SyntheticScreen::new(Workload::Busy, monitors, 320, 240)),
        audio,
    }
}

pub fn config(recording: RecordingId) -> SessionConfig {
    let mut cfg = SessionConfig::new(
        recording,
        "call-1".into(),
        CapturePolicy {
            fps_cap: 5,
            ..CapturePolicy::default()
        },
    );
    cfg.segment_ms = 1_000;
    cfg.max_segment_ms = 1_000;
    cfg
}

pub fn metadata() -> CallMetadata {
    CallMetadata {
        acd: true,
        queue: Some("billing".into()),
        call_title: Some("Refund request".into()),
        customer_email: Some("customer@example.com".into()),
        timezone: Some("Europe/Paris".into()),
        ..CallMetadata::default()
    }
}

/// Starts capturing `recording` (2 monitors + audio) with call details.
pub fn start_capture(spool: &Spool, recording: RecordingId) -> CaptureSession {
    spool
        .begin_recording(recording, "call-1".into(), now_ms())
        .unwrap();
    spool.set_metadata(recording, metadata()).unwrap();
    CaptureSession::start(config(recording), sources(2), spool.clone()).unwrap()
}

/// Records `secs` seconds into `spool` and finalizes the recording there as the app does.
pub fn record_finalized(spool: &Spool, secs: f64) -> RecordingId {
    let id = new_id();
    let session = start_capture(spool, id);
    std::thread::sleep(Duration::from_secs_f64(secs));
    assert_eq!(session.wait(), StopReason::Requested);
    finalize(spool, id);
    id
}

/// Finalizes a recording in the spool (complete, call ended).
pub fn finalize(spool: &Spool, id: RecordingId) {
    let m = spool.manifest(id).unwrap();
    let f: Finalized = finalize_from_spool(&m, Outcome::Complete, EndReason::CallEnded, vec![]);
    spool.finalize(f).unwrap();
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Media segments of a recording in the spool.
pub fn segment_count(spool: &Spool, id: RecordingId) -> usize {
    spool
        .manifest(id)
        .map(|m| m.tracks.iter().map(|t| t.segments.len()).sum())
        .unwrap_or(0)
}

/// Files (of any kind) left on disk under a spool directory.
pub fn files_on_disk(dir: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    usize::from(p.extension().is_some_and(|x| x == "arsp"))
                }
            })
            .sum()
    }
    walk(dir)
}

pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for a capture event matching `f`.
pub fn wait_event(events: &flume::Receiver<CaptureEvent>, f: impl Fn(&CaptureEvent) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let e = events.recv_deadline(deadline).unwrap();
        if f(&e) {
            return;
        }
    }
}
