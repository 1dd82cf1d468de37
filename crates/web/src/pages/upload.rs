//! Uploading a people or events file (the same import as the CLI, limited to the account's
//! area), following its progress, reading its row-numbered report, downloading the rejected
//! rows; and exporting exactly what a list's filters show.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use renkou_core::Action;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_documents::import::{self, ImportOptions, ImportReport, Progress};
use tokio::io::AsyncWriteExt;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, random_token, today};
use crate::error::AppError;
use crate::forms::ListQuery;

/// Upload size limit: a city's register as XLSX stays well under this.
const MAX_UPLOAD: usize = 512 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/upload", get(upload_form).post(upload_submit))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .route("/upload/jobs/{id}", get(job_page))
        .route("/upload/jobs/{id}/rejected", get(rejected_file))
        .route("/persons/export", get(export))
}

/// How far an import has got, shared between the worker thread and the page that shows it.
#[derive(Debug, Default, Clone)]
pub struct JobState {
    pub owner: i64,
    pub kind: String,
    pub file_name: String,
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
}

/// Uploads in progress and their reports, kept for the session's life in a private temporary
/// directory that is removed when the server stops.
pub struct Files {
    dir: tempfile::TempDir,
    jobs: Mutex<HashMap<String, Arc<Mutex<JobState>>>>,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            dir: tempfile::Builder::new()
                .prefix("renkou-uploads")
                .tempdir()
                .expect("a temporary directory for uploads"),
            jobs: Mutex::new(HashMap::new()),
        }
    }
}

impl Files {
    fn job(&self, id: &str, owner: i64) -> Option<Arc<Mutex<JobState>>> {
        self.jobs
            .lock()
            .expect("jobs lock")
            .get(id)
            .filter(|j| j.lock().expect("job lock").owner == owner)
            .cloned()
    }

    fn jobs_of(&self, owner: i64) -> Vec<(String, JobState)> {
        let jobs = self.jobs.lock().expect("jobs lock");
        let mut mine: Vec<(String, JobState)> = jobs
            .iter()
            .map(|(id, j)| (id.clone(), j.lock().expect("job lock").clone()))
            .filter(|(_, j)| j.owner == owner)
            .collect();
        mine.sort_by(|a, b| a.1.file_name.cmp(&b.1.file_name));
        mine
    }
}

struct JobProgress(Arc<Mutex<JobState>>);

impl Progress for JobProgress {
    fn phase(&mut self, label: &str, total: Option<u64>) {
        let mut j = self.0.lock().expect("job lock");
        j.phase = label.to_string();
        j.done = 0;
        j.total = total;
    }
    fn advance(&mut self, n: u64) {
        self.0.lock().expect("job lock").done += n;
    }
    fn finish(&mut self) {}
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    chrome: Chrome,
    jobs: Vec<(String, JobState)>,
    error: Option<String>,
}

async fn upload_form(State(state): State<AppState>, caller: Caller) -> PageResult {
    caller
        .require(&state, Action::ImportFile, "upload")
        .await
        .or_page(caller.t())?;
    Ok(render(UploadPage {
        jobs: state.files.jobs_of(caller.account.id),
        chrome: Chrome::new(&caller, "/upload", "/upload"),
        error: None,
    }))
}

async fn upload_submit(
    State(state): State<AppState>,
    caller: Caller,
    mut multipart: Multipart,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, Action::ImportFile, "upload")
        .await
        .or_page(t)?;
    let bad = |e: &dyn std::fmt::Display| PageError(t, AppError::BadRequest(e.to_string()));
    let (mut csrf, mut kind, mut skip_invalid, mut upsert) =
        (String::new(), String::from("persons"), false, false);
    let mut saved: Option<(PathBuf, String)> = None;
    let id = random_token()[..16].to_string();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(|e| bad(&e))?,
            "kind" => kind = field.text().await.map_err(|e| bad(&e))?,
            "skip_invalid" => skip_invalid = true,
            "upsert" => upsert = true,
            "file" => {
                // The form's token comes first in the form; nothing is stored without it.
                caller.check_csrf(&csrf).or_page(t)?;
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let ext = std::path::Path::new(&name)
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("csv")
                    .to_ascii_lowercase();
                let path = state.files.dir.path().join(format!("{id}.{ext}"));
                let mut file = tokio::fs::File::create(&path).await.map_err(|e| bad(&e))?;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(&e))? {
                    file.write_all(&chunk).await.map_err(|e| bad(&e))?;
                }
                file.flush().await.map_err(|e| bad(&e))?;
                saved = Some((path, name));
            }
            _ => {}
        }
    }
    caller.check_csrf(&csrf).or_page(t)?;
    let Some((path, file_name)) =
        saved.filter(|(p, _)| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
    else {
        let mut res = render(UploadPage {
            jobs: state.files.jobs_of(caller.account.id),
            chrome: Chrome::new(&caller, "/upload", "/upload"),
            error: Some(t.s("upload.no_file").to_string()),
        });
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let job = Arc::new(Mutex::new(JobState {
        owner: caller.account.id,
        kind: kind.clone(),
        file_name,
        phase: t.s("upload.waiting").to_string(),
        ..JobState::default()
    }));
    state
        .files
        .jobs
        .lock()
        .expect("jobs lock")
        .insert(id.clone(), job.clone());
    let opts = ImportOptions {
        skip_invalid,
        upsert,
        rejected_path: Some(state.files.dir.path().join(format!("{id}.rejected.csv"))),
        actor: caller.actor.username.clone(),
        today: today(state.clock.now()),
        within: Some(caller.account.area.clone()),
        audit: Some(
            caller
                .actor
                .entry(AuditAction::Import, "file", AuditResult::Ok)
                .object(&id),
        ),
    };
    let pool = state.pool.clone();
    let summaries = state.summaries.clone();
    tokio::task::spawn_blocking(move || {
        let mut progress = JobProgress(job.clone());
        let result = pool
            .open_store()
            .map_err(|e| e.to_string())
            .and_then(|mut store| {
                match kind.as_str() {
                    "events" => import::import_events(&mut store, &path, &opts, &mut progress),
                    _ => import::import_persons(&mut store, &path, &opts, &mut progress),
                }
                .map_err(|e| e.to_string())
            });
        let _ = std::fs::remove_file(&path);
        summaries.clear();
        let mut j = job.lock().expect("job lock");
        match result {
            Ok(report) => j.report = Some(report),
            Err(e) => j.error = Some(e),
        }
    });
    Ok(Redirect::to(&format!("/upload/jobs/{id}")).into_response())
}

struct ProblemRow {
    row: u64,
    column: String,
    message: String,
}

#[derive(Template)]
#[template(path = "upload_job.html")]
struct JobPage {
    chrome: Chrome,
    id: String,
    job: JobState,
    percent: Option<u64>,
    problems: Vec<ProblemRow>,
    more_problems: usize,
    summary: String,
}

const PROBLEMS_SHOWN: usize = 500;

async fn job_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let t = caller.t();
    let job = state
        .files
        .job(&id, caller.account.id)
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let job = job.lock().expect("job lock").clone();
    let percent = job
        .total
        .filter(|n| *n > 0)
        .map(|n| (job.done * 100 / n).min(100));
    let (problems, more_problems, summary) = match &job.report {
        Some(r) => (
            r.problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(|p| ProblemRow {
                    row: p.row,
                    column: p.column.clone().unwrap_or_default(),
                    message: p.message.clone(),
                })
                .collect(),
            r.problems.len().saturating_sub(PROBLEMS_SHOWN),
            if r.written {
                t.f(
                    "upload.summary_written",
                    &[&r.rows, &r.added, &r.updated, &r.unchanged, &r.rejected],
                )
            } else {
                t.f("upload.summary_refused", &[&r.rows, &r.rejected])
            },
        ),
        None => (Vec::new(), 0, String::new()),
    };
    Ok(render(JobPage {
        chrome: Chrome::new(&caller, "/upload", &format!("/upload/jobs/{id}")),
        id,
        job,
        percent,
        problems,
        more_problems,
        summary,
    }))
}

async fn rejected_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let t = caller.t();
    let job = state
        .files
        .job(&id, caller.account.id)
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let path = job
        .lock()
        .expect("job lock")
        .report
        .as_ref()
        .and_then(|r| r.rejected_file.clone())
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)
        .or_page(t)?;
    Ok(download(bytes, "text/csv; charset=utf-8", "rejected.csv"))
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct ExportFormat {
    format: Option<String>,
}

/// Exports what the list's filters show, within the account's area: audited, with the filter
/// (area codes and codes only) as the row's detail.
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
    let csv = fmt.format.as_deref() == Some("csv");
    let name = format!(
        "renkou-{}-{day}.{}",
        caller.account.area,
        if csv { "csv" } else { "xlsx" }
    );
    let out = state
        .files
        .dir
        .path()
        .join(format!("{}-{name}", &random_token()[..8]));
    let actor = caller.actor.clone();
    let detail = format!(
        "area={} population_type={} q={}",
        filter
            .area
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        filter.population_type.map(|p| p.code()).unwrap_or(""),
        // A search by ID number or name is recorded as its kind, never its text.
        match &filter.search {
            Some(renkou_store::PersonSearch::IdNumber(_)) => "id_number",
            Some(renkou_store::PersonSearch::IdNumberPrefix(_)) => "id_prefix",
            Some(renkou_store::PersonSearch::Phone(_)) => "phone",
            Some(renkou_store::PersonSearch::NamePrefix(_)) => "name",
            None => "",
        }
    );
    let path = out.clone();
    let rows = state
        .pool
        .run(move |s| {
            let scoped = filter.within(&actor.scope);
            let rows = match &scoped {
                Some(f) => renkou_documents::export::export_persons(
                    s,
                    f,
                    &path,
                    &mut renkou_documents::import::Silent,
                )
                .map_err(|e| renkou_store::StoreError::Database(e.to_string()))?,
                // An area outside the account's own: nothing to say about it.
                None => return Err(renkou_store::StoreError::NotFound("区划".into())),
            };
            s.audit(
                actor
                    .entry(AuditAction::Export, "persons", AuditResult::Ok)
                    .detail(format!("{detail} rows={rows}")),
            )?;
            Ok(rows)
        })
        .await
        .or_page(t)?;
    tracing::debug!(rows, "exported");
    let bytes = tokio::fs::read(&out)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
        .or_page(t)?;
    let _ = tokio::fs::remove_file(&out).await;
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    Ok(download(bytes, content_type, &name))
}
