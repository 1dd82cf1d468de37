//! What a database backend must do. The register's logic (crate root) is written once on top
//! of these primitives; each backend only says how they map to its SQL.

use jiff::Timestamp;
use renkou_core::{
    Area, AreaCode, Event, EventId, IdNumber, NewEvent, Person, PersonData, PersonId,
};

use crate::{PersonFilter, Result};

/// A value for the small tables (accounts, sessions, audit) whose SQL is written once for both
/// backends. Nulls carry their type: PostgreSQL checks parameter types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SqlValue {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    /// A calendar day, compared with DATE columns (text in SQLite, DATE in PostgreSQL).
    Date(jiff::civil::Date),
}

impl SqlValue {
    pub fn int(&self) -> Option<i64> {
        match self {
            SqlValue::Int(v) => *v,
            SqlValue::Bool(b) => Some(i64::from(*b)),
            SqlValue::Text(_) | SqlValue::Date(_) => None,
        }
    }
    pub fn text(&self) -> Option<String> {
        match self {
            SqlValue::Text(v) => v.clone(),
            _ => None,
        }
    }
    pub fn bool(&self) -> bool {
        match self {
            SqlValue::Bool(b) => *b,
            SqlValue::Int(v) => v.unwrap_or(0) != 0,
            SqlValue::Text(_) | SqlValue::Date(_) => false,
        }
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(Some(v))
    }
}
impl From<Option<i64>> for SqlValue {
    fn from(v: Option<i64>) -> Self {
        SqlValue::Int(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(Some(v.to_string()))
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(Some(v))
    }
}
impl From<Option<String>> for SqlValue {
    fn from(v: Option<String>) -> Self {
        SqlValue::Text(v)
    }
}
impl From<jiff::civil::Date> for SqlValue {
    fn from(v: jiff::civil::Date) -> Self {
        SqlValue::Date(v)
    }
}
impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Bool(v)
    }
}

pub(crate) trait Db: Send {
    fn backend(&self) -> &'static str;

    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;

    /// Before a transaction that loads a large file: whatever makes one big write cheaper
    /// while keeping it atomic. `end_load` undoes it after the commit or rollback.
    fn begin_load(&mut self) -> Result<()> {
        Ok(())
    }
    fn end_load(&mut self) -> Result<()> {
        Ok(())
    }

    /// Runs one statement of the shared SQL, written with `?1`-style placeholders.
    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64>;
    /// Runs one query of the shared SQL and returns its rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>>;
    /// Inside a transaction: wait until no other transaction is appending to the audit chain,
    /// so each row links to the one committed before it.
    fn lock_audit(&mut self) -> Result<()>;

    fn upsert_area(&mut self, area: &Area) -> Result<()>;
    /// Areas at and below `under` (all when None), ordered by code.
    fn areas(&mut self, under: Option<&AreaCode>) -> Result<Vec<Area>>;

    fn person(&mut self, id: PersonId) -> Result<Option<Person>>;
    fn person_by_id_number(&mut self, id: &IdNumber) -> Result<Option<Person>>;
    /// Which of these ID numbers the register already holds.
    fn known_id_numbers(&mut self, ids: &[IdNumber]) -> Result<Vec<(IdNumber, PersonId)>>;
    /// Inserts the person (its `id` is ignored) and returns the id it was given.
    fn insert_person(&mut self, person: &Person, at: Timestamp) -> Result<PersonId>;
    fn update_person(&mut self, person: &Person, at: Timestamp) -> Result<()>;
    fn children_of(&mut self, mother: PersonId) -> Result<u32>;
    fn household(&mut self, household_no: &str) -> Result<Vec<Person>>;
    /// One page in id order after `after`.
    fn persons(
        &mut self,
        filter: &PersonFilter,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<Person>>;
    fn count_persons(&mut self, filter: &PersonFilter) -> Result<u64>;
    /// Counts at most `cap` matches: a list's count stays cheap over a whole city.
    fn count_persons_capped(
        &mut self,
        filter: &PersonFilter,
        cap: u64,
        hint: crate::row::IndexHint,
    ) -> Result<u64>;
    /// One page of a list in (area, id) order after the cursor: the order of the area index,
    /// so a page costs the same for a group or for the whole city.
    fn persons_by_area(
        &mut self,
        filter: &PersonFilter,
        hint: crate::row::IndexHint,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> Result<Vec<Person>>;
    /// One page of a list in the given order, `offset` rows in: page numbers and sorting.
    fn persons_page(
        &mut self,
        filter: &PersonFilter,
        hint: crate::row::IndexHint,
        order: crate::PersonOrder,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Person>>;
    /// Every match counted (the list's exact count), walking the index the hint names.
    fn count_matching(&mut self, filter: &PersonFilter, hint: crate::row::IndexHint)
    -> Result<u64>;
    /// Streams every matching person in id order without holding them all.
    fn each_person(
        &mut self,
        filter: &PersonFilter,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()>;

    fn insert_event(
        &mut self,
        person: PersonId,
        event: &NewEvent,
        at: Timestamp,
        by: &str,
    ) -> Result<EventId>;
    fn events(&mut self, person: PersonId) -> Result<Vec<Event>>;
    /// The events of the people with ids in `(after, upto]`, by person: a rebuild's batch.
    fn events_between(&mut self, after: PersonId, upto: PersonId) -> Result<Vec<Event>>;

    /// The bulk path: new people and their registration events, inside the open transaction.
    /// `tick` is called once per person written.
    fn bulk_insert(
        &mut self,
        people: &mut dyn Iterator<Item = PersonData>,
        registered: &NewEvent,
        at: Timestamp,
        by: &str,
        tick: &mut dyn FnMut(),
    ) -> Result<u64>;
}
