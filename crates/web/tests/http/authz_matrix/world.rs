//! How a `World` is set up, and how it walks every endpoint for its role and records what it saw.

use super::*;

impl World {
    pub(super) async fn new(backend: Backend, role: Role, area: &'static str) -> World {
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

    pub(super) fn can(&self, action: Action) -> bool {
        role_allows(self.role, action)
    }

    pub(super) fn sees(&self, data: &PersonData) -> bool {
        self.scope.covers(data)
    }

    pub(super) fn rel(&self, area: &str) -> Rel {
        relation(self.area, area)
    }

    pub(super) fn who(&self) -> String {
        format!(
            "{} at {} ({})",
            self.role,
            self.area,
            self.app.backend().name
        )
    }

    /// Sends an authenticated request and checks the answer and the audit rows it wrote.
    /// `object` is the person id a 404 denial must name.
    pub(super) async fn check(
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
    pub(super) async fn learn_missing(&mut self) {
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

    pub(super) fn expect(&self, action: Action, in_reach: bool, ok: StatusCode) -> Expect {
        if !self.can(action) {
            Expect::Forbidden
        } else if in_reach {
            Expect::Ok(ok)
        } else {
            Expect::Hidden
        }
    }

    pub(super) async fn list(&mut self) {
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

    pub(super) async fn areas(&mut self) {
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

    pub(super) async fn person_reads(&mut self, p: &Added) {
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

    pub(super) async fn person_writes(&mut self, p: &Added) {
        let rel = self.rel(p.area());
        let in_reach = self.sees(&p.data);
        let id = p.id().to_string();

        let corrected = p
            .spec
            .clone()
            .set("address", "长江路2号")
            .set("note", "本人持户口簿来核对")
            .json();
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

    pub(super) async fn creates(&mut self) {
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
    pub(super) async fn run(mut self) -> World {
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

    pub(super) fn summary(&self) -> String {
        let mut out = format!("{}:\n", self.who());
        for ((endpoint, rel), statuses) in &self.seen {
            out.push_str(&format!("  {endpoint:<15} {rel:<9?} {statuses:?}\n"));
        }
        out
    }
}
