//! The local API over real loopback TCP, against a real Recorder owner task: auth, every
//! endpoint, refusals as typed JSON errors, and every kind of bad request.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use agentrec_app::capture_port::{CaptureDriver, UnavailableCapture};
use agentrec_app::local_api::{self, ApiState, ApiToken};
use agentrec_app::recorder_task::{self, Consumers, RecorderHandle};
use agentrec_app::recording_sink::NoUploader;
use agentrec_app::status::{AgentStatus, AgentStatusBoard};
use agentrec_app::ui_port::{AgentUi, UiEffect};
use agentrec_core::{Input, Policy, Recorder, RecordingMode, StartTrigger};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

struct NoUi;
impl AgentUi for NoUi {
    fn show(&mut self, _: UiEffect) {}
}

struct Server {
    addr: SocketAddr,
    recorder: RecorderHandle,
    _runtime: tokio::runtime::Runtime,
}

fn server_with(policy: Policy, origins: &[&str], run_owner: bool) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let capture = UnavailableCapture;
    let board = AgentStatusBoard::new(AgentStatus::initial(capture.status()));
    let consumers = Consumers {
        capture: Box::new(capture),
        sink: Box::new(NoUploader),
        ui: Box::new(NoUi),
    };
    let (recorder, owner) = recorder_task::spawn(Recorder::new(policy, 1), consumers);
    if run_owner {
        runtime.spawn(owner);
    } else {
        // Keep the queue alive but never drained.
        std::mem::forget(Box::new(owner));
    }
    let state = ApiState {
        recorder: recorder.clone(),
        status: board,
        token: ApiToken::from_value(TOKEN),
        queue_timeout: Duration::from_millis(300),
    };
    let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
    let listener = runtime.block_on(local_api::bind(0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let router = local_api::app(state, &origins);
    runtime.spawn(local_api::serve(listener, router));
    Server {
        addr,
        recorder,
        _runtime: runtime,
    }
}

fn server(mode: RecordingMode) -> Server {
    server_with(
        Policy {
            mode,
            ..Policy::default()
        },
        &[],
        true,
    )
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn error_kind(&self) -> &str {
        self.body["error"]["kind"].as_str().unwrap_or("<none>")
    }
}

/// A plain HTTP/1.1 exchange over a fresh loopback connection.
fn raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()))
    };
    Response {
        status,
        headers,
        body,
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in extra_headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

fn auth() -> (&'static str, String) {
    ("Authorization", format!("Bearer {TOKEN}"))
}

fn get(s: &Server, path: &str) -> Response {
    let (n, v) = auth();
    request(s.addr, "GET", path, &[(n, &v)], b"")
}

fn post(s: &Server, path: &str, body: Value) -> Response {
    let (n, v) = auth();
    request(
        s.addr,
        "POST",
        path,
        &[(n, &v), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn allowed(r: &Response) -> Vec<String> {
    r.body["recorder"]["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn status_of(r: &Response) -> &str {
    r.body["recorder"]["status"]["status"].as_str().unwrap()
}

fn answered(id: &str) -> Value {
    json!({"type": "answered", "call_id": id, "acd": true, "queue": "billing"})
}

#[test]
fn requests_without_the_right_token_are_refused() {
    let s = server(RecordingMode::AlwaysOn);
    let none = request(s.addr, "GET", "/v1/state", &[], b"");
    assert_eq!(none.status, 401);
    assert_eq!(none.error_kind(), "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = request(
        s.addr,
        "GET",
        "/v1/state",
        &[("Authorization", "Bearer test-token-0123456788")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let basic = request(
        s.addr,
        "GET",
        "/v1/state",
        &[("Authorization", &format!("Basic {TOKEN}"))],
        b"",
    );
    assert_eq!(basic.status, 401);
    // Unauthenticated requests change nothing.
    let sneaky = request(
        s.addr,
        "POST",
        "/v1/call-events",
        &[("Content-Type", "application/json")],
        answered("c1").to_string().as_bytes(),
    );
    assert_eq!(sneaky.status, 401);
    assert_eq!(status_of(&get(&s, "/v1/state")), "idle");
}

#[test]
fn state_reports_recorder_and_honest_unknowns() {
    let s = server(RecordingMode::OnDemand);
    let r = get(&s, "/v1/state");
    assert_eq!(r.status, 200);
    assert_eq!(status_of(&r), "idle");
    assert_eq!(r.body["recorder"]["mode"], "on_demand");
    assert_eq!(r.body["agent"]["capture"]["available"], false);
    assert_eq!(r.body["agent"]["upload_backlog"]["state"], "unknown");
    assert_eq!(r.body["agent"]["server"]["state"], "not_configured");
    assert_eq!(r.body["tray_state"], "idle");
}

#[test]
fn always_on_records_the_call_and_refuses_pause_with_the_reason() {
    let s = server(RecordingMode::AlwaysOn);
    let r = post(&s, "/v1/call-events", answered("c1"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status_of(&r), "recording");
    assert!(allowed(&r).is_empty());
    assert_eq!(r.body["recorder"]["call"]["call_id"], "c1");
    // Capture is not in this build: every source failed, and the state says so.
    assert_eq!(r.body["recorder"]["failing"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["tray_state"], "recording");
    assert_eq!(r.body["needs_attention"], true);

    let refused = post(&s, "/v1/actions", json!({"action": "pause"}));
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_kind(), "refused");
    assert_eq!(
        refused.body["error"]["refusal"],
        json!({"kind": "not_allowed_by_mode", "mode": "always_on"})
    );
    assert_eq!(
        refused.body["error"]["message"],
        "Always on recording does not allow this"
    );
    assert_eq!(status_of(&get(&s, "/v1/state")), "recording");
}

#[test]
fn on_demand_uis_start_pause_resume_stop_start() {
    let s = server(RecordingMode::OnDemandUis);
    let r = post(&s, "/v1/call-events", answered("c2"));
    assert_eq!(status_of(&r), "waiting");
    assert_eq!(allowed(&r), ["start"]);
    let r = post(&s, "/v1/actions", json!({"action": "start"}));
    assert_eq!((r.status, status_of(&r)), (200, "recording"));
    assert_eq!(allowed(&r), ["pause", "stop"]);
    let r = post(&s, "/v1/actions", json!({"action": "pause"}));
    assert_eq!(allowed(&r), ["resume", "stop"]);
    let again = post(&s, "/v1/actions", json!({"action": "pause"}));
    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["error"]["refusal"],
        json!({"kind": "wrong_state", "detail": "recording is already paused"})
    );
    let r = post(&s, "/v1/actions", json!({"action": "resume"}));
    assert_eq!(status_of(&r), "recording");
    let r = post(&s, "/v1/actions", json!({"action": "stop"}));
    assert_eq!(
        (status_of(&r), allowed(&r)),
        ("stopped", vec!["start".to_owned()])
    );
    let r = post(&s, "/v1/actions", json!({"action": "start"}));
    assert_eq!(status_of(&r), "recording");
    let r = post(
        &s,
        "/v1/call-events",
        json!({"type": "ended", "call_id": "c2", "wrapup": false}),
    );
    assert_eq!(status_of(&r), "idle");
    let r = post(&s, "/v1/actions", json!({"action": "start"}));
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["refusal"], json!({"kind": "no_call"}));
}

#[test]
fn live_session_prompt_is_answered_through_the_api() {
    let s = server_with(
        Policy {
            mode: RecordingMode::OnDemandUis,
            start_trigger: StartTrigger::Prompt,
            ..Policy::default()
        },
        &[],
        true,
    );
    post(
        &s,
        "/v1/call-events",
        json!({"type": "answered", "call_id": "room", "kind": "live"}),
    );
    let r = post(
        &s,
        "/v1/participant-events",
        json!({"type": "joined", "call_id": "room", "participant": "agent", "role": "host"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["recorder"]["prompt_pending"], true);
    assert_eq!(allowed(&r), ["start", "accept_prompt", "decline_prompt"]);
    let r = post(&s, "/v1/actions", json!({"action": "accept_prompt"}));
    assert_eq!(status_of(&r), "recording");
    assert_eq!(r.body["recorder"]["prompt_pending"], false);
    let r = post(&s, "/v1/actions", json!({"action": "decline_prompt"}));
    assert_eq!(r.body["error"]["refusal"], json!({"kind": "no_prompt"}));
}

#[test]
fn bad_requests_get_clear_json_errors_and_change_nothing() {
    let s = server(RecordingMode::PauseResume);
    let (n, v) = auth();
    let json_headers = [(n, v.as_str()), ("Content-Type", "application/json")];

    let r = request(
        s.addr,
        "POST",
        "/v1/call-events",
        &json_headers,
        b"{\"type\": ",
    );
    assert_eq!((r.status, r.error_kind()), (400, "malformed_json"));

    let r = post(
        &s,
        "/v1/call-events",
        json!({"type": "exploded", "call_id": "c"}),
    );
    assert_eq!((r.status, r.error_kind()), (422, "invalid_body"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exploded")
    );

    let r = post(&s, "/v1/call-events", json!({"type": "answered"}));
    assert_eq!(
        (r.status, r.error_kind()),
        (422, "invalid_body"),
        "no call_id"
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("call_id")
    );

    let r = post(&s, "/v1/actions", json!({"action": "delete_everything"}));
    assert_eq!((r.status, r.error_kind()), (422, "invalid_body"));
    let r = post(&s, "/v1/actions", json!({"action": "pause", "force": true}));
    assert_eq!((r.status, r.error_kind()), (422, "invalid_body"));

    let r = request(
        s.addr,
        "POST",
        "/v1/actions",
        &[(n, v.as_str())],
        br#"{"action":"pause"}"#,
    );
    assert_eq!((r.status, r.error_kind()), (415, "unsupported_media_type"));

    let big = format!(
        "{{\"type\":\"answered\",\"call_id\":\"{}\"}}",
        "x".repeat(local_api::MAX_BODY_BYTES)
    );
    let r = request(
        s.addr,
        "POST",
        "/v1/call-events",
        &json_headers,
        big.as_bytes(),
    );
    assert_eq!((r.status, r.error_kind()), (413, "payload_too_large"));

    let r = get(&s, "/v1/nothing-here");
    assert_eq!((r.status, r.error_kind()), (404, "not_found"));
    let r = get(&s, "/v1/actions");
    assert_eq!((r.status, r.error_kind()), (405, "method_not_allowed"));

    assert_eq!(status_of(&get(&s, "/v1/state")), "idle", "nothing changed");
}

#[test]
fn a_recorder_that_cannot_keep_up_answers_503() {
    let s = server_with(Policy::default(), &[], false);
    while s.recorder.try_input(Input::TimerFired).is_ok() {}
    let r = post(&s, "/v1/call-events", answered("c3"));
    assert_eq!((r.status, r.error_kind()), (503, "busy"));
}

#[test]
fn cors_lets_in_configured_origins_only() {
    let s = server_with(Policy::default(), &["https://crm.example.com"], true);
    let preflight = |origin: &str| {
        request(
            s.addr,
            "OPTIONS",
            "/v1/actions",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
            b"",
        )
    };
    let ok = preflight("https://crm.example.com");
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://crm.example.com")
    );
    let other = preflight("https://evil.example.net");
    assert_eq!(other.header("access-control-allow-origin"), None);

    let (n, v) = auth();
    let r = request(
        s.addr,
        "GET",
        "/v1/state",
        &[(n, &v), ("Origin", "https://crm.example.com")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://crm.example.com")
    );

    // Without configured origins, browsers get no CORS grant at all.
    let closed = server(RecordingMode::AlwaysOn);
    let r = request(
        closed.addr,
        "GET",
        "/v1/state",
        &[(n, &v), ("Origin", "https://crm.example.com")],
        b"",
    );
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[cfg(unix)]
#[test]
fn the_token_file_is_owner_only_and_names_the_url() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let token = ApiToken::random().unwrap();
    let path = local_api::token_file::write(dir.path(), "127.0.0.1:4321".parse().unwrap(), &token)
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let file: local_api::token_file::TokenFile =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file.url, "http://127.0.0.1:4321");
    assert_eq!(file.token, token.expose());
}
