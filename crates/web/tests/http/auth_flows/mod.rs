//! Signing in and staying signed in, as staff and attackers notice it: the lockout after five
//! wrong passwords, the throttle before any hashing, idle expiry and logout, cookies that are
//! not tokens (and tokens that are not cookies), and CSRF on every form and state-changing call.

use crate::common::*;
use axum::http::{StatusCode, header};
use renkou_core::Role;
use renkou_store::{AuditFilter, PersonFilter};
use renkou_web::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};

mod accounts;
mod csrf;
mod lockout;
mod sessions;

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
