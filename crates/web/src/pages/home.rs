//! The home page: the counts of the account's area and of each area below it.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use renkou_store::AreaSummary;

use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    area_name: String,
    summary: AreaSummary,
    below: Vec<(String, String, u64)>,
}

async fn home(State(state): State<AppState>, caller: Caller) -> PageResult {
    let t = caller.t();
    // Administrators have no people: their home is their own work.
    if caller.account.role.is_administrator() {
        let to = match caller.account.role {
            renkou_core::Role::AuditAdmin => "/audit",
            _ => "/accounts",
        };
        return Ok(Redirect::to(to).into_response());
    }
    let actor = caller.actor.clone();
    let area = caller.account.area.clone();
    let day = today(state.clock.now());
    let (summary, areas, path) = state
        .pool
        .run(move |s| {
            let summary = s.summary_for(&actor, &area, day)?;
            let areas = s.areas_for(&actor.scope)?;
            let path = s.area_path(&area)?;
            Ok((summary, areas, path))
        })
        .await
        .or_page(t)?;
    let names: HashMap<String, String> = areas
        .into_iter()
        .map(|a| (a.code.to_string(), a.name))
        .collect();
    let below = summary
        .below
        .iter()
        .map(|(code, n)| {
            (
                code.clone(),
                names.get(code).cloned().unwrap_or_else(|| code.clone()),
                *n,
            )
        })
        .collect();
    let area_name = names
        .get(caller.account.area.as_str())
        .cloned()
        .unwrap_or_default();
    let chrome = Chrome::new(&caller, "/", "/").with_path(path);
    Ok(render(HomePage {
        chrome,
        area_name,
        summary,
        below,
    }))
}
