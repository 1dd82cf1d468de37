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

mod serving;
mod upload_bomb;

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
