use super::*;

/// K1's officer records a marriage reported 40 days late and a pregnancy on a migrant; K2's
/// officer a marriage in K2. The month's changes show each account its own area's.
#[tokio::test]
async fn the_months_changes_list_the_areas_events_by_kind_with_late_reports_marked() {
    for backend in Backend::all() {
        the_months_changes_list_the_areas_events_by_kind_with_late_reports_marked_on(TestApp::on(
            backend,
        ))
        .await;
    }
}

async fn the_months_changes_list_the_areas_events_by_kind_with_late_reports_marked_on(
    app: TestApp,
) {
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    app.add_account("wang.k2", Role::CommitteeOfficer, K2);
    app.add_account("mig.k1", Role::MigrantCoordinator, K1);
    app.add_account("aud", Role::AuditAdmin, D1);
    let k1 = app.browser("li.ming").await;
    let k2 = app.browser("wang.k2").await;
    let resident = app.add(app.person("吴霞", Sex::Female, date(1995, 3, 3), G1));
    let migrant = app.add(
        app.person("钱芳", Sex::Female, date(1996, 6, 6), K1)
            .migrant_in(),
    );
    let other = app.add(app.person("孙丽", Sex::Female, date(1993, 2, 2), K2));
    let late_on = days_ago(40).to_string();
    let recent = days_ago(1).to_string();
    record(
        &app,
        &k1,
        resident.id.0,
        &[("event", "marriage"), ("date", &late_on)],
    )
    .await;
    record(
        &app,
        &k1,
        migrant.id.0,
        &[("event", "pregnancy"), ("date", &recent)],
    )
    .await;
    record(
        &app,
        &k2,
        other.id.0,
        &[("event", "marriage"), ("date", &recent)],
    )
    .await;

    let seq = app.last_seq();
    let page = app.send(k1.get("/changes")).await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(
        page.body.contains("吴霞") && page.body.contains("钱芳"),
        "{page}"
    );
    assert!(
        !page.body.contains("孙丽"),
        "K2's change is not K1's: {page}"
    );
    assert!(
        page.body.contains("迟报 40 天"),
        "the late report is marked: {page}"
    );
    assert!(
        page.body.contains("青龙第1居委会第1小组"),
        "the area by name: {page}"
    );
    assert!(
        !page.body.contains(">340705001001001<"),
        "no bare code: {page}"
    );
    // By kind: one marriage, one pregnancy; and the late ones on their own.
    let late = app.send(k1.get("/changes?late=1")).await;
    assert!(
        late.body.contains("吴霞") && !late.body.contains("钱芳"),
        "{late}"
    );
    let pregnancies = app.send(k1.get("/changes?kind=pregnancy")).await;
    assert!(
        pregnancies.body.contains("钱芳") && !pregnancies.body.contains("吴霞"),
        "{pregnancies}"
    );

    // Audited like the other lists that name people.
    let rows = app.audit_after(seq);
    assert!(
        rows.iter().any(|r| r.action == "access"
            && r.object_kind == "changes"
            && r.object_id.as_deref() == Some(K1)
            && r.result == "ok"),
        "{rows:?}"
    );

    // Another month: these were reported this month, not then.
    let month = today()
        .first_of_month()
        .checked_sub(jiff::Span::new().months(1))
        .unwrap();
    let last = app
        .send(k1.get(&format!(
            "/changes?month={:04}-{:02}",
            month.year(),
            month.month()
        )))
        .await;
    assert_eq!(last.status, StatusCode::OK, "{last}");
    assert!(!last.body.contains("吴霞"), "{last}");
    let bad = app.send(k1.get("/changes?month=next-spring")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.body.contains("月份「next-spring」无法识别"), "{bad}");

    // The migrant coordinator sees the migrants' changes only, and no health events.
    let mig = app.browser("mig.k1").await;
    let theirs = app.send(mig.get("/changes")).await;
    assert_eq!(theirs.status, StatusCode::OK, "{theirs}");
    assert!(
        !theirs.body.contains("吴霞"),
        "a resident is not the coordinator's: {theirs}"
    );
    assert!(
        theirs.body.contains("钱芳"),
        "a migrant's registration: {theirs}"
    );
    assert!(
        !theirs.body.contains("kind=pregnancy"),
        "a pregnancy is health data: {theirs}"
    );

    // An administrator has no register.
    let aud = app.browser("aud").await;
    let refused = app.send(aud.get("/changes")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused}");

    // In English, kinds and marks in words.
    let en = app.send(english_get(&k1, "/changes")).await;
    assert!(
        en.body.contains("Marriage") && en.body.contains("40 days late"),
        "{en}"
    );
}
