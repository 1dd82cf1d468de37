//! The table `renkou bench import` prints, with the machine and the tools' versions.

use super::import::{Files, Outcome, TARGET_RATIO, TARGET_RSS_MB};
use super::measure::{Measured, tool_version};
use super::{group_digits, machine};

pub(super) fn print_report(files: &Files, outcomes: &[Outcome], pg_version: Option<String>) {
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
