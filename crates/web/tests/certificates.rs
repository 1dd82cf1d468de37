//! The certificates of issue 4 as the people using them notice: who may apply for which
//! document, who reviews, issues, prints, delivers, reissues and revokes it (every role, in its
//! own area and a sibling's), the review's explanations, the pages, the printed PDF as its text
//! reads, and the public verify page with its rate limit.
//!
//! The role × step matrix takes its expectations from core's role table (`role_allows`) and
//! area rule (`Scope::covers`); `pinned_cells` writes a few of them out by hand so that a broken
//! table cannot make the derived matrix pass vacuously.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{StatusCode, header};
use common::*;
use jiff::SignedDuration;
use renkou_core::access::role_allows;
use renkou_core::account::Account;
use renkou_core::audit::AuditRow;
use renkou_core::certificate::{Application, Certificate, Step};
use renkou_core::{Action, Actor, CertificateKind, PersonData, PersonName, Role, Scope};
use renkou_store::{AuditFilter, StepInput};
use serde_json::{Value, json};

const RH: CertificateKind = CertificateKind::ReproductiveHealthCard;
const BR: CertificateKind = CertificateKind::BirthRegistration;
const MIGRANT: CertificateKind = CertificateKind::MigrantCertificate;

/// A certificate id no test creates.
const MISSING_ID: i64 = 9_999_999;

// ---------------------------------------------------------------------------------------------
// Setting up, directly on the store: what a test is not about.

/// An account acting on the store directly, for setup.
fn actor(account: &Account) -> Actor {
    Actor {
        scope: TestApp::scope_of(account),
        username: account.username.as_str().to_string(),
        source: "test-setup".to_string(),
    }
}

/// A woman who may hold this kind of document: for a birth registration married (her husband
/// is not on this register), for the migrant certificate registered here and gone to work
/// elsewhere (流出), so that a migrant coordinator serves her too.
fn holder_spec(app: &TestApp, kind: CertificateKind, name: &str, area: &str) -> PersonSpec {
    let spec = app.woman(name, area);
    match kind {
        CertificateKind::ReproductiveHealthCard => spec,
        CertificateKind::BirthRegistration => spec.married(),
        CertificateKind::MigrantCertificate => spec
            .set("population_type", "migrant_out")
            .set("leaving_date", "2025-06-01")
            .set("origin_or_destination", "广东省深圳市"),
    }
}

/// A complete application of this kind (a birth registration names the spouse).
fn application(kind: CertificateKind) -> Application {
    let mut app = Application::default();
    match kind {
        CertificateKind::BirthRegistration => {
            app.spouse_name = Some(PersonName::parse("张伟").unwrap());
        }
        CertificateKind::MigrantCertificate => app.destination = Some("广东省深圳市".into()),
        CertificateKind::ReproductiveHealthCard => {}
    }
    app
}

/// The same application as the API takes it.
fn apply_body(person_id: i64, kind: CertificateKind) -> Value {
    let mut body = json!({"person_id": person_id, "kind": kind.code()});
    match kind {
        CertificateKind::BirthRegistration => body["spouse_name"] = json!("张伟"),
        CertificateKind::MigrantCertificate => body["destination"] = json!("广东省深圳市"),
        CertificateKind::ReproductiveHealthCard => {}
    }
    body
}

fn setup_apply(app: &TestApp, who: &Actor, person: &Added, kind: CertificateKind) -> i64 {
    let (a, id) = (who.clone(), person.id);
    app.with_db(move |s| s.apply_certificate(&a, id, kind, application(kind), today()))
        .unwrap_or_else(|e| panic!("setup: {} applies for {kind:?}: {e}", who.username))
        .id
}

fn setup_step(app: &TestApp, who: &Actor, id: i64, step: Step, input: StepInput) -> Certificate {
    let a = who.clone();
    app.with_db(move |s| s.certificate_step(&a, id, step, input, today()))
        .unwrap_or_else(|e| panic!("setup: {} takes step {step} on {id}: {e}", who.username))
}

fn reason(text: &str) -> StepInput {
    StepInput {
        reason: Some(text.to_string()),
        ..StepInput::default()
    }
}

fn printed(copies: u32) -> StepInput {
    StepInput {
        copies: Some(copies),
        ..StepInput::default()
    }
}

fn doc_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}")
}

fn steps_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}/steps")
}

fn print_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}/print")
}

fn step_body(step: &str) -> Value {
    if Step::from_key(step).is_some_and(Step::needs_reason) {
        json!({"step": step, "reason": "测试：材料需要核对"})
    } else {
        json!({"step": step})
    }
}

/// Denied rows written after `mark`.
fn denied_after(app: &TestApp, mark: i64) -> Vec<AuditRow> {
    app.audit_after(mark)
        .into_iter()
        .filter(|r| r.result == "denied")
        .collect()
}

/// Whether an account reaches a document of this kind held by this person: the person is among
/// its people, and a birth registration (it tells of a pregnancy) needs the health data.
fn reaches(scope: &Scope, kind: CertificateKind, holder: &PersonData) -> bool {
    scope.covers(holder)
        && (kind != CertificateKind::BirthRegistration || scope.allows(Action::ViewHealth))
}

// ---------------------------------------------------------------------------------------------
// The matrix: every role, in its own area and in a sibling's, through the whole workflow.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok(StatusCode),
    /// The role lacks the action: 403 forbidden, one denied audit row.
    Forbidden,
    /// Out of reach: 404 not_found, byte for byte what a missing id answers, one denied row.
    Hidden,
}

struct Desk {
    role: Role,
    area: &'static str,
    username: String,
    scope: Scope,
    token: String,
}

impl Desk {
    fn can(&self, action: Action) -> bool {
        role_allows(self.role, action)
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

    fn who(&self, app: &TestApp) -> String {
        format!("{} at {} ({})", self.role, self.area, app.backend().name)
    }
}

/// What the matrix saw, per endpoint: the statuses, for the non-vacuity check.
type Seen = BTreeMap<&'static str, BTreeSet<u16>>;

/// Sends `make(id)` as the desk and checks the answer and the audit rows it left. For a hidden
/// answer, `make(MISSING_ID)` must answer the same bytes.
async fn check(
    app: &TestApp,
    desk: &Desk,
    seen: &mut Seen,
    endpoint: &'static str,
    make: impl Fn(i64) -> Req,
    id: i64,
    expect: Expect,
) -> Resp {
    let who = desk.who(app);
    let mark = app.last_seq();
    let res = app.send(make(id).bearer(&desk.token)).await;
    seen.entry(endpoint)
        .or_default()
        .insert(res.status.as_u16());
    match expect {
        Expect::Ok(status) => assert_eq!(res.status, status, "{who} {endpoint}: {res}"),
        Expect::Forbidden => {
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{who} {endpoint}: {res}");
            assert_eq!(res.code(), "forbidden", "{who} {endpoint}: {res}");
        }
        Expect::Hidden => {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{who} {endpoint}: {res}");
            assert_eq!(res.code(), "not_found", "{who} {endpoint}: {res}");
        }
    }
    let denied = denied_after(app, mark);
    if let Expect::Ok(_) = expect {
        assert!(
            denied.is_empty(),
            "{who} {endpoint}: allowed, yet audited as denied: {denied:#?}"
        );
    } else {
        assert_eq!(
            denied.len(),
            1,
            "{who} {endpoint}: one denied audit row per refusal: {denied:#?}"
        );
        let row = &denied[0];
        assert_eq!(row.username.as_deref(), Some(desk.username.as_str()));
        assert_eq!(row.account_id, Some(desk.scope.account_id));
        if expect == Expect::Hidden {
            assert_eq!(
                row.object_id.as_deref(),
                Some(id.to_string().as_str()),
                "{who} {endpoint}: the row names what was asked for"
            );
        }
    }
    if expect == Expect::Hidden {
        let absent = app.send(make(MISSING_ID).bearer(&desk.token)).await;
        assert_eq!(absent.status, StatusCode::NOT_FOUND, "{who}: {absent}");
        assert_eq!(
            res.body, absent.body,
            "{who} {endpoint}: out of reach must read exactly like a missing id"
        );
    }
    res
}

/// The account's areas: its natural one (from which the people of G1 are its own) and a
/// sibling of it (from which they are not).
fn placements(role: Role) -> [&'static str; 2] {
    match role {
        Role::Centre => [C1, C2],
        Role::CommitteeOfficer | Role::MigrantCoordinator => [K1, K2],
        Role::GroupLeader => [G1, G2],
        _ => [D1, D2],
    }
}

/// Every certificate id the desk's list shows (all queues, every page).
async fn listed(app: &TestApp, desk: &Desk) -> Resp {
    app.send(get("/api/v1/certificates?queue=all&limit=200").bearer(&desk.token))
        .await
}

async fn all_listed(app: &TestApp, token: &str) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/certificates?queue=all&limit=200&after={a}"),
            None => "/api/v1/certificates?queue=all&limit=200".to_string(),
        };
        let res = app.send(get(&path).bearer(token)).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let page = res.json();
        for item in page["items"].as_array().expect("items") {
            ids.insert(item["id"].as_i64().expect("an id"));
        }
        match page["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => return ids,
        }
    }
}

/// One desk through the whole life of a document of each kind, held by women of group G1.
async fn desk_workflow(app: &TestApp, desk: &Desk, setup: &Setup, seen: &mut Seen) {
    let who = desk.who(app);
    let ok = StatusCode::OK;
    let mut mine: Vec<(i64, bool)> = Vec::new();
    for kind in CertificateKind::ALL.iter().copied() {
        let name = |n: &str| format!("{}{n}", &desk.username[..2]);
        // Applying.
        let p = app.add(holder_spec(app, kind, &name("甲"), G1));
        let expect = if !desk.can(Action::ApplyCertificate(kind)) {
            Expect::Forbidden
        } else if desk.scope.covers(&p.data) {
            Expect::Ok(StatusCode::CREATED)
        } else {
            Expect::Hidden
        };
        let res = check(
            app,
            desk,
            seen,
            "apply",
            |pid| post("/api/v1/certificates").json(&apply_body(pid, kind)),
            p.id(),
            expect,
        )
        .await;
        if res.status == StatusCode::CREATED {
            let doc = res.json();
            assert_eq!(doc["kind"], kind.code(), "{who}: {res}");
            assert_eq!(doc["state"], "applied", "{who}: {res}");
            assert_eq!(doc["holder_name"], p.spec.name(), "{who}: {res}");
            assert_eq!(doc["steps"][0]["step"], "apply", "{who}: {res}");
            assert_eq!(
                doc["steps"][0]["by"],
                desk.username.as_str(),
                "{who}: {res}"
            );
            mine.push((
                doc["id"].as_i64().unwrap(),
                reaches(&desk.scope, kind, &p.data),
            ));
        }

        // The rest of the life, on applications the committee took.
        let a = app.add(holder_spec(app, kind, &name("乙"), G1));
        let b = app.add(holder_spec(app, kind, &name("丙"), G1));
        let doc_a = setup_apply(app, &setup.officer, &a, kind);
        let doc_b = setup_apply(app, &setup.officer, &b, kind);
        let in_reach = reaches(&desk.scope, kind, &a.data);
        mine.push((doc_a, in_reach));
        mine.push((doc_b, in_reach));
        let expect = |action: Action| desk.expect(action, in_reach, ok);
        let step = |name: &'static str| move |id: i64| post(&steps_path(id)).json(&step_body(name));

        let res = check(
            app,
            desk,
            seen,
            "view",
            |id| get(&doc_path(id)),
            doc_a,
            expect(Action::ViewCertificates),
        )
        .await;
        if res.status == ok {
            let doc = res.json();
            assert_eq!(doc["holder_name"], a.spec.name(), "{who}: {res}");
            assert!(
                !doc["checks"].as_array().unwrap().is_empty(),
                "{who}: the review's checks are shown while it waits: {res}"
            );
        }

        let res = check(
            app,
            desk,
            seen,
            "return",
            step("return"),
            doc_a,
            expect(Action::ReviewCertificate),
        )
        .await;
        if res.status == ok {
            assert_eq!(res.json()["state"], "returned", "{who}: {res}");
            assert_eq!(res.json()["reason"], "测试：材料需要核对", "{who}: {res}");
        } else {
            setup_step(app, &setup.station, doc_a, Step::Return, reason("补充"));
        }
        setup_step(
            app,
            &setup.officer,
            doc_a,
            Step::Resubmit,
            StepInput::default(),
        );

        let res = check(
            app,
            desk,
            seen,
            "reject",
            step("reject"),
            doc_b,
            expect(Action::ReviewCertificate),
        )
        .await;
        if res.status == ok {
            assert_eq!(res.json()["state"], "rejected", "{who}: {res}");
        }

        let res = check(
            app,
            desk,
            seen,
            "issue",
            step("issue"),
            doc_a,
            expect(Action::ReviewCertificate),
        )
        .await;
        if res.status == ok {
            let doc = res.json();
            assert_eq!(doc["state"], "issued", "{who}: {res}");
            let serial = doc["serial"].as_str().unwrap_or_default();
            assert!(
                serial.starts_with(kind.spec().serial_prefix),
                "{who}: serial {serial}"
            );
        } else {
            setup_step(
                app,
                &setup.station,
                doc_a,
                Step::Issue,
                StepInput::default(),
            );
        }

        let mark = app.last_seq();
        let res = check(
            app,
            desk,
            seen,
            "print",
            |id| post(&print_path(id)).json(&json!({"copies": 1})),
            doc_a,
            expect(Action::PrintCertificate),
        )
        .await;
        if res.status == ok {
            assert_eq!(
                res.headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some("application/pdf"),
                "{who}"
            );
            let prints: Vec<AuditRow> = app
                .audit_after(mark)
                .into_iter()
                .filter(|r| r.action == "certificate.print" && r.result == "ok")
                .collect();
            assert_eq!(prints.len(), 1, "{who}: one print row: {prints:#?}");
        } else {
            setup_step(app, &setup.station, doc_a, Step::Print, printed(1));
        }

        let res = check(
            app,
            desk,
            seen,
            "deliver",
            step("deliver"),
            doc_a,
            expect(Action::PrintCertificate),
        )
        .await;
        if res.status == ok {
            assert_eq!(res.json()["delivered"], true, "{who}: {res}");
        }

        let res = check(
            app,
            desk,
            seen,
            "reissue",
            step("reissue"),
            doc_a,
            expect(Action::ReissueOrRevokeCertificate),
        )
        .await;
        let current = if res.status == ok {
            let new = res.json();
            assert_eq!(
                new["replaces"], doc_a,
                "{who}: the answer is the new document"
            );
            assert_eq!(new["state"], "issued", "{who}: {res}");
            let id = new["id"].as_i64().unwrap();
            mine.push((id, in_reach));
            id
        } else {
            doc_a
        };

        let res = check(
            app,
            desk,
            seen,
            "revoke",
            step("revoke"),
            current,
            expect(Action::ReissueOrRevokeCertificate),
        )
        .await;
        if res.status == ok {
            assert_eq!(res.json()["state"], "revoked", "{who}: {res}");
            assert_eq!(res.json()["validity"], "revoked", "{who}: {res}");
        }
    }

    // The lists show the desk's documents and nothing out of its reach.
    let mark = app.last_seq();
    let res = listed(app, desk).await;
    if desk.can(Action::ViewCertificates) {
        assert_eq!(res.status, StatusCode::OK, "{who}: {res}");
        let shown = all_listed(app, &desk.token).await;
        for (id, in_reach) in &mine {
            assert_eq!(
                shown.contains(id),
                *in_reach,
                "{who}: certificate {id} listed iff in reach"
            );
        }
        seen.entry("list").or_default().insert(200);
    } else {
        res.assert_error(StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(
            denied_after(app, mark).len(),
            1,
            "{who}: the refusal is audited"
        );
        seen.entry("list").or_default().insert(403);
    }
}

/// The accounts that set things up: a committee takes applications, the station reviews.
struct Setup {
    officer: Actor,
    station: Actor,
}

#[tokio::test]
async fn every_role_through_the_whole_workflow_in_its_own_area_and_a_siblings() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let setup = Setup {
            officer: actor(&app.add_account("setup.officer", Role::CommitteeOfficer, K1)),
            station: actor(&app.add_account("setup.station", Role::Station, D1)),
        };
        let mut seen: BTreeMap<(&'static str, &'static str), BTreeSet<u16>> = BTreeMap::new();
        let mut all: Seen = BTreeMap::new();
        for role in Role::ALL {
            for area in placements(role) {
                let key = role.key();
                let username = format!("{}.{area}", &key[..key.len().min(12)]);
                let account = app.add_account(&username, role, area);
                let desk = Desk {
                    role,
                    area,
                    scope: TestApp::scope_of(&account),
                    token: app.token(&username).await,
                    username,
                };
                let mut mine = Seen::new();
                desk_workflow(&app, &desk, &setup, &mut mine).await;
                for (endpoint, statuses) in mine {
                    seen.entry((role.key(), endpoint))
                        .or_default()
                        .extend(statuses.iter().copied());
                    all.entry(endpoint).or_default().extend(statuses);
                }
            }
        }
        for ((role, endpoint), statuses) in &seen {
            eprintln!("{role:<20} {endpoint:<8} {statuses:?}");
        }
        // Not vacuous: every endpoint was allowed somewhere, refused and hidden elsewhere.
        for (endpoint, ok) in [
            ("apply", 201),
            ("view", 200),
            ("return", 200),
            ("reject", 200),
            ("issue", 200),
            ("print", 200),
            ("deliver", 200),
            ("reissue", 200),
            ("revoke", 200),
        ] {
            let s = &all[endpoint];
            assert!(
                s.contains(&ok) && s.contains(&403) && s.contains(&404),
                "{endpoint}: {s:?}"
            );
        }
        // Only the station reviews, reissues and revokes; the station and the centre print.
        for (endpoint, roles) in [
            ("issue", &[Role::Station][..]),
            ("revoke", &[Role::Station]),
            ("print", &[Role::Station, Role::Centre]),
            (
                "apply",
                &[
                    Role::Centre,
                    Role::CommitteeOfficer,
                    Role::MigrantCoordinator,
                ],
            ),
        ] {
            let allowed: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| {
                    seen.get(&(r.key(), endpoint))
                        .is_some_and(|s| s.contains(&200) || s.contains(&201))
                })
                .collect();
            assert_eq!(allowed, roles, "{endpoint}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cells written out by hand.

#[tokio::test]
async fn pinned_cells() {
    let app = TestApp::new();
    for (name, role, area) in [
        ("officer.k1", Role::CommitteeOfficer, K1),
        ("officer.k2", Role::CommitteeOfficer, K2),
        ("migrants.k1", Role::MigrantCoordinator, K1),
        ("centre.c1", Role::Centre, C1),
        ("station", Role::Station, D1),
        ("bureau", Role::Bureau, D1),
        ("leader.g1", Role::GroupLeader, G1),
        ("sysadmin", Role::SystemAdmin, D1),
    ] {
        app.add_account(name, role, area);
    }
    let token = |name: &'static str| app.token(name);
    let (officer, officer_k2, migrants) = (
        token("officer.k1").await,
        token("officer.k2").await,
        token("migrants.k1").await,
    );
    let (centre, station, bureau, leader, sysadmin) = (
        token("centre.c1").await,
        token("station").await,
        token("bureau").await,
        token("leader.g1").await,
        token("sysadmin").await,
    );
    let her = app.add(app.woman("李秀兰", G1));
    let away = app.add(holder_spec(&app, MIGRANT, "张桂英", K1));
    let resident = app.add(app.woman("王秀珍", K1));
    let apply = |t: &str, p: &Added, kind: CertificateKind| {
        post("/api/v1/certificates")
            .bearer(t)
            .json(&apply_body(p.id(), kind))
    };

    // Station, bureau, group leader and administrators take no applications.
    for t in [&station, &bureau, &leader, &sysadmin] {
        app.send(apply(t, &her, RH))
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    // A migrant coordinator: the migrant certificate, for migrants only.
    app.send(apply(&migrants, &away, RH))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.send(apply(&migrants, &resident, MIGRANT))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let res = app.send(apply(&migrants, &away, MIGRANT)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{res}");
    // A committee officer takes the application of a woman of her group.
    let res = app.send(apply(&officer, &her, RH)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{res}");
    let id = res.json()["id"].as_i64().unwrap();
    // The next committee's officer: not found, exactly like a document that does not exist.
    let hidden = app.send(get(&doc_path(id)).bearer(&officer_k2)).await;
    let missing = app
        .send(get(&doc_path(MISSING_ID)).bearer(&officer_k2))
        .await;
    hidden.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(hidden.body, missing.body);

    let step = |t: &str, id: i64, s: &str| post(&steps_path(id)).bearer(t).json(&step_body(s));
    // The centre does not review; the station issues.
    app.send(step(&centre, id, "issue"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let res = app.send(step(&station, id, "issue")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(res.json()["serial"].as_str().unwrap().starts_with("SB"));
    // The committee does not print; the centre does.
    let print = |t: &str| post(&print_path(id)).bearer(t).json(&json!({"copies": 1}));
    app.send(print(&officer))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let (res, pdf) = app.send_bytes(print(&centre)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    // The centre hands it over, but neither reissues nor revokes; the station revokes.
    let res = app.send(step(&centre, id, "deliver")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    app.send(step(&centre, id, "revoke"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let res = app.send(step(&station, id, "revoke")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(res.json()["state"], "revoked");

    let denied = app.audit(AuditFilter {
        result: Some("denied".into()),
        ..Default::default()
    });
    let by = |name: &str| {
        denied
            .iter()
            .filter(|r| r.username.as_deref() == Some(name))
            .count()
    };
    assert_eq!(by("station"), 1, "{denied:#?}");
    assert_eq!(by("bureau"), 1);
    assert_eq!(by("leader.g1"), 1);
    assert_eq!(by("sysadmin"), 1);
    assert_eq!(by("migrants.k1"), 2);
    assert_eq!(by("officer.k2"), 1);
    assert_eq!(by("officer.k1"), 1);
    assert_eq!(by("centre.c1"), 2);
}

/// A birth registration tells of a pregnancy: the bureau, which sees no health data, never sees
/// one (not in the lists, not by id, not on the holder's page), while it sees her other papers.
#[tokio::test]
async fn the_bureau_never_sees_a_birth_registration() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station = actor(&app.add_account("station", Role::Station, D1));
        app.add_account("bureau", Role::Bureau, D1);
        let her = app.add(holder_spec(&app, BR, "刘淑华", K1));
        let br = setup_apply(&app, &officer, &her, BR);
        setup_step(&app, &station, br, Step::Issue, StepInput::default());
        let rh = setup_apply(&app, &officer, &her, RH);
        setup_step(&app, &station, rh, Step::Issue, StepInput::default());

        let bureau = app.token("bureau").await;
        let mark = app.last_seq();
        let res = app.send(get(&doc_path(br)).bearer(&bureau)).await;
        res.assert_error(StatusCode::NOT_FOUND, "not_found");
        let missing = app.send(get(&doc_path(MISSING_ID)).bearer(&bureau)).await;
        assert_eq!(res.body, missing.body);
        assert_eq!(denied_after(&app, mark).len(), 1);
        let res = app.send(get(&doc_path(rh)).bearer(&bureau)).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");

        let shown = all_listed(&app, &bureau).await;
        assert_eq!(shown, BTreeSet::from([rh]), "the bureau's list");
        let station_token = app.token("station").await;
        assert_eq!(
            all_listed(&app, &station_token).await,
            BTreeSet::from([br, rh])
        );

        let browser = app.browser("bureau").await;
        let page = app
            .send(browser.get(&format!("/persons/{}", her.id())))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        assert!(
            page.body.contains(&format!("/certificates/{rh}\"")),
            "{page}"
        );
        assert!(
            !page.body.contains(&format!("/certificates/{br}\""))
                && !page.body.contains("生育登记"),
            "the bureau's page of her shows no birth registration: {page}"
        );
        let station_page = app
            .send(
                app.browser("station")
                    .await
                    .get(&format!("/persons/{}", her.id())),
            )
            .await;
        assert!(
            station_page.body.contains(&format!("/certificates/{br}\"")),
            "{station_page}"
        );
    }
}

/// Resubmitting needs the right to apply for the kind: an account that reads the document
/// but lacks that right is refused (403), not told the document does not exist.
#[tokio::test]
async fn resubmitting_without_the_right_to_apply_is_forbidden_not_hidden() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    app.add_account("migrants.k1", Role::MigrantCoordinator, K1);
    let her = app.add(holder_spec(&app, MIGRANT, "陈玉兰", K1));
    let rh = setup_apply(&app, &officer, &her, RH);
    setup_step(&app, &station, rh, Step::Return, reason("照片不清楚"));
    for name in ["station", "migrants.k1"] {
        let token = app.token(name).await;
        let res = app.send(get(&doc_path(rh)).bearer(&token)).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{name} reads the document: {res}"
        );
        let res = app
            .send(
                post(&steps_path(rh))
                    .bearer(&token)
                    .json(&json!({"step": "resubmit"})),
            )
            .await;
        assert!(
            !role_allows(
                if name == "station" {
                    Role::Station
                } else {
                    Role::MigrantCoordinator
                },
                Action::ApplyCertificate(RH)
            ),
            "the table: {name} does not apply for {RH:?}"
        );
        res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
}

// ---------------------------------------------------------------------------------------------
// The review's explanations.

#[tokio::test]
async fn a_missing_spouse_is_explained_returned_resubmitted_and_then_issued() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("officer.k1", Role::CommitteeOfficer, K1);
        app.add_account("station", Role::Station, D1);
        let (officer, station) = (app.token("officer.k1").await, app.token("station").await);
        let her = app.add(app.woman("赵静", G1).married());

        let res = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&json!({"person_id": her.id(), "kind": "birth_registration"})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{res}");
        let doc = res.json();
        let id = doc["id"].as_i64().unwrap();
        let spouse = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "spouse")
            .cloned()
            .unwrap_or_else(|| panic!("a spouse check: {res}"));
        assert_eq!(spouse["outcome"], "missing", "{res}");
        assert!(
            spouse["message"]
                .as_str()
                .unwrap()
                .contains("配偶不在本登记册中"),
            "{res}"
        );
        let identity = doc["checks"][0].clone();
        assert_eq!(identity["key"], "identity");
        assert_eq!(identity["outcome"], "passed");

        // The station cannot approve it and is told why.
        let step = |t: &str, body: Value| post(&steps_path(id)).bearer(t).json(&body);
        let res = app.send(step(&station, json!({"step": "issue"}))).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(res.body.contains("配偶不在本登记册中"), "{res}");
        // Sending it back needs a reason.
        let res = app.send(step(&station, json!({"step": "return"}))).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(res.json()["fields"][0]["field"], "reason", "{res}");
        let res = app
            .send(step(
                &station,
                json!({"step": "return", "reason": "请补充配偶姓名"}),
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(res.json()["state"], "returned");
        assert_eq!(res.json()["reason"], "请补充配偶姓名");
        // The committee's officer finds it in her returned queue.
        let res = app
            .send(get("/api/v1/certificates?queue=returned").bearer(&officer))
            .await;
        assert_eq!(res.json()["items"][0]["id"], id, "{res}");

        let res = app
            .send(step(
                &officer,
                json!({"step": "resubmit", "spouse_name": "孙强"}),
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let doc = res.json();
        assert_eq!(doc["state"], "applied");
        assert_eq!(doc["application"]["spouse_name"], "孙强");
        let spouse = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "spouse")
            .cloned()
            .unwrap();
        assert_eq!(spouse["outcome"], "note", "{res}");
        assert!(spouse["message"].as_str().unwrap().contains("孙强"));

        let res = app.send(step(&station, json!({"step": "issue"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let doc = res.json();
        let year = today().year();
        assert_eq!(doc["serial"], format!("SY{year}000001"), "{res}");
        assert_eq!(doc["state"], "issued");
        assert_eq!(doc["validity"], "valid");
        assert_eq!(
            doc["valid_until"],
            Value::Null,
            "a registration does not lapse"
        );
        assert_eq!(doc["verify_code"].as_str().unwrap().len(), 10, "{res}");
        let steps: Vec<&str> = doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["apply", "return", "resubmit", "issue"]);
        assert_eq!(doc["steps"][1]["note"], "请补充配偶姓名");
        assert_eq!(doc["steps"][3]["by"], "station");
        // Issued documents are not reviewed again: the checks are gone, a second issue refused.
        assert_eq!(doc["checks"], json!([]));
        app.send(step(&station, json!({"step": "issue"})))
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");

        // Each kind has its own sequence.
        let card = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&apply_body(her.id(), RH)),
            )
            .await;
        let card_id = card.json()["id"].as_i64().unwrap();
        let res = app
            .send(
                post(&steps_path(card_id))
                    .bearer(&station)
                    .json(&json!({"step": "issue"})),
            )
            .await;
        assert_eq!(res.json()["serial"], format!("SB{year}000001"), "{res}");
        // And a second application for a card she holds is refused, saying so.
        let res = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&apply_body(her.id(), RH)),
            )
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(res.body.contains("已持有有效的"), "{res}");
    }
}

// ---------------------------------------------------------------------------------------------
// The pages.

#[tokio::test]
async fn the_pages_take_an_application_from_the_committee_to_the_station_and_back() {
    let app = TestApp::new();
    app.add_account("officer.k1", Role::CommitteeOfficer, K1);
    app.add_account("station", Role::Station, D1);
    app.add_account("centre.c1", Role::Centre, C1);
    let her = app.add(app.woman("黄敏", G1));
    let officer = app.browser("officer.k1").await;
    let station = app.browser("station").await;

    // The committee's officer applies from the person's page.
    let page = app
        .send(officer.get(&format!("/persons/{}", her.id())))
        .await;
    assert!(
        page.body
            .contains(&format!("href=\"/persons/{}/certificates/new\"", her.id())),
        "{page}"
    );
    let form_path = format!("/persons/{}/certificates/new", her.id());
    let form = app.send(officer.get(&form_path)).await;
    assert_eq!(form.status, StatusCode::OK, "{form}");
    for title in ["生殖保健服务证", "生育登记", "流动人口婚育证明"] {
        assert!(form.body.contains(title), "{title}: {form}");
    }
    // Without the session's CSRF token nothing is taken.
    let res = app
        .send(officer.with(post(&form_path)).form(&[
            ("kind", "reproductive_health_card"),
            ("person_name", "黄敏"),
        ]))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
    assert!(res.body.contains("页面已过期"), "{res}");
    let taken = app.audit(AuditFilter {
        action: Some("certificate.apply".into()),
        ..Default::default()
    });
    assert!(taken.is_empty(), "{taken:#?}");
    let res = app
        .send(officer.post_form(
            &form_path,
            &[
                ("kind", "reproductive_health_card"),
                ("person_name", "黄敏"),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    let doc = res.location().to_string();
    let id: i64 = doc
        .strip_prefix("/certificates/")
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| panic!("leads to the document: {res}"));

    // The officer's view of it: the checks, no review buttons.
    let page = app.send(officer.get(&doc)).await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(page.body.contains("身份证号已登记，校验通过"), "{page}");
    assert!(!page.body.contains("审核通过并发证"), "{page}");

    // The station's queue: 待审核 with its count, and the application in it.
    let queue = app.send(station.get("/certificates")).await;
    assert_eq!(queue.status, StatusCode::OK, "{queue}");
    assert!(
        queue.body.contains(
            "class=\"active\" aria-current=\"page\">待审核 <span class=\"badge\">1</span>"
        ),
        "{queue}"
    );
    assert!(queue.body.contains(&format!("href=\"/certificates/{id}\"")));
    assert!(queue.body.contains("黄敏"), "{queue}");
    let page = app.send(station.get(&doc)).await;
    assert!(page.body.contains("身份证号已登记，校验通过"), "{page}");
    assert!(page.body.contains("审核通过并发证"), "{page}");
    assert!(!page.body.contains("disabled>审核通过并发证"), "{page}");

    // Issuing needs the token too.
    let step = format!("/certificates/{id}/step");
    let res = app
        .send(station.with(post(&step)).form(&[("step", "issue")]))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
    let res = app
        .send(station.post_form(&step, &[("step", "issue")]))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert_eq!(res.location(), doc);
    let page = app.send(station.get(&doc)).await;
    let serial = format!("SB{}000001", today().year());
    assert!(page.body.contains(&serial), "{page}");
    assert!(
        page.body
            .contains(&format!("action=\"/certificates/{id}/print\"")),
        "the station may print: {page}"
    );
    assert!(page.body.contains("注销"), "{page}");
    let queue = app.send(station.get("/certificates")).await;
    assert!(
        queue.body.contains("待审核 <span class=\"badge\">0</span>"),
        "{queue}"
    );
    // The centre opens on its print queue and may print; the committee may not.
    let centre = app.browser("centre.c1").await;
    let queue = app.send(centre.get("/certificates")).await;
    assert!(
        queue.body.contains(
            "class=\"active\" aria-current=\"page\">待打印 <span class=\"badge\">1</span>"
        ),
        "{queue}"
    );
    let page = app.send(centre.get(&doc)).await;
    assert!(
        page.body
            .contains(&format!("action=\"/certificates/{id}/print\""))
    );
    let page = app.send(officer.get(&doc)).await;
    assert!(
        !page
            .body
            .contains(&format!("action=\"/certificates/{id}/print\""))
    );

    // Her page lists the document and has its steps on her timeline.
    let page = app
        .send(officer.get(&format!("/persons/{}", her.id())))
        .await;
    assert!(
        page.body.contains(&format!("href=\"/certificates/{id}\"")),
        "{page}"
    );
    assert!(page.body.contains(&serial), "{page}");
    assert!(page.body.contains("生殖保健服务证·受理申请"), "{page}");
    assert!(
        page.body.contains("生殖保健服务证·审核通过并发证"),
        "{page}"
    );
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// The text of a PDF as `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paper.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "pdftotext is needed to read the printed certificates: install poppler-utils \
             (Debian/Ubuntu: apt-get install -y poppler-utils)"
        ),
        Err(e) => panic!("pdftotext: {e}"),
    };
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The text without its spaces and line breaks (a paper lays names out in cells).
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn content_type(res: &Resp) -> &str {
    res.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn a_printed_certificate_reads_its_holder_serial_and_code_and_is_audited() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station_actor = actor(&app.add_account("station", Role::Station, D1));
        app.add_account("centre.c1", Role::Centre, C1);
        let her = app.add(app.woman("周芳", G1));
        let id = setup_apply(&app, &officer, &her, RH);
        let issued = setup_step(&app, &station_actor, id, Step::Issue, StepInput::default());
        let serial = issued.serial.clone().unwrap();
        let code = issued.verify_code.clone().unwrap().to_string();

        // Through the API.
        let station = app.token("station").await;
        let mark = app.last_seq();
        let (res, pdf) = app
            .send_bytes(
                post(&print_path(id))
                    .bearer(&station)
                    .json(&json!({"copies": 2})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(content_type(&res), "application/pdf");
        let text = squeezed(&pdf_text(&pdf));
        for want in ["周芳", serial.as_str(), code.as_str(), "生殖保健服务证"] {
            assert!(text.contains(want), "the paper reads {want}: {text}");
        }
        let prints: Vec<AuditRow> = app
            .audit_after(mark)
            .into_iter()
            .filter(|r| r.action == "certificate.print")
            .collect();
        assert_eq!(prints.len(), 1, "{prints:#?}");
        assert_eq!(prints[0].result, "ok");
        assert_eq!(prints[0].username.as_deref(), Some("station"));
        let detail = prints[0].detail.clone().unwrap_or_default();
        assert!(detail.contains("copies=2"), "{detail}");
        assert!(
            !detail.contains("周芳"),
            "the row holds references only: {detail}"
        );

        // Through the page: a form post with the session's token.
        let centre = app.browser("centre.c1").await;
        let path = format!("/certificates/{id}/print");
        let res = app
            .send(centre.with(post(&path)).form(&[("copies", "1")]))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "no token: {res}");
        let mark = app.last_seq();
        let (res, pdf) = app
            .send_bytes(centre.post_form(&path, &[("copies", "1")]))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(content_type(&res), "application/pdf");
        let disposition = res
            .headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            disposition.contains(&format!("{serial}.pdf")),
            "{disposition}"
        );
        let text = squeezed(&pdf_text(&pdf));
        assert!(text.contains("周芳") && text.contains(&serial), "{text}");
        let prints: Vec<AuditRow> = app
            .audit_after(mark)
            .into_iter()
            .filter(|r| r.action == "certificate.print" && r.result == "ok")
            .collect();
        assert_eq!(prints.len(), 1, "{prints:#?}");
        assert!(
            prints[0]
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("copies=1")
        );
        let res = app.send(get(&doc_path(id)).bearer(&station)).await;
        assert_eq!(res.json()["copies_printed"], 3, "{res}");

        // Eleven copies are too many.
        let res = app
            .send(
                post(&print_path(id))
                    .bearer(&station)
                    .json(&json!({"copies": 11})),
            )
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");

        // A revoked document is not printed, and no print is recorded.
        setup_step(&app, &station_actor, id, Step::Revoke, reason("登记错误"));
        let mark = app.last_seq();
        let (res, pdf) = app
            .send_bytes(
                post(&print_path(id))
                    .bearer(&station)
                    .json(&json!({"copies": 1})),
            )
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(!pdf.starts_with(b"%PDF"));
        let prints: Vec<AuditRow> = app
            .audit_after(mark)
            .into_iter()
            .filter(|r| r.action == "certificate.print" && r.result == "ok")
            .collect();
        assert!(prints.is_empty(), "{prints:#?}");
        let res = app.send(get(&doc_path(id)).bearer(&station)).await;
        assert_eq!(res.json()["copies_printed"], 3, "{res}");
    }
}

#[tokio::test]
async fn a_name_with_a_rare_character_prints_with_that_character() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station_actor = actor(&app.add_account("station", Role::Station, D1));
    // 𪚥 (U+2A6A5), in CJK Extension B: fonts-hanazono has it.
    let name = "王\u{2A6A5}";
    let her = app.add(app.woman(name, G1));
    let id = setup_apply(&app, &officer, &her, MIGRANT);
    let issued = setup_step(&app, &station_actor, id, Step::Issue, StepInput::default());
    let station = app.token("station").await;
    let (res, pdf) = app
        .send_bytes(
            post(&print_path(id))
                .bearer(&station)
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let text = squeezed(&pdf_text(&pdf));
    assert!(text.contains(name), "the paper reads {name}: {text}");
    assert!(text.contains(&issued.serial.unwrap()), "{text}");
}

// ---------------------------------------------------------------------------------------------
// The verify page.

/// The verdict the verify page shows.
fn verdict(html: &str) -> String {
    let at = html
        .find("class=\"verdict")
        .unwrap_or_else(|| panic!("a verdict: {html}"));
    let open = html[at..].find('>').unwrap() + at + 1;
    let close = html[open..].find("</p>").unwrap() + open;
    html[open..close].to_string()
}

#[tokio::test]
async fn the_verify_page_says_valid_revoked_expired_or_not_found_and_keeps_the_holder_private() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station = actor(&app.add_account("station", Role::Station, D1));
        let issue = |p: &Added, kind: CertificateKind| {
            let id = setup_apply(&app, &officer, p, kind);
            setup_step(&app, &station, id, Step::Issue, StepInput::default())
        };
        let wang = app.add(holder_spec(&app, MIGRANT, "王秀英", G1));
        let card = issue(&wang, RH);
        let migrant = issue(&wang, MIGRANT);
        let li = app.add(app.woman("李桂兰", G1));
        let revoked = issue(&li, RH);
        setup_step(&app, &station, revoked.id, Step::Revoke, reason("登记错误"));
        let code = |c: &Certificate| c.verify_code.clone().unwrap().to_string();
        let from = "198.51.100.10";

        // Valid, for anyone: no login.
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&card))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "有效");
        assert!(res.body.contains(card.serial.as_deref().unwrap()), "{res}");
        assert!(res.body.contains("王**"), "the masked name: {res}");
        for secret in ["王秀英", wang.spec.id_number(), wang.spec.get("phone")] {
            assert!(!res.body.contains(secret), "the page shows {secret}: {res}");
        }
        // Typed from paper: lower case, with a dash, through the form.
        let typed = code(&card).to_lowercase();
        let typed = format!("{}-{}", &typed[..5], &typed[5..]);
        let res = app
            .send_from(from, get(&with_query("/verify", &[("code", &typed)])))
            .await;
        assert!(res.status.is_redirection(), "{res}");
        let res = app.send_from(from, get(res.location())).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "有效");

        // Revoked.
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&revoked))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "已注销");
        assert!(res.body.contains(revoked.serial.as_deref().unwrap()));
        assert!(
            res.body.contains("李**") && !res.body.contains("李桂兰"),
            "{res}"
        );

        // Unknown.
        let res = app.send_from(from, get("/verify/23456789AB")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");
        assert!(verdict(&res.body).contains("没有找到"), "{res}");
        let res = app.send_from(from, get("/verify/not-a-code")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");

        // The migrant certificate is valid 36 months: through the day its paper prints as
        // 有效期至, and expired the day after. The card (60 months) is still valid then.
        let last = migrant.valid_until.expect("the migrant certificate lapses");
        assert_eq!(
            last,
            migrant
                .issued_on
                .unwrap()
                .checked_add(jiff::Span::new().months(36))
                .unwrap()
                .yesterday()
                .unwrap()
        );
        let days = (last - today()).get_days();
        app.state()
            .clock
            .advance(SignedDuration::from_hours(24 * i64::from(days)));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&migrant))))
            .await;
        assert_eq!(verdict(&res.body), "有效", "on its last day, {last}: {res}");
        app.state().clock.advance(SignedDuration::from_hours(24));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&migrant))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "已过期", "the day after {last}: {res}");
        assert!(res.body.contains(migrant.serial.as_deref().unwrap()));
        assert!(res.body.contains(&last.to_string()));
        assert!(!res.body.contains("王秀英") && !res.body.contains(wang.spec.id_number()));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&card))))
            .await;
        assert_eq!(verdict(&res.body), "有效");
    }
}

/// A lost card is reissued: the new paper verifies as valid until the old one's date, the old
/// paper as void.
#[tokio::test]
async fn a_reissued_card_voids_the_old_paper() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("马红", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let old = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let token = app.token("station").await;
    let res = app
        .send(
            post(&steps_path(id))
                .bearer(&token)
                .json(&json!({"step": "reissue", "reason": "遗失"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let new = res.json();
    assert_eq!(new["replaces"], id);
    assert_ne!(new["serial"], old.serial.clone().unwrap().as_str());
    assert_eq!(
        new["valid_until"],
        old.valid_until.unwrap().to_string(),
        "a reissue keeps the validity"
    );
    let res = app.send(get(&doc_path(id)).bearer(&token)).await;
    assert_eq!(res.json()["state"], "voided", "{res}");
    assert_eq!(res.json()["replaced_by"], new["id"], "{res}");

    let res = app
        .send(get(&format!("/verify/{}", old.verify_code.unwrap())))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(verdict(&res.body).starts_with("已作废"), "{res}");
    let res = app
        .send(get(&format!(
            "/verify/{}",
            new["verify_code"].as_str().unwrap()
        )))
        .await;
    assert_eq!(verdict(&res.body), "有效", "{res}");
    assert!(res.body.contains(new["serial"].as_str().unwrap()));
}

/// The paper tells its reader to check it at the configured public address (`--public-url`)
/// with the code beside it: that address opens the form where the code is typed in. A forged
/// Host header never reaches the paper.
#[tokio::test]
async fn the_address_printed_on_the_paper_is_the_configured_one_and_opens_the_verify_page() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("朱琳", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let code = issued.verify_code.unwrap().to_string();
    let token = app.token("station").await;
    let (res, pdf) = app
        .send_bytes(
            post(&print_path(id))
                .bearer(&token)
                .header("host", "evil.example")
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let text = pdf_text(&pdf);
    assert!(!text.contains("evil.example"), "{text}");
    let base = app
        .state()
        .public_url
        .clone()
        .expect("the tests configure one");
    let at = text
        .find(&base)
        .unwrap_or_else(|| panic!("the paper names the public address {base}: {text}"));
    let url: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '，')
        .collect();
    let path = &url[base.len()..];
    let page = app.send_from("192.0.2.9", get(path)).await;
    let page = if page.status.is_redirection() {
        app.send_from("192.0.2.9", get(page.location())).await
    } else {
        page
    };
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the paper says to visit {url} (with the code {code}): {page}"
    );
    assert!(page.body.contains("id=\"code\""), "{page}");
}

/// Without `--public-url` nothing is printed: the station is told how to set it, and no print
/// is recorded.
#[tokio::test]
async fn printing_waits_for_the_public_address_to_be_configured() {
    let app = TestApp::configured(Backend::sqlite(), |state| state.public_url = None);
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("朱琳", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let token = app.token("station").await;
    let res = app
        .send(
            post(&print_path(id))
                .bearer(&token)
                .header("host", "evil.example")
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{res}");
    assert_eq!(res.json()["code"], "public_url_not_set", "{res}");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("--public-url"),
        "{res}"
    );
    let res = app.send(get(&doc_path(id)).bearer(&token)).await;
    assert_eq!(res.json()["state"], "issued", "not printed: {res}");
}

#[tokio::test]
async fn the_twenty_first_check_in_a_minute_from_one_place_waits() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("吴霞", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let path = format!("/verify/{}", issued.verify_code.unwrap());
    for n in 1..=20 {
        let res = app.send_from("203.0.113.7", get(&path)).await;
        assert_eq!(res.status, StatusCode::OK, "check {n}: {res}");
    }
    let res = app.send_from("203.0.113.7", get(&path)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{res}");
    assert!(res.body.contains("查验太频繁"), "{res}");
    assert!(!res.body.contains("verdict-valid"), "{res}");
    // Someone else is answered.
    let res = app.send_from("203.0.113.8", get(&path)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(verdict(&res.body), "有效");
}

#[tokio::test]
async fn one_noisy_address_does_not_close_the_verify_page_for_everyone() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("吴霞", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let path = format!("/verify/{}", issued.verify_code.unwrap());
    // A script at one address sends 600 checks in a burst: 20 are answered, the rest wait.
    let mut answered = 0;
    for _ in 0..600 {
        let res = app.send_from("198.51.100.66", get("/verify/X")).await;
        match res.status {
            StatusCode::NOT_FOUND => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}: {res}"),
        }
    }
    assert_eq!(answered, 20);
    // A citizen at another address checks a real document in the same minute.
    let res = app.send_from("203.0.113.8", get(&path)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(verdict(&res.body), "有效");
}

#[tokio::test]
async fn three_thousand_checks_a_minute_are_the_most_from_everywhere_together() {
    let app = TestApp::new();
    for source in 0..150 {
        for _ in 0..20 {
            let res = app
                .send_from(&format!("10.1.{source}.1"), get("/verify/X"))
                .await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");
        }
    }
    let res = app.send_from("10.2.0.1", get("/verify/X")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{res}");
}
