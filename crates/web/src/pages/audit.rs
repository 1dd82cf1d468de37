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
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    rows: Vec<Shown>,
    next: Option<String>,
    actions: Vec<&'static str>,
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
                row,
            })
            .collect(),
        next,
        actions: AuditAction::ALL.iter().map(|a| a.key()).collect(),
        verified,
        broken,
        q,
    }))
}
