//! The supervisor viewer's endpoints: list filters and sort, labels and folders, bookmarks,
//! share links under the org's visibility rules, the caller, and the viewer page.

use std::sync::Arc;

use agentrec_core::wire::CreateRecording;
use agentrec_ingest::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Agent, Env, Infra, recording_body};

async fn recording(env: &Env, agent: &Agent, patch: Value) -> Uuid {
    let mut body = serde_json::to_value(recording_body(false)).unwrap();
    for (k, v) in patch.as_object().unwrap() {
        body[k] = v.clone();
    }
    let body: CreateRecording = serde_json::from_value(body).unwrap();
    let id = Uuid::new_v4();
    assert_eq!(
        env.create_recording(&agent.device, id, &body).await,
        StatusCode::CREATED
    );
    env.upload_all(&agent.device, id).await;
    env.finalize(&agent.device, id).await;
    id
}

async fn ids(env: &Env, token: &str, query: &str) -> Vec<Uuid> {
    let (s, b) = env
        .call(
            Method::GET,
            &format!("/recordings?{query}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{query}: {b}");
    b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap().parse().unwrap())
        .collect()
}

pub async fn viewer_features(infra: Arc<Infra>) {
    let dir = std::env::temp_dir().join(format!("agentrec-viewer-page-{}", Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("viewer.html"),
        "<!doctype html><title>viewer</title>",
    )
    .unwrap();
    let env = infra
        .env_with(
            "viewer",
            Settings {
                viewer_dir: Some(dir.clone()),
                ..Settings::default()
            },
        )
        .await;
    let team = env.team("Support").await;
    let (supervisor, sup) = env.user("sam@example.com", "supervisor", None).await;
    let (s, _) = env
        .call(
            Method::POST,
            &format!("/admin/teams/{team}/supervisors"),
            Some(&env.admin),
            Some(json!({"user_id": supervisor.id})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ann = env.agent("ann@example.com", Some(team)).await;
    let bob = env.agent("bob@example.com", Some(team)).await;
    let received = recording(
        &env,
        &ann,
        json!({"queue": "billing", "customer_email": "carol@customer.org", "call_title": "Refund request"}),
    )
    .await;
    let sent = recording(
        &env,
        &bob,
        json!({"direction": "outbound", "queue": "sales", "customer_email": "dave@other.org", "call_title": "Renewal"}),
    )
    .await;
    let live = recording(
        &env,
        &ann,
        json!({"kind": "live", "queue": null, "customer_email": "erin@customer.org", "call_title": "Screen share",
               "participants": [{"participant_id": "h", "role": "host"}]}),
    )
    .await;
    let admin = env.admin.clone();

    // Filters, one at a time and combined.
    assert_eq!(
        ids(&env, &admin, "recording_type=Received").await,
        vec![received]
    );
    assert_eq!(ids(&env, &admin, "recording_type=Sent").await, vec![sent]);
    assert_eq!(ids(&env, &admin, "recording_type=Live").await, vec![live]);
    assert_eq!(ids(&env, &admin, "queue=sales").await, vec![sent]);
    assert_eq!(ids(&env, &admin, "agent=BOB").await, vec![sent]);
    assert_eq!(
        ids(&env, &admin, "customer=customer.org&sort=created_at").await,
        vec![received, live]
    );
    assert_eq!(ids(&env, &admin, "q=refund%20ann").await, vec![received]);
    assert_eq!(
        ids(&env, &admin, "q=100%25").await,
        Vec::<Uuid>::new(),
        "% is literal"
    );
    assert_eq!(
        ids(&env, &admin, "agent=ann&recording_type=Live").await,
        vec![live]
    );
    assert_eq!(
        ids(&env, &admin, "from=2999-01-01T00:00:00Z").await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(&env, &admin, "to=2000-01-01T00:00:00Z").await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(&env, &admin, "from=2000-01-01T00:00:00Z").await.len(),
        3
    );
    // The fixture recordings last 6 s.
    assert_eq!(
        ids(&env, &admin, "min_duration=5&max_duration=7")
            .await
            .len(),
        3
    );
    assert!(ids(&env, &admin, "min_duration=7").await.is_empty());
    assert_eq!(
        ids(&env, &admin, "sort=created_at").await,
        vec![received, sent, live]
    );
    assert_eq!(
        ids(&env, &admin, "sort=-created_at").await,
        vec![live, sent, received]
    );
    let by_agent = ids(&env, &admin, "sort=agent").await;
    assert_eq!(by_agent[2], sent, "bob after ann");
    for bad in [
        "from=yesterday",
        "sort=bogus",
        "min_duration=-1",
        "recording_type=Voicemail",
    ] {
        let (s, b) = env
            .call(
                Method::GET,
                &format!("/recordings?{bad}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
        assert!(b["error"].is_string());
    }
    // The supervisor's list is filtered within what they may see.
    assert_eq!(ids(&env, &sup, "agent=bob").await, vec![sent]);

    // What the caller may do.
    let (s, me) = env.call(Method::GET, "/me", Some(&sup), None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "supervisor");
    assert_eq!(me["can_edit"], false);
    assert_eq!(me["can_view_recordings"], true);
    assert_eq!(me["sharing"]["calls"], "members_only");
    let (_, rec) = env
        .call(
            Method::GET,
            &format!("/recordings/{received}"),
            Some(&sup),
            None,
        )
        .await;
    assert_eq!(
        rec["agentrec"]["actions"],
        json!({"download": false, "edit": false, "share": false, "bookmark": true}),
        "default policy: supervisors view, not download (Genesys)"
    );
    let (_, rec) = env
        .call(
            Method::GET,
            &format!("/recordings/{received}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(rec["agentrec"]["actions"]["download"], true);
    assert_eq!(rec["agentrec"]["actions"]["edit"], true);

    // Labels and folders.
    let (s, rec) = env
        .call(
            Method::PUT,
            &format!("/recordings/{received}/labels"),
            Some(&admin),
            Some(json!({"labels": ["qa", " coaching ", "qa"], "folder": "Q4 reviews"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    assert_eq!(rec["agentrec"]["labels"], json!(["coaching", "qa"]));
    assert_eq!(rec["agentrec"]["folder"], "Q4 reviews");
    assert_eq!(ids(&env, &admin, "label=qa").await, vec![received]);
    assert_eq!(
        ids(&env, &admin, "folder=Q4%20reviews").await,
        vec![received]
    );
    let (s, f) = env
        .call(Method::GET, "/recording-filters", Some(&sup), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        f,
        json!({"labels": ["coaching", "qa"], "folders": ["Q4 reviews"], "queues": ["billing", "sales"]})
    );
    for bad in [
        json!({"labels": ["x".repeat(65)], "folder": null}),
        json!({"labels": [""], "folder": null}),
        json!({"labels": (0..21).map(|i| i.to_string()).collect::<Vec<_>>(), "folder": null}),
        json!({"labels": [], "folder": "a\nb"}),
    ] {
        let (s, b) = env
            .call(
                Method::PUT,
                &format!("/recordings/{received}/labels"),
                Some(&admin),
                Some(bad),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    }
    let (s, _) = env
        .call(
            Method::PUT,
            &format!("/recordings/{received}/labels"),
            Some(&sup),
            Some(json!({"labels": [], "folder": null})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins organise");

    // Bookmarks.
    let (s, b) = env
        .call(
            Method::POST,
            &format!("/recordings/{received}/bookmarks"),
            Some(&sup),
            Some(json!({"offset_ms": 4200, "body": "Agent reads the card number aloud"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["author_email"], "sam@example.com");
    let sup_mark = b["id"].as_str().unwrap().to_owned();
    let (s, b) = env
        .call(
            Method::POST,
            &format!("/recordings/{received}/bookmarks"),
            Some(&admin),
            Some(json!({"offset_ms": 1000, "body": "greeting"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let admin_mark = b["id"].as_str().unwrap().to_owned();
    let duration = rec["agentrec"]["duration_ms"].as_i64().unwrap();
    for bad in [
        json!({"offset_ms": duration + 1, "body": "past the end"}),
        json!({"offset_ms": -1, "body": "before the start"}),
        json!({"offset_ms": 10, "body": "   "}),
        json!({"offset_ms": 10, "body": "x".repeat(2001)}),
        json!({"offset_ms": 10}),
    ] {
        let (s, b) = env
            .call(
                Method::POST,
                &format!("/recordings/{received}/bookmarks"),
                Some(&sup),
                Some(bad),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    }
    let (_, list) = env
        .call(
            Method::GET,
            &format!("/recordings/{received}/bookmarks"),
            Some(&sup),
            None,
        )
        .await;
    let offsets: Vec<i64> = list["bookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["offset_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, vec![1000, 4200], "timeline order");
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/recordings/{received}/bookmarks/{admin_mark}"),
            Some(&sup),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not the author");
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/recordings/{received}/bookmarks/{sup_mark}"),
            Some(&sup),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/recordings/{received}/bookmarks/{sup_mark}"),
            Some(&sup),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = env
        .call(
            Method::GET,
            &format!("/recordings/{received}/bookmarks"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "agents may not view under the default policy"
    );

    // Share links: call recordings are members-only by default, live sessions open to anyone.
    let (s, b) = env
        .call(
            Method::POST,
            &format!("/recordings/{received}/share-links"),
            Some(&admin),
            Some(json!({"visibility": "anyone_with_link"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, link) = env
        .call(
            Method::POST,
            &format!("/recordings/{received}/share-links"),
            Some(&admin),
            Some(json!({"expires_in_hours": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    assert_eq!(link["visibility"], "members_only");
    let url = link["url"].as_str().unwrap().to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();
    let (s, _) = env
        .call(Method::GET, &format!("/shared/{token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "members only");
    let (s, shared) = env
        .call(
            Method::GET,
            &format!("/shared/{token}"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "any member of the org, even one who cannot list: {shared}"
    );
    assert_eq!(shared["uuid"], received.to_string());
    assert_eq!(shared["agentrec"]["actions"]["download"], false);
    assert_eq!(shared["agentrec"]["download_url"], "");
    let playlist = shared["agentrec"]["tracks"][0]["playlist_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        playlist.contains(&format!("/api/v2/shared/{token}/tracks/")),
        "{playlist}"
    );
    let resp = env
        .client
        .get(&playlist)
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    let segment = text.lines().find(|l| l.starts_with("segments/")).unwrap();
    let base = playlist.trim_end_matches("playlist.m3u8");
    for part in ["init.mp4", segment] {
        let resp = env
            .client
            .get(format!("{base}{part}"))
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{part}");
        assert!(!resp.bytes().await.unwrap().is_empty());
        let resp = env
            .client
            .get(format!("{base}{part}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "{part} without a token"
        );
    }
    let (s, live_link) = env
        .call(
            Method::POST,
            &format!("/recordings/{live}/share-links"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{live_link}");
    assert_eq!(live_link["visibility"], "anyone_with_link");
    let live_token = live_link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (s, shared) = env
        .call(Method::GET, &format!("/shared/{live_token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{shared}");
    assert_eq!(
        shared["metadata"]["impressions_count"], 1,
        "a view through a link counts"
    );
    let live_playlist = shared["agentrec"]["tracks"][2]["playlist_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = env.client.get(&live_playlist).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, audit) = env
        .call(Method::GET, "/admin/audit", Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let link_id = live_link["id"].as_str().unwrap();
    assert!(
        audit.to_string().contains(&format!("share:{link_id}")),
        "views through a link are audited under the link"
    );
    // The org tightens its rule: new anyone-with-link links are refused.
    let (s, b) = env
        .call(
            Method::PUT,
            "/admin/sharing",
            Some(&admin),
            Some(json!({"live": "members_only", "calls": "members_only"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = env
        .call(
            Method::POST,
            &format!("/recordings/{live}/share-links"),
            Some(&admin),
            Some(json!({"visibility": "anyone_with_link"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = env
        .call(
            Method::PUT,
            "/admin/sharing",
            Some(&sup),
            Some(json!({"live": "anyone_with_link", "calls": "anyone_with_link"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for hours in [0, 24 * 91] {
        let (s, _) = env
            .call(
                Method::POST,
                &format!("/recordings/{live}/share-links"),
                Some(&admin),
                Some(json!({"expires_in_hours": hours})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{hours} h");
    }
    // Revoked and expired links are gone.
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/share-links/{link_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = env
        .call(Method::GET, &format!("/shared/{live_token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let resp = env.client.get(&live_playlist).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    sqlx::query("UPDATE share_links SET expires_at = 1")
        .execute(&env.state.db.pool)
        .await
        .unwrap();
    let (s, _) = env
        .call(
            Method::GET,
            &format!("/shared/{token}"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "expired");
    let (_, links) = env
        .call(
            Method::GET,
            &format!("/recordings/{received}/share-links"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(links["links"].as_array().unwrap().len(), 1);
    assert!(
        links["links"][0]["url"].is_null(),
        "the secret is shown once"
    );
    let (s, _) = env
        .call(Method::GET, "/shared/ar_shr_nope", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The viewer page and the links that lead to it.
    let root = env.base.trim_end_matches("/api/v2").to_owned();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = no_redirect
        .get(format!("{root}/viewer/viewer.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<title>viewer</title>"));
    let url = rec["metadata"]["url"].as_str().unwrap();
    let resp = no_redirect.get(url).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("/viewer/viewer.html#/recordings/{received}")
    );
    let resp = no_redirect
        .get(format!("{root}/shared/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("/viewer/viewer.html#/shared/{token}")
    );
    let resp = no_redirect
        .get(format!("{root}/viewer/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Deleting a recording removes its labels, bookmarks and links.
    let (s, _) = env
        .call(
            Method::DELETE,
            &format!("/admin/recordings/{received}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    for table in ["recording_labels", "bookmarks", "share_links"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE recording_id = $1"
        )))
        .bind(received.to_string())
        .fetch_one(&env.state.db.pool)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
