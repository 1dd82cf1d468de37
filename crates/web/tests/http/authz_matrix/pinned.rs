//! Cells written out by hand.

use super::*;

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
            put(&person(&own)).bearer(&leader).json(
                &own.spec
                    .clone()
                    .set("address", "x")
                    .set("note", "本人持户口簿来核对")
                    .json(),
            ),
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
        put(&person(&sibling)).bearer(&bureau).json(
            &sibling
                .spec
                .clone()
                .set("note", "本人持户口簿来核对")
                .json(),
        ),
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
