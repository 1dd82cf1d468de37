//! Imports: the files an office has in every form, bad rows, upserts, events in date order, and
//! imports killed midway.

use super::*;

#[test]
fn a_gbk_csv_with_shuffled_chinese_headers_and_legacy_numbers_imports() {
    let p = Place::new();
    // Saved by Excel in China: GBK, columns in the officer's own order, a 序号 column, a 15-digit
    // number from an old card, and dates written three ways.
    let (ma, ma_wife) = (id(date(1980, 3, 15), 13), id(date(1982, 7, 8), 26));
    let text = format!(
        "序号,姓名,身份证号,民族,婚姻状况,户编号,与户主关系,人口类型,居住地区划,来本地日期,来源地/去向\n\
         1,王秀英,110105491231002,汉,丧偶,H1,户主,常住,340705001001001,,\n\
         2,马建军,{ma},回族,20,H2,户主,流入,340705001001002,2024/3/5,河南省郑州市\n\
         3,马丽,{ma_wife},回,已婚,H2,妻,流入,340705001001002,20240305,河南省郑州市\n"
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(p.path("gbk.csv"), &gbk).unwrap();
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("gbk.csv")]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("GB18030"), "{said}");
    assert!(said.contains("新增 3 人"), "{said}");
    assert!(said.contains("序号"), "the ignored column is named: {said}");
    let mut s = p.store();
    let old = s
        .person_by_id_number(&IdNumber::parse("11010519491231002X").unwrap())
        .unwrap()
        .expect("converted to 18 digits");
    assert_eq!(old.data.name.as_str(), "王秀英");
    let ma = s
        .person_by_id_number(&IdNumber::parse(&ma_wife).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(ma.data.arrival_date, Some(date(2024, 3, 5)));
    assert_eq!(s.household("H2").unwrap().len(), 2);
}

#[test]
fn an_xlsx_with_date_cells_and_serial_numbers_imports() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let p = Place::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // A title row above the header, as many offices' templates have.
    sheet
        .write_string(0, 0, "2026年11月人口信息登记表")
        .unwrap();
    let headers = [
        "id_number",
        "name",
        "birth_date",
        "ethnicity",
        "marital_status",
        "household_no",
        "relation",
        "population_type",
        "area_code",
        "arrival_date",
    ];
    for (i, h) in headers.iter().enumerate() {
        sheet.write_string(1, i as u16, *h).unwrap();
    }
    let date_format = Format::new().set_num_format("yyyy/m/d");
    let values = [id(date(1990, 6, 15), 11), "李明".into()];
    sheet.write_string(2, 0, &values[0]).unwrap();
    sheet.write_string(2, 1, &values[1]).unwrap();
    sheet
        .write_datetime_with_format(
            2,
            2,
            ExcelDateTime::from_ymd(1990, 6, 15).unwrap(),
            &date_format,
        )
        .unwrap();
    sheet.write_number(2, 3, 1).unwrap(); // 民族 01 with its zero dropped by Excel
    sheet.write_string(2, 4, "未婚").unwrap();
    sheet.write_number(2, 5, 1001).unwrap(); // a household number typed as a number
    sheet.write_string(2, 6, "户主").unwrap();
    sheet.write_string(2, 7, "migrant_in").unwrap();
    sheet.write_string(2, 8, "340705001001").unwrap();
    sheet.write_number(2, 9, 45356).unwrap(); // 2024-03-05 as a bare serial number
    book.save(p.path("people.xlsx")).unwrap();
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("people.xlsx")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let person = p
        .store()
        .person_by_id_number(&IdNumber::parse(&values[0]).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(person.data.birth_date, date(1990, 6, 15));
    assert_eq!(person.data.arrival_date, Some(date(2024, 3, 5)));
    assert_eq!(person.data.household_no.as_str(), "1001");
}

#[test]
fn every_bad_row_is_reported_and_nothing_is_written() {
    let p = Place::new();
    let mut rows = good_rows(3);
    let mut wrong_check = id(date(1985, 5, 5), 7);
    wrong_check.replace_range(17..18, if wrong_check.ends_with('0') { "1" } else { "0" });
    rows.push(row(&wrong_check, "赵六", "H9", "户主")); // row 5
    rows.push(row(&id(date(1980, 1, 1), 1), "重复", "H8", "户主")); // row 6, duplicates row 3
    rows.push(row(&id(date(1970, 2, 2), 3), "钱七", "H7", "同居")); // row 7
    rows.push("1.10105E+17,孙八,,,汉族,已婚,,,H6,户主,常住,,340705001001001,,,,".into()); // row 8
    rows.push(
        row(&id(date(1971, 3, 3), 5), "周九", "H5", "户主")
            .replace("340705001001001", "340705001009001"),
    ); // row 9
    write_csv(&p.path("bad.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("bad.csv")]);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let expected_check = IdNumber::parse(&wrong_check).unwrap_err().to_string();
    for line in [
        format!("row 5, column A (身份证号): {expected_check}"),
        "row 3, column A (身份证号): 身份证号在文件中重复出现（第6行也是这个号码）".to_string(),
        "row 6, column A (身份证号): 身份证号在文件中重复出现（第3行也是这个号码）".to_string(),
        "row 7, column J (与户主关系): 「同居」不是有效的与户主关系".to_string(),
        "row 8, column A (身份证号): 身份证号被存成了数字".to_string(),
        "row 9, column M (居住地区划): 区划代码340705001009001不在区划表中".to_string(),
    ] {
        assert!(
            said.lines().any(|l| l.starts_with(&line)),
            "missing «{line}» in:\n{said}"
        );
    }
    assert!(said.contains("没有写入任何数据"), "{said}");
    assert_eq!(p.count(), 0);
    let rejected = std::fs::read_to_string(p.path("bad.rejected.csv")).unwrap();
    assert_eq!(
        rejected.lines().count(),
        1 + 6,
        "header and the six bad rows:\n{rejected}"
    );
}

#[test]
fn skip_invalid_writes_the_good_rows_and_lists_the_rest() {
    let p = Place::new();
    let mut rows = good_rows(4);
    rows.push(row(&id(date(1970, 2, 2), 3), "钱七", "H7", "同居"));
    write_csv(&p.path("mixed.csv"), &rows);
    let out = renkou(
        &p.db(),
        &[
            "persons",
            "import",
            "--skip-invalid",
            "--rejected",
            &p.path_str("fix-me.csv"),
            &p.path_str("mixed.csv"),
        ],
    );
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("新增 4 人") && said.contains("跳过 1 行"),
        "{said}"
    );
    assert_eq!(p.count(), 4);
    let rejected = std::fs::read_to_string(p.path("fix-me.csv")).unwrap();
    assert!(rejected.starts_with('\u{feff}'), "Excel needs the BOM");
    let last = rejected.lines().last().unwrap();
    assert!(
        last.starts_with("6,") && last.contains("「同居」不是有效的与户主关系"),
        "{rejected}"
    );
}

#[test]
fn upsert_updates_people_and_records_each_change() {
    let p = Place::new();
    write_csv(&p.path("first.csv"), &good_rows(3));
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("first.csv")])
            .status
            .success()
    );
    let mut rows = good_rows(3);
    rows[1] = rows[1].replace("长江路1号", "长江路88号");
    write_csv(&p.path("again.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("again.csv")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("--upsert"), "{}", stdout(&out));
    let out = renkou(
        &p.db(),
        &["persons", "import", "--upsert", &p.path_str("again.csv")],
    );
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("更新 1") && said.contains("无变化 2"),
        "{said}"
    );
    let mut s = p.store();
    let person = s
        .person_by_id_number(&IdNumber::parse(&id(date(1980, 1, 1), 1)).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(person.data.address.as_deref(), Some("长江路88号"));
    let last = s.timeline(person.id).unwrap().pop().unwrap();
    assert_eq!(last.kind, renkou_core::EventKind::Correction);
    assert_eq!(
        (
            last.detail.changes[0].before.as_str(),
            last.detail.changes[0].after.as_str()
        ),
        ("长江路1号", "长江路88号")
    );
}

#[test]
fn events_apply_in_date_order_and_a_refused_one_undoes_the_file() {
    let p = Place::new();
    let (her, him) = (id(date(1995, 3, 8), 2), id(date(1993, 7, 1), 1));
    write_csv(
        &p.path("people.csv"),
        &[
            row(&her, "李秀兰", "H1", "户主").replace("已婚", "未婚"),
            row(&him, "王建国", "H2", "户主").replace("已婚", "未婚"),
        ],
    );
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("people.csv")])
            .status
            .success()
    );
    let header = "身份证号,事件,发生日期,配偶身份证号,子女姓名,子女性别,出生体重,避孕方法,备注";
    // Typed by person, not by date: the birth comes before the pregnancy in the file.
    let events = format!(
        "{header}\n{her},出生,2026-02-20,,王小满,女,3250,,\n{her},怀孕,2025-06-01,,,,,,\n{her},结婚,2024-10-01,{him},,,,,\n{him},避孕开始,2026-04-01,,,,,男性绝育,\n"
    );
    std::fs::write(p.path("events.csv"), &events).unwrap();
    let bad = events.replace("男性绝育", "祈祷");
    std::fs::write(p.path("bad-events.csv"), &bad).unwrap();
    let out = renkou(
        &p.db(),
        &["events", "import", &p.path_str("bad-events.csv")],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("row 5, column H (避孕方法): 「祈祷」不是有效的避孕方法"),
        "{said}"
    );
    assert_eq!(p.count(), 2, "nothing of the file stays");

    let out = renkou(&p.db(), &["events", "import", &p.path_str("events.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut s = p.store();
    let mother = s
        .person_by_id_number(&IdNumber::parse(&her).unwrap())
        .unwrap()
        .unwrap();
    let father = s
        .person_by_id_number(&IdNumber::parse(&him).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(mother.spouse_id, Some(father.id));
    assert!(father.data.marital_status.is_married());
    let children: Vec<PersonId> = s
        .household("H1")
        .unwrap()
        .into_iter()
        .filter(|c| c.mother_id == Some(mother.id))
        .map(|c| c.id)
        .collect();
    assert_eq!(children.len(), 1);
    assert_eq!(
        s.person(children[0]).unwrap().unwrap().data.name.as_str(),
        "王小满"
    );
}

/// Starts an import of a large file, kills it with SIGKILL once it is writing, and returns the
/// register's count afterwards.
fn kill_an_import_midway(p: &Place) -> u64 {
    // Big enough that the write spills pages to the WAL long before it commits.
    let rows: Vec<String> = (0..400_000u32)
        .map(|i| {
            let born = date(1950, 1, 1)
                .checked_add(jiff::Span::new().days(i64::from(i % 20_000)))
                .unwrap();
            row(
                &id(born, (i / 20_000) as u16 + 100),
                "孙丽",
                &format!("K{i}"),
                "户主",
            )
        })
        .collect();
    write_csv(&p.path("big.csv"), &rows);
    drop(rows);
    let mut child = Command::new(env!("CARGO_BIN_EXE_renkou"))
        .args(["--db", &p.db(), "persons", "import", &p.path_str("big.csv")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Written means: the database file or its WAL has grown by megabytes (a first load goes
    // straight into the file under a rollback journal; other loads go through the WAL).
    let size = |path: &str| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let (db, wal) = (p.db(), format!("{}-wal", p.db()));
    let before = size(&db) + size(&wal);
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the import finished ({status}) before it could be killed; make the file bigger"
            );
        }
        if size(&db) + size(&wal) > before + (8 << 20) {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 300,
            "the import never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    p.count()
}

#[test]
fn a_killed_first_load_leaves_the_register_empty() {
    let p = Place::new();
    assert_eq!(kill_an_import_midway(&p), 0);
}

#[test]
fn a_killed_import_leaves_the_database_as_it_was() {
    let p = Place::new();
    write_csv(&p.path("first.csv"), &good_rows(5));
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("first.csv")])
            .status
            .success()
    );
    assert_eq!(
        kill_an_import_midway(&p),
        5,
        "the register is as it was before the import"
    );
}

#[test]
fn skip_invalid_leaves_out_both_rows_of_a_duplicate_even_on_a_first_load() {
    let p = Place::new();
    let mut rows = good_rows(3);
    rows.push(row(&id(date(1980, 1, 1), 0), "又一个", "H9", "户主")); // row 5 repeats row 2
    write_csv(&p.path("dup.csv"), &rows);
    let out = renkou(
        &p.db(),
        &[
            "persons",
            "import",
            "--skip-invalid",
            &p.path_str("dup.csv"),
        ],
    );
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("新增 2 人") && said.contains("跳过 2 行"),
        "{said}"
    );
    assert_eq!(p.count(), 2);
    let rejected = std::fs::read_to_string(p.path("dup.rejected.csv")).unwrap();
    let rows: Vec<&str> = rejected
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rows, ["2", "5"]);
}
