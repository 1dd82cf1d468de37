//! 统计: the report of an area for a period, with drill-down to the resident groups, the
//! comparisons, the charts, the XLSX download, and the station's 上报 (close and reopen).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use renkou_core::stats::report::{COLUMNS, Column, Report, ReportRow};
use renkou_core::stats::{Month, Period};
use renkou_core::{Action, AreaCode, ContraceptionMethod};
use renkou_store::Who;
use serde::Deserialize;

use super::stats_charts as charts;
use super::{Chrome, OrPage, PageError, PageResult, redirect_with_message, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::i18n::Catalog;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats", get(report_page))
        .route("/stats/report.xlsx", get(report_xlsx))
        .route("/stats/close", post(close))
        .route("/stats/reopen", post(reopen))
}

#[derive(Debug, Default, Deserialize)]
pub struct StatsQuery {
    area: Option<String>,
    period: Option<String>,
    /// The figure the bar chart of child areas shows (a column key).
    figure: Option<String>,
}

/// A figure as the table shows it: counts whole, rates to one decimal, "—" for none.
pub fn shown(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x:.1}"),
    }
}

struct Line {
    name: String,
    /// The same report one level down; None for a group and for the area's own people.
    href: Option<String>,
    cells: Vec<String>,
}

struct Compared {
    label: String,
    period: String,
    cells: Vec<String>,
}

struct Chart {
    title: String,
    svg: String,
    /// The numbers, as the chart's text alternative.
    table: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    chrome: Chrome,
    report: Report,
    area_code: String,
    columns: Vec<&'static str>,
    lines: Vec<Line>,
    total: Vec<String>,
    compared: Vec<Compared>,
    submitted: Option<(String, Vec<String>, Vec<String>)>,
    charts: Vec<Chart>,
    figure: String,
    figures: Vec<(&'static str, &'static str)>,
    close: Option<String>,
    reopen: bool,
    xlsx: String,
    period_value: String,
}

fn period_of(q: &Option<String>, today: jiff::civil::Date) -> Result<Period, AppError> {
    match q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Period::parse(p).map_err(|e| {
            AppError::Invalid(vec![renkou_core::person::FieldError::new(
                "period",
                e.to_string(),
            )])
        }),
        // The month being reported: the last one.
        None => Ok(Period::Month(Month::of(today).plus(-1))),
    }
}

fn area_of(caller: &Caller, q: &Option<String>) -> Result<AreaCode, AppError> {
    match q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => AreaCode::parse(a).map_err(|e| {
            AppError::Invalid(vec![renkou_core::person::FieldError::new(
                "area",
                e.to_string(),
            )])
        }),
        None => Ok(caller.actor.scope.area.clone()),
    }
}

/// A row's figures as the table shows them; a masked group's small health counts as `<3`.
fn cells(row: &ReportRow) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| match (row.hides(c), c.key) {
            (true, "pregnant") => "<3".into(),
            (true, _) => "—".into(),
            (false, _) => shown((c.value)(&row.figures)),
        })
        .collect()
}

fn link(area: &str, period: &str) -> String {
    format!(
        "/stats?{}",
        serde_urlencoded::to_string([("area", area), ("period", period)]).unwrap_or_default()
    )
}

fn build_charts(t: Catalog, r: &Report, figure: &Column) -> Vec<Chart> {
    let total = &r.total.figures;
    let bands = &total.stock.age_bands.0;
    let pyramid_title = t.fill("stats.pyramid", &[&r.as_of]);
    let methods: Vec<(String, i64)> = total
        .stock
        .contraception
        .0
        .iter()
        .map(|(code, n)| {
            let name = ContraceptionMethod::ALL
                .iter()
                .find(|m| m.code() == code)
                .map_or_else(
                    || t.text("stats.no_method").to_string(),
                    |m| t.code(m.name_zh(), m.name_en()).to_string(),
                );
            (name, *n)
        })
        .collect();
    let by_area: Vec<(String, i64)> = r
        .rows
        .iter()
        .map(|row| {
            (
                row.area.name.clone(),
                (figure.value)(&row.figures).unwrap_or(0.0).round() as i64,
            )
        })
        .collect();
    let births_title = t.text("stats.births_chart").to_string();
    let methods_title = t.text("stats.method_mix").to_string();
    let area_title = t.fill("stats.by_area", &[&t.code(figure.zh, figure.en)]);
    let m = t.text("stats.male");
    let f = t.text("stats.female");
    vec![
        Chart {
            svg: charts::pyramid(bands, &pyramid_title),
            table: bands
                .iter()
                .map(|(k, b)| (k.clone(), format!("{m} {} · {f} {}", b.male, b.female)))
                .collect(),
            title: pyramid_title,
        },
        Chart {
            svg: charts::births(&r.births_by_month, &births_title),
            table: r
                .births_by_month
                .iter()
                .map(|b| {
                    (
                        b.month.clone(),
                        format!("{m} {} · {f} {}", b.male, b.female),
                    )
                })
                .collect(),
            title: births_title,
        },
        Chart {
            svg: charts::bars(&methods, &methods_title),
            table: methods
                .iter()
                .map(|(k, n)| (k.clone(), n.to_string()))
                .collect(),
            title: methods_title,
        },
        Chart {
            svg: charts::bars(&by_area, &area_title),
            table: by_area
                .iter()
                .map(|(k, n)| (k.clone(), n.to_string()))
                .collect(),
            title: area_title,
        },
    ]
}

async fn load(
    state: &AppState,
    caller: &Caller,
    q: &StatsQuery,
) -> Result<(Report, AreaCode, Period), AppError> {
    let day = today(state.clock.now());
    let period = period_of(&q.period, day)?;
    let area = area_of(caller, &q.area)?;
    let actor = caller.actor.clone();
    let code = area.clone();
    let report = state
        .pool
        .run(move |s| s.stats_report(Who::Account(&actor), Some(&code), period, day))
        .await?;
    Ok((report, area, period))
}

async fn report_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<StatsQuery>,
) -> PageResult {
    let t = caller.t();
    let (report, area, period) = load(&state, &caller, &q).await.or_page(t)?;
    let day = today(state.clock.now());
    let period_text = period.to_string();
    let lines = report
        .rows
        .iter()
        .map(|row| {
            let below = row.area.code.len() > area.as_str().len() && row.area.code.len() < 15;
            Line {
                name: row.area.name.clone(),
                href: below.then(|| link(&row.area.code, &period_text)),
                cells: cells(row),
            }
        })
        .collect();
    let compared = [
        (t.text("stats.previous"), &report.previous_period),
        (t.text("stats.year_earlier"), &report.a_year_earlier),
    ]
    .into_iter()
    .filter_map(|(label, c)| {
        c.as_ref().map(|c| Compared {
            label: label.to_string(),
            period: c.period.clone(),
            cells: COLUMNS
                .iter()
                .map(|col| {
                    let now = (col.value)(&report.total.figures);
                    let then = (col.value)(&c.total.figures);
                    let change = match (now, then) {
                        (Some(a), Some(b)) => {
                            format!(" ({:+})", shown(Some(a - b))).replace("(+-", "(-")
                        }
                        _ => String::new(),
                    };
                    format!("{}{change}", shown(then))
                })
                .collect(),
        })
    })
    .collect();
    let submitted = report.submitted.as_ref().map(|s| {
        let at =
            s.at.parse::<jiff::Timestamp>()
                .map(crate::error::local_time)
                .unwrap_or_else(|_| s.at.clone());
        let diff = COLUMNS
            .iter()
            .map(|col| {
                match (
                    (col.value)(&report.total.figures),
                    (col.value)(&s.total.figures),
                ) {
                    (Some(a), Some(b)) if a != b => shown(Some(a - b)),
                    _ => String::new(),
                }
            })
            .collect();
        (
            t.fill("stats.submitted", &[&at, &s.by]),
            cells(&s.total),
            diff,
        )
    });
    let figure = COLUMNS
        .iter()
        .find(|c| Some(c.key) == q.figure.as_deref())
        .unwrap_or(&COLUMNS[0]);
    let may_close = caller.allows(Action::CloseStatistics);
    let (close, reopen) = match period {
        Period::Month(m) if may_close && report.submitted.is_none() => {
            let from = renkou_store::closable_from(m, 5);
            (
                (day >= from).then(|| t.fill("stats.close_hint", &[&m])),
                false,
            )
        }
        Period::Month(_) if may_close => (None, true),
        _ => (None, false),
    };
    let charts = build_charts(t, &report, figure);
    Ok(render(StatsPage {
        chrome: Chrome::new(&caller, "/stats", &link(area.as_str(), &period_text)),
        columns: COLUMNS.iter().map(|c| t.code(c.zh, c.en)).collect(),
        total: cells(&report.total),
        lines,
        compared,
        submitted,
        charts,
        figure: figure.key.to_string(),
        figures: COLUMNS
            .iter()
            .map(|c| (c.key, t.code(c.zh, c.en)))
            .collect(),
        close,
        reopen,
        xlsx: format!(
            "/stats/report.xlsx{}",
            &link(area.as_str(), &period_text)[6..]
        ),
        period_value: period_text,
        area_code: area.to_string(),
        report,
    }))
}

async fn report_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let t = caller.t();
    let (report, _, period) = load(&state, &caller, &q).await.or_page(t)?;
    let day = today(state.clock.now());
    let bytes = renkou_documents::stats::report_xlsx(&report, day)
        .map_err(|e| PageError(t, AppError::Internal(e.to_string())))?;
    let name = format!("统计报表-{}-{period}.xlsx", report.area.code);
    Ok(super::upload::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
    ))
}

#[derive(Deserialize)]
struct LockForm {
    csrf: String,
    area: String,
    period: String,
    #[serde(default)]
    reason: String,
}

async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<LockForm>,
) -> PageResult {
    lock(state, caller, form, false).await
}

async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<LockForm>,
) -> PageResult {
    lock(state, caller, form, true).await
}

async fn lock(state: AppState, caller: Caller, form: LockForm, reopen: bool) -> PageResult {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    let day = today(state.clock.now());
    let area = area_of(&caller, &Some(form.area.clone())).or_page(t)?;
    let month = Month::parse(&form.period).ok_or_else(|| {
        PageError(
            t,
            AppError::Invalid(vec![renkou_core::person::FieldError::new(
                "period",
                t.text("stats.month_only"),
            )]),
        )
    })?;
    let actor = caller.actor.clone();
    let code = area.clone();
    let reason = form.reason.clone();
    state
        .pool
        .run(move |s| {
            if reopen {
                s.stats_reopen(Who::Account(&actor), Some(&code), month, &reason)
            } else {
                s.stats_close(Who::Account(&actor), Some(&code), month, day)
            }
        })
        .await
        .or_page(t)?;
    let key = if reopen {
        "stats.reopened_ok"
    } else {
        "stats.closed_ok"
    };
    Ok(redirect_with_message(
        &link(area.as_str(), &form.period),
        t.fill(key, &[&month]),
    ))
}
