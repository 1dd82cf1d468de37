//! The register through HTTP, as staff and API clients notice it: the audit trail behind every
//! view and change (and the chain that exposes tampering), search, filters and paging with
//! masked numbers, validation errors by field, the OpenAPI document, and the pages.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use axum::http::{StatusCode, header};
use common::*;
use jiff::civil::date;
use renkou_core::{Role, Sex};
use renkou_store::{AuditCheck, AuditFilter, PersonFilter};
use serde_json::{Value, json};

/// A committee's people for searching and filtering, and one of the next committee's.
struct Town {
    zhang_wei: Added,
    zhang_min: Added,
    li_na: Added,
    wang_fang: Added,
    liu_yang: Added,
    chen_jing: Added,
    /// In the sibling committee K2: never in K1's answers.
    zhang_qiang: Added,
}

impl Town {
    fn mine(&self) -> [&Added; 6] {
        [
            &self.zhang_wei,
            &self.zhang_min,
            &self.li_na,
            &self.wang_fang,
            &self.liu_yang,
            &self.chen_jing,
        ]
    }
}

/// The town, and a committee officer of K1 ("li.ming") to look at it.
fn town(app: &TestApp) -> Town {
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let toddler_born = days_ago(2 * 365 + 40);
    Town {
        zhang_wei: app.add(
            app.person("张伟", Sex::Male, date(1990, 1, 15), K1)
                .married(),
        ),
        zhang_min: app.add(
            app.person("张敏", Sex::Female, date(1992, 5, 20), K1)
                .married(),
        ),
        li_na: app.add(
            app.person("李娜", Sex::Female, date(1999, 8, 8), K1)
                .migrant_in(),
        ),
        wang_fang: app.add(
            app.person("王芳", Sex::Female, date(1960, 2, 2), K1)
                .set("marital_status", "30"),
        ),
        liu_yang: app.add(
            app.person("刘洋", Sex::Male, toddler_born, K1)
                .set("relation", "20"),
        ),
        chen_jing: app.add(app.person("陈静", Sex::Female, date(2010, 6, 1), G1)),
        zhang_qiang: app.add(app.person("张强", Sex::Male, date(1994, 8, 8), K2)),
    }
}

fn names(res: &Resp) -> BTreeSet<String> {
    res.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of people: {res}"))
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// 110105********0123: the first six and the last four.
fn masked(id_number: &str) -> String {
    format!("{}********{}", &id_number[..6], &id_number[14..])
}

// ---------------------------------------------------------------------------------------------
// The audit trail.

#[tokio::test]
async fn viewing_a_person_writes_one_audit_row_of_references_only() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let her = &t.zhang_min;
        let token = app.token("li.ming").await;
        let account_id = app
            .with_db(|s| s.account_for_login("li.ming"))
            .unwrap()
            .unwrap()
            .0
            .id;

        let mark = app.last_seq();
        let res = app
            .send(get(&format!("/api/v1/persons/{}", her.id())).bearer(&token))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert!(res.body.contains(her.spec.id_number()), "the whole record");

        let rows = app.audit_after(mark);
        assert_eq!(rows.len(), 1, "one row per view: {rows:#?}");
        let row = &rows[0];
        assert_eq!(row.action, "person.view");
        assert_eq!(row.result, "ok");
        assert_eq!(row.username.as_deref(), Some("li.ming"));
        assert_eq!(row.account_id, Some(account_id));
        assert_eq!(row.object_kind, "person");
        assert_eq!(
            row.object_id.as_deref(),
            Some(her.id().to_string().as_str())
        );
        assert_eq!(row.source, "local");
        let text = format!("{row:?} {}", serde_json::to_string(row).unwrap());
        for secret in [her.spec.id_number(), her.spec.name(), her.spec.get("phone")] {
            assert!(!text.contains(secret), "the row holds «{secret}»: {text}");
        }
    }
}

#[tokio::test]
async fn every_change_writes_its_row_and_the_chain_holds() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let her = &t.zhang_min;
        let token = app.token("li.ming").await;
        let one_row = |mark: i64, action: &str| {
            let rows = app.audit_after(mark);
            assert_eq!(rows.len(), 1, "{action}: {rows:#?}");
            let row = rows[0].clone();
            assert_eq!(row.action, action);
            assert_eq!(row.result, "ok");
            assert_eq!(row.username.as_deref(), Some("li.ming"));
            row
        };

        let mark = app.last_seq();
        let res = app
            .send(
                put(&format!("/api/v1/persons/{}", her.id()))
                    .bearer(&token)
                    .json(&her.spec.clone().set("address", "长江路8号").json()),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let row = one_row(mark, "person.update");
        assert_eq!(row.object_id, Some(her.id().to_string()));

        let mark = app.last_seq();
        let res = app
            .send(
                post(&format!("/api/v1/persons/{}/events", her.id()))
                    .bearer(&token)
                    .json(&json!({"event": "pregnancy", "date": days_ago(20).to_string()})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{res}");
        let row = one_row(mark, "event.record");
        assert_eq!(row.object_id, Some(her.id().to_string()));
        assert_eq!(
            row.detail,
            Some(format!("event={}", res.json()["id"].as_i64().unwrap()))
        );

        let mark = app.last_seq();
        let new = app.woman("周芳", G1);
        let res = app
            .send(post("/api/v1/persons").bearer(&token).json(&new.json()))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{res}");
        let row = one_row(mark, "person.add");
        assert_eq!(row.object_id, Some(res.json()["id"].to_string()));
        let text = format!("{row:?}");
        assert!(
            !text.contains(new.id_number()) && !text.contains(new.name()),
            "{text}"
        );

        let rows = app.last_seq() as u64;
        assert_eq!(
            app.with_db(|s| s.verify_audit()).unwrap(),
            AuditCheck::Intact { rows }
        );
    }
}

/// Runs SQL on a raw connection, behind the store's back.
fn raw_sql(backend: &Backend, sql: &str) -> Result<(), String> {
    let (name, url, sql) = (backend.name, backend.url.clone(), sql.to_string());
    off_runtime(move || match name {
        "sqlite" => rusqlite::Connection::open(&url)
            .and_then(|c| c.execute_batch(&sql))
            .map_err(|e| e.to_string()),
        _ => postgres::Client::connect(&url, postgres::NoTls)
            .and_then(|mut c| c.batch_execute(&sql))
            .map_err(|e| e.to_string()),
    })
}

#[tokio::test]
async fn a_row_changed_behind_the_databases_back_is_named_by_verify() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let t = town(&app);
        let token = app.token("li.ming").await;
        for p in t.mine() {
            let res = app
                .send(get(&format!("/api/v1/persons/{}", p.id())).bearer(&token))
                .await;
            assert_eq!(res.status, StatusCode::OK);
        }
        let views = app.audit(AuditFilter {
            action: Some("person.view".into()),
            ..Default::default()
        });
        // The third view, counting from the oldest.
        let seq = views[views.len() - 3].seq;
        let total = app.last_seq() as u64;
        assert_eq!(
            app.with_db(|s| s.verify_audit()).unwrap(),
            AuditCheck::Intact { rows: total }
        );

        let tamper = format!("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = {seq}");
        let refused = raw_sql(app.backend(), &tamper);
        assert!(
            refused.is_err(),
            "the database refuses UPDATE on the audit log"
        );
        let drop_guard = match app.backend().name {
            "sqlite" => "DROP TRIGGER audit_log_no_update",
            _ => "DROP TRIGGER audit_log_no_update_delete ON audit_log",
        };
        raw_sql(app.backend(), drop_guard).expect("an attacker with the database drops it");
        raw_sql(app.backend(), &tamper).expect("and rewrites a row");

        match app.with_db(|s| s.verify_audit()).unwrap() {
            AuditCheck::Broken { seq: found, reason } => {
                assert_eq!(found, seq, "verify names the changed row ({reason})")
            }
            intact => panic!("verify missed the change of row {seq}: {intact:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Search, filters and paging.

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

// ---------------------------------------------------------------------------------------------
// Validation.

#[tokio::test]
async fn a_wrong_check_digit_is_invalid_input_on_the_id_number() {
    let app = TestApp::new();
    let _town = town(&app);
    let token = app.token("li.ming").await;
    let good = app.woman("吴霞", K1);
    let id = good.id_number();
    let wrong_last = if id.ends_with('1') { "2" } else { "1" };
    let bad_id = format!("{}{wrong_last}", &id[..17]);
    let before = app.last_seq();

    let res = app
        .send(
            post("/api/v1/persons")
                .bearer(&token)
                .json(&good.clone().set("id_number", &bad_id).json()),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let body = res.json();
    assert_eq!(body["fields"][0]["field"], "id_number", "{res}");
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("校验位"),
        "says what is wrong: {res}"
    );
    assert!(
        app.audit_after(before)
            .iter()
            .all(|r| r.action != "person.add"),
        "nothing added"
    );

    // A birth date in the future, on the field.
    let res = app
        .send(
            post("/api/v1/persons").bearer(&token).json(
                &good
                    .clone()
                    .without("id_number")
                    .set("birth_date", &days_ago(-3).to_string())
                    .json(),
            ),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let fields: Vec<String> = res.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert!(fields.contains(&"birth_date".to_string()), "{res}");

    // The same number twice: the second is refused, its number masked in the message.
    let taken = id_number_of(&app, "张敏");
    let res = app
        .send(
            post("/api/v1/persons").bearer(&token).json(
                &app.woman("重名", K1)
                    .set("id_number", &taken)
                    .set("birth_date", "1992-05-20")
                    .json(),
            ),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(!res.body.contains(&taken), "{res}");
    assert_eq!(count(&app), 7);
}

/// The ID number of someone on the register, by name.
fn id_number_of(app: &TestApp, name: &str) -> String {
    app.with_db(|s| {
        s.persons(&PersonFilter::default(), None, 100).map(|ps| {
            ps.into_iter()
                .find(|p| p.data.name.as_str() == name)
                .and_then(|p| p.data.id_number)
                .map(|i| i.as_str().to_string())
        })
    })
    .unwrap()
    .unwrap_or_else(|| panic!("{name} is on the register"))
}

fn count(app: &TestApp) -> u64 {
    app.with_db(|s| {
        s.count_persons(&PersonFilter {
            all_statuses: true,
            ..Default::default()
        })
    })
    .unwrap()
}

#[tokio::test]
async fn events_name_their_spouse_by_a_valid_number() {
    let app = TestApp::new();
    let t = town(&app);
    let token = app.token("li.ming").await;
    let her = &t.li_na;
    let path = format!("/api/v1/persons/{}/events", her.id());
    let marriage = |spouse: &str| json!({"event": "marriage", "date": days_ago(10).to_string(), "spouse_id_number": spouse});

    // A spouse number that cannot exist.
    let res = app
        .send(
            post(&path)
                .bearer(&token)
                .json(&marriage("11010519900115001")),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(
        res.json()["fields"][0]["field"],
        "spouse_id_number",
        "{res}"
    );
    // An unknown event kind.
    let res = app
        .send(
            post(&path)
                .bearer(&token)
                .json(&json!({"event": "holiday", "date": days_ago(1).to_string()})),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(res.json()["fields"][0]["field"], "event", "{res}");

    // A spouse from elsewhere, not on this register: the marriage is recorded, unlinked.
    let elsewhere = renkou_core::IdNumber::from_parts("320102", date(1990, 3, 3), 11)
        .unwrap()
        .to_string();
    let res = app
        .send(post(&path).bearer(&token).json(&marriage(&elsewhere)))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{res}");
    let person = app
        .send(get(&format!("/api/v1/persons/{}", her.id())).bearer(&token))
        .await
        .json();
    assert_eq!(person["person"]["spouse_id"], Value::Null);
    assert_eq!(
        person["person"]["fields"]["marital_status"], "初婚",
        "{person}"
    );
}

/// Every account "sees and changes only that area and everything below it": naming a spouse
/// who is registered in another committee must neither reveal that record (its internal id)
/// nor change it (marital status, spouse link, a mirrored event on its timeline).
#[tokio::test]
async fn a_spouse_out_of_reach_is_neither_revealed_nor_changed() {
    let app = TestApp::new();
    let t = town(&app);
    let token = app.token("li.ming").await;
    let her = &t.li_na;
    let him = &t.zhang_qiang; // committee K2: not li.ming's
    let res = app
        .send(
            post(&format!("/api/v1/persons/{}/events", her.id()))
                .bearer(&token)
                .json(&json!({
                    "event": "marriage",
                    "date": days_ago(10).to_string(),
                    "spouse_id_number": him.spec.id_number(),
                })),
        )
        .await;
    let his_id = him.id;
    let after = app
        .with_db(move |s| s.person(his_id))
        .unwrap()
        .expect("he is on the register");
    let his_events = app.with_db(move |s| s.timeline(his_id)).unwrap();
    let audited_for_him = app
        .audit(AuditFilter {
            object_id: Some(him.id().to_string()),
            ..Default::default()
        })
        .len();
    let revealed = res.body.contains(&format!("\"spouse_id\":{}", him.id()));
    assert!(
        !revealed && after.data.marital_status == him.data.marital_status && his_events.len() == 1,
        "an officer of K1 married someone of K2 and so: revealed his record id: {revealed}; \
         changed his marital status: {} → {}; events on his timeline: {}; audit rows naming \
         him: {audited_for_him} (answer: {res})",
        him.data.marital_status,
        after.data.marital_status,
        his_events.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document.

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

/// Where two JSON values differ, as JSON pointers (at most `limit`).
fn differences(expected: &Value, actual: &Value, at: String, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for k in keys {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (e.get(k), a.get(k)) {
                    (Some(ev), Some(av)) => differences(ev, av, path, out, limit),
                    (Some(_), None) => out.push(format!("{path}: removed")),
                    (None, Some(av)) => out.push(format!("{path}: added {av}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(ev, av, format!("{at}/{i}"), out, limit);
            }
        }
        _ if expected != actual => out.push(format!("{at}: was {expected}, now {actual}")),
        _ => {}
    }
}

/// The API's contract does not change by accident. After an intended change, rewrite the
/// snapshot with `UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test register openapi` and
/// commit it with the change.
#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::new();
    let res = app.send(get("/api/openapi.json")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let actual = res.json();
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).expect("the snapshot is written");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test register openapi",
            path.display()
        )
    });
    let expected: Value = serde_json::from_str(&stored).expect("the snapshot is JSON");
    let mut diff = Vec::new();
    differences(&expected, &actual, String::new(), &mut diff, 40);
    assert!(
        diff.is_empty(),
        "GET /api/openapi.json differs from {}:\n  {}\nIf the change is intended, rewrite the \
         snapshot with UPDATE_SNAPSHOTS=1 cargo test -p renkou-web --test register openapi",
        path.display(),
        diff.join("\n  ")
    );
}

#[tokio::test]
async fn no_path_carries_an_id_number() {
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/v1/persons/{id}"), "{paths:?}");
    for (path, item) in paths {
        assert!(
            !path.contains("id_number") && !path.contains("idcard"),
            "{path}"
        );
        for (_, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(
                        ["id", "household_no"].contains(&name),
                        "{path}: path parameter {name}"
                    );
                }
            }
        }
    }
    // The person's id in the path is the internal one: an ID number there finds nothing.
    let t = town(&app);
    let token = app.token("li.ming").await;
    let res = app
        .send(get(&format!("/api/v1/persons/{}", t.zhang_min.spec.id_number())).bearer(&token))
        .await;
    assert_ne!(res.status, StatusCode::OK, "{res}");
}

/// Every `$ref` names a schema the document holds, so generated clients build.
#[tokio::test]
async fn every_schema_reference_resolves() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a local schema reference: {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is not in the document"
        );
    }
}

#[tokio::test]
async fn the_api_docs_page_lists_every_operation() {
    let app = TestApp::new();
    let doc = app.send(get("/api/openapi.json")).await.json();
    let res = app.send(get("/api/docs")).await;
    assert_eq!(res.status, StatusCode::OK, "{res}");
    let content_type = res.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let shown = format!("{} {path}", method.to_uppercase());
            assert!(res.body.contains(&shown), "/api/docs shows {shown}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pages.

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
                .contains("<td>青龙第1居委会第1小组</td><td class=\"num\">1</td>"),
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
        selected_value(&res.body, "f-area_code"),
        None,
        "a text field"
    );
    assert_eq!(input_value(&res.body, "f-area_code").as_deref(), Some(K1));
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

#[test]
fn snapshot_differences_are_named_by_pointer() {
    let mut out = Vec::new();
    differences(
        &json!({"paths": {"/a": {"get": 1}}, "x": [1, 2]}),
        &json!({"paths": {"/a": {"get": 2}, "/b": {}}, "x": [1, 3]}),
        String::new(),
        &mut out,
        10,
    );
    assert_eq!(
        out,
        [
            "/paths/~1a/get: was 1, now 2",
            "/paths/~1b: added {}",
            "/x/1: was 2, now 3"
        ]
    );
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

// ---------------------------------------------------------------------------------------------
// Uploads.

/// The people file's header, and a row for a person as `PersonSpec` holds them.
fn people_csv(people: &[&PersonSpec]) -> Vec<u8> {
    let keys = [
        "id_number",
        "name",
        "sex",
        "birth_date",
        "ethnicity",
        "marital_status",
        "education",
        "phone",
        "household_no",
        "relation",
        "population_type",
        "registered_place",
        "area_code",
        "address",
    ];
    let mut text = keys.join(",");
    for p in people {
        text.push('\n');
        text.push_str(&keys.iter().map(|k| p.get(k)).collect::<Vec<_>>().join(","));
    }
    text.push('\n');
    text.into_bytes()
}

/// An officer's file with the number of someone registered in the next committee: the row is
/// refused without saying that the person exists there, and the trail names whom it was about.
#[tokio::test]
async fn an_import_does_not_confirm_who_is_registered_outside_the_area() {
    let app = TestApp::new();
    let t = town(&app);
    let officer = app.browser("li.ming").await;
    let stranger = t.zhang_qiang.spec.clone().set("area_code", K1);
    let newcomer = app.woman("赵雪", K1);
    let file = people_csv(&[&stranger, &newcomer]);
    let seq = app.last_seq();
    let page = app
        .upload_and_wait(&officer, &[("kind", "persons")], "people.csv", &file)
        .await;
    assert!(page.body.contains("此行不能在本辖区导入"), "{page}");
    for telling in ["已在登记", "其他辖区", "已登记", t.zhang_qiang.spec.name()] {
        assert!(!page.body.contains(telling), "{telling}: {page}");
    }
    let denied: Vec<_> = app
        .audit_after(seq)
        .into_iter()
        .filter(|r| r.action == "import" && r.result == "denied")
        .collect();
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0].object_id, Some(t.zhang_qiang.id().to_string()));
    assert_eq!(denied[0].object_kind, "person");
}

/// The upload page states its limits, and a file past the account's row limit is not read
/// further: nothing is written, and the report says why.
#[tokio::test]
async fn an_upload_past_the_row_limit_is_refused_whole() {
    let app = TestApp::new();
    app.add_account("leader.g1", Role::CommitteeOfficer, K1);
    let officer = app.browser("leader.g1").await;
    let page = app.send(officer.get("/upload")).await;
    assert!(page.body.contains("一个文件最多 100000 行"), "{page}");
    let before = app
        .with_db(|s| s.count_persons(&PersonFilter::default()))
        .unwrap();
    // 100,001 rows of one person each, valid and distinct.
    let mut text =
        String::from("身份证号,姓名,民族,婚姻状况,户编号,与户主关系,人口类型,居住地区划\n");
    for n in 0..100_001u32 {
        let born = jiff::civil::date(1950, 1, 1)
            .checked_add(jiff::Span::new().days(i64::from(n / 900)))
            .unwrap();
        let id = renkou_core::IdNumber::from_parts("340705", born, (n % 900) as u16).unwrap();
        text.push_str(&format!("{id},张三,汉族,未婚,H{n},户主,常住,{K1}\n"));
    }
    let report = app
        .upload_and_wait(
            &officer,
            &[("kind", "persons"), ("skip_invalid", "1")],
            "big.csv",
            text.as_bytes(),
        )
        .await;
    assert!(report.body.contains("文件超过 100000 行数据"), "{report}");
    assert!(report.body.contains("整个文件没有导入"), "{report}");
    let after = app
        .with_db(|s| s.count_persons(&PersonFilter::default()))
        .unwrap();
    assert_eq!(before, after);
}

/// Ages no one has, on the list page, its export and the API: a field error, never a panic
/// that drops the connection, and never a bound silently left out.
#[tokio::test]
async fn ages_out_of_range_are_field_errors_everywhere() {
    let app = TestApp::new();
    let _t = town(&app);
    let browser = app.browser("li.ming").await;
    let token = app.token("li.ming").await;
    for query in [
        "age_min=2147483648",
        "age_min=20000",
        "age_max=19998",
        "age_min=19997",
    ] {
        let page = app.send(browser.get(&format!("/persons?{query}"))).await;
        assert!(
            page.body.contains("年龄应在 0 到 150 岁之间"),
            "{query}: {page}"
        );
        let export = app
            .send(browser.get(&format!("/persons/export?{query}")))
            .await;
        assert_eq!(
            export.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {export}"
        );
        let api = app
            .send(get(&format!("/api/v1/persons?{query}")).bearer(&token))
            .await;
        assert_eq!(
            api.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {api}"
        );
    }
}
