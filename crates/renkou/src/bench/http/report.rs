//! The table `renkou bench http` prints: medians of the runs, against the targets.

use super::super::{group_digits, machine};
use super::scenario::{RunResult, Scenario};
use super::wrk::WrkSettings;
use super::{TARGET_P99_MS, TARGET_RATIO, TARGET_RSS_MB, mb};

pub(super) struct RunInfo {
    /// Each round's disk fsync latency: p50, p99, max (ms).
    pub(super) disk: Vec<(f64, f64, f64)>,
    pub(super) persons: u64,
    pub(super) wrk: String,
    pub(super) settings: WrkSettings,
    pub(super) runs: u32,
    pub(super) sample: usize,
    pub(super) db: String,
}

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub(super) fn pass(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

pub(super) fn print_report(
    results: &[(Scenario, Vec<RunResult>)],
    failures: &[String],
    c: &RunInfo,
) {
    let empty_rps = results
        .iter()
        .find(|(s, _)| *s == Scenario::Empty)
        .map(|(_, r)| median(r.iter().map(|r| r.rps).collect()))
        .filter(|x| x.is_finite());
    println!();
    println!(
        "renkou bench http: {} people, {}",
        group_digits(c.persons),
        jiff::Zoned::now().date()
    );
    println!("machine: {}", machine());
    if !c.disk.is_empty() {
        let each: Vec<String> = c
            .disk
            .iter()
            .map(|(p50, p99, max)| format!("{p50:.2}/{p99:.2}/{max:.1}"))
            .collect();
        println!(
            "disk fsync of 16 KiB before each round, p50/p99/max ms: {}",
            each.join(", ")
        );
    }
    println!(
        "{}: {} threads, {} connections, {} s per run after {} s warm-up; {} people rotated; medians of {} runs; {}",
        c.wrk,
        c.settings.threads,
        c.settings.connections,
        c.settings.duration,
        c.settings.warmup,
        group_digits(c.sample as u64),
        c.runs,
        c.db
    );
    println!();
    println!(
        "| scenario | req/s | ratio to empty | p50 | p99 | server peak RSS | server CPU per request | server I/O per request (read / written) | ≥ {:.0}% | p99 ≤ {TARGET_P99_MS} ms | RSS < {TARGET_RSS_MB} MB |",
        TARGET_RATIO * 100.0
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |");
    for (scenario, runs) in results {
        if runs.is_empty() {
            println!("| {} | — | — | — | — | — | — | — | | | |", scenario.label());
            continue;
        }
        let rps = median(runs.iter().map(|r| r.rps).collect());
        let p50 = median(runs.iter().map(|r| r.p50_ms).collect());
        let p99 = median(runs.iter().map(|r| r.p99_ms).collect());
        // Memory: the worst run, not the median (the target is a ceiling).
        let rss = runs.iter().map(|r| mb(r.peak_rss_kib)).fold(0.0, f64::max);
        let cpu = median(runs.iter().map(|r| r.cpu_us_per_request()).collect());
        let read = median(runs.iter().map(|r| r.kib_per_request().0).collect());
        let written = median(runs.iter().map(|r| r.kib_per_request().1).collect());
        let ratio = empty_rps.map(|e| rps / e);
        let ratio_text = ratio.map_or("—".to_string(), |x| format!("{:.0}%", x * 100.0));
        let targets = if scenario.has_targets() {
            format!(
                "{} | {} | {}",
                ratio.map_or("n/a", |x| pass(x >= TARGET_RATIO)),
                pass(p99 <= TARGET_P99_MS),
                pass(rss < TARGET_RSS_MB)
            )
        } else {
            " | | ".to_string()
        };
        println!(
            "| {} | {rps:.0} | {ratio_text} | {p50:.2} ms | {p99:.2} ms | {rss:.1} MB | {cpu:.0} µs | {read:.1} / {written:.1} KiB | {targets} |",
            scenario.label()
        );
    }
    println!();
    println!(
        "runs (req/s / p99 ms / peak RSS MB / server CPU µs per request / cores busy: server + wrk + others):"
    );
    for (scenario, runs) in results {
        let each: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{:.0} / {:.2} / {:.1} / {:.0} / {:.2}+{:.2}+{:.2}",
                    r.rps,
                    r.p99_ms,
                    mb(r.peak_rss_kib),
                    r.cpu_us_per_request(),
                    r.server_cpu / r.secs,
                    r.wrk_cpu / r.secs,
                    r.other_cpu / r.secs
                )
            })
            .collect();
        println!("  {:<7} {}", scenario.key(), each.join("   "));
    }
    if !failures.is_empty() {
        println!();
        for f in failures {
            println!("failed: {f}");
        }
    }
    println!();
    println!(
        "ratio = median req/s over the empty handler's median req/s in this run; p50/p99 are wrk's (closed loop), medians over runs; peak RSS = the server process's VmHWM, worst run; server CPU = its user + system time over the measured run / requests (median); I/O = /proc/PID/io rchar and wchar (files and sockets) / requests."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_runs() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
