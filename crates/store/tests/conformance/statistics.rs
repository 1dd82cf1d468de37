//! The statistics' counters after random histories: loads, forms, every kind of event in and
//! out of date order (back-dated ones change past months), corrections of every field that
//! moves a person between cells, moves and deaths, over days that pass (birthdays move people
//! between age bands with no change on their record). The counters must equal a rebuild, and
//! the report's rows must add up to its total.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use renkou_core::event::ChildBirth;
use renkou_core::stats::{Month, Period};
use renkou_core::*;
use renkou_store::{PersonFilter, Store, Who};
use serde_json::Value;

use crate::helpers::*;

const AREAS: [&str; 5] = [G1, G2, C1, C2, OTHER_CENTRE];

fn someone(dice: &mut Dice, seq: u16, today: Date) -> PersonData {
    // Birthdays near band ends and near today are the ones that move people between cells.
    let year = dice.pick(&[
        1940, 1941, 1975, 1976, 1977, 1990, 1996, 2004, 2011, 2021, 2025,
    ]);
    let born = (date(year, 1, 1) + (dice.roll(360) as i64).days()).min(today);
    let sex = dice.pick(&[Sex::Female, Sex::Female, Sex::Male]);
    let mut d = data(
        "张丽",
        sex,
        born,
        seq,
        &format!("H{:04}", 100 + seq),
        Relation::Head,
        dice.pick(&AREAS),
    );
    d.population_type = dice.pick(&[
        PopulationType::Resident,
        PopulationType::Resident,
        PopulationType::MigrantIn,
        PopulationType::MigrantOut,
    ]);
    if d.population_type == PopulationType::MigrantIn {
        d.arrival_date = Some((today - (dice.roll(700) as i64).days()).max(born));
        d.origin_or_destination = Some("江苏省南京市".into());
    }
    if d.population_type == PopulationType::MigrantOut {
        d.leaving_date = Some((today - (dice.roll(700) as i64).days()).max(born));
        d.origin_or_destination = Some("广东省深圳市".into());
    }
    if sex == Sex::Female && dice.roll(2) == 0 && born < date(2004, 1, 1) {
        d.marital_status = MaritalStatus::FirstMarriage;
    }
    d
}

fn event(dice: &mut Dice, s: &mut Store, p: &Person, ids: &[PersonId], on: Date) -> NewEvent {
    use EventKind as K;
    let kind = dice.pick(&[
        K::Marriage,
        K::Divorce,
        K::Remarriage,
        K::Pregnancy,
        K::PregnancyOutcome,
        K::Birth,
        K::ContraceptionStart,
        K::ContraceptionChange,
        K::ContraceptionStop,
        K::MoveIn,
        K::MoveOut,
        K::Death,
    ]);
    let mut e = ev(kind, on);
    let method = dice.pick(ContraceptionMethod::ALL);
    e.detail.method = Some(method);
    e.detail.outcome = Some(dice.pick(PregnancyOutcome::ALL));
    e.detail.note = Some("广东省深圳市".into());
    if dice.roll(2) == 0 {
        e.detail.to_area_code = Some(AreaCode::parse(dice.pick(&AREAS)).unwrap());
    }
    if kind == K::Birth {
        e.detail.child = Some(ChildBirth {
            name: Some("小明".into()),
            sex: Some(dice.pick(&[Sex::Male, Sex::Female])),
            birth_weight_g: Some(dice.pick(&[2100, 3300])),
            birth_defect: Some(dice.roll(5) == 0),
            ..ChildBirth::default()
        });
    }
    if matches!(kind, K::Marriage | K::Remarriage) && dice.roll(2) == 0 {
        // A spouse on the register: the marriage is counted once, on the wife's timeline.
        let other = dice.pick(ids);
        if let Ok(Some(o)) = s.person(other)
            && o.data.sex != p.data.sex
        {
            e.detail.spouse_id_number = o.data.id_number;
        }
    }
    e
}

fn history(s: &mut Store, seed: u64, mut seq: u16) -> Date {
    let mut dice = Dice(seed);
    let mut today = TODAY - 500.days();
    let mut next = |dice: &mut Dice, today| {
        seq += 1;
        someone(dice, seq, today)
    };
    let first: Vec<PersonData> = (0..40).map(|_| next(&mut dice, today)).collect();
    s.transaction(|tx| tx.add_many(&mut first.into_iter(), "import", today, &mut || {}))
        .unwrap();
    let mut ids: Vec<PersonId> = s
        .persons(
            &PersonFilter {
                all_statuses: true,
                ..Default::default()
            },
            None,
            1000,
        )
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    for step in 0..150 {
        // Days pass: birthdays happen between changes.
        today = (today + (dice.roll(4) as i64).days()).min(TODAY);
        if step % 30 == 0 {
            let more: Vec<PersonData> = (0..5).map(|_| next(&mut dice, today)).collect();
            s.transaction(|tx| tx.add_many(&mut more.into_iter(), "import", today, &mut || {}))
                .unwrap();
        }
        if step % 10 == 0 {
            if let Ok(id) = s.add_person(next(&mut dice, today), "form", today) {
                ids.push(id);
            }
            continue;
        }
        let id = dice.pick(&ids);
        let Some(p) = s.person(id).unwrap() else {
            continue;
        };
        // Out of date order: anything from two years back to today.
        let on = (today - (dice.roll(730) as i64).days()).max(p.data.birth_date);
        if dice.roll(5) == 0 {
            let mut d = p.data.clone();
            match dice.roll(5) {
                0 => d.sex = dice.pick(&[Sex::Female, Sex::Male]),
                1 => d.birth_date = (d.birth_date - (dice.roll(3000) as i64).days()).min(today),
                2 => d.area_code = AreaCode::parse(dice.pick(&AREAS)).unwrap(),
                3 => d.population_type = dice.pick(PopulationType::ALL),
                _ => d.marital_status = dice.pick(MaritalStatus::ALL),
            }
            let _ = s.update_person(id, d, "form", today, Some("更正".into()));
            continue;
        }
        let e = event(&mut dice, s, &p, &ids, on);
        // Events the register refuses change nothing.
        if s.record_event(id, e, "form", today).is_ok() {
            ids = s
                .persons(
                    &PersonFilter {
                        all_statuses: true,
                        ..Default::default()
                    },
                    None,
                    1000,
                )
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect();
        }
    }
    // The last change comes on TODAY, months after most of the history: a long roll.
    let last = next(&mut dice, TODAY);
    s.add_person(last, "form", TODAY).unwrap();
    TODAY
}

/// Adds every number under `v` into `sum`, path by path (indicators are not sums).
fn add_numbers(sum: &mut Value, v: &Value) {
    match (sum, v) {
        (Value::Object(s), Value::Object(o)) => {
            for (k, x) in o {
                if k == "indicators" || k == "area" {
                    continue;
                }
                add_numbers(s.entry(k.clone()).or_insert_with(|| x.clone()), x);
            }
        }
        (s @ Value::Number(_), Value::Number(x)) => {
            *s = (s.as_i64().unwrap() + x.as_i64().unwrap()).into();
        }
        _ => {}
    }
}

fn zeroed(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), zeroed(x))).collect()),
        Value::Number(_) => 0.into(),
        other => other.clone(),
    }
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

#[test]
fn counters_equal_a_rebuild_after_random_histories() {
    each_backend(|s| {
        s.upsert_areas(&[area(G2, "第2居委会第1小组")]).unwrap();
        for (seed, seq) in [(11, 0), (98_765, 300)] {
            let today = history(s, seed, seq);
            assert_eq!(s.stats_check(today).unwrap(), None, "seed {seed}");
        }
        // A rebuild changes nothing, and the counters stay equal to it.
        s.stats_rebuild(TODAY).unwrap();
        assert_eq!(s.stats_check(TODAY).unwrap(), None);
    });
}

#[test]
fn a_report_adds_up_and_counts_todays_register() {
    each_backend(|s| {
        s.upsert_areas(&[area(G2, "第2居委会第1小组")]).unwrap();
        let today = history(s, 4242, 600);
        let who = Who::Console("cli:test");
        let district = AreaCode::parse("340705").unwrap();
        let month = Period::Month(Month::of(today));
        for (area, period) in [
            (district.clone(), month),
            (AreaCode::parse(C1).unwrap(), month),
            (district.clone(), Period::parse("2026-Q3").unwrap()),
            (district.clone(), Period::parse("2025").unwrap()),
        ] {
            let r = s.stats_report(who, Some(&area), period, today).unwrap();
            let total = serde_json::to_value(&r.total).unwrap();
            let mut sum = zeroed(&total);
            for row in &r.rows {
                add_numbers(&mut sum, &serde_json::to_value(row).unwrap());
            }
            assert_eq!(
                without(&sum, &["indicators", "area"]),
                without(&total, &["indicators", "area"]),
                "{area} {period}: the rows add up to the total"
            );
        }
        // This month's stock is today's register: everyone active, by type.
        let r = s.stats_report(who, Some(&district), month, today).unwrap();
        let active = s.count_persons(&PersonFilter::default()).unwrap();
        assert_eq!(r.total.figures.population_total() as u64, active);
        let migrants = s
            .count_persons(&PersonFilter {
                population_type: Some(PopulationType::MigrantIn),
                ..Default::default()
            })
            .unwrap();
        let counted = r.total.figures.stock.population.get("migrant_in").unwrap();
        assert_eq!(counted.total() as u64, migrants);
        assert!(r.rows.len() >= 2, "a row per centre");
        assert!(
            s.stats_report(
                who,
                Some(&district),
                Period::parse("2019-12").unwrap(),
                today
            )
            .is_err(),
            "before the counters' base year"
        );
    });
}

#[test]
fn a_closed_month_keeps_its_submitted_figures_and_shows_what_came_later() {
    each_backend(|s| {
        let who = Who::Console("cli:station");
        let district = AreaCode::parse("340705").unwrap();
        let october = Month {
            year: 2026,
            month: 10,
        };
        let her = s.add_person(woman(1), "form", date(2026, 10, 20)).unwrap();
        // The deadline is the 5th of the next month: not before the 6th.
        let early = s.stats_close(who, Some(&district), october, date(2026, 11, 5));
        assert!(early.is_err(), "{early:?}");
        s.stats_close(who, Some(&district), october, date(2026, 11, 6))
            .unwrap();
        assert!(
            s.stats_close(who, Some(&district), october, date(2026, 11, 7))
                .is_err(),
            "closed once"
        );
        // A birth in October reported late changes October's current figures, not what was
        // submitted.
        s.record_event(
            her,
            ev(EventKind::Pregnancy, date(2026, 2, 1)),
            "form",
            date(2026, 11, 20),
        )
        .unwrap();
        let mut birth = ev(EventKind::Birth, date(2026, 10, 30));
        birth.detail.child = Some(ChildBirth {
            name: Some("小雨".into()),
            sex: Some(Sex::Female),
            ..ChildBirth::default()
        });
        s.record_event(her, birth, "form", date(2026, 11, 20))
            .unwrap();
        let r = s
            .stats_report(
                who,
                Some(&district),
                Period::Month(october),
                date(2026, 11, 20),
            )
            .unwrap();
        let submitted = r.submitted.expect("October is closed");
        assert_eq!(submitted.by, "cli:station");
        assert_eq!(submitted.total.figures.flow.births.total, 0);
        assert_eq!(submitted.total.figures.population_total(), 1);
        assert_eq!(r.total.figures.flow.births.total, 1);
        assert_eq!(
            r.total.figures.population_total(),
            2,
            "the girl, from her birth"
        );
        // Reopening needs a reason; then the month is open again.
        assert!(s.stats_reopen(who, Some(&district), october, "  ").is_err());
        s.stats_reopen(who, Some(&district), october, "迟报出生一例")
            .unwrap();
        let r = s
            .stats_report(
                who,
                Some(&district),
                Period::Month(october),
                date(2026, 11, 20),
            )
            .unwrap();
        assert!(r.submitted.is_none());
        assert!(
            s.stats_reopen(who, Some(&district), october, "再次")
                .is_err(),
            "not closed"
        );
    });
}
