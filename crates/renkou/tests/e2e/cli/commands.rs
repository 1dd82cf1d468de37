//! The other commands: the demo city, PostgreSQL, users, the audit check, the certificates'
//! export.

use super::*;

#[test]
fn the_demo_city_is_built_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").display().to_string();
    let out = renkou(
        &db,
        &["demo", "--persons", "3000", "--seed", "7", "--no-serve"],
    );
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("人口：3"), "{said}");
    let mut s = Store::open(&db).unwrap();
    assert!(s.count_persons(&PersonFilter::default()).unwrap() >= 3000);
    // One account per role, each in its own kind of area.
    let accounts = s.accounts().unwrap();
    for role in renkou_core::Role::ALL {
        assert!(
            accounts.iter().any(|a| a.role == role),
            "no demo account for {role}"
        );
    }
    let leader = accounts
        .iter()
        .find(|a| a.role == renkou_core::Role::GroupLeader)
        .unwrap();
    assert_eq!(leader.area.level(), renkou_core::AreaLevel::Group);
    let out = renkou(&db, &["demo", "--persons", "3000", "--no-serve"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a filled register is not overwritten"
    );
}

#[test]
fn postgres_takes_the_same_files() {
    let Some(pg) = server::TestDb::postgres("cli") else {
        return;
    };
    let url = pg.url.clone();
    let p = Place::new();
    assert!(
        renkou(&url, &["areas", "import", &p.path_str("areas.csv")])
            .status
            .success()
    );
    write_csv(&p.path("in.csv"), &good_rows(50));
    let out = renkou(&url, &["persons", "import", &p.path_str("in.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let pg_out = p.path_str("pg.csv");
    assert!(
        renkou(&url, &["persons", "export", "--out", &pg_out])
            .status
            .success()
    );
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("in.csv")])
            .status
            .success()
    );
    let lite_out = p.path_str("lite.csv");
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &lite_out])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(&pg_out).unwrap(),
        std::fs::read(&lite_out).unwrap(),
        "both backends export the same file"
    );
}

#[test]
fn users_are_added_listed_disabled_and_reset_at_the_command_line() {
    let p = Place::new();
    let db = p.db();
    // Without --password: a one-time password that meets the policy, to be changed at first login.
    let out = renkou(
        &db,
        &[
            "users",
            "add",
            "--username",
            "wang.li",
            "--role",
            "committee_officer",
            "--area",
            "340705001001",
        ],
    );
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    let password = said
        .lines()
        .find_map(|l| l.strip_prefix("初始密码："))
        .and_then(|l| l.split('（').next())
        .expect("the generated password is printed")
        .to_string();
    assert!(renkou_core::account::check_password(&password, "wang.li").is_ok());
    let (account, hash) = p.store().account_for_login("wang.li").unwrap().unwrap();
    assert!(account.must_change_password);
    assert!(renkou_web::verify_password(&hash, &password));

    // A weak password, an unknown role and an unknown area are refused with the reason.
    let weak = renkou(
        &db,
        &[
            "users",
            "add",
            "--username",
            "zhao",
            "--role",
            "centre",
            "--area",
            "340705001",
            "--password",
            "abcdefgh",
        ],
    );
    assert_eq!(weak.status.code(), Some(2));
    assert!(stdout(&weak).contains("至少三类"), "{}", stdout(&weak));
    let role = renkou(
        &db,
        &[
            "users",
            "add",
            "--username",
            "zhao",
            "--role",
            "admin",
            "--area",
            "340705001",
        ],
    );
    assert!(
        stdout(&role).contains("没有角色“admin”"),
        "{}",
        stdout(&role)
    );
    let area = renkou(
        &db,
        &[
            "users",
            "add",
            "--username",
            "zhao",
            "--role",
            "centre",
            "--area",
            "340705009",
        ],
    );
    assert!(stdout(&area).contains("340705009"), "{}", stdout(&area));

    let list = stdout(&renkou(&db, &["users", "list"]));
    assert!(
        list.contains("wang.li") && list.contains("committee_officer") && list.contains("待改密码"),
        "{list}"
    );

    let out = renkou(
        &db,
        &[
            "users",
            "reset-password",
            "--username",
            "wang.li",
            "--password",
            "Qingl0ng-2026",
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let (account, hash) = p.store().account_for_login("wang.li").unwrap().unwrap();
    assert!(!account.must_change_password);
    assert!(renkou_web::verify_password(&hash, "Qingl0ng-2026"));

    let out = renkou(&db, &["users", "disable", "--username", "wang.li"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        p.store()
            .account_for_login("wang.li")
            .unwrap()
            .unwrap()
            .0
            .disabled
    );
    assert!(stdout(&renkou(&db, &["users", "list"])).contains("停用"));
    let missing = renkou(&db, &["users", "disable", "--username", "nobody"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn audit_verify_names_the_first_row_that_was_changed() {
    let p = Place::new();
    let db = p.db();
    for name in ["li.one", "li.two", "li.three"] {
        let out = renkou(
            &db,
            &[
                "users",
                "add",
                "--username",
                name,
                "--role",
                "centre",
                "--area",
                "340705001",
            ],
        );
        assert!(out.status.success(), "{}", stdout(&out));
    }
    // The import is audited too, in its own transaction.
    write_csv(&p.path("ok.csv"), &good_rows(2));
    assert!(
        renkou(&db, &["persons", "import", &p.path_str("ok.csv")])
            .status
            .success()
    );
    let out = renkou(&db, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("5 行"), "{}", stdout(&out));

    // The database itself refuses to rewrite history.
    let conn = rusqlite::Connection::open(&db).unwrap();
    assert!(
        conn.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
            .is_err()
    );
    // Someone with the file and no scruples goes around the trigger.
    conn.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'role=bureau' WHERE seq = 2;")
        .unwrap();
    drop(conn);
    let out = renkou(&db, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("第 2 行"), "{}", stdout(&out));
}

#[test]
fn certificates_export_lists_the_issued_serials_with_masked_id_numbers() {
    use calamine::{Data, Reader, open_workbook_auto};
    use renkou_core::account::Username;
    use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
    use renkou_core::certificate::{Application, Step};
    use renkou_core::{Actor, AreaCode, CertificateKind, Role, Scope};
    use renkou_store::{NewAccount, StepInput};

    let p = Place::new();
    write_csv(&p.path("people.csv"), &good_rows(3));
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("people.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut s = p.store();
    let staff = |s: &mut Store, name: &str, role: Role, area: &str| -> Actor {
        let account = s
            .add_account(
                NewAccount {
                    username: Username::parse(name).unwrap(),
                    role,
                    area: AreaCode::parse(area).unwrap(),
                    password_hash: "not-used".into(),
                    must_change_password: false,
                },
                AuditEntry::new(AuditAction::AccountAdd, "account", AuditResult::Ok),
            )
            .unwrap();
        Actor {
            scope: Scope::new(account.id, role, account.area.clone()),
            username: name.to_string(),
            source: "test".into(),
        }
    };
    let officer = staff(&mut s, "officer", Role::CommitteeOfficer, "340705001001");
    let station = staff(&mut s, "station", Role::Station, "340705");
    // The export's period is judged in China's time, as the command judges it.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    let ids: Vec<String> = (0..3).map(|i| id(date(1980, 1, 1), i)).collect();
    let person = |s: &mut Store, n: usize| {
        s.person_by_id_number(&IdNumber::parse(&ids[n]).unwrap())
            .unwrap()
            .expect("imported")
            .id
    };
    let mut serials = Vec::new();
    for (n, kind) in [
        (0, CertificateKind::ReproductiveHealthCard),
        (1, CertificateKind::MigrantCertificate),
    ] {
        let who = person(&mut s, n);
        // The people are married: the migrant certificate needs the spouse named.
        let application = Application {
            spouse_name: Some(renkou_core::PersonName::parse("王丽").unwrap()),
            ..Application::default()
        };
        let c = s
            .apply_certificate(&officer, who, kind, application, today)
            .unwrap();
        let c = s
            .certificate_step(&station, c.id, Step::Issue, StepInput::default(), today)
            .unwrap();
        serials.push(c.serial.unwrap());
    }
    // An application still waiting is not on the register of issued documents.
    let waiting = person(&mut s, 2);
    s.apply_certificate(
        &officer,
        waiting,
        CertificateKind::ReproductiveHealthCard,
        Application::default(),
        today,
    )
    .unwrap();
    drop(s);
    let year = today.year();
    assert_eq!(
        serials,
        [format!("SB{year}000001"), format!("LD{year}000001")]
    );

    let file = p.path_str("issued.xlsx");
    let out = renkou(&p.db(), &["certificates", "export", "--out", &file]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("2 份"), "{}", stdout(&out));

    let mut book = open_workbook_auto(&file).expect("an XLSX calamine reads");
    let sheet = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(
        rows[0],
        [
            "证号",
            "证件类型",
            "持证人",
            "身份证号（隐去中段）",
            "区划代码",
            "申请时间",
            "发证日期",
            "有效期至",
            "办理用时（天）",
            "状态",
            "打印份数",
            "已送达",
            "补发自",
        ]
    );
    assert_eq!(rows.len(), 3, "the header and two documents: {rows:?}");
    let listed: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(listed, serials);
    for (row, id_number) in rows[1..].iter().zip(&ids) {
        assert_eq!(
            row[3],
            format!("{}********{}", &id_number[..6], &id_number[14..]),
            "{row:?}"
        );
        assert_eq!(row[9], "有效", "{row:?}");
    }
    let everything = format!("{rows:?}");
    for id_number in &ids {
        assert!(
            !everything.contains(id_number.as_str()),
            "the whole ID number {id_number} is in the file"
        );
    }

    // A date that is not one is refused, naming the option, and no file is written.
    let bad = p.path_str("bad.xlsx");
    let out = renkou(
        &p.db(),
        &[
            "certificates",
            "export",
            "--out",
            &bad,
            "--from",
            "2026-13-01",
        ],
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("--from"), "{}", stdout(&out));
    assert!(!Path::new(&bad).exists());
}

#[test]
fn statistics_are_reported_checked_and_closed_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").display().to_string();
    assert!(
        renkou(
            &db,
            &["demo", "--persons", "3000", "--seed", "3", "--no-serve"]
        )
        .status
        .success()
    );
    let out = renkou(&db, &["stats", "check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("一致"), "{}", stdout(&out));

    let today = jiff::Zoned::now().date();
    let month = today
        .first_of_month()
        .checked_sub(jiff::Span::new().months(2))
        .unwrap();
    let period = month.strftime("%Y-%m").to_string();
    let json = dir.path().join("r.json");
    let out = renkou(
        &db,
        &[
            "stats",
            "report",
            "--area",
            "340705",
            "--period",
            &period,
            "--out",
            json.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["period"], period.as_str());
    assert_eq!(
        report["rows"].as_array().unwrap().len(),
        4,
        "the demo's four centres"
    );
    let resident = report["total"]["stock"]["population"]["resident"]["female"]
        .as_i64()
        .unwrap();
    assert!(resident > 0, "{report}");

    let xlsx = dir.path().join("r.xlsx");
    let out = renkou(
        &db,
        &[
            "stats",
            "report",
            "--area",
            "340705",
            "--period",
            &period,
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let sheet: Vec<Vec<String>> = renkou_documents::open_table(&xlsx)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect();
    assert!(sheet.iter().any(|r| r[0] == "合计"), "{sheet:?}");

    let out = renkou(
        &db,
        &["stats", "close", "--area", "340705", "--period", &period],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let out = renkou(
        &db,
        &["stats", "close", "--area", "340705", "--period", &period],
    );
    assert!(!out.status.success(), "a month is closed once");

    // A counter that no longer matches the register is named, and a rebuild mends it.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE stat_year SET n = n + 1 WHERE area_code = '340705' AND cell = 's.pop.resident.female' AND year = 0", []).unwrap();
    drop(conn);
    let out = renkou(&db, &["stats", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("s.pop.resident.female"),
        "{}",
        stdout(&out)
    );
    assert!(renkou(&db, &["stats", "rebuild"]).status.success());
    assert!(renkou(&db, &["stats", "check"]).status.success());
}
