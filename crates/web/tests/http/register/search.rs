//! Search, filters and paging.

use super::*;

#[tokio::test]
async fn a_whole_id_number_finds_that_person_and_lists_show_it_masked() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let token = app.token("li.ming").await;
        let her = &t.zhang_min;

        let res = app
            .send(
                get(&with_query(
                    "/api/v1/persons",
                    &[("q", her.spec.id_number())],
                ))
                .bearer(&token),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let body = res.json();
        assert_eq!(body["count"], 1, "{res}");
        assert_eq!(body["items"][0]["id"], her.id());
        assert_eq!(
            body["items"][0]["id_number_masked"],
            masked(her.spec.id_number())
        );
        assert!(
            !res.body.contains(her.spec.id_number()),
            "the full number is nowhere in the answer: {res}"
        );

        // A whole list: every number and phone masked, none whole.
        let res = app.send(get("/api/v1/persons").bearer(&token)).await;
        for p in t.mine() {
            assert!(!res.body.contains(p.spec.id_number()), "{res}");
            assert!(!res.body.contains(p.spec.get("phone")), "{res}");
        }
        for item in res.json()["items"].as_array().unwrap() {
            let m = item["id_number_masked"].as_str().unwrap();
            assert!(
                m.len() == 18 && &m[6..14] == "********",
                "110105********0123: {m}"
            );
            let phone = item["phone_masked"].as_str().unwrap();
            assert!(
                phone.len() == 11 && &phone[3..7] == "****",
                "138****8000: {phone}"
            );
        }
        // Someone else's number finds nobody, though she is on the register.
        let res = app
            .send(
                get(&with_query(
                    "/api/v1/persons",
                    &[("q", t.zhang_qiang.spec.id_number())],
                ))
                .bearer(&token),
            )
            .await;
        assert_eq!(res.json()["count"], 0, "{res}");
        // Both searches by a whole number are lookups in the trail: who was found, or nobody.
        let lookups = app.audit(AuditFilter {
            action: Some("person.lookup".into()),
            ..Default::default()
        });
        let found: Vec<(Option<String>, Option<String>)> = lookups
            .iter()
            .map(|r| (r.object_id.clone(), r.detail.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (None, Some("found=0".to_string())),
                (Some(her.id().to_string()), Some("found=1".to_string())),
            ],
            "newest first: {lookups:#?}"
        );
    }
}

/// Everything a list item carries, tried against the mask: the birth date is not there, and
/// the age, sex and area leave many numbers possible for every person, so none is rebuilt.
#[tokio::test]
async fn no_id_number_can_be_rebuilt_from_a_list() {
    let app = TestApp::new();
    let t = town(&app);
    app.add_account("bureau", Role::Bureau, D1);
    let token = app.token("bureau").await;
    let res = app
        .send(get("/api/v1/persons?limit=200").bearer(&token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let items = res.json()["items"].as_array().unwrap().clone();
    assert!(items.len() >= t.mine().len(), "{res}");
    let today = today();
    for item in &items {
        assert!(item.get("birth_date").is_none(), "{item}");
        let masked = item["id_number_masked"].as_str().unwrap();
        let age = item["age"].as_i64().unwrap();
        // Every birth date that gives this age today, completed with the visible digits.
        let mut candidates = Vec::new();
        let mut day = today.checked_sub(jiff::Span::new().years(age + 1)).unwrap();
        let last = today.checked_sub(jiff::Span::new().years(age)).unwrap();
        while day <= last {
            let body = format!(
                "{}{}{}",
                &masked[..6],
                day.strftime("%Y%m%d"),
                &masked[14..17]
            );
            if let Ok(id) = renkou_core::IdNumber::parse(&format!("{body}{}", &masked[17..])) {
                candidates.push(id);
            }
            day = day.tomorrow().unwrap();
        }
        assert!(
            candidates.len() > 10,
            "{masked} (age {age}) narrows to {} numbers",
            candidates.len()
        );
    }
}

#[tokio::test]
async fn names_and_phones_are_searched_within_the_accounts_area() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let token = app.token("li.ming").await;
        let search = async |q: &str| {
            app.send(get(&with_query("/api/v1/persons", &[("q", q)])).bearer(&token))
                .await
        };
        // 张强 of the next committee is not among them.
        assert_eq!(names(&search("张").await), set(&["张伟", "张敏"]));
        assert_eq!(names(&search("张敏").await), set(&["张敏"]));
        assert_eq!(
            names(&search(t.wang_fang.spec.get("phone")).await),
            set(&["王芳"])
        );
        assert_eq!(
            names(&search(t.zhang_qiang.spec.get("phone")).await),
            set(&[])
        );
        // The start of an ID number (the address and birth date part).
        let prefix = &t.li_na.spec.id_number()[..14];
        assert_eq!(names(&search(prefix).await), set(&["李娜"]));
    }
}

#[tokio::test]
async fn filters_narrow_the_list() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let _town = town(&app);
        let token = app.token("li.ming").await;
        let list = async |query: &[(&str, &str)]| {
            let res = app
                .send(get(&with_query("/api/v1/persons", query)).bearer(&token))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{res}");
            assert_eq!(
                res.json()["count"].as_u64().unwrap() as usize,
                names(&res).len()
            );
            names(&res)
        };
        let all = set(&["张伟", "张敏", "李娜", "王芳", "刘洋", "陈静"]);
        assert_eq!(list(&[]).await, all);
        assert_eq!(list(&[("sex", "1")]).await, set(&["张伟", "刘洋"]));
        assert_eq!(
            list(&[("sex", "女")]).await,
            set(&["张敏", "李娜", "王芳", "陈静"])
        );
        assert_eq!(
            list(&[("population_type", "migrant_in")]).await,
            set(&["李娜"])
        );
        assert_eq!(
            list(&[("population_type", "resident")]).await,
            set(&["张伟", "张敏", "王芳", "刘洋", "陈静"])
        );
        assert_eq!(list(&[("age_min", "60")]).await, set(&["王芳"]));
        assert_eq!(list(&[("age_max", "2")]).await, set(&["刘洋"]));
        assert_eq!(
            list(&[("age_min", "20"), ("age_max", "40")]).await,
            set(&["张伟", "张敏", "李娜"])
        );
        // Women of childbearing age: 15–49.
        assert_eq!(
            list(&[("childbearing", "1")]).await,
            set(&["张敏", "李娜", "陈静"])
        );
        assert_eq!(
            list(&[("marital_status", "20")]).await,
            set(&["张伟", "张敏"])
        );
        assert_eq!(
            list(&[("childbearing", "1"), ("marital_status", "已婚")]).await,
            set(&["张敏"])
        );
        assert_eq!(list(&[("area", G1)]).await, set(&["陈静"]));
        // An area outside the account's own answers nobody, not an error.
        assert_eq!(list(&[("area", K2)]).await, set(&[]));

        let res = app.send(get("/api/v1/persons?sex=3").bearer(&token)).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(res.json()["fields"][0]["field"], "sex");
    }
}

#[tokio::test]
async fn keyset_paging_walks_every_person_once() {
    let app = TestApp::new();
    let t = town(&app);
    let token = app.token("li.ming").await;
    let mut seen = Vec::new();
    let mut after: Option<i64> = None;
    let mut pages = 0;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/persons?limit=4&after={a}"),
            None => "/api/v1/persons?limit=4".to_string(),
        };
        let res = app.send(get(&path).bearer(&token)).await;
        let body = res.json();
        assert_eq!(body["count"], 6, "the count is of the whole list: {res}");
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 4);
        seen.extend(items.iter().map(|p| p["id"].as_i64().unwrap()));
        pages += 1;
        match body["next_after"].as_i64() {
            Some(next) => {
                assert_eq!(
                    Some(next),
                    seen.last().copied(),
                    "next_after is the last id"
                );
                after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "paging ends");
    }
    assert_eq!(pages, 2);
    let expected: Vec<i64> = t.mine().iter().map(|p| p.id()).collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "each once: {seen:?}");
}
