//! The backends every test runs on, and the register, accounts and audit entries they share.

use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use renkou_core::account::Username;
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult, AuditRow};
use renkou_core::*;
use renkou_store::{AuditFilter, NewAccount, Store, StoreError};

pub(crate) const TODAY: Date = date(2026, 11, 28);

pub(crate) struct Backend {
    pub(crate) name: &'static str,
    pub(crate) url: String,
    pub(crate) _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server and schema to drop when the test is done.
    pub(crate) pg_schema: Option<(String, String)>,
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

pub(crate) fn backends() -> Vec<Backend> {
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

pub(crate) fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos * 1000 + N.fetch_add(1, Ordering::Relaxed)
}

/// Runs a scenario against every backend, with the demo area tree loaded.
pub(crate) fn each_backend(scenario: impl Fn(&mut Store)) {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut store = Store::open(&b.url).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(store.backend(), b.name);
        store.upsert_areas(&tree()).unwrap();
        scenario(&mut store);
    }
}

pub(crate) fn area(code: &str, name: &str) -> Area {
    Area {
        code: AreaCode::parse(code).unwrap(),
        name: name.into(),
    }
}

pub(crate) fn tree() -> Vec<Area> {
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

pub(crate) const G1: &str = "340705001001001";
pub(crate) const C2: &str = "340705001002";
pub(crate) const OTHER_CENTRE: &str = "340705002001";

pub(crate) fn data(
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

pub(crate) fn woman(seq: u16) -> PersonData {
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

pub(crate) fn man(seq: u16) -> PersonData {
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

pub(crate) fn ev(kind: EventKind, on: Date) -> NewEvent {
    NewEvent {
        kind,
        occurred_on: on,
        detail: EventDetail::default(),
    }
}

pub(crate) fn kinds(store: &mut Store, id: PersonId) -> Vec<EventKind> {
    store.timeline(id).unwrap().iter().map(|e| e.kind).collect()
}

pub(crate) fn rusqlite_open(path: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Like `each_backend`, for scenarios that also open their own raw connection to the database.
pub(crate) fn each_backend_with_url(scenario: impl Fn(&mut Store, &Backend)) {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut store = Store::open(&b.url).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        store.upsert_areas(&tree()).unwrap();
        scenario(&mut store, &b);
    }
}

/// Runs one statement on a raw connection to the backend's database, bypassing the store.
pub(crate) fn raw_exec(b: &Backend, sql: &str) -> Result<(), String> {
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

pub(crate) const C1: &str = "340705001001";
pub(crate) const CENTRE: &str = "340705001";
pub(crate) const T0: &str = "2026-11-28T10:00:00Z";

pub(crate) fn t0() -> Timestamp {
    T0.parse().unwrap()
}

pub(crate) fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

pub(crate) fn new_account(name: &str, role: Role, area: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(name).unwrap(),
        role,
        area: AreaCode::parse(area).unwrap(),
        password_hash: format!("argon2-of-{name}"),
        must_change_password: false,
    }
}

/// What the system administrator's own actions are audited as.
pub(crate) fn by_admin(action: AuditAction) -> AuditEntry {
    AuditEntry::new(action, "account", AuditResult::Ok)
        .by(1, "sysadmin")
        .from_source("10.0.0.1")
}

pub(crate) fn login_entry(result: AuditResult) -> AuditEntry {
    AuditEntry::new(AuditAction::Login, "session", result).from_source("10.0.0.9")
}

/// A staff account and the actor it becomes once logged in.
pub(crate) fn staff(s: &mut Store, name: &str, role: Role, area: &str) -> Actor {
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

pub(crate) fn all_audit(s: &mut Store) -> Vec<AuditRow> {
    s.audit_rows(&AuditFilter::default(), None, 10_000).unwrap()
}

/// The audit rows about one object for one action, newest first.
pub(crate) fn audit_of(s: &mut Store, action: AuditAction, object_id: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        action: Some(action.key().to_string()),
        object_id: Some(object_id.to_string()),
        ..Default::default()
    };
    s.audit_rows(&filter, None, 100).unwrap()
}

pub(crate) fn field_of(err: &StoreError) -> Vec<&'static str> {
    match err {
        StoreError::Rejected(errors) => errors.iter().map(|e| e.field).collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// The scope scenario's register: committee A (340705001001) with a group, committee B
/// (340705001002) with a group, a second centre, and people in each.
pub(crate) struct Town {
    pub(crate) a_woman: PersonId,
    pub(crate) a_man: PersonId,
    pub(crate) a_migrant: PersonId,
    pub(crate) b_woman: PersonId,
    pub(crate) b_migrant: PersonId,
    pub(crate) b_man_same_household: PersonId,
    pub(crate) elsewhere: PersonId,
}

pub(crate) const G2: &str = "340705001002001";

pub(crate) fn migrant(name: &str, born: Date, seq: u16, household: &str, area: &str) -> PersonData {
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

pub(crate) fn town(s: &mut Store) -> Town {
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

/// A small deterministic generator: the same history on every backend and every run.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    pub(crate) fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    pub(crate) fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.roll(from.len())]
    }
}
