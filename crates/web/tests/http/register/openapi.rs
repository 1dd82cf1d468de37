//! The OpenAPI document.

use super::*;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

/// Where two JSON values differ, as JSON pointers (at most `limit`).
fn differences(expected: &Value, actual: &Value, at: String, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for k in keys {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (e.get(k), a.get(k)) {
                    (Some(ev), Some(av)) => differences(ev, av, path, out, limit),
                    (Some(_), None) => out.push(format!("{path}: removed")),
                    (None, Some(av)) => out.push(format!("{path}: added {av}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(ev, av, format!("{at}/{i}"), out, limit);
            }
        }
        _ if expected != actual => out.push(format!("{at}: was {expected}, now {actual}")),
        _ => {}
    }
}

/// The API's contract does not change by accident. After an intended change, rewrite the
/// snapshot with `UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test http the_openapi_document`
/// and commit it with the change.
#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::new();
    let res = app.send(get("/api/openapi.json")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let actual = res.json();
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).expect("the snapshot is written");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test http the_openapi_document",
            path.display()
        )
    });
    let expected: Value = serde_json::from_str(&stored).expect("the snapshot is JSON");
    let mut diff = Vec::new();
    differences(&expected, &actual, String::new(), &mut diff, 40);
    assert!(
        diff.is_empty(),
        "GET /api/openapi.json differs from {}:\n  {}\nIf the change is intended, rewrite the \
         snapshot with UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test http the_openapi_document",
        path.display(),
        diff.join("\n  ")
    );
}

#[tokio::test]
async fn no_path_carries_an_id_number() {
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/v1/persons/{id}"), "{paths:?}");
    for (path, item) in paths {
        assert!(
            !path.contains("id_number") && !path.contains("idcard"),
            "{path}"
        );
        for (_, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(
                        ["id", "household_no"].contains(&name),
                        "{path}: path parameter {name}"
                    );
                }
            }
        }
    }
    // The person's id in the path is the internal one: an ID number there finds nothing.
    let t = town(&app);
    let token = app.token("li.ming").await;
    let res = app
        .send(get(&format!("/api/v1/persons/{}", t.zhang_min.spec.id_number())).bearer(&token))
        .await;
    assert_ne!(res.status, StatusCode::OK, "{res}");
}

/// Every `$ref` names a schema the document holds, so generated clients build.
#[tokio::test]
async fn every_schema_reference_resolves() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a local schema reference: {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is not in the document"
        );
    }
}

#[tokio::test]
async fn the_api_docs_page_lists_every_operation() {
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let res = app.send(get("/api/docs")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let content_type = res.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let shown = format!("{} {path}", method.to_uppercase());
            assert!(res.body.contains(&shown), "/api/docs shows {shown}");
        }
    }
}

#[test]
fn snapshot_differences_are_named_by_pointer() {
    let mut out = Vec::new();
    differences(
        &json!({"paths": {"/a": {"get": 1}}, "x": [1, 2]}),
        &json!({"paths": {"/a": {"get": 2}, "/b": {}}, "x": [1, 3]}),
        String::new(),
        &mut out,
        10,
    );
    assert_eq!(
        out,
        [
            "/paths/~1a/get: was 1, now 2",
            "/paths/~1b: added {}",
            "/x/1: was 2, now 3"
        ]
    );
}
