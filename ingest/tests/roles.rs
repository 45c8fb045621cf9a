//! The role matrix: every endpoint × every kind of caller × own and other's recording, under
//! the default policy (agents may not view, only admins download, as Genesys) and under a
//! permissive one. A recording the caller may not see is 404 (no probing of ids); a
//! permission the caller lacks on one it can see is 403; no or bad credentials are 401.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{Infra, Kind};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    Supervisor,
    Member,
    Integration,
    Device,
    Anonymous,
    Forged,
}

const CALLERS: [Caller; 7] = [
    Caller::Admin,
    Caller::Supervisor,
    Caller::Member,
    Caller::Integration,
    Caller::Device,
    Caller::Anonymous,
    Caller::Forged,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Get,
    Patch,
    Download,
    Playlist,
    Init,
    Segment,
    Poster,
    ListBookmarks,
    AddBookmark,
    SetLabels,
    ShareLink,
    ListShareLinks,
}

const OPS: [Op; 12] = [
    Op::Get,
    Op::Patch,
    Op::Download,
    Op::Playlist,
    Op::Init,
    Op::Segment,
    Op::Poster,
    Op::ListBookmarks,
    Op::AddBookmark,
    Op::SetLabels,
    Op::ShareLink,
    Op::ListShareLinks,
];

/// What the rules say. `own`: the member's own recording / the supervisor's team's.
fn expected(caller: Caller, op: Op, own: bool, permissive: bool) -> StatusCode {
    use StatusCode as S;
    match caller {
        Caller::Anonymous | Caller::Forged => S::UNAUTHORIZED,
        Caller::Integration | Caller::Device => S::FORBIDDEN,
        Caller::Admin if matches!(op, Op::AddBookmark | Op::ShareLink) => S::CREATED,
        Caller::Admin => S::OK,
        Caller::Member if !permissive => S::FORBIDDEN,
        Caller::Supervisor | Caller::Member if !own => S::NOT_FOUND,
        Caller::Supervisor | Caller::Member => match op {
            Op::Patch | Op::SetLabels | Op::ShareLink | Op::ListShareLinks => S::FORBIDDEN,
            Op::AddBookmark => S::CREATED,
            Op::Download if !permissive => S::FORBIDDEN,
            _ => S::OK,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_role_on_own_and_others_recordings() {
    let infra = Arc::new(Infra::start(Kind::SqliteLocal));
    let env = infra.env("roles").await;
    let team_a = env.team("A").await;
    let team_b = env.team("B").await;
    let (supervisor, supervisor_token) = env.user("sup@example.com", "supervisor", None).await;
    let (s, _) = env
        .call(
            Method::POST,
            &format!("/admin/teams/{team_a}/supervisors"),
            Some(&env.admin),
            Some(json!({"user_id": supervisor.id})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let member = env.agent("a1@example.com", Some(team_a)).await;
    let outsider = env.agent("b1@example.com", Some(team_b)).await;
    let (_, integration) = env.user("cti@example.com", "integration", None).await;
    let own = env.full_recording(&member, false).await;
    let other = env.full_recording(&outsider, false).await;
    for (agent, id) in [(&member, own), (&outsider, other)] {
        let resp = env
            .req(
                Method::PUT,
                &format!("/agent/recordings/{id}/tracks/2/poster"),
                Some(&agent.device),
            )
            .header("content-type", "image/png")
            .body(b"\x89PNG\r\n\x1a\nposter".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    let forged = format!("ar_api_{}", "A".repeat(43));
    let token = |c: Caller| -> Option<String> {
        match c {
            Caller::Admin => Some(env.admin.clone()),
            Caller::Supervisor => Some(supervisor_token.clone()),
            Caller::Member => Some(member.token.clone()),
            Caller::Integration => Some(integration.clone()),
            Caller::Device => Some(member.device.clone()),
            Caller::Anonymous => None,
            Caller::Forged => Some(forged.clone()),
        }
    };

    let mut checked = 0;
    let mut wrong = Vec::new();
    for permissive in [false, true] {
        if permissive {
            let (s, b) = env
                .call(Method::PUT, "/admin/policy", Some(&env.admin), Some(json!({"access": {
                    "agents_view_own": true, "download": {"admin": true, "supervisor": true, "agent": true}}})))
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        for caller in CALLERS {
            for (is_own, id) in [(true, own), (false, other)] {
                for op in OPS {
                    let (method, path, body) = match op {
                        Op::Get => (Method::GET, format!("/recordings/{id}"), None),
                        Op::Patch => (
                            Method::PATCH,
                            format!("/recordings/{id}"),
                            Some(json!({"recording": {"summary": "s"}})),
                        ),
                        Op::Download => (Method::GET, format!("/recordings/{id}/download"), None),
                        Op::Playlist => (
                            Method::GET,
                            format!("/recordings/{id}/tracks/2/playlist.m3u8"),
                            None,
                        ),
                        Op::Init => (
                            Method::GET,
                            format!("/recordings/{id}/tracks/2/init.mp4"),
                            None,
                        ),
                        Op::Segment => (
                            Method::GET,
                            format!("/recordings/{id}/tracks/2/segments/1.m4s"),
                            None,
                        ),
                        Op::Poster => (
                            Method::GET,
                            format!("/recordings/{id}/tracks/2/poster"),
                            None,
                        ),
                        Op::ListBookmarks => {
                            (Method::GET, format!("/recordings/{id}/bookmarks"), None)
                        }
                        Op::AddBookmark => (
                            Method::POST,
                            format!("/recordings/{id}/bookmarks"),
                            Some(json!({"offset_ms": 500, "body": "look here"})),
                        ),
                        Op::SetLabels => (
                            Method::PUT,
                            format!("/recordings/{id}/labels"),
                            Some(json!({"labels": ["qa"], "folder": "coaching"})),
                        ),
                        Op::ShareLink => (
                            Method::POST,
                            format!("/recordings/{id}/share-links"),
                            Some(json!({"expires_in_hours": 1})),
                        ),
                        Op::ListShareLinks => {
                            (Method::GET, format!("/recordings/{id}/share-links"), None)
                        }
                    };
                    let mut req = env.req(method, &path, token(caller).as_deref());
                    if let Some(b) = body {
                        req = req.json(&b);
                    }
                    let resp = req.send().await.unwrap();
                    let got = resp.status();
                    let want = expected(caller, op, is_own, permissive);
                    if !got.is_success() {
                        let b: serde_json::Value = resp.json().await.unwrap();
                        assert!(b["error"].is_string(), "{caller:?} {op:?}: error body {b}");
                    }
                    if got != want {
                        wrong.push(format!("{caller:?} {op:?} own={is_own} permissive={permissive}: got {got}, want {want}"));
                    }
                    checked += 1;
                }
            }
            // The list shows exactly what the caller may see.
            let (s, list) = env
                .call(Method::GET, "/recordings", token(caller).as_deref(), None)
                .await;
            let seen: Vec<Uuid> = list["records"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|r| r["uuid"].as_str().unwrap().parse().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let (want_status, want_seen) = match caller {
                Caller::Admin => (StatusCode::OK, vec![own, other]),
                Caller::Supervisor => (StatusCode::OK, vec![own]),
                Caller::Member if permissive => (StatusCode::OK, vec![own]),
                Caller::Anonymous | Caller::Forged => (StatusCode::UNAUTHORIZED, vec![]),
                _ => (StatusCode::FORBIDDEN, vec![]),
            };
            let mut seen_sorted = seen.clone();
            seen_sorted.sort();
            let mut want_sorted = want_seen.clone();
            want_sorted.sort();
            if s != want_status || seen_sorted != want_sorted {
                wrong.push(format!(
                    "{caller:?} list permissive={permissive}: got {s} {seen:?}"
                ));
            }
            checked += 1;
        }
    }

    // Agent endpoints: only the owning device; others' recordings are 404; API tokens 403.
    let agent_ops = |id: Uuid| -> Vec<(Method, String, Option<serde_json::Value>)> {
        vec![
            (Method::GET, format!("/agent/recordings/{id}/status"), None),
            (
                Method::PUT,
                format!("/agent/recordings/{id}/tracks/9"),
                Some(
                    json!({"track": 9, "codec": "opus", "timescale": 48000, "start_ms": 0, "kind": "audio", "sample_rate": 48000, "channels": 2}),
                ),
            ),
            (
                Method::POST,
                format!("/agent/recordings/{id}/finalize"),
                Some(
                    json!({"finalized": {"recording": id, "call": "c", "outcome": "complete", "reason": "call_ended", "capture_failed": false, "recorded_ms": 1, "duration_ms": 1, "timeline": []}, "last_seq": {}}),
                ),
            ),
        ]
    };
    for caller in CALLERS {
        for (is_own, id) in [(true, own), (false, other)] {
            for (method, path, body) in agent_ops(id) {
                let mut req = env.req(method.clone(), &path, token(caller).as_deref());
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let got = req.send().await.unwrap().status();
                let want = match caller {
                    Caller::Anonymous | Caller::Forged => StatusCode::UNAUTHORIZED,
                    Caller::Device if !is_own => StatusCode::NOT_FOUND,
                    // Tracks cannot be added to a finalized recording.
                    Caller::Device if method == Method::PUT => StatusCode::CONFLICT,
                    Caller::Device => StatusCode::OK,
                    _ => StatusCode::FORBIDDEN,
                };
                if got != want {
                    wrong.push(format!(
                        "{caller:?} {method} {path}: got {got}, want {want}"
                    ));
                }
                checked += 1;
            }
        }
        for (method, path, body) in [
            (
                Method::POST,
                "/agent/heartbeat",
                Some(json!({"app_version": "1", "os": "x"})),
            ),
            (Method::GET, "/agent/policy", None),
        ] {
            let mut req = env.req(method.clone(), path, token(caller).as_deref());
            if let Some(b) = body {
                req = req.json(&b);
            }
            let got = req.send().await.unwrap().status();
            let want = match caller {
                Caller::Anonymous | Caller::Forged => StatusCode::UNAUTHORIZED,
                Caller::Device => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            if got != want {
                wrong.push(format!(
                    "{caller:?} {method} {path}: got {got}, want {want}"
                ));
            }
            checked += 1;
        }
        // Admin endpoints: admins only.
        for (method, path, body) in [
            (Method::GET, "/admin/users".to_owned(), None),
            (Method::GET, "/admin/teams".to_owned(), None),
            (Method::GET, "/admin/policy".to_owned(), None),
            (Method::GET, format!("/admin/teams/{team_a}/policy"), None),
            (Method::GET, "/admin/devices".to_owned(), None),
            (Method::GET, "/admin/audit".to_owned(), None),
            (Method::GET, "/admin/sharing".to_owned(), None),
            (
                Method::PUT,
                format!("/admin/recordings/{other}/legal-hold"),
                Some(json!({"hold": false})),
            ),
            (
                Method::POST,
                "/admin/enrollment-tokens".to_owned(),
                Some(json!({"user_id": member.user.id})),
            ),
        ] {
            let mut req = env.req(method.clone(), &path, token(caller).as_deref());
            if let Some(b) = body {
                req = req.json(&b);
            }
            let got = req.send().await.unwrap().status();
            let want = match caller {
                Caller::Anonymous | Caller::Forged => StatusCode::UNAUTHORIZED,
                Caller::Admin if method == Method::PUT => StatusCode::NO_CONTENT,
                Caller::Admin if method == Method::POST => StatusCode::CREATED,
                Caller::Admin => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            if got != want {
                wrong.push(format!(
                    "{caller:?} {method} {path}: got {got}, want {want}"
                ));
            }
            checked += 1;
        }
        // The viewer's caller endpoint: any person's API token; filters: whoever may list.
        for (path, listers_only) in [("/me", false), ("/recording-filters", true)] {
            let got = env
                .req(Method::GET, path, token(caller).as_deref())
                .send()
                .await
                .unwrap()
                .status();
            let want = match caller {
                Caller::Anonymous | Caller::Forged => StatusCode::UNAUTHORIZED,
                Caller::Device => StatusCode::FORBIDDEN,
                Caller::Integration if listers_only => StatusCode::FORBIDDEN,
                // The policy is the permissive one here: agents may view their own.
                _ => StatusCode::OK,
            };
            if got != want {
                wrong.push(format!("{caller:?} GET {path}: got {got}, want {want}"));
            }
            checked += 1;
        }
        // The CTI endpoint: integration accounts and admins.
        let got = env
            .req(Method::POST, "/integrations/call-events", token(caller).as_deref())
            .json(&json!({"agent": "a1@example.com", "event": {"call": {"type": "held", "call_id": "c"}}}))
            .send()
            .await
            .unwrap()
            .status();
        let want = match caller {
            Caller::Anonymous | Caller::Forged => StatusCode::UNAUTHORIZED,
            Caller::Admin | Caller::Integration => StatusCode::ACCEPTED,
            _ => StatusCode::FORBIDDEN,
        };
        if got != want {
            wrong.push(format!("{caller:?} call-events: got {got}, want {want}"));
        }
        checked += 1;
    }
    eprintln!("{checked} combinations checked");
    assert!(
        wrong.is_empty(),
        "{} of {checked} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
