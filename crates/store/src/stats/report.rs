//! The report a station submits: one row per child area and the total, read from the
//! counters. A row's stock is the sum of its changes up to the period's day; its flow the sum
//! of its months.

use std::collections::HashMap;

use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::stats::figures::add_into;
use renkou_core::stats::report::{AreaRef, Comparison, MonthBirths, Report, ReportRow};
use renkou_core::stats::{Cell, Figures, Month, Period, Sums, YEAR_STARTS};
use renkou_core::{Action, Actor, AreaCode, AreaLevel};

use super::roll;
use crate::db::{Db, SqlValue};
use crate::door::Who;
use crate::{Result, Store, StoreError};

fn births_by_month(db: &mut dyn Db, code: &str, last: Month) -> Result<Vec<MonthBirths>> {
    let first = last.plus(-12);
    let rows = db.query(
        "SELECT month, cell, CAST(SUM(n) AS BIGINT) FROM stat_month WHERE area_code = ?1 AND month >= ?2 AND month <= ?3 AND cell LIKE 'f.birth.%' GROUP BY month, cell",
        &[code.into(), i64::from(first.key()).into(), i64::from(last.key()).into()],
    )?;
    let mut out: Vec<MonthBirths> = (0..13)
        .map(|i| MonthBirths {
            month: first.plus(i).to_string(),
            male: 0,
            female: 0,
        })
        .collect();
    for r in rows {
        let key = r[0].int().unwrap_or(0);
        let Some(Cell::Birth(_, sex, _)) = r[1].text().and_then(|c| Cell::parse(&c)) else {
            continue;
        };
        let i = (0..13).find(|i| i64::from(first.plus(*i).key()) == key);
        if let Some(m) = i.and_then(|i| out.get_mut(i as usize)) {
            let n = r[2].int().unwrap_or(0);
            match sex {
                renkou_core::Sex::Male => m.male += n,
                renkou_core::Sex::Female => m.female += n,
            }
        }
    }
    Ok(out)
}

fn in_list(n: usize, from: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each area's summed cells for a period.
fn sums(
    db: &mut dyn Db,
    areas: &[String],
    first: Month,
    last: Month,
) -> Result<HashMap<String, Sums>> {
    let mut out: HashMap<String, Sums> = HashMap::new();
    let list = in_list(areas.len(), 4);
    let mut params = vec![
        SqlValue::from(i64::from(last.year)),
        SqlValue::from(i64::from(last.year) * 100 + 1),
        SqlValue::from(i64::from(last.key())),
    ];
    params.extend(areas.iter().map(|a| SqlValue::from(a.as_str())));
    let stock = format!(
        "SELECT area_code, cell, CAST(SUM(n) AS BIGINT) FROM stat_year WHERE area_code IN ({list}) AND year < ?1 GROUP BY area_code, cell \
         UNION ALL \
         SELECT area_code, cell, CAST(SUM(n) AS BIGINT) FROM stat_month WHERE area_code IN ({list}) AND month >= ?2 AND month <= ?3 AND cell LIKE 's.%' GROUP BY area_code, cell"
    );
    let mut rows = db.query(&stock, &params)?;
    let flow_list = in_list(areas.len(), 3);
    let mut flow_params = vec![
        SqlValue::from(i64::from(first.key())),
        SqlValue::from(i64::from(last.key())),
    ];
    flow_params.extend(areas.iter().map(|a| SqlValue::from(a.as_str())));
    let flow = format!(
        "SELECT area_code, cell, CAST(SUM(n) AS BIGINT) FROM stat_month WHERE area_code IN ({flow_list}) AND month >= ?1 AND month <= ?2 AND cell LIKE 'f.%' GROUP BY area_code, cell"
    );
    rows.extend(db.query(&flow, &flow_params)?);
    for r in rows {
        let (Some(area), Some(cell)) = (r[0].text(), r[1].text().and_then(|c| Cell::parse(&c)))
        else {
            continue;
        };
        *out.entry(area).or_default().entry(cell).or_default() += r[2].int().unwrap_or(0);
    }
    Ok(out)
}

/// An area's own summed cells for one month.
pub(crate) fn total_cells(db: &mut dyn Db, code: &str, month: Month) -> Result<Sums> {
    let mut s = sums(db, &[code.to_string()], month, month)?;
    Ok(s.remove(code).unwrap_or_default())
}

fn row(area: AreaRef, sums: &Sums) -> ReportRow {
    ReportRow {
        area,
        figures: Figures::from_sums(sums),
        masked: false,
    }
}

/// A period's months, refused before the counters' base year.
fn months_of(period: Period, base_year: i16) -> Result<(Month, Month)> {
    let (first, last) = period.months(YEAR_STARTS);
    if first.year < base_year {
        return Err(StoreError::rejected(
            "period",
            format!("统计数据从{base_year}年1月开始，{period}早于此"),
        ));
    }
    Ok((first, last))
}

pub(crate) fn build(
    db: &mut dyn Db,
    area: Option<&AreaCode>,
    period: Period,
    today: Date,
) -> Result<Report> {
    let st = roll(db, today)?;
    let (first, last) = months_of(period, st.base_year)?;
    if first.first_day() > today {
        return Err(StoreError::rejected("period", format!("{period}尚未开始")));
    }
    let all = db.areas(area)?;
    let name_of = |code: &str| -> String {
        all.iter()
            .find(|a| a.code.as_str() == code)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| {
                if code.is_empty() {
                    "全市".into()
                } else {
                    code.into()
                }
            })
    };
    let own = area.map_or(String::new(), |a| a.to_string());
    if area.is_some() && all.iter().all(|a| a.code.as_str() != own) {
        return Err(StoreError::NotFound(format!("区划 {own}")));
    }
    let child_len = if own.is_empty() { 6 } else { own.len() + 3 };
    let children: Vec<String> = all
        .iter()
        .map(|a| a.code.to_string())
        .filter(|c| c.len() == child_len && c.starts_with(&own))
        .collect();
    let mut codes = children.clone();
    codes.push(own.clone());
    let mut by_area = sums(db, &codes, first, last)?;
    let total_sums = by_area.remove(&own).unwrap_or_default();
    let mut rows = Vec::new();
    let mut covered = Sums::new();
    for c in &children {
        let s = by_area.remove(c).unwrap_or_default();
        add_into(&mut covered, &s);
        rows.push(row(
            AreaRef {
                code: c.clone(),
                name: name_of(c),
            },
            &s,
        ));
    }
    // People held at this level itself (a committee's people in no group) get a row of their
    // own, so the rows always add up to the total.
    let mut direct = total_sums.clone();
    for (c, n) in &covered {
        *direct.entry(*c).or_default() -= n;
    }
    direct.retain(|_, n| *n != 0);
    if !direct.is_empty() {
        rows.push(row(
            AreaRef {
                code: own.clone(),
                name: format!("{}（直属）", name_of(&own)),
            },
            &direct,
        ));
    }
    let compare = |db: &mut dyn Db, p: Period| -> Result<Option<Comparison>> {
        let Ok((f, l)) = months_of(p, st.base_year) else {
            return Ok(None);
        };
        let mut s = sums(db, std::slice::from_ref(&own), f, l)?;
        Ok(Some(Comparison {
            period: p.to_string(),
            total: row(
                AreaRef {
                    code: own.clone(),
                    name: name_of(&own),
                },
                &s.remove(&own).unwrap_or_default(),
            ),
        }))
    };
    let own_ref = AreaRef {
        code: own.clone(),
        name: name_of(&own),
    };
    let submitted = match period {
        Period::Month(m) => super::lock::submitted(db, &own_ref, m)?,
        _ => None,
    };
    let births = births_by_month(db, &own, last)?;
    let previous_period = compare(db, period.previous())?;
    let a_year_earlier = compare(db, period.a_year_earlier())?;
    Ok(Report {
        area: AreaRef {
            code: own.clone(),
            name: name_of(&own),
        },
        period: period.to_string(),
        as_of: period.stock_day(YEAR_STARTS, today),
        total: row(
            AreaRef {
                code: own.clone(),
                name: name_of(&own),
            },
            &total_sums,
        ),
        rows,
        submitted,
        previous_period,
        a_year_earlier,
        births_by_month: births,
    })
}

impl Store {
    /// The statistical report of an area for a period, as an account may read it: within its
    /// area; a resident group's small health counts masked for roles that do not see health
    /// data (`ReportRow::masked`). Audited.
    pub fn stats_report(
        &mut self,
        who: Who<'_>,
        area: Option<&AreaCode>,
        period: Period,
        today: Date,
    ) -> Result<Report> {
        if let Who::Account(actor) = who {
            self.check_access(actor, Action::ViewStatistics, "stats")?;
            check_reach(actor, area)?;
        }
        let mut report = self.transaction(|tx| build(&mut *tx.db, area, period, today))?;
        if let Who::Account(actor) = who
            && !actor.scope.sees_health()
        {
            // Small health counts of a resident group would point at people.
            let group = AreaLevel::Group.digits();
            for row in report.rows.iter_mut().chain([&mut report.total]) {
                row.masked = row.area.code.len() >= group;
            }
        }
        let what = area.map_or(String::new(), |a| a.to_string());
        self.audit(
            who.entry(AuditAction::StatsView, "stats", AuditResult::Ok)
                .object(what)
                .detail(period.to_string()),
        )?;
        Ok(report)
    }
}

fn check_reach(actor: &Actor, area: Option<&AreaCode>) -> Result<()> {
    let Some(area) = area else {
        return Err(StoreError::NotFound("区划".into()));
    };
    if !actor.scope.covers_area(area) {
        return Err(StoreError::NotFound(format!("区划 {area}")));
    }
    Ok(())
}
