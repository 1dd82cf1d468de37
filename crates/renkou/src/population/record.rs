//! The planned history written to the register, one event at a time through its own rules.

use jiff::civil::Date;
use renkou_core::event::FieldChange;
use renkou_core::{EventDetail, EventKind, IdNumber, MaritalStatus, NewEvent, PersonData};
use renkou_store::{StoreError, Tx};

use super::BY;
use super::city::City;
use super::events::{Planned, What};

#[derive(Default)]
pub struct Counts {
    pub events: u64,
    pub births: u64,
    pub refused: u64,
}

/// Records the plan. An event the register's rules refuse is skipped, not fatal: the plan
/// avoids them, and the demo should not fail over one.
pub fn record_plan(
    tx: &mut Tx<'_>,
    plan: &[Planned],
    city: &City,
    today: Date,
) -> renkou_store::Result<Counts> {
    let mut counts = Counts::default();
    for step in plan {
        let Some(person) = tx.person_by_id_number(&step.who)? else {
            counts.refused += 1;
            continue;
        };
        let mut detail = EventDetail::default();
        let kind = match &step.what {
            What::Marriage { spouse } => {
                detail.spouse_id_number = Some(*spouse);
                EventKind::Marriage
            }
            What::Pregnancy => EventKind::Pregnancy,
            What::Outcome(outcome) => {
                detail.outcome = Some(*outcome);
                EventKind::PregnancyOutcome
            }
            What::Birth(child) => {
                detail.child = Some(child.clone());
                EventKind::Birth
            }
            What::ContraceptionStart(m) => {
                detail.method = Some(*m);
                EventKind::ContraceptionStart
            }
            What::ContraceptionChange(m) => {
                detail.method = Some(*m);
                EventKind::ContraceptionChange
            }
            What::ContraceptionStop => EventKind::ContraceptionStop,
            What::MoveAway { destination } => {
                // For a resident the note becomes where they went.
                detail.note = Some(destination.to_string());
                EventKind::MoveOut
            }
            What::MoveWithin { group } => {
                let groups = &city.groups;
                let mut to = &groups[*group].0;
                if *to == person.data.area_code {
                    to = &groups[(group + 1) % groups.len()].0;
                }
                detail.to_area_code = Some(to.clone());
                detail.note = Some("区内搬迁".to_string());
                EventKind::MoveOut
            }
            What::Leave => {
                detail.note = Some("离开本市，返回原籍".to_string());
                EventKind::MoveOut
            }
            What::Return => {
                detail.to_area_code = Some(person.data.area_code.clone());
                detail.note = Some("外出返回，回到户籍地居住".to_string());
                EventKind::MoveIn
            }
            What::Death { .. } => EventKind::Death,
            What::Correction => {
                correction(&person.data, &mut detail);
                EventKind::Correction
            }
        };
        let event = NewEvent {
            kind,
            occurred_on: step.on,
            detail,
        };
        match tx.record_event(person.id, event, BY, today) {
            Ok(_) => {}
            Err(StoreError::Rejected(_) | StoreError::NotFound(_)) => {
                counts.refused += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        counts.events += 1;
        if kind == EventKind::Birth {
            counts.births += 1;
        }
        let widowed = match &step.what {
            What::Death { spouse: Some(s) } => widow(tx, s, step.on, today)?,
            _ => false,
        };
        counts.events += u64::from(widowed);
    }
    Ok(counts)
}

/// A correction as a field worker makes one: a digit of the phone number or of the house number
/// was wrong on the first form. The register already holds the right value.
fn correction(data: &PersonData, detail: &mut EventDetail) {
    let (field, note, after) = match &data.phone {
        Some(phone) if data.birth_date.day() % 2 == 0 => (
            "phone",
            "入户核对，更正联系电话",
            phone.as_str().to_string(),
        ),
        _ => (
            "address",
            "核对户口簿，更正门牌号",
            data.address.clone().unwrap_or_default(),
        ),
    };
    // Change the first digit after the first three characters: a typing slip.
    let before: String = {
        let mut done = false;
        after
            .chars()
            .enumerate()
            .map(|(i, c)| match c.to_digit(10) {
                Some(d) if i >= 3 && !done => {
                    done = true;
                    char::from_digit((d + 1) % 10, 10).unwrap_or(c)
                }
                _ => c,
            })
            .collect()
    };
    detail.note = Some(note.to_string());
    if before != after {
        detail.changes = vec![FieldChange {
            field: field.to_string(),
            before,
            after,
        }];
    }
}

/// The register only widows a spouse it has linked; couples loaded in bulk are not linked, so
/// the survivor's marital status is corrected by hand, as a committee officer would.
fn widow(
    tx: &mut Tx<'_>,
    spouse: &IdNumber,
    died: Date,
    today: Date,
) -> renkou_store::Result<bool> {
    let Some(survivor) = tx.person_by_id_number(spouse)? else {
        return Ok(false);
    };
    if survivor.spouse_id.is_some() || !survivor.data.marital_status.is_married() {
        return Ok(false);
    }
    let mut data = survivor.data.clone();
    data.marital_status = MaritalStatus::Widowed;
    let note = format!("配偶于{died}死亡，婚姻状况改为丧偶");
    match tx.update_person(survivor.id, data, BY, today, Some(note)) {
        Ok(changed) => Ok(changed),
        Err(StoreError::Rejected(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
