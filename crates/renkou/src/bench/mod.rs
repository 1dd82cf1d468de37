//! `renkou bench`: measures renkou against the databases' own tools and an empty web handler,
//! in the same run on the same machine. The figures go into docs/BENCHMARKS.md.
//!
//! - [`import`]: `renkou bench import`, timing a people file's import on SQLite and PostgreSQL
//!   ([`measure`] times the child processes, [`postgres`] manages the databases, [`report`]
//!   prints the table), of files [`generate`] draws from the demo's synthetic city;
//! - [`http`]: `renkou bench http`, the API under load;
//! - [`filters`]: `renkou bench filters`, the people list's filters and searches.

mod filters;
mod generate;
mod http;
mod import;
mod measure;
mod postgres;
mod report;
mod stats;

use std::fs;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Times importing N generated people against sqlite3 `.import` and psql `\copy` (each
    /// plus a unique index on the ID number), and measures renkou's peak memory.
    Import(import::ImportBench),
    /// Drives the API (search by ID number, open a person) with wrk on loopback beside an
    /// empty axum handler, and measures the server's peak memory.
    Http(http::HttpBench),
    /// Times the people list's filters and name searches (count and first page) over a demo
    /// city of N people on SQLite and PostgreSQL (`--pg`).
    Filters(filters::FiltersBench),
    /// The statistical report read from the counters at a city's size, beside a scan; the
    /// counters' cost to one change; `stats rebuild`.
    Stats(stats::StatsBench),
    /// The empty axum handler `bench http` measures as its reference.
    #[command(hide = true)]
    EmptyServer(http::EmptyServerArgs),
    /// Writes the files `bench import` imports (run by it as a child process, so that its own
    /// peak memory, which Linux carries over into the children it measures, stays small).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    match args.command {
        BenchCommand::Import(b) => import::import_bench(b),
        BenchCommand::Http(b) => http::http_bench(b),
        BenchCommand::Filters(b) => filters::filters_bench(b),
        BenchCommand::Stats(b) => stats::stats_bench(b),
        BenchCommand::EmptyServer(a) => http::empty_server(a),
        BenchCommand::Generate(a) => generate::generate(a),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(1_000_000), "1,000,000");
        assert_eq!(group_digits(999), "999");
    }
}
