//! The register of people: areas, records, corrections, transactions, bulk loads, lists.

use jiff::civil::date;
use renkou_core::*;
use renkou_store::{PersonFilter, Store, StoreError};

use crate::helpers::*;

#[test]
fn opening_twice_migrates_once() {
    for b in backends() {
        Store::open(&b.url).unwrap();
        let mut again = Store::open(&b.url).unwrap();
        assert!(again.areas(None).unwrap().is_empty());
    }
}

#[test]
fn the_area_tree_is_a_prefix_tree() {
    each_backend(|s| {
        let under: Vec<String> = s
            .areas(Some(&AreaCode::parse("340705001").unwrap()))
            .unwrap()
            .iter()
            .map(|a| a.code.to_string())
            .collect();
        assert_eq!(
            under,
            [
                "340705001",
                "340705001001",
                "340705001001001",
                "340705001002"
            ]
        );
        assert_eq!(s.areas(None).unwrap().len(), 7);
        // Renaming keeps one row.
        s.upsert_areas(&[area("340705001002", "青龙第二居委会")])
            .unwrap();
        assert_eq!(
            s.area(&AreaCode::parse(C2).unwrap()).unwrap().unwrap().name,
            "青龙第二居委会"
        );
        // An orphan is refused and nothing of the batch is written.
        let err = s
            .upsert_areas(&[
                area("340705003", "新中心"),
                area("340705009001", "孤儿居委会"),
            ])
            .unwrap_err();
        assert!(err.to_string().contains("340705009"), "{err}");
        assert!(
            s.area(&AreaCode::parse("340705003").unwrap())
                .unwrap()
                .is_none()
        );
    });
}

#[test]
fn a_person_round_trips_with_every_field() {
    each_backend(|s| {
        let mut d = woman(1);
        d.name = PersonName::parse("王𪚥").unwrap();
        d.population_type = PopulationType::MigrantIn;
        d.arrival_date = Some(date(2024, 3, 5));
        d.origin_or_destination = Some("江苏省南京市".into());
        d.ethnicity = Ethnicity::Hui;
        let id = s.add_person(d.clone(), "test", TODAY).unwrap();
        let p = s.person(id).unwrap().unwrap();
        assert_eq!(p.data, d);
        assert_eq!(p.status, PersonStatus::Active);
        assert_eq!(
            s.person_by_id_number(&d.id_number.unwrap())
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert_eq!(kinds(s, id), [EventKind::Registered]);
    });
}

#[test]
fn the_same_id_number_cannot_be_registered_twice() {
    each_backend(|s| {
        s.add_person(woman(1), "test", TODAY).unwrap();
        let err = s.add_person(woman(1), "test", TODAY).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateIdNumber(_)), "{err}");
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 1);
    });
}

#[test]
fn a_person_must_live_in_a_known_area() {
    each_backend(|s| {
        let mut d = woman(1);
        d.area_code = AreaCode::parse("340705001009").unwrap();
        let err = s.add_person(d, "test", TODAY).unwrap_err();
        assert!(err.to_string().contains("不在区划表中"), "{err}");
    });
}

#[test]
fn a_correction_records_what_changed() {
    each_backend(|s| {
        let id = s.add_person(woman(1), "test", TODAY).unwrap();
        let mut d = woman(1);
        d.phone = Some(Phone::parse("13900001111").unwrap());
        d.address = Some("长江路2号".into());
        assert!(
            s.update_person(id, d.clone(), "test", TODAY, Some("本人来电".into()))
                .unwrap()
        );
        assert!(
            !s.update_person(id, d, "test", TODAY, None).unwrap(),
            "no change, no event"
        );
        let timeline = s.timeline(id).unwrap();
        assert_eq!(timeline.len(), 2);
        let fields: Vec<_> = timeline[1]
            .detail
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["phone", "address"]);
        assert_eq!(timeline[1].detail.changes[1].after, "长江路2号");
    });
}

#[test]
fn a_failed_transaction_leaves_nothing() {
    each_backend(|s| {
        let result: Result<(), StoreError> = s.transaction(|tx| {
            tx.add_person(woman(1), "test", TODAY)?;
            tx.add_person(man(1), "test", TODAY)?;
            tx.add_person(woman(1), "test", TODAY)?; // duplicate: the whole batch goes
            Ok(())
        });
        assert!(result.is_err());
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 0);
    });
}

#[test]
fn bulk_loads_into_empty_and_filled_registers_keep_the_indexes() {
    each_backend(|s| {
        let first: Vec<PersonData> = (0..300)
            .map(|i| {
                data(
                    "赵敏",
                    Sex::Female,
                    date(1990, 1, 1),
                    i,
                    &format!("B{i}"),
                    Relation::Head,
                    G1,
                )
            })
            .collect();
        let n = s
            .transaction(|tx| tx.add_many(&mut first.into_iter(), "import", TODAY, &mut || {}))
            .unwrap();
        assert_eq!(n, 300);
        let second: Vec<PersonData> = (0..200)
            .map(|i| {
                data(
                    "钱伟",
                    Sex::Male,
                    date(1991, 1, 1),
                    i,
                    &format!("C{i}"),
                    Relation::Head,
                    C2,
                )
            })
            .collect();
        s.transaction(|tx| tx.add_many(&mut second.into_iter(), "import", TODAY, &mut || {}))
            .unwrap();
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 500);
        // The unique index was rebuilt: a duplicate is still refused.
        let dup = data(
            "赵敏",
            Sex::Female,
            date(1990, 1, 1),
            5,
            "X",
            Relation::Head,
            G1,
        );
        let err = s
            .transaction(|tx| tx.add_many(&mut std::iter::once(dup), "import", TODAY, &mut || {}))
            .unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err}");
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 500);
        let someone = s
            .persons(&PersonFilter::default(), None, 1)
            .unwrap()
            .remove(0);
        assert_eq!(kinds(s, someone.id), [EventKind::Registered]);
        let p = s
            .person_by_id_number(&IdNumber::from_parts("340705", date(1991, 1, 1), 7).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(p.data.household_no.as_str(), "C3");
    });
}

#[test]
fn filters_and_keyset_pages() {
    each_backend(|s| {
        let people: Vec<PersonData> = (0..30)
            .map(|i| {
                let (sex, area) = if i % 3 == 0 {
                    (Sex::Male, C2)
                } else {
                    (Sex::Female, G1)
                };
                data(
                    "孙丽",
                    sex,
                    date(1980, 1, 1),
                    i,
                    &format!("F{i}"),
                    Relation::Head,
                    area,
                )
            })
            .collect();
        s.transaction(|tx| tx.add_many(&mut people.into_iter(), "import", TODAY, &mut || {}))
            .unwrap();
        let in_c1 = PersonFilter {
            area: Some(AreaCode::parse("340705001001").unwrap()),
            ..Default::default()
        };
        assert_eq!(s.count_persons(&in_c1).unwrap(), 20);
        let men = PersonFilter {
            sex: Some(Sex::Male),
            ..Default::default()
        };
        assert_eq!(s.count_persons(&men).unwrap(), 10);
        let other = PersonFilter {
            area: Some(AreaCode::parse("340705002").unwrap()),
            ..Default::default()
        };
        assert_eq!(s.count_persons(&other).unwrap(), 0);
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = s.persons(&in_c1, after, 7).unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|p| p.id);
            seen.extend(page.into_iter().map(|p| p.id));
        }
        assert_eq!(seen.len(), 20);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        let mut streamed = 0;
        s.each_person(&in_c1, &mut |_| {
            streamed += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(streamed, 20);
    });
}

/// What an import matches people by when a file row lacks an ID number (name, birth date,
/// household), and the household numbers a spreadsheet would shorten.
#[test]
fn children_without_an_id_number_and_zero_led_households_are_found() {
    each_backend(|s| {
        let mut child = data(
            "王小宝",
            Sex::Male,
            date(2021, 6, 1),
            1,
            "0012",
            Relation::Son,
            G1,
        );
        child.id_number = None;
        let id = s.add_person(child.clone(), "test", TODAY).unwrap();
        s.add_person(woman(1), "test", TODAY).unwrap();
        let found = s.persons_without_id_number().unwrap();
        assert_eq!(
            found.get(&("王小宝".to_string(), date(2021, 6, 1), "0012".to_string())),
            Some(&vec![id])
        );
        assert_eq!(found.len(), 1, "people with an ID number are matched by it");
        let zeros = s.zero_led_households().unwrap();
        assert_eq!(zeros.get("12").map(String::as_str), Some("0012"));
        assert!(!zeros.contains_key("H0001"));
        // Once "12" is a household of its own, "12" in a file is that household.
        let mut neighbour = man(2);
        neighbour.household_no = HouseholdNo::parse("12").unwrap();
        s.add_person(neighbour, "test", TODAY).unwrap();
        assert!(!s.zero_led_households().unwrap().contains_key("12"));
    });
}
