//! Uploading a people or events file (the same import as the CLI, limited to the account's
//! area), following its progress, reading its row-numbered report, downloading the rejected
//! rows; and exporting exactly what a list's filters show.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use renkou_core::import::{ImportOptions, ImportReport, Progress};
use renkou_core::{Action, AreaCode, AreaLevel};
use renkou_documents::import::import_file;
use renkou_store::Who;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, random_token, today};
use crate::error::AppError;

/// Upload size limit: a city's register as XLSX stays well under this.
const MAX_UPLOAD: usize = 512 * 1024 * 1024;

/// The most data rows one uploaded file may have: a centre or the city imports a census, a
/// committee its own people (a few thousand), a group nothing.
pub fn max_rows(area: &AreaCode) -> u64 {
    match area.level() {
        AreaLevel::District | AreaLevel::Centre => 1_000_000,
        AreaLevel::Committee => 100_000,
        AreaLevel::Group => 10_000,
    }
}

/// Imports running at once on the whole server (each takes a core), and per account.
const RUNNING_IMPORTS: usize = 2;

/// Finished imports, their reports and rejected-rows files are kept this long, and at most
/// this many per account.
const KEEP_FINISHED: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
const KEEP_PER_ACCOUNT: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/upload", get(upload_form).post(upload_submit))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .route("/upload/jobs/{id}", get(job_page))
        .route("/upload/jobs/{id}/rejected", get(rejected_file))
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
    /// When the import ended (None while it runs).
    pub finished_at: Option<Instant>,
    /// An export's file once written, and the name it is downloaded as.
    pub download: Option<(PathBuf, String)>,
}

impl JobState {
    /// How far the job has got, once its size is known.
    pub fn percent(&self) -> Option<u64> {
        self.total
            .filter(|n| *n > 0)
            .map(|n| (self.done * 100 / n).min(100))
    }

    /// How the import ended, in the catalog's words: an import that wrote nothing (refused by
    /// role or file, or every row refused) is 未导入, never 已完成.
    pub fn status_key(&self) -> &'static str {
        match (&self.report, &self.error) {
            (_, Some(_)) => "upload.status_refused",
            (Some(r), None) if r.imported_nothing() => "upload.status_refused",
            (Some(r), None) if r.rejected > 0 => "upload.status_partly",
            (Some(_), None) => "upload.status_imported",
            (None, None) => "upload.status_running",
        }
    }

    pub fn refused(&self) -> bool {
        self.status_key() == "upload.status_refused"
    }
}

/// Uploads in progress and their reports, in a private directory (0700) of this server
/// process. Directories that servers no longer running left behind (a kill -9) are removed
/// when the next one starts, and this one's when it stops.
pub struct Files {
    pub(super) dir: PathBuf,
    pub(super) jobs: Mutex<HashMap<String, Arc<Mutex<JobState>>>>,
}

impl Default for Files {
    /// In the system's temporary directory: for tests and tools.
    fn default() -> Self {
        Files::under(&std::env::temp_dir().join("renkou-uploads"))
            .expect("a private directory for uploads")
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Files {
    /// A directory of this process's own under `base`, made private; the leftovers of
    /// processes that are gone are removed first.
    pub fn under(base: &std::path::Path) -> std::io::Result<Files> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(base)?;
        std::fs::set_permissions(base, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(base)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // "PID.N": the process that made it, and which of its directories.
            let gone = name
                .split('.')
                .next()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !std::path::Path::new("/proc").join(pid.to_string()).exists());
            if gone {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = base.join(format!("{}.{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(Files {
            dir,
            jobs: Mutex::new(HashMap::new()),
        })
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    pub(super) fn job(&self, id: &str, owner: i64) -> Option<Arc<Mutex<JobState>>> {
        self.sweep();
        self.jobs
            .lock()
            .expect("jobs lock")
            .get(id)
            .filter(|j| j.lock().expect("job lock").owner == owner)
            .cloned()
    }

    pub(crate) fn jobs_of(&self, owner: i64) -> Vec<(String, JobState)> {
        self.sweep();
        let jobs = self.jobs.lock().expect("jobs lock");
        let mut mine: Vec<(String, JobState)> = jobs
            .iter()
            .map(|(id, j)| (id.clone(), j.lock().expect("job lock").clone()))
            .filter(|(_, j)| j.owner == owner && j.kind != "export")
            .collect();
        mine.sort_by(|a, b| a.1.file_name.cmp(&b.1.file_name));
        mine
    }

    /// Forgets finished imports past their time (and past the number kept per account), with
    /// their files. Run on every look at the uploads and hourly by the server.
    pub fn sweep(&self) {
        let mut jobs = self.jobs.lock().expect("jobs lock");
        let mut finished: Vec<(String, i64, Instant)> = jobs
            .iter()
            .filter_map(|(id, j)| {
                let j = j.lock().expect("job lock");
                j.finished_at.map(|at| (id.clone(), j.owner, at))
            })
            .collect();
        finished.sort_by_key(|f| std::cmp::Reverse(f.2));
        let mut kept: HashMap<i64, usize> = HashMap::new();
        for (id, who, at) in finished {
            let n = kept.entry(who).or_default();
            *n += 1;
            if at.elapsed() > KEEP_FINISHED || *n > KEEP_PER_ACCOUNT {
                if let Some(j) = jobs.remove(&id)
                    && let Some((file, _)) = j.lock().expect("job lock").download.take()
                {
                    let _ = std::fs::remove_file(file);
                }
                let _ = std::fs::remove_file(self.dir.join(format!("{id}.rejected.csv")));
            }
        }
    }

    /// Says why a new import for `owner` must wait, if it must.
    pub(super) fn make_room(&self, owner: i64) -> Result<(), &'static str> {
        self.sweep();
        let jobs = self.jobs.lock().expect("jobs lock");
        let running: Vec<i64> = jobs
            .values()
            .map(|j| j.lock().expect("job lock"))
            .filter(|j| j.finished_at.is_none())
            .map(|j| j.owner)
            .collect();
        if running.contains(&owner) {
            Err("upload.one_at_a_time")
        } else if running.len() >= RUNNING_IMPORTS {
            Err("upload.server_busy")
        } else {
            Ok(())
        }
    }
}

pub(super) struct JobProgress(pub(super) Arc<Mutex<JobState>>);

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
    /// This account's limits, stated on the page.
    limits: String,
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
        limits: caller
            .t()
            .fill("upload.limits", &[&max_rows(&caller.account.area)]),
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
    let refuse = |key: &str| {
        let mut res = render(UploadPage {
            jobs: state.files.jobs_of(caller.account.id),
            chrome: Chrome::new(&caller, "/upload", "/upload"),
            error: Some(t.text(key).to_string()),
            limits: t.fill("upload.limits", &[&max_rows(&caller.account.area)]),
        });
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(res)
    };
    if let Err(key) = state.files.make_room(caller.account.id) {
        return refuse(key);
    }
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
                let path = state.files.dir.join(format!("{id}.{ext}"));
                let mut file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .await
                    .map_err(|e| bad(&e))?;
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
        return refuse("upload.no_file");
    };
    let job = Arc::new(Mutex::new(JobState {
        owner: caller.account.id,
        kind: kind.clone(),
        file_name,
        phase: t.text("upload.waiting").to_string(),
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
        max_rows: Some(max_rows(&caller.account.area)),
        object: Some(id.clone()),
        ..ImportOptions::new(today(state.clock.now()))
    };
    let rejected_out = state.files.dir.join(format!("{id}.rejected.csv"));
    let actor = caller.actor.clone();
    let pool = state.pool.clone();
    let summaries = state.summaries.clone();
    tokio::task::spawn_blocking(move || {
        let mut progress = JobProgress(job.clone());
        let result = pool
            .open_store()
            .map_err(|e| e.to_string())
            .and_then(|mut store| {
                import_file(&path, opts.max_rows, Some(&rejected_out), |source| {
                    let who = Who::Account(&actor);
                    match kind.as_str() {
                        "events" => store.import_events(who, source, &opts, &mut progress),
                        _ => store.import_persons(who, source, &opts, &mut progress),
                    }
                })
                .map_err(|e| e.to_string())
            });
        let _ = std::fs::remove_file(&path);
        summaries.clear();
        let mut j = job.lock().expect("job lock");
        j.finished_at = Some(Instant::now());
        match result {
            Ok(report) => j.report = Some(report),
            Err(e) => j.error = Some(e),
        }
    });
    Ok(Redirect::to(&format!("/upload/jobs/{id}")).into_response())
}

struct ProblemRow {
    row: u64,
    /// Whom the row is about: name and masked ID number.
    person: String,
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
    let percent = job.percent();
    let (problems, more_problems, summary) = match &job.report {
        Some(r) => (
            r.problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(|p| ProblemRow {
                    row: p.row,
                    person: r.people.get(&p.row).cloned().unwrap_or_default(),
                    column: p.column.clone().unwrap_or_default(),
                    message: p.message.clone(),
                })
                .collect(),
            r.problems.len().saturating_sub(PROBLEMS_SHOWN) + r.more_problems as usize,
            if r.written {
                t.fill(
                    "upload.summary_written",
                    &[&r.rows, &r.added, &r.updated, &r.unchanged, &r.rejected],
                )
            } else {
                t.fill("upload.summary_refused", &[&r.rows, &r.rejected])
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
    send_file(t, &path, "text/csv; charset=utf-8", "rejected.csv").await
}

/// A job's file as a download; a file the server has since removed is not found.
pub(super) async fn send_file(
    t: crate::i18n::Catalog,
    path: &std::path::Path,
    content_type: &'static str,
    name: &str,
) -> PageResult {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|_| AppError::NotFound)
        .or_page(t)?;
    Ok(download(bytes, content_type, name))
}

pub(super) fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    // A Chinese name travels percent-encoded (RFC 6266), with a plain one for old clients.
    let disposition = if name.is_ascii() {
        format!("attachment; filename=\"{name}\"")
    } else {
        let ext = name.rsplit('.').next().unwrap_or("bin");
        let encoded: String = name
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("attachment; filename=\"download.{ext}\"; filename*=UTF-8''{encoded}")
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(owner: i64, finished: bool) -> Arc<Mutex<JobState>> {
        Arc::new(Mutex::new(JobState {
            owner,
            finished_at: finished.then(Instant::now),
            ..JobState::default()
        }))
    }

    #[test]
    fn one_import_per_account_two_per_server_and_ten_reports_kept() {
        let files = Files::default();
        let add = |id: &str, j| files.jobs.lock().unwrap().insert(id.to_string(), j);
        add("a", job(1, false));
        assert_eq!(files.make_room(1), Err("upload.one_at_a_time"));
        assert_eq!(files.make_room(2), Ok(()));
        add("b", job(2, false));
        assert_eq!(files.make_room(3), Err("upload.server_busy"));
        for n in 0..12 {
            std::fs::write(files.dir().join(format!("r{n}.rejected.csv")), "x").unwrap();
            add(&format!("r{n}"), job(3, true));
        }
        files.sweep();
        let kept = files.jobs_of(3).len();
        assert_eq!(kept, KEEP_PER_ACCOUNT);
        let files_left = std::fs::read_dir(files.dir()).unwrap().count();
        assert_eq!(
            files_left, KEEP_PER_ACCOUNT,
            "the forgotten reports' files are gone"
        );
    }
}
