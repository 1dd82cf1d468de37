//! The certificates' pages: the work queues, the application form, a document with the actions
//! its state and the caller's role allow, printing (a PDF), and the public verify page.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use renkou_core::certificate::{Queue, Step, Validity};
use renkou_core::{CertificateKind, CertificateState};
use serde::Deserialize;

use super::persons::Choice;
use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::local_time;
use crate::i18n::Catalog;

mod apply;
mod confirm_step;
mod document;
mod verify;

pub use apply::application_from_fields;
use apply::{apply_form, apply_submit};
use document::{document, print, take_step};
use verify::{verify, verify_form};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certificates", get(queues))
        .route("/certificates/{id}", get(document))
        .route("/certificates/{id}/step", post(take_step))
        .route("/certificates/{id}/print", post(print))
        .route(
            "/persons/{id}/certificates/new",
            get(apply_form).post(apply_submit),
        )
        .route("/verify", get(verify_form))
        // The address printed on the paper, where the code is typed in.
        .route("/verify/", get(verify_form))
        .route("/verify/{code}", get(verify))
}

/// A kind's name in the reader's language.
pub fn kind_name(t: Catalog, k: CertificateKind) -> &'static str {
    t.code(k.name_zh(), k.name_en())
}

fn state_name(t: Catalog, s: CertificateState) -> &'static str {
    t.code(s.name_zh(), s.name_en())
}

/// "3 天 4 小时": how long from application to issue.
pub fn duration_text(t: Catalog, seconds: i64) -> String {
    let days = seconds / 86_400;
    let hours = (seconds % 86_400) / 3_600;
    let minutes = (seconds % 3_600) / 60;
    if days > 0 {
        t.fill("certificate.duration_days", &[&days, &hours])
    } else {
        t.fill("certificate.duration_hours", &[&hours, &minutes])
    }
}

// ---------------------------------------------------------------------------------------------
// The queues

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    queue: Option<String>,
    kind: Option<String>,
    after: Option<i64>,
}

struct Tab {
    key: &'static str,
    label: &'static str,
    count: Option<u64>,
    active: bool,
}

struct QueueRow {
    id: i64,
    kind: &'static str,
    holder: String,
    state: String,
    serial: String,
    applied_at: String,
    area_name: String,
    area_code: String,
    /// Whole days the document has waited for its next step (open applications since they
    /// were taken, issued ones since issue until handed over); none for finished ones.
    waiting_days: Option<i64>,
    /// The review's checks would not let it through today.
    warn: bool,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct QueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    queue: &'static str,
    kinds: Vec<Choice>,
    kind: String,
    rows: Vec<QueueRow>,
    next: Option<i64>,
}

const PAGE: u32 = 50;

async fn queues(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let t = caller.t();
    // Each role opens on the queue that waits for it; the store refuses (and audits) an account
    // that sees no certificates.
    let chosen = q.queue.as_deref().and_then(Queue::from_key);
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| CertificateKind::parse(k).ok());
    let actor = caller.actor.clone();
    let scope = caller.scope().clone();
    let after = q.after;
    let day = today(state.clock.now());
    let (queue, items, counts, failing) = state
        .pool
        .run(move |s| {
            let counts = s.queue_counts(&actor)?;
            let queue = chosen.unwrap_or_else(|| Queue::opening(&scope, &counts));
            let items = s.certificates_as(&actor, queue, kind, after, PAGE)?;
            let failing = s.failing_checks(&items, day)?;
            Ok((queue, items, counts, failing))
        })
        .await
        .or_page(t)?;
    let areas = state.area_names().await.or_page(t)?;
    let tabs = Queue::ALL
        .into_iter()
        .map(|qq| Tab {
            key: qq.key(),
            label: t.text(&format!("queue.{}", qq.key())),
            count: counts.iter().find(|(k, _)| *k == qq).map(|(_, n)| *n),
            active: qq == queue,
        })
        .collect();
    let next = (items.len() as u32 == PAGE)
        .then(|| items.last().map(|i| i.certificate.id))
        .flatten();
    let now = state.clock.now();
    let rows = items
        .into_iter()
        .map(|i| {
            let c = &i.certificate;
            let state = match c.validity_on(day) {
                Some(Validity::Expired) => t.text("validity.expired").to_string(),
                _ => state_name(t, c.state).to_string(),
            };
            let since = match c.state {
                CertificateState::Applied | CertificateState::Returned => Some(c.applied_at),
                CertificateState::Issued if !c.delivered => c.issued_at,
                _ => None,
            };
            QueueRow {
                id: c.id,
                kind: kind_name(t, c.kind),
                holder: i.holder_name,
                state,
                serial: c.serial.clone().unwrap_or_default(),
                applied_at: local_time(c.applied_at),
                area_name: areas.label(&c.area_code),
                area_code: c.area_code.to_string(),
                waiting_days: since.map(|at| (now.as_second() - at.as_second()).max(0) / 86_400),
                warn: failing.contains(&c.id),
            }
        })
        .collect();
    let kinds = CertificateKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.code().to_string(),
            label: kind_name(t, *k).to_string(),
        })
        .collect();
    Ok(render(QueuePage {
        chrome: Chrome::new(&caller, "/certificates", "/certificates"),
        tabs,
        queue: queue.key(),
        kinds,
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        rows,
        next,
    }))
}

pub fn step_name(t: Catalog, s: Step) -> &'static str {
    t.text(&format!("step.{}", s.key()))
}
