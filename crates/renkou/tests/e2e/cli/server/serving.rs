//! Serving on both backends, and requests that once dropped their connection.

use super::*;

/// The path a deployment takes: the demo city built and served, then served again by
/// `renkou serve`, on each backend. The server on PostgreSQL once panicked at start.
#[test]
fn serve_and_demo_answer_a_login_and_a_search_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let mut dbs = vec![("sqlite", TestDb::sqlite(dir.path()))];
    dbs.extend(TestDb::postgres("serve").map(|db| ("postgres", db)));
    for (name, db) in dbs {
        let demo = Server::start(dir.path(), &db.url, &["demo", "--persons", "2000"]);
        officer_finds_people(&demo);
        let status = demo.stop();
        assert!(status.success(), "{name}: demo stopped with {status}");

        let served = Server::start(dir.path(), &db.url, &["serve"]);
        officer_finds_people(&served);
        let uploads = dir.path().join("renkou-uploads");
        let status = served.stop();
        assert!(status.success(), "{name}: serve stopped with {status}");
        let left: Vec<_> = std::fs::read_dir(&uploads)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "{name}: the server left {left:?} in {uploads:?}"
        );
        // Everything the servers did is on an intact chain.
        let out = Command::new(env!("CARGO_BIN_EXE_renkou"))
            .args(["--db", &db.url, "audit", "verify"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // A server killed outright leaves its upload directory; the next one removes it.
    let db = TestDb::sqlite(dir.path());
    let uploads = dir.path().join("renkou-uploads");
    let killed = Server::start(dir.path(), &db.url, &["serve"]);
    let pid = killed.pid();
    drop(killed);
    let names = || -> Vec<String> {
        std::fs::read_dir(&uploads)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let mine = format!("{pid}.");
    assert!(
        names().iter().any(|n| n.starts_with(&mine)),
        "{:?}",
        names()
    );
    let next = Server::start(dir.path(), &db.url, &["serve"]);
    assert!(
        names().iter().all(|n| !n.starts_with(&mine)),
        "{:?}",
        names()
    );
    assert!(next.stop().success());
}

/// Requests that once killed their connection (a panic in date arithmetic, a header smuggled
/// into a redirect) get an answer, and the server keeps serving.
#[test]
fn bad_numbers_and_smuggled_headers_get_an_answer_not_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite(dir.path());
    let server = Server::start(dir.path(), &db.url, &["demo", "--persons", "300"]);
    let token = server.token("bureau");
    for path in [
        "/api/v1/persons?age_min=2147483648",
        "/api/v1/persons?age_min=20000",
        "/api/v1/persons?age_max=19998",
        "/api/v1/persons?age_min=19997",
        "/api/v1/persons?limit=99999999999",
    ] {
        let (status, body) = server
            .try_send(Method::GET, path, Some(&token), None)
            .unwrap_or_else(|| panic!("{path}: the connection was dropped\n{}", server.log()));
        assert_eq!(status, 422, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["code"] == "invalid_input" || v["code"] == "bad_request",
            "{path}: {body}"
        );
    }
    // POST /lang with a header smuggled into `next`: a redirect home, no second cookie.
    let (status, headers, _) = server.raw(
        Method::POST,
        "/lang",
        &[(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )],
        b"lang=en&next=%2F%0D%0ASet-Cookie%3A%20evil%3D1".to_vec(),
    );
    let cookies: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(status, 303, "{cookies:?}");
    assert!(cookies.iter().all(|c| !c.contains("evil")), "{cookies:?}");
    // Still serving.
    let (status, _) = server.send(Method::GET, "/api/v1/persons?limit=1", Some(&token), None);
    assert_eq!(status, 200);
}
