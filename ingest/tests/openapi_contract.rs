//! The served OpenAPI document stays compatible with the Screendesk contract in
//! `shared/api/screendesk-v2-recordings.openapi.json`: same paths, methods, operation ids,
//! parameters, response codes, schemas (every property with a compatible type, nullability,
//! format and enum), the exact `pagination` object and `{"error": …}` errors. Our document is
//! OpenAPI 3.1 (nullable as a type union) where the seed is 3.0 (`nullable: true`): the
//! comparison normalizes both.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Infra, Kind};
use serde_json::Value;

fn seed() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/api/screendesk-v2-recordings.openapi.json"
    );
    let text = std::fs::read_to_string(path)
        .or_else(|_| {
            std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/api/screendesk-v2-recordings.openapi.json"
            ))
        })
        .expect("the seed contract (shared/api) next to the repository");
    serde_json::from_str(&text).unwrap()
}

/// Follows `$ref`s and flattens nullability into (schema without null, nullable).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        let kind = if r.contains("/responses/") {
            "responses"
        } else if r.contains("/parameters/") {
            "parameters"
        } else {
            "schemas"
        };
        let (s, n) = resolve(doc, &doc["components"][kind][name]);
        return (s, n);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = list
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                let nullable = list.len() > 1 || schema.get("nullable") == Some(&Value::Bool(true));
                let (s, n) = resolve(doc, non_null[0]);
                return (s, n || nullable);
            }
        }
    }
    let nullable = schema.get("nullable") == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|t| t == "null"));
    (schema, nullable)
}

fn type_of(schema: &Value) -> Option<String> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.clone()),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_owned),
        _ => None,
    }
}

fn compare(seed: &Value, ours: &Value, s: &Value, o: &Value, at: &str, problems: &mut Vec<String>) {
    let (s, s_null) = resolve(seed, s);
    let (o, o_null) = resolve(ours, o);
    if s_null && !o_null {
        problems.push(format!("{at}: nullable in the contract, not in ours"));
    }
    let (st, ot) = (type_of(s), type_of(o));
    if st.is_some() && st != ot && !(st.as_deref() == Some("object") && ot.is_none()) {
        problems.push(format!("{at}: type {st:?} in the contract, {ot:?} in ours"));
    }
    if let Some(f) = s.get("format")
        && o.get("format") != Some(f)
    {
        problems.push(format!(
            "{at}: format {f} in the contract, {:?} in ours",
            o.get("format")
        ));
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        let want: BTreeSet<String> = e.iter().map(|v| v.to_string()).collect();
        let got: BTreeSet<String> = o
            .get("enum")
            .and_then(Value::as_array)
            .map(|e| {
                e.iter()
                    .filter(|v| !v.is_null())
                    .map(|v| v.to_string())
                    .collect()
            })
            .unwrap_or_default();
        if want != got {
            problems.push(format!(
                "{at}: enum {want:?} in the contract, {got:?} in ours"
            ));
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (name, sp) in props {
            match o.get("properties").and_then(|p| p.get(name)) {
                Some(op) => compare(seed, ours, sp, op, &format!("{at}.{name}"), problems),
                None => problems.push(format!("{at}.{name}: missing in ours")),
            }
        }
    }
    if let Some(req) = s.get("required").and_then(Value::as_array) {
        for r in req {
            if !o
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|o| o.contains(r))
            {
                problems.push(format!("{at}: {r} required in the contract, not in ours"));
            }
        }
    }
    if let Some(items) = s.get("items") {
        match o.get("items") {
            Some(oi) => compare(seed, ours, items, oi, &format!("{at}[]"), problems),
            None => problems.push(format!("{at}: array items missing in ours")),
        }
    }
}

fn check(seed: &Value, ours: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, methods) in seed["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            let Some(our) = ours["paths"].get(path).and_then(|p| p.get(method)) else {
                problems.push(format!("{at}: missing"));
                continue;
            };
            if our["operationId"] != op["operationId"] {
                problems.push(format!(
                    "{at}: operationId {} vs {}",
                    op["operationId"], our["operationId"]
                ));
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let (p, _) = resolve(seed, p);
                let found = our["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|q| resolve(ours, q).0)
                    .find(|q| q["name"] == p["name"] && q["in"] == p["in"]);
                match found {
                    Some(q) => {
                        if p.get("required") == Some(&Value::Bool(true))
                            && q.get("required") != Some(&Value::Bool(true))
                        {
                            problems
                                .push(format!("{at}: parameter {} must be required", p["name"]));
                        }
                        compare(
                            seed,
                            ours,
                            &p["schema"],
                            &q["schema"],
                            &format!("{at} param {}", p["name"]),
                            &mut problems,
                        );
                    }
                    None => problems.push(format!("{at}: parameter {} missing", p["name"])),
                }
            }
            if let Some(body) = op.get("requestBody") {
                let s = &body["content"]["application/json"]["schema"];
                let o = &our["requestBody"]["content"]["application/json"]["schema"];
                compare(seed, ours, s, o, &format!("{at} body"), &mut problems);
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                let Some(our_resp) = our["responses"].get(code) else {
                    problems.push(format!("{at}: response {code} missing"));
                    continue;
                };
                let (response, _) = resolve(seed, response);
                let (our_resp, _) = resolve(ours, our_resp);
                for (ctype, content) in response["content"].as_object().into_iter().flatten() {
                    if code == "200" && ctype != "application/json" && ctype != "video/mp4" {
                        continue; // the download answers video/mp4 only
                    }
                    match our_resp["content"].get(ctype) {
                        Some(oc) => compare(
                            seed,
                            ours,
                            &content["schema"],
                            &oc["schema"],
                            &format!("{at} {code} {ctype}"),
                            &mut problems,
                        ),
                        None => problems.push(format!("{at}: {code} {ctype} missing")),
                    }
                }
                for header in response["headers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(h, _)| h)
                {
                    if our_resp["headers"].get(header).is_none() {
                        problems.push(format!("{at}: {code} header {header} missing"));
                    }
                }
            }
        }
    }
    let pagination: BTreeSet<&String> = seed["components"]["schemas"]["Pagination"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let ours_pagination: BTreeSet<&String> =
        ours["components"]["schemas"]["Pagination"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
    if pagination != ours_pagination {
        problems.push(format!("Pagination: {pagination:?} vs {ours_pagination:?}"));
    }
    let scheme = &ours["components"]["securitySchemes"]["BearerAuth"];
    if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
        problems.push(format!("BearerAuth: {scheme}"));
    }
    problems
}

#[tokio::test]
async fn served_document_is_compatible_with_the_screendesk_contract() {
    let infra = Arc::new(Infra::start(Kind::SqliteLocal));
    let env = infra.env("openapi").await;
    let ours: Value = env
        .client
        .get(format!("{}/openapi.json", env.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ours["openapi"].as_str().unwrap().starts_with("3."));
    let problems = check(&seed(), &ours);
    assert!(
        problems.is_empty(),
        "incompatible with the seed contract:\n{}",
        problems.join("\n")
    );
    // The whole server is described, not just the public part.
    for path in [
        "/agent/enroll",
        "/agent/recordings/{uuid}/tracks/{track}/segments/{seq}",
        "/agent/events",
        "/integrations/call-events",
        "/admin/policy",
        "/admin/audit",
        "/recordings/{uuid}/tracks/{track}/playlist.m3u8",
        "/me",
        "/recording-filters",
        "/recordings/{uuid}/labels",
        "/recordings/{uuid}/bookmarks",
        "/recordings/{uuid}/bookmarks/{id}",
        "/recordings/{uuid}/share-links",
        "/share-links/{id}",
        "/shared/{token}",
        "/shared/{token}/tracks/{track}/playlist.m3u8",
        "/admin/sharing",
    ] {
        assert!(ours["paths"].get(path).is_some(), "{path} not documented");
    }
    // Our extra list filters are optional, so Screendesk clients keep working unchanged.
    let seed = seed();
    let seed_params: BTreeSet<String> = seed["paths"]["/recordings"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| resolve(&seed, p).0["name"].as_str().unwrap().to_owned())
        .collect();
    let extra: Vec<&Value> = ours["paths"]["/recordings"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !seed_params.contains(p["name"].as_str().unwrap()))
        .collect();
    assert!(
        extra.len() >= 12,
        "the viewer's filters are documented: {extra:?}"
    );
    for p in extra {
        assert_ne!(p["required"], true, "{p}");
    }
}

#[test]
fn the_comparison_catches_incompatibilities() {
    let seed = seed();
    let own = check(&seed, &seed);
    assert!(
        own.is_empty(),
        "the seed is compatible with itself: {own:?}"
    );
    let mut broken = seed.clone();
    broken["components"]["schemas"]["Pagination"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("last_page");
    broken["components"]["schemas"]["RecordingMetadata"]["properties"]["recording_type"]["enum"] =
        serde_json::json!(["Received", "Sent"]);
    broken["components"]["schemas"]["Recording"]["properties"]["title"] =
        serde_json::json!({"type": "string"});
    broken["paths"]["/recordings/{uuid}"]["patch"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("422");
    let problems = check(&seed, &broken);
    for needle in ["last_page", "enum", "title: nullable", "response 422"] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle} not caught: {problems:?}"
        );
    }
}
