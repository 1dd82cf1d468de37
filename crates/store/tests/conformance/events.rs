//! Events: marriage, birth, contraception, moves, and a history the database keeps.

use jiff::civil::date;
use renkou_core::event::ChildBirth;
use renkou_core::*;
use renkou_store::Store;

use crate::helpers::*;

#[test]
fn marriage_divorce_and_death_keep_both_spouses_right() {
    each_backend(|s| {
        let her = s.add_person(woman(1), "test", TODAY).unwrap();
        let him = s.add_person(man(1), "test", TODAY).unwrap();
        let his_id = s.person(him).unwrap().unwrap().data.id_number.unwrap();
        let mut marriage = ev(EventKind::Marriage, date(2020, 5, 1));
        marriage.detail.spouse_id_number = Some(his_id);
        s.record_event(her, marriage, "test", TODAY).unwrap();
        let (h, m) = (
            s.person(her).unwrap().unwrap(),
            s.person(him).unwrap().unwrap(),
        );
        assert_eq!(h.data.marital_status, MaritalStatus::FirstMarriage);
        assert_eq!(m.data.marital_status, MaritalStatus::FirstMarriage);
        assert_eq!((h.spouse_id, m.spouse_id), (Some(him), Some(her)));
        // The timeline is in the order things happened: the 2020 marriage before the 2026 entry.
        assert_eq!(kinds(s, him), [EventKind::Marriage, EventKind::Registered]);

        // Marrying again while married is refused and changes nothing.
        let err = s
            .record_event(
                her,
                ev(EventKind::Marriage, date(2021, 1, 1)),
                "test",
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("已婚"), "{err}");
        assert_eq!(s.timeline(her).unwrap().len(), 2);

        s.record_event(him, ev(EventKind::Death, date(2025, 2, 3)), "test", TODAY)
            .unwrap();
        let h = s.person(her).unwrap().unwrap();
        assert_eq!(h.data.marital_status, MaritalStatus::Widowed);
        assert_eq!(s.person(him).unwrap().unwrap().status, PersonStatus::Dead);
        let err = s
            .record_event(him, ev(EventKind::MoveOut, date(2025, 3, 1)), "test", TODAY)
            .unwrap_err();
        assert!(err.to_string().contains("死亡"), "{err}");

        s.record_event(
            her,
            ev(EventKind::Remarriage, date(2026, 1, 1)),
            "test",
            TODAY,
        )
        .unwrap();
        assert_eq!(
            s.person(her).unwrap().unwrap().data.marital_status,
            MaritalStatus::Remarried
        );
    });
}

#[test]
fn a_birth_puts_the_child_on_the_mothers_household() {
    each_backend(|s| {
        let mother = s.add_person(woman(1), "test", TODAY).unwrap();
        s.record_event(
            mother,
            ev(EventKind::Pregnancy, date(2025, 6, 1)),
            "test",
            TODAY,
        )
        .unwrap();
        assert!(s.person(mother).unwrap().unwrap().pregnant);
        let mut birth = ev(EventKind::Birth, date(2026, 2, 20));
        birth.detail.child = Some(ChildBirth {
            name: Some("李小满".into()),
            sex: Some(Sex::Female),
            birth_weight_g: Some(3250),
            ..Default::default()
        });
        let recorded = s.record_event(mother, birth, "test", TODAY).unwrap();
        let child_id = recorded
            .detail
            .child
            .as_ref()
            .unwrap()
            .child_id
            .expect("child linked");
        assert_eq!(recorded.detail.child.as_ref().unwrap().birth_order, Some(1));
        let child = s.person(child_id).unwrap().unwrap();
        assert_eq!(child.data.id_number, None);
        assert_eq!(child.data.birth_date, date(2026, 2, 20));
        assert_eq!(child.data.household_no.as_str(), "H0001");
        assert_eq!(child.data.relation, Relation::Daughter);
        assert_eq!(child.mother_id, Some(mother));
        assert!(!s.person(mother).unwrap().unwrap().pregnant);
        assert_eq!(s.household("H0001").unwrap().len(), 2);

        let mut second = ev(EventKind::Birth, date(2026, 11, 1));
        second.detail.child = Some(ChildBirth {
            sex: Some(Sex::Male),
            ..Default::default()
        });
        let recorded = s.record_event(mother, second, "test", TODAY).unwrap();
        assert_eq!(recorded.detail.child.unwrap().birth_order, Some(2));
    });
}

#[test]
fn contraception_and_pregnancy_follow_their_rules() {
    each_backend(|s| {
        let her = s.add_person(woman(1), "test", TODAY).unwrap();
        let mut start = ev(EventKind::ContraceptionStart, date(2024, 1, 1));
        start.detail.method = Some(ContraceptionMethod::Iud);
        s.record_event(her, start.clone(), "test", TODAY).unwrap();
        assert!(
            s.record_event(her, start, "test", TODAY)
                .unwrap_err()
                .to_string()
                .contains("避孕变更")
        );
        let mut change = ev(EventKind::ContraceptionChange, date(2025, 1, 1));
        change.detail.method = Some(ContraceptionMethod::Implant);
        s.record_event(her, change, "test", TODAY).unwrap();
        assert_eq!(
            s.person(her).unwrap().unwrap().contraception,
            Some(ContraceptionMethod::Implant)
        );
        s.record_event(
            her,
            ev(EventKind::ContraceptionStop, date(2025, 6, 1)),
            "test",
            TODAY,
        )
        .unwrap();
        assert_eq!(s.person(her).unwrap().unwrap().contraception, None);

        assert!(
            s.record_event(
                her,
                ev(EventKind::PregnancyOutcome, date(2025, 7, 1)),
                "test",
                TODAY
            )
            .is_err()
        );
        let him = s.add_person(man(1), "test", TODAY).unwrap();
        assert!(
            s.record_event(
                him,
                ev(EventKind::Pregnancy, date(2025, 7, 1)),
                "test",
                TODAY
            )
            .is_err()
        );
    });
}

#[test]
fn moves_change_where_and_what_kind_of_resident() {
    each_backend(|s| {
        let her = s.add_person(woman(1), "test", TODAY).unwrap();
        let mut out = ev(EventKind::MoveOut, date(2025, 3, 1));
        out.detail.note = Some("广东省深圳市".into());
        s.record_event(her, out, "test", TODAY).unwrap();
        let p = s.person(her).unwrap().unwrap();
        assert_eq!(p.data.population_type, PopulationType::MigrantOut);
        assert_eq!(p.data.leaving_date, Some(date(2025, 3, 1)));
        let mut back = ev(EventKind::MoveIn, date(2026, 1, 10));
        back.detail.to_area_code = Some(AreaCode::parse(OTHER_CENTRE).unwrap());
        s.record_event(her, back, "test", TODAY).unwrap();
        let p = s.person(her).unwrap().unwrap();
        assert_eq!(p.data.population_type, PopulationType::Resident);
        assert_eq!(p.data.area_code.as_str(), OTHER_CENTRE);
        let mut nowhere = ev(EventKind::MoveOut, date(2026, 2, 1));
        nowhere.detail.to_area_code = Some(AreaCode::parse("340705001009").unwrap());
        assert!(
            s.record_event(her, nowhere, "test", TODAY)
                .unwrap_err()
                .to_string()
                .contains("不在区划表中")
        );
    });
}

#[test]
fn the_database_refuses_to_rewrite_history() {
    for b in backends() {
        let mut s = Store::open(&b.url).unwrap();
        s.upsert_areas(&tree()).unwrap();
        s.add_person(woman(1), "test", TODAY).unwrap();
        let refused = match b.name {
            "sqlite" => {
                let c = rusqlite_open(&b.url);
                c.execute("UPDATE events SET kind = 'death'", []).is_err()
                    && c.execute("DELETE FROM events", []).is_err()
            }
            _ => {
                let mut c = postgres::Client::connect(&b.url, postgres::NoTls).unwrap();
                c.execute("UPDATE events SET kind = 'death'", &[]).is_err()
                    && c.execute("DELETE FROM events", &[]).is_err()
            }
        };
        assert!(refused, "{}: events must be append-only", b.name);
    }
}

#[test]
fn links_are_made_by_the_register_not_claimed_by_the_caller() {
    each_backend(|s| {
        let her = s.add_person(woman(1), "test", TODAY).unwrap();
        let stranger = s.add_person(man(1), "test", TODAY).unwrap();
        let mut marriage = ev(EventKind::Marriage, date(2020, 5, 1));
        marriage.detail.spouse_id = Some(stranger); // not a spouse the register found
        let recorded = s.record_event(her, marriage, "test", TODAY).unwrap();
        assert_eq!(recorded.detail.spouse_id, None);
        assert_eq!(s.person(her).unwrap().unwrap().spouse_id, None);
        let him = s.person(stranger).unwrap().unwrap();
        assert_eq!(him.data.marital_status, MaritalStatus::Unmarried);
    });
}
