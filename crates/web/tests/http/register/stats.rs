//! 规划统计 through the API: the report counts an area row by row, adds up, and is read only
//! by the roles and within the areas the role table and the account's area allow.

use super::*;

fn population(row: &Value) -> i64 {
    row["stock"]["population"]
        .as_object()
        .unwrap()
        .values()
        .map(|by_sex| by_sex["male"].as_i64().unwrap() + by_sex["female"].as_i64().unwrap())
        .sum()
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"]["code"] == code)
        .unwrap_or_else(|| panic!("a row for {code}: {report}"))
}

#[tokio::test]
async fn the_report_counts_each_child_area_and_only_for_those_who_may_read_it() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("zhan.zhang", Role::Station, D1);
        app.add_account("ju.zhang", Role::Bureau, D1);
        app.add_account("zhong.xin", Role::Centre, C1);
        app.add_account("zu.zhang", Role::GroupLeader, G1);
        let wang = app.add(app.woman("王芳", G1));
        app.add(app.person("李强", Sex::Male, date(1960, 1, 2), G2));
        let pregnancy = renkou_core::NewEvent {
            kind: renkou_core::EventKind::Pregnancy,
            occurred_on: today(),
            detail: Default::default(),
        };
        app.with_db(|s| s.record_event(wang.id, pregnancy, "test-setup", today()))
            .unwrap();
        app.add(app.woman("赵敏", K2));
        app.add(app.woman("孙丽", C2K1));
        let month = today().strftime("%Y-%m").to_string();
        let report = |area: &str| {
            with_query(
                "/api/v1/stats/report",
                &[("area", area), ("period", month.as_str())],
            )
        };

        let station = app.token("zhan.zhang").await;
        let seq = app.last_seq();
        let res = app.send(get(&report(D1)).bearer(&station)).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let body = res.json();
        assert_eq!(body["period"], month.as_str());
        assert_eq!(population(&body["total"]), 4, "{res}");
        assert_eq!(population(row(&body, C1)), 3);
        assert_eq!(population(row(&body, C2)), 1);
        assert_eq!(row(&body, C1)["area"]["name"], "青龙社区服务中心", "{res}");
        // Born on 2 January 1960: 66 this month, in the 65–69 band.
        assert_eq!(body["total"]["stock"]["age_bands"]["65-69"]["male"], 1);
        assert_eq!(body["total"]["stock"]["women_15_49"], 3);
        assert!(body["total"]["indicators"]["sex_ratio_at_birth"].is_null());
        let audited = app.audit_after(seq);
        assert!(
            audited
                .iter()
                .any(|r| r.action == "stats.view" && r.result == "ok"),
            "the reading is audited: {audited:?}"
        );

        // A centre reads its own area by default, a row per committee.
        let centre = app.token("zhong.xin").await;
        let res = app
            .send(
                get(&with_query(
                    "/api/v1/stats/report",
                    &[("period", month.as_str())],
                ))
                .bearer(&centre),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let body = res.json();
        assert_eq!(body["area"]["code"], C1);
        assert_eq!(population(row(&body, K1)), 2);
        assert_eq!(population(row(&body, K2)), 1);

        // Above its area: not found, as for any area out of reach.
        let res = app.send(get(&report(D1)).bearer(&centre)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");
        // A group leader's role does not read reports.
        let leader = app.token("zu.zhang").await;
        let res = app.send(get(&report(G1)).bearer(&leader)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
        // A resident group's one pregnancy: counted for the station, shown as <3 to the
        // bureau, whose work needs no health data; the committee's total is not masked.
        let res = app.send(get(&report(K1)).bearer(&station)).await;
        assert_eq!(row(&res.json(), G1)["stock"]["pregnant"], 1, "{res}");
        let bureau = app.token("ju.zhang").await;
        let res = app.send(get(&report(K1)).bearer(&bureau)).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let body = res.json();
        assert_eq!(row(&body, G1)["stock"]["pregnant"], "<3", "{res}");
        assert_eq!(
            row(&body, G2)["stock"]["pregnant"],
            0,
            "zero points at nobody"
        );
        assert_eq!(population(row(&body, G1)), 1, "other figures stay");
        assert_eq!(body["total"]["stock"]["pregnant"], 1);

        // A period that is not one: which field, and why.
        let res = app
            .send(
                get(&with_query(
                    "/api/v1/stats/report",
                    &[("area", D1), ("period", "2026-13")],
                ))
                .bearer(&station),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
        assert_eq!(res.json()["fields"][0]["field"], "period", "{res}");
    }
}

#[tokio::test]
async fn the_report_page_drills_down_draws_its_charts_and_downloads_as_a_sheet() {
    let app = TestApp::new();
    app.add_account("zhan.zhang", Role::Station, D1);
    app.add(app.woman("王芳", G1));
    app.add(app.woman("赵敏", K2));
    app.add(app.woman("孙丽", C2K1));
    let month = today().strftime("%Y-%m").to_string();
    let browser = app.browser("zhan.zhang").await;
    let page = app
        .send(browser.get(&with_query(
            "/stats",
            &[("area", D1), ("period", month.as_str())],
        )))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(
        page.body.contains("青龙社区服务中心"),
        "rows by name: {page}"
    );
    let drill = format!("/stats?area={C1}&#38;period={month}");
    assert!(
        page.body.contains(&drill),
        "a centre's row links one level down: {}",
        &page.body[page.body.find("<tbody>").unwrap_or(0)..]
    );
    assert_eq!(page.body.matches("<svg").count(), 4, "four charts");
    assert!(
        page.body.contains("人口金字塔"),
        "each chart has its caption"
    );
    assert!(
        page.body.contains(r#"href="/stats" "#) || page.body.contains(r#"href="/stats""#),
        "统计 in the navigation"
    );

    // One level down: the committees of the centre.
    let page = app
        .send(browser.get(&with_query(
            "/stats",
            &[("area", C1), ("period", month.as_str())],
        )))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(page.body.contains("青龙第1居委会"), "{page}");

    // The sheet: the title, one row per centre and the total, numbers as numbers.
    let (res, bytes) = app
        .send_bytes(browser.get(&with_query(
            "/stats/report.xlsx",
            &[("area", D1), ("period", month.as_str())],
        )))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(
        res.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let rows: Vec<Vec<String>> = renkou_documents::open_table(&path)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect();
    assert!(rows[0][0].contains("人口计划生育统计报表"), "{rows:?}");
    assert_eq!(rows[3][1], "总人口", "{rows:?}");
    let total = rows.iter().find(|r| r[0] == "合计").expect("a total row");
    assert_eq!(total[1], "3", "{rows:?}");
    let centre = rows
        .iter()
        .find(|r| r[0] == "青龙社区服务中心")
        .expect("a centre's row");
    assert_eq!(centre[1], "2");
}
