//! The audit trail.

use super::*;

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
                    .json(
                        &her.spec
                            .clone()
                            .set("address", "长江路8号")
                            .set("note", "本人持户口簿来核对")
                            .json(),
                    ),
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
