//! Faults: the object store or the database going away under the server, and the server being
//! killed in the middle of an upload. The server answers a clear 503 (with `Retry-After`),
//! writes nothing half-way, and a retried upload succeeds once things are back.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use agentrec_core::wire::{DURATION_MS_HEADER, SHA256_HEADER, START_MS_HEADER};
use agentrec_testkit::{Child, free_port, wait_until};
use common::{Infra, Kind, fixtures, recording_body, sha256};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_then_database_down_answer_503_and_write_nothing() {
    let mut infra = Infra::start(Kind::PostgresS3);
    let env = infra.env("faults").await;
    let agent = env.agent("kim@example.com", None).await;
    let id = Uuid::new_v4();
    env.create_recording(&agent.device, id, &recording_body(false))
        .await;
    let seg = &fixtures::get().video.segments[0];

    infra.s3.as_mut().unwrap().stop();
    let (s, b) = env
        .upload(&agent.device, id, 2, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert!(b["error"].as_str().unwrap().contains("retry"), "{b}");
    assert!(
        !b["error"].as_str().unwrap().contains("s3"),
        "internals are not leaked: {b}"
    );
    let (s, status) = env
        .call(
            Method::GET,
            &format!("/agent/recordings/{id}/status"),
            Some(&agent.device),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        status["tracks"][1]["segments"],
        json!([]),
        "no row without its object"
    );
    let ready = env
        .client
        .get(env.base.replace("/api/v2", "/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));

    infra.pg.as_mut().unwrap().stop();
    let (s, b) = env
        .call(Method::GET, "/recordings", Some(&env.admin), None)
        .await;
    // A cached token still resolves; the catalog query then fails: 503 either way.
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert!(b["error"].is_string());
    let (s, _) = env
        .upload(&agent.device, id, 2, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}

fn serve(bin: &str, data: &std::path::Path, port: u16) -> Child {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data)
        .env("AGENTREC_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = Child::spawn("agentrec-ingest", cmd).unwrap();
    wait_until("agentrec-ingest", Duration::from_secs(20), None, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .unwrap();
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_upload_leaves_no_row_and_the_retry_succeeds() {
    let bin = env!("CARGO_BIN_EXE_agentrec-ingest");
    let data = std::env::temp_dir().join(format!("agentrec-kill-{}", Uuid::new_v4()));
    let out = Command::new(bin)
        .args(["bootstrap", "--email", "root@example.com"])
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port().unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v2");
    let client = reqwest::Client::new();
    let mut server = serve(bin, &data, port);

    let user: serde_json::Value = client
        .post(format!("{base}/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": "lee@example.com", "name": "Lee", "role": "member"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enrollment: serde_json::Value = client
        .post(format!("{base}/admin/enrollment-tokens"))
        .bearer_auth(&admin)
        .json(&json!({"user_id": user["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enrolled: serde_json::Value = client
        .post(format!("{base}/agent/enroll"))
        .bearer_auth(enrollment["token"].as_str().unwrap())
        .json(&json!({"hostname": "ws1", "os": "Linux", "app_version": "0.1.0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device = enrolled["device_token"].as_str().unwrap().to_owned();
    let id = Uuid::new_v4();
    let s = client
        .put(format!("{base}/agent/recordings/{id}"))
        .bearer_auth(&device)
        .json(&recording_body(false))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::CREATED);

    // Half the body, then the server dies.
    let seg = fixtures::get().video.segments[0].bytes.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let url = format!("{base}/agent/recordings/{id}/tracks/2/segments/1");
    let upload = tokio::spawn({
        let (client, device, sha, len) = (client.clone(), device.clone(), sha256(&seg), seg.len());
        async move {
            client
                .put(url)
                .bearer_auth(device)
                .header("content-type", "video/iso.segment")
                .header("content-length", len)
                .header(SHA256_HEADER, sha)
                .header(START_MS_HEADER, 0)
                .header(DURATION_MS_HEADER, 2000)
                .body(body)
                .send()
                .await
        }
    });
    tx.send(Ok(seg[..seg.len() / 2].to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    assert!(
        upload.await.unwrap().is_err(),
        "the interrupted upload failed"
    );
    drop(tx);

    let _server = serve(bin, &data, port);
    let status: serde_json::Value = client
        .get(format!("{base}/agent/recordings/{id}/status"))
        .bearer_auth(&device)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["tracks"][1]["segments"],
        json!([]),
        "nothing recorded of the interrupted upload"
    );
    let retry = client
        .put(format!("{base}/agent/recordings/{id}/tracks/2/segments/1"))
        .bearer_auth(&device)
        .header("content-type", "video/iso.segment")
        .header(SHA256_HEADER, sha256(&seg))
        .header(START_MS_HEADER, 0)
        .header(DURATION_MS_HEADER, 2000)
        .body(seg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    let status: serde_json::Value = client
        .get(format!("{base}/agent/recordings/{id}/status"))
        .bearer_auth(&device)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["tracks"][1]["segments"], json!([1]));
    let _ = std::fs::remove_dir_all(&data);
}
