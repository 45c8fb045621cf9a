//! Shared set-up of the ingest integration tests: real catalogs (SQLite file or a throwaway
//! PostgreSQL cluster), real media stores (local directory or `s3s-fs`), the real server on a
//! loopback port, and AV1/Opus fMP4 fixtures made by Debian's ffmpeg.
#![allow(clippy::unwrap_used, clippy::too_many_arguments, dead_code)]

pub mod fixtures;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agentrec_core::media::{DesktopRect, TrackInfo, TrackMedia};
use agentrec_core::wire::{
    CreateRecording, DURATION_MS_HEADER, EnrollRequest, EnrollResponse, SHA256_HEADER,
    START_MS_HEADER,
};
use agentrec_ingest::db::Db;
use agentrec_ingest::db::users::{Role, TokenKind, User};
use agentrec_ingest::store::{MediaStore, S3Settings};
use agentrec_ingest::{AppState, Settings, app, auth};
use agentrec_testkit::postgres::Postgres;
use agentrec_testkit::s3::S3Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Which catalog and store a suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The embedded default.
    SqliteLocal,
    /// The at-scale configuration.
    PostgresS3,
}

/// The servers a suite uses, started once per suite.
pub struct Infra {
    pub kind: Kind,
    pub pg: Option<Postgres>,
    pub s3: Option<S3Server>,
    pub tmp: PathBuf,
}

impl Infra {
    pub fn start(kind: Kind) -> Infra {
        let tmp = std::env::temp_dir().join(format!("agentrec-it-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&tmp).unwrap();
        let (pg, s3) = match kind {
            Kind::SqliteLocal => (None, None),
            Kind::PostgresS3 => (
                Some(Postgres::start().unwrap()),
                Some(S3Server::start().unwrap()),
            ),
        };
        Infra { kind, pg, s3, tmp }
    }

    /// A fresh catalog and store for one scenario.
    pub async fn env(&self, name: &str) -> Env {
        self.env_with(name, Settings::default()).await
    }

    pub async fn env_with(&self, name: &str, settings: Settings) -> Env {
        let name = format!("{}_{}", name, &Uuid::new_v4().simple().to_string()[..8]);
        let (url, store) = match self.kind {
            Kind::SqliteLocal => (
                format!(
                    "sqlite://{}?mode=rwc",
                    self.tmp.join(format!("{name}.db")).display()
                ),
                MediaStore::local(&self.tmp.join(format!("{name}-media"))).unwrap(),
            ),
            Kind::PostgresS3 => {
                let pg = self.pg.as_ref().unwrap();
                pg.create_database(&name).unwrap();
                let s3 = self.s3.as_ref().unwrap();
                let bucket = name.replace('_', "-");
                s3.create_bucket(&bucket).unwrap();
                let store = MediaStore::s3(&S3Settings {
                    endpoint: s3.endpoint(),
                    bucket,
                    region: "us-east-1".into(),
                    access_key: s3.access_key.clone(),
                    secret_key: s3.secret_key.clone(),
                })
                .unwrap();
                (pg.url(&name), store)
            }
        };
        let db = Db::connect(&url, 8).await.unwrap();
        Env::start(db, store, settings).await
    }
}

impl Drop for Infra {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// A running server with an admin.
pub struct Env {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub admin: String,
    shutdown: CancellationToken,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// An agent with an enrolled device.
#[derive(Debug, Clone)]
pub struct Agent {
    pub user: User,
    pub token: String,
    pub device: String,
}

impl Env {
    pub async fn start(db: Db, store: MediaStore, mut settings: Settings) -> Env {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        settings.public_url = format!("http://{addr}");
        let shutdown = CancellationToken::new();
        let state = AppState::new(db, store, settings, shutdown.clone())
            .await
            .unwrap();
        let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
                .unwrap();
        });
        let admin_user = state
            .db
            .create_user("admin@example.com", "Ada Admin", Role::Admin, None)
            .await
            .unwrap();
        let (_, admin) = auth::issue(&state, TokenKind::Api, admin_user.id, None, None, None)
            .await
            .unwrap();
        Env {
            base: format!("http://{addr}/api/v2"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            state,
            admin,
            shutdown,
        }
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Sends and returns (status, JSON body or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn team(&self, name: &str) -> Uuid {
        let (s, b) = self
            .call(
                Method::POST,
                "/admin/teams",
                Some(&self.admin),
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_str().unwrap().parse().unwrap()
    }

    /// A user with an API token.
    pub async fn user(&self, email: &str, role: &str, team: Option<Uuid>) -> (User, String) {
        let (s, b) = self
            .call(
                Method::POST,
                "/admin/users",
                Some(&self.admin),
                Some(json!({"email": email, "name": email.split('@').next().unwrap(), "role": role, "team_id": team})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let user: User = serde_json::from_value(b).unwrap();
        let (s, t) = self
            .call(
                Method::POST,
                &format!("/admin/users/{}/tokens", user.id),
                Some(&self.admin),
                Some(json!({"label": "test"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        (user, t["token"].as_str().unwrap().to_owned())
    }

    /// An agent (member) with an API token and an enrolled device, through the real flow.
    pub async fn agent(&self, email: &str, team: Option<Uuid>) -> Agent {
        let (user, token) = self.user(email, "member", team).await;
        let device = self.enroll(&user).await;
        Agent {
            user,
            token,
            device,
        }
    }

    pub async fn enroll(&self, user: &User) -> String {
        let (s, e) = self
            .call(
                Method::POST,
                "/admin/enrollment-tokens",
                Some(&self.admin),
                Some(json!({"user_id": user.id})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let enrollment = e["token"].as_str().unwrap().to_owned();
        let (s, r) = self
            .call(
                Method::POST,
                "/agent/enroll",
                Some(&enrollment),
                Some(
                    serde_json::to_value(EnrollRequest {
                        hostname: format!("ws-{}", user.email),
                        os: "Linux test".into(),
                        app_version: "0.1.0".into(),
                    })
                    .unwrap(),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let r: EnrollResponse = serde_json::from_value(r).unwrap();
        r.device_token
    }

    pub async fn create_recording(
        &self,
        device: &str,
        id: Uuid,
        body: &CreateRecording,
    ) -> StatusCode {
        let (s, b) = self
            .call(
                Method::PUT,
                &format!("/agent/recordings/{id}"),
                Some(device),
                Some(serde_json::to_value(body).unwrap()),
            )
            .await;
        assert!(s.is_success() || s.is_client_error(), "{s} {b}");
        s
    }

    /// Uploads a segment (seq 0: init) and returns (status, body).
    pub async fn upload(
        &self,
        device: &str,
        id: Uuid,
        track: u32,
        seq: u32,
        bytes: &[u8],
        start_ms: u64,
        duration_ms: u64,
    ) -> (StatusCode, Value) {
        let path = if seq == 0 {
            format!("/agent/recordings/{id}/tracks/{track}/init")
        } else {
            format!("/agent/recordings/{id}/tracks/{track}/segments/{seq}")
        };
        let resp = self
            .req(Method::PUT, &path, Some(device))
            .header("content-type", "video/iso.segment")
            .header(SHA256_HEADER, sha256(bytes))
            .header(START_MS_HEADER, start_ms)
            .header(DURATION_MS_HEADER, duration_ms)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Uploads every fixture segment of a recording made by [`recording_body`].
    pub async fn upload_all(&self, device: &str, id: Uuid) {
        let fx = fixtures::get();
        for track in [1u32, 2] {
            let (s, b) = self
                .upload(device, id, track, 0, &fx.video.init, 0, 0)
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            // Out of order on purpose.
            for seg in fx.video.segments.iter().rev() {
                let (s, b) = self
                    .upload(
                        device,
                        id,
                        track,
                        seg.seq,
                        &seg.bytes,
                        seg.start_ms,
                        seg.duration_ms,
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
            }
        }
        let (s, b) = self.upload(device, id, 3, 0, &fx.audio.init, 0, 0).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        for seg in &fx.audio.segments {
            let (s, b) = self
                .upload(
                    device,
                    id,
                    3,
                    seg.seq,
                    &seg.bytes,
                    seg.start_ms,
                    seg.duration_ms,
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
    }

    /// Finalizes with everything uploaded; returns the response body.
    pub async fn finalize(&self, device: &str, id: Uuid) -> Value {
        let fx = fixtures::get();
        let body = json!({
            "finalized": {
                "recording": id, "call": "call-1", "outcome": "complete", "reason": "wrap_up_completed",
                "capture_failed": false, "recorded_ms": fx.video.duration_ms(), "duration_ms": fx.video.duration_ms(),
                "timeline": [{"offset_ms": 0, "event": "recording_started"}, {"offset_ms": 1000, "event": "held"}]
            },
            "last_seq": {"1": fx.video.segments.len(), "2": fx.video.segments.len(), "3": fx.audio.segments.len()}
        });
        let (s, b) = self
            .call(
                Method::POST,
                &format!("/agent/recordings/{id}/finalize"),
                Some(device),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    /// A complete recording of `agent`: created, uploaded and finalized.
    pub async fn full_recording(&self, agent: &Agent, kind_live: bool) -> Uuid {
        let id = Uuid::new_v4();
        let s = self
            .create_recording(&agent.device, id, &recording_body(kind_live))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        self.upload_all(&agent.device, id).await;
        self.finalize(&agent.device, id).await;
        id
    }

    /// Rows in the segments table.
    pub async fn segment_rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM segments")
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn video_track(track: u32, primary: bool, x: i32) -> TrackInfo {
    let fx = fixtures::get();
    TrackInfo {
        track,
        codec: "av01.0.04M.08".into(),
        timescale: fx.video.timescale,
        start_ms: 0,
        media: TrackMedia::Video {
            monitor: format!("MON{track}").as_str().into(),
            width: 320,
            height: 240,
            desktop: DesktopRect {
                x,
                y: 0,
                width: 320,
                height: 240,
            },
            primary,
        },
    }
}

/// The create body of a recording with two monitors (track 1 secondary, track 2 primary)
/// and the call audio (track 3).
pub fn recording_body(live: bool) -> CreateRecording {
    let fx = fixtures::get();
    serde_json::from_value(json!({
        "call_id": "call-1",
        "kind": if live { "live" } else { "voice" },
        "direction": "inbound",
        "acd": true,
        "queue": "billing",
        "call_title": "Invoice question",
        "customer_email": "customer@example.org",
        "helpdesk": {"platform": "zendesk", "ticket_id": "4711"},
        "participants": if live { json!([
            {"participant_id": "host-1", "display_name": "Agent", "role": "host", "joined_at_ms": 1_700_000_000_000i64},
            {"participant_id": "guest-1", "display_name": "Customer", "role": "guest", "joined_at_ms": 1_700_000_001_000i64}
        ]) } else { json!([]) },
        "started_at_ms": 1_700_000_000_000i64,
        "timezone": "Europe/Paris",
        "tracks": [
            video_track(1, false, 320),
            video_track(2, true, 0),
            {"track": 3, "codec": "opus", "timescale": fx.audio.timescale, "start_ms": 0,
             "kind": "audio", "sample_rate": 48000, "channels": 2}
        ]
    }))
    .unwrap()
}

/// Reads an SSE stream, returning parsed (event, id, data) triples through a channel.
pub fn sse(
    env: &Env,
    token: &str,
    last_event_id: Option<&str>,
) -> tokio::sync::mpsc::UnboundedReceiver<(String, Option<String>, Value)> {
    let mut req = env.req(Method::GET, "/agent/events", Some(token));
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        use futures::StreamExt;
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::new(), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty()
                    && tx
                        .send((event, id, serde_json::from_str(&data).unwrap()))
                        .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

pub async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Option<String>, Value)>,
) -> (String, Option<String>, Value) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("no event within 5 s")
        .expect("stream closed")
}

/// One scenario of a suite.
pub type Scenario = fn(Arc<Infra>) -> futures::future::BoxFuture<'static, ()>;

/// Runs named scenarios one after another, reporting every failure at the end.
pub async fn run_all(infra: Arc<Infra>, scenarios: Vec<(&'static str, Scenario)>) {
    let mut failed = Vec::new();
    for (name, scenario) in scenarios {
        let started = std::time::Instant::now();
        let result = tokio::spawn(scenario(infra.clone())).await;
        match result {
            Ok(()) => eprintln!("  ok   {name} ({:.1} s)", started.elapsed().as_secs_f64()),
            Err(e) => {
                eprintln!("  FAIL {name}: {e}");
                failed.push(name);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "failed scenarios on {:?}: {failed:?}",
        infra.kind
    );
}
