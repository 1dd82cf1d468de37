use super::*;

#[tokio::test]
async fn the_home_page_is_a_to_do_list_with_areas_by_name() {
    for backend in Backend::all() {
        the_home_page_is_a_to_do_list_with_areas_by_name_on(TestApp::on(backend)).await;
    }
}

async fn the_home_page_is_a_to_do_list_with_areas_by_name_on(app: TestApp) {
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    app.add_account("mig.k1", Role::MigrantCoordinator, K1);
    let k1 = app.browser("li.ming").await;
    let her = app.add(app.person("吴霞", Sex::Female, date(1995, 3, 3), G1));
    app.add(
        app.person("钱芳", Sex::Female, date(1996, 6, 6), K1)
            .migrant_in(),
    );

    let home = app.send(k1.get("/")).await;
    assert_eq!(home.status, StatusCode::OK, "{home}");
    assert!(
        home.body.contains("href=\"/changes\""),
        "the month's changes linked: {home}"
    );
    assert!(
        home.body.contains("href=\"/changes?late=1\"><b>0</b>"),
        "no late report yet: {home}"
    );
    // The areas below by name; the committee is not below itself.
    let below = after(&home.body, "下级区划");
    assert!(below.contains("青龙第1居委会第1小组"), "{below}");
    assert!(below.contains(&format!("/persons?area={G1}\"")), "{below}");
    assert!(
        !below.contains(&format!("/persons?area={K1}\"")),
        "not below itself: {below}"
    );
    assert!(
        home.body.contains("常住人口"),
        "a committee's residents: {home}"
    );

    // A late report shows on the to-do list at once (the counts are made again after a save).
    let late_on = days_ago(45).to_string();
    record(
        &app,
        &k1,
        her.id.0,
        &[("event", "marriage"), ("date", &late_on)],
    )
    .await;
    let home = app.send(k1.get("/")).await;
    assert!(
        home.body.contains("href=\"/changes?late=1\"><b>1</b>"),
        "{home}"
    );

    // The migrant coordinator's home has no resident tile: it would always be 0.
    let mig = app.browser("mig.k1").await;
    let theirs = app.send(mig.get("/")).await;
    assert_eq!(theirs.status, StatusCode::OK, "{theirs}");
    assert!(!theirs.body.contains("常住人口"), "{theirs}");
    assert!(theirs.body.contains("流入人口"), "{theirs}");
}

#[tokio::test]
async fn the_station_home_counts_the_documents_waiting() {
    let app = TestApp::new();
    app.add_account("station", Role::Station, D1);
    let station = app.browser("station").await;
    let home = app.send(station.get("/")).await;
    assert_eq!(home.status, StatusCode::OK, "{home}");
    for queue in ["review", "print", "deliver", "returned"] {
        assert!(
            home.body
                .contains(&format!("href=\"/certificates?queue={queue}\"><b>0</b>")),
            "{queue} counted and linked: {home}"
        );
    }
}
