//! The import templates, downloaded from the upload page: the people and events files' columns
//! with the values each accepts (and, in the XLSX, the account's own area codes by name).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use renkou_core::{Action, AreaLevel};
use renkou_documents::template::{TemplateKind, csv_template, xlsx_template};

use super::upload::download;
use super::{OrPage, PageResult};
use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/upload/templates/{file}", get(template))
}

/// `/upload/templates/persons.xlsx`, `events.csv`, …
async fn template(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, Action::ImportFile, "upload")
        .await
        .or_page(t)?;
    let (kind, ext) = file
        .split_once('.')
        .and_then(|(k, e)| {
            let kind = match k {
                "persons" => TemplateKind::Persons,
                "events" => TemplateKind::Events,
                _ => return None,
            };
            matches!(e, "csv" | "xlsx").then_some((kind, e))
        })
        .ok_or(AppError::NotFound)
        .or_page(t)?;
    let name = format!("{}.{ext}", kind.file_stem());
    if ext == "csv" {
        return Ok(download(
            csv_template(kind),
            "text/csv; charset=utf-8",
            &name,
        ));
    }
    let names = state.area_names().await.or_page(t)?;
    let areas: Vec<(String, String)> = names
        .within(&caller.account.area)
        .filter(|a| matches!(a.code.level(), AreaLevel::Committee | AreaLevel::Group))
        .map(|a| (a.code.to_string(), names.label(&a.code)))
        .collect();
    let bytes = xlsx_template(kind, &areas)
        .map_err(|e| AppError::Internal(e.to_string()))
        .or_page(t)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
    ))
}
