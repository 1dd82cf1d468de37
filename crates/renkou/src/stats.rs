//! `renkou stats`: the statistical report, and the counters behind it rebuilt or checked.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use renkou_core::AreaCode;
use renkou_core::stats::{Month, Period};
use renkou_store::{Store, Who};

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Writes the report of an area for a period: one row per child area and the total.
    Report {
        /// The area (a district, centre, committee or group code); the whole register when
        /// left out.
        #[arg(long)]
        area: Option<String>,
        /// A month (2026-11), a quarter (2026-Q4) or a year (2026).
        #[arg(long)]
        period: String,
        /// json (the API's document) or xlsx (the printed statistical sheet).
        #[arg(long, default_value = "json")]
        format: String,
        /// Where to write it; standard output when left out.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Closes a month for an area (上报) once its reporting deadline has passed: its figures
    /// are kept as submitted.
    Close {
        #[arg(long)]
        area: Option<String>,
        /// The month, 2026-11.
        #[arg(long)]
        period: String,
    },
    /// Reopens a closed month, with the reason.
    Reopen {
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        period: String,
        #[arg(long)]
        reason: String,
    },
    /// Recounts every counter from the register, in one transaction.
    Rebuild,
    /// Compares the counters with a recount; exits 1 naming the first cell that differs.
    Check,
}

pub fn run(
    url: &str,
    command: StatsCommand,
    today: jiff::civil::Date,
    who: &str,
) -> Result<ExitCode> {
    let mut store = Store::open(url)?;
    match command {
        StatsCommand::Report {
            area,
            period,
            format,
            out,
        } => {
            let period = Period::parse(&period).context("--period")?;
            let area = area
                .map(|a| AreaCode::parse(&a))
                .transpose()
                .context("--area")?;
            let report = store.stats_report(Who::Console(who), area.as_ref(), period, today)?;
            if format == "xlsx" {
                let Some(path) = out else {
                    bail!("--format xlsx needs --out FILE.xlsx");
                };
                let bytes = renkou_documents::stats::report_xlsx(&report, today)?;
                std::fs::write(&path, bytes).with_context(|| path.display().to_string())?;
                println!(
                    "已写出 {} {} 的统计报表到 {}",
                    report.area.name,
                    report.period,
                    path.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            if format != "json" {
                bail!("--format {format}: json or xlsx (PDF is not written yet)");
            }
            let text = serde_json::to_string_pretty(&report)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text + "\n")
                        .with_context(|| path.display().to_string())?;
                    println!(
                        "已写出 {} {} 的统计报表到 {}",
                        report.area.name,
                        report.period,
                        path.display()
                    );
                }
                None => println!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        StatsCommand::Close { area, period } => {
            let (area, month) = area_and_month(area, &period)?;
            store.stats_close(Who::Console(who), area.as_ref(), month, today)?;
            println!("{month} 已上报");
            Ok(ExitCode::SUCCESS)
        }
        StatsCommand::Reopen {
            area,
            period,
            reason,
        } => {
            let (area, month) = area_and_month(area, &period)?;
            store.stats_reopen(Who::Console(who), area.as_ref(), month, &reason)?;
            println!("{month} 已重新打开");
            Ok(ExitCode::SUCCESS)
        }
        StatsCommand::Rebuild => {
            let started = std::time::Instant::now();
            store.stats_rebuild(today)?;
            println!(
                "统计计数已重建（{:.1} 秒）",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        StatsCommand::Check => match store.stats_check(today)? {
            None => {
                println!("统计计数与登记一致");
                Ok(ExitCode::SUCCESS)
            }
            Some(d) => {
                println!("统计计数与登记不一致：{d}");
                Ok(ExitCode::from(1))
            }
        },
    }
}

fn area_and_month(area: Option<String>, period: &str) -> Result<(Option<AreaCode>, Month)> {
    let area = area
        .map(|a| AreaCode::parse(&a))
        .transpose()
        .context("--area")?;
    let month = Month::parse(period)
        .with_context(|| format!("--period {period}：上报按月，写成 2026-11"))?;
    Ok((area, month))
}
