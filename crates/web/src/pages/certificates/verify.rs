//! The public verify page: anyone may check a paper by its code.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkou_core::certificate::VerifyCode;
use serde::Deserialize;

use super::kind_name;
use crate::AppState;
use crate::auth::{Source, lang_of, today};
use crate::i18n::Catalog;
use crate::pages::render;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    t: Catalog,
    code: String,
    /// None: nothing asked yet; Some(None): no such document.
    found: Option<Option<VerifyResult>>,
    throttled: bool,
}

struct VerifyResult {
    validity: &'static str,
    status: &'static str,
    kind: &'static str,
    serial: String,
    name: String,
    issued_on: String,
    valid_until: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CodeQuery {
    code: Option<String>,
}

pub(super) async fn verify_form(Query(q): Query<CodeQuery>, headers: HeaderMap) -> Response {
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            Redirect::to(&format!("/verify/{code}")).into_response()
        }
        None => render(VerifyPage {
            t: Catalog::new(lang_of(&headers)),
            code: String::new(),
            found: None,
            throttled: false,
        }),
    }
}

/// Anyone may check a paper: valid, expired, revoked or void, and just enough to match it
/// (kind, serial, a masked name, dates). Rate limited per source, and overall.
pub(super) async fn verify(
    State(state): State<AppState>,
    Source(from): Source,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = Catalog::new(lang_of(&headers));
    if !state.verify_throttle.allow(&from, "verify") {
        let mut res = render(VerifyPage {
            t,
            code: code.clone(),
            found: None,
            throttled: true,
        });
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return res;
    }
    let day = today(state.clock.now());
    let found = match VerifyCode::parse(&code) {
        Some(c) => state
            .pool
            .run(move |s| s.verify_certificate(&c, day))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "verify lookup failed");
                None
            }),
        None => None,
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let found = found.map(|d| VerifyResult {
        validity: d.validity.key(),
        status: t.text(&format!("validity.{}", d.validity.key())),
        kind: kind_name(t, d.kind),
        serial: d.serial,
        name: d.masked_name,
        issued_on: d.issued_on.to_string(),
        valid_until: d
            .valid_until
            .map(|v| v.to_string())
            .unwrap_or_else(|| t.text("certificate.no_expiry").to_string()),
    });
    let mut res = render(VerifyPage {
        t,
        code,
        found: Some(found),
        throttled: false,
    });
    *res.status_mut() = status;
    res
}
