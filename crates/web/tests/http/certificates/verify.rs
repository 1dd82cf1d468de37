//! The verify page.

use super::*;

/// The verdict the verify page shows.
fn verdict(html: &str) -> String {
    let at = html
        .find("class=\"verdict")
        .unwrap_or_else(|| panic!("a verdict: {html}"));
    let open = html[at..].find('>').unwrap() + at + 1;
    let close = html[open..].find("</p>").unwrap() + open;
    html[open..close].to_string()
}

#[tokio::test]
async fn the_verify_page_says_valid_revoked_expired_or_not_found_and_keeps_the_holder_private() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station = actor(&app.add_account("station", Role::Station, D1));
        let issue = |p: &Added, kind: CertificateKind| {
            let id = setup_apply(&app, &officer, p, kind);
            setup_step(&app, &station, id, Step::Issue, StepInput::default())
        };
        let wang = app.add(holder_spec(&app, MIGRANT, "王秀英", G1));
        let card = issue(&wang, RH);
        let migrant = issue(&wang, MIGRANT);
        let li = app.add(app.woman("李桂兰", G1));
        let revoked = issue(&li, RH);
        setup_step(&app, &station, revoked.id, Step::Revoke, reason("登记错误"));
        let code = |c: &Certificate| c.verify_code.clone().unwrap().to_string();
        let from = "198.51.100.10";

        // Valid, for anyone: no login.
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&card))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "有效");
        assert!(res.body.contains(card.serial.as_deref().unwrap()), "{res}");
        assert!(res.body.contains("王**"), "the masked name: {res}");
        for secret in ["王秀英", wang.spec.id_number(), wang.spec.get("phone")] {
            assert!(!res.body.contains(secret), "the page shows {secret}: {res}");
        }
        // Typed from paper: lower case, with a dash, through the form.
        let typed = code(&card).to_lowercase();
        let typed = format!("{}-{}", &typed[..5], &typed[5..]);
        let res = app
            .send_from(from, get(&with_query("/verify", &[("code", &typed)])))
            .await;
        assert!(res.status.is_redirection(), "{res}");
        let res = app.send_from(from, get(res.location())).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "有效");

        // Revoked.
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&revoked))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "已注销");
        assert!(res.body.contains(revoked.serial.as_deref().unwrap()));
        assert!(
            res.body.contains("李**") && !res.body.contains("李桂兰"),
            "{res}"
        );

        // Unknown.
        let res = app.send_from(from, get("/verify/23456789AB")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");
        assert!(verdict(&res.body).contains("没有找到"), "{res}");
        let res = app.send_from(from, get("/verify/not-a-code")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");

        // The migrant certificate is valid 36 months: through the day its paper prints as
        // 有效期至, and expired the day after. The card (60 months) is still valid then.
        let last = migrant.valid_until.expect("the migrant certificate lapses");
        assert_eq!(
            last,
            migrant
                .issued_on
                .unwrap()
                .checked_add(jiff::Span::new().months(36))
                .unwrap()
                .yesterday()
                .unwrap()
        );
        let days = (last - today()).get_days();
        app.state()
            .clock
            .advance(SignedDuration::from_hours(24 * i64::from(days)));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&migrant))))
            .await;
        assert_eq!(verdict(&res.body), "有效", "on its last day, {last}: {res}");
        app.state().clock.advance(SignedDuration::from_hours(24));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&migrant))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(verdict(&res.body), "已过期", "the day after {last}: {res}");
        assert!(res.body.contains(migrant.serial.as_deref().unwrap()));
        assert!(res.body.contains(&last.to_string()));
        assert!(!res.body.contains("王秀英") && !res.body.contains(wang.spec.id_number()));
        let res = app
            .send_from(from, get(&format!("/verify/{}", code(&card))))
            .await;
        assert_eq!(verdict(&res.body), "有效");
    }
}

/// A lost card is reissued: the new paper verifies as valid until the old one's date, the old
/// paper as void.
#[tokio::test]
async fn a_reissued_card_voids_the_old_paper() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("马红", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let old = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let token = app.token("station").await;
    let res = app
        .send(
            post(&steps_path(id))
                .bearer(&token)
                .json(&json!({"step": "reissue", "reason": "遗失"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let new = res.json();
    assert_eq!(new["replaces"], id);
    assert_ne!(new["serial"], old.serial.clone().unwrap().as_str());
    assert_eq!(
        new["valid_until"],
        old.valid_until.unwrap().to_string(),
        "a reissue keeps the validity"
    );
    let res = app.send(get(&doc_path(id)).bearer(&token)).await;
    assert_eq!(res.json()["state"], "voided", "{res}");
    assert_eq!(res.json()["replaced_by"], new["id"], "{res}");

    let res = app
        .send(get(&format!("/verify/{}", old.verify_code.unwrap())))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(verdict(&res.body).starts_with("已作废"), "{res}");
    let res = app
        .send(get(&format!(
            "/verify/{}",
            new["verify_code"].as_str().unwrap()
        )))
        .await;
    assert_eq!(verdict(&res.body), "有效", "{res}");
    assert!(res.body.contains(new["serial"].as_str().unwrap()));
}

/// The paper tells its reader to check it at the configured public address (`--public-url`)
/// with the code beside it: that address opens the form where the code is typed in. A forged
/// Host header never reaches the paper.
#[tokio::test]
async fn the_address_printed_on_the_paper_is_the_configured_one_and_opens_the_verify_page() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("朱琳", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let code = issued.verify_code.unwrap().to_string();
    let token = app.token("station").await;
    let (res, pdf) = app
        .send_bytes(
            post(&print_path(id))
                .bearer(&token)
                .header("host", "evil.example")
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let text = pdf_text(&pdf);
    assert!(!text.contains("evil.example"), "{text}");
    let base = app
        .state()
        .public_url
        .clone()
        .expect("the tests configure one");
    let at = text
        .find(&base)
        .unwrap_or_else(|| panic!("the paper names the public address {base}: {text}"));
    let url: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '，')
        .collect();
    let path = &url[base.len()..];
    let page = app.send_from("192.0.2.9", get(path)).await;
    let page = if page.status.is_redirection() {
        app.send_from("192.0.2.9", get(page.location())).await
    } else {
        page
    };
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the paper says to visit {url} (with the code {code}): {page}"
    );
    assert!(page.body.contains("id=\"code\""), "{page}");
}

/// Without `--public-url` nothing is printed: the station is told how to set it, and no print
/// is recorded.
#[tokio::test]
async fn printing_waits_for_the_public_address_to_be_configured() {
    let app = TestApp::configured(Backend::sqlite(), |state| state.public_url = None);
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("朱琳", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let token = app.token("station").await;
    let res = app
        .send(
            post(&print_path(id))
                .bearer(&token)
                .header("host", "evil.example")
                .json(&json!({"copies": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{res}");
    assert_eq!(res.json()["code"], "public_url_not_set", "{res}");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("--public-url"),
        "{res}"
    );
    let res = app.send(get(&doc_path(id)).bearer(&token)).await;
    assert_eq!(res.json()["state"], "issued", "not printed: {res}");
}

#[tokio::test]
async fn the_twenty_first_check_in_a_minute_from_one_place_waits() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("吴霞", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let path = format!("/verify/{}", issued.verify_code.unwrap());
    for n in 1..=20 {
        let res = app.send_from("203.0.113.7", get(&path)).await;
        assert_eq!(res.status, StatusCode::OK, "check {n}: {res}");
    }
    let res = app.send_from("203.0.113.7", get(&path)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{res}");
    assert!(res.body.contains("查验太频繁"), "{res}");
    assert!(!res.body.contains("verdict-valid"), "{res}");
    // Someone else is answered.
    let res = app.send_from("203.0.113.8", get(&path)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(verdict(&res.body), "有效");
}

#[tokio::test]
async fn one_noisy_address_does_not_close_the_verify_page_for_everyone() {
    let app = TestApp::new();
    let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
    let station = actor(&app.add_account("station", Role::Station, D1));
    let her = app.add(app.woman("吴霞", G1));
    let id = setup_apply(&app, &officer, &her, RH);
    let issued = setup_step(&app, &station, id, Step::Issue, StepInput::default());
    let path = format!("/verify/{}", issued.verify_code.unwrap());
    // A script at one address sends 600 checks in a burst: 20 are answered, the rest wait.
    let mut answered = 0;
    for _ in 0..600 {
        let res = app.send_from("198.51.100.66", get("/verify/X")).await;
        match res.status {
            StatusCode::NOT_FOUND => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}: {res}"),
        }
    }
    assert_eq!(answered, 20);
    // A citizen at another address checks a real document in the same minute.
    let res = app.send_from("203.0.113.8", get(&path)).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert_eq!(verdict(&res.body), "有效");
}

#[tokio::test]
async fn three_thousand_checks_a_minute_are_the_most_from_everywhere_together() {
    let app = TestApp::new();
    for source in 0..150 {
        for _ in 0..20 {
            let res = app
                .send_from(&format!("10.1.{source}.1"), get("/verify/X"))
                .await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{res}");
        }
    }
    let res = app.send_from("10.2.0.1", get("/verify/X")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{res}");
}
