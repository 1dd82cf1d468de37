//! CSRF.

use super::*;

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
    let changed = |address: &str| {
        her.spec
            .clone()
            .set("address", address)
            .set("note", "本人持户口簿来核对")
            .json()
    };
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
