//! Finding people and working through the people list (issue 11): the last digits of an ID
//! number with a name, part of a phone number, searches that cannot match yet, sorting, page
//! numbers, exact counts, the 在孕 filter for the roles that see health data, area names.

use super::*;

fn ordered(res: &Resp) -> Vec<String> {
    res.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of people: {res}"))
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_string())
        .collect()
}

#[tokio::test]
async fn the_last_digits_of_an_id_number_with_a_name_find_the_person() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let token = app.token("li.ming").await;
        let search = async |q: &str| {
            let res = app
                .send(get(&with_query("/api/v1/persons", &[("q", q)])).bearer(&token))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{q}: {res}");
            names(&res)
        };
        let min = t.zhang_min.spec.id_number();
        let wei = t.zhang_wei.spec.id_number();
        let (last4, last6) = (&min[14..], &min[12..]);
        // Either order, with or without a space, four to six characters.
        assert_eq!(search(&format!("张 {last4}")).await, set(&["张敏"]));
        assert_eq!(search(&format!("{last6} 张敏")).await, set(&["张敏"]));
        assert_eq!(search(&format!("张敏{last4}")).await, set(&["张敏"]));
        assert_eq!(search(&format!("张 {}", &wei[14..])).await, set(&["张伟"]));
        // The right digits with the wrong name, and a tail no one has: nobody.
        assert_eq!(search(&format!("李 {last4}")).await, set(&[]));
        let other = if &min[17..] == "0" { "1" } else { "0" };
        assert_eq!(
            search(&format!("张 {}{other}", &min[14..17])).await,
            set(&[])
        );
        // 张强 lives in the next committee: his digits and name find nobody here.
        let qiang = t.zhang_qiang.spec.id_number();
        assert_eq!(search(&format!("张强 {}", &qiang[14..])).await, set(&[]));
    }
}

#[tokio::test]
async fn part_of_a_phone_number_finds_the_person() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let token = app.token("li.ming").await;
        let search = async |q: &str| {
            let res = app
                .send(get(&with_query("/api/v1/persons", &[("q", q)])).bearer(&token))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{q}: {res}");
            names(&res)
        };
        let phone = t.wang_fang.spec.get("phone");
        let found = search(&phone[7..]).await;
        assert!(found.contains("王芳"), "the last four: {found:?}");
        assert_eq!(search(&phone[5..]).await, set(&["王芳"]), "the last six");
        let start = search(&phone[..9]).await;
        assert!(start.contains("王芳"), "the first nine: {start:?}");
        // Every one found by the last four digits has them at the end of the number.
        for p in [
            &t.zhang_wei,
            &t.zhang_min,
            &t.li_na,
            &t.liu_yang,
            &t.chen_jing,
        ] {
            let theirs = p.spec.get("phone");
            let name = p.spec.get("name");
            assert_eq!(
                found.contains(name),
                theirs.ends_with(&phone[7..]),
                "{name} {theirs}"
            );
        }
    }
}

#[tokio::test]
async fn a_search_that_cannot_match_yet_says_what_is_missing() {
    let app = TestApp::new();
    let _t = town(&app);
    let token = app.token("li.ming").await;
    for q in ["1", "12", "123", "张 12", "张 1234567"] {
        let res = app
            .send(get(&with_query("/api/v1/persons", &[("q", q)])).bearer(&token))
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(res.json()["fields"][0]["field"], "q", "{q}: {res}");
    }
    // The page says so beside the list, not as a failure of the whole page.
    let browser = app.browser("li.ming").await;
    let res = app.send(browser.get("/persons?q=123")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res.body.contains("至少输入4位数字"), "{res}");
    // The live search asks nothing until the box can match: the page tells it the rule.
    let res = app.send(browser.get("/persons")).await;
    assert!(res.body.contains("data-min-digits=\"4\""), "{res}");
    assert!(
        res.body.contains("autofocus"),
        "the search box has focus: {res}"
    );
}

#[tokio::test]
async fn lists_sort_by_name_age_area_and_change_and_page_by_number() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let _t = town(&app);
        let token = app.token("li.ming").await;
        let list = async |query: &[(&str, &str)]| {
            let res = app
                .send(get(&with_query("/api/v1/persons", query)).bearer(&token))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{res}");
            res
        };
        // Youngest first and oldest first.
        let young = ordered(&list(&[("sort", "age")]).await);
        assert_eq!(young.first().map(String::as_str), Some("刘洋"), "{young:?}");
        assert_eq!(young.last().map(String::as_str), Some("王芳"), "{young:?}");
        let old = ordered(&list(&[("sort", "-age")]).await);
        let mut reversed = young.clone();
        reversed.reverse();
        assert_eq!(old, reversed);
        // By name: the same names, in the order of their characters.
        let by_name = ordered(&list(&[("sort", "name")]).await);
        let mut sorted = by_name.clone();
        sorted.sort();
        assert_eq!(by_name, sorted);
        // By area: 陈静 lives in the group below the committee, so she comes last.
        let by_area = ordered(&list(&[("sort", "area")]).await);
        assert_eq!(
            by_area.last().map(String::as_str),
            Some("陈静"),
            "{by_area:?}"
        );
        let by_area_desc = ordered(&list(&[("sort", "-area")]).await);
        assert_eq!(by_area_desc.first().map(String::as_str), Some("陈静"));
        // By the last change: everyone, newest first.
        let newest = ordered(&list(&[("sort", "-updated")]).await);
        assert_eq!(newest.len(), 6, "{newest:?}");
        // Page numbers: two pages of four, the whole list once, the count exact on both.
        let first = list(&[("sort", "name"), ("limit", "4"), ("page", "1")]).await;
        assert_eq!(first.json()["count"], 6, "{first}");
        assert_eq!(first.json()["next_page"], 2, "{first}");
        let second = list(&[("sort", "name"), ("limit", "4"), ("page", "2")]).await;
        assert_eq!(second.json()["count"], 6);
        assert!(second.json()["next_page"].is_null(), "{second}");
        let mut both = ordered(&first);
        both.extend(ordered(&second));
        assert_eq!(both, by_name);
        // An order no one sorts by is refused by name.
        let res = app
            .send(get("/api/v1/persons?sort=id_number").bearer(&token))
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(res.json()["fields"][0]["field"], "sort");
    }
}

#[tokio::test]
async fn the_page_marks_its_order_numbers_its_pages_and_names_areas() {
    let app = TestApp::new();
    let _t = town(&app);
    let browser = app.browser("li.ming").await;
    let res = app
        .send(browser.get("/persons?sort=-age&limit=2&page=2"))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    assert!(
        res.body.contains("aria-sort=\"descending\""),
        "the age header says the order: {res}"
    );
    assert_eq!(res.body.matches("aria-sort=").count(), 1, "{res}");
    assert!(res.body.contains("aria-current=\"page\""), "{res}");
    assert!(
        res.body.contains("page=3"),
        "a link to the next page: {res}"
    );
    assert!(
        res.body.contains("rel=\"prev\""),
        "a link to the first: {res}"
    );
    assert!(res.body.contains("id=\"jump-page\""), "a jump box: {res}");
    assert!(res.body.contains("共 6 人"), "{res}");
    // Areas by name, the code as small text.
    let res = app.send(browser.get("/persons?sort=-area&limit=1")).await;
    assert!(
        res.body.contains("青龙第1居委会 青龙第1居委会第1小组"),
        "{res}"
    );
    assert!(
        res.body
            .contains(&format!("<small class=\"code\">{G1}</small>")),
        "{res}"
    );
    // The list is narrowed to an area picked by its name, not typed as a code.
    assert!(
        res.body.contains(&format!(
            "<option value=\"{G1}\">青龙第1居委会 青龙第1居委会第1小组（{G1}）</option>"
        )),
        "the area filter offers the group by name: {res}"
    );
    assert!(
        !res.body.contains("name=\"area\" value="),
        "no code box: {res}"
    );
}

#[tokio::test]
async fn counts_are_exact_past_a_thousand() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    for i in 0..1_005 {
        let born = date(1960 + (i % 37) as i16, 1, 1);
        app.add(app.person(&format!("赵{i}"), Sex::Female, born, K1));
    }
    let token = app.token("li.ming").await;
    let res = app
        .send(get("/api/v1/persons?limit=1").bearer(&token))
        .await;
    assert_eq!(res.json()["count"], 1_005, "{res}");
    let browser = app.browser("li.ming").await;
    let res = app.send(browser.get("/persons")).await;
    assert!(res.body.contains("共 1005 人"), "{res}");
    assert!(!res.body.contains("超过"), "{res}");
}

#[tokio::test]
async fn the_pregnant_filter_is_offered_to_the_roles_that_see_health_data() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        app.add_account("bureau", Role::Bureau, D1);
        let token = app.token("li.ming").await;
        let res = app
            .send(
                post(&format!("/api/v1/persons/{}/events", t.zhang_min.id()))
                    .bearer(&token)
                    .json(&json!({"event": "pregnancy", "date": days_ago(20).to_string()})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{res}");
        let res = app
            .send(get("/api/v1/persons?pregnant=1").bearer(&token))
            .await;
        assert_eq!(names(&res), set(&["张敏"]), "{res}");
        assert_eq!(res.json()["count"], 1);
        let officer = app.browser("li.ming").await;
        let page = app.send(officer.get("/persons")).await;
        assert!(page.body.contains("name=\"pregnant\""), "{page}");

        // The bureau sees no health data: not offered, and refused (and audited) when asked.
        let bureau = app.browser("bureau").await;
        let page = app.send(bureau.get("/persons")).await;
        assert!(!page.body.contains("name=\"pregnant\""), "{page}");
        let page = app.send(bureau.get("/persons?pregnant=1")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(!page.body.contains("张敏"), "{page}");
        let token = app.token("bureau").await;
        let mark = app.last_seq();
        let res = app
            .send(get("/api/v1/persons?pregnant=1").bearer(&token))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{res}");
        let denied = app.audit(AuditFilter {
            result: Some("denied".into()),
            ..Default::default()
        });
        assert!(
            denied
                .iter()
                .any(|r| r.seq > mark && r.object_kind == "health"),
            "{denied:#?}"
        );
    }
}
