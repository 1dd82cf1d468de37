//! A small city computed by hand: five people whose histories touch every edge rule.

use jiff::civil::{Date, date};

use super::cells::Cell;
use super::figures::{Figures, Sums};
use super::history::{Delta, birthday, contributions};
use crate::area::AreaCode;
use crate::codes::*;
use crate::event::{ChildBirth, Event, EventDetail, EventId, FieldChange};
use crate::person::{HouseholdNo, Person, PersonData, PersonId, PersonName, PersonStatus};

const G1: &str = "340705001001001";
const G2: &str = "340705001001002";
const TODAY: Date = date(2026, 12, 7);

fn person(id: i64, sex: Sex, birth: Date, area: &str, ptype: PopulationType) -> Person {
    Person {
        id: PersonId(id),
        data: PersonData {
            id_number: None,
            name: PersonName::parse("测试").unwrap(),
            sex,
            birth_date: birth,
            ethnicity: Ethnicity::Han,
            marital_status: MaritalStatus::Unmarried,
            education: None,
            phone: None,
            household_no: HouseholdNo::parse("H0001").unwrap(),
            relation: Relation::Head,
            population_type: ptype,
            registered_place: None,
            area_code: AreaCode::parse(area).unwrap(),
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

fn ev(id: i64, kind: EventKind, on: Date, recorded: Date, detail: EventDetail) -> Event {
    Event {
        id: EventId(id),
        person_id: PersonId(0),
        kind,
        occurred_on: on,
        recorded_at: recorded
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
            .unwrap()
            .timestamp(),
        recorded_by: "test".into(),
        detail,
    }
}

fn change(field: &str, before: &str, after: &str) -> EventDetail {
    EventDetail {
        changes: vec![FieldChange {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }],
        ..EventDetail::default()
    }
}

/// The five people and all they add to the counters.
fn city() -> Vec<Delta> {
    use EventKind as K;
    let mut out = Vec::new();

    // A: married in 2025, an IUD from August to February, pregnant in March, a boy of 2400 g
    // on 20 November 2026, recorded on 1 December (on time).
    let mut a = person(
        1,
        Sex::Female,
        date(1990, 5, 10),
        G1,
        PopulationType::Resident,
    );
    a.data.marital_status = MaritalStatus::FirstMarriage;
    let method = |m| EventDetail {
        method: Some(m),
        ..EventDetail::default()
    };
    let a_events = vec![
        ev(
            1,
            K::Marriage,
            date(2025, 6, 1),
            date(2025, 6, 3),
            EventDetail {
                spouse_id: Some(PersonId(2)),
                ..change("marital_status", "未婚", "初婚")
            },
        ),
        ev(
            2,
            K::ContraceptionStart,
            date(2025, 8, 1),
            date(2025, 8, 2),
            method(ContraceptionMethod::Iud),
        ),
        ev(
            3,
            K::ContraceptionStop,
            date(2026, 2, 1),
            date(2026, 2, 2),
            EventDetail {
                previous_method: Some(ContraceptionMethod::Iud),
                ..EventDetail::default()
            },
        ),
        ev(
            4,
            K::Pregnancy,
            date(2026, 3, 1),
            date(2026, 4, 2),
            EventDetail::default(),
        ),
        ev(
            5,
            K::Birth,
            date(2026, 11, 20),
            date(2026, 12, 1),
            EventDetail {
                child: Some(ChildBirth {
                    sex: Some(Sex::Male),
                    birth_weight_g: Some(2400),
                    birth_order: Some(1),
                    ..ChildBirth::default()
                }),
                ..EventDetail::default()
            },
        ),
    ];
    out.extend(contributions(&a, &a_events, TODAY));

    // B: A's husband; his copy of the marriage names her, so it is counted on hers.
    let mut b = person(2, Sex::Male, date(1988, 1, 1), G1, PopulationType::Resident);
    b.data.marital_status = MaritalStatus::FirstMarriage;
    let b_events = vec![ev(
        6,
        K::Marriage,
        date(2025, 6, 1),
        date(2025, 6, 3),
        EventDetail {
            spouse_id: Some(PersonId(1)),
            caused_by: Some(PersonId(1)),
            ..change("marital_status", "未婚", "初婚")
        },
    )];
    out.extend(contributions(&b, &b_events, TODAY));

    // C: a migrant born on 29 February 2000 who arrived on 15 July 2026.
    let mut c = person(
        3,
        Sex::Female,
        date(2000, 2, 29),
        G2,
        PopulationType::MigrantIn,
    );
    c.data.arrival_date = Some(date(2026, 7, 15));
    out.extend(contributions(&c, &[], TODAY));

    // D: born 1940, died 5 September 2026, recorded 20 November (late).
    let mut d = person(
        4,
        Sex::Male,
        date(1940, 3, 10),
        G2,
        PopulationType::Resident,
    );
    d.status = PersonStatus::Dead;
    d.death_date = Some(date(2026, 9, 5));
    let d_events = vec![ev(
        7,
        K::Death,
        date(2026, 9, 5),
        date(2026, 11, 20),
        change("status", "在册", "已死亡"),
    )];
    out.extend(contributions(&d, &d_events, TODAY));

    // E: born 2021, moved from G1 to G2 on 10 April 2026; entered in the wrong group and
    // corrected later, which changes no past month (the correction is not a dated change).
    let e = person(
        5,
        Sex::Male,
        date(2021, 6, 30),
        G2,
        PopulationType::Resident,
    );
    let e_events = vec![ev(
        8,
        K::MoveOut,
        date(2026, 4, 10),
        date(2026, 4, 11),
        EventDetail {
            to_area_code: Some(AreaCode::parse(G2).unwrap()),
            ..change("area_code", G1, G2)
        },
    )];
    out.extend(contributions(&e, &e_events, TODAY));
    out
}

fn stock(deltas: &[Delta], area: &str, day: Date) -> Figures {
    let mut sums = Sums::new();
    for d in deltas
        .iter()
        .filter(|d| d.cell.is_stock() && d.on <= day && d.area.as_str().starts_with(area))
    {
        *sums.entry(d.cell).or_default() += d.n;
    }
    assert!(sums.values().all(|n| *n >= 0), "{sums:?}");
    Figures::from_sums(&sums)
}

fn flow(deltas: &[Delta], area: &str, from: Date, to: Date) -> Figures {
    let mut sums = Sums::new();
    for d in deltas.iter().filter(|d| {
        !d.cell.is_stock() && (from..=to).contains(&d.on) && d.area.as_str().starts_with(area)
    }) {
        *sums.entry(d.cell).or_default() += d.n;
    }
    Figures::from_sums(&sums)
}

fn pop(f: &Figures, t: &str) -> (i64, i64) {
    let b = f.stock.population.get(t).unwrap();
    (b.male, b.female)
}

#[test]
fn stock_at_a_month_end_counts_who_was_there_in_what_state() {
    let deltas = city();
    // End of October 2026: A (36, married, no method, pregnant), B, D (86), E in G2; C arrived.
    let oct = stock(&deltas, "", date(2026, 10, 31));
    assert_eq!(pop(&oct, "resident"), (2, 1));
    assert_eq!(pop(&oct, "migrant_in"), (0, 1));
    assert_eq!(oct.stock.age_bands.get("35-39").unwrap().female, 1);
    assert_eq!(
        oct.stock.age_bands.get("85+").unwrap().male,
        0,
        "D died in September"
    );
    assert_eq!(
        oct.stock.age_bands.get("25-29").unwrap().female,
        1,
        "C is 26"
    );
    assert_eq!(oct.stock.women_15_49, 2);
    assert_eq!(oct.stock.married_women_15_49, 1);
    assert_eq!(oct.stock.contraception.get("none"), Some(1));
    assert_eq!(oct.stock.pregnant, 1);
    assert_eq!(oct.indicators.contraceptive_prevalence, Some(0.0));

    // End of September 2025: A married with an IUD; D alive at 85; C not yet here.
    let sep = stock(&deltas, "", date(2025, 9, 30));
    assert_eq!(sep.stock.contraception.get("iud"), Some(1));
    assert_eq!(sep.indicators.contraceptive_prevalence, Some(100.0));
    assert_eq!(sep.stock.age_bands.get("85+").unwrap().male, 1);
    assert_eq!(pop(&sep, "migrant_in"), (0, 0));
    assert_eq!(sep.stock.pregnant, 0);

    // Before the marriage A is not a married woman.
    assert_eq!(
        stock(&deltas, "", date(2025, 5, 31))
            .stock
            .married_women_15_49,
        0
    );
    // E turned three on 30 June 2024.
    assert_eq!(
        stock(&deltas, G1, date(2024, 6, 29)).stock.children_under_3,
        1
    );
    assert_eq!(
        stock(&deltas, G1, date(2024, 6, 30)).stock.children_under_3,
        0
    );
    // Today: the pregnancy ended with the birth.
    assert_eq!(stock(&deltas, "", TODAY).stock.pregnant, 0);
}

#[test]
fn a_move_takes_the_person_from_one_area_to_the_other_on_its_day() {
    let deltas = city();
    let in_g1 = |day| stock(&deltas, G1, day).population_total();
    let in_g2 = |day| stock(&deltas, G2, day).population_total();
    // March 2026: A, B and E in G1; D in G2.
    assert_eq!((in_g1(date(2026, 3, 31)), in_g2(date(2026, 3, 31))), (3, 1));
    assert_eq!((in_g1(date(2026, 4, 30)), in_g2(date(2026, 4, 30))), (2, 2));
    let april = flow(&deltas, G1, date(2026, 4, 1), date(2026, 4, 30));
    assert_eq!(april.flow.moves_out, 1);
    assert_eq!(
        flow(&deltas, G2, date(2026, 4, 1), date(2026, 4, 30))
            .flow
            .moves_out,
        0
    );
}

#[test]
fn flows_count_events_once_in_the_month_they_happened() {
    let deltas = city();
    let june25 = flow(&deltas, "", date(2025, 6, 1), date(2025, 6, 30));
    assert_eq!(
        june25.flow.marriages, 1,
        "one marriage between two people on the register"
    );
    let nov = flow(&deltas, "", date(2026, 11, 1), date(2026, 11, 30));
    assert_eq!(nov.flow.births.total, 1);
    assert_eq!(nov.flow.births.by_sex.male, 1);
    assert_eq!(nov.flow.births.by_order.get("1"), Some(1));
    assert_eq!(nov.flow.births.by_mother_type.get("resident"), Some(1));
    assert_eq!(nov.flow.low_birth_weight, 1);
    assert_eq!(
        nov.indicators.sex_ratio_at_birth, None,
        "no girls: no ratio"
    );
    let july = flow(&deltas, "", date(2026, 7, 1), date(2026, 7, 31));
    assert_eq!(july.flow.migrants_arrived, 1);
    let sep = flow(&deltas, "", date(2026, 9, 1), date(2026, 9, 30));
    assert_eq!(sep.flow.deaths, 1);
    // The death was recorded 76 days after it happened: late.
    assert_eq!(
        (
            sep.flow.reported_events.total,
            sep.flow.reported_events.on_time
        ),
        (1, 0)
    );
    assert_eq!(sep.indicators.timeliness, Some(0.0));
    assert_eq!(nov.indicators.timeliness, Some(100.0));
    // A's pregnancy was reported 32 days after it began, within its 90 days.
    let march = flow(&deltas, "", date(2026, 3, 1), date(2026, 3, 31));
    assert_eq!(march.indicators.timeliness, Some(100.0));
}

#[test]
fn a_29_february_birthday_comes_on_1_march_in_other_years() {
    assert_eq!(birthday(date(2000, 2, 29), 25), Some(date(2025, 3, 1)));
    assert_eq!(birthday(date(2000, 2, 29), 20), Some(date(2020, 2, 29)));
    assert_eq!(birthday(date(1990, 5, 10), 15), Some(date(2005, 5, 10)));
    let deltas = city();
    // C turned 25 on 1 March 2025 but was not here yet; she arrived at 26.
    let c_age: Vec<_> = deltas
        .iter()
        .filter(|d| {
            matches!(d.cell, Cell::Age(..))
                && d.area.as_str() == G2
                && d.on.year() == 2026
                && d.on.month() == 7
        })
        .collect();
    assert_eq!(c_age.len(), 1);
}

#[test]
fn ratios_round_to_one_decimal() {
    use super::figures::percent;
    assert_eq!(percent(107, 100), Some(107.0));
    assert_eq!(percent(2, 3), Some(66.7));
    assert_eq!(percent(1, 8), Some(12.5));
    assert_eq!(percent(1, 0), None);
}
