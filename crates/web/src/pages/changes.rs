//! 本月变动: the events reported in a month on the records of the account's area, counted by
//! kind, each with whose record and where, late reports marked. A month is Beijing's month;
//! `?month=2026-11` picks another, `?kind=` and `?late=1` narrow the list.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::EventKind;
use serde::Deserialize;

use super::person::{LATE_AFTER_DAYS, recorded_late};
use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::{AppError, local_time};

pub fn routes() -> Router<AppState> {
    Router::new().route("/changes", get(changes_page))
}

/// Beijing time, where the staff are: a month starts at its first midnight there.
fn beijing() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(8))
}

/// The first day of the month `day` is in.
pub fn month_of(day: Date) -> Date {
    day.first_of_month()
}

/// A month as the instants it starts and ends at, Beijing time.
pub fn month_bounds(first: Date) -> (Timestamp, Timestamp) {
    let start = |d: Date| {
        d.to_zoned(beijing())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    };
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first);
    (start(first), start(next))
}

/// Whether an event was reported late (recorded more than [`LATE_AFTER_DAYS`] after it).
pub fn is_late(e: &renkou_core::Event) -> bool {
    recorded_late(e) > LATE_AFTER_DAYS
}

#[derive(Debug, Default, Deserialize)]
struct ChangesQuery {
    month: Option<String>,
    kind: Option<String>,
    late: Option<String>,
}

struct KindCount {
    code: &'static str,
    label: &'static str,
    count: usize,
    late: usize,
}

struct Row {
    person_id: i64,
    name: String,
    area: String,
    area_code: String,
    kind: &'static str,
    occurred_on: String,
    recorded_at: String,
    recorded_by: String,
    late_days: Option<i64>,
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ChangesPage {
    chrome: Chrome,
    area_name: String,
    month: String,
    prev: String,
    next: Option<String>,
    kinds: Vec<KindCount>,
    total: usize,
    late_total: usize,
    summary: String,
    rows: Vec<Row>,
    kind: String,
    late_only: bool,
}

fn month_text(first: Date) -> String {
    format!("{:04}-{:02}", first.year(), first.month())
}

async fn changes_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ChangesQuery>,
) -> PageResult {
    let t = caller.t();
    let this_month = month_of(today(state.clock.now()));
    let first = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => this_month,
        Some(m) => format!("{m}-01")
            .parse::<Date>()
            .map_err(|_| PageError(t, AppError::BadRequest(t.fill_one("changes.bad_month", m))))?,
    };
    let kind_filter = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| EventKind::parse(k).ok());
    let late_only = q.late.as_deref().is_some_and(|v| v == "1");
    let (from, to) = month_bounds(first);
    let actor = caller.actor.clone();
    let changes = state
        .pool
        .run(move |s| s.changes_as(&actor, from, to, true))
        .await
        .or_page(t)?;
    let names = state.area_names().await.or_page(t)?;

    let mut by_kind: BTreeMap<EventKind, (usize, usize)> = BTreeMap::new();
    for c in &changes {
        let entry = by_kind.entry(c.event.kind).or_default();
        entry.0 += 1;
        if is_late(&c.event) {
            entry.1 += 1;
        }
    }
    let kinds: Vec<KindCount> = by_kind
        .iter()
        .map(|(k, (n, late))| KindCount {
            code: k.code(),
            label: t.code(k.name_zh(), k.name_en()),
            count: *n,
            late: *late,
        })
        .collect();
    let rows = changes
        .iter()
        .filter(|c| kind_filter.is_none_or(|k| c.event.kind == k))
        .filter(|c| !late_only || is_late(&c.event))
        .rev()
        .map(|c| {
            let late = recorded_late(&c.event);
            Row {
                person_id: c.event.person_id.0,
                name: c.person_name.clone(),
                area: names.label(&c.area_code),
                area_code: c.area_code.to_string(),
                kind: t.code(c.event.kind.name_zh(), c.event.kind.name_en()),
                occurred_on: c.event.occurred_on.to_string(),
                recorded_at: local_time(c.event.recorded_at),
                recorded_by: c.event.recorded_by.clone(),
                late_days: (late > LATE_AFTER_DAYS).then_some(late),
            }
        })
        .collect();
    let prev = first
        .checked_sub(jiff::Span::new().months(1))
        .map(month_text)
        .unwrap_or_default();
    let next = (first < this_month)
        .then(|| first.checked_add(jiff::Span::new().months(1)).ok())
        .flatten()
        .map(month_text);
    let late_total: usize = kinds.iter().map(|k| k.late).sum();
    let summary = t.fill("changes.summary", &[&changes.len(), &late_total]);
    Ok(render(ChangesPage {
        chrome: Chrome::new(&caller, "/", "/changes"),
        area_name: names.label(&caller.account.area),
        month: month_text(first),
        prev,
        next,
        total: changes.len(),
        late_total,
        summary,
        kinds,
        rows,
        kind: kind_filter
            .map(|k| k.code().to_string())
            .unwrap_or_default(),
        late_only,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_month_is_beijing_time() {
        let (from, to) = month_bounds(date(2026, 12, 1));
        assert_eq!(from.to_string(), "2026-11-30T16:00:00Z");
        assert_eq!(to.to_string(), "2026-12-31T16:00:00Z");
    }
}
