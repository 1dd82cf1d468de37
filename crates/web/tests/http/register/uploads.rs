//! Uploads.

use super::*;

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
    // The file calls him by another name: the report names rows from the file itself, so
    // the register's name for the number must not appear.
    let stranger = t
        .zhang_qiang
        .spec
        .clone()
        .set("area_code", K1)
        .set("name", "赵大伟");
    let newcomer = app.woman("赵雪", K1);
    let file = people_csv(&[&stranger, &newcomer]);
    let seq = app.last_seq();
    let page = app
        .upload_and_wait(&officer, &[("kind", "persons")], "people.csv", &file)
        .await;
    assert!(page.body.contains("此行不能在本辖区导入"), "{page}");
    assert!(page.body.contains("赵大伟"), "the file's own name: {page}");
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

/// A file refused whole (all or nothing, one bad row) is shown as 未导入 on its report and in
/// the list of recent imports, never as done; each bad row names its person, ID masked.
#[tokio::test]
async fn a_refused_import_is_shown_as_refused_and_names_the_person() {
    let app = TestApp::new();
    let _t = town(&app);
    let officer = app.browser("li.ming").await;
    let good = app.woman("赵雪", K1);
    let bad = app.woman("钱红", K1).set("ethnicity", "火星族");
    let file = people_csv(&[&good, &bad]);
    let before = count(&app);
    let page = app
        .upload_and_wait(&officer, &[("kind", "persons")], "people.csv", &file)
        .await;
    assert!(page.body.contains("id=\"outcome\""), "{page}");
    assert!(page.body.contains("未导入"), "{page}");
    for wrong in ["已完成", "已导入"] {
        assert!(!page.body.contains(wrong), "{wrong}: {page}");
    }
    let who = format!("钱红 {}", masked(bad.get("id_number")));
    assert!(page.body.contains(&who), "{who}: {page}");
    assert!(
        !page.body.contains(bad.get("id_number")),
        "the full number is not shown"
    );
    assert_eq!(count(&app), before, "nothing written");
    let list = app.send(officer.get("/upload")).await;
    assert!(list.body.contains("status-refused"), "{list}");
    assert!(list.body.contains("未导入"), "{list}");
    assert!(!list.body.contains("已完成"), "{list}");
}

/// A workbook in the old format renamed .xlsx, and a Word file: refused by their content,
/// shown as not imported, with the advice to save as .xlsx; the picker offers .xls and .ods.
#[tokio::test]
async fn a_file_that_is_no_table_is_refused_in_words() {
    let app = TestApp::new();
    let _t = town(&app);
    let officer = app.browser("li.ming").await;
    let form = app.send(officer.get("/upload")).await;
    assert!(
        form.body.contains(".xls,") || form.body.contains(".xls\""),
        "{form}"
    );
    assert!(form.body.contains(".ods"), "{form}");
    let mut xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    xls.extend([0u8; 1024]);
    let page = app
        .upload_and_wait(&officer, &[("kind", "persons")], "renamed.xlsx", &xls)
        .await;
    assert!(page.body.contains("未导入"), "{page}");
    assert!(page.body.contains("另存为 .xlsx"), "{page}");
    for raw in ["zip", "EOCD", "archive"] {
        assert!(!page.body.contains(raw), "{raw}: {page}");
    }
}

/// The templates of both files in both formats come from the upload page, with the accepted
/// values; the XLSX lists the officer's own areas.
#[tokio::test]
async fn import_templates_are_downloaded_from_the_upload_page() {
    let app = TestApp::new();
    let _t = town(&app);
    let officer = app.browser("li.ming").await;
    let form = app.send(officer.get("/upload")).await;
    for file in ["persons.xlsx", "persons.csv", "events.xlsx", "events.csv"] {
        let href = format!("/upload/templates/{file}");
        assert!(form.body.contains(&href), "{href}: {form}");
        let got = app.send(officer.get(&href)).await;
        assert_eq!(got.status, StatusCode::OK, "{got}");
        let disposition = got.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        if file.ends_with(".csv") {
            assert!(got.body.contains("必填"), "{got}");
        } else {
            assert!(got.body.starts_with("PK"), "an XLSX workbook");
        }
    }
    let people = app.send(officer.get("/upload/templates/persons.csv")).await;
    for value in ["身份证号", "汉族", "初婚", "流入"] {
        assert!(people.body.contains(value), "{value}: {people}");
    }
    let events = app.send(officer.get("/upload/templates/events.csv")).await;
    assert!(events.body.contains("结婚"), "{events}");
    let other = app
        .send(officer.get("/upload/templates/accounts.csv"))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{other}");
}

/// An export runs as a job: the list's link answers with a progress page at once, which ends
/// in a download of the account's own people only; the export is audited.
#[tokio::test]
async fn an_export_runs_as_a_job_with_a_download() {
    let app = TestApp::new();
    let t = town(&app);
    let officer = app.browser("li.ming").await;
    let seq = app.last_seq();
    let started = app.send(officer.get("/persons/export?format=csv")).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started}");
    let page_url = started.location().to_string();
    assert!(page_url.starts_with("/exports/"), "{page_url}");
    let mut ready = None;
    for _ in 0..600 {
        let page = app.send(officer.get(&page_url)).await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        if page.body.contains("id=\"ready\"") {
            ready = Some(page);
            break;
        }
        assert!(page.body.contains("<progress"), "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ready = ready.expect("the export finished");
    let file_url = format!("{page_url}/file");
    assert!(ready.body.contains(&file_url), "{ready}");
    let file = app.send(officer.get(&file_url)).await;
    assert_eq!(file.status, StatusCode::OK, "{file}");
    assert!(file.body.contains("身份证号"), "{file}");
    assert!(file.body.contains(t.zhang_wei.spec.name()), "{file}");
    assert!(
        !file.body.contains(t.zhang_qiang.spec.name()),
        "someone of another committee: {file}"
    );
    let audited = app
        .audit_after(seq)
        .into_iter()
        .filter(|r| r.action == "export" && r.result == "ok")
        .count();
    assert_eq!(audited, 1);
    // Another account cannot see the job or take the file.
    app.add_account("zhou.k1", Role::CommitteeOfficer, K1);
    let other = app.browser("zhou.k1").await;
    let theirs = app.send(other.get(&file_url)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs}");
}
