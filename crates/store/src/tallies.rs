//! How many people a list holds, read from the tallies instead of the people (migration 0006).
//!
//! `person_tallies` counts the people of the whole register (area `''`), of each district and
//! of each centre, by status, population type, marital status, sex, birth year and pregnancy;
//! `name_tallies` by status and the first character of the name. Triggers keep both current
//! in the transaction of every change; a bulk load adds its rows' cells once ([`BulkTallies`]).
//! A count over a district or a centre sums a few thousand cells whatever its population, and
//! the boundary years of an age filter (born 2011-01-01 to 2011-12-07) are counted from the
//! people born in them (`persons_born_count`, an index holding every column the count checks).
//! A committee's or a group's count stays a walk of its own few thousand people.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use renkou_core::{AreaLevel, PersonData, PersonStatus};

use crate::db::{Db, SqlValue};
use crate::row::IndexHint;
use crate::{PersonFilter, PersonSearch, Result};

/// The count of `f` from the tallies, or None when the tallies cannot answer it (a search other
/// than a bare surname, an area below the centre).
pub(crate) fn count(db: &mut dyn Db, f: &PersonFilter) -> Result<Option<u64>> {
    let area = match &f.area {
        None => "",
        Some(a) if a.level() <= AreaLevel::Centre => a.as_str(),
        Some(_) => return Ok(None),
    };
    match &f.search {
        None => count_people(db, f, area).map(Some),
        Some(PersonSearch::NamePrefix(p)) if p.chars().count() == 1 && only_status(f) => {
            // The status as the people list writes it (active people unless told otherwise).
            let statuses = PersonFilter {
                status: f.status,
                all_statuses: f.all_statuses,
                ..PersonFilter::default()
            };
            let pg = db.backend() == "postgres";
            let (status, values) = crate::row::filter_clause(&statuses, 3, |n| format!("?{n}"), pg);
            let mut params = vec![SqlValue::from(area), SqlValue::from(p.as_str())];
            params.extend(values.into_iter().map(SqlValue::from));
            let sql = format!(
                "SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM name_tallies \
                 WHERE area_code = ?1 AND initial = ?2 AND {status}"
            );
            Ok(Some(first_int(db.query(&sql, &params)?)))
        }
        Some(_) => Ok(None),
    }
}

/// A filter narrowed by nothing but the area and the status (what the surname tally keeps).
fn only_status(f: &PersonFilter) -> bool {
    f.population_type.is_none()
        && f.population_types.is_none()
        && f.sex.is_none()
        && f.marital_status.is_none()
        && f.born_from.is_none()
        && f.born_to.is_none()
        && !f.pregnant
}

fn count_people(db: &mut dyn Db, f: &PersonFilter, area: &str) -> Result<u64> {
    let pg = db.backend() == "postgres";
    let years = Years::of(f.born_from, f.born_to);
    let mut total = 0;
    if let Some((from, to)) = years.whole {
        // The filter's own columns, written as the people list writes them: the tallies
        // carry the same names and codes.
        let cells = PersonFilter {
            area: None,
            born_from: None,
            born_to: None,
            search: None,
            ..f.clone()
        };
        let (clause, values) = crate::row::filter_clause(&cells, 2, |n| format!("?{n}"), pg);
        let mut params = vec![SqlValue::from(area)];
        params.extend(values.into_iter().map(SqlValue::from));
        let mut sql = format!(
            "SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM person_tallies \
             WHERE area_code = ?1 AND {clause}"
        );
        // Years are numbers the store computed, not input: written into the SQL.
        if let Some(y) = from {
            sql += &format!(" AND birth_year >= {y}");
        }
        if let Some(y) = to {
            sql += &format!(" AND birth_year <= {y}");
        }
        total += first_int(db.query(&sql, &params)?);
    }
    for (from, to) in years.parts {
        let part = PersonFilter {
            born_from: Some(from),
            born_to: Some(to),
            ..f.clone()
        };
        total += db.count_matching(&part, IndexHint::Born)?;
    }
    Ok(total)
}

fn first_int(rows: Vec<Vec<SqlValue>>) -> u64 {
    rows.first()
        .and_then(|r| r.first())
        .and_then(SqlValue::int)
        .unwrap_or(0)
        .max(0) as u64
}

/// A birth-date range as whole years (summed from the tallies) and the parts of years at its
/// ends (counted from the people born in them).
#[derive(Debug, PartialEq, Eq)]
struct Years {
    /// The whole years inside the range (an open end is None); None when there are none.
    whole: Option<(Option<i16>, Option<i16>)>,
    parts: Vec<(Date, Date)>,
}

impl Years {
    fn of(from: Option<Date>, to: Option<Date>) -> Years {
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            // A minimum age above the maximum: nobody.
            return Years {
                whole: None,
                parts: Vec::new(),
            };
        }
        let first_whole = from.map(|d| {
            if (d.month(), d.day()) == (1, 1) {
                d.year()
            } else {
                d.year() + 1
            }
        });
        let last_whole = to.map(|d| {
            if (d.month(), d.day()) == (12, 31) {
                d.year()
            } else {
                d.year() - 1
            }
        });
        let whole = match (first_whole, last_whole) {
            (Some(a), Some(b)) if a > b => None,
            bounds => Some(bounds),
        };
        let mut parts = Vec::new();
        if let (Some(f), Some(t)) = (from, to)
            && f.year() == t.year()
        {
            // Within one year: the range is its own part, unless it is the whole year.
            if whole.is_none() {
                parts.push((f, t));
            }
            return Years { whole, parts };
        }
        if let Some(f) = from.filter(|d| (d.month(), d.day()) != (1, 1)) {
            parts.push((f, Date::new(f.year(), 12, 31).expect("31 December")));
        }
        if let Some(t) = to.filter(|d| (d.month(), d.day()) != (12, 31)) {
            parts.push((Date::new(t.year(), 1, 1).expect("1 January"), t));
        }
        Years { whole, parts }
    }
}

/// The cells a bulk load adds, gathered while its rows stream past and written once at the end
/// (the insert trigger is off during the load: one upsert per cell instead of six per person).
#[derive(Debug, Default)]
pub(crate) struct BulkTallies {
    /// Per centre (or district): the person cells and the surname cells.
    people: HashMap<(String, &'static str, &'static str, &'static str, i16), i64>,
    names: HashMap<(String, Option<char>), i64>,
}

impl BulkTallies {
    /// A new person as the bulk path stores it: active, not pregnant.
    pub fn add(&mut self, d: &PersonData) {
        let code = d.area_code.as_str();
        let leaf = code[..code.len().min(9)].to_string();
        *self
            .people
            .entry((
                leaf.clone(),
                d.population_type.code(),
                d.marital_status.code(),
                d.sex.code(),
                d.birth_date.year(),
            ))
            .or_default() += 1;
        let initial = d.name.as_str().chars().next();
        *self.names.entry((leaf, initial)).or_default() += 1;
    }

    /// Adds the gathered cells at every level: the whole register, the district, the centre.
    pub fn write(self, db: &mut dyn Db) -> Result<()> {
        let status = PersonStatus::Active.key();
        let mut people: BTreeMap<(String, &str, &str, &str, i16), i64> = BTreeMap::new();
        for ((leaf, t, m, s, y), n) in self.people {
            for area in levels(&leaf) {
                *people.entry((area, t, m, s, y)).or_default() += n;
            }
        }
        let mut names: BTreeMap<(String, String), i64> = BTreeMap::new();
        for ((leaf, c), n) in self.names {
            let initial = c.map(String::from).unwrap_or_default();
            for area in levels(&leaf) {
                *names.entry((area, initial.clone())).or_default() += n;
            }
        }
        for ((area, t, m, s, y), n) in people {
            db.exec(
                "INSERT INTO person_tallies (area_code, status, population_type, marital_status, \
                 sex, birth_year, pregnant, n) VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS BIGINT), ?7, ?8) \
                 ON CONFLICT (area_code, status, population_type, marital_status, sex, \
                 birth_year, pregnant) DO UPDATE SET n = person_tallies.n + excluded.n",
                &[
                    area.into(),
                    status.into(),
                    t.into(),
                    m.into(),
                    s.into(),
                    i64::from(y).into(),
                    false.into(),
                    n.into(),
                ],
            )?;
        }
        for ((area, initial), n) in names {
            db.exec(
                "INSERT INTO name_tallies (area_code, status, initial, n) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (area_code, status, initial) \
                 DO UPDATE SET n = name_tallies.n + excluded.n",
                &[area.into(), status.into(), initial.into(), n.into()],
            )?;
        }
        Ok(())
    }
}

/// The tallied areas of a person whose area starts with `leaf` (a centre or a district).
fn levels(leaf: &str) -> Vec<String> {
    let mut out = vec![String::new(), leaf[..6].to_string()];
    if leaf.len() >= 9 {
        out.push(leaf[..9].to_string());
    }
    out
}

impl crate::Store {
    /// The first tally cell that differs from a count of the register, as text, or None when
    /// the tallies are right: what a test (and an operator) checks after any history.
    pub fn tally_difference(&mut self) -> Result<Option<String>> {
        first_difference(&mut *self.db)
    }
}

fn first_difference(db: &mut dyn Db) -> Result<Option<String>> {
    let actual = cells(
        db,
        "SELECT area_code, status, population_type, marital_status, sex, \
         CAST(birth_year AS TEXT), pregnant, n FROM person_tallies WHERE n <> 0",
    )?;
    let expected = cells(
        db,
        "SELECT l.level, p.status, p.population_type, p.marital_status, p.sex, \
         substr(CAST(p.birth_date AS TEXT), 1, 4), p.pregnant, count(*) \
         FROM person_tally_levels l JOIN persons p ON p.id = l.id \
         GROUP BY 1, 2, 3, 4, 5, 6, 7",
    )?;
    if let Some(d) = difference("person_tallies", &actual, &expected) {
        return Ok(Some(d));
    }
    let actual = cells(
        db,
        "SELECT area_code, status, initial, n FROM name_tallies WHERE n <> 0",
    )?;
    let expected = cells(
        db,
        "SELECT l.level, p.status, substr(p.name, 1, 1), count(*) \
         FROM person_tally_levels l JOIN persons p ON p.id = l.id GROUP BY 1, 2, 3",
    )?;
    Ok(difference("name_tallies", &actual, &expected))
}

type Cells = BTreeMap<Vec<String>, i64>;

fn cells(db: &mut dyn Db, sql: &str) -> Result<Cells> {
    let mut out = Cells::new();
    for mut row in db.query(sql, &[])? {
        let n = row.pop().and_then(|v| v.int()).unwrap_or(0);
        let key = row
            .iter()
            .map(|v| match v {
                SqlValue::Text(t) => t.clone().unwrap_or_default(),
                other => other.int().unwrap_or(0).to_string(),
            })
            .collect();
        out.insert(key, n);
    }
    Ok(out)
}

fn difference(table: &str, actual: &Cells, expected: &Cells) -> Option<String> {
    let keys: std::collections::BTreeSet<_> = actual.keys().chain(expected.keys()).collect();
    keys.into_iter().find_map(|k| {
        let (a, e) = (
            actual.get(k).copied().unwrap_or(0),
            expected.get(k).copied().unwrap_or(0),
        );
        (a != e).then(|| format!("{table} {}: {a}, the register says {e}", k.join("/")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn an_age_band_is_whole_years_and_the_days_at_its_ends() {
        // 育龄妇女 on 2026-12-07: born 1976-12-08 to 2011-12-07.
        let y = Years::of(Some(d("1976-12-08")), Some(d("2011-12-07")));
        assert_eq!(y.whole, Some((Some(1977), Some(2010))));
        assert_eq!(
            y.parts,
            vec![
                (d("1976-12-08"), d("1976-12-31")),
                (d("2011-01-01"), d("2011-12-07"))
            ]
        );
    }

    #[test]
    fn open_and_aligned_ends_need_no_parts() {
        let y = Years::of(None, Some(d("1936-12-31")));
        assert_eq!(y.whole, Some((None, Some(1936))));
        assert!(y.parts.is_empty());
        let y = Years::of(Some(d("2024-01-01")), None);
        assert_eq!(y.whole, Some((Some(2024), None)));
        assert!(y.parts.is_empty());
    }

    #[test]
    fn a_range_inside_one_year_or_two_is_counted_from_the_people() {
        let y = Years::of(Some(d("2026-03-01")), Some(d("2026-05-31")));
        assert_eq!(y.whole, None);
        assert_eq!(y.parts, vec![(d("2026-03-01"), d("2026-05-31"))]);
        let y = Years::of(Some(d("2023-12-08")), Some(d("2024-12-07")));
        assert_eq!(y.whole, None);
        assert_eq!(
            y.parts,
            vec![
                (d("2023-12-08"), d("2023-12-31")),
                (d("2024-01-01"), d("2024-12-07"))
            ]
        );
        let y = Years::of(Some(d("2026-01-01")), Some(d("2026-12-31")));
        assert_eq!(y.whole, Some((Some(2026), Some(2026))));
        assert!(y.parts.is_empty());
        // An empty range (a minimum age above the maximum) counts nobody.
        let y = Years::of(Some(d("2020-05-01")), Some(d("2019-05-01")));
        assert_eq!(y.whole, None);
        assert!(y.parts.is_empty());
    }
}
