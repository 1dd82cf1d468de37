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
