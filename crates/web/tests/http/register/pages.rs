//! Pages.

use super::*;

#[tokio::test]
async fn the_home_page_shows_the_counts_of_the_officers_area() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let _town = town(&app);
        let browser = app.browser("li.ming").await;
        let res = app.send(browser.get("/")).await;
        assert_eq!(res.status, StatusCode::OK, "{}: {res}", app.backend().name);
        for (n, label) in [
            (6, "在册人口"),
            (5, "常住人口"),
            (1, "流入人口"),
            (0, "流出人口"),
            (3, "育龄妇女（15–49岁）"),
            (1, "已婚育龄妇女"),
            (1, "3岁以下儿童"),
            (1, "60岁以上老人"),
        ] {
            let shown = format!("<b>{n}</b><span>{label}</span>");
            assert!(res.body.contains(&shown), "{shown} in {res}");
        }
        // The group below the committee, with its one person.
        assert!(
            res.body
                .contains("青龙第1居委会第1小组</a> <small class=\"muted\">340705001001001</small></td><td class=\"num\">1</td>"),
            "{res}"
        );
        assert!(!res.body.contains("张强"), "nobody of the next committee");
    }
}

#[tokio::test]
async fn lists_mask_id_numbers_and_a_persons_page_shows_it_whole_as_an_audited_view() {
    let app = TestApp::new();
    let t = town(&app);
    let browser = app.browser("li.ming").await;

    let list = app.send(browser.get("/persons")).await;
    assert_eq!(list.status, StatusCode::OK, "{list}");
    for p in t.mine() {
        assert!(list.body.contains(p.spec.name()), "{list}");
        assert!(list.body.contains(&masked(p.spec.id_number())), "{list}");
        assert!(
            !list.body.contains(p.spec.id_number()),
            "whole number in the list: {list}"
        );
        assert!(
            !list.body.contains(p.spec.get("phone")),
            "whole phone in the list: {list}"
        );
    }
    assert!(!list.body.contains("张强"));
    let searched = app
        .send(browser.get(&with_query("/persons", &[("q", t.li_na.spec.id_number())])))
        .await;
    assert!(searched.body.contains(&masked(t.li_na.spec.id_number())));
    assert!(!searched.body.contains("张敏"), "only the one searched for");

    let her = &t.zhang_min;
    let mark = app.last_seq();
    let page = app
        .send(browser.get(&format!("/persons/{}", her.id())))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(
        page.body.contains(her.spec.id_number()),
        "the whole number: {page}"
    );
    assert!(
        page.body.contains(her.spec.get("phone")),
        "the whole phone: {page}"
    );
    let rows = app.audit_after(mark);
    assert!(
        rows.iter().any(|r| r.action == "person.view"
            && r.object_id.as_deref() == Some(her.id().to_string().as_str())
            && r.username.as_deref() == Some("li.ming")),
        "{rows:#?}"
    );

    // Someone of the next committee: the same page as for nobody at all.
    let hidden = app
        .send(browser.get(&format!("/persons/{}", t.zhang_qiang.id())))
        .await;
    let missing = app.send(browser.get("/persons/987654")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.body, missing.body);
}

#[tokio::test]
async fn the_language_switch_turns_the_pages_english() {
    let app = TestApp::new();
    let zh = app.send(get("/login")).await;
    assert!(
        zh.body.contains("<html lang=\"zh-CN\">"),
        "Chinese first: {zh}"
    );
    assert!(zh.body.contains("登录") && !zh.body.contains("Sign in"));

    let res = app
        .send(post("/lang").form(&[("lang", "en"), ("next", "/login")]))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
    assert_eq!(res.location(), "/login");
    let lang = res
        .cookie(renkou_web::auth::LANG_COOKIE)
        .expect("a language cookie");
    let en = app
        .send(get("/login").cookie(renkou_web::auth::LANG_COOKIE, &lang))
        .await;
    assert!(en.body.contains("<html lang=\"en\">"), "{en}");
    assert!(en.body.contains("Sign in"), "{en}");
    assert!(!en.body.contains("用户名"), "no Chinese label left: {en}");

    // The switch only returns to pages of this site.
    let res = app
        .send(post("/lang").form(&[("lang", "en"), ("next", "https://evil.example/")]))
        .await;
    assert_eq!(res.location(), "/");
}

#[tokio::test]
async fn a_form_with_errors_shows_each_beside_its_field_and_keeps_what_was_typed() {
    let app = TestApp::new();
    let _town = town(&app);
    let browser = app.browser("li.ming").await;
    let spec = app
        .woman("吴霞", K1)
        .set("address", "长江路99号")
        .set("marital_status", "20");
    let id = spec.id_number().to_string();
    let bad_id = format!("{}{}", &id[..17], if id.ends_with('1') { "2" } else { "1" });
    let expected_message = renkou_core::record::id_from_cell(&bad_id).unwrap_err();
    let submit = async |spec: &PersonSpec| {
        let pairs: Vec<(&str, &str)> = spec
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        app.send(browser.post_form("/persons/new", &pairs)).await
    };

    let res = submit(&spec.clone().set("id_number", &bad_id)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    let beside = element_text(&res.body, "e-id_number").expect("an error beside the ID number");
    assert!(
        beside.contains(&expected_message),
        "{beside} / {expected_message}"
    );
    assert_eq!(
        input_value(&res.body, "f-id_number").as_deref(),
        Some(bad_id.as_str())
    );
    assert_eq!(input_value(&res.body, "f-name").as_deref(), Some("吴霞"));
    assert_eq!(
        input_value(&res.body, "f-address").as_deref(),
        Some("长江路99号")
    );
    assert_eq!(
        selected_value(&res.body, "f-marital_status").as_deref(),
        Some("20")
    );
    assert_eq!(
        selected_value(&res.body, "f-area_code").as_deref(),
        Some(K1),
        "the area picked by name keeps its choice"
    );
    assert!(
        element_text(&res.body, "e-name").is_none(),
        "no error where there is none"
    );

    // A child without an ID number, born tomorrow.
    let res = submit(
        &spec
            .clone()
            .without("id_number")
            .set("birth_date", &days_ago(-1).to_string()),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    let beside = element_text(&res.body, "e-birth_date").expect("an error beside the birth date");
    assert!(beside.contains("晚于今天"), "{beside}");
    assert_eq!(
        input_value(&res.body, "f-birth_date").as_deref(),
        Some(days_ago(-1).to_string().as_str())
    );
    assert_eq!(count(&app), 7, "nothing was added");
}

/// The list's filter form sends every box, empty ones too: an empty age box is no bound, and a
/// word in it is answered on a page in the user's language, not a bare parser message.
#[tokio::test]
async fn the_filter_form_as_a_browser_sends_it_works() {
    let app = TestApp::new();
    let _town = town(&app);
    let browser = app.browser("li.ming").await;
    let res = app
        .send(
            browser
                .get("/persons?q=&area=&population_type=&sex=&marital_status=&age_min=&age_max="),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(res.body.contains("共 6 人"), "{res}");
    let res = app.send(browser.get("/persons?age_min=abc")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res.body.contains("「abc」不是整数"), "{res}");
    assert!(res.body.contains("<html lang=\"zh-CN\">"), "{res}");
}
