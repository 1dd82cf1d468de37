//! `renkou bench import`: times `renkou persons import` of N generated people against what the
//! databases' own tools need for the same file (sqlite3 `.import`, psql `\copy`, each plus a
//! unique index on the ID number), in the same run on the same machine, and records renkou's
//! peak memory. The figures go into docs/BENCHMARKS.md.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use jiff::Span;
use jiff::civil::{Date, date};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use renkou_core::IdNumber;
use renkou_core::record::PERSON_COLUMNS;
use renkou_documents::TableWriter;
use renkou_store::{PersonFilter, Store};

#[path = "bench_http.rs"]
mod http;

/// The targets: renkou within 1.5× the reference, and a bounded, streaming import.
const TARGET_RATIO: f64 = 1.5;
const TARGET_RSS_MB: f64 = 200.0;

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Times importing N generated people against sqlite3 `.import` and psql `\copy` (each
    /// plus a unique index on the ID number), and measures renkou's peak memory.
    Import(ImportBench),
    /// Drives the API (search by ID number, open a person) with wrk on loopback beside an
    /// empty axum handler, and measures the server's peak memory.
    Http(http::HttpBench),
    /// The empty axum handler `bench http` measures as its reference.
    #[command(hide = true)]
    EmptyServer(http::EmptyServerArgs),
}

#[derive(Args)]
struct ImportBench {
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
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    match args.command {
        BenchCommand::Import(b) => import_bench(b),
        BenchCommand::Http(b) => http::http_bench(b),
        BenchCommand::EmptyServer(a) => http::empty_server(a),
    }
}

// ---------------------------------------------------------------------------------------------
// The run as a whole

/// The generated inputs of one run.
struct Files {
    dir: PathBuf,
    people: PathBuf,
    areas: PathBuf,
    n: u64,
}

/// One backend's line of the table.
struct Outcome {
    backend: &'static str,
    /// The reference's timed run, or why there is none.
    reference: std::result::Result<Measured, String>,
    /// renkou's timed run, or why it failed.
    renkou: std::result::Result<Measured, String>,
    /// Where renkou imported into, for the independent count.
    renkou_db: Option<String>,
    /// People the register holds afterwards, counted through the Store.
    counted: Option<std::result::Result<u64, String>>,
}

fn import_bench(b: ImportBench) -> Result<ExitCode> {
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
    write_areas(&files.areas)?;
    write_people(&files.people, files.n)?;
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
// Timing child processes

/// One timed child process.
struct Measured {
    secs: f64,
    /// The child's own peak resident set size, from wait4.
    peak_rss_kib: u64,
    /// This process's peak RSS when the child started: the least wait4 can report for it.
    floor_kib: u64,
}

/// Runs `cmd` with stdout and stderr into `log` (no terminal, so no progress bar), timing it
/// wall-clock from spawn to exit. Fails when it does not exit with status 0.
fn run_measured(cmd: &mut Command, log: &Path) -> Result<Measured> {
    let out = File::create(log).with_context(|| format!("创建 {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    let floor_kib = own_peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("启动 {:?}", cmd.get_program()))?;
    let (status, usage) = wait_measured(child.id())?;
    let secs = started.elapsed().as_secs_f64();
    if status != 0 {
        bail!(
            "{:?} exited with status {status}; last lines of {}:\n{}",
            cmd.get_program(),
            log.display(),
            tail(log, 12)
        );
    }
    // Linux reports ru_maxrss in KiB.
    Ok(Measured {
        secs,
        peak_rss_kib: usage.ru_maxrss.max(0) as u64,
        floor_kib,
    })
}

/// Reaps the child with wait4, which gives that one child's resource usage (RUSAGE_CHILDREN
/// would mix in every earlier child). The child is spawned with vfork semantics, and Linux
/// carries the parent's peak RSS over into the child at exec, so the bench process itself
/// must stay small for the figure to be the child's own.
fn wait_measured(pid: u32) -> Result<(i32, libc::rusage)> {
    let pid = pid as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child and not yet reaped (std's Child never waited for it);
        // both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("wait4");
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok((code, usage))
}

/// The bench process's own peak RSS in KiB, for the report.
fn own_peak_rss_kib() -> Option<u64> {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a pointer to a live local; getrusage only writes it.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (r == 0).then(|| usage.ru_maxrss.max(0) as u64)
}

/// The last `n` lines of a log, for a failure message.
fn tail(log: &Path, n: usize) -> String {
    let Ok(f) = File::open(log) else {
        return String::new();
    };
    let lines: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether a tool is on PATH: running `tool --version` works.
fn tool_version(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

// ---------------------------------------------------------------------------------------------
// The reference: the same columns as text, the same file, and a unique index on the ID number

fn quoted_columns() -> Vec<String> {
    PERSON_COLUMNS
        .iter()
        .map(|c| format!("\"{}\" TEXT", c.zh))
        .collect()
}

fn create_table_sql() -> String {
    format!("CREATE TABLE persons ({})", quoted_columns().join(", "))
}

fn unique_index_sql() -> String {
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
fn renkou_import(files: &Files, db: &str, log_prefix: &str) -> Result<Measured> {
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

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// Creates two fresh databases on the server (the reference's `persons` table and renkou's
/// would clash), measures both, and returns the databases to drop.
fn postgres_backend(files: &Files, base: &str) -> (Outcome, Vec<String>) {
    let pid = std::process::id();
    let (ref_db, app_db) = (
        format!("renkou_bench_{pid}_ref"),
        format!("renkou_bench_{pid}"),
    );
    let mut outcome = Outcome {
        backend: "PostgreSQL",
        reference: Err("not run".into()),
        renkou: Err("not run".into()),
        renkou_db: None,
        counted: None,
    };
    if tool_version("psql").is_none() {
        let why = "psql not found on PATH: PostgreSQL skipped (it also creates the databases)"
            .to_string();
        outcome.reference = Err(why.clone());
        outcome.renkou = Err(why);
        return (outcome, Vec::new());
    }
    let mut created = Vec::new();
    for db in [&ref_db, &app_db] {
        let made = psql(base, &format!("DROP DATABASE IF EXISTS {db}"))
            .and_then(|_| psql(base, &format!("CREATE DATABASE {db}")));
        match made {
            Ok(_) => created.push(db.clone()),
            Err(e) => {
                outcome.reference = Err(format!("{e:#}"));
                outcome.renkou = Err("databases could not be created".into());
                return (outcome, created);
            }
        }
    }
    println!("PostgreSQL: reference (psql \\copy + unique index) …");
    outcome.reference = with_database(base, &ref_db)
        .and_then(|url| pg_reference(files, &url))
        .map_err(|e| format!("{e:#}"));
    println!("PostgreSQL: renkou persons import …");
    match with_database(base, &app_db) {
        Ok(url) => {
            outcome.renkou = renkou_import(files, &url, "pg").map_err(|e| format!("{e:#}"));
            outcome.renkou_db = Some(url);
        }
        Err(e) => outcome.renkou = Err(format!("{e:#}")),
    }
    (outcome, created)
}

/// One psql process running a script: create the table, `\copy` the file, build the index.
fn pg_reference(files: &Files, url: &str) -> Result<Measured> {
    let path = files.people.display().to_string().replace('\'', "''");
    let script = format!(
        "{};\n\\copy persons FROM '{path}' WITH (FORMAT csv, HEADER true)\n{};\n",
        create_table_sql(),
        unique_index_sql()
    );
    let script_path = files.dir.join("reference.sql");
    fs::write(&script_path, script)?;
    let mut cmd = psql_command(url);
    cmd.arg("-f").arg(&script_path);
    run_measured(&mut cmd, &files.dir.join("pg-reference.log"))
}

/// psql without the user's .psqlrc, stopping at the first error, talking UTF-8 whatever the
/// locale (the column names are Chinese).
fn psql_command(url: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.env("PGCLIENTENCODING", "UTF8")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

/// Runs one statement, untimed; its unaligned output.
fn psql(url: &str, sql: &str) -> Result<String> {
    let out = psql_command(url)
        .args(["-A", "-t", "-c", sql])
        .output()
        .context("psql")?;
    if !out.status.success() {
        bail!(
            "psql: {}: {}",
            sql,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn drop_databases(base: &str, dbs: &[String]) {
    for db in dbs {
        if let Err(e) = psql(base, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")) {
            eprintln!("could not drop {db}: {e:#}");
        }
    }
}

/// The same server URL with another database: postgres://u@h:5432/postgres?x=y → …/NAME?x=y.
fn with_database(url: &str, name: &str) -> Result<String> {
    let Some(scheme_end) = url.find("://") else {
        bail!("--pg 应为 postgres://用户@主机:端口/数据库 形式的 URL");
    };
    let (main, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = main[scheme_end + 3..]
        .find('/')
        .map_or(main.len(), |i| scheme_end + 3 + i);
    Ok(format!("{}/{name}{query}", &main[..authority_end]))
}

// ---------------------------------------------------------------------------------------------
// The report

fn print_report(files: &Files, outcomes: &[Outcome], pg_version: Option<String>) {
    println!();
    println!(
        "renkou bench import: {} people, {}",
        group_digits(files.n),
        jiff::Zoned::now().date()
    );
    println!("machine: {}", machine());
    if let Some(v) = tool_version("sqlite3") {
        println!("sqlite3: {}", v.split_whitespace().next().unwrap_or(""));
    }
    if let Some(v) = pg_version {
        println!("PostgreSQL: {v}");
    }
    if !outcomes.iter().any(|o| o.backend == "PostgreSQL") {
        println!("PostgreSQL: skipped (give --pg postgres://… or set RENKOU_BENCH_PG)");
    }
    println!();
    println!(
        "{:<11} {:>10} {:>10} {:>7} {:>9} {:>6} {:>12} {:>9} {:>6}",
        "backend",
        "reference",
        "renkou",
        "ratio",
        "target",
        "result",
        "renkou RSS",
        "target",
        "result"
    );
    for o in outcomes {
        println!("{}", table_line(o));
    }
    let mut notes = Vec::new();
    for o in outcomes {
        if let Err(e) = &o.reference {
            notes.push(format!("{} reference: {e}", o.backend));
        }
        if let Err(e) = &o.renkou {
            notes.push(format!("{} renkou: {e}", o.backend));
        }
        match &o.counted {
            Some(Ok(n)) if *n == files.n => {}
            Some(Ok(n)) => notes.push(format!(
                "{} renkou: the register holds {n} people, expected {}",
                o.backend, files.n
            )),
            Some(Err(e)) => notes.push(format!(
                "{} renkou: counting the register failed: {e}",
                o.backend
            )),
            None => {}
        }
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("note: {n}");
        }
    }
    let floor = outcomes
        .iter()
        .filter_map(|o| o.renkou.as_ref().ok())
        .map(|m| m.floor_kib)
        .max();
    if let Some(kib) = floor {
        println!(
            "(peak RSS includes this bench process's own peak when it started renkou, {:.1} MB; see wait_measured)",
            kib as f64 * 1024.0 / 1e6
        );
    }
    println!();
    println!(
        "reference = the database's own tool loading the same CSV into 17 text columns plus a unique index on 身份证号;"
    );
    println!(
        "renkou = `renkou persons import` (validation, unique ID numbers, a registration event per person), wall clock."
    );
    println!(
        "targets: renkou ≤ {TARGET_RATIO}× the reference, peak RSS < {TARGET_RSS_MB} MB (1 MB = 10^6 bytes)."
    );
}

fn table_line(o: &Outcome) -> String {
    let secs = |m: &std::result::Result<Measured, String>| {
        m.as_ref()
            .map_or("—".to_string(), |m| format!("{:.2} s", m.secs))
    };
    let (ratio, ratio_ok) = match (&o.reference, &o.renkou) {
        (Ok(r), Ok(k)) => {
            let x = k.secs / r.secs;
            (format!("{x:.2}"), pass(x <= TARGET_RATIO))
        }
        _ => ("—".into(), "n/a"),
    };
    let (rss, rss_ok) = match &o.renkou {
        Ok(k) => {
            let mb = k.peak_rss_kib as f64 * 1024.0 / 1e6;
            (format!("{mb:.1} MB"), pass(mb < TARGET_RSS_MB))
        }
        Err(_) => ("—".into(), "n/a"),
    };
    format!(
        "{:<11} {:>10} {:>10} {:>7} {:>9} {:>6} {:>12} {:>9} {:>6}",
        o.backend,
        secs(&o.reference),
        secs(&o.renkou),
        ratio,
        format!("≤ {TARGET_RATIO}"),
        ratio_ok,
        rss,
        format!("< {TARGET_RSS_MB}"),
        rss_ok
    )
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// "AMD EPYC, 2 CPUs (nproc), 23.5 GiB RAM" from /proc.
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram = proc_field(&meminfo, "MemTotal")
        .and_then(|v| {
            v.split_whitespace()
                .next()
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(String::new(), |kib| {
            format!(", {:.1} GiB RAM", kib / 1024.0 / 1024.0)
        });
    format!("{model}, {cpus} CPUs (nproc){ram}")
}

fn proc_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// 1000000 → "1,000,000".
fn group_digits(n: u64) -> String {
    let reversed: Vec<char> = n.to_string().chars().rev().collect();
    let groups: Vec<String> = reversed
        .chunks(3)
        .map(|c| c.iter().rev().collect())
        .collect();
    groups.into_iter().rev().collect::<Vec<_>>().join(",")
}

// ---------------------------------------------------------------------------------------------
// The generated files

/// The district, its community service centres, their committees and resident groups.
const DISTRICT: (&str, &str) = ("340705", "铜官区");
const CENTRES: [&str; 4] = ["天井湖", "幸福", "东郊", "横港"];
const COMMITTEES: [&str; 12] = [
    "五松",
    "翠湖",
    "凤凰",
    "东苑",
    "新村",
    "西湖",
    "朝阳",
    "金山",
    "友好",
    "长江",
    "铜官山",
    "石城",
];
const GROUPS: [&str; 3] = ["第一", "第二", "第三"];

/// Every 15-digit resident group code, in order: 4 × 3 × 3 = 36.
fn group_codes() -> Vec<String> {
    let mut codes = Vec::new();
    for c in 1..=CENTRES.len() {
        for m in 1..=COMMITTEES.len() / CENTRES.len() {
            for g in 1..=GROUPS.len() {
                codes.push(format!("{}{c:03}{m:03}{g:03}", DISTRICT.0));
            }
        }
    }
    codes
}

fn write_areas(path: &Path) -> Result<()> {
    let mut w = TableWriter::create(path, &["区划代码", "名称"], &[], &[])?;
    w.write_row(&[DISTRICT.0.to_string(), DISTRICT.1.to_string()])?;
    let per_centre = COMMITTEES.len() / CENTRES.len();
    for (ci, centre) in CENTRES.iter().enumerate() {
        let centre_code = format!("{}{:03}", DISTRICT.0, ci + 1);
        w.write_row(&[centre_code.clone(), format!("{centre}社区服务中心")])?;
        for m in 0..per_centre {
            let committee_code = format!("{centre_code}{:03}", m + 1);
            let name = COMMITTEES[ci * per_centre + m];
            w.write_row(&[committee_code.clone(), format!("{name}社区居民委员会")])?;
            for (g, group) in GROUPS.iter().enumerate() {
                w.write_row(&[
                    format!("{committee_code}{:03}", g + 1),
                    format!("{name}社区{group}居民小组"),
                ])?;
            }
        }
    }
    w.finish()?;
    Ok(())
}

fn write_people(path: &Path, n: u64) -> Result<()> {
    let headers: Vec<&str> = PERSON_COLUMNS.iter().map(|c| c.zh).collect();
    let mut w = TableWriter::create(path, &headers, &[], &[])?;
    let mut generator = Generator::new();
    let mut written = 0u64;
    while written < n {
        for row in generator.household() {
            if written == n {
                break;
            }
            w.write_row(&row)?;
            written += 1;
        }
    }
    w.finish()?;
    Ok(())
}

/// Where ID numbers were issued and people's 户籍地: the district itself and its neighbours
/// for residents, the usual home places of incoming migrants for the rest.
const ORIGINS: [(&str, &str); 12] = [
    ("340705", "安徽省铜陵市铜官区"),
    ("340706", "安徽省铜陵市义安区"),
    ("340722", "安徽省铜陵市枞阳县"),
    ("341221", "安徽省阜阳市临泉县"),
    ("341226", "安徽省阜阳市颍上县"),
    ("341302", "安徽省宿州市埇桥区"),
    ("340822", "安徽省安庆市怀宁县"),
    ("342921", "安徽省池州市东至县"),
    ("360124", "江西省南昌市进贤县"),
    ("420116", "湖北省武汉市黄陂区"),
    ("410523", "河南省安阳市汤阴县"),
    ("320321", "江苏省徐州市丰县"),
];
/// ORIGINS[..LOCAL_ORIGINS] are residents' places.
const LOCAL_ORIGINS: usize = 3;

const DESTINATIONS: [&str; 8] = [
    "江苏省苏州市工业园区",
    "浙江省杭州市余杭区",
    "上海市浦东新区",
    "广东省深圳市宝安区",
    "安徽省合肥市蜀山区",
    "江苏省南京市江宁区",
    "浙江省宁波市鄞州区",
    "北京市朝阳区",
];

const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余",
];
const MALE_GIVEN: [&str; 35] = [
    "伟", "强", "军", "磊", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "国",
    "志", "文", "海",
];
const FEMALE_GIVEN: [&str; 33] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂", "英", "秀", "兰", "萍", "红",
    "琳", "洁", "婷", "雪", "慧", "莉", "颖", "倩", "梅", "琴", "云", "莹", "晶", "欣", "怡", "佳",
    "雨",
];
const ROADS: [&str; 12] = [
    "长江路",
    "义安大道",
    "石城路",
    "北京路",
    "淮河路",
    "人民路",
    "天井湖路",
    "建设路",
    "笠帽山路",
    "湖城大道",
    "铜都大道",
    "翠湖路",
];
const MINORITIES: [&str; 6] = ["回族", "满族", "壮族", "苗族", "土家族", "蒙古族"];
const EDUCATION: [(&str, u32); 7] = [
    ("研究生", 2),
    ("大学本科", 12),
    ("大学专科", 14),
    ("中专", 8),
    ("高中", 22),
    ("初中", 30),
    ("小学", 12),
];

/// Birth dates run over these years; everything in the file happens by the end of them.
const FIRST_DAY: Date = date(1940, 1, 1);
const LAST_DAY: Date = date(2025, 12, 31);

/// One person of a household being made up.
struct Member {
    surname: &'static str,
    male: bool,
    birth: i32,
    relation: &'static str,
    marital: &'static str,
}

/// What the members of one household share.
struct Household {
    no: String,
    origin: usize,
    group: usize,
    address: String,
    /// When they came (流入), or None for a resident household.
    arrival: Option<i32>,
}

/// A deterministic stream of households; IDs are unique by construction, without a set of all
/// numbers issued, so generating a large file stays small in memory.
struct Generator {
    rng: ChaCha8Rng,
    groups: Vec<String>,
    households: u64,
    /// How many sequence numbers each (origin, birth day, sex) has used.
    issued: Vec<u16>,
}

/// Sequence numbers per (origin, day, sex): 250 × 2 + an even offset under 500 stays under 1000.
const SEQUENCES_PER_DAY: u16 = 250;

impl Generator {
    fn new() -> Self {
        let days = day_index(LAST_DAY) as usize + 1;
        Generator {
            rng: ChaCha8Rng::seed_from_u64(20261128),
            groups: group_codes(),
            households: 0,
            issued: vec![0; ORIGINS.len() * days * 2],
        }
    }

    /// The rows of the next household, head first.
    fn household(&mut self) -> Vec<Vec<String>> {
        self.households += 1;
        let migrant = self.rng.random_bool(0.25);
        let origin = if migrant {
            self.rng.random_range(LOCAL_ORIGINS..ORIGINS.len())
        } else if self.rng.random_bool(0.9) {
            0
        } else {
            self.rng.random_range(1..LOCAL_ORIGINS)
        };
        let members = self.members(migrant);
        let head_birth = members[0].birth;
        let group = self.rng.random_range(0..self.groups.len());
        let came_from = (head_birth + years(18)).max(day_index(date(1995, 1, 1)));
        let arrival = migrant.then(|| self.day_between(came_from, day_index(LAST_DAY)));
        let hh = Household {
            no: format!("H{:07}", self.households),
            origin,
            group,
            address: self.address(group),
            arrival,
        };
        members.into_iter().map(|m| self.row(&hh, m)).collect()
    }

    /// Who lives together: 1–5 people, a head, usually a spouse, children, sometimes a parent.
    fn members(&mut self, migrant: bool) -> Vec<Member> {
        let size = weighted(
            &mut self.rng,
            &[(1, 15), (2, 25), (3, 30), (4, 20), (5, 10)],
        );
        let couple = size >= 3 || (size == 2 && self.rng.random_bool(0.7));
        let oldest = if migrant { 1960 } else { 1940 };
        let youngest = if size == 1 { 2005 } else { 2000 };
        let head_male = if couple {
            self.rng.random_bool(0.85)
        } else {
            self.rng.random_bool(0.5)
        };
        let head_birth = self.day_between(
            day_index(date(oldest, 1, 1)),
            day_index(date(youngest, 12, 31)),
        );
        let family = self.pick(&SURNAMES);
        let mut out = vec![Member {
            surname: family,
            male: head_male,
            birth: head_birth,
            relation: "户主",
            marital: "",
        }];
        if couple {
            // Within five years of the head, reflected at the ends rather than piled on them.
            let gap = self.rng.random_range(-5 * 365..=5 * 365);
            let spouse_birth = match head_birth + gap {
                b if b < 0 || b > day_index(date(2005, 12, 31)) => head_birth - gap,
                b => b,
            };
            let surname = self.pick(&SURNAMES);
            out.push(Member {
                surname,
                male: !head_male,
                birth: spouse_birth,
                relation: "配偶",
                marital: "",
            });
            let married = if self.rng.random_bool(0.9) {
                "已婚"
            } else {
                "再婚"
            };
            out.iter_mut().for_each(|m| m.marital = married);
        } else {
            out[0].marital = self.single_status(head_birth);
        }
        let father_surname = if head_male || !couple {
            family
        } else {
            out[1].surname
        };
        let parent = size == 5 && head_birth >= years(36);
        while out.len() < size - usize::from(parent) {
            let birth = self.day_between(
                head_birth + years(20),
                (head_birth + years(40)).min(day_index(LAST_DAY)),
            );
            let male = self.rng.random_bool(0.51);
            let marital = self.child_status(birth);
            out.push(Member {
                surname: father_surname,
                male,
                birth,
                relation: if male { "子" } else { "女" },
                marital,
            });
        }
        if parent {
            let birth = (head_birth - self.rng.random_range(years(22)..=years(35))).max(0);
            let male = self.rng.random_bool(0.4);
            let marital = if self.rng.random_bool(0.6) {
                "丧偶"
            } else {
                "已婚"
            };
            let surname = if male { family } else { self.pick(&SURNAMES) };
            out.push(Member {
                surname,
                male,
                birth,
                relation: if male { "父亲" } else { "母亲" },
                marital,
            });
        }
        out
    }

    fn single_status(&mut self, birth: i32) -> &'static str {
        let age = (day_index(LAST_DAY) - birth) / 365;
        match age {
            ..30 => "未婚",
            70.. => weighted(&mut self.rng, &[("丧偶", 70), ("离婚", 15), ("未婚", 15)]),
            _ => weighted(&mut self.rng, &[("未婚", 45), ("离婚", 35), ("丧偶", 20)]),
        }
    }

    fn child_status(&mut self, birth: i32) -> &'static str {
        if day_index(LAST_DAY) - birth < years(25) {
            return "未婚";
        }
        weighted(&mut self.rng, &[("未婚", 70), ("已婚", 25), ("离婚", 5)])
    }

    /// One row in PERSON_COLUMNS order.
    fn row(&mut self, hh: &Household, m: Member) -> Vec<String> {
        let (id, birth) = self.id_number(hh.origin, m.birth, m.male);
        let adult = day_index(LAST_DAY) - birth >= years(16);
        let name = self.name(m.surname, m.male);
        let (kind, arrival, leaving, elsewhere) = match hh.arrival {
            Some(a) => (
                "流入",
                Some(a.max(birth)),
                None,
                Some(ORIGINS[hh.origin].1.to_string()),
            ),
            None if self.rng.random_bool(1.0 / 15.0) => {
                let from = (birth + years(16)).max(day_index(date(2008, 1, 1)));
                let from = if from > day_index(LAST_DAY) {
                    birth
                } else {
                    from
                };
                let left = self.day_between(from, day_index(LAST_DAY));
                (
                    "流出",
                    None,
                    Some(left),
                    Some(self.pick(&DESTINATIONS).to_string()),
                )
            }
            None => ("常住", None, None, None),
        };
        let date_text = |d: Option<i32>| d.map(|d| to_date(d).to_string()).unwrap_or_default();
        vec![
            id.to_string(),
            name,
            if m.male { "男" } else { "女" }.to_string(),
            to_date(birth).to_string(),
            self.ethnicity().to_string(),
            m.marital.to_string(),
            if adult {
                self.education()
            } else {
                String::new()
            },
            if adult { self.phone() } else { String::new() },
            hh.no.clone(),
            m.relation.to_string(),
            kind.to_string(),
            format!("{} {}", ORIGINS[hh.origin].0, ORIGINS[hh.origin].1),
            self.groups[hh.group].clone(),
            hh.address.clone(),
            date_text(arrival),
            date_text(leaving),
            elsewhere.unwrap_or_default(),
        ]
    }

    /// A number no one else in the file has: the sequence counts up per (origin, birth day,
    /// sex), its parity giving the sex. A full day (never seen with these distributions) moves
    /// the birth to the nearest day with room.
    fn id_number(&mut self, origin: usize, birth: i32, male: bool) -> (IdNumber, i32) {
        let last = day_index(LAST_DAY);
        let nearby = (0..=last).flat_map(|d| [birth - d, birth + d]);
        for day in nearby.filter(|d| (0..=last).contains(d)) {
            let slot = ((origin as i32 * (last + 1) + day) * 2 + i32::from(male)) as usize;
            let used = self.issued[slot];
            if used < SEQUENCES_PER_DAY {
                self.issued[slot] += 1;
                // An offset that varies by day and place, so sequences don't all start at 001.
                let offset = ((day as u16)
                    .wrapping_mul(7)
                    .wrapping_add(origin as u16 * 13)
                    % 250)
                    * 2;
                let seq = offset + used * 2 + u16::from(male);
                let id = IdNumber::from_parts(ORIGINS[origin].0, to_date(day), seq)
                    .expect("generated ID parts are valid");
                return (id, day);
            }
        }
        panic!("more than {SEQUENCES_PER_DAY} people per day of every year from one place")
    }

    fn name(&mut self, surname: &str, male: bool) -> String {
        let chars: &[&str] = if male { &MALE_GIVEN } else { &FEMALE_GIVEN };
        let first = self.pick(chars);
        if self.rng.random_bool(0.6) {
            format!("{surname}{first}{}", self.pick(chars))
        } else {
            format!("{surname}{first}")
        }
    }

    fn ethnicity(&mut self) -> &'static str {
        if self.rng.random_bool(0.95) {
            "汉族"
        } else {
            self.pick(&MINORITIES)
        }
    }

    fn education(&mut self) -> String {
        if self.rng.random_bool(0.15) {
            String::new()
        } else {
            weighted(&mut self.rng, &EDUCATION).to_string()
        }
    }

    /// Mostly a mobile, some a Tongling landline (0562), some none.
    fn phone(&mut self) -> String {
        match self.rng.random_range(0..100) {
            0..75 => format!(
                "1{}{:09}",
                self.rng.random_range(3..=9),
                self.rng.random_range(0..1_000_000_000u32)
            ),
            75..80 => format!("0562-{}", self.rng.random_range(2_000_000..2_999_999)),
            _ => String::new(),
        }
    }

    fn address(&mut self, group: usize) -> String {
        let road = ROADS[group % ROADS.len()];
        let number = self.rng.random_range(1..=300);
        let building = self.rng.random_range(1..=20);
        let unit = self.rng.random_range(1..=4);
        let room = self.rng.random_range(1..=18) * 100 + self.rng.random_range(1..=4);
        format!("铜陵市铜官区{road}{number}号{building}栋{unit}单元{room}室")
    }

    fn day_between(&mut self, from: i32, to: i32) -> i32 {
        if to <= from {
            from
        } else {
            self.rng.random_range(from..=to)
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let mut r = rng.random_range(0..items.iter().map(|(_, w)| w).sum::<u32>());
    for &(item, w) in items {
        if r < w {
            return item;
        }
        r -= w;
    }
    unreachable!("r is below the total weight")
}

/// Days since FIRST_DAY: dates are drawn as plain numbers and turned into dates once.
fn day_index(d: Date) -> i32 {
    (d - FIRST_DAY).get_days()
}

fn to_date(day: i32) -> Date {
    FIRST_DAY
        .checked_add(Span::new().days(i64::from(day)))
        .expect("within the generated years")
}

/// A rough year in days, for ages and gaps between generations.
fn years(n: i32) -> i32 {
    n * 365 + n / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkou_core::record::{HeaderMap, person_from_row};

    #[test]
    fn generated_rows_pass_the_import_checks_and_ids_are_unique() {
        let headers: Vec<String> = PERSON_COLUMNS.iter().map(|c| c.zh.to_string()).collect();
        let map = HeaderMap::new(PERSON_COLUMNS, &headers).unwrap();
        let mut g = Generator::new();
        let mut ids = std::collections::HashSet::new();
        let mut kinds = std::collections::HashMap::new();
        let groups: std::collections::HashSet<String> = group_codes().into_iter().collect();
        while ids.len() < 20_000 {
            for row in g.household() {
                let p = person_from_row(&map, &row, date(2026, 11, 28))
                    .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
                assert!(ids.insert(p.id_number.unwrap()));
                assert!(groups.contains(p.area_code.as_str()));
                *kinds.entry(row[10].clone()).or_insert(0u32) += 1;
            }
        }
        let mut per_day = std::collections::HashMap::new();
        for id in &ids {
            *per_day
                .entry((id.address_code().to_string(), id.birth_date(), id.sex()))
                .or_insert(0u32) += 1;
        }
        let crowded = per_day.values().max().copied().unwrap_or(0);
        assert!(
            crowded < 20,
            "{crowded} people share an origin, birth day and sex"
        );
        let share = |k: &str| f64::from(kinds[k]) / ids.len() as f64;
        assert!((0.65..0.75).contains(&share("常住")), "{kinds:?}");
        assert!((0.20..0.30).contains(&share("流入")), "{kinds:?}");
        assert!((0.03..0.07).contains(&share("流出")), "{kinds:?}");
    }

    #[test]
    fn database_urls_swap_the_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x").unwrap(),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", "x").unwrap(),
            "postgres://u@h/x"
        );
    }

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

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(1_000_000), "1,000,000");
        assert_eq!(group_digits(999), "999");
    }
}
