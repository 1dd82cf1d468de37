//! Words, not keys: the English switch shows code values, timeline details and rule messages in
//! English; the home page is the account's to-do list; the month's changes; the audit trail in
//! words; times in Beijing time.

use crate::common::*;
use axum::http::StatusCode;
use jiff::civil::date;
use renkou_core::{Role, Sex};

mod english;

/// A page as the signed-in browser sees it with the English switch on.
fn english_get(browser: &Browser, path: &str) -> Req {
    browser
        .get(path)
        .cookie(renkou_web::auth::LANG_COOKIE, "en")
}

fn english_post(browser: &Browser, path: &str, pairs: &[(&str, &str)]) -> Req {
    browser
        .post_form(path, pairs)
        .cookie(renkou_web::auth::LANG_COOKIE, "en")
}

mod audit;
mod changes;
mod home;

/// Records an event through the event form as `browser`; the form answers with a redirect.
async fn record(app: &TestApp, browser: &Browser, person: i64, pairs: &[(&str, &str)]) {
    let res = app
        .send(browser.post_form(&format!("/persons/{person}/events/new"), pairs))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
}

/// The part of a page after a heading's text, to look at one section.
fn after<'a>(body: &'a str, heading: &str) -> &'a str {
    let at = body
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} on the page"));
    &body[at..]
}
