//! The window clerk's forms as the server answers them: areas picked by name, a new household
//! numbered by the register, one form per kind of event with every problem in one round, a
//! confirmation before a move out, the message after a save, and a correction's reason.

use super::*;

#[tokio::test]
async fn the_person_form_offers_areas_by_name_and_numbers_a_new_household() {
    let app = TestApp::new();
    app.add_account("centre.clerk", Role::Centre, C1);
    let browser = app.browser("centre.clerk").await;
    let form = app.send(browser.get("/persons/new")).await;
    assert_eq!(form.status, StatusCode::OK, "{form}");
    // The centre's own code is no place to live: nothing is chosen, the committees and groups
    // below it are offered by name.
    assert_eq!(selected_value(&form.body, "f-area_code"), None, "{form}");
    assert!(form.body.contains(&format!(
        "<option value=\"{G1}\">青龙第1居委会 青龙第1居委会第1小组"
    )));
    assert!(
        form.body
            .contains(&format!("<option value=\"{K2}\">青龙第2居委会"))
    );
    assert!(
        !form.body.contains(&format!("<option value=\"{C1}\"")),
        "not the centre itself"
    );
    assert!(
        !form.body.contains(&format!("<option value=\"{C2K1}\"")),
        "not another centre's"
    );
    assert!(
        form.body.contains("title=\"340705001\">青龙社区服务中心"),
        "the top bar names the area"
    );

    let spec = app
        .woman("吴霞", G1)
        .without("household_no")
        .set("new_household", "1");
    let pairs: Vec<(&str, &str)> = spec
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.send(browser.post_form("/persons/new", &pairs)).await;
    let page = app.follow_message(&browser, &res).await;
    assert_eq!(page.message(), "已新增人口，并新建户 H001001000001。");
    let second = app
        .woman("吴芳", K1)
        .without("household_no")
        .set("new_household", "1");
    let pairs: Vec<(&str, &str)> = second
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.send(browser.post_form("/persons/new", &pairs)).await;
    let record = res.location().to_string();
    let page = app.follow_message(&browser, &res).await;
    assert_eq!(page.message(), "已新增人口，并新建户 H001001000002。");

    // The same ID number again: the form says so and leads to the record.
    let res = app.send(browser.post_form("/persons/new", &pairs)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res.body.contains("已在登记中"), "{res}");
    assert!(
        res.body
            .contains(&format!("<a href=\"{record}\">打开已登记的记录")),
        "{res}"
    );
}

#[tokio::test]
async fn an_event_form_asks_only_its_kinds_fields_and_shows_every_problem_at_once() {
    let app = TestApp::new();
    let town = town(&app);
    let browser = app.browser("li.ming").await;
    let her = town.li_na.id.0;
    app.add_account("leader.g1", Role::GroupLeader, G1);

    let chooser = app
        .send(browser.get(&format!("/persons/{her}/events/new")))
        .await;
    assert!(chooser.body.contains("kind=birth"), "{chooser}");
    assert!(chooser.body.contains("kind=move_out"), "{chooser}");
    let man = app
        .send(browser.get(&format!("/persons/{}/events/new", town.zhang_wei.id.0)))
        .await;
    assert!(
        !man.body.contains("kind=birth"),
        "no birth on a man's record"
    );
    let leader = app.browser("leader.g1").await;
    let chen = town.chen_jing.id.0;
    let theirs = app
        .send(leader.get(&format!("/persons/{chen}/events/new")))
        .await;
    assert_eq!(theirs.status, StatusCode::OK, "{theirs}");
    assert!(
        !theirs.body.contains("kind=move_out"),
        "a group leader records no move out: {theirs}"
    );

    let birth = app
        .send(browser.get(&format!("/persons/{her}/events/new?kind=birth")))
        .await;
    for key in [
        "f-date",
        "f-child_name",
        "f-child_sex",
        "f-birth_weight_g",
        "f-birth_order",
    ] {
        assert!(
            birth.body.contains(&format!("id=\"{key}\"")),
            "{key} on the birth form"
        );
    }
    for key in ["f-method", "f-to_area_code", "f-spouse_id_number"] {
        assert!(
            !birth.body.contains(&format!("id=\"{key}\"")),
            "no {key} on the birth form"
        );
    }
    let tomorrow = days_ago(-1).to_string();
    let res = app
        .send(browser.post_form(
            &format!("/persons/{her}/events/new"),
            &[
                ("event", "birth"),
                ("date", &tomorrow),
                ("birth_weight_g", "120"),
                ("method", "01"),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    for key in ["e-date", "e-child_sex", "e-birth_weight_g"] {
        assert!(
            element_text(&res.body, key).is_some(),
            "an error at {key}: {res}"
        );
    }
    assert!(res.body.contains("有 3 处需要修改"), "{res}");
    // A format error and a missing field together.
    let res = app
        .send(browser.post_form(
            &format!("/persons/{her}/events/new"),
            &[
                ("event", "birth"),
                ("date", "2026-13-01"),
                ("birth_weight_g", "三千克"),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    for key in ["e-date", "e-child_sex", "e-birth_weight_g"] {
        assert!(
            element_text(&res.body, key).is_some(),
            "an error at {key}: {res}"
        );
    }

    let on = days_ago(3).to_string();
    let res = app
        .send(browser.post_form(
            &format!("/persons/{her}/events/new"),
            &[
                ("event", "birth"),
                ("date", &on),
                ("child_sex", "2"),
                ("child_name", "李小雨"),
                ("birth_weight_g", "3200"),
            ],
        ))
        .await;
    let page = app.follow_message(&browser, &res).await;
    assert_eq!(page.message(), format!("已登记：出生，{on}"));
}

#[tokio::test]
async fn a_move_out_asks_to_confirm_and_a_marriage_names_the_spouse_on_both_timelines() {
    let app = TestApp::new();
    let town = town(&app);
    let browser = app.browser("li.ming").await;
    let who = town.wang_fang.id.0;
    let path = format!("/persons/{who}/events/new");
    let on = days_ago(1).to_string();
    let empty = app
        .send(browser.post_form(&path, &[("event", "move_out"), ("date", &on)]))
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a move out says where to: {empty}"
    );
    let asked = app
        .send(browser.post_form(
            &path,
            &[
                ("event", "move_out"),
                ("date", &on),
                ("note", "江苏省南京市，投靠子女"),
            ],
        ))
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{asked}");
    assert!(
        asked.body.contains("name=\"confirmed\" value=\"1\""),
        "{asked}"
    );
    assert!(asked.body.contains("常住"), "{asked}");
    assert!(asked.body.contains("流出"), "the change is shown: {asked}");
    let still = app
        .with_db(|s| s.person(renkou_core::PersonId(who)))
        .unwrap()
        .unwrap();
    assert_eq!(
        still.data.population_type,
        renkou_core::PopulationType::Resident,
        "nothing changed before the confirmation"
    );
    let done = app
        .send(browser.post_form(
            &path,
            &[
                ("event", "move_out"),
                ("date", &on),
                ("note", "江苏省南京市，投靠子女"),
                ("confirmed", "1"),
            ],
        ))
        .await;
    let page = app.follow_message(&browser, &done).await;
    assert_eq!(page.message(), format!("已登记：迁出，{on}"));
    assert!(page.body.contains("人口类型: 常住 → 流出"), "{page}");

    // A marriage of two people on the register: both rows say whom and what changed.
    let woman = town.li_na.id.0;
    let husband = app.add(app.person("赵刚", Sex::Male, date(1993, 4, 4), K1));
    let res = app
        .send(browser.post_form(
            &format!("/persons/{woman}/events/new"),
            &[
                ("event", "marriage"),
                ("date", &on),
                ("spouse_id_number", husband.spec.id_number()),
            ],
        ))
        .await;
    let hers = app.follow_message(&browser, &res).await;
    assert!(hers.body.contains("配偶：赵刚"), "{hers}");
    assert!(hers.body.contains("婚姻状况: 未婚 → 初婚"), "{hers}");
    let his = app
        .send(browser.get(&format!("/persons/{}", husband.id.0)))
        .await;
    assert!(his.body.contains("配偶：李娜"), "{his}");
    assert!(his.body.contains("婚姻状况: 未婚 → 初婚"), "{his}");
}

#[tokio::test]
async fn a_correction_needs_its_reason() {
    let app = TestApp::new();
    let town = town(&app);
    let browser = app.browser("li.ming").await;
    let who = &town.wang_fang;
    let mut pairs: Vec<(&str, &str)> = who
        .spec
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.retain(|(k, _)| *k != "phone");
    pairs.push(("phone", "13900000001"));
    let path = format!("/persons/{}/edit", who.id.0);
    let res = app.send(browser.post_form(&path, &pairs)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(
        element_text(&res.body, "e-note").is_some_and(|e| e.contains("更正原因")),
        "{res}"
    );
    pairs.push(("note", "本人来电更正"));
    let res = app.send(browser.post_form(&path, &pairs)).await;
    let page = app.follow_message(&browser, &res).await;
    assert_eq!(page.message(), "已保存更正，已记入时间线。");
    assert!(
        page.body.contains("本人来电更正"),
        "the reason is on the timeline"
    );
}
