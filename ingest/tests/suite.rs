//! The integration suite, run twice: on the embedded default (SQLite + local directory) and
//! at-scale configuration (a throwaway PostgreSQL cluster + the `s3s-fs` S3 server). Every
//! scenario gets a fresh catalog and store and talks to the real server over loopback HTTP.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "suite/viewer.rs"]
mod viewer;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentrec_core::wire::{DURATION_MS_HEADER, SHA256_HEADER, START_MS_HEADER};
use agentrec_ingest::Settings;
use common::{Infra, Kind, Scenario, fixtures, next_event, recording_body, sha256, sse};
use futures::FutureExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

fn scenarios() -> Vec<(&'static str, Scenario)> {
    vec![
        ("recording_lifecycle", |i| recording_lifecycle(i).boxed()),
        ("idempotent_and_conflicting_uploads", |i| uploads(i).boxed()),
        ("missing_segments_make_a_partial_recording", |i| {
            partial(i).boxed()
        }),
        ("policy_push_over_sse", |i| policy_push(i).boxed()),
        ("call_events_relay_and_buffering", |i| {
            call_events(i).boxed()
        }),
        ("retention_and_legal_hold", |i| retention(i).boxed()),
        ("bad_input_is_refused_and_nothing_written", |i| {
            bad_input(i).boxed()
        }),
        ("live_session_room_insights", |i| live_session(i).boxed()),
        ("viewer_filters_labels_bookmarks_share_links", |i| {
            viewer::viewer_features(i).boxed()
        }),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_on_sqlite_and_local_directory() {
    common::run_all(Arc::new(Infra::start(Kind::SqliteLocal)), scenarios()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_on_postgresql_and_s3() {
    common::run_all(Arc::new(Infra::start(Kind::PostgresS3)), scenarios()).await;
}

async fn recording_lifecycle(infra: Arc<Infra>) {
    let env = infra.env("lifecycle").await;
    let agent = env.agent("alice@example.com", None).await;
    let fx = fixtures::get();

    let (s, ack) = env
        .call(
            Method::POST,
            "/agent/heartbeat",
            Some(&agent.device),
            Some(
                json!({"app_version": "0.1.0", "os": "Windows 11", "recorder_state": "recording",
                "monitors": [{"monitor": "MON1", "width": 1920, "height": 1080, "primary": true}],
                "spool_bytes": 1234, "spool_segments": 2, "last_error": null}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    assert!(ack["policy_version"].as_u64().unwrap() >= 1);
    let (_, fleet) = env
        .call(Method::GET, "/admin/devices", Some(&env.admin), None)
        .await;
    assert_eq!(fleet[0]["online"], true);
    assert_eq!(fleet[0]["heartbeat"]["spool_bytes"], 1234);
    assert_eq!(fleet[0]["os"], "Windows 11");

    let id = Uuid::new_v4();
    assert_eq!(
        env.create_recording(&agent.device, id, &recording_body(false))
            .await,
        StatusCode::CREATED
    );
    assert_eq!(
        env.create_recording(&agent.device, id, &recording_body(false))
            .await,
        StatusCode::OK,
        "retry is idempotent"
    );
    env.upload_all(&agent.device, id).await;

    let (s, status) = env
        .call(
            Method::GET,
            &format!("/agent/recordings/{id}/status"),
            Some(&agent.device),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(status["state"], "open");
    assert_eq!(status["tracks"][1]["init"], true);
    assert_eq!(status["tracks"][1]["segments"], json!([1, 2, 3]));

    // While open, the download is not available and the playlist is a growing EVENT playlist.
    let (s, b) = env
        .call(
            Method::GET,
            &format!("/recordings/{id}/download"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let live = env
        .req(
            Method::GET,
            &format!("/recordings/{id}/tracks/2/playlist.m3u8"),
            Some(&env.admin),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        live.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !live.contains("ENDLIST"),
        "{live}"
    );

    let fin = env.finalize(&agent.device, id).await;
    assert_eq!(fin["outcome"], "complete", "{fin}");
    assert_eq!(
        fin["title"],
        "Rec - 2023-11-14 22:13 UTC - Invoice question"
    );
    assert_eq!(
        fin["duration_ms"],
        fx.audio.duration_ms().max(fx.video.duration_ms())
    );
    assert_eq!(
        env.finalize(&agent.device, id).await["title"],
        fin["title"],
        "finalize is idempotent"
    );

    let (s, rec) = env
        .call(
            Method::GET,
            &format!("/recordings/{id}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    assert_eq!(rec["uuid"], id.to_string());
    assert_eq!(rec["title"], fin["title"]);
    assert_eq!(rec["metadata"]["duration"], 6);
    assert_eq!(rec["metadata"]["recording_type"], "Received");
    assert_eq!(rec["metadata"]["impressions_count"], 1);
    assert_eq!(rec["metadata"]["helpdesk_info"]["platform"], "zendesk");
    assert_eq!(rec["metadata"]["helpdesk_info"]["ticket_id"], "4711");
    assert_eq!(rec["customer"]["email"], "customer@example.org");
    assert_eq!(rec["user"]["email"], "alice@example.com");
    assert_eq!(rec["technical_details"]["timezone"], "Europe/Paris");
    assert!(rec["room_insights"].is_null());
    assert_eq!(rec["agentrec"]["width"], 320);
    assert_eq!(rec["agentrec"]["tracks"].as_array().unwrap().len(), 3);
    assert_eq!(rec["agentrec"]["timeline"][1]["event"], "held");
    let (_, again) = env
        .call(
            Method::GET,
            &format!("/recordings/{id}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(
        again["metadata"]["impressions_count"], 2,
        "every view counts"
    );

    // HLS: each track's playlist with EXT-X-MAP, every segment, closed.
    let playlist_url = rec["agentrec"]["tracks"][1]["playlist_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let playlist = env
        .client
        .get(&playlist_url)
        .bearer_auth(&env.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        playlist.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let playlist = playlist.text().await.unwrap();
    assert!(
        playlist.contains("#EXT-X-MAP:URI=\"init.mp4\""),
        "{playlist}"
    );
    assert_eq!(playlist.matches(".m4s").count(), 3);
    assert!(playlist.ends_with("#EXT-X-ENDLIST\n"));
    let base = playlist_url.trim_end_matches("playlist.m3u8");
    let init = env
        .client
        .get(format!("{base}init.mp4"))
        .bearer_auth(&env.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&init[..], &fx.video.init[..]);
    let seg2 = env
        .client
        .get(format!("{base}segments/2.m4s"))
        .bearer_auth(&env.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&seg2[..], &fx.video.segments[1].bytes[..]);

    // The download: one playable MP4 (primary video + audio), exact Content-Length.
    let resp = env
        .req(
            Method::GET,
            &format!("/recordings/{id}/download"),
            Some(&env.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let length: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("recording-{id}.mp4"))
    );
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), length);
    let file = infra.tmp.join(format!("{id}.mp4"));
    std::fs::write(&file, &body).unwrap();
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(&file)
        .args(["-map", "0", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        decode.status.success() && decode.stderr.is_empty() && decode.stdout.is_empty(),
        "ffmpeg complained: {}",
        String::from_utf8_lossy(&decode.stderr)
    );
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration",
            "-of",
            "json",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let probe: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let codecs: Vec<&str> = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap())
        .collect();
    assert_eq!(codecs, vec!["av1", "opus"]);
    let duration: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((duration - 6.0).abs() < 0.2, "duration {duration}");

    let (_, audit) = env
        .call(Method::GET, "/admin/audit", Some(&env.admin), None)
        .await;
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for expected in [
        "recording.view",
        "recording.download",
        "recording.play",
        "recording.finalize",
        "device.enroll",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} not audited: {actions:?}"
        );
    }

    let (s, patched) = env.call(Method::PATCH, &format!("/recordings/{id}"), Some(&env.admin),
        Some(json!({"recording": {"title": "Escalation", "summary": null, "description": "kept"}}))).await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["title"], "Escalation");
    assert_eq!(patched["description"], "kept");
    let (_, list) = env
        .call(Method::GET, "/recordings?page=1", Some(&env.admin), None)
        .await;
    assert_eq!(list["pagination"]["count"], 1);
    assert_eq!(list["records"][0]["title"], "Escalation");
}

async fn uploads(infra: Arc<Infra>) {
    let env = infra.env("uploads").await;
    let agent = env.agent("bob@example.com", None).await;
    let fx = fixtures::get();
    let id = Uuid::new_v4();
    env.create_recording(&agent.device, id, &recording_body(false))
        .await;
    let seg = &fx.video.segments[0];
    let (s, first) = env
        .upload(&agent.device, id, 2, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["duplicate"], false);
    let (s, again) = env
        .upload(&agent.device, id, 2, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::OK, "same bytes again: {again}");
    assert_eq!(again["duplicate"], true);
    let other = &fx.video.segments[1].bytes;
    let (s, b) = env.upload(&agent.device, id, 2, 1, other, 0, 2000).await;
    assert_eq!(s, StatusCode::CONFLICT, "different bytes, same key: {b}");
    assert!(b["error"].as_str().unwrap().contains("different bytes"));

    // Checksum mismatch: nothing stored.
    let resp = env
        .req(
            Method::PUT,
            &format!("/agent/recordings/{id}/tracks/2/segments/2"),
            Some(&agent.device),
        )
        .header("content-type", "video/iso.segment")
        .header(SHA256_HEADER, sha256(b"something else"))
        .header(START_MS_HEADER, 2000)
        .header(DURATION_MS_HEADER, 2000)
        .body(fx.video.segments[1].bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("checksum mismatch"));
    assert_eq!(env.segment_rows().await, 1);

    // Concurrent uploads of the same segment: exactly one row, all answers 2xx.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (base, device, bytes) = (
            env.base.clone(),
            agent.device.clone(),
            fx.video.segments[2].bytes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .put(format!("{base}/agent/recordings/{id}/tracks/2/segments/3"))
                .bearer_auth(device)
                .header("content-type", "video/iso.segment")
                .header(SHA256_HEADER, sha256(&bytes))
                .header(START_MS_HEADER, 4000)
                .header(DURATION_MS_HEADER, 2000)
                .body(bytes)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s}");
        created += usize::from(s == StatusCode::CREATED);
    }
    assert!(created <= 1 + 7, "at least answered");
    assert_eq!(
        env.segment_rows().await,
        2,
        "one row per (recording, track, seq)"
    );

    // After finalize no new segments; a retry of a stored one still answers 200.
    env.finalize(&agent.device, id).await;
    let (s, _) = env
        .upload(&agent.device, id, 1, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = env
        .upload(&agent.device, id, 2, 1, &seg.bytes, 0, 2000)
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn partial(infra: Arc<Infra>) {
    let env = infra.env("partial").await;
    let agent = env.agent("carol@example.com", None).await;
    let fx = fixtures::get();
    let id = Uuid::new_v4();
    env.create_recording(&agent.device, id, &recording_body(false))
        .await;
    for track in [1, 2] {
        env.upload(&agent.device, id, track, 0, &fx.video.init, 0, 0)
            .await;
        for seg in fx.video.segments.iter().filter(|s| s.seq != 2) {
            let (s, _) = env
                .upload(
                    &agent.device,
                    id,
                    track,
                    seg.seq,
                    &seg.bytes,
                    seg.start_ms,
                    seg.duration_ms,
                )
                .await;
            assert_eq!(s, StatusCode::CREATED);
        }
    }
    let fin = env.finalize(&agent.device, id).await;
    assert_eq!(fin["outcome"], "partial", "{fin}");
    let missing = fin["missing"].as_array().unwrap();
    assert!(
        missing
            .iter()
            .any(|m| m["track"] == 2 && m["seqs"] == json!([2])),
        "{fin}"
    );
    assert!(
        missing.iter().any(|m| m["track"] == 3 && m["init"] == true),
        "audio never came: {fin}"
    );
    let playlist = env
        .req(
            Method::GET,
            &format!("/recordings/{id}/tracks/2/playlist.m3u8"),
            Some(&env.admin),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        playlist.contains("#EXT-X-GAP"),
        "the hole is a gap: {playlist}"
    );
    // Without audio the download is the video alone, still playable.
    let resp = env
        .req(
            Method::GET,
            &format!("/recordings/{id}/download"),
            Some(&env.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, rec) = env
        .call(
            Method::GET,
            &format!("/recordings/{id}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(rec["agentrec"]["outcome"], "partial");
}

async fn policy_push(infra: Arc<Infra>) {
    let env = infra.env("policy").await;
    let team = env.team("Billing").await;
    let agent = env.agent("dave@example.com", Some(team)).await;
    let mut events = sse(&env, &agent.device, None);
    let (name, _, first) = next_event(&mut events).await;
    assert_eq!(name, "policy");
    let v0 = first["policy"]["version"].as_u64().unwrap();
    assert_eq!(first["policy"]["mode"], "always_on");

    let started = Instant::now();
    let (s, b) = env
        .call(
            Method::PUT,
            "/admin/policy",
            Some(&env.admin),
            Some(json!({"mode": "pause_resume"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (name, _, pushed) = next_event(&mut events).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "pushed within a second"
    );
    assert_eq!(name, "policy");
    assert_eq!(pushed["policy"]["mode"], "pause_resume");
    let v1 = pushed["policy"]["version"].as_u64().unwrap();
    assert!(v1 > v0);

    let (s, b) = env
        .call(
            Method::PUT,
            &format!("/admin/teams/{team}/policy"),
            Some(&env.admin),
            Some(json!({"mode": "on_demand_uis", "capture": {"max_monitors": 2}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["effective"]["capture"]["max_monitors"], 2);
    let (_, _, team_policy) = next_event(&mut events).await;
    assert_eq!(team_policy["policy"]["mode"], "on_demand_uis");
    assert!(team_policy["policy"]["version"].as_u64().unwrap() > v1);
    let (_, current) = env
        .call(Method::GET, "/agent/policy", Some(&agent.device), None)
        .await;
    assert_eq!(current, team_policy["policy"]);

    let (s, b) = env
        .call(
            Method::PUT,
            "/admin/policy",
            Some(&env.admin),
            Some(json!({"capture": {"max_monitors": 9}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("capture.max_monitors"),
        "{b}"
    );
    let (s, b) = env
        .call(
            Method::PUT,
            &format!("/admin/teams/{team}/policy"),
            Some(&env.admin),
            Some(json!({"mood": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // The version is persisted: a restarted server continues from it.
    let set = env.state.db.policy_set().await.unwrap();
    assert_eq!(
        set.version,
        team_policy["policy"]["version"].as_u64().unwrap()
    );
    let (_, audit) = env
        .call(
            Method::GET,
            "/admin/audit?action=policy.update",
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(audit["pagination"]["count"], 1);
}

async fn call_events(infra: Arc<Infra>) {
    let env = infra.env("calls").await;
    let agent = env.agent("erin@example.com", None).await;
    let (_, integration) = env.user("cti@example.com", "integration", None).await;
    let answered = json!({"agent": "erin@example.com", "event": {"call": {"type": "answered", "call_id": "c-9", "acd": true, "queue": "sales"}}});
    let (s, offline) = env
        .call(
            Method::POST,
            "/integrations/call-events",
            Some(&integration),
            Some(answered),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{offline}");
    assert_eq!(offline["delivered"], 0, "agent offline");

    let mut events = sse(&env, &agent.device, None);
    assert_eq!(next_event(&mut events).await.0, "policy");
    let (name, id, buffered) = next_event(&mut events).await;
    assert_eq!(name, "agent");
    assert_eq!(id.as_deref(), offline["id"].as_str());
    assert_eq!(buffered["event"]["call"]["type"], "answered");
    assert_eq!(buffered["event"]["call"]["queue"], "sales");

    let held =
        json!({"agent": "erin@example.com", "event": {"call": {"type": "held", "call_id": "c-9"}}});
    let (_, live) = env
        .call(
            Method::POST,
            "/integrations/call-events",
            Some(&integration),
            Some(held),
        )
        .await;
    assert_eq!(live["delivered"], 1);
    let (_, id2, ev) = next_event(&mut events).await;
    assert_eq!(ev["event"]["call"]["type"], "held");

    // Reconnecting with Last-Event-ID replays only what came after.
    let ended = json!({"agent": "erin@example.com", "event": {"call": {"type": "ended", "call_id": "c-9"}}});
    env.call(
        Method::POST,
        "/integrations/call-events",
        Some(&integration),
        Some(ended),
    )
    .await;
    let mut again = sse(&env, &agent.device, id2.as_deref());
    assert_eq!(next_event(&mut again).await.0, "policy");
    let (_, _, replayed) = next_event(&mut again).await;
    assert_eq!(replayed["event"]["call"]["type"], "ended");

    // Participant events too; unknown agents and malformed events are refused.
    let joined = json!({"agent": "erin@example.com", "event": {"participant": {"type": "joined", "call_id": "r1", "participant": "g1", "role": "guest"}}});
    let (s, _) = env
        .call(
            Method::POST,
            "/integrations/call-events",
            Some(&integration),
            Some(joined),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, _) = env.call(Method::POST, "/integrations/call-events", Some(&integration),
        Some(json!({"agent": "nobody@example.com", "event": {"call": {"type": "held", "call_id": "x"}}}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = env
        .call(
            Method::POST,
            "/integrations/call-events",
            Some(&integration),
            Some(json!({"agent": "erin@example.com", "event": {"call": {"type": "exploded"}}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = env.call(Method::POST, "/integrations/call-events", Some(&agent.token),
        Some(json!({"agent": "erin@example.com", "event": {"call": {"type": "held", "call_id": "x"}}}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a member cannot post call events");
}

async fn retention(infra: Arc<Infra>) {
    let env = infra.env("retention").await;
    let agent = env.agent("frank@example.com", None).await;
    let old_voice = env.full_recording(&agent, false).await;
    let old_live = env.full_recording(&agent, true).await;
    let held = env.full_recording(&agent, false).await;
    let young = env.full_recording(&agent, false).await;
    let forty_days_ago = agentrec_ingest::clock::now_ms() - 40 * 86_400_000;
    for id in [old_voice, old_live, held] {
        sqlx::query("UPDATE recordings SET created_at = $1 WHERE id = $2")
            .bind(forty_days_ago)
            .bind(id.to_string())
            .execute(&env.state.db.pool)
            .await
            .unwrap();
    }
    let (s, _) = env
        .call(
            Method::PUT,
            &format!("/admin/recordings/{held}/legal-hold"),
            Some(&env.admin),
            Some(json!({"hold": true})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Live sessions kept 30 days, other recordings 60: only the old live one goes.
    let (s, b) = env
        .call(
            Method::PUT,
            "/admin/policy",
            Some(&env.admin),
            Some(json!({"retention": {"live_days": 30, "other_days": 60}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, report) = env
        .call(Method::POST, "/admin/retention/run", Some(&env.admin), None)
        .await;
    assert_eq!(report["deleted"], json!([old_live.to_string()]), "{report}");
    assert!(
        report["objects"].as_u64().unwrap() >= 10,
        "segments, inits and playlists deleted: {report}"
    );
    let (s, _) = env
        .call(
            Method::GET,
            &format!("/recordings/{old_live}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    env.call(
        Method::PUT,
        "/admin/policy",
        Some(&env.admin),
        Some(json!({"retention": {"live_days": 30, "other_days": 30}})),
    )
    .await;
    let (_, report) = env
        .call(Method::POST, "/admin/retention/run", Some(&env.admin), None)
        .await;
    assert_eq!(
        report["deleted"],
        json!([old_voice.to_string()]),
        "held and young recordings stay: {report}"
    );
    for (id, present) in [(held, true), (young, true), (old_voice, false)] {
        let (s, _) = env
            .call(
                Method::GET,
                &format!("/recordings/{id}"),
                Some(&env.admin),
                None,
            )
            .await;
        assert_eq!(s == StatusCode::OK, present, "{id}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM segments WHERE recording_id = $1")
        .bind(old_voice.to_string())
        .fetch_one(&env.state.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let (_, audit) = env
        .call(
            Method::GET,
            "/admin/audit?action=recording.delete",
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(audit["pagination"]["count"], 2);
    assert_eq!(audit["records"][0]["detail"]["reason"], "retention");

    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/admin/recordings/{held}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "legal hold blocks deletion by hand too"
    );
}

async fn bad_input(infra: Arc<Infra>) {
    let settings = Settings {
        max_segment_bytes: 64 << 10,
        ..Settings::default()
    };
    let env = infra.env_with("bad", settings).await;
    let agent = env.agent("gina@example.com", None).await;
    let other = env.agent("hank@example.com", None).await;
    let id = Uuid::new_v4();
    env.create_recording(&agent.device, id, &recording_body(false))
        .await;
    let rows_before = env.segment_rows().await;

    let resp = env
        .req(
            Method::PUT,
            &format!("/agent/recordings/{}", Uuid::new_v4()),
            Some(&agent.device),
        )
        .header("content-type", "application/json")
        .body("{\"call_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.json::<serde_json::Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    let resp = env
        .req(Method::POST, "/agent/heartbeat", Some(&agent.device))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _) = env
        .call(
            Method::POST,
            "/agent/heartbeat",
            Some(&agent.device),
            Some(json!({"app_version": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Oversized segment (declared and streamed), wrong content type, missing checksum.
    let big = vec![0u8; 100 << 10];
    let (s, b) = env.upload(&agent.device, id, 2, 1, &big, 0, 1000).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    let resp = env
        .req(
            Method::PUT,
            &format!("/agent/recordings/{id}/tracks/2/segments/1"),
            Some(&agent.device),
        )
        .header("content-type", "image/gif")
        .header(SHA256_HEADER, sha256(b"x"))
        .header(START_MS_HEADER, 0)
        .header(DURATION_MS_HEADER, 1)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = env
        .req(
            Method::PUT,
            &format!("/agent/recordings/{id}/tracks/2/segments/1"),
            Some(&agent.device),
        )
        .header("content-type", "video/iso.segment")
        .header(START_MS_HEADER, 0)
        .header(DURATION_MS_HEADER, 1)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Not MP4 at all, and a truncated segment.
    let (s, b) = env
        .upload(
            &agent.device,
            id,
            2,
            1,
            b"GIF89a definitely not a video",
            0,
            1000,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let seg = &fixtures::get().video.segments[0].bytes;
    let (s, b) = env
        .upload(&agent.device, id, 2, 1, &seg[..seg.len() / 2], 0, 1000)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // An init where a media segment belongs, and the other way round.
    let (s, _) = env
        .upload(
            &agent.device,
            id,
            2,
            1,
            &fixtures::get().video.init,
            0,
            1000,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = env.upload(&agent.device, id, 2, 0, seg, 0, 0).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Unregistered track, another agent's recording.
    let (s, _) = env.upload(&agent.device, id, 9, 1, seg, 0, 1000).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = env.upload(&other.device, id, 2, 1, seg, 0, 1000).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Bad ids and path traversal.
    for path in [
        "/recordings/not-a-uuid".to_owned(),
        "/recordings/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/recordings/{id}/tracks/abc/playlist.m3u8"),
        format!("/recordings/{id}/tracks/1/segments/..%2F..%2Fcatalog.db"),
        format!("/recordings/{id}/tracks/-1/init.mp4"),
    ] {
        let (s, b) = env.call(Method::GET, &path, Some(&env.admin), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {b}");
        assert!(b["error"].is_string(), "{path}");
    }
    let (s, _) = env
        .call(
            Method::PUT,
            &format!("/agent/recordings/{id}/tracks/1/segments/..%2F1"),
            Some(&agent.device),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = env
        .call(Method::GET, "/recordings?page=0", Some(&env.admin), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = env
        .call(Method::GET, "/recordings?page=abc", Some(&env.admin), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // PATCH validation.
    for body in [
        json!([1, 2]),
        json!({"recording": []}),
        json!({"recording": {"title": 5}}),
        json!({"recording": {"title": null}}),
        json!("x"),
    ] {
        let (s, b) = env
            .call(
                Method::PATCH,
                &format!("/recordings/{id}"),
                Some(&env.admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert!(b["error"].is_string());
    }

    // Tokens: missing, forged, revoked, replayed enrollment; all 401 JSON and audited.
    let (s, b) = env.call(Method::GET, "/recordings", None, None).await;
    assert_eq!(
        (s, b["error"].is_string()),
        (StatusCode::UNAUTHORIZED, true)
    );
    let forged = format!("{}x", &env.admin[..env.admin.len() - 1]);
    let (s, _) = env
        .call(Method::GET, "/recordings", Some(&forged), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = env
        .call(Method::GET, "/recordings", Some("Basic dXNlcjpwdw=="), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, user) = (0, env.user("temp@example.com", "admin", None).await);
    let (s, _) = env
        .call(Method::GET, "/recordings", Some(&user.1), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let token_id: String = sqlx::query_scalar("SELECT id FROM tokens WHERE user_id = $1")
        .bind(user.0.id.to_string())
        .fetch_one(&env.state.db.pool)
        .await
        .unwrap();
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/admin/tokens/{token_id}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = env
        .call(Method::GET, "/recordings", Some(&user.1), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked: {b}");
    // Revoking a device ends its credential; a second revoke, or an unknown device, is a 404.
    let revoked = env.agent("revoked@example.com", None).await;
    let (_, fleet) = env
        .call(Method::GET, "/admin/devices", Some(&env.admin), None)
        .await;
    let device_id = fleet
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["user_email"] == "revoked@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hb = json!({"app_version": "0.1.0", "os": "Linux"});
    let (s, _) = env
        .call(
            Method::POST,
            "/agent/heartbeat",
            Some(&revoked.device),
            Some(hb.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let path = format!("/admin/devices/{device_id}");
    let (s, _) = env
        .call(Method::DELETE, &path, Some(&revoked.device), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a device cannot revoke itself");
    let (s, _) = env
        .call(Method::DELETE, &path, Some(&env.admin), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = env
        .call(
            Method::POST,
            "/agent/heartbeat",
            Some(&revoked.device),
            Some(hb),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked device");
    let (s, _) = env
        .call(Method::DELETE, &path, Some(&env.admin), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, e) = env
        .call(
            Method::POST,
            "/admin/enrollment-tokens",
            Some(&env.admin),
            Some(json!({"user_id": agent.user.id})),
        )
        .await;
    let enrollment = e["token"].as_str().unwrap();
    let body = json!({"hostname": "h", "os": "o", "app_version": "1"});
    let (s, _) = env
        .call(
            Method::POST,
            "/agent/enroll",
            Some(enrollment),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = env
        .call(Method::POST, "/agent/enroll", Some(enrollment), Some(body))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "replayed enrollment: {b}");
    let (_, audit) = env
        .call(
            Method::GET,
            "/admin/audit?action=auth.failure",
            Some(&env.admin),
            None,
        )
        .await;
    assert!(
        audit["pagination"]["count"].as_i64().unwrap() >= 4,
        "{audit}"
    );

    assert_eq!(env.segment_rows().await, rows_before, "nothing was written");
    let (_, status) = env
        .call(
            Method::GET,
            &format!("/agent/recordings/{id}/status"),
            Some(&agent.device),
            None,
        )
        .await;
    assert!(
        status["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["segments"] == json!([]) && t["init"] == false)
    );
}

async fn live_session(infra: Arc<Infra>) {
    let env = infra.env("live").await;
    let agent = env.agent("ivy@example.com", None).await;
    let id = env.full_recording(&agent, true).await;
    let (_, rec) = env
        .call(
            Method::GET,
            &format!("/recordings/{id}"),
            Some(&env.admin),
            None,
        )
        .await;
    assert_eq!(rec["metadata"]["recording_type"], "Live");
    let insights = &rec["room_insights"];
    assert_eq!(insights["total_unique_participants"], 2);
    assert_eq!(insights["participants_insights"][1]["role"], "guest");
    assert_eq!(insights["started_at"], "2023-11-14T22:13:20Z");
    assert_eq!(insights["duration"], 6);
}
