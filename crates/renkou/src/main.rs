//! `renkou`: one binary for the register. Subcommands for administrators; the web app arrives
//! with `serve`.

mod audit;
mod bench;
mod demo;
mod population;
mod progress;
mod serve;
mod stats;
mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
use renkou_core::import::{ImportOptions, ImportReport};
use renkou_core::{AreaCode, PopulationType};
use renkou_documents::import::import_file;
use renkou_store::{PersonFilter, Store, Who};

use progress::Bar;

#[derive(Parser)]
#[command(
    name = "renkou",
    version,
    about = "人口：社区人口和计划生育服务管理登记系统"
)]
struct Cli {
    /// The database: a file path or sqlite:PATH (default renkou.db), or postgres://…
    #[arg(long, global = true, env = "RENKOU_DB")]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates the database or brings its schema up to date.
    Init,
    /// The area tree: districts, centres, committees and resident groups.
    Areas {
        #[command(subcommand)]
        command: AreasCommand,
    },
    /// People and households.
    Persons {
        #[command(subcommand)]
        command: PersonsCommand,
    },
    /// Life events: marriage, pregnancy, birth, contraception, moves, death, corrections.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Measures renkou against the databases' own bulk loaders (see docs/BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Builds a realistic, synthetic demo city (into renkou-demo.db unless --db is given),
    /// with one account per role, and serves it.
    Demo {
        #[arg(long, default_value_t = 50_000)]
        persons: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to serve the web app and the API.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Build the city and its accounts, then stop instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serves the staff web app and the JSON API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Mark cookies Secure: set this when a TLS proxy is in front.
        #[arg(long)]
        secure_cookies: bool,
        /// The address the public reaches this server at (https://renkou.example.gov.cn),
        /// printed on certificates for their verify page. Certificates are not printed until
        /// it is set; an https address also makes cookies Secure.
        #[arg(long, value_parser = public_url)]
        public_url: Option<String>,
    },
    /// Staff accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 规划统计: the monthly report, and the counters behind it.
    Stats {
        #[command(subcommand)]
        command: stats::StatsCommand,
    },
    /// The certificates the station has issued.
    Certificates {
        #[command(subcommand)]
        command: CertificatesCommand,
    },
}

#[derive(Subcommand)]
enum CertificatesCommand {
    /// Writes the documents issued in a period (reissues included) as XLSX or CSV, with their
    /// state today and the processing time of each.
    Export {
        #[arg(long)]
        out: PathBuf,
        /// First day of the period (YYYY-MM-DD); the first of this month by default.
        #[arg(long)]
        from: Option<String>,
        /// Last day of the period; today by default.
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Adds an account. Without --password a password is generated, printed once, and must be
    /// changed at the first login.
    Add {
        #[arg(long)]
        username: String,
        /// bureau, station, centre, committee_officer, migrant_coordinator, group_leader,
        /// system_admin, security_admin or audit_admin.
        #[arg(long)]
        role: String,
        /// The area the account works in (it sees that area and everything below).
        #[arg(long)]
        area: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Lists the accounts.
    List,
    /// Disables an account; its sessions end at once.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Sets a new password (generated unless --password is given; a generated one must be
    /// changed at the next login) and ends the account's sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walks the hash chain: exit 0 when intact, 1 naming the first bad row.
    Verify,
}

#[derive(Subcommand)]
enum AreasCommand {
    /// Imports areas from CSV or XLSX with columns 区划代码,名称 (or code,name).
    Import { file: PathBuf },
    /// Lists areas, indented by level.
    List {
        /// Only this area and everything below it.
        #[arg(long)]
        under: Option<String>,
    },
}

#[derive(Args, Clone)]
struct ImportFlags {
    /// Write the valid rows and leave out the invalid ones (listed in the rejected file).
    #[arg(long)]
    skip_invalid: bool,
    /// Where to write the rows that could not be imported (default: FILE.rejected.csv).
    #[arg(long)]
    rejected: Option<PathBuf>,
}

use clap::Args;

#[derive(Subcommand)]
enum PersonsCommand {
    /// Imports people from CSV (UTF-8 or GBK) or XLSX; all rows or none.
    Import {
        file: PathBuf,
        #[command(flatten)]
        flags: ImportFlags,
        /// Update people already registered (matched by ID number); each change is recorded
        /// as a correction on their timeline.
        #[arg(long)]
        upsert: bool,
    },
    /// Exports people in the import format (.csv or .xlsx by the file name).
    Export {
        #[arg(long)]
        out: PathBuf,
        /// Only people of this area and everything below it.
        #[arg(long)]
        area: Option<String>,
        /// Only this population type: 常住/流入/流出 or resident/migrant_in/migrant_out.
        #[arg(long = "type")]
        population_type: Option<String>,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Imports life events from CSV or XLSX; applied in date order, all rows or none.
    Import {
        file: PathBuf,
        #[command(flatten)]
        flags: ImportFlags,
    },
}

fn main() -> ExitCode {
    // `renkou areas list | head` should stop quietly when head has seen enough, as Unix tools
    // do, rather than panic on a closed pipe.
    // SAFETY: called once at start, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

/// Today in China (UTC+8, no daylight saving), the date events and ages are judged against.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date()
}

fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn db_url(cli: &Cli) -> String {
    cli.db.clone().unwrap_or_else(|| "renkou.db".into())
}

fn open(db: &Option<String>) -> Result<Store> {
    let url = db.clone().unwrap_or_else(|| "renkou.db".into());
    Ok(Store::open(&url)?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let url = db_url(&cli);
    match cli.command {
        Command::Init => {
            let store = open(&cli.db)?;
            println!("数据库已就绪（{}）", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Areas { command } => match command {
            AreasCommand::Import { file } => {
                let mut store = open(&cli.db)?;
                let who = actor();
                let report = import_file(&file, None, None, |source| {
                    store.import_areas(Who::Console(&who), source, &mut Bar::new())
                })
                .map_err(|e| anyhow::anyhow!(e))?;
                Ok(print_report(&file, &report, "个区划"))
            }
            AreasCommand::List { under } => {
                let mut store = open(&cli.db)?;
                let under = under
                    .as_deref()
                    .map(AreaCode::parse)
                    .transpose()
                    .context("--under")?;
                let areas = store.areas(under.as_ref())?;
                if areas.is_empty() {
                    println!(
                        "还没有区划。用 renkou areas import 文件 导入区划表（列：区划代码,名称）。"
                    );
                }
                for a in areas {
                    let depth = (a.code.as_str().len() - 6) / 3;
                    println!(
                        "{}{}  {}  {}",
                        "  ".repeat(depth),
                        a.code,
                        a.level().name_zh(),
                        a.name
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Persons { command } => match command {
            PersonsCommand::Import {
                file,
                flags,
                upsert,
            } => {
                let mut store = open(&cli.db)?;
                let (opts, rejected) = import_options(&file, &flags, upsert);
                let who = actor();
                let report = import_file(&file, None, Some(&rejected), |source| {
                    store.import_persons(Who::Console(&who), source, &opts, &mut Bar::new())
                })
                .map_err(|e| anyhow::anyhow!(e))?;
                Ok(print_report(&file, &report, "人"))
            }
            PersonsCommand::Export {
                out,
                area,
                population_type,
            } => {
                let mut store = open(&cli.db)?;
                let filter = PersonFilter {
                    area: area
                        .as_deref()
                        .map(AreaCode::parse)
                        .transpose()
                        .context("--area")?,
                    population_type: population_type
                        .as_deref()
                        .map(PopulationType::parse)
                        .transpose()
                        .context("--type")?,
                    ..Default::default()
                };
                let mut file = renkou_documents::export::PersonsFile::create(&out)?;
                let who = actor();
                let n = store.export_persons(
                    Who::Console(&who),
                    &filter,
                    &mut Bar::new(),
                    &mut |p| file.write(p).map_err(|e| e.to_string()),
                )?;
                file.finish()?;
                println!("已导出 {n} 人到 {}", out.display());
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Events { command } => match command {
            EventsCommand::Import { file, flags } => {
                let mut store = open(&cli.db)?;
                let (opts, rejected) = import_options(&file, &flags, false);
                let who = actor();
                let report = import_file(&file, None, Some(&rejected), |source| {
                    store.import_events(Who::Console(&who), source, &opts, &mut Bar::new())
                })
                .map_err(|e| anyhow::anyhow!(e))?;
                Ok(print_report(&file, &report, "个事件"))
            }
        },
        Command::Bench(args) => bench::run(args),
        Command::Certificates {
            command: CertificatesCommand::Export { out, from, to },
        } => {
            let day = today();
            let parse = |v: Option<String>, default: jiff::civil::Date, flag: &str| {
                v.map(|s| renkou_core::dates::parse_date(&s).with_context(|| flag.to_string()))
                    .transpose()
                    .map(|d| d.unwrap_or(default))
            };
            let from = parse(from, day.first_of_month(), "--from")?;
            let to = parse(to, day, "--to")?;
            if from > to {
                anyhow::bail!("--from {from} 晚于 --to {to}");
            }
            let mut store = open(&cli.db)?;
            let who = actor();
            let records = store.export_issued(Who::Console(&who), from, to)?;
            let documents: Vec<_> = records
                .iter()
                .map(|r| renkou_documents::export::IssuedDocument {
                    certificate: &r.certificate,
                    holder_name: &r.holder_name,
                    holder_id_masked: r.holder_id_masked.as_deref(),
                })
                .collect();
            let n = renkou_documents::export::write_issued_documents(&documents, day, &out)?;
            println!(
                "已导出 {from} 至 {to} 发放的证件 {n} 份到 {}",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            bind,
            secure_cookies,
            public_url,
        } => {
            serve::serve(&url, bind, secure_cookies, public_url, &[])?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Users { command } => users::run(&url, command),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit::verify(&url),
        Command::Stats { command } => stats::run(&url, command, today(), &actor()),
        Command::Demo {
            persons,
            seed,
            bind,
            no_serve,
        } => {
            let url = match &cli.db {
                Some(url) => url.clone(),
                None => {
                    // The demo's own file is disposable: it is made anew on every run.
                    for suffix in ["", "-wal", "-shm"] {
                        let p = format!("renkou-demo.db{suffix}");
                        if Path::new(&p).exists() {
                            std::fs::remove_file(&p).with_context(|| format!("删除旧的 {p}"))?;
                        }
                    }
                    "renkou-demo.db".to_string()
                }
            };
            let mut store = Store::open(&url)?;
            if store.count_persons(&PersonFilter {
                all_statuses: true,
                ..Default::default()
            })? > 0
            {
                bail!(
                    "数据库 {url} 中已有人口记录；演示城市需要一个空数据库（不加 --db 时使用 renkou-demo.db）"
                );
            }
            let started = std::time::Instant::now();
            let mut bar = Bar::new();
            use renkou_core::import::Progress;
            bar.phase("生成", Some(persons));
            let summary = demo::build(&mut store, persons, seed, today(), &mut |n| bar.advance(n))?;
            bar.finish();
            println!(
                "演示城市已生成（{}，{:.1} 秒）：{url}",
                store.backend(),
                started.elapsed().as_secs_f64()
            );
            println!(
                "  区划：{} 个（社区服务中心 {}，居委会 {}，居民小组 {}）",
                summary.areas, summary.centres, summary.committees, summary.groups
            );
            println!(
                "  人口：{} 人，{} 户；流入 {} 人，流出 {} 人",
                summary.persons, summary.households, summary.migrants_in, summary.migrants_out
            );
            println!(
                "  近三年事件：{} 个，其中出生 {} 人",
                summary.events, summary.births
            );
            let accounts = demo::demo_accounts(&mut store)?;
            let documents = demo::demo_certificates(&mut store, today())?;
            println!("  证件：{documents} 份申请（待审核、已发证、已退回各有）");
            drop(store);
            if no_serve {
                println!("  试试：renkou --db {url} serve");
                return Ok(ExitCode::SUCCESS);
            }
            // The demo is its own public: its papers point at the address it serves on.
            serve::serve(&url, bind, false, Some(format!("http://{bind}")), &accounts)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--public-url`: an http or https address with a host, without a trailing slash.
fn public_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("应以 https:// 或 http:// 开头，例如 https://renkou.example.gov.cn")?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("应是一个完整的网址，例如 https://renkou.example.gov.cn".into());
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// An audit row for work done at the command line: no account, the operating-system user.
fn cli_audit(action: AuditAction, object_kind: &str) -> AuditEntry {
    Who::Console(&actor()).entry(action, object_kind, AuditResult::Ok)
}

fn import_options(file: &Path, flags: &ImportFlags, upsert: bool) -> (ImportOptions, PathBuf) {
    let rejected = flags.rejected.clone().unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("import");
        file.with_file_name(format!("{stem}.rejected.csv"))
    });
    // Whoever runs the server's command line imports what the city needs: no row limit.
    let opts = ImportOptions {
        skip_invalid: flags.skip_invalid,
        upsert,
        ..ImportOptions::new(today())
    };
    (opts, rejected)
}

/// Prints what an import did, every problem as `row N, column C: reason`, and what to do next.
/// Exit status 1 when nothing was written because of problems.
fn print_report(file: &Path, r: &ImportReport, unit: &str) -> ExitCode {
    println!("读取 {}（{}）：{} 行数据", file.display(), r.source, r.rows);
    if !r.ignored_columns.is_empty() {
        println!("未识别的列（已忽略）：{}", r.ignored_columns.join("、"));
    }
    for p in &r.problems {
        println!("{p}");
    }
    if r.more_problems > 0 {
        println!("另有 {} 个问题没有列出", r.more_problems);
    }
    if let Some(why) = &r.stopped {
        println!("{why}");
    }
    if let Some(f) = &r.rejected_file {
        println!("有问题的 {} 行及原因已写入 {}", r.rejected, f.display());
    }
    if r.written {
        let mut parts = vec![format!("新增 {} {unit}", r.added)];
        if r.updated > 0 || r.unchanged > 0 {
            parts.push(format!("更新 {}", r.updated));
            parts.push(format!("无变化 {}", r.unchanged));
        }
        if r.rejected > 0 {
            parts.push(format!("跳过 {} 行", r.rejected));
        }
        println!("导入完成：{}", parts.join("，"));
        ExitCode::SUCCESS
    } else {
        if r.rejected > 0 {
            println!(
                "有 {} 行数据有问题，没有写入任何数据。请改正后重新导入，或加 --skip-invalid 只导入正确的行。",
                r.rejected
            );
        } else {
            println!("文件有问题，没有写入任何数据。");
        }
        ExitCode::FAILURE
    }
}
