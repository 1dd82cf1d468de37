//! SQLite: the default backend, one file beside the binary. WAL, synchronous=FULL, one writer.

use std::path::Path;

use jiff::Timestamp;
use renkou_core::{
    Area, AreaCode, Event, EventId, IdNumber, NewEvent, Person, PersonData, PersonId,
};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::db::{Db, SqlValue};
use crate::row::{
    IndexHint, PERSON_COLUMNS, PersonRow, RawPerson, filter_clause, filter_clause_hinted,
    order_clause,
};
use crate::{PersonFilter, Result, StoreError};

mod rows;
use rows::*;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "register",
        include_str!("../../migrations/sqlite/0001_register.sql"),
    ),
    (
        2,
        "accounts_audit",
        include_str!("../../migrations/sqlite/0002_accounts_audit.sql"),
    ),
    (
        3,
        "certificates",
        include_str!("../../migrations/sqlite/0003_certificates.sql"),
    ),
    (
        4,
        "account_approval",
        include_str!("../../migrations/sqlite/0004_account_approval.sql"),
    ),
    (
        5,
        "list_filters",
        include_str!("../../migrations/sqlite/0005_list_filters.sql"),
    ),
    (
        6,
        "person_tallies",
        include_str!("../../migrations/sqlite/0006_person_tallies.sql"),
    ),
    (
        7,
        "statistics",
        include_str!("../../migrations/sqlite/0007_statistics.sql"),
    ),
    (
        8,
        "stat_closed",
        include_str!("../../migrations/sqlite/0008_stat_closed.sql"),
    ),
];

pub(crate) struct SqliteDb {
    conn: Connection,
}

impl SqliteDb {
    /// Drops a schema object (`kind` is `index` or `trigger`) and returns the DDL that makes it
    /// again, as the migrations wrote it; None when there is no such object.
    fn drop_keeping_ddl(&mut self, kind: &str, name: &str) -> Result<Option<String>> {
        let sql: Option<String> = self
            .conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = ?1 AND name = ?2",
                [kind, name],
                |r| r.get(0),
            )
            .optional()?;
        if sql.is_some() {
            self.conn
                .execute_batch(&format!("DROP {} {name}", kind.to_uppercase()))?;
        }
        Ok(sql)
    }

    pub fn open(path: &str) -> Result<Self> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            url: path.to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            return Err(StoreError::Open {
                url: path.to_string(),
                reason: format!("目录 {} 不存在", dir.display()),
            });
        }
        let conn = Connection::open(path).map_err(open_err)?;
        // A new file gets 16 KiB pages: fewer, fuller B-tree pages for a register of millions of
        // wide rows (a 1M-person load measured ~8% faster). No effect on an existing file.
        conn.execute_batch("PRAGMA page_size = 16384")
            .map_err(open_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )
        // temp_store stays FILE (the default): a sort larger than the cache, such as building
        // the ID-number index of millions of people, spills to a temporary file instead of
        // growing in memory (in MEMORY mode SQLite's sorter has no size limit at all).
        .map_err(open_err)?;
        // The query planner stability guarantee: a cached statement keeps its plan when its
        // parameters are bound again, instead of being prepared anew on every call (measured:
        // the timeline query was re-prepared on each of 5,000 views without it).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(open_err)?;
        let mut db = SqliteDb { conn };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        for (version, name, sql) in MIGRATIONS {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let done: Option<i64> = tx
                .query_row(
                    "SELECT version FROM schema_migrations WHERE version = ?1",
                    [version],
                    |r| r.get(0),
                )
                .optional()?;
            if done.is_none() {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![version, name, Timestamp::now().to_string()],
                )?;
            }
            tx.commit()?;
        }
        Ok(())
    }
}

impl Db for SqliteDb {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .execute(params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => SqlValue::Int(None),
                    ValueRef::Integer(v) => SqlValue::Int(Some(v)),
                    ValueRef::Real(v) => SqlValue::Int(Some(v as i64)),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        SqlValue::Text(Some(String::from_utf8_lossy(t).into_owned()))
                    }
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    fn lock_audit(&mut self) -> Result<()> {
        // Every transaction begins IMMEDIATE: it already holds the only write lock.
        Ok(())
    }

    fn begin(&mut self) -> Result<()> {
        // IMMEDIATE: take the write lock now, so a long import cannot fail half-way on a busy lock.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    fn begin_load(&mut self) -> Result<()> {
        // In rollback-journal mode a load into new pages is written once, into the database
        // file, and a crash still rolls it back (the journal and the file's old size say how).
        // Leaving WAL needs every other connection closed; when that fails, stay in WAL.
        let _ = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            });
        Ok(())
    }

    fn end_load(&mut self) -> Result<()> {
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        Ok(())
    }

    fn upsert_area(&mut self, a: &Area) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO areas (code, name, level, parent) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            )?
            .execute(params![
                a.code.as_str(),
                a.name,
                a.level().key(),
                a.code.parent().map(|p| p.to_string())
            ])?;
        Ok(())
    }

    fn areas(&mut self, under: Option<&AreaCode>) -> Result<Vec<Area>> {
        let (lo, hi) = match under {
            Some(c) => (c.to_string(), crate::prefix_end(c)),
            None => (String::new(), "~".to_string()),
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, name FROM areas WHERE code >= ?1 AND code < ?2 ORDER BY code",
        )?;
        let rows = stmt.query_map(params![lo, hi], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (code, name) = r?;
            let code = AreaCode::parse(&code)
                .map_err(|e| StoreError::Database(format!("区划 {code}: {e}")))?;
            Ok(Area { code, name })
        })
        .collect()
    }

    fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM persons WHERE id = ?1"
            ))?
            .query_row([id.0], raw_person)
            .optional()?;
        raw.map(RawPerson::into_person).transpose()
    }

    fn person_by_id_number(&mut self, id: &IdNumber) -> Result<Option<Person>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM persons WHERE id_number = ?1"
            ))?
            .query_row([id.as_str()], raw_person)
            .optional()?;
        raw.map(RawPerson::into_person).transpose()
    }

    fn known_id_numbers(&mut self, ids: &[IdNumber]) -> Result<Vec<(IdNumber, PersonId)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM persons WHERE id_number = ?1")?;
        let mut found = Vec::new();
        for id in ids {
            if let Some(pid) = stmt
                .query_row([id.as_str()], |r| r.get::<_, i64>(0))
                .optional()?
            {
                found.push((*id, PersonId(pid)));
            }
        }
        Ok(found)
    }

    fn insert_person(&mut self, person: &Person, at: Timestamp) -> Result<PersonId> {
        let mut row = PersonRow::from_person(person);
        row.id = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM persons", [], |r| {
                r.get(0)
            })?;
        let at = at.to_string();
        let mut values: Vec<&dyn rusqlite::ToSql> = person_params(&row).to_vec();
        values.push(&at);
        self.conn
            .prepare_cached(&insert_sql())?
            .execute(values.as_slice())?;
        Ok(PersonId(row.id))
    }

    fn update_person(&mut self, person: &Person, at: Timestamp) -> Result<()> {
        let row = PersonRow::from_person(person);
        let sets: Vec<String> = PERSON_COLUMNS
            .split(", ")
            .skip(1)
            .enumerate()
            .map(|(i, c)| format!("{c} = ?{}", i + 2))
            .collect();
        let sql = format!(
            "UPDATE persons SET {}, updated_at = ?26 WHERE id = ?1",
            sets.join(", ")
        );
        let at = at.to_string();
        let mut values: Vec<&dyn rusqlite::ToSql> = person_params(&row).to_vec();
        values.push(&at);
        self.conn.prepare_cached(&sql)?.execute(values.as_slice())?;
        Ok(())
    }

    fn children_of(&mut self, mother: PersonId) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM persons WHERE mother_id = ?1")?
            .query_row([mother.0], |r| r.get(0))?)
    }

    fn household(&mut self, household_no: &str) -> Result<Vec<Person>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE household_no = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([household_no], raw_person)?;
        rows.map(|r| r?.into_person()).collect()
    }

    fn persons(
        &mut self,
        filter: &PersonFilter,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (clause, mut values) = filter_clause(filter, 1, ph, false);
        let n = values.len();
        values.push(after.map_or(0, |a| a.0).to_string());
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} AND id > CAST(?{} AS INTEGER) ORDER BY id LIMIT {limit}",
            n + 1
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values.iter()), raw_person)?;
        rows.map(|r| r?.into_person()).collect()
    }

    fn count_persons(&mut self, filter: &PersonFilter) -> Result<u64> {
        let (clause, values) = filter_clause(filter, 1, ph, false);
        let sql = format!("SELECT count(*) FROM persons WHERE {clause}");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values.iter()), |r| r.get::<_, i64>(0))? as u64)
    }

    fn persons_by_area(
        &mut self,
        filter: &PersonFilter,
        hint: IndexHint,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (mut clause, mut values) = filter_clause_hinted(filter, 1, ph, false, hint);
        if let Some((area, id)) = after {
            let n = values.len();
            clause.push_str(&format!(
                " AND (area_code, id) > (?{}, CAST(?{} AS INTEGER))",
                n + 1,
                n + 2
            ));
            values.push(area.to_string());
            values.push(id.to_string());
        }
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY area_code, id LIMIT {limit}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values.iter()), raw_person)?;
        rows.map(|r| r?.into_person()).collect()
    }

    fn persons_page(
        &mut self,
        filter: &PersonFilter,
        hint: IndexHint,
        order: crate::PersonOrder,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (clause, values) = filter_clause_hinted(filter, 1, ph, false, hint);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            order_clause(order, false)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values.iter()), raw_person)?;
        rows.map(|r| r?.into_person()).collect()
    }

    fn count_matching(&mut self, filter: &PersonFilter, hint: IndexHint) -> Result<u64> {
        let (clause, values) = filter_clause_hinted(filter, 1, ph, false, hint);
        let table = match hint {
            IndexHint::Born => "persons INDEXED BY persons_born_count",
            IndexHint::Name => "persons INDEXED BY persons_name_id",
            // An area's people counted from the index that holds every filtered column.
            IndexHint::Area => "persons INDEXED BY persons_count",
            _ => "persons",
        };
        let sql = format!("SELECT count(*) FROM {table} WHERE {clause}");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values.iter()), |r| r.get::<_, i64>(0))? as u64)
    }

    fn count_persons_capped(
        &mut self,
        filter: &PersonFilter,
        cap: u64,
        hint: IndexHint,
    ) -> Result<u64> {
        let (clause, values) = filter_clause_hinted(filter, 1, ph, false, hint);
        let sql =
            format!("SELECT count(*) FROM (SELECT 1 FROM persons WHERE {clause} LIMIT {cap})");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values.iter()), |r| r.get::<_, i64>(0))? as u64)
    }

    fn each_person(
        &mut self,
        filter: &PersonFilter,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        let (clause, values) = filter_clause(filter, 1, ph, false);
        let sql = format!("SELECT {PERSON_COLUMNS} FROM persons WHERE {clause} ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(values.iter()))?;
        while let Some(r) = rows.next()? {
            f(raw_person(r)?.into_person()?)?;
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
        self.conn
            .prepare_cached("INSERT INTO events (person_id, kind, occurred_on, recorded_at, recorded_by, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(params![person.0, e.kind.code(), e.occurred_on, at.to_string(), by, detail_json(e)?])?;
        Ok(EventId(self.conn.last_insert_rowid()))
    }

    fn events(&mut self, person: PersonId) -> Result<Vec<Event>> {
        self.read_events(
            "SELECT id, kind, occurred_on, recorded_at, recorded_by, detail, person_id FROM events WHERE person_id = ?1 ORDER BY occurred_on, id",
            &[person.0],
        )
    }

    fn events_between(&mut self, after: PersonId, upto: PersonId) -> Result<Vec<Event>> {
        self.read_events(
            "SELECT id, kind, occurred_on, recorded_at, recorded_by, detail, person_id FROM events WHERE person_id > ?1 AND person_id <= ?2 ORDER BY person_id, occurred_on, id",
            &[after.0, upto.0],
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
        let first_id: i64 =
            self.conn
                .query_row("SELECT coalesce(max(id), 0) + 1 FROM persons", [], |r| {
                    r.get(0)
                })?;
        // Loading into an empty register: the ID-number index is built once at the end (a
        // sort) rather than row by row, since ID numbers arrive in no order and each insert
        // would land on a random page. The other indexes stay live: their keys arrive nearly
        // in order (a file lists a household's people together, an area's households together).
        // The DDL is read back from the schema, so it stays what the migrations made.
        let rebuild = if first_id == 1 {
            self.drop_keeping_ddl("index", "persons_id_number")?
        } else {
            None
        };
        // The tallies' insert trigger is off for the load: the caller adds the loaded rows'
        // cells once at the end (tallies::BulkTallies). Dropped inside the transaction, so a
        // failed load puts it back with everything else.
        let trigger = self.drop_keeping_ddl("trigger", "persons_tally_insert")?;
        let at_text = at.to_string();
        let mut next = first_id;
        {
            // A new person's state columns (status, spouse, pregnancy…) take their defaults, and
            // the timestamp is bound once: SQLite keeps bindings from row to row.
            let fresh = &PERSON_COLUMNS[..PERSON_COLUMNS.find(", status").expect("status column")];
            let marks: Vec<String> = (1..=19).map(|i| format!("?{i}")).collect();
            let mut stmt = self.conn.prepare_cached(&format!(
                "INSERT INTO persons ({fresh}, updated_at) VALUES ({}, ?20)",
                marks.join(", ")
            ))?;
            stmt.raw_bind_parameter(20, &at_text)?;
            for data in people {
                let mut p = crate::new_person(data, None);
                p.id = PersonId(next);
                let row = PersonRow::from_person(&p);
                for (i, value) in person_params(&row)[..19].iter().enumerate() {
                    stmt.raw_bind_parameter(i + 1, value)?;
                }
                stmt.raw_execute()?;
                next += 1;
                tick();
            }
        }
        self.conn.execute(
            "INSERT INTO events (person_id, kind, occurred_on, recorded_at, recorded_by, detail)
             SELECT id, ?1, ?2, ?3, ?4, ?5 FROM persons WHERE id >= ?6 ORDER BY id",
            params![
                registered.kind.code(),
                registered.occurred_on,
                at_text,
                by,
                detail_json(registered)?,
                first_id
            ],
        )?;
        if let Some(sql) = trigger {
            self.conn.execute_batch(&sql)?;
        }
        if let Some(sql) = rebuild {
            // Let SQLite's sorter use a second core for the index build.
            // The sort's memory follows the cache size (per sorting thread): keep it small here
            // so the load's peak memory does not grow with the file.
            self.conn
                .execute_batch("PRAGMA threads = 2; PRAGMA cache_size = -16384")?;
            self.conn.execute_batch(&sql)?;
            self.conn
                .execute_batch("PRAGMA threads = 0; PRAGMA cache_size = -65536")?;
        }
        Ok((next - first_id) as u64)
    }
}
