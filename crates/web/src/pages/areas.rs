//! The area tree: the account's area and what lies below, one level at a time, with a search
//! over names and codes answered on the server.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use renkou_core::{Area, AreaCode};
use serde::Deserialize;

use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/areas", get(areas_page))
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
                return Err(AppError::NotFound);
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
}

const SHOWN: usize = 300;

async fn areas_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AreasQuery>,
) -> PageResult {
    let t = caller.t();
    let found = search(&state, &caller, query.under.as_deref(), query.q.as_deref())
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
            level: t.s(&format!("area.level.{}", a.level().key())),
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
    let mut chrome = Chrome::new(&caller, "/areas", "/areas");
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
        more_text: t.f("areas.more", &[&more]),
    }))
}
