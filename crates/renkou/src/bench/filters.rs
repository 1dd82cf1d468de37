//! `renkou bench filters`: the people list's filters and searches timed as the server answers
//! them (the exact count and the first page, sorted), over a demo city on SQLite and on
//! PostgreSQL. The target is UI.md's: a filter in ≤ 100 ms, a name search in ≤ 20 ms.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use renkou_core::{Actor, AreaCode, AreaLevel, Role, Scope};
use renkou_store::Store;
use renkou_web::forms::ListQuery;

use super::{group_digits, machine};

#[derive(Args)]
pub(super) struct FiltersBench {
    /// People in the demo city the benchmark builds.
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    #[arg(long, default_value_t = 20261128)]
    seed: u64,
    /// A SQLite file to build the city in (or to reuse when it already holds one); a
    /// temporary file by default.
    #[arg(long)]
    sqlite: Option<PathBuf>,
    /// A PostgreSQL database to build the city in (or reuse), e.g.
    /// postgres://postgres@127.0.0.1:5432/renkou_filters. Without it PostgreSQL is skipped.
    #[arg(long, env = "RENKOU_BENCH_PG")]
    pg: Option<String>,
    /// Times each case is run; the table shows the median and the slowest.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// (what the table calls it, the list's query string, the target in ms).
const CASES: &[(&str, &str, u64)] = &[
    ("全部", "", 100),
    ("全部 按年龄", "sort=-age", 100),
    ("全部 按更新 第100页", "sort=-updated&page=100", 100),
    ("流出", "population_type=migrant_out", 100),
    (
        "流出 + 离婚",
        "population_type=migrant_out&marital_status=40",
        100,
    ),
    ("复婚 + 90岁以上", "marital_status=23&age_min=90", 100),
    ("3岁以下儿童", "age_max=2", 100),
    ("90岁以上", "age_min=90", 100),
    ("育龄妇女", "childbearing=1", 100),
    ("育龄妇女 + 已婚", "childbearing=1&marital_status=20", 100),
    ("丧偶", "marital_status=30", 100),
    ("男", "sex=1", 100),
    ("在孕", "pregnant=1", 100),
    ("流入 + 在孕", "population_type=migrant_in&pregnant=1", 100),
    ("姓名 王", "q=王", 20),
    ("姓名 王 按姓名", "q=王&sort=name", 20),
    ("姓名 王芳", "q=王芳", 20),
    ("王 + 身份证后4位", "q=王 1234", 20),
    ("手机后4位", "q=8000", 100),
    // Narrowed to one centre (still read from the tallies) and to one committee (a walk of
    // its own people): `{centre}` and `{committee}` are the city's first.
    (
        "中心 育龄妇女 + 已婚",
        "area={centre}&childbearing=1&marital_status=20",
        100,
    ),
    ("居委会 全部", "area={committee}", 100),
    (
        "居委会 育龄妇女 + 已婚",
        "area={committee}&childbearing=1&marital_status=20",
        100,
    ),
    ("居委会 姓名 王", "area={committee}&q=王", 20),
];

pub(super) fn filters_bench(a: FiltersBench) -> Result<ExitCode> {
    let today = jiff::Zoned::now().date();
    let dir = tempfile::tempdir()?;
    let sqlite = a
        .sqlite
        .clone()
        .unwrap_or_else(|| dir.path().join("filters.db"));
    let mut tables = Vec::new();
    let url = format!("sqlite:{}", sqlite.display());
    tables.push(("SQLite", measure(&url, &a, today)?));
    match a.pg.as_ref().filter(|url| !url.is_empty()) {
        Some(pg) => tables.push(("PostgreSQL", measure(pg, &a, today)?)),
        None => println!("PostgreSQL: skipped (give --pg postgres://… or set RENKOU_BENCH_PG)"),
    }
    println!();
    println!(
        "renkou bench filters: {} people, {today}",
        group_digits(a.persons)
    );
    println!("machine: {}", machine());
    println!(
        "build: {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "time: the exact count and the first page of 50, median / slowest of {} runs",
        a.runs
    );
    println!();
    print!("{:<22}", "case");
    for (backend, _) in &tables {
        print!(" {:>24}", backend);
    }
    println!(" {:>7}", "target");
    let mut failed = false;
    for (i, (name, query, target)) in CASES.iter().enumerate() {
        print!("{:<22}", pad(name, 22));
        for (_, rows) in &tables {
            let (median, max, count) = rows[i];
            let ok = median <= Duration::from_millis(*target);
            failed |= !ok;
            print!(
                " {:>9.1} / {:>6.1} ms {:>3}",
                ms(median),
                ms(max),
                if ok { "ok" } else { "NO" }
            );
            let _ = count;
        }
        println!(" {:>4} ms   {query}", target);
    }
    println!();
    for (backend, rows) in &tables {
        let counts: Vec<String> = CASES
            .iter()
            .zip(rows)
            .map(|((name, _, _), r)| format!("{name} {}", r.2))
            .collect();
        println!("{backend} counts: {}", counts.join(" · "));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Pads by display width: a Chinese character takes two columns.
fn pad(text: &str, width: usize) -> String {
    let w: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// Builds the city when the database holds nobody, then times every case.
fn measure(
    url: &str,
    a: &FiltersBench,
    today: jiff::civil::Date,
) -> Result<Vec<(Duration, Duration, u64)>> {
    let mut store = Store::open(url).with_context(|| format!("opening {url}"))?;
    let everyone = renkou_store::PersonFilter {
        all_statuses: true,
        ..Default::default()
    };
    if store.count_persons(&everyone)? == 0 {
        println!(
            "building a city of {} people in {} …",
            group_digits(a.persons),
            store.backend()
        );
        let started = Instant::now();
        crate::demo::build(&mut store, a.persons, a.seed, today, &mut |_| {})?;
        store.analyze()?;
        println!("built in {:.0} s", started.elapsed().as_secs_f64());
    }
    store.tune_for_serving()?;
    // The station sees the whole city and its health facts: every filter is open to it.
    let top = store
        .areas(None)?
        .into_iter()
        .map(|a| a.code)
        .min_by_key(|c: &AreaCode| c.as_str().len())
        .context("the city has no areas")?;
    let actor = Actor {
        scope: Scope::new(0, Role::Station, top),
        username: "bench".into(),
        source: "bench".into(),
    };
    let mut first = |level: AreaLevel| -> Result<String> {
        let areas = store.areas(None)?;
        areas
            .iter()
            .map(|a| a.code.as_str())
            .filter(|c| AreaCode::parse(c).is_ok_and(|c| c.level() == level))
            .min()
            .map(str::to_string)
            .context("the city has no such area")
    };
    let (centre, committee) = (first(AreaLevel::Centre)?, first(AreaLevel::Committee)?);
    let mut rows = Vec::new();
    for (name, query, _) in CASES {
        let query = query
            .replace("{centre}", &centre)
            .replace("{committee}", &committee);
        let q: ListQuery = serde_urlencoded::from_str(&query)?;
        let filter = q
            .filter(today)
            .map_err(|e| anyhow::anyhow!("{name}: {}", e.message))?;
        let order = q
            .order()
            .map_err(|e| anyhow::anyhow!("{name}: {}", e.message))?;
        let mut times = Vec::new();
        let mut count = 0;
        // One run first to warm the cache, as a server's would be.
        for _ in 0..=a.runs {
            let started = Instant::now();
            count = store.count_as(&actor, &filter)?;
            let pages = count.div_ceil(50).max(1);
            let offset = (u64::from(q.page()).min(pages) - 1) * 50;
            store.persons_page_as(&actor, &filter, order, offset, 50)?;
            times.push(started.elapsed());
        }
        times.remove(0);
        times.sort();
        rows.push((times[times.len() / 2], *times.last().unwrap(), count));
        println!(
            "  {} {name}: {:.1} ms, {count}",
            store.backend(),
            ms(times[times.len() / 2])
        );
    }
    Ok(rows)
}
