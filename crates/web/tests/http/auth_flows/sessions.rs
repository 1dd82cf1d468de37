//! Sessions.

use super::*;

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
