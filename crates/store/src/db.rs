//! What a database backend must do. The register's logic (crate root) is written once on top
//! of these primitives; each backend only says how they map to its SQL.

use jiff::Timestamp;
use renkou_core::{
    Area, AreaCode, Event, EventId, IdNumber, NewEvent, Person, PersonData, PersonId,
};

use crate::{PersonFilter, Result};

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
