//! `renkou bench stats`: the city's monthly report (every child row, every figure and
//! indicator) read from the counters, beside the same total computed by a scan of the
//! register in the same run; what the counters add to recording a change (one person
//! recounted, p99); and `stats rebuild`. Targets (issue 12): the report ≤ 10 ms, a change's
//! counters ≤ 1 ms at p99.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use renkou_core::stats::{Figures, Month, Period};
use renkou_core::{AreaCode, PersonId};
use renkou_store::{PersonFilter, Store, Who};

use super::{group_digits, machine};

#[derive(Args)]
pub(super) struct StatsBench {
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    #[arg(long, default_value_t = 20261128)]
    seed: u64,
    /// A SQLite file to build the city in (or reuse); a temporary file by default.
    #[arg(long)]
    sqlite: Option<PathBuf>,
    /// A PostgreSQL database to build the city in (or reuse); skipped without it.
    #[arg(long, env = "RENKOU_BENCH_PG")]
    pg: Option<String>,
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

struct Measured {
    backend: &'static str,
    rebuild: Duration,
    report: (Duration, Duration),
    rows: usize,
    scan: Duration,
    recount_p50: Duration,
    recount_p99: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(super) fn stats_bench(a: StatsBench) -> Result<ExitCode> {
    let today = jiff::Zoned::now().date();
    let dir = tempfile::tempdir()?;
    let sqlite = a
        .sqlite
        .clone()
        .unwrap_or_else(|| dir.path().join("stats.db"));
    let mut results = vec![measure(&format!("sqlite:{}", sqlite.display()), &a, today)?];
    match a.pg.as_ref().filter(|u| !u.is_empty()) {
        Some(pg) => results.push(measure(pg, &a, today)?),
        None => println!("PostgreSQL: skipped (give --pg postgres://… or set RENKOU_BENCH_PG)"),
    }
    println!();
    println!(
        "renkou bench stats: {} people, {today}",
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
    println!();
    let mut ok = true;
    for m in &results {
        let report_ok = m.report.0 <= Duration::from_millis(10);
        let recount_ok = m.recount_p99 <= Duration::from_millis(1);
        ok &= report_ok && recount_ok;
        println!("{}:", m.backend);
        println!(
            "  city report from the counters ({} rows): median {:.2} ms, slowest {:.2} ms  {}",
            m.rows,
            ms(m.report.0),
            ms(m.report.1),
            if report_ok {
                "ok (≤ 10 ms)"
            } else {
                "NO (target ≤ 10 ms)"
            }
        );
        println!(
            "  the same total by a scan of the register: {:.0} ms",
            ms(m.scan)
        );
        println!(
            "  counters of one change (a person recounted): p50 {:.3} ms, p99 {:.3} ms  {}",
            ms(m.recount_p50),
            ms(m.recount_p99),
            if recount_ok {
                "ok (≤ 1 ms)"
            } else {
                "NO (target ≤ 1 ms)"
            }
        );
        println!("  stats rebuild: {:.1} s", m.rebuild.as_secs_f64());
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn measure(url: &str, a: &StatsBench, today: jiff::civil::Date) -> Result<Measured> {
    let mut store = Store::open(url).with_context(|| format!("opening {url}"))?;
    let everyone = PersonFilter {
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
    println!("{}: stats rebuild …", store.backend());
    let started = Instant::now();
    store.stats_rebuild(today)?;
    let rebuild = started.elapsed();
    // As autovacuum would after a rewrite of every counter (PostgreSQL).
    store.analyze()?;
    store.tune_for_serving()?;
    let top = store
        .areas(None)?
        .into_iter()
        .map(|a| a.code)
        .min_by_key(|c: &AreaCode| c.as_str().len())
        .context("the city has no areas")?;
    let period = Period::Month(Month::of(today).plus(-1));
    let who = Who::Console("bench");
    let mut times = Vec::new();
    let mut rows = 0;
    let mut total = None;
    for _ in 0..=a.runs {
        let started = Instant::now();
        let r = store.stats_report(who, Some(&top), period, today)?;
        times.push(started.elapsed());
        rows = r.rows.len();
        total = Some(r.total.figures);
    }
    times.remove(0);
    times.sort();
    let report = (times[times.len() / 2], *times.last().unwrap());
    let started = Instant::now();
    let scanned = store.stats_total_by_scan(Some(&top), period, today)?;
    let scan = started.elapsed();
    anyhow::ensure!(
        Some(Figures::from_sums(&scanned)) == total,
        "the counters' total differs from the scan's"
    );
    // One change's counters: a person's history read, recounted and the difference written.
    let ids: Vec<PersonId> = store
        .persons(&PersonFilter::default(), None, 1000)?
        .iter()
        .map(|p| p.id)
        .collect();
    // Inside one transaction, as a change's own transaction carries it (its commit is the
    // change's, not the counters').
    let mut times = Vec::new();
    store.transaction(|tx| {
        for id in ids.iter().cycle().take(2000) {
            let started = Instant::now();
            tx.stats_recount(*id, today)?;
            times.push(started.elapsed());
        }
        Ok(())
    })?;
    times.sort();
    Ok(Measured {
        backend: store.backend(),
        rebuild,
        report,
        rows,
        scan,
        recount_p50: times[times.len() / 2],
        recount_p99: times[times.len() * 99 / 100],
    })
}
