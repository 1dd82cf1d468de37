//! The real binary serving, as a deployment reaches it: `renkou serve` and `renkou demo` on
//! SQLite and on PostgreSQL answer a login and a search over HTTP, stop cleanly on SIGTERM, and
//! take what an attacker sends without dropping a connection.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

/// The demo's password for every account.
const DEMO_PASSWORD: &str = "Renkou-demo-2026";

/// A database for one test: a file, or a fresh schema on the RENKOU_TEST_PG server.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite(dir: &Path) -> TestDb {
        TestDb {
            url: dir.join("r.db").display().to_string(),
            pg: None,
        }
    }

    pub fn postgres(tag: &str) -> Option<TestDb> {
        let Ok(base) = std::env::var("RENKOU_TEST_PG") else {
            eprintln!("RENKOU_TEST_PG not set; the PostgreSQL part of this test is skipped");
            return None;
        };
        let schema = format!("{tag}_{}", std::process::id());
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(TestDb {
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            pg: Some((base, schema)),
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg
            && let Ok(mut admin) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// `renkou … serve` (or `demo`) running on a free port, killed if the test ends first.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    log: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `renkou --db DB ARGS --bind 127.0.0.1:PORT` in `dir` and waits for /login.
    pub fn start(dir: &Path, db: &str, args: &[&str]) -> Server {
        let port = free_port();
        let log = dir.join(format!("server-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_renkou"))
            .current_dir(dir)
            .arg("--db")
            .arg(db)
            .args(args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("renkou starts");
        let mut server = Server {
            child: Some(child),
            port,
            log,
        };
        // The demo builds its city first: allow it a while.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(Some(status)) = server.child.as_mut().unwrap().try_wait() {
                panic!(
                    "renkou exited ({status}) before answering:\n{}",
                    server.log()
                );
            }
            if server
                .try_send(Method::GET, "/login", None, None)
                .map(|r| r.0)
                == Some(200)
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "renkou did not answer within three minutes:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// One request; None when the connection fails or is dropped without an answer.
    pub fn try_send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Option<(u16, String)> {
        let mut headers = Vec::new();
        if let Some(t) = token {
            headers.push(("authorization", format!("Bearer {t}")));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json".to_string()));
        }
        let bytes = body.map(|v| v.to_string().into_bytes()).unwrap_or_default();
        self.try_raw(method, path, &headers, bytes)
            .map(|(status, _, body)| (status, body))
    }

    pub fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String) {
        self.try_send(method.clone(), path, token, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer\n{}", self.log()))
    }

    /// A bearer token for a demo account.
    pub fn token(&self, username: &str) -> String {
        let (status, body) = self.send(
            Method::POST,
            "/api/v1/tokens",
            None,
            Some(json!({"username": username, "password": DEMO_PASSWORD})),
        );
        assert_eq!(status, 201, "token for {username}: {body}\n{}", self.log());
        let v: Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    /// SIGTERM, as a service manager stops it; the exit status.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        // SAFETY: a plain kill(2) of the child this test started.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "renkou did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A login and a search, as the committee officer of the demo city does them.
fn officer_finds_people(server: &Server) {
    let token = server.token("officer");
    let (status, body) = server.send(Method::GET, "/api/v1/persons?limit=5", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    let first = &page["items"][0];
    let name = first["name"].as_str().expect("the committee has people");
    let prefix: String = name.chars().take(1).collect();
    let q = format!("/api/v1/persons?q={}", serde_urlencoded_str(&prefix));
    let (status, body) = server.send(Method::GET, &q, Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let found: Value = serde_json::from_str(&body).unwrap();
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["name"].as_str().unwrap().starts_with(&prefix)),
        "{body}"
    );
    assert!(found["count"].as_u64().unwrap() >= 1, "{body}");
}

fn serde_urlencoded_str(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

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

/// The cookies and the CSRF token of a signed-in browser, by hand.
struct Browser {
    cookie: String,
    csrf: String,
}

fn cookie_of(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
}

fn form_token(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..].split('"').next().unwrap().to_string()
}

impl Server {
    /// A request with headers and a body: the status, the headers and the body, or None when
    /// the connection fails or is dropped without an answer.
    fn try_raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Option<(u16, axum::http::HeaderMap, String)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            let mut req = Request::builder()
                .method(method)
                .uri(format!("http://127.0.0.1:{}{path}", self.port));
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            let sent = client.request(req.body(Full::new(Bytes::from(body))).unwrap());
            let res = tokio::time::timeout(Duration::from_secs(30), sent)
                .await
                .ok()?
                .ok()?;
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let bytes = res.into_body().collect().await.ok()?.to_bytes();
            Some((
                status,
                headers,
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
    }

    fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (u16, axum::http::HeaderMap, String) {
        self.try_raw(method.clone(), path, headers, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer\n{}", self.log()))
    }

    fn sign_in(&self, username: &str) -> Browser {
        let (_, headers, html) = self.raw(Method::GET, "/login", &[], Vec::new());
        let login_cookie = cookie_of(&headers, "renkou_login_csrf").unwrap();
        let form = format!(
            "csrf={}&next=%2F&username={username}&password={DEMO_PASSWORD}",
            form_token(&html)
        );
        let (status, headers, body) = self.raw(
            Method::POST,
            "/login",
            &[
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("cookie", format!("renkou_login_csrf={login_cookie}")),
            ],
            form.into_bytes(),
        );
        assert_eq!(status, 303, "{body}");
        let cookie = format!(
            "renkou_session={}",
            cookie_of(&headers, "renkou_session").unwrap()
        );
        let (_, _, html) = self.raw(
            Method::GET,
            "/upload",
            &[("cookie", cookie.clone())],
            Vec::new(),
        );
        Browser {
            csrf: form_token(&html),
            cookie,
        }
    }

    /// The peak memory of the server process so far (VmHWM), in bytes.
    fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .expect("VmHWM in /proc");
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap();
        kb * 1024
    }
}

impl Server {
    /// Uploads a people file as a signed-in browser; the job page's path.
    fn upload(&self, browser: &Browser, file: &Path) -> String {
        let boundary = "renkou-test-boundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf", browser.csrf.as_str()), ("kind", "persons")] {
            body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
        }
        body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.xlsx\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
        body.extend_from_slice(&std::fs::read(file).unwrap());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (status, headers, page) = self.raw(
            Method::POST,
            "/upload",
            &[
                ("cookie", browser.cookie.clone()),
                (
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ),
            ],
            body,
        );
        assert_eq!(status, 303, "{page}");
        headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }

    /// The job page once the import has ended.
    fn wait_for_report(&self, browser: &Browser, job: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (_, _, html) = self.raw(
                Method::GET,
                job,
                &[("cookie", browser.cookie.clone())],
                Vec::new(),
            );
            if html.contains("id=\"summary\"") || html.contains("class=\"error\" role=\"alert\"") {
                return html;
            }
            assert!(Instant::now() < deadline, "the import did not end: {html}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A spreadsheet of a few hundred kilobytes that unpacks to millions of rows (past Excel's own
/// limit: a file made by hand, as an attacker makes it).
fn xlsx_bomb(path: &Path, rows: u32) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="人口" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    zip.start_file("xl/worksheets/sheet1.xml", deflated)
        .unwrap();
    let mut sheet = std::io::BufWriter::new(&mut zip);
    write!(
        sheet,
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#
    )
    .unwrap();
    let header = [
        "身份证号",
        "姓名",
        "民族",
        "婚姻状况",
        "户编号",
        "与户主关系",
        "人口类型",
        "居住地区划",
    ];
    for (c, h) in header.iter().enumerate() {
        let col = (b'A' + c as u8) as char;
        write!(
            sheet,
            r#"<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>"#
        )
        .unwrap();
    }
    write!(sheet, "</row>").unwrap();
    // Rows and cells may leave out their references; identical rows pack to almost nothing.
    for _ in 0..rows {
        write!(
            sheet,
            r#"<row><c/><c t="inlineStr"><is><t>张</t></is></c></row>"#
        )
        .unwrap();
    }
    write!(sheet, "</sheetData></worksheet>").unwrap();
    drop(sheet);
    zip.finish().unwrap();
}

/// An officer uploads the bomb: the server reads no more than the officer's row limit, keeps
/// its memory under 200 MB, keeps a short report, and writes nothing.
#[test]
fn an_upload_bomb_is_stopped_at_the_row_limit_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    xlsx_bomb(&bomb, 3_000_000);
    let size = std::fs::metadata(&bomb).unwrap().len();
    assert!(size < 5 << 20, "the bomb is small: {size} bytes");
    let db = TestDb::sqlite(dir.path());
    let server = Server::start(dir.path(), &db.url, &["demo", "--persons", "300"]);
    let officer = server.sign_in("officer");
    let job = server.upload(&officer, &bomb);
    let report = server.wait_for_report(&officer, &job);
    // It stopped at the first limit it met: 10,000 bad rows (these have no ID numbers or
    // codes), or else the officer's 100,000 rows.
    assert!(
        report.contains("没有继续检查") || report.contains("超过 100000 行"),
        "{report}"
    );
    // One that unpacks past what 100,000 rows can be is measured and refused before reading.
    let bigger = dir.path().join("bigger.xlsx");
    xlsx_bomb(&bigger, 5_000_000);
    let job = server.upload(&officer, &bigger);
    let refused = server.wait_for_report(&officer, &job);
    assert!(refused.contains("解压后超过"), "{refused}");
    let peak = server.peak_memory();
    eprintln!(
        "bomb of {} KB (3,000,000 rows) and {} KB (5,000,000): server peak {} MB",
        size >> 10,
        std::fs::metadata(&bigger).unwrap().len() >> 10,
        peak >> 20
    );
    assert!(
        peak < 200 << 20,
        "the server's peak memory was {} MB",
        peak >> 20
    );
    // Nothing was written: the committee still has the demo's people only.
    let token = server.token("officer");
    let (_, body) = server.send(
        Method::GET,
        "/api/v1/persons?q=%E5%BC%A0&limit=1",
        Some(&token),
        None,
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["count"].as_u64().unwrap() < 1000, "{body}");
    // The uploads directory is private.
    use std::os::unix::fs::PermissionsExt;
    let uploads = dir.path().join("renkou-uploads");
    for entry in std::fs::read_dir(&uploads).unwrap().flatten() {
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{:?}", entry.path());
        for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
            let mode = file.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{:?} is {mode:o}", file.path());
        }
    }
}
