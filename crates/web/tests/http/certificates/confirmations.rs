//! Issuing, revoking and reissuing ask once, showing what will change, and the document then
//! says what was done; a step that would be refused is refused before anyone confirms it.

use super::*;

fn state_of(app: &TestApp, who: &Actor, id: i64) -> renkou_core::CertificateState {
    let a = who.clone();
    app.with_db(move |s| s.certificate_as(&a, id, today()))
        .expect("the document")
        .certificate
        .state
}

#[tokio::test]
async fn issuing_revoking_and_reissuing_ask_once_then_say_what_was_done() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station_actor = actor(&app.add_account("station", Role::Station, D1));
        app.add_account("centre.c1", Role::Centre, C1);
        let station = app.browser("station").await;
        let her = app.add(app.woman("黄敏", G1));
        let id = setup_apply(&app, &officer, &her, RH);
        let step = format!("/certificates/{id}/step");
        let doc = format!("/certificates/{id}");

        // Issuing: the confirmation shows the state, the serial to come and the validity.
        let asked = app
            .send(station.post_form(&step, &[("step", "issue")]))
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{asked}");
        assert!(
            asked.body.contains("确认签发生殖保健服务证：黄敏"),
            "{asked}"
        );
        assert!(
            asked.body.contains("name=\"confirmed\" value=\"1\""),
            "{asked}"
        );
        assert!(
            asked.body.contains("name=\"step\" value=\"issue\""),
            "{asked}"
        );
        assert!(asked.body.contains("<td>待审核</td>"), "{asked}");
        assert!(asked.body.contains("<strong>已发证</strong>"), "{asked}");
        assert!(asked.body.contains("新证号（签发时按顺序编号）"), "{asked}");
        let until = renkou_core::certificate::valid_until(RH, today()).unwrap();
        assert!(asked.body.contains(&until.to_string()), "{asked}");
        assert!(
            asked.body.contains(&format!("href=\"{doc}\"")),
            "back: {asked}"
        );
        assert_eq!(
            state_of(&app, &station_actor, id),
            renkou_core::CertificateState::Applied,
            "nothing is issued before the confirmation"
        );
        let done = app
            .send(station.post_form(&step, &[("step", "issue"), ("confirmed", "1")]))
            .await;
        assert_eq!(done.location(), doc);
        let page = app.follow_message(&station, &done).await;
        let serial = format!("SB{}000001", today().year());
        assert_eq!(
            page.message(),
            format!("已签发：生殖保健服务证，证号 {serial}")
        );

        // Revoking without a reason is refused at once, not after a confirmation.
        let res = app
            .send(station.post_form(&step, &[("step", "revoke"), ("reason", " ")]))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
        assert!(res.body.contains("注销需要写明原因"), "{res}");
        assert!(!res.body.contains("name=\"confirmed\""), "{res}");
        // With one: what the verify page will say, the reason, a weighty button.
        let asked = app
            .send(station.post_form(&step, &[("step", "revoke"), ("reason", "登记错误")]))
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{asked}");
        assert!(asked.body.contains(&format!("证号 {serial}")), "{asked}");
        assert!(asked.body.contains("<strong>已注销</strong>"), "{asked}");
        assert!(asked.body.contains("<strong>登记错误</strong>"), "{asked}");
        assert!(
            asked.body.contains("class=\"primary danger\">确认注销"),
            "{asked}"
        );
        assert_eq!(
            state_of(&app, &station_actor, id),
            renkou_core::CertificateState::Issued
        );
        // The centre may not revoke: refused whether or not it confirmed.
        let centre = app.browser("centre.c1").await;
        let res = app
            .send(centre.post_form(&step, &[("step", "revoke"), ("reason", "登记错误")]))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
        let done = app
            .send(station.post_form(
                &step,
                &[
                    ("step", "revoke"),
                    ("reason", "登记错误"),
                    ("confirmed", "1"),
                ],
            ))
            .await;
        let page = app.follow_message(&station, &done).await;
        assert_eq!(
            page.message(),
            format!("已注销：生殖保健服务证，证号 {serial}")
        );
        assert_eq!(
            state_of(&app, &station_actor, id),
            renkou_core::CertificateState::Revoked
        );
        // A revoked document is not revoked again: said on the document, no confirmation.
        let res = app
            .send(station.post_form(&step, &[("step", "revoke"), ("reason", "再次")]))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
        assert!(res.body.contains("不能办理“注销”"), "{res}");

        // Reissuing: the old serial becomes void; the new document says so once.
        let other = app.add(app.woman("钱芳", G1));
        let second = setup_apply(&app, &officer, &other, RH);
        let issued = setup_step(
            &app,
            &station_actor,
            second,
            Step::Issue,
            StepInput::default(),
        );
        let old = issued.serial.unwrap();
        let step = format!("/certificates/{second}/step");
        let asked = app
            .send(station.post_form(&step, &[("step", "reissue"), ("reason", "遗失")]))
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{asked}");
        assert!(asked.body.contains("确认补发"), "{asked}");
        assert!(asked.body.contains(&format!("<td>{old}</td>")), "{asked}");
        assert!(asked.body.contains("已作废"), "{asked}");
        let done = app
            .send(station.post_form(
                &step,
                &[("step", "reissue"), ("reason", "遗失"), ("confirmed", "1")],
            ))
            .await;
        assert_ne!(done.location(), format!("/certificates/{second}"), "{done}");
        let page = app.follow_message(&station, &done).await;
        let said = page.message();
        assert!(
            said.starts_with("已补发：生殖保健服务证，新证号 SB"),
            "{said}"
        );
        assert!(!said.contains(&old), "{said}");
        assert_eq!(
            state_of(&app, &station_actor, second),
            renkou_core::CertificateState::Voided
        );
    }
}

#[tokio::test]
async fn an_issue_the_checks_refuse_is_explained_without_a_confirmation() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    app.add_account("station", Role::Station, D1);
    let station = app.browser("station").await;
    // Married, the husband neither on the register nor named.
    let her = app.add(app.woman("赵静", G1).married());
    let a = officer.clone();
    let id = app
        .with_db(move |s| s.apply_certificate(&a, her.id, BR, Application::default(), today()))
        .unwrap()
        .id;
    let res = app
        .send(station.post_form(&format!("/certificates/{id}/step"), &[("step", "issue")]))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res.body.contains("还不能批准"), "{res}");
    assert!(res.body.contains("配偶不在本登记册中"), "{res}");
    assert!(!res.body.contains("name=\"confirmed\""), "{res}");
}

#[tokio::test]
async fn the_applicant_withdraws_an_application_after_one_confirmation() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer_actor = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        app.add_account("station", Role::Station, D1);
        let officer = app.browser("officer.k1").await;
        let station = app.browser("station").await;
        let her = app.add(app.woman("黄敏", G1));
        let id = setup_apply(&app, &officer_actor, &her, RH);
        let step = format!("/certificates/{id}/step");
        let doc = format!("/certificates/{id}");

        // The applicant's side is offered the withdrawal; the reviewer is not.
        let page = app.send(officer.get(&doc)).await;
        assert!(page.body.contains("value=\"withdraw\""), "{page}");
        let page = app.send(station.get(&doc)).await;
        assert!(!page.body.contains("value=\"withdraw\""), "{page}");
        let res = app
            .send(station.post_form(&step, &[("step", "withdraw"), ("confirmed", "1")]))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");

        // Asked once, nothing changed by asking; then withdrawn, and the page says so.
        let asked = app
            .send(officer.post_form(&step, &[("step", "withdraw"), ("reason", "本人不再需要")]))
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{asked}");
        assert!(
            asked.body.contains("确认撤回生殖保健服务证申请：黄敏"),
            "{asked}"
        );
        assert!(asked.body.contains("<strong>已撤回</strong>"), "{asked}");
        assert_eq!(
            state_of(&app, &officer_actor, id),
            renkou_core::CertificateState::Applied
        );
        let done = app
            .send(officer.post_form(
                &step,
                &[
                    ("step", "withdraw"),
                    ("reason", "本人不再需要"),
                    ("confirmed", "1"),
                ],
            ))
            .await;
        let page = app.follow_message(&officer, &done).await;
        assert_eq!(page.message(), "已撤回：生殖保健服务证申请");
        assert!(
            page.body.contains("本人不再需要"),
            "the reason on the history: {page}"
        );
        assert_eq!(
            state_of(&app, &officer_actor, id),
            renkou_core::CertificateState::Withdrawn
        );
        // Nothing more is offered on it, and the reviewer's queue no longer lists it.
        assert!(!page.body.contains("value=\"withdraw\""), "{page}");
        let queue = app.send(station.get("/certificates?queue=review")).await;
        assert!(!queue.body.contains(&format!("href=\"{doc}\"")), "{queue}");
    }
}
