//! The pages.

use super::*;

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
        .send(station.post_form(&step, &[("step", "issue"), ("confirmed", "1")]))
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
