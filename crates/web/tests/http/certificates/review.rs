//! The review's explanations.

use super::*;

#[tokio::test]
async fn a_missing_spouse_is_explained_returned_resubmitted_and_then_issued() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("officer.k1", Role::CommitteeOfficer, K1);
        app.add_account("station", Role::Station, D1);
        let (officer, station) = (app.token("officer.k1").await, app.token("station").await);
        let her = app.add(app.woman("赵静", G1).married());

        let res = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&json!({"person_id": her.id(), "kind": "birth_registration"})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{res}");
        let doc = res.json();
        let id = doc["id"].as_i64().unwrap();
        let spouse = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "spouse")
            .cloned()
            .unwrap_or_else(|| panic!("a spouse check: {res}"));
        assert_eq!(spouse["outcome"], "missing", "{res}");
        assert!(
            spouse["message"]
                .as_str()
                .unwrap()
                .contains("配偶不在本登记册中"),
            "{res}"
        );
        let identity = doc["checks"][0].clone();
        assert_eq!(identity["key"], "identity");
        assert_eq!(identity["outcome"], "passed");

        // The station cannot approve it and is told why.
        let step = |t: &str, body: Value| post(&steps_path(id)).bearer(t).json(&body);
        let res = app.send(step(&station, json!({"step": "issue"}))).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(res.body.contains("配偶不在本登记册中"), "{res}");
        // Sending it back needs a reason.
        let res = app.send(step(&station, json!({"step": "return"}))).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(res.json()["fields"][0]["field"], "reason", "{res}");
        let res = app
            .send(step(
                &station,
                json!({"step": "return", "reason": "请补充配偶姓名"}),
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        assert_eq!(res.json()["state"], "returned");
        assert_eq!(res.json()["reason"], "请补充配偶姓名");
        // The committee's officer finds it in her returned queue.
        let res = app
            .send(get("/api/v1/certificates?queue=returned").bearer(&officer))
            .await;
        assert_eq!(res.json()["items"][0]["id"], id, "{res}");

        let res = app
            .send(step(
                &officer,
                json!({"step": "resubmit", "spouse_name": "孙强"}),
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let doc = res.json();
        assert_eq!(doc["state"], "applied");
        assert_eq!(doc["application"]["spouse_name"], "孙强");
        let spouse = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "spouse")
            .cloned()
            .unwrap();
        assert_eq!(spouse["outcome"], "note", "{res}");
        assert!(spouse["message"].as_str().unwrap().contains("孙强"));

        let res = app.send(step(&station, json!({"step": "issue"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let doc = res.json();
        let year = today().year();
        assert_eq!(doc["serial"], format!("SY{year}000001"), "{res}");
        assert_eq!(doc["state"], "issued");
        assert_eq!(doc["validity"], "valid");
        assert_eq!(
            doc["valid_until"],
            Value::Null,
            "a registration does not lapse"
        );
        assert_eq!(doc["verify_code"].as_str().unwrap().len(), 10, "{res}");
        let steps: Vec<&str> = doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["apply", "return", "resubmit", "issue"]);
        assert_eq!(doc["steps"][1]["note"], "请补充配偶姓名");
        assert_eq!(doc["steps"][3]["by"], "station");
        // Issued documents are not reviewed again: the checks are gone, a second issue refused.
        assert_eq!(doc["checks"], json!([]));
        app.send(step(&station, json!({"step": "issue"})))
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");

        // Each kind has its own sequence.
        let card = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&apply_body(her.id(), RH)),
            )
            .await;
        let card_id = card.json()["id"].as_i64().unwrap();
        let res = app
            .send(
                post(&steps_path(card_id))
                    .bearer(&station)
                    .json(&json!({"step": "issue"})),
            )
            .await;
        assert_eq!(res.json()["serial"], format!("SB{year}000001"), "{res}");
        // And a second application for a card she holds is refused, saying so.
        let res = app
            .send(
                post("/api/v1/certificates")
                    .bearer(&officer)
                    .json(&apply_body(her.id(), RH)),
            )
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(res.body.contains("已持有有效的"), "{res}");
    }
}
