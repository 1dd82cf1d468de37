//! 规划统计 in the JSON API: the report of an area for a period, read from the counters. The
//! CLI's `renkou stats report --format json` writes the same document.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use renkou_core::AreaCode;
use renkou_core::person::FieldError;
use renkou_core::stats::Period;
use renkou_store::{Report, Who};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::{ApiError, ApiQuery, AppError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/stats/report", get(stats_report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// An area code within the account's area; the account's own area when left out.
    pub area: Option<String>,
    /// A month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`).
    pub period: String,
}

/// An area as a report names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsArea {
    pub code: String,
    pub name: String,
}

/// One row of a report. `stock` (taken on `as_of`): `population.{resident,migrant_in,
/// migrant_out}.{male,female}`, `age_bands.{0-4 … 85+}.{male,female}`, `women_15_49`,
/// `married_women_15_49`, `contraception.{method…,none}`, `pregnant`. `flow` (events dated in
/// the period): `births.{total, by_sex.{male,female}, by_order.{1,2,3,4+},
/// by_order_sex.{order}.{male,female}, by_mother_type.{resident,migrant_in,migrant_out}}`,
/// `birth_defects`, `low_birth_weight`, `marriages`, `divorces`, `deaths`, `moves_in`,
/// `moves_out`, `migrants_arrived`, `pregnancy_outcomes.{outcome}`,
/// `contraception_starts.{method}`, `contraception_changes.{method}`,
/// `reported_events.{total,on_time}`. `indicators` (computed from the row's sums, one
/// decimal, null when the denominator is 0): `sex_ratio_at_birth`,
/// `sex_ratio_at_birth_by_order.{order}`, `contraceptive_prevalence`, `timeliness`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRow {
    pub area: StatsArea,
    #[schema(value_type = Object)]
    pub stock: serde_json::Value,
    #[schema(value_type = Object)]
    pub flow: serde_json::Value,
    #[schema(value_type = Object)]
    pub indicators: serde_json::Value,
}

/// A period's total for comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsComparison {
    pub period: String,
    pub total: StatsRow,
}

/// The report: one row per child area (and one for people held at the area itself, if any),
/// and the total, which equals the sum of the rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsReport {
    pub area: StatsArea,
    pub period: String,
    /// The day the stock is taken: the period's last day, or today while it runs.
    pub as_of: String,
    pub total: StatsRow,
    pub rows: Vec<StatsRow>,
    /// A closed period's figures as submitted; null while the period is open.
    #[schema(value_type = Option<Object>)]
    pub submitted: Option<serde_json::Value>,
    pub previous_period: Option<StatsComparison>,
    pub a_year_earlier: Option<StatsComparison>,
    /// Births in the 13 months up to the period's last, by sex.
    pub births_by_month: Vec<StatsMonthBirths>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsMonthBirths {
    pub month: String,
    pub male: i64,
    pub female: i64,
}

/// The statistical report of an area for a period (规划统计). Aggregates only, no names.
#[utoipa::path(get, path = "/api/v1/stats/report", params(ReportQuery),
    responses((status = 200, body = StatsReport), (status = 403, body = crate::error::ApiErrorBody),
              (status = 404, body = crate::error::ApiErrorBody), (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn stats_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<Report>, ApiError> {
    let invalid = |field: &'static str, e: &dyn std::fmt::Display| {
        ApiError(AppError::Invalid(vec![FieldError::new(
            field,
            e.to_string(),
        )]))
    };
    let period = Period::parse(&q.period).map_err(|e| invalid("period", &e))?;
    let area = match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => AreaCode::parse(a).map_err(|e| invalid("area", &e))?,
        None => caller.actor.scope.area.clone(),
    };
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let report = state
        .pool
        .run(move |s| s.stats_report(Who::Account(&actor), Some(&area), period, day))
        .await?;
    Ok(Json(report))
}
