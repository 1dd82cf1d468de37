use super::*;
use crate::codes::{Ethnicity, Relation};
use crate::{AreaCode, HouseholdNo, IdNumber, Place};
use jiff::civil::date;

const TODAY: Date = date(2026, 11, 28);

fn person(sex: Sex, born: Date) -> Person {
    let seq = if sex == Sex::Male { 11 } else { 12 };
    Person {
        id: PersonId(1),
        data: PersonData {
            id_number: Some(IdNumber::from_parts("340705", born, seq).unwrap()),
            name: PersonName::parse("陈静").unwrap(),
            sex,
            birth_date: born,
            ethnicity: Ethnicity::Han,
            marital_status: MaritalStatus::Unmarried,
            education: None,
            phone: None,
            household_no: HouseholdNo::parse("H1").unwrap(),
            relation: Relation::Head,
            population_type: PopulationType::Resident,
            registered_place: Place::parse("340705"),
            area_code: AreaCode::parse("340705001001").unwrap(),
            address: None,
            arrival_date: None,
            leaving_date: None,
            origin_or_destination: None,
        },
        status: PersonStatus::Active,
        death_date: None,
        spouse_id: None,
        mother_id: None,
        pregnant: false,
        contraception: None,
    }
}

fn event(kind: EventKind, on: Date) -> NewEvent {
    NewEvent {
        kind,
        occurred_on: on,
        detail: EventDetail::default(),
    }
}

#[test]
fn a_birth_form_gets_every_problem_in_one_round() {
    let her = person(Sex::Female, date(1995, 3, 1));
    let mut birth = event(EventKind::Birth, date(2027, 1, 5));
    birth.detail.child = Some(ChildBirth {
        birth_weight_g: Some(120),
        birth_order: Some(0),
        ..ChildBirth::default()
    });
    let errors = apply(&her, birth, None, 0, TODAY).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        ["date", "child_sex", "birth_weight_g", "birth_order"]
    );
}

#[test]
fn a_marriage_names_the_spouse_and_says_what_changed() {
    let her = person(Sex::Female, date(1995, 3, 1));
    let mut him = person(Sex::Male, date(1994, 6, 1));
    him.id = PersonId(2);
    him.data.name = PersonName::parse("刘伟").unwrap();
    let mut wedding = event(EventKind::Marriage, date(2026, 10, 1));
    wedding.detail.spouse_id_number = him.data.id_number;
    let done = apply(&her, wedding, Some(&him), 0, TODAY).unwrap();
    assert_eq!(done.event.detail.spouse_name.as_deref(), Some("刘伟"));
    assert_eq!(
        done.event.detail.changes,
        [FieldChange {
            field: "marital_status".into(),
            before: "未婚".into(),
            after: "初婚".into(),
        }]
    );
}

#[test]
fn a_move_out_says_where_to() {
    let him = person(Sex::Male, date(1990, 1, 1));
    let errors = apply(
        &him,
        event(EventKind::MoveOut, date(2026, 11, 1)),
        None,
        0,
        TODAY,
    )
    .unwrap_err();
    assert_eq!(errors[0].field, "to_area_code");
    let mut away = event(EventKind::MoveOut, date(2026, 11, 1));
    away.detail.note = Some("江苏省南京市务工".into());
    let done = apply(&him, away, None, 0, TODAY).unwrap();
    assert_eq!(done.person.data.population_type, PopulationType::MigrantOut);
    let changed: Vec<_> = done
        .event
        .detail
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(changed, ["population_type"]);
    assert!(is_weighty(EventKind::MoveOut) && !is_weighty(EventKind::Birth));
}

#[test]
fn marriage_needs_the_legal_age() {
    let her = person(Sex::Female, date(2005, 1, 1));
    let refused = apply(
        &her,
        event(EventKind::Marriage, date(2024, 12, 31)),
        None,
        0,
        TODAY,
    )
    .unwrap_err();
    assert_eq!(refused[0].field, "date");
    assert!(refused[0].message.contains("19周岁"), "{:?}", refused);
    let done = apply(
        &her,
        event(EventKind::Marriage, date(2025, 1, 1)),
        None,
        0,
        TODAY,
    )
    .unwrap();
    assert_eq!(
        done.person.data.marital_status,
        MaritalStatus::FirstMarriage
    );
}

#[test]
fn a_birth_is_recorded_on_the_mother_and_brings_a_child() {
    let him = person(Sex::Male, date(1990, 1, 1));
    assert!(
        apply(
            &him,
            event(EventKind::Birth, date(2025, 1, 1)),
            None,
            0,
            TODAY
        )
        .is_err()
    );
    let her = person(Sex::Female, date(1990, 1, 1));
    let mut birth = event(EventKind::Birth, date(2025, 1, 1));
    birth.detail.child = Some(ChildBirth {
        sex: Some(Sex::Male),
        ..Default::default()
    });
    let done = apply(&her, birth, None, 1, TODAY).unwrap();
    assert_eq!(done.event.detail.child.unwrap().birth_order, Some(2));
    let Some(SideEffect::Child(child)) = done.side_effects.first() else {
        panic!("no child")
    };
    assert_eq!(child.relation, Relation::Son);
    assert_eq!(child.name.as_str(), "新生儿");
    assert_eq!(child.id_number, None);
}

#[test]
fn nothing_but_a_correction_after_death() {
    let mut p = person(Sex::Male, date(1940, 1, 1));
    p = apply(
        &p,
        event(EventKind::Death, date(2025, 5, 1)),
        None,
        0,
        TODAY,
    )
    .unwrap()
    .person;
    assert_eq!(p.status, PersonStatus::Dead);
    assert!(
        apply(
            &p,
            event(EventKind::MoveOut, date(2025, 6, 1)),
            None,
            0,
            TODAY
        )
        .is_err()
    );
    let mut fix = event(EventKind::Correction, date(2025, 6, 1));
    fix.detail.note = Some("死亡日期依据死亡证明更正".into());
    assert!(apply(&p, fix, None, 0, TODAY).is_ok());
}

#[test]
fn events_cannot_be_in_the_future_or_before_birth() {
    let p = person(Sex::Female, date(1990, 1, 1));
    assert_eq!(
        apply(
            &p,
            event(EventKind::Pregnancy, date(2026, 12, 1)),
            None,
            0,
            TODAY
        )
        .unwrap_err()[0]
            .field,
        "date"
    );
    assert_eq!(
        apply(
            &p,
            event(EventKind::Pregnancy, date(1989, 12, 1)),
            None,
            0,
            TODAY
        )
        .unwrap_err()[0]
            .field,
        "date"
    );
}
