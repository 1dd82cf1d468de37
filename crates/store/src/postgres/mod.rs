//! PostgreSQL: for deployments past one machine's SQLite. Bulk loads use binary COPY.

use std::collections::HashMap;

use jiff::Timestamp;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};
use renkou_core::{
    Area, AreaCode, Event, EventDetail, EventId, EventKind, IdNumber, NewEvent, Person, PersonData,
    PersonId,
};

use crate::db::{Db, SqlValue};
use crate::row::{IndexHint, PERSON_COLUMNS, PersonRow, filter_clause, order_clause};
use crate::{PersonFilter, Result, StoreError};

mod migrate;
mod rows;
use rows::*;

/// Any number will do, as long as it is the same for every renkou process on the database.
const MIGRATION_LOCK: i64 = 0x72656e6b6f75;
const AUDIT_LOCK: i64 = 0x72656e6b6f76;

/// The shared SQL's `?1` placeholders in PostgreSQL's `$1` style.
fn dollar_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

pub(crate) struct PgDb {
    client: Client,
    statements: HashMap<String, Statement>,
}

pub(super) type Param<'a> = &'a (dyn ToSql + Sync);

impl PgDb {
    fn read_events(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Event>> {
        let s = self.stmt(sql)?;
        self.client
            .query(&s, params)?
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let bad =
                    |e: &dyn std::fmt::Display| StoreError::Database(format!("事件 {id}: {e}"));
                let kind: String = r.try_get(1)?;
                let detail: serde_json::Value = r.try_get(5)?;
                Ok(Event {
                    id: EventId(id),
                    person_id: PersonId(r.try_get(6)?),
                    kind: EventKind::parse(&kind).map_err(|e| bad(&e))?,
                    occurred_on: r.try_get(2)?,
                    recorded_at: r.try_get(3)?,
                    recorded_by: r.try_get(4)?,
                    detail: serde_json::from_value::<EventDetail>(detail).map_err(|e| bad(&e))?,
                })
            })
            .collect()
    }
    pub fn open(url: &str) -> Result<Self> {
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Open {
            url: redact(url),
            reason: e.to_string(),
        })?;
        let mut db = PgDb {
            client,
            statements: HashMap::new(),
        };
        // Every statement is planned for its values: a list's filters are skewed (an age band
        // holds 1 % of a city or 30 %), and the generic plan PostgreSQL switches a prepared
        // statement to after five runs sorted 280,000 women for a page of 50 (0.4 s, not 10 ms).
        db.client
            .batch_execute("SET plan_cache_mode = force_custom_plan")?;
        db.migrate()?;
        Ok(db)
    }

    fn stmt(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// A URL with its password, if any, replaced: it ends up in error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db for PgDb {
    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64> {
        let s = self.stmt(&dollar_placeholders(sql))?;
        let values = pg_values(params);
        let refs: Vec<Param<'_>> = values.iter().map(|v| v.as_ref() as Param<'_>).collect();
        Ok(self.client.execute(&s, &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        let s = self.stmt(&dollar_placeholders(sql))?;
        let values = pg_values(params);
        let refs: Vec<Param<'_>> = values.iter().map(|v| v.as_ref() as Param<'_>).collect();
        let rows = self.client.query(&s, &refs)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let ty = r.columns()[i].type_();
                        Ok(if *ty == Type::BOOL {
                            SqlValue::Bool(r.try_get(i)?)
                        } else if *ty == Type::INT8 {
                            SqlValue::Int(r.try_get(i)?)
                        } else if *ty == Type::INT4 {
                            SqlValue::Int(r.try_get::<_, Option<i32>>(i)?.map(i64::from))
                        } else {
                            SqlValue::Text(r.try_get(i)?)
                        })
                    })
                    .collect()
            })
            .collect()
    }

    fn lock_audit(&mut self) -> Result<()> {
        // Held until the transaction ends: the next appender reads this row's hash only after
        // it is committed.
        let s = self.stmt("SELECT pg_advisory_xact_lock($1)")?;
        self.client.execute(&s, &[&AUDIT_LOCK])?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn begin(&mut self) -> Result<()> {
        self.client.batch_execute("BEGIN")?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.client.batch_execute("COMMIT")?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        self.client.batch_execute("ROLLBACK")?;
        Ok(())
    }

    fn upsert_area(&mut self, a: &Area) -> Result<()> {
        let s = self.stmt(
            "INSERT INTO areas (code, name, level, parent) VALUES ($1, $2, $3, $4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name",
        )?;
        let parent = a.code.parent().map(|p| p.to_string());
        self.client
            .execute(&s, &[&a.code.as_str(), &a.name, &a.level().key(), &parent])?;
        Ok(())
    }

    fn areas(&mut self, under: Option<&AreaCode>) -> Result<Vec<Area>> {
        let (lo, hi) = match under {
            Some(c) => (c.to_string(), crate::prefix_end(c)),
            None => (String::new(), "~".to_string()),
        };
        let s =
            self.stmt("SELECT code, name FROM areas WHERE code >= $1 AND code < $2 ORDER BY code")?;
        self.client
            .query(&s, &[&lo, &hi])?
            .iter()
            .map(|r| {
                let code: String = r.try_get(0)?;
                let code = AreaCode::parse(&code)
                    .map_err(|e| StoreError::Database(format!("区划 {code}: {e}")))?;
                Ok(Area {
                    code,
                    name: r.try_get(1)?,
                })
            })
            .collect()
    }

    fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        let s = self.stmt(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE id = $1"
        ))?;
        self.client
            .query_opt(&s, &[&id.0])?
            .map(|r| raw_person(&r)?.into_person())
            .transpose()
    }

    fn person_by_id_number(&mut self, id: &IdNumber) -> Result<Option<Person>> {
        let s = self.stmt(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE id_number = $1"
        ))?;
        self.client
            .query_opt(&s, &[&id.as_str()])?
            .map(|r| raw_person(&r)?.into_person())
            .transpose()
    }

    fn known_id_numbers(&mut self, ids: &[IdNumber]) -> Result<Vec<(IdNumber, PersonId)>> {
        let texts: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
        let s = self.stmt("SELECT id_number, id FROM persons WHERE id_number = ANY($1)")?;
        self.client
            .query(&s, &[&texts])?
            .iter()
            .map(|r| {
                let n: String = r.try_get(0)?;
                let id = IdNumber::parse(&n).map_err(|e| StoreError::Database(e.to_string()))?;
                Ok((id, PersonId(r.try_get(1)?)))
            })
            .collect()
    }

    fn insert_person(&mut self, person: &Person, at: Timestamp) -> Result<PersonId> {
        let mut row = PersonRow::from_person(person);
        row.id = self
            .client
            .query_one("SELECT nextval('persons_id_seq')", &[])?
            .try_get(0)?;
        let marks: Vec<String> = (1..=26).map(ph).collect();
        let s = self.stmt(&format!(
            "INSERT INTO persons ({PERSON_COLUMNS}, updated_at) VALUES ({})",
            marks.join(", ")
        ))?;
        let mut values: Vec<Param<'_>> = person_params(&row).to_vec();
        values.push(&at);
        self.client.execute(&s, &values)?;
        Ok(PersonId(row.id))
    }

    fn update_person(&mut self, person: &Person, at: Timestamp) -> Result<()> {
        let row = PersonRow::from_person(person);
        let sets: Vec<String> = PERSON_COLUMNS
            .split(", ")
            .skip(1)
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 2))
            .collect();
        let s = self.stmt(&format!(
            "UPDATE persons SET {}, updated_at = $26 WHERE id = $1",
            sets.join(", ")
        ))?;
        let mut values: Vec<Param<'_>> = person_params(&row).to_vec();
        values.push(&at);
        self.client.execute(&s, &values)?;
        Ok(())
    }

    fn children_of(&mut self, mother: PersonId) -> Result<u32> {
        let s = self.stmt("SELECT count(*) FROM persons WHERE mother_id = $1")?;
        let n: i64 = self.client.query_one(&s, &[&mother.0])?.try_get(0)?;
        Ok(n as u32)
    }

    fn household(&mut self, household_no: &str) -> Result<Vec<Person>> {
        let s = self.stmt(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE household_no = $1 ORDER BY id"
        ))?;
        self.client
            .query(&s, &[&household_no])?
            .iter()
            .map(|r| raw_person(r)?.into_person())
            .collect()
    }

    fn persons(
        &mut self,
        filter: &PersonFilter,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (clause, values) = filter_clause(filter, 1, ph, true);
        let after = after.map_or(0, |a| a.0);
        let limit = i64::from(limit);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} AND id > ${} ORDER BY id LIMIT ${}",
            values.len() + 1,
            values.len() + 2
        );
        let s = self.stmt(&sql)?;
        let mut params: Vec<Param<'_>> = values.iter().map(|v| v as Param<'_>).collect();
        params.push(&after);
        params.push(&limit);
        self.client
            .query(&s, &params)?
            .iter()
            .map(|r| raw_person(r)?.into_person())
            .collect()
    }

    fn count_persons(&mut self, filter: &PersonFilter) -> Result<u64> {
        let (clause, values) = filter_clause(filter, 1, ph, true);
        let s = self.stmt(&format!("SELECT count(*) FROM persons WHERE {clause}"))?;
        let params: Vec<Param<'_>> = values.iter().map(|v| v as Param<'_>).collect();
        let n: i64 = self.client.query_one(&s, &params)?.try_get(0)?;
        Ok(n as u64)
    }

    fn persons_by_area(
        &mut self,
        filter: &PersonFilter,
        _hint: IndexHint,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (mut clause, mut values) = filter_clause(filter, 1, ph, true);
        let after_id = after.map(|(_, id)| id);
        let mut n = values.len();
        if let Some((area, _)) = after {
            clause.push_str(&format!(" AND (area_code, id) > (${}, ${})", n + 1, n + 2));
            values.push(area.to_string());
            n += 2;
        }
        let limit = i64::from(limit);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY area_code, id LIMIT ${}",
            n + 1
        );
        let s = self.stmt(&sql)?;
        // Text parameters, then the cursor's id (BIGINT) and the limit.
        let text_count = values.len();
        let mut params: Vec<Param<'_>> = values.iter().map(|v| v as Param<'_>).collect();
        if let Some(id) = &after_id {
            params.insert(text_count, id);
        }
        params.push(&limit);
        self.client
            .query(&s, &params)?
            .iter()
            .map(|r| raw_person(r)?.into_person())
            .collect()
    }

    fn persons_page(
        &mut self,
        filter: &PersonFilter,
        _hint: IndexHint,
        order: crate::PersonOrder,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (clause, values) = filter_clause(filter, 1, ph, true);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            order_clause(order, true)
        );
        let s = self.stmt(&sql)?;
        let params: Vec<Param<'_>> = values.iter().map(|v| v as Param<'_>).collect();
        self.client
            .query(&s, &params)?
            .iter()
            .map(|r| raw_person(r)?.into_person())
            .collect()
    }

    fn count_matching(&mut self, filter: &PersonFilter, _hint: IndexHint) -> Result<u64> {
        self.count_persons(filter)
    }

    fn count_persons_capped(
        &mut self,
        filter: &PersonFilter,
        cap: u64,
        _hint: IndexHint,
    ) -> Result<u64> {
        let (clause, values) = filter_clause(filter, 1, ph, true);
        let s = self.stmt(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM persons WHERE {clause} LIMIT {cap}) t"
        ))?;
        let params: Vec<Param<'_>> = values.iter().map(|v| v as Param<'_>).collect();
        let n: i64 = self.client.query_one(&s, &params)?.try_get(0)?;
        Ok(n as u64)
    }

    fn each_person(
        &mut self,
        filter: &PersonFilter,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        let (clause, values) = filter_clause(filter, 1, ph, true);
        let sql = format!("SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY id");
        // query_raw streams rows off the socket as they arrive.
        let mut rows = self.client.query_raw(&sql, values.iter())?;
        use postgres::fallible_iterator::FallibleIterator;
        while let Some(r) = rows.next()? {
            f(raw_person(&r)?.into_person()?)?;
        }
        Ok(())
    }

    fn insert_event(
        &mut self,
        person: PersonId,
        e: &NewEvent,
        at: Timestamp,
        by: &str,
    ) -> Result<EventId> {
        let s = self.stmt(
            "INSERT INTO events (person_id, kind, occurred_on, recorded_at, recorded_by, detail)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )?;
        let detail = detail_value(e)?;
        let id: i64 = self
            .client
            .query_one(
                &s,
                &[&person.0, &e.kind.code(), &e.occurred_on, &at, &by, &detail],
            )?
            .try_get(0)?;
        Ok(EventId(id))
    }

    fn events(&mut self, person: PersonId) -> Result<Vec<Event>> {
        self.read_events(
            "SELECT id, kind, occurred_on, recorded_at, recorded_by, detail, person_id FROM events WHERE person_id = $1 ORDER BY occurred_on, id",
            &[&person.0],
        )
    }

    fn events_between(&mut self, after: PersonId, upto: PersonId) -> Result<Vec<Event>> {
        self.read_events(
            "SELECT id, kind, occurred_on, recorded_at, recorded_by, detail, person_id FROM events WHERE person_id > $1 AND person_id <= $2 ORDER BY person_id, occurred_on, id",
            &[&after.0, &upto.0],
        )
    }

    fn bulk_insert(
        &mut self,
        people: &mut dyn Iterator<Item = PersonData>,
        registered: &NewEvent,
        at: Timestamp,
        by: &str,
        tick: &mut dyn FnMut(),
    ) -> Result<u64> {
        // Other writers wait until this import commits, so every id above `before` is ours.
        self.client
            .batch_execute("LOCK TABLE persons IN SHARE ROW EXCLUSIVE MODE")?;
        let before: i64 = self
            .client
            .query_one("SELECT coalesce(max(id), 0) FROM persons", &[])?
            .try_get(0)?;
        // Into an empty register, the ID-number index is built once at the end (a sort)
        // rather than row by row: ID numbers arrive in no order. The other indexes stay live,
        // their keys arriving nearly in order. The DDL is read back, so it stays what the
        // migrations made.
        let rebuild: Option<String> = if before == 0 {
            let def = self.client.query_opt(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'persons_id_number'",
                &[],
            )?;
            match def {
                Some(row) => {
                    self.client.batch_execute("DROP INDEX persons_id_number")?;
                    Some(row.try_get(0)?)
                }
                None => None,
            }
        } else {
            None
        };
        // The tallies' insert trigger skips this load's rows: the caller adds their cells once
        // at the end (tallies::BulkTallies).
        self.client
            .batch_execute("SET LOCAL renkou.bulk_load = 'on'")?;
        let columns: Vec<&str> = PERSON_COLUMNS.split(", ").skip(1).collect();
        let sink = self.client.copy_in(&format!(
            "COPY persons ({}, updated_at) FROM STDIN BINARY",
            columns.join(", ")
        ))?;
        let types = [
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::DATE,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::DATE,
            Type::DATE,
            Type::TEXT,
            Type::TEXT,
            Type::DATE,
            Type::INT8,
            Type::INT8,
            Type::BOOL,
            Type::TEXT,
            Type::TIMESTAMPTZ,
        ];
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        let mut count = 0u64;
        for data in people {
            let person = crate::new_person(data, None);
            let row = PersonRow::from_person(&person);
            let mut values: Vec<Param<'_>> = person_params(&row)[1..].to_vec();
            values.push(&at);
            writer.write(&values)?;
            count += 1;
            tick();
        }
        writer.finish()?;
        self.client
            .batch_execute("SET LOCAL renkou.bulk_load = 'off'")?;
        let detail = detail_value(registered)?;
        self.client.execute(
            "INSERT INTO events (person_id, kind, occurred_on, recorded_at, recorded_by, detail)
             SELECT id, $1, $2, $3, $4, $5 FROM persons WHERE id > $6",
            &[
                &registered.kind.code(),
                &registered.occurred_on,
                &at,
                &by,
                &detail,
                &before,
            ],
        )?;
        if let Some(sql) = rebuild {
            // Server-side memory for the sort, for this transaction only.
            self.client
                .batch_execute("SET LOCAL maintenance_work_mem = '256MB'")?;
            self.client.batch_execute(&sql)?;
        }
        self.statements.clear();
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact("postgres://renkou:s3cret@db:5432/r"),
            "postgres://renkou:***@db:5432/r"
        );
        assert_eq!(
            super::redact("postgres://localhost/r"),
            "postgres://localhost/r"
        );
    }
}
