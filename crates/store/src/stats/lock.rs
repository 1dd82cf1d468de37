//! 上报: the station closes a month for its area once the reporting deadline has passed. The
//! closed month keeps its figures as submitted; later and corrected records still change the
//! counters, and the report shows the difference (迟报调整). Reopening needs a reason and is
//! audited.

use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::stats::{Cell, Month, Sums};
use renkou_core::{Action, AreaCode};

use super::{roll, state};
use crate::db::Db;
use crate::door::Who;
use crate::{Result, Store, StoreError};
use renkou_core::stats::report::{AreaRef, ReportRow, Submitted};

/// The first day a month may be closed: the day after its reporting deadline.
pub fn closable_from(month: Month, deadline_day: i8) -> Date {
    let next = month.plus(1);
    Date::new(next.year, next.month, deadline_day.clamp(1, 28))
        .expect("a day 1–28 exists")
        .tomorrow()
        .expect("not the end of time")
}

fn area_key(area: Option<&AreaCode>) -> String {
    area.map_or(String::new(), |a| a.to_string())
}

/// The submitted figures of a closed month, if it is closed.
pub(crate) fn submitted(
    db: &mut dyn Db,
    area: &AreaRef,
    month: Month,
) -> Result<Option<Submitted>> {
    let rows = db.query(
        "SELECT closed_at, closed_by, cells FROM stat_closed WHERE area_code = ?1 AND month = ?2",
        &[area.code.as_str().into(), i64::from(month.key()).into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let cells: std::collections::BTreeMap<String, i64> =
        serde_json::from_str(&r[2].text().unwrap_or_default())
            .map_err(|e| StoreError::Database(format!("stat_closed: {e}")))?;
    let sums: Sums = cells
        .iter()
        .filter_map(|(k, n)| Cell::parse(k).map(|c| (c, *n)))
        .collect();
    Ok(Some(Submitted {
        at: r[0].text().unwrap_or_default(),
        by: r[1].text().unwrap_or_default(),
        total: ReportRow {
            area: area.clone(),
            figures: renkou_core::stats::Figures::from_sums(&sums),
            masked: false,
        },
    }))
}

impl Store {
    /// Closes a month for an area: its total's figures are kept as submitted.
    pub fn stats_close(
        &mut self,
        who: Who<'_>,
        area: Option<&AreaCode>,
        month: Month,
        today: Date,
    ) -> Result<()> {
        let code = area_key(area);
        self.lock_door(who, area, AuditAction::StatsClose, &code, month)?;
        let at = crate::tx::now();
        let by = who.name().to_string();
        let result = self.transaction(|tx| {
            let st = state(&mut *tx.db)?;
            let from = closable_from(month, st.deadline_day);
            if today < from {
                return Err(StoreError::rejected(
                    "period",
                    format!("{month}的上报截止日未过，{from}起才能上报"),
                ));
            }
            roll(&mut *tx.db, today)?;
            let closed = tx.db.query(
                "SELECT closed_by FROM stat_closed WHERE area_code = ?1 AND month = ?2",
                &[code.as_str().into(), i64::from(month.key()).into()],
            )?;
            if let Some(r) = closed.first() {
                return Err(StoreError::rejected(
                    "period",
                    format!("{month}已由{}上报", r[0].text().unwrap_or_default()),
                ));
            }
            let report = super::report::build(
                &mut *tx.db,
                area,
                renkou_core::stats::Period::Month(month),
                today,
            )?;
            let cells = super::report::total_cells(&mut *tx.db, &code, month)?;
            let json: std::collections::BTreeMap<String, i64> =
                cells.iter().map(|(c, n)| (c.key(), *n)).collect();
            tx.db.exec(
                "INSERT INTO stat_closed (area_code, month, closed_at, closed_by, cells) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    code.as_str().into(),
                    i64::from(month.key()).into(),
                    at.to_string().into(),
                    by.clone().into(),
                    serde_json::to_string(&json)
                        .map_err(|e| StoreError::Database(e.to_string()))?
                        .into(),
                ],
            )?;
            tx.audit(
                who.entry(AuditAction::StatsClose, "stats", AuditResult::Ok)
                    .object(&code)
                    .detail(format!("{month} 总人口 {}", report.total.figures.population_total())),
            )
        });
        self.refusal_audited(who, result, AuditAction::StatsClose, &code, month)
    }

    /// Reopens a closed month: the station, with a reason.
    pub fn stats_reopen(
        &mut self,
        who: Who<'_>,
        area: Option<&AreaCode>,
        month: Month,
        reason: &str,
    ) -> Result<()> {
        let code = area_key(area);
        self.lock_door(who, area, AuditAction::StatsReopen, &code, month)?;
        let reason = reason.trim().to_string();
        let result = self.transaction(|tx| {
            if reason.is_empty() {
                return Err(StoreError::rejected("reason", "重新打开须写明原因"));
            }
            let n = tx.db.exec(
                "DELETE FROM stat_closed WHERE area_code = ?1 AND month = ?2",
                &[code.as_str().into(), i64::from(month.key()).into()],
            )?;
            if n == 0 {
                return Err(StoreError::rejected("period", format!("{month}尚未上报")));
            }
            tx.audit(
                who.entry(AuditAction::StatsReopen, "stats", AuditResult::Ok)
                    .object(&code)
                    .detail(format!("{month}：{reason}")),
            )
        });
        self.refusal_audited(who, result, AuditAction::StatsReopen, &code, month)
    }

    /// The role table and the area for closing and reopening; a refusal is audited.
    fn lock_door(
        &mut self,
        who: Who<'_>,
        area: Option<&AreaCode>,
        action: AuditAction,
        code: &str,
        month: Month,
    ) -> Result<()> {
        let Who::Account(actor) = who else {
            return Ok(());
        };
        self.check_access(actor, Action::CloseStatistics, "stats")?;
        if area.is_none_or(|a| !actor.scope.covers_area(a)) {
            self.audit(
                who.entry(action, "stats", AuditResult::Denied)
                    .object(code)
                    .detail(month.to_string()),
            )?;
            return Err(StoreError::NotFound(format!("区划 {code}")));
        }
        Ok(())
    }

    fn refusal_audited(
        &mut self,
        who: Who<'_>,
        result: Result<()>,
        action: AuditAction,
        code: &str,
        month: Month,
    ) -> Result<()> {
        if let Err(StoreError::Rejected(errors)) = &result {
            let why = errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            self.audit(
                who.entry(action, "stats", AuditResult::Failed)
                    .object(code)
                    .detail(format!("{month}：{why}")),
            )?;
        }
        result
    }
}
