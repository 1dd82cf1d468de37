use super::*;

#[tokio::test]
async fn the_audit_page_names_actions_and_results_in_words() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    app.add_account("aud", Role::AuditAdmin, D1);
    let k1 = app.browser("li.ming").await;
    let her = app.add(app.person("吴霞", Sex::Female, date(1995, 3, 3), K1));
    let seen = app.send(k1.get(&format!("/persons/{}", her.id.0))).await;
    assert_eq!(seen.status, StatusCode::OK, "{seen}");
    let elsewhere = app.add(app.person("孙丽", Sex::Female, date(1993, 2, 2), K2));
    let refused = app
        .send(k1.get(&format!("/persons/{}", elsewhere.id.0)))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{refused}");

    let aud = app.browser("aud").await;
    let page = app.send(aud.get("/audit")).await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(page.body.contains("查看人口记录"), "{page}");
    assert!(
        page.body.contains(">成功<") && page.body.contains(">拒绝<"),
        "{page}"
    );
    assert!(!page.body.contains("<code>person.view</code>"), "{page}");
    assert!(!page.body.contains(">denied<"), "{page}");
    let en = app.send(english_get(&aud, "/audit")).await;
    assert!(en.body.contains("Record viewed"), "{en}");
    assert!(
        en.body.contains(">OK<") && en.body.contains(">Denied<"),
        "{en}"
    );
    // The filter offers the actions by name.
    assert!(
        en.body
            .contains("value=\"person.view\">Record viewed</option>"),
        "{en}"
    );
}
