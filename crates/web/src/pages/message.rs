//! The message a page shows once after a save ("已登记：结婚，2026-11-30"): the handler
//! redirects (post/redirect/get, so a reload does not post again) with the message in a
//! short-lived cookie; the next page shows it and the response clears it.
//!
//! Messages say what was done, not to whom: they carry no personal data.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

pub const MESSAGE_COOKIE: &str = "renkou_message";

/// A 303 to `to`, whose page then shows `message` in its banner.
pub fn redirect_with_message(to: &str, message: impl Into<String>) -> Response {
    let mut res = Redirect::to(to).into_response();
    let value = serde_urlencoded::to_string([("m", message.into())]).unwrap_or_default();
    let cookie = format!(
        "{MESSAGE_COOKIE}={}; Path=/; Max-Age=120; HttpOnly; SameSite=Lax",
        value.trim_start_matches("m=")
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The message a request carries, if any (at most 300 characters of it).
pub fn message_in(headers: &axum::http::HeaderMap) -> Option<String> {
    let raw = crate::auth::cookie_in(headers, MESSAGE_COOKIE)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("m={raw}")).ok()?;
    let text = pairs.into_iter().next()?.1;
    let text: String = text.chars().take(300).collect();
    (!text.trim().is_empty()).then_some(text)
}

/// Middleware: a page shown to a request that carried a message clears the cookie, so the
/// message appears once. Redirects pass it on to the page they lead to.
pub async fn clear_shown_message(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Only pages show it; a stylesheet or an API call must not take it away (or be cached
    // with a cookie).
    let path = req.uri().path();
    let page = !path.starts_with("/static/") && !path.starts_with("/api/");
    let carried = page && crate::auth::cookie_in(req.headers(), MESSAGE_COOKIE).is_some();
    let mut res = next.run(req).await;
    if carried && !res.status().is_redirection() {
        let clear = format!("{MESSAGE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&clear) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
