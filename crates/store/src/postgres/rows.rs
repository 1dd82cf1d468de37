//! Rows to and from PostgreSQL: a person's columns, SQL values as typed parameters.

use postgres::Row;
use postgres::types::ToSql;
use renkou_core::NewEvent;

use super::Param;
use crate::db::SqlValue;
use crate::row::{PersonRow, RawPerson};
use crate::{Result, StoreError};

pub(super) fn raw_person(r: &Row) -> Result<RawPerson> {
    Ok(RawPerson {
        id: r.try_get(0)?,
        id_number: r.try_get(1)?,
        name: r.try_get(2)?,
        sex: r.try_get(3)?,
        birth_date: r.try_get(4)?,
        ethnicity: r.try_get(5)?,
        marital_status: r.try_get(6)?,
        education: r.try_get(7)?,
        phone: r.try_get(8)?,
        household_no: r.try_get(9)?,
        relation: r.try_get(10)?,
        population_type: r.try_get(11)?,
        registered_place_code: r.try_get(12)?,
        registered_place_text: r.try_get(13)?,
        area_code: r.try_get(14)?,
        address: r.try_get(15)?,
        arrival_date: r.try_get(16)?,
        leaving_date: r.try_get(17)?,
        origin_or_destination: r.try_get(18)?,
        status: r.try_get(19)?,
        death_date: r.try_get(20)?,
        spouse_id: r.try_get(21)?,
        mother_id: r.try_get(22)?,
        pregnant: r.try_get(23)?,
        contraception: r.try_get(24)?,
    })
}

pub(super) fn person_params<'a>(p: &'a PersonRow<'a>) -> [Param<'a>; 25] {
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

pub(super) fn pg_values(params: &[SqlValue]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                SqlValue::Int(v) => Box::new(*v),
                SqlValue::Text(v) => Box::new(v.clone()),
                SqlValue::Bool(v) => Box::new(*v),
                SqlValue::Date(v) => Box::new(*v),
            }
        })
        .collect()
}

pub(super) fn ph(n: usize) -> String {
    format!("${n}")
}

pub(super) fn detail_value(e: &NewEvent) -> Result<serde_json::Value> {
    serde_json::to_value(&e.detail).map_err(|e| StoreError::Database(e.to_string()))
}
