//! The tallies behind the list counts (migration 0006) after a history of every kind of change:
//! loads into an empty and a full register, forms, events (pregnancy, marriage, moves, death),
//! corrections of every tallied field. They must equal a count of the register, and every list
//! count read from them must equal the number of people the list shows.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use renkou_core::*;
use renkou_store::{PersonFilter, PersonOrder, PersonSearch, Store};

use crate::helpers::*;

const AREAS: [&str; 5] = [G1, G2, C1, C2, OTHER_CENTRE];
const NAMES: [&str; 6] = ["王芳", "王强", "李娜", "张伟", "陈静", "刘洋"];

fn someone(dice: &mut Dice, seq: u16) -> PersonData {
    // Birth dates at the ends of the age bands the list offers are the ones that matter.
    let year = dice.pick(&[1936, 1937, 1976, 1977, 1990, 2010, 2011, 2023, 2024, 2026]);
    let born = date(year, 1, 1) + (dice.roll(330) as i64).days();
    let sex = dice.pick(&[Sex::Female, Sex::Male]);
    let mut d = data(
        dice.pick(&NAMES),
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
        d.arrival_date = Some(date(2025, 3, 5).max(born));
        d.origin_or_destination = Some("江苏省南京市".into());
    }
    if d.population_type == PopulationType::MigrantOut {
        d.leaving_date = Some(date(2025, 3, 5).max(born));
        d.origin_or_destination = Some("广东省深圳市".into());
    }
    d
}

/// A history of changes; `seq` starts the ID numbers' sequence (two histories, no repeats).
fn history(s: &mut Store, seed: u64, mut seq: u16) {
    let mut dice = Dice(seed);
    let mut next = |dice: &mut Dice| {
        seq += 1;
        someone(dice, seq)
    };
    let first: Vec<PersonData> = (0..30).map(|_| next(&mut dice)).collect();
    s.transaction(|tx| tx.add_many(&mut first.into_iter(), "import", TODAY, &mut || {}))
        .unwrap();
    let mut ids: Vec<PersonId> = (0..15)
        .filter_map(|_| s.add_person(next(&mut dice), "form", TODAY).ok())
        .collect();
    ids.extend((1..=30).map(PersonId));
    for _ in 0..60 {
        let id = dice.pick(&ids);
        let Some(p) = s.person(id).unwrap() else {
            continue;
        };
        let on = TODAY - (dice.roll(200) as i64).days();
        let mut event = match dice.roll(7) {
            0 => ev(EventKind::Marriage, on),
            1 => ev(EventKind::Divorce, on),
            2 => ev(EventKind::Pregnancy, on),
            3 => ev(EventKind::MoveOut, on),
            4 => ev(EventKind::MoveIn, on),
            5 => ev(EventKind::Death, on),
            _ => {
                // A correction of a tallied field: sex, birth date, area, type or name.
                let mut d = p.data.clone();
                match dice.roll(5) {
                    0 => d.sex = dice.pick(&[Sex::Female, Sex::Male]),
                    1 => d.birth_date -= 400.days(),
                    2 => d.area_code = AreaCode::parse(dice.pick(&AREAS)).unwrap(),
                    3 => d.marital_status = MaritalStatus::Divorced,
                    _ => d.name = PersonName::parse(dice.pick(&NAMES)).unwrap(),
                }
                // Refused corrections (a rule the new value breaks) change nothing.
                let _ = s.update_person(id, d, "form", TODAY, Some("更正".into()));
                continue;
            }
        };
        event.detail.note = Some("广东省深圳市".into());
        event.detail.to_area_code = Some(AreaCode::parse(dice.pick(&AREAS)).unwrap());
        // Events the register refuses (a man's pregnancy, moving in the resident) change nothing.
        let _ = s.record_event(id, event, "form", TODAY);
    }
    let second: Vec<PersonData> = (0..20).map(|_| next(&mut dice)).collect();
    s.transaction(|tx| tx.add_many(&mut second.into_iter(), "import", TODAY, &mut || {}))
        .unwrap();
}

/// Born from `from` to `to` years old on TODAY, as the list's age filter writes it.
fn aged(from: i16, to: i16) -> (Option<Date>, Option<Date>) {
    (
        Some(TODAY - (to as i64 + 1).years() + 1.day()),
        Some(TODAY - (from as i64).years()),
    )
}

fn filters() -> Vec<(&'static str, PersonFilter)> {
    let band = |from, to| {
        let (born_from, born_to) = aged(from, to);
        PersonFilter {
            born_from,
            born_to,
            ..Default::default()
        }
    };
    vec![
        ("全部", PersonFilter::default()),
        (
            "流出",
            PersonFilter {
                population_type: Some(PopulationType::MigrantOut),
                ..Default::default()
            },
        ),
        (
            "育龄妇女 + 已婚",
            PersonFilter {
                sex: Some(Sex::Female),
                marital_status: Some(MaritalStatus::Married),
                ..band(15, 49)
            },
        ),
        ("3岁以下", band(0, 2)),
        (
            "90岁以上",
            PersonFilter {
                born_to: aged(90, 90).1,
                ..Default::default()
            },
        ),
        ("一年之内", band(1, 1)),
        (
            "在孕",
            PersonFilter {
                pregnant: true,
                ..Default::default()
            },
        ),
        (
            "死亡",
            PersonFilter {
                status: Some(PersonStatus::Dead),
                ..Default::default()
            },
        ),
        (
            "所有状态 男",
            PersonFilter {
                all_statuses: true,
                sex: Some(Sex::Male),
                ..Default::default()
            },
        ),
        (
            "姓名 王",
            PersonFilter {
                search: PersonSearch::parse("王"),
                ..Default::default()
            },
        ),
        (
            "姓名 王 + 流入",
            PersonFilter {
                search: PersonSearch::parse("王"),
                population_type: Some(PopulationType::MigrantIn),
                ..Default::default()
            },
        ),
    ]
}

#[test]
fn tallies_equal_the_register_and_every_count_equals_the_list() {
    each_backend(|s| {
        s.upsert_areas(&[area(G2, "第2居委会第1小组")]).unwrap();
        for (seed, seq) in [(7, 0), (1_234_567, 200)] {
            history(s, seed, seq);
            assert_eq!(s.tally_difference().unwrap(), None, "seed {seed}");
        }
        let station = staff(s, "station", Role::Station, "340705");
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let officer = staff(s, "officer", Role::CommitteeOfficer, C1);
        let mut seen_any = 0;
        for actor in [&station, &centre, &officer] {
            for (name, f) in filters() {
                let shown = s.persons_page_as(actor, &f, PersonOrder::default(), 0, 1000);
                let counted = s.count_as(actor, &f);
                match (shown, counted) {
                    (Ok(shown), Ok(counted)) => {
                        assert_eq!(counted, shown.len() as u64, "{name} as {}", actor.username);
                        seen_any += counted;
                    }
                    // The pregnant, for an account without health data: refused both ways.
                    (Err(_), Err(_)) => assert!(f.pregnant, "{name} refused"),
                    (shown, counted) => panic!("{name}: {shown:?} {counted:?}"),
                }
            }
        }
        assert!(seen_any > 100, "the history leaves people to count");
    });
}
