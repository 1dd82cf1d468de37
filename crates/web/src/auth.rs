//! Logging in and staying logged in: argon2id passwords, throttling before any hashing, the
//! lockout rule, sessions (browser cookie or API bearer token) and CSRF.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use renkou_core::account::{self, Account};
use renkou_core::{Action, Actor, Scope};
use renkou_store::{LoginRefusal, Session, SessionKind};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, AppError};
use crate::i18n::{Catalog, Lang};

pub const SESSION_COOKIE: &str = "renkou_session";
pub const LOGIN_CSRF_COOKIE: &str = "renkou_login_csrf";
pub const LANG_COOKIE: &str = "renkou_lang";

/// argon2id with OWASP's minimum parameters (19 MiB, two passes): ~20 ms per login here.
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

pub fn hash_password(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid parameters")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to check unknown usernames against, so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password-9X!"))
}

/// A fresh secret: 32 random bytes as hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a session secret.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A generated password that meets the policy: for new accounts and resets.
pub fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut s: String = (0..12)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect();
    // One of each kind, whatever the draw.
    s.push_str("a7K-");
    s
}

/// Attempts allowed per window before any password is hashed: per source address and per
/// username, so neither a flood from one place nor a spray at one account costs CPU.
pub struct Throttle {
    window: Duration,
    per_source: u32,
    per_username: u32,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(window: Duration, per_source: u32, per_username: u32) -> Self {
        Throttle {
            window,
            per_source,
            per_username,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; false when either limit is already reached. The source is counted
    /// first, and an attempt its source may not make is not counted against the username (or
    /// the shared key): one noisy address cannot spend a budget that others share.
    pub fn allow(&self, source: &str, username: &str) -> bool {
        let now = Instant::now();
        let mut counts = self.counts.lock().expect("throttle lock");
        if counts.len() > 100_000 {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let mut bump = |key: String, limit: u32| {
            let entry = counts.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
            entry.1 <= limit
        };
        bump(format!("s:{source}"), self.per_source)
            && bump(format!("u:{username}"), self.per_username)
    }
}

/// Sessions checked in the last few seconds, so most requests do not ask the database. Ending
/// a session here (logout, a password or account change) forgets it at once; a change made by
/// another process (the CLI disabling an account) is seen within `FRESH`.
#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Instant, Session)>>,
}

impl SessionCache {
    const FRESH: Duration = Duration::from_secs(5);

    /// A session checked moments ago whose last-seen time needs no update yet.
    fn get(&self, hash: &str, now: Timestamp) -> Option<Session> {
        let entries = self.entries.lock().expect("session cache lock");
        let (checked, session) = entries.get(hash)?;
        let recent = checked.elapsed() < Self::FRESH;
        let seen_lately = now.duration_since(session.last_seen_at).as_secs() < 60;
        (recent && seen_lately).then(|| session.clone())
    }

    fn put(&self, hash: &str, session: Session) {
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() > 10_000 {
            entries.retain(|_, (checked, _)| checked.elapsed() < Self::FRESH);
        }
        entries.insert(hash.to_string(), (Instant::now(), session));
    }

    pub fn forget(&self, hash: &str) {
        self.entries
            .lock()
            .expect("session cache lock")
            .remove(hash);
    }

    /// After an account changes: every cached session is checked again.
    pub fn clear(&self) {
        self.entries.lock().expect("session cache lock").clear();
    }
}

/// Usernames no account has are locked like real ones, so that an attempt's answer (wrong
/// password, or locked) never tells which names are real. Kept in memory: a name nobody has
/// has no row to keep them in.
#[derive(Default)]
pub struct UnknownNames {
    entries: Mutex<HashMap<String, NameFailures>>,
}

#[derive(Default)]
struct NameFailures {
    at: Vec<Timestamp>,
    locked_until: Option<Timestamp>,
}

impl UnknownNames {
    fn locked_until(&self, name: &str, now: Timestamp) -> Option<Timestamp> {
        let entries = self.entries.lock().expect("unknown names lock");
        entries.get(name)?.locked_until.filter(|u| *u > now)
    }

    /// Counts a failure as `Store::login_failed` does; the end of the lock it caused, if any.
    fn failed(&self, name: &str, now: Timestamp) -> Option<Timestamp> {
        let mut entries = self.entries.lock().expect("unknown names lock");
        if entries.len() > 100_000 {
            entries.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now)
                    || f.at.iter().any(|t| *t > now - account::FAILURE_WINDOW)
            });
        }
        let f = entries.entry(name.to_string()).or_default();
        f.at.retain(|t| *t > now - account::FAILURE_WINDOW);
        f.at.push(now);
        let lock = account::lock_after_failure(f.at.len() as u32, now);
        if lock.is_some() {
            f.at.clear();
            f.locked_until = lock;
        }
        lock
    }
}

/// A successful login: the secret for the cookie or the token, and the CSRF token.
pub struct LoggedIn {
    pub account: Account,
    pub token: String,
    pub csrf: String,
}

/// The whole login decision, audited whatever it is. The order matters: throttle (no CPU
/// spent), then the password (always hashed, known user or not), then lock and disabled.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    source: &str,
    kind: SessionKind,
) -> Result<LoggedIn, AppError> {
    let username = username.trim().to_string();
    let refused = |account: Option<Account>, why: LoginRefusal| {
        let source = source.to_string();
        state
            .pool
            .run(move |s| s.login_refused(&source, account.as_ref(), why))
    };
    if !state.throttle.allow(source, &username) {
        refused(None, LoginRefusal::Throttled).await?;
        return Err(AppError::Throttled);
    }
    let found = {
        let u = username.clone();
        state.pool.run(move |s| s.account_for_login(&u)).await?
    };
    // At most as many hashes at once as there are cores; the rest wait their turn.
    let permit = state
        .hashing
        .acquire()
        .await
        .map_err(|_| AppError::Internal("hashing closed".into()))?;
    let (hash, account) = match found {
        Some((a, h)) => (h, Some(a)),
        None => (dummy_hash().to_string(), None),
    };
    let pw = password.to_string();
    let password_ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    drop(permit);
    let now = state.clock.now();
    let Some(account) = account else {
        // The typed name is not kept: it may be a password typed in the wrong box.
        refused(None, LoginRefusal::UnknownUser).await?;
        let names = &state.unknown_names;
        let lock = names
            .locked_until(&username, now)
            .or_else(|| names.failed(&username, now));
        return Err(lock.map_or(AppError::Unauthenticated, AppError::Locked));
    };
    if account.disabled {
        refused(Some(account), LoginRefusal::Disabled).await?;
        return Err(AppError::Unauthenticated);
    }
    if let Some(until) = account.locked_until.filter(|u| *u > now) {
        refused(Some(account), LoginRefusal::Locked).await?;
        return Err(AppError::Locked(until));
    }
    if !password_ok {
        let source = source.to_string();
        let locked = state
            .pool
            .run(move |s| s.wrong_password(&source, &account, now))
            .await?;
        return Err(match locked {
            Some(until) => AppError::Locked(until),
            None => AppError::Unauthenticated,
        });
    }
    // A credential one administrator handed out opens nothing until a second has approved it.
    if let Some(approver) = account.awaiting_approval_by {
        refused(Some(account), LoginRefusal::AwaitingApproval).await?;
        return Err(AppError::AwaitingApproval(approver));
    }
    let token = random_token();
    let csrf = random_token();
    let (signed_in, hash, c, source) = (
        account.clone(),
        token_hash(&token),
        csrf.clone(),
        source.to_string(),
    );
    state
        .pool
        .run(move |s| s.sign_in(&source, &signed_in, kind, &hash, &c, now))
        .await?;
    Ok(LoggedIn {
        account,
        token,
        csrf,
    })
}

/// The signed-in account behind a request, from the session cookie or a bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    pub actor: Actor,
    pub kind: SessionKind,
    pub csrf: String,
    pub token_hash: String,
    pub lang: Lang,
    /// The message the previous request left for this page (`pages::message`).
    pub message: Option<String>,
    /// The account's area by name (its code when the area table does not know it).
    pub area_name: String,
}

impl Caller {
    pub fn t(&self) -> Catalog {
        Catalog::new(self.lang)
    }

    pub fn scope(&self) -> &Scope {
        &self.actor.scope
    }

    pub fn allows(&self, action: Action) -> bool {
        self.actor.scope.allows(action)
    }

    /// Refuses and audits an action the role table does not give this account.
    pub async fn require(
        &self,
        state: &AppState,
        action: Action,
        what: &str,
    ) -> Result<(), AppError> {
        // Allowed by core's table: nothing to record, so no trip to the database. A refusal
        // goes to the store's door, which decides it again and writes the audit row.
        if self.allows(action) {
            return Ok(());
        }
        let (actor, what) = (self.actor.clone(), what.to_string());
        state
            .pool
            .run(move |s| s.check_access(&actor, action, &what))
            .await?;
        Ok(())
    }

    /// For forms: the token a form posted must be this session's.
    pub fn check_csrf(&self, posted: &str) -> Result<(), AppError> {
        if !posted.is_empty() && constant_time_eq(posted.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

/// A cookie's value from request headers, for handlers that take the headers only.
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Where a request came from, for the audit trail.
pub fn source_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_string())
}

/// The request's source address as an extractor, for handlers without a session yet.
pub struct Source(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Source(source_of(parts)))
    }
}

/// The language a request asks for (its language cookie; Chinese without one).
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    Lang::from_cookie(cookie_in(headers, LANG_COOKIE))
}

/// Why a request has no caller: a page redirects to the login form, the API answers 401.
pub enum NoCaller {
    Page(Response),
    Api(ApiError),
}

impl IntoResponse for NoCaller {
    fn into_response(self) -> Response {
        match self {
            NoCaller::Page(r) => r,
            NoCaller::Api(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = NoCaller;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NoCaller> {
        let api = parts.uri.path().starts_with("/api/");
        let reject = |e: AppError, parts: &Parts| -> NoCaller {
            if api {
                return NoCaller::Api(ApiError(e));
            }
            match e {
                AppError::PasswordChangeRequired => {
                    NoCaller::Page(Redirect::to("/password").into_response())
                }
                AppError::Unauthenticated => {
                    let next = parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str())
                        .unwrap_or("/");
                    let target = format!(
                        "/login?next={}",
                        serde_urlencoded::to_string([("", next)])
                            .unwrap_or_default()
                            .trim_start_matches('=')
                    );
                    NoCaller::Page(Redirect::to(&target).into_response())
                }
                other => NoCaller::Page(crate::pages::error_page(
                    Catalog::new(lang_of(&parts.headers)),
                    other,
                )),
            }
        };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (secret, from_header) = match (bearer, cookie(parts, SESSION_COOKIE)) {
            (Some(t), _) if api => (t.to_string(), true),
            (_, Some(c)) => (c.to_string(), false),
            _ => return Err(reject(AppError::Unauthenticated, parts)),
        };
        let hash = token_hash(&secret);
        let now = state.clock.now();
        let session = match state.sessions.get(&hash, now) {
            Some(s) => Some(s),
            None => {
                let h = hash.clone();
                let found: Option<Session> = state
                    .pool
                    .run(move |s| s.session(&h, now))
                    .await
                    .map_err(|e| reject(e.into(), parts))?;
                match &found {
                    Some(s) => state.sessions.put(&hash, s.clone()),
                    None => state.sessions.forget(&hash),
                }
                found
            }
        };
        let Some(session) = session else {
            return Err(reject(AppError::Unauthenticated, parts));
        };
        // A cookie opens pages; a bearer token opens the API; neither stands in for the other.
        if from_header != (session.kind == SessionKind::Api) {
            return Err(reject(AppError::Unauthenticated, parts));
        }
        // Cookie-authenticated calls that change something carry the session's CSRF token.
        if api
            && !from_header
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let posted = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(posted.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(reject(AppError::Csrf, parts));
            }
        }
        let path = parts.uri.path();
        if session.account.must_change_password
            && !matches!(path, "/password" | "/logout" | "/lang")
        {
            return Err(reject(AppError::PasswordChangeRequired, parts));
        }
        let account = session.account;
        let area_name = match state.area_names().await {
            Ok(names) => names.label(&account.area),
            Err(_) => account.area.to_string(),
        };
        let actor = Actor {
            scope: Scope::new(account.id, account.role, account.area.clone()),
            username: account.username.to_string(),
            source: source_of(parts),
        };
        Ok(Caller {
            account,
            actor,
            kind: session.kind,
            csrf: session.csrf_token,
            token_hash: hash,
            lang: lang_of(&parts.headers),
            message: crate::pages::message::message_in(&parts.headers),
            area_name,
        })
    }
}

/// The clock sessions and lockouts are measured by. Tests move it forward.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let offset = self.offset_secs.load(std::sync::atomic::Ordering::Relaxed);
        Timestamp::now() + jiff::SignedDuration::from_secs(offset)
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        self.offset_secs
            .fetch_add(by.as_secs(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Today in Beijing time: the date staff mean.
pub fn today(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date()
}
