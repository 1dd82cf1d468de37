//! Lockout and throttle.

use super::*;

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
