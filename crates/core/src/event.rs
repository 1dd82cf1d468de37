//! Life events and the rules that turn them into a person's current state.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::area::AreaCode;
use crate::codes::{
    ContraceptionMethod, EventKind, MaritalStatus, PopulationType, PregnancyOutcome, Relation, Sex,
};
use crate::id_number::IdNumber;
use crate::person::{FieldError, Person, PersonData, PersonId, PersonName, PersonStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(pub i64);

/// The child a birth event brings onto the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildBirth {
    pub name: Option<String>,
    pub sex: Option<Sex>,
    pub birth_weight_g: Option<u16>,
    pub birth_order: Option<u8>,
    pub birth_defect: Option<bool>,
    /// Set by the register once the child's record exists.
    pub child_id: Option<PersonId>,
}

/// One field a correction changed, as it was and as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// What an event says beyond its kind and date. Only the parts its kind needs are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_id_number: Option<IdNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_id: Option<PersonId>,
    /// The spouse's name when the event was recorded, for the timeline to say whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ContraceptionMethod>,
    /// The method in use before a change or a stop: what the statistics of the days before
    /// the event count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_method: Option<ContraceptionMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<PregnancyOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<ChildBirth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_area_code: Option<AreaCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Set when the register wrote this event because of one on another person's timeline
    /// (the spouse's marriage, a partner's death).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    pub kind: EventKind,
    pub occurred_on: Date,
    pub detail: EventDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub person_id: PersonId,
    pub kind: EventKind,
    pub occurred_on: Date,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: String,
    pub detail: EventDetail,
}

/// What must happen to others because of an event on one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideEffect {
    /// The spouse in the register marries this person on the same day.
    Marry { spouse: PersonId },
    /// The spouse in the register divorces this person on the same day.
    Divorce { spouse: PersonId },
    /// The surviving spouse becomes widowed.
    Widow { spouse: PersonId },
    /// A child is born and put on the mother's household.
    Child(Box<PersonData>),
}

/// The state after an event, and what else it sets in motion.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub person: Person,
    pub event: NewEvent,
    pub side_effects: Vec<SideEffect>,
}

pub const MARRIAGE_AGE_MALE: i32 = 22;
pub const MARRIAGE_AGE_FEMALE: i32 = 20;

fn err(field: &'static str, message: impl std::fmt::Display) -> FieldError {
    FieldError::new(field, message)
}

mod form;
#[cfg(test)]
mod tests;

pub use form::{EventField, changes_between, fields_of, is_weighty, possible_for};

/// Applies an event to a person. `spouse` is the spouse's record when the event names one that
/// the register holds; `children` is how many children the register already links to the person.
///
/// Every problem is found in one round: the fields the kind needs, the dates, and what the
/// person's state allows, so that a form can show them all at once.
pub fn apply(
    person: &Person,
    event: NewEvent,
    spouse: Option<&Person>,
    children: u32,
    today: Date,
) -> Result<Outcome, Vec<FieldError>> {
    use EventKind as K;
    let mut p = person.clone();
    let mut ev = event;
    let mut effects = Vec::new();
    let mut errors = Vec::new();
    let on = ev.occurred_on;

    if ev.kind == K::Registered {
        return Err(vec![err("event", "建档由新增人口自动记录，不能单独登记")]);
    }
    match p.status {
        PersonStatus::Dead if ev.kind != K::Correction => {
            let when = p.death_date.map(|d| d.to_string()).unwrap_or_default();
            return Err(vec![err(
                "event",
                format!("此人已于{when}死亡，只能登记更正"),
            )]);
        }
        PersonStatus::MovedAway if !matches!(ev.kind, K::MoveIn | K::Correction) => {
            return Err(vec![err("event", "此人已迁出本市，须先登记迁入")]);
        }
        _ => {}
    }
    if on > today {
        errors.push(err("date", format!("发生日期{on}晚于今天")));
    }
    if on < p.data.birth_date {
        errors.push(err(
            "date",
            format!("发生日期{on}早于本人出生日期{}", p.data.birth_date),
        ));
    }
    let age = p.data.age_on(on);
    let female = p.data.sex == Sex::Female;

    if let Some(sp) = spouse {
        if sp.id == p.id {
            errors.push(err("spouse_id_number", "配偶身份证号不能是本人"));
        } else {
            ev.detail.spouse_id = Some(sp.id);
            ev.detail.spouse_name = Some(sp.data.name.as_str().to_string());
        }
    }

    match ev.kind {
        K::Registered => {}
        K::Marriage | K::Remarriage => {
            if p.data.marital_status.is_married() {
                errors.push(err("event", "此人当前为已婚，须先登记离婚或丧偶"));
            }
            let min = if female {
                MARRIAGE_AGE_FEMALE
            } else {
                MARRIAGE_AGE_MALE
            };
            if age < min {
                errors.push(err(
                    "date",
                    format!(
                        "结婚时{age}周岁，未达法定婚龄（男{MARRIAGE_AGE_MALE}周岁，女{MARRIAGE_AGE_FEMALE}周岁）"
                    ),
                ));
            }
            if let Some(sp) = spouse.filter(|sp| sp.id != p.id) {
                let already_ours = sp.spouse_id == Some(p.id);
                if sp.data.sex == p.data.sex {
                    errors.push(err("spouse_id_number", "配偶的性别与本人相同"));
                } else if sp.data.marital_status.is_married() && !already_ours {
                    errors.push(err("spouse_id_number", "配偶在登记中为已婚"));
                } else if !already_ours {
                    effects.push(SideEffect::Marry { spouse: sp.id });
                }
            }
            let was = p.data.marital_status;
            p.data.marital_status = match (ev.kind, was) {
                (K::Remarriage, _)
                    if p.spouse_id.is_some() && p.spouse_id == ev.detail.spouse_id =>
                {
                    MaritalStatus::Reunited
                }
                (_, MaritalStatus::Divorced | MaritalStatus::Widowed) | (K::Remarriage, _) => {
                    MaritalStatus::Remarried
                }
                _ => MaritalStatus::FirstMarriage,
            };
            p.spouse_id = ev.detail.spouse_id;
        }
        K::Divorce => {
            if !p.data.marital_status.is_married() {
                errors.push(err(
                    "event",
                    format!("此人当前婚姻状况为{}，不能登记离婚", p.data.marital_status),
                ));
            }
            if let Some(current) = p.spouse_id {
                ev.detail.spouse_id = Some(current);
                if let Some(sp) = spouse.filter(|sp| sp.id == current) {
                    ev.detail.spouse_name = Some(sp.data.name.as_str().to_string());
                }
                if spouse.is_some_and(|sp| {
                    sp.spouse_id == Some(p.id) && sp.data.marital_status.is_married()
                }) {
                    effects.push(SideEffect::Divorce { spouse: current });
                }
            }
            p.data.marital_status = MaritalStatus::Divorced;
            // The former spouse is remembered on the event, so a later 复婚 can be recognised.
        }
        K::Pregnancy => {
            if !female {
                errors.push(err("event", "怀孕只能登记在女性名下"));
            } else if p.pregnant {
                errors.push(err("event", "此人已有未结束的孕情，须先登记出生或妊娠结局"));
            }
            if female && !(12..=60).contains(&age) {
                errors.push(err("date", format!("怀孕时{age}周岁，请核对日期")));
            }
            p.pregnant = true;
        }
        K::PregnancyOutcome => {
            if !p.pregnant {
                errors.push(err("event", "此人没有未结束的孕情记录"));
            }
            if ev.detail.outcome.is_none() {
                errors.push(err("outcome", "请填写妊娠结局"));
            }
            p.pregnant = false;
        }
        K::Birth => {
            if !female {
                errors.push(err("event", "出生事件应登记在母亲名下"));
            } else if !(12..=60).contains(&age) {
                errors.push(err("date", format!("生育时母亲{age}周岁，请核对日期")));
            }
            let mut child = ev.detail.child.take().unwrap_or_default();
            if child.sex.is_none() {
                errors.push(err("child_sex", "请填写子女性别"));
            }
            let name = match PersonName::parse(child.name.as_deref().unwrap_or("新生儿")) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(err("child_name", e));
                    None
                }
            };
            if let Some(w) = child.birth_weight_g
                && !(300..=7000).contains(&w)
            {
                errors.push(err(
                    "birth_weight_g",
                    format!("出生体重{w}克不在300–7000克之间"),
                ));
            }
            let order = child.birth_order.unwrap_or((children + 1).min(255) as u8);
            if order == 0 {
                errors.push(err("birth_order", "孩次从1开始"));
            }
            child.birth_order = Some(order);
            p.pregnant = false;
            if let (Some(name), Some(sex)) = (name, child.sex) {
                effects.push(SideEffect::Child(Box::new(PersonData {
                    id_number: None,
                    name,
                    sex,
                    birth_date: on,
                    ethnicity: p.data.ethnicity,
                    marital_status: MaritalStatus::Unmarried,
                    education: None,
                    phone: None,
                    household_no: p.data.household_no.clone(),
                    relation: Relation::of_newborn(Some(p.data.relation), sex),
                    population_type: match p.data.population_type {
                        PopulationType::MigrantIn => PopulationType::MigrantIn,
                        _ => PopulationType::Resident,
                    },
                    registered_place: p.data.registered_place.clone(),
                    area_code: p.data.area_code.clone(),
                    address: p.data.address.clone(),
                    arrival_date: p.data.arrival_date.map(|_| on),
                    leaving_date: None,
                    origin_or_destination: p.data.origin_or_destination.clone(),
                })));
            }
            ev.detail.child = Some(child);
        }
        K::ContraceptionStart => match ev.detail.method {
            None => errors.push(err("method", "请填写避孕方法")),
            Some(m) => {
                if let Some(cur) = p.contraception {
                    errors.push(err("event", format!("此人已在使用{cur}，请登记避孕变更")));
                }
                p.contraception = Some(m);
            }
        },
        K::ContraceptionChange => {
            ev.detail.previous_method = p.contraception;
            match (p.contraception, ev.detail.method) {
                (None, _) => {
                    errors.push(err("event", "此人没有正在使用的避孕方法，请登记避孕开始"))
                }
                (Some(cur), Some(m)) if cur == m => {
                    errors.push(err("method", format!("此人已在使用{cur}")))
                }
                _ => {}
            }
            match ev.detail.method {
                None => errors.push(err("method", "请填写新的避孕方法")),
                Some(m) => p.contraception = Some(m),
            }
        }
        K::ContraceptionStop => {
            ev.detail.previous_method = p.contraception;
            if p.contraception.is_none() {
                errors.push(err("event", "此人没有正在使用的避孕方法"));
            }
            p.contraception = None;
        }
        K::MoveIn => match ev.detail.to_area_code.clone() {
            None => errors.push(err(
                "to_area_code",
                "迁入须填写迁往区划（本市居委会或居民小组代码）",
            )),
            Some(to) => {
                match (p.status, p.data.population_type) {
                    (PersonStatus::MovedAway, _) => {
                        p.status = PersonStatus::Active;
                        if p.data.population_type == PopulationType::MigrantIn {
                            p.data.arrival_date = Some(on);
                        }
                    }
                    (_, PopulationType::MigrantOut) => {
                        p.data.population_type = PopulationType::Resident;
                        p.data.leaving_date = None;
                    }
                    _ => {}
                }
                p.data.area_code = to;
            }
        },
        K::MoveOut => match ev.detail.to_area_code.clone() {
            Some(to) => p.data.area_code = to,
            None => {
                let whither = ev.detail.note.as_deref().unwrap_or("").trim();
                if whither.is_empty() {
                    errors.push(err(
                        "to_area_code",
                        "迁出须填写迁往本市的区划，或在备注中写明迁往何处",
                    ));
                }
                match p.data.population_type {
                    PopulationType::Resident => {
                        p.data.population_type = PopulationType::MigrantOut;
                        p.data.leaving_date = Some(on);
                        if !whither.is_empty() {
                            p.data.origin_or_destination = Some(whither.to_string());
                        }
                    }
                    PopulationType::MigrantIn | PopulationType::MigrantOut => {
                        p.status = PersonStatus::MovedAway;
                        p.data.leaving_date = Some(on);
                    }
                }
            }
        },
        K::Death => {
            p.status = PersonStatus::Dead;
            p.death_date = Some(on);
            p.pregnant = false;
            p.contraception = None;
            if let (Some(sp), true) = (p.spouse_id, p.data.marital_status.is_married()) {
                effects.push(SideEffect::Widow { spouse: sp });
            }
        }
        K::Correction => {
            if ev.detail.note.as_deref().unwrap_or("").trim().is_empty()
                && ev.detail.changes.is_empty()
            {
                errors.push(err("note", "更正须在备注中写明更正了什么、依据是什么"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The timeline says what the event changed; a correction brings its own list.
    if ev.detail.changes.is_empty() {
        ev.detail.changes = changes_between(person, &p);
    }
    Ok(Outcome {
        person: p,
        event: ev,
        side_effects: effects,
    })
}

/// The event a side effect writes on the other person's timeline.
pub fn mirrored(effect: &SideEffect, cause: PersonId, on: Date) -> Option<NewEvent> {
    let kind = match effect {
        SideEffect::Marry { .. } => EventKind::Marriage,
        SideEffect::Divorce { .. } => EventKind::Divorce,
        SideEffect::Widow { .. } => EventKind::Correction,
        SideEffect::Child(_) => return None,
    };
    Some(NewEvent {
        kind,
        occurred_on: on,
        detail: EventDetail {
            spouse_id: Some(cause),
            caused_by: Some(cause),
            note: matches!(effect, SideEffect::Widow { .. })
                .then(|| "配偶死亡，婚姻状况改为丧偶".to_string()),
            ..EventDetail::default()
        },
    })
}

/// The spouse's record after a side effect of their partner's event: married to `partner`
/// (a remarriage after a divorce or a death), divorced, or widowed. None for a child.
pub fn on_spouse(effect: &SideEffect, spouse: &Person, partner: PersonId) -> Option<Person> {
    let mut s = spouse.clone();
    match effect {
        SideEffect::Marry { .. } => {
            s.data.marital_status = match s.data.marital_status {
                MaritalStatus::Divorced | MaritalStatus::Widowed => MaritalStatus::Remarried,
                _ => MaritalStatus::FirstMarriage,
            };
            s.spouse_id = Some(partner);
        }
        SideEffect::Divorce { .. } => s.data.marital_status = MaritalStatus::Divorced,
        SideEffect::Widow { .. } => s = widow(spouse),
        SideEffect::Child(_) => return None,
    }
    Some(s)
}

/// The spouse's state after a partner's death.
pub fn widow(spouse: &Person) -> Person {
    let mut s = spouse.clone();
    if s.data.marital_status.is_married() {
        s.data.marital_status = MaritalStatus::Widowed;
    }
    s
}

/// A registration event: the first line of every timeline.
pub fn registration(on: Date, note: Option<String>) -> NewEvent {
    NewEvent {
        kind: EventKind::Registered,
        occurred_on: on,
        detail: EventDetail {
            note,
            ..EventDetail::default()
        },
    }
}
