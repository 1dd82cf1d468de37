//! What the in-process HTTP tests share: a fresh database per test (a SQLite file always, a
//! PostgreSQL schema too when RENKOU_TEST_PG holds a URL), the area tree, builders for people
//! and accounts, and a small request builder over `tower::ServiceExt::oneshot`.
//!
//! Passwords are hashed once per test binary (argon2id is slow on purpose): every account shares
//! [`PASSWORD`].

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use renkou_core::account::{Account, Username};
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult, AuditRow};
use renkou_core::{Area, AreaCode, IdNumber, PersonData, PersonId, Role, Scope, Sex};
use renkou_store::{AuditFilter, NewAccount, Store};
use renkou_web::{AppState, Pool};
use serde_json::Value;
use tower::ServiceExt;

// ---------------------------------------------------------------------------------------------
// The area tree: two districts; the first has two centres, the first centre two committees,
// the first committee two groups. Every account in these tests sits somewhere in it, so each
// has an own area, siblings, a parent and children to be tested against.

/// 铜官区: the district most accounts work in.
pub const D1: &str = "340705";
/// 郊区: a sibling district.
pub const D2: &str = "340706";
pub const C1: &str = "340705001";
/// A sibling centre of C1.
pub const C2: &str = "340705002";
pub const K1: &str = "340705001001";
/// A sibling committee of K1.
pub const K2: &str = "340705001002";
pub const G1: &str = "340705001001001";
/// A sibling group of G1.
pub const G2: &str = "340705001001002";
/// A group under the sibling committee K2.
pub const K2G1: &str = "340705001002001";
/// A committee under the sibling centre C2.
pub const C2K1: &str = "340705002001";
pub const D2C1: &str = "340706001";
pub const D2K1: &str = "340706001001";

pub fn tree() -> Vec<Area> {
    [
        (D1, "铜官区"),
        (D2, "郊区"),
        (C1, "青龙社区服务中心"),
        (C2, "白龙社区服务中心"),
        (K1, "青龙第1居委会"),
        (K2, "青龙第2居委会"),
        (G1, "青龙第1居委会第1小组"),
        (G2, "青龙第1居委会第2小组"),
        (K2G1, "青龙第2居委会第1小组"),
        (C2K1, "白龙第1居委会"),
        (D2C1, "桥南社区服务中心"),
        (D2K1, "桥南第1居委会"),
    ]
    .into_iter()
    .map(|(code, name)| Area {
        code: code_of(code),
        name: name.to_string(),
    })
    .collect()
}

/// The areas people can live in (committees and groups).
pub const PERSON_AREAS: [&str; 7] = [K1, G1, G2, K2, K2G1, C2K1, D2K1];

pub fn code_of(code: &str) -> AreaCode {
    AreaCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Databases.

pub struct Backend {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server and schema to drop when the test is done.
    pg_schema: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut admin) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

impl Backend {
    /// A file in a fresh directory: in memory (/dev/shm) where there is one, since every audited
    /// request commits and the matrix makes thousands of them.
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temporary directory");
        Backend {
            name: "sqlite",
            url: dir.path().join("renkou.db").display().to_string(),
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// A schema of its own on the RENKOU_TEST_PG server, when one is configured.
    pub fn postgres() -> Option<Backend> {
        let base = std::env::var("RENKOU_TEST_PG").ok()?;
        off_runtime(move || Backend::new_schema(base))
    }

    fn new_schema(base: String) -> Option<Backend> {
        let schema = format!("web_{}_{}", std::process::id(), unique());
        let mut admin =
            postgres::Client::connect(&base, postgres::NoTls).expect("RENKOU_TEST_PG connects");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("a fresh schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(Backend {
            name: "postgres",
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            _dir: None,
            pg_schema: Some((base, schema)),
        })
    }

    /// SQLite always, PostgreSQL when RENKOU_TEST_PG is set.
    pub fn all() -> Vec<Backend> {
        let mut list = vec![Backend::sqlite()];
        list.extend(Backend::postgres());
        list
    }
}

fn unique() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .subsec_nanos() as u64;
    nanos * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Accounts.

/// Every test account's password (it meets the policy).
pub const PASSWORD: &str = "Renkou-2026!";

/// The argon2id hash of [`PASSWORD`], computed once.
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| renkou_web::hash_password(PASSWORD))
}

/// Today as the app counts it (Beijing time).
pub fn today() -> Date {
    renkou_web::auth::today(Timestamp::now())
}

pub fn days_ago(n: i64) -> Date {
    today()
        .checked_sub(jiff::Span::new().days(n))
        .expect("a date")
}

// ---------------------------------------------------------------------------------------------
// People.

/// A person as a form or an API body gives one: the people file's column keys.
#[derive(Debug, Clone)]
pub struct PersonSpec {
    pub fields: BTreeMap<String, String>,
}

impl PersonSpec {
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.fields.insert(key.to_string(), value.to_string());
        self
    }

    pub fn without(mut self, key: &str) -> Self {
        self.fields.remove(key);
        self
    }

    pub fn id_number(&self) -> &str {
        self.get("id_number")
    }

    pub fn name(&self) -> &str {
        self.get("name")
    }

    /// A migrant who came to live here (流入).
    pub fn migrant_in(self) -> Self {
        self.set("population_type", "migrant_in")
            .set("arrival_date", "2024-03-05")
            .set("origin_or_destination", "江苏省南京市")
    }

    pub fn married(self) -> Self {
        self.set("marital_status", "20")
    }

    pub fn json(&self) -> Value {
        serde_json::to_value(&self.fields).expect("fields serialise")
    }

    /// The person as the register reads it (the same rules as the API).
    pub fn data(&self) -> PersonData {
        renkou_web::forms::person_from_fields(&self.fields, today())
            .unwrap_or_else(|e| panic!("test person {:?} is invalid: {e:?}", self.fields))
    }
}

/// A person put on the register during setup.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: PersonId,
    pub spec: PersonSpec,
    pub data: PersonData,
}

impl Added {
    pub fn id(&self) -> i64 {
        self.id.0
    }
    pub fn area(&self) -> &str {
        self.spec.get("area_code")
    }
    pub fn household(&self) -> &str {
        self.spec.get("household_no")
    }
}

// ---------------------------------------------------------------------------------------------
// The app under test.

pub struct TestApp {
    /// Taken apart on a plain thread when the test ends (see `Drop`).
    inner: Option<Inner>,
    next_seq: AtomicU16,
}

struct Inner {
    state: AppState,
    router: Router,
    store: Mutex<Store>,
    /// Last, so the pool and the store close before the database goes.
    backend: Backend,
}

/// Runs synchronous database work on a thread of its own. The PostgreSQL client blocks on a
/// runtime of its own, which it may not do on a thread that is driving the test's runtime.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // A failing test is unwinding already; a second panic would abort.
            let _ = std::thread::spawn(move || drop(inner)).join();
        }
    }
}

impl TestApp {
    /// A fresh app on a fresh SQLite file, the area tree loaded.
    pub fn new() -> TestApp {
        TestApp::on(Backend::sqlite())
    }

    pub fn on(backend: Backend) -> TestApp {
        TestApp::configured(backend, |_| {})
    }

    /// An app configured as a deployment is (a public address for the verify page), changed
    /// by `configure`.
    pub fn configured(backend: Backend, configure: impl FnOnce(&mut AppState)) -> TestApp {
        // The pool opens where `renkou serve` opens it: on a thread of the running runtime
        // (opening a PostgreSQL connection there once panicked the real server).
        let pool = Pool::open(&backend.url, 4)
            .unwrap_or_else(|e| panic!("{}: the pool opens: {e}", backend.name));
        let mut state = AppState::new(pool);
        state.public_url = Some("http://renkou.test".to_string());
        configure(&mut state);
        let url = backend.url.clone();
        let store = off_runtime(move || {
            let mut store = Store::open(&url).expect("a second connection opens");
            store.upsert_areas(&tree()).expect("the area tree loads");
            store
        });
        let inner = Inner {
            router: renkou_web::router(state.clone()),
            state,
            store: Mutex::new(store),
            backend,
        };
        TestApp {
            inner: Some(inner),
            next_seq: AtomicU16::new(1),
        }
    }

    fn inner(&self) -> &Inner {
        self.inner.as_ref().expect("the app is alive")
    }

    pub fn state(&self) -> &AppState {
        &self.inner().state
    }

    pub fn backend(&self) -> &Backend {
        &self.inner().backend
    }

    /// Work on the test's own connection, beside the app's pool.
    pub fn with_db<T: Send>(&self, f: impl FnOnce(&mut Store) -> T + Send) -> T {
        let store = &self.inner().store;
        off_runtime(move || f(&mut store.lock().expect("store lock")))
    }

    /// Moves the app's clock (sessions, lockouts) forward.
    pub fn advance_mins(&self, mins: i64) {
        self.state().clock.advance(SignedDuration::from_mins(mins));
    }

    pub async fn send(&self, req: Req) -> Resp {
        let description = format!("{} {}", req.method, req.path);
        let res = self
            .inner()
            .router
            .clone()
            .oneshot(req.build())
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("a body").to_bytes();
        Resp {
            description,
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    // --- accounts ---

    pub fn add_account(&self, username: &str, role: Role, area: &str) -> Account {
        self.add_account_with(username, role, area, false)
    }

    /// An account whose password was generated or reset: it must be changed at first login.
    pub fn add_account_with(
        &self,
        username: &str,
        role: Role,
        area: &str,
        must_change_password: bool,
    ) -> Account {
        let new = NewAccount {
            username: Username::parse(username).expect("a valid username"),
            role,
            area: code_of(area),
            password_hash: password_hash().to_string(),
            must_change_password,
        };
        let entry = AuditEntry::new(AuditAction::AccountAdd, "account", AuditResult::Ok)
            .from_source("test-setup");
        self.with_db(|s| s.add_account(new, entry))
            .unwrap_or_else(|e| panic!("account {username}: {e}"))
    }

    /// The scope an account acts with, as the app builds it.
    pub fn scope_of(account: &Account) -> Scope {
        Scope::new(account.id, account.role, account.area.clone())
    }

    /// `POST /api/v1/tokens` with any password.
    pub async fn token_request(&self, username: &str, password: &str) -> Resp {
        self.send(post("/api/v1/tokens").json(&serde_json::json!({
            "username": username,
            "password": password,
        })))
        .await
    }

    /// A bearer token for an account (password [`PASSWORD`]).
    pub async fn token(&self, username: &str) -> String {
        let res = self.token_request(username, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::CREATED,
            "token for {username}: {res}"
        );
        res.json()["token"]
            .as_str()
            .expect("a token string")
            .to_string()
    }

    /// The login form's CSRF token: (cookie value, form field value).
    pub async fn login_form(&self) -> (String, String) {
        let res = self.send(get("/login")).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let cookie = res
            .cookie(renkou_web::auth::LOGIN_CSRF_COOKIE)
            .expect("the login form sets its CSRF cookie");
        let field = hidden_csrf(&res.body).expect("the login form carries a CSRF field");
        (cookie, field)
    }

    /// Signs in through the login form, as a browser does.
    pub async fn login_submit(&self, username: &str, password: &str) -> Resp {
        let (cookie, field) = self.login_form().await;
        self.send(
            post("/login")
                .cookie(renkou_web::auth::LOGIN_CSRF_COOKIE, &cookie)
                .form(&[
                    ("csrf", field.as_str()),
                    ("next", "/"),
                    ("username", username),
                    ("password", password),
                ]),
        )
        .await
    }

    /// A signed-in browser: its session cookie and the CSRF token its pages carry.
    pub async fn browser(&self, username: &str) -> Browser {
        let res = self.login_submit(username, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login of {username}: {res}"
        );
        let session = res
            .cookie(renkou_web::auth::SESSION_COOKIE)
            .expect("a session cookie");
        // Every signed-in page carries the session's token (in the logout form at least).
        let page = self
            .send(get("/password").cookie(renkou_web::auth::SESSION_COOKIE, &session))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        let csrf = hidden_csrf(&page.body).expect("a page carries the CSRF token");
        Browser { session, csrf }
    }

    // --- people ---

    /// A new person's fields: a woman unless `sex` says otherwise, resident, unmarried, with a
    /// fresh valid ID number, her own household and a phone of her own.
    pub fn person(&self, name: &str, sex: Sex, born: Date, area: &str) -> PersonSpec {
        let n = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let seq = match sex {
            Sex::Male => (n % 500) * 2 + 1,
            Sex::Female => (n % 500) * 2,
        };
        let id = IdNumber::from_parts("340705", born, seq).expect("a valid ID number");
        let fields = [
            ("id_number", id.as_str().to_string()),
            ("name", name.to_string()),
            ("sex", sex.code().to_string()),
            ("birth_date", born.to_string()),
            ("ethnicity", "01".to_string()),
            ("marital_status", "10".to_string()),
            ("education", "20".to_string()),
            ("phone", format!("139{:08}", 10_000 + u32::from(n))),
            ("household_no", format!("H{n:04}")),
            ("relation", "02".to_string()),
            ("population_type", "resident".to_string()),
            ("registered_place", "340705 安徽省铜陵市铜官区".to_string()),
            ("area_code", area.to_string()),
            ("address", "长江路1号".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        PersonSpec { fields }
    }

    /// A woman of 31 in `area`.
    pub fn woman(&self, name: &str, area: &str) -> PersonSpec {
        self.person(name, Sex::Female, jiff::civil::date(1995, 3, 8), area)
    }

    /// Puts a person on the register directly (setup, not through the app).
    pub fn add(&self, spec: PersonSpec) -> Added {
        let data = spec.data();
        let copy = data.clone();
        let id = self
            .with_db(|s| s.add_person(copy, "test-setup", today()))
            .unwrap_or_else(|e| panic!("adding {:?}: {e}", spec.fields));
        Added { id, spec, data }
    }

    // --- the audit trail ---

    /// The newest row's sequence number (0 when the trail is empty).
    pub fn last_seq(&self) -> i64 {
        self.with_db(|s| s.audit_rows(&AuditFilter::default(), None, 1))
            .expect("audit rows")
            .first()
            .map_or(0, |r| r.seq)
    }

    /// Rows written after `seq`, oldest first.
    pub fn audit_after(&self, seq: i64) -> Vec<AuditRow> {
        let mut rows: Vec<AuditRow> = self
            .with_db(|s| s.audit_rows(&AuditFilter::default(), None, 100_000))
            .expect("audit rows")
            .into_iter()
            .filter(|r| r.seq > seq)
            .collect();
        rows.reverse();
        rows
    }

    pub fn audit(&self, filter: AuditFilter) -> Vec<AuditRow> {
        self.with_db(|s| s.audit_rows(&filter, None, 100_000))
            .expect("audit rows")
    }
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Browser {
    pub session: String,
    pub csrf: String,
}

impl Browser {
    /// A request carrying this browser's session cookie.
    pub fn with(&self, req: Req) -> Req {
        req.cookie(renkou_web::auth::SESSION_COOKIE, &self.session)
    }

    pub fn get(&self, path: &str) -> Req {
        self.with(get(path))
    }

    /// A form post with this session's CSRF token added.
    pub fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Req {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.with(post(path)).form(&all)
    }

    /// The upload form sent as a browser sends it: `fields` (kind, skip_invalid, upsert) and
    /// the file.
    pub fn upload(&self, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Req {
        let boundary = "renkou-test-boundary";
        let mut body = Vec::new();
        let mut part = |name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            )
        };
        part("csrf", &self.csrf);
        for (k, v) in fields {
            part(k, v);
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self.with(post("/upload")).header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        );
        req.body = body;
        req
    }
}

impl TestApp {
    /// Uploads a file as `browser` and waits for its report page.
    pub async fn upload_and_wait(
        &self,
        browser: &Browser,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Resp {
        let res = self.send(browser.upload(fields, file_name, bytes)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
        let job = res.location().to_string();
        for _ in 0..600 {
            let page = self.send(browser.get(&job)).await;
            if page.body.contains("id=\"summary\"")
                || page.body.contains("class=\"error\" role=\"alert\"")
            {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the import at {job} did not finish");
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and responses.

pub struct Req {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    body: Vec<u8>,
}

pub fn request(method: Method, path: &str) -> Req {
    Req {
        method,
        path: path.to_string(),
        headers: Vec::new(),
        cookies: Vec::new(),
        body: Vec::new(),
    }
}

pub fn get(path: &str) -> Req {
    request(Method::GET, path)
}

pub fn post(path: &str) -> Req {
    request(Method::POST, path)
}

pub fn put(path: &str) -> Req {
    request(Method::PUT, path)
}

pub fn delete(path: &str) -> Req {
    request(Method::DELETE, path)
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.cookies.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = serde_json::to_vec(body).expect("JSON serialises");
        self.header("content-type", "application/json")
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = serde_urlencoded::to_string(pairs)
            .expect("a form encodes")
            .into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    fn build(self) -> Request<Body> {
        let mut b = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if !self.cookies.is_empty() {
            let line = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            b = b.header(header::COOKIE, line);
        }
        b.body(Body::from(self.body)).expect("a valid request")
    }
}

pub struct Resp {
    /// "GET /path", for failure messages.
    pub description: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body: String = self.body.chars().take(2000).collect();
        write!(f, "{} → {} {}", self.description, self.status, body)
    }
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self}"))
    }

    /// The API error's stable code.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The whole Set-Cookie line for a cookie, attributes included.
    pub fn set_cookie_line(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|line| line.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// A cookie's value as set by this response.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie_line(name).map(|line| {
            line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string()
        })
    }

    /// Asserts the status and (for the API) the error code.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{self}");
        assert_eq!(self.code(), code, "{self}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reading pages.

/// The value of the first `name="csrf"` hidden field of a page.
pub fn hidden_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

/// The text inside the element with this id (up to its first closing tag).
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let open_end = html[at..].find('>')? + at + 1;
    let close = html[open_end..].find("</")? + open_end;
    Some(html[open_end..close].to_string())
}

/// The `value` of the input with this id.
pub fn input_value(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let tag_end = html[at..].find('>')? + at;
    let tag = &html[at..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].to_string())
}

/// The value a select box has selected.
pub fn selected_value(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let end = html[at..].find("</select>")? + at;
    let select = &html[at..end];
    let sel = select.find(" selected>")?;
    let before = &select[..sel];
    let v = before.rfind("value=\"")? + "value=\"".len();
    let close = before[v..].find('"')?;
    Some(before[v..v + close].to_string())
}

/// A path with a percent-encoded query string.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(pairs).expect("a query encodes")
    )
}

// ---------------------------------------------------------------------------------------------
// Raw bodies and request sources (the certificates' tests).

impl TestApp {
    /// Sends a request as if it came from `ip` (the connection's address, as `renkou serve`
    /// passes it to the handlers).
    pub async fn send_from(&self, ip: &str, req: Req) -> Resp {
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().expect("an IP address");
        self.send_built(req.description(), {
            let mut built = req.build();
            built
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
            built
        })
        .await
        .0
    }

    /// Sends a request and keeps the body's bytes as they came (a PDF is not text).
    pub async fn send_bytes(&self, req: Req) -> (Resp, Vec<u8>) {
        let description = req.description();
        self.send_built(description, req.build()).await
    }

    async fn send_built(&self, description: String, req: Request<Body>) -> (Resp, Vec<u8>) {
        let res = self
            .inner()
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("a body").to_bytes();
        let resp = Resp {
            description,
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        (resp, bytes.to_vec())
    }
}

impl Req {
    fn description(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}
