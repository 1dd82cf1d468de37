//! End-to-end: the real binary on real files (GBK CSV, XLSX with serial dates), checked the way
//! an officer would: what it prints, its exit status, and what the register holds afterwards.

#[path = "cli/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::civil::{Date, date};
use renkou_core::{IdNumber, PersonId};
use renkou_store::{PersonFilter, Store};

fn renkou(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_renkou"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("renkou runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Self {
        let p = Place {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(p.path("areas.csv"), AREAS).unwrap();
        let out = renkou(&p.db(), &["areas", "import", &p.path_str("areas.csv")]);
        assert!(out.status.success(), "{}", stdout(&out));
        p
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn path_str(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
    fn db(&self) -> String {
        self.path_str("r.db")
    }
    fn store(&self) -> Store {
        Store::open(&self.db()).unwrap()
    }
    fn count(&self) -> u64 {
        self.store()
            .count_persons(&PersonFilter {
                all_statuses: true,
                ..Default::default()
            })
            .unwrap()
    }
}

const AREAS: &str = "区划代码,名称\n340705,铜官区\n340705001,青龙社区服务中心\n340705001001,青龙第1居委会\n340705001001001,第1小组\n340705001001002,第2小组\n";

fn id(born: Date, seq: u16) -> String {
    IdNumber::from_parts("340705", born, seq)
        .unwrap()
        .to_string()
}

const HEADER: &str = "身份证号,姓名,性别,出生日期,民族,婚姻状况,文化程度,联系电话,户编号,与户主关系,人口类型,户籍地,居住地区划,居住地址,来本地日期,流出日期,来源地/去向";

fn row(id_number: &str, name: &str, household: &str, relation: &str) -> String {
    format!(
        "{id_number},{name},,,汉族,已婚,大学本科,13800008000,{household},{relation},常住,340705 安徽省铜陵市铜官区,340705001001001,长江路1号,,,"
    )
}

fn good_rows(n: u16) -> Vec<String> {
    (0..n)
        .map(|i| row(&id(date(1980, 1, 1), i), "张伟", &format!("H{i}"), "户主"))
        .collect()
}

fn write_csv(path: &Path, rows: &[String]) {
    std::fs::write(path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
}

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
        "row 8, column A (身份证号): 身份证号被 Excel 存成了科学计数法数字".to_string(),
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

fn round_trip(ext: &str) {
    let p = Place::new();
    let mut rows = good_rows(20);
    rows.push(format!("{},马建军,男,1980-03-15,回族,初婚,高中,0562-2812345,H2,户主,流入,河南省郑州市,340705001001002,幸福路2号,2024-03-05,,河南省郑州市", id(date(1980, 3, 15), 13)));
    write_csv(&p.path("in.csv"), &rows);
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("in.csv")])
            .status
            .success()
    );
    let first = p.path_str(&format!("first.{ext}"));
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &first])
            .status
            .success()
    );
    let q = Place::new();
    let out = renkou(&q.db(), &["persons", "import", &first]);
    assert!(out.status.success(), "{}", stdout(&out));
    let second = q.path_str(&format!("second.{ext}"));
    assert!(
        renkou(&q.db(), &["persons", "export", "--out", &second])
            .status
            .success()
    );
    let (a, b) = (read_back(&first), read_back(&second));
    assert_eq!(a.len(), 22);
    assert_eq!(a, b);
}

/// The cells of an exported file, as text.
fn read_back(path: &str) -> Vec<Vec<String>> {
    renkou_documents::open_table(Path::new(path))
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

#[test]
fn csv_export_then_import_then_export_gives_the_same_file() {
    round_trip("csv");
}

#[test]
fn xlsx_export_then_import_then_export_gives_the_same_file() {
    round_trip("xlsx");
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
        let c = s
            .apply_certificate(&officer, who, kind, Application::default(), today)
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

/// A clerk's monthly cycle: export, open, save, import with --upsert. Children without an ID
/// number once came back as new people on every round; now nothing changes, round after round.
#[test]
fn reimporting_an_unchanged_export_changes_nothing_round_after_round() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").display().to_string();
    let out = renkou(&db, &["demo", "--persons", "3000", "--no-serve"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let count = |db: &str| {
        Store::open(db)
            .unwrap()
            .count_persons(&PersonFilter {
                all_statuses: true,
                ..Default::default()
            })
            .unwrap()
    };
    let people = count(&db);
    for ext in ["csv", "csv", "xlsx"] {
        let first = dir
            .path()
            .join(format!("first.{ext}"))
            .display()
            .to_string();
        let second = dir
            .path()
            .join(format!("second.{ext}"))
            .display()
            .to_string();
        assert!(
            renkou(&db, &["persons", "export", "--out", &first])
                .status
                .success()
        );
        let without_id = read_back(&first)
            .iter()
            .filter(|r| r.first().is_some_and(|id| id.is_empty()))
            .count();
        assert!(
            without_id > 10,
            "the demo has children without an ID number"
        );
        let out = renkou(&db, &["persons", "import", "--upsert", &first]);
        let said = stdout(&out);
        assert!(out.status.success(), "{said}");
        assert!(said.contains("新增 0 人"), "{ext}: {said}");
        assert!(said.contains("更新 0，"), "{ext}: {said}");
        assert_eq!(count(&db), people, "{ext}: {said}");
        assert!(
            renkou(&db, &["persons", "export", "--out", &second])
                .status
                .success()
        );
        assert_eq!(read_back(&first), read_back(&second), "{ext}");
    }
}

/// Text that a spreadsheet would run as a formula goes out as text (a leading apostrophe) in
/// CSV, and comes back as it was.
#[test]
fn csv_exports_carry_formulas_as_text_and_read_them_back() {
    let p = Place::new();
    let evil = [
        ("=cmd|' /C calc'!A0", "+SUM(1,2)"),
        ("-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"),
        ("=HYPERLINK(\"http://x\",\"y\")", "长江路1号"),
    ];
    let mut rows = Vec::new();
    for (i, (name, address)) in evil.iter().enumerate() {
        let mut cells = vec![
            id(date(1985, 5, 5), i as u16),
            (*name).to_string(),
            String::new(),
            String::new(),
            "汉族".into(),
            "未婚".into(),
            String::new(),
            String::new(),
            format!("F{i}"),
            "户主".into(),
            "常住".into(),
            String::new(),
            "340705001001001".into(),
            (*address).to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        for c in &mut cells {
            if c.contains([',', '"']) {
                *c = format!("\"{}\"", c.replace('"', "\"\""));
            }
        }
        rows.push(cells.join(","));
    }
    write_csv(&p.path("evil.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("evil.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let first = p.path_str("out.csv");
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &first])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&first).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    // Read back by renkou, the values are what was registered.
    let q = Place::new();
    let out = renkou(&q.db(), &["persons", "import", &first]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut s = q.store();
    for (i, (name, address)) in evil.iter().enumerate() {
        let who = s
            .person_by_id_number(&IdNumber::parse(&id(date(1985, 5, 5), i as u16)).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(who.data.name.as_str(), *name);
        assert_eq!(who.data.address.as_deref(), Some(*address));
    }
    let second = q.path_str("again.csv");
    assert!(
        renkou(&q.db(), &["persons", "export", "--out", &second])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
}

/// What an office suite does to a file, refused with the fix: 𪚥 saved as GBK becomes "?",
/// and a household number "0012" read as a number becomes 12. Neither reaches the register.
#[test]
fn characters_and_zeros_a_spreadsheet_lost_are_refused_with_the_fix() {
    let p = Place::new();
    let wang = id(date(1990, 2, 2), 8);
    let rows = [format!(
        "{wang},王𪚥,,,汉族,未婚,,,0012,户主,常住,,340705001001001,长江路1号,,,"
    )];
    write_csv(&p.path("in.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("in.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let exported = p.path_str("out.csv");
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &exported])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    // Excel saving as GBK: characters GBK lacks become "?".
    let plain = text.trim_start_matches('\u{feff}').replace('𪚥', "?");
    let (gbk, _, _) = encoding_rs::GBK.encode(&plain);
    std::fs::write(p.path("gbk.csv"), &gbk).unwrap();
    let out = renkou(
        &p.db(),
        &["persons", "import", "--upsert", &p.path_str("gbk.csv")],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("含有「?」"), "{said}");
    assert!(said.contains("GB18030"), "the fix is named: {said}");
    // An office suite turning the household number into a number.
    std::fs::write(p.path("zeros.csv"), text.replace(",0012,", ",12,")).unwrap();
    let out = renkou(
        &p.db(),
        &["persons", "import", "--upsert", &p.path_str("zeros.csv")],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("0012"), "{said}");
    let who = p
        .store()
        .person_by_id_number(&IdNumber::parse(&wang).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(who.data.name.as_str(), "王𪚥");
    assert_eq!(who.data.household_no.as_str(), "0012");
    assert_eq!(
        p.store().timeline(who.id).unwrap().len(),
        1,
        "no correction recorded"
    );
}
