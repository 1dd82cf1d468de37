//! Exporting exactly what a list's filters show, as a job: the bureau's 300,000 people take
//! seconds to write, so the officer sees a progress bar and then a download, like an upload's.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use renkou_core::Action;
use renkou_documents::export::PersonsFile;
use renkou_store::Who;

use super::upload::{JobProgress, JobState, send_file};
use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, random_token, today};
use crate::error::AppError;
use crate::forms::ListQuery;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons/export", get(export))
        .route("/exports/{id}", get(export_page))
        .route("/exports/{id}/file", get(export_file))
}

#[derive(serde::Deserialize)]
struct ExportFormat {
    format: Option<String>,
}

/// Starts an export of what the list's filters show, within the account's area (the store
/// scopes it and writes the audit row, with the filter as its detail), and sends the officer
/// to its progress page.
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
    Query(fmt): Query<ExportFormat>,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, Action::Export, "export")
        .await
        .or_page(t)?;
    let day = today(state.clock.now());
    let filter = q
        .filter(day)
        .map_err(|e| AppError::Invalid(vec![e]))
        .or_page(t)?;
    if let Err(key) = state.files.make_room(caller.account.id) {
        return Err(AppError::BadRequest(t.text(key).to_string())).or_page(t);
    }
    let csv = fmt.format.as_deref() == Some("csv");
    let name = format!(
        "renkou-{}-{day}.{}",
        caller.account.area,
        if csv { "csv" } else { "xlsx" }
    );
    let id = random_token()[..16].to_string();
    let out = state.files.dir.join(format!("{id}-{name}"));
    let job = Arc::new(Mutex::new(JobState {
        owner: caller.account.id,
        kind: "export".into(),
        file_name: name.clone(),
        phase: t.text("upload.waiting").to_string(),
        ..JobState::default()
    }));
    state
        .files
        .jobs
        .lock()
        .expect("jobs lock")
        .insert(id.clone(), job.clone());
    let actor = caller.actor.clone();
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut progress = JobProgress(job.clone());
        let result = pool
            .open_store()
            .map_err(|e| e.to_string())
            .and_then(|mut s| {
                let mut file = PersonsFile::create(&out).map_err(|e| e.to_string())?;
                s.export_persons(Who::Account(&actor), &filter, &mut progress, &mut |p| {
                    file.write(p).map_err(|e| e.to_string())
                })
                .map_err(|e| e.to_string())?;
                file.finish().map_err(|e| e.to_string())
            });
        let mut j = job.lock().expect("job lock");
        j.finished_at = Some(Instant::now());
        match result {
            Ok(()) => j.download = Some((out, name)),
            Err(e) => {
                let _ = std::fs::remove_file(&out);
                j.error = Some(e);
            }
        }
    });
    Ok(Redirect::to(&format!("/exports/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "export_job.html")]
struct ExportPage {
    chrome: Chrome,
    id: String,
    job: JobState,
    percent: Option<u64>,
}

async fn export_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let t = caller.t();
    let job = state
        .files
        .job(&id, caller.account.id)
        .filter(|j| j.lock().expect("job lock").kind == "export")
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let job = job.lock().expect("job lock").clone();
    let percent = job.percent();
    Ok(render(ExportPage {
        chrome: Chrome::new(&caller, "/persons", &format!("/exports/{id}")),
        id,
        job,
        percent,
    }))
}

async fn export_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let t = caller.t();
    let (path, name) = state
        .files
        .job(&id, caller.account.id)
        .and_then(|j| j.lock().expect("job lock").download.clone())
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let content_type = if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    send_file(t, &path, content_type, &name).await
}
