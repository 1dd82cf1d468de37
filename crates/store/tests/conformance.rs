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

// ---------------------------------------------------------------------------------------------
// Accounts, sessions, the audit trail and the account's scope.

use jiff::{SignedDuration, Timestamp};
use renkou_core::account::Username;
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult, AuditRow};
use renkou_store::{AuditCheck, AuditFilter, NewAccount, PersonSearch, SessionKind};

/// Like `each_backend`, for scenarios that also open their own raw connection to the database.
fn each_backend_with_url(scenario: impl Fn(&mut Store, &Backend)) {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut store = Store::open(&b.url).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        store.upsert_areas(&tree()).unwrap();
        scenario(&mut store, &b);
    }
}

/// Runs one statement on a raw connection to the backend's database, bypassing the store.
fn raw_exec(b: &Backend, sql: &str) -> Result<(), String> {
    match b.name {
        "sqlite" => rusqlite_open(&b.url)
            .execute_batch(sql)
            .map_err(|e| e.to_string()),
        _ => postgres::Client::connect(&b.url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .map_err(|e| match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None => e.to_string(),
            }),
    }
}

const C1: &str = "340705001001";
const CENTRE: &str = "340705001";
const T0: &str = "2026-11-28T10:00:00Z";

fn t0() -> Timestamp {
    T0.parse().unwrap()
}

fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn new_account(name: &str, role: Role, area: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(name).unwrap(),
        role,
        area: AreaCode::parse(area).unwrap(),
        password_hash: format!("argon2-of-{name}"),
        must_change_password: false,
    }
}

/// What the system administrator's own actions are audited as.
fn by_admin(action: AuditAction) -> AuditEntry {
    AuditEntry::new(action, "account", AuditResult::Ok)
        .by(1, "sysadmin")
        .from_source("10.0.0.1")
}

fn login_entry(result: AuditResult) -> AuditEntry {
    AuditEntry::new(AuditAction::Login, "session", result).from_source("10.0.0.9")
}

/// A staff account and the actor it becomes once logged in.
fn staff(s: &mut Store, name: &str, role: Role, area: &str) -> Actor {
    let account = s
        .add_account(
            new_account(name, role, area),
            by_admin(AuditAction::AccountAdd),
        )
        .unwrap();
    Actor {
        scope: Scope::new(account.id, role, account.area.clone()),
        username: name.to_string(),
        source: "10.0.0.7".to_string(),
    }
}

fn all_audit(s: &mut Store) -> Vec<AuditRow> {
    s.audit_rows(&AuditFilter::default(), None, 10_000).unwrap()
}

/// The audit rows about one object for one action, newest first.
fn audit_of(s: &mut Store, action: AuditAction, object_id: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some(action.key().to_string()),
        object_id: Some(object_id.to_string()),
        ..Default::default()
    };
    s.audit_rows(&filter, None, 100).unwrap()
}

fn field_of(err: &StoreError) -> Vec<&'static str> {
    match err {
        StoreError::Rejected(errors) => errors.iter().map(|e| e.field).collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn the_audit_trail_is_a_chain_the_database_will_not_rewrite() {
    each_backend_with_url(|s, b| {
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 0 });
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1); // row 1
        s.audit(login_entry(AuditResult::Ok).by(officer.scope.account_id, "officer.a"))
            .unwrap(); // row 2
        let her = s.add_person_as(&officer, woman(1), TODAY).unwrap(); // row 3
        let him = s.add_person_as(&officer, man(1), TODAY).unwrap(); // row 4
        s.view_person(&officer, her).unwrap(); // row 5
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // Newest first, each linked to the one before, the first to the genesis hash.
        let rows = all_audit(s);
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [5, 4, 3, 2, 1]);
        for pair in rows.windows(2) {
            assert_eq!(pair[0].prev_hash, pair[1].hash);
        }
        assert_eq!(rows[4].prev_hash, "0".repeat(64));
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "person.view",
                "person.add",
                "person.add",
                "login",
                "account.add"
            ]
        );
        assert_eq!(rows[2].object_id, Some(her.to_string()));
        assert_eq!(rows[1].object_id, Some(him.to_string()));
        assert_eq!(rows[2].username.as_deref(), Some("officer.a"));
        assert_eq!(rows[2].source, "10.0.0.7");
        // Paging and filtering.
        let older: Vec<i64> = s
            .audit_rows(&AuditFilter::default(), Some(3), 10)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(older, [2, 1]);
        let adds = AuditFilter {
            action: Some("person.add".into()),
            ..Default::default()
        };
        assert_eq!(s.audit_rows(&adds, None, 10).unwrap().len(), 2);
        assert_eq!(s.audit_rows(&adds, None, 1).unwrap()[0].seq, 4);

        // Work that fails writes no audit row from inside its transaction.
        let err = s.add_person_as(&officer, woman(1), TODAY).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateIdNumber(_)), "{err}");
        let mut unborn = woman(2);
        unborn.birth_date = date(2027, 1, 1);
        let err = s.add_person_as(&officer, unborn, TODAY).unwrap_err();
        assert!(field_of(&err).contains(&"birth_date"), "{err}");
        let err = s
            .transaction(|tx| {
                tx.audit(officer.entry(AuditAction::Import, "file", AuditResult::Ok))?;
                tx.add_person(man(2), "officer.a", TODAY)?;
                tx.add_person(man(2), "officer.a", TODAY) // a duplicate: all of it goes
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateIdNumber(_)), "{err}");
        assert_eq!(all_audit(s).len(), 5);
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 2);
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // The database itself refuses to change or remove a row.
        let refused = |sql: &str| {
            let result = raw_exec(b, sql);
            assert!(result.is_err(), "{}: `{sql}` must be refused", b.name);
            assert!(
                result.unwrap_err().contains("append-only"),
                "{}: refused by the trigger",
                b.name
            );
        };
        refused("UPDATE audit_log SET result = 'ok' WHERE seq = 3");
        refused("DELETE FROM audit_log WHERE seq = 3");
        refused("DELETE FROM audit_log");
        if b.name == "postgres" {
            refused("TRUNCATE audit_log");
        }
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // An attacker who gets past the triggers: the edit is found, at the row edited.
        let bypass = match b.name {
            "sqlite" => "DROP TRIGGER audit_log_no_update",
            _ => "ALTER TABLE audit_log DISABLE TRIGGER USER",
        };
        raw_exec(b, bypass).unwrap();
        raw_exec(b, "UPDATE audit_log SET object_id = '999' WHERE seq = 3").unwrap();
        match s.verify_audit().unwrap() {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 3, "{}: {reason}", b.name);
                assert!(!reason.is_empty());
            }
            intact => panic!("{}: tampering went unnoticed: {intact:?}", b.name),
        }
    });
}

/// SHA-256 as lowercase hex, the way the chain stores it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn rewriting_a_row_and_its_hash_or_deleting_one_still_breaks_the_chain() {
    each_backend_with_url(|s, b| {
        for i in 0..6 {
            s.audit(
                AuditEntry::new(AuditAction::Export, "file", AuditResult::Ok)
                    .by(1, "officer")
                    .detail(format!("rows={i}")),
            )
            .unwrap();
        }
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 6 });
        let bypass = match b.name {
            "sqlite" => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
            _ => "ALTER TABLE audit_log DISABLE TRIGGER USER",
        };
        raw_exec(b, bypass).unwrap();

        // Row 2 rewritten with a hash that matches its new content: the next row's link breaks.
        let mut row2 = all_audit(s).into_iter().find(|r| r.seq == 2).unwrap();
        row2.detail = Some("rows=0".into());
        let forged = sha256_hex(&row2.chained_bytes());
        raw_exec(
            b,
            &format!("UPDATE audit_log SET detail = 'rows=0', hash = '{forged}' WHERE seq = 2"),
        )
        .unwrap();
        assert!(
            matches!(s.verify_audit().unwrap(), AuditCheck::Broken { seq: 3, .. }),
            "{}",
            b.name
        );

        // A row taken out of the middle.
        raw_exec(b, "DELETE FROM audit_log WHERE seq IN (2, 3, 4)").unwrap();
        match s.verify_audit().unwrap() {
            AuditCheck::Broken { seq, reason } => assert_eq!(seq, 2, "{}: {reason}", b.name),
            intact => panic!("{}: a deletion went unnoticed: {intact:?}", b.name),
        }
    });
}

#[test]
fn concurrent_writers_keep_one_unbroken_chain() {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut s = Store::open(&b.url).unwrap();
        std::thread::scope(|scope| {
            for writer in 0..3 {
                let url = b.url.clone();
                scope.spawn(move || {
                    let mut mine = Store::open(&url).unwrap();
                    for i in 0..15 {
                        mine.audit(
                            AuditEntry::new(AuditAction::PersonView, "person", AuditResult::Ok)
                                .by(writer, &format!("writer{writer}"))
                                .object(i),
                        )
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact { rows: 45 },
            "{}",
            b.name
        );
    }
}

#[test]
fn accounts_are_unique_and_lock_after_five_failures_in_fifteen_minutes() {
    each_backend(|s| {
        let a = s
            .add_account(
                new_account("li.ming", Role::CommitteeOfficer, C1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        assert_eq!(a.username.as_str(), "li.ming");
        assert_eq!((a.role, a.area.as_str()), (Role::CommitteeOfficer, C1));
        assert!(!a.disabled && !a.must_change_password && a.locked_until.is_none());
        assert_eq!(s.account(a.id).unwrap(), Some(a.clone()));
        let (found, hash) = s.account_for_login("li.ming").unwrap().unwrap();
        assert_eq!((found.id, hash.as_str()), (a.id, "argon2-of-li.ming"));
        assert!(s.account_for_login("nobody").unwrap().is_none());
        assert_eq!(
            audit_of(s, AuditAction::AccountAdd, &a.id.to_string()).len(),
            1
        );

        // The same username again, in another role: refused on the username field.
        let err = s
            .add_account(
                new_account("li.ming", Role::Bureau, "340705"),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["username"], "{err}");
        // An area the register does not know: refused on the area field.
        let err = s
            .add_account(
                new_account("wang.fang", Role::CommitteeOfficer, "340705001009"),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["area"], "{err}");
        assert_eq!(s.accounts().unwrap().len(), 1);
        assert_eq!(all_audit(s).len(), 1, "refusals add no account.add row");

        // Four failures in four minutes: not locked.
        let t = t0();
        for i in 0..4 {
            let lock = s
                .login_failed(a.id, t + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
            assert_eq!(lock, None, "failure {}", i + 1);
        }
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, None);
        assert!(!acc.is_locked(t + mins(4)));
        // The fifth: locked for thirty minutes from it.
        let lock = s
            .login_failed(a.id, t + mins(4), login_entry(AuditResult::Failed))
            .unwrap();
        assert_eq!(lock, Some(t + mins(34)));
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, Some(t + mins(34)));
        assert!(acc.is_locked(t + mins(4)));
        assert!(acc.is_locked(t + mins(33)));
        assert!(!acc.is_locked(t + mins(34)));
        assert!(
            s.account_for_login("li.ming")
                .unwrap()
                .unwrap()
                .0
                .is_locked(t + mins(5))
        );
        let details: Vec<Option<String>> = all_audit(s)
            .iter()
            .take(2)
            .map(|r| r.detail.clone())
            .collect();
        assert_eq!(
            details,
            [
                Some(format!("locked_until={}", t + mins(34))),
                Some("failures=4".into())
            ]
        );

        // Unlocking clears the lock and the count.
        s.unlock(a.id, by_admin(AuditAction::AccountUnlock))
            .unwrap();
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, None);
        assert!(!acc.is_locked(t + mins(5)));
        assert_eq!(
            s.login_failed(a.id, t + mins(6), login_entry(AuditResult::Failed))
                .unwrap(),
            None,
            "the failures before the unlock no longer count"
        );
        assert_eq!(
            audit_of(s, AuditAction::AccountUnlock, &a.id.to_string()).len(),
            1
        );

        // Failures older than fifteen minutes do not count.
        let t1 = t + mins(120);
        for i in 0..4 {
            assert_eq!(
                s.login_failed(a.id, t1 + mins(i), login_entry(AuditResult::Failed))
                    .unwrap(),
                None
            );
        }
        // 17 to 20 minutes later: the failures at t1 .. t1+3 have left the window one by one.
        for i in 17..=20 {
            assert_eq!(
                s.login_failed(a.id, t1 + mins(i), login_entry(AuditResult::Failed))
                    .unwrap(),
                None,
                "failure at +{i} min"
            );
        }
        assert!(!s.account(a.id).unwrap().unwrap().is_locked(t1 + mins(20)));
        // Five within the window again: locked.
        assert_eq!(
            s.login_failed(a.id, t1 + mins(21), login_entry(AuditResult::Failed))
                .unwrap(),
            Some(t1 + mins(51))
        );

        // A successful login forgets the failures so far.
        s.unlock(a.id, by_admin(AuditAction::AccountUnlock))
            .unwrap();
        let t2 = t + mins(300);
        for i in 0..4 {
            s.login_failed(a.id, t2 + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
        }
        s.start_session(
            a.id,
            SessionKind::Browser,
            "token-hash",
            "csrf",
            t2 + mins(4),
            login_entry(AuditResult::Ok).by(a.id, "li.ming"),
        )
        .unwrap();
        assert_eq!(
            s.login_failed(a.id, t2 + mins(5), login_entry(AuditResult::Failed))
                .unwrap(),
            None
        );
        // One account's failures do not lock another.
        let b = s
            .add_account(
                new_account("zhao.lei", Role::GroupLeader, G1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        for i in 0..4 {
            s.login_failed(b.id, t2 + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
        }
        assert_eq!(
            s.login_failed(a.id, t2 + mins(6), login_entry(AuditResult::Failed))
                .unwrap(),
            None
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
fn sessions_end_when_idle_on_logout_and_when_the_account_changes() {
    each_backend(|s| {
        let a = s
            .add_account(
                new_account("li.ming", Role::CommitteeOfficer, C1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        let other = s
            .add_account(
                new_account("zhao.lei", Role::GroupLeader, G1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        let t = t0();
        let start = |s: &mut Store, id: i64, hash: &str, kind: SessionKind, at: Timestamp| {
            s.start_session(
                id,
                kind,
                hash,
                &format!("csrf-{hash}"),
                at,
                login_entry(AuditResult::Ok).by(id, "someone"),
            )
            .unwrap()
        };

        start(s, a.id, "h1", SessionKind::Browser, t);
        let session = s.session("h1", t).unwrap().expect("a live session");
        assert_eq!(session.account.id, a.id);
        assert_eq!(session.account.username.as_str(), "li.ming");
        assert_eq!(session.kind, SessionKind::Browser);
        assert_eq!(session.csrf_token, "csrf-h1");
        assert!(s.session("unknown", t).unwrap().is_none());
        // 30 minutes idle is still within the limit; 31 is not, and it stays gone.
        assert!(s.session("h1", t + mins(30)).unwrap().is_some());
        assert!(s.session("h1", t + mins(61)).unwrap().is_none());
        assert!(s.session("h1", t + mins(62)).unwrap().is_none());
        assert!(
            s.session("h1", t).unwrap().is_none(),
            "removed, not just hidden"
        );

        // Use keeps it alive: idle time counts from the last request.
        start(s, a.id, "h2", SessionKind::Api, t);
        assert!(s.session("h2", t + mins(20)).unwrap().is_some());
        assert!(s.session("h2", t + mins(45)).unwrap().is_some());
        let api = s.session("h2", t + mins(70)).unwrap().unwrap();
        assert_eq!(api.kind, SessionKind::Api);
        assert!(s.session("h2", t + mins(101)).unwrap().is_none());

        // Logout.
        start(s, a.id, "h3", SessionKind::Browser, t);
        s.end_session(
            "h3",
            AuditEntry::new(AuditAction::Logout, "session", AuditResult::Ok).by(a.id, "li.ming"),
        )
        .unwrap();
        assert!(s.session("h3", t + mins(1)).unwrap().is_none());

        // Disabling ends every session of that account at once, and only of that account.
        start(s, a.id, "h4", SessionKind::Browser, t);
        start(s, a.id, "h5", SessionKind::Api, t);
        start(s, other.id, "h6", SessionKind::Browser, t);
        s.set_disabled(a.id, true, by_admin(AuditAction::AccountDisable))
            .unwrap();
        assert!(s.account(a.id).unwrap().unwrap().disabled);
        assert!(s.session("h4", t + mins(1)).unwrap().is_none());
        assert!(s.session("h5", t + mins(1)).unwrap().is_none());
        assert!(s.session("h6", t + mins(1)).unwrap().is_some());
        // A session started for a disabled account does not work either.
        start(s, a.id, "h7", SessionKind::Browser, t);
        assert!(s.session("h7", t + mins(1)).unwrap().is_none());
        // Enabling again does not bring the old sessions back.
        s.set_disabled(a.id, false, by_admin(AuditAction::AccountEnable))
            .unwrap();
        assert!(s.session("h4", t + mins(2)).unwrap().is_none());

        // A new password ends every session too.
        start(s, a.id, "h8", SessionKind::Browser, t);
        start(s, a.id, "h9", SessionKind::Api, t);
        s.set_password(
            a.id,
            "argon2-new",
            true,
            by_admin(AuditAction::AccountResetPassword),
        )
        .unwrap();
        assert!(s.session("h8", t + mins(1)).unwrap().is_none());
        assert!(s.session("h9", t + mins(1)).unwrap().is_none());
        let (acc, hash) = s.account_for_login("li.ming").unwrap().unwrap();
        assert_eq!(hash, "argon2-new");
        assert!(acc.must_change_password);

        // So does a new role or area.
        start(s, a.id, "h10", SessionKind::Browser, t);
        s.set_role(
            a.id,
            Role::Centre,
            &AreaCode::parse(CENTRE).unwrap(),
            by_admin(AuditAction::AccountRole),
        )
        .unwrap();
        assert!(s.session("h10", t + mins(1)).unwrap().is_none());
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!((acc.role, acc.area.as_str()), (Role::Centre, CENTRE));

        // An unknown account is not found.
        for err in [
            s.set_disabled(9999, true, by_admin(AuditAction::AccountDisable))
                .unwrap_err(),
            s.set_password(
                9999,
                "x",
                false,
                by_admin(AuditAction::AccountResetPassword),
            )
            .unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        }
        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact {
                rows: all_audit(s).len() as u64
            }
        );
    });
}

/// The scope scenario's register: committee A (340705001001) with a group, committee B
/// (340705001002) with a group, a second centre, and people in each.
struct Town {
    a_woman: PersonId,
    a_man: PersonId,
    a_migrant: PersonId,
    b_woman: PersonId,
    b_migrant: PersonId,
    b_man_same_household: PersonId,
    elsewhere: PersonId,
}

const G2: &str = "340705001002001";

fn migrant(name: &str, born: Date, seq: u16, household: &str, area: &str) -> PersonData {
    let mut d = data(
        name,
        Sex::Female,
        born,
        seq,
        household,
        Relation::Head,
        area,
    );
    d.population_type = PopulationType::MigrantIn;
    d.arrival_date = Some(date(2024, 3, 5));
    d.origin_or_destination = Some("江苏省南京市".into());
    d
}

fn town(s: &mut Store) -> Town {
    s.upsert_areas(&[area(G2, "第2居委会第1小组")]).unwrap();
    let mut add = |d: PersonData, phone: &str| {
        let mut d = d;
        d.phone = Some(Phone::parse(phone).unwrap());
        s.add_person(d, "setup", TODAY).unwrap()
    };
    let a_woman = add(woman(1), "13900000001"); // 李秀兰, group of A
    let mut in_committee = man(1);
    in_committee.area_code = AreaCode::parse(C1).unwrap();
    let a_man = add(in_committee, "13900000002"); // 王建国, committee A (no group), H0002
    let a_migrant = add(
        migrant("张桂英", date(1990, 5, 5), 3, "H0003", C1),
        "13900000003",
    );
    let b_woman = add(
        data(
            "李梅",
            Sex::Female,
            date(1996, 4, 4),
            4,
            "H0004",
            Relation::Head,
            G2,
        ),
        "13900000004",
    );
    let b_migrant = add(
        migrant("陈静", date(1991, 6, 6), 5, "H0005", C2),
        "13900000005",
    );
    let b_man_same_household = add(
        data(
            "王强",
            Sex::Male,
            date(1994, 8, 8),
            6,
            "H0002",
            Relation::Son,
            C2,
        ),
        "13900000006",
    );
    let elsewhere = add(
        data(
            "李娜",
            Sex::Female,
            date(1997, 9, 9),
            7,
            "H0007",
            Relation::Head,
            OTHER_CENTRE,
        ),
        "13900000007",
    );
    Town {
        a_woman,
        a_man,
        a_migrant,
        b_woman,
        b_migrant,
        b_man_same_household,
        elsewhere,
    }
}

/// Who a list shows (lists run in area order; these tests are about who, so sorted by id).
fn ids_for(s: &mut Store, actor: &Actor, filter: &PersonFilter) -> Vec<PersonId> {
    let mut ids: Vec<PersonId> = s
        .persons_for(actor, filter, None, 100)
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
        assert_eq!(s.count_for(&officer, &everyone).unwrap(), 3);
        let in_b = PersonFilter {
            area: Some(AreaCode::parse(C2).unwrap()),
            ..Default::default()
        };
        assert!(ids_for(s, &officer, &in_b).is_empty());
        assert_eq!(s.count_for(&officer, &in_b).unwrap(), 0);
        // Asking for the whole centre is narrowed to the committee.
        let whole_centre = PersonFilter {
            area: Some(AreaCode::parse(CENTRE).unwrap()),
            ..Default::default()
        };
        assert_eq!(s.count_for(&officer, &whole_centre).unwrap(), 3);
        let in_group = PersonFilter {
            area: Some(AreaCode::parse(G1).unwrap()),
            ..Default::default()
        };
        assert_eq!(ids_for(s, &officer, &in_group), [p.a_woman]);
        // Keyset pages follow the list's (area, id) order and stay in scope.
        let order: Vec<PersonId> = s
            .persons_for(&officer, &everyone, None, 100)
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(order.len(), 3);
        for pair in order.windows(2) {
            let page = s
                .persons_for(&officer, &everyone, Some(pair[0]), 1)
                .unwrap();
            assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), [pair[1]]);
        }
        assert!(
            s.persons_for(&officer, &everyone, Some(order[2]), 10)
                .unwrap()
                .is_empty()
        );
        // A household spanning two committees shows only this committee's members.
        let household: Vec<PersonId> = s
            .household_for(&officer, "H0002")
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
        s.persons_for(&officer, &everyone, None, 10).unwrap();
        s.count_for(&officer, &everyone).unwrap();
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
        assert_eq!(s.count_for(&officer, &everyone).unwrap(), 4);

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
        assert!(
            s.update_person_as(&officer, p.a_woman, fixed, TODAY, None)
                .unwrap()
        );
        assert_eq!(
            audit_of(s, AuditAction::PersonUpdate, &p.a_woman.to_string())[0].result,
            "ok"
        );

        // A centre sees both of its committees, not the other centre.
        let centre = staff(s, "centre.q", Role::Centre, CENTRE);
        assert_eq!(s.count_for(&centre, &everyone).unwrap(), 7);
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
        assert_eq!(s.count_for(&coordinator, &everyone).unwrap(), 2);
        let residents = PersonFilter {
            population_type: Some(PopulationType::Resident),
            ..Default::default()
        };
        assert!(ids_for(s, &coordinator, &residents).is_empty());
        assert_eq!(s.count_for(&coordinator, &residents).unwrap(), 0);
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
        let err = s.persons_for(&admin, &everyone, None, 10).unwrap_err();
        assert!(matches!(err, StoreError::Denied(_)), "{err}");
        let err = s.count_for(&admin, &everyone).unwrap_err();
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
        assert_eq!(s.count_for(&centre, &searching("李")).unwrap(), 2);
        assert_eq!(s.count_for(&officer, &searching("李")).unwrap(), 1);

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
        assert_eq!(s.count_for(&centre, &young).unwrap(), 2);
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

// ---------------------------------------------------------------------------------------------
// Certificates

use renkou_core::certificate::{Application, CheckOutcome, Queue, Step, Validity, VerifyCode};
use renkou_store::StepInput;

const CITY: &str = "340705";

fn reason(text: &str) -> StepInput {
    StepInput {
        reason: Some(text.into()),
        ..Default::default()
    }
}

fn step(
    s: &mut Store,
    actor: &Actor,
    id: i64,
    st: Step,
) -> Result<certificate::Certificate, StoreError> {
    s.certificate_step(actor, id, st, StepInput::default(), TODAY)
}

fn outcome_of(view: &renkou_store::CertificateView, key: &str) -> (CheckOutcome, String) {
    let c = view
        .checks
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no check {key}: {:?}", view.checks));
    (c.outcome, c.message.clone())
}

#[test]
fn an_application_is_checked_against_the_register_and_issued_with_a_serial() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(s, "station", Role::Station, CITY);

        // Unmarried, no children: a note for the reviewer, nothing that stops approval.
        let c = s
            .apply_certificate(
                &officer,
                p.a_woman,
                CertificateKind::BirthRegistration,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(c.state, CertificateState::Applied);
        let view = s.certificate_for(&station, c.id, TODAY).unwrap();
        assert_eq!(outcome_of(&view, "identity").0, CheckOutcome::Passed);
        let (o, m) = outcome_of(&view, "marital_status");
        assert_eq!(o, CheckOutcome::Note);
        assert!(m.contains("未婚"), "{m}");
        assert!(outcome_of(&view, "children").1.contains("第一孩"));
        let issued = step(s, &station, c.id, Step::Issue).unwrap();
        assert_eq!(issued.state, CertificateState::Issued);
        assert_eq!(issued.serial.as_deref(), Some("SY2026000001"));
        assert!(issued.verify_code.is_some());
        assert!(issued.processing_seconds.is_some_and(|s| s >= 0));
        assert_eq!(
            issued.valid_until, None,
            "a birth registration does not lapse"
        );
        let steps: Vec<Step> = s
            .certificate_for(&station, c.id, TODAY)
            .unwrap()
            .steps
            .iter()
            .map(|s| s.step)
            .collect();
        assert_eq!(steps, [Step::Apply, Step::Issue]);
        assert_eq!(
            audit_of(s, AuditAction::CertificateIssue, &c.id.to_string()).len(),
            1
        );
        // The holder's page shows the steps.
        let (docs, on_timeline) = s.certificates_of(p.a_woman).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(on_timeline.len(), 2);

        // Married, spouse not on this register and not named: the check says so and the
        // station cannot approve; sent back, named, resubmitted, approved.
        let mut married = s.person(p.b_woman).unwrap().unwrap().data;
        married.marital_status = MaritalStatus::FirstMarriage;
        s.update_person(p.b_woman, married, "test", TODAY, None)
            .unwrap();
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let c2 = s
            .apply_certificate(
                &centre,
                p.b_woman,
                CertificateKind::BirthRegistration,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let view = s.certificate_for(&station, c2.id, TODAY).unwrap();
        let (o, m) = outcome_of(&view, "spouse");
        assert_eq!(o, CheckOutcome::Missing);
        assert!(m.contains("配偶不在本登记册中"), "{m}");
        assert_eq!(
            outcome_of(&view, "marriage_event").1,
            "时间线上没有结婚事件（婚姻状况来自建档数据）"
        );
        let err = step(s, &station, c2.id, Step::Issue).unwrap_err();
        assert!(err.to_string().contains("配偶"), "{err}");
        let err = step(s, &station, c2.id, Step::Return).unwrap_err();
        assert_eq!(field_of(&err), ["reason"]);
        s.certificate_step(
            &station,
            c2.id,
            Step::Return,
            reason("请补充配偶姓名"),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            s.certificates_for(&centre, Queue::Returned, None, None, 10)
                .unwrap()
                .len(),
            1
        );
        let named = StepInput {
            application: Some(Application {
                spouse_name: Some(PersonName::parse("赵刚").unwrap()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let back = s
            .certificate_step(&centre, c2.id, Step::Resubmit, named, TODAY)
            .unwrap();
        assert_eq!(back.state, CertificateState::Applied);
        let view = s.certificate_for(&station, c2.id, TODAY).unwrap();
        assert_eq!(outcome_of(&view, "spouse").0, CheckOutcome::Note);
        let issued = step(s, &station, c2.id, Step::Issue).unwrap();
        assert_eq!(
            issued.serial.as_deref(),
            Some("SY2026000002"),
            "the kind's own sequence"
        );

        // Each kind has its own sequence; a migrant in is sent to the home place.
        let rhc = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(
            step(s, &station, rhc.id, Step::Issue)
                .unwrap()
                .serial
                .as_deref(),
            Some("SB2026000001")
        );
        let m = s
            .apply_certificate(
                &officer,
                p.a_migrant,
                CertificateKind::MigrantCertificate,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let view = s.certificate_for(&station, m.id, TODAY).unwrap();
        let (o, msg) = outcome_of(&view, "residence");
        assert_eq!(o, CheckOutcome::Missing);
        assert!(msg.contains("户籍地"), "{msg}");
        s.certificate_step(
            &station,
            m.id,
            Step::Reject,
            reason("流入人口，请向户籍地申请"),
            TODAY,
        )
        .unwrap();

        // A second card while one is valid is refused with the way forward.
        let err = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("补发"), "{err}");
    });
}

#[test]
fn each_role_applies_reviews_prints_and_revokes_only_what_the_table_gives_it() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let other_officer = staff(s, "officer.x", Role::CommitteeOfficer, OTHER_CENTRE);
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let coordinator = staff(s, "migrants", Role::MigrantCoordinator, CENTRE);
        let leader = staff(s, "leader", Role::GroupLeader, G1);
        let station = staff(s, "station", Role::Station, CITY);
        let bureau = staff(s, "bureau", Role::Bureau, CITY);
        let apply = |s: &mut Store, who: &Actor, person: PersonId, kind: CertificateKind| {
            s.apply_certificate(who, person, kind, Application::default(), TODAY)
        };
        let rhc = CertificateKind::ReproductiveHealthCard;

        assert!(matches!(
            apply(s, &leader, p.a_woman, rhc),
            Err(StoreError::Denied(_))
        ));
        assert!(matches!(
            apply(s, &station, p.a_woman, rhc),
            Err(StoreError::Denied(_))
        ));
        assert!(matches!(
            apply(s, &coordinator, p.a_migrant, rhc),
            Err(StoreError::Denied(_))
        ));
        // Out of the account's area reads as not found, and is audited as denied.
        assert!(matches!(
            apply(s, &other_officer, p.a_woman, rhc),
            Err(StoreError::NotFound(_))
        ));
        let denied = all_audit(s)
            .into_iter()
            .filter(|r| r.action == "certificate.apply" && r.result == "denied")
            .count();
        assert_eq!(denied, 4);
        // A coordinator's migrant certificate, for a migrant only.
        assert!(matches!(
            apply(
                s,
                &coordinator,
                p.a_woman,
                CertificateKind::MigrantCertificate
            ),
            Err(StoreError::NotFound(_))
        ));

        let c = apply(s, &officer, p.a_woman, rhc).unwrap();
        for who in [&officer, &centre, &bureau, &leader] {
            assert!(
                step(s, who, c.id, Step::Issue).is_err(),
                "{} issued",
                who.username
            );
        }
        assert!(matches!(
            step(s, &other_officer, c.id, Step::Issue),
            Err(StoreError::Denied(_))
        ));
        step(s, &station, c.id, Step::Issue).unwrap();
        // Printing and handing over: the station and the centre's window.
        assert!(matches!(
            s.certificate_step(
                &officer,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY
            ),
            Err(StoreError::Denied(_))
        ));
        assert!(
            matches!(
                step(s, &centre, c.id, Step::Deliver),
                Err(StoreError::Rejected(_))
            ),
            "not printed yet"
        );
        let err = s
            .certificate_step(
                &centre,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(11),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["copies"]);
        let printed = s
            .certificate_step(
                &centre,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(2),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap();
        assert_eq!(printed.copies_printed, 2);
        let print_rows: Vec<_> = audit_of(s, AuditAction::CertificatePrint, &c.id.to_string())
            .into_iter()
            .filter(|r| r.result == "ok")
            .collect();
        assert_eq!(
            print_rows.len(),
            1,
            "the officer's refused print is a denied row"
        );
        assert_eq!(print_rows[0].username.as_deref(), Some("centre"));
        assert!(
            print_rows[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("copies=2")
        );
        assert!(step(s, &centre, c.id, Step::Deliver).unwrap().delivered);
        // Revoking is the station's.
        assert!(matches!(
            s.certificate_step(&centre, c.id, Step::Revoke, reason("x"), TODAY),
            Err(StoreError::Denied(_))
        ));
        s.certificate_step(&station, c.id, Step::Revoke, reason("信息有误"), TODAY)
            .unwrap();
        let err = s
            .certificate_step(
                &station,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("已注销"), "{err}");

        // Who sees which queue: the bureau reads the area's documents but no birth
        // registration (it tells of a pregnancy); another centre sees none of them.
        let b = apply(s, &officer, p.a_man, CertificateKind::BirthRegistration).unwrap();
        assert!(matches!(
            s.certificate_for(&bureau, b.id, TODAY),
            Err(StoreError::NotFound(_))
        ));
        assert!(s.certificate_for(&bureau, c.id, TODAY).is_ok());
        assert_eq!(
            s.certificates_for(&bureau, Queue::All, None, None, 50)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.certificates_for(&station, Queue::All, None, None, 50)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.certificates_for(&station, Queue::Review, None, None, 50)
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.certificates_for(&other_officer, Queue::All, None, None, 50)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            s.certificate_for(&other_officer, c.id, TODAY),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.certificates_for(&leader, Queue::All, None, None, 50),
            Err(StoreError::Denied(_))
        ));
    });
}

#[test]
fn serials_stay_unique_when_issued_at_once() {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut s = Store::open(&b.url).unwrap();
        s.upsert_areas(&tree()).unwrap();
        let officer = staff(&mut s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(&mut s, "station", Role::Station, CITY);
        let mut ids = Vec::new();
        for i in 0..24u16 {
            let mut d = data(
                "周敏",
                Sex::Female,
                date(1990, 1, 1),
                100 + i,
                &format!("HC{i}"),
                Relation::Head,
                C1,
            );
            d.marital_status = MaritalStatus::Unmarried;
            let person = s.add_person(d, "test", TODAY).unwrap();
            let c = s
                .apply_certificate(
                    &officer,
                    person,
                    CertificateKind::ReproductiveHealthCard,
                    Application::default(),
                    TODAY,
                )
                .unwrap();
            ids.push(c.id);
        }
        let serials = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for chunk in ids.chunks(8) {
                let (url, station, serials) = (b.url.clone(), station.clone(), &serials);
                scope.spawn(move || {
                    let mut mine = Store::open(&url).unwrap();
                    for id in chunk {
                        let c = mine
                            .certificate_step(
                                &station,
                                *id,
                                Step::Issue,
                                StepInput::default(),
                                TODAY,
                            )
                            .unwrap();
                        serials.lock().unwrap().push(c.serial.unwrap());
                    }
                });
            }
        });
        let mut serials = serials.into_inner().unwrap();
        serials.sort();
        let expected: Vec<String> = (1..=24).map(|n| format!("SB2026{n:06}")).collect();
        assert_eq!(serials, expected, "{}", b.name);
    }
}

#[test]
fn a_reissue_voids_the_old_serial_and_verification_tells_every_state() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(s, "station", Role::Station, CITY);
        let c = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::MigrantCertificate,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let first = step(s, &station, c.id, Step::Issue).unwrap();
        let old_code = first.verify_code.clone().unwrap();
        let v = s.verify_certificate(&old_code, TODAY).unwrap().unwrap();
        assert_eq!(v.validity, Validity::Valid);
        assert_eq!(v.masked_name, "王**");
        assert_eq!(v.serial, "LD2026000001");
        assert_eq!(
            v.valid_until,
            Some(date(2029, 11, 27)),
            "three years, the last day inclusive"
        );

        let err = step(s, &station, c.id, Step::Reissue).unwrap_err();
        assert_eq!(field_of(&err), ["reason"]);
        let new = s
            .certificate_step(&station, c.id, Step::Reissue, reason("遗失"), TODAY)
            .unwrap();
        assert_ne!(new.id, c.id);
        assert_eq!(new.serial.as_deref(), Some("LD2026000002"));
        assert_eq!(new.replaces, Some(c.id));
        assert_eq!(
            new.valid_until, first.valid_until,
            "a reissue replaces, it does not extend"
        );
        let old = s
            .certificate_for(&station, c.id, TODAY)
            .unwrap()
            .certificate;
        assert_eq!(old.state, CertificateState::Voided);
        assert_eq!(old.replaced_by, Some(new.id));
        assert_eq!(
            s.verify_certificate(&old_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Voided
        );
        let new_code = new.verify_code.clone().unwrap();
        assert_eq!(
            s.verify_certificate(&new_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Valid
        );
        // The old paper cannot be printed again.
        assert!(
            s.certificate_step(
                &station,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY
            )
            .is_err()
        );

        // Valid through its last day, expired the day after.
        let later = date(2029, 11, 28);
        assert_eq!(
            s.verify_certificate(&new_code, later)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Expired
        );
        assert_eq!(
            s.verify_certificate(&new_code, date(2029, 11, 27))
                .unwrap()
                .unwrap()
                .validity,
            Validity::Valid
        );
        s.certificate_step(
            &station,
            new.id,
            Step::Revoke,
            reason("本人申请注销"),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            s.verify_certificate(&new_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Revoked
        );
        // An unknown code, and an application not yet issued, tell nothing.
        assert_eq!(
            s.verify_certificate(&VerifyCode::parse("ABCDEFGHJK").unwrap(), TODAY)
                .unwrap(),
            None
        );
        let pending = s
            .apply_certificate(
                &officer,
                p.a_woman,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(pending.verify_code, None);

        // The period's register for the assessment: both serials, in issue order.
        let issued = s.issued_between(date(2026, 11, 1), TODAY).unwrap();
        let serials: Vec<_> = issued
            .iter()
            .filter_map(|r| r.certificate.serial.clone())
            .collect();
        assert_eq!(serials, ["LD2026000001", "LD2026000002"]);
        assert_eq!(
            issued[0]
                .holder_id_masked
                .as_deref()
                .map(|m| m.contains('*')),
            Some(true)
        );
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
