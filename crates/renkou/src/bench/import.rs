//! `renkou bench import`: times `renkou persons import` of N generated people against what the
//! databases' own tools need for the same file (sqlite3 `.import`, psql `\copy`, each plus a
//! unique index on the ID number), in the same run on the same machine, and records renkou's
//! peak memory. The figures go into docs/BENCHMARKS.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use renkou_core::record::PERSON_COLUMNS;
use renkou_store::{PersonFilter, Store};

use super::measure::{Measured, run_measured, tail, tool_version};
use super::postgres::{drop_databases, postgres_backend, psql};
use super::report::print_report;
use super::{generate, group_digits};

/// The targets: renkou within 1.5× the reference, and a bounded, streaming import.
pub(super) const TARGET_RATIO: f64 = 1.5;
pub(super) const TARGET_RSS_MB: f64 = 200.0;

#[derive(Args)]
pub(super) struct ImportBench {
    /// How many people to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    /// Where the generated files and SQLite databases go.
    #[arg(long, default_value = "./bench-data")]
    dir: PathBuf,
    /// A PostgreSQL server to measure on (postgres://user@host:port/db); the benchmark creates
    /// and drops its own databases there. Without it PostgreSQL is skipped.
    #[arg(long, env = "RENKOU_BENCH_PG")]
    pg: Option<String>,
    /// Keep the generated files, SQLite files and PostgreSQL databases afterwards.
    #[arg(long)]
    keep: bool,
    /// Seed of the generated city: the same seed and number of people give the same files.
    #[arg(long, default_value_t = 20261128)]
    seed: u64,
}

// ---------------------------------------------------------------------------------------------
// The run as a whole

/// The generated inputs of one run.
pub(super) struct Files {
    pub(super) dir: PathBuf,
    pub(super) people: PathBuf,
    pub(super) areas: PathBuf,
    pub(super) n: u64,
}

/// One backend's line of the table.
pub(super) struct Outcome {
    pub(super) backend: &'static str,
    /// The reference's timed run, or why there is none.
    pub(super) reference: std::result::Result<Measured, String>,
    /// renkou's timed run, or why it failed.
    pub(super) renkou: std::result::Result<Measured, String>,
    /// Where renkou imported into, for the independent count.
    pub(super) renkou_db: Option<String>,
    /// People the register holds afterwards, counted through the Store.
    pub(super) counted: Option<std::result::Result<u64, String>>,
}

pub(super) fn import_bench(b: ImportBench) -> Result<ExitCode> {
    if b.persons == 0 {
        bail!("--persons 至少为 1");
    }
    fs::create_dir_all(&b.dir).with_context(|| format!("创建目录 {}", b.dir.display()))?;
    let dir = fs::canonicalize(&b.dir)?;
    let files = Files {
        people: dir.join("people.csv"),
        areas: dir.join("areas.csv"),
        dir,
        n: b.persons,
    };

    let started = Instant::now();
    print!(
        "generating {} people into {} … ",
        group_digits(files.n),
        files.dir.display()
    );
    std::io::Write::flush(&mut std::io::stdout())?;
    generate::in_child(&files.areas, &files.people, files.n, b.seed)?;
    println!("{:.1} s (not measured)", started.elapsed().as_secs_f64());

    // An empty RENKOU_BENCH_PG means "not set", as shells leave it.
    let pg = b.pg.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let mut outcomes = vec![sqlite_backend(&files)?];
    let mut pg_cleanup = None;
    if let Some(base) = pg {
        let (outcome, dbs) = postgres_backend(&files, base);
        outcomes.push(outcome);
        pg_cleanup = Some((base.to_string(), dbs));
    }
    // Counted after every timed run, so the bench process's own memory stays out of the
    // children's peak RSS (see `wait_measured`).
    for o in &mut outcomes {
        o.counted = o
            .renkou_db
            .as_deref()
            .map(|db| count_people(db).map_err(|e| format!("{e:#}")));
    }

    let pg_version = pg.and_then(|base| psql(base, "SHOW server_version").ok());
    print_report(&files, &outcomes, pg_version);
    if b.keep {
        println!("\nkept: {}", files.dir.display());
        if let Some((_, dbs)) = &pg_cleanup {
            println!("kept PostgreSQL databases: {}", dbs.join(", "));
        }
    } else {
        if let Some((base, dbs)) = &pg_cleanup {
            drop_databases(base, dbs);
        }
        remove_files(&files);
    }
    let all_ran = outcomes
        .iter()
        .all(|o| o.renkou.is_ok() && matches!(o.counted, Some(Ok(n)) if n == files.n));
    Ok(if all_ran {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Counts everyone on the register through renkou's own Store, independently of its report.
fn count_people(db: &str) -> Result<u64> {
    let mut store = Store::open(db)?;
    Ok(store.count_persons(&PersonFilter {
        all_statuses: true,
        ..Default::default()
    })?)
}

fn remove_files(files: &Files) {
    let mut paths = vec![
        files.people.clone(),
        files.areas.clone(),
        files.dir.join("reference.sql"),
    ];
    for db in ["reference.db", "renkou.db"] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            paths.push(files.dir.join(format!("{db}{suffix}")));
        }
    }
    for log in [
        "sqlite-reference",
        "sqlite-areas",
        "sqlite-renkou",
        "pg-reference",
        "pg-areas",
        "pg-renkou",
    ] {
        paths.push(files.dir.join(format!("{log}.log")));
    }
    paths.push(files.dir.join("people.rejected.csv"));
    for p in paths {
        let _ = fs::remove_file(p);
    }
    // Only if nothing else lives there.
    let _ = fs::remove_dir(&files.dir);
}

// ---------------------------------------------------------------------------------------------
// The reference: the same columns as text, the same file, and a unique index on the ID number

fn quoted_columns() -> Vec<String> {
    PERSON_COLUMNS
        .iter()
        .map(|c| format!("\"{}\" TEXT", c.zh))
        .collect()
}

pub(super) fn create_table_sql() -> String {
    format!("CREATE TABLE persons ({})", quoted_columns().join(", "))
}

pub(super) fn unique_index_sql() -> String {
    let id = PERSON_COLUMNS
        .iter()
        .find(|c| c.key == "id_number")
        .expect("the people file has an ID column");
    format!(
        "CREATE UNIQUE INDEX persons_id_number ON persons (\"{}\")",
        id.zh
    )
}

/// Removes a SQLite database and its side files, so each run starts from nothing.
fn fresh_sqlite(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            fs::remove_file(&p).with_context(|| format!("删除 {}", p.display()))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SQLite

fn sqlite_backend(files: &Files) -> Result<Outcome> {
    println!("SQLite: reference (sqlite3 .import + unique index) …");
    let reference = sqlite_reference(files);
    println!("SQLite: renkou persons import …");
    let db = files.dir.join("renkou.db");
    fresh_sqlite(&db)?;
    let url = db.display().to_string();
    let renkou = renkou_import(files, &url, "sqlite").map_err(|e| format!("{e:#}"));
    Ok(Outcome {
        backend: "SQLite",
        reference,
        renkou,
        renkou_db: Some(url),
        counted: None,
    })
}

/// One sqlite3 process: create the table, `.import` the file (its header row skipped, BOM and
/// all), build the unique index.
fn sqlite_reference(files: &Files) -> std::result::Result<Measured, String> {
    if tool_version("sqlite3").is_none() {
        return Err("sqlite3 not found on PATH: reference skipped".into());
    }
    let db = files.dir.join("reference.db");
    fresh_sqlite(&db).map_err(|e| format!("{e:#}"))?;
    // Run in the data directory so the dot-command needs no quoting of the path.
    let name = files
        .people
        .file_name()
        .and_then(|n| n.to_str())
        .expect("our own file name");
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&files.dir)
        .arg("-bail")
        .arg("reference.db")
        .arg(create_table_sql())
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {name} persons"))
        .arg(unique_index_sql());
    run_measured(&mut cmd, &files.dir.join("sqlite-reference.log")).map_err(|e| format!("{e:#}"))
}

/// Imports the areas (not timed), then times `renkou persons import` of the people file.
pub(super) fn renkou_import(files: &Files, db: &str, log_prefix: &str) -> Result<Measured> {
    let exe = std::env::current_exe().context("找不到 renkou 程序本身")?;
    let areas_log = files.dir.join(format!("{log_prefix}-areas.log"));
    run_measured(
        Command::new(&exe)
            .arg("--db")
            .arg(db)
            .arg("areas")
            .arg("import")
            .arg(&files.areas),
        &areas_log,
    )?;
    let log = files.dir.join(format!("{log_prefix}-renkou.log"));
    let measured = run_measured(
        Command::new(&exe)
            .arg("--db")
            .arg(db)
            .arg("persons")
            .arg("import")
            .arg(&files.people),
        &log,
    )?;
    match added_in_report(&log) {
        Some(n) if n == files.n => Ok(measured),
        Some(n) => bail!(
            "renkou reported {n} people added, expected {}; see {}",
            files.n,
            log.display()
        ),
        None => bail!(
            "renkou did not report a finished import; last lines:\n{}",
            tail(&log, 12)
        ),
    }
}

/// The N of "导入完成：新增 N 人" in the import's output.
fn added_in_report(log: &Path) -> Option<u64> {
    let text = fs::read_to_string(log).ok()?;
    let line = text.lines().find(|l| l.starts_with("导入完成"))?;
    let rest = line.split("新增").nth(1)?.trim_start();
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_line_gives_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        fs::write(
            &log,
            "读取 people.csv（CSV (UTF-8)）：1000 行数据\n导入完成：新增 1000 人\n",
        )
        .unwrap();
        assert_eq!(added_in_report(&log), Some(1000));
    }
}
