//! Printing.

use super::*;

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

#[tokio::test]
async fn a_registered_place_held_as_a_code_prints_as_its_name_with_the_code_small() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station_actor = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("陈红", G1).set("registered_place", "420102"));
    let other = app.add(app.woman("周丽", G1).set("registered_place", "420199"));
    let station = app.token("station").await;
    for (who, name) in [
        (&her, "湖北省武汉市江岸区420102"),
        (&other, "湖北省武汉市420199"),
    ] {
        let id = setup_apply(&app, &officer, who, RH);
        setup_step(&app, &station_actor, id, Step::Issue, StepInput::default());
        let (res, pdf) = app
            .send_bytes(
                post(&print_path(id))
                    .bearer(&station)
                    .json(&json!({"copies": 1})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let text = squeezed(&pdf_text(&pdf));
        assert!(text.contains(&format!("户籍地{name}")), "{name}: {text}");
    }
}

#[tokio::test]
async fn a_married_holder_without_a_known_spouse_is_not_issued_a_migrant_certificate() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station_actor = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(holder_spec(&app, MIGRANT, "吴娟", G1).married());
    let id = setup_apply(&app, &officer, &her, MIGRANT);
    let a = station_actor.clone();
    let refused = app
        .with_db(move |s| s.certificate_step(&a, id, Step::Issue, StepInput::default(), today()));
    let said = format!("{:?}", refused.expect_err("the spouse is missing"));
    assert!(said.contains("配偶不在本登记册中"), "{said}");
    // Named on resubmission after a return, the paper prints the name.
    setup_step(
        &app,
        &station_actor,
        id,
        Step::Return,
        reason("请补充配偶姓名"),
    );
    let mut named = application(MIGRANT);
    named.spouse_name = Some(PersonName::parse("郑军").unwrap());
    let input = StepInput {
        application: Some(named),
        ..StepInput::default()
    };
    setup_step(&app, &officer, id, Step::Resubmit, input);
    setup_step(&app, &station_actor, id, Step::Issue, StepInput::default());
    let station = app.token("station").await;
    let (res, pdf) = app
        .send_bytes(
            post(&print_path(id))
                .bearer(&station)
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(squeezed(&pdf_text(&pdf)).contains("配偶姓名郑军"));
}
