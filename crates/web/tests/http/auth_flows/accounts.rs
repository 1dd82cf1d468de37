//! Account administration: 三员分立. No administrator can make, reset or take over an account
//! that reads personal data (or another administrator's) alone.

use super::*;

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
