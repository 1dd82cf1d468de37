//! End-to-end in headless Chromium: the pages staff use most, driven through chromedriver the
//! way a person uses them (typing, clicking, uploading a file), against the real binary serving
//! a demo city. Each test asserts what the user sees.
//!
//! Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); without them the
//! tests fail saying so. RENKOU_SKIP_BROWSER=1 skips them. With RENKOU_SCREENSHOTS=DIR, PNGs of
//! the pages a user looks at most (and of any page a test failed on) are written to DIR.
//! RENKOU_CHROMIUM and RENKOU_CHROMEDRIVER name other binaries than those on the PATH.

mod certs;
mod forms;
mod harness;
mod lists;
mod stats;
mod words;

use harness::{Db, OFFICER_AREA, PASSWORD, Page, Person, id_number, masked, run, run_on};

/// People of the officer's committee that have an ID number, in the export's order.
fn with_id(page: &Page) -> Vec<&'static Person> {
    page.world
        .officer_people
        .iter()
        .filter(|p| p.id_number.len() == 18)
        .collect()
}

#[test]
fn login_wrong_password_then_home_then_logout() {
    run("login", |page| async move {
        page.login("officer", "Wrong-password-1").await;
        page.assert_text("p.error", "用户名或密码不正确").await;
        assert_eq!(
            page.path().await,
            "/login",
            "a failed login stays on /login"
        );
        assert_eq!(
            page.value("#username").await,
            "officer",
            "the username is kept"
        );
        assert!(!page.exists("ul.counts").await);

        page.login("officer", PASSWORD).await;
        page.wait_path("/").await;
        page.assert_text("main h1", OFFICER_AREA).await;
        // The committee's own counts: the first is everyone it serves.
        let total = page.text("ul.counts li:first-child b").await;
        assert_eq!(
            total,
            page.world.officer_people.len().to_string(),
            "the home page counts the people of committee {OFFICER_AREA}"
        );
        assert_eq!(page.all("ul.counts.register li").await.len(), 8);
        page.screenshot("home").await;

        // A mark in the page's JavaScript heap, to tell a page restored from the browser's
        // back/forward cache from one loaded again.
        page.c
            .execute("window.renkouTestMark = 1", vec![])
            .await
            .unwrap();
        page.click_to_load("form[action='/logout'] button").await;
        page.wait_path("/login").await;
        page.el("#username").await;

        // Back to the home page the browser had shown: the old session no longer opens it.
        page.c.back().await.unwrap();
        let mut waited = 0;
        while page.path().await != "/login" && waited < 40 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            waited += 1;
        }
        if page.path().await != "/login" || page.exists("ul.counts").await {
            let restored = page
                .c
                .execute("return window.renkouTestMark === 1", vec![])
                .await
                .unwrap();
            panic!(
                "after logout, Back shows the officer's page again{}:\n{}",
                if restored == serde_json::Value::Bool(true) {
                    " (restored from the browser's back/forward cache, though it was \
                     sent with Cache-Control: no-store)"
                } else {
                    ""
                },
                page.body_text().await.chars().take(600).collect::<String>()
            );
        }
        page.goto("/").await;
        page.wait_path("/login").await;
        assert!(!page.exists("ul.counts").await);
    });
}

#[test]
fn search_by_id_number_and_by_name_prefix() {
    run("search", |page| async move {
        page.login_ok("officer").await;
        let people = with_id(&page);
        let who = people[people.len() / 2];

        page.search(&who.id_number).await;
        let rows = page.person_rows().await;
        assert_eq!(
            rows.len(),
            1,
            "searching {} lists exactly one person: {rows:?}",
            who.id_number
        );
        assert_eq!(rows[0].0, who.name);
        assert_eq!(
            rows[0].1,
            masked(&who.id_number),
            "the list masks ID numbers"
        );
        assert!(
            !page.body_text().await.contains(&who.id_number),
            "the whole ID number is shown on the list"
        );
        assert!(rows[0].2.starts_with("/persons/"));

        // A name prefix (the surname and the next character) that several people share,
        // fewer than fill a page of the list.
        let starting = |prefix: &str| -> Vec<&str> {
            let all = &page.world.officer_people;
            all.iter()
                .filter(|p| p.name.starts_with(prefix))
                .map(|p| p.name.as_str())
                .collect()
        };
        let (prefix, mut expected) = people
            .iter()
            .filter(|p| p.name.chars().count() == 3)
            .map(|p| p.name.chars().take(2).collect::<String>())
            .map(|prefix| {
                let names = starting(&prefix);
                (prefix, names)
            })
            .find(|(_, names)| (2..=40).contains(&names.len()))
            .expect("a name prefix shared by a few people");
        expected.sort();
        page.search(&prefix).await;
        let mut listed: Vec<String> = page.person_rows().await.into_iter().map(|r| r.0).collect();
        assert!(
            listed.iter().all(|n| n.starts_with(&prefix)),
            "searching {prefix} lists {listed:?}"
        );
        listed.sort();
        assert_eq!(listed, expected, "searching {prefix}");
        page.assert_text("p.count", &format!("共 {} 人", expected.len()))
            .await;
    });
}

#[test]
fn view_a_person_from_the_list() {
    run("view", view_a_person);
}

/// The same walk against a server on PostgreSQL, the way a city deploys it.
#[test]
fn view_a_person_from_the_list_on_postgres() {
    run_on(Db::Postgres, "view-pg", view_a_person);
}

async fn view_a_person(page: Page) {
    {
        page.login_ok("officer").await;
        page.goto("/persons").await;
        let rows = page.person_rows().await;
        let (name, masked_id, href) = rows
            .iter()
            .find(|r| r.1.contains('*'))
            .cloned()
            .expect("a person with an ID number on the first page of the list");
        page.click_to_load(&format!("table.grid tbody a[href='{href}']"))
            .await;
        page.wait_path(&href).await;

        page.assert_text("main h1", &name).await;
        let id = page.record_field("身份证号").await;
        assert_eq!(
            id.len(),
            18,
            "the record shows the whole ID number, not {id:?}"
        );
        assert_eq!(
            masked(&id),
            masked_id,
            "the record is the one the list showed"
        );
        let known = page
            .world
            .officer_people
            .iter()
            .find(|p| p.id_number == id)
            .unwrap_or_else(|| panic!("{id} is not among the committee's people"));
        assert_eq!(known.name, name);

        page.assert_text("p.notice", "查看完整记录会记入审计日志")
            .await;
        let household = page.xpath("//h2[contains(., '同户成员')]/a").await;
        assert_eq!(household.text().await.unwrap().trim(), known.household_no);
        let kinds = page.texts("table.timeline tbody td:nth-child(2)").await;
        assert!(
            kinds.iter().any(|k| k == "建档"),
            "the timeline starts with 建档: {kinds:?}"
        );
        page.screenshot("person").await;
    }
}

#[test]
fn edit_with_a_validation_error_then_save() {
    run("edit", |page| async move {
        page.login_ok("officer").await;
        let people = with_id(&page);
        let who = people[people.len() - 3];
        page.search(&who.id_number).await;
        let href = page.person_rows().await[0].2.clone();
        page.goto(&href).await;
        page.click_to_load("a[href$='/edit']").await;
        page.wait_path(&format!("{href}/edit")).await;
        assert_eq!(page.value("#f-id_number").await, who.id_number);
        assert_eq!(page.value("#f-birth_date").await, who.birth_date);

        let phone = if who.phone == "13912345678" {
            "13912345679"
        } else {
            "13912345678"
        };
        let future = jiff::Zoned::now()
            .date()
            .checked_add(jiff::Span::new().years(1))
            .unwrap()
            .to_string();
        page.fill("#f-phone", phone).await;
        page.fill("#f-birth_date", &future).await;
        page.fill("#f-note", "核对户口本").await;
        page.click_to_load("form.person-form button[type=submit]")
            .await;

        let error = page.text("#e-birth_date").await;
        assert!(
            error.contains(&format!("出生日期{future}晚于今天")),
            "the error beside the birth date reads {error:?}"
        );
        assert_eq!(page.status().await, 422);
        let field = page.el("#f-birth_date").await;
        assert_eq!(
            field.attr("aria-describedby").await.unwrap().as_deref(),
            Some("e-birth_date")
        );
        assert_eq!(
            page.value("#f-birth_date").await,
            future,
            "the typed date is kept"
        );
        assert_eq!(
            page.value("#f-phone").await,
            phone,
            "the typed phone is kept"
        );
        assert_eq!(page.value("#f-id_number").await, who.id_number);
        assert_eq!(page.value("#f-note").await, "核对户口本");
        page.assert_text("#error-summary", "需要修改").await;
        page.screenshot("edit-error").await;

        page.fill("#f-birth_date", &who.birth_date).await;
        page.click_to_load("form.person-form button[type=submit]")
            .await;
        page.wait_path(&href).await;
        assert_eq!(page.record_field("联系电话").await, phone);
        assert_eq!(page.record_field("出生日期").await, who.birth_date);
        let rows = page.texts("table.timeline tbody tr").await;
        let correction = rows
            .iter()
            .find(|r| r.contains("更正"))
            .unwrap_or_else(|| panic!("no 更正 on the timeline: {rows:?}"));
        assert!(
            correction.contains(phone),
            "the correction names the new phone: {correction}"
        );
    });
}

/// An import file in GBK, as Excel in China saves "CSV (逗号分隔)".
fn write_import(dir: &std::path::Path, file: &str, rows: &[(String, &str)]) -> String {
    let mut text = String::from(
        "身份证号,姓名,性别,出生日期,民族,婚姻状况,户编号,与户主关系,人口类型,居住地区划,居住地址\r\n",
    );
    for (id, name) in rows {
        text.push_str(&format!(
            "{id},{name},,,汉族,未婚,HBT-{},户主,常住,340705001002001,幸福路1号\r\n",
            &id[14..17]
        ));
    }
    let (bytes, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let path = dir.join(file);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

async fn upload(page: &Page, file: &str, skip_invalid: bool) {
    page.goto("/upload").await;
    page.click("input[name=kind][value=persons]").await;
    page.el("#file").await.send_keys(file).await.unwrap();
    if skip_invalid {
        page.click("input[name=skip_invalid]").await;
    }
    page.click_to_load("form[action='/upload'] button[type=submit]")
        .await;
    // The job page refreshes itself until the report is there.
    page.el("#summary").await;
    assert!(
        page.path().await.starts_with("/upload/jobs/"),
        "the upload leads to its job page"
    );
}

#[test]
fn upload_with_a_bad_row_then_skip_it() {
    run("upload", |page| async move {
        let good_a = id_number("340705", "1991-03-05", 611);
        let good_b = id_number("340705", "1992-04-06", 622);
        let good = id_number("340705", "1993-05-07", 631);
        let last = good.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        let bad = format!("{}{wrong}", &good[..17]);
        let rows = [
            (good_a.clone(), "浏览甲"),
            (bad.clone(), "浏览乙"),
            (good_b.clone(), "浏览丙"),
        ];
        let file = write_import(&page.world.dir, "browser-upload.csv", &rows);

        // The centre account, importing into a committee the officer's tests do not count.
        page.login_ok("centre").await;
        upload(&page, &file, false).await;
        let summary = page.text("#summary").await;
        assert!(
            summary.contains("共 3 行") && summary.contains("整个文件没有导入"),
            "the report says nothing was imported: {summary}"
        );
        let problems = page.texts("table.problems tbody tr").await;
        assert_eq!(problems.len(), 1, "one problem row: {problems:?}");
        let cells = page.texts("table.problems tbody tr td").await;
        assert_eq!(cells[0], "3", "the bad row is row 3 of the file: {cells:?}");
        assert!(
            cells[1].contains("浏览乙") && cells[1].contains('*'),
            "the row names its person, the ID number masked: {cells:?}"
        );
        assert!(cells[2].contains("身份证号"), "the column: {cells:?}");
        assert!(
            cells[3].contains(&format!("校验位不正确，应为{last}")),
            "the reason: {cells:?}"
        );
        page.screenshot("upload-report").await;
        let rejected = page.el("a[href$='/rejected']").await;
        assert!(rejected.text().await.unwrap().contains("下载有问题的行"));
        let href = rejected.attr("href").await.unwrap().unwrap();
        // The rejected rows, as the link downloads them: the bad row with its reason.
        let csv = page
            .c
            .execute(
                "return fetch(arguments[0]).then(r => r.text())",
                vec![serde_json::Value::String(href)],
            )
            .await
            .unwrap();
        let csv = csv.as_str().unwrap_or_default();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "the header and the bad row: {csv}");
        assert!(lines[0].ends_with(",错误原因"), "{csv}");
        assert!(
            lines[1].starts_with(&format!("3,{bad},浏览乙,")) && lines[1].contains("校验位不正确"),
            "{csv}"
        );

        page.search(&good_a).await;
        assert!(page.person_rows().await.is_empty(), "nothing was imported");

        upload(&page, &file, true).await;
        let summary = page.text("#summary").await;
        assert!(summary.contains("新增 2 人"), "two added: {summary}");
        let cells = page.texts("table.problems tbody tr td").await;
        assert_eq!(cells.first().map(String::as_str), Some("3"), "{cells:?}");

        page.search(&good_b).await;
        let found = page.person_rows().await;
        assert_eq!(found.len(), 1, "the imported person is found: {found:?}");
        assert_eq!(found[0].0, "浏览丙");
        assert_eq!(found[0].1, masked(&good_b));
    });
}

#[test]
fn language_switch_on_the_login_page() {
    run("language", |page| async move {
        page.goto("/login").await;
        page.assert_text("main h2", "登录").await;
        page.click_to_load("form[action='/lang'] button[value=en]")
            .await;
        page.wait_path("/login").await;
        page.assert_text("main h2", "Sign in").await;
        page.assert_text("button[type=submit]", "Sign in").await;
        page.assert_text("label[for=username]", "Username").await;
        let lang = page.el("html").await.attr("lang").await.unwrap();
        assert_eq!(lang.as_deref(), Some("en"));
    });
}

#[test]
fn a_card_applied_for_by_the_committee_is_issued_printed_and_verified() {
    run("certificate", |page| async move {
        // The committee's officer applies for someone near the end of her list (the demo's
        // own documents went to the first residents; anyone who already holds a card or
        // waits for one is refused, and the next is tried).
        page.login_ok("officer").await;
        let people = with_id(&page);
        let mut applied = None;
        for who in people.iter().rev().take(6) {
            page.search(&who.id_number).await;
            let href = page.person_rows().await[0].2.clone();
            page.goto(&href).await;
            page.click_to_load("a[href$='/certificates/new']").await;
            page.el("#f-kind")
                .await
                .select_by_value("reproductive_health_card")
                .await
                .unwrap();
            page.click_to_load("form.person-form button[type=submit]")
                .await;
            let path = page.path().await;
            if let Some(id) = path.strip_prefix("/certificates/") {
                applied = Some((id.to_string(), who.name.clone()));
                break;
            }
            let said = page.text("#e-kind").await;
            assert!(
                said.contains("生殖保健服务证"),
                "applying for {} was refused for another reason: {said}",
                who.name
            );
        }
        let (id, name) = applied.expect("someone of the committee could apply");
        page.assert_text("main h1", "生殖保健服务证").await;
        page.assert_text("main h1", "待审核").await;
        page.assert_text("ul.checks", "身份证号已登记").await;
        assert!(
            !page.body_text().await.contains("审核通过并发证"),
            "the committee does not review"
        );
        page.click_to_load("form[action='/logout'] button").await;
        page.wait_path("/login").await;

        // The station finds it in the queue of applications waiting for review.
        page.login_ok("station").await;
        page.goto("/certificates").await;
        page.click_to_load("nav.tabs a[href='/certificates?queue=review']")
            .await;
        page.assert_text("nav.tabs a.active", "待审核").await;
        let link = format!("table.grid a[href='/certificates/{id}']");
        page.click_to_load(&link).await;
        page.wait_path(&format!("/certificates/{id}")).await;
        page.assert_text("main", &name).await;
        let issue = format!("form[action='/certificates/{id}/step'] button.primary");
        assert_eq!(page.text(&issue).await, "审核通过并发证");
        page.click_to_load(&issue).await;
        // Issuing asks once, showing what will change.
        page.assert_text("main h1", "确认签发").await;
        page.click_to_load("form.confirm-actions button[type=submit]")
            .await;
        page.assert_text("p.message", "已签发：生殖保健服务证")
            .await;
        page.assert_text("main h1", "已发证").await;
        let serial = page.record_field("证号").await;
        assert!(
            serial.len() == 12
                && serial.starts_with("SB")
                && serial[2..].bytes().all(|b| b.is_ascii_digit()),
            "a serial like SB2026000001, not {serial:?}"
        );
        let code = page.text("dl.record dd code").await;
        assert_eq!(code.len(), 10, "a verification code: {code:?}");
        page.screenshot("certificate-issued").await;

        // Printing opens the PDF in a new tab: the form is there, and what it posts is a PDF.
        let form = format!("form[action='/certificates/{id}/print']");
        let target = page.el(&form).await.attr("target").await.unwrap();
        assert_eq!(target.as_deref(), Some("_blank"));
        let answer = page
            .c
            .execute(
                "const f = document.querySelector(arguments[0]);\
                 return fetch(f.action, {method: 'POST', body: new URLSearchParams(new FormData(f))})\
                   .then(r => r.status + ' ' + r.headers.get('content-type'));",
                vec![serde_json::Value::String(form)],
            )
            .await
            .unwrap();
        assert_eq!(answer.as_str(), Some("200 application/pdf"));
        page.goto(&format!("/certificates/{id}")).await;
        assert_eq!(page.record_field("已打印份数").await, "1");

        // Anyone checking the paper: valid, the serial, a masked name.
        page.goto(&format!("/verify/{code}")).await;
        page.assert_text("p.verdict", "有效").await;
        let text = page.body_text().await;
        assert!(text.contains(&serial), "{text}");
        let first = name.chars().next().unwrap();
        let masked = format!("{first}{}", "*".repeat(name.chars().count() - 1));
        assert!(text.contains(&masked), "{masked}: {text}");
        assert!(!text.contains(&name), "the holder's name is masked: {text}");
        page.screenshot("verify").await;
    });
}
