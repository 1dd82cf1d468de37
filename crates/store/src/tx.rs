//! The register inside one transaction: adding and correcting people, recording events with
//! what they cause elsewhere (a spouse's record, a child's), the bulk path for new people.

use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::event::{self, FieldChange, SideEffect};
use renkou_core::record::PERSON_COLUMNS;
use renkou_core::record::person_to_row;
use renkou_core::{
    AreaCode, EventKind, HouseholdNo, IdNumber, NewEvent, Person, PersonData, PersonId,
    PersonStatus,
};

use crate::db::{Db, SqlValue};
use crate::stats::{BulkCount, Recount};
use crate::{Result, StoreError};

/// The register inside one transaction: what an import or a form does step by step.
pub struct Tx<'a> {
    pub(crate) db: &'a mut dyn Db,
}

pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

impl Tx<'_> {
    pub(crate) fn check_area(&mut self, code: &AreaCode, field: &'static str) -> Result<()> {
        if self.db.areas(Some(code))?.iter().any(|a| &a.code == code) {
            Ok(())
        } else {
            Err(StoreError::rejected(
                field,
                format!("区划代码{code}不在区划表中"),
            ))
        }
    }

    /// The next household number of an area's committee: `H`, the committee's six digits of
    /// street and committee, and a serial of six (the numbering the city's files use).
    pub fn next_household_no(&mut self, area: &AreaCode) -> Result<HouseholdNo> {
        let code = area.as_str();
        let committee = code.get(6..12).unwrap_or("000000");
        let prefix = format!("H{committee}");
        let rows = self.db.query(
            "SELECT MAX(household_no) FROM persons WHERE household_no LIKE ?1 AND LENGTH(household_no) = 13",
            &[SqlValue::from(format!("{prefix}%"))],
        )?;
        let last = rows
            .first()
            .and_then(|r| r.first())
            .and_then(|v| v.text())
            .and_then(|no| no[7..].parse::<u32>().ok())
            .unwrap_or(0);
        HouseholdNo::parse(&format!("{prefix}{:06}", last + 1))
            .map_err(|e| StoreError::Database(format!("household number {prefix}: {e}")))
    }

    pub fn add_person(&mut self, data: PersonData, by: &str, today: Date) -> Result<PersonId> {
        let errors = data.check(today);
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors));
        }
        self.check_area(&data.area_code, "area_code")?;
        if let Some(id) = &data.id_number
            && self.db.person_by_id_number(id)?.is_some()
        {
            return Err(StoreError::DuplicateIdNumber(id.masked()));
        }
        let mut recount = Recount::start(&mut *self.db, &[], today)?;
        let at = now();
        let id = self.db.insert_person(&new_person(data, None), at)?;
        self.db
            .insert_event(id, &event::registration(today, None), at, by)?;
        recount.created(id);
        recount.finish(&mut *self.db)?;
        Ok(id)
    }

    /// Writes a person's corrected data and a correction event naming each changed field.
    /// Returns false when nothing changed.
    pub fn update_person(
        &mut self,
        id: PersonId,
        data: PersonData,
        by: &str,
        today: Date,
        note: Option<String>,
    ) -> Result<bool> {
        let errors = data.check(today);
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors));
        }
        let Some(mut person) = self.db.person(id)? else {
            return Err(StoreError::NotFound(format!("人口记录 {id}")));
        };
        if person.data.area_code != data.area_code {
            self.check_area(&data.area_code, "area_code")?;
        }
        if let Some(new_id) = &data.id_number
            && person.data.id_number.as_ref() != Some(new_id)
            && self.db.person_by_id_number(new_id)?.is_some()
        {
            return Err(StoreError::DuplicateIdNumber(new_id.masked()));
        }
        let changes = diff(&person, &data);
        if changes.is_empty() {
            return Ok(false);
        }
        let recount = Recount::start(&mut *self.db, &[id], today)?;
        person.data = data;
        let at = now();
        self.db.update_person(&person, at)?;
        let correction = NewEvent {
            kind: EventKind::Correction,
            occurred_on: today,
            detail: renkou_core::EventDetail {
                changes,
                note,
                ..Default::default()
            },
        };
        self.db.insert_event(id, &correction, at, by)?;
        recount.finish(&mut *self.db)?;
        Ok(true)
    }

    /// Applies an event by the register's rules, writes the person's new state, the event, and
    /// whatever it causes elsewhere (the spouse's record, the child's), all in this transaction.
    pub fn record_event(
        &mut self,
        person_id: PersonId,
        ev: NewEvent,
        by: &str,
        today: Date,
    ) -> Result<renkou_core::EventId> {
        self.record_event_within(person_id, ev, by, today, &|_: &Person| true)
    }

    /// [`Tx::record_event`] for someone whose reach is limited: a spouse outside `reach` is
    /// treated as not on the register (neither linked, nor changed, nor revealed).
    pub fn record_event_within(
        &mut self,
        person_id: PersonId,
        mut ev: NewEvent,
        by: &str,
        today: Date,
        reach: &dyn Fn(&Person) -> bool,
    ) -> Result<renkou_core::EventId> {
        let Some(person) = self.db.person(person_id)? else {
            return Err(StoreError::NotFound(format!("人口记录 {person_id}")));
        };
        if let Some(to) = &ev.detail.to_area_code {
            self.check_area(to, "to_area_code")?;
        }
        let spouse = match (&ev.detail.spouse_id_number, person.spouse_id) {
            (Some(n), _) => self.db.person_by_id_number(n)?,
            (None, Some(sid)) if matches!(ev.kind, EventKind::Divorce | EventKind::Death) => {
                self.db.person(sid)?
            }
            _ => None,
        }
        .filter(|s| reach(s));
        // Links are the register's to make, never the caller's to claim.
        ev.detail.spouse_id = None;
        ev.detail.caused_by = None;
        if let Some(child) = ev.detail.child.as_mut() {
            child.child_id = None;
        }
        let children = if ev.kind == EventKind::Birth {
            self.db.children_of(person_id)?
        } else {
            0
        };
        let outcome = event::apply(&person, ev, spouse.as_ref(), children, today)
            .map_err(StoreError::Rejected)?;
        let mut recount = Recount::start(&mut *self.db, &[person_id], today)?;
        let at = now();
        let mut ev = outcome.event;
        for effect in &outcome.side_effects {
            match effect {
                SideEffect::Child(data) => {
                    let child = new_person((**data).clone(), Some(person_id));
                    let child_id = self.db.insert_person(&child, at)?;
                    self.db.insert_event(
                        child_id,
                        &event::registration(ev.occurred_on, Some("出生登记".into())),
                        at,
                        by,
                    )?;
                    if let Some(c) = ev.detail.child.as_mut() {
                        c.child_id = Some(child_id);
                    }
                    recount.created(child_id);
                }
                SideEffect::Marry { spouse }
                | SideEffect::Divorce { spouse }
                | SideEffect::Widow { spouse } => {
                    let Some(other) = self.db.person(*spouse)? else {
                        continue;
                    };
                    recount.also(&mut *self.db, *spouse)?;
                    let before = other.data.marital_status;
                    let Some(other) = event::on_spouse(effect, &other, person_id) else {
                        continue;
                    };
                    self.db.update_person(&other, at)?;
                    if let Some(mut mirrored) = event::mirrored(effect, person_id, ev.occurred_on) {
                        mirrored.detail.changes = vec![FieldChange {
                            field: "marital_status".into(),
                            before: before.name_zh().into(),
                            after: other.data.marital_status.name_zh().into(),
                        }];
                        mirrored.detail.spouse_name = Some(person.data.name.as_str().to_string());
                        self.db.insert_event(*spouse, &mirrored, at, by)?;
                    }
                }
            }
        }
        // Keep the spouse's ID number out of the stored detail once the link is made.
        if ev.detail.spouse_id.is_some() {
            ev.detail.spouse_id_number = None;
        }
        self.db.update_person(&outcome.person, at)?;
        let id = self.db.insert_event(person_id, &ev, at, by)?;
        recount.finish(&mut *self.db)?;
        Ok(id)
    }

    /// The bulk path for new people: streams them into the database with a registration event
    /// each. The caller has validated them; a constraint failure aborts the whole transaction.
    pub fn add_many(
        &mut self,
        people: &mut dyn Iterator<Item = PersonData>,
        by: &str,
        today: Date,
        tick: &mut dyn FnMut(),
    ) -> Result<u64> {
        let registered = event::registration(today, Some("批量导入".into()));
        let mut tallies = crate::tallies::BulkTallies::default();
        let mut stats = BulkCount::start(&mut *self.db, today)?;
        let mut counted = people.inspect(|d| {
            tallies.add(d);
            stats.add(d);
        });
        let n = self
            .db
            .bulk_insert(&mut counted, &registered, now(), by, tick)?;
        tallies.write(&mut *self.db)?;
        stats.write(&mut *self.db)?;
        Ok(n)
    }

    pub fn person_by_id_number(&mut self, id: &IdNumber) -> Result<Option<Person>> {
        self.db.person_by_id_number(id)
    }
}

pub(crate) fn new_person(data: PersonData, mother_id: Option<PersonId>) -> Person {
    Person {
        id: PersonId(0),
        data,
        status: PersonStatus::Active,
        death_date: None,
        spouse_id: None,
        mother_id,
        pregnant: false,
        contraception: None,
    }
}

/// The fields a correction changes, by their file column, as export would write them.
fn diff(person: &Person, data: &PersonData) -> Vec<FieldChange> {
    let before = person_to_row(person);
    let mut after_person = person.clone();
    after_person.data = data.clone();
    let after = person_to_row(&after_person);
    PERSON_COLUMNS
        .iter()
        .zip(before.into_iter().zip(after))
        .filter(|(_, (b, a))| b != a)
        .map(|(c, (b, a))| FieldChange {
            field: c.key.to_string(),
            before: b,
            after: a,
        })
        .collect()
}
