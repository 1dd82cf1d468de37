//! The matrix: every role, in its own area and in a sibling's, through the whole workflow.

use super::*;

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
