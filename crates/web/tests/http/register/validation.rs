//! Validation.

use super::*;

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
