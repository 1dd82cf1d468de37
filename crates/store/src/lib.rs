//! The register's storage. [`Store`] is the one way in: it opens SQLite or PostgreSQL from a URL,
//! runs the register's rules (from `renkou-core`) and writes their results in one transaction.
//! The backends differ only in SQL (`db::Db`); one conformance suite runs against both.

mod accounts;
mod audit;
mod certificates;
mod changes;
mod db;
mod door;
mod export;
mod import;
mod lists;
mod postgres;
mod row;
mod scoped;
mod sign_in;
mod sqlite;
mod stats;
mod tallies;
mod tx;

pub use accounts::{AccountEdit, NewAccount, Session, SessionKind};
pub use audit::{AuditCheck, AuditFilter};
pub use certificates::{
    CertificateListItem, CertificateStep, CertificateView, IssuedRecord, MAX_COPIES, StepInput,
    VerifiedDocument,
};
pub use changes::AreaChange;
pub use door::Who;
pub use import::ImportError;
pub use scoped::{AreaSummary, PendingView};
pub use sign_in::LoginRefusal;
pub use stats::{
    AreaRef, Comparison, Difference, MonthBirths, Report, ReportRow, Submitted, closable_from,
};
pub use tx::Tx;
pub(crate) use tx::{new_person, now};

use std::collections::HashMap;

use jiff::civil::Date;
use renkou_core::person::FieldError;
use renkou_core::{
    Area, AreaCode, Event, IdNumber, MaritalStatus, NewEvent, Person, PersonData, PersonId,
    PersonStatus, PopulationType, Sex,
};

use db::Db;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("无法打开数据库 {url}：{reason}")]
    Open { url: String, reason: String },
    #[error("数据库错误：{0}")]
    Database(String),
    #[error("{}", join_errors(.0))]
    Rejected(Vec<FieldError>),
    #[error("身份证号 {0} 已在登记中")]
    DuplicateIdNumber(String),
    #[error("没有找到{0}")]
    NotFound(String),
    /// The account's role may not do this (the role table); audited by the store.
    #[error("没有权限：{0}")]
    Denied(String),
}

fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

impl StoreError {
    pub(crate) fn rejected(field: &'static str, message: impl std::fmt::Display) -> Self {
        StoreError::Rejected(vec![FieldError::new(field, message)])
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        StoreError::Database(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which people a list or an export is about. Everything is optional; `status` defaults to the
/// people the area currently serves.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// This area and everything below it.
    pub area: Option<AreaCode>,
    pub population_type: Option<PopulationType>,
    pub sex: Option<Sex>,
    /// None means active people only; use `all_statuses` for everyone ever registered.
    pub status: Option<PersonStatus>,
    pub all_statuses: bool,
    /// Only these population types (a role's reach, such as a migrant coordinator's).
    pub population_types: Option<&'static [PopulationType]>,
    pub marital_status: Option<MaritalStatus>,
    /// Birth dates within these bounds, inclusive: an age band.
    pub born_from: Option<Date>,
    pub born_to: Option<Date>,
    pub search: Option<PersonSearch>,
    /// Only women pregnant now: a health fact, so only for accounts that see health data.
    pub pregnant: bool,
}

/// The order of a list: a column people sort by, and which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonOrder {
    pub key: SortKey,
    pub descending: bool,
}

/// The columns a list sorts by; every one is read from an index, the id breaking ties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Area code, then id: the order of the area index (the default).
    #[default]
    Area,
    Name,
    BirthDate,
    Updated,
}

/// What a search box can find, each answered from an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonSearch {
    IdNumber(IdNumber),
    /// The first characters of an ID number (at least 10).
    IdNumberPrefix(String),
    Phone(String),
    NamePrefix(String),
    /// The start of a name and the last 4 to 6 characters of the ID number ("王 1234").
    NameAndIdTail {
        name: String,
        tail: String,
    },
    /// The first or the last digits of a phone number (4 to 9 of them).
    PhonePart(String),
}

impl PersonSearch {
    /// Reads what someone typed: a whole ID number, a mobile number, the start of an ID
    /// number, or the start of a name. None for an empty box.
    pub fn parse(text: &str) -> Option<PersonSearch> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(id) = IdNumber::parse(t) {
            return Some(PersonSearch::IdNumber(id));
        }
        let digits = t
            .chars()
            .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X');
        if digits && t.len() == 11 && t.starts_with('1') {
            return Some(PersonSearch::Phone(t.to_string()));
        }
        // Ten characters: the place and the year of birth; fewer would match most of a city.
        if digits && t.len() >= 10 {
            return Some(PersonSearch::IdNumberPrefix(t.to_uppercase()));
        }
        if t.len() >= PHONE_PART_MIN && t.chars().all(|c| c.is_ascii_digit()) {
            return Some(PersonSearch::PhonePart(t.to_string()));
        }
        if let Some((name, tail)) = name_and_id_tail(t) {
            return Some(PersonSearch::NameAndIdTail { name, tail });
        }
        Some(PersonSearch::NamePrefix(t.to_string()))
    }
}

/// The fewest digits a phone search takes: fewer would match most of a city.
pub const PHONE_PART_MIN: usize = 4;
/// How many last characters of an ID number a search takes with a name.
pub const ID_TAIL: std::ops::RangeInclusive<usize> = 4..=6;

/// "王 1234", "1234 王芳" or "王芳1234": a name and the last characters of an ID number (digits,
/// the last one possibly X), in either order, with or without a space.
pub fn name_and_id_tail(text: &str) -> Option<(String, String)> {
    let is_tail = |c: char| c.is_ascii_digit() || c == 'x' || c == 'X';
    let t = text.trim();
    let (name, tail) = if let Some(start) = t.find(|c: char| c.is_ascii_digit()) {
        if start == 0 {
            // Digits first: the tail runs to the first character that is not part of it.
            let end = t.find(|c: char| !is_tail(c)).unwrap_or(t.len());
            (&t[end..], &t[..end])
        } else {
            (&t[..start], &t[start..])
        }
    } else {
        return None;
    };
    let (name, tail) = (name.trim(), tail.trim());
    let tail_ok = ID_TAIL.contains(&tail.len())
        && tail.chars().all(is_tail)
        && tail[..tail.len() - 1].chars().all(|c| c.is_ascii_digit());
    let name_ok = !name.is_empty() && !name.chars().any(|c| c.is_ascii_digit());
    (tail_ok && name_ok).then(|| (name.to_string(), tail.to_uppercase()))
}

/// The exclusive upper bound of "this code and everything below it": ':' sorts right after '9'.
pub(crate) fn prefix_end(code: &AreaCode) -> String {
    format!("{}:", code.as_str())
}

/// What a bulk import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub events: u64,
}

pub struct Store {
    db: Box<dyn Db>,
}

/// The SQLite file a database URL names (`sqlite:PATH`, `sqlite://PATH` or a path), or None
/// for PostgreSQL (`postgres://…`).
pub fn sqlite_path(url: &str) -> Option<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    Some(
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url),
    )
}

impl Store {
    /// Opens (and migrates) the database a URL names: `postgres://…`, `sqlite:PATH`, or a path.
    pub fn open(url: &str) -> Result<Store> {
        let db: Box<dyn Db> = match sqlite_path(url) {
            Some(path) => Box::new(sqlite::SqliteDb::open(path)?),
            None => Box::new(postgres::PgDb::open(url)?),
        };
        Ok(Store { db })
    }

    /// Sets a connection up for serving many short requests: on SQLite a smaller page cache
    /// (the server holds several connections; the operating system caches the file anyway).
    pub fn tune_for_serving(&mut self) -> Result<()> {
        if self.backend() == "sqlite" {
            self.db.query("PRAGMA cache_size = -8192", &[])?;
        }
        Ok(())
    }

    /// After a bulk load on PostgreSQL: the planner's statistics and the visibility map (an
    /// exact count reads the count index alone only where the map says the rows are visible).
    /// Autovacuum does the same in time; SQLite's lists follow the store's own index choice.
    pub fn analyze(&mut self) -> Result<()> {
        if self.backend() == "postgres" {
            self.db.exec("VACUUM ANALYZE persons", &[])?;
            // The counters after a rebuild: every row was deleted and written again.
            self.db.exec("VACUUM ANALYZE stat_month, stat_year", &[])?;
        }
        Ok(())
    }

    /// Folds SQLite's write-ahead log back into the database and starts it again from the
    /// beginning. A server that reads without pause never lets the automatic checkpoint
    /// restart the log, so it would grow (and reads through it slow down) without this.
    pub fn checkpoint(&mut self) -> Result<()> {
        if self.backend() == "sqlite" {
            // Restarting the log holds new writers back until readers move on; waiting at most
            // 50 ms means a long read (a city's counts) delays the restart, not every writer.
            self.db.query("PRAGMA busy_timeout = 50", &[])?;
            let done = self.db.query("PRAGMA wal_checkpoint(RESTART)", &[]);
            self.db.query("PRAGMA busy_timeout = 10000", &[])?;
            done?;
        }
        Ok(())
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Runs `f` in one transaction: all of it is written, or none of it.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.db.begin()?;
        let mut tx = Tx {
            db: self.db.as_mut(),
        };
        match f(&mut tx) {
            Ok(v) => {
                self.db.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The original error is what the caller needs; a failed rollback still leaves
                // nothing written, since the transaction never committed.
                let _ = self.db.rollback();
                Err(e)
            }
        }
    }

    /// A transaction for loading a large file: the same all-or-nothing guarantee, with the
    /// backend set up for one big write (SQLite writes it straight into the database file
    /// under a rollback journal instead of twice through the WAL).
    pub fn load<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.db.begin_load()?;
        let result = self.transaction(f);
        let restored = self.db.end_load();
        let value = result?;
        restored?;
        Ok(value)
    }

    pub fn areas(&mut self, under: Option<&AreaCode>) -> Result<Vec<Area>> {
        self.db.areas(under)
    }

    pub fn area(&mut self, code: &AreaCode) -> Result<Option<Area>> {
        Ok(self
            .db
            .areas(Some(code))?
            .into_iter()
            .find(|a| &a.code == code))
    }

    /// The area and each area above it, from the top: breadcrumbs. Names of areas are not
    /// personal data, so any account may read its path.
    pub fn area_path(&mut self, code: &AreaCode) -> Result<Vec<Area>> {
        let mut path = Vec::new();
        for c in code.lineage() {
            if let Some(a) = self.area(&c)? {
                path.push(a);
            }
        }
        Ok(path)
    }

    /// Adds or renames areas in one transaction. Each area's parent must exist already or be
    /// among `areas`.
    pub fn upsert_areas(&mut self, areas: &[Area]) -> Result<usize> {
        self.upsert_areas_audited(areas, None)
    }

    /// [`Store::upsert_areas`] with its audit row in the same transaction.
    pub fn upsert_areas_audited(
        &mut self,
        areas: &[Area],
        audit: Option<renkou_core::audit::AuditEntry>,
    ) -> Result<usize> {
        let mut sorted: Vec<&Area> = areas.iter().collect();
        sorted.sort_by_key(|a| (a.code.as_str().len(), a.code.clone()));
        self.transaction(|tx| {
            let mut known: std::collections::HashSet<AreaCode> =
                tx.db.areas(None)?.into_iter().map(|a| a.code).collect();
            for a in &sorted {
                if let Some(parent) = a.code.parent()
                    && !known.contains(&parent)
                {
                    return Err(StoreError::rejected(
                        "code",
                        format!("区划{}的上级{}不存在", a.code, parent),
                    ));
                }
                tx.db.upsert_area(a)?;
                known.insert(a.code.clone());
            }
            if let Some(entry) = audit {
                tx.audit(entry.detail(format!("areas={}", sorted.len())))?;
            }
            Ok(sorted.len())
        })
    }

    pub fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        self.db.person(id)
    }

    pub fn person_by_id_number(&mut self, id: &IdNumber) -> Result<Option<Person>> {
        self.db.person_by_id_number(id)
    }

    pub fn household(&mut self, household_no: &str) -> Result<Vec<Person>> {
        self.db.household(household_no)
    }

    pub fn persons(
        &mut self,
        filter: &PersonFilter,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        self.db.persons(filter, after, limit)
    }

    pub fn count_persons(&mut self, filter: &PersonFilter) -> Result<u64> {
        self.db.count_persons(filter)
    }

    pub fn each_person(
        &mut self,
        filter: &PersonFilter,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        self.db.each_person(filter, f)
    }

    pub fn timeline(&mut self, person: PersonId) -> Result<Vec<Event>> {
        self.db.events(person)
    }

    /// Which of these ID numbers are already on the register, looked up in batches.
    pub fn known_id_numbers(&mut self, ids: &[IdNumber]) -> Result<HashMap<IdNumber, PersonId>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(500) {
            found.extend(self.db.known_id_numbers(chunk)?);
        }
        Ok(found)
    }

    /// People registered without an ID number (children too young for one), by what
    /// identifies them instead: (name, birth date, household number) → the people with it.
    pub fn persons_without_id_number(
        &mut self,
    ) -> Result<HashMap<(String, Date, String), Vec<PersonId>>> {
        let rows = self.db.query(
            "SELECT id, name, CAST(birth_date AS TEXT), household_no FROM persons \
             WHERE id_number IS NULL",
            &[],
        )?;
        let mut found: HashMap<(String, Date, String), Vec<PersonId>> = HashMap::new();
        for r in rows {
            let (Some(id), Some(name), Some(born), Some(household)) =
                (r[0].int(), r[1].text(), r[2].text(), r[3].text())
            else {
                continue;
            };
            let Ok(born) = born.parse::<Date>() else {
                continue;
            };
            found
                .entry((name, born, household))
                .or_default()
                .push(PersonId(id));
        }
        Ok(found)
    }

    /// Household numbers that begin with 0, keyed by what a spreadsheet makes of them when it
    /// reads them as numbers ("0012" → "12"); not when that shorter number is a household of
    /// its own.
    pub fn zero_led_households(&mut self) -> Result<HashMap<String, String>> {
        let rows = self.db.query(
            "SELECT DISTINCT z.household_no FROM persons z WHERE z.household_no LIKE '0%' \
             AND NOT EXISTS (SELECT 1 FROM persons p \
                             WHERE p.household_no = ltrim(z.household_no, '0'))",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r[0].text())
            .filter(|h| h.bytes().all(|b| b.is_ascii_digit()))
            .map(|h| (h.trim_start_matches('0').to_string(), h))
            .collect())
    }

    pub fn add_person(&mut self, data: PersonData, by: &str, today: Date) -> Result<PersonId> {
        self.transaction(|tx| tx.add_person(data, by, today))
    }

    pub fn update_person(
        &mut self,
        id: PersonId,
        data: PersonData,
        by: &str,
        today: Date,
        note: Option<String>,
    ) -> Result<bool> {
        self.transaction(|tx| tx.update_person(id, data, by, today, note))
    }

    pub fn record_event(
        &mut self,
        person: PersonId,
        event: NewEvent,
        by: &str,
        today: Date,
    ) -> Result<Event> {
        let id = self.transaction(|tx| tx.record_event(person, event, by, today))?;
        self.db
            .events(person)?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| StoreError::NotFound("刚登记的事件".into()))
    }
}
