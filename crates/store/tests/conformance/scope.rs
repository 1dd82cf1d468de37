//! An account's scope: who it sees, searches and changes.

use jiff::civil::date;
use renkou_core::audit::AuditAction;
use renkou_core::*;
use renkou_store::{AuditCheck, PersonFilter, PersonSearch, Store, StoreError};

use crate::helpers::*;

/// Who a list shows (lists run in area order; these tests are about who, so sorted by id).
fn ids_for(s: &mut Store, actor: &Actor, filter: &PersonFilter) -> Vec<PersonId> {
    let mut ids: Vec<PersonId> = s
        .persons_as(actor, filter, None, 100)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    ids.sort();
    ids
}

fn searching(text: &str) -> PersonFilter {
    PersonFilter {
        search: PersonSearch::parse(text),
        ..Default::default()
    }
}

#[test]
fn an_account_sees_and_changes_only_its_own_people() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let everyone = PersonFilter::default();

        // Lists and counts: committee A's people only.
        assert_eq!(
            ids_for(s, &officer, &everyone),
            [p.a_woman, p.a_man, p.a_migrant]
        );
        assert_eq!(s.count_as(&officer, &everyone).unwrap(), 3);
        let in_b = PersonFilter {
            area: Some(AreaCode::parse(C2).unwrap()),
            ..Default::default()
        };
        assert!(ids_for(s, &officer, &in_b).is_empty());
        assert_eq!(s.count_as(&officer, &in_b).unwrap(), 0);
        // Asking for the whole centre is narrowed to the committee.
        let whole_centre = PersonFilter {
            area: Some(AreaCode::parse(CENTRE).unwrap()),
            ..Default::default()
        };
        assert_eq!(s.count_as(&officer, &whole_centre).unwrap(), 3);
        let in_group = PersonFilter {
            area: Some(AreaCode::parse(G1).unwrap()),
            ..Default::default()
        };
        assert_eq!(ids_for(s, &officer, &in_group), [p.a_woman]);
        // Keyset pages follow the list's (area, id) order and stay in scope.
        let order: Vec<PersonId> = s
            .persons_as(&officer, &everyone, None, 100)
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(order.len(), 3);
        for pair in order.windows(2) {
            let page = s.persons_as(&officer, &everyone, Some(pair[0]), 1).unwrap();
            assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), [pair[1]]);
        }
        assert!(
            s.persons_as(&officer, &everyone, Some(order[2]), 10)
                .unwrap()
                .is_empty()
        );
        // A household spanning two committees shows only this committee's members.
        let household: Vec<PersonId> = s
            .household_as(&officer, "H0002")
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(household, [p.a_man]);
        assert_eq!(s.household("H0002").unwrap().len(), 2);

        // A whole record out of reach reads exactly like one that does not exist, and the
        // attempt is audited as denied.
        let err = s.view_person(&officer, p.b_woman).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let missing = s.view_person(&officer, PersonId(987_654)).unwrap_err();
        assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
        assert_eq!(
            err.to_string().replace(&p.b_woman.to_string(), "#"),
            missing.to_string().replace("987654", "#")
        );
        let denied = audit_of(s, AuditAction::PersonView, &p.b_woman.to_string());
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].result, "denied");
        assert_eq!(denied[0].username.as_deref(), Some("officer.a"));
        assert_eq!(denied[0].account_id, Some(officer.scope.account_id));
        assert_eq!(denied[0].source, "10.0.0.7");
        // Its own person: the whole record and timeline, audited as a view.
        let (person, events) = s.view_person(&officer, p.a_woman).unwrap();
        assert_eq!(person.id, p.a_woman);
        assert_eq!(person.data.phone.unwrap().as_str(), "13900000001");
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EventKind::Registered]
        );
        let viewed = audit_of(s, AuditAction::PersonView, &p.a_woman.to_string());
        assert_eq!(viewed.len(), 1);
        assert_eq!(viewed[0].result, "ok");
        assert_eq!(viewed[0].object_kind, "person");
        // Lists write no audit rows.
        let before = all_audit(s).len();
        s.persons_as(&officer, &everyone, None, 10).unwrap();
        s.count_as(&officer, &everyone).unwrap();
        assert_eq!(all_audit(s).len(), before);

        // Adding someone outside the committee is refused on the area, and audited.
        let mut outside = man(9);
        outside.area_code = AreaCode::parse(G2).unwrap();
        let err = s.add_person_as(&officer, outside, TODAY).unwrap_err();
        assert_eq!(field_of(&err), ["area_code"], "{err}");
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 7);
        let rows = all_audit(s);
        assert_eq!(
            (rows[0].action.as_str(), rows[0].result.as_str()),
            ("person.add", "denied")
        );
        assert_eq!(rows[0].object_id.as_deref(), Some(G2));
        // Inside it is fine.
        let added = s.add_person_as(&officer, man(8), TODAY).unwrap();
        let added_row = audit_of(s, AuditAction::PersonAdd, &added.to_string());
        assert_eq!(added_row.len(), 1);
        assert_eq!(added_row[0].result, "ok");
        assert_eq!(s.count_as(&officer, &everyone).unwrap(), 4);

        // Correcting: not someone out of reach, and not moving someone out of reach.
        let mut b_data = s.person(p.b_woman).unwrap().unwrap().data;
        b_data.address = Some("改了".into());
        let err = s
            .update_person_as(&officer, p.b_woman, b_data, TODAY, None)
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let denied = audit_of(s, AuditAction::PersonUpdate, &p.b_woman.to_string());
        assert_eq!(denied[0].result, "denied");
        assert_ne!(
            s.person(p.b_woman)
                .unwrap()
                .unwrap()
                .data
                .address
                .as_deref(),
            Some("改了")
        );
        let mut moved = s.person(p.a_woman).unwrap().unwrap().data;
        moved.area_code = AreaCode::parse(G2).unwrap();
        let err = s
            .update_person_as(&officer, p.a_woman, moved, TODAY, None)
            .unwrap_err();
        assert_eq!(field_of(&err), ["area_code"], "{err}");
        assert_eq!(
            s.person(p.a_woman)
                .unwrap()
                .unwrap()
                .data
                .area_code
                .as_str(),
            G1
        );
        let mut fixed = s.person(p.a_woman).unwrap().unwrap().data;
        fixed.address = Some("长江路9号".into());
        // A correction without its reason is refused, naming the field, and changes nothing.
        let err = s
            .update_person_as(&officer, p.a_woman, fixed.clone(), TODAY, None)
            .unwrap_err();
        assert_eq!(field_of(&err), ["note"], "{err}");
        assert_ne!(
            s.person(p.a_woman)
                .unwrap()
                .unwrap()
                .data
                .address
                .as_deref(),
            Some("长江路9号")
        );
        assert!(
            s.update_person_as(
                &officer,
                p.a_woman,
                fixed,
                TODAY,
                Some("本人持户口簿来核对".into())
            )
            .unwrap()
        );
        assert_eq!(
            audit_of(s, AuditAction::PersonUpdate, &p.a_woman.to_string())[0].result,
            "ok"
        );

        // A centre sees both of its committees, not the other centre.
        let centre = staff(s, "centre.q", Role::Centre, CENTRE);
        assert_eq!(s.count_as(&centre, &everyone).unwrap(), 7);
        assert!(!ids_for(s, &centre, &everyone).contains(&p.elsewhere));
        let err = s.view_person(&centre, p.elsewhere).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");

        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact {
                rows: all_audit(s).len() as u64
            }
        );
    });
}

#[test]
fn roles_narrow_what_an_account_may_see_and_do() {
    each_backend(|s| {
        let p = town(s);
        let everyone = PersonFilter::default();

        // A migrant coordinator of the centre: the migrants, none of the residents.
        let coordinator = staff(s, "migrant.q", Role::MigrantCoordinator, CENTRE);
        assert_eq!(
            ids_for(s, &coordinator, &everyone),
            [p.a_migrant, p.b_migrant]
        );
        assert_eq!(s.count_as(&coordinator, &everyone).unwrap(), 2);
        let residents = PersonFilter {
            population_type: Some(PopulationType::Resident),
            ..Default::default()
        };
        assert!(ids_for(s, &coordinator, &residents).is_empty());
        assert_eq!(s.count_as(&coordinator, &residents).unwrap(), 0);
        assert!(ids_for(s, &coordinator, &searching("李")).is_empty());
        assert_eq!(ids_for(s, &coordinator, &searching("陈")), [p.b_migrant]);
        let err = s.view_person(&coordinator, p.a_woman).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert_eq!(
            audit_of(s, AuditAction::PersonView, &p.a_woman.to_string())[0].result,
            "denied"
        );
        assert!(s.view_person(&coordinator, p.a_migrant).is_ok());
        // …and may not register a resident even in its own area.
        let err = s.add_person_as(&coordinator, man(7), TODAY).unwrap_err();
        assert_eq!(field_of(&err), ["population_type"], "{err}");

        // A group leader: the group's people; reports events, corrects nothing.
        let leader = staff(s, "leader.g1", Role::GroupLeader, G1);
        assert_eq!(ids_for(s, &leader, &everyone), [p.a_woman]);
        let mut d = s.person(p.a_woman).unwrap().unwrap().data;
        d.address = Some("长江路3号".into());
        let err = s
            .update_person_as(&leader, p.a_woman, d, TODAY, None)
            .unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let rows = all_audit(s);
        assert_eq!(
            (
                rows[0].action.as_str(),
                rows[0].result.as_str(),
                rows[0].username.as_deref()
            ),
            ("person.update", "denied", Some("leader.g1"))
        );
        let err = s.add_person_as(&leader, man(7), TODAY).unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        assert_eq!(all_audit(s)[0].action, "person.add");
        assert_eq!(all_audit(s)[0].result, "denied");
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 7);
        // The events a group leader reports, and not the others.
        let pregnancy = s
            .record_event_as(
                &leader,
                p.a_woman,
                ev(EventKind::Pregnancy, date(2026, 9, 1)),
                TODAY,
            )
            .unwrap();
        assert_eq!(pregnancy.recorded_by, "leader.g1");
        assert!(s.person(p.a_woman).unwrap().unwrap().pregnant);
        let recorded = audit_of(s, AuditAction::EventRecord, &p.a_woman.to_string());
        assert_eq!(recorded[0].result, "ok");
        let err = s
            .record_event_as(
                &leader,
                p.a_woman,
                ev(EventKind::MoveOut, date(2026, 10, 1)),
                TODAY,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let err = s
            .record_event_as(
                &leader,
                p.b_woman,
                ev(EventKind::Pregnancy, date(2026, 9, 1)),
                TODAY,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert!(!s.person(p.b_woman).unwrap().unwrap().pregnant);

        // Administrators see no one.
        let admin = staff(s, "sys.admin", Role::SystemAdmin, "340705");
        let err = s.persons_as(&admin, &everyone, None, 10).unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let err = s.count_as(&admin, &everyone).unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let err = s.view_person(&admin, p.a_woman).unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let rows = all_audit(s);
        assert!(
            rows[..3]
                .iter()
                .all(|r| r.result == "denied" && r.username.as_deref() == Some("sys.admin"))
        );

        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact {
                rows: all_audit(s).len() as u64
            }
        );
    });
}

#[test]
fn search_finds_the_right_person_within_scope_only() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let centre = staff(s, "centre.q", Role::Centre, CENTRE);
        let id_of = |s: &mut Store, id: PersonId| {
            s.person(id)
                .unwrap()
                .unwrap()
                .data
                .id_number
                .unwrap()
                .to_string()
        };

        // A name prefix: 李秀兰 in A; 李梅 in B; 李娜 at the other centre.
        assert_eq!(ids_for(s, &officer, &searching("李")), [p.a_woman]);
        assert_eq!(ids_for(s, &officer, &searching("李秀")), [p.a_woman]);
        assert_eq!(ids_for(s, &officer, &searching(" 李秀兰 ")), [p.a_woman]);
        assert!(ids_for(s, &officer, &searching("秀兰")).is_empty());
        assert!(ids_for(s, &officer, &searching("李梅")).is_empty());
        assert_eq!(
            ids_for(s, &centre, &searching("李")),
            [p.a_woman, p.b_woman]
        );
        assert_eq!(
            ids_for(s, &centre, &searching("王")),
            [p.a_man, p.b_man_same_household]
        );
        assert_eq!(s.count_as(&centre, &searching("李")).unwrap(), 2);
        assert_eq!(s.count_as(&officer, &searching("李")).unwrap(), 1);

        // A whole ID number.
        let a_id = id_of(s, p.a_man);
        let b_id = id_of(s, p.b_woman);
        assert_eq!(ids_for(s, &officer, &searching(&a_id)), [p.a_man]);
        assert!(ids_for(s, &officer, &searching(&b_id)).is_empty());
        assert_eq!(ids_for(s, &centre, &searching(&b_id)), [p.b_woman]);
        // The start of one (birth date included).
        assert_eq!(ids_for(s, &officer, &searching(&a_id[..14])), [p.a_man]);
        // Fewer than ten digits would match most of a city: not an ID-number search.
        assert!(ids_for(s, &officer, &searching("340705")).is_empty());

        // A mobile number.
        assert_eq!(ids_for(s, &officer, &searching("13900000002")), [p.a_man]);
        assert!(ids_for(s, &officer, &searching("13900000004")).is_empty());
        assert_eq!(ids_for(s, &centre, &searching("13900000004")), [p.b_woman]);
        assert!(ids_for(s, &centre, &searching("13900000007")).is_empty());
        assert!(ids_for(s, &centre, &searching("13900000099")).is_empty());

        // Search combines with the other filters.
        let unmarried = PersonFilter {
            marital_status: Some(MaritalStatus::Unmarried),
            ..searching("李")
        };
        assert_eq!(ids_for(s, &centre, &unmarried), [p.a_woman, p.b_woman]);
        let married = PersonFilter {
            marital_status: Some(MaritalStatus::FirstMarriage),
            ..searching("李")
        };
        assert!(ids_for(s, &centre, &married).is_empty());
        let migrants_in_b = PersonFilter {
            area: Some(AreaCode::parse(C2).unwrap()),
            population_type: Some(PopulationType::MigrantIn),
            ..searching("陈")
        };
        assert_eq!(ids_for(s, &centre, &migrants_in_b), [p.b_migrant]);
    });
}

#[test]
fn age_bands_and_marital_status_narrow_a_scoped_list() {
    each_backend(|s| {
        let p = town(s);
        let centre = staff(s, "centre.q", Role::Centre, CENTRE);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        // Born 1995 or later: 李秀兰 (1995) in A, 李梅 (1996) in B; 李娜 (1997) is elsewhere.
        let young = PersonFilter {
            born_from: Some(date(1995, 1, 1)),
            ..Default::default()
        };
        assert_eq!(ids_for(s, &centre, &young), [p.a_woman, p.b_woman]);
        assert_eq!(ids_for(s, &officer, &young), [p.a_woman]);
        assert_eq!(s.count_as(&centre, &young).unwrap(), 2);
        // Bounds are inclusive.
        let born_1995 = PersonFilter {
            born_from: Some(date(1995, 3, 8)),
            born_to: Some(date(1995, 3, 8)),
            ..Default::default()
        };
        assert_eq!(ids_for(s, &centre, &born_1995), [p.a_woman]);
        let older = PersonFilter {
            born_to: Some(date(1991, 12, 31)),
            ..searching("陈")
        };
        assert_eq!(ids_for(s, &centre, &older), [p.b_migrant]);
        // Marital status, and with a search.
        let unmarried = PersonFilter {
            marital_status: Some(MaritalStatus::Unmarried),
            ..searching("李")
        };
        assert_eq!(ids_for(s, &centre, &unmarried), [p.a_woman, p.b_woman]);
        let married = PersonFilter {
            marital_status: Some(MaritalStatus::FirstMarriage),
            ..Default::default()
        };
        assert!(ids_for(s, &centre, &married).is_empty());
    });
}

#[test]
fn a_role_whose_work_is_not_health_reads_no_pregnancy_or_contraception() {
    each_backend(|s| {
        let p = town(s);
        let centre = staff(s, "centre.h", Role::Centre, CENTRE);
        s.record_event_as(
            &centre,
            p.a_woman,
            ev(EventKind::Pregnancy, date(2026, 9, 1)),
            TODAY,
        )
        .unwrap();
        // The centre's window works with health: it reads the pregnancy.
        let (seen, events) = s.view_person(&centre, p.a_woman).unwrap();
        assert!(seen.pregnant);
        assert!(events.iter().any(|e| e.kind == EventKind::Pregnancy));
        // The bureau reads the register for its figures, not a woman's pregnancy.
        let bureau = staff(s, "bureau.h", Role::Bureau, "340705");
        let (seen, events) = s.view_person(&bureau, p.a_woman).unwrap();
        assert!(!seen.pregnant);
        assert_eq!(seen.contraception, None);
        assert!(events.iter().all(|e| !e.kind.is_health()), "{events:?}");
        assert!(events.iter().any(|e| e.kind == EventKind::Registered));
    });
}
