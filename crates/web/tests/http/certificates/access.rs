//! Cells written out by hand, and who sees or may resubmit which document.

use super::*;

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
