//! The register as an account sees it: every read and write takes the account's [`Actor`]
//! (role, area, username, source), checks it against core's role table and area rule in one
//! place, and writes the audit row in the same transaction as what it records.
//!
//! A person outside the account's reach is reported exactly like a person who does not exist
//! (`NotFound`), so no one learns who is on the register elsewhere; the denial is audited.

use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::indicator::{CHILDBEARING_AGE, ELDERLY, MARRIED, UNDER_THREE};
use renkou_core::{
    Action, Actor, Area, Event, HouseholdNo, NewEvent, Person, PersonData, PersonId, PersonStatus,
    PopulationType, Scope, Sex,
};

use crate::db::SqlValue;
use crate::{PersonFilter, Result, Store, StoreError};

/// A record read for a view, and the audit row to write before it is shown.
pub struct PendingView {
    pub record: Result<(Person, Vec<Event>)>,
    pub audit: renkou_core::audit::AuditEntry,
}

fn not_found(id: PersonId) -> StoreError {
    StoreError::NotFound(format!("人口记录 {id}"))
}

impl PersonFilter {
    /// This filter narrowed to what the scope reaches; None when the filter's area lies wholly
    /// outside it (the answer is then "nobody").
    pub fn within(&self, scope: &Scope) -> Option<PersonFilter> {
        if scope.role.is_administrator() {
            return None;
        }
        let mut f = self.clone();
        f.area = match &self.area {
            Some(a) if a.is_within(&scope.area) => Some(a.clone()),
            Some(a) if scope.area.is_within(a) => Some(scope.area.clone()),
            Some(_) => return None,
            None => Some(scope.area.clone()),
        };
        if let Some(types) = scope.role.population() {
            if self.population_type.is_some_and(|t| !types.contains(&t)) {
                return None;
            }
            f.population_types = Some(types);
        }
        Some(f)
    }
}

impl Store {
    /// Audits a refusal on its own (the refused work, if any, was rolled back) and returns the
    /// error the caller shows.
    pub fn deny(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        object_kind: &str,
        object_id: Option<String>,
        error: StoreError,
    ) -> StoreError {
        let mut entry = actor.entry(action, object_kind, AuditResult::Denied);
        entry.object_id = object_id;
        match self.audit(entry) {
            Ok(()) => error,
            Err(e) => e,
        }
    }

    pub(crate) fn require(
        &mut self,
        actor: &Actor,
        what: Action,
        audit: AuditAction,
        kind: &str,
    ) -> Result<()> {
        if actor.scope.allows(what) {
            Ok(())
        } else {
            Err(self.deny(
                actor,
                audit,
                kind,
                None,
                StoreError::Denied(format!("{:?}", what)),
            ))
        }
    }

    /// The areas the account may see: its own and everything below.
    pub fn areas_as(&mut self, scope: &Scope) -> Result<Vec<Area>> {
        self.areas(Some(&scope.area))
    }

    /// A whole record: checked, read and audited in one transaction. Out of reach reads as
    /// not found.
    pub fn view_person(&mut self, actor: &Actor, id: PersonId) -> Result<(Person, Vec<Event>)> {
        self.require(actor, Action::ViewPerson, AuditAction::PersonView, "person")?;
        let outcome = self.transaction(|tx| {
            let person = match tx.db.person(id)? {
                Some(p) if actor.scope.covers(&p.data) => p,
                Some(_) => return Ok(Err(AuditResult::Denied)),
                None => return Ok(Err(AuditResult::Failed)),
            };
            let events = tx.db.events(id)?;
            tx.audit(
                actor
                    .entry(AuditAction::PersonView, "person", AuditResult::Ok)
                    .object(id),
            )?;
            Ok(Ok(actor.scope.redact(person, events)))
        })?;
        outcome.or_else(|result| self.refuse(actor, AuditAction::PersonView, id, result))
    }

    /// A view for a caller that batches audit rows (group commit): reads the record without
    /// taking the write lock and returns it with the audit row that records the view or the
    /// refusal. The caller must write `audit` (see [`Store::audit_batch`]) before it shows
    /// anything.
    pub fn prepare_view(&mut self, actor: &Actor, id: PersonId) -> Result<PendingView> {
        if !actor.scope.allows(Action::ViewPerson) {
            return Ok(PendingView {
                record: Err(StoreError::Denied(format!("{:?}", Action::ViewPerson))),
                audit: actor.entry(AuditAction::PersonView, "person", AuditResult::Denied),
            });
        }
        let refused = |result: AuditResult| {
            let mut audit = actor
                .entry(AuditAction::PersonView, "person", result)
                .object(id);
            if result == AuditResult::Failed {
                audit = audit.detail("not_found");
            }
            PendingView {
                record: Err(not_found(id)),
                audit,
            }
        };
        Ok(match self.db.person(id)? {
            Some(p) if actor.scope.covers(&p.data) => {
                let events = self.db.events(id)?;
                PendingView {
                    record: Ok(actor.scope.redact(p, events)),
                    audit: actor
                        .entry(AuditAction::PersonView, "person", AuditResult::Ok)
                        .object(id),
                }
            }
            Some(_) => refused(AuditResult::Denied),
            None => refused(AuditResult::Failed),
        })
    }

    fn refuse<T>(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        id: PersonId,
        result: AuditResult,
    ) -> Result<T> {
        let mut entry = actor.entry(action, "person", result).object(id);
        if result == AuditResult::Failed {
            entry = entry.detail("not_found");
        }
        self.audit(entry)?;
        Err(not_found(id))
    }

    /// The household of a person the account may see, limited to the members it may see.
    /// The members of a household the account may see. A household with no member in reach
    /// reads as not found, and when it does exist elsewhere the refusal is audited.
    pub fn household_as(&mut self, actor: &Actor, household_no: &str) -> Result<Vec<Person>> {
        self.require(actor, Action::ListPersons, AuditAction::Access, "household")?;
        let members = self.household(household_no)?;
        let exists = !members.is_empty();
        let visible: Vec<Person> = members
            .into_iter()
            .filter(|p| actor.scope.covers(&p.data))
            .collect();
        if visible.is_empty() {
            let error = StoreError::NotFound(format!("户 {household_no}"));
            return Err(if exists {
                self.deny(
                    actor,
                    AuditAction::Access,
                    "household",
                    Some(household_no.to_string()),
                    error,
                )
            } else {
                error
            });
        }
        Ok(visible)
    }

    pub fn add_person_as(
        &mut self,
        actor: &Actor,
        data: PersonData,
        today: Date,
    ) -> Result<PersonId> {
        self.add_person_within(actor, data, today, false)
            .map(|(id, _)| id)
    }

    /// Adds the first person of a new household (新建户): the register gives the household its
    /// number, the next one of the person's committee, in the same transaction.
    pub fn add_person_in_new_household_as(
        &mut self,
        actor: &Actor,
        data: PersonData,
        today: Date,
    ) -> Result<(PersonId, HouseholdNo)> {
        self.add_person_within(actor, data, today, true)
    }

    fn add_person_within(
        &mut self,
        actor: &Actor,
        mut data: PersonData,
        today: Date,
        new_household: bool,
    ) -> Result<(PersonId, HouseholdNo)> {
        self.require(actor, Action::EditPerson, AuditAction::PersonAdd, "person")?;
        if !actor.scope.covers(&data) {
            return Err(self.deny(
                actor,
                AuditAction::PersonAdd,
                "area",
                Some(data.area_code.to_string()),
                out_of_reach(&actor.scope, &data),
            ));
        }
        self.transaction(|tx| {
            if new_household {
                data.household_no = tx.next_household_no(&data.area_code)?;
            }
            let household = data.household_no.clone();
            let id = tx.add_person(data, &actor.username, today)?;
            tx.audit(
                actor
                    .entry(AuditAction::PersonAdd, "person", AuditResult::Ok)
                    .object(id),
            )?;
            Ok((id, household))
        })
    }

    /// Corrects a person's data; both the record as it was and as it will be must be in reach.
    pub fn update_person_as(
        &mut self,
        actor: &Actor,
        id: PersonId,
        data: PersonData,
        today: Date,
        note: Option<String>,
    ) -> Result<bool> {
        self.require(
            actor,
            Action::EditPerson,
            AuditAction::PersonUpdate,
            "person",
        )?;
        let outcome = self.transaction(|tx| {
            match tx.db.person(id)? {
                Some(p) if actor.scope.covers(&p.data) => {}
                Some(_) => return Ok(Err(AuditResult::Denied)),
                None => return Ok(Err(AuditResult::Failed)),
            }
            if !actor.scope.covers(&data) {
                return Err(out_of_reach(&actor.scope, &data));
            }
            // Only a record the account can reach is told its correction lacks a reason.
            let note = Some(
                renkou_core::person::correction_reason(note.as_deref())
                    .map_err(|e| StoreError::Rejected(vec![e]))?,
            );
            let changed = tx.update_person(id, data, &actor.username, today, note)?;
            if changed {
                tx.audit(
                    actor
                        .entry(AuditAction::PersonUpdate, "person", AuditResult::Ok)
                        .object(id),
                )?;
            }
            Ok(Ok(changed))
        })?;
        outcome.or_else(|result| self.refuse(actor, AuditAction::PersonUpdate, id, result))
    }

    /// Records an event the role may record, on a person in reach.
    pub fn record_event_as(
        &mut self,
        actor: &Actor,
        id: PersonId,
        event: NewEvent,
        today: Date,
    ) -> Result<Event> {
        self.require(
            actor,
            Action::RecordEvent(event.kind),
            AuditAction::EventRecord,
            "event",
        )?;
        if let Some(to) = &event.detail.to_area_code
            && !actor.scope.covers_area(to)
        {
            return Err(StoreError::rejected(
                "to_area_code",
                format!("迁入地{to}不在本账户的管辖区域{}内", actor.scope.area),
            ));
        }
        let outcome = self.transaction(|tx| {
            match tx.db.person(id)? {
                Some(p) if actor.scope.covers(&p.data) => {}
                Some(_) => return Ok(Err(AuditResult::Denied)),
                None => return Ok(Err(AuditResult::Failed)),
            }
            let event_id = tx.record_event_within(id, event, &actor.username, today, &|p| {
                actor.scope.covers(&p.data)
            })?;
            tx.audit(
                actor
                    .entry(AuditAction::EventRecord, "person", AuditResult::Ok)
                    .object(id)
                    .detail(format!("event={}", event_id.0)),
            )?;
            Ok(Ok(event_id))
        })?;
        let event_id =
            outcome.or_else(|result| self.refuse(actor, AuditAction::EventRecord, id, result))?;
        self.timeline(id)?
            .into_iter()
            .find(|e| e.id == event_id)
            .ok_or_else(|| StoreError::NotFound("刚登记的事件".into()))
    }
}

fn out_of_reach(scope: &Scope, data: &PersonData) -> StoreError {
    if scope.covers_area(data.managing_area()) {
        StoreError::rejected("population_type", "本账户只管理流动人口")
    } else {
        StoreError::rejected(
            "area_code",
            format!("区划{}不在本账户的管辖区域{}内", data.area_code, scope.area),
        )
    }
}

/// The counts a home page shows for an area: from the statistics' counters, always current.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaSummary {
    pub total: u64,
    pub residents: u64,
    pub migrants_in: u64,
    pub migrants_out: u64,
    /// Women aged 15–49.
    pub women_childbearing: u64,
    /// Married women aged 15–49.
    pub married_women_childbearing: u64,
    pub children_under_3: u64,
    pub elderly_60_plus: u64,
    /// Active people per area one level down: (code, count), by code.
    pub below: Vec<(String, u64)>,
}

impl Store {
    /// The account's area (or an area within it) summarised; role population limits apply.
    pub fn summary_as(
        &mut self,
        actor: &Actor,
        area: &renkou_core::AreaCode,
        today: Date,
    ) -> Result<AreaSummary> {
        self.require(actor, Action::ListPersons, AuditAction::Access, "summary")?;
        let filter = PersonFilter {
            area: Some(area.clone()),
            ..PersonFilter::default()
        };
        let Some(filter) = filter.within(&actor.scope) else {
            return Ok(AreaSummary::default());
        };
        let area = filter.area.clone().expect("within sets an area");
        if filter.population_types.is_none() {
            return self.summary_from_counters(&area, today);
        }
        // A role that sees only some population types (a migrant coordinator, a committee's
        // people): counted from the register itself.
        // Every code and date is a parameter: the definitions are core's (indicator, codes).
        let mut params: Vec<SqlValue> = vec![area.as_str().into(), crate::prefix_end(&area).into()];
        let param = |params: &mut Vec<SqlValue>, v: SqlValue| {
            params.push(v);
            format!("?{}", params.len())
        };
        let in_list = |params: &mut Vec<SqlValue>, codes: &[&str]| {
            let list: Vec<String> = codes.iter().map(|c| param(params, (*c).into())).collect();
            format!("({})", list.join(", "))
        };
        let mut people = format!(
            "area_code >= ?1 AND area_code < ?2 AND status = {}",
            param(&mut params, PersonStatus::Active.key().into())
        );
        if let Some(types) = filter.population_types {
            let codes: Vec<&str> = types.iter().map(|t| t.code()).collect();
            people += &format!(" AND population_type IN {}", in_list(&mut params, &codes));
        }
        let people_params = params.clone();
        let married_codes: Vec<&str> = MARRIED.iter().map(|m| m.code()).collect();
        let married = in_list(&mut params, &married_codes);
        let mut p = |v: SqlValue| param(&mut params, v);
        let resident = p(PopulationType::Resident.code().into());
        let migrant_in = p(PopulationType::MigrantIn.code().into());
        let migrant_out = p(PopulationType::MigrantOut.code().into());
        let band = CHILDBEARING_AGE.birth_dates(today);
        let childbearing = format!(
            "sex = {} AND birth_date > {} AND birth_date <= {}",
            p(Sex::Female.code().into()),
            p(band.born_after.expect("the band has an upper age").into()),
            p(band.born_on_or_before.into()),
        );
        let under_three = p(UNDER_THREE
            .birth_dates(today)
            .born_after
            .expect("the band has an upper age")
            .into());
        let elderly = p(ELDERLY.birth_dates(today).born_on_or_before.into());
        let count = |condition: &str| format!("sum(CASE WHEN {condition} THEN 1 ELSE 0 END)");
        let sql = format!(
            "SELECT count(*), {}, {}, {}, {}, {}, {}, {} FROM persons WHERE {people}",
            count(&format!("population_type = {resident}")),
            count(&format!("population_type = {migrant_in}")),
            count(&format!("population_type = {migrant_out}")),
            count(&childbearing),
            count(&format!("{childbearing} AND marital_status IN {married}")),
            count(&format!("birth_date > {under_three}")),
            count(&format!("birth_date <= {elderly}")),
        );
        let row = self.db.query(&sql, &params)?;
        let n = |i: usize| {
            row[0][i]
                .int()
                .or_else(|| row[0][i].text().and_then(|t| t.parse().ok()))
                .unwrap_or(0) as u64
        };
        let mut summary = AreaSummary {
            total: n(0),
            residents: n(1),
            migrants_in: n(2),
            migrants_out: n(3),
            women_childbearing: n(4),
            married_women_childbearing: n(5),
            children_under_3: n(6),
            elderly_60_plus: n(7),
            below: Vec::new(),
        };
        if let Some(below) = area.level().below() {
            // The same parameters: the population types and the active status among them.
            let sql = format!(
                "SELECT substr(area_code, 1, {}), count(*) FROM persons WHERE {people} \
                 GROUP BY 1 ORDER BY 1",
                below.digits()
            );
            for r in self.db.query(&sql, &people_params)? {
                summary.below.push((
                    r[0].text().unwrap_or_default(),
                    r[1].int().unwrap_or(0) as u64,
                ));
            }
        }
        Ok(summary)
    }
}

impl Store {
    /// The home counts from the statistics' counters: today's stock of the area and of each
    /// area one level down.
    fn summary_from_counters(
        &mut self,
        area: &renkou_core::AreaCode,
        today: Date,
    ) -> Result<AreaSummary> {
        use renkou_core::stats::{Month, Period};
        let period = Period::Month(Month::of(today));
        let report = self
            .transaction(|tx| crate::stats::build_report(&mut *tx.db, Some(area), period, today))?;
        let f = &report.total.figures;
        let population = |t: &str| f.stock.population.get(t).map_or(0, |b| b.total()) as u64;
        Ok(AreaSummary {
            total: f.population_total() as u64,
            residents: population("resident"),
            migrants_in: population("migrant_in"),
            migrants_out: population("migrant_out"),
            women_childbearing: f.stock.women_15_49 as u64,
            married_women_childbearing: f.stock.married_women_15_49 as u64,
            children_under_3: f.stock.children_under_3 as u64,
            elderly_60_plus: f.stock.age_bands.0[12..]
                .iter()
                .map(|(_, b)| b.total())
                .sum::<i64>() as u64,
            below: report
                .rows
                .iter()
                .map(|r| (r.area.code.clone(), r.figures.population_total() as u64))
                .filter(|(_, n)| *n > 0)
                .collect(),
        })
    }
}
