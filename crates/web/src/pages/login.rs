//! Signing in and out, changing one's password, and the language switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use renkou_core::account::check_password;
use renkou_store::SessionKind;
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{
    Caller, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Source, constant_time_eq,
    hash_password, login, random_token, verify_password,
};
use crate::error::AppError;
use crate::i18n::Catalog;

pub fn routes() -> axum::Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(password_submit))
        .route("/lang", post(switch_lang))
}

/// A cookie for this app: HttpOnly and SameSite=Strict always, Secure behind HTTPS.
pub fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    http_only: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if state.cookies_secure() {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).expect("cookie text is ASCII")
}

/// Only paths of this site: never send someone elsewhere after a login. A path is printable
/// ASCII (browsers percent-encode the rest), so no header can be smuggled into the redirect.
fn local_path(next: &str) -> &str {
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    if printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::auth::cookie_in(headers, name).map(str::to_string)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Catalog,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The login form carries a token that must match a cookie set with it (double submit), so
/// another site cannot post a login in the user's browser.
fn login_page(
    state: &AppState,
    t: Catalog,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = random_token();
    let mut res = render(LoginPage {
        t,
        csrf: csrf.clone(),
        next: local_path(next).to_string(),
        username: username.to_string(),
        error,
    });
    res.headers_mut().append(
        SET_COOKIE,
        cookie_header(state, LOGIN_CSRF_COOKIE, &csrf, Some(3600), true),
    );
    res
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let t = Catalog::new(crate::auth::lang_of(&headers));
    login_page(&state, t, q.next.as_deref().unwrap_or("/"), "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = Catalog::new(crate::auth::lang_of(&headers));
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !constant_time_eq(form.csrf.as_bytes(), expected.as_bytes()) {
        let mut res = login_page(
            &state,
            t,
            &form.next,
            &form.username,
            Some(t.text("error.csrf_token_invalid").to_string()),
        );
        *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
        return res;
    }
    match login(
        &state,
        &form.username,
        &form.password,
        &source,
        SessionKind::Browser,
    )
    .await
    {
        Ok(done) => {
            let target = if done.account.must_change_password {
                "/password".to_string()
            } else {
                local_path(&form.next).to_string()
            };
            let mut res = Redirect::to(&target).into_response();
            res.headers_mut().append(
                SET_COOKIE,
                cookie_header(&state, SESSION_COOKIE, &done.token, None, true),
            );
            res.headers_mut().append(
                SET_COOKIE,
                cookie_header(&state, LOGIN_CSRF_COOKIE, "", Some(0), true),
            );
            res
        }
        Err(e) => {
            let message = match &e {
                AppError::Unauthenticated => t.text("login.failed").to_string(),
                other => other.message(t),
            };
            let mut res = login_page(&state, t, &form.next, &form.username, Some(message));
            *res.status_mut() = e.status();
            res
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Ends the session in the database: the old cookie no longer opens anything.
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    let (actor, hash) = (caller.actor.clone(), caller.token_hash.clone());
    state.sessions.forget(&hash);
    state
        .pool
        .run(move |s| s.sign_out(&actor, &hash))
        .await
        .or_page(t)?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", Some(0), true),
    );
    // Browsers that honour it drop every page of this site they kept.
    res.headers_mut().insert(
        "clear-site-data",
        axum::http::HeaderValue::from_static("\"cache\""),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    must_change: bool,
    error: Option<String>,
}

async fn password_form(caller: Caller) -> Response {
    render(PasswordPage {
        must_change: caller.account.must_change_password,
        chrome: Chrome::new(&caller, "/password", "/password"),
        error: None,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

async fn password_submit(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    let again = |error: String| {
        let mut res = render(PasswordPage {
            must_change: caller.account.must_change_password,
            chrome: Chrome::new(&caller, "/password", "/password"),
            error: Some(error),
        });
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(res)
    };
    if form.new != form.repeat {
        return again(t.text("password.mismatch").to_string());
    }
    if let Err(e) = check_password(&form.new, caller.account.username.as_str()) {
        return again(e.to_string());
    }
    // The current password is a password guess like a login: throttled before any hashing,
    // and a wrong one counts towards the lockout (which ends this session too) and is audited.
    let username = caller.account.username.to_string();
    if !state.throttle.allow(&caller.actor.source, &username) {
        let actor = caller.actor.clone();
        state
            .pool
            .run(move |s| s.password_change_refused(&actor, "throttled"))
            .await
            .or_page(t)?;
        return Err(PageError(t, AppError::Throttled));
    }
    let stored = state
        .pool
        .run(move |s| s.account_for_login(&username))
        .await
        .or_page(t)?;
    let _permit = state.hashing.acquire().await.ok();
    let (current, new) = (form.current.clone(), form.new.clone());
    let (current_ok, new_hash) = tokio::task::spawn_blocking(move || {
        let ok = stored.is_some_and(|(_, hash)| verify_password(&hash, &current));
        // A new password equal to the current one is refused below: no need to hash it.
        let changed = ok && current != new;
        (ok, changed.then(|| hash_password(&new)))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
    .or_page(t)?;
    if !current_ok {
        let (actor, now) = (caller.actor.clone(), state.clock.now());
        let locked = state
            .pool
            .run(move |s| s.wrong_current_password(&actor, now))
            .await
            .or_page(t)?;
        if let Some(until) = locked {
            state.sessions.clear();
            return Err(PageError(t, AppError::Locked(until)));
        }
        return again(t.text("password.wrong_current").to_string());
    }
    let Some(new_hash) = new_hash else {
        return again(t.text("password.same_as_current").to_string());
    };
    let actor = caller.actor.clone();
    state
        .pool
        .run(move |s| s.change_own_password(&actor, &new_hash))
        .await
        .or_page(t)?;
    state.sessions.clear();
    // Every session ended with the change, this one too: sign in with the new password.
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", Some(0), true),
    );
    Ok(res)
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    #[serde(default)]
    next: String,
}

/// The language is a preference, not a secret: a plain cookie for a year.
async fn switch_lang(State(state): State<AppState>, Form(form): Form<LangForm>) -> Response {
    let lang = if form.lang == "en" { "en" } else { "zh" };
    let mut res = Redirect::to(local_path(&form.next)).into_response();
    res.headers_mut().append(
        SET_COOKIE,
        cookie_header(&state, LANG_COOKIE, lang, Some(365 * 24 * 3600), false),
    );
    res
}
