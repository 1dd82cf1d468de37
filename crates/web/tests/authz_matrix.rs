//! The authorization matrix of issue 3: every role × every API endpoint × a record in the
//! account's own area, a sibling area, its parent and a child area.
//!
//! Expectations are derived from core's role table (`role_allows`) and area rule
//! (`Scope::covers`): allowed where both say so; a record out of reach answers 404 exactly like
//! an id that does not exist (no leak of existence); an action the role lacks answers 403. Every
//! denial leaves one audit row with result "denied". `pinned_cells` writes a few cells out by
//! hand, so a broken table cannot make the derived matrix pass vacuously.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use common::*;
use renkou_core::access::role_allows;
use renkou_core::audit::AuditRow;
use renkou_core::{Action, EventKind, PersonData, Role, Scope};
use serde_json::{Value, json};

/// Where a record's area lies, seen from the account's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rel {
    Own,
    Child,
    Parent,
    Sibling,
    /// Neither: a cousin area, another district.
    Elsewhere,
}

fn relation(account: &str, area: &str) -> Rel {
    let (acc, ar) = (code_of(account), code_of(area));
    if account == area {
        Rel::Own
    } else if ar.is_within(&acc) {
        Rel::Child
    } else if acc.is_within(&ar) {
        Rel::Parent
    } else {
        // A sibling, or an area below a sibling: same parent at the account's level.
        let parent_len = acc.parent().map_or(0, |p| p.as_str().len());
        let same_parent =
            area.len() >= account.len() && area[..parent_len] == account[..parent_len];
        if same_parent {
            Rel::Sibling
        } else {
            Rel::Elsewhere
        }
    }
}

/// What a cell of the matrix must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Allowed, with this status.
    Ok(StatusCode),
    /// The role lacks the action: 403 forbidden, audited.
    Forbidden,
    /// Out of reach: 404 not_found, the same body as a missing record, audited.
    Hidden,
    /// A new record out of reach: 422 invalid_input naming the field, audited.
    Refused,
}

/// The account's areas each role is tested at: its natural level, plus a committee (which has
/// children and siblings holding people) and a group (which has a parent holding people).
fn placements(role: Role) -> Vec<&'static str> {
    let natural = match role {
        Role::Centre => C1,
        Role::CommitteeOfficer | Role::MigrantCoordinator => K1,
        Role::GroupLeader => G1,
        _ => D1,
    };
    let mut areas = vec![natural];
    for extra in [K1, G1] {
        if !areas.contains(&extra) {
            areas.push(extra);
        }
    }
    areas
}

/// One role at one area on a fresh register: two women (a resident and an incoming migrant) in
/// every area people can live in, and one household spread over two committees.
struct World {
    app: TestApp,
    role: Role,
    area: &'static str,
    username: String,
    scope: Scope,
    token: String,
    people: Vec<Added>,
    /// (endpoint, relation) → statuses seen, for the summary and the non-vacuity checks. For
    /// the list, 200 means listed and 404 left out.
    seen: BTreeMap<(&'static str, Rel), BTreeSet<u16>>,
    /// The 404 body of a record that does not exist, per endpoint.
    missing: BTreeMap<&'static str, String>,
}

const NAMES: [&str; 14] = [
    "李秀兰",
    "张桂英",
    "王秀珍",
    "刘淑华",
    "陈玉兰",
    "杨丽",
    "赵静",
    "黄敏",
    "周芳",
    "吴霞",
    "徐燕",
    "孙娟",
    "马红",
    "朱琳",
];

impl World {
    async fn new(backend: Backend, role: Role, area: &'static str) -> World {
        let app = TestApp::on(backend);
        let mut people = Vec::new();
        for (i, person_area) in PERSON_AREAS.iter().enumerate() {
            let resident = app.woman(NAMES[2 * i], person_area);
            let migrant = app.woman(NAMES[2 * i + 1], person_area).migrant_in();
            people.push(app.add(resident));
            people.push(app.add(migrant));
        }
        // One household with members in G1 and in K2: each account sees only its own members.
        let g1_daughter = app
            .woman("钱多多", G1)
            .set("household_no", "HSHARED")
            .set("relation", "30");
        let k2_head = app.woman("钱丽", K2).set("household_no", "HSHARED");
        people.push(app.add(g1_daughter));
        people.push(app.add(k2_head));

        // Usernames are at most 32 characters: a role's key cut to 12, then the area.
        let key = role.key();
        let username = format!("{}.{area}", &key[..key.len().min(12)]);
        let account = app.add_account(&username, role, area);
        let token = app.token(&username).await;
        World {
            scope: TestApp::scope_of(&account),
            app,
            role,
            area,
            username,
            token,
            people,
            seen: BTreeMap::new(),
            missing: BTreeMap::new(),
        }
    }

    fn can(&self, action: Action) -> bool {
        role_allows(self.role, action)
    }

    fn sees(&self, data: &PersonData) -> bool {
        self.scope.covers(data)
    }

    fn rel(&self, area: &str) -> Rel {
        relation(self.area, area)
    }

    fn who(&self) -> String {
        format!(
            "{} at {} ({})",
            self.role,
            self.area,
            self.app.backend().name
        )
    }

    /// Sends an authenticated request and checks the answer and the audit rows it wrote.
    /// `object` is the person id a 404 denial must name.
    async fn check(
        &mut self,
        endpoint: &'static str,
        rel: Rel,
        req: Req,
        expect: &Expect,
        object: Option<String>,
    ) -> Resp {
        let mark = self.app.last_seq();
        let res = self.app.send(req.bearer(&self.token)).await;
        let who = self.who();
        self.seen
            .entry((endpoint, rel))
            .or_default()
            .insert(res.status.as_u16());
        match expect {
            Expect::Ok(status) => {
                assert_eq!(res.status, *status, "{who} {endpoint} {rel:?}: {res}")
            }
            Expect::Forbidden => {
                assert_eq!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{who} {endpoint} {rel:?}: {res}"
                );
                assert_eq!(res.code(), "forbidden", "{who}: {res}");
            }
            Expect::Hidden => {
                assert_eq!(
                    res.status,
                    StatusCode::NOT_FOUND,
                    "{who} {endpoint} {rel:?}: {res}"
                );
                assert_eq!(res.code(), "not_found", "{who}: {res}");
                let missing = &self.missing[endpoint];
                assert_eq!(
                    &res.body, missing,
                    "{who} {endpoint} {rel:?}: a record out of reach must read exactly like a missing one"
                );
            }
            Expect::Refused => {
                assert_eq!(
                    res.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{who} {endpoint} {rel:?}: {res}"
                );
                let body = res.json();
                assert_eq!(body["code"], "invalid_input", "{who}: {res}");
                let field = body["fields"][0]["field"].as_str().unwrap_or_default();
                assert!(
                    ["area_code", "population_type"].contains(&field),
                    "{who} {endpoint} {rel:?}: names the field out of reach: {res}"
                );
            }
        }
        let denied: Vec<AuditRow> = self
            .app
            .audit_after(mark)
            .into_iter()
            .filter(|r| r.result == "denied")
            .collect();
        if matches!(expect, Expect::Ok(_)) {
            assert!(
                denied.is_empty(),
                "{who} {endpoint} {rel:?}: allowed, yet audited as denied: {denied:?}"
            );
        } else {
            assert_eq!(
                denied.len(),
                1,
                "{who} {endpoint} {rel:?}: one denied audit row per denial, got {denied:?}"
            );
            let row = &denied[0];
            assert_eq!(
                row.username.as_deref(),
                Some(self.username.as_str()),
                "{row:?}"
            );
            assert_eq!(row.account_id, Some(self.scope.account_id), "{row:?}");
            if let (Expect::Hidden, Some(id)) = (expect, &object) {
                assert_eq!(
                    row.object_id.as_ref(),
                    Some(id),
                    "{who}: the row names the record"
                );
            }
        }
        res
    }

    /// What a missing id answers on each endpoint; out-of-reach records must answer the same.
    async fn learn_missing(&mut self) {
        let missing_id = 9_999_999;
        let someone = self.people[0].spec.clone();
        let probes: [(&'static str, Req, Action); 5] = [
            (
                "GET person",
                get(&format!("/api/v1/persons/{missing_id}")),
                Action::ViewPerson,
            ),
            (
                "PUT person",
                put(&format!("/api/v1/persons/{missing_id}")).json(&someone.json()),
                Action::EditPerson,
            ),
            (
                "POST pregnancy",
                post(&format!("/api/v1/persons/{missing_id}/events")).json(&pregnancy()),
                Action::RecordEvent(EventKind::Pregnancy),
            ),
            (
                "POST move_out",
                post(&format!("/api/v1/persons/{missing_id}/events")).json(&move_out()),
                Action::RecordEvent(EventKind::MoveOut),
            ),
            (
                "GET household",
                get("/api/v1/households/NO-SUCH-HOUSEHOLD"),
                Action::ListPersons,
            ),
        ];
        for (endpoint, req, action) in probes {
            let res = self.app.send(req.bearer(&self.token)).await;
            if self.can(action) {
                assert_eq!(res.status, StatusCode::NOT_FOUND, "{}: {res}", self.who());
                assert_eq!(res.code(), "not_found");
                self.missing.insert(endpoint, res.body.clone());
            } else {
                res.assert_error(StatusCode::FORBIDDEN, "forbidden");
            }
        }
    }

    fn expect(&self, action: Action, in_reach: bool, ok: StatusCode) -> Expect {
        if !self.can(action) {
            Expect::Forbidden
        } else if in_reach {
            Expect::Ok(ok)
        } else {
            Expect::Hidden
        }
    }

    async fn list(&mut self) {
        let expect = if self.can(Action::ListPersons) {
            Expect::Ok(StatusCode::OK)
        } else {
            Expect::Forbidden
        };
        let res = self
            .check(
                "GET persons",
                Rel::Own,
                get("/api/v1/persons?limit=200"),
                &expect,
                None,
            )
            .await;
        if let Expect::Ok(_) = expect {
            let listed: BTreeSet<i64> = res.json()["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["id"].as_i64().expect("an id"))
                .collect();
            let expected: BTreeSet<i64> = self
                .people
                .iter()
                .filter(|p| self.sees(&p.data))
                .map(Added::id)
                .collect();
            assert_eq!(
                listed,
                expected,
                "{}: the list shows exactly its people",
                self.who()
            );
            for p in &self.people {
                let rel = self.rel(p.area());
                let status = if listed.contains(&p.id()) { 200 } else { 404 };
                self.seen
                    .entry(("GET persons", rel))
                    .or_default()
                    .insert(status);
            }
        }
    }

    async fn areas(&mut self) {
        let res = self
            .check(
                "GET areas",
                Rel::Own,
                get("/api/v1/areas?limit=1000"),
                &Expect::Ok(StatusCode::OK),
                None,
            )
            .await;
        let listed: BTreeSet<String> = res
            .json()
            .as_array()
            .expect("a list of areas")
            .iter()
            .map(|a| a["code"].as_str().expect("a code").to_string())
            .collect();
        let expected: BTreeSet<String> = tree()
            .iter()
            .filter(|a| self.scope.covers_area(&a.code))
            .map(|a| a.code.to_string())
            .collect();
        assert_eq!(
            listed,
            expected,
            "{}: its own area and those below",
            self.who()
        );
        for area in tree() {
            let code = area.code.to_string();
            let rel = self.rel(&code);
            let res = self
                .app
                .send(get(&format!("/api/v1/areas?under={code}")).bearer(&self.token))
                .await;
            self.seen
                .entry(("GET areas", rel))
                .or_default()
                .insert(res.status.as_u16());
            if self.scope.covers_area(&area.code) {
                assert_eq!(res.status, StatusCode::OK, "{}: {res}", self.who());
            } else {
                res.assert_error(StatusCode::NOT_FOUND, "not_found");
            }
        }
    }

    async fn person_reads(&mut self, p: &Added) {
        let rel = self.rel(p.area());
        let in_reach = self.sees(&p.data);
        let id = p.id().to_string();
        let expect = self.expect(Action::ViewPerson, in_reach, StatusCode::OK);
        let res = self
            .check(
                "GET person",
                rel,
                get(&format!("/api/v1/persons/{id}")),
                &expect,
                Some(id.clone()),
            )
            .await;
        if let Expect::Ok(_) = expect {
            let record = &res.json()["person"];
            assert_eq!(
                record["fields"]["id_number"],
                p.spec.id_number(),
                "the whole record"
            );
            assert_eq!(
                record.get("health").is_some(),
                self.can(Action::ViewHealth),
                "{}: health fields only for roles with ViewHealth: {res}",
                self.who()
            );
        }

        // The household shows the members in reach; with none in reach it does not exist.
        let members: BTreeSet<i64> = self
            .people
            .iter()
            .filter(|m| m.household() == p.household() && self.sees(&m.data))
            .map(Added::id)
            .collect();
        let expect = self.expect(Action::ListPersons, !members.is_empty(), StatusCode::OK);
        let res = self
            .app
            .send(get(&format!("/api/v1/households/{}", p.household())).bearer(&self.token))
            .await;
        self.seen
            .entry(("GET household", rel))
            .or_default()
            .insert(res.status.as_u16());
        match expect {
            Expect::Ok(_) => {
                assert_eq!(res.status, StatusCode::OK, "{}: {res}", self.who());
                let shown: BTreeSet<i64> = res
                    .json()
                    .as_array()
                    .expect("members")
                    .iter()
                    .map(|m| m["id"].as_i64().expect("an id"))
                    .collect();
                assert_eq!(
                    shown,
                    members,
                    "{}: household {}",
                    self.who(),
                    p.household()
                );
                assert!(!res.body.contains(p.spec.id_number()), "masked: {res}");
            }
            Expect::Forbidden => res.assert_error(StatusCode::FORBIDDEN, "forbidden"),
            _ => {
                res.assert_error(StatusCode::NOT_FOUND, "not_found");
                assert_eq!(
                    res.body, self.missing["GET household"],
                    "no leak of existence"
                );
            }
        }
    }

    async fn person_writes(&mut self, p: &Added) {
        let rel = self.rel(p.area());
        let in_reach = self.sees(&p.data);
        let id = p.id().to_string();

        let corrected = p.spec.clone().set("address", "长江路2号").json();
        let expect = self.expect(Action::EditPerson, in_reach, StatusCode::OK);
        let res = self
            .check(
                "PUT person",
                rel,
                put(&format!("/api/v1/persons/{id}")).json(&corrected),
                &expect,
                Some(id.clone()),
            )
            .await;
        if let Expect::Ok(_) = expect {
            assert_eq!(res.json()["changed"], true, "{res}");
        }

        for (endpoint, kind, body) in [
            ("POST pregnancy", EventKind::Pregnancy, pregnancy()),
            ("POST move_out", EventKind::MoveOut, move_out()),
        ] {
            let expect = self.expect(Action::RecordEvent(kind), in_reach, StatusCode::CREATED);
            let res = self
                .check(
                    endpoint,
                    rel,
                    post(&format!("/api/v1/persons/{id}/events")).json(&body),
                    &expect,
                    Some(id.clone()),
                )
                .await;
            if let Expect::Ok(_) = expect {
                assert_eq!(res.json()["kind"], kind.code(), "{res}");
            }
        }
    }

    async fn creates(&mut self) {
        for area in PERSON_AREAS {
            let rel = self.rel(area);
            for spec in [
                self.app.woman("新登记", area),
                self.app.woman("新流入", area).migrant_in(),
            ] {
                let data = spec.data();
                let expect = if !self.can(Action::EditPerson) {
                    Expect::Forbidden
                } else if self.sees(&data) {
                    Expect::Ok(StatusCode::CREATED)
                } else {
                    Expect::Refused
                };
                let res = self
                    .check(
                        "POST person",
                        rel,
                        post("/api/v1/persons").json(&spec.json()),
                        &expect,
                        None,
                    )
                    .await;
                if let Expect::Ok(_) = expect {
                    let id = res.json()["id"].as_i64().expect("the new id");
                    let stored = self
                        .app
                        .with_db(|s| s.person(renkou_core::PersonId(id)))
                        .expect("a read")
                        .expect("the new person is on the register");
                    assert_eq!(stored.data, data);
                }
            }
        }
    }

    /// The whole matrix for this world.
    async fn run(mut self) -> World {
        self.learn_missing().await;
        self.list().await;
        self.areas().await;
        let people = self.people.clone();
        for p in &people {
            self.person_reads(p).await;
        }
        for p in &people {
            self.person_writes(p).await;
        }
        self.creates().await;
        self
    }

    fn summary(&self) -> String {
        let mut out = format!("{}:\n", self.who());
        for ((endpoint, rel), statuses) in &self.seen {
            out.push_str(&format!("  {endpoint:<15} {rel:<9?} {statuses:?}\n"));
        }
        out
    }
}

fn pregnancy() -> Value {
    json!({"event": "pregnancy", "date": days_ago(30).to_string()})
}

fn move_out() -> Value {
    json!({"event": "move_out", "date": days_ago(1).to_string(), "note": "广东省深圳市"})
}

/// Runs the matrix for one role at each of its placements on SQLite, and at its natural
/// placement on PostgreSQL too when RENKOU_TEST_PG is set (the same queries, a third the time).
async fn matrix(role: Role) {
    for (i, area) in placements(role).into_iter().enumerate() {
        let mut backends = vec![Backend::sqlite()];
        if i == 0 {
            backends.extend(Backend::postgres());
        }
        for backend in backends {
            let world = World::new(backend, role, area).await.run().await;
            eprintln!("{}", world.summary());
            not_vacuous(&world);
        }
    }
}

/// The matrix did test something: each allowed action was allowed somewhere and hidden
/// somewhere else; each action the role lacks was refused.
fn not_vacuous(w: &World) {
    let statuses = |endpoint: &str| -> BTreeSet<u16> {
        w.seen
            .iter()
            .filter(|((e, _), _)| *e == endpoint)
            .flat_map(|(_, s)| s.iter().copied())
            .collect()
    };
    for (endpoint, action, ok) in [
        ("GET person", Action::ViewPerson, 200),
        ("PUT person", Action::EditPerson, 200),
        (
            "POST pregnancy",
            Action::RecordEvent(EventKind::Pregnancy),
            201,
        ),
        (
            "POST move_out",
            Action::RecordEvent(EventKind::MoveOut),
            201,
        ),
    ] {
        let seen = statuses(endpoint);
        if w.can(action) {
            assert!(
                seen.contains(&ok) && seen.contains(&404),
                "{}: {endpoint} was both allowed and hidden: {seen:?}",
                w.who()
            );
        } else {
            assert_eq!(seen, BTreeSet::from([403]), "{}: {endpoint}", w.who());
        }
    }
    let own_or_child = w.seen.iter().any(|((e, r), s)| {
        *e == "GET person" && matches!(r, Rel::Own | Rel::Child) && s.contains(&200)
    });
    let sibling = w
        .seen
        .iter()
        .any(|((e, r), s)| *e == "GET person" && *r == Rel::Sibling && s.contains(&404));
    if w.can(Action::ViewPerson) {
        assert!(
            own_or_child && sibling,
            "{}: own/child seen and siblings hidden",
            w.who()
        );
    }
}

#[tokio::test]
async fn bureau() {
    matrix(Role::Bureau).await;
}

#[tokio::test]
async fn station() {
    matrix(Role::Station).await;
}

#[tokio::test]
async fn centre() {
    matrix(Role::Centre).await;
}

#[tokio::test]
async fn committee_officer() {
    matrix(Role::CommitteeOfficer).await;
}

#[tokio::test]
async fn migrant_coordinator() {
    matrix(Role::MigrantCoordinator).await;
}

#[tokio::test]
async fn group_leader() {
    matrix(Role::GroupLeader).await;
}

#[tokio::test]
async fn system_admin() {
    matrix(Role::SystemAdmin).await;
}

#[tokio::test]
async fn security_admin() {
    matrix(Role::SecurityAdmin).await;
}

#[tokio::test]
async fn audit_admin() {
    matrix(Role::AuditAdmin).await;
}

/// A role added to core without a matrix test above fails here.
#[test]
fn every_role_has_a_matrix_test() {
    let tested = [
        Role::Bureau,
        Role::Station,
        Role::Centre,
        Role::CommitteeOfficer,
        Role::MigrantCoordinator,
        Role::GroupLeader,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
    ];
    assert_eq!(Role::ALL.len(), tested.len());
    for role in Role::ALL {
        assert!(tested.contains(&role), "{role} has no matrix test");
    }
}

#[test]
fn relations_are_read_from_the_codes() {
    assert_eq!(relation(K1, K1), Rel::Own);
    assert_eq!(relation(K1, G1), Rel::Child);
    assert_eq!(relation(G1, K1), Rel::Parent);
    assert_eq!(relation(K1, K2), Rel::Sibling);
    assert_eq!(relation(K1, K2G1), Rel::Sibling);
    assert_eq!(relation(G1, G2), Rel::Sibling);
    assert_eq!(relation(D1, D2K1), Rel::Sibling);
    assert_eq!(relation(K1, C2K1), Rel::Elsewhere);
    assert_eq!(relation(G1, K2), Rel::Elsewhere);
}

// ---------------------------------------------------------------------------------------------
// Cells written out by hand.

/// A few cells pinned without the role table: if the table (or the derivation above) were
/// broken so that everything is allowed or everything refused, these fail.
#[tokio::test]
async fn pinned_cells() {
    let app = TestApp::new();
    let own = app.add(app.woman("李秀兰", G1));
    let own_migrant = app.add(app.woman("张桂英", K1).migrant_in());
    let resident_k1 = app.add(app.woman("王秀珍", K1));
    let sibling = app.add(app.woman("刘淑华", K2));
    for (name, role, area) in [
        ("leader.g1", Role::GroupLeader, G1),
        ("migrants.k1", Role::MigrantCoordinator, K1),
        ("auditor", Role::AuditAdmin, D1),
        ("officer.k1", Role::CommitteeOfficer, K1),
        ("bureau", Role::Bureau, D1),
        ("station", Role::Station, D1),
        ("sysadmin", Role::SystemAdmin, D1),
    ] {
        app.add_account(name, role, area);
    }
    let person = |p: &Added| format!("/api/v1/persons/{}", p.id());

    // A group leader reads her group's people but corrects nothing.
    let leader = app.token("leader.g1").await;
    let res = app.send(get(&person(&own)).bearer(&leader)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(
        res.json()["person"].get("health").is_some(),
        "she reports pregnancies: {res}"
    );
    let res = app
        .send(
            put(&person(&own))
                .bearer(&leader)
                .json(&own.spec.clone().set("address", "x").json()),
        )
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    // …records a pregnancy, but not a move.
    let res = app
        .send(
            post(&format!("{}/events", person(&own)))
                .bearer(&leader)
                .json(&pregnancy()),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{res}");
    let res = app
        .send(
            post(&format!("{}/events", person(&own)))
                .bearer(&leader)
                .json(&move_out()),
        )
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    // The committee above her group is not hers.
    let res = app.send(get(&person(&resident_k1)).bearer(&leader)).await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");

    // A migrant coordinator sees migrants, not the residents beside them.
    let coordinator = app.token("migrants.k1").await;
    let res = app
        .send(get(&person(&own_migrant)).bearer(&coordinator))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(
        res.json()["person"].get("health").is_none(),
        "no health data for her: {res}"
    );
    let res = app
        .send(get(&person(&resident_k1)).bearer(&coordinator))
        .await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");
    let res = app.send(get("/api/v1/persons").bearer(&coordinator)).await;
    let ids: Vec<i64> = res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [own_migrant.id()], "{res}");

    // The audit administrator reads the audit trail, not the register.
    let auditor = app.token("auditor").await;
    app.send(get("/api/v1/persons").bearer(&auditor))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.send(get(&person(&own)).bearer(&auditor))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let sysadmin = app.token("sysadmin").await;
    app.send(
        post("/api/v1/persons")
            .bearer(&sysadmin)
            .json(&app.woman("某人", K1).json()),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // A committee officer keeps her committee (groups included), not the next one.
    let officer = app.token("officer.k1").await;
    assert_eq!(
        app.send(get(&person(&own)).bearer(&officer)).await.status,
        StatusCode::OK
    );
    let hidden = app.send(get(&person(&sibling)).bearer(&officer)).await;
    let missing = app
        .send(get("/api/v1/persons/987654").bearer(&officer))
        .await;
    hidden.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(hidden.body, missing.body);
    let res = app
        .send(
            post("/api/v1/persons")
                .bearer(&officer)
                .json(&app.woman("新人", K2).json()),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(res.json()["fields"][0]["field"], "area_code", "{res}");

    // The bureau reads the whole district but no health data, and edits nothing; the station
    // sees the pregnancy the group leader reported.
    let bureau = app.token("bureau").await;
    let res = app.send(get(&person(&own)).bearer(&bureau)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let record = res.json();
    assert!(record["person"].get("health").is_none(), "{res}");
    let kinds: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"pregnancy"),
        "health events hidden from the bureau: {kinds:?}"
    );
    app.send(
        put(&person(&sibling))
            .bearer(&bureau)
            .json(&sibling.spec.json()),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let station = app.token("station").await;
    let res = app.send(get(&person(&own)).bearer(&station)).await;
    assert_eq!(res.json()["person"]["health"]["pregnant"], true, "{res}");

    // Each refusal above is in the audit trail as denied, by whom.
    let denied = app.audit(renkou_store::AuditFilter {
        result: Some("denied".into()),
        ..Default::default()
    });
    let by = |name: &str| {
        denied
            .iter()
            .filter(|r| r.username.as_deref() == Some(name))
            .count()
    };
    assert_eq!(by("leader.g1"), 3, "{denied:#?}");
    assert_eq!(by("migrants.k1"), 1);
    assert_eq!(by("auditor"), 2);
    assert_eq!(by("sysadmin"), 1);
    assert_eq!(by("officer.k1"), 2);
    assert_eq!(by("bureau"), 1);
    assert_eq!(by("station"), 0);
}

/// Denied rows written after `mark`.
fn denied_after(app: &TestApp, mark: i64) -> Vec<AuditRow> {
    app.audit_after(mark)
        .into_iter()
        .filter(|r| r.result == "denied")
        .collect()
}

/// Issue 3: "every … denied access is one audit row". A household out of reach is refused with
/// the same 404 as a missing one (no leak), but unlike a person out of reach it leaves no trace.
#[tokio::test]
async fn an_out_of_reach_household_is_audited_as_denied() {
    let app = TestApp::new();
    let sibling = app.add(app.woman("刘淑华", K2));
    app.add_account("officer.k1", Role::CommitteeOfficer, K1);
    let token = app.token("officer.k1").await;
    let mark = app.last_seq();
    let res = app
        .send(get(&format!("/api/v1/households/{}", sibling.household())).bearer(&token))
        .await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");
    let rows = denied_after(&app, mark);
    assert_eq!(
        rows.len(),
        1,
        "one denied row for household {}: {rows:?}",
        sibling.household()
    );
}

/// The same for the area tree: browsing a sibling committee's areas is refused (404) but not
/// audited, like every other refusal.
#[tokio::test]
async fn an_out_of_reach_area_is_audited_as_denied() {
    let app = TestApp::new();
    app.add_account("officer.k1", Role::CommitteeOfficer, K1);
    let token = app.token("officer.k1").await;
    let mark = app.last_seq();
    let res = app
        .send(get(&format!("/api/v1/areas?under={K2}")).bearer(&token))
        .await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");
    let rows = denied_after(&app, mark);
    assert_eq!(rows.len(), 1, "one denied row for area {K2}: {rows:?}");
}
