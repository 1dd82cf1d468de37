//! The changes in an area: the events recorded in a period (本月变动), with whose record each
//! is on. A monthly report counts what was reported in the month; an event reported long after
//! it happened is a late report, shown in the month it was reported.

use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::event::EventDetail;
use renkou_core::{Action, Actor, AreaCode, Event, EventId, EventKind, PersonId};

use crate::db::SqlValue;
use crate::{PersonFilter, Result, Store, StoreError};

/// One event of the period and the person it is on.
#[derive(Debug, Clone)]
pub struct AreaChange {
    pub event: Event,
    pub person_name: String,
    pub area_code: AreaCode,
}

impl Store {
    /// The events recorded in `[from, to)` on the records of the account's area (and the
    /// population its role sees), oldest first; without the health events for a role that may
    /// not see them. `audited`: a list shown to the user writes an access row; a count on the
    /// home page does not (it shows no one).
    pub fn changes_as(
        &mut self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
        audited: bool,
    ) -> Result<Vec<AreaChange>> {
        self.require(actor, Action::ListPersons, AuditAction::Access, "changes")?;
        let Some(filter) = PersonFilter::default().within(&actor.scope) else {
            return Ok(Vec::new());
        };
        let area = filter.area.clone().expect("within sets an area");
        let mut params: Vec<SqlValue> = vec![
            area.as_str().into(),
            crate::prefix_end(&area).into(),
            from.to_string().into(),
            to.to_string().into(),
        ];
        // SQLite keeps the time as RFC 3339 text (ordered as text); PostgreSQL as a timestamp.
        let at = |n: usize| match self.db.backend() {
            "postgres" => format!("CAST(CAST(?{n} AS TEXT) AS TIMESTAMPTZ)"),
            _ => format!("?{n}"),
        };
        let mut sql = format!(
            "SELECT e.id, e.person_id, e.kind, CAST(e.occurred_on AS TEXT), \
             CAST(e.recorded_at AS TEXT), e.recorded_by, CAST(e.detail AS TEXT), p.name, \
             p.area_code FROM events e JOIN persons p ON p.id = e.person_id \
             WHERE p.area_code >= ?1 AND p.area_code < ?2 AND e.recorded_at >= {} \
             AND e.recorded_at < {}",
            at(3),
            at(4)
        );
        if let Some(types) = filter.population_types {
            let mut list = Vec::new();
            for t in types {
                params.push(t.code().into());
                list.push(format!("?{}", params.len()));
            }
            sql += &format!(" AND p.population_type IN ({})", list.join(", "));
        }
        sql += " ORDER BY e.recorded_at, e.id";
        let rows = self.db.query(&sql, &params)?;
        let sees_health = actor.scope.sees_health();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = r[0].int().unwrap_or_default();
            let bad = |what: &str| StoreError::Database(format!("事件 {id}: {what}"));
            let kind = EventKind::parse(&r[2].text().unwrap_or_default())
                .map_err(|e| bad(&e.to_string()))?;
            if kind.is_health() && !sees_health {
                continue;
            }
            let occurred_on: Date = r[3]
                .text()
                .unwrap_or_default()
                .parse()
                .map_err(|e: jiff::Error| bad(&e.to_string()))?;
            let recorded_at =
                parse_time(&r[4].text().unwrap_or_default()).ok_or_else(|| bad("recorded_at"))?;
            let detail: EventDetail = serde_json::from_str(&r[6].text().unwrap_or_default())
                .map_err(|e| bad(&e.to_string()))?;
            let area_code = AreaCode::parse(&r[8].text().unwrap_or_default())
                .map_err(|e| bad(&e.to_string()))?;
            out.push(AreaChange {
                event: Event {
                    id: EventId(id),
                    person_id: PersonId(r[1].int().unwrap_or_default()),
                    kind,
                    occurred_on,
                    recorded_at,
                    recorded_by: r[5].text().unwrap_or_default(),
                    detail,
                },
                person_name: r[7].text().unwrap_or_default(),
                area_code,
            });
        }
        if audited {
            let mut entry = actor.entry(AuditAction::Access, "changes", AuditResult::Ok);
            entry.object_id = Some(area.to_string());
            entry.detail = Some(format!("{from}..{to} {} rows", out.len()));
            self.audit(entry)?;
        }
        Ok(out)
    }
}

/// A time as either backend writes it as text: RFC 3339 (SQLite), or PostgreSQL's
/// `2026-12-07 06:30:00.123+00`.
fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok().or_else(|| {
        let t = text.replacen(' ', "T", 1);
        let t = match t.rfind(['+', '-']) {
            Some(i) if i > 10 && t.len() - i == 3 => format!("{t}:00"),
            _ => t,
        };
        t.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_times_are_read() {
        for text in [
            "2026-12-07T06:30:00Z",
            "2026-12-07 06:30:00+00",
            "2026-12-07 14:30:00.5+08",
        ] {
            assert!(super::parse_time(text).is_some(), "{text}");
        }
    }
}
