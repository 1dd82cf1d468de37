//! End-to-end: the real binary on real files (GBK CSV, XLSX with serial dates), checked the way
//! an officer would: what it prints, its exit status, and what the register holds afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::civil::{Date, date};
use renkou_core::{IdNumber, PersonId};
use renkou_store::{PersonFilter, Store};

mod commands;
mod imports;
mod round_trips;
mod server;

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
