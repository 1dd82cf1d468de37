//! One suite, every backend: SQLite always, PostgreSQL when RENKOU_TEST_PG holds a connection URL.
//! Each test gets a fresh database (a temporary file, or a new PostgreSQL schema).

use jiff::civil::{Date, date};
use renkou_core::event::ChildBirth;
use renkou_core::*;
use renkou_store::{PersonFilter, Store, StoreError};

const TODAY: Date = date(2026, 11, 28);

struct Backend {
    name: &'static str,
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server and schema to drop when the test is done.
    pg_schema: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut admin) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut list = vec![Backend {
        name: "sqlite",
        url: dir.path().join("t.db").display().to_string(),
        _dir: Some(dir),
        pg_schema: None,
    }];
    if let Ok(base) = std::env::var("RENKOU_TEST_PG") {
        let schema = format!("t_{}_{}", std::process::id(), rand_suffix());
        let mut admin =
            postgres::Client::connect(&base, postgres::NoTls).expect("RENKOU_TEST_PG connects");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        list.push(Backend {
            name: "postgres",
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            _dir: None,
            pg_schema: Some((base.clone(), schema)),
        });
    }
    list
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

/// Runs a scenario against every backend, with the demo area tree loaded.
fn each_backend(scenario: impl Fn(&mut Store)) {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut store = Store::open(&b.url).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(store.backend(), b.name);
        store.upsert_areas(&tree()).unwrap();
        scenario(&mut store);
    }
}

fn area(code: &str, name: &str) -> Area {
    Area {
        code: AreaCode::parse(code).unwrap(),
        name: name.into(),
    }
}

fn tree() -> Vec<Area> {
    vec![
        area("340705001001001", "第1居委会第1小组"),
        area("340705", "铜官区"),
        area("340705001", "青龙社区服务中心"),
        area("340705001001", "青龙第1居委会"),
        area("340705001002", "青龙第2居委会"),
        area("340705002", "白龙社区服务中心"),
        area("340705002001", "白龙第1居委会"),
    ]
}

const G1: &str = "340705001001001";
const C2: &str = "340705001002";
const OTHER_CENTRE: &str = "340705002001";

fn data(
    name: &str,
    sex: Sex,
    born: Date,
    seq: u16,
    household: &str,
    relation: Relation,
    area: &str,
) -> PersonData {
    let seq = match sex {
        Sex::Male => seq * 2 + 1,
        Sex::Female => seq * 2,
    };
    PersonData {
        id_number: Some(IdNumber::from_parts("340705", born, seq).unwrap()),
        name: PersonName::parse(name).unwrap(),
        sex,
        birth_date: born,
        ethnicity: Ethnicity::Han,
        marital_status: MaritalStatus::Unmarried,
        education: Some(Education::Bachelor),
        phone: Some(Phone::parse("13800008000").unwrap()),
        household_no: HouseholdNo::parse(household).unwrap(),
        relation,
        population_type: PopulationType::Resident,
        registered_place: Place::parse("340705 安徽省铜陵市铜官区"),
        area_code: AreaCode::parse(area).unwrap(),
        address: Some("长江路1号".into()),
        arrival_date: None,
        leaving_date: None,
        origin_or_destination: None,
    }
}

fn woman(seq: u16) -> PersonData {
    data(
        "李秀兰",
        Sex::Female,
        date(1995, 3, 8),
        seq,
        "H0001",
        Relation::Head,
        G1,
    )
}

fn man(seq: u16) -> PersonData {
    data(
        "王建国",
        Sex::Male,
        date(1993, 7, 1),
        seq,
        "H0002",
        Relation::Head,
        G1,
    )
}

fn ev(kind: EventKind, on: Date) -> NewEvent {
    NewEvent {
        kind,
        occurred_on: on,
        detail: EventDetail::default(),
    }
}

fn kinds(store: &mut Store, id: PersonId) -> Vec<EventKind> {
    store.timeline(id).unwrap().iter().map(|e| e.kind).collect()
}

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

fn rusqlite_open(path: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
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
