//! Signing in and staying signed in, as staff and attackers notice it: the lockout after five
//! wrong passwords, the throttle before any hashing, idle expiry and logout, cookies that are
//! not tokens (and tokens that are not cookies), and CSRF on every form and state-changing call.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use renkou_core::Role;
use renkou_store::{AuditFilter, PersonFilter};
use renkou_web::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};

const WRONG: &str = "Wrong-pass-1";

/// The login decisions audited for a username, oldest first: (result, detail).
fn logins(app: &TestApp, username: &str) -> Vec<(String, String)> {
    let mut rows = app.audit(AuditFilter {
        action: Some("login".into()),
        username: Some(username.into()),
        ..Default::default()
    });
    rows.reverse();
    rows.into_iter()
        .map(|r| (r.result, r.detail.unwrap_or_default()))
        .collect()
}

fn count_people(app: &TestApp) -> u64 {
    app.with_db(|s| {
        s.count_persons(&PersonFilter {
            all_statuses: true,
            ..Default::default()
        })
    })
    .expect("a count")
}

// ---------------------------------------------------------------------------------------------
// Lockout and throttle.

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_thirty_minutes() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("li.ming", Role::CommitteeOfficer, K1);
        for _ in 1..=4 {
            app.token_request("li.ming", WRONG)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        }
        let fifth = app.token_request("li.ming", WRONG).await;
        fifth.assert_error(StatusCode::FORBIDDEN, "account_locked");

        // While locked, the right password is refused too: by the API and by the login form.
        app.token_request("li.ming", PASSWORD)
            .await
            .assert_error(StatusCode::FORBIDDEN, "account_locked");
        let page = app.login_submit("li.ming", PASSWORD).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{page}");
        assert!(page.cookie(SESSION_COOKIE).is_none(), "no session: {page}");
        assert!(page.body.contains("账户因多次密码错误已锁定"), "{page}");

        app.advance_mins(29);
        app.token_request("li.ming", PASSWORD)
            .await
            .assert_error(StatusCode::FORBIDDEN, "account_locked");
        app.advance_mins(2);
        let res = app.token_request("li.ming", PASSWORD).await;
        assert_eq!(res.status, StatusCode::CREATED, "31 minutes later: {res}");

        let audited = logins(&app, "li.ming");
        let results: Vec<&str> = audited.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            results,
            [
                "failed", "failed", "failed", "failed", "failed", "failed", "failed", "failed",
                "ok"
            ],
            "every login decision is audited: {audited:?}"
        );
        assert!(audited[4].1.starts_with("locked_until="), "{audited:?}");
        assert_eq!(audited[5].1, "locked", "{audited:?}");
    }
}

#[tokio::test]
async fn failures_older_than_fifteen_minutes_do_not_count() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("li.ming", Role::CommitteeOfficer, K1);
        for _ in 1..=4 {
            app.token_request("li.ming", WRONG)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        }
        app.advance_mins(16);
        // Four more: with the first four out of the window, still no lock…
        for _ in 1..=4 {
            app.token_request("li.ming", WRONG)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        }
        // …until the fifth within fifteen minutes.
        app.token_request("li.ming", WRONG)
            .await
            .assert_error(StatusCode::FORBIDDEN, "account_locked");
    }
}

#[tokio::test]
async fn a_successful_login_forgets_earlier_failures() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    for _ in 1..=4 {
        app.token_request("li.ming", WRONG)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert_eq!(
        app.token_request("li.ming", PASSWORD).await.status,
        StatusCode::CREATED
    );
    for _ in 1..=4 {
        app.token_request("li.ming", WRONG)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    app.token_request("li.ming", WRONG)
        .await
        .assert_error(StatusCode::FORBIDDEN, "account_locked");
}

#[tokio::test]
async fn the_eleventh_attempt_in_a_minute_for_one_username_is_throttled() {
    // The throttle counts real minutes: this app (and its throttle) is this test's alone.
    let app = TestApp::new();
    app.add_account("wang.fang", Role::CommitteeOfficer, K1);
    for n in 1..=10 {
        let res = app.token_request("zhang.san", WRONG).await;
        // An unknown name locks on the fifth failure, as a real one does.
        if n < 5 {
            res.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        } else {
            res.assert_error(StatusCode::FORBIDDEN, "account_locked");
        }
    }
    app.token_request("zhang.san", WRONG)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // The login form is throttled by the same count.
    let page = app.login_submit("zhang.san", WRONG).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    // Another username from the same place is not held up.
    assert_eq!(
        app.token_request("wang.fang", PASSWORD).await.status,
        StatusCode::CREATED
    );
    let throttled = app.audit(AuditFilter {
        action: Some("login".into()),
        result: Some("failed".into()),
        ..Default::default()
    });
    assert_eq!(
        throttled
            .iter()
            .filter(|r| r.detail.as_deref() == Some("throttled"))
            .count(),
        2,
        "throttled attempts are audited: {throttled:#?}"
    );
    // The typed username of an unknown account is not kept (it may be a password).
    assert!(
        throttled
            .iter()
            .all(|r| r.username.is_none() && !format!("{r:?}").contains("zhang.san")),
        "{throttled:#?}"
    );
}

#[tokio::test]
async fn thirty_attempts_a_minute_from_one_source_are_the_most() {
    let app = TestApp::new();
    app.add_account("wang.fang", Role::CommitteeOfficer, K1);
    for n in 1..=30 {
        app.token_request(&format!("guess.{n}"), WRONG)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Even the right password for a real account waits for the minute to pass.
    app.token_request("wang.fang", PASSWORD)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}

#[tokio::test]
async fn an_initial_password_must_be_changed_before_anything_else() {
    let app = TestApp::new();
    app.add_account_with("new.hire", Role::CommitteeOfficer, K1, true);
    app.token_request("new.hire", PASSWORD)
        .await
        .assert_error(StatusCode::FORBIDDEN, "password_change_required");
    let res = app.login_submit("new.hire", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert_eq!(res.location(), "/password");
    let session = res
        .cookie(SESSION_COOKIE)
        .expect("a session to change it with");
    let home = app.send(get("/").cookie(SESSION_COOKIE, &session)).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "{home}");
    assert_eq!(home.location(), "/password");
}

// ---------------------------------------------------------------------------------------------
// Sessions.

#[tokio::test]
async fn sessions_end_after_thirty_idle_minutes() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("li.ming", Role::CommitteeOfficer, K1);
        let browser = app.browser("li.ming").await;
        let token = app.token("li.ming").await;
        let use_both = async || {
            let page = app.send(browser.get("/persons")).await;
            let api = app.send(get("/api/v1/me").bearer(&token)).await;
            (page, api)
        };

        // Use keeps a session alive: 40 minutes after login, used every 20.
        for _ in 0..3 {
            let (page, api) = use_both().await;
            assert_eq!(page.status, StatusCode::OK, "{page}");
            assert_eq!(api.status, StatusCode::OK, "{api}");
            assert_eq!(api.json()["username"], "li.ming");
            app.advance_mins(20);
        }
        app.advance_mins(11); // 31 idle minutes

        let page = app.send(browser.get("/persons?sex=2")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(page.location(), "/login?next=%2Fpersons%3Fsex%3D2");
        let login = app.send(get(page.location())).await;
        assert!(
            login.body.contains("value=\"/persons?sex=2\""),
            "the login form comes back to the page: {login}"
        );
        let api = app.send(get("/api/v1/me").bearer(&token)).await;
        api.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        assert_eq!(
            api.headers
                .get(header::WWW_AUTHENTICATE)
                .map(|v| v.to_str().unwrap()),
            Some("Bearer")
        );
    }
}

#[tokio::test]
async fn logout_ends_the_session_and_the_old_cookie_no_longer_works() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let browser = app.browser("li.ming").await;

    // Logging out is a form like any other: without the token it is refused.
    let refused = app.send(browser.with(post("/logout")).form(&[])).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(app.send(browser.get("/")).await.status, StatusCode::OK);

    let res = app.send(browser.post_form("/logout", &[])).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert_eq!(res.location(), "/login");
    let cleared = res
        .set_cookie_line(SESSION_COOKIE)
        .expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The browser might keep the old cookie: it opens nothing any more.
    let res = app.send(browser.get("/")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert_eq!(res.location(), "/login?next=%2F");
    let res = app.send(browser.get("/api/v1/me")).await;
    res.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    // An API client ends its token the same way.
    let token = app.token("li.ming").await;
    let res = app
        .send(delete("/api/v1/tokens/current").bearer(&token))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{res}");
    app.send(get("/api/v1/me").bearer(&token))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let logouts = app.audit(AuditFilter {
        action: Some("logout".into()),
        username: Some("li.ming".into()),
        ..Default::default()
    });
    assert_eq!(logouts.len(), 2, "{logouts:#?}");
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site_strict() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let form = app.send(get("/login")).await;
    let res = app.login_submit("li.ming", PASSWORD).await;
    for line in [
        form.set_cookie_line(LOGIN_CSRF_COOKIE)
            .expect("the login CSRF cookie"),
        res.set_cookie_line(SESSION_COOKIE)
            .expect("the session cookie"),
    ] {
        assert!(line.contains("HttpOnly"), "{line}");
        assert!(line.contains("SameSite=Strict"), "{line}");
        assert!(line.contains("Path=/"), "{line}");
    }
}

/// Plain http on a LAN keeps cookies usable without TLS; an https public address makes every
/// cookie Secure without a second flag to remember.
#[tokio::test]
async fn cookies_are_secure_whenever_the_public_address_is_https() {
    let plain = TestApp::new();
    plain.add_account("li.ming", Role::CommitteeOfficer, K1);
    let res = plain.login_submit("li.ming", PASSWORD).await;
    let line = res
        .set_cookie_line(SESSION_COOKIE)
        .expect("the session cookie");
    assert!(!line.contains("Secure"), "{line}");

    let app = TestApp::configured(Backend::sqlite(), |s| {
        s.public_url = Some("https://renkou.example.gov.cn".into())
    });
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let form = app.send(get("/login")).await;
    let res = app.login_submit("li.ming", PASSWORD).await;
    for line in [
        form.set_cookie_line(LOGIN_CSRF_COOKIE)
            .expect("the login CSRF cookie"),
        res.set_cookie_line(SESSION_COOKIE)
            .expect("the session cookie"),
    ] {
        assert!(line.contains("; Secure"), "{line}");
    }
}

#[tokio::test]
async fn a_token_is_only_a_bearer_token_and_a_cookie_only_a_cookie() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let browser = app.browser("li.ming").await;
    let token = app.token("li.ming").await;

    // Each in its place works.
    assert_eq!(
        app.send(get("/api/v1/me").bearer(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(app.send(browser.get("/")).await.status, StatusCode::OK);
    // A signed-in browser may read the API with its cookie.
    assert_eq!(
        app.send(browser.get("/api/v1/me")).await.status,
        StatusCode::OK
    );

    // A token in the cookie opens neither pages nor the API.
    let page = app.send(get("/").cookie(SESSION_COOKIE, &token)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{page}");
    assert!(page.location().starts_with("/login"), "{page}");
    app.send(get("/api/v1/me").cookie(SESSION_COOKIE, &token))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // A cookie's secret sent as a bearer token does not open the API.
    app.send(get("/api/v1/me").bearer(&browser.session))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Pages do not read bearer tokens.
    let page = app.send(get("/").bearer(&token)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{page}");
    assert!(page.location().starts_with("/login"), "{page}");
}

// ---------------------------------------------------------------------------------------------
// CSRF.

#[tokio::test]
async fn a_form_without_the_session_csrf_token_changes_nothing() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    app.add_account("wang.fang", Role::CommitteeOfficer, K1);
    let browser = app.browser("li.ming").await;
    let other = app.browser("wang.fang").await;
    let spec = app.woman("李秀兰", K1);
    let fields: Vec<(&str, &str)> = spec
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let mut wrong = fields.clone();
    wrong.push(("csrf", "0123456789abcdef"));
    let mut someone_elses = fields.clone();
    someone_elses.push(("csrf", other.csrf.as_str()));
    for (what, form) in [
        ("no token", fields.clone()),
        ("a wrong token", wrong),
        ("another session's token", someone_elses),
    ] {
        let res = app
            .send(browser.with(post("/persons/new")).form(&form))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {res}");
        assert!(res.body.contains("页面已过期"), "{what}: says why: {res}");
    }
    assert_eq!(count_people(&app), 0, "nothing was written");
    let added = app.audit(AuditFilter {
        action: Some("person.add".into()),
        ..Default::default()
    });
    assert!(added.is_empty(), "{added:#?}");

    // The same form with the session's token goes through.
    let res = app.send(browser.post_form("/persons/new", &fields)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert!(res.location().starts_with("/persons/"), "{res}");
    assert_eq!(count_people(&app), 1);
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_cookie() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let (cookie, field) = app.login_form().await;
    let form = |csrf: &str| {
        post("/login").form(&[
            ("csrf", csrf),
            ("next", "/"),
            ("username", "li.ming"),
            ("password", PASSWORD),
        ])
    };
    for (what, req) in [
        ("no cookie", form(&field)),
        (
            "a cookie that does not match",
            form(&field).cookie(LOGIN_CSRF_COOKIE, "ffff"),
        ),
        ("no field", form("").cookie(LOGIN_CSRF_COOKIE, &cookie)),
    ] {
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {res}");
        assert!(res.cookie(SESSION_COOKIE).is_none(), "{what}: no session");
    }
    assert!(
        logins(&app, "li.ming").is_empty(),
        "refused before any password was checked"
    );
    let res = app
        .send(form(&field).cookie(LOGIN_CSRF_COOKIE, &cookie))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert!(res.cookie(SESSION_COOKIE).is_some());
}

#[tokio::test]
async fn cookie_sessions_send_the_csrf_header_on_api_changes_and_bearer_tokens_need_none() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let her = app.add(app.woman("李秀兰", K1));
    let browser = app.browser("li.ming").await;
    let path = format!("/api/v1/persons/{}", her.id());
    let changed = |address: &str| her.spec.clone().set("address", address).json();
    let address = |app: &TestApp| {
        let id = her.id;
        app.with_db(move |s| s.person(id))
            .expect("a read")
            .expect("she is there")
            .data
            .address
    };

    for (what, req) in [
        (
            "PUT without the header",
            browser.with(put(&path)).json(&changed("x路1号")),
        ),
        (
            "PUT with a wrong header",
            browser
                .with(put(&path))
                .header("x-csrf-token", "0000")
                .json(&changed("x路1号")),
        ),
        (
            "POST an event without the header",
            browser
                .with(post(&format!("{path}/events")))
                .json(&serde_json::json!({"event": "pregnancy", "date": days_ago(3).to_string()})),
        ),
        (
            "POST a person without the header",
            browser
                .with(post("/api/v1/persons"))
                .json(&app.woman("张桂英", K1).json()),
        ),
        (
            "DELETE the session without the header",
            browser.with(delete("/api/v1/tokens/current")),
        ),
    ] {
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {res}");
        assert_eq!(res.code(), "csrf_token_invalid", "{what}: {res}");
    }
    assert_eq!(address(&app).as_deref(), Some("长江路1号"), "unchanged");
    assert_eq!(count_people(&app), 1, "nobody added");

    let res = app
        .send(
            browser
                .with(put(&path))
                .header("x-csrf-token", &browser.csrf)
                .json(&changed("长江路2号")),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(address(&app).as_deref(), Some("长江路2号"));

    // A bearer token is not sent by a browser on its own: no CSRF token is needed.
    let token = app.token("li.ming").await;
    let res = app
        .send(put(&path).bearer(&token).json(&changed("长江路3号")))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(address(&app).as_deref(), Some("长江路3号"));
}

// ---------------------------------------------------------------------------------------------
// Account administration: 三员分立. No administrator can make, reset or take over an account
// that reads personal data (or another administrator's) alone.

/// The one-time password a page shows after an add or a reset.
fn shown_password(body: &str) -> String {
    let at = body
        .find("密码：")
        .unwrap_or_else(|| panic!("no password shown: {body}"))
        + "密码：".len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_graphic())
        .collect()
}

fn account_id(app: &TestApp, username: &str) -> i64 {
    app.with_db(|s| s.account_for_login(username))
        .unwrap()
        .unwrap_or_else(|| panic!("no account {username}"))
        .0
        .id
}

/// The finding: the system administrator made a station account and used it, and reset the
/// other administrators' passwords and used those. Each now waits for a second administrator.
#[tokio::test]
async fn the_system_administrator_cannot_become_anyone() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("sys", Role::SystemAdmin, D1);
        app.add_account("sec", Role::SecurityAdmin, D1);
        app.add_account("sec2", Role::SecurityAdmin, D1);
        app.add_account("aud", Role::AuditAdmin, D1);
        app.add_account("li.ming", Role::CommitteeOfficer, K1);
        let sys = app.browser("sys").await;

        // A station account: made, its password shown once, and it opens nothing yet.
        let res = app
            .send(sys.post_form(
                "/accounts",
                &[
                    ("username", "zhan.zhang"),
                    ("role", "station"),
                    ("area", D1),
                ],
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert!(res.body.contains("等待安全管理员批准"), "{res}");
        let first = shown_password(&res.body);
        let login = app.token_request("zhan.zhang", &first).await;
        login.assert_error(StatusCode::FORBIDDEN, "account_awaiting_approval");
        let page = app.login_submit("zhan.zhang", &first).await;
        assert!(page.body.contains("等待安全管理员批准"), "{page}");

        // Administrators' accounts are made on the server, not by the system administrator.
        let res = app
            .send(sys.post_form(
                "/accounts",
                &[("username", "sys2"), ("role", "system_admin"), ("area", D1)],
            ))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
        // No administrator's password is the system administrator's to reset.
        for other in ["aud", "sec"] {
            let id = account_id(&app, other);
            let res = app
                .send(sys.post_form(&format!("/accounts/{id}/reset-password"), &[]))
                .await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{other}: {res}");
            assert!(!res.body.contains("新密码："), "{res}");
        }
        // The security administrator's is the audit administrator's to reset, and works once
        // the system administrator has approved it.
        let aud = app.browser("aud").await;
        let sec_id = account_id(&app, "sec");
        let res = app
            .send(aud.post_form(&format!("/accounts/{sec_id}/reset-password"), &[]))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let sec_pw = shown_password(&res.body);
        app.token_request("sec", &sec_pw)
            .await
            .assert_error(StatusCode::FORBIDDEN, "account_awaiting_approval");
        let res = app
            .send(aud.post_form(&format!("/accounts/{sec_id}/approve"), &[]))
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "the resetter approves nothing: {res}"
        );
        let res = app
            .send(sys.post_form(&format!("/accounts/{sec_id}/approve"), &[]))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        // Approved: what is left is the change of the password handed out.
        app.token_request("sec", &sec_pw)
            .await
            .assert_error(StatusCode::FORBIDDEN, "password_change_required");

        // A staff password reset by the system administrator waits for approval too.
        let officer = account_id(&app, "li.ming");
        let res = app
            .send(sys.post_form(&format!("/accounts/{officer}/reset-password"), &[]))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let pw = shown_password(&res.body);
        app.token_request("li.ming", &pw)
            .await
            .assert_error(StatusCode::FORBIDDEN, "account_awaiting_approval");
        let res = app
            .send(sys.post_form(&format!("/accounts/{officer}/approve"), &[]))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");

        // The security administrator approves both staff accounts.
        let sec2 = app.browser("sec2").await;
        for who in ["zhan.zhang", "li.ming"] {
            let id = account_id(&app, who);
            let res = app
                .send(sec2.post_form(&format!("/accounts/{id}/approve"), &[]))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{who}: {res}");
        }
        app.token_request("zhan.zhang", &first)
            .await
            .assert_error(StatusCode::FORBIDDEN, "password_change_required");

        // Every refusal is in the trail.
        let denied = app.audit(AuditFilter {
            username: Some("sys".into()),
            result: Some("denied".into()),
            ..Default::default()
        });
        assert_eq!(denied.len(), 4, "{denied:#?}");
    }
}

/// Every role against every account change: what core's rule allows is done (200), the rest is
/// refused (403) and audited, and staff roles do not reach the page at all.
#[tokio::test]
async fn the_account_administration_matrix() {
    use renkou_core::account_admin::{AccountChange, AccountTarget, decide};
    let app = TestApp::new();
    let mut actors = Vec::new();
    for (i, role) in Role::ALL.iter().enumerate() {
        let name = format!("actor{i}");
        let area = if role.is_administrator() || matches!(role, Role::Bureau | Role::Station) {
            D1
        } else {
            K1
        };
        let account = app.add_account(&name, *role, area);
        actors.push((app.browser(&name).await, account));
    }
    let changes = [
        ("disable", AccountChange::Disable),
        ("enable", AccountChange::Enable),
        ("unlock", AccountChange::Unlock),
        ("approve", AccountChange::Approve),
        ("role", AccountChange::SetRole(Role::Centre)),
    ];
    let mut cells = 0;
    let mut seen = std::collections::HashMap::new();
    for (browser, actor) in &actors {
        for target_role in [Role::CommitteeOfficer, Role::SystemAdmin, Role::AuditAdmin] {
            for (path, change) in changes {
                // A fresh target each time, so no change depends on another.
                cells += 1;
                let target = app.add_account(&format!("target{cells}"), target_role, D1);
                let seq = app.last_seq();
                let res = app
                    .send(browser.post_form(
                        &format!("/accounts/{}/{path}", target.id),
                        &[("role", "centre"), ("area", C1)],
                    ))
                    .await;
                let allowed = actor.role.is_administrator()
                    && decide(
                        &TestApp::scope_of(actor),
                        &AccountTarget::of(&target),
                        change,
                    )
                    .is_ok();
                let cell = format!("{} {path} on {}", actor.role, target_role);
                if allowed {
                    assert_eq!(res.status, StatusCode::OK, "{cell}: {res}");
                } else {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{cell}: {res}");
                    let rows = app.audit_after(seq);
                    assert!(
                        rows.iter().any(|r| r.result == "denied"),
                        "{cell}: refused without an audit row: {rows:#?}"
                    );
                }
                seen.insert(cell, res.status);
            }
        }
    }
    // A few cells pinned by hand, so the rule and the test cannot drift together.
    for (cell, status) in [
        ("system_admin disable on committee_officer", StatusCode::OK),
        ("system_admin disable on audit_admin", StatusCode::FORBIDDEN),
        (
            "system_admin role on committee_officer",
            StatusCode::FORBIDDEN,
        ),
        ("security_admin role on committee_officer", StatusCode::OK),
        ("security_admin role on system_admin", StatusCode::FORBIDDEN),
        ("security_admin unlock on audit_admin", StatusCode::OK),
        (
            "audit_admin unlock on committee_officer",
            StatusCode::FORBIDDEN,
        ),
        (
            "station disable on committee_officer",
            StatusCode::FORBIDDEN,
        ),
        ("bureau approve on committee_officer", StatusCode::FORBIDDEN),
    ] {
        assert_eq!(seen.get(cell), Some(&status), "{cell}");
    }
}

/// Whether a name is an account must not show in the answers: an unknown name fails, then
/// locks, exactly as a real one does, and the lock ends at the same time.
#[tokio::test]
async fn unknown_usernames_answer_exactly_like_real_ones() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    for name in ["li.ming", "no.such.person"] {
        let mut answers = Vec::new();
        for _ in 1..=6 {
            answers.push(app.token_request(name, WRONG).await);
        }
        let codes: Vec<String> = answers.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "unauthenticated",
                "unauthenticated",
                "unauthenticated",
                "unauthenticated",
                "account_locked",
                "account_locked"
            ],
            "{name}"
        );
        let messages: Vec<String> = answers
            .iter()
            .map(|r| r.json()["message"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(messages[4], messages[5], "{name}");
    }
    app.advance_mins(31);
    app.token_request("no.such.person", WRONG)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// The current password on the change form is a password guess: throttled, counted towards
/// the lockout (which ends the session), and audited; and the new one must differ.
#[tokio::test]
async fn changing_the_password_is_limited_like_a_login() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let browser = app.browser("li.ming").await;
    let change = |current: &str| {
        browser.post_form(
            "/password",
            &[
                ("current", current),
                ("new", "Another-pw-2026"),
                ("repeat", "Another-pw-2026"),
            ],
        )
    };
    // The same password again is refused, though the current one is right.
    let res = app
        .send(browser.post_form(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", PASSWORD),
                ("repeat", PASSWORD),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res.body.contains("新密码不能与当前密码相同"), "{res}");
    for n in 1..=4 {
        let res = app.send(change(WRONG)).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "guess {n}: {res}"
        );
        assert!(res.body.contains("当前密码不正确"), "{res}");
    }
    // The fifth wrong guess locks the account and ends the session…
    let res = app.send(change(WRONG)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
    assert!(res.body.contains("锁定"), "{res}");
    let res = app.send(change(PASSWORD)).await;
    assert_ne!(res.status, StatusCode::OK, "{res}");
    assert_eq!(res.location(), "/login?next=%2Fpassword", "{res}");
    // …so the right one, even from a new login, waits for the lock to end.
    app.token_request("li.ming", PASSWORD)
        .await
        .assert_error(StatusCode::FORBIDDEN, "account_locked");
    let failed = app.audit(AuditFilter {
        action: Some("password.change".into()),
        result: Some("failed".into()),
        ..Default::default()
    });
    assert_eq!(failed.len(), 5, "{failed:#?}");
}
