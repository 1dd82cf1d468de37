//! Rows to and from SQLite: a person's columns, the bulk insert, SQL values as parameters.

use renkou_core::{Event, EventDetail, EventId, EventKind, NewEvent, PersonId};
use rusqlite::Row;

use crate::db::SqlValue;
use crate::row::{PERSON_COLUMNS, PersonRow, RawPerson};
use crate::{Result, StoreError};

pub(super) fn raw_person(r: &Row<'_>) -> rusqlite::Result<RawPerson> {
    Ok(RawPerson {
        id: r.get(0)?,
        id_number: r.get(1)?,
        name: r.get(2)?,
        sex: r.get(3)?,
        birth_date: r.get(4)?,
        ethnicity: r.get(5)?,
        marital_status: r.get(6)?,
        education: r.get(7)?,
        phone: r.get(8)?,
        household_no: r.get(9)?,
        relation: r.get(10)?,
        population_type: r.get(11)?,
        registered_place_code: r.get(12)?,
        registered_place_text: r.get(13)?,
        area_code: r.get(14)?,
        address: r.get(15)?,
        arrival_date: r.get(16)?,
        leaving_date: r.get(17)?,
        origin_or_destination: r.get(18)?,
        status: r.get(19)?,
        death_date: r.get(20)?,
        spouse_id: r.get(21)?,
        mother_id: r.get(22)?,
        pregnant: r.get(23)?,
        contraception: r.get(24)?,
    })
}

pub(super) fn person_params<'a>(p: &'a PersonRow<'a>) -> [&'a dyn rusqlite::ToSql; 25] {
    [
        &p.id,
        &p.id_number,
        &p.name,
        &p.sex,
        &p.birth_date,
        &p.ethnicity,
        &p.marital_status,
        &p.education,
        &p.phone,
        &p.household_no,
        &p.relation,
        &p.population_type,
        &p.registered_place_code,
        &p.registered_place_text,
        &p.area_code,
        &p.address,
        &p.arrival_date,
        &p.leaving_date,
        &p.origin_or_destination,
        &p.status,
        &p.death_date,
        &p.spouse_id,
        &p.mother_id,
        &p.pregnant,
        &p.contraception,
    ]
}

pub(super) fn insert_sql() -> String {
    let marks: Vec<String> = (1..=25).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO persons ({PERSON_COLUMNS}, updated_at) VALUES ({}, ?26)",
        marks.join(", ")
    )
}

pub(super) fn detail_json(e: &NewEvent) -> Result<String> {
    serde_json::to_string(&e.detail).map_err(|e| StoreError::Database(e.to_string()))
}

pub(super) fn ph(n: usize) -> String {
    format!("?{n}")
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            SqlValue::Int(v) => v.to_sql(),
            SqlValue::Text(v) => v.to_sql(),
            SqlValue::Bool(v) => v.to_sql(),
            SqlValue::Date(v) => v.to_sql(),
        }
    }
}

impl super::SqliteDb {
    /// Events by a query whose columns are id, kind, occurred_on, recorded_at, recorded_by,
    /// detail, person_id.
    pub(super) fn read_events(&mut self, sql: &str, params: &[i64]) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        rows.map(|r| {
            let (id, kind, occurred_on, recorded_at, recorded_by, detail, person) = r?;
            let bad = |e: &dyn std::fmt::Display| StoreError::Database(format!("事件 {id}: {e}"));
            Ok(Event {
                id: EventId(id),
                person_id: PersonId(person),
                kind: EventKind::parse(&kind).map_err(|e| bad(&e))?,
                occurred_on,
                recorded_at: recorded_at.parse().map_err(|e| bad(&e))?,
                recorded_by,
                detail: serde_json::from_str::<EventDetail>(&detail).map_err(|e| bad(&e))?,
            })
        })
        .collect()
    }
}
