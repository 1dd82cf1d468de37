//! The area tree: the account's area and what lies below, one level at a time, with a search
//! over names and codes answered on the server.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use renkou_core::import::Silent;
use renkou_core::{Area, AreaCode};
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/areas", get(areas_page))
        .route("/areas/import", axum::routing::post(import_areas))
}

/// Areas within the caller's reach, under `under` (default: the caller's own area), whose name
/// contains `q` or whose code starts with it.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    under: Option<&str>,
    q: Option<&str>,
) -> Result<Vec<Area>, AppError> {
    let root = match under.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let code = AreaCode::parse(code).map_err(|e| {
                AppError::Invalid(vec![renkou_core::person::FieldError::new("under", e)])
            })?;
            if !caller.scope().covers_area(&code) {
                let actor = caller.actor.clone();
                let denied = state
                    .pool
                    .run(move |s| {
                        Ok(s.deny(
                            &actor,
                            renkou_core::audit::AuditAction::Access,
                            "area",
                            Some(code.to_string()),
                            renkou_store::StoreError::NotFound("区划".into()),
                        ))
                    })
                    .await?;
                return Err(denied.into());
            }
            code
        }
        None => caller.account.area.clone(),
    };
    let all = state.pool.run(move |s| s.areas(Some(&root))).await?;
    let q = q
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(match q {
        None => all,
        Some(q) => all
            .into_iter()
            .filter(|a| a.name.contains(q.as_str()) || a.code.as_str().starts_with(q.as_str()))
            .collect(),
    })
}

#[derive(Deserialize)]
struct AreasQuery {
    under: Option<String>,
    q: Option<String>,
}

struct AreaRow {
    code: String,
    name: String,
    level: &'static str,
    path: String,
    has_children: bool,
}

#[derive(Template)]
#[template(path = "areas.html")]
struct AreasPage {
    chrome: Chrome,
    q: String,
    under: String,
    rows: Vec<AreaRow>,
    more: usize,
    more_text: String,
    can_import: bool,
    report: Option<AreaReport>,
}

/// What an areas file did, shown above the tree.
struct AreaReport {
    summary: String,
    ok: bool,
    problems: Vec<String>,
}

const SHOWN: usize = 300;

async fn areas_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AreasQuery>,
) -> PageResult {
    show(&state, &caller, query, None).await
}

async fn show(
    state: &AppState,
    caller: &Caller,
    query: AreasQuery,
    report: Option<AreaReport>,
) -> PageResult {
    let t = caller.t();
    let found = search(state, caller, query.under.as_deref(), query.q.as_deref())
        .await
        .or_page(t)?;
    let names: HashMap<String, String> = found
        .iter()
        .map(|a| (a.code.to_string(), a.name.clone()))
        .collect();
    let under = query
        .under
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| caller.account.area.to_string());
    let searching = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let parents: std::collections::HashSet<String> = found
        .iter()
        .filter_map(|a| a.code.parent().map(|p| p.to_string()))
        .collect();
    // Browsing shows one level below `under`; a search shows every match with its path.
    let mut rows: Vec<AreaRow> = found
        .iter()
        .filter(|a| {
            searching
                || a.code.parent().is_some_and(|p| p.as_str() == under)
                || a.code.as_str() == under
        })
        .map(|a| AreaRow {
            code: a.code.to_string(),
            name: a.name.clone(),
            level: t.text(&format!("area.level.{}", a.level().key())),
            path: a
                .code
                .lineage()
                .iter()
                .filter(|c| c.as_str() != a.code.as_str())
                .map(|c| {
                    names
                        .get(c.as_str())
                        .cloned()
                        .unwrap_or_else(|| c.to_string())
                })
                .collect::<Vec<_>>()
                .join(" › "),
            has_children: parents.contains(a.code.as_str())
                || (searching && a.code.as_str().len() < 15),
        })
        .collect();
    let more = rows.len().saturating_sub(SHOWN);
    rows.truncate(SHOWN);
    let mut chrome = Chrome::new(caller, "/areas", "/areas");
    if let Ok(code) = AreaCode::parse(&under) {
        let path = state
            .pool
            .run(move |s| s.area_path(&code))
            .await
            .or_page(t)?;
        chrome = chrome.with_path(path);
    }
    Ok(render(AreasPage {
        chrome,
        q: query.q.unwrap_or_default(),
        under,
        rows,
        more,
        more_text: t.fill("areas.more", &[&more]),
        can_import: caller.allows(renkou_core::Action::ManageAreas),
        report,
    }))
}

/// The system administrator's areas file: the same import as `renkou areas import`, limited to
/// the account's area and audited with the change.
async fn import_areas(
    State(state): State<AppState>,
    caller: Caller,
    mut multipart: axum::extract::Multipart,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, renkou_core::Action::ManageAreas, "areas")
        .await
        .or_page(t)?;
    let bad = |e: &dyn std::fmt::Display| PageError(t, AppError::BadRequest(e.to_string()));
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(|e| bad(&e))?,
            "file" => {
                caller.check_csrf(&csrf).or_page(t)?;
                let name = field.file_name().unwrap_or("areas.csv").to_string();
                file = Some((name, field.bytes().await.map_err(|e| bad(&e))?.to_vec()));
            }
            _ => {}
        }
    }
    caller.check_csrf(&csrf).or_page(t)?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(PageError(
            t,
            AppError::BadRequest(t.text("upload.no_file").into()),
        ));
    };
    let ext = std::path::Path::new(&name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("csv")
        .to_ascii_lowercase();
    let dir = tempfile::tempdir().map_err(|e| bad(&e))?;
    let path = dir.path().join(format!("areas.{ext}"));
    std::fs::write(&path, bytes).map_err(|e| bad(&e))?;
    let actor = caller.actor.clone();
    let report = state
        .pool
        .run(move |s| {
            renkou_documents::import::import_file(&path, None, None, |source| {
                s.import_areas(renkou_store::Who::Account(&actor), source, &mut Silent)
            })
            .map_err(|e| renkou_store::StoreError::Database(e.to_string()))
        })
        .await
        .or_page(t)?;
    let summary = if report.written {
        t.fill("areas.imported", &[&report.added, &report.updated])
    } else {
        t.fill("upload.summary_refused", &[&report.rows, &report.rejected])
    };
    let report = AreaReport {
        ok: report.written,
        summary,
        problems: report.problems.iter().map(|p| p.to_string()).collect(),
    };
    show(
        &state,
        &caller,
        AreasQuery {
            under: None,
            q: None,
        },
        Some(report),
    )
    .await
}
