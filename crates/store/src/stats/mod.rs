//! The statistics' counters, kept in the transaction of every change (core::stats defines
//! what they count). A change to people recounts them: what they added before is taken away
//! and what they add now is put in, so back-dated events and corrections reach the past months
//! they change. Birthdays change no record, so the counters also carry the last day they have
//! reached (the horizon) and are moved on to today before they are read or changed.

mod lock;
mod report;

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use renkou_core::stats::{Cell, Delta, contributions};
use renkou_core::{AreaCode, Event, Person, PersonData, PersonId};

use crate::db::{Db, SqlValue};
use crate::tx::new_person;
use crate::{PersonFilter, Result, StoreError};

pub use lock::closable_from;
pub use renkou_core::stats::report::{
    AreaRef, Comparison, MonthBirths, Report, ReportRow, Submitted,
};
pub(crate) use report::build as build_report;

/// The counters' settings and how far they have come.
#[derive(Debug, Clone, Copy)]
pub(crate) struct State {
    pub base_year: i16,
    pub horizon: Option<Date>,
    /// The day of the next month by which a month is reported.
    pub deadline_day: i8,
}

pub(crate) fn state(db: &mut dyn Db) -> Result<State> {
    let rows = db.query(
        "SELECT base_year, horizon, deadline_day FROM stat_state WHERE id = 1",
        &[],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Database("stat_state is empty".into()))?;
    Ok(State {
        base_year: row[0].int().unwrap_or(2020) as i16,
        horizon: row[1].text().and_then(|t| t.parse().ok()),
        deadline_day: row[2].int().unwrap_or(5) as i8,
    })
}

fn set_horizon(db: &mut dyn Db, day: Date) -> Result<()> {
    db.exec(
        "UPDATE stat_state SET horizon = ?1 WHERE id = 1",
        &[SqlValue::from(day.to_string())],
    )?;
    Ok(())
}

/// Which table a counter row belongs to, and its key there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// `yyyymm`.
    Month(i32),
    /// The year, or 0 for everything before the base year.
    Year(i32),
}

/// Counter changes not yet written, summed by leaf area.
#[derive(Default)]
pub(crate) struct Pending {
    cells: HashMap<(AreaCode, Key, Cell), i64>,
}

impl Pending {
    pub fn add(&mut self, d: &Delta, sign: i64, base_year: i16) {
        let year = d.on.year();
        let month = i32::from(year) * 100 + i32::from(d.on.month());
        let mut put =
            |key| *self.cells.entry((d.area.clone(), key, d.cell)).or_default() += sign * d.n;
        if year >= base_year {
            put(Key::Month(month));
        }
        if d.cell.is_stock() {
            put(Key::Year(if year < base_year {
                0
            } else {
                i32::from(year)
            }));
        }
    }

    pub fn add_all(&mut self, deltas: &[Delta], sign: i64, base_year: i16) {
        for d in deltas {
            self.add(d, sign, base_year);
        }
    }

    /// Every level's rows: the area itself, each area above it, and the whole register ('').
    pub fn by_level(self) -> BTreeMap<(String, Key, String), i64> {
        let mut out: BTreeMap<(String, Key, String), i64> = BTreeMap::new();
        for ((area, key, cell), n) in self.cells {
            if n == 0 {
                continue;
            }
            let code = area.as_str();
            let cell = cell.key();
            for len in [0, 6, 9, 12, 15].into_iter().filter(|l| *l <= code.len()) {
                *out.entry((code[..len].to_string(), key, cell.clone()))
                    .or_default() += n;
            }
        }
        out.retain(|_, n| *n != 0);
        out
    }

    pub fn write(self, db: &mut dyn Db) -> Result<()> {
        let rows = self.by_level();
        let (months, years): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|((_, k, _), _)| matches!(k, Key::Month(_)));
        upsert(db, "stat_month", "month", &months)?;
        upsert(db, "stat_year", "year", &years)
    }
}

type Row = ((String, Key, String), i64);

fn upsert(db: &mut dyn Db, table: &str, key_column: &str, rows: &[Row]) -> Result<()> {
    const CHUNK: usize = 200;
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(?{}, ?{}, ?{}, ?{})",
                    4 * i + 1,
                    4 * i + 2,
                    4 * i + 3,
                    4 * i + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} (area_code, {key_column}, cell, n) VALUES {} \
             ON CONFLICT (area_code, {key_column}, cell) DO UPDATE SET n = {table}.n + excluded.n",
            values.join(", ")
        );
        let mut params = Vec::with_capacity(chunk.len() * 4);
        for ((area, key, cell), n) in chunk {
            let k = match key {
                Key::Month(k) | Key::Year(k) => *k,
            };
            params.extend([
                SqlValue::from(area.clone()),
                SqlValue::from(i64::from(k)),
                SqlValue::from(cell.clone()),
                SqlValue::from(*n),
            ]);
        }
        db.exec(&sql, &params)?;
    }
    Ok(())
}

fn history(db: &mut dyn Db, id: PersonId) -> Result<Option<(Person, Vec<Event>)>> {
    let Some(p) = db.person(id)? else {
        return Ok(None);
    };
    let events = db.events(id)?;
    Ok(Some((p, events)))
}

/// The last day `years` old people were born on, as of `day`: someone born on or before it
/// is at least `years` old.
fn born_by(day: Date, years: i16) -> Date {
    day.checked_sub(jiff::Span::new().years(years))
        .unwrap_or(day)
}

/// Moves the counters on to `today`: the birthdays since the horizon that start a new age
/// band. Builds them first when they never were. Returns the state to count with.
pub(crate) fn roll(db: &mut dyn Db, today: Date) -> Result<State> {
    let st = state(db)?;
    let Some(horizon) = st.horizon else {
        rebuild_in(db, today)?;
        return state(db);
    };
    if horizon >= today {
        return Ok(st);
    }
    let mut ids = Vec::new();
    for n in renkou_core::stats::history::BIRTHDAYS {
        let rows = db.query(
            "SELECT id FROM persons WHERE birth_date > ?1 AND birth_date <= ?2",
            &[born_by(horizon, n).into(), born_by(today, n).into()],
        )?;
        ids.extend(rows.iter().filter_map(|r| r[0].int()).map(PersonId));
    }
    ids.sort();
    ids.dedup();
    let mut pending = Pending::default();
    for id in ids {
        if let Some((p, events)) = history(db, id)? {
            pending.add_all(&contributions(&p, &events, horizon), -1, st.base_year);
            pending.add_all(&contributions(&p, &events, today), 1, st.base_year);
        }
    }
    pending.write(db)?;
    set_horizon(db, today)?;
    Ok(State {
        horizon: Some(today),
        ..st
    })
}

/// A recount of some people around a change: started before it, finished after.
pub(crate) struct Recount {
    state: State,
    horizon: Date,
    ids: Vec<PersonId>,
    pending: Pending,
}

impl Recount {
    /// Takes away what `ids` add to the counters now (after moving the counters to `today`).
    pub fn start(db: &mut dyn Db, ids: &[PersonId], today: Date) -> Result<Recount> {
        let state = roll(db, today)?;
        let horizon = state.horizon.unwrap_or(today);
        let mut r = Recount {
            state,
            horizon,
            ids: Vec::new(),
            pending: Pending::default(),
        };
        for &id in ids {
            r.include_before(db, id)?;
        }
        Ok(r)
    }

    fn include_before(&mut self, db: &mut dyn Db, id: PersonId) -> Result<()> {
        if self.ids.contains(&id) {
            return Ok(());
        }
        if let Some((p, events)) = history(db, id)? {
            let d = contributions(&p, &events, self.horizon);
            self.pending.add_all(&d, -1, self.state.base_year);
        }
        self.ids.push(id);
        Ok(())
    }

    /// Someone the change touches too (a spouse): counted before it if not yet.
    pub fn also(&mut self, db: &mut dyn Db, id: PersonId) -> Result<()> {
        self.include_before(db, id)
    }

    /// Someone the change created (a newborn): nothing to take away.
    pub fn created(&mut self, id: PersonId) {
        if !self.ids.contains(&id) {
            self.ids.push(id);
        }
    }

    /// Puts in what the people add after the change, and writes the difference.
    pub fn finish(mut self, db: &mut dyn Db) -> Result<()> {
        for &id in &self.ids {
            if let Some((p, events)) = history(db, id)? {
                let d = contributions(&p, &events, self.horizon);
                self.pending.add_all(&d, 1, self.state.base_year);
            }
        }
        self.pending.write(db)
    }
}

/// New people of a bulk load: what each adds, summed once for the whole load.
pub(crate) struct BulkCount {
    state: State,
    horizon: Date,
    pending: Pending,
}

impl BulkCount {
    pub fn start(db: &mut dyn Db, today: Date) -> Result<BulkCount> {
        let state = roll(db, today)?;
        Ok(BulkCount {
            state,
            horizon: state.horizon.unwrap_or(today),
            pending: Pending::default(),
        })
    }

    pub fn add(&mut self, data: &PersonData) {
        let p = new_person(data.clone(), None);
        let d = contributions(&p, &[], self.horizon);
        self.pending.add_all(&d, 1, self.state.base_year);
    }

    pub fn write(self, db: &mut dyn Db) -> Result<()> {
        self.pending.write(db)
    }
}

/// Walks the whole register, every person with their events, a page at a time.
fn each_history(db: &mut dyn Db, f: &mut dyn FnMut(&Person, &[Event])) -> Result<()> {
    const PAGE: u32 = 2000;
    let filter = PersonFilter {
        all_statuses: true,
        ..PersonFilter::default()
    };
    let mut after: Option<PersonId> = None;
    loop {
        let page = db.persons(&filter, after, PAGE)?;
        let Some(last) = page.last().map(|p| p.id) else {
            break;
        };
        let events = db.events_between(after.unwrap_or(PersonId(i64::MIN)), last)?;
        let mut events = events.into_iter().peekable();
        for p in &page {
            let mut mine = Vec::new();
            while events.peek().is_some_and(|e| e.person_id <= p.id) {
                let e = events.next().expect("peeked");
                if e.person_id == p.id {
                    mine.push(e);
                }
            }
            f(p, &mine);
        }
        after = Some(last);
        if page.len() < PAGE as usize {
            break;
        }
    }
    Ok(())
}

/// Everything the register adds to the counters up to `horizon`, person by person.
fn count_all(db: &mut dyn Db, base_year: i16, horizon: Date) -> Result<Pending> {
    let mut pending = Pending::default();
    each_history(db, &mut |p, events| {
        pending.add_all(&contributions(p, events, horizon), 1, base_year);
    })?;
    Ok(pending)
}

fn rebuild_in(db: &mut dyn Db, today: Date) -> Result<()> {
    let st = state(db)?;
    let horizon = st.horizon.map_or(today, |h| h.max(today));
    db.exec("DELETE FROM stat_month", &[])?;
    db.exec("DELETE FROM stat_year", &[])?;
    count_all(db, st.base_year, horizon)?.write(db)?;
    set_horizon(db, horizon)
}

/// What `stats check` found: the first cell where the counters and a rebuild differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    pub area: String,
    pub key: i32,
    pub cell: String,
    pub counted: i64,
    pub rebuilt: i64,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let area = if self.area.is_empty() {
            "全市"
        } else {
            &self.area
        };
        write!(
            f,
            "{} {} {} {}: counters {}, rebuilt {}",
            self.table, area, self.key, self.cell, self.counted, self.rebuilt
        )
    }
}

fn stored(db: &mut dyn Db) -> Result<BTreeMap<(String, Key, String), i64>> {
    let mut out = BTreeMap::new();
    for (table, column) in [("stat_month", "month"), ("stat_year", "year")] {
        let rows = db.query(
            &format!("SELECT area_code, {column}, cell, n FROM {table} WHERE n <> 0"),
            &[],
        )?;
        for r in rows {
            let k = r[1].int().unwrap_or(0) as i32;
            let key = if table == "stat_month" {
                Key::Month(k)
            } else {
                Key::Year(k)
            };
            out.insert(
                (
                    r[0].text().unwrap_or_default(),
                    key,
                    r[2].text().unwrap_or_default(),
                ),
                r[3].int().unwrap_or(0),
            );
        }
    }
    Ok(out)
}

/// Compares the counters with a count of the register; None when they agree.
pub(crate) fn check_in(db: &mut dyn Db, today: Date) -> Result<Option<Difference>> {
    let st = roll(db, today)?;
    let horizon = st.horizon.unwrap_or(today);
    let expected = count_all(db, st.base_year, horizon)?.by_level();
    let have = stored(db)?;
    let keys: std::collections::BTreeSet<_> = expected.keys().chain(have.keys()).collect();
    for k in keys {
        let (a, b) = (
            have.get(k).copied().unwrap_or(0),
            expected.get(k).copied().unwrap_or(0),
        );
        if a != b {
            let (table, key) = match k.1 {
                Key::Month(m) => ("stat_month", m),
                Key::Year(y) => ("stat_year", y),
            };
            return Ok(Some(Difference {
                table,
                area: k.0.clone(),
                key,
                cell: k.2.clone(),
                counted: a,
                rebuilt: b,
            }));
        }
    }
    Ok(None)
}

impl crate::Store {
    /// `renkou stats rebuild`: recounts every counter from the register in one transaction.
    pub fn stats_rebuild(&mut self, today: Date) -> Result<()> {
        self.transaction(|tx| rebuild_in(&mut *tx.db, today))
    }

    /// `renkou stats check`: the first counter that differs from a rebuild, or None.
    pub fn stats_check(&mut self, today: Date) -> Result<Option<Difference>> {
        self.transaction(|tx| check_in(&mut *tx.db, today))
    }

    /// Moves the counters on to `today` (the server does this once a day; any change does it
    /// first anyway).
    pub fn stats_roll(&mut self, today: Date) -> Result<()> {
        self.transaction(|tx| roll(&mut *tx.db, today).map(|_| ()))
    }
}

impl crate::Store {
    /// The benchmark's reference: an area's total for a period computed by a scan of the whole
    /// register (every person's history), without the counters.
    pub fn stats_total_by_scan(
        &mut self,
        area: Option<&AreaCode>,
        period: renkou_core::stats::Period,
        today: Date,
    ) -> Result<renkou_core::stats::Sums> {
        use renkou_core::stats::YEAR_STARTS;
        let code = area.map_or(String::new(), |a| a.to_string());
        self.transaction(|tx| {
            let st = roll(&mut *tx.db, today)?;
            let horizon = st.horizon.unwrap_or(today);
            let (first, last) = period.months(YEAR_STARTS);
            let (from, to) = (first.first_day(), last.last_day());
            let mut sums = renkou_core::stats::Sums::new();
            // Everyone: a person who has left the area still counts in its past months.
            each_history(&mut *tx.db, &mut |p, events| {
                for d in contributions(p, events, horizon) {
                    let counts = if d.cell.is_stock() {
                        d.on <= to
                    } else {
                        (from..=to).contains(&d.on)
                    };
                    if counts && d.area.as_str().starts_with(&code) {
                        *sums.entry(d.cell).or_default() += d.n;
                    }
                }
            })?;
            Ok(sums)
        })
    }
}

impl crate::Tx<'_> {
    /// What the counters add to one change: one person recounted (history read, what they
    /// add computed before and after, the difference written), with nothing changed. The
    /// benchmark times it inside a transaction, as a change's own transaction carries it.
    pub fn stats_recount(&mut self, id: PersonId, today: Date) -> Result<()> {
        let r = Recount::start(&mut *self.db, &[id], today)?;
        r.finish(&mut *self.db)
    }
}
