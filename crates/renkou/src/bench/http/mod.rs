//! `renkou bench http`: the API under load. With N people on the register (the demo city), wrk
//! drives `GET /api/v1/persons?q=<ID number>` (search) and `GET /api/v1/persons/{id}` (a whole
//! record: an audited view, one audit row written per request) against the real server, a
//! separate `renkou serve` process, with a bureau account's bearer token; and, in the same run
//! with the same wrk settings, an empty axum handler (`renkou bench empty-server`, hidden) as
//! the reference. Each measured run gets a fresh server process, waits until its start-up work
//! is done, warms up, then measures; the server's peak RSS (VmHWM), its CPU time and I/O per
//! request, wrk's CPU and everyone else's are read from /proc, so a noisy run shows. The
//! figures go into docs/BENCHMARKS.md ("Web API (issue 3)").

mod client;
mod register;
mod report;
mod scenario;
mod server;
mod wrk;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use renkou_core::audit::AuditAction;
use renkou_store::Store;

use super::group_digits;
use super::measure::tool_version;
use register::{ensure_account, ensure_people, sample};
use report::{RunInfo, print_report};
use scenario::{ALL, RunResult, Scenario};
use server::measure;
pub use server::{EmptyServerArgs, empty_server};
use wrk::{WrkSettings, wait_for_quiet, write_script};

/// The targets: at least 40% of the empty handler's requests per second, p99 at most
/// 10 ms, the server's peak resident memory under 150 MB.
const TARGET_RATIO: f64 = 0.40;
const TARGET_P99_MS: f64 = 10.0;
const TARGET_RSS_MB: f64 = 150.0;

/// Below this many busy cores (of everything on the machine) it counts as quiet enough to
/// start a run; a run during which others used more than `NOISY_CORES` is marked noisy.
const QUIET_CORES: f64 = 0.15;
const NOISY_CORES: f64 = 0.25;

/// The benchmark's own account: a bureau officer at the city level, who may read every person
/// of the city (the widest scope a reading role has).
const USERNAME: &str = "bench-http";

#[derive(Args)]
pub struct HttpBench {
    /// People on the register (the demo city; births in its history add about 1%).
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    /// The SQLite database: used as it is when it already holds people, else the demo city is
    /// built into it. Default: bench-data/http-N.db. (The same option as renkou's global
    /// `--db`, which may also be given before `bench`; a SQLite file path. RENKOU_DB is never
    /// used: the benchmark adds an account and many audit rows.)
    #[arg(long)]
    db: Option<String>,
    /// How long each measured wrk run lasts (wrk's syntax: 20s, 1m).
    #[arg(long, default_value = "20s")]
    duration: String,
    /// An unmeasured wrk run before each measured one, on the same server process.
    #[arg(long, default_value = "5s")]
    warmup: String,
    /// wrk's open connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Measured runs of each scenario; the report gives the median.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// How many random people the requests rotate through.
    #[arg(long, default_value_t = 10_000)]
    sample: usize,
    /// Only these scenarios (comma-separated): empty, me, search, view. The empty handler is
    /// always measured, as the reference.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Build the demo city anew even if the database holds people (each view run adds about
    /// 190,000 audit rows at 1M, which make later runs slower: start fresh for comparable
    /// figures).
    #[arg(long)]
    fresh: bool,
    /// Before each run, wait up to this many seconds for the machine to be idle (0: don't).
    #[arg(long, default_value_t = 120)]
    wait_quiet: u64,
    /// Seed of the demo city and of the sample.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

// ---------------------------------------------------------------------------------------------
// The run as a whole

pub fn http_bench(b: HttpBench) -> Result<ExitCode> {
    let wrk = tool_version("wrk")
        .context("wrk not found on PATH: install it (Debian/Ubuntu: apt-get install wrk)")?;
    let wrk_version = wrk.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let duration = seconds(&b.duration).context("--duration")?;
    let warmup = seconds(&b.warmup).context("--warmup")?;
    if b.persons == 0 || b.sample == 0 || b.runs == 0 || b.connections == 0 || b.threads == 0 {
        bail!("--persons, --sample, --runs, --connections and --threads must be at least 1");
    }
    let scenarios: Vec<Scenario> = match &b.only {
        None => ALL.to_vec(),
        Some(keys) => {
            let mut chosen = vec![Scenario::Empty];
            for k in keys {
                let s = ALL
                    .iter()
                    .find(|s| s.key() == k.trim())
                    .with_context(|| format!("unknown scenario {k}: empty, me, search or view"))?;
                if !chosen.contains(s) {
                    chosen.push(*s);
                }
            }
            chosen
        }
    };
    // `--db` is also renkou's global option, which clap fills from RENKOU_DB too: the bench
    // writes an account and many audit rows, so it only takes a database named on its command
    // line, never one from the environment.
    let named = std::env::args().any(|a| a == "--db" || a.starts_with("--db="));
    let db = match b.db.as_ref().filter(|_| named) {
        Some(p) => PathBuf::from(p.strip_prefix("sqlite:").unwrap_or(p)),
        None => PathBuf::from(format!("bench-data/http-{}.db", b.persons)),
    };
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("创建目录 {}", dir.display()))?;
    }
    let db = fs::canonicalize(db.parent().unwrap_or(Path::new(".")))?.join(
        db.file_name()
            .context("--db must name a file")?
            .to_string_lossy()
            .as_ref(),
    );
    // Two benchmarks on one database would reset each other's password and share the CPU.
    let _lock = lock_exclusive(&PathBuf::from(format!("{}.bench-lock", db.display())))?;
    // The wrk scripts and every run's logs (server, warm-up, wrk), beside the database.
    let dir = db.parent().expect("an absolute path").join("http-logs");
    fs::create_dir_all(&dir).with_context(|| format!("创建目录 {}", dir.display()))?;
    let url = db.display().to_string();

    if b.fresh {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{url}{suffix}"));
            if p.exists() {
                fs::remove_file(&p).with_context(|| format!("删除 {}", p.display()))?;
            }
        }
    }
    // The register, the account and the sample, all before any server starts; the store is
    // closed again before the first server opens the file.
    let (people, password, persons_on_register, account_id) = {
        let mut store = Store::open(&url)?;
        let on_register = ensure_people(&mut store, &url, b.persons, b.seed)?;
        let (scope, password) = ensure_account(&mut store)?;
        let started = Instant::now();
        let people = sample(&mut store, &scope, b.sample, b.seed)?;
        println!(
            "sampled {} people (active, with an ID number, in the account's scope) in {:.1} s",
            group_digits(people.len() as u64),
            started.elapsed().as_secs_f64()
        );
        (people, password, on_register, scope.account_id)
    };
    let scripts: Vec<(Scenario, PathBuf)> = scenarios
        .iter()
        .map(|s| {
            let path = dir.join(format!("{}.lua", s.key()));
            write_script(&path, *s, &people).map(|_| (*s, path))
        })
        .collect::<Result<_>>()?;

    let exe = std::env::current_exe().context("找不到 renkou 程序本身")?;
    let settings = WrkSettings {
        threads: b.threads,
        connections: b.connections,
        duration,
        warmup,
    };
    println!(
        "wrk: {} threads, {} connections, {duration} s measured after {warmup} s of warm-up; {} runs of {} scenarios, each on a fresh server process",
        b.threads,
        b.connections,
        b.runs,
        scenarios.len()
    );
    let mut results: Vec<(Scenario, Vec<RunResult>)> =
        scenarios.iter().map(|s| (*s, Vec::new())).collect();
    let mut failures = Vec::new();
    let mut disk = Vec::new();
    for round in 1..=b.runs {
        // The disk every view waits on: its fsync latency now, for the record.
        let (p50, p99, max) = fsync_probe(&dir, 200)?;
        println!(
            "round {round}: disk fsync of 16 KiB ×200: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
        );
        disk.push((p50, p99, max));
        // The scenarios take turns, so a noisy minute of the machine spreads over all of them.
        for (scenario, script) in &scripts {
            if b.wait_quiet > 0 {
                wait_for_quiet(Duration::from_secs(b.wait_quiet))?;
            }
            print!("run {round}/{}: {:<7} … ", b.runs, scenario.key());
            std::io::stdout().flush()?;
            let log = dir.join(format!("{}-{round}", scenario.key()));
            let outcome = measure(
                &exe, &url, *scenario, script, &people[0], &password, &settings, &log,
            );
            match outcome {
                Ok(r) => {
                    println!(
                        "{:>6.0} req/s  p50 {:>5.2} ms  p99 {:>6.2} ms  max {:>6.1} ms  RSS {:>5.1} MB  CPU: server {:>3.0} µs/req {:.2} cores, wrk {:.2} cores  I/O per req: read {:.1} KiB, written {:.1} KiB{}{}{}",
                        r.rps,
                        r.p50_ms,
                        r.p99_ms,
                        r.max_ms,
                        mb(r.peak_rss_kib),
                        r.cpu_us_per_request(),
                        r.server_cpu / r.secs,
                        r.wrk_cpu / r.secs,
                        r.kib_per_request().0,
                        r.kib_per_request().1,
                        r.wal_bytes
                            .map(|w| format!("  WAL {:.1} MB", w as f64 / 1e6))
                            .unwrap_or_default(),
                        if r.other_cpu / r.secs > NOISY_CORES {
                            format!("  NOISY: others used {:.2} cores", r.other_cpu / r.secs)
                        } else {
                            String::new()
                        },
                        if r.errors > 0 {
                            format!("  {} ERRORS", r.errors)
                        } else {
                            String::new()
                        }
                    );
                    if r.errors > 0 {
                        failures.push(format!(
                            "{} run {round}: {} of {} requests failed (see {}.wrk.log)",
                            scenario.key(),
                            r.errors,
                            r.requests,
                            log.display()
                        ));
                    }
                    results
                        .iter_mut()
                        .find(|(s, _)| s == scenario)
                        .expect("every scenario has a slot")
                        .1
                        .push(r);
                }
                Err(e) => {
                    println!("failed");
                    failures.push(format!("{} run {round}: {e:#}", scenario.key()));
                }
            }
        }
    }
    // The account's password was never shown to anyone; disable it until the next run.
    Store::open(&url)?.set_disabled(
        account_id,
        true,
        crate::cli_audit(AuditAction::AccountDisable, "account").detail("bench http done"),
    )?;
    print_report(
        &results,
        &failures,
        &RunInfo {
            persons: persons_on_register,
            wrk: wrk_version,
            settings,
            runs: b.runs,
            sample: people.len(),
            db: url,
            disk,
        },
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How long the disk under `dir` takes to make a small write durable: `n` times, 16 KiB
/// written over the same place of a scratch file and fsync'd (what a WAL commit does).
/// Returns p50, p99 and max in milliseconds.
fn fsync_probe(dir: &Path, n: usize) -> Result<(f64, f64, f64)> {
    use std::os::unix::fs::FileExt;
    let path = dir.join("fsync-probe.tmp");
    let file = File::create(&path).with_context(|| format!("创建 {}", path.display()))?;
    let block = vec![0x5au8; 16 * 1024];
    file.write_all_at(&block, 0)?;
    file.sync_all()?;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let mut b = block.clone();
        b[0] = i as u8;
        let started = Instant::now();
        file.write_all_at(&b, 0)?;
        file.sync_all()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    let _ = fs::remove_file(&path);
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok((at(0.5), at(0.99), times[times.len() - 1]))
}

/// Holds an exclusive lock on `path` (created if need be) while the returned file lives.
fn lock_exclusive(path: &Path) -> Result<File> {
    use std::os::fd::AsRawFd;
    let file = File::create(path).with_context(|| format!("创建 {}", path.display()))?;
    // SAFETY: flock on a descriptor we own; it is released when the file is closed.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        bail!(
            "another `renkou bench http` is using this database ({} is locked)",
            path.display()
        );
    }
    Ok(file)
}

/// "20s", "2m", "1h" or plain seconds.
fn seconds(text: &str) -> Result<u64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .with_context(|| format!("{text}: expected a duration such as 20s or 1m"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => bail!("{text}: expected a duration such as 20s or 1m"),
    };
    if secs == 0 {
        bail!("{text}: at least one second");
    }
    Ok(secs)
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_wrk_writes_them() {
        assert_eq!(seconds("20s").unwrap(), 20);
        assert_eq!(seconds("2m").unwrap(), 120);
        assert_eq!(seconds("15").unwrap(), 15);
        assert!(seconds("0s").is_err());
        assert!(seconds("1.5s").is_err());
        assert!(seconds("20ms").is_err());
    }
}
