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

mod app;
pub use app::*;

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
    /// The text of the page's message banner (`p.message`).
    pub fn message(&self) -> String {
        let at = self
            .body
            .find("class=\"message\"")
            .unwrap_or_else(|| panic!("no message on {self}"));
        let start = self.body[at..].find('>').unwrap() + at + 1;
        let end = self.body[start..].find('<').unwrap() + start;
        self.body[start..end].to_string()
    }

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

impl Req {
    fn description(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}
