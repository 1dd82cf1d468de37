//! The audit trail for audit administrators: newest first, filtered, paged, and the chain's
//! verification on demand. Reading it is itself audited.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use renkou_core::audit::{AuditAction, AuditRow};
use renkou_store::{AuditCheck, AuditFilter};
use serde::{Deserialize, Serialize};

use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::Caller;
use crate::error::local_time;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
struct AuditQuery {
    username: Option<String>,
    action: Option<String>,
    object_kind: Option<String>,
    object_id: Option<String>,
    result: Option<String>,
    before: Option<i64>,
    verify: Option<String>,
}

struct Shown {
    row: AuditRow,
    at: String,
    hash_short: String,
    /// The action, the kind of object and the result in words (the key as a tooltip).
    action: String,
    object_kind: String,
    result: String,
}

/// The object kinds the trail names, each with a catalog entry `audit.kind.<kind>`.
pub const OBJECT_KINDS: &[&str] = &[
    "account",
    "accounts",
    "areas",
    "area",
    "audit",
    "certificate",
    "certificates",
    "changes",
    "export",
    "file",
    "household",
    "person",
    "persons",
    "session",
    "stats",
    "summary",
    "upload",
];

/// An audit key in the reader's words: the catalog's `<prefix>.<key>`, or the key itself.
fn in_words(t: crate::i18n::Catalog, prefix: &str, key: &str) -> String {
    let full = format!("{prefix}.{key}");
    let shown = t.text(&full);
    if shown == "⟨?⟩" {
        key.to_string()
    } else {
        shown.to_string()
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    rows: Vec<Shown>,
    next: Option<String>,
    actions: Vec<(&'static str, String)>,
    verified: Option<String>,
    broken: bool,
}

const PAGE: u32 = 100;

async fn audit_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let t = caller.t();
    let filter = AuditFilter {
        username: q.username.clone(),
        action: q.action.clone(),
        object_kind: q.object_kind.clone(),
        object_id: q.object_id.clone(),
        result: q.result.clone(),
    };
    let verify = q.verify.is_some();
    let before = q.before;
    let actor = caller.actor.clone();
    let (rows, check) = state
        .pool
        .run(move |s| s.read_audit(&actor, &filter, before, PAGE + 1, verify))
        .await
        .or_page(t)?;
    let next = (rows.len() > PAGE as usize).then(|| {
        let mut nq = q.clone();
        nq.before = rows.get(PAGE as usize - 1).map(|r| r.seq);
        nq.verify = None;
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&nq).unwrap_or_default()
        )
    });
    let (verified, broken) = match check {
        Some(AuditCheck::Intact { rows }) => (Some(t.fill("audit.intact", &[&rows])), false),
        Some(AuditCheck::Broken { seq, reason }) => {
            (Some(t.fill("audit.broken", &[&seq, &reason])), true)
        }
        None => (None, false),
    };
    Ok(render(AuditPage {
        chrome: Chrome::new(&caller, "/audit", "/audit"),
        rows: rows
            .into_iter()
            .take(PAGE as usize)
            .map(|row| Shown {
                at: local_time(row.at),
                hash_short: row.hash.chars().take(12).collect(),
                action: in_words(t, "audit.action", &row.action),
                object_kind: in_words(t, "audit.kind", &row.object_kind),
                result: in_words(t, "audit.result", &row.result),
                row,
            })
            .collect(),
        next,
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.key(), in_words(t, "audit.action", a.key())))
            .collect(),
        verified,
        broken,
        q,
    }))
}
